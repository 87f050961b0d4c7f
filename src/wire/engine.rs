//! A wire-level engine: `place` options validated once and stored, then used by every `place`
//! request that carries no `options` of its own. It is what a host that keeps a handle (the C
//! ABI's `offerfit_engine`) answers with, and it answers exactly like [`super::call_with_limits`]
//! otherwise: every limit is enforced on every request, the request's size included.

use serde_json::{Map, Value as Json};

use super::{answer_json, answer_text, encode_response, errors, fail, utf8_error, Errors, WireError};
use crate::engine::Engine;
use crate::limits::{LimitKind, Limits};

/// Stored `place` options and the request limits, for repeated contract calls.
///
/// The rule is the whole of it: a `place` request without an `options` field is answered as
/// if it carried the stored options; a request with `options` (even `null`) keeps its own (no
/// deep merge); other ops are answered as [`super::call_with_limits`] answers them. The
/// options are checked once, when the engine is made, with the errors (paths under
/// `/options`) a `place` request carrying them would get. An engine is never modified after
/// it is made: share it between threads freely.
///
/// ```
/// use offerfit::host::WireEngine;
/// use offerfit::Limits;
/// let engine = WireEngine::with_options_text(r#"{"strategy":"spread"}"#, Limits::DEFAULT).unwrap();
/// let place = r#"{"op":"place","offers":[],"tasks":[]}"#;
/// let explicit = r#"{"op":"place","offers":[],"tasks":[],"options":{"strategy":"spread"}}"#;
/// assert_eq!(engine.call(place), offerfit::call(explicit));
/// let bad = WireEngine::with_options_text(r#"{"strategy":"nope"}"#, Limits::DEFAULT).unwrap_err();
/// assert_eq!((bad[0].code.as_str(), bad[0].path.as_deref()), ("request.unknown_variant", Some("/options/strategy")));
/// ```
#[derive(Debug, Clone)]
pub struct WireEngine {
    /// The engine built from the stored options; `None`: no stored options.
    stored: Option<Engine>,
    /// The request limits (size, depth, strings, counts).
    limits: Limits,
}

impl WireEngine {
    /// An engine without stored options: it answers exactly as
    /// [`super::call_with_limits`] with `limits` does. `limits` should have passed
    /// [`Limits::validate`].
    pub fn new(limits: Limits) -> WireEngine {
        WireEngine { stored: None, limits }
    }

    /// An engine storing `options`, the value a `place` request's `options` holds.
    ///
    /// # Errors
    /// The contract errors a `place` request carrying `options` would get: `request.type` for
    /// a value that is not an object, a limit exceeded inside it, or options the engine
    /// refuses (`request.unknown_variant` at `/options/strategy`, ...).
    pub fn with_options(options: Json, limits: Limits) -> Result<WireEngine, Errors> {
        let Json::Object(options) = options else {
            return Err(vec![not_an_object(&options)]);
        };
        // As inside a request: `{"options": {...}}`, so that limit errors point under `/options`.
        let mut wrapped = Map::new();
        wrapped.insert("options".to_owned(), Json::Object(options));
        limits.check_json(&Json::Object(wrapped.clone())).map_err(|(e, path)| fail(e, &path))?;
        let options = crate::dto::place::options_from_json(wrapped.remove("options"))?;
        let engine = Engine::new(options).map_err(|e| fail(e.error, &e.path))?;
        Ok(WireEngine { stored: Some(engine), limits })
    }

    /// [`WireEngine::with_options`] from the options' JSON text (read as strictly as a
    /// request: no duplicate keys, `limits.json_depth`; at most `limits.request_bytes` long).
    ///
    /// # Errors
    /// As [`WireEngine::with_options`], plus `limit.request_bytes` and `request.json` (with a
    /// caret), all at `/options`.
    pub fn with_options_text(options: &str, limits: Limits) -> Result<WireEngine, Errors> {
        limits.check(LimitKind::RequestBytes, options.len()).map_err(|e| fail(e, "/options"))?;
        match crate::json::read(options, &limits) {
            Ok(value) => WireEngine::with_options(value, limits),
            Err(crate::json::ReadError::Text(p)) => Err(vec![WireError::from_parse(&p, "/options")]),
            Err(crate::json::ReadError::Limit(e, path)) => Err(fail(e, &format!("/options{path}"))),
        }
    }

    /// [`WireEngine::with_options_text`] from bytes that should be UTF-8.
    ///
    /// # Errors
    /// As [`WireEngine::with_options_text`], plus `request.utf8` at `/options`.
    pub fn with_options_bytes(options: &[u8], limits: Limits) -> Result<WireEngine, Errors> {
        limits.check(LimitKind::RequestBytes, options.len()).map_err(|e| fail(e, "/options"))?;
        let text = std::str::from_utf8(options).map_err(|e| vec![utf8_error(options, &e).with_path("/options")])?;
        WireEngine::with_options_text(text, limits)
    }

    /// True when options are stored.
    pub fn has_options(&self) -> bool {
        self.stored.is_some()
    }

    /// The request limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Answers one contract request (one line of JSON, never a panic).
    pub fn call(&self, request: &str) -> String {
        answer_text(request, &self.limits, self.stored.as_ref())
    }

    /// Answers one request given as bytes: the size limit first, then `request.utf8` for
    /// bytes that are not UTF-8 (as [`super::call_bytes`] does), else [`WireEngine::call`].
    pub fn call_bytes(&self, request: &[u8]) -> String {
        let checked = match self.limits.check(LimitKind::RequestBytes, request.len()) {
            Err(e) => Err(WireError::from_error(&e, "")),
            Ok(()) => std::str::from_utf8(request).map_err(|e| utf8_error(request, &e)),
        };
        match checked {
            Ok(text) => self.call(text),
            Err(error) => encode_response(&Json::Object(errors::response(vec![error]))),
        }
    }

