//! Vertrauensniveau: how sure the portal is about who a citizen is.

use serde::{Deserialize, Serialize};

/// Ordered from weakest to strongest, so `<` compares levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLevel {
    Basis,
    Substanziell,
    Hoch,
}

impl TrustLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basis => "basis",
            Self::Substanziell => "substanziell",
            Self::Hoch => "hoch",
        }
    }

    /// Translation keys of the level's name and of what a citizen needs to reach it.
    pub fn label_keys(self) -> (&'static str, &'static str) {
        match self {
            Self::Basis => ("trust-basis-name", "trust-basis-text"),
            Self::Substanziell => ("trust-substanziell-name", "trust-substanziell-text"),
            Self::Hoch => ("trust-hoch-name", "trust-hoch-text"),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "basis" => Ok(Self::Basis),
            "substanziell" => Ok(Self::Substanziell),
            "hoch" => Ok(Self::Hoch),
            other => Err(format!(
                "'{other}' is not a trust level, use basis, substanziell or hoch"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_round_trip() {
        assert!(TrustLevel::Basis < TrustLevel::Substanziell);
        assert!(TrustLevel::Substanziell < TrustLevel::Hoch);
        for level in [TrustLevel::Basis, TrustLevel::Substanziell, TrustLevel::Hoch] {
            assert_eq!(TrustLevel::parse(level.as_str()), Ok(level));
        }
        assert!(TrustLevel::parse("Hoch").is_err());
    }
}
