//! Server-side sessions: a random id in an HttpOnly cookie, its hash in the database, idle and absolute
//! timeouts, a new id at login and at every trust-level change, deletion at logout.
//!
//! A session also exists before login, so the login and registration forms carry a CSRF token.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpMessage, HttpRequest};
use chrono::{DateTime, Duration, Utc};

use super::token;
use crate::db::Db;
use crate::db::accounts::{self, SessionRow};
use crate::domain::TrustLevel;
use crate::error::AppError;

/// A session in use. Only the hash of its id is known here; the id itself lives in the cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub account_id: Option<String>,
    pub trust_level: Option<TrustLevel>,
    pub csrf_token: String,
    /// When the citizen last proved who they are with a login of this account (linking a further
    /// provider login does not count); for a session before login, when it began.
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The account's name or e-mail address, for the header; `None` before login.
    pub holder: Option<String>,
    /// The account's messages not read yet, for the header.
    pub unread_messages: i32,
}

/// A logged-in citizen's session.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub account_id: String,
    pub trust_level: TrustLevel,
    pub session: Session,
}

/// Marks a request that read a session: its response must not be cached.
#[derive(Debug, Clone, Copy)]
pub struct Personal;

/// The session this request carries, once read (`None`: no valid one): a second read in the same
/// request, and the page's header, use it instead of asking the database again.
#[derive(Debug, Clone)]
struct Known(Option<Session>);

/// What the response must do with the session cookie; the middleware applies it.
#[derive(Debug, Clone)]
pub enum CookieChange {
    Set(String),
    Clear,
}

#[derive(Clone)]
pub struct Sessions {
    db: Db,
    secure: bool,
    idle: Duration,
    absolute: Duration,
}

/// Sessions that never logged in live shorter: they only carry a form's CSRF token.
const ANONYMOUS_LIFETIME: Duration = Duration::hours(2);
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);
/// Sensitive changes without a password to ask for (the e-mail address of an account without one,
/// linking a further provider login) need a login at most this old (ASVS 3.7.1).
const RECENT_LOGIN: Duration = Duration::minutes(10);

impl Sessions {
    pub fn new(db: Db, secure: bool, idle_minutes: i64, absolute_hours: i64) -> Self {
        Self {
            db,
            secure,
            idle: Duration::minutes(idle_minutes),
            absolute: Duration::hours(absolute_hours),
        }
    }

