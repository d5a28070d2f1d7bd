//! Behaviour of definitions and `derive`, one test per rule and kind, and a property test that no
//! answer JSON can make `derive` panic.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::*;

const FORM: &str = r#"
version = 3
declaration = { de = "Ich versichere, dass meine Angaben stimmen." }

[[computed]]
id = "gebuehr"
label = { de = "Gebühr" }
money = true
value = { sum = ["hunde", { if = [{ var = "gefaehrlich" }, 60000, 9000] }] }

[[steps]]
id = "person"
title = { de = "Ihre Angaben", en = "About you" }

  [[steps.fields]]
  id = "name"
  kind = "text"
  label = { de = "Name" }
  max_length = 20

  [[steps.fields]]
  id = "kennzeichen"
  kind = "text"
  label = { de = "Kennzeichen" }
  required = false
  pattern = "[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} [0-9]{1,4}"
  pattern_message = { de = "Geben Sie das Kennzeichen so ein: B-AB 1234" }

  [[steps.fields]]
  id = "geburt"
  kind = "date"
  label = { de = "Geburtsdatum" }
  earliest = "-120y"
  latest = "today"

  [[steps.fields]]
  id = "art"
  kind = "radios"
  label = { de = "Wem gehört das Fahrzeug?" }
  options = [
    { value = "eigenes", label = { de = "Mir" } },
    { value = "firmenwagen", label = { de = "Meinem Arbeitgeber" } },
  ]

[[steps]]
id = "firma"
title = { de = "Ihr Arbeitgeber" }
when = { eq = [{ var = "art" }, "firmenwagen"] }

  [[steps.fields]]
  id = "arbeitgeber"
  kind = "text"
  label = { de = "Name des Arbeitgebers" }

[[steps]]
id = "details"
title = { de = "Weitere Angaben" }

  [[steps.fields]]
  id = "anzahl"
  kind = "number"
  label = { de = "Anzahl" }
  min = 1
  max = 5
  whole = true

  [[steps.fields]]
  id = "betrag"
  kind = "money"
  label = { de = "Betrag" }
  max = "1000.00"
  required = false

  [[steps.fields]]
  id = "mail"
  kind = "email"
  label = { de = "E-Mail" }
  required = false

  [[steps.fields]]
  id = "telefon"
  kind = "phone"
  label = { de = "Telefon" }
  required = false

  [[steps.fields]]
  id = "iban"
  kind = "iban"
  label = { de = "IBAN" }
  required = false

  [[steps.fields]]
  id = "plz"
  kind = "postcode"
  label = { de = "Postleitzahl" }
  required = false

  [[steps.fields]]
  id = "zweck"
  kind = "select"
  label = { de = "Zweck" }
  options = [{ value = "a", label = { de = "A" } }, { value = "b", label = { de = "B" } }]

  [[steps.fields]]
  id = "extras"
  kind = "checkboxes"
  label = { de = "Extras" }
  required = false
  max = 2
  options = [
    { value = "x", label = { de = "X" } },
    { value = "y", label = { de = "Y" } },
    { value = "z", label = { de = "Z" } },
  ]

  [[steps.fields]]
  id = "einverstanden"
  kind = "yesno"
  label = { de = "Einverstanden?" }

  [[steps.fields]]
  id = "anschrift"
  kind = "address"
  label = { de = "Anschrift" }
  prefill = "address"

  [[steps.fields]]
  id = "bemerkung"
  kind = "textarea"
  label = { de = "Bemerkung" }
  required = false
  max_length = 10

  [[steps.fields]]
  id = "nachweis"
  kind = "file"
  label = { de = "Nachweis" }

[[steps]]
id = "zeitraum"
title = { de = "Zeitraum" }

  [[steps.fields]]
  id = "beginn"
  kind = "date"
  label = { de = "Beginn" }

  [[steps.fields]]
  id = "ende"
  kind = "date"
  label = { de = "Ende" }

  [[steps.rules]]
  check = { le = [{ var = "beginn" }, { var = "ende" }] }
  field = "ende"
  message = { de = "Das Ende muss nach dem Beginn liegen." }

