//! Evidence files on a step: the files of a post become answers (within the field's and the
//! application's limits), a file is removed again, and its owner downloads it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value as Json;

use super::Drafts;
use crate::attachments::{Accepted, Attachments, Refusal};
use crate::db::attachments as db_attachments;
use crate::domain::evidence::UploadedFile;
use crate::domain::form::{Answers, FormDefinition, Kind, Step};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::Layout;
use crate::routes::download::stored_file;
use crate::routes::posted::{Upload, refusal_text};

/// What became of the files of one post.
#[derive(Default)]
pub struct StepFiles {
    /// Files to record with the save, by field id.
    pub added: Vec<(String, Accepted)>,
    /// Storage keys of stored files that are not kept after all (over a field's or the
    /// application's limit).
    pub not_kept: Vec<String>,
    /// For each file not kept: the field id and what to tell the citizen.
    pub refused: Vec<(String, String)>,
}

impl StepFiles {
    /// Deletes every stored file of the post: nothing of it was recorded.
    pub async fn forget(&self, attachments: &Attachments) {
        let mut keys = self.not_kept.clone();
        keys.extend(self.added.iter().map(|(_, a)| a.storage_key.clone()));
        attachments.delete(&keys).await;
    }
}

/// Adds the accepted uploads to their fields' answers, as long as the field takes more files and
/// all files of the application stay within the form's total.
pub fn take_uploads(
    form: &FormDefinition,
    step: &Step,
    answers: &mut Answers,
    uploads: Vec<Upload>,
    lang: Lang,
) -> StepFiles {
    let mut files = StepFiles::default();
    let mut total: u64 = form
        .steps
        .iter()
        .flat_map(|s| &s.fields)
        .filter(|f| matches!(f.kind, Kind::File { .. }))
        .flat_map(|f| UploadedFile::list(answers.get(&f.id)))
        .map(|f| f.size)
        .sum();
    for upload in uploads {
        let Some((field, accept, max_files)) = step.fields.iter().find_map(|f| match &f.kind {
            Kind::File { accept, max_files, .. } if f.id == upload.field => Some((f, accept, *max_files)),
            _ => None,
        }) else {
            continue;
        };
        let say = |refusal| refusal_text(refusal, &upload.name, accept, lang);
        let accepted = match upload.result {
            Ok(accepted) => accepted,
            Err(refusal) => {
                files.refused.push((field.id.clone(), say(refusal)));
                continue;
            }
        };
        let list = answers
            .entry(field.id.clone())
            .or_insert_with(|| Json::Array(Vec::new()));
        if !list.is_array() {
            *list = Json::Array(Vec::new());
        }
        let count = list.as_array().map_or(0, Vec::len);
        let refusal = if count >= max_files {
            Some(Refusal::TooMany { max_files })
        } else if total + accepted.file.size > form.max_upload_bytes {
            Some(Refusal::TotalTooLarge {
                max_bytes: form.max_upload_bytes,
            })
        } else {
            None
        };
        if let Some(refusal) = refusal {
            files.refused.push((field.id.clone(), say(refusal)));
            files.not_kept.push(accepted.storage_key);
            continue;
        }
        total += accepted.file.size;
        if let (Json::Array(items), Ok(item)) = (list, serde_json::to_value(&accepted.file)) {
            items.push(item);
        }
        files.added.push((field.id.clone(), accepted));
    }
    files
}

/// Takes the file with this attachment id out of the step's file answers; the field it was in.
pub fn remove_from_answers(step: &Step, answers: &mut Answers, id: &str) -> Option<String> {
    step.fields
        .iter()
        .filter(|f| matches!(f.kind, Kind::File { .. }))
        .find_map(|field| {
            let Some(Json::Array(items)) = answers.get_mut(&field.id) else {
                return None;
            };
            let before = items.len();
            items.retain(|item| item.get("id").and_then(Json::as_str) != Some(id));
            (items.len() < before).then(|| field.id.clone())
        })
}

#[derive(Deserialize)]
pub struct FilePath {
    draft: String,
    file: String,
}

/// `/antrag/{draft}/datei/{file}`: a file of the citizen's draft.
pub async fn download(
    req: HttpRequest,
    path: web::Path<FilePath>,
    drafts: Drafts,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    let (_, opened) = drafts.open(&req, &path.draft).await?;
    let row = db_attachments::of_draft(&drafts.db, &path.file, &opened.draft.id, &opened.citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(stored_file(row, &attachments).await?)
}

#[derive(Deserialize)]
pub struct CaseFilePath {
    reference: String,
    file: String,
}

/// `/vorgang/{reference}/datei/{file}`: a file the citizen sent with a case.
pub async fn case_download(
    req: HttpRequest,
    layout: Layout,
    path: web::Path<CaseFilePath>,
    drafts: Drafts,
    attachments: web::Data<Attachments>,
) -> Result<HttpResponse, AppError> {
    let (_, case) = drafts.case(&req, &layout, &path.reference).await?;
    let citizen = drafts.sessions.citizen(&req).await?;
    let row = db_attachments::of_case(&drafts.db, &path.file, &case.id, &citizen.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(stored_file(row, &attachments).await?)
}
