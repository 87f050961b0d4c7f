//! Golden caret errors: every `tests/data/errors/*.txt` file holds one bad request and the
//! exact error it must get (code, path, optional help, and the rendered caret). See
//! `tests/data/errors/README.md` for the format. Run with `OFFERFIT_BLESS=1` to rewrite the
//! rendered parts from the current output (then review the diff).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// One golden file.
struct Golden {
    request: String,
    code: String,
    path: Option<String>,
    help: Option<String>,
    rendered: String,
}

fn parse_golden(text: &str) -> Result<Golden, String> {
    let (head, rendered) = text.split_once("\n---\n").ok_or("missing the `---` line")?;
    let mut g = Golden { request: String::new(), code: String::new(), path: None, help: None, rendered: String::new() };
    for line in head.lines() {
        let (key, value) = line.split_once(": ").ok_or_else(|| format!("expected `key: value`, found `{line}`"))?;
        match key {
            "request" => g.request = value.to_owned(),
            "code" => g.code = value.to_owned(),
            "path" => g.path = Some(value.to_owned()),
            "help" => g.help = Some(value.to_owned()),
            other => return Err(format!("unknown key `{other}`")),
        }
    }
    if g.request.is_empty() || g.code.is_empty() {
        return Err("`request` and `code` are required".into());
    }
    g.rendered = rendered.strip_suffix('\n').unwrap_or(rendered).to_owned();
    Ok(g)
}

fn files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/errors");
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/data/errors exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    out.sort();
    out
}

/// Checks one file; `Err` says what differs.
fn check(path: &Path) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let g = parse_golden(&text)?;
    serde_json::from_str::<Json>(&g.request).map_err(|e| format!("`request` is not JSON: {e}"))?;
    let out: Json = serde_json::from_str(&offerfit::call(&g.request)).map_err(|e| e.to_string())?;
    if out["ok"] != Json::Bool(false) {
        return Err(format!("expected an error, got {out}"));
    }
    let e = &out["errors"][0];
    let rendered = e["rendered"].as_str().unwrap_or("<no rendered caret>");
    if std::env::var_os("OFFERFIT_BLESS").is_some() && rendered != g.rendered {
        let head = text.split_once("\n---\n").map_or("", |(h, _)| h);
        fs::write(path, format!("{head}\n---\n{rendered}\n")).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let mut diffs = Vec::new();
    if e["code"].as_str() != Some(g.code.as_str()) {
        diffs.push(format!("code: expected `{}`, got {}", g.code, e["code"]));
    }
    if let Some(p) = &g.path {
        if e["path"].as_str() != Some(p.as_str()) {
            diffs.push(format!("path: expected `{p}`, got {}", e["path"]));
        }
    }
    if let Some(h) = &g.help {
        if e["help"].as_str() != Some(h.as_str()) {
            diffs.push(format!("help: expected `{h}`, got {}", e["help"]));
        }
    }
    if rendered != g.rendered {
        diffs.push(format!("rendered:\n--- expected\n{}\n--- got\n{rendered}", g.rendered));
    }
    // The caret is drawn from the span: line/column must agree with it.
    if e["span"].is_object() && (e["line"].as_u64().is_none() || e["column"].as_u64().is_none()) {
        diffs.push("a span without line and column".into());
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("\n"))
    }
}

#[test]
fn golden_caret_errors() {
    let files = files();
    let mut failures = Vec::new();
    for f in &files {
        if let Err(why) = check(f) {
            failures.push(format!("{}: {why}", f.file_name().unwrap_or_default().to_string_lossy()));
        }
    }
    assert!(failures.is_empty(), "{} golden error file(s) differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn enough_model_cases() {
    let names: Vec<String> =
        files().iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    assert!(count("resources_") >= 10, "resources_ cases: {}", count("resources_"));
    assert!(count("attributes_") >= 4, "attributes_ cases: {}", count("attributes_"));
    assert!(count("value_") >= 4, "value_ cases: {}", count("value_"));
}

#[test]
fn the_format_is_checked() {
    assert!(parse_golden("request: {}\ncode: x\n").is_err());
    assert!(parse_golden("request: {}\n---\nx\n").is_err());
    assert!(parse_golden("request: {}\ncode: x\nwhat: y\n---\nx\n").is_err());
    let g = parse_golden("request: {\"op\":\"x\"}\ncode: c\npath: /text\n---\nab\n ^ m\n").unwrap();
    assert_eq!((g.code.as_str(), g.path.as_deref(), g.rendered.as_str()), ("c", Some("/text"), "ab\n ^ m"));
}

#[test]
fn a_huge_one_line_request_renders_a_window() {
    // 10 MB on one line, the syntax error near its end: the caret's line is cut to a window
    // around it, so the answer stays small.
    let request = format!("{{\"op\":\"version\",\"x\":[{}1 1]}}", "1,".repeat(5_000_000));
    let out = offerfit::call(&request);
    assert!(out.len() < 1000, "{} bytes answered", out.len());
    let v: Json = serde_json::from_str(&out).unwrap();
    let e = &v["errors"][0];
    assert_eq!(e["code"], "request.json");
    let rendered = e["rendered"].as_str().unwrap();
    let (line, caret) = rendered.split_once('\n').unwrap();
    assert_eq!(line, format!("…{}1 1]}}", "1,".repeat(19)));
    assert_eq!(caret, format!("{}^ invalid JSON: expected `,` or `]`", " ".repeat(41)));
    assert_eq!(e["column"], 10_000_022 + 2);
}
