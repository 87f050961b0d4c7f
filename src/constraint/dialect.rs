//! The front ends: text, Marathon array and object forms, in the Marathon and OpenWhisk
//! dialects; and the per-operator validation of values (SEMANTICS §1.2, §3.1).

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, ParseError, Span};
use crate::limits::Limits;
use crate::text::constraint::{split_constraint_text, Piece};

use super::ast::{Arg, Constraint, ConstraintSpans, Dialect, Field, Operator, Target};
use super::regex::{java_split, JavaRegex, RegexError};
use super::render::normalize_is_value;

/// How to parse constraints: the dialect, the OpenWhisk delimiter, what the constraints are
/// evaluated against, and the limits for regexes.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    dialect: Dialect,
    target: Target,
    /// The OpenWhisk delimiter; `None` is the default `" "`.
    delimiter: Option<Arc<JavaRegex>>,
    limits: Limits,
}

/// OpenWhisk's default `constraint-delimiter`.
pub const DEFAULT_DELIMITER: &str = " ";

impl Default for ParseOptions {
    /// The Marathon dialect on agents, default limits.
    fn default() -> ParseOptions {
        ParseOptions { dialect: Dialect::Marathon, target: Target::Agent, delimiter: None, limits: Limits::default() }
    }
}

impl ParseOptions {
    /// Options for `dialect`, with an OpenWhisk `delimiter` (a Java regular expression;
    /// default `" "`; ignored by the Marathon dialect) and the regex `limits`.
    ///
    /// # Errors
    /// `constraint.delimiter` (with a caret inside the delimiter) when the delimiter is not
    /// a valid regular expression or can match the empty string only.
    ///
    /// ```
    /// use offerfit::constraint::{Dialect, ParseOptions};
    /// assert!(ParseOptions::new(Dialect::OpenWhisk, Some(r"\|"), &offerfit::Limits::default()).is_ok());
    /// let e = ParseOptions::new(Dialect::OpenWhisk, Some("("), &offerfit::Limits::default()).unwrap_err();
    /// assert_eq!(e.code(), "constraint.delimiter");
    /// ```
    pub fn new(dialect: Dialect, delimiter: Option<&str>, limits: &Limits) -> Result<ParseOptions, Error> {
        let Some(text) = delimiter.filter(|d| *d != DEFAULT_DELIMITER) else {
            return Ok(ParseOptions { dialect, target: Target::Agent, delimiter: None, limits: *limits });
        };
        let delimiter = JavaRegex::new_search(text, limits).map_err(|e| {
            let code = if e.code == "constraint.regex" { "constraint.delimiter" } else { e.code };
            Error::from(
                ParseError::new(code, e.message, text, e.span)
                    .with_help("the delimiter is a Java regular expression: write `\\|` to split on `|`"),
            )
        })?;
        Ok(ParseOptions { dialect, target: Target::Agent, delimiter: Some(Arc::new(delimiter)), limits: *limits })
    }