    /// Answers one request that is already a JSON value (the response [`WireEngine::call`]
    /// would print).
    pub fn call_json(&self, request: Json) -> Json {
        answer_json(request, &self.limits, self.stored.as_ref())
    }
}

/// Options that are not an object, in serde's words (what decoding them would say).
fn not_an_object(v: &Json) -> WireError {
    let found = match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "sequence",
        Json::Object(_) => "map",
    };
    WireError::new("request.type", format!("invalid type: {found}, expected the `place` options object"))
        .with_path("/options")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{call, call_bytes};

    fn engine(options: &str) -> WireEngine {
        WireEngine::with_options_text(options, Limits::DEFAULT).unwrap()
    }

    #[test]
    fn stored_options_stand_in_for_absent_ones_only() {
        let e = engine(r#"{"strategy":"spread","explain":false}"#);
        let place = r#"{"op":"place","offers":[],"tasks":[]}"#;
        let explicit = r#"{"op":"place","offers":[],"tasks":[],"options":{"strategy":"spread","explain":false}}"#;
        assert_eq!(e.call(place), call(explicit));
        for own in [
            r#"{"op":"place","offers":[],"tasks":[],"options":{"strategy":"first_fit"}}"#,
            r#"{"op":"place","offers":[],"tasks":[],"options":null}"#,
            r#"{"op":"parse_value","text":"[1-2]"}"#,
            "{oops",
        ] {
            assert_eq!(e.call(own), call(own), "{own}");
        }
        let odd = r#"{"op":"place","offers":5,"tasks":[],"x":1}"#;
        let odd_explicit =
            r#"{"op":"place","offers":5,"tasks":[],"x":1,"options":{"strategy":"spread","explain":false}}"#;
        assert_eq!(e.call(odd), call(odd_explicit));
        // The request's own errors, as with the options written in.
        let bad_task = r#"{"op":"place","offers":[],"tasks":[{}]}"#;
        let bad_task_explicit =
            r#"{"op":"place","offers":[],"tasks":[{}],"options":{"strategy":"spread","explain":false}}"#;
        assert_eq!(e.call(bad_task), call(bad_task_explicit));
        assert!(e.call(bad_task).starts_with(r#"{"ok":false,"errors":[{"code":"request.missing_field""#));
    }

    #[test]
    fn without_options_it_is_call_with_limits() {
        let e = WireEngine::new(Limits::DEFAULT);
        assert!(!e.has_options());
        for req in [&br#"{"op":"version"}"#[..], b"{oops", b"\xff", br#"{"op":"place","offers":[],"tasks":[]}"#] {
            assert_eq!(e.call_bytes(req), call_bytes(req));
        }
    }

    #[test]
    fn every_limit_holds_for_engine_calls() {
        let tight = Limits { request_bytes: 64, ..Limits::DEFAULT };
        let e = WireEngine::with_options_text(r#"{"strategy":"spread"}"#, tight).unwrap();
        let long = format!(r#"{{"op":"place","offers":[],"tasks":[],"pad":"{}"}}"#, "x".repeat(64));
        assert!(e.call(&long).starts_with(r#"{"ok":false,"errors":[{"code":"limit.request_bytes""#));
        assert!(e.call_bytes(long.as_bytes()).starts_with(r#"{"ok":false,"errors":[{"code":"limit.request_bytes""#));
        let deep = format!(r#"{{"op":"place","offers":[],"tasks":[],"x":{}1{}}}"#, "[".repeat(80), "]".repeat(80));
        let e = engine(r#"{"strategy":"spread"}"#);
        assert_eq!(e.call(&deep), call(&deep));
        assert!(e.call(&deep).contains("limit.json_depth"), "{}", e.call(&deep));
    }

    #[test]
    fn options_are_refused_once_with_the_request_errors() {
        let err = WireEngine::with_options_text(r#"{"strategy":"nope"}"#, Limits::DEFAULT).unwrap_err();
        let direct = call(r#"{"op":"place","offers":[],"tasks":[],"options":{"strategy":"nope"}}"#);
        assert_eq!(encode_response(&Json::Object(errors::response(err))), direct);
        let err = WireEngine::with_options_text("[1]", Limits::DEFAULT).unwrap_err();
        assert_eq!(err[0].message, "invalid type: sequence, expected the `place` options object");
        assert_eq!(err[0].path.as_deref(), Some("/options"));
        let err = WireEngine::with_options_text(r#"{"a":"#, Limits::DEFAULT).unwrap_err();
        assert_eq!((err[0].code.as_str(), err[0].path.as_deref()), ("request.json", Some("/options")));
        let err = WireEngine::with_options_bytes(b"{\"a\":\"\xff\"}", Limits::DEFAULT).unwrap_err();
        assert_eq!((err[0].code.as_str(), err[0].path.as_deref()), ("request.utf8", Some("/options")));
        let tight = Limits { request_bytes: 8, ..Limits::DEFAULT };
        let err = WireEngine::with_options_text(r#"{"strategy":"spread"}"#, tight).unwrap_err();
        assert_eq!((err[0].code.as_str(), err[0].path.as_deref()), ("limit.request_bytes", Some("/options")));
    }

    #[test]
    fn engines_are_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<WireEngine>();
    }
}
