//! `/vorgang/<reference>/unterlagen.zip`: a case's documents for the citizen to keep, in one ZIP: the
//! receipt, each message, decision and reply (its text, with when it was made available, and its
//! files), and the evidence sent with the application.

use actix_web::{HttpRequest, HttpResponse, web};

use super::submit::CasePath;
use super::{Drafts, receipt_of, service_name};
use crate::attachments::Attachments;
use crate::db::attachments as db_attachments;
use crate::db::messages::{self, PostfachRow};
use crate::domain::message::label_key;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pdf::ReceiptFonts;
use crate::routes::Layout;
use crate::routes::spooled_zip::{Compression, SpooledZip};
use crate::tenancy::{Directory, TenantDirectory};

pub async fn documents(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<CasePath>,
    drafts: Drafts,
    fonts: web::Data<ReceiptFonts>,
    files: web::Data<Attachments>,
    directory: Directory,
) -> Result<HttpResponse, AppError> {
    let (tenant, case) = drafts.case(&req, &layout, &path.reference).await?;
    let account_id = drafts.sessions.citizen(&req).await?.account_id;
    let lang = layout.lang;
    let (case_id, reference) = (case.id.clone(), case.reference.clone());
    let service = service_name(&drafts.cache, &drafts.db, &tenant.id, &case.service_slug, lang).await?;
    let receipt = receipt_of(&drafts.db, case, tenant.name.clone(), service, lang, fonts).await?;
    let mut thread = messages::of_account(&drafts.db, &account_id, Some(&case_id), None, i64::MAX).await?;
    thread.reverse();
    let message_files = messages::files_of_case(&drafts.db, &case_id, &account_id).await?;
    let evidence = db_attachments::files_of_case(&drafts.db, &case_id, &account_id).await?;

    let zip = SpooledZip::create(files.spool_path("zip"));
    let receipt_name = format!("{}-{reference}.pdf", lang.t("receipt-file"));
    zip.add(&receipt_name, receipt.into(), Compression::Deflated).await?;
    // Oldest first, numbered, so that the folder lists them in order.
    for (n, message) in thread.iter().enumerate() {
        let folder = format!(
            "{}/{:02}-{}",
            lang.t("case-documents-messages"),
            n + 1,
            lang.t(label_key(&message.kind))
        );
        let text = message_text(lang, &directory, message);
        zip.add(
            &format!("{folder}/{}.txt", lang.t("case-documents-text")),
            text.into(),
            Compression::Deflated,
        )
        .await?;
        for file in message_files.iter().filter(|f| f.message_id == message.id) {
            zip.copy(
                &format!("{folder}/{}", entry_name(file.id.as_str(), &file.name)),
                &files,
                &file.storage_key,
            )
            .await?;
        }
    }
    for file in &evidence {
        let name = format!(
            "{}/{}",
            lang.t("case-documents-evidence"),
            entry_name(&file.id, &file.name)
        );
        zip.copy(&name, &files, &file.storage_key).await?;
    }
    zip.download(&req, &format!("{}-{reference}.zip", lang.t("case-documents-file")))
        .await
}

/// A message as plain text: what it is, from whom, when it was made available, and what it says.
fn message_text(lang: Lang, directory: &TenantDirectory, message: &PostfachRow) -> String {
    let from = if message.direction == "from_citizen" {
        lang.t("case-documents-from-you").to_owned()
    } else {
        lang.t1("postfach-from", "authority", directory.name_of(&message.tenant_id))
    };
    let made_available = lang.t1(
        "postfach-made-available",
        "date",
        lang.date_time(message.made_available_at),
    );
    format!(
        "{}: {}\r\n{from}\r\n{made_available}\r\n\r\n{}\r\n",
        lang.t(label_key(&message.kind)),
        message.subject,
        message.body.replace('\n', "\r\n")
    )
}

/// A file's name in the ZIP: the end of its id first, which keeps two files of one name apart.
fn entry_name(id: &str, name: &str) -> String {
    format!("{}-{name}", &id[id.len().saturating_sub(8)..])
}