    /// The same options for constraints evaluated against `target`.
    #[must_use]
    pub fn with_target(mut self, target: Target) -> ParseOptions {
        self.target = target;
        self
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The target.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The OpenWhisk delimiter as written.
    pub fn delimiter(&self) -> &str {
        self.delimiter.as_ref().map_or(DEFAULT_DELIMITER, |d| d.as_str())
    }

    /// The limits regexes are compiled with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// A constraint as a host writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintInput<'a> {
    /// `"rack LIKE r[12]"` (Marathon dialect) or `"att1 LIKE v1"` split by the OpenWhisk
    /// delimiter.
    Text(&'a str),
    /// Marathon's app JSON form `["field", "OPERATOR", "value"?]`.
    Array(&'a [String]),
    /// The object form `{"field", "operator", "value"?}`.
    Object {
        /// The field.
        field: &'a str,
        /// The operator.
        operator: &'a str,
        /// The value, if any.
        value: Option<&'a str>,
    },
}

/// Which piece of a constraint an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The constraint as a whole (e.g. the wrong number of items).
    Whole,
    /// The field.
    Field,
    /// The operator.
    Operator,
    /// The value.
    Value,
}

impl Part {
    /// The JSON pointer suffix of this part inside an input of the given form: `/0`, `/1`,
    /// `/2` for the array form, `/field`, `/operator`, `/value` for the object form, nothing
    /// for text (the span says where) and for [`Part::Whole`].
    pub fn pointer_suffix(self, input: &ConstraintInput<'_>) -> &'static str {
        match (input, self) {
            (ConstraintInput::Text(_), _) | (_, Part::Whole) => "",
            (ConstraintInput::Array(_), Part::Field) => "/0",
            (ConstraintInput::Array(_), Part::Operator) => "/1",
            (ConstraintInput::Array(_), Part::Value) => "/2",
            (ConstraintInput::Object { .. }, Part::Field) => "/field",
            (ConstraintInput::Object { .. }, Part::Operator) => "/operator",
            (ConstraintInput::Object { .. }, Part::Value) => "/value",
        }
    }
}

/// A refused constraint: the error (a [`ParseError`] with a caret for text, or for the one
/// string of an array / object element) and which part it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintError {
    /// What is wrong. For the text form its span points into the text; for the array and
    /// object forms into the string of [`ConstraintError::part`].
    pub error: Error,
    /// The part of the constraint at fault.
    pub part: Part,
}

impl fmt::Display for ConstraintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for ConstraintError {}

impl From<ConstraintError> for Error {
    fn from(e: ConstraintError) -> Error {
        e.error
    }
}

/// A constraint left out because its dialect ignores it (OpenWhisk drops operators other
/// than `LIKE` / `UNLIKE` with a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `constraint.ignored`.
    pub code: &'static str,
    /// One lowercase line.
    pub message: String,
    /// Advice.
    pub help: Option<String>,
    /// The part it is about (the operator).
    pub part: Part,
    /// For text input: where in the text.
    pub span: Option<Span>,
}

impl Warning {
    /// The text with a caret under the culprit, like [`ParseError::render`] (for text input).
    pub fn render(&self, input: &str) -> String {
        ParseError::new(self.code, self.message.clone(), input, self.span.unwrap_or_default()).render()
    }
}

/// The outcome of parsing one constraint that is not an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A valid constraint.
    Constraint(Constraint),
    /// A constraint the dialect ignores.
    Ignored(Warning),
}

