//! Native tests of the binding's Rust side (the parts that need no JavaScript engine):
//!
//! - the typed path (`call_op`, behind `parseConstraints()`, `place()`, ...) answers exactly
//!   what the text path (`call_text`, behind `call()`) answers, on the whole request corpus;
//! - every answer has the shape the TypeScript types declare (`src/types.rs`, which tsify
//!   turns into the `.d.ts`), so the types cannot drift from the core;
//! - every request the core accepts is accepted by the declared request type;
//! - a panic becomes the contract's `internal` error (`--features test-panic`).

use std::path::{Path, PathBuf};
use std::process::Command;

use offerfit_wasm::types::*;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The cross-host request corpus, from `scripts/gen-requests.py` (conformance vectors,
/// examples, malformed requests). Generated once per test process: under plain `cargo test`
/// the tests run on parallel threads of one process, and a per-call file named after the
/// process id raced (one test removed the file another was about to read).
fn corpus() -> Vec<String> {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(generate_corpus).clone()
}

fn generate_corpus() -> Vec<String> {
    let out = std::env::temp_dir().join(format!("offerfit-wasm-requests-{}.jsonl", std::process::id()));
    let status = Command::new("python3")
        .arg(root().join("scripts/gen-requests.py"))
        .arg("--out")
        .arg(&out)
        .status()
        .expect("python3 runs scripts/gen-requests.py");
    assert!(status.success(), "scripts/gen-requests.py failed");
    let text = std::fs::read_to_string(&out).expect("the corpus was written");
    let _ = std::fs::remove_file(&out);
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines.len() > 200, "the corpus has only {} requests", lines.len());
    lines
}

/// `(op, request without op)` when the line is an object whose `op` is a string (read as the
/// core reads it: a line with a duplicate key is no object a JS caller could pass).
fn split_op(line: &str) -> Option<(String, Json)> {
    let Ok(Json::Object(mut m)) = offerfit::host::parse_strict(line) else { return None };
    let Some(Json::String(op)) = m.remove("op") else { return None };
    Some((op, Json::Object(m)))
}

fn decode<T: DeserializeOwned>(json: &Json, what: &str) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(json.clone()).map_err(|e| format!("{what}: {e}"))
}

/// Checks an `ok: true` response of `op` against its declared type; `Err` names the mismatch.
fn check_ok(op: &str, response: &Json) -> Result<(), String> {
    match op {
        "version" => decode::<VersionOk>(response, "VersionOk").map(drop),
        "parse_value" => decode::<ParseValueOk>(response, "ParseValueOk").map(drop),
        "parse_resources" => decode::<ParseResourcesOk>(response, "ParseResourcesOk").map(drop),
        "format_resources" => decode::<FormatResourcesOk>(response, "FormatResourcesOk").map(drop),
        "resource_math" => decode::<ResourceMathOk>(response, "ResourceMathOk").map(drop),
        "parse_attributes" => decode::<ParseAttributesOk>(response, "ParseAttributesOk").map(drop),
        "parse_constraints" => decode::<ParseConstraintsOk>(response, "ParseConstraintsOk").map(drop),
        "check_constraints" => decode::<CheckConstraintsOk>(response, "CheckConstraintsOk").map(drop),
        "place" => decode::<PlaceOk>(response, "PlaceOk").map(drop),
        other => Err(format!("op `{other}` answered ok but has no declared type")),
    }
}

/// Checks a request the core accepted against its declared type.
fn check_request(op: &str, request: &Json) -> Result<(), String> {
    match op {
        "version" => Ok(()),
        "parse_value" => decode::<ParseValueRequest>(request, "ParseValueRequest").map(drop),
        "parse_resources" => decode::<ParseResourcesRequest>(request, "ParseResourcesRequest").map(drop),
        "format_resources" => decode::<FormatResourcesRequest>(request, "FormatResourcesRequest").map(drop),
        "resource_math" => decode::<ResourceMathRequest>(request, "ResourceMathRequest").map(drop),
        "parse_attributes" => decode::<ParseAttributesRequest>(request, "ParseAttributesRequest").map(drop),
        "parse_constraints" => decode::<ParseConstraintsRequest>(request, "ParseConstraintsRequest").map(drop),
        "check_constraints" => decode::<CheckConstraintsRequest>(request, "CheckConstraintsRequest").map(drop),
        "place" => decode::<PlaceRequest>(request, "PlaceRequest").map(drop),
        other => Err(format!("op `{other}` accepted a request but has no declared type")),
    }
}

