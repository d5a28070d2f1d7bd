//! The small expression language of form definitions: conditions, cross-field rules, computed values.
//!
//! Written as JSON (or the same structure in TOML): an object with one key, the operator, e.g.
//! `{"eq": [{"var": "fahrzeug"}, "firmenwagen"]}`. Literals are strings, numbers, booleans and null.
//! Expressions are compiled once when a definition is loaded, so evaluating one never fails: a value
//! of the wrong type simply compares unequal. Money is in cents.
//!
//! Numbers are exact decimals (`rust_decimal`), so amounts add up to the cent, and arithmetic is
//! checked: a result too large for a number is no number (`Null`). `Expr::range` bounds what an
//! expression can come to, so an amount that could overflow is a definition error, found on loading.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value as Json;

/// A value as expressions see it: an answer after parsing, or an intermediate result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Decimal),
    Text(String),
    Date(NaiveDate),
    List(Vec<Value>),
    Record(BTreeMap<String, Value>),
}

impl Value {
    pub fn is_truthy(&self) -> bool {
        match self {
            Self::Null => false,
            Self::Bool(b) => *b,
            Self::Number(n) => !n.is_zero(),
            Self::Text(s) => !s.is_empty(),
            Self::Date(_) | Self::Record(_) => true,
            Self::List(items) => !items.is_empty(),
        }
    }

    fn as_number(&self) -> Decimal {
        match self {
            Self::Number(n) => *n,
            Self::Bool(true) => Decimal::ONE,
            _ => Decimal::ZERO,
        }
    }

    /// A number of cents as a whole number: rounded half away from zero (kaufmännisch), `None` when
    /// this is no number or too large for one.
    pub fn cents(&self) -> Option<i64> {
        match self {
            Self::Number(n) => n
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                .to_i64(),
            _ => None,
        }
    }

