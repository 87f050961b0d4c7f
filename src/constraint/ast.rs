//! The constraint AST: a field, an operator and an optional value, validated and with its
//! value parsed (regex compiled, number read, set split) once.

use std::fmt;
use std::sync::Arc;

use crate::error::Span;
use crate::text::constraint::{needs_quotes, quote};

use super::regex::JavaRegex;
pub use crate::model::Dialect;

/// What a constraint is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Target {
    /// An agent (offer): fields are attributes, `hostname`, `@region`, `@zone`; operators may
    /// count the placements of the task's group.
    #[default]
    Agent,
    /// A disk (a volume's `require` list): fields are `type`, `path`, `profile`, `vendor` and
    /// the disk's metadata labels; operators that count placements are refused.
    Disk,
}

/// What a constraint looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `hostname` or `@hostname`: the agent's hostname.
    Hostname,
    /// `@region`: the offer's fault-domain region.
    Region,
    /// `@zone`: the offer's fault-domain zone.
    Zone,
    /// Any other name: the first agent attribute with exactly that name (or, on a disk, the
    /// capability of that name).
    Attribute(String),
}

impl Field {
    /// The field a name denotes in `dialect` (OpenWhisk has no special fields).
    ///
    /// ```
    /// use offerfit::constraint::{Dialect, Field};
    /// assert_eq!(Field::from_name("@hostname", Dialect::Marathon), Field::Hostname);
    /// assert_eq!(Field::from_name("hostname", Dialect::OpenWhisk), Field::Attribute("hostname".into()));
    /// ```
    pub fn from_name(name: &str, dialect: Dialect) -> Field {
        match (dialect, name) {
            (Dialect::Marathon, "hostname" | "@hostname") => Field::Hostname,
            (Dialect::Marathon, "@region") => Field::Region,
            (Dialect::Marathon, "@zone") => Field::Zone,
            _ => Field::Attribute(name.to_owned()),
        }
    }

    /// The canonical name: `hostname`, `@region`, `@zone` or the attribute name.
    pub fn name(&self) -> &str {
        match self {
            Field::Hostname => "hostname",
            Field::Region => "@region",
            Field::Zone => "@zone",
            Field::Attribute(n) => n,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.name();
        if needs_quotes(n, true) {
            f.write_str(&quote(n))
        } else {
            f.write_str(n)
        }
    }
}

/// A constraint operator. Names are matched case-insensitively (`cluster` is `CLUSTER`,
/// as Marathon's validation upper-cases them) and always printed in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// No other placement of the group has the same value.
    Unique,
    /// With a value: the value equals it. Without: the same value as the group's first
    /// placement.
    Cluster,
    /// Spread the group evenly over the values (see [`crate::constraint`] for the rules).
    GroupBy,
    /// The value matches a Java regex (whole string).
    Like,
    /// The value does not match a Java regex (whole string).
    Unlike,
    /// At most `n` placements of the group per value.
    MaxPer,
    /// The value equals a Mesos text or number (`1.0` equals `1`).
    Is,
    /// The value is one of a set `{a,b}`.
    In,
    /// The value is none of a set `{a,b}` (a missing value passes).
    NotIn,
    /// The field is present.
    Exists,
    /// The field is absent.
    NotExists,
    /// Less than (numeric when both sides are numbers, else lexical).
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// The value is a version satisfying a semver requirement (`>=1.2, <2`).
    Version,
}

impl Operator {
    /// Every operator, Marathon's seven first.
    pub const ALL: [Operator; 16] = [
        Operator::Unique,
        Operator::Cluster,
        Operator::GroupBy,
        Operator::Like,
        Operator::Unlike,
        Operator::MaxPer,
        Operator::Is,
        Operator::In,
        Operator::NotIn,
        Operator::Exists,
        Operator::NotExists,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::Version,
    ];

