//! The worker: works the outbox, the queue of deliveries and mails that `db::outbox` stores,
//! in-process with `serve` and alone as `buergerportal worker`. [`Outbox`] is the handle requests
//! use to commit jobs and wake it. Jobs are claimed with a lease, so several workers on
//! PostgreSQL never work one job at once, and a worker that dies leaves its jobs to the next claim.
//!
//! The queue is worked at once: a request that commits a job calls [`Outbox::wake`], and on PostgreSQL
//! the commit also notifies the workers of every process (`LISTEN outbox`); a poll every second is
//! the fallback.
//!
//! Jobs are worked as independent tasks in two lanes, one for mails and one for deliveries, each with
//! a fixed number of slots: a slot frees as its job ends and is filled by the next due job, so a slow
//! backend holds only its own slot, and citizens' mails never wait behind deliveries.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::RngExt;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, Semaphore};

use crate::attachments::Attachments;
use crate::config::Settings;
use crate::db::outbox::{self, JobRow};
use crate::db::{Db, Tx};
use crate::delivery::{Delivered, Deliverer, Failure, Hold};
use crate::mail::{Mail, Mailer};
use crate::metrics::{OutboxCounters, Outcome};
use crate::pdf::ReceiptFonts;

/// How often an idle worker looks for jobs other processes committed.
const POLL: Duration = Duration::from_secs(1);
/// Deliveries one worker works side by side.
const DELIVERY_SLOTS: usize = 16;
/// Mails one worker sends side by side.
const MAIL_SLOTS: usize = 4;
/// Retries wait at most this long.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// The handle requests use to wake the worker after committing a job.
#[derive(Clone, Default)]
pub struct Outbox {
    lanes: Arc<Wakers>,
}

/// One waker per lane: each lane waits on its own, so waking both reaches both.
#[derive(Default)]
struct Wakers {
    mails: Notify,
    deliveries: Notify,
}

impl Outbox {
    pub fn wake(&self) {
        self.lanes.mails.notify_one();
        self.lanes.deliveries.notify_one();
    }

    /// Commits a transaction that queued jobs, and wakes the worker for them.
    pub async fn commit(&self, tx: Tx) -> sqlx::Result<()> {
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    /// Queues a mail that no other write causes, and wakes the worker.
    pub async fn queue_mail(&self, db: &Db, mail: &Mail) -> sqlx::Result<()> {
        let mut tx = db.begin().await?;
        outbox::enqueue_mail(&mut tx, mail).await?;
        self.commit(tx).await
    }
}

/// Wakes both lanes whenever the listener hears of a committed job. A lost connection is
/// re-established by the next `recv`.
async fn forward_notifications(mut listener: PgListener, outbox: Outbox) {
    loop {
        match listener.recv().await {
            Ok(_) => outbox.wake(),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// When to try again and when to give up.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: i32,
    pub first_retry: Duration,
    pub lease: Duration,
}

impl Policy {
    pub fn of(settings: &Settings) -> Self {
        let timeout = settings.outbox_send_timeout();
        Self {
            max_attempts: settings.outbox_max_attempts,
            first_retry: Duration::from_secs_f64(settings.outbox_retry_seconds),
            // Longer than any one request can take: a delivery of several requests renews it before
            // each (`delivery::Hold`), so a live worker's job is never claimed twice.
            lease: timeout * 2 + Duration::from_secs(1),
        }
    }

    /// When to ask again for an answer that has been awaited for `waited`: after a tenth of that,
    /// at least three first retries and at most an hour. An answer that takes days is asked for about
    /// 400 times in FIT-Connect's 15 days instead of every 30 s (43,000 times).
    pub fn ask_again_after(&self, waited: Duration) -> Duration {
        (waited / 10).clamp(self.first_retry * 3, LONGEST_WAIT)
    }

    /// Exponential backoff with jitter: the n-th retry waits between half and all of
    /// `first_retry × 2^(n-1)`, at most an hour, so receivers coming back are not hit all at once.
    pub fn wait_after(&self, attempt: i32) -> Duration {
        let doublings = attempt.clamp(1, 20) - 1;
        let full = self.first_retry.saturating_mul(1 << doublings).min(LONGEST_WAIT);
        full.mul_f64(rand::rng().random_range(0.5..=1.0))
    }
}

pub struct Worker {
    db: Db,
    mailer: Arc<Mailer>,
    deliverer: Deliverer,
    policy: Policy,
    /// Bounds one attempt to send a mail as a whole, not only each socket operation.
    send_timeout: Duration,
    outbox: Outbox,
    counters: Arc<OutboxCounters>,
}

impl Worker {
    pub fn new(
        settings: &Settings,
        db: Db,
        mailer: Arc<Mailer>,
        fonts: Arc<ReceiptFonts>,
        attachments: Arc<Attachments>,
        outbox: &Outbox,
        counters: Arc<OutboxCounters>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            deliverer: Deliverer::new(
                mailer.clone(),
                fonts,
                attachments,
                settings.outbox_send_timeout(),
                settings.is_demo(),
            )?,
            db,
            mailer,
            policy: Policy::of(settings),
            send_timeout: settings.outbox_send_timeout(),
            outbox: outbox.clone(),
            counters,
        })
    }

    /// Works the queue until the process ends.
    pub async fn run(self) {
        let worker = Arc::new(self);
        if let Some(listener) = worker.listen().await {
            tokio::spawn(forward_notifications(listener, worker.outbox.clone()));
        }
        tokio::join!(
            worker.clone().work_lane(outbox::MAIL, MAIL_SLOTS),
            worker.work_lane(outbox::DELIVERY, DELIVERY_SLOTS)
        );
    }

    /// On PostgreSQL, a listener for jobs other processes commit; without one the poll finds them.
    async fn listen(&self) -> Option<PgListener> {
        let Db::Postgres(pool) = &self.db else {
            return None;
        };
        let listener = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(outbox::CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        listener
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "the outbox worker cannot listen; it polls every second"))
            .ok()
    }

