//! The Servicekonto's security machinery: password hashing, sessions, CSRF, rate limits, tokens.

pub mod client_ip;
pub mod csrf;
pub mod oidc;
pub mod password;
pub mod rate_limit;
pub mod session;
pub mod token;