    fn from_literal(json: &Json) -> Option<Self> {
        match json {
            Json::Null => Some(Self::Null),
            Json::Bool(b) => Some(Self::Bool(*b)),
            Json::Number(n) => decimal(n).map(Self::Number),
            Json::String(s) => Some(Self::Text(s.clone())),
            Json::Array(items) => items
                .iter()
                .map(Self::from_literal)
                .collect::<Option<_>>()
                .map(Self::List),
            Json::Object(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A JSON number as an exact decimal: `1535`, `1.5`, `1e3`; `None` if it has no decimal.
pub fn decimal(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arithmetic {
    Add,
    Sub,
    Mul,
    Min,
    Max,
}

impl Arithmetic {
    /// `None` when the result is too large for a number.
    fn apply(self, a: Decimal, b: Decimal) -> Option<Decimal> {
        match self {
            Self::Add => a.checked_add(b),
            Self::Sub => a.checked_sub(b),
            Self::Mul => a.checked_mul(b),
            Self::Min => Some(a.min(b)),
            Self::Max => Some(a.max(b)),
        }
    }

    /// The range of `a op b` for any `a` in `a` and `b` in `b`.
    fn on_ranges(self, a: Range, b: Range) -> Option<Range> {
        match self {
            Self::Add => Some(Range::new(a.low.checked_add(b.low)?, a.high.checked_add(b.high)?)),
            Self::Sub => Some(Range::new(a.low.checked_sub(b.high)?, a.high.checked_sub(b.low)?)),
            Self::Mul => {
                let corners = [
                    a.low.checked_mul(b.low)?,
                    a.low.checked_mul(b.high)?,
                    a.high.checked_mul(b.low)?,
                    a.high.checked_mul(b.high)?,
                ];
                let low = corners.iter().copied().fold(corners[0], Decimal::min);
                let high = corners.iter().copied().fold(corners[0], Decimal::max);
                Some(Range::new(low, high))
            }
            Self::Min => Some(Range::new(a.low.min(b.low), a.high.min(b.high))),
            Self::Max => Some(Range::new(a.low.max(b.low), a.high.max(b.high))),
        }
    }
}

/// The least and the greatest number an expression can come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub low: Decimal,
    pub high: Decimal,
}

impl Range {
    pub fn new(low: Decimal, high: Decimal) -> Self {
        Self { low, high }
    }

    fn point(n: Decimal) -> Self {
        Self::new(n, n)
    }

    /// A yes/no, a condition, or a value that counts as 0 in arithmetic (a text, a date).
    pub const FLAG: Self = Self {
        low: Decimal::ZERO,
        high: Decimal::ONE,
    };

    fn union(self, other: Self) -> Self {
        Self::new(self.low.min(other.low), self.high.max(other.high))
    }
}

/// Full years a date of four-digit years can be from another.
const MOST_YEARS: Decimal = Decimal::from_parts(9999, 0, 0, false, 0);

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// An answer by field id; inside `count`/`sum`, a field of the current item first.
    Var(String),
    Not(Box<Expr>),
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Compare(Comparison, Box<Expr>, Box<Expr>),
    /// Whether a value is one of a list, or a list (checkboxes) holds a value.
    In(Box<Expr>, Box<Expr>),
    Arithmetic(Arithmetic, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Items of a repeating group, optionally only those meeting a condition.
    Count(String, Option<Box<Expr>>),
    /// Sum of an expression over the items of a repeating group.
    Sum(String, Box<Expr>),
    Today,
    /// Full years from a date until today (an age).
    YearsSince(Box<Expr>),
    /// A date plus a number of days.
    AddDays(Box<Expr>, Box<Expr>),
}

/// What a definition's expression may refer to; answers "is this a field, and is it a repeating group?".
pub trait Scope {
    fn lookup(&self, id: &str) -> Option<VarKind>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Value,
    /// A repeating group; `count` and `sum` iterate its items, whose fields are in `item_ids`.
    Group,
}

/// Every operator, for error messages.
const OPERATORS: &str = "var, not, all, any, eq, ne, lt, le, gt, ge, in, add, sub, mul, min, max, if, count, sum, today, years_since, add_days";

impl Expr {
    /// Compiles an expression, checking that every field it names exists in `scope`.
    /// `groups` gives the field ids inside each repeating group, for `count` and `sum`.
    pub fn compile(
        json: &Json,
        scope: &dyn Scope,
        groups: &dyn Fn(&str) -> Option<Vec<String>>,
    ) -> Result<Self, String> {
        Compiler {
            scope,
            groups,
            item: None,
        }
        .compile(json)
    }

    /// Evaluates against the answers so far; never fails.
    pub fn eval(&self, env: &Env<'_>) -> Value {
        match self {
            Self::Literal(v) => v.clone(),
            Self::Var(id) => env.get(id),
            Self::Not(e) => Value::Bool(!e.eval(env).is_truthy()),
            Self::All(items) => Value::Bool(items.iter().all(|e| e.eval(env).is_truthy())),
            Self::Any(items) => Value::Bool(items.iter().any(|e| e.eval(env).is_truthy())),
            Self::Compare(op, a, b) => Value::Bool(compare(*op, &a.eval(env), &b.eval(env))),
            Self::In(needle, haystack) => {
                let needle = needle.eval(env);
                Value::Bool(match haystack.eval(env) {
                    Value::List(items) => items.contains(&needle),
                    other => other == needle,
                })
            }
            Self::Arithmetic(op, items) => {
                let mut numbers = items.iter().map(|e| e.eval(env).as_number());
                let first = numbers.next().unwrap_or_default();
                numbers
                    .try_fold(first, |acc, n| op.apply(acc, n))
                    .map_or(Value::Null, Value::Number)
            }
            Self::If(condition, then, otherwise) => {
                if condition.eval(env).is_truthy() {
                    then.eval(env)
                } else {
                    otherwise.eval(env)
                }
            }
            Self::Count(group, condition) => {
                let count = env
                    .items(group)
                    .iter()
                    .filter(|item| condition.as_ref().is_none_or(|c| c.eval(&env.inside(item)).is_truthy()))
                    .count();
                Value::Number(Decimal::from(count))
            }
            Self::Sum(group, term) => env
                .items(group)
                .iter()
                .map(|item| term.eval(&env.inside(item)).as_number())
                .try_fold(Decimal::ZERO, Decimal::checked_add)
                .map_or(Value::Null, Value::Number),
            Self::Today => Value::Date(env.today),
            Self::YearsSince(date) => match date.eval(env) {
                Value::Date(d) => Value::Number(Decimal::from(full_years(d, env.today))),
                _ => Value::Null,
            },
            Self::AddDays(date, days) => match date.eval(env) {
                Value::Date(d) => {
                    let days = days
                        .eval(env)
                        .as_number()
                        .trunc()
                        .to_i64()
                        .unwrap_or_default()
                        .clamp(-1_000_000, 1_000_000);
                    d.checked_add_signed(chrono::Duration::days(days))
                        .map_or(Value::Null, Value::Date)
                }
                _ => Value::Null,
            },
        }
    }
}

impl Expr {
    /// The range of numbers this expression can come to, given the range of each answer (`answer`)
    /// and the most items of each repeating group (`most_items`); an error names what is unbounded
    /// or could overflow.
    pub fn range(
        &self,
        answer: &dyn Fn(&str) -> Result<Range, String>,
        most_items: &dyn Fn(&str) -> usize,
    ) -> Result<Range, String> {
        let too_large = || "the amount can come to more than a number holds (about 7.9 × 10^28)".to_owned();
        match self {
            Self::Literal(v) => Ok(Range::point(v.as_number())),
            Self::Var(id) => answer(id),
            Self::Not(_) | Self::All(_) | Self::Any(_) | Self::Compare(..) | Self::In(..) => Ok(Range::FLAG),
            Self::Arithmetic(op, items) => {
                let mut ranges = items.iter().map(|e| e.range(answer, most_items));
                let first = ranges.next().unwrap_or(Ok(Range::point(Decimal::ZERO)))?;
                ranges.try_fold(first, |acc, r| op.on_ranges(acc, r?).ok_or_else(too_large))
            }
            Self::If(_, then, otherwise) => Ok(then
                .range(answer, most_items)?
                .union(otherwise.range(answer, most_items)?)),
            Self::Count(group, _) => Ok(Range::new(Decimal::ZERO, Decimal::from(most_items(group)))),
            Self::Sum(group, term) => {
                let each = term.range(answer, most_items)?;
                let all = Arithmetic::Mul
                    .on_ranges(each, Range::new(Decimal::ZERO, Decimal::from(most_items(group))))
                    .ok_or_else(too_large)?;
                Ok(all.union(Range::point(Decimal::ZERO)))
            }
            Self::YearsSince(_) => Ok(Range::new(-MOST_YEARS, MOST_YEARS)),
            Self::Today | Self::AddDays(..) => Ok(Range::point(Decimal::ZERO)),
        }
    }
}

/// Full years between two dates, as an age is counted.
pub fn full_years(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

fn compare(op: Comparison, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match (op, ordering) {
        (Comparison::Eq, _) => a == b,
        (Comparison::Ne, _) => a != b,
        (_, None) => false,
        (Comparison::Lt, Some(o)) => o == Ordering::Less,
        (Comparison::Le, Some(o)) => o != Ordering::Greater,
        (Comparison::Gt, Some(o)) => o == Ordering::Greater,
        (Comparison::Ge, Some(o)) => o != Ordering::Less,
    }
}

/// The values an expression sees: the answers so far, and the current group item inside `count`/`sum`.
pub struct Env<'a> {
    pub values: &'a BTreeMap<String, Value>,
    pub today: NaiveDate,
    item: Option<&'a BTreeMap<String, Value>>,
}

impl<'a> Env<'a> {
    pub fn new(values: &'a BTreeMap<String, Value>, today: NaiveDate) -> Self {
        Self {
            values,
            today,
            item: None,
        }
    }

    fn get(&self, id: &str) -> Value {
        self.item
            .and_then(|item| item.get(id))
            .or_else(|| self.values.get(id))
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn items(&self, group: &str) -> &'a [Value] {
        match self.values.get(group) {
            Some(Value::List(items)) => items,
            _ => &[],
        }
    }

    fn inside(&self, item: &'a Value) -> Env<'a> {
        Env {
            values: self.values,
            today: self.today,
            item: match item {
                Value::Record(fields) => Some(fields),
                _ => None,
            },
        }
    }
}

struct Compiler<'s> {
    scope: &'s dyn Scope,
    groups: &'s dyn Fn(&str) -> Option<Vec<String>>,
    /// Field ids of the group item inside `count`/`sum`.
    item: Option<Vec<String>>,
}

impl Compiler<'_> {
    fn compile(&self, json: &Json) -> Result<Expr, String> {
        let Json::Object(map) = json else {
            return Value::from_literal(json)
                .map(Expr::Literal)
                .ok_or_else(|| format!("'{json}' is not a value"));
        };
        let mut entries = map.iter();
        let (Some((op, arg)), None) = (entries.next(), entries.next()) else {
            return Err(format!(
                "an expression is an object with exactly one operator ({OPERATORS}), not {json}"
            ));
        };
        let boxed = |j: &Json| self.compile(j).map(Box::new);
        match op.as_str() {
            "var" => self.var(arg),
            "not" => Ok(Expr::Not(boxed(arg)?)),
            "all" => Ok(Expr::All(self.list(op, arg, 1)?)),
            "any" => Ok(Expr::Any(self.list(op, arg, 1)?)),
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
                let [a, b] = self.pair(op, arg)?;
                let comparison = match op.as_str() {
                    "eq" => Comparison::Eq,
                    "ne" => Comparison::Ne,
                    "lt" => Comparison::Lt,
                    "le" => Comparison::Le,
                    "gt" => Comparison::Gt,
                    _ => Comparison::Ge,
                };
                Ok(Expr::Compare(comparison, Box::new(a), Box::new(b)))
            }
            "in" => {
                let [a, b] = self.pair(op, arg)?;
                Ok(Expr::In(Box::new(a), Box::new(b)))
            }
            "add" | "sub" | "mul" | "min" | "max" => {
                let arithmetic = match op.as_str() {
                    "add" => Arithmetic::Add,
                    "sub" => Arithmetic::Sub,
                    "mul" => Arithmetic::Mul,
                    "min" => Arithmetic::Min,
                    _ => Arithmetic::Max,
                };
                Ok(Expr::Arithmetic(arithmetic, self.list(op, arg, 2)?))
            }
            "if" => match self.list(op, arg, 3)?.as_slice() {
                [c, t, e] => Ok(Expr::If(Box::new(c.clone()), Box::new(t.clone()), Box::new(e.clone()))),
                _ => Err("'if' takes exactly three expressions: [condition, then, else]".into()),
            },
            "count" | "sum" => self.over_group(op, arg),
            "today" => Ok(Expr::Today),
            "years_since" => Ok(Expr::YearsSince(boxed(arg)?)),
            "add_days" => {
                let [a, b] = self.pair(op, arg)?;
                Ok(Expr::AddDays(Box::new(a), Box::new(b)))
            }
            other => Err(format!("unknown operator '{other}', use one of {OPERATORS}")),
        }
    }

    fn var(&self, arg: &Json) -> Result<Expr, String> {
        let Json::String(id) = arg else {
            return Err(format!("'var' takes a field id as a string, not {arg}"));
        };
        let in_item = self.item.as_ref().is_some_and(|ids| ids.contains(id));
        if in_item || self.scope.lookup(id).is_some() {
            Ok(Expr::Var(id.clone()))
        } else {
            Err(format!(
                "refers to field '{id}', which does not exist or is not answered before this point"
            ))
        }
    }

    fn list(&self, op: &str, arg: &Json, min: usize) -> Result<Vec<Expr>, String> {
        match arg {
            Json::Array(items) if items.len() >= min => items.iter().map(|j| self.compile(j)).collect(),
            _ => Err(format!("'{op}' takes a list of at least {min} expression(s)")),
        }
    }

    fn pair(&self, op: &str, arg: &Json) -> Result<[Expr; 2], String> {
        match arg {
            Json::Array(items) if items.len() == 2 => Ok([self.compile(&items[0])?, self.compile(&items[1])?]),
            _ => Err(format!("'{op}' takes a list of exactly two expressions")),
        }
    }

    fn over_group(&self, op: &str, arg: &Json) -> Result<Expr, String> {
        let usage = || {
            format!(
                "'{op}' takes [\"group id\", expression]{}",
                if op == "count" { " or [\"group id\"]" } else { "" }
            )
        };
        let Json::Array(items) = arg else { return Err(usage()) };
        let Some(Json::String(group)) = items.first() else {
            return Err(usage());
        };
        if self.scope.lookup(group) != Some(VarKind::Group) {
            return Err(format!(
                "'{op}' refers to '{group}', which is not a repeating group answered before this point"
            ));
        }
        let inner = Compiler {
            scope: self.scope,
            groups: self.groups,
            item: (self.groups)(group),
        };
        match (op, &items[1..]) {
            ("count", []) => Ok(Expr::Count(group.clone(), None)),
            ("count", [condition]) => Ok(Expr::Count(group.clone(), Some(Box::new(inner.compile(condition)?)))),
            ("sum", [term]) => Ok(Expr::Sum(group.clone(), Box::new(inner.compile(term)?))),
            _ => Err(usage()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fields(&'static [(&'static str, VarKind)]);

    impl Scope for Fields {
        fn lookup(&self, id: &str) -> Option<VarKind> {
            self.0.iter().find(|(name, _)| *name == id).map(|(_, kind)| *kind)
        }
    }

    const SCOPE: Fields = Fields(&[
        ("art", VarKind::Value),
        ("anzahl", VarKind::Value),
        ("geburt", VarKind::Value),
        ("hunde", VarKind::Group),
        ("wahl", VarKind::Value),
    ]);

    fn groups(id: &str) -> Option<Vec<String>> {
        (id == "hunde").then(|| vec!["gefaehrlich".into(), "name".into()])
    }

    fn compile(json: Json) -> Result<Expr, String> {
        Expr::compile(&json, &SCOPE, &groups)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()
    }

    fn eval(json: Json, values: &BTreeMap<String, Value>) -> Value {
        compile(json).unwrap().eval(&Env::new(values, today()))
    }

    fn dog(dangerous: bool) -> Value {
        Value::Record(BTreeMap::from([
            ("gefaehrlich".to_owned(), Value::Bool(dangerous)),
            ("name".to_owned(), Value::Text("Bello".into())),
        ]))
    }

    fn answers() -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("art".to_owned(), Value::Text("firmenwagen".into())),
            ("anzahl".to_owned(), Value::Number(3.into())),
            (
                "geburt".to_owned(),
                Value::Date(NaiveDate::from_ymd_opt(2000, 12, 1).unwrap()),
            ),
            ("hunde".to_owned(), Value::List(vec![dog(false), dog(true), dog(false)])),
            (
                "wahl".to_owned(),
                Value::List(vec![Value::Text("a".into()), Value::Text("c".into())]),
            ),
        ])
    }

