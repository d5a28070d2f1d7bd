use std::collections::BTreeSet;
use std::path::Path;

use crate::helpers::spawn_app;

fn message_ids(file: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
        .collect()
}

fn locales() -> (BTreeSet<String>, BTreeSet<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    (
        message_ids(&root.join("de/main.ftl")),
        message_ids(&root.join("en/main.ftl")),
    )
}

#[test]
fn both_languages_have_the_same_keys() {
    let (de, en) = locales();
    assert!(de.len() > 50, "the German file was not read");
    assert_eq!(
        de.difference(&en).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "missing in English"
    );
    assert_eq!(
        en.difference(&de).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "missing in German"
    );
}

/// Every literal key in templates and code, and every key built at run time, exists.
#[test]
fn every_key_the_portal_uses_exists() {
    let (de, _) = locales();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    let mut stack = vec![root.join("templates"), root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // (what precedes a key, the part of the key the pattern already holds)
            for (pattern, key_start) in [
                (".t(\"", ""),
                (".t1(\"", ""),
                (".tn(\"", ""),
                ("\"form-error-", "form-error-"),
                ("_key: \"", ""),
                ("=> (\"", ""),
                ("Some((\"", ""),
                ("\"trust-", "trust-"),
                ("\"access-", "access-"),
            ] {
                for part in text.split(pattern).skip(1) {
                    let key = format!("{key_start}{}", part.split('"').next().unwrap());
                    if key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && key.contains('-')
                    {
                        used.insert(key);
                    }
                }
            }
        }
    }
    for topic in buergerportal::domain::topic::TOPICS {
        used.insert(topic.label_key.to_owned());
    }
    assert!(used.len() > 60, "the scan found too few keys: {used:?}");
    let missing: Vec<_> = used.difference(&de).collect();
    assert!(missing.is_empty(), "keys without text: {missing:?}");
}

#[tokio::test]
async fn english_is_chosen_by_query_and_remembered_in_a_cookie() {
    let app = spawn_app().await;
    let english = app.get("/?lang=en").await;
    assert!(english.body.contains(r#"<html lang="en">"#));
    assert_eq!(english.h1(), "Deal with public authorities online");
    let cookie = english.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("lang=en") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        english
            .body
            .contains(r#"href="/?lang=de" lang="de" hreflang="de">Deutsch</a>"#)
    );

    let remembered = app.get_with("/leistungen", &[("Cookie", "lang=en")]).await;
    assert_eq!(remembered.h1(), "Find a service");
    let back = app
        .get_with("/leistungen?q=Hund&lang=de", &[("Cookie", "lang=en")])
        .await;
    assert_eq!(back.h1(), "Leistungen finden");
    assert!(
        back.body.contains(r#"href="/leistungen?q=Hund&#38;lang=en""#),
        "{}",
        back.body
    );
}

#[tokio::test]
async fn an_unknown_language_falls_back_to_german() {
    let app = spawn_app().await;
    let page = app.get("/?lang=xx").await;
    assert!(page.body.contains(r#"<html lang="de">"#));
    assert!(page.header("set-cookie").is_none());
}
