//! Bürgerportal: a server-rendered citizen service portal for German public administration.
//!
//! `startup::Application` builds the whole app; `main.rs` only parses the command line.

pub mod attachments;
pub mod auth;
pub mod catalogue;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod housekeeping;
pub mod i18n;
pub mod mail;
pub mod metrics;
mod middleware;
pub mod payment;
pub mod pdf;
pub mod query;
pub mod remote;
mod routes;
pub mod startup;
pub mod telemetry;
pub mod tenancy;
pub mod worker;
pub mod workflow;
