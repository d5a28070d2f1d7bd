//! "Mein Vorgang": what happened to a case, in order, as its page shows it.

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::db::applications::CaseRow;
use crate::db::payments::PaidFee;
use crate::db::{case_events, messages};
use crate::domain::CaseStatus;
use crate::error::AppError;
use crate::i18n::Lang;

/// A line of a case's history: when, what, the authority's note, and where to read more.
pub struct Moment {
    at: DateTime<Utc>,
    pub when: String,
    pub what: String,
    pub note: Option<String>,
    pub href: Option<String>,
}

/// What happened to the case, oldest first: sent, paid, delivered, each status the authority set,
/// each message, decision and reply.
pub async fn of(
    db: &Db,
    case: &CaseRow,
    account_id: &str,
    paid: Option<&PaidFee>,
    lang: Lang,
) -> Result<Vec<Moment>, AppError> {
    let moment = |at: DateTime<Utc>, what: String| Moment {
        at,
        when: lang.date_time(at),
        what,
        note: None,
        href: None,
    };
    let mut moments = vec![moment(case.submitted_at, lang.t("case-timeline-sent").to_owned())];
    if let Some(at) = paid.and_then(|paid| paid.paid_at) {
        moments.push(moment(at, lang.t("case-timeline-paid").to_owned()));
    }
    if let Some(at) = case.delivered_at {
        moments.push(moment(at, lang.t("case-timeline-delivered").to_owned()));
    }
    for event in case_events::statuses(db, &case.id, &case.tenant_id).await? {
        let status = CaseStatus::parse(&event.status).unwrap_or(CaseStatus::Submitted);
        let what = lang.t1("case-timeline-status", "status", lang.t(status.label_key()).to_owned());
        moments.push(Moment {
            note: event.note,
            ..moment(event.created_at, what)
        });
    }
    // A case's thread is short; the Postfach pages through long ones.
    for message in messages::of_account(db, account_id, Some(&case.id), None, 200).await? {
        let key = match message.kind.as_str() {
            "decision" => "case-timeline-decision",
            "reply" => "case-timeline-reply",
            _ => "case-timeline-message",
        };
        moments.push(Moment {
            href: Some(format!("/postfach/{}", message.id)),
            ..moment(message.made_available_at, lang.t1(key, "subject", message.subject))
        });
    }
    moments.sort_by_key(|m| m.at);
    Ok(moments)
}
