//! `/konto/stammdaten`: the citizen's own details, used later to fill in forms. Details a provider
//! confirmed (from its ID token) are shown but cannot be changed here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;

use crate::auth::session::Sessions;
use crate::db::Db;
use crate::db::accounts::{self, ProfileRow};
use crate::error::AppError;
use crate::routes::Layout;
use crate::routes::page::{Field, respond, see_other, summary};

const MAX_CHARS: usize = 100;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileForm {
    given_name: String,
    family_name: String,
    birth_day: String,
    birth_month: String,
    birth_year: String,
    street_address: String,
    postal_code: String,
    locality: String,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfilePage {
    layout: Layout,
    csrf_token: String,
    confirmed_by: Option<String>,
    fields: Vec<Field>,
    birth: [String; 3],
    birth_error: Option<&'static str>,
    errors: Vec<(&'static str, &'static str)>,
}

#[derive(Default)]
struct Problems {
    given_name: Option<&'static str>,
    family_name: Option<&'static str>,
    birthdate: Option<&'static str>,
    street_address: Option<&'static str>,
    postal_code: Option<&'static str>,
    locality: Option<&'static str>,
}

fn profile_page(
    layout: Layout,
    csrf_token: String,
    confirmed_by: Option<String>,
    form: &ProfileForm,
    problems: &Problems,
) -> ProfilePage {
    let lang = layout.lang;
    let field = |name, label, autocomplete, value: &str, error| {
        Field::new(lang, name, label, "text", autocomplete)
            .value(value)
            .error(lang, error)
    };
    let fields = vec![
        field(
            "given_name",
            "profile-given-name",
            "given-name",
            &form.given_name,
            problems.given_name,
        ),
        field(
            "family_name",
            "profile-family-name",
            "family-name",
            &form.family_name,
            problems.family_name,
        ),
        field(
            "street_address",
            "profile-street",
            "street-address",
            &form.street_address,
            problems.street_address,
        ),
        field(
            "postal_code",
            "profile-postal-code",
            "postal-code",
            &form.postal_code,
            problems.postal_code,
        ),
        field(
            "locality",
            "profile-locality",
            "address-level2",
            &form.locality,
            problems.locality,
        ),
    ];
    let birth_error = problems.birthdate.map(|k| lang.t(k));
    // In page order: the names, the date of birth, the address.
    let mut errors = summary(&fields[..2].iter().collect::<Vec<_>>());
    errors.extend(birth_error.map(|message| ("birth_day", message)));
    errors.extend(summary(&fields[2..].iter().collect::<Vec<_>>()));
    let birth = [
        form.birth_day.clone(),
        form.birth_month.clone(),
        form.birth_year.clone(),
    ];
    ProfilePage {
        layout,
        csrf_token,
        confirmed_by,
        fields,
        birth,
        birth_error,
        errors,
    }
}

impl From<&ProfileRow> for ProfileForm {
    fn from(p: &ProfileRow) -> Self {
        let date = p
            .birthdate
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        Self {
            given_name: p.given_name.clone().unwrap_or_default(),
            family_name: p.family_name.clone().unwrap_or_default(),
            birth_day: date.map(|d| d.day().to_string()).unwrap_or_default(),
            birth_month: date.map(|d| d.month().to_string()).unwrap_or_default(),
            birth_year: date.map(|d| d.year().to_string()).unwrap_or_default(),
            street_address: p.street_address.clone().unwrap_or_default(),
            postal_code: p.postal_code.clone().unwrap_or_default(),
            locality: p.locality.clone().unwrap_or_default(),
            csrf_token: String::new(),
        }
    }
}

pub async fn show(
    req: HttpRequest,
    layout: Layout,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    let profile = accounts::profile(&db, &citizen.account_id).await?.unwrap_or_default();
    let page = profile_page(
        layout,
        citizen.session.csrf_token,
        profile.confirmed_by.clone(),
        &ProfileForm::from(&profile),
        &Problems::default(),
    );
    respond(StatusCode::OK, &page)
}

/// A free text of at most 100 characters without control characters; empty means not given.
fn text(value: &str) -> Result<Option<String>, &'static str> {
    let value = value.trim();
    if value.chars().count() > MAX_CHARS || value.chars().any(char::is_control) {
        Err("error-profile-text")
    } else {
        Ok(Some(value.to_owned()).filter(|v| !v.is_empty()))
    }
}

fn birthdate(form: &ProfileForm) -> Result<Option<String>, &'static str> {
    let parts = [&form.birth_day, &form.birth_month, &form.birth_year].map(|p| p.trim());
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    let [day, month, year] = parts.map(|p| p.parse::<u32>().ok());
    let date = match (day, month, year) {
        (Some(d), Some(m), Some(y)) => i32::try_from(y).ok().and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
        _ => None,
    };
    match date {
        Some(date) if date.year() >= 1900 && date <= crate::i18n::local_date(Utc::now()) => {
            Ok(Some(date.format("%Y-%m-%d").to_string()))
        }
        _ => Err("error-profile-birthdate"),
    }
}

pub async fn save(
    req: HttpRequest,
    layout: Layout,
    form: web::Form<ProfileForm>,
    sessions: web::Data<Sessions>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let citizen = sessions.citizen(&req).await?;
    citizen.session.check_csrf(&form.csrf_token)?;
    let existing = accounts::profile(&db, &citizen.account_id).await?.unwrap_or_default();
    if existing.confirmed_by.is_some() {
        return Err(AppError::Forbidden);
    }
    let postal_code = text(&form.postal_code).and_then(|p| match p {
        Some(code) if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) => Err("error-profile-postal-code"),
        other => Ok(other),
    });
    let (given_name, family_name, street_address, locality, birth) = (
        text(&form.given_name),
        text(&form.family_name),
        text(&form.street_address),
        text(&form.locality),
        birthdate(&form),
    );
    let problems = Problems {
        given_name: given_name.as_ref().err().copied(),
        family_name: family_name.as_ref().err().copied(),
        birthdate: birth.as_ref().err().copied(),
        street_address: street_address.as_ref().err().copied(),
        postal_code: postal_code.as_ref().err().copied(),
        locality: locality.as_ref().err().copied(),
    };
    let (Ok(given_name), Ok(family_name), Ok(birthdate), Ok(street_address), Ok(postal_code), Ok(locality)) =
        (given_name, family_name, birth, street_address, postal_code, locality)
    else {
        let page = profile_page(layout, citizen.session.csrf_token, None, &form, &problems);
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let profile = ProfileRow {
        given_name,
        family_name,
        birthdate,
        street_address,
        postal_code,
        locality,
        country: Some("DE".into()),
        confirmed_by: None,
    };
    accounts::save_profile(&db, &citizen.account_id, &profile, Utc::now()).await?;
    Ok(see_other("/konto"))
}
