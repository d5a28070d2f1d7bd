//! `derive(definition, answers, today) -> FormState`: the one place that decides which steps and
//! fields apply, what each answer means, what is wrong with it, and what comes next.
//!
//! Answers are JSON as stored in a draft: a string per simple field, a list of strings for
//! checkboxes, an object for dates (`tag`, `monat`, `jahr`) and addresses (`strasse`, `hausnummer`,
//! `plz`, `ort`), a list of objects for repeating groups. Anything else counts as not answered.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::definition::{Choice, Computed, Field, FormDefinition, Kind, Step, Text};
use super::expr::{Env, Value};
use super::input::{self, DateProblem};
use crate::domain::Money;
use crate::domain::evidence::UploadedFile;

pub type Answers = Map<String, Json>;

/// The parts of a date and of an address, as stored and as posted (`<field>.<part>`).
pub const DATE_PARTS: [&str; 3] = ["tag", "monat", "jahr"];
pub const ADDRESS_PARTS: [&str; 4] = ["strasse", "hausnummer", "plz", "ort"];

#[derive(Debug)]
pub struct FormState<'d> {
    /// The steps that apply, in order.
    pub steps: Vec<StepState<'d>>,
    /// Parsed values of the fields that apply, by id.
    pub values: BTreeMap<String, Value>,
    pub computed: Vec<(&'d Computed, Value)>,
    /// The answers that apply; answers to steps and fields that no longer apply are left out.
    pub answers: Answers,
}

#[derive(Debug)]
pub struct StepState<'d> {
    pub step: &'d Step,
    pub fields: Vec<FieldState<'d>>,
}

#[derive(Debug)]
pub struct FieldState<'d> {
    pub field: &'d Field,
    /// The answer as given (cleaned), to show it again.
    pub raw: Json,
    pub value: Value,
    pub error: Option<FieldError<'d>>,
    /// The items of a repeating group, each with its fields.
    pub items: Vec<Vec<FieldState<'d>>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldError<'d> {
    Required,
    TooShort(usize),
    TooLong(usize),
    Pattern(Option<&'d Text>),
    NotANumber,
    NotWhole,
    NumberBelow(Decimal),
    NumberAbove(Decimal),
    NotAnAmount,
    AmountBelow(Money),
    AmountAbove(Money),
    DateIncomplete,
    NotADate,
    DateBefore(NaiveDate),
    DateAfter(NaiveDate),
    Email,
    Phone,
    Iban,
    Postcode,
    Choice,
    TooFewChoices(usize),
    TooManyChoices(usize),
    AddressIncomplete,
    TooManyFiles(usize),
    /// One of the group's items has an error (shown at that item's field).
    InItems,
    Rule(&'d Text),
}

pub fn derive<'d>(definition: &'d FormDefinition, answers: &Answers, today: NaiveDate) -> FormState<'d> {
    let mut values = BTreeMap::new();
    let mut kept = Map::new();
    let mut steps = Vec::new();
    for step in &definition.steps {
        if !applies(step.when.as_ref(), &values, today) {
            continue;
        }
        let mut fields = Vec::new();
        for field in &step.fields {
            if !applies(field.when.as_ref(), &values, today) {
                continue;
            }
            let state = derive_field(field, answers.get(&field.id), &values, today);
            if field.kind.is_question() {
                values.insert(field.id.clone(), state.value.clone());
                if !state.raw.is_null() {
                    kept.insert(field.id.clone(), state.raw.clone());
                }
            }
            fields.push(state);
        }
        // Cross-field rules speak only once every field of the step is fine on its own.
        if fields.iter().all(|f| f.error.is_none()) {
            let env = Env::new(&values, today);
            for rule in &step.rules {
                if !rule.check.eval(&env).is_truthy()
                    && let Some(target) = fields
                        .iter_mut()
                        .find(|f| f.field.id == rule.field && f.error.is_none())
                {
                    target.error = Some(FieldError::Rule(&rule.message));
                }
            }
        }
        steps.push(StepState { step, fields });
    }
    let env = Env::new(&values, today);
    let computed = definition
        .computed
        .iter()
        .map(|c| {
            let value = c.value.eval(&env);
            (c, value)
        })
        .collect();
    FormState {
        steps,
        values,
        computed,
        answers: kept,
    }
}

