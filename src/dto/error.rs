//! The contract's error object and its conversions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::error::{clip_message, Error, ParseError, Span};
pub(crate) use crate::mesos::kind;
pub use crate::mesos::pointer::pointer;
use crate::mesos::serde_error;

/// One error of an `ok: false` response (`docs/contract.md`): `code` and `message` always; `path`
/// when the error is tied to one input element; `span`, `line`, `column` and `rendered` when
/// it is inside a text.
///
/// It is also the npm package's `ErrorObject` (with the `tsify` feature, its TypeScript
/// declaration is derived from this type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct WireError {
    /// A stable machine-readable code, e.g. `constraint.unknown_operator`.
    pub code: String,
    /// One lowercase line.
    pub message: String,
    /// Advice, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// JSON pointer into the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Byte span inside the text at `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// 1-based line of the span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column (in characters) of the span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The text's line with a caret under the span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
}

impl WireError {
    /// An error with a code and message only (control characters in the message escaped and
    /// quoted user text clipped, see [`clip_message`]: a contract message is always one short
    /// line).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> WireError {
        let message: String = message.into();
        WireError {
            code: code.into(),
            message: clip_message(&message).into_owned(),
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
                w.help = other.help().map(|h| clip_message(h).into_owned());
                w
            }
        }
    }

    /// Converts a text error about the text at `path`.
    pub fn from_parse(p: &ParseError, path: &str) -> WireError {
        WireError {
            code: p.code.to_owned(),
            message: clip_message(&p.message).into_owned(),
            help: p.help.as_deref().map(|h| clip_message(h).into_owned()),
            path: Some(path.to_owned()),
            span: Some(p.span),
            line: Some(p.line()),
            column: Some(p.column()),
            rendered: Some(p.render()),
        }
    }

    /// Converts a serde error raised while decoding the element at `path`.
    pub fn from_serde(e: &serde_json::Error, path: String) -> WireError {
        let (code, msg) = serde_error(e);
        WireError::new(code, msg).with_path(path)
    }
}

/// `{"ok": false, "errors": [...]}`. The last guard of "one line": a message or help set
/// directly on a [`WireError`] is escaped here too.
pub(crate) fn response(mut errors: Vec<WireError>) -> Map<String, Json> {
    for e in &mut errors {
        if let std::borrow::Cow::Owned(o) = clip_message(&e.message) {
            e.message = o;
        }
        if let Some(std::borrow::Cow::Owned(o)) = e.help.as_deref().map(clip_message) {
            e.help = Some(o);
        }
    }
    match serde_json::to_value(Failure { ok: false, errors: &errors }) {
        Ok(Json::Object(m)) => m,
        // INVARIANT: error objects of strings and numbers serialize to an object.
        _ => Map::new(),
    }
}

/// `{"ok": false, "errors": [...]}`: the answer to a request that was refused (every op's).
#[derive(Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
struct Failure<'a> {
    /// Always `false`.
    #[cfg_attr(feature = "tsify", tsify(type = "false"))]
    ok: bool,
    /// At least one error.
    errors: &'a [WireError],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_fields_come_with_text_errors() {
        let p = ParseError::new("value.syntax", "bad", "ab", Span::new(1, 2));
        let w = WireError::from_parse(&p, "/text");
        assert_eq!((w.line, w.column), (Some(1), Some(2)));
        assert_eq!(w.rendered.as_deref(), Some("ab\n ^ bad"));
    }
}
