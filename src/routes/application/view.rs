//! What the templates render of a derived form: inputs with their values and messages, the
//! check-answers rows, and answers shown the way the citizen gave them.

use chrono::NaiveDate;
use fluent_templates::fluent_bundle::FluentValue;
use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::db::applications::{CaseRow, SummaryLine};
use crate::domain::evidence::{UploadedFile, size_text};
use crate::domain::form::derive::{ADDRESS_PARTS, DATE_PARTS};
use crate::domain::form::{Answers, Field, FieldError, FieldState, FormState, Kind, StepState, Value};
use crate::domain::{FileType, Money};
use crate::i18n::Lang;

/// One question as the `question` macro renders it.
pub struct FieldView {
    /// `text`, `textarea`, `date`, `address`, `radios`, `checkboxes`, `select`, `group`, `info`, `file`.
    pub kind: &'static str,
    /// The input's name and id; parts and items append `.<part>` or `.<n>.<child>`.
    pub name: String,
    pub label: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    /// The element the error summary links to.
    pub anchor: String,
    pub optional: bool,
    pub value: String,
    pub input_type: &'static str,
    pub input_mode: &'static str,
    pub autocomplete: String,
    pub max_length: Option<usize>,
    /// "Sie können noch 1.200 Zeichen eingeben" under a textarea.
    pub character_count: Option<String>,
    /// A prefilled answer the service does not let the citizen change.
    pub readonly: bool,
    /// The answer is the one from the Stammdaten (the page says so).
    pub prefilled: bool,
    pub parts: Vec<PartView>,
    pub choices: Vec<ChoiceView>,
    pub items: Vec<ItemView>,
    pub can_add: bool,
    pub add_label: String,
    /// Info blocks: the text, and a computed value with its label.
    pub text: String,
    pub shown: Option<(String, String)>,
    /// File fields: the files uploaded so far, and the `accept` attribute of the file input.
    pub files: Vec<FileView>,
    pub accept: String,
    /// File fields: whether another file may be chosen, and whether several at once.
    pub multiple: bool,
}

pub struct FileView {
    /// The attachment id: the value of the remove button.
    pub id: String,
    /// The download link (set by the step page, which knows the draft).
    pub href: String,
    pub name: String,
    pub size: String,
}

const WIDTH_2: &str = "kern-form-input__input--width-2";
const WIDTH_4: &str = "kern-form-input__input--width-4";

pub struct PartView {
    pub name: String,
    pub label: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub input_mode: &'static str,
    /// Width class, so a year field looks like it wants four digits.
    pub width: &'static str,
}

pub struct ChoiceView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct ItemView {
    pub title: String,
    pub fields: Vec<FieldView>,
    /// `entfernen:<group>:<n>`, the value of the item's remove button.
    pub remove_action: String,
}

