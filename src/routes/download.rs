//! Stored evidence files as downloads, for their owner and for the tenant's backend.

use actix_web::HttpResponse;
use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue, HeaderValue,
};

use crate::attachments::Attachments;
use crate::db::attachments::AttachmentRow;
use crate::domain::FileType;

/// A stored file as a download that a browser never shows in the portal's origin: an attachment,
/// of the type its content was found to be, with `nosniff`.
pub async fn stored_file(row: AttachmentRow, attachments: &Attachments) -> anyhow::Result<HttpResponse> {
    let content = attachments.open(&row.storage_key).await?;
    let mime = FileType::mime_of_stored(&row.file_type);
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(row.name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect()),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: row.name.into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header(disposition)
        .insert_header(("x-content-type-options", HeaderValue::from_static("nosniff")))
        .insert_header(("cache-control", HeaderValue::from_static("private, no-store")))
        .no_chunking(u64::try_from(row.size).unwrap_or_default())
        .streaming(content))
}
