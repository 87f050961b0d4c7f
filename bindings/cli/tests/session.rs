//! `offerfit session CONFIG.json`: every golden transcript of `tests/data/session/` through the
//! binary gives the answers of `Session::step_json` (the `.out.jsonl` files), one line per
//! input; a bad config prints one `ok:false` line and exits 1; a missing file is a usage error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value as Json;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("offerfit-session-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn session(config: &Path, stdin: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_offerfit"))
        .arg("session")
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The binary may refuse before it reads its input (a bad config) and close the pipe:
    // a broken pipe here is that, and its answer is in the exit status and stdout.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing the session's input: {e}");
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code().expect("exited"), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn golden_transcripts_through_the_binary() {
    let dir = root().join("tests/data/session");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".jsonl") || name.ends_with(".out.jsonl") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let (head, inputs) = text.split_once('\n').unwrap();
        let head: Json = serde_json::from_str(head).unwrap();
        let config = temp_file(&format!("{name}.config.json"), &head["config"].to_string());
        let (code, out) = session(&config, inputs);
        let want = std::fs::read_to_string(path.with_extension("out.jsonl")).unwrap();
        assert_eq!(code, 0, "{name}");
        assert_eq!(out, want, "{name}");
        n += 1;
    }
    assert!(n >= 15);
}

#[test]
fn a_bad_config_is_one_refusal_and_status_1() {
    let config = temp_file("bad.json", r#"{"framework": {"name": "f"}, "session": {"reconcile_backoff": [0, 1]}}"#);
    let (code, out) = session(&config, "{\"now\": 0, \"tick\": {}}\n");
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 1);
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!((v["ok"].as_bool(), v["errors"][0]["path"].as_str()), (Some(false), Some("/session/reconcile_backoff")));
    let (code, out) = session(Path::new("/nonexistent/config.json"), "");
    assert_eq!((code, out.as_str()), (2, ""));
}
