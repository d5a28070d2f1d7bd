//! From what a citizen typed to values: cleaning, and the checks of single answers (dates, amounts,
//! IBAN, postcode, phone, e-mail). Everything here is forgiving about format and strict about meaning.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use validator::ValidateEmail;

use crate::domain::{Money, text};

/// Longest text kept of any single answer, whatever its limit: enough to show the citizen their
/// too-long text again, not enough to fill the database.
pub const MAX_KEPT_CHARS: usize = 10_000;

/// One line of text: control characters removed, spaces trimmed.
pub fn clean_line(raw: &str) -> String {
    text::one_line(raw, MAX_KEPT_CHARS)
}

/// Several lines of text: line breaks kept (as `\n`), other control characters removed.
pub fn clean_lines(raw: &str) -> String {
    text::lines(raw, MAX_KEPT_CHARS)
}

/// A number as Germans and others write it: `1234`, `1.234,5`, `1234,5`, `1234.5`, `-3`.
pub fn parse_number(raw: &str) -> Option<Decimal> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() || compact.len() > 30 {
        return None;
    }
    let unsigned = compact.strip_prefix('-').unwrap_or(&compact);
    let normalised = if compact.contains(',') {
        compact.replace('.', "").replace(',', ".")
    } else if is_thousands_grouped(unsigned) {
        compact.replace('.', "")
    } else {
        compact.clone()
    };
    let valid = normalised
        .strip_prefix('-')
        .unwrap_or(&normalised)
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    if !valid || normalised.matches('.').count() > 1 {
        return None;
    }
    Decimal::from_str_exact(&normalised).ok()
}

/// `1.234` or `12.345.678`: dots between groups of three digits.
fn is_thousands_grouped(s: &str) -> bool {
    let mut groups = s.split('.');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    let mut rest = groups.peekable();
    first_ok && rest.peek().is_some() && rest.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// The largest amount a citizen can type: a billion euros.
pub const LARGEST_INPUT_CENTS: i64 = 100_000_000_000;

/// An amount in euros: `30`, `30,70`, `1.030,70 €`, `30.70 EUR`. At most two decimals, not negative,
/// at most `LARGEST_INPUT_CENTS`.
pub fn parse_money(raw: &str) -> Option<Money> {
    let trimmed = raw
        .trim()
        .trim_end_matches("EUR")
        .trim_end_matches('€')
        .trim_start_matches('€');
    let n = parse_number(trimmed)?;
    if n < Decimal::ZERO || n.round_dp(2) != n {
        return None;
    }
    n.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|cents| cents.to_i64())
        .filter(|cents| *cents <= LARGEST_INPUT_CENTS)
        .map(Money::from_cents)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    Incomplete,
    NotADate,
}

