//! Every `ACCEPT` and `DECLINE` a session writes passes Mesos' master validation
//! (`tests/common/mesos_validation.rs`, ported from apache/mesos `src/master/validation.cpp`),
//! as `place`'s calls do (`tests/mesos_validation.rs`): the golden transcripts
//! (`tests/data/session/*.jsonl`) are replayed through `Session::step_json`, and each answer's
//! calls are checked against the offers the session was sent so far.
//!
//! `OFFERFIT_SESSION_TRANSCRIPTS=DIR` adds every `*.jsonl` of DIR in the same form, where a line
//! with a `config` starts a new session (a framework failover): the random transcripts that
//! `scripts/check-mesos-proto.py` writes to `target/mesos-proto/`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::mesos_validation::validate_calls;
use offerfit::Session;
use serde_json::{json, Value as Json};

fn jsonl_files(dir: &Path, skip_outputs: bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".jsonl") && !(skip_outputs && name.ends_with(".out.jsonl"))
        })
        .collect();
    v.sort();
    v
}

/// Replays one transcript file and returns the master validation errors of its calls.
fn check_transcript(path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("readable");
    let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
    let mut session: Option<Session> = None;
    let mut offers: BTreeMap<String, Json> = BTreeMap::new();
    let mut checked = 0;
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Ok(input) = serde_json::from_str::<Json>(line) else {
            if let Some(s) = session.as_mut() {
                s.step_json(line);
            }
            continue;
        };
        if let Some(config) = input.get("config") {
            session = Some(Session::from_json(&config.to_string()).expect("the transcript's config is valid"));
            offers.clear();
            continue;
        }
        let Some(s) = session.as_mut() else { continue };
        if input["event"]["type"] == "OFFERS" {
            for o in input["event"]["offers"]["offers"].as_array().cloned().unwrap_or_default() {
                if let Some(id) = o["id"]["value"].as_str() {
                    offers.insert(id.to_owned(), o.clone());
                }
            }
        }
        let answer: Json = serde_json::from_str(&s.step_json(line)).expect("answers are JSON");
        let calls: Vec<Json> = answer["calls"]
            .as_array()
            .map(|l| l.iter().filter(|c| c["type"] == "ACCEPT" || c["type"] == "DECLINE").cloned().collect())
            .unwrap_or_default();
        if calls.is_empty() {
            continue;
        }
        // The offers these calls name, as the master made them (an unknown one stays unknown:
        // `offer::validateOfferIds` reports it).
        let named: Vec<Json> = calls
            .iter()
            .flat_map(|c| {
                let body = if c["type"] == "ACCEPT" { &c["accept"] } else { &c["decline"] };
                body["offer_ids"].as_array().cloned().unwrap_or_default()
            })
            .filter_map(|id| id["value"].as_str().and_then(|id| offers.get(id)).cloned())
            .collect();
        checked += calls.len();
        for e in validate_calls(&json!({ "offers": named }), &calls) {
            errors.push(format!("{name}:{}: {e}", n + 1));
        }
    }
    (checked, errors)
}

#[test]
fn session_calls_pass_master_validation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = jsonl_files(&root.join("tests/data/session"), true);
    let goldens = files.len();
    if let Some(dir) = std::env::var_os("OFFERFIT_SESSION_TRANSCRIPTS") {
        files.extend(jsonl_files(Path::new(&dir), false));
    }
    let (mut checked, mut errors) = (0, Vec::new());
    for f in &files {
        let (c, e) = check_transcript(f);
        checked += c;
        errors.extend(e);
    }
    assert!(goldens > 0 && checked > 0, "no session calls checked ({goldens} golden transcripts)");
    assert!(
        errors.is_empty(),
        "{} of {checked} calls break the master's validation:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