    #[test]
    fn compares_answers_with_literals() {
        let values = answers();
        assert_eq!(
            eval(json!({"eq": [{"var": "art"}, "firmenwagen"]}), &values),
            Value::Bool(true)
        );
        assert_eq!(
            eval(json!({"ne": [{"var": "art"}, "firmenwagen"]}), &values),
            Value::Bool(false)
        );
        assert_eq!(eval(json!({"gt": [{"var": "anzahl"}, 2]}), &values), Value::Bool(true));
        assert_eq!(eval(json!({"le": [{"var": "anzahl"}, 2]}), &values), Value::Bool(false));
        // Different types never order.
        assert_eq!(eval(json!({"lt": [{"var": "art"}, 5]}), &values), Value::Bool(false));
    }

    #[test]
    fn combines_conditions() {
        let values = answers();
        let yes = json!({"eq": [1, 1]});
        let no = json!({"eq": [1, 2]});
        assert_eq!(eval(json!({"all": [yes, no]}), &values), Value::Bool(false));
        assert_eq!(eval(json!({"any": [yes, no]}), &values), Value::Bool(true));
        assert_eq!(eval(json!({"not": no}), &values), Value::Bool(true));
        assert_eq!(
            eval(json!({"if": [yes, "ja", "nein"]}), &values),
            Value::Text("ja".into())
        );
    }

