//! Turns what a citizen typed into full-text search terms, and text into its German word stems.
//!
//! PostgreSQL stems with its own `german` configuration; SQLite's FTS5 has no German stemmer, so the
//! portal indexes and queries SQLite with the Snowball German stems made here.

use rust_stemmers::{Algorithm, Stemmer};

const MAX_WORDS: usize = 8;
const MAX_WORD_CHARS: usize = 40;

/// At most eight words of letters and digits, lower-cased; everything else in the input is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchTerms {
    words: Vec<String>,
}

impl SearchTerms {
    pub fn parse(raw: &str) -> Self {
        let words = words(raw)
            .filter(|w| w.chars().count() <= MAX_WORD_CHARS)
            .take(MAX_WORDS)
            .collect();
        Self { words }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// FTS5 query: every stem as a prefix, all required (`"hund"* "steuer"*`).
    pub fn fts5_query(&self) -> String {
        let stemmer = Stemmer::create(Algorithm::German);
        self.words
            .iter()
            .map(|w| format!("\"{}\"*", stemmer.stem(w)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// PostgreSQL `to_tsquery('german', …)` input: every word as a prefix, all required.
    pub fn tsquery(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// The text as space-separated German stems, for the SQLite index.
pub fn stemmed(text: &str) -> String {
    let stemmer = Stemmer::create(Algorithm::German);
    words(text)
        .map(|w| stemmer.stem(&w).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_words_and_bounds_them() {
        let terms = SearchTerms::parse("  Hund'; DROP TABLE service;-- \u{0}\u{202e}steuer ");
        assert_eq!(terms.words, ["hund", "drop", "table", "service", "steuer"]);
        assert!(SearchTerms::parse("!!! \u{1} ***").is_empty());
        assert_eq!(SearchTerms::parse(&"wort ".repeat(2000)).words.len(), MAX_WORDS);
    }

    #[test]
    fn a_stem_prefix_finds_the_compound() {
        let index = stemmed("Hundesteuer anmelden");
        let query = SearchTerms::parse("Hunde").fts5_query();
        assert_eq!(query, "\"hund\"*");
        assert!(index.split(' ').any(|w| w.starts_with("hund")), "{index}");
    }

    #[test]
    fn builds_tsquery_with_prefixes() {
        assert_eq!(SearchTerms::parse("Müll abholung").tsquery(), "müll:* & abholung:*");
    }
}
