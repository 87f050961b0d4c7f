//! The `place` answer has one typed shape (`PlaceResult`, the source of the npm package's
//! TypeScript declarations) and two writers: the general path serializes the typed shape with
//! serde_json, the fast path streams the same bytes by hand. This holds them byte-equal on the
//! cross-host request corpus (`scripts/gen-requests.py`), the golden place requests and the
//! examples; every other op writes its typed result only, so its bytes are the typed shape's.

use std::path::{Path, PathBuf};
use std::process::Command;

use offerfit::host::{call_json, parse_strict};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The corpus lines (one request each), from `scripts/gen-requests.py`.
fn corpus() -> Vec<String> {
    let out = std::env::temp_dir().join(format!("offerfit-typed-answers-{}.jsonl", std::process::id()));
    let status = Command::new("python3")
        .arg(root().join("scripts/gen-requests.py"))
        .arg("--out")
        .arg(&out)
        .status()
        .expect("python3 runs scripts/gen-requests.py");
    assert!(status.success(), "scripts/gen-requests.py failed");
    let text = std::fs::read_to_string(&out).expect("the corpus was written");
    let _ = std::fs::remove_file(&out);
    text.lines().map(str::to_owned).collect()
}

/// The golden `place` requests and the examples' requests, one JSON text each.
fn files() -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/place"))
        .expect("tests/data/place")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".request.json"))
        .collect();
    paths.push(root().join("examples/place-request.json"));
    paths.sort();
    paths.iter().map(|p| std::fs::read_to_string(p).expect("readable")).collect()
}

/// The answer of the general path (the request parsed into a value, the result written
/// through its typed shape) as one line of text.
fn typed(text: &str) -> Option<String> {
    let json = parse_strict(text).ok()?;
    Some(serde_json::to_string(&call_json(json)).expect("a JSON value prints"))
}

#[test]
fn typed_answers_are_the_streamed_answers() {
    let mut compared = 0;
    let mut placed = 0;
    for text in corpus().into_iter().chain(files()) {
        let streamed = offerfit::call(&text);
        let Some(typed) = typed(&text) else { continue };
        assert_eq!(streamed, typed, "request: {text:.300}");
        compared += 1;
        if streamed.starts_with(r#"{"ok":true,"accept":"#) {
            placed += 1;
        }
    }
    assert!(compared > 250, "only {compared} requests compared");
    assert!(placed > 20, "only {placed} placed answers compared");
}
