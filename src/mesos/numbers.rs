//! Lenient numbers, as protobuf's `JsonFormat` writes them: a 64-bit integer may come as a
//! JSON number or as a numeric string (`"begin": "31000"`, `"nanoseconds": "1700000000000000000"`),
//! and a double as a number or a string (`"Infinity"`, which the conversions then refuse).
//! Used with `#[serde(deserialize_with = ...)]` on the reading DTOs.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer (a number or a numeric string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

struct I64Visitor;

impl Visitor<'_> for I64Visitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer (a number or a numeric string)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            Ok(v as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

struct F64Visitor;

impl Visitor<'_> for F64Visitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number (or a numeric string)")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        // Protobuf's JsonFormat writes non-finite doubles as strings; the conversion refuses them.
        v.trim().parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

pub(super) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(U64Visitor)
}

pub(super) fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(I64Visitor)
}

pub(super) fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(F64Visitor)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Numbers {
        #[serde(deserialize_with = "super::de_u64")]
        u: u64,
        #[serde(deserialize_with = "super::de_i64")]
        i: i64,
        #[serde(deserialize_with = "super::de_f64")]
        f: f64,
    }

    fn read(text: &str) -> Result<(u64, i64, f64), String> {
        serde_json::from_str::<Numbers>(text).map(|n| (n.u, n.i, n.f)).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_numeric_strings_are_read_alike() {
        assert_eq!(read(r#"{"u": 31000, "i": -5, "f": 2.5}"#), Ok((31000, -5, 2.5)));
        assert_eq!(
            read(r#"{"u": "18446744073709551615", "i": "-9223372036854775808", "f": " 1e3 "}"#),
            Ok((u64::MAX, i64::MIN, 1000.0))
        );
        assert_eq!(read(r#"{"u": 7.0, "i": 8.0, "f": 9}"#), Ok((7, 8, 9.0)));
    }

    #[test]
    fn out_of_range_and_fractions_are_refused() {
        let e = read(r#"{"u": -1, "i": 0, "f": 0}"#).unwrap_err();
        assert!(e.starts_with("invalid value: integer `-1`, expected a non-negative integer"), "{e}");
        let e = read(r#"{"u": 1.5, "i": 0, "f": 0}"#).unwrap_err();
        assert!(e.starts_with("invalid value: floating point `1.5`"), "{e}");
        let e = read(r#"{"u": 0, "i": "x", "f": 0}"#).unwrap_err();
        assert!(e.starts_with("invalid value: string \"x\", expected an integer"), "{e}");
        assert!(read(r#"{"u": 0, "i": 18446744073709551615, "f": 0}"#).is_err());
        assert_eq!(read(r#"{"u": 0, "i": 0, "f": "Infinity"}"#).map(|n| n.2.is_infinite()), Ok(true));
    }
}
