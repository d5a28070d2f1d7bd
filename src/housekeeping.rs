//! Every ten minutes: removes expired sessions, used tokens, old rate-limit attempts, expired drafts
//! and old parked steps, and reminds citizens a week before a draft of theirs is deleted.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::db::{Db, accounts, forms};
use crate::i18n::Lang;
use crate::mail::{Mail, Mailer};

const EVERY: Duration = Duration::from_secs(600);
/// Attempts are kept a day: longer than any rate-limit window.
const KEEP_ATTEMPTS: chrono::Duration = chrono::Duration::days(1);
/// How long before a draft is deleted its owner is reminded.
pub const REMIND_BEFORE: chrono::Duration = chrono::Duration::days(7);

pub fn spawn(db: Db, mailer: Arc<Mailer>, base_url: String) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            if let Err(e) = tidy(&db, &mailer, &base_url, Utc::now()).await {
                tracing::warn!(error = %e, "housekeeping failed; trying again later");
            }
        }
    });
}

/// One round of housekeeping as of `now`.
pub async fn tidy(db: &Db, mailer: &Mailer, base_url: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    accounts::remove_expired(db, now, now - KEEP_ATTEMPTS).await?;
    forms::remove_expired_drafts(db, now, now - chrono::Duration::hours(crate::routes::PARKED_HOURS)).await?;
    let link = format!("{}/antraege", base_url.trim_end_matches('/'));
    // The account keeps no language; the reminder is in German, the portal's first language.
    let mail = Mail {
        lang: Lang::De,
        subject_key: "mail-draft-reminder-subject",
        text_key: "mail-draft-reminder-text",
        link: Some(("mail-draft-reminder-link", &link)),
    };
    // One mail per address, however many drafts; a draft counts as reminded once its mail went out
    // (or when there is no address to write to), so a failed mail is tried again next round.
    let mut sent: Vec<(String, bool)> = Vec::new();
    let warn_from = now + REMIND_BEFORE;
    for (draft_id, email) in forms::drafts_to_remind(db, warn_from).await? {
        let delivered = match email {
            None => true,
            Some(email) => match sent.iter().find(|(to, _)| *to == email) {
                Some((_, delivered)) => *delivered,
                None => {
                    let delivered = mailer.deliver(&email, &mail).await;
                    sent.push((email, delivered));
                    delivered
                }
            },
        };
        if delivered {
            forms::mark_reminded(db, &draft_id, now, warn_from).await?;
        }
    }
    Ok(())
}