    #[test]
    fn membership_works_both_ways() {
        let values = answers();
        assert_eq!(
            eval(json!({"in": [{"var": "art"}, ["privat", "firmenwagen"]]}), &values),
            Value::Bool(true)
        );
        assert_eq!(eval(json!({"in": ["c", {"var": "wahl"}]}), &values), Value::Bool(true));
        assert_eq!(eval(json!({"in": ["b", {"var": "wahl"}]}), &values), Value::Bool(false));
    }

    #[test]
    fn computes_fees_over_repeating_groups() {
        let values = answers();
        // 90 € for the first dog, 120 € for each further one.
        let fee = json!({"add": [
            {"mul": [{"min": [{"count": ["hunde"]}, 1]}, 9000]},
            {"mul": [{"max": [{"sub": [{"count": ["hunde"]}, 1]}, 0]}, 12000]}
        ]});
        assert_eq!(eval(fee, &values), Value::Number(33000.into()));
        assert_eq!(
            eval(json!({"count": ["hunde", {"var": "gefaehrlich"}]}), &values),
            Value::Number(1.into())
        );
        assert_eq!(
            eval(
                json!({"sum": ["hunde", {"if": [{"var": "gefaehrlich"}, 60000, 9000]}]}),
                &values
            ),
            Value::Number(78000.into())
        );
    }

