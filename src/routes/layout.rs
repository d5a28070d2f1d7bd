//! What every page's frame needs: language, site (tenant or state-wide), links for the language switch,
//! and who is logged in.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Either, LocalBoxFuture, Ready, ready};

use crate::auth::session::Sessions;
use crate::error::AppError;
use crate::i18n::{HtmlText, Lang};
use crate::tenancy::Site;

pub struct Layout {
    pub lang: Lang,
    pub site: Site,
    /// The current page in the other language.
    pub switch_href: String,
    /// Who is logged in, for the header; `None` for a visitor who is not.
    pub account: Option<HeaderAccount>,
}

/// The header of a logged-in citizen: their name or address, and the token of the "Abmelden" form.
pub struct HeaderAccount {
    pub name: Option<String>,
    /// Messages in the Postfach not read yet.
    pub unread: i32,
    pub csrf_token: String,
}

impl Layout {
    pub fn new(req: &HttpRequest, site: Site) -> Self {
        let lang = Lang::of(req);
        let mut query: Vec<&str> = req
            .query_string()
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("lang="))
            .collect();
        let other = format!("lang={}", lang.other().code());
        query.push(&other);
        let switch_href = format!("{}?{}", normalized_path(req.path()), query.join("&"));
        // The header shows the session if this request has read it: the extractor reads it when the
        // request names one; a draft's pages read it together with the draft.
        let account = Sessions::known(req, |session| {
            session.account_id.is_some().then(|| HeaderAccount {
                name: session.holder.clone(),
                unread: session.unread_messages,
                csrf_token: session.csrf_token.clone(),
            })
        })
        .flatten();
        Self {
            lang,
            site,
            switch_href,
            account,
        }
    }

    /// The frame of this request's page without reading anything: the header shows the session
    /// only if the request has read it already.
    pub fn of(req: &HttpRequest) -> Result<Self, AppError> {
        Site::resolve(req).map(|site| Self::new(req, site))
    }

    /// A text for the page, already escaped; in Rust code use `lang.t`.
    pub fn t<'a>(&self, key: &'a str) -> HtmlText<'a> {
        self.lang.html(key)
    }

    /// The name in the header: the tenant's, or the portal's.
    pub fn site_name(&self) -> &str {
        match &self.site.tenant {
            Some(tenant) => &tenant.name,
            None => self.lang.t("portal-name"),
        }
    }

    /// Link inside the current site, e.g. `href("/leistungen")`.
    pub fn href(&self, path: &str) -> String {
        format!("{}{}", self.site.base, path)
    }

    pub fn home_href(&self) -> String {
        if self.site.base.is_empty() {
            "/".to_owned()
        } else {
            format!("{}/", self.site.base)
        }
    }
}

/// The path with empty segments removed and backslashes read as slashes (as browsers do), so a
/// link built from it stays on this site: `//evil.example/x` becomes `/evil.example/x`.
fn normalized_path(path: &str) -> String {
    let segments: Vec<&str> = path.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
    let trailing = if path.ends_with(['/', '\\']) && !segments.is_empty() {
        "/"
    } else {
        ""
    };
    format!("/{}{trailing}", segments.join("/"))
}

/// Reads the session when the request names one, so the header can say who is logged in; a request
/// without a session cookie reads nothing (and its page stays cacheable).
impl FromRequest for Layout {
    type Error = AppError;
    type Future = Either<Ready<Result<Self, AppError>>, LocalBoxFuture<'static, Result<Self, AppError>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let site = match Site::resolve(req) {
            Ok(site) => site,
            Err(e) => return Either::Left(ready(Err(e))),
        };
        match req.app_data::<web::Data<Sessions>>() {
            Some(sessions) if sessions.is_named(req) => {
                let (req, sessions) = (req.clone(), sessions.clone());
                Either::Right(Box::pin(async move {
                    sessions.current(&req).await?;
                    Ok(Self::new(&req, site))
                }))
            }
            _ => Either::Left(ready(Ok(Self::new(req, site)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalized_path;

    #[test]
    fn paths_that_browsers_read_as_another_host_stay_on_this_site() {
        assert_eq!(normalized_path("//evil.example/x"), "/evil.example/x");
        assert_eq!(normalized_path("/\\evil.example/x"), "/evil.example/x");
        assert_eq!(normalized_path("///"), "/");
        assert_eq!(normalized_path("/"), "/");
        assert_eq!(normalized_path("/musterstadt/leistungen/"), "/musterstadt/leistungen/");
        assert_eq!(normalized_path("/konto"), "/konto");
    }
}