fn applies(condition: Option<&super::expr::Expr>, values: &BTreeMap<String, Value>, today: NaiveDate) -> bool {
    condition.is_none_or(|c| c.eval(&Env::new(values, today)).is_truthy())
}

impl<'d> FormState<'d> {
    pub fn step(&self, id: &str) -> Option<&StepState<'d>> {
        self.steps.iter().find(|s| s.step.id == id)
    }

    /// The step after `id` that applies, or `None` when `id` is the last (check answers come next).
    pub fn next_after(&self, id: &str) -> Option<&'d Step> {
        let at = self.steps.iter().position(|s| s.step.id == id)?;
        self.steps.get(at + 1).map(|s| s.step)
    }

    /// The step before `id` that applies, for the "Zurück" link.
    pub fn previous_before(&self, id: &str) -> Option<&'d Step> {
        let at = self.steps.iter().position(|s| s.step.id == id)?;
        at.checked_sub(1).and_then(|i| self.steps.get(i)).map(|s| s.step)
    }

    /// The first step that still has an error, where a citizen must go before sending.
    pub fn first_incomplete(&self) -> Option<&'d Step> {
        self.steps.iter().find(|s| s.has_errors()).map(|s| s.step)
    }

    pub fn is_complete(&self) -> bool {
        self.first_incomplete().is_none()
    }

    /// The fee computed from the answers, if the form computes one named `gebuehr`: in whole cents,
    /// rounded half away from zero.
    pub fn fee(&self) -> Option<Money> {
        self.computed
            .iter()
            .find(|(c, _)| c.id == "gebuehr")
            .and_then(|(_, v)| v.cents())
            .filter(|cents| *cents >= 0)
            .map(Money::from_cents)
    }
}

impl StepState<'_> {
    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }
}

impl FieldState<'_> {
    /// The answer as one string (simple fields), for the input's `value`.
    pub fn text(&self) -> &str {
        self.raw.as_str().unwrap_or_default()
    }

    /// A part of a date or address answer.
    pub fn part(&self, name: &str) -> &str {
        self.raw.get(name).and_then(Json::as_str).unwrap_or_default()
    }

    /// Whether a choice is selected (radios, select, checkboxes, yes/no).
    pub fn is_chosen(&self, value: &str) -> bool {
        match &self.raw {
            Json::String(s) => s == value,
            Json::Array(items) => items.iter().any(|i| i.as_str() == Some(value)),
            _ => false,
        }
    }
}

fn text_of(raw: Option<&Json>) -> &str {
    raw.and_then(Json::as_str).unwrap_or_default()
}