    /// Whether cookies are marked Secure (the portal is served over https).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// `__Host-` binds the cookie to this host and path `/`, but browsers accept it only over https.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure { "__Host-bp_session" } else { "bp_session" }
    }

    pub fn cookie(&self, value: &CookieChange) -> Cookie<'static> {
        let mut cookie = Cookie::build(self.cookie_name(), "")
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish();
        match value {
            CookieChange::Set(id) => cookie.set_value(id.clone()),
            CookieChange::Clear => cookie.make_removal(),
        }
        cookie
    }

    /// The valid session named by the cookie, if any. Expired sessions are deleted on sight.
    pub async fn current(&self, req: &HttpRequest) -> Result<Option<Session>, AppError> {
        req.extensions_mut().insert(Personal);
        if let Some(Known(session)) = req.extensions().get::<Known>() {
            return Ok(session.clone());
        }
        let session = match self.cookie_hash(req) {
            Some(id_hash) => match accounts::session(&self.db, &id_hash).await? {
                Some(row) => self.admit(row).await?,
                None => None,
            },
            None => None,
        };
        req.extensions_mut().insert(Known(session.clone()));
        Ok(session)
    }

    /// Whether this request names a session (so that a page must read it to show who is logged in).
    pub fn is_named(&self, req: &HttpRequest) -> bool {
        req.cookie(self.cookie_name()).is_some() || req.extensions().get::<CookieChange>().is_some()
    }

    /// What `read` takes from the session this request has read so far, if it read a valid one.
    pub fn known<T>(req: &HttpRequest, read: impl FnOnce(&Session) -> T) -> Option<T> {
        match req.extensions().get::<Known>() {
            Some(Known(Some(session))) => Some(read(session)),
            _ => None,
        }
    }

    /// The hash of the session id this request carries: from the cookie, or from a session started
    /// earlier in this request (not in the request's cookie yet).
    fn cookie_hash(&self, req: &HttpRequest) -> Option<String> {
        let started = match req.extensions().get::<CookieChange>() {
            Some(CookieChange::Set(id)) => Some(id.clone()),
            _ => None,
        };
        started
            .or_else(|| req.cookie(self.cookie_name()).map(|c| c.value().to_owned()))
            .map(|id| token::hash(&id))
    }

    /// A stored session, if it has not expired (an expired one is deleted); touched at most once a
    /// minute.
    async fn admit(&self, row: SessionRow) -> Result<Option<Session>, AppError> {
        let now = Utc::now();
        if row.expires_at <= now || row.last_seen_at + self.idle <= now {
            accounts::delete_session(&self.db, &row.id_hash).await?;
            return Ok(None);
        }
        if now - row.last_seen_at >= TOUCH_INTERVAL {
            accounts::touch_session(&self.db, &row.id_hash, now).await?;
        }
        Ok(Some(Session {
            trust_level: row.trust_level.as_deref().and_then(|t| TrustLevel::parse(t).ok()),
            id_hash: row.id_hash,
            account_id: row.account_id,
            csrf_token: row.csrf_token,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_seen_at: now,
            holder: row.holder,
            unread_messages: row.unread_messages.unwrap_or_default(),
        }))
    }

    /// The current session, or a new anonymous one (for a form's CSRF token).
    pub async fn current_or_start(&self, req: &HttpRequest) -> Result<Session, AppError> {
        match self.current(req).await? {
            Some(session) => Ok(session),
            None => {
                let now = Utc::now();
                self.start(req, None, None, now, now + ANONYMOUS_LIFETIME).await
            }
        }
    }

    /// The logged-in citizen, or `LoginRequired` that sends them to the login page and back here.
    pub async fn citizen(&self, req: &HttpRequest) -> Result<Citizen, AppError> {
        match self.current(req).await? {
            Some(session) => Self::logged_in(session).ok_or_else(|| login_required(req)),
            None => Err(login_required(req)),
        }
    }

    /// The logged-in citizen and what `fetch` reads in the same query as the session row (given
    /// the session id's hash): one round trip to the database instead of two on a hot path.
    pub async fn citizen_with<T>(
        &self,
        req: &HttpRequest,
        fetch: impl AsyncFnOnce(&str) -> sqlx::Result<Option<(SessionRow, T)>>,
    ) -> Result<(Citizen, T), AppError> {
        req.extensions_mut().insert(Personal);
        if let Some(id_hash) = self.cookie_hash(req)
            && let Some((row, fetched)) = fetch(&id_hash).await?
            && let Some(session) = self.admit(row).await?
            && let Some(citizen) = Self::logged_in(session)
        {
            req.extensions_mut().insert(Known(Some(citizen.session.clone())));
            return Ok((citizen, fetched));
        }
        Err(login_required(req))
    }

    fn logged_in(session: Session) -> Option<Citizen> {
        let (Some(account_id), Some(trust_level)) = (session.account_id.clone(), session.trust_level) else {
            return None;
        };
        Some(Citizen {
            account_id,
            trust_level,
            session,
        })
    }

    /// Logs in with a new session id: the session before login (which an attacker could have planted)
    /// is deleted. `logged_in_at` is now, or the earlier login's time when a login only linked a
    /// further provider.
    pub async fn log_in(
        &self,
        req: &HttpRequest,
        previous: Option<&Session>,
        account_id: &str,
        trust_level: TrustLevel,
        logged_in_at: DateTime<Utc>,
    ) -> Result<Session, AppError> {
        if let Some(previous) = previous {
            accounts::delete_session(&self.db, &previous.id_hash).await?;
        }
        let expires_at = Utc::now() + self.absolute;
        self.start(req, Some(account_id), Some(trust_level), logged_in_at, expires_at)
            .await
    }

    pub async fn log_out(&self, req: &HttpRequest, session: &Session) -> Result<(), AppError> {
        accounts::delete_session(&self.db, &session.id_hash).await?;
        req.extensions_mut().insert(CookieChange::Clear);
        req.extensions_mut().insert(Known(None));
        Ok(())
    }

    async fn start(
        &self,
        req: &HttpRequest,
        account_id: Option<&str>,
        trust_level: Option<TrustLevel>,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Session, AppError> {
        let id = token::random_token();
        let now = Utc::now();
        let row = SessionRow {
            id_hash: token::hash(&id),
            account_id: account_id.map(str::to_owned),
            trust_level: trust_level.map(|t| t.as_str().to_owned()),
            csrf_token: token::random_token(),
            device: coarse_device(req),
            created_at,
            last_seen_at: now,
            expires_at,
            holder: None,
            unread_messages: None,
        };
        accounts::create_session(&self.db, &row).await?;
        let session = Session {
            id_hash: row.id_hash,
            account_id: row.account_id,
            trust_level,
            csrf_token: row.csrf_token,
            created_at,
            expires_at,
            last_seen_at: now,
            holder: None,
            unread_messages: 0,
        };
        req.extensions_mut().insert(CookieChange::Set(id));
        req.extensions_mut().insert(Known(Some(session.clone())));
        Ok(session)
    }
}

impl Session {
    /// Whether the login behind this session is recent enough for a sensitive change.
    pub fn logged_in_recently(&self) -> bool {
        Utc::now() - self.created_at <= RECENT_LOGIN
    }

    /// A form's CSRF token must be this session's (synchronizer token pattern).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if token::equal_in_constant_time(&self.csrf_token, submitted) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Sends the citizen to the login page and back to this request's page.
fn login_required(req: &HttpRequest) -> AppError {
    AppError::LoginRequired(req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned())
}

/// Browser and system, coarse enough not to fingerprint anyone: "Firefox · Windows".
pub fn coarse_device(req: &HttpRequest) -> String {
    let agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map_or("Browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map_or("unbekanntes System", |(_, name)| name);
    format!("{browser} · {system}")
}
