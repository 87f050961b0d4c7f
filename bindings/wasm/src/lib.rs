//! # offerfit-wasm
//!
//! offerfit for JavaScript and TypeScript (the npm package `offerfit`), built with wasm-bindgen
//! for Node, browsers and bundlers. It is a thin layer: decode → the core's contract
//! dispatcher → encode, with no logic of its own, so its answers are byte-identical to the
//! CLI's, the C ABI's and the plain-WASM ABI's.
//!
//! JavaScript API (see `bindings/README.md`):
//! - `call(json: string): string` — one contract request as text, one response as text;
//! - `version()`, `parseValue(req)`, `parseResources(req)`, `formatResources(req)`,
//!   `resourceMath(req)`, `parseAttributes(req)`, `parseConstraints(req)`,
//!   `checkConstraints(req)`, `place(req)` — the same ops taking and returning plain objects
//!   (the request without its `op`), typed by the `.d.ts` that tsify writes from the core's
//!   own request and result types (the core's `tsify` feature): the types that read and write
//!   the contract are the ones that declare it, so there is no copy to keep in step.
//!
//! Nothing is ever thrown for bad input: a refused request answers
//! `{ok: false, errors: [...]}`, the contract's error object.
//!
//! ## Panics
//! The core is written not to panic (clippy denies `unwrap`, `expect`, `panic` and unchecked
//! indexing in it). Should a bug panic anyway, [`call_text`] and [`call_op`] catch it with
//! `catch_unwind` and answer the contract's `internal` error. That works natively and in any
//! `panic=unwind` build; stable `wasm32-unknown-unknown` is `panic=abort`, where no unwinding
//! exists, so in the `.wasm` the panic hook installed at start-up schedules a fresh instance
//! for the next call (`wasm_bindgen::handler::schedule_reinit`) and throws a JS `Error`
//! `offerfit panicked: …`; the package's JS entry (`js/guard.mjs`) turns any exception out of
//! the module into the same `internal` error object. The `test-panic` feature adds an op
//! `__test_panic` (and, for the typed functions, a request field of that name) that panics,
//! so the tests can prove both paths.

#![deny(missing_docs)]
// wasm-bindgen's and tsify's derives expand to `unsafe` ABI glue; this crate writes none itself.
#![allow(unsafe_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{Map, Value as Json};

/// The `help` of the `internal` error that a caught panic becomes.
pub const PANIC_HELP: &str = "this is a bug in offerfit, not in the request: please report it with the request";

/// The op that panics on purpose, in builds with the `test-panic` feature.
#[cfg(feature = "test-panic")]
pub const TEST_PANIC_OP: &str = "__test_panic";

/// The message of the `internal` error for a panic with this payload (its first line), the
/// same as the C ABI's.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    };
    format!("offerfit panicked: `{}`", what.lines().next().unwrap_or_default())
}

/// `{"ok": false, "errors": [{"code": "internal", "message", "help"}]}`.
pub fn internal_error(message: &str) -> Json {
    serde_json::json!({
        "ok": false,
        "errors": [{"code": "internal", "message": message, "help": PANIC_HELP}],
    })
}

/// Runs `f`, turning a panic into the contract's `internal` error.
fn guard(f: impl FnOnce() -> Json) -> Json {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(response) => response,
        Err(payload) => internal_error(&panic_message(payload.as_ref())),
    }
}

/// Panics if `op` is the test op, or a typed request carries a field named after it (only in
/// `test-panic` builds).
#[cfg(feature = "test-panic")]
fn maybe_test_panic(op: Option<&str>, request: Option<&Json>) {
    if op == Some(TEST_PANIC_OP) || request.and_then(|r| r.get(TEST_PANIC_OP)).is_some() {
        #[allow(clippy::panic)]
        {
            panic!("__test_panic was requested");
        }
    }
}

#[cfg(not(feature = "test-panic"))]
fn maybe_test_panic(_: Option<&str>, _: Option<&Json>) {}

/// Answers one contract request given as JSON text: exactly [`offerfit::call`], with a panic
/// turned into the `internal` error. This is JS `call`.
///
/// ```
/// let out = offerfit_wasm::call_text(r#"{"op":"parse_value","text":"[1-4, 5-9]"}"#);
/// assert_eq!(out, r#"{"ok":true,"value":{"type":"RANGES","ranges":{"range":[{"begin":1,"end":9}]}}}"#);
/// ```
pub fn call_text(request: &str) -> String {
    match catch_unwind(AssertUnwindSafe(|| {
        if cfg!(feature = "test-panic") {
            // Cheap check that needs no parse in ordinary builds (the branch is compiled out).
            let op = serde_json::from_str::<Json>(request).ok();
            maybe_test_panic(op.as_ref().and_then(|j| j.get("op")).and_then(Json::as_str), None);
        }
        offerfit::call(request)
    })) {
        Ok(response) => response,
        Err(payload) => internal_error(&panic_message(payload.as_ref())).to_string(),
    }
}

/// Answers the request `request` (an object without `op`, as the typed JS functions take it)
/// for the op `op`: inserts `op` and runs [`offerfit::host::call_json`], with a panic turned
/// into the `internal` error. A request that is not an object gets the contract's
/// `request.not_object` error.
///
/// ```
/// let out = offerfit_wasm::call_op("parse_value", serde_json::json!({"text": "5"}));
/// assert_eq!(out.to_string(), r#"{"ok":true,"value":{"type":"SCALAR","scalar":{"value":5}}}"#);
/// ```
pub fn call_op(op: &str, request: Json) -> Json {
    guard(|| {
        maybe_test_panic(Some(op), Some(&request));
        let request = match request {
            Json::Object(mut fields) => {
                fields.insert("op".to_owned(), Json::String(op.to_owned()));
                Json::Object(fields)
            }
            // A typed method names its op itself: a request that is not an object is refused
            // as one for that op (the generic answer would ask for an `op` field, which a
            // typed caller never writes).
            other => {
                let found = match &other {
                    Json::Null => "null",
                    Json::Bool(_) => "a boolean",
                    Json::Number(_) => "a number",
                    Json::String(_) => "a string",
                    Json::Array(_) => "an array",
                    Json::Object(_) => "an object",
                };
                return request_error(
                    "request.not_object",
                    &format!("expected a `{op}` request object, found {found}"),
                    "",
                );
            }
        };
        offerfit::host::call_json(request)
    })
}

/// `{"ok": false, "errors": [one error]}` for a request the binding could not read.
pub fn request_error(code: &str, message: &str, path: &str) -> Json {
    let mut e = Map::new();
    e.insert("code".into(), code.into());
    e.insert("message".into(), message.into());
    e.insert("path".into(), path.into());
    serde_json::json!({"ok": false, "errors": [Json::Object(e)]})
}

mod js;
mod session;
pub use js::*;
pub use session::*;

#[cfg(test)]
mod typed_tests {
    #[test]
    fn a_typed_request_that_is_not_an_object_names_the_op_not_an_op_field() {
        let answer = super::call_op("place", serde_json::Value::Null);
        assert_eq!(answer["errors"][0]["code"], "request.not_object");
        assert_eq!(answer["errors"][0]["message"], "expected a `place` request object, found null");
    }
}