[[steps]]
id = "hunde"
title = { de = "Ihre Hunde" }

  [[steps.fields]]
  id = "hunde"
  kind = "group"
  label = { de = "Hunde" }
  item_label = { de = "Hund" }
  max_items = 3

    [[steps.fields.fields]]
    id = "hundename"
    kind = "text"
    label = { de = "Name des Hundes" }

    [[steps.fields.fields]]
    id = "gefaehrlich"
    kind = "yesno"
    label = { de = "Gilt der Hund als gefährlich?" }

  [[steps.fields]]
  id = "gebuehr-info"
  kind = "info"
  text = { de = "Die Hundesteuer beträgt:" }
  show = "gebuehr"
"#;

fn form() -> FormDefinition {
    FormDefinition::from_toml(FORM).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn valid_answers() -> Answers {
    json!({
        "name": "Anna Muster",
        "geburt": {"tag": "27", "monat": "3", "jahr": "1990"},
        "art": "eigenes",
        "anzahl": "2",
        "zweck": "a",
        "einverstanden": "ja",
        "anschrift": {"strasse": "Hauptstraße", "hausnummer": "1", "plz": "12345", "ort": "Musterstadt"},
        "beginn": {"tag": "1", "monat": "1", "jahr": "2027"},
        "ende": {"tag": "31", "monat": "12", "jahr": "2027"},
        "hunde": [{"hundename": "Bello", "gefaehrlich": "nein"}],
        "nachweis": [uploaded("a")]
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// A file field's answer entry for an uploaded file.
fn uploaded(id: &str) -> Json {
    json!({"id": id, "name": format!("{id}.pdf"), "size": 1200, "type": "pdf", "sha256": "ab12"})
}

#[test]
fn a_file_field_wants_its_files_and_no_more() {
    assert_eq!(error_for("nachweis", json!([])).as_deref(), Some("Required"));
    assert_eq!(
        error_for("nachweis", json!("a.pdf")).as_deref(),
        Some("Required"),
        "not a list of files"
    );
    assert_eq!(
        error_for("nachweis", json!([uploaded("a"), uploaded("b")])).as_deref(),
        Some("TooManyFiles(1)")
    );
    let definition = form();
    let state = derive(&definition, &valid_answers(), today());
    assert_eq!(state.values["nachweis"], Value::List(vec![Value::Text("a.pdf".into())]));
}

fn with(field: &str, value: Json) -> Answers {
    let mut answers = valid_answers();
    answers.insert(field.into(), value);
    answers
}

fn error_of<'d>(state: &'d FormState<'d>, id: &str) -> Option<&'d FieldError<'d>> {
    state
        .steps
        .iter()
        .flat_map(|s| &s.fields)
        .find(|f| f.field.id == id)
        .and_then(|f| f.error.as_ref())
}

fn error_for(field: &str, value: Json) -> Option<String> {
    let definition = form();
    let state = derive(&definition, &with(field, value), today());
    error_of(&state, field).map(|e| format!("{e:?}"))
}

#[test]
fn valid_answers_make_a_complete_form() {
    let definition = form();
    let state = derive(&definition, &valid_answers(), today());
    let errors: Vec<_> = state
        .steps
        .iter()
        .flat_map(|s| &s.fields)
        .filter_map(|f| f.error.as_ref().map(|e| (&f.field.id, e)))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(state.is_complete());
    assert_eq!(state.values["anzahl"], Value::Number(2.into()));
    assert_eq!(
        state.values["geburt"],
        Value::Date(NaiveDate::from_ymd_opt(1990, 3, 27).unwrap())
    );
    assert_eq!(state.values["einverstanden"], Value::Bool(true));
    assert_eq!(state.fee().map(|m| m.cents()), Some(9000));
}

#[test]
fn required_fields_must_be_answered() {
    for field in ["name", "geburt", "art", "anzahl", "zweck", "einverstanden", "anschrift"] {
        let mut answers = valid_answers();
        answers.remove(field);
        let definition = form();
        let state = derive(&definition, &answers, today());
        assert_eq!(error_of(&state, field), Some(&FieldError::Required), "{field}");
        assert!(!state.is_complete());
    }
    // Optional ones need not be.
    assert_eq!(error_for("mail", json!("")), None);
    assert_eq!(error_for("extras", json!([])), None);
}

#[test]
fn text_length_and_pattern() {
    assert_eq!(error_for("name", json!("x".repeat(21))), Some("TooLong(20)".into()));
    assert_eq!(
        error_for("name", json!("ä".repeat(20))),
        None,
        "counts characters, not bytes"
    );
    assert_eq!(
        error_for("bemerkung", json!("zwölf Zeichen")),
        Some("TooLong(10)".into())
    );
    assert!(error_for("kennzeichen", json!("B-AB 1234")).is_none());
    assert!(
        error_for("kennzeichen", json!("B-AB 1234; DROP"))
            .unwrap()
            .starts_with("Pattern")
    );
}

#[test]
fn numbers_amounts_and_their_ranges() {
    assert_eq!(error_for("anzahl", json!("zwei")), Some("NotANumber".into()));
    assert_eq!(error_for("anzahl", json!("2,5")), Some("NotWhole".into()));
    assert_eq!(error_for("anzahl", json!("0")), Some("NumberBelow(1)".into()));
    assert_eq!(error_for("anzahl", json!("6")), Some("NumberAbove(5)".into()));
    assert_eq!(
        error_for("betrag", json!("1.000,01")),
        Some("AmountAbove(Money { cents: 100000 })".into())
    );
    assert_eq!(error_for("betrag", json!("12,345")), Some("NotAnAmount".into()));
    let definition = form();
    let state = derive(&definition, &with("betrag", json!("99,90 €")), today());
    assert_eq!(state.values["betrag"], Value::Number(9990.into()));
}

#[test]
fn dates_relative_to_today() {
    assert_eq!(
        error_for("geburt", json!({"tag": "1", "monat": "12", "jahr": "2026"})),
        Some("DateAfter(2026-11-30)".into())
    );
    assert_eq!(
        error_for("geburt", json!({"tag": "1", "monat": "1", "jahr": "1900"})),
        Some("DateBefore(1906-11-30)".into())
    );
    assert_eq!(
        error_for("geburt", json!({"tag": "31", "monat": "2", "jahr": "1990"})),
        Some("NotADate".into())
    );
    assert_eq!(
        error_for("geburt", json!({"tag": "", "monat": "2", "jahr": "1990"})),
        Some("DateIncomplete".into())
    );
}

#[test]
fn formats_of_mail_phone_iban_postcode() {
    assert_eq!(error_for("mail", json!("anna@")), Some("Email".into()));
    assert_eq!(error_for("telefon", json!("abc")), Some("Phone".into()));
    assert_eq!(
        error_for("iban", json!("DE00 3704 0044 0532 0130 00")),
        Some("Iban".into())
    );
    assert_eq!(error_for("plz", json!("1234")), Some("Postcode".into()));
    let definition = form();
    let state = derive(&definition, &with("iban", json!("de89370400440532013000")), today());
    assert_eq!(state.values["iban"], Value::Text("DE89 3704 0044 0532 0130 00".into()));
}

#[test]
fn choices_must_be_offered_ones() {
    assert_eq!(error_for("zweck", json!("c")), Some("Choice".into()));
    assert_eq!(error_for("art", json!("<script>")), Some("Choice".into()));
    assert_eq!(error_for("einverstanden", json!("vielleicht")), Some("Choice".into()));
    assert_eq!(error_for("extras", json!(["x", "q"])), Some("Choice".into()));
    assert_eq!(
        error_for("extras", json!(["x", "y", "z"])),
        Some("TooManyChoices(2)".into())
    );
    assert_eq!(error_for("extras", json!(["x", "y"])), None);
}

#[test]
fn addresses_need_all_parts_but_the_house_number() {
    let address = |street: &str, number: &str, postcode: &str, city: &str| json!({"strasse": street, "hausnummer": number, "plz": postcode, "ort": city});
    assert_eq!(
        error_for("anschrift", address("Hof Linde", "", "12345", "Musterdorf")),
        None
    );
    assert_eq!(
        error_for("anschrift", address("Weg", "1", "", "Ort")),
        Some("AddressIncomplete".into())
    );
    assert_eq!(
        error_for("anschrift", address("Weg", "1", "1234", "Ort")),
        Some("Postcode".into())
    );
}

#[test]
fn cross_field_rules_speak_after_single_fields_are_fine() {
    let definition = form();
    let early_end = with("ende", json!({"tag": "1", "monat": "6", "jahr": "2026"}));
    let state = derive(&definition, &early_end, today());
    assert!(matches!(error_of(&state, "ende"), Some(FieldError::Rule(t)) if t.de.contains("nach dem Beginn")));
    let mut both_wrong = early_end.clone();
    both_wrong.insert("beginn".into(), json!({"tag": "x", "monat": "1", "jahr": "2027"}));
    let state = derive(&definition, &both_wrong, today());
    assert_eq!(error_of(&state, "beginn"), Some(&FieldError::NotADate));
    assert_eq!(error_of(&state, "ende"), None);
}

#[test]
fn conditions_show_steps_and_drop_answers_that_no_longer_apply() {
    let definition = form();
    let mut answers = with("art", json!("firmenwagen"));
    answers.insert("arbeitgeber".into(), json!("Muster GmbH"));
    let state = derive(&definition, &answers, today());
    assert!(state.step("firma").is_some());
    assert_eq!(state.next_after("person").map(|s| s.id.as_str()), Some("firma"));
    assert_eq!(state.answers["arbeitgeber"], json!("Muster GmbH"));

    answers.insert("art".into(), json!("eigenes"));
    let state = derive(&definition, &answers, today());
    assert!(state.step("firma").is_none());
    assert_eq!(state.next_after("person").map(|s| s.id.as_str()), Some("details"));
    assert_eq!(state.previous_before("details").map(|s| s.id.as_str()), Some("person"));
    assert!(
        !state.answers.contains_key("arbeitgeber"),
        "the employer's name is dropped"
    );
}

#[test]
fn repeating_groups_check_each_item_and_compute_the_fee() {
    let definition = form();
    let dogs = json!([
        {"hundename": "Bello", "gefaehrlich": "nein"},
        {"hundename": "Rex", "gefaehrlich": "ja"},
        {"hundename": "", "gefaehrlich": "nein"}
    ]);
    let state = derive(&definition, &with("hunde", dogs), today());
    assert_eq!(error_of(&state, "hunde"), Some(&FieldError::InItems));
    let group = state
        .step("hunde")
        .unwrap()
        .fields
        .iter()
        .find(|f| f.field.id == "hunde")
        .unwrap();
    assert_eq!(group.items.len(), 3);
    assert_eq!(group.items[2][0].error, Some(FieldError::Required));

    let two = json!([{"hundename": "Bello", "gefaehrlich": "nein"}, {"hundename": "Rex", "gefaehrlich": "ja"}]);
    let state = derive(&definition, &with("hunde", two), today());
    assert_eq!(state.fee().map(|m| m.cents()), Some(69_000));

    let state = derive(&definition, &with("hunde", json!([])), today());
    assert_eq!(
        error_of(&state, "hunde"),
        Some(&FieldError::InItems),
        "an empty item to fill in"
    );
    let group = state
        .step("hunde")
        .unwrap()
        .fields
        .iter()
        .find(|f| f.field.id == "hunde")
        .unwrap();
    assert_eq!(group.items.len(), 1);
    let many: Vec<Json> = (0..10)
        .map(|_| json!({"hundename": "A", "gefaehrlich": "nein"}))
        .collect();
    let state = derive(&definition, &with("hunde", Json::Array(many)), today());
    assert_eq!(
        state.answers["hunde"].as_array().map(Vec::len),
        Some(3),
        "items beyond max_items are dropped"
    );
}

#[test]
fn wrong_types_count_as_unanswered() {
    for (field, value) in [
        ("name", json!(42)),
        ("geburt", json!("27.3.1990")),
        ("hunde", json!({"a": 1})),
        ("anschrift", json!(["x"])),
    ] {
        let definition = form();
        let state = derive(&definition, &with(field, value), today());
        assert!(error_of(&state, field).is_some(), "{field}");
    }
}

#[test]
fn a_posted_step_is_read_by_its_input_names_only() {
    let definition = form();
    let step = definition.step("hunde").unwrap();
    let posted: Vec<(String, String)> = [
        ("hunde.0.present", "1"),
        ("hunde.0.hundename", "Bello"),
        ("hunde.0.gefaehrlich", "nein"),
        ("hunde.1.present", "1"),
        ("hunde.1.hundename", "Rex"),
        ("unbekannt", "x"),
        ("hunde.5.present", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let answers = read_step(step, &posted);
    assert_eq!(
        answers["hunde"],
        json!([{"hundename": "Bello", "gefaehrlich": "nein"}, {"hundename": "Rex"}])
    );
    assert!(!answers.contains_key("unbekannt"));

    let step = definition.step("person").unwrap();
    let posted: Vec<(String, String)> = [
        ("geburt.tag", "1"),
        ("geburt.monat", "2"),
        ("geburt.jahr", "1990"),
        ("name", "A"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let answers = read_step(step, &posted);
    assert_eq!(answers["geburt"], json!({"tag": "1", "monat": "2", "jahr": "1990"}));
    assert_eq!(answers["name"], json!("A"));
}

fn problems(text: &str) -> Vec<String> {
    match FormDefinition::from_toml(text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect(),
    }
}

#[test]
fn definition_problems_name_step_and_field() {
    let unknown_kind = problems(
        r#"version = 1
[[steps]]
id = "a"
title = { de = "A" }
fields = [{ id = "x", kind = "slider", label = { de = "X" } }]"#,
    );
    assert_eq!(unknown_kind.len(), 1);
    assert!(
        unknown_kind[0].starts_with("step 'a', field 'x': unknown kind 'slider'"),
        "{unknown_kind:?}"
    );

    let missing_field = problems(
        r#"version = 1
[[steps]]
id = "a"
title = { de = "A" }
when = { eq = [{ var = "later" }, "x"] }
fields = [{ id = "x", kind = "text", label = { de = "X" } }]
[[steps]]
id = "b"
title = { de = "B" }
fields = [{ id = "later", kind = "text", label = { de = "L" } }]"#,
    );
    assert!(
        missing_field
            .iter()
            .any(|p| p.starts_with("step 'a', when:") && p.contains("'later'")),
        "{missing_field:?}"
    );

    let duplicates = problems(
        r#"version = 1
[[steps]]
id = "a"
title = { de = "A" }
fields = [{ id = "x", kind = "text", label = { de = "X" } }]
[[steps]]
id = "a"
title = { de = "B" }
fields = [{ id = "x", kind = "text", label = { de = "X" } }]"#,
    );
    assert!(
        duplicates.iter().any(|p| p == "step 'a': two steps have this id"),
        "{duplicates:?}"
    );
    assert!(
        duplicates
            .iter()
            .any(|p| p.contains("field 'x': this id is already used by another field")),
        "{duplicates:?}"
    );

    let bad_bits = problems(
        r#"version = 1
[[steps]]
id = "a"
title = { de = "A" }
fields = [
  { id = "c", kind = "radios", label = { de = "C" } },
  { id = "d", kind = "date", label = { de = "D" }, earliest = "gestern" },
  { id = "p", kind = "text", label = { de = "P" }, pattern = "(" },
  { id = "i", kind = "info", show = "nichts", text = { de = "I" } },
]
rules = [{ check = { eq = [1, 1] }, field = "zz", message = { de = "M" } }]"#,
    );
    for expected in [
        "field 'c': needs options",
        "field 'd': 'gestern' is not a date limit",
        "field 'p': pattern is not a regular expression",
        "field 'i': show = 'nichts' is not a computed value",
        "rules[0]: field 'zz' is not a field of this step",
    ] {
        assert!(
            bad_bits.iter().any(|p| p.contains(expected)),
            "{expected} missing in {bad_bits:?}"
        );
    }
    assert!(
        problems("version = 1\nsteps = []\nfoo = 1")
            .iter()
            .any(|p| p.contains("unknown field `foo`"))
    );
}

/// A form whose fee is `value` (TOML), with a number `n` (given min and max) and a group `g` of at
/// most three items, each with an amount `betrag`.
fn fee_form(value: &str, n_limits: &str) -> String {
    format!(
        r#"version = 1
[[computed]]
id = "gebuehr"
label = {{ de = "Gebühr" }}
money = true
value = {value}
[[steps]]
id = "a"
title = {{ de = "A" }}
fields = [
  {{ id = "n", kind = "number", label = {{ de = "N" }}, required = false {n_limits} }},
  {{ id = "g", kind = "group", label = {{ de = "G" }}, max_items = 3, item_label = {{ de = "I" }}, fields = [
    {{ id = "betrag", kind = "money", label = {{ de = "B" }}, max = "500.00" }},
  ] }},
]"#
    )
}

#[test]
fn amounts_are_exact_cents_rounded_half_away_from_zero() {
    let form =
        FormDefinition::from_toml(&fee_form(r#"{ mul = [{ var = "n" }, 1005] }"#, ", min = 0, max = 100")).unwrap();
    let fee = |n: &str| {
        let answers = json!({ "n": n }).as_object().unwrap().clone();
        derive(&form, &answers, today()).fee().map(crate::domain::Money::cents)
    };
    assert_eq!(fee("0,5"), Some(503), "502.5 cents round up (half away from zero)");
    assert_eq!(fee("0,1"), Some(101), "100.5 cents round up");
    assert_eq!(fee("0,3"), Some(302), "301.5 cents, exactly, round up");
    assert_eq!(fee("2"), Some(2010));
    // 1,005 × 100 is 100.49999999999999 in binary floating point, which rounds down to 100.
    let hundred =
        FormDefinition::from_toml(&fee_form(r#"{ mul = [{ var = "n" }, 100] }"#, ", min = 0, max = 100")).unwrap();
    let answers = json!({ "n": "1,005" });
    let state = derive(&hundred, answers.as_object().unwrap(), today());
    assert_eq!(state.fee().map(crate::domain::Money::cents), Some(101));
    let sum = FormDefinition::from_toml(&fee_form(r#"{ sum = ["g", { var = "betrag" }] }"#, "")).unwrap();
    let answers = json!({ "g": [{ "betrag": "0,10" }, { "betrag": "0,20" }, { "betrag": "0,30" }] });
    let state = derive(&sum, answers.as_object().unwrap(), today());
    assert_eq!(state.fee().map(crate::domain::Money::cents), Some(60));
}

#[test]
fn an_amount_that_could_overflow_is_a_definition_error() {
    let fits = problems(&fee_form(
        r#"{ add = [{ mul = [{ var = "n" }, 100] }, { sum = ["g", { var = "betrag" }] }] }"#,
        ", min = 0, max = 1000",
    ));
    assert!(fits.is_empty(), "{fits:?}");

    let unbounded = problems(&fee_form(r#"{ mul = [{ var = "n" }, 100] }"#, ""));
    assert!(
        unbounded
            .iter()
            .any(|p| p.starts_with("computed 'gebuehr':") && p.contains("'n', which needs a min and a max")),
        "{unbounded:?}"
    );

    let too_large = problems(&fee_form(
        r#"{ mul = [{ var = "n" }, 9000000000000000] }"#,
        ", min = 0, max = 1000",
    ));
    assert!(
        too_large
            .iter()
            .any(|p| p.starts_with("computed 'gebuehr':") && p.contains("at most 1000000000000")),
        "{too_large:?}"
    );

    let beyond_any_number = problems(&fee_form(r#"{ mul = [1e20, 1e20] }"#, ""));
    assert!(
        beyond_any_number
            .iter()
            .any(|p| p.starts_with("computed 'gebuehr':") && p.contains("more than a number holds")),
        "{beyond_any_number:?}"
    );
}

#[test]
fn json_definitions_are_read_too() {
    let definition = FormDefinition::from_json(
        r#"{"version": 2, "steps": [{"id": "a", "title": {"de": "A"}, "fields": [{"id": "x", "kind": "yesno", "label": {"de": "X"}}]}]}"#,
    )
    .unwrap();
    assert_eq!(definition.version, 2);
    assert!(FormDefinition::from_json("{").is_err());
}

fn arbitrary_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,30}".prop_map(Json::String),
        prop_oneof![
            Just("ja"),
            Just("a"),
            Just("x"),
            Just("31"),
            Just("2"),
            Just("1990"),
            Just("12345")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("tag".to_owned()),
                    Just("monat".to_owned()),
                    Just("jahr".to_owned()),
                    Just("plz".to_owned()),
                    Just("hundename".to_owned()),
                    Just("gefaehrlich".to_owned()),
                    ".{0,5}".prop_map(String::from)
                ],
                inner,
                0..6
            )
            .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn derive_never_panics_on_any_answers(
        values in prop::collection::vec(arbitrary_json(), 20),
        extra in prop::collection::btree_map(".{0,10}", arbitrary_json(), 0..4),
    ) {
        let definition = form();
        let ids = ["name", "kennzeichen", "geburt", "art", "arbeitgeber", "anzahl", "betrag", "mail", "telefon", "iban", "plz", "zweck", "extras", "einverstanden", "anschrift", "bemerkung", "beginn", "ende", "hunde", "nachweis"];
        let mut answers: Answers = extra.into_iter().collect();
        for (id, value) in ids.iter().zip(values) {
            answers.insert((*id).to_owned(), value);
        }
        let state = derive(&definition, &answers, today());
        // Whatever came in, what is kept derives to the same state again.
        let again = derive(&definition, &state.answers, today());
        prop_assert_eq!(state.answers, again.answers);
    }
}
