//! Form definitions: what a form asks, in which steps, under which conditions, with which rules.
//!
//! Read from a TOML (or JSON) text by [`FormDefinition::parse`], which checks the whole definition
//! and names step and field for every problem. A definition that parsed is consistent: every
//! expression refers to fields answered before it, ids are unique, options exist.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, Months, NaiveDate};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value as Json;

use rust_decimal::Decimal;

use super::expr::{Expr, Range, Scope, VarKind, decimal};
use super::input::LARGEST_INPUT_CENTS;
use crate::domain::{FileType, Money};
use crate::i18n::Lang;

/// A text in German and, where given, English.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub de: String,
    pub en: Option<String>,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => en,
            _ => &self.de,
        }
    }
}

#[derive(Debug)]
pub struct FormDefinition {
    /// Raised by the authority whenever questions change; drafts remember the version they were
    /// started with.
    pub version: u32,
    /// Sections of the task list; empty for a short form without one.
    pub sections: Vec<Section>,
    pub steps: Vec<Step>,
    pub computed: Vec<Computed>,
    /// The declaration the citizen must confirm before sending, if the service requires one.
    pub declaration: Option<Text>,
    /// How the fee is collected, shown on check-answers next to the fee.
    pub fee_note: Option<Text>,
    /// The fee is paid online before the application is sent (the tenant's `[payment]` provider);
    /// otherwise it is charged after the decision, as `fee_note` says.
    pub pay_online: bool,
    /// What happens after sending, shown on the confirmation page.
    pub next_steps: Option<Text>,
    /// All files of one application together may be this large.
    pub max_upload_bytes: u64,
}

#[derive(Debug)]
pub struct Section {
    pub id: String,
    pub title: Text,
}

#[derive(Debug)]
pub struct Step {
    pub id: String,
    pub title: Text,
    pub intro: Option<Text>,
    pub section: Option<String>,
    pub when: Option<Expr>,
    pub fields: Vec<Field>,
    pub rules: Vec<Rule>,
}

#[derive(Debug)]
pub struct Field {
    pub id: String,
    pub label: Text,
    pub hint: Option<Text>,
    pub required: bool,
    /// Overrides the generic "Geben Sie … an" message.
    pub required_message: Option<Text>,
    pub when: Option<Expr>,
    pub kind: Kind,
    /// Stammdaten field the answer starts with.
    pub prefill: Option<Prefill>,
    /// Whether the citizen may change a prefilled answer (false: shown, not editable).
    pub prefill_editable: bool,
}

/// A cross-field rule: when `check` is false, `message` is shown at `field`.
#[derive(Debug)]
pub struct Rule {
    pub check: Expr,
    pub field: String,
    pub message: Text,
}

/// A value computed from the answers, such as the fee (money is in cents).
#[derive(Debug)]
pub struct Computed {
    pub id: String,
    pub label: Text,
    pub money: bool,
    pub value: Expr,
}

/// The largest amount a form may compute, in cents (ten billion euros): far above any fee, far below
/// where cents in an `i64` or the sums of a payment could overflow.
pub const LARGEST_COMPUTED_CENTS: i64 = 1_000_000_000_000;

/// Upload limits a definition may set, in MB of 10^6 bytes (as citizens read "10 MB").
const MB: u64 = 1_000_000;
const DEFAULT_FILE_MB: u64 = 10;
const MOST_FILE_MB: u64 = 100;
const MOST_FILES: usize = 20;
const DEFAULT_UPLOAD_MB: u64 = 50;
const MOST_UPLOAD_MB: u64 = 500;

