//! Pure domain types: parsed once at the edge, no I/O in here.

pub mod account;
pub mod case_status;
pub mod destination;
pub mod evidence;
pub mod form;
pub mod leistungsschluessel;
pub mod message;
pub mod money;
pub mod payment;
pub mod reference;
pub mod search;
pub mod text;
pub mod topic;
pub mod trust;

pub use case_status::CaseStatus;
pub use evidence::FileType;
pub use leistungsschluessel::Leistungsschluessel;
pub use money::Money;
pub use topic::Topic;
pub use trust::TrustLevel;
