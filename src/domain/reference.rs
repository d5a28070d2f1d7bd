//! Aktenzeichen for citizens: short, readable aloud, with a check character.
//!
//! Eight random characters of Crockford's base-32 alphabet (no I, L, O, U: nothing to confuse) and a
//! check character by the Luhn mod 32 algorithm, which catches every single wrong character and
//! every swap of two neighbours but 0 and Z. Written `7K3P-9QX2-M`.

use rand::RngExt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_CHARS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let digits: Vec<usize> = (0..RANDOM_CHARS).map(|_| rng.random_range(0..32)).collect();
        Self::from_digits(&digits)
    }

    fn from_digits(digits: &[usize]) -> Self {
        let check = check_digit(digits);
        let chars: String = digits.iter().map(|d| char::from(ALPHABET[*d])).collect();
        Self(format!(
            "{}-{}-{}",
            &chars[..4],
            &chars[4..],
            char::from(ALPHABET[check])
        ))
    }

    /// Reads a reference as a citizen may type it: any case, with or without dashes and spaces,
    /// O for 0 and I or L for 1. `None` when the check character does not match.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits: Option<Vec<usize>> = raw
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| {
                let c = match c.to_ascii_uppercase() {
                    'O' => '0',
                    'I' | 'L' => '1',
                    other => other,
                };
                ALPHABET.iter().position(|a| char::from(*a) == c)
            })
            .collect();
        let digits = digits?;
        let (body, check) = digits.split_at_checked(RANDOM_CHARS)?;
        (check.len() == 1 && check_digit(body) == check[0]).then(|| Self::from_digits(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Luhn mod N over base-32 digits: the character that makes the weighted sum divisible by 32.
fn check_digit(digits: &[usize]) -> usize {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let addend = if i % 2 == 0 { d * 2 } else { *d };
        sum += addend / 32 + addend % 32;
    }
    (32 - sum % 32) % 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_references_read_back() {
        for _ in 0..1000 {
            let reference = Reference::generate();
            assert_eq!(reference.as_str().len(), 11);
            assert_eq!(Reference::parse(reference.as_str()), Some(reference.clone()));
            let sloppy = reference.as_str().to_lowercase().replace('-', " ").replace('0', "o");
            assert_eq!(Reference::parse(&sloppy), Some(reference));
        }
    }

    #[test]
    fn every_single_typo_and_neighbour_swap_is_caught() {
        let reference = Reference::from_digits(&[7, 19, 3, 22, 9, 24, 29, 2]);
        let chars: Vec<char> = reference.as_str().replace('-', "").chars().collect();
        for i in 0..chars.len() {
            for replacement in ALPHABET.iter().map(|b| char::from(*b)) {
                if replacement == chars[i] {
                    continue;
                }
                let mut typo = chars.clone();
                typo[i] = replacement;
                assert_eq!(Reference::parse(&typo.iter().collect::<String>()), None);
            }
            if i + 1 < chars.len() && chars[i] != chars[i + 1] {
                let mut swapped = chars.clone();
                swapped.swap(i, i + 1);
                assert_eq!(
                    Reference::parse(&swapped.iter().collect::<String>()),
                    None,
                    "swap at {i}"
                );
            }
        }
    }

    #[test]
    fn garbage_is_not_a_reference() {
        for bad in [
            "",
            "7K3P-9QX2",
            "7K3P-9QX2-MM",
            "ÄÖÜ",
            "7K3P-9QX2-*",
            "'; DROP TABLE cases; --",
        ] {
            assert_eq!(Reference::parse(bad), None, "{bad}");
        }
    }
}
