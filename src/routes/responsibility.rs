//! "Wer ist zuständig?": from a postcode or municipality name to the responsible authorities.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::Layout;
use super::catalogue::Link;
use crate::db::{Db, catalogue as queries};
use crate::error::AppError;
use crate::tenancy::Directory;

const MAX_INPUT_CHARS: usize = 100;

#[derive(Deserialize)]
pub struct PlaceQuery {
    ort: Option<String>,
}

pub struct PlaceResult {
    pub name: String,
    pub postcode: String,
    pub authorities: Vec<Link>,
}

#[derive(Template, WebTemplate)]
#[template(path = "responsibility.html")]
pub struct ResponsibilityPage {
    layout: Layout,
    ort: String,
    searched: bool,
    places: Vec<PlaceResult>,
}

pub async fn show(
    layout: Layout,
    query: web::Query<PlaceQuery>,
    db: web::Data<Db>,
    directory: Directory,
) -> Result<ResponsibilityPage, AppError> {
    let ort: String = query
        .ort
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_INPUT_CHARS)
        .collect();
    let ort = ort.trim().to_owned();
    let mut places: Vec<PlaceResult> = Vec::new();
    if !ort.is_empty() {
        for row in queries::responsibilities(&db, &ort).await? {
            let Some(tenant) = directory.by_id(&row.tenant_id) else {
                continue;
            };
            let link = Link {
                href: format!("/{}/leistungen", tenant.slug),
                label: tenant.name.clone(),
            };
            match places.last_mut() {
                Some(last) if last.name == row.place_name && last.postcode == row.postcode => {
                    if !last.authorities.iter().any(|l| l.label == link.label) {
                        last.authorities.push(link);
                    }
                }
                _ => places.push(PlaceResult {
                    name: row.place_name,
                    postcode: row.postcode,
                    authorities: vec![link],
                }),
            }
        }
    }
    Ok(ResponsibilityPage {
        layout,
        searched: !ort.is_empty(),
        ort,
        places,
    })
}
