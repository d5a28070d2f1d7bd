//! Integration tests: HTTP against the started app, on SQLite or PostgreSQL (see helpers.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod api_tokens;
mod applications;
mod backend_api;
mod backend_messages;
mod catalogue;
mod config;
mod delivery;
mod enumeration;
mod evidence;
mod fees;
mod fit_connect;
mod header;
mod health;
mod helpers;
mod i18n;
mod limits;
mod openapi;
mod payment;
mod postfach;
mod provider;
mod security;
mod sensitive;
mod tenants;
