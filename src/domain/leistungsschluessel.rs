//! The LeiKa/FIM service key: `99` followed by twelve digits.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leistungsschluessel(String);

impl Leistungsschluessel {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = raw.len() == 14 && raw.starts_with("99") && raw.bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "'{raw}' is not a Leistungsschlüssel: expected 99 followed by 12 digits"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Leistungsschluessel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_99_and_twelve_digits() {
        assert_eq!(
            Leistungsschluessel::parse("99050012104000").map(|k| k.to_string()),
            Ok("99050012104000".to_owned())
        );
    }

    #[test]
    fn rejects_wrong_prefix_length_and_characters() {
        for bad in [
            "98050012104000",
            "9905001210400",
            "990500121040000",
            "99O50012104000",
            "",
            "99٠٥٠٠١٢١٠٤٠٠٠",
        ] {
            assert!(Leistungsschluessel::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
