//! The Mesos `Value` union: what a resource or an attribute holds.

use std::fmt;

use crate::model::{Ranges, Scalar, Set};

/// The four Mesos value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ValueType {
    /// A number.
    Scalar,
    /// Inclusive integer ranges.
    Ranges,
    /// A set of text items.
    Set,
    /// A text (attributes only).
    Text,
}

impl ValueType {
    /// `SCALAR`, `RANGES`, `SET` or `TEXT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Scalar => "SCALAR",
            ValueType::Ranges => "RANGES",
            ValueType::Set => "SET",
            ValueType::Text => "TEXT",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed Mesos value. Scalars keep the double Mesos would hold (attributes are doubles;
/// resources convert to fixed-point [`Scalar`] when they are built), and compare through
/// fixed point, as Mesos' `Value::Scalar ==` does.
#[derive(Debug, Clone)]
pub enum Value {
    /// A finite number: never negative when parsed from text (Mesos reads `-1` as TEXT), but
    /// an attribute given as Mesos JSON may carry any finite double.
    Scalar(f64),
    /// Coalesced ranges.
    Ranges(Ranges),
    /// Set items in input order.
    Set(Set),
    /// Text.
    Text(String),
}

impl Value {
    /// The type of the value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Scalar(_) => ValueType::Scalar,
            Value::Ranges(_) => ValueType::Ranges,
            Value::Set(_) => ValueType::Set,
            Value::Text(_) => ValueType::Text,
        }
    }

    /// The scalar in fixed point, if this is a scalar that fixed point can hold.
    pub fn fixed_scalar(&self) -> Option<Scalar> {
        match self {
            Value::Scalar(v) => Scalar::from_f64(*v).ok(),
            _ => None,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => match (Scalar::from_f64(*a), Scalar::from_f64(*b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => a == b,
            },
            (Value::Ranges(a), Value::Ranges(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            _ => false,
        }
    }
}

/// Mesos' printed form: `45.55`, `[1-10, 20-30]`, `{a, b}`, or the text.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar(v) => match Scalar::from_f64(*v) {
                Ok(s) => s.fmt(f),
                Err(_) => write!(f, "{v}"),
            },
            Value::Ranges(r) => r.fmt(f),
            Value::Set(s) => s.fmt(f),
            Value::Text(t) => f.write_str(t),
        }
    }
}