fn derive_field<'d>(
    field: &'d Field,
    raw: Option<&Json>,
    values: &BTreeMap<String, Value>,
    today: NaiveDate,
) -> FieldState<'d> {
    let mut state = FieldState {
        field,
        raw: Json::Null,
        value: Value::Null,
        error: None,
        items: Vec::new(),
    };
    let missing = |state: &mut FieldState<'d>| {
        if field.required {
            state.error = Some(FieldError::Required);
        }
    };
    match &field.kind {
        Kind::Text {
            min_length,
            max_length,
            pattern,
            ..
        } => {
            let text = input::clean_line(text_of(raw));
            check_text(&mut state, field, text, *min_length, *max_length);
            if state.error.is_none()
                && let (Some(p), Value::Text(t)) = (pattern, &state.value)
                && !p.regex.is_match(t)
            {
                state.error = Some(FieldError::Pattern(p.message.as_ref()));
            }
        }
        Kind::Textarea { min_length, max_length } => {
            let text = input::clean_lines(text_of(raw));
            check_text(&mut state, field, text, *min_length, *max_length);
        }
        Kind::Number { min, max, whole } => {
            let text = input::clean_line(text_of(raw));
            if text.is_empty() {
                missing(&mut state);
            } else {
                match input::parse_number(&text) {
                    None => state.error = Some(FieldError::NotANumber),
                    Some(n) if *whole && !n.fract().is_zero() => state.error = Some(FieldError::NotWhole),
                    Some(n) if min.is_some_and(|m| n < m) => state.error = min.map(FieldError::NumberBelow),
                    Some(n) if max.is_some_and(|m| n > m) => state.error = max.map(FieldError::NumberAbove),
                    Some(n) => state.value = Value::Number(n),
                }
            }
            state.raw = non_empty(text);
        }
        Kind::Money { min, max } => {
            let text = input::clean_line(text_of(raw));
            if text.is_empty() {
                missing(&mut state);
            } else {
                match input::parse_money(&text) {
                    None => state.error = Some(FieldError::NotAnAmount),
                    Some(m) if min.is_some_and(|l| m < l) => state.error = min.map(FieldError::AmountBelow),
                    Some(m) if max.is_some_and(|l| m > l) => state.error = max.map(FieldError::AmountAbove),
                    Some(m) => state.value = Value::Number(Decimal::from(m.cents())),
                }
            }
            state.raw = non_empty(text);
        }
        Kind::Date { earliest, latest } => {
            let parts = parts_of(raw, &DATE_PARTS);
            if parts.iter().all(|(_, v)| v.is_empty()) {
                missing(&mut state);
            } else {
                let get = |i: usize| parts[i].1.as_str();
                match input::parse_date(get(0), get(1), get(2)) {
                    Err(DateProblem::Incomplete) => state.error = Some(FieldError::DateIncomplete),
                    Err(DateProblem::NotADate) => state.error = Some(FieldError::NotADate),
                    Ok(date) => {
                        let earliest = earliest.map(|b| b.resolve(today));
                        let latest = latest.map(|b| b.resolve(today));
                        if let Some(e) = earliest.filter(|e| date < *e) {
                            state.error = Some(FieldError::DateBefore(e));
                        } else if let Some(l) = latest.filter(|l| date > *l) {
                            state.error = Some(FieldError::DateAfter(l));
                        } else {
                            state.value = Value::Date(date);
                        }
                    }
                }
                state.raw = Json::Object(
                    parts
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), Json::String(v)))
                        .collect(),
                );
            }
        }
        Kind::Email | Kind::Phone | Kind::Postcode => {
            let text = input::clean_line(text_of(raw));
            let (valid, error) = match field.kind {
                Kind::Email => (input::is_email(&text), FieldError::Email),
                Kind::Phone => (input::is_phone(&text), FieldError::Phone),
                _ => (input::is_postcode(&text), FieldError::Postcode),
            };
            if text.is_empty() {
                missing(&mut state);
            } else if valid {
                state.value = Value::Text(text.clone());
            } else {
                state.error = Some(error);
            }
            state.raw = non_empty(text);
        }
        Kind::Iban => {
            let text = input::clean_line(text_of(raw));
            if text.is_empty() {
                missing(&mut state);
            } else {
                match input::parse_iban(&text) {
                    Some(iban) => state.value = Value::Text(iban),
                    None => state.error = Some(FieldError::Iban),
                }
            }
            state.raw = non_empty(text);
        }
        Kind::Select(choices) | Kind::Radios(choices) => {
            let text = input::clean_line(text_of(raw));
            choose(&mut state, field, choices, text);
        }
        Kind::YesNo => {
            let text = input::clean_line(text_of(raw));
            match text.as_str() {
                "" => missing(&mut state),
                "ja" => state.value = Value::Bool(true),
                "nein" => state.value = Value::Bool(false),
                _ => state.error = Some(FieldError::Choice),
            }
            state.raw = non_empty(text);
        }
        Kind::Checkboxes { choices, min, max } => {
            let chosen: Vec<String> = match raw {
                Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).map(input::clean_line).collect(),
                Some(Json::String(one)) => vec![input::clean_line(one)],
                _ => Vec::new(),
            };
            let known: Vec<String> = choices
                .iter()
                .filter(|c| chosen.contains(&c.value))
                .map(|c| c.value.clone())
                .collect();
            if known.len() < chosen.len() {
                state.error = Some(FieldError::Choice);
            } else if known.len() < *min {
                state.error = Some(if *min <= 1 {
                    FieldError::Required
                } else {
                    FieldError::TooFewChoices(*min)
                });
            } else if max.is_some_and(|m| known.len() > m) {
                state.error = max.map(FieldError::TooManyChoices);
            }
            state.value = Value::List(known.iter().cloned().map(Value::Text).collect());
            if !known.is_empty() {
                state.raw = Json::Array(known.into_iter().map(Json::String).collect());
            }
        }
        Kind::Address => {
            let parts = parts_of(raw, &ADDRESS_PARTS);
            let filled = parts.iter().filter(|(_, v)| !v.is_empty()).count();
            if filled == 0 {
                missing(&mut state);
            } else if filled < parts.len() && !(filled == 3 && parts[1].1.is_empty()) {
                // Only the house number may be missing (a farm, a named building).
                state.error = Some(FieldError::AddressIncomplete);
            } else if !input::is_postcode(&parts[2].1) {
                state.error = Some(FieldError::Postcode);
            } else if parts.iter().any(|(_, v)| v.chars().count() > 100) {
                state.error = Some(FieldError::TooLong(100));
            } else {
                state.value = Value::Record(
                    parts
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), Value::Text(v.clone())))
                        .collect(),
                );
            }
            if filled > 0 {
                state.raw = Json::Object(
                    parts
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), Json::String(v)))
                        .collect(),
                );
            }
        }
        Kind::Group {
            fields,
            min_items,
            max_items,
            ..
        } => {
            let items: &[Json] = match raw {
                Some(Json::Array(items)) => items,
                _ => &[],
            };
            let mut records = Vec::new();
            let mut kept = Vec::new();
            // A required group shows at least `min_items` items, empty ones to fill in.
            let shown = items
                .len()
                .max(if field.required { *min_items } else { 0 })
                .min(*max_items);
            for index in 0..shown {
                let item = items.get(index).unwrap_or(&Json::Null);
                let mut record = BTreeMap::new();
                let mut kept_item = Map::new();
                let mut states = Vec::new();
                for child in fields {
                    if !applies(child.when.as_ref(), values, today) {
                        continue;
                    }
                    let child_state = derive_field(child, item.get(&child.id), values, today);
                    record.insert(child.id.clone(), child_state.value.clone());
                    if !child_state.raw.is_null() {
                        kept_item.insert(child.id.clone(), child_state.raw.clone());
                    }
                    states.push(child_state);
                }
                records.push(Value::Record(record));
                kept.push(Json::Object(kept_item));
                state.items.push(states);
            }
            if state.items.iter().flatten().any(|f| f.error.is_some()) {
                state.error = Some(FieldError::InItems);
            }
            state.value = Value::List(records);
            if !kept.is_empty() {
                state.raw = Json::Array(kept);
            }
        }
        Kind::File { max_files, .. } => {
            let files = UploadedFile::list(raw);
            if files.is_empty() {
                missing(&mut state);
            } else if files.len() > *max_files {
                state.error = Some(FieldError::TooManyFiles(*max_files));
            } else {
                state.value = Value::List(files.iter().map(|f| Value::Text(f.name.clone())).collect());
            }
            if !files.is_empty() {
                state.raw = serde_json::to_value(&files).unwrap_or_default();
            }
        }
        Kind::Info { .. } => {}
    }
    if state.error.is_some() {
        state.value = Value::Null;
    }
    state
}

