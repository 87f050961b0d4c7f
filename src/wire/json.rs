//! Strict JSON reading: like `serde_json::from_str::<Value>`, but an object with a duplicate
//! key is refused (the contract says so: the last-wins rule of most parsers silently loses
//! data), and syntax errors come back with a span and a caret.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::errors::WireError;
use crate::error::{ParseError, Span};
use crate::limits::{LimitKind, Limits, MAX_JSON_DEPTH};

/// Reads one value `depth` containers deep; refuses to open a container beyond `max_depth`.
#[derive(Clone, Copy)]
struct StrictSeed {
    depth: usize,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(StrictVisitor(self))
    }
}

impl StrictSeed {
    /// The seed for the elements of a container opened at this level.
    fn nested<E: de::Error>(self) -> Result<StrictSeed, E> {
        let depth = self.depth + 1;
        if depth > self.max_depth {
            let limits = Limits { json_depth: self.max_depth, ..Limits::DEFAULT };
            return Err(E::custom(limits.exceeded(LimitKind::JsonDepth, depth).message()));
        }
        Ok(StrictSeed { depth, max_depth: self.max_depth })
    }
}

struct StrictVisitor(StrictSeed);

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
        self.0.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let seed = self.0.nested()?;
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(x) = seq.next_element_seed(seed)? {
            v.push(x);
        }
        Ok(Json::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let seed = self.0.nested()?;
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if m.contains_key(&k) {
                return Err(de::Error::custom(format_args!("duplicate key `{k}`")));
            }
            let v = map.next_value_seed(seed)?;
            m.insert(k, v);
        }
        Ok(Json::Object(m))
    }
}

/// Parses JSON text, refusing duplicate keys, trailing characters and nesting beyond the
/// default [`Limits::json_depth`], with the error's position as a span.
///
/// # Errors
/// A [`WireError`] with code `request.json` (or `request.duplicate_key`, `limit.json_depth`),
/// `line`, `column`, `span` and `rendered`.
pub fn parse_strict(text: &str) -> Result<Json, Box<WireError>> {
    parse_strict_with_depth(text, Limits::DEFAULT.json_depth)
}

/// [`parse_strict`] with nesting bounded by `max_depth` containers (`{}` is 1 deep); serde_json
/// refuses more than 127 on its own whatever `max_depth` says.
///
/// # Errors
/// As [`parse_strict`].
pub fn parse_strict_with_depth(text: &str, max_depth: usize) -> Result<Json, Box<WireError>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = StrictSeed { depth: 0, max_depth }.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
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
    } else if msg.starts_with("recursion limit") || msg.starts_with("request is nested too deeply") {
        "limit.json_depth"
    } else {
        "request.json"
    };
    let token_error = msg == "expected ident" || msg.starts_with("invalid number") || msg.starts_with("expected value");
    let mut at = byte_offset(text, e.line(), e.column());
    if msg.starts_with("request is nested too deeply") {
        // Reported just after the `[` or `{` (one byte) that opened one level too many.
        at = at.saturating_sub(1);
    }
    let message = if msg.starts_with("recursion limit") {
        Limits { json_depth: MAX_JSON_DEPTH, ..Limits::DEFAULT }.exceeded(LimitKind::JsonDepth, 0).message().to_owned()
    } else if code == "limit.json_depth" {
        msg
    } else if msg == "EOF while parsing a value" || msg.starts_with("EOF while parsing") {
        format!("invalid JSON: {}, found end of input", msg.replace("EOF while parsing", "expected the rest of"))
    } else {
        format!("invalid JSON: {msg}")
    };
    let mut end = (at + 1).min(text.len());
    if token_error {
        // serde_json stops inside or just after a misspelled literal (`tru}`) or a bad number
        // (`1.}`): the caret goes under the whole offending token, not the character after it.
        let bytes = text.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_');
        let mut start = at.min(text.len());
        while start > 0 && bytes.get(start - 1).copied().is_some_and(word) {
            start -= 1;
        }
        let mut stop = start;
        while bytes.get(stop).copied().is_some_and(word) {
            stop += 1;
        }
        if stop > start {
            (at, end) = (start, stop);
        }
    }
    let p = ParseError::new(code, message, text, Span::new(at, end));
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
    fn the_caret_is_on_the_offending_token() {
        let caret = |t: &str| {
            let e = parse_strict(t).unwrap_err();
            let span = e.span.unwrap();
            (t.get(span.start..span.end).unwrap().to_owned(), e.column.unwrap())
        };
        assert_eq!(caret(r#"{"op": "version", "x": tru}"#), ("tru".to_owned(), 24));
        assert_eq!(caret(r#"{"x": [nul, 1]}"#), ("nul".to_owned(), 8));
        assert_eq!(caret(r#"{"x": 1.}"#), ("1.".to_owned(), 7));
        assert_eq!(caret(r#"{"x": 1 2}"#), ("2".to_owned(), 9));
        assert_eq!(caret(r#"{"x": @}"#), ("@".to_owned(), 7));
    }

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
        let e = parse_strict_with_depth(&deep, 1000).unwrap_err();
        assert_eq!(e.code, "limit.json_depth");
        assert_eq!(e.message, "request is nested too deeply: more than 127 levels, the limit `json_depth` is 127");
    }

    #[test]
    fn nesting_is_bounded_by_the_configured_depth_with_a_caret() {
        let ok = "[".repeat(64) + &"]".repeat(64);
        assert!(parse_strict(&ok).is_ok());
        let e = parse_strict(&format!(r#"{{"a":{}{}}}"#, "[".repeat(64), "]".repeat(64))).unwrap_err();
        assert_eq!(e.code, "limit.json_depth");
        assert_eq!(e.message, "request is nested too deeply: more than 64 levels, the limit `json_depth` is 64");
        assert_eq!(e.column, Some(69));
        let e = parse_strict_with_depth(r#"{"a":{"b":1}}"#, 1).unwrap_err();
        assert_eq!(e.message, "request is nested too deeply: more than 1 levels, the limit `json_depth` is 1");
        assert!(parse_strict_with_depth(r#"{"a":1}"#, 1).is_ok());
    }

    #[test]
    fn trailing_text_is_refused() {
        assert_eq!(parse_strict("{} x").unwrap_err().code, "request.json");
    }
}