/// Parses and validates one constraint.
///
/// # Errors
/// [`ConstraintError`] naming the part at fault; codes: `constraint.empty`,
/// `constraint.syntax`, `constraint.fields`, `constraint.empty_field`,
/// `constraint.missing_operator`, `constraint.unknown_operator`, `constraint.unexpected_value`,
/// `constraint.missing_value`, `constraint.number`, `constraint.regex`, `constraint.is_value`,
/// `constraint.set`, `constraint.version`, `constraint.disk_field`, `constraint.disk_operator`,
/// `limit.regex_size`, `limit.string_bytes`, `limit.regex_backtrack`.
///
/// ```
/// use offerfit::constraint::{parse_constraint, ConstraintInput, Dialect, ParseOptions, Parsed};
/// let opts = ParseOptions::default();
/// let e = parse_constraint(ConstraintInput::Text("rack UNIQE"), &opts).unwrap_err();
/// let p = e.error.as_parse().unwrap();
/// assert_eq!(p.render(), "rack UNIQE\n     ^^^^^ unknown operator `UNIQE`");
/// assert!(p.help.as_deref().unwrap().starts_with("did you mean `UNIQUE`? operators: UNIQUE, CLUSTER,"));
///
/// let ow = ParseOptions::new(Dialect::OpenWhisk, Some(r"\|"), &offerfit::Limits::default()).unwrap();
/// let Ok(Parsed::Constraint(c)) = parse_constraint(ConstraintInput::Text("att1|LIKE|v.*"), &ow) else { panic!() };
/// assert_eq!(c.to_string(), "att1 LIKE v.*");
/// ```
pub fn parse_constraint(input: ConstraintInput<'_>, options: &ParseOptions) -> Result<Parsed, ConstraintError> {
    match (options.dialect, input) {
        (Dialect::Marathon, ConstraintInput::Text(t)) => marathon_text(t, options).map(Parsed::Constraint),
        (Dialect::Marathon, ConstraintInput::Array(items)) => {
            if !(2..=3).contains(&items.len()) {
                return Err(whole(
                    "constraint.fields",
                    format!("expected 2 or 3 items `[field, OPERATOR, value]`, found {}", items.len()),
                    "each constraint must have either 2 or 3 fields, e.g. `[\"hostname\", \"UNIQUE\"]`",
                ));
            }
            let (f, o, v) = (item(items, 0), item(items, 1), items.get(2).map(String::as_str));
            build(f, o, v, options).map(Parsed::Constraint).map_err(|e| e.on_element(f, o, v))
        }
        (Dialect::Marathon, ConstraintInput::Object { field, operator, value }) => {
            build(field, operator, value, options)
                .map(Parsed::Constraint)
                .map_err(|e| e.on_element(field, operator, value))
        }
        (Dialect::OpenWhisk, ConstraintInput::Text(t)) => openwhisk_text(t, options),
        (Dialect::OpenWhisk, ConstraintInput::Array(items)) => {
            if items.len() != 3 {
                return Err(whole(
                    "constraint.fields",
                    format!("expected 3 items `[attribute, operator, value]`, found {}", items.len()),
                    "OpenWhisk constraints have exactly three fields: attribute, `LIKE` or `UNLIKE`, and a regex",
                ));
            }
            let (f, o, v) = (item(items, 0), item(items, 1), item(items, 2));
            openwhisk_pieces(f, o, v, options).map_err(|e| e.on_element(f, o, Some(v)))
        }
        (Dialect::OpenWhisk, ConstraintInput::Object { field, operator, value }) => {
            let Some(v) = value else {
                return Err(whole(
                    "constraint.missing_value",
                    "expected a value: OpenWhisk constraints have exactly three fields".to_owned(),
                    "add a regex value, e.g. `{\"field\": \"rack\", \"operator\": \"LIKE\", \"value\": \"r1\"}`",
                ));
            };
            openwhisk_pieces(field, operator, v, options).map_err(|e| e.on_element(field, operator, Some(v)))
        }
    }
}

fn item(items: &[String], i: usize) -> &str {
    items.get(i).map_or("", String::as_str)
}

fn whole(code: &'static str, message: String, help: &str) -> ConstraintError {
    ConstraintError { error: Error::invalid(code, message).with_help(help), part: Part::Whole }
}

/// An error about one part, with a span inside that part's text.
#[derive(Debug)]
struct PartError {
    part: Part,
    code: &'static str,
    message: String,
    help: Option<String>,
    span: Span,
}

impl PartError {
    fn new(part: Part, code: &'static str, message: String, span: Span) -> PartError {
        PartError { part, code, message, help: None, span }
    }

    fn help(mut self, help: impl Into<String>) -> PartError {
        self.help = Some(help.into());
        self
    }

    fn from_regex(e: RegexError, help: &str) -> PartError {
        let help = if e.code == "constraint.regex" { Some(help.to_owned()) } else { e.help };
        PartError { part: Part::Value, code: e.code, message: e.message, help, span: e.span }
    }

    /// The error for the element string of an array / object form.
    fn on_element(self, field: &str, operator: &str, value: Option<&str>) -> ConstraintError {
        if self.code == "constraint.missing_value" {
            // No element holds the missing value: the error is about the constraint.
            let mut e = Error::invalid(self.code, self.message);
            if let Some(h) = self.help {
                e = e.with_help(h);
            }
            return ConstraintError { error: e, part: Part::Whole };
        }
        let text = match self.part {
            Part::Field => field,
            Part::Operator => operator,
            Part::Value => value.unwrap_or(""),
            Part::Whole => "",
        };
        let mut p = ParseError::new(self.code, self.message, text, self.span);
        p.help = self.help;
        ConstraintError { error: p.into(), part: self.part }
    }

    /// The error for a text, given where each part sits in it.
    fn in_text(self, text: &str, field: &Piece, operator: &Piece, value: Option<&Piece>) -> ConstraintError {
        let span = match self.part {
            Part::Field => field.span(self.span),
            Part::Operator => operator.span(self.span),
            Part::Value => value.map_or(Span::new(text.len(), text.len()), |v| v.span(self.span)),
            Part::Whole => Span::new(0, text.len()),
        };
        let mut p = ParseError::new(self.code, self.message, text, span);
        p.help = self.help;
        ConstraintError { error: p.into(), part: self.part }
    }
}

