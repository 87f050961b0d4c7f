//! Inputs that once crashed offerfit (found by the fuzz targets in `fuzz/`, or by the
//! malformed-input work), replayed as ordinary tests. Layout of `tests/data/fuzz/`:
//!
//! - `call/<name>` — a contract request (raw bytes) for `offerfit::host::call_bytes`;
//! - `constraint/<name>` — a constraint text, parsed in both dialects;
//! - `resources/<name>` — a Mesos resources text (also parsed as a value);
//! - `attributes/<name>` — a Mesos attributes text.
//!
//! Every input must be answered without a panic. A `call` answer must be one JSON object on
//! one line with a boolean `ok` and no `internal` error; a text that parses must print a text
//! that parses back to the same thing. An optional `<name>.expect` file lists substrings (one
//! per line) the answer (or, for texts, the printed form or the error message) must contain.
//!
//! A crash found by `cargo fuzz` is added here by copying its artifact:
//! `cp fuzz/artifacts/<target>/crash-<hash> tests/data/fuzz/<kind>/<short-description>`
//! (for `place_arbitrary` / `diff_reference`, whose inputs are `arbitrary` bytes, store the
//! request JSON their failure message prints under `call/` instead).

use std::path::{Path, PathBuf};

use offerfit::constraint::{parse_constraint, ConstraintInput, Dialect, ParseOptions, Parsed};
use serde_json::Value as Json;

fn inputs(kind: &str) -> Vec<(PathBuf, Vec<u8>, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz").join(kind);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && !matches!(p.extension(), Some(x) if x == "expect"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).expect("readable input");
            let mut expect_path = p.clone().into_os_string();
            expect_path.push(".expect");
            let expect = std::fs::read_to_string(&expect_path)
                .map(|s| s.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            (p, data, expect)
        })
        .collect()
}

fn check_expect(path: &Path, shown: &str, expect: &[String]) {
    for e in expect {
        assert!(shown.contains(e.as_str()), "{}: `{shown}` lacks `{e}`", path.display());
    }
}

#[test]
fn call_inputs_are_answered_with_one_json_object() {
    let cases = inputs("call");
    assert!(!cases.is_empty(), "tests/data/fuzz/call is empty");
    for (path, data, expect) in cases {
        let out = offerfit::host::call_bytes(&data);
        assert!(!out.contains('\n'), "{}: answer spans lines", path.display());
        let v: Json =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {out}", path.display()));
        assert!(v["ok"].is_boolean(), "{}: no boolean `ok`: {out}", path.display());
        if v["ok"] == Json::Bool(false) {
            let errors = v["errors"].as_array().expect("errors");
            assert!(!errors.is_empty());
            assert!(errors.iter().all(|e| e["code"] != "internal"), "{}: internal error: {out}", path.display());
        }
        assert_eq!(out, offerfit::host::call_bytes(&data), "{}: not deterministic", path.display());
        check_expect(&path, &out, &expect);
    }
}

#[test]
fn constraint_inputs_parse_or_fail_cleanly_and_round_trip() {
    for (path, data, expect) in inputs("constraint") {
        let text = String::from_utf8_lossy(&data);
        let mut shown = String::new();
        for dialect in [Dialect::Marathon, Dialect::OpenWhisk] {
            let opts = ParseOptions::new(dialect, None, &offerfit::Limits::default()).expect("default options");
            match parse_constraint(ConstraintInput::Text(&text), &opts) {
                Ok(Parsed::Constraint(c)) => {
                    let printed = c.to_string();
                    if dialect == Dialect::Marathon {
                        let back: offerfit::constraint::Constraint = printed
                            .parse()
                            .unwrap_or_else(|e| panic!("{}: `{printed}` does not parse: {e}", path.display()));
                        assert_eq!(back, c, "{}: round trip", path.display());
                    }
                    shown.push_str(&printed);
                }
                Ok(Parsed::Ignored(w)) => shown.push_str(&w.message),
                Err(e) => shown.push_str(&e.error.to_string()),
            }
            shown.push('\n');
        }
        check_expect(&path, &shown, &expect);
    }
}

#[test]
fn resources_inputs_parse_or_fail_cleanly_and_round_trip() {
    for (path, data, expect) in inputs("resources") {
        let text = String::from_utf8_lossy(&data);
        let shown = match offerfit::parse_resources(&text, "*") {
            Ok(r) => {
                let printed = r.to_string();
                let back = offerfit::parse_resources(&printed, "*")
                    .unwrap_or_else(|e| panic!("{}: `{printed}` does not parse: {e}", path.display()));
                assert!(back == r, "{}: round trip", path.display());
                printed
            }
            Err(e) => e.to_string(),
        };
        if let Ok(v) = offerfit::parse_value(&text) {
            let _ = v.to_string();
        }
        check_expect(&path, &shown, &expect);
    }
}

#[test]
fn attributes_inputs_parse_or_fail_cleanly_and_round_trip() {
    for (path, data, expect) in inputs("attributes") {
        let text = String::from_utf8_lossy(&data);
        let shown = match offerfit::parse_attributes(&text) {
            Ok(a) => {
                let printed = a.to_string();
                let back = offerfit::parse_attributes(&printed)
                    .unwrap_or_else(|e| panic!("{}: `{printed}` does not parse: {e}", path.display()));
                assert_eq!(back, a, "{}: round trip", path.display());
                printed
            }
            Err(e) => e.to_string(),
        };
        check_expect(&path, &shown, &expect);
    }
}
