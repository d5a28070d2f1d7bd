//! A message or a decision (Bescheid) of the authority into the citizen's Postfach: written with its
//! files, and the citizen told by mail through the outbox, in the caller's transaction. The mail
//! names the authority and nothing of the case: it may be read by anyone who sees the inbox.

use chrono::{DateTime, Utc};

use crate::db::messages::{self, NewMessage};
use crate::db::{Tx, outbox};
use crate::domain::message::MessageKind;
use crate::i18n::Lang;
use crate::mail::Mail;

/// Messages of one case within this time share one mail; a decision always gets its own.
pub const NOTICE_GROUPING: chrono::Duration = chrono::Duration::hours(1);

/// Where the message goes and who sends it.
pub struct Addressed<'a> {
    pub tenant_id: &'a str,
    /// The authority's name, for the mail.
    pub authority: &'a str,
    pub reference: &'a str,
    /// The portal's address, for the mail's link.
    pub base_url: &'a str,
}

/// Writes the message into the tenant's case and queues the citizen's mail when one is due; the
/// message's id, or `None` when the tenant has no such case. The caller wakes the outbox after
/// committing.
pub async fn send_to_citizen(
    tx: &mut Tx,
    to: &Addressed<'_>,
    message: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let Some(id) = messages::add(tx, to.tenant_id, to.reference, message, now).await? else {
        return Ok(None);
    };
    if let Some(email) = messages::notice_due(tx, &id, message.kind, now - NOTICE_GROUPING).await? {
        let base = to.base_url.trim_end_matches('/');
        // A decision's mail leads to it; a message's to the Postfach, where it may not be alone.
        let decision = message.kind == MessageKind::Decision;
        let name = if decision {
            "mail-new-decision"
        } else {
            "mail-new-message"
        };
        let link = if decision {
            format!("{base}/postfach/{id}")
        } else {
            format!("{base}/postfach")
        };
        // The account keeps no language; the mail is in German, the portal's first language.
        let mail = Mail::new(&email, Lang::De, name)
            .with_link(link)
            .with_authority(to.authority);
        outbox::enqueue_mail(tx, &mail).await?;
    }
    Ok(Some(id))
}