fn marathon_text(text: &str, options: &ParseOptions) -> Result<Constraint, ConstraintError> {
    let parts = split_constraint_text(text).map_err(|e| {
        let part = if e.code == "constraint.missing_operator" { Part::Operator } else { Part::Whole };
        ConstraintError { error: e.into(), part }
    })?;
    let value = parts.value.as_ref().map(|v| v.text.as_str());
    let mut c = build(&parts.field.text, &parts.operator.text, value, options)
        .map_err(|e| e.in_text(text, &parts.field, &parts.operator, parts.value.as_ref()))?;
    c.spans = Some(ConstraintSpans {
        field: parts.field.outer,
        operator: parts.operator.outer,
        value: parts.value.as_ref().map(|v| v.outer),
    });
    Ok(c)
}

fn openwhisk_text(text: &str, options: &ParseOptions) -> Result<Parsed, ConstraintError> {
    let matches = match &options.delimiter {
        None => Some(text.match_indices(DEFAULT_DELIMITER).map(|(i, m)| (i, i + m.len())).collect()),
        Some(d) => d.find_all(text),
    };
    let Some(matches) = matches else {
        let e = options.limits.exceeded(crate::limits::LimitKind::RegexBacktrack, options.limits.regex_backtrack);
        return Err(ConstraintError { error: e, part: Part::Whole });
    };
    let fields = java_split(text, matches);
    let delim = options.delimiter();
    let shape = format!("<attribute>{delim}<operator>{delim}<value>");
    let help = format!(
        "OpenWhisk splits each constraint with the delimiter `{delim}` (a Java regular expression) into exactly three fields"
    );
    let err = |code, message: String, span: Span| ConstraintError {
        error: ParseError::new(code, message, text, span).with_help(help.clone()).into(),
        part: Part::Whole,
    };
    if fields.len() != 3 {
        let span = match fields.get(3) {
            Some(&(start, _)) => Span::new(start, text.len()),
            None => Span::new(text.len(), text.len()),
        };
        return Err(err("constraint.fields", format!("expected `{shape}`, found {} field(s)", fields.len()), span));
    }
    let piece = |i: usize| {
        let (s, e) = fields.get(i).copied().unwrap_or((0, 0));
        Piece::verbatim(text.get(s..e).unwrap_or(""), s)
    };
    let (f, o, v) = (piece(0), piece(1), piece(2));
    for (p, what) in [(&f, "an attribute"), (&o, "an operator")] {
        if p.text.is_empty() {
            return Err(err(
                "constraint.empty_field",
                format!("expected {what}, found an empty field between two delimiters"),
                p.outer,
            ));
        }
    }
    match openwhisk_pieces(&f.text, &o.text, &v.text, options) {
        Ok(Parsed::Constraint(mut c)) => {
            c.spans = Some(ConstraintSpans { field: f.outer, operator: o.outer, value: Some(v.outer) });
            Ok(Parsed::Constraint(c))
        }
        Ok(Parsed::Ignored(mut w)) => {
            w.span = Some(o.outer);
            Ok(Parsed::Ignored(w))
        }
        Err(e) => Err(e.in_text(text, &f, &o, Some(&v))),
    }
}

fn openwhisk_pieces(field: &str, operator: &str, value: &str, options: &ParseOptions) -> Result<Parsed, PartError> {
    if field.is_empty() {
        return Err(PartError::new(
            Part::Field,
            "constraint.empty_field",
            "expected an attribute, found nothing".into(),
            Span::default(),
        ));
    }
    // OpenWhisk compares operator names exactly and drops anything else with a warning.
    if operator != "LIKE" && operator != "UNLIKE" {
        let help = match Operator::from_name(operator) {
            Some(o @ (Operator::Like | Operator::Unlike)) => {
                format!("OpenWhisk compares operator names case-sensitively: write `{o}`")
            }
            _ => "OpenWhisk (mesos-actor) understands only `LIKE` and `UNLIKE`".to_owned(),
        };
        return Ok(Parsed::Ignored(Warning {
            code: "constraint.ignored",
            message: format!("operator `{operator}` is ignored: OpenWhisk understands only `LIKE` and `UNLIKE`"),
            help: Some(help),
            part: Part::Operator,
            span: None,
        }));
    }
    build(field, operator, Some(value), options).map(Parsed::Constraint)
}

