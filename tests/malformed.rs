//! The malformed-input suite (`tests/data/malformed/*.jsonl`, format in its README): every bad
//! request is answered `ok:false` whose first error has the expected `code`, a message
//! containing `message_contains` and, when given, the expected `path` — through the byte entry
//! point (`host::call_bytes`, as the C and plain-WASM ABIs use it), the text entry point
//! (`call`) and, for JSON requests, the value entry point (`host::call_json`).
//!
//! `MALFORMED_SHOW=1 cargo test --test malformed -- --nocapture` prints every answer.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// One line of a suite file.
struct Case {
    file: String,
    id: String,
    op: Option<String>,
    request: Vec<u8>,
    code: String,
    message_contains: String,
    path: Option<String>,
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digit")).collect()
}

/// The request of a case: `request` (text) or `request_hex` (bytes), with each `expand`
/// entry replacing the first remaining `marker` by `repeat` written `times` times.
fn request_of(v: &Json) -> Vec<u8> {
    let mut bytes = match (v.get("request"), v.get("request_hex")) {
        (Some(Json::String(s)), None) => s.clone().into_bytes(),
        (None, Some(Json::String(h))) => hex(h),
        _ => panic!("a case needs exactly one of `request` and `request_hex`: {v}"),
    };
    for e in v.get("expand").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]) {
        let marker = e["marker"].as_str().expect("expand.marker").as_bytes();
        let repeat = e["repeat"].as_str().expect("expand.repeat");
        let times = e["times"].as_u64().expect("expand.times") as usize;
        let at = bytes.windows(marker.len()).position(|w| w == marker).expect("marker present in the request");
        let mut out = bytes[..at].to_vec();
        out.extend_from_slice(repeat.repeat(times).as_bytes());
        out.extend_from_slice(&bytes[at + marker.len()..]);
        bytes = out;
    }
    bytes
}

fn load() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("tests/data/malformed exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
        for (n, line) in std::fs::read_to_string(&f).expect("readable").lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", n + 1));
            let s = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
            cases.push(Case {
                file: name.clone(),
                id: s("id").unwrap_or_else(|| panic!("{name}:{}: no id", n + 1)),
                op: s("op"),
                request: request_of(&v),
                code: s("code").unwrap_or_else(|| panic!("{name}:{}: no code", n + 1)),
                message_contains: s("message_contains").unwrap_or_default(),
                path: s("path"),
            });
        }
    }
    cases
}

/// Checks one answer; returns a description of what is wrong.
fn judge(case: &Case, out: &str) -> Option<String> {
    let v: Json = match serde_json::from_str(out) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON ({e}): {out}")),
    };
    if out.contains('\n') {
        return Some(format!("answer spans lines: {out}"));
    }
    if v["ok"] != Json::Bool(false) {
        return Some(format!("expected ok:false, got {}", shorten(out)));
    }
    let first = &v["errors"][0];
    let code = first["code"].as_str().unwrap_or("");
    let message = first["message"].as_str().unwrap_or("");
    if code != case.code {
        return Some(format!("expected code `{}`, got `{code}`: {message}", case.code));
    }
    if !message.contains(&case.message_contains) {
        return Some(format!("message `{message}` lacks `{}`", case.message_contains));
    }
    if let Some(p) = &case.path {
        if first["path"].as_str() != Some(p) {
            return Some(format!("expected path `{p}`, got {}", first["path"]));
        }
    }
    None
}

fn shorten(s: &str) -> String {
    if s.len() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s.to_owned()
    }
}

