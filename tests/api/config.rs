use std::process::Command;

use buergerportal::startup::Application;

use crate::helpers::{copy_of_demo_tenants, fresh_database, try_settings};

#[test]
fn migrations_have_the_same_file_names_for_both_databases() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |db: &str| {
        let mut names: Vec<_> = std::fs::read_dir(root.join(db))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    assert!(!names("sqlite").is_empty());
    assert_eq!(names("sqlite"), names("postgres"));
}

#[tokio::test]
async fn an_invalid_catalogue_stops_start_up_naming_file_key_and_problem() {
    let catalogue = copy_of_demo_tenants();
    let service = catalogue.path().join("musterstadt/services/anwohnerparkausweis.toml");
    let text = std::fs::read_to_string(&service).unwrap();
    std::fs::write(
        &service,
        text.replace("99050012104000", "12345")
            .replace("\"basis\"", "\"mittel\""),
    )
    .unwrap();
    let tenant = catalogue.path().join("landkreis-musterland/tenant.toml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(&tenant, text.replace("#1f5c3a", "#ffff00")).unwrap();
    let tenant = catalogue.path().join("musterstadt/tenant.toml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(
        &tenant,
        text.replace(r#"logo = "logo.svg""#, r#"logo = "../musterstadt/logo.svg""#),
    )
    .unwrap();

    let data = tempfile::tempdir().unwrap();
    let mut settings = try_settings(&fresh_database().await, data.path());
    settings.tenants_dir = catalogue.path().to_path_buf();
    let error = format!(
        "{:#}",
        Application::build(settings).await.err().expect("start-up must fail")
    );
    for expected in [
        "musterstadt/services/anwohnerparkausweis.toml: leistungsschluessel: '12345' is not a Leistungsschlüssel",
        "anwohnerparkausweis.toml: min_trust_level: 'mittel' is not a trust level",
        "landkreis-musterland/tenant.toml: brand_color: '#ffff00' has a contrast of",
        "musterstadt/tenant.toml: logo: '../musterstadt/logo.svg' must name a file in the tenant's directory",
    ] {
        assert!(error.contains(expected), "missing '{expected}' in:\n{error}");
    }
}

#[test]
fn check_config_reports_problems_and_exits_non_zero() {
    let catalogue = copy_of_demo_tenants();
    let service = catalogue.path().join("musterstadt/services/gewerbeanmeldung.toml");
    std::fs::write(&service, "slug = \"gewerbeanmeldung\"\nunbekannt = 1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_buergerportal"))
        .arg("check-config")
        .env("BUERGERPORTAL_TENANTS_DIR", catalogue.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("gewerbeanmeldung.toml: line"), "{stderr}");
    assert!(stderr.contains("unknown field `unbekannt`"), "{stderr}");

    // Demo mode: the demo tenants, with the demo payment provider.
    let valid = Command::new(env!("CARGO_BIN_EXE_buergerportal"))
        .arg("check-config")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BUERGERPORTAL_TENANTS_DIR")
        .env("BUERGERPORTAL_MAIL", "smtps://mail.example")
        .output()
        .unwrap();
    assert!(valid.status.success(), "{}", String::from_utf8_lossy(&valid.stderr));
    assert!(String::from_utf8_lossy(&valid.stdout).contains("2 tenant(s), 11 service(s)"));
}

#[test]
fn check_config_names_destination_problems_and_unset_secrets() {
    let catalogue = copy_of_demo_tenants();
    let musterstadt = catalogue.path().join("musterstadt");
    let tenant = musterstadt.join("tenant.toml");
    let text = std::fs::read_to_string(&tenant).unwrap()
        + "\n[payment.auth]\nkind = \"basic\"\nuser = \"portal\"\npassword_env = \"BP_SECRET_MUSTERSTADT__EPAY\"\n"
        + "\n[destinations.fachverfahren]\nkind = \"webhook\"\nurl = \"https://fv.example/in\"\nsecret_env = \"BP_SECRET_MUSTERSTADT__UNSET\"\n";
    std::fs::write(&tenant, text).unwrap();
    let service = musterstadt.join("services/kontakt.toml");
    let text = std::fs::read_to_string(&service).unwrap();
    std::fs::write(
        &service,
        text.replace("destination = \"antragspostfach\"", "destination = \"fachverfahren\""),
    )
    .unwrap();
    let check = || {
        Command::new(env!("CARGO_BIN_EXE_buergerportal"))
            .arg("check-config")
            .env("BUERGERPORTAL_TENANTS_DIR", catalogue.path())
            .env_remove("BP_SECRET_MUSTERSTADT__UNSET")
            .env_remove("BP_SECRET_MUSTERSTADT__EPAY")
            .output()
            .unwrap()
    };
    let output = check();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "musterstadt: destinations.fachverfahren: the environment variable BP_SECRET_MUSTERSTADT__UNSET is not set"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("musterstadt: payment: the environment variable BP_SECRET_MUSTERSTADT__EPAY is not set"),
        "{stderr}"
    );

    // A tenant's files may name only the tenant's own secrets, not the portal's settings.
    let text = std::fs::read_to_string(&tenant).unwrap()
        + "\n[destinations.fremd]\nkind = \"webhook\"\nurl = \"https://fv.example/in\"\nsecret_env = \"BUERGERPORTAL_DATABASE_URL\"\n";
    std::fs::write(&tenant, text).unwrap();
    let service = musterstadt.join("services/hund-anmelden.toml");
    let text = std::fs::read_to_string(&service).unwrap();
    std::fs::write(
        &service,
        text.replace("destination = \"antragspostfach\"", "destination = \"fax\""),
    )
    .unwrap();
    let form_without = musterstadt.join("services/hund-abmelden.toml");
    let text = std::fs::read_to_string(&form_without).unwrap();
    std::fs::write(&form_without, text.replace("destination = \"antragspostfach\"\n", "")).unwrap();
    let stderr = String::from_utf8_lossy(&check().stderr).into_owned();
    assert!(
        stderr.contains("hund-anmelden.toml: destination: there is no destination 'fax'"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "destinations.fremd.secret_env: 'BUERGERPORTAL_DATABASE_URL' must be named BP_SECRET_MUSTERSTADT__<NAME>"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hund-abmelden.toml: destination: a service with a form must name the destination"),
        "{stderr}"
    );
}

#[tokio::test]
async fn applications_leave_only_over_tls_unless_a_development_setting_says_otherwise() {
    let start_paying_to = |provider: &str, destination: &str, mail: &str, development: bool| {
        let catalogue = crate::delivery::catalogue_delivering_to(destination);
        let tenant = catalogue.path().join("musterstadt/tenant.toml");
        let text = std::fs::read_to_string(&tenant).unwrap();
        std::fs::write(
            &tenant,
            text.replace("base_url = \"demo\"", &format!("base_url = \"{provider}\"")),
        )
        .unwrap();
        let mail = mail.to_owned();
        async move {
            let data = tempfile::tempdir().unwrap();
            let mut settings = try_settings(&fresh_database().await, data.path());
            settings.tenants_dir = catalogue.path().to_path_buf();
            settings.mail = mail;
            settings.development_plaintext_delivery = development;
            Application::build(settings).await.err().map(|e| format!("{e:#}"))
        }
    };
    let start = |destination: &str, mail: &str, development: bool| {
        start_paying_to("https://epay.example/api/", destination, mail, development)
    };
    let webhook =
        |url: &str| format!("kind = \"webhook\"\nurl = \"{url}\"\nsecret_env = \"BP_SECRET_MUSTERSTADT__FV\"");
    let mailbox = "kind = \"email\"\nto = \"antraege@musterstadt.example\"";

    let refused = start(&webhook("http://fv.example/in"), "smtps://mail.example", false).await;
    let refused = refused.expect("an http:// destination must stop start-up");
    assert!(
        refused.contains("musterstadt: destinations.antragspostfach.url: 'http://fv.example/in' is http://"),
        "{refused}"
    );
    let refused = start(mailbox, "smtp://mail.example:25", false).await;
    assert!(
        refused.as_deref().is_some_and(
            |e| e.contains("destinations.antragspostfach.to: the mail server (mail) is reached without TLS")
        ),
        "{refused:?}"
    );
    assert_eq!(start(&webhook("https://fv.example/in"), "", false).await, None);
    assert_eq!(
        start(mailbox, "smtp://mail.example:587?tls=required", false).await,
        None
    );
    assert_eq!(
        start(&webhook("http://fv.example/in"), "smtp://mail.example", true).await,
        None
    );
    // Payments too; and the demo provider, which takes no money, is for development only.
    let https = webhook("https://fv.example/in");
    for (provider, expected) in [
        (
            "http://epay.example/api/",
            "musterstadt: payment.base_url: 'http://epay.example/api/' is http://",
        ),
        (
            "demo",
            "musterstadt: payment.base_url: 'demo' is the demo provider: it takes no money",
        ),
    ] {
        let refused = start_paying_to(provider, &https, "", false).await;
        assert!(refused.as_deref().is_some_and(|e| e.contains(expected)), "{refused:?}");
        assert_eq!(start_paying_to(provider, &https, "", true).await, None);
    }

    // check-config says the same, and names a mailbox that would only be written to files.
    let catalogue = crate::delivery::catalogue_delivering_to(mailbox);
    let tenant = catalogue.path().join("musterstadt/tenant.toml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(
        &tenant,
        text.replace("base_url = \"demo\"", "base_url = \"https://epay.example/\""),
    )
    .unwrap();
    let check = |mail: &str| {
        Command::new(env!("CARGO_BIN_EXE_buergerportal"))
            .arg("check-config")
            .env("BUERGERPORTAL_TENANTS_DIR", catalogue.path())
            .env("BUERGERPORTAL_MAIL", mail)
            .output()
            .unwrap()
    };
    for (mail, expected) in [
        ("smtp://mail.example", "the mail server (mail) is reached without TLS"),
        (
            "",
            "musterstadt: destinations.antragspostfach: nicht übermittelt — kein Mailserver eingerichtet",
        ),
    ] {
        let output = check(mail);
        assert!(!output.status.success(), "{mail}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{mail}: {stderr}");
    }
    assert!(check("smtps://mail.example").status.success());
}

#[tokio::test]
async fn a_missing_data_directory_is_created() {
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("neu/daten");
    let settings = try_settings(&fresh_database().await, &data_dir);
    Application::build(settings).await.expect("start");
    assert!(data_dir.is_dir());
}

#[tokio::test]
async fn an_unusable_data_directory_stops_start_up_naming_the_path() {
    let parent = tempfile::tempdir().unwrap();
    let blocker = parent.path().join("eine-datei");
    std::fs::write(&blocker, "").unwrap();
    let data_dir = blocker.join("daten");
    let settings = try_settings(&fresh_database().await, &data_dir);
    let error = format!(
        "{:#}",
        Application::build(settings).await.err().expect("start-up must fail")
    );
    assert!(error.contains(&data_dir.display().to_string()), "{error}");
}

#[tokio::test]
async fn an_unreachable_postgres_stops_start_up_with_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    let settings = try_settings("postgres://postgres@127.0.0.1:1/portal", data.path());
    let error = format!(
        "{:#}",
        Application::build(settings).await.err().expect("start-up must fail")
    );
    assert!(
        error.contains("PostgreSQL at 127.0.0.1:1/portal does not answer"),
        "{error}"
    );
}