const FIELD_HELP: &str = "name an agent attribute, `hostname`, `@region` or `@zone`";
const REGEX_HELP: &str =
    "LIKE and UNLIKE take a Java regular expression matched against the whole value; `.*` matches anything";

/// Validates the three pieces and parses the value for the operator (Marathon's
/// `SchedulingValidation` order: field, operator, then the operator's value rules).
fn build(field: &str, operator: &str, value: Option<&str>, options: &ParseOptions) -> Result<Constraint, PartError> {
    let dialect = options.dialect;
    if field.is_empty() {
        return Err(PartError::new(
            Part::Field,
            "constraint.empty_field",
            "expected a field name, found nothing".into(),
            Span::default(),
        )
        .help(FIELD_HELP));
    }
    let Some(op) = Operator::from_name(operator) else {
        return Err(unknown_operator(operator));
    };
    let field = Field::from_name(field, dialect);
    let mut c =
        Constraint { field, operator: op, value: value.map(str::to_owned), dialect, spans: None, arg: Arg::None };
    if options.target == Target::Disk {
        check_disk(&c, field_len(&c))?;
    }
    c.arg = parse_arg(op, value, &options.limits)?;
    Ok(c)
}

fn field_len(c: &Constraint) -> usize {
    c.field.name().len()
}

fn check_disk(c: &Constraint, field_len: usize) -> Result<(), PartError> {
    if !matches!(c.field, Field::Attribute(_)) {
        return Err(PartError::new(
            Part::Field,
            "constraint.disk_field",
            format!("`{}` is not a disk capability", c.field.name()),
            Span::new(0, field_len),
        )
        .help("disk fields are `type`, `path`, `profile`, `vendor` and the disk's metadata labels"));
    }
    if c.uses_placements() {
        return Err(PartError::new(
            Part::Operator,
            "constraint.disk_operator",
            format!("operator `{}` counts the placements of a group, which a disk does not have", c.operator),
            Span::new(0, c.operator.name().len()),
        )
        .help("on a disk use LIKE, UNLIKE, IS, IN, NOT_IN, EXISTS, NOT_EXISTS, <, <=, >, >= or VERSION"));
    }
    Ok(())
}

fn unknown_operator(operator: &str) -> PartError {
    let names: Vec<&str> = Operator::ALL.iter().map(|o| o.name()).collect();
    let known = names.join(", ");
    let help = match crate::contract::errors::closest(operator, &names) {
        Some(s) => format!("did you mean `{s}`? operators: {known}"),
        None => format!("operators: {known}"),
    };
    let message = if operator.is_empty() {
        "expected an operator, found nothing".to_owned()
    } else {
        format!("unknown operator `{operator}`")
    };
    PartError::new(Part::Operator, "constraint.unknown_operator", message, Span::new(0, operator.len())).help(help)
}

fn missing_value(op: Operator, what: &str, example: &str) -> PartError {
    PartError::new(
        Part::Operator,
        "constraint.missing_value",
        format!("expected {what} after `{op}`, found nothing"),
        Span::new(op.name().len(), op.name().len()),
    )
    .help(format!("for example `{example}`"))
}

