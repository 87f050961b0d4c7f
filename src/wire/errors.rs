//! The contract's error object and its conversions.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::error::{one_line, Error, ParseError, Span};

/// One error of an `ok: false` response (`CONTRACT.md`): `code` and `message` always; `path`
/// when tied to one input element; `span`, `line`, `column` and `rendered` when inside a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireError {
    /// Stable machine-readable code.
    pub code: String,
    /// One lowercase line.
    pub message: String,
    /// Advice, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// JSON pointer into the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Byte span inside the text at `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// 1-based line of the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column (characters) of the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The text's line with a caret under the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
}

impl WireError {
    /// An error with a code and message only (control characters in the message escaped, see
    /// [`one_line`]: a contract message is always one line).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> WireError {
        let message: String = message.into();
        WireError {
            code: code.into(),
            message: one_line(&message).into_owned(),
            help: None,
            path: None,
            span: None,
            line: None,
            column: None,
            rendered: None,
        }
    }

    /// An `internal` error (a bug in offerfit, never the caller's fault).
    pub fn internal(message: impl Into<String>) -> WireError {
        WireError::new("internal", message)
    }

    /// The same error tied to the JSON pointer `path`.
    pub fn with_path(mut self, path: impl Into<String>) -> WireError {
        self.path = Some(path.into());
        self
    }

    /// Converts a core error about the element at `path`.
    pub fn from_error(e: &Error, path: &str) -> WireError {
        match e {
            Error::Parse(p) => WireError::from_parse(p, path),
            other => {
                let mut w = WireError::new(other.code(), other.message()).with_path(path);
                w.help = other.help().map(|h| one_line(h).into_owned());
                w
            }
        }
    }

    /// Converts a text error about the text at `path`.
    pub fn from_parse(p: &ParseError, path: &str) -> WireError {
        WireError {
            code: p.code.to_owned(),
            message: one_line(&p.message).into_owned(),
            help: p.help.as_deref().map(|h| one_line(h).into_owned()),
            path: Some(path.to_owned()),
            span: Some(p.span),
            line: Some(p.line()),
            column: Some(p.column()),
            rendered: Some(p.render()),
        }
    }

    /// Converts a serde error raised while decoding the element at `path`.
    pub fn from_serde(e: &serde_json::Error, path: String) -> WireError {
        let msg = e.to_string();
        // serde_json appends " at line L column C" for text input; decoding from a value has
        // no position, and the path already says where.
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
            None => msg,
        };
        let code = if msg.starts_with("unknown field") {
            "request.unknown_field"
        } else if msg.starts_with("missing field") {
            "request.missing_field"
        } else if msg.starts_with("invalid type") {
            "request.type"
        } else if msg.starts_with("unknown variant") {
            "request.unknown_variant"
        } else {
            "request.invalid"
        };
        WireError::new(code, msg).with_path(path)
    }
}

/// `{"ok": false, "errors": [...]}`. The last guard of "one line": a message or help set
/// directly on a [`WireError`] is escaped here too.
pub(crate) fn response(mut errors: Vec<WireError>) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("ok".into(), Json::Bool(false));
    for e in &mut errors {
        if let std::borrow::Cow::Owned(o) = one_line(&e.message) {
            e.message = o;
        }
        if let Some(std::borrow::Cow::Owned(o)) = e.help.as_deref().map(one_line) {
            e.help = Some(o);
        }
    }
    let list =
        errors.iter().map(|e| serde_json::to_value(e).unwrap_or_else(|_| Json::String(e.message.clone()))).collect();
    m.insert("errors".into(), Json::Array(list));
    m
}

/// A JSON pointer: `base` followed by the serde path (`tasks[3].cpus` → `/tasks/3/cpus`).
pub fn pointer(base: &str, path: &serde_path_to_error::Path) -> String {
    let mut out = base.to_owned();
    for seg in path.iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// `a string`, `a number`, … for messages about a wrong JSON type.
pub(crate) fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&w, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(3) / 3).max(1) || c.to_ascii_lowercase().starts_with(&w) && w.len() >= 3)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos() {
        assert_eq!(closest("parse_resource", &["parse_value", "parse_resources"]), Some("parse_resources"));
        assert_eq!(closest("UNIQE", &["UNIQUE", "CLUSTER"]), Some("UNIQUE"));
        assert_eq!(closest("zzz", &["UNIQUE", "CLUSTER"]), None);
    }

    #[test]
    fn span_fields_come_with_text_errors() {
        let p = ParseError::new("value.syntax", "bad", "ab", Span::new(1, 2));
        let w = WireError::from_parse(&p, "/text");
        assert_eq!((w.line, w.column), (Some(1), Some(2)));
        assert_eq!(w.rendered.as_deref(), Some("ab\n ^ bad"));
    }
}
