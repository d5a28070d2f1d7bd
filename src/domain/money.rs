//! Amounts of money in integer euro cents.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money {
    cents: i64,
}

impl Money {
    pub fn from_cents(cents: i64) -> Self {
        Self { cents }
    }

    pub fn cents(self) -> i64 {
        self.cents
    }

    /// Parses a euro amount as written in configuration: `"30"`, `"30.7"` or `"30.70"`.
    pub fn parse_euros(raw: &str) -> Result<Self, String> {
        let error = || format!("'{raw}' is not an amount in euros, write it like \"30.70\"");
        let (euros, cents) = raw.split_once('.').unwrap_or((raw, "0"));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(euros) || !all_digits(cents) || cents.len() > 2 || euros.len() > 9 {
            return Err(error());
        }
        let euros: i64 = euros.parse().map_err(|_| error())?;
        let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| error())?;
        Ok(Self {
            cents: euros * 100 + cents,
        })
    }

    /// German notation: `30,70 €`, `-0,35 €`.
    pub fn to_german(self) -> String {
        let (sign, euros, cents) = self.parts();
        format!("{sign}{euros},{cents:02} €")
    }

    /// English notation: `€30.70`, `-€0.35`.
    pub fn to_english(self) -> String {
        let (sign, euros, cents) = self.parts();
        format!("{sign}€{euros}.{cents:02}")
    }

    /// Sign, whole euros and cents, so a negative amount (a computed refund) shows its minus once.
    fn parts(self) -> (&'static str, u64, u64) {
        let sign = if self.cents < 0 { "-" } else { "" };
        let amount = self.cents.unsigned_abs();
        (sign, amount / 100, amount % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_amounts_show_one_minus() {
        assert_eq!(Money::from_cents(-1535).to_german(), "-15,35 €");
        assert_eq!(Money::from_cents(-35).to_german(), "-0,35 €");
        assert_eq!(Money::from_cents(-35).to_english(), "-€0.35");
        assert_eq!(Money::from_cents(3070).to_german(), "30,70 €");
    }

    #[test]
    fn parses_euro_amounts_into_cents() {
        assert_eq!(Money::parse_euros("30.70").map(Money::cents), Ok(3070));
        assert_eq!(Money::parse_euros("30.7").map(Money::cents), Ok(3070));
        assert_eq!(Money::parse_euros("12").map(Money::cents), Ok(1200));
        assert_eq!(Money::parse_euros("0.05").map(Money::cents), Ok(5));
    }

    #[test]
    fn rejects_malformed_amounts() {
        for bad in ["", "-1", "1,50", "1.505", "abc", ".5", "5.", "1e3", "9999999999"] {
            assert!(Money::parse_euros(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn formats_in_both_languages() {
        let fee = Money::from_cents(3070);
        assert_eq!(fee.to_german(), "30,70 €");
        assert_eq!(fee.to_english(), "€30.70");
    }
}
