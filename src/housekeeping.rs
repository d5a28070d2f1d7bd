//! Every ten minutes: removes expired sessions, used tokens, old rate-limit attempts, expired drafts,
//! old parked steps, mails given up two weeks ago and the backend API's answers of a week ago, and reminds citizens a week before a draft of
//! theirs is deleted; then removes evidence files that no row points to. Every two minutes: asks the
//! payment providers about fees paid by citizens who did not come back. With several nodes, the
//! one that takes a round's lease does the round.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::attachments::Attachments;
use crate::db::{Db, accounts, api_answers, applications, lease, outbox};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::Mail;
use crate::payment::Providers;
use crate::worker::Outbox;
use crate::workflow::pay;

const EVERY: Duration = Duration::from_secs(600);
/// Payments are asked about more often: a citizen who paid waits for the confirmation mail.
const PAYMENTS_EVERY: Duration = Duration::from_secs(120);
/// Attempts are kept a day: longer than any rate-limit window.
const KEEP_ATTEMPTS: chrono::Duration = chrono::Duration::days(1);
/// Mails given up wait this long for an operator's retry (`mails retry`), then they are removed.
pub const KEEP_GIVEN_UP_MAILS: chrono::Duration = chrono::Duration::days(14);
/// A stored file without a row is removed once it is this old (younger, its row may be on its way).
const SWEEP_AFTER: chrono::Duration = chrono::Duration::hours(1);
/// How long before a draft is deleted its owner is reminded.
pub const REMIND_BEFORE: chrono::Duration = chrono::Duration::days(7);

pub fn spawn(db: Db, outbox: Outbox, attachments: Arc<Attachments>, providers: Arc<Providers>, base_url: String) {
    let node = uuid::Uuid::now_v7().to_string();
    {
        let (db, outbox, node, base_url) = (db.clone(), outbox.clone(), node.clone(), base_url.clone());
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PAYMENTS_EVERY);
            loop {
                ticks.tick().await;
                if let Err(e) = payments_round(&db, &node, &providers, &outbox, &base_url, Utc::now()).await {
                    tracing::warn!(error = %e, "asking about payments failed; trying again later");
                }
            }
        });
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            let now = Utc::now();
            match round(&db, &node, &base_url, now).await {
                Ok(0) => {}
                Ok(_) => outbox.wake(),
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; trying again later"),
            }
            if let Err(e) = sweep(&db, &node, &attachments, now).await {
                tracing::warn!(error = %e, "the sweep of evidence files failed; trying again later");
            }
        }
    });
}

/// Removes evidence files no row points to any more (of deleted and expired drafts and accounts,
/// and of uploads cut off between storing and recording), by one node per round.
pub async fn sweep(db: &Db, node: &str, attachments: &Attachments, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let until = now + chrono::Duration::from_std(EVERY).unwrap_or_default() - chrono::Duration::seconds(30);
    if !lease::take(db, "evidence-sweep", node, now, until).await? {
        return Ok(0);
    }
    let removed = attachments.sweep(db, now - SWEEP_AFTER).await?;
    if removed > 0 {
        tracing::info!(removed, "evidence files without a row removed");
    }
    Ok(removed)
}

/// Settles the payments of citizens who did not come back, if this node gets the round's lease; how
/// many applications it sent.
pub async fn payments_round(
    db: &Db,
    node: &str,
    providers: &Providers,
    outbox: &Outbox,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let until = now + chrono::Duration::from_std(PAYMENTS_EVERY).unwrap_or_default() - chrono::Duration::seconds(10);
    if !lease::take(db, "payment-check", node, now, until).await? {
        return Ok(0);
    }
    pay::settle_unattended(db, providers, outbox, base_url, now).await
}

/// A round, if this node gets its lease (held a little less than the time between rounds, so the
/// next round may go to any node); how many reminder mails it queued.
pub async fn round(db: &Db, node: &str, base_url: &str, now: DateTime<Utc>) -> sqlx::Result<usize> {
    let until = now + chrono::Duration::from_std(EVERY).unwrap_or_default() - chrono::Duration::seconds(30);
    if !lease::take(db, "housekeeping", node, now, until).await? {
        return Ok(0);
    }
    tidy(db, base_url, now).await
}

/// One round of housekeeping as of `now`; how many reminder mails it queued. A draft another node
/// reminded meanwhile is not reminded twice.
pub async fn tidy(db: &Db, base_url: &str, now: DateTime<Utc>) -> sqlx::Result<usize> {
    accounts::remove_expired(db, now, now - KEEP_ATTEMPTS).await?;
    applications::remove_expired_drafts(db, now).await?;
    outbox::forget_given_up_mails(db, now - KEEP_GIVEN_UP_MAILS).await?;
    api_answers::forget_before(db, now - api_answers::KEEP).await?;
    let link = format!("{}/antraege", base_url.trim_end_matches('/'));
    // One mail per address, however many drafts, queued in the transaction that marks them reminded.
    let warn_from = now + REMIND_BEFORE;
    let mut by_address: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for (draft_id, email) in applications::drafts_to_remind(db, warn_from).await? {
        by_address.entry(email).or_default().push(draft_id);
    }
    let mut queued = 0;
    for (email, drafts) in by_address {
        let mut tx = db.begin().await?;
        let mut marked = false;
        for draft_id in &drafts {
            marked |= applications::mark_reminded(&mut tx, draft_id, now, warn_from).await?;
        }
        // The account keeps no language; the reminder is in German, the portal's first language.
        // An account without an address (provider logins only) is marked without a mail.
        if let Some(email) = email.filter(|_| marked) {
            let mail = Mail::new(&email, Lang::De, "mail-draft-reminder").with_link(link.clone());
            outbox::enqueue_mail(&mut tx, &mail).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}
