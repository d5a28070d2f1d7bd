//! E-mail: the case to the authority's functional mailbox, the answers in the text, the receipt PDF
//! and the evidence files attached. Unlike the citizen's mails this one carries the answers: it is the application.

use super::{CaseFile, Failure};
use crate::db::outbox::CaseToDeliver;
use crate::db::payments::PaidFee;
use crate::domain::Money;
use crate::i18n::Lang;
use crate::mail::Mailer;

pub async fn send(
    mailer: &Mailer,
    to: &str,
    case: &CaseToDeliver,
    receipt: Vec<u8>,
    files: Vec<CaseFile>,
) -> Result<Option<String>, Failure> {
    let service = case.service_name.as_deref().unwrap_or(&case.service_slug);
    let subject = format!("Antrag {}: {service}", case.reference);
    let mut text = format!(
        "Neuer Antrag über das Bürgerportal\n\nVorgangsnummer: {}\nLeistung: {service}\nLeistungsschlüssel: {}\n\
         Eingegangen: {} (UTC)\nVertrauensniveau der Anmeldung: {}\nVorgangs-ID (zur Erkennung von Wiederholungen): {}\n",
        case.reference,
        case.leistungsschluessel.as_deref().unwrap_or("-"),
        case.submitted_at.format("%d.%m.%Y %H:%M"),
        case.trust_level,
        case.id,
    );
    let mut section = "";
    for line in &case.summary.0 {
        if line.section != section {
            section = &line.section;
            text.push_str(&format!("\n{section}\n"));
        }
        text.push_str(&format!("  {}: {}\n", line.label, line.value));
    }
    if let Some(paid) = &case.paid {
        text.push_str(&paid_text(paid));
    }
    let mut attachments = vec![(
        format!("Empfangsbestaetigung-{}.pdf", case.reference),
        "application/pdf".to_owned(),
        receipt,
    )];
    if !files.is_empty() {
        text.push_str("\nNachweise (angehängt, SHA-256):\n");
    }
    for file in files {
        text.push_str(&format!(
            "  {} ({} Bytes): {}\n",
            file.row.name, file.row.size, file.row.sha256
        ));
        let mime = file.mime().to_owned();
        attachments.push((file.row.name, mime, file.content));
    }
    mailer
        .send_to_authority(to, format!("<{}@buergerportal>", case.id), &subject, text, attachments)
        .await
        .map(|()| None)
        .map_err(|e| Failure::Retry(format!("mail to the authority: {e:#}")))
}

/// The fee paid online, with what the authority needs to find it in its books.
fn paid_text(paid: &PaidFee) -> String {
    let mut text = format!(
        "\nGebühr online bezahlt: {}\n",
        Lang::De.money(Money::from_cents(paid.amount_cents))
    );
    for (_, label, value) in super::paid_fee_facts(paid) {
        text.push_str(&format!("  {label}: {value}\n"));
    }
    text
}
