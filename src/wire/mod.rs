//! The JSON contract (`docs/contract.md`): one request object with an `op`, one response object
//! `{"ok": true, ...}` or `{"ok": false, "errors": [...]}`. Shared by the CLI, the WASM
//! package and the C ABI, so every host gets byte-identical answers.
//!
//! Each op lives in its own submodule and exposes `fn(Request) -> Result<Response, Errors>`;
//! the table in [`OPS`] routes to it. Requests are decoded with `serde_path_to_error` so a
//! malformed field is reported with its JSON pointer.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::limits::{LimitKind, Limits};

mod bytes;
mod engine;
mod ops_constraint;
mod ops_model;
pub mod ops_place;
mod place_in;
mod place_out;

pub use crate::dto::error::pointer as json_pointer;
pub use crate::dto::{decode, fail, Errors, WireError};
pub(crate) use crate::dto::{error as errors, mesos};
pub use bytes::{call_bytes, refusal_for_size, utf8_error};
pub use engine::WireEngine;

/// The version of the library (and of the contract's `version` op).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// [`crate::json::parse_strict`] with its error as the contract's error object (path `""`).
///
/// # Errors
/// A [`WireError`] with code `request.json` (or `request.duplicate_key`, `limit.json_depth`),
/// `line`, `column`, `span` and `rendered`.
pub fn parse_strict(text: &str) -> Result<Json, Box<WireError>> {
    crate::json::parse_strict(text).map_err(|p| Box::new(WireError::from_parse(&p, "")))
}

/// [`crate::json::parse_strict_with_depth`] with its error as the contract's error object.
///
/// # Errors
/// As [`parse_strict`].
pub fn parse_strict_with_depth(text: &str, max_depth: usize) -> Result<Json, Box<WireError>> {
    crate::json::parse_strict_with_depth(text, max_depth).map_err(|p| Box::new(WireError::from_parse(&p, "")))
}

/// Every op of the contract, in the order `version` lists them.
pub const OPS: &[&str] = &[
    "version",
    "parse_value",
    "parse_resources",
    "format_resources",
    "resource_math",
    "parse_attributes",
    "parse_constraints",
    "check_constraints",
    "place",
];

/// The answer of each op in TypeScript (the npm package's `.d.ts`): `{ok: true}` with the op's
/// result fields (declared by tsify from the result types: `ParseValueResult`, ...), or a
/// `Failure` (`crate::dto::error`). One `XOk` / `XResponse` pair per op of [`OPS`], in its order
/// (a test checks the list).
#[cfg(feature = "tsify")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const ANSWERS_TS: &'static str = r#"
/**
 * The contract's error object: `code` and `message` always; `path` when the error is tied to one
 * input element; `span`, `line`, `column` and `rendered` when it is inside a text.
 */
export type ErrorObject = WireError;
/** `ok: true` and the result of `version`. */
export type VersionOk = { ok: true } & VersionResult;
/** What `version` answers. */
export type VersionResponse = VersionOk | Failure;
/** `ok: true` and the result of `parse_value`. */
export type ParseValueOk = { ok: true } & ParseValueResult;
/** What `parse_value` answers. */
export type ParseValueResponse = ParseValueOk | Failure;
/** `ok: true` and the result of `parse_resources`. */
export type ParseResourcesOk = { ok: true } & ParseResourcesResult;
/** What `parse_resources` answers. */
export type ParseResourcesResponse = ParseResourcesOk | Failure;
/** `ok: true` and the result of `format_resources`. */
export type FormatResourcesOk = { ok: true } & FormatResourcesResult;
/** What `format_resources` answers. */
export type FormatResourcesResponse = FormatResourcesOk | Failure;
/** `ok: true` and the result of `resource_math`. */
export type ResourceMathOk = { ok: true } & ResourceMathResult;
/** What `resource_math` answers. */
export type ResourceMathResponse = ResourceMathOk | Failure;
/** `ok: true` and the result of `parse_attributes`. */
export type ParseAttributesOk = { ok: true } & ParseAttributesResult;
/** What `parse_attributes` answers. */
export type ParseAttributesResponse = ParseAttributesOk | Failure;
/** `ok: true` and the result of `parse_constraints`. */
export type ParseConstraintsOk = { ok: true } & ParseConstraintsResult;
/** What `parse_constraints` answers. */
export type ParseConstraintsResponse = ParseConstraintsOk | Failure;
/** `ok: true` and the result of `check_constraints`. */
export type CheckConstraintsOk = { ok: true } & CheckConstraintsResult;
/** What `check_constraints` answers. */
export type CheckConstraintsResponse = CheckConstraintsOk | Failure;
/** `ok: true` and the result of `place`. */
export type PlaceOk = { ok: true } & PlaceResult;
/** What `place` answers. */
export type PlaceResponse = PlaceOk | Failure;
"#;

