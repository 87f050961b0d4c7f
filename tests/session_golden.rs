//! Golden session transcripts (`tests/data/session/NAME.jsonl`, written by `make_inputs.py`):
//! line 1 is `{"about", "rule", "config"}`, the others are session inputs. Each is replayed
//! through `Session::step_json`; every answer is checked against the session contract's rules (docs/contract.md, part 3)
//! (`common/session_check.rs`), a refused input must leave the session exactly as it was, a
//! second replay must give the same bytes, and the answers must equal `NAME.out.jsonl`.
//! `UPDATE_GOLDEN=1 cargo test --test session_golden` rewrites the `.out.jsonl` files.

#[path = "common/session_check.rs"]
mod session_check;

use std::path::{Path, PathBuf};

use offerfit::Session;
use serde_json::Value as Json;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/session")
}

fn transcripts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/data/session")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".jsonl") && !p.to_string_lossy().ends_with(".out.jsonl"))
        .collect();
    v.sort();
    v
}

/// Replays a transcript: the answers, and the rule violations found.
fn replay(config: &Json, inputs: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut session = Session::from_json(&config.to_string()).expect("the transcript's config is valid");
    let mut checker = session_check::Checker::new(config);
    let mut outputs = Vec::new();
    let mut violations = Vec::new();
    for (i, line) in inputs.iter().enumerate() {
        let before = format!("{session:?}");
        let out = session.step_json(line);
        if out.starts_with(r#"{"ok":false"#) && format!("{session:?}") != before {
            violations.push(format!("step {i}: a refused input changed the session"));
        }
        for v in checker.step(line, &out, &session) {
            violations.push(format!("step {i}: {v}"));
        }
        outputs.push(out);
    }
    (outputs, violations)
}

#[test]
fn golden_transcripts_keep_every_rule() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let files = transcripts();
    assert!(files.len() >= 15, "transcripts missing: {files:?}");
    let mut rules = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut lines = text.lines();
        let head: Json = serde_json::from_str(lines.next().expect("a head line")).expect("head is JSON");
        rules.insert(head["rule"].as_u64().expect("rule number"));
        let inputs: Vec<&str> = lines.collect();
        let (outputs, violations) = replay(&head["config"], &inputs);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
        for v in violations {
            failures.push(format!("{name}: {v}"));
        }
        let (again, _) = replay(&head["config"], &inputs);
        if again != outputs {
            failures.push(format!("{name}: rule 10: a replay gave other bytes"));
        }
        let golden_path = path.with_extension("out.jsonl");
        let got = outputs.join("\n") + "\n";
        if update {
            std::fs::write(&golden_path, &got).expect("writable");
            continue;
        }
        let want = std::fs::read_to_string(&golden_path).unwrap_or_default();
        if want != got {
            let first = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(0);
            failures.push(format!(
                "{name}: answers differ from {} at step {first}:\n  want {}\n  got  {}",
                golden_path.display(),
                want.lines().nth(first).unwrap_or("<none>"),
                got.lines().nth(first).unwrap_or("<none>")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(rules.into_iter().collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>(), "one transcript per rule");
}

/// The CLI answers like `step_json`: checked in the CLI crate; here the typed API is held to
/// the JSON one on a whole transcript.
#[test]
fn typed_and_json_steps_agree() {
    let text = std::fs::read_to_string(dir().join("rule08_framework_failover.jsonl")).expect("readable");
    let mut lines = text.lines();
    let head: Json = serde_json::from_str(lines.next().expect("head")).expect("JSON");
    let inputs: Vec<&str> = lines.collect();
    let (outputs, _) = replay(&head["config"], &inputs);
    let mut typed = Session::from_json(&head["config"].to_string()).expect("valid");
    for (line, want) in inputs.iter().zip(&outputs) {
        let value: Json = serde_json::from_str(line).expect("JSON input");
        let got = match typed.step_value(value) {
            Ok(a) => a.to_json_text(),
            Err(r) => r.to_json_text(),
        };
        assert_eq!(&got, want);
    }
}

/// The checker itself finds violations (so that a clean run means something).
#[test]
fn the_checker_catches_violations() {
    let config: Json = serde_json::json!({"framework": {"name": "fw"}});
    let session = Session::from_json(&config.to_string()).expect("valid");
    let mut c = session_check::Checker::new(&config);
    let decline = r#"{"ok":true,"calls":[{"framework_id":{"value":"F1"},"type":"DECLINE","decline":{"offer_ids":[{"value":"O9"}],"filters":{"refuse_seconds":3600}}}],"notices":[],"wake_at":null}"#;
    let v = c.step(r#"{"now": 1, "tick": {}}"#, decline, &session);
    assert!(v.iter().any(|v| v.starts_with("rule 1:")), "{v:?}");
    assert!(v.iter().any(|v| v.starts_with("rule 2:")), "{v:?}");
    let subscribed = r#"{"now": 2, "event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}}"#;
    let empty = r#"{"ok":true,"calls":[],"notices":[],"wake_at":null}"#;
    let v = c.step(subscribed, empty, &session);
    assert!(v.iter().any(|v| v.starts_with("rule 4:")), "not suppressed with nothing pending: {v:?}");
    let update = r#"{"now": 3, "event": {"type": "UPDATE", "update": {"status": {"task_id": {"value": "t"}, "state": "TASK_RUNNING", "agent_id": {"value": "S"}, "uuid": "AAEC"}}}}"#;
    let v = c.step(update, empty, &session);
    assert!(v.iter().any(|v| v.starts_with("rule 5:")), "{v:?}");
    let v = c.step(r#"{"now": 4, "disconnected": {}}"#, empty, &session);
    assert!(v.iter().any(|v| v.starts_with("rule 12:")), "{v:?}");
}
