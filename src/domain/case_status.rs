//! Where a case stands, in the words the backend API uses (DESIGN §3). A case starts as
//! `SUBMITTED`; the authority's backend moves it on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaseStatus {
    Submitted,
    Received,
    Processing,
    ActionRequired,
    Completed,
    Rejected,
    Withdrawn,
}

impl CaseStatus {
    pub const ALL: [Self; 7] = [
        Self::Submitted,
        Self::Received,
        Self::Processing,
        Self::ActionRequired,
        Self::Completed,
        Self::Rejected,
        Self::Withdrawn,
    ];

    /// The name as stored and as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Received => "RECEIVED",
            Self::Processing => "PROCESSING",
            Self::ActionRequired => "ACTION_REQUIRED",
            Self::Completed => "COMPLETED",
            Self::Rejected => "REJECTED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    /// The translation key of the status in the citizen's words.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Submitted => "case-status-submitted",
            Self::Received => "case-status-received",
            Self::Processing => "case-status-processing",
            Self::ActionRequired => "case-status-action-required",
            Self::Completed => "case-status-completed",
            Self::Rejected => "case-status-rejected",
            Self::Withdrawn => "case-status-withdrawn",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_name_is_the_name_in_json_and_parses_back() {
        for status in CaseStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CaseStatus::parse("submitted"), None);
        assert_eq!(CaseStatus::parse(""), None);
    }
}