/// Routes an op name to its implementation; `None` for an unknown op.
/// A `place` request without an `options` field gets `stored`'s engine (a [`WireEngine`]'s
/// options, validated once) instead of the default options.
fn route(op: &str, json: Json, stored: Option<&crate::Engine>) -> Option<Result<Map<String, Json>, Errors>> {
    Some(match op {
        "version" => run(json, ops_model::version),
        "parse_value" => run(json, ops_model::parse_value),
        "parse_resources" => run(json, ops_model::parse_resources),
        "format_resources" => run(json, ops_model::format_resources),
        "resource_math" => run(json, ops_model::resource_math),
        "parse_attributes" => run(json, ops_model::parse_attributes),
        "parse_constraints" => run(json, ops_constraint::parse_constraints),
        "check_constraints" => run(json, ops_constraint::check_constraints),
        "place" => ops_place::place_value(json, stored),
        _ => return None,
    })
}

/// Decodes the request into the op's typed request, runs it, encodes the typed response.
fn run<Req, Resp>(json: Json, f: impl FnOnce(Req) -> Result<Resp, Errors>) -> Result<Map<String, Json>, Errors>
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let req = decode(json, "")?;
    encode(&f(req)?)
}

fn encode<T: Serialize>(resp: &T) -> Result<Map<String, Json>, Errors> {
    match serde_json::to_value(resp) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(_) => Err(vec![WireError::internal("an op returned a non-object result")]),
        Err(e) => Err(vec![WireError::internal(format!("could not encode the result: {e}"))]),
    }
}

/// Answers one contract request. Never panics on any input; always returns one JSON object
/// on one line.
///
/// ```
/// let out = offerfit::call(r#"{"op":"parse_value","text":"[1-4, 5-9]"}"#);
/// assert_eq!(out, r#"{"ok":true,"value":{"type":"RANGES","ranges":{"range":[{"begin":1,"end":9}]}}}"#);
/// let bad = offerfit::call("{oops");
/// assert!(bad.starts_with(r#"{"ok":false,"errors":[{"code":"request.json""#));
/// ```
pub fn call(request: &str) -> String {
    call_with_limits(request, &Limits::DEFAULT)
}

/// [`call`] with the host's own [`Limits`] (request size, JSON depth, string lengths and the
/// counts the JSON shows) instead of the defaults. `limits` should have passed
/// [`Limits::validate`]; a zero bound simply refuses everything it bounds.
///
/// ```
/// let tight = offerfit::Limits { request_bytes: 16, ..Default::default() };
/// let out = offerfit::host::call_with_limits(r#"{"op":"version","x":"long"}"#, &tight);
/// assert!(out.starts_with(r#"{"ok":false,"errors":[{"code":"limit.request_bytes""#));
/// ```
pub fn call_with_limits(request: &str, limits: &Limits) -> String {
    answer_text(request, limits, None)
}

/// The `place` fast path of [`call`] alone: its answer to a `place` request text that it reads
/// straight into the typed request (an `ok: true` answer, or the engine's refusal of the
/// decoded request: both exactly [`call`]'s bytes), or `None` where [`call`] would answer by
/// its general path (another op, any refusal of the text or its shape, anything the fast path
/// does not prove within the default [`Limits`]). The request-size limit is not applied. For a
/// host that answers the other requests its own way: the npm package's typed functions read
/// those as they read a JS object, so that their errors stay theirs, computed once.
///
/// ```
/// let text = r#"{"op":"place","offers":[],"tasks":[]}"#;
/// assert_eq!(offerfit::host::call_place_fast(text).as_deref(), Some(offerfit::call(text).as_str()));
/// assert_eq!(offerfit::host::call_place_fast(r#"{"op":"place","offers":[],"tasks":[],"x":1}"#), None);
/// ```
pub fn call_place_fast(request: &str) -> Option<String> {
    place_in::try_place(request, &Limits::DEFAULT)
}

