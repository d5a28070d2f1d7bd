use std::path::Path;

use buergerportal::catalogue::Catalogue;

use crate::helpers::{copy_of_demo_tenants, spawn_app, spawn_on, spawn_with};

/// Writes a minimal valid tenant with one service into `catalogue/<slug>/`.
pub fn write_tenant(catalogue: &Path, slug: &str, name: &str) {
    let dir = catalogue.join(slug);
    std::fs::create_dir_all(dir.join("services")).unwrap();
    std::fs::write(
        dir.join("tenant.toml"),
        format!(
            r##"slug = "{slug}"
name = "{name}"
area_keys = ["0819900"]
brand_color = "#333333"
[contact]
office = "Rathaus"
address = ["Hauptstraße 1"]
phone = "+49 7000 0"
email = "rathaus@example.org"
[imprint]
authority = "{name}"
represented_by = "Bürgermeisterin"
[privacy]
data_protection_officer_email = "dsb@example.org"
supervisory_authority = "LfDI"
[accessibility]
compliance = "vollstaendig"
feedback_email = "bf@example.org"
enforcement_body = "Schlichtungsstelle"
enforcement_url = "https://example.org/"
reviewed_on = "2026-01-01"
"##
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("services/fundsache.toml"),
        r#"slug = "fundsache"
leistungsschluessel = "99009001001000"
topic = "recht-ordnung"
min_trust_level = "basis"
[de]
name = "Fundsache melden"
summary = "Melden Sie dem Fundbüro, was Sie gefunden haben."
description = "Wer etwas findet, meldet es dem Fundbüro."
processing_time = "2 Tage"
"#,
    )
    .unwrap();
}

/// Musterstadt's service "Anwohnerparkausweis beantragen" becomes "Bewohnerparkausweis beantragen".
fn rename_the_parking_permit(catalogue: &Path) {
    let parking = catalogue.join("musterstadt/services/anwohnerparkausweis.toml");
    let renamed = std::fs::read_to_string(&parking)
        .unwrap()
        .replace("Anwohnerparkausweis beantragen", "Bewohnerparkausweis beantragen");
    std::fs::write(&parking, renamed).unwrap();
}

/// A copy of Musterstadt as the tenant `zweitstadt`, reached by path only; its directory.
fn add_a_twin_of_musterstadt(catalogue: &Path) -> std::path::PathBuf {
    let twin = catalogue.join("zweitstadt");
    crate::helpers::copy_dir(&catalogue.join("musterstadt"), &twin);
    let tenant = std::fs::read_to_string(twin.join("tenant.toml"))
        .unwrap()
        .replace(r#"slug = "musterstadt""#, r#"slug = "zweitstadt""#)
        .replace(r#"hosts = ["musterstadt.localhost"]"#, "hosts = []");
    std::fs::write(twin.join("tenant.toml"), tenant).unwrap();
    twin
}

#[tokio::test]
async fn tenant_is_resolved_by_host_name() {
    let app = spawn_app().await;
    let page = app.get_with("/", &[("Host", "musterland.localhost:8080")]).await;
    assert_eq!(page.h1(), "Landkreis Musterland");
    assert!(
        page.body.contains(r#"href="/leistungen/wohngeld""#),
        "links stay on the host"
    );
    let service = app
        .get_with("/leistungen/sperrmuell", &[("Host", "MUSTERLAND.localhost")])
        .await;
    assert_eq!(service.h1(), "Sperrmüllabholung anmelden");
}

#[tokio::test]
async fn the_portal_answers_on_its_configured_hosts() {
    let app = spawn_with(|s| s.base_url = "https://portal.example".into()).await;
    for host in ["portal.example", "localhost:8080", "LOCALHOST"] {
        assert_eq!(
            app.get_with("/", &[("Host", host)]).await.h1(),
            "Verwaltung online erledigen",
            "{host}"
        );
    }
}

#[tokio::test]
async fn tenant_is_resolved_by_path_prefix() {
    let app = spawn_app().await;
    for path in ["/musterstadt", "/musterstadt/"] {
        let page = app.get(path).await;
        assert_eq!(page.h1(), "Stadt Musterstadt", "{path}");
        assert!(page.body.contains(r#"href="/mandant/musterstadt/theme.css""#));
    }
}

#[tokio::test]
async fn unknown_tenant_service_or_page_is_a_404_page_with_request_id() {
    let app = spawn_app().await;
    for path in [
        "/unbekannt",
        "/unbekannt/leistungen",
        "/musterstadt/leistungen/wohngeld",
        "/musterstadt/leistungen/gibt-es-nicht",
        "/leistungen/wohngeld",
        "/musterstadt/irgendwas/tief",
        "/mandant/unbekannt/theme.css",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.h1(), "Seite nicht gefunden", "{path}");
        let request_id = page.header("x-request-id").expect("request id header");
        assert!(page.body.contains(&request_id), "{path}: the page shows the request id");
    }
    for path in ["/", "/leistungen", "/musterstadt/"] {
        let unknown_host = app.get_with(path, &[("Host", "fremd.example")]).await;
        assert_eq!(unknown_host.status, 404, "{path} on an unknown host");
        assert_eq!(unknown_host.h1(), "Seite nicht gefunden");
    }
    assert_eq!(
        app.get_with("/healthz", &[("Host", "10.0.0.7:8080")]).await.status,
        200,
        "probes use any host"
    );
}

#[tokio::test]
async fn tenant_branding_is_a_stylesheet_and_the_logo_is_sandboxed() {
    let app = spawn_app().await;
    let css = app.get("/mandant/musterstadt/theme.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.body.contains("--portal-brand: #004b87"));
    let logo = app.get("/mandant/musterstadt/logo.svg").await;
    assert_eq!(logo.header("content-type").as_deref(), Some("image/svg+xml"));
    assert!(logo.header("content-security-policy").unwrap().contains("sandbox"));
    assert_eq!(
        app.get("/mandant/landkreis-musterland/logo.svg").await.status,
        404,
        "no logo configured"
    );
}

#[tokio::test]
async fn legal_pages_show_each_tenants_own_facts() {
    let app = spawn_app().await;
    let imprint = app.get("/musterstadt/impressum").await;
    assert_eq!(imprint.h1(), "Impressum");
    assert!(imprint.body.contains("Oberbürgermeisterin Erika Beispiel"));
    let privacy = app.get("/landkreis-musterland/datenschutz").await;
    assert!(privacy.body.contains("datenschutz@lra-musterland.example"));
    let accessibility = app.get("/musterstadt/barrierefreiheit").await;
    assert!(
        accessibility
            .body
            .contains("teilweise mit der Barrierefreie-Informationstechnik-Verordnung")
    );
    assert!(accessibility.body.contains("Ältere PDF-Dokumente"));
    let statewide = app.get("/impressum").await;
    assert!(statewide.body.contains(r#"href="/musterstadt/impressum""#));
    assert!(statewide.body.contains(r#"href="/landkreis-musterland/impressum""#));
    assert!(statewide.body.contains("2 Behörden"), "{}", statewide.body);

    // Found by a part of the name, by a place or by its postcode; the district and the town both
    // serve Musterstadt.
    for (search, expected) in [
        ("muster", ["musterstadt", "landkreis-musterland"].as_slice()),
        ("Landkreis", &["landkreis-musterland"]),
        ("71999", &["musterstadt", "landkreis-musterland"]),
        ("musterstadt", &["musterstadt", "landkreis-musterland"]),
        ("Atlantis", &[]),
    ] {
        let found = app.get(&format!("/datenschutz?suche={search}")).await;
        assert_eq!(found.status, 200);
        for slug in ["musterstadt", "landkreis-musterland"] {
            assert_eq!(
                found.body.contains(&format!("href=\"/{slug}/datenschutz\"")),
                expected.contains(&slug),
                "{search}, {slug}: {}",
                found.body
            );
        }
        assert!(found.body.contains(&format!("value=\"{search}\"")));
    }
    let none = app.get("/barrierefreiheit?suche=Atlantis").await;
    assert!(none.body.contains("Keine Behörde gefunden"));
    assert!(none.body.contains("Prüfen Sie die Schreibweise"));
}

#[tokio::test]
async fn the_statewide_legal_pages_list_many_authorities_a_page_at_a_time() {
    let catalogue = tempfile::tempdir().unwrap();
    for n in 0..120 {
        write_tenant(
            catalogue.path(),
            &format!("gemeinde-{n:03}"),
            &format!("Gemeinde {n:03}"),
        );
    }
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir).await;
    let first = app.get("/impressum").await;
    assert_eq!(first.body.matches("href=\"/gemeinde-").count(), 50);
    assert!(first.body.contains("120 Behörden, Seite 1 von 3"), "{}", first.body);
    assert!(first.body.contains("seite=2\" rel=\"next\""));
    let last = app.get("/impressum?seite=3").await;
    assert_eq!(last.body.matches("href=\"/gemeinde-").count(), 20);
    assert!(last.body.contains(r#"href="/gemeinde-119/impressum""#));
    assert!(!last.body.contains("rel=\"next\""));
    // A page past the end shows the last; a page that is no number, the first.
    assert!(app.get("/impressum?seite=99").await.body.contains("Seite 3 von 3"));
    assert!(app.get("/impressum?seite=x%00").await.body.contains("Seite 1 von 3"));
    let one = app.get("/impressum?suche=Gemeinde%20042").await;
    assert!(one.body.contains("1 Behörde"), "{}", one.body);
    assert!(one.body.contains(r#"href="/gemeinde-042/impressum""#));
    let long = app.get(&format!("/impressum?suche={}", "a".repeat(10_000))).await;
    assert_eq!(long.status, 200);
}

#[tokio::test]
async fn reimport_updates_changed_files_and_retires_removed_services_and_tenants() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let first = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    assert_eq!(first.get("/musterstadt/leistungen/hund-abmelden").await.status, 200);

    let services = dir.join("musterstadt/services");
    rename_the_parking_permit(&dir);
    std::fs::remove_file(services.join("hund-abmelden.toml")).unwrap();
    std::fs::remove_file(dir.join("musterstadt/forms/hund-abmelden.toml")).unwrap();
    std::fs::remove_dir_all(dir.join("landkreis-musterland")).unwrap();

    let second = spawn_on(&first.database_url, |s| s.tenants_dir = dir.clone()).await;
    assert_eq!(
        second.get("/musterstadt/leistungen/anwohnerparkausweis").await.h1(),
        "Bewohnerparkausweis beantragen"
    );
    assert_eq!(second.get("/musterstadt/leistungen/hund-abmelden").await.status, 404);
    assert!(!second.get("/leistungen?q=Hund").await.body.contains("Hund abmelden"));
    assert_eq!(second.get("/landkreis-musterland/").await.status, 404);
    assert!(!second.get("/leistungen").await.body.contains("Wohngeld beantragen"));

    // Putting the file back brings the service back under the same id, not a copy.
    let restored = crate::helpers::demo_tenants().join("musterstadt/services/hund-abmelden.toml");
    std::fs::copy(restored, services.join("hund-abmelden.toml")).unwrap();
    let third = spawn_on(&first.database_url, |s| s.tenants_dir = dir.clone()).await;
    assert_eq!(third.get("/musterstadt/leistungen/hund-abmelden").await.status, 200);
    let search = third.get("/leistungen?q=Hund").await;
    assert_eq!(search.body.matches("Hund abmelden (Hundesteuer)").count(), 1);
}

#[tokio::test]
async fn an_unchanged_catalogue_is_not_imported_again() {
    let app = spawn_app().await;
    let catalogue = buergerportal::catalogue::Catalogue::load(&crate::helpers::demo_tenants()).unwrap();
    let summary = buergerportal::db::catalogue::import(&app.db, &catalogue).await.unwrap();
    assert_eq!(
        (
            summary.tenants_imported,
            summary.tenants_unchanged,
            summary.services_imported
        ),
        (0, 2, 0)
    );
}

/// An import reads only the tenant directories that changed since their last import: at 11,000
/// municipalities that is what makes an import after one change take seconds.
#[tokio::test]
async fn an_import_reads_only_the_tenants_whose_files_changed() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    rename_the_parking_permit(&dir);

    let imported = buergerportal::db::catalogue::imported_tenants(&app.db).await.unwrap();
    let changed = Catalogue::load_changed(&dir, &imported).unwrap();
    let read: Vec<&str> = changed.tenants.iter().map(|t| t.slug.as_str()).collect();
    let skipped: Vec<&str> = changed.unchanged.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!((read, skipped), (vec!["musterstadt"], vec!["landkreis-musterland"]));

    let summary = buergerportal::db::catalogue::import(&app.db, &changed).await.unwrap();
    assert_eq!((summary.tenants_imported, summary.tenants_unchanged), (1, 1));
    assert_eq!(summary.tenants_retired, 0, "a tenant not read again stays");
    assert_eq!(
        app.get("/musterstadt/leistungen/anwohnerparkausweis").await.h1(),
        "Bewohnerparkausweis beantragen"
    );
    assert_eq!(
        app.get_with("/", &[("Host", "musterland.localhost")]).await.h1(),
        "Landkreis Musterland"
    );

    // A new file anywhere in a tenant's directory makes it read again, and so does its removal.
    let note = dir.join("landkreis-musterland/forms/notiz.txt");
    std::fs::write(&note, "nur eine Notiz").unwrap();
    let imported = buergerportal::db::catalogue::imported_tenants(&app.db).await.unwrap();
    let read_again = Catalogue::load_changed(&dir, &imported).unwrap();
    assert_eq!(read_again.tenants.len(), 1);
    assert_eq!(read_again.tenants[0].slug, "landkreis-musterland");
}

/// A tenant read now may not take the slug or a host name of a tenant that was not read again.
#[tokio::test]
async fn a_changed_tenant_is_checked_against_the_tenants_not_read_again() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    const TENANTS: &str = "SELECT COUNT(*) FROM tenant";
    let import = || {
        app.command_with_env(
            &["catalogue", "import"],
            &[("BUERGERPORTAL_TENANTS_DIR", dir.to_str().unwrap())],
        )
    };

    let tenant = dir.join("musterstadt/tenant.toml");
    let original = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(
        &tenant,
        original.replace(
            r#"hosts = ["musterstadt.localhost"]"#,
            r#"hosts = ["musterland.localhost"]"#,
        ),
    )
    .unwrap();
    let refused = import().unwrap_err();
    assert!(
        refused.contains("musterstadt/tenant.toml")
            && refused.contains("host 'musterland.localhost' is already used by tenant 'landkreis-musterland'"),
        "{refused}"
    );
    std::fs::write(&tenant, original).unwrap();

    // A copy of a directory, byte for byte, is the same tenant twice.
    crate::helpers::copy_dir(&dir.join("landkreis-musterland"), &dir.join("kopie"));
    let refused = import().unwrap_err();
    assert!(
        refused.contains("'landkreis-musterland' is the slug of two tenants"),
        "{refused}"
    );
    let twin = add_a_twin_of_musterstadt(&dir);
    let tenant_file = std::fs::read_to_string(twin.join("tenant.toml")).unwrap();
    std::fs::remove_dir_all(dir.join("kopie")).unwrap();
    std::fs::write(
        twin.join("tenant.toml"),
        tenant_file.replace(r#"slug = "zweitstadt""#, r#"slug = "landkreis-musterland""#),
    )
    .unwrap();
    let refused = import().unwrap_err();
    assert!(
        refused.contains("'landkreis-musterland' is the slug of two tenants"),
        "{refused}"
    );
    assert_eq!(app.count(TENANTS).await, 2, "a refused import changes nothing");
}

/// Files read while another import changed a tenant they were not read again for: the import stops
/// and changes nothing, rather than keep the other import's tenant or retire it.
#[tokio::test]
async fn an_import_stops_if_another_changed_a_tenant_it_did_not_read() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    let imported = buergerportal::db::catalogue::imported_tenants(&app.db).await.unwrap();
    add_a_twin_of_musterstadt(&dir);
    let read_first = Catalogue::load_changed(&dir, &imported).unwrap();

    rename_the_parking_permit(&dir);
    let elsewhere = Catalogue::load_changed(&dir, &imported).unwrap();
    buergerportal::db::catalogue::import(&app.db, &elsewhere).await.unwrap();

    let stale = buergerportal::db::catalogue::import(&app.db, &read_first)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        stale.contains("'musterstadt'") && stale.contains("import again"),
        "{stale}"
    );
    assert_eq!(
        app.get("/musterstadt/leistungen/anwohnerparkausweis").await.h1(),
        "Bewohnerparkausweis beantragen"
    );
}

/// PostgreSQL gets fresh statistics after an import that changed many tenants, so that searches are
/// planned for the new size at once; one tenant changed of many is left to autovacuum, which keeps
/// such an import at seconds for 11,000 tenants (ANALYZE alone took a second there).
#[tokio::test]
async fn statistics_are_refreshed_at_once_after_a_large_import_only() {
    if !crate::helpers::using_postgres() {
        return;
    }
    let catalogue = tempfile::tempdir().unwrap();
    for n in 0..12 {
        write_tenant(
            catalogue.path(),
            &format!("gemeinde-{n:02}"),
            &format!("Gemeinde {n:02}"),
        );
    }
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    const ANALYSED: &str = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'service'";
    assert_eq!(app.count(ANALYSED).await, 1, "the first import");

    let rename = |tenant: &str| {
        let service = dir.join(tenant).join("services/fundsache.toml");
        let text = std::fs::read_to_string(&service).unwrap();
        std::fs::write(&service, text.replace("Fundsache melden", "Fundsache abgeben")).unwrap();
    };
    let import = || {
        app.command_with_env(
            &["catalogue", "import"],
            &[("BUERGERPORTAL_TENANTS_DIR", dir.to_str().unwrap())],
        )
    };
    rename("gemeinde-00");
    assert!(import().unwrap().contains("1 tenant(s) imported"));
    assert_eq!(app.count(ANALYSED).await, 1, "one tenant of twelve");
    rename("gemeinde-01");
    rename("gemeinde-02");
    assert!(import().unwrap().contains("2 tenant(s) imported"));
    assert_eq!(app.count(ANALYSED).await, 2, "two tenants of twelve");
}

/// Forms are kept in the database once per text: many municipalities with the same form share one,
/// a form one of them words differently is a form of its own, and a form no service uses is removed.
#[tokio::test]
async fn forms_are_kept_once_per_text_and_a_changed_form_reaches_only_its_tenant() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let twin = add_a_twin_of_musterstadt(&dir);
    let forms_in_the_files = ["musterstadt", "landkreis-musterland"]
        .iter()
        .map(|t| std::fs::read_dir(dir.join(t).join("forms")).unwrap().count() as i64)
        .sum::<i64>();
    const FORMS: &str = "SELECT COUNT(*) FROM form";
    const DOG_FORMS: &str =
        "SELECT COUNT(DISTINCT form_hash) FROM service WHERE slug = 'hund-abmelden' AND retired_at IS NULL";

    let first = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    assert_eq!(first.count(FORMS).await, forms_in_the_files);
    assert_eq!(first.count(DOG_FORMS).await, 1);

    let dog_form = twin.join("forms/hund-abmelden.toml");
    let reworded = std::fs::read_to_string(&dog_form)
        .unwrap()
        .replace("Welchen Hund melden Sie ab?", "Welchen Hund möchten Sie abmelden?");
    std::fs::write(&dog_form, reworded).unwrap();
    let second = spawn_on(&first.database_url, |s| s.tenants_dir = dir.clone()).await;
    assert_eq!(second.count(FORMS).await, forms_in_the_files + 1);
    assert_eq!(second.count(DOG_FORMS).await, 2);
    let browser = crate::applications::logged_in(&second, &crate::applications::unique("zwilling")).await;
    for (tenant, question) in [
        ("zweitstadt", "Welchen Hund möchten Sie abmelden?"),
        ("musterstadt", "Welchen Hund melden Sie ab?"),
    ] {
        let start = format!("/{tenant}/leistungen/hund-abmelden/antrag");
        let asked = browser.get(&start).await;
        let started = browser.post(&start, &[("csrf_token", &asked.csrf_token())]).await;
        let draft = started.location().unwrap();
        let step = browser.get(&format!("{draft}/schritt/hund")).await;
        assert_eq!(step.status, 200, "{}", step.body);
        assert!(step.body.contains(question), "{tenant}: {}", step.body);
    }

    std::fs::remove_dir_all(&twin).unwrap();
    let third = spawn_on(&first.database_url, |s| s.tenants_dir = dir.clone()).await;
    assert_eq!(third.count(FORMS).await, forms_in_the_files);
}

/// A node of a large deployment does not read the catalogue files: `buergerportal catalogue import`
/// brings a change into the database, checked first, and nodes started afterwards serve it.
#[tokio::test]
async fn a_node_that_does_not_import_serves_the_catalogue_as_imported_and_the_command_imports() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let first = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    rename_the_parking_permit(&dir);
    let broken = dir.join("musterstadt/services/kaputt.toml");
    let lost_property = std::fs::read_to_string(dir.join("musterstadt/services/fundsache-melden.toml")).unwrap();
    let unknown_topic = lost_property
        .replace(r#"slug = "fundsache-melden""#, r#"slug = "kaputt""#)
        .replace(r#"topic = "recht-ordnung""#, r#"topic = "gibt-es-nicht""#);
    std::fs::write(&broken, unknown_topic).unwrap();
    let not_importing = |s: &mut buergerportal::config::Settings| {
        s.tenants_dir = dir.clone();
        s.import_catalogue_at_start = false;
    };

    let node = spawn_on(&first.database_url, not_importing).await;
    let page = node.get("/musterstadt/leistungen/anwohnerparkausweis").await;
    assert_eq!(page.h1(), "Anwohnerparkausweis beantragen");
    // Its forms come from the database too.
    let browser = crate::applications::logged_in(&node, &crate::applications::unique("knoten")).await;
    let draft = crate::applications::start(&browser, "hund-abmelden").await;
    let step = browser.get(&format!("{draft}/schritt/hund")).await;
    assert!(step.body.contains("Welchen Hund melden Sie ab?"), "{}", step.body);

    const RENAMED: &str = "SELECT COUNT(*) FROM service WHERE name_de = 'Bewohnerparkausweis beantragen'";
    let tenants_dir = [
        ("BUERGERPORTAL_TENANTS_DIR", dir.to_str().unwrap()),
        ("BUERGERPORTAL_DEVELOPMENT_PLAINTEXT_DELIVERY", "true"),
    ];
    let refused = node
        .command_with_env(&["catalogue", "import"], &tenants_dir)
        .unwrap_err();
    assert!(
        refused.contains("kaputt.toml") && refused.contains("topic"),
        "{refused}"
    );
    assert_eq!(node.count(RENAMED).await, 0, "a refused import changes nothing");

    std::fs::remove_file(&broken).unwrap();
    let imported = node.command_with_env(&["catalogue", "import"], &tenants_dir).unwrap();
    assert!(imported.contains("1 tenant(s) imported"), "{imported}");
    assert!(imported.contains("1 unchanged"), "{imported}");
    assert_eq!(node.count(RENAMED).await, 1);
    let later = spawn_on(&first.database_url, not_importing).await;
    let page = later.get("/musterstadt/leistungen/anwohnerparkausweis").await;
    assert_eq!(page.h1(), "Bewohnerparkausweis beantragen");
}

#[tokio::test]
async fn a_node_imports_the_files_into_a_database_that_never_had_a_catalogue() {
    let node = spawn_with(|s| s.import_catalogue_at_start = false).await;
    assert_eq!(node.get("/musterstadt/").await.status, 200);
    assert_eq!(node.count("SELECT COUNT(*) FROM tenant").await, 2);
}

/// Two nodes starting at once on a new database, or the command while a node starts: the second
/// import waits for the first and then finds nothing changed.
#[tokio::test]
async fn two_imports_at_once_write_the_catalogue_once() {
    let db = buergerportal::db::Db::connect(&crate::helpers::fresh_database().await, 4)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let catalogue = buergerportal::catalogue::Catalogue::load(&crate::helpers::demo_tenants()).unwrap();
    let import = || buergerportal::db::catalogue::import(&db, &catalogue);
    let (a, b) = tokio::join!(import(), import());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.tenants_imported + b.tenants_imported, 2, "{a:?} {b:?}");
    assert_eq!(a.tenants_unchanged + b.tenants_unchanged, 2, "{a:?} {b:?}");
}

/// A node learns of an import made elsewhere within seconds: it serves a new tenant, and a service
/// page and a search it had cached show the service's new name.
#[tokio::test]
async fn a_running_node_serves_what_an_import_elsewhere_changed() {
    let catalogue = copy_of_demo_tenants();
    let dir = catalogue.path().to_path_buf();
    let node = spawn_with(|s| s.tenants_dir = dir.clone()).await;
    let parking = "/musterstadt/leistungen/anwohnerparkausweis";
    let search = "/leistungen?q=Parkausweis";
    assert_eq!(node.get(parking).await.h1(), "Anwohnerparkausweis beantragen");
    assert!(node.get(search).await.body.contains("Anwohnerparkausweis beantragen"));
    assert_eq!(node.get("/zweitstadt/").await.status, 404);

    rename_the_parking_permit(&dir);
    add_a_twin_of_musterstadt(&dir);
    let changed = buergerportal::catalogue::Catalogue::load(&dir).unwrap();
    buergerportal::db::catalogue::import(&node.db, &changed).await.unwrap();

    let mut waited = 0;
    while node.get("/zweitstadt/").await.status != 200 {
        assert!(waited < 100, "the node did not learn of the import in 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(node.get(parking).await.h1(), "Bewohnerparkausweis beantragen");
    let found = node.get(search).await.body;
    assert!(found.contains("Bewohnerparkausweis beantragen"), "{found}");
    assert!(!found.contains("Anwohnerparkausweis beantragen"), "{found}");
}

/// The import writes a tenant's services a few hundred to a statement: a tenant with more than one
/// statement holds is imported whole, and each of its services is found by its words.
#[tokio::test]
async fn a_tenant_with_hundreds_of_services_is_imported_whole_and_found() {
    let catalogue = tempfile::tempdir().unwrap();
    write_tenant(catalogue.path(), "grossstadt", "Stadt Großstadt");
    let services = catalogue.path().join("grossstadt/services");
    for n in 0..620 {
        std::fs::write(
            services.join(format!("leistung-{n:03}.toml")),
            format!(
                r#"slug = "leistung-{n:03}"
leistungsschluessel = "99009001001000"
topic = "recht-ordnung"
min_trust_level = "basis"
keywords = ["Stichwort{n:03}"]
[de]
name = "Leistung {n:03}"
summary = "Leistung Nummer {n:03} der Stadt."
description = "Eine von vielen Leistungen."
processing_time = "2 Tage"
"#
            ),
        )
        .unwrap();
    }
    let dir = catalogue.path().to_path_buf();
    let app = spawn_with(|s| s.tenants_dir = dir).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM service WHERE retired_at IS NULL").await,
        621
    );
    for n in [0, 499, 500, 619] {
        let found = app.get(&format!("/grossstadt/leistungen?q=Stichwort{n:03}")).await;
        assert!(found.body.contains(&format!("Leistung {n:03}")), "{n}: {}", found.body);
        assert!(found.body.contains("1 Leistung gefunden"), "{n}: {}", found.body);
    }
}