/// A date from its three inputs; the year must have four digits.
pub fn parse_date(day: &str, month: &str, year: &str) -> Result<NaiveDate, DateProblem> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    if day.is_empty() || month.is_empty() || year.is_empty() {
        return Err(DateProblem::Incomplete);
    }
    let number = |s: &str, max_len: usize| -> Option<u32> {
        (s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (Some(d), Some(m), Some(y)) = (number(day, 2), number(month, 2), number(year, 4)) else {
        return Err(DateProblem::NotADate);
    };
    if year.len() != 4 {
        return Err(DateProblem::NotADate);
    }
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(DateProblem::NotADate)
}

/// An IBAN with a valid check number (ISO 13616, mod 97), printed in groups of four.
pub fn parse_iban(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
        || (compact.starts_with("DE") && bytes.len() != 22)
    {
        return None;
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut remainder: u32 = 0;
    for b in rearranged {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    if remainder != 1 {
        return None;
    }
    let groups: Vec<&str> = compact
        .as_bytes()
        .chunks(4)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    Some(groups.join(" "))
}

/// A German postcode: five digits.
pub fn is_postcode(raw: &str) -> bool {
    raw.len() == 5 && raw.bytes().all(|b| b.is_ascii_digit())
}

/// A phone number: digits with the usual separators, 6 to 20 digits.
pub fn is_phone(raw: &str) -> bool {
    let digits = raw.bytes().filter(u8::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && raw.chars().all(|c| c.is_ascii_digit() || " +-/()".contains(c))
        && raw.chars().skip(1).all(|c| c != '+')
}

pub fn is_email(raw: &str) -> bool {
    raw.len() <= 254 && raw.validate_email()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_removes_control_characters_and_keeps_line_breaks_only_in_lines() {
        assert_eq!(clean_line("  An\u{0}na\u{7}\n "), "Anna");
        assert_eq!(clean_lines("Zeile 1\r\nZeile 2\u{1b}"), "Zeile 1\nZeile 2");
        assert_eq!(
            clean_line("\u{202e}مرحبا 🐕"),
            "\u{202e}مرحبا 🐕"
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
        );
        assert_eq!(clean_line(&"x".repeat(20_000)).len(), MAX_KEPT_CHARS);
    }

    #[test]
    fn numbers_in_german_and_english_notation() {
        let number = |text: &str| parse_number(text).map(|n| n.to_string());
        assert_eq!(number("1234").as_deref(), Some("1234"));
        assert_eq!(number("1.234").as_deref(), Some("1234"));
        assert_eq!(number("1.234,5").as_deref(), Some("1234.5"));
        assert_eq!(number("12,5").as_deref(), Some("12.5"));
        assert_eq!(number("12.5").as_deref(), Some("12.5"));
        assert_eq!(number("-3").as_deref(), Some("-3"));
        assert_eq!(number("-1.234").as_deref(), Some("-1234"));
        // Exact: no binary fraction in between.
        assert_eq!(number("0,1").as_deref(), Some("0.1"));
        let too_long = "9".repeat(40);
        for bad in [
            "",
            "abc",
            "1,2,3",
            "1e5",
            "NaN",
            "inf",
            "1.2.3",
            "--1",
            too_long.as_str(),
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_of_money() {
        assert_eq!(parse_money("30,70 €").map(Money::cents), Some(3070));
        assert_eq!(parse_money("1.030,70").map(Money::cents), Some(103_070));
        assert_eq!(parse_money("12 EUR").map(Money::cents), Some(1200));
        assert_eq!(parse_money("2,67").map(Money::cents), Some(267));
        assert_eq!(
            parse_money("1.000.000.000").map(Money::cents),
            Some(LARGEST_INPUT_CENTS)
        );
        let huge = "9".repeat(27);
        for bad in ["-5", "1,234", "abc", "", "1.000.000.000,01", huge.as_str()] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_from_three_inputs() {
        assert_eq!(
            parse_date("27", "3", "1990"),
            Ok(NaiveDate::from_ymd_opt(1990, 3, 27).unwrap())
        );
        assert_eq!(parse_date("", "3", "1990"), Err(DateProblem::Incomplete));
        assert_eq!(parse_date("30", "2", "2024"), Err(DateProblem::NotADate));
        assert_eq!(parse_date("1", "1", "90"), Err(DateProblem::NotADate));
        assert_eq!(parse_date("a", "1", "1990"), Err(DateProblem::NotADate));
        assert_eq!(parse_date("1", "13", "1990"), Err(DateProblem::NotADate));
    }

    #[test]
    fn iban_check_number() {
        assert_eq!(
            parse_iban("de89 3704 0044 0532 0130 00").as_deref(),
            Some("DE89 3704 0044 0532 0130 00")
        );
        assert_eq!(
            parse_iban("GB82WEST12345698765432").as_deref(),
            Some("GB82 WEST 1234 5698 7654 32")
        );
        assert_eq!(parse_iban("DE88 3704 0044 0532 0130 00"), None, "wrong check digits");
        assert_eq!(parse_iban("DE89 3704 0044 0532 0130"), None, "too short for DE");
        assert_eq!(parse_iban("DE89-3704"), None);
        assert_eq!(parse_iban("ÄÖ89370400440532013000"), None);
    }

    #[test]
    fn postcodes_phones_and_mail() {
        assert!(is_postcode("10115"));
        assert!(!is_postcode("1011") && !is_postcode("10115a") && !is_postcode("１０１１５"));
        assert!(is_phone("+49 30 1234567") && is_phone("030/123 45-67"));
        assert!(!is_phone("12345") && !is_phone("030 1234 +5") && !is_phone("call me"));
        assert!(is_email("anna@example.de") && !is_email("anna@") && !is_email("<script>@x.de"));
    }
}