/// [`call_with_limits`], a `place` request without `options` placed by `stored` when given.
fn answer_text(request: &str, limits: &Limits, stored: Option<&crate::Engine>) -> String {
    let response = if let Err(e) = limits.check(LimitKind::RequestBytes, request.len()) {
        Json::Object(errors::response(fail(e, "")))
    } else if let Some(answer) = stored.is_none().then(|| place_in::try_place(request, limits)).flatten() {
        // A `place` request answered without a `Value` tree (same bytes). The fast path reads
        // the request's own options, so it is not taken for stored ones.
        return answer;
    } else {
        match crate::json::read(request, limits) {
            Ok(json) => Json::Object(answer(dispatch(json, stored))),
            Err(crate::json::ReadError::Text(p)) => Json::Object(errors::response(vec![WireError::from_parse(&p, "")])),
            Err(crate::json::ReadError::Limit(e, path)) => Json::Object(errors::response(fail(e, &path))),
        }
    };
    encode_response(&response)
}

/// The response as one line of JSON.
fn encode_response(response: &Json) -> String {
    serde_json::to_string(response).unwrap_or_else(|_| {
        r#"{"ok":false,"errors":[{"code":"internal","message":"could not encode the response"}]}"#.to_owned()
    })
}

/// Answers one contract request that is already a JSON value (for bindings that receive
/// objects rather than text, such as the JavaScript package). The response is the value
/// [`call`] would print.
///
/// ```
/// let out = offerfit::host::call_json(serde_json::json!({"op": "version"}));
/// assert_eq!(out["ok"], true);
/// ```
pub fn call_json(request: Json) -> Json {
    call_json_with_limits(request, &Limits::DEFAULT)
}

/// [`call_json`] with the host's own [`Limits`]: the request value is first checked against
/// them ([`Limits::check_json`]).
pub fn call_json_with_limits(request: Json, limits: &Limits) -> Json {
    answer_json(request, limits, None)
}

/// [`call_json_with_limits`], a `place` request without `options` placed by `stored` when
/// given.
fn answer_json(request: Json, limits: &Limits, stored: Option<&crate::Engine>) -> Json {
    let checked = limits.check_json(&request).map_err(|(e, path)| fail(e, &path));
    Json::Object(answer(checked.and_then(|()| dispatch(request, stored))))
}

/// The response object for an op's result.
fn answer(result: Result<Map<String, Json>, Errors>) -> Map<String, Json> {
    match result {
        Ok(result) => {
            let mut m = Map::with_capacity(result.len() + 1);
            m.insert("ok".into(), Json::Bool(true));
            m.extend(result);
            m
        }
        Err(errors) => errors::response(errors),
    }
}

fn dispatch(json: Json, stored: Option<&crate::Engine>) -> Result<Map<String, Json>, Errors> {
    let Json::Object(mut obj) = json else {
        return Err(vec![
            WireError::new("request.not_object", "expected a JSON object with an `op` field").with_path("")
        ]);
    };
    let op_name = match obj.remove("op") {
        Some(Json::String(s)) => s,
        Some(other) => {
            return Err(vec![WireError::new(
                "request.op",
                format!("expected `op` to be a string, found {}", errors::kind(&other)),
            )
            .with_path("/op")])
        }
        None => return Err(vec![WireError::new("request.op", "missing field `op`").with_path("")]),
    };
    // Stored options stand in only for an absent `options` field (`"options": null` asks for
    // the defaults, as it does in a plain call).
    let stored = stored.filter(|_| !obj.contains_key("options"));
    match route(&op_name, Json::Object(obj), stored) {
        Some(result) => result,
        None => {
            let names = OPS;
            let mut e = WireError::new("request.unknown_op", format!("unknown op `{op_name}`")).with_path("/op");
            e.help = Some(match crate::suggest::closest(&op_name, names) {
                Some(s) => format!("did you mean `{s}`? known ops: {}", names.join(", ")),
                None => format!("known ops: {}", names.join(", ")),
            });
            Err(vec![e])
        }
    }
}