fn parse_arg(op: Operator, value: Option<&str>, limits: &Limits) -> Result<Arg, PartError> {
    let whole = |v: &str| Span::new(0, v.len());
    match op {
        Operator::Unique | Operator::Exists | Operator::NotExists => match value {
            None => Ok(Arg::None),
            Some(v) => Err(PartError::new(
                Part::Value,
                "constraint.unexpected_value",
                format!("expected no value after `{op}`, found {}", found(v)),
                whole(v),
            )
            .help(format!("`{op}` takes no value: write `field {op}`"))),
        },
        Operator::Cluster => Ok(match value {
            Some(v) if !v.is_empty() => Arg::Text(v.to_owned()),
            _ => Arg::None,
        }),
        Operator::GroupBy => match value {
            None => Ok(Arg::None),
            Some(v) => parse_int(v).map(Arg::Int).ok_or_else(|| {
                PartError::new(
                    Part::Value,
                    "constraint.number",
                    format!("expected an integer, found {}", found(v)),
                    whole(v),
                )
                .help("GROUP_BY takes the number of groups as a 32-bit integer, or no value at all")
            }),
        },
        Operator::MaxPer => match value {
            None => Err(missing_value(op, "an integer", "hostname MAX_PER 2")),
            Some(v) => parse_int(v).map(Arg::Int).ok_or_else(|| {
                PartError::new(
                    Part::Value,
                    "constraint.number",
                    format!("expected an integer, found {}", found(v)),
                    whole(v),
                )
                .help("MAX_PER takes the most placements per value as a 32-bit integer")
            }),
        },
        Operator::Like | Operator::Unlike => match value {
            None => Err(missing_value(op, "a regular expression", "rack LIKE r[12]")),
            Some(v) => JavaRegex::new(v, limits)
                .map(|r| Arg::Regex(Arc::new(r)))
                .map_err(|e| PartError::from_regex(e, REGEX_HELP)),
        },
        Operator::Is => {
            let v = value.unwrap_or("");
            if let Some((i, c)) =
                v.char_indices().find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-')))
            {
                let shown = if c.is_whitespace() { "a space".to_owned() } else { format!("`{c}`") };
                return Err(PartError::new(
                    Part::Value,
                    "constraint.is_value",
                    format!("expected a Mesos text or number after `IS`, found {shown} in `{v}`"),
                    Span::new(i, i + c.len_utf8()),
                )
                .help("IS only supports Mesos text and float values (letters, digits and `_/.-`); use LIKE for patterns or IN for sets"));
            }
            Ok(Arg::Text(normalize_is_value(v).into_owned()))
        }
        Operator::In | Operator::NotIn => match value {
            None => Err(missing_value(op, "a set", "rack IN {r1,r2}")),
            Some(v) => parse_set(v).map(Arg::Set),
        },
        Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => match value {
            None => Err(missing_value(op, "a number or a text", "replication >= 2")),
            Some("") => Err(PartError::new(
                Part::Value,
                "constraint.missing_value",
                format!("expected a number or a text after `{op}`, found nothing"),
                Span::default(),
            )),
            Some(v) => Ok(Arg::Compare(v.to_owned(), parse_number(v))),
        },
        Operator::Version => match value {
            None => Err(missing_value(op, "a version requirement", "jdk VERSION >=1.8, <2")),
            Some(v) => semver::VersionReq::parse(v).map(Arg::Version).map_err(|e| {
                PartError::new(
                    Part::Value,
                    "constraint.version",
                    format!("expected a semver requirement, found `{v}`: {e}"),
                    whole(v),
                )
                .help("write comparators separated by commas, e.g. `>=1.2, <2` or `^1.4`")
            }),
        },
    }
}

/// `` `v` `` or `an empty value`, for "found …".
fn found(v: &str) -> String {
    if v.is_empty() {
        "an empty value".to_owned()
    } else {
        format!("`{v}`")
    }
}

