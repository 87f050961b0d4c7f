//! Strict JSON reading: like `serde_json::from_str::<Value>`, but an object with a duplicate
//! key is refused (the contract says so: the last-wins rule of most parsers silently loses
//! data), and syntax errors come back with a span and a caret.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::errors::WireError;
use crate::error::{ParseError, Span};

struct StrictSeed;

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v).map(Json::Number).ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        StrictSeed.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(x) = seq.next_element_seed(StrictSeed)? {
            v.push(x);
        }
        Ok(Json::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if m.contains_key(&k) {
                return Err(de::Error::custom(format_args!("duplicate key `{k}`")));
            }
            let v = map.next_value_seed(StrictSeed)?;
            m.insert(k, v);
        }
        Ok(Json::Object(m))
    }
}

/// Parses JSON text, refusing duplicate keys, trailing characters and nesting beyond
/// serde_json's recursion limit (128), with the error's position as a span.
///
/// # Errors
/// A [`WireError`] with code `request.json` (or `request.duplicate_key`), `line`, `column`,
/// `span` and `rendered`.
pub fn parse_strict(text: &str) -> Result<Json, Box<WireError>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = StrictSeed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    v.map_err(|e| Box::new(json_error(text, &e)))
}

/// Converts a serde_json syntax error on `text` into a contract error with a caret.
pub(crate) fn json_error(text: &str, e: &serde_json::Error) -> WireError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
        None => msg,
    };
    let code = if msg.starts_with("duplicate key") {
        "request.duplicate_key"
    } else if msg.starts_with("recursion limit") {
        "limit.json_depth"
    } else {
        "request.json"
    };
    let at = byte_offset(text, e.line(), e.column());
    let message = if msg == "EOF while parsing a value" || msg.starts_with("EOF while parsing") {
        format!("invalid JSON: {}, found end of input", msg.replace("EOF while parsing", "expected the rest of"))
    } else {
        format!("invalid JSON: {msg}")
    };
    let p = ParseError::new(code, message, text, Span::new(at, (at + 1).min(text.len())));
    WireError::from_parse(&p, "")
}

/// serde_json reports 1-based line and 1-based byte column of the character it stopped at
/// (0 when the error is at the start of a line).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused() {
        let e = parse_strict(r#"{"op":"version","op":"place"}"#).unwrap_err();
        assert_eq!(e.code, "request.duplicate_key");
        assert_eq!(e.message, "invalid JSON: duplicate key `op`");
        let nested = parse_strict(r#"{"a":[{"b":1,"b":2}]}"#).unwrap_err();
        assert_eq!(nested.code, "request.duplicate_key");
    }

    #[test]
    fn syntax_errors_have_a_caret() {
        let e = parse_strict("{oops").unwrap_err();
        assert_eq!(e.code, "request.json");
        assert_eq!((e.line, e.column), (Some(1), Some(2)));
        assert_eq!(e.rendered.as_deref(), Some("{oops\n ^ invalid JSON: key must be a string"));
    }

    #[test]
    fn deep_nesting_is_a_limit() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse_strict(&deep).unwrap_err().code, "limit.json_depth");
    }

    #[test]
    fn trailing_text_is_refused() {
        assert_eq!(parse_strict("{} x").unwrap_err().code, "request.json");
    }
}