impl FieldView {
    /// Ids of the hint and error that describe the input or fieldset.
    pub fn described_by(&self) -> String {
        let hint = self.hint.as_ref().map(|_| format!("{}-hinweis", self.name));
        let error = self.error.as_ref().map(|_| format!("{}-fehler", self.name));
        [hint, error].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

/// The inputs of one step. Errors are shown only once the citizen has tried to go on.
/// `stammdaten` holds what the citizen's Stammdaten say for the step's prefilled fields.
pub fn fields(
    step: &StepState<'_>,
    state: &FormState<'_>,
    show_errors: bool,
    lang: Lang,
    stammdaten: &Answers,
) -> Vec<FieldView> {
    step.fields
        .iter()
        .map(|f| field_view(f, &f.field.id, state, show_errors, lang, stammdaten.get(&f.field.id)))
        .collect()
}

fn field_view(
    state: &FieldState<'_>,
    name: &str,
    form: &FormState<'_>,
    show_errors: bool,
    lang: Lang,
    from_stammdaten: Option<&Json>,
) -> FieldView {
    let field = state.field;
    let readonly = from_stammdaten.is_some() && !field.prefill_editable;
    let mut view = FieldView {
        kind: "text",
        name: name.to_owned(),
        label: field.label.get(lang).to_owned(),
        hint: field.hint.as_ref().map(|h| h.get(lang).to_owned()),
        error: state
            .error
            .as_ref()
            .filter(|_| show_errors)
            .map(|e| message(e, field, lang)),
        anchor: name.to_owned(),
        optional: !field.required && field.kind.is_question(),
        value: state.text().to_owned(),
        input_type: "text",
        input_mode: "",
        autocomplete: String::new(),
        max_length: None,
        character_count: None,
        readonly,
        prefilled: from_stammdaten.is_some_and(|v| *v == state.raw),
        parts: Vec::new(),
        choices: Vec::new(),
        items: Vec::new(),
        can_add: false,
        add_label: String::new(),
        text: String::new(),
        shown: None,
        files: Vec::new(),
        accept: String::new(),
        multiple: false,
    };
    let choices = |choices: &[crate::domain::form::definition::Choice]| {
        choices
            .iter()
            .enumerate()
            .map(|(i, c)| ChoiceView {
                id: if i == 0 { name.to_owned() } else { format!("{name}-{i}") },
                value: c.value.clone(),
                label: c.label.get(lang).to_owned(),
                checked: state.is_chosen(&c.value),
            })
            .collect()
    };
    match &field.kind {
        Kind::Text { autocomplete, .. } => view.autocomplete = autocomplete.clone().unwrap_or_default(),
        Kind::Textarea { max_length, .. } => {
            view.kind = "textarea";
            view.max_length = Some(*max_length);
            let left = *max_length as i64 - view.value.chars().count() as i64;
            view.character_count = Some(if left >= 0 {
                lang.t1("form-characters-left", "count", left)
            } else {
                lang.t1("form-characters-over", "count", -left)
            });
        }
        Kind::Number { whole, .. } => {
            view.input_mode = if *whole { "numeric" } else { "decimal" };
        }
        Kind::Money { .. } => view.input_mode = "decimal",
        Kind::Email => {
            view.input_type = "email";
            view.autocomplete = "email".into();
        }
        Kind::Phone => {
            view.input_type = "tel";
            view.autocomplete = "tel".into();
        }
        Kind::Iban => view.autocomplete = "off".into(),
        Kind::Postcode => {
            view.input_mode = "numeric";
            view.autocomplete = "postal-code".into();
        }
        Kind::Date { .. } => {
            view.kind = "date";
            view.anchor = format!("{name}.tag");
            let birth = matches!(field.prefill, Some(crate::domain::form::Prefill::BirthDate));
            let (day, month, year) = if birth {
                ("bday-day", "bday-month", "bday-year")
            } else {
                ("off", "off", "off")
            };
            view.parts = parts(
                name,
                state,
                [
                    (DATE_PARTS[0], lang.t("date-day"), day, "numeric", WIDTH_2),
                    (DATE_PARTS[1], lang.t("date-month"), month, "numeric", WIDTH_2),
                    (DATE_PARTS[2], lang.t("date-year"), year, "numeric", WIDTH_4),
                ],
            );
        }
        Kind::Address => {
            view.kind = "address";
            view.anchor = format!("{name}.strasse");
            view.parts = parts(
                name,
                state,
                [
                    (ADDRESS_PARTS[0], lang.t("form-address-street"), "address-line1", "", ""),
                    (ADDRESS_PARTS[1], lang.t("form-address-number"), "off", "", WIDTH_4),
                    (
                        ADDRESS_PARTS[2],
                        lang.t("form-address-postcode"),
                        "postal-code",
                        "numeric",
                        "portal-input--postcode",
                    ),
                    (ADDRESS_PARTS[3], lang.t("form-address-city"), "address-level2", "", ""),
                ],
            );
        }
        Kind::Select(list) => {
            view.kind = "select";
            view.choices = choices(list);
        }
        Kind::Radios(list) => {
            view.kind = "radios";
            view.choices = choices(list);
        }
        Kind::Checkboxes { choices: list, .. } => {
            view.kind = "checkboxes";
            view.choices = choices(list);
        }
        Kind::YesNo => {
            view.kind = "radios";
            view.choices = ["ja", "nein"]
                .iter()
                .enumerate()
                .map(|(i, v)| ChoiceView {
                    id: if i == 0 { name.to_owned() } else { format!("{name}-{i}") },
                    value: (*v).to_owned(),
                    label: lang.t(if i == 0 { "form-yes" } else { "form-no" }).to_owned(),
                    checked: state.is_chosen(v),
                })
                .collect();
        }
        Kind::File {
            accept,
            max_bytes,
            max_files,
        } => {
            view.kind = "file";
            let files = UploadedFile::list(Some(&state.raw));
            view.can_add = files.len() < *max_files;
            view.multiple = max_files - files.len().min(*max_files) > 1;
            view.files = files
                .into_iter()
                .map(|f| FileView {
                    href: String::new(),
                    size: f.size_text(),
                    id: f.id,
                    name: f.name,
                })
                .collect();
            view.accept = FileType::accept_attribute(accept);
            // The limits, before the citizen picks a file.
            let types = accept.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ");
            let limits = lang.tn(
                "form-file-limits",
                [
                    ("types", types.into()),
                    ("size", size_text(*max_bytes).into()),
                    ("count", (*max_files).into()),
                ],
            );
            view.hint = Some(match view.hint {
                Some(hint) => format!("{hint} {limits}"),
                None => limits,
            });
        }
        Kind::Info { text, show } => {
            view.kind = "info";
            view.text = text.get(lang).to_owned();
            view.shown = show.as_ref().and_then(|id| {
                form.computed
                    .iter()
                    .find(|(c, _)| &c.id == id)
                    .map(|(c, v)| (c.label.get(lang).to_owned(), shown_value(v, c.money, lang)))
            });
        }
        Kind::Group {
            max_items, item_label, ..
        } => {
            view.kind = "group";
            let label = item_label.get(lang);
            view.items = state
                .items
                .iter()
                .enumerate()
                .map(|(index, children)| ItemView {
                    title: format!("{label} {}", index + 1),
                    fields: children
                        .iter()
                        .map(|c| {
                            field_view(
                                c,
                                &format!("{name}.{index}.{}", c.field.id),
                                form,
                                show_errors,
                                lang,
                                None,
                            )
                        })
                        .collect(),
                    remove_action: format!("entfernen:{name}:{index}"),
                })
                .collect();
            view.anchor = match &state.error {
                Some(FieldError::InItems) => view
                    .items
                    .iter()
                    .flat_map(|i| &i.fields)
                    .find(|f| f.error.is_some())
                    .map_or_else(|| name.to_owned(), |f| f.anchor.clone()),
                _ => format!("{name}-hinzufuegen"),
            };
            view.can_add = state.items.len() < *max_items;
            view.add_label = lang.t1("form-group-add", "item", label.to_owned());
        }
    }
    view
}

/// The inputs of a date or an address: (part, label, autocomplete, inputmode, width class) each.
fn parts<const N: usize>(
    name: &str,
    state: &FieldState<'_>,
    specs: [(&'static str, &'static str, &'static str, &'static str, &'static str); N],
) -> Vec<PartView> {
    specs
        .into_iter()
        .map(|(part, label, autocomplete, input_mode, width)| PartView {
            name: format!("{name}.{part}"),
            label,
            value: state.part(part).to_owned(),
            autocomplete,
            input_mode,
            width,
        })
        .collect()
}

fn shown_value(value: &Value, money: bool, lang: Lang) -> String {
    match value {
        Value::Number(_) if money => value
            .cents()
            .map(|c| lang.money(Money::from_cents(c)))
            .unwrap_or_default(),
        Value::Number(n) => number_text(*n, lang),
        Value::Text(t) => t.clone(),
        _ => String::new(),
    }
}

/// Where the case is on its way to the authority, in the citizen's words: delivered (with when),
/// delayed (without why), or sent and being passed on.
pub fn delivery_text(case: &CaseRow, lang: Lang) -> String {
    match case.delivered_at {
        Some(at) => lang.t1("case-delivery-done", "date", lang.date_time(at)),
        None if case.delivery_delayed => lang.t("case-delivery-delayed").to_owned(),
        None => lang.t("case-delivery-pending").to_owned(),
    }
}

pub fn date_text(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::De => date.format("%d.%m.%Y").to_string(),
        Lang::En => date.format("%-d %B %Y").to_string(),
    }
}

/// What is wrong, in words that say how to fix it.
pub fn message(error: &FieldError<'_>, field: &Field, lang: Lang) -> String {
    let label = || FluentValue::from(field.label.get(lang).to_owned());
    let with = |key: &str, n: FluentValue<'static>| lang.tn(key, [("label", label()), ("n", n)]);
    let is_choice = matches!(
        field.kind,
        Kind::Select(_) | Kind::Radios(_) | Kind::Checkboxes { .. } | Kind::YesNo
    );
    match error {
        FieldError::Required => match &field.required_message {
            Some(custom) => custom.get(lang).to_owned(),
            None if matches!(field.kind, Kind::File { .. }) => lang.t1("form-error-file-required", "label", label()),
            None if is_choice => lang.t1("form-error-choose", "label", label()),
            None => lang.t1("form-error-required", "label", label()),
        },
        FieldError::TooShort(n) => with("form-error-too-short", (*n).into()),
        FieldError::TooLong(n) => with("form-error-too-long", (*n).into()),
        FieldError::Pattern(Some(custom)) => custom.get(lang).to_owned(),
        FieldError::Pattern(None) => lang.t1("form-error-pattern", "label", label()),
        FieldError::NotANumber => lang.t1("form-error-number", "label", label()),
        FieldError::NotWhole => lang.t1("form-error-whole", "label", label()),
        FieldError::NumberBelow(n) => with("form-error-number-below", number_text(*n, lang).into()),
        FieldError::NumberAbove(n) => with("form-error-number-above", number_text(*n, lang).into()),
        FieldError::NotAnAmount => lang.t1("form-error-amount", "label", label()),
        FieldError::AmountBelow(m) => with("form-error-number-below", lang.money(*m).into()),
        FieldError::AmountAbove(m) => with("form-error-number-above", lang.money(*m).into()),
        FieldError::DateIncomplete => lang.t1("form-error-date-incomplete", "label", label()),
        FieldError::NotADate => lang.t1("form-error-date", "label", label()),
        FieldError::DateBefore(d) => with("form-error-date-before", date_text(*d, lang).into()),
        FieldError::DateAfter(d) => with("form-error-date-after", date_text(*d, lang).into()),
        FieldError::Email => lang.t("form-error-email").to_owned(),
        FieldError::Phone => lang.t("form-error-phone").to_owned(),
        FieldError::Iban => lang.t("form-error-iban").to_owned(),
        FieldError::Postcode => lang.t("form-error-postcode").to_owned(),
        FieldError::Choice => lang.t1("form-error-choice", "label", label()),
        FieldError::TooFewChoices(n) => with("form-error-too-few-choices", (*n).into()),
        FieldError::TooManyChoices(n) => with("form-error-too-many-choices", (*n).into()),
        FieldError::TooManyFiles(n) => with("form-error-too-many-files", (*n).into()),
        FieldError::AddressIncomplete => lang.t1("form-error-address", "label", label()),
        FieldError::InItems => lang.t1("form-error-in-items", "label", label()),
        FieldError::Rule(text) => text.get(lang).to_owned(),
    }
}

fn number_text(n: Decimal, lang: Lang) -> String {
    let text = n.normalize().to_string();
    match lang {
        Lang::De => text.replace('.', ","),
        Lang::En => text,
    }
}

/// The answer as the citizen reads it on check-answers and the receipt; `None` for blocks that are
/// not answers.
pub fn answer_text(state: &FieldState<'_>, lang: Lang) -> Option<String> {
    let field = state.field;
    let text = match (&field.kind, &state.value) {
        (Kind::Info { .. }, _) => return None,
        (Kind::File { .. }, Value::List(_)) => UploadedFile::list(Some(&state.raw))
            .iter()
            .map(|f| format!("{} ({})", f.name, f.size_text()))
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::Null) => state.text().to_owned(),
        (Kind::Money { .. }, value @ Value::Number(_)) => value
            .cents()
            .map_or_else(|| state.text().to_owned(), |c| lang.money(Money::from_cents(c))),
        (Kind::Date { .. }, Value::Date(d)) => date_text(*d, lang),
        (Kind::Select(choices) | Kind::Radios(choices), Value::Text(v)) => choices
            .iter()
            .find(|c| &c.value == v)
            .map_or_else(|| v.clone(), |c| c.label.get(lang).to_owned()),
        (Kind::Checkboxes { choices, .. }, Value::List(chosen)) => choices
            .iter()
            .filter(|c| chosen.contains(&Value::Text(c.value.clone())))
            .map(|c| c.label.get(lang))
            .collect::<Vec<_>>()
            .join("\n"),
        (Kind::YesNo, Value::Bool(yes)) => lang.t(if *yes { "form-yes" } else { "form-no" }).to_owned(),
        (Kind::Address, Value::Record(_)) => {
            let part = |p: &str| state.part(p);
            format!(
                "{} {}\n{} {}",
                part("strasse"),
                part("hausnummer"),
                part("plz"),
                part("ort")
            )
            .replace(" \n", "\n")
        }
        (Kind::Iban, Value::Text(iban)) => iban.clone(),
        (Kind::Group { item_label, .. }, _) => state
            .items
            .iter()
            .enumerate()
            .map(|(i, children)| {
                let lines: Vec<String> = children
                    .iter()
                    .filter_map(|c| {
                        answer_text(c, lang).map(|a| format!("{}: {}", c.field.label.get(lang), a.replace('\n', ", ")))
                    })
                    .collect();
                format!("{} {}\n{}", item_label.get(lang), i + 1, lines.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
        _ => state.text().to_owned(),
    };
    Some(if text.is_empty() {
        lang.t("form-not-answered").to_owned()
    } else {
        text
    })
}

/// The check-answers rows of one step.
pub struct AnswerSection {
    pub title: String,
    pub step_id: String,
    pub rows: Vec<AnswerRow>,
}

pub struct AnswerRow {
    pub label: String,
    pub value: String,
    /// What the receipt keeps: the value, and for files also each file's SHA-256.
    pub kept: String,
    pub field_anchor: String,
    /// False for answers taken from the Stammdaten that cannot be changed in the form.
    pub changeable: bool,
}

/// `locked` holds the answers the citizen cannot change in the form (from the Stammdaten).
pub fn answer_sections(state: &FormState<'_>, lang: Lang, locked: &Answers) -> Vec<AnswerSection> {
    state
        .steps
        .iter()
        .map(|step| AnswerSection {
            title: step.step.title.get(lang).to_owned(),
            step_id: step.step.id.clone(),
            rows: step
                .fields
                .iter()
                .filter_map(|f| {
                    answer_text(f, lang).map(|value| AnswerRow {
                        label: f.field.label.get(lang).to_owned(),
                        kept: kept_text(f, &value),
                        value,
                        field_anchor: f.field.id.clone(),
                        changeable: !locked.contains_key(&f.field.id),
                    })
                })
                .collect(),
        })
        .filter(|section| !section.rows.is_empty())
        .collect()
}

/// An answer as the receipt keeps it: as shown, and a file with its SHA-256 as well.
fn kept_text(state: &FieldState<'_>, shown: &str) -> String {
    let files = match state.field.kind {
        Kind::File { .. } => UploadedFile::list(Some(&state.raw)),
        _ => Vec::new(),
    };
    if files.is_empty() {
        return shown.to_owned();
    }
    files
        .iter()
        .map(|file| format!("{} ({}), SHA-256 {}", file.name, file.size_text(), file.sha256))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The answers as the citizen confirmed them, kept with the case for the receipt.
pub fn summary(sections: &[AnswerSection]) -> Vec<SummaryLine> {
    sections
        .iter()
        .flat_map(|s| {
            s.rows.iter().map(|r| SummaryLine {
                section: s.title.clone(),
                label: r.label.clone(),
                value: r.kept.clone(),
                step: s.step_id.clone(),
                field: r.field_anchor.clone(),
            })
        })
        .collect()
}