fn non_empty(text: String) -> Json {
    if text.is_empty() {
        Json::Null
    } else {
        Json::String(text)
    }
}

fn check_text<'d>(state: &mut FieldState<'d>, field: &Field, text: String, min: usize, max: usize) {
    let length = text.chars().count();
    if text.is_empty() {
        if field.required {
            state.error = Some(FieldError::Required);
        }
    } else if length > max {
        state.error = Some(FieldError::TooLong(max));
    } else if length < min {
        state.error = Some(FieldError::TooShort(min));
    } else {
        state.value = Value::Text(text.clone());
    }
    state.raw = non_empty(text);
}

fn choose(state: &mut FieldState<'_>, field: &Field, choices: &[Choice], text: String) {
    if text.is_empty() {
        if field.required {
            state.error = Some(FieldError::Required);
        }
    } else if choices.iter().any(|c| c.value == text) {
        state.value = Value::Text(text.clone());
    } else {
        state.error = Some(FieldError::Choice);
    }
    state.raw = non_empty(text);
}

/// The named parts of an object answer, cleaned; missing parts are empty.
fn parts_of(raw: Option<&Json>, names: &[&'static str]) -> Vec<(&'static str, String)> {
    names
        .iter()
        .map(|name| {
            (
                *name,
                input::clean_line(
                    raw.and_then(|r| r.get(*name))
                        .and_then(Json::as_str)
                        .unwrap_or_default(),
                ),
            )
        })
        .collect()
}

/// Reads one step's answers from a posted form (`name=value` pairs), by the names the step's inputs
/// carry; anything else posted is ignored.
pub fn read_step(step: &Step, posted: &[(String, String)]) -> Answers {
    let posted = Posted(posted);
    step.fields
        .iter()
        .filter_map(|field| read_field(field, &field.id, &posted).map(|answer| (field.id.clone(), answer)))
        .collect()
}

/// The posted pairs; every value is cleaned of control characters (PostgreSQL cannot even store
/// NUL) and cut to the longest answer kept, before anything is saved.
struct Posted<'a>(&'a [(String, String)]);