/// Whether an amount stays within `LARGEST_COMPUTED_CENTS` whatever the citizen answers (within each
/// field's limits): a number an amount uses needs a `min` and a `max`.
fn amount_fits(value: &Expr, steps: &[Step]) -> Result<(), String> {
    fn find<'f>(fields: &'f [Field], id: &str) -> Option<&'f Field> {
        fields.iter().find_map(|f| match &f.kind {
            _ if f.id == id => Some(f),
            Kind::Group { fields, .. } => find(fields, id),
            _ => None,
        })
    }
    let field = |id: &str| steps.iter().find_map(|step| find(&step.fields, id));
    let answer = |id: &str| -> Result<Range, String> {
        match field(id).map(|f| &f.kind) {
            Some(Kind::Number {
                min: Some(min),
                max: Some(max),
                ..
            }) => Ok(Range::new(*min, *max)),
            Some(Kind::Number { .. }) => Err(format!(
                "the amount uses the number '{id}', which needs a min and a max so the amount cannot overflow"
            )),
            Some(Kind::Money { min, max }) => Ok(Range::new(
                Decimal::from(min.map_or(0, Money::cents)),
                Decimal::from(max.map_or(LARGEST_INPUT_CENTS, Money::cents)),
            )),
            // Yes/no counts as 0 or 1; texts, choices and dates as 0.
            _ => Ok(Range::FLAG),
        }
    };
    let most_items = |id: &str| match field(id).map(|f| &f.kind) {
        Some(Kind::Group { max_items, .. }) => *max_items,
        _ => 0,
    };
    let range = value.range(&answer, &most_items)?;
    let largest = Decimal::from(LARGEST_COMPUTED_CENTS);
    if range.low < -largest || range.high > largest {
        return Err(format!(
            "the amount can come to between {} and {} cents; at most {LARGEST_COMPUTED_CENTS} either way",
            range.low, range.high
        ));
    }
    Ok(())
}

#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

#[derive(Debug)]
pub enum Kind {
    Text {
        min_length: usize,
        max_length: usize,
        pattern: Option<Pattern>,
        autocomplete: Option<String>,
    },
    Textarea {
        min_length: usize,
        max_length: usize,
    },
    Number {
        min: Option<Decimal>,
        max: Option<Decimal>,
        whole: bool,
    },
    Money {
        min: Option<Money>,
        max: Option<Money>,
    },
    Date {
        earliest: Option<DateBound>,
        latest: Option<DateBound>,
    },
    Email,
    Phone,
    Iban,
    Postcode,
    Select(Vec<Choice>),
    Radios(Vec<Choice>),
    Checkboxes {
        choices: Vec<Choice>,
        min: usize,
        max: Option<usize>,
    },
    YesNo,
    Address,
    /// Evidence to upload: files of the accepted types, each at most `max_bytes`, at most
    /// `max_files` of them. The answer lists the uploaded files (see `derive`).
    File {
        accept: Vec<FileType>,
        max_bytes: u64,
        max_files: usize,
    },
    Group {
        fields: Vec<Field>,
        min_items: usize,
        max_items: usize,
        item_label: Text,
    },
    /// Read-only text, optionally showing a computed value.
    Info {
        text: Text,
        show: Option<String>,
    },
}

impl Step {
    /// The most name-value pairs a post of this step holds: its inputs, the CSRF token and the
    /// pressed button. A post with more was not sent by the step's page.
    pub fn most_inputs(&self) -> usize {
        self.fields.iter().map(Field::most_inputs).sum::<usize>() + 2
    }
}

impl Field {
    /// How many name-value pairs the field's inputs can post at most.
    pub fn most_inputs(&self) -> usize {
        match &self.kind {
            // Files come as parts of their own; a removal is the pressed button.
            Kind::Info { .. } | Kind::File { .. } => 0,
            Kind::Date { .. } => 3,
            Kind::Address => 4,
            Kind::Checkboxes { choices, .. } => choices.len(),
            Kind::Group { fields, max_items, .. } => max_items * fields.iter().map(Field::most_inputs).sum::<usize>(),
            _ => 1,
        }
    }
}

impl Kind {
    /// Whether the kind takes an answer (info blocks do not).
    pub fn is_question(&self) -> bool {
        !matches!(self, Self::Info { .. })
    }

