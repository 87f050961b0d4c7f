//! The malformed-input suite for sessions (`tests/data/malformed/session/`, format in
//! `tests/data/malformed/README.md`): `inputs.jsonl` holds session inputs that must be
//! refused (`ok:false`, the expected first error, and the session unchanged), each sent after
//! its `before` inputs to a session made from its `config` (default
//! `{"framework": {"name": "malformed"}}`); `config.jsonl` holds session configs that must be
//! refused with the expected first error.

use std::path::{Path, PathBuf};

use offerfit::Session;
use serde_json::Value as Json;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed/session")
}

/// The request of a case with its `expand` entries applied.
fn request(case: &Json) -> String {
    let mut text = case["request"].as_str().expect("request").to_owned();
    for e in case["expand"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let marker = e["marker"].as_str().expect("marker");
        let repeat = e["repeat"].as_str().expect("repeat").repeat(e["times"].as_u64().expect("times") as usize);
        text = text.replacen(marker, &repeat, 1);
    }
    text
}

fn cases(file: &str) -> Vec<Json> {
    std::fs::read_to_string(dir().join(file))
        .expect("readable")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a case is JSON"))
        .collect()
}

/// What is wrong with `answer` for `case`, if anything.
fn judge(case: &Json, answer: &str) -> Option<String> {
    let v: Json = match serde_json::from_str(answer) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON ({e})")),
    };
    if answer.contains('\n') || v["ok"] != Json::Bool(false) {
        return Some(format!("expected one ok:false line, got {}", answer.chars().take(300).collect::<String>()));
    }
    let first = &v["errors"][0];
    let (code, message) = (first["code"].as_str().unwrap_or(""), first["message"].as_str().unwrap_or(""));
    if code != case["code"] {
        return Some(format!("expected code {}, got `{code}`: {message}", case["code"]));
    }
    if !message.contains(case["message_contains"].as_str().unwrap_or("")) {
        return Some(format!("message `{message}` lacks {}", case["message_contains"]));
    }
    if let Some(p) = case.get("path").and_then(Json::as_str) {
        if first["path"].as_str() != Some(p) {
            return Some(format!("expected path `{p}`, got {}", first["path"]));
        }
    }
    None
}

#[test]
fn malformed_session_inputs_are_refused_and_change_nothing() {
    let mut failures = Vec::new();
    let all = cases("inputs.jsonl");
    assert!(all.len() >= 30);
    for case in &all {
        let id = case["id"].as_str().unwrap_or("?");
        let config =
            case.get("config").cloned().unwrap_or_else(|| serde_json::json!({"framework": {"name": "malformed"}}));
        let mut s = Session::from_json(&config.to_string()).expect("valid config");
        for b in case["before"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let out = s.step_json(b.as_str().expect("a before input is text"));
            assert!(out.starts_with(r#"{"ok":true"#), "{id}: before input refused: {out}");
        }
        let before = format!("{s:?}");
        let answer = s.step_json(&request(case));
        if let Some(why) = judge(case, &answer) {
            failures.push(format!("{id}: {why}"));
        }
        if format!("{s:?}") != before {
            failures.push(format!("{id}: the refused input changed the session"));
        }
        // The session keeps working.
        let next = s.step_json(r#"{"now": 1e9, "tick": {}}"#);
        if !next.starts_with(r#"{"ok":true"#) {
            failures.push(format!("{id}: the session stopped working: {next}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn malformed_session_configs_are_refused() {
    let mut failures = Vec::new();
    for case in cases("config.jsonl") {
        let id = case["id"].as_str().unwrap_or("?");
        match Session::from_json(&request(&case)) {
            Ok(_) => failures.push(format!("{id}: accepted")),
            Err(errors) => {
                let answer = offerfit::session::Refused { errors }.to_json_text();
                if let Some(why) = judge(&case, &answer) {
                    failures.push(format!("{id}: {why}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