    /// The canonical name: `UNIQUE`, `GROUP_BY`, `<=`, …
    pub fn name(self) -> &'static str {
        match self {
            Operator::Unique => "UNIQUE",
            Operator::Cluster => "CLUSTER",
            Operator::GroupBy => "GROUP_BY",
            Operator::Like => "LIKE",
            Operator::Unlike => "UNLIKE",
            Operator::MaxPer => "MAX_PER",
            Operator::Is => "IS",
            Operator::In => "IN",
            Operator::NotIn => "NOT_IN",
            Operator::Exists => "EXISTS",
            Operator::NotExists => "NOT_EXISTS",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::Version => "VERSION",
        }
    }

    /// The operator a name denotes, ignoring ASCII case.
    ///
    /// ```
    /// use offerfit::constraint::Operator;
    /// assert_eq!(Operator::from_name("cluster"), Some(Operator::Cluster));
    /// assert_eq!(Operator::from_name(">="), Some(Operator::Ge));
    /// assert_eq!(Operator::from_name("EQUALS"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.name().eq_ignore_ascii_case(name))
    }

    /// One of Marathon's seven operators.
    pub fn is_marathon(self) -> bool {
        matches!(
            self,
            Operator::Unique
                | Operator::Cluster
                | Operator::GroupBy
                | Operator::Like
                | Operator::Unlike
                | Operator::MaxPer
                | Operator::Is
        )
    }

    /// Satisfied when the field is missing (Marathon dialect): the negative operators.
    pub fn passes_when_missing(self) -> bool {
        matches!(self, Operator::Unlike | Operator::NotIn | Operator::NotExists)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the pieces of a constraint were in the text it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConstraintSpans {
    /// The field (with its quotes, if quoted).
    pub field: Span,
    /// The operator.
    pub operator: Span,
    /// The value, if one was written.
    pub value: Option<Span>,
}

/// The value of a constraint, parsed for its operator.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// No value (or a value the operator ignores).
    None,
    /// `CLUSTER` with a value; `IS` (normalized).
    Text(String),
    /// `MAX_PER n`, `GROUP_BY n`.
    Int(i32),
    /// `LIKE` / `UNLIKE`.
    Regex(Arc<JavaRegex>),
    /// `IN` / `NOT_IN` items (normalized like `IS` values).
    Set(Vec<String>),
    /// `<`, `<=`, `>`, `>=`: the text and, if it is one, the number.
    Compare(String, Option<f64>),
    /// `VERSION`.
    Version(semver::VersionReq),
}

/// One validated placement constraint. Build it with [`crate::constraint::parse_constraint`]
/// (or [`str::parse`] for the Marathon text form); print it with `Display` to get the
/// canonical text, which parses back to an equal constraint.
///
/// ```
/// use offerfit::constraint::{Constraint, Field, Operator};
/// let c: Constraint = "rack  group_by   3".parse().unwrap();
/// assert_eq!((c.field(), c.operator(), c.value()), (&Field::Attribute("rack".into()), Operator::GroupBy, Some("3")));
/// assert_eq!(c.to_string(), "rack GROUP_BY 3");
/// assert_eq!(c.to_string().parse::<Constraint>().unwrap(), c);
/// ```
#[derive(Debug, Clone)]
pub struct Constraint {
    pub(crate) field: Field,
    pub(crate) operator: Operator,
    pub(crate) value: Option<String>,
    pub(crate) dialect: Dialect,
    pub(crate) spans: Option<ConstraintSpans>,
    pub(crate) arg: Arg,
}

impl Constraint {
    /// What it looks at.
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The value as written (`None` when none was given; `Some("")` for an explicit empty
    /// value, which Marathon distinguishes for `GROUP_BY` and `UNIQUE`).
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// The compiled size of its regex (`LIKE` / `UNLIKE`), 0 for other operators.
    pub(crate) fn regex_bytes(&self) -> usize {
        match &self.arg {
            Arg::Regex(r) => r.compiled_bytes(),
            _ => 0,
        }
    }

    /// The number of a `MAX_PER n` / `GROUP_BY n`.
    pub(crate) fn int_arg(&self) -> Option<i32> {
        match self.arg {
            Arg::Int(n) => Some(n),
            _ => None,
        }
    }

    /// The dialect it was parsed in (it decides how values are read).
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Where its pieces were, when parsed from text.
    pub fn spans(&self) -> Option<&ConstraintSpans> {
        self.spans.as_ref()
    }

    /// True for the operators that count the group's placements: `UNIQUE`, `GROUP_BY`,
    /// `MAX_PER` and `CLUSTER` without a value.
    pub fn uses_placements(&self) -> bool {
        match self.operator {
            Operator::Unique | Operator::GroupBy | Operator::MaxPer => true,
            Operator::Cluster => self.value.as_deref().map_or(true, str::is_empty),
            _ => false,
        }
    }

    /// The compiled regex of a `LIKE` / `UNLIKE`.
    pub fn regex(&self) -> Option<&JavaRegex> {
        match &self.arg {
            Arg::Regex(r) => Some(r),
            _ => None,
        }
    }
}

/// Equal when field, operator, value and dialect are equal (spans are ignored).
impl PartialEq for Constraint {
    fn eq(&self, other: &Constraint) -> bool {
        self.field == other.field
            && self.operator == other.operator
            && self.value == other.value
            && self.dialect == other.dialect
    }
}

/// The canonical text `field OPERATOR [value]`, quoting the field or value when needed.
impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.operator)?;
        if let Some(v) = &self.value {
            if needs_quotes(v, false) {
                write!(f, " {}", quote(v))?;
            } else {
                write!(f, " {v}")?;
            }
        }
        Ok(())
    }
}
