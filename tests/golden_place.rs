//! Golden decisions: every `tests/data/place/NAME.request.json` is sent through the contract
//! (`offerfit::call`) and its answer compared with `NAME.response.json`. Each expected file
//! was reviewed by hand; `OFFERFIT_BLESS=1 cargo test --test golden_place` rewrites them
//! (review the diff before committing).

use std::path::PathBuf;

use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/place")
}

#[test]
fn golden_decisions() {
    let bless = std::env::var_os("OFFERFIT_BLESS").is_some();
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/data/place")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".request.json").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "expected at least 10 scenarios, found {}", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let request = std::fs::read_to_string(dir().join(format!("{name}.request.json"))).expect("request");
        let answer = offerfit::call(&request);
        let got: Json = serde_json::from_str(&answer).expect("the answer is JSON");
        assert_eq!(got["ok"], Json::Bool(true), "{name}: {answer}");
        // Byte-identical on a second run.
        assert_eq!(offerfit::call(&request), answer, "{name}: not deterministic");
        let path = dir().join(format!("{name}.response.json"));
        let pretty = serde_json::to_string_pretty(&got).expect("pretty") + "\n";
        if bless {
            std::fs::write(&path, &pretty).expect("write");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        let want: Json = serde_json::from_str(&expected).unwrap_or(Json::Null);
        if want != got {
            failures.push(format!("{name}: answer differs from {}:\n{pretty}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
