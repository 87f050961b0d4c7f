//! The one place where the session borrows the JSON readers and writers of the layers it sits
//! on (Mesos v1 JSON ⇄ model, the `place` task and options shapes, the contract's error
//! objects), so that moving those modules changes one file.

pub(crate) use crate::dto::decode;
pub(crate) use crate::dto::error::kind;
pub(crate) use crate::dto::fast::{give_up, prescan, ListSeed, OfferItem, TaskItem};
pub(crate) use crate::dto::mesos::{attributes_from_json, attributes_to_json, offer_from_json, scalar_json};
pub(crate) use crate::dto::place::{options_from_json, task_from_json};
pub use crate::dto::WireError;

/// The contract's error list (`{"ok": false, "errors": [...]}`).
pub type Errors = Vec<WireError>;

/// One error with a code, a message and the JSON pointer of the culprit.
pub(crate) fn error(path: &str, code: &str, message: impl Into<String>) -> WireError {
    WireError::new(code, message).with_path(path)
}

/// A core error about the element at `path`.
pub(crate) fn from_error(e: &crate::error::Error, path: &str) -> WireError {
    WireError::from_error(e, path)
}

/// `{"ok": false, "errors": [...]}` as one line.
pub(crate) fn refusal_text(errors: Vec<WireError>) -> String {
    let response = serde_json::Value::Object(crate::dto::error::response(errors));
    serde_json::to_string(&response).unwrap_or_else(|_| {
        r#"{"ok":false,"errors":[{"code":"internal","message":"could not encode the response"}]}"#.to_owned()
    })
}

/// The closest of `candidates` to `word`, for "did you mean" help.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    crate::suggest::closest(word, candidates)
}

/// Reads one JSON text with the request reader: strict (no duplicate key), and every limit
/// (nesting, strings, counts, values) checked while reading, so a hostile line costs no more
/// than its size allows.
pub(crate) fn read_json(text: &str, limits: &crate::limits::Limits) -> Result<serde_json::Value, Errors> {
    match crate::json::read(text, limits) {
        Ok(json) => Ok(json),
        Err(crate::json::ReadError::Text(p)) => Err(vec![WireError::from_parse(&p, "")]),
        Err(crate::json::ReadError::Limit(e, path)) => Err(vec![from_error(&e, &path)]),
    }
}