/// Java `Integer.parseInt`: an optional sign and ASCII digits, within 32 bits.
pub(crate) fn parse_int(v: &str) -> Option<i32> {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// A decimal number (`2`, `-1.5`, `.5`, `1e3`); not `inf`, `nan` or hex.
pub(crate) fn parse_number(v: &str) -> Option<f64> {
    let body = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (body.get(..i).unwrap_or(""), Some(body.get(i + 1..).unwrap_or(""))),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty());
    let exp_ok = exp.map_or(true, |e| {
        let d = e.strip_prefix(['+', '-']).unwrap_or(e);
        !d.is_empty() && all_digits(d)
    });
    if !(mantissa_ok && exp_ok) {
        return None;
    }
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `{a,b}`: items trimmed, each non-empty, normalized like `IS` values.
fn parse_set(v: &str) -> Result<Vec<String>, PartError> {
    let err = |msg: String, span: Span| {
        PartError::new(Part::Value, "constraint.set", msg, span).help("write a set as `{a,b}`, e.g. `rack IN {r1,r2}`")
    };
    let Some(inner) = v.strip_prefix('{') else {
        let first = v.chars().next().map_or(String::new(), String::from);
        return Err(err(format!("expected `{{` to open a set, found `{first}`"), Span::new(0, first.len())));
    };
    let close = inner.find('}');
    let Some(close) = close else {
        return Err(err("expected `}` to close the set, found end of value".into(), Span::new(v.len(), v.len())));
    };
    let body = inner.get(..close).unwrap_or("");
    if let Some(i) = body.find('{') {
        return Err(err("unexpected `{` inside a set".into(), Span::new(1 + i, 2 + i)));
    }
    let after = 1 + close + 1;
    if let Some(extra) = v.get(after..).filter(|r| !r.is_empty()) {
        return Err(err(format!("expected the end of the set, found `{extra}`"), Span::new(after, v.len())));
    }
    if body.trim().is_empty() {
        return Err(err("expected at least one item in the set, found `{}`".into(), Span::new(0, v.len())));
    }
    let mut items = Vec::new();
    let mut at = 1;
    for raw in body.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            return Err(err("expected a set item, found nothing".into(), Span::new(at, at + raw.len())));
        }
        items.push(normalize_is_value(item).into_owned());
        at += raw.len() + 1;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Result<Constraint, ConstraintError> {
        match parse_constraint(ConstraintInput::Text(s), &ParseOptions::default())? {
            Parsed::Constraint(c) => Ok(c),
            Parsed::Ignored(w) => panic!("ignored: {w:?}"),
        }
    }

    fn render(s: &str) -> String {
        text(s).unwrap_err().error.as_parse().unwrap().render()
    }

    #[test]
    fn marathon_text_forms() {
        let c = text("hostname UNIQUE").unwrap();
        assert_eq!((c.field(), c.operator(), c.value()), (&Field::Hostname, Operator::Unique, None));
        let c = text("@zone cluster").unwrap();
        assert_eq!((c.field(), c.operator()), (&Field::Zone, Operator::Cluster));
        assert_eq!(c.to_string(), "@zone CLUSTER");
        let c = text("rack IN {r1, r2 ,1.0}").unwrap();
        assert!(matches!(&c.arg, Arg::Set(items) if items == &["r1", "r2", "1"]));
        let c = text("replication >= 2").unwrap();
        assert!(matches!(&c.arg, Arg::Compare(t, Some(n)) if t == "2" && *n == 2.0));
        let c = text("jdk VERSION >=1.8, <2").unwrap();
        assert_eq!(c.value(), Some(">=1.8, <2"));
        assert_eq!(text(r#"rack LIKE """#).unwrap().value(), Some(""));
    }

    #[test]
    fn caret_errors() {
        assert_eq!(render("rack FOO r1"), "rack FOO r1\n     ^^^ unknown operator `FOO`");
        assert_eq!(
            render("rack LIKE"),
            "rack LIKE\n         ^ expected a regular expression after `LIKE`, found nothing"
        );
        assert_eq!(
            render("rack LIKE ab(c"),
            "rack LIKE ab(c\n            ^ invalid regular expression: unclosed group"
        );
        assert_eq!(render("rack MAX_PER two"), "rack MAX_PER two\n             ^^^ expected an integer, found `two`");
        assert_eq!(
            render("rack IN {a,b"),
            "rack IN {a,b\n            ^ expected `}` to close the set, found end of value"
        );
        assert_eq!(render("rack IN {a,,b}"), "rack IN {a,,b}\n           ^ expected a set item, found nothing");
        assert_eq!(
            render("rack IS [0-9]"),
            "rack IS [0-9]\n        ^ expected a Mesos text or number after `IS`, found `[` in `[0-9]`"
        );
        assert_eq!(
            render("hostname UNIQUE x"),
            "hostname UNIQUE x\n                ^ expected no value after `UNIQUE`, found `x`"
        );
        assert_eq!(
            render(r#"rack LIKE "a\"(""#),
            "rack LIKE \"a\\\"(\"\n              ^ invalid regular expression: unclosed group"
        );
    }

    #[test]
    fn array_and_object_forms() {
        let opts = ParseOptions::default();
        let arr = |v: &[&str]| {
            let items: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
            parse_constraint(ConstraintInput::Array(&items), &opts)
        };
        assert!(matches!(arr(&["rack", "GROUP_BY"]), Ok(Parsed::Constraint(_))));
        let e = arr(&["rack", "GROUP_BY", ""]).unwrap_err();
        assert_eq!((e.error.code(), e.part), ("constraint.number", Part::Value));
        let e = arr(&["a"]).unwrap_err();
        assert_eq!((e.error.code(), e.part), ("constraint.fields", Part::Whole));
        let e = arr(&["", "CLUSTER"]).unwrap_err();
        assert_eq!((e.error.code(), e.part), ("constraint.empty_field", Part::Field));
        let e = arr(&["rack", "LIKE", "*"]).unwrap_err();
        assert_eq!(
            e.error.as_parse().unwrap().render(),
            "*\n^ invalid regular expression: repetition operator missing expression"
        );
        let obj =
            parse_constraint(ConstraintInput::Object { field: "rack", operator: "like", value: Some("r1") }, &opts);
        let Ok(Parsed::Constraint(c)) = obj else { panic!("{obj:?}") };
        assert_eq!(c.to_string(), "rack LIKE r1");
    }

    #[test]
    fn openwhisk_rules() {
        let ow = |d: &str, s: &str| {
            let o = ParseOptions::new(Dialect::OpenWhisk, Some(d), &Limits::default()).unwrap();
            parse_constraint(ConstraintInput::Text(s), &o)
        };
        let Ok(Parsed::Constraint(c)) = ow(" ", "hostname LIKE h1") else { panic!() };
        assert_eq!(c.field(), &Field::Attribute("hostname".into()));
        assert!(matches!(ow(" ", "att1 EQUALS v1"), Ok(Parsed::Ignored(w)) if w.span == Some(Span::new(5, 11))));
        assert!(
            matches!(ow(" ", "att1 like v1"), Ok(Parsed::Ignored(w)) if w.help.as_deref().unwrap_or("").contains("case-sensitively"))
        );
        let e = ow(" ", "att1 LIKE").unwrap_err();
        assert_eq!(
            e.error.as_parse().unwrap().render(),
            "att1 LIKE\n         ^ expected `<attribute> <operator> <value>`, found 2 field(s)"
        );
        let e = ow(" ", "att1 LIKE v1 v2").unwrap_err();
        assert_eq!(e.error.as_parse().unwrap().span, Span::new(13, 15));
        let e = ow(" ", "att1  LIKE").unwrap_err();
        assert_eq!(e.error.code(), "constraint.empty_field");
        assert_eq!(e.error.as_parse().unwrap().span, Span::new(5, 5));
        assert!(ow(" ", "att1 LIKE v1  ").is_ok(), "trailing empty fields are dropped");
        let e = ow(" ", " att1 LIKE").unwrap_err();
        assert_eq!(e.error.code(), "constraint.empty_field");
        let e = ow(r"\|", "att1|LIKE|v(").unwrap_err();
        assert_eq!(e.error.as_parse().unwrap().span, Span::new(11, 12));
    }

    #[test]
    fn disk_target() {
        let o = ParseOptions::default().with_target(Target::Disk);
        let p = |s| parse_constraint(ConstraintInput::Text(s), &o);
        assert!(p("storage_type IS ssd").is_ok());
        assert!(p("path LIKE /mnt/.*").is_ok());
        assert_eq!(p("@region IS a").unwrap_err().error.code(), "constraint.disk_field");
        assert_eq!(p("type UNIQUE").unwrap_err().error.code(), "constraint.disk_operator");
        assert!(p("type CLUSTER MOUNT").is_ok());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("+5"), Some(5));
        assert_eq!(parse_int("-2147483648"), Some(i32::MIN));
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_int(" 5"), None);
        assert_eq!(parse_int("inf"), None);
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("-2."), Some(-2.0));
        for bad in ["inf", "nan", "0x10", "1e", ".", "", "1.2.3", "e5", "1e400"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
