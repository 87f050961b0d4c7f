//! Native tests of the binding's Rust side (the parts that need no JavaScript engine):
//!
//! - the typed path (`call_op`, behind `parseConstraints()`, `place()`, ...) answers exactly
//!   what the text path (`call_text`, behind `call()`) answers, on the whole request corpus;
//! - (the TypeScript types are the core's own: tsify derives them from the types that read the
//!   requests and write the answers, feature `tsify`; `tsc --strict` checks the package's
//!   `.d.ts` against real use in the wasm stage and the pack test);
//! - a panic becomes the contract's `internal` error (`--features test-panic`).

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The npm typed functions' text route (`__typedRequest`): the text of a request with its op
/// (as `JSON.stringify` writes it: op last when the object has none) is answered exactly as
/// the typed path answers the object, refusals included.
#[test]
fn typed_text_answers_what_the_typed_path_answers() {
    let (mut compared, mut refused) = (0, 0);
    for line in corpus() {
        let Some((op, request)) = split_op(&line) else { continue };
        let typed = offerfit_wasm::call_op(&op, request.clone());
        let Json::Object(mut m) = request else { continue };
        m.insert("op".into(), Json::String(op.clone()));
        let text = serde_json::to_string(&Json::Object(m)).unwrap();
        let answer = offerfit_wasm::typed_text(&text);
        let answer: Json = serde_json::from_str(&answer).expect("an answer for JSON text");
        assert_eq!(answer, typed, "typed text and typed path differ for {line:.200}");
        compared += 1;
        refused += usize::from(typed["ok"] == false);
    }
    assert!(compared > 200 && refused > 50, "{compared} compared, {refused} refused");
}

#[test]
fn text_path_is_offerfit_call() {
    for line in corpus() {
        assert_eq!(offerfit_wasm::call_text(&line), offerfit::call(&line), "for {line:.200}");
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
    assert_eq!(e["ok"], false);
    let f: offerfit::host::WireError = serde_json::from_value(e["errors"][0].clone()).expect("an error object");
    assert_eq!(e["errors"].as_array().map(Vec::len), Some(1));
    assert_eq!(f.code, "internal");
    assert_eq!(f.message, "offerfit panicked: `boom`");
    assert_eq!(f.help.as_deref(), Some(offerfit_wasm::PANIC_HELP));
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
