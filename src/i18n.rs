//! German first, English second: the page language from `?lang=`, then the `lang` cookie.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Berlin;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use rustc_hash::FxHashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "de",
        // Unicode isolation marks around arguments would end up in attributes and plain text mails.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The messages without arguments, formatted once: a page shows dozens of them per request. The keys
/// are our own identifiers, so the map uses a fast hash rather than one that resists chosen keys.
static TEXTS: LazyLock<[FxHashMap<&'static str, Text>; 2]> = LazyLock::new(|| {
    [
        formatted(Lang::De, include_str!("../locales/de/main.ftl")),
        formatted(Lang::En, include_str!("../locales/en/main.ftl")),
    ]
});

/// One message as plain text (mails, PDFs, values built in code) and escaped once for HTML.
struct Text {
    plain: String,
    html: String,
}

fn formatted(lang: Lang, source: &'static str) -> FxHashMap<&'static str, Text> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|line| line.split_once(" ="))
        .filter(|(_, value)| !value.contains('$'))
        .map(|(id, _)| {
            let plain = LOCALES.lookup(lang.id(), id);
            let Ok(html) = askama::filters::escape(&plain, askama::filters::Html);
            let html = html.to_string();
            (id, Text { plain, html })
        })
        .collect()
}

/// A message of ours, HTML-escaped when the texts were loaded: templates write it as it is instead
/// of escaping the same words on every request.
#[derive(Clone, Copy)]
pub struct HtmlText<'a>(&'a str);

impl fmt::Display for HtmlText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl askama::FastWritable for HtmlText<'_> {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn askama::Values) -> askama::Result<()> {
        Ok(dest.write_str(self.0)?)
    }
}

impl askama::filters::HtmlSafe for HtmlText<'_> {}

static GERMAN: LanguageIdentifier = langid!("de");
static ENGLISH: LanguageIdentifier = langid!("en");
pub const LANG_COOKIE: &str = "lang";

/// The calendar day of a point in time in Germany, where the authorities are.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Berlin).date_naive()
}

/// The end of a German day: the next day's local midnight, in UTC.
pub fn end_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day).and_time(chrono::NaiveTime::MIN);
    // Germany changes clocks at 2 or 3 o'clock, never at midnight; `earliest` covers it anyway.
    next.and_local_timezone(Berlin)
        .earliest()
        .map_or_else(|| next.and_utc(), |local| local.with_timezone(&Utc))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "de" => Some(Self::De),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// `?lang=` wins over the cookie; German when neither says otherwise.
    pub fn of(req: &HttpRequest) -> Self {
        Self::requested(req)
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Self::parse(c.value())))
            .unwrap_or_default()
    }

    /// The language asked for in the query string, if any.
    pub fn requested(req: &HttpRequest) -> Option<Self> {
        req.query_string()
            .split('&')
            .find_map(|pair| pair.strip_prefix("lang="))
            .and_then(Self::parse)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }

    /// The other language, offered by the language switch.
    pub fn other(self) -> Self {
        match self {
            Self::De => Self::En,
            Self::En => Self::De,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Self::De => &GERMAN,
            Self::En => &ENGLISH,
        }
    }

    /// An amount as written in this language: "30,70 €" or "€30.70".
    pub fn money(self, amount: crate::domain::Money) -> String {
        match self {
            Self::De => amount.to_german(),
            Self::En => amount.to_english(),
        }
    }

    /// The text for `key`; a missing key shows as the key itself (a test keeps both languages complete).
    pub fn t(self, key: &str) -> &str {
        TEXTS[self as usize].get(key).map_or(key, |text| text.plain.as_str())
    }

    /// The text for `key`, escaped for HTML. A missing key shows as the key: our keys are made of
    /// `[a-z0-9-]`, which needs no escaping.
    pub fn html(self, key: &str) -> HtmlText<'_> {
        HtmlText(TEXTS[self as usize].get(key).map_or(key, |text| text.html.as_str()))
    }

    /// The text for `key` with one argument, e.g. `count` in "{ $count } Leistungen gefunden".
    pub fn t1(self, key: &str, name: &'static str, value: impl Into<FluentValue<'static>>) -> String {
        self.tn(key, [(name, value.into())])
    }

    /// A point in time as citizens read it: German local time, never UTC.
    pub fn date_time(self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&Berlin);
        match self {
            Self::De => local.format("%d.%m.%Y, %H:%M Uhr").to_string(),
            Self::En => local.format("%-d %B %Y, %H:%M").to_string(),
        }
    }

    /// The time of day only: "14:05 Uhr".
    pub fn clock(self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&Berlin);
        match self {
            Self::De => local.format("%H:%M Uhr").to_string(),
            Self::En => local.format("%H:%M").to_string(),
        }
    }

    /// The text for `key` with several arguments.
    pub fn tn<const N: usize>(self, key: &str, args: [(&'static str, FluentValue<'static>); N]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .into_iter()
            .map(|(name, value)| (Cow::Borrowed(name), value))
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &args)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_are_shown_in_german_local_time_in_winter_and_summer() {
        let winter = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
        assert_eq!(Lang::De.date_time(winter), "01.12.2026, 00:30 Uhr");
        assert_eq!(local_date(winter), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 12, 5, 0).unwrap();
        assert_eq!(Lang::De.clock(summer), "14:05 Uhr");
        assert_eq!(Lang::En.date_time(summer), "1 July 2026, 14:05");
    }

    #[test]
    fn a_german_day_ends_at_local_midnight() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(
            end_of_local_day(day(11, 30)),
            Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap()
        );
        assert_eq!(
            end_of_local_day(day(7, 1)),
            Utc.with_ymd_and_hms(2026, 7, 1, 22, 0, 0).unwrap()
        );
        // The night the clocks go back (25 October 2026) is an hour longer.
        assert_eq!(
            end_of_local_day(day(10, 24)),
            Utc.with_ymd_and_hms(2026, 10, 24, 22, 0, 0).unwrap()
        );
        assert_eq!(
            end_of_local_day(day(10, 25)),
            Utc.with_ymd_and_hms(2026, 10, 25, 23, 0, 0).unwrap()
        );
    }
}
