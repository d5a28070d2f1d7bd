use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn start_page_offers_search_place_finder_topics_and_authorities() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Verwaltung online erledigen");
    assert!(page.body.contains(r#"<html lang="de">"#));
    assert!(page.body.contains(r#"action="/leistungen""#));
    assert!(page.body.contains(r#"action="/zustaendigkeit""#));
    assert!(page.body.contains(r#"href="/leistungen?thema=umwelt""#));
    assert!(
        !page.body.contains("thema=gesundheit"),
        "topics without services are not offered"
    );
    assert!(page.body.contains(r#"href="/musterstadt/""#));
    assert!(page.body.contains(r#"href="/landkreis-musterland/""#));
}

#[tokio::test]
async fn search_finds_services_by_german_word_stems() {
    let app = spawn_app().await;
    for (query, expected, not_expected) in [
        ("Hund", "Hund anmelden (Hundesteuer)", "Wohngeld beantragen"),
        ("Hunde", "Hund abmelden (Hundesteuer)", "Gewerbe anmelden"),
        ("hundesteuer", "Hund anmelden (Hundesteuer)", "Wohngeld beantragen"),
        ("Sperrmüll", "Sperrmüllabholung anmelden", "Hund anmelden (Hundesteuer)"),
        ("Miete Zuschuss", "Wohngeld beantragen", "Sperrmüllabholung anmelden"),
    ] {
        let page = app.get(&format!("/leistungen?q={query}")).await;
        assert_eq!(page.status, 200, "{query}");
        assert!(page.body.contains(expected), "'{query}' did not find '{expected}'");
        assert!(!page.body.contains(not_expected), "'{query}' found '{not_expected}'");
    }
}

/// A search on a tenant's pages finds that tenant's services only, for a word that others have too.
#[tokio::test]
async fn a_tenants_search_finds_its_own_services() {
    let app = spawn_app().await;
    for (tenant, own, other) in [
        ("musterstadt", "Gewerbe anmelden", "Sperrmüllabholung anmelden"),
        ("landkreis-musterland", "Sperrmüllabholung anmelden", "Gewerbe anmelden"),
    ] {
        let page = app.get(&format!("/{tenant}/leistungen?q=anmelden")).await;
        assert!(page.body.contains(own), "{tenant}: {}", page.body);
        assert!(!page.body.contains(other), "{tenant}: {}", page.body);
    }
}

#[tokio::test]
async fn search_in_english_finds_english_names() {
    let app = spawn_app().await;
    let page = app.get("/leistungen?q=housing&lang=en").await;
    assert!(
        page.body.contains("Apply for housing benefit (Wohngeld)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Register a dog"));
}

#[tokio::test]
async fn no_match_says_so_and_suggests_what_to_do() {
    let app = spawn_app().await;
    let page = app.get("/leistungen?q=Raumfahrtbehoerde").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Keine Leistung gefunden"));
    assert!(page.body.contains("Versuchen Sie andere Suchwörter"));
}

#[tokio::test]
async fn catalogue_filters_by_topic_authority_and_place() {
    let app = spawn_app().await;
    let by_topic = app.get("/leistungen?thema=umwelt").await;
    assert!(by_topic.body.contains("1 Leistung gefunden"), "{}", by_topic.body);
    assert!(by_topic.body.contains("Sperrmüllabholung anmelden"));

    let by_tenant = app.get("/leistungen?mandant=landkreis-musterland").await;
    assert!(by_tenant.body.contains("3 Leistungen gefunden"));
    assert!(!by_tenant.body.contains("Anwohnerparkausweis"));

    // Beispielheim belongs to the district but not to the town.
    let by_place = app.get("/leistungen?ort=71997").await;
    assert!(by_place.body.contains("Wohngeld beantragen"));
    assert!(!by_place.body.contains("Anwohnerparkausweis beantragen"));
    let by_place_name = app.get("/leistungen?ort=Musterstadt&q=Hund").await;
    assert!(by_place_name.body.contains("Hund anmelden"));
}

#[tokio::test]
async fn a_tenant_catalogue_lists_only_its_own_services() {
    let app = spawn_app().await;
    let page = app.get("/musterstadt/leistungen").await;
    assert!(page.body.contains("8 Leistungen gefunden"), "{}", page.body);
    assert!(!page.body.contains("Wohngeld beantragen"));
    assert!(
        page.body
            .contains(r#"href="/musterstadt/leistungen/anwohnerparkausweis""#)
    );
    assert!(
        !page.body.contains(r#"id="mandant""#),
        "no authority filter inside one authority"
    );
}

/// The cards of a list are rendered once and kept; the same search on another site or in the other
/// language must not get them.
#[tokio::test]
async fn kept_service_cards_stay_right_for_each_site_and_language() {
    let app = spawn_app().await;
    let state_wide = "/leistungen?mandant=landkreis-musterland";
    for _ in 0..2 {
        let german = app.get(state_wide).await;
        assert!(
            german
                .body
                .contains(r#"href="/landkreis-musterland/leistungen/wohngeld""#)
        );
        assert!(german.body.contains("Wohngeld beantragen"));
        assert!(german.body.contains("<dt>Zuständig</dt>"));

        let on_its_host = app.get_with("/leistungen", &[("Host", "musterland.localhost")]).await;
        assert!(
            on_its_host.body.contains(r#"href="/leistungen/wohngeld""#),
            "links stay on the tenant's host: {}",
            on_its_host.body
        );
        assert!(!on_its_host.body.contains("/landkreis-musterland/leistungen/"));

        let english = app.get(&format!("{state_wide}&lang=en")).await;
        assert!(english.body.contains("Apply for housing benefit (Wohngeld)"));
        assert!(english.body.contains("<dt>Responsible</dt>"), "{}", english.body);
        assert!(!english.body.contains("Wohngeld beantragen"));
    }
}

#[tokio::test]
async fn service_page_tells_cost_evidence_login_and_duration() {
    let app = spawn_app().await;
    let page = app.get("/musterstadt/leistungen/anwohnerparkausweis").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Anwohnerparkausweis beantragen");
    for expected in [
        "30,70 € (für 12 Monate)",
        "Fahrzeugschein (Zulassungsbescheinigung Teil I)",
        "Servicekonto mit E-Mail-Adresse",
        "etwa 1 Woche",
        "99050012104000",
        r#"href="/musterstadt/leistungen/anwohnerparkausweis/antrag""#,
        "Jetzt starten",
    ] {
        assert!(page.body.contains(expected), "missing {expected}");
    }
    let free = app.get("/musterstadt/leistungen/fundsache-melden").await;
    assert!(free.body.contains("kostenlos"));
    let eid = app
        .get("/landkreis-musterland/leistungen/fahrzeug-ausser-betrieb-setzen")
        .await;
    assert!(eid.body.contains("Online-Ausweis"));
}

#[tokio::test]
async fn english_service_page_without_translation_marks_the_german_text() {
    let app = spawn_app().await;
    let page = app.get("/musterstadt/leistungen/hund-abmelden?lang=en").await;
    assert!(page.body.contains(r#"<html lang="en">"#));
    assert!(page.body.contains(r#"<article class="kern-stack-lg" lang="de">"#));
    assert!(page.body.contains("What you need"));
}

#[tokio::test]
async fn start_application_needs_a_login_then_opens_the_form() {
    let app = spawn_app().await;
    let start = "/musterstadt/leistungen/gewerbeanmeldung/antrag";
    let anonymous = app.get(start).await;
    assert_eq!(
        anonymous.location().as_deref(),
        Some("/anmelden?weiter=%2Fmusterstadt%2Fleistungen%2Fgewerbeanmeldung%2Fantrag")
    );
    let browser = app.browser();
    let email = format!("gewerbe.{}@example.de", uuid::Uuid::now_v7().simple());
    browser.register_and_log_in(&email, "Kaffeetasse Fahrrad Birke").await;
    let page = browser.get(start).await;
    assert_eq!(page.status, 200, "a link creates nothing");
    assert_eq!(app.count("SELECT COUNT(*) FROM draft").await, 0);
    let forged = browser.post(start, &[("csrf_token", "fremd")]).await;
    assert_eq!(forged.status, 403);
    let begun = browser.post(start, &[("csrf_token", &page.csrf_token())]).await;
    assert_eq!(begun.status, 303);
    let draft = begun.location().unwrap();
    assert!(draft.starts_with("/musterstadt/antrag/"), "{draft}");

    // Once begun, "Jetzt starten" continues it, and beginning again makes no second draft.
    assert_eq!(browser.get(start).await.location(), Some(draft.clone()));
    let again = browser.post(start, &[("csrf_token", &page.csrf_token())]).await;
    assert_eq!(again.location(), Some(draft));
    assert_eq!(app.count("SELECT COUNT(*) FROM draft").await, 1);
}

#[tokio::test]
async fn two_drafts_of_one_service_cannot_exist_even_when_begun_at_once() {
    let app = spawn_app().await;
    let start = "/musterstadt/leistungen/gewerbeanmeldung/antrag";
    let browser = app.browser();
    let email = format!("doppelt.{}@example.de", uuid::Uuid::now_v7().simple());
    browser.register_and_log_in(&email, "Kaffeetasse Fahrrad Birke").await;
    let token = browser.get(start).await.csrf_token();
    let fields = [("csrf_token", token.as_str())];
    let clicks = (0..8).map(|_| browser.post(start, &fields));
    let answers = futures_util::future::join_all(clicks).await;
    let drafts: std::collections::BTreeSet<_> = answers.iter().map(|a| a.location().unwrap()).collect();
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM draft").await, 1);
}

#[tokio::test]
async fn a_service_without_a_form_tells_how_to_apply_instead() {
    let catalogue = crate::helpers::copy_of_demo_tenants();
    std::fs::remove_file(catalogue.path().join("musterstadt/forms/gewerbeanmeldung.toml")).unwrap();
    let dir = catalogue.path().to_path_buf();
    let app = crate::helpers::spawn_with(|s| s.tenants_dir = dir).await;
    let browser = app.browser();
    browser
        .register_and_log_in("gewerbe@example.de", "Kaffeetasse Fahrrad Birke")
        .await;
    let page = browser.get("/musterstadt/leistungen/gewerbeanmeldung/antrag").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Gewerbe anmelden");
    assert!(page.body.contains("buergerbuero@musterstadt.example"));
}

#[tokio::test]
async fn responsibility_finds_authorities_by_postcode_and_name() {
    let app = spawn_app().await;
    let by_postcode = app.get("/zustaendigkeit?ort=71997").await;
    assert!(by_postcode.body.contains("71997 Beispielheim"));
    assert!(by_postcode.body.contains(r#"href="/landkreis-musterland/leistungen""#));
    assert!(!by_postcode.body.contains(r#"href="/musterstadt/leistungen""#));

    let by_name = app.get("/zustaendigkeit?ort=muster").await;
    assert!(
        by_name.body.contains(r#"href="/musterstadt/leistungen""#),
        "{}",
        by_name.body
    );
    assert!(by_name.body.contains(r#"href="/landkreis-musterland/leistungen""#));

    let unknown = app.get("/zustaendigkeit?ort=00000").await;
    assert!(unknown.body.contains("keine Behörde gefunden"));
    let wildcard = app.get("/zustaendigkeit?ort=%25").await;
    assert!(
        wildcard.body.contains("keine Behörde gefunden"),
        "LIKE wildcards are not patterns"
    );
}

#[tokio::test]
async fn hostile_query_strings_get_a_page_never_a_500() {
    let app = spawn_app().await;
    let long = "Hund ".repeat(2000);
    for path in [
        format!("/leistungen?q={long}"),
        "/leistungen?q=%00%01%1B%7F%C2%85".into(),
        "/leistungen?q=%FF%FE%80".into(),
        "/leistungen?q=%E2%80%AEtlah".into(),
        "/leistungen?q=%22*%20OR%20NEAR(a%20b)%20%5E".into(),
        "/leistungen?q=%27%3B%20DROP%20TABLE%20service%3B--".into(),
        "/leistungen?q=a&q=b".into(),
        "/leistungen?seite=-1&thema=nix&mandant=%00".into(),
        "/leistungen?seite=99999999999999999999".into(),
        format!("/zustaendigkeit?ort={}", "7".repeat(10_000)),
        "/zustaendigkeit?ort=%FF".into(),
    ] {
        let page = app.get(&path).await;
        assert!(matches!(page.status, 200 | 400), "{path} gave {}", page.status);
        assert!(page.body.contains("</html>"), "{path} has no page");
    }
    assert_eq!(app.get("/readyz").await.status, 200, "the database survived");
}

#[tokio::test]
async fn search_input_is_echoed_escaped() {
    let app = spawn_app().await;
    let page = app.get("/leistungen?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert!(
        page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn many_tenants_page_the_list_and_hide_the_authority_select() {
    let catalogue = tempfile::tempdir().unwrap();
    for n in 0..60 {
        crate::tenants::write_tenant(
            catalogue.path(),
            &format!("gemeinde-{n:03}"),
            &format!("Gemeinde {n:03}"),
        );
    }
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir).await;
    let first = app.get("/leistungen").await;
    assert!(first.body.contains("Ergebnisse, Seite 1"), "{}", first.body);
    assert!(first.body.contains(r#"href="/leistungen?seite=2" rel="next""#));
    assert!(!first.body.contains(r#"id="mandant""#));
    let last = app.get("/leistungen?seite=3").await;
    assert!(last.body.contains(r#"rel="prev""#));
    assert!(!last.body.contains(r#"rel="next""#));

    // A word every tenant's service carries pages the same way, best matches first.
    let found = app.get("/leistungen?q=Fundsache").await;
    assert_eq!(found.body.matches("Fundsache melden").count(), 20, "{}", found.body);
    assert!(found.body.contains("seite=2\" rel=\"next\""), "{}", found.body);
    let third = app.get("/leistungen?q=Fundsache&seite=3").await;
    assert_eq!(third.body.matches("Fundsache melden").count(), 20);
    assert!(!third.body.contains(r#"rel="next""#));
    // Within one tenant: its one service; at a place of none of them: nothing, said plainly.
    let one = app.get("/gemeinde-007/leistungen?q=Fundsache").await;
    assert_eq!(one.body.matches("Fundsache melden").count(), 1);
    let nowhere = app.get("/leistungen?q=Fundsache&ort=01067").await;
    assert_eq!(nowhere.status, 200);
    assert_eq!(nowhere.body.matches("Fundsache melden").count(), 0);
}

#[tokio::test]
async fn stop_words_punctuation_and_search_operators_get_a_normal_page() {
    let app = spawn_app().await;
    for q in [
        "der%20die%20das%20und",
        "!!!%20...%20%3F%3F%3F",
        "%26%20%7C%20!%20%3A*%20%22%22%20()%20%3C-%3E",
        "Hund%3A*%20%26%20!Katze",
        "%22Hund%22%20%7C%20%22Katze%22",
    ] {
        let page = app.get(&format!("/leistungen?q={q}")).await;
        assert_eq!(page.status, 200, "{q}: {}", page.body);
        assert!(page.body.contains("</html>"), "{q}");
    }
    let hund = app.get("/leistungen?q=Hund%3A*%20%26%20!Katze").await;
    assert!(
        hund.body.contains("Hund anmelden"),
        "operators are words, not syntax: {}",
        hund.body
    );
}

/// Anonymous visitors choose what a node caches (every search, every path), so each cache is bounded
/// and made-up names are not kept: operators see both on the metrics listener.
#[tokio::test]
async fn what_anonymous_visitors_make_a_node_keep_is_bounded() {
    let app = spawn_with(|s| s.metrics_listen = "127.0.0.1:0".into()).await;
    const PAGES: &str = "buergerportal_catalogue_cache_entries{cache=\"service_pages\"}";
    const SEARCHES: &str = "buergerportal_catalogue_cache_entries{cache=\"searches\"}";
    const FRAGMENT_BYTES: &str = "buergerportal_catalogue_cache_fragment_bytes";

    assert_eq!(app.get("/musterstadt/leistungen/hund-abmelden").await.status, 200);
    for n in 0..20 {
        assert_eq!(
            app.get(&format!("/musterstadt/leistungen/erfunden-{n}")).await.status,
            404
        );
        assert_eq!(
            app.get(&format!("/erfunden-{n}/leistungen/hund-abmelden")).await.status,
            404
        );
    }
    assert_eq!(app.metric(PAGES).await, 1.0, "only the service that exists");

    assert!(app.get("/leistungen?q=Hund").await.body.contains("Hund abmelden"));
    assert_eq!(app.metric(SEARCHES).await, 1.0);
    assert!(app.metric(FRAGMENT_BYTES).await > 0.0);
    let words: Vec<String> = (0..2_100).map(|n| format!("/leistungen?q=wort{n}")).collect();
    for some in words.chunks(25) {
        let pages = futures_util::future::join_all(some.iter().map(|path| app.get(path))).await;
        assert!(pages.iter().all(|page| page.status == 200));
    }
    let searches = app.metric(SEARCHES).await;
    assert!((1_000.0..=2_000.0).contains(&searches), "{searches} searches kept");
    assert!(app.metric(FRAGMENT_BYTES).await <= f64::from(16u32 << 20));
}