    /// Fills the lane's free `slots` with due jobs of `kind`, each worked as a task of its own that
    /// frees its slot when it ends; waits for a free slot, or for news when nothing is due.
    async fn work_lane(self: Arc<Self>, kind: &'static str, slots: usize) {
        let wake = match kind {
            outbox::MAIL => &self.outbox.lanes.mails,
            _ => &self.outbox.lanes.deliveries,
        };
        let slots = Arc::new(Semaphore::new(slots));
        loop {
            let Ok(first) = slots.clone().acquire_owned().await else {
                return;
            };
            let free = 1 + slots.available_permits();
            let now = Utc::now();
            let lease = chrono::Duration::from_std(self.policy.lease).unwrap_or(chrono::Duration::minutes(2));
            let jobs = match outbox::claim(&self.db, kind, now, now + lease, free as i64).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "the outbox cannot be read; trying again shortly");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            if jobs.is_empty() {
                drop(first);
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
                continue;
            }
            let mut first = Some(first);
            for job in jobs {
                // Only this loop takes slots, and it claimed no more jobs than were free.
                let Some(slot) = first.take().or_else(|| slots.clone().try_acquire_owned().ok()) else {
                    break;
                };
                let worker = self.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = worker.work(&job).await {
                        tracing::warn!(error = %e, "an outbox job's outcome could not be recorded; its lease returns it");
                    }
                });
            }
        }
    }

    async fn work(&self, job: &JobRow) -> sqlx::Result<()> {
        if job.kind == outbox::MAIL {
            let mail = job
                .payload
                .as_ref()
                .and_then(|p| serde_json::from_value::<Mail>(p.0.clone()).ok());
            let outcome = match mail {
                Some(mail) => match tokio::time::timeout(self.send_timeout, self.mailer.send(&mail)).await {
                    Ok(sent) => sent.map_err(|e| Failure::Retry(format!("{e:#}"))),
                    Err(_) => Err(Failure::Retry("the mail server did not take the mail in time".into())),
                },
                None => Err(Failure::Permanent("the mail job cannot be read".into())),
            };
            return match outcome {
                Ok(()) => {
                    self.counters.count(&job.kind, Outcome::Done);
                    outbox::mail_sent(&self.db, job).await
                }
                Err(failure) => self.failed(job, "mail", failure).await,
            };
        }
        let Some(case) = outbox::case_to_deliver(&self.db, job.case_id.as_deref().unwrap_or_default()).await? else {
            return self
                .failed(job, "?", Failure::Permanent("the case is gone".into()))
                .await;
        };
        let hold = Hold::new(&self.db, job, self.policy.lease);
        match self.deliverer.deliver(&hold, &case).await {
            Ok(Delivered::Awaiting { progress, since }) => {
                // Sent; the answer is asked for less often the longer it takes (or at once on a callback).
                let waited = (Utc::now() - since).to_std().unwrap_or_default();
                let wait = chrono::Duration::from_std(self.policy.ask_again_after(waited))
                    .unwrap_or(chrono::Duration::hours(1));
                outbox::await_answer(&self.db, job, &progress, Utc::now() + wait).await
            }
            Ok(Delivered::Accepted(reference)) => {
                tracing::info!(case = %case.reference, attempt = job.attempt, "delivered to the authority");
                self.counters.count(&job.kind, Outcome::Done);
                outbox::delivered(&self.db, job, reference.as_deref(), Utc::now()).await
            }
            Err(failure) => self.failed(job, &case.reference, failure).await,
        }
    }

    /// Schedules another attempt, or gives up after the last one (or at once when trying again
    /// cannot help); giving up is logged at error level for operators.
    async fn failed(&self, job: &JobRow, what: &str, failure: Failure) -> sqlx::Result<()> {
        let now = Utc::now();
        match failure {
            Failure::Retry(reason) if job.attempt < self.policy.max_attempts => {
                tracing::warn!(job = %what, attempt = job.attempt, %reason, "an outbox job failed; trying again later");
                self.counters.count(&job.kind, Outcome::Retry);
                let wait = chrono::Duration::from_std(self.policy.wait_after(job.attempt))
                    .unwrap_or(chrono::Duration::hours(1));
                outbox::retry_later(&self.db, job, now + wait, &reason).await
            }
            Failure::ClaimLost => {
                tracing::warn!(job = %what, attempt = job.attempt, "another worker has claimed this outbox job; this attempt stops");
                Ok(())
            }
            Failure::Retry(reason) | Failure::Permanent(reason) => {
                tracing::error!(job = %what, attempt = job.attempt, %reason, "an outbox job failed for good; it waits for an operator");
                self.counters.count(&job.kind, Outcome::GivenUp);
                outbox::give_up(&self.db, job, &reason, now).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_awaited_for_fifteen_days_is_asked_for_a_few_hundred_times() {
        let policy = Policy {
            max_attempts: 40,
            first_retry: Duration::from_secs(10),
            lease: Duration::from_secs(61),
        };
        assert_eq!(policy.ask_again_after(Duration::ZERO), Duration::from_secs(30));
        assert_eq!(
            policy.ask_again_after(Duration::from_secs(3000)),
            Duration::from_secs(300)
        );
        assert_eq!(policy.ask_again_after(Duration::from_secs(86_400)), LONGEST_WAIT);
        let (mut waited, mut polls) = (Duration::ZERO, 0);
        while waited < Duration::from_secs(15 * 86_400) {
            waited += policy.ask_again_after(waited);
            polls += 1;
        }
        assert!((300..500).contains(&polls), "{polls} polls");
    }

    #[test]
    fn retries_wait_twice_as_long_each_time_with_jitter_up_to_an_hour() {
        let policy = Policy {
            max_attempts: 40,
            first_retry: Duration::from_secs(10),
            lease: Duration::from_secs(61),
        };
        for (attempt, full) in [(1, 10), (2, 20), (3, 40), (10, 3600), (40, 3600)] {
            for _ in 0..50 {
                let wait = policy.wait_after(attempt).as_secs_f64();
                assert!(
                    (full as f64 / 2.0..=full as f64).contains(&wait),
                    "attempt {attempt}: {wait}"
                );
            }
        }
    }
}