impl Posted<'_> {
    fn all(&self, name: &str) -> Vec<Json> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| Json::String(input::clean_line(v)))
            .collect()
    }

    fn first(&self, name: &str, clean: fn(&str) -> String) -> Option<Json> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Json::String(clean(v)))
    }

    /// A date's or an address's parts, posted as `<name>.<part>`.
    fn parts(&self, name: &str, parts: &[&str]) -> Option<Json> {
        let object: Map<String, Json> = parts
            .iter()
            .filter_map(|part| {
                self.first(&format!("{name}.{part}"), input::clean_line)
                    .map(|v| ((*part).to_owned(), v))
            })
            .collect();
        (!object.is_empty()).then_some(Json::Object(object))
    }
}

fn read_field(field: &Field, name: &str, posted: &Posted<'_>) -> Option<Json> {
    match &field.kind {
        Kind::Info { .. } | Kind::File { .. } => None,
        Kind::Checkboxes { .. } => Some(Json::Array(posted.all(name))),
        Kind::Date { .. } => posted.parts(name, &DATE_PARTS),
        Kind::Address => posted.parts(name, &ADDRESS_PARTS),
        Kind::Group { fields, max_items, .. } => {
            // Each item posts `<group>.<n>.present`, so an item left empty still counts.
            let items = (0..*max_items)
                .map(|index| format!("{name}.{index}"))
                .take_while(|prefix| posted.first(&format!("{prefix}.present"), input::clean_line).is_some())
                .map(|prefix| {
                    Json::Object(
                        fields
                            .iter()
                            .filter_map(|child| {
                                read_field(child, &format!("{prefix}.{}", child.id), posted)
                                    .map(|a| (child.id.clone(), a))
                            })
                            .collect(),
                    )
                })
                .collect();
            Some(Json::Array(items))
        }
        Kind::Textarea { .. } => posted.first(name, input::clean_lines),
        _ => posted.first(name, input::clean_line),
    }
}