#[test]
fn every_malformed_request_is_refused_with_its_code_and_message() {
    let show = std::env::var_os("MALFORMED_SHOW").is_some();
    let cases = load();
    let mut failures = Vec::new();
    for case in &cases {
        let out = offerfit::host::call_bytes(&case.request);
        if show {
            let v: Json = serde_json::from_str(&out).unwrap_or(Json::Null);
            println!("{} {}: {} | {}", case.file, case.id, v["errors"][0]["code"], v["errors"][0]["message"]);
        }
        if let Some(why) = judge(case, &out) {
            failures.push(format!("{} {}: {why}", case.file, case.id));
            continue;
        }
        if let Ok(text) = std::str::from_utf8(&case.request) {
            let again = offerfit::call(text);
            if again != out {
                failures.push(format!("{} {}: `call` and `call_bytes` answer differently", case.file, case.id));
            }
            // Requests that are JSON also go through the value entry point (bindings that
            // hold objects).
            if let Ok(json) = serde_json::from_str::<Json>(text) {
                let by_value = offerfit::host::call_json(json).to_string();
                // A JSON value cannot hold a duplicate key, nor know the request's size.
                if case.code != "limit.request_bytes" && case.code != "request.duplicate_key" {
                    if let Some(why) = judge(case, &by_value) {
                        failures.push(format!("{} {} (call_json): {why}", case.file, case.id));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} malformed cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_suite_is_large_and_covers_every_op() {
    let cases = load();
    assert!(cases.len() >= 100, "only {} malformed cases", cases.len());
    for op in offerfit::host::OPS.iter().filter(|op| **op != "version") {
        let n = cases.iter().filter(|c| c.op.as_deref() == Some(*op)).count();
        assert!(n >= 5, "op `{op}` has only {n} malformed cases");
    }
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "duplicate case ids");
    for code in ["request.json", "request.utf8", "request.unknown_op", "limit.json_depth", "limit.request_bytes"] {
        assert!(cases.iter().any(|c| c.code == code), "no case expects `{code}`");
    }
}

/// A regex that runs out of backtracking steps fails closed without aborting the placement,
/// and the unplaced task's reason says so (`limit.regex_backtrack`, the constraint, the limit).
#[test]
fn a_regex_out_of_backtracking_steps_is_reported_in_the_placement() {
    let offer = |id: &str, host: &str, rack: &str| {
        serde_json::json!({"id": id, "agent_id": host, "hostname": host, "resources": "cpus:4;mem:4096",
                           "attributes": format!("rack:{rack}")})
    };
    let request = serde_json::json!({
        "op": "place",
        "offers": [offer("o1", "h1", &"a".repeat(5000)), offer("o2", "h2", "ab")],
        "tasks": [
            {"id": "hostile", "cpus": 1, "mem": 128, "constraints": [r"rack LIKE (a+)+\1b"]},
            {"id": "fine", "cpus": 1, "mem": 128, "constraints": ["rack LIKE a.*"]}
        ],
        "options": {"limits": {"regex_backtrack": 10000}}
    });
    let out: Json = serde_json::from_str(&offerfit::call(&request.to_string())).unwrap();
    assert_eq!(out["ok"], true, "{out}");
    // The other task is placed: one hostile value did not abort the call.
    let launched: Vec<String> = out["accept"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["tasks"].as_array().into_iter().flatten())
        .filter_map(|t| t["task_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(launched, ["fine"], "{out}");
    let unplaced = out["unplaced"].as_array().unwrap_or_else(|| panic!("no unplaced list: {out}"));
    assert_eq!(unplaced.len(), 1, "{out}");
    assert_eq!(unplaced[0]["task_id"], "hostile", "{out}");
    let reason = &unplaced[0]["reasons"][0];
    assert_eq!(reason["code"], "constraint", "{out}");
    assert_eq!(
        reason["message"],
        "constraint not satisfied: `rack LIKE (a+)+\\1b` (limit.regex_backtrack: the regex of `rack LIKE (a+)+\\1b` \
         needed more than 10000 backtracking steps on some agent, the limit `regex_backtrack` is 10000; an undecided \
         match counts as not satisfied)"
    );
    // Without the hostile agent, the reason is the plain one.
    let mut calm = request.clone();
    calm["offers"].as_array_mut().unwrap().remove(0);
    let out: Json = serde_json::from_str(&offerfit::call(&calm.to_string())).unwrap();
    let reason = &out["unplaced"][0]["reasons"][0];
    assert_eq!(reason["message"], "constraint not satisfied: `rack LIKE (a+)+\\1b`", "{out}");
}
