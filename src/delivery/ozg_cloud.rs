//! OZG-Cloud intake: `POST {url}` (the intake's `/antrag`) as `multipart/form-data` with one part
//! `formData` (JSON `{control, formData}`), the receipt PDF as `representation`, and each evidence
//! file as a part `attachment` with its name and type. The answer names the
//! Vorgang: `{transactionId, vorgang: {vorgangId, vorgangNummer, status, statusSince}}`; its
//! `vorgangNummer` is the authority's reference shown to the citizen.
//!
//! Field names as two independent clients send them (`../shared/reference/handoff.md`, A.1–A.3). The
//! intake has no authentication of its own (access is restricted on the network), so none is sent.

use std::collections::BTreeMap;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::{CaseFile, Failure, answer_json, describe, failure_for, host};
use crate::db::applications::SummaryLine;
use crate::db::outbox::CaseToDeliver;
use crate::db::payments::PaidFee;
use crate::domain::{Money, TrustLevel};
use crate::payment::xbezahldienste::Euros;

pub struct Intake<'a> {
    pub url: &'a str,
    pub zustaendige_stelle: &'a str,
    pub service_konto_type: &'a str,
}

pub async fn send(
    http: &reqwest::Client,
    intake: &Intake<'_>,
    case: &CaseToDeliver,
    receipt: Vec<u8>,
    files: Vec<CaseFile>,
) -> Result<Option<String>, Failure> {
    let form_data = Part::text(form_data(intake, case).to_string())
        .mime_str("application/json")
        .map_err(|e| Failure::Permanent(format!("OZG-Cloud formData part: {e}")))?;
    let representation = Part::bytes(receipt)
        .file_name(format!("Antrag-{}.pdf", case.reference))
        .mime_str("application/pdf")
        .map_err(|e| Failure::Permanent(format!("OZG-Cloud representation part: {e}")))?;
    let mut form = Form::new()
        .part("formData", form_data)
        .part("representation", representation);
    for file in files {
        let mime = file.mime();
        let part = Part::bytes(file.content)
            .file_name(file.row.name)
            .mime_str(mime)
            .map_err(|e| Failure::Permanent(format!("OZG-Cloud attachment part: {e}")))?;
        form = form.part("attachment", part);
    }
    let response = http
        .post(intake.url)
        .multipart(form)
        .send()
        .await
        .map_err(|e| Failure::Retry(format!("OZG-Cloud {}: {}", host(intake.url), describe(&e))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failure_for(
            status,
            format!("OZG-Cloud {} answered {status}", host(intake.url)),
        ));
    }
    // A 2xx means the intake has the case. Sending it again for want of a readable Vorgang would
    // make a second one: nothing shows that the intake recognises a repeated transactionId.
    let answer = answer_json(response).await.unwrap_or_default();
    let nummer = answer
        .pointer("/vorgang/vorgangNummer")
        .or_else(|| answer.pointer("/vorgang/vorgangId"))
        .and_then(Value::as_str);
    if nummer.is_none() {
        tracing::warn!(case = %case.reference, "OZG-Cloud accepted the case without naming its Vorgang");
    }
    Ok(nummer.map(|n| n.chars().filter(|c| !c.is_control()).take(100).collect()))
}

/// `{control, formData}`: who the case is for and the answers as a tree of sections and fields,
/// each value as the citizen saw it.
fn form_data(intake: &Intake<'_>, case: &CaseToDeliver) -> Value {
    let service = case.service_name.as_deref().unwrap_or(&case.service_slug);
    let mut control = json!({
        "transactionId": case.id,
        "zustaendigeStelle": intake.zustaendige_stelle,
        "organisationsEinheitenId": intake.zustaendige_stelle,
        "leikaIds": case.leistungsschluessel.iter().collect::<Vec<_>>(),
        "formId": case.service_slug,
        "name": service,
    });
    // Only an identified citizen has a Servicekonto in OZG-Cloud's sense (handoff reference: omitted
    // when the user is not identified); a basis login is not identified.
    let identified = TrustLevel::parse(&case.trust_level).is_ok_and(|level| level > TrustLevel::Basis);
    if let Some(account_id) = case.account_id.as_ref().filter(|_| identified) {
        control["serviceKonto"] = json!({
            "type": intake.service_konto_type,
            "trustLevel": stork_level(&case.trust_level),
            "postfachAddress": {"identifier": account_id, "type": "Citizen"},
        });
    }
    let mut form_data = tree(&case.summary.0);
    if let Some(paid) = &case.paid {
        form_data.push(payment_section(paid));
    }
    json!({"control": control, "formData": form_data})
}

/// The fee paid online as a section of its own: OZG-Cloud's intake names no field for payments,
/// so the authority reads it as it reads the answers.
fn payment_section(paid: &PaidFee) -> Value {
    let mut items = vec![json!({
        "name": "betrag",
        "label": "Gebühr online bezahlt (Euro)",
        "numberValue": serde_json::to_value(Euros(Money::from_cents(paid.amount_cents))).unwrap_or_default(),
    })];
    for (name, label, value) in super::paid_fee_facts(paid) {
        items.push(json!({"name": name, "label": label, "stringValue": value}));
    }
    json!({"name": "zahlung", "label": "Gebühr", "formItems": items})
}

/// eIDAS levels in the STORK-QAA terms OZG-Cloud uses.
fn stork_level(trust_level: &str) -> &'static str {
    match TrustLevel::parse(trust_level) {
        Ok(TrustLevel::Hoch) => "STORK-QAA-Level-4",
        Ok(TrustLevel::Substanziell) => "STORK-QAA-Level-3",
        _ => "STORK-QAA-Level-1",
    }
}

fn tree(lines: &[SummaryLine]) -> Vec<Value> {
    let mut sections: Vec<(String, String, Vec<Value>)> = Vec::new();
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let step = if line.step.is_empty() {
            format!("abschnitt_{i}")
        } else {
            line.step.clone()
        };
        if sections.last().is_none_or(|(name, _, _)| *name != step) {
            sections.push((step.clone(), line.section.clone(), Vec::new()));
        }
        // A repeated field (a repeating group) gets `<id>_<n>` from its second row on.
        let base = if line.field.is_empty() {
            format!("feld_{i}")
        } else {
            line.field.clone()
        };
        let seen = used.entry(format!("{step}/{base}")).or_default();
        *seen += 1;
        let name = if *seen == 1 { base } else { format!("{base}_{seen}") };
        if let Some((_, _, items)) = sections.last_mut() {
            items.push(json!({"name": name, "label": line.label, "stringValue": line.value}));
        }
    }
    sections
        .into_iter()
        .map(|(name, label, items)| json!({"name": name, "label": label, "formItems": items}))
        .collect()
}