    /// Whether the answer is read from a step's posted name-value pairs (uploaded files are not:
    /// they are added and removed one by one).
    pub fn is_posted(&self) -> bool {
        !matches!(self, Self::Info { .. } | Self::File { .. })
    }
}

#[derive(Debug)]
pub struct Pattern {
    pub regex: Regex,
    pub message: Option<Text>,
}

/// A limit for a date: a fixed day, or today plus or minus days, months or years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DateBound {
    Fixed(NaiveDate),
    Days(i64),
    Months(i32),
}

impl DateBound {
    /// `today`, `-18y`, `+6m`, `-30d` or `2020-01-01`.
    fn parse(raw: &str) -> Result<Self, String> {
        let error = || format!("'{raw}' is not a date limit: write today, -18y, +6m, -30d or 2020-01-01");
        if raw == "today" {
            return Ok(Self::Days(0));
        }
        if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(Self::Fixed(date));
        }
        let (sign, rest) = if let Some(rest) = raw.strip_prefix('+') {
            (1, rest)
        } else if let Some(rest) = raw.strip_prefix('-') {
            (-1, rest)
        } else {
            return Err(error());
        };
        // At most 1,000 years either way: enough for any form, far from overflowing.
        let number = |digits: &str| digits.parse::<i32>().ok().filter(|n| (0..=365_000).contains(n));
        if let Some(days) = rest.strip_suffix('d').and_then(number) {
            Ok(Self::Days(i64::from(sign * days)))
        } else if let Some(months) = rest.strip_suffix('m').and_then(number).filter(|m| *m <= 12_000) {
            Ok(Self::Months(sign * months))
        } else if let Some(years) = rest.strip_suffix('y').and_then(number).filter(|y| *y <= 1_000) {
            Ok(Self::Months(sign * years * 12))
        } else {
            Err(error())
        }
    }

    pub fn resolve(self, today: NaiveDate) -> NaiveDate {
        match self {
            Self::Fixed(date) => date,
            Self::Days(days) => today.checked_add_signed(Duration::days(days)).unwrap_or(today),
            Self::Months(months) if months >= 0 => today
                .checked_add_months(Months::new(months.unsigned_abs()))
                .unwrap_or(today),
            Self::Months(months) => today
                .checked_sub_months(Months::new(months.unsigned_abs()))
                .unwrap_or(today),
        }
    }
}

/// Stammdaten a field may start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    GivenName,
    FamilyName,
    BirthDate,
    Email,
    Address,
}

impl Prefill {
    fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "given_name" => Ok(Self::GivenName),
            "family_name" => Ok(Self::FamilyName),
            "birth_date" => Ok(Self::BirthDate),
            "email" => Ok(Self::Email),
            "address" => Ok(Self::Address),
            other => Err(format!(
                "prefill '{other}' is unknown, use given_name, family_name, birth_date, email or address"
            )),
        }
    }
}

/// A problem in a definition: where (step and field) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionProblem {
    pub location: String,
    pub message: String,
}