#[test]
fn settings_come_from_file_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portal.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9999\"\nbase_url = \"https://portal.example\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_buergerportal"))
        .args(["--config", file.to_str().unwrap(), "check-config"])
        .env("BUERGERPORTAL_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LOG_FORMAT") && stderr.contains("`yaml`"), "{stderr}");
}

#[test]
fn drafts_must_live_longer_than_the_week_of_notice_before_deletion() {
    let output = Command::new(env!("CARGO_BIN_EXE_buergerportal"))
        .arg("check-config")
        .env("BUERGERPORTAL_DRAFT_RETENTION_DAYS", "5")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("draft_retention_days must be more than 7"), "{stderr}");
}

#[tokio::test]
async fn configured_tenants_need_a_virus_scanner_or_an_explicit_off() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = try_settings(&fresh_database().await, data_dir.path());
    settings.virus_scan = String::new();
    let refused = Application::build(settings.clone())
        .await
        .err()
        .expect("no scanner, no start");
    assert!(format!("{refused:#}").contains("virus_scan is not set"), "{refused:#}");
    settings.virus_scan = "off".into();
    Application::build(settings)
        .await
        .expect("uploads unscanned, by choice");
}

/// What a catalogue sends is checked by each node with its own settings, also when it serves a
/// catalogue someone else imported.
#[tokio::test]
async fn a_node_that_does_not_import_refuses_a_catalogue_that_would_send_without_tls() {
    let catalogue = crate::delivery::catalogue_delivering_to(
        "kind = \"webhook\"\nurl = \"http://fv.example/in\"\nsecret_env = \"BP_SECRET_MUSTERSTADT__FV\"",
    );
    let database = fresh_database().await;
    let data = tempfile::tempdir().unwrap();
    let mut settings = try_settings(&database, data.path());
    settings.tenants_dir = catalogue.path().to_path_buf();
    Application::build(settings.clone())
        .await
        .expect("imported in development");

    settings.import_catalogue_at_start = false;
    settings.development_plaintext_delivery = false;
    settings.mail = "smtps://mail.example".into();
    let refused = format!(
        "{:#}",
        Application::build(settings).await.err().expect("start-up must fail")
    );
    assert!(
        refused.contains("musterstadt: destinations.antragspostfach.url: 'http://fv.example/in' is http://"),
        "{refused}"
    );
}
