//! What a citizen types to get an account: an e-mail address and a password, parsed once.

use validator::ValidateEmail;

/// Why an input was refused; each maps to a message that tells the citizen what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    EmailMissing,
    EmailInvalid,
    PasswordMissing,
    PasswordTooShort,
    PasswordTooLong,
    PasswordCommon,
}

impl InputError {
    /// The translation key of the message.
    pub fn message_key(self) -> &'static str {
        match self {
            Self::EmailMissing => "error-email-missing",
            Self::EmailInvalid => "error-email-invalid",
            Self::PasswordMissing => "error-password-missing",
            Self::PasswordTooShort => "error-password-short",
            Self::PasswordTooLong => "error-password-long",
            Self::PasswordCommon => "error-password-common",
        }
    }
}

/// A syntactically valid e-mail address, trimmed and lower-cased so one person has one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

const MAX_EMAIL_CHARS: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            Err(InputError::EmailMissing)
        } else if email.chars().count() > MAX_EMAIL_CHARS
            || email.chars().any(char::is_control)
            || !email.validate_email()
            || !has_public_domain(&email)
        {
            Err(InputError::EmailInvalid)
        } else {
            Ok(Self(email))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Mail to a citizen goes over the internet: the domain needs a dot ("erika@example" is a typo).
fn has_public_domain(email: &str) -> bool {
    email.rsplit_once('@').is_some_and(|(_, domain)| {
        domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.starts_with('[')
    })
}

/// A password a citizen may choose: at least 12 characters, not one of the commonly used ones.
/// No composition rules (NIST SP 800-63B): length and a check against known passwords and patterns.
pub struct NewPassword(String);

pub const MIN_PASSWORD_CHARS: usize = 12;
/// Bounds the work of hashing; long passphrases remain possible.
pub const MAX_PASSWORD_CHARS: usize = 256;

impl NewPassword {
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, InputError> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err(InputError::PasswordMissing);
        }
        if chars < MIN_PASSWORD_CHARS {
            return Err(InputError::PasswordTooShort);
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(InputError::PasswordTooLong);
        }
        let user_inputs: Vec<&str> = email.map(|e| e.as_str()).into_iter().collect();
        // zxcvbn knows the commonly used passwords, words, keyboard rows and sequences; a score of
        // 0 or 1 means fewer than a million guesses.
        if u8::from(zxcvbn::zxcvbn(raw, &user_inputs).score()) <= 1 {
            return Err(InputError::PasswordCommon);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Erika.Muster@Example.DE ").map(|e| e.0),
            Ok("erika.muster@example.de".into())
        );
        assert_eq!(Email::parse("   "), Err(InputError::EmailMissing));
        for bad in [
            "erika",
            "erika@",
            "erika@example",
            "erika@example.",
            "@example.de",
            "a b@example.de",
            "erika@exa\u{0}mple.de",
            "<script>@x.de",
        ] {
            assert_eq!(Email::parse(bad), Err(InputError::EmailInvalid), "{bad}");
        }
        assert_eq!(
            Email::parse(&format!("{}@example.de", "a".repeat(300))),
            Err(InputError::EmailInvalid)
        );
    }

    #[test]
    fn password_rules_are_length_and_commonness_only() {
        let error = |pw: &str| NewPassword::parse(pw, None).err();
        assert_eq!(error(""), Some(InputError::PasswordMissing));
        assert_eq!(error("kurz"), Some(InputError::PasswordTooShort));
        assert_eq!(error(&"x".repeat(257)), Some(InputError::PasswordTooLong));
        for common in [
            "123456789012",
            "passwordpassword",
            "qwertyuiopasdf",
            "aaaaaaaaaaaa",
            "iloveyou1234",
        ] {
            assert_eq!(error(common), Some(InputError::PasswordCommon), "{common}");
        }
        for fine in [
            "Kaffeetasse Fahrrad Birke",
            "korrekt-pferd-batterie-klammer",
            "nur kleine buchstaben genügen hier",
        ] {
            assert_eq!(error(fine), None, "{fine}");
        }
    }

    #[test]
    fn password_made_of_the_email_address_is_refused() {
        let email = Email::parse("erika.mustermann@example.de").ok();
        assert_eq!(
            NewPassword::parse("erika.mustermann@example.de", email.as_ref()).err(),
            Some(InputError::PasswordCommon)
        );
    }
}