// ---- The file format ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormFile {
    version: u32,
    #[serde(default)]
    sections: Vec<SectionFile>,
    steps: Vec<StepFile>,
    #[serde(default)]
    computed: Vec<ComputedFile>,
    declaration: Option<Text>,
    fee_note: Option<Text>,
    #[serde(default)]
    pay_online: bool,
    next_steps: Option<Text>,
    /// All files of an application together, in MB; 50 if not given.
    max_upload_mb: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionFile {
    id: String,
    title: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: String,
    title: Text,
    intro: Option<Text>,
    section: Option<String>,
    when: Option<Json>,
    #[serde(default)]
    fields: Vec<FieldFile>,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    id: String,
    kind: String,
    label: Option<Text>,
    hint: Option<Text>,
    #[serde(default = "yes")]
    required: bool,
    required_message: Option<Text>,
    when: Option<Json>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<String>,
    pattern_message: Option<Text>,
    autocomplete: Option<String>,
    min: Option<Json>,
    max: Option<Json>,
    #[serde(default)]
    whole: bool,
    earliest: Option<String>,
    latest: Option<String>,
    #[serde(default)]
    options: Vec<ChoiceFile>,
    prefill: Option<String>,
    #[serde(default = "yes")]
    prefill_editable: bool,
    #[serde(default)]
    accept: Vec<String>,
    max_size_mb: Option<u64>,
    max_files: Option<usize>,
    #[serde(default)]
    fields: Vec<FieldFile>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    item_label: Option<Text>,
    text: Option<Text>,
    show: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceFile {
    value: String,
    label: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    check: Json,
    field: String,
    message: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComputedFile {
    id: String,
    label: Text,
    #[serde(default)]
    money: bool,
    value: Json,
}

/// Field kinds by their name in a definition.
pub const KINDS: &str = "text, textarea, number, money, date, email, phone, iban, postcode, select, radios, checkboxes, yesno, address, file, group, info";

/// Fields known so far while checking a definition, in the order a citizen answers them.
#[derive(Default)]
struct Known {
    fields: BTreeMap<String, VarKind>,
    group_items: BTreeMap<String, Vec<String>>,
}

impl Scope for Known {
    fn lookup(&self, id: &str) -> Option<VarKind> {
        self.fields.get(id).copied()
    }
}

impl FormDefinition {
    /// The most name-value pairs a post of any of its steps holds.
    pub fn most_inputs(&self) -> usize {
        self.steps.iter().map(Step::most_inputs).max().unwrap_or(0)
    }

    /// Parses and checks a definition written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, Vec<DefinitionProblem>> {
        let file: FormFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| format!("line {}", text[..span.start].lines().count().max(1)))
                .unwrap_or_else(|| "-".into());
            vec![DefinitionProblem {
                location: line,
                message: e.message().to_owned(),
            }]
        })?;
        Self::check(file)
    }

    /// Parses and checks a definition written in JSON.
    pub fn from_json(text: &str) -> Result<Self, Vec<DefinitionProblem>> {
        let file: FormFile = serde_json::from_str(text).map_err(|e| {
            vec![DefinitionProblem {
                location: format!("line {}", e.line()),
                message: e.to_string(),
            }]
        })?;
        Self::check(file)
    }

    fn check(file: FormFile) -> Result<Self, Vec<DefinitionProblem>> {
        let mut problems = Vec::new();
        let mut report = |location: String, message: String| problems.push(DefinitionProblem { location, message });
        let report = &mut report;
        if file.steps.is_empty() {
            report("steps".into(), "a form needs at least one step".into());
        }
        let section_ids: HashSet<&str> = file.sections.iter().map(|s| s.id.as_str()).collect();
        if section_ids.len() != file.sections.len() {
            report("sections".into(), "two sections have the same id".into());
        }

        let mut known = Known::default();
        let mut step_ids = HashSet::new();
        let mut steps = Vec::new();
        for (index, raw) in file.steps.into_iter().enumerate() {
            let at = format!("step '{}'", raw.id);
            if !is_id(&raw.id) {
                report(
                    format!("steps[{index}]"),
                    format!("'{}' is not an id: use a-z, 0-9, _ and -", raw.id),
                );
            }
            if !step_ids.insert(raw.id.clone()) {
                report(at.clone(), "two steps have this id".into());
            }
            if let Some(section) = &raw.section
                && !section_ids.contains(section.as_str())
            {
                report(
                    at.clone(),
                    format!("section '{section}' is not declared under [[sections]]"),
                );
            }
            if !file.sections.is_empty() && raw.section.is_none() {
                report(at.clone(), "the form has sections, so every step needs one".into());
            }
            // A step's condition and its fields' conditions see only earlier steps: without JavaScript
            // a page cannot change while the citizen fills it in.
            let when = raw
                .when
                .as_ref()
                .and_then(|json| compile(json, &known).map_err(|m| report(format!("{at}, when"), m)).ok());
            if raw.fields.is_empty() {
                report(at.clone(), "a step needs at least one field".into());
            }
            let mut fields = Vec::new();
            let mut this_step = Vec::new();
            for raw_field in raw.fields {
                if let Some(field) = check_field(raw_field, &at, &known, false, report) {
                    this_step.push(field);
                }
            }
            for field in &this_step {
                if !known.fields.contains_key(&field.id) {
                    let kind = if matches!(field.kind, Kind::Group { .. }) {
                        VarKind::Group
                    } else {
                        VarKind::Value
                    };
                    known.fields.insert(field.id.clone(), kind);
                    if let Kind::Group { fields: items, .. } = &field.kind {
                        known
                            .group_items
                            .insert(field.id.clone(), items.iter().map(|f| f.id.clone()).collect());
                    }
                } else {
                    report(
                        format!("{at}, field '{}'", field.id),
                        "this id is already used by another field".into(),
                    );
                }
            }
            fields.extend(this_step);
            let mut rules = Vec::new();
            for (r, rule) in raw.rules.into_iter().enumerate() {
                let location = format!("{at}, rules[{r}]");
                if !fields.iter().any(|f| f.id == rule.field) {
                    report(
                        location.clone(),
                        format!("field '{}' is not a field of this step", rule.field),
                    );
                }
                match compile(&rule.check, &known) {
                    Ok(check) => rules.push(Rule {
                        check,
                        field: rule.field,
                        message: rule.message,
                    }),
                    Err(m) => report(location, m),
                }
            }
            steps.push(Step {
                id: raw.id,
                title: raw.title,
                intro: raw.intro,
                section: raw.section,
                when,
                fields,
                rules,
            });
        }

        let mut computed = Vec::new();
        for raw in file.computed {
            let at = format!("computed '{}'", raw.id);
            if known.fields.contains_key(&raw.id) {
                report(at.clone(), "this id is already used by a field".into());
            }
            match compile(&raw.value, &known) {
                Ok(value) => {
                    if raw.money
                        && let Err(m) = amount_fits(&value, &steps)
                    {
                        report(at.clone(), m);
                    }
                    computed.push(Computed {
                        id: raw.id,
                        label: raw.label,
                        money: raw.money,
                        value,
                    });
                }
                Err(m) => report(at, m),
            }
        }
        let computed_ids: HashSet<&str> = computed.iter().map(|c| c.id.as_str()).collect();
        for step in &steps {
            for field in &step.fields {
                if let Kind::Info { show: Some(id), .. } = &field.kind
                    && !computed_ids.contains(id.as_str())
                {
                    report(
                        format!("step '{}', field '{}'", step.id, field.id),
                        format!("show = '{id}' is not a computed value"),
                    );
                }
            }
        }

        let upload_mb = file.max_upload_mb.unwrap_or(DEFAULT_UPLOAD_MB);
        if !(1..=MOST_UPLOAD_MB).contains(&upload_mb) {
            report(
                "max_upload_mb".into(),
                format!("must be between 1 and {MOST_UPLOAD_MB}"),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            version: file.version,
            sections: file
                .sections
                .into_iter()
                .map(|s| Section {
                    id: s.id,
                    title: s.title,
                })
                .collect(),
            steps,
            computed,
            declaration: file.declaration,
            fee_note: file.fee_note,
            pay_online: file.pay_online,
            next_steps: file.next_steps,
            max_upload_bytes: upload_mb * MB,
        })
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Whether a task list leads through the form (forms with sections).
    pub fn has_task_list(&self) -> bool {
        !self.sections.is_empty()
    }
}