    #[test]
    fn dates_relative_to_today() {
        let values = answers();
        // Born 2000-12-01: 25 on 2026-11-30, one day before the 26th birthday.
        assert_eq!(
            eval(json!({"years_since": {"var": "geburt"}}), &values),
            Value::Number(25.into())
        );
        assert_eq!(
            eval(
                json!({"lt": [{"var": "geburt"}, {"add_days": [{"today": null}, -365]}]}),
                &values
            ),
            Value::Bool(true)
        );
    }

    #[test]
    fn missing_answers_are_null_and_count_as_zero() {
        let empty = BTreeMap::new();
        assert_eq!(eval(json!({"var": "art"}), &empty), Value::Null);
        assert_eq!(
            eval(json!({"add": [{"var": "anzahl"}, 5]}), &empty),
            Value::Number(5.into())
        );
        assert_eq!(eval(json!({"count": ["hunde"]}), &empty), Value::Number(0.into()));
        assert_eq!(eval(json!({"years_since": {"var": "geburt"}}), &empty), Value::Null);
    }

    #[test]
    fn refuses_unknown_fields_and_operators_with_a_reason() {
        let unknown = compile(json!({"eq": [{"var": "farbe"}, "rot"]})).unwrap_err();
        assert!(unknown.contains("'farbe'"), "{unknown}");
        let operator = compile(json!({"equals": [1, 1]})).unwrap_err();
        assert!(operator.contains("unknown operator 'equals'"), "{operator}");
        assert!(compile(json!({"eq": [1]})).is_err());
        assert!(compile(json!({"eq": [1, 2], "ne": [1, 2]})).is_err());
        assert!(
            compile(json!({"count": ["art"]}))
                .unwrap_err()
                .contains("not a repeating group")
        );
        // An item field is known only inside count/sum.
        assert!(compile(json!({"var": "gefaehrlich"})).is_err());
        assert!(compile(json!({"if": [true, 1]})).is_err());
    }
}