#[test]
fn typed_path_answers_exactly_what_the_text_path_answers() {
    let mut compared = 0;
    for line in corpus() {
        let text: Json = serde_json::from_str(&offerfit_wasm::call_text(&line)).expect("call answers JSON");
        if let Some((op, request)) = split_op(&line) {
            let typed = offerfit_wasm::call_op(&op, request);
            assert_eq!(typed, text, "typed and text answers differ for {line:.200}");
            compared += 1;
        }
    }
    assert!(compared > 200, "only {compared} requests had an op");
}

#[test]
fn text_path_is_offerfit_call() {
    for line in corpus() {
        assert_eq!(offerfit_wasm::call_text(&line), offerfit::call(&line), "for {line:.200}");
    }
}

#[test]
fn every_answer_has_the_declared_typescript_shape() {
    let mut mismatches = Vec::new();
    let mut ok_by_op = std::collections::BTreeMap::<String, usize>::new();
    let mut lines = corpus();
    lines.push(r#"{"op":"version"}"#.to_owned());
    for line in lines {
        let response: Json = serde_json::from_str(&offerfit_wasm::call_text(&line)).expect("call answers JSON");
        let ok = response["ok"].as_bool().expect("`ok` is a boolean");
        let result = if ok {
            let (op, request) = split_op(&line).expect("an accepted request has an op");
            *ok_by_op.entry(op.clone()).or_default() += 1;
            check_ok(&op, &response).and_then(|()| check_request(&op, &request))
        } else {
            decode::<Failure>(&response, "Failure").and_then(|f| {
                if f.errors.is_empty() {
                    Err("an ok:false answer without errors".to_owned())
                } else {
                    Ok(())
                }
            })
        };
        if let Err(e) = result {
            mismatches.push(format!("{e}\n  request: {line:.300}"));
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    // Every op of the contract is exercised with an accepted request.
    for op in offerfit::host::OPS {
        assert!(ok_by_op.get(*op).copied().unwrap_or(0) > 0, "no accepted `{op}` request in the corpus: {ok_by_op:?}");
    }
}

#[test]
fn typed_request_that_is_not_an_object_gets_the_contract_error() {
    let out = offerfit_wasm::call_op("place", Json::from(42));
    assert_eq!(out["ok"], false);
    assert_eq!(out["errors"][0]["code"], "request.not_object");
}

#[test]
fn typed_request_op_field_is_the_functions_op() {
    // The typed function names the op; an `op` inside the object cannot redirect it.
    let out = offerfit_wasm::call_op("parse_value", serde_json::json!({"op": "version", "text": "[1-2]"}));
    assert_eq!(out.to_string(), r#"{"ok":true,"value":{"type":"RANGES","ranges":{"range":[{"begin":1,"end":2}]}}}"#);
}

#[test]
fn internal_error_has_the_contract_shape() {
    let e = offerfit_wasm::internal_error("offerfit panicked: `boom`");
    let f: Failure = serde_json::from_value(e).expect("a Failure");
    assert_eq!(f.errors[0].code, "internal");
    assert_eq!(f.errors[0].message, "offerfit panicked: `boom`");
    assert_eq!(f.errors[0].help.as_deref(), Some(offerfit_wasm::PANIC_HELP));
}

#[test]
fn panic_message_keeps_one_line() {
    let payload: Box<dyn std::any::Any + Send> = Box::new(String::from("first line\nsecond"));
    assert_eq!(offerfit_wasm::panic_message(payload.as_ref()), "offerfit panicked: `first line`");
    let payload: Box<dyn std::any::Any + Send> = Box::new(7_u8);
    assert_eq!(offerfit_wasm::panic_message(payload.as_ref()), "offerfit panicked: `a non-string panic payload`");
}

#[cfg(feature = "test-panic")]
mod forced_panic {
    use super::*;

    fn expect_internal(out: &Json) {
        assert_eq!(
            out.to_string(),
            r#"{"ok":false,"errors":[{"code":"internal","message":"offerfit panicked: `__test_panic was requested`","help":"this is a bug in offerfit, not in the request: please report it with the request"}]}"#
        );
    }

    #[test]
    fn a_panic_in_call_becomes_the_internal_error() {
        let out: Json = serde_json::from_str(&offerfit_wasm::call_text(r#"{"op":"__test_panic"}"#)).expect("JSON");
        expect_internal(&out);
        // and the next call works
        assert_eq!(
            offerfit_wasm::call_text(r#"{"op":"parse_value","text":"5"}"#),
            r#"{"ok":true,"value":{"type":"SCALAR","scalar":{"value":5}}}"#
        );
    }

    #[test]
    fn a_panic_in_a_typed_call_becomes_the_internal_error() {
        expect_internal(&offerfit_wasm::call_op("place", serde_json::json!({"__test_panic": true})));
        expect_internal(&offerfit_wasm::call_op("__test_panic", serde_json::json!({})));
    }
}