fn compile(json: &Json, known: &Known) -> Result<Expr, String> {
    Expr::compile(json, known, &|group| known.group_items.get(group).cloned())
}

fn is_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_field(
    raw: FieldFile,
    step: &str,
    known: &Known,
    in_group: bool,
    report: &mut dyn FnMut(String, String),
) -> Option<Field> {
    let at = format!("{step}, field '{}'", raw.id);
    let mut own = Vec::new();
    let mut fail = |message: String| own.push(message);
    if !is_id(&raw.id) || raw.id.contains('.') {
        fail(format!("'{}' is not an id: use a-z, 0-9, _ and -", raw.id));
    }
    let label = match (raw.label, raw.kind.as_str()) {
        (Some(label), _) => label,
        (None, "info") => Text {
            de: String::new(),
            en: None,
        },
        (None, _) => {
            fail("a field needs a label".into());
            Text {
                de: String::new(),
                en: None,
            }
        }
    };
    let when = raw
        .when
        .as_ref()
        .and_then(|json| compile(json, known).map_err(|m| fail(format!("when: {m}"))).ok());
    let prefill = raw
        .prefill
        .as_deref()
        .and_then(|p| Prefill::parse(p).map_err(&mut fail).ok());
    let choices = |fail: &mut dyn FnMut(String)| -> Vec<Choice> {
        if raw.options.is_empty() {
            fail("needs options = [{ value = \"…\", label = { de = \"…\" } }, …]".into());
        }
        let mut seen = HashSet::new();
        for option in &raw.options {
            if !seen.insert(option.value.as_str()) {
                fail(format!("option '{}' is listed twice", option.value));
            }
        }
        raw.options
            .iter()
            .map(|o| Choice {
                value: o.value.clone(),
                label: o.label.clone(),
            })
            .collect()
    };
    let number = |json: &Option<Json>, name: &str, fail: &mut dyn FnMut(String)| -> Option<Decimal> {
        json.as_ref().and_then(|j| {
            let n = j.as_number().and_then(decimal);
            if n.is_none() {
                fail(format!("{name} must be a number"));
            }
            n
        })
    };
    let money = |json: &Option<Json>, name: &str, fail: &mut dyn FnMut(String)| -> Option<Money> {
        json.as_ref().and_then(|j| match j.as_str().map(Money::parse_euros) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                fail(format!("{name}: {e}"));
                None
            }
            None => {
                fail(format!("{name} must be an amount in quotes, like \"30.70\""));
                None
            }
        })
    };
    let date = |raw: &Option<String>, fail: &mut dyn FnMut(String)| -> Option<DateBound> {
        raw.as_deref().and_then(|r| DateBound::parse(r).map_err(fail).ok())
    };
    let max_length = |default: usize| raw.max_length.unwrap_or(default);
    let mut child_failed = false;
    let kind = match raw.kind.as_str() {
        "text" => {
            let pattern = raw
                .pattern
                .as_deref()
                .and_then(|p| match Regex::new(&format!("^(?:{p})$")) {
                    Ok(regex) => Some(Pattern {
                        regex,
                        message: raw.pattern_message.clone(),
                    }),
                    Err(e) => {
                        fail(format!("pattern is not a regular expression: {e}"));
                        None
                    }
                });
            if raw.pattern.is_some() && raw.pattern_message.is_none() {
                fail("a pattern needs a pattern_message that tells the citizen what to enter".into());
            }
            Kind::Text {
                min_length: raw.min_length.unwrap_or(0),
                max_length: max_length(200),
                pattern,
                autocomplete: raw.autocomplete.clone(),
            }
        }
        "textarea" => Kind::Textarea {
            min_length: raw.min_length.unwrap_or(0),
            max_length: max_length(2000),
        },
        "number" => Kind::Number {
            min: number(&raw.min, "min", &mut fail),
            max: number(&raw.max, "max", &mut fail),
            whole: raw.whole,
        },
        "money" => Kind::Money {
            min: money(&raw.min, "min", &mut fail),
            max: money(&raw.max, "max", &mut fail),
        },
        "date" => Kind::Date {
            earliest: date(&raw.earliest, &mut fail),
            latest: date(&raw.latest, &mut fail),
        },
        "email" => Kind::Email,
        "phone" => Kind::Phone,
        "iban" => Kind::Iban,
        "postcode" => Kind::Postcode,
        "select" => Kind::Select(choices(&mut fail)),
        "radios" => Kind::Radios(choices(&mut fail)),
        "checkboxes" => Kind::Checkboxes {
            choices: choices(&mut fail),
            min: raw
                .min
                .as_ref()
                .and_then(Json::as_u64)
                .unwrap_or(u64::from(raw.required)) as usize,
            max: raw.max.as_ref().and_then(Json::as_u64).map(|m| m as usize),
        },
        "yesno" => Kind::YesNo,
        "address" => Kind::Address,
        "file" => {
            if in_group {
                fail("a file field cannot be inside a group".into());
            }
            let mut accept = Vec::new();
            for name in &raw.accept {
                match FileType::parse(name) {
                    Some(kind) => accept.push(kind),
                    None => fail(format!("accept: '{name}' is not one of pdf, jpeg, png")),
                }
            }
            if accept.is_empty() {
                accept = FileType::ALL.to_vec();
            }
            let size_mb = raw.max_size_mb.unwrap_or(DEFAULT_FILE_MB);
            if !(1..=MOST_FILE_MB).contains(&size_mb) {
                fail(format!("max_size_mb must be between 1 and {MOST_FILE_MB}"));
            }
            let max_files = raw.max_files.unwrap_or(1);
            if !(1..=MOST_FILES).contains(&max_files) {
                fail(format!("max_files must be between 1 and {MOST_FILES}"));
            }
            Kind::File {
                accept,
                max_bytes: size_mb * MB,
                max_files,
            }
        }
        "info" => Kind::Info {
            text: raw.text.clone().unwrap_or_else(|| {
                fail("an info block needs a text".into());
                Text {
                    de: String::new(),
                    en: None,
                }
            }),
            show: raw.show.clone(),
        },
        "group" => {
            if in_group {
                fail("a repeating group cannot hold another group".into());
            }
            let mut items = Vec::new();
            let mut ids = HashSet::new();
            for child in raw.fields {
                let child_id = child.id.clone();
                if !ids.insert(child_id.clone()) {
                    fail(format!("field '{child_id}' appears twice in the group"));
                }
                match check_field(child, &at, known, true, report) {
                    Some(field) => items.push(field),
                    None => child_failed = true,
                }
            }
            if items.is_empty() && !child_failed {
                fail("a group needs fields".into());
            }
            let max_items = raw.max_items.unwrap_or(10).clamp(1, 50);
            let min_items = raw.min_items.unwrap_or(1).min(max_items);
            let item_label = raw.item_label.clone().unwrap_or_else(|| {
                fail("a group needs an item_label, e.g. { de = \"Hund\" }".into());
                Text {
                    de: String::new(),
                    en: None,
                }
            });
            Kind::Group {
                fields: items,
                min_items,
                max_items,
                item_label,
            }
        }
        other => {
            fail(format!("unknown kind '{other}', use one of {KINDS}"));
            Kind::YesNo
        }
    };
    if let Some(Prefill::Address) = prefill
        && !matches!(kind, Kind::Address)
    {
        fail("prefill 'address' needs a field of kind address".into());
    }
    let failed = !own.is_empty() || child_failed;
    for message in own {
        report(at.clone(), message);
    }
    if failed {
        return None;
    }
    Some(Field {
        id: raw.id,
        label,
        hint: raw.hint,
        required: raw.required && kind.is_question(),
        required_message: raw.required_message,
        when,
        kind,
        prefill,
        prefill_editable: raw.prefill_editable,
    })
}
