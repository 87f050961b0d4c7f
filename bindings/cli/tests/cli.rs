//! Process tests of the `offerfit` binary: every subcommand, exit codes (0 ok, 1 refused,
//! 2 usage), the `call --lines` acceptance example, carets on stderr, and the README's main
//! command.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value as Json};

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// The workspace root (where README.md and examples/ are).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn offerfit_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    offerfit_env(dir, args, stdin, &[])
}

/// Runs the binary in `dir` with `env` set and `COLUMNS` unset unless `env` sets it.
fn offerfit_env(dir: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_offerfit"))
        .args(args)
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn offerfit(args: &[&str], stdin: &[u8]) -> Run {
    offerfit_in(&root(), args, stdin)
}

/// A file under this test binary's temporary directory.
fn temp_file(name: &str, contents: &str) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("offerfit-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The stderr lines of a caret drawing: the input line, then the caret line, both indented
/// by two spaces. Returns (input line, index of the first caret within the input).
fn caret(stderr: &str) -> (String, usize) {
    let lines: Vec<&str> = stderr.lines().collect();
    let i =
        lines.iter().position(|l| l.trim_start().starts_with('^')).unwrap_or_else(|| panic!("no caret in:\n{stderr}"));
    assert!(i > 0, "caret without its input line:\n{stderr}");
    let input = lines[i - 1].strip_prefix("  ").unwrap_or_else(|| panic!("input line not indented:\n{stderr}"));
    let at = lines[i].find('^').unwrap() - 2;
    (input.to_owned(), at)
}

// ---------------------------------------------------------------------------------------------
// usage errors and help

#[test]
fn usage_errors_exit_2() {
    for args in [&["--no-such-flag"][..], &[], &["frobnicate"], &["lint"], &["check", "hostname UNIQUE"]] {
        let r = offerfit(args, b"");
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {r:?}");
        assert!(!r.stderr.is_empty(), "{args:?}: {r:?}");
    }
    let r = offerfit(&["lint", "--dialect", "kubernetes", "a IS b"], b"");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("marathon") && r.stderr.contains("openwhisk"), "{r:?}");
}

#[test]
fn help_and_version_exit_0() {
    let r = offerfit(&["--help"], b"");
    assert_eq!(r.code, 0);
    for sub in ["call", "resources", "attributes", "agent", "lint", "check", "place"] {
        assert!(r.stdout.contains(&format!("\n  {sub} ")), "`{sub}` missing from help:\n{}", r.stdout);
    }
    let r = offerfit(&["--version"], b"");
    assert_eq!((r.code, r.stdout.as_str()), (0, concat!("offerfit ", env!("CARGO_PKG_VERSION"), "\n")));
}

#[test]
fn unreadable_files_are_usage_errors() {
    for args in [&["call", "no/such/file.json"][..], &["call", "--lines", "no/such/file.json"], &["place", "nope.json"]]
    {
        let r = offerfit(args, b"");
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with("error: cannot read `"), "{r:?}");
        assert!(r.stderr.contains("no such file"), "{r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// call

#[test]
fn call_lines_acceptance_example() {
    let input = "{\"op\":\"parse_resources\",\"text\":\"cpus(*):8; ports:[31000-32000]\"}\n{oops\n";
    let r = offerfit(&["call", "--lines"], input.as_bytes());
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{r:?}");
    let first: Json = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["ok"], true, "{}", lines[0]);
    let resources = first["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2, "{}", lines[0]);
    assert_eq!((&resources[0]["name"], &resources[0]["type"]), (&json!("cpus"), &json!("SCALAR")));
    assert_eq!(resources[0]["scalar"]["value"].as_f64(), Some(8.0));
    assert_eq!((&resources[1]["name"], &resources[1]["type"]), (&json!("ports"), &json!("RANGES")));
    assert_eq!(resources[1]["ranges"], json!({"range": [{"begin": 31000, "end": 32000}]}));
    let second: Json = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["ok"], false);
    let e = &second["errors"][0];
    assert_eq!(e["code"], "request.json");
    assert!(e["message"].as_str().unwrap().starts_with("invalid JSON"), "{e}");
    assert_eq!((&e["line"], &e["column"]), (&json!(1), &json!(2)));
    assert_eq!(e["span"], json!({"start": 1, "end": 2}));
    assert_eq!(r.code, 1, "a refused line makes the exit status 1");
}

#[test]
fn call_lines_answers_every_line_in_order_and_keeps_going() {
    let input = "{\"op\":\"version\"}\n\n{\"op\":\"nope\"}\n{\"op\":\"parse_value\",\"text\":\"[1-2, 3-4]\"}\r\n";
    let r = offerfit(&["call", "--lines"], input.as_bytes());
    let lines: Vec<Json> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "{r:?}");
    assert_eq!(lines[0]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(lines[1]["ok"], false, "a blank line gets its own answer");
    assert_eq!(lines[2]["errors"][0]["code"], "request.unknown_op");
    assert_eq!(lines[3]["value"]["ranges"], json!({"range": [{"begin": 1, "end": 4}]}));
    assert_eq!(r.code, 1);
    assert!(r.stderr.is_empty(), "{r:?}");

    let r = offerfit(&["call", "--lines"], b"{\"op\":\"version\"}\n{\"op\":\"version\"}\n");
    assert_eq!((r.code, r.stdout.lines().count()), (0, 2), "{r:?}");
}

#[test]
fn call_one_request_from_stdin_or_file() {
    let r = offerfit(&["call"], br#"{"op":"parse_value","text":"{b, a}"}"#);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "{\"ok\":true,\"value\":{\"type\":\"SET\",\"set\":{\"item\":[\"b\",\"a\"]}}}\n");

    let file = temp_file("version.json", r#"{"op":"version"}"#);
    let r = offerfit(&["call", &file], b"");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.json()["ops"].as_array().unwrap().contains(&json!("parse_resources")), "{r:?}");

    let r = offerfit(&["call", "--pretty", "-"], br#"{"op":"parse_value","text":"7"}"#);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "{\n  \"ok\": true,\n  \"value\": {\n    \"type\": \"SCALAR\",\n    \"scalar\": {\n      \"value\": 7\n    }\n  }\n}\n"
    );
}

#[test]
fn call_refused_exits_1_with_the_contract_answer_on_stdout() {
    let r = offerfit(&["call"], br#"{"op":"parse_value","text":"[1-2b]"}"#);
    assert_eq!(r.code, 1, "{r:?}");
    let e = &r.json()["errors"][0];
    assert_eq!(e["path"], "/text");
    assert_eq!(e["rendered"], "[1-2b]\n   ^^ expected a non-negative integer, found `2b`");
    assert!(r.stderr.is_empty(), "call speaks only JSON: {r:?}");

    let r = offerfit(&["call"], b"{\"op\":\"version\",\"x\":\"\xff\"}");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["errors"][0]["code"], "request.utf8", "{r:?}");
    assert_eq!(r.json()["errors"][0]["span"], json!({"start": 21, "end": 22}), "{r:?}");

    let r = offerfit(&["call", "--pretty", "--lines"], b"");
    assert_eq!(r.code, 2, "--pretty and --lines conflict: {r:?}");
}

// ---------------------------------------------------------------------------------------------
// resources, attributes, agent

#[test]
fn resources_parse_prints_pretty_mesos_json() {
    let r = offerfit(&["resources", "parse", "cpus:8; mem(openwhisk):1024; ports(*):[31000-32000, 32001-32005]"], b"");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("[\n  {\n"), "pretty JSON: {}", r.stdout);
    let v = r.json();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["name"], "cpus");
    assert_eq!(list[0]["scalar"]["value"].as_f64(), Some(8.0));
    assert_eq!(list[1]["name"], "mem");
    assert_eq!(list[1]["reservations"], json!([{"type": "STATIC", "role": "openwhisk"}]));
    assert_eq!(list[2]["ranges"], json!({"range": [{"begin": 31000, "end": 32005}]}));
}

#[test]
fn resources_parse_default_role_and_stdin() {
    let r = offerfit(&["resources", "parse", "--default-role", "web", "-"], b"cpus:2;mem(*):64\n");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(v[0]["reservations"], json!([{"type": "STATIC", "role": "web"}]));
    let mem_unreserved = v[1].get("reservations").is_none_or(|x| x == &json!([]));
    assert!(mem_unreserved, "`mem(*)` stays unreserved: {v}");
}

#[test]
fn resources_parse_bad_text_prints_a_caret_and_exits_1() {
    let text = "cpus:8; ports:[31000-32000";
    let r = offerfit(&["resources", "parse", text], b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(r.stderr.starts_with("error[resources.") || r.stderr.starts_with("error[value."), "{}", r.stderr);
    assert!(r.stderr.contains(" in TEXT at column "), "{}", r.stderr);
    let (line, at) = caret(&r.stderr);
    assert_eq!(line, text);
    assert!((8..=text.len()).contains(&at), "the caret points into `ports:[…`, at {at}:\n{}", r.stderr);

    let r = offerfit(&["resources", "parse", "cpus:8;mem:abc"], b"");
    assert_eq!(r.code, 1, "TEXT values are not resources: {r:?}");
    let (_, at) = caret(&r.stderr);
    assert!((7..=11).contains(&at), "the caret points at `mem:abc`, at {at}:\n{}", r.stderr);
}

#[test]
fn resources_fmt_prints_mesos_text() {
    let r = offerfit(&["resources", "fmt", "cpus(*):45.55;ports:[30000-50000,10000-20000]"], b"");
    assert_eq!((r.code, r.stdout.as_str()), (0, "cpus:45.55; ports:[10000-20000, 30000-50000]\n"), "{r:?}");

    let json = r#"[{"name":"mem","type":"SCALAR","scalar":{"value":1024},"role":"web"}]"#;
    let r = offerfit(&["resources", "fmt", json], b"");
    assert_eq!((r.code, r.stdout.as_str()), (0, "mem(web):1024\n"), "{r:?}");

    let r = offerfit(&["resources", "fmt", "[{\"name\":"], b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.starts_with("error[request.json] in TEXT at column "), "{}", r.stderr);
}

#[test]
fn attributes_parse_keeps_order_and_types() {
    let r = offerfit(&["attributes", "parse", "rack:r1;level:2.5;ports:[1-10];rack:r2"], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(
        v,
        json!([
            {"name": "rack", "type": "TEXT", "text": {"value": "r1"}},
            {"name": "level", "type": "SCALAR", "scalar": {"value": 2.5}},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 10}]}},
            {"name": "rack", "type": "TEXT", "text": {"value": "r2"}}
        ])
    );
}

#[test]
fn attributes_parse_bad_text_exits_1_with_a_caret() {
    for (text, culprit) in [("rack:r1;zone", 8..=12), ("disks:{a,b}", 6..=11)] {
        let r = offerfit(&["attributes", "parse", text], b"");
        assert_eq!(r.code, 1, "{text}: {r:?}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.starts_with("error[attributes."), "{text}: {}", r.stderr);
        let (line, at) = caret(&r.stderr);
        assert_eq!(line, text);
        assert!(culprit.contains(&at), "{text}: caret at {at}:\n{}", r.stderr);
    }
}

#[test]
fn agent_flags_example_becomes_mesos_json() {
    let r = offerfit(&["agent", "examples/agent-flags.txt"], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    let agents = v.as_array().unwrap();
    let hosts: Vec<&str> = agents.iter().map(|a| a["hostname"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["mesos-agent-01.dc1.example", "mesos-agent-02.dc1.example", "mesos-agent-03.dc1.example"]);
    // Mantl's default port ranges, kept apart (none of them touch).
    let ports = agents[0]["resources"].as_array().unwrap().iter().find(|r| r["name"] == "ports").unwrap();
    assert_eq!(ports["ranges"]["range"].as_array().unwrap().len(), 5, "{ports}");
    assert_eq!(ports["ranges"]["range"][0], json!({"begin": 4000, "end": 5000}));
    // The static reservation for OpenWhisk's role.
    let reserved: Vec<&Json> = agents[1]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reservations"] == json!([{"type": "STATIC", "role": "openwhisk"}]))
        .collect();
    assert_eq!(reserved.len(), 2, "cpus and mem for openwhisk: {}", agents[1]);
    // Environment-style flags, quotes removed.
    assert!(agents[2]["resources"].as_array().unwrap().iter().any(|r| r["name"] == "gpus"), "{}", agents[2]);
    assert_eq!(agents[2]["attributes"][2], json!({"name": "att2", "type": "TEXT", "text": {"value": "blackbox"}}));
    assert_eq!(agents[0]["attributes"][3], json!({"name": "level", "type": "SCALAR", "scalar": {"value": 2.5}}));
}

/// As the agent reads its flags: `file://` values are read, `ports:[31000-32000]` is added
/// when `--resources` names no ports, cpus / mem / disk left out are detected by the agent
/// (said in `detected_by_agent` and a note), text after a role's `)` is ignored.
#[test]
fn agent_flags_as_the_agent_reads_them() {
    let res = temp_file("agent-res.txt", "cpus(web)x:2;disk:10\n");
    let flags = format!("--hostname=a\n--default_role=web\n--resources=file://{res}\n");
    let file = temp_file("agent-file-flags.txt", &flags);
    let r = offerfit(&["agent", &file], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    let names: Vec<&str> = v[0]["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cpus", "disk", "ports"]);
    let ports = &v[0]["resources"][2];
    assert_eq!(ports["ranges"]["range"], json!([{"begin": 31000, "end": 32000}]));
    assert_eq!(ports["reservations"], json!([{"type": "STATIC", "role": "web"}]));
    assert_eq!(v[0]["detected_by_agent"], json!(["mem"]));
    assert!(r.stderr.contains("`mem` not in --resources: a detects it on its machine"), "{}", r.stderr);
    let missing = temp_file("agent-missing.txt", "--resources=file:///nonexistent/offerfit-res\n");
    let r = offerfit(&["agent", &missing], b"");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains(":1: cannot read `/nonexistent/offerfit-res`"), "{}", r.stderr);
}

#[test]
fn agent_flags_errors_name_the_file_and_line() {
    let file = temp_file("bad-agent.txt", "--hostname=a\n--resources=cpus:8;mem:-5\n--attributes=rack:r1\n");
    let r = offerfit(&["agent", &file], b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(r.stderr.contains(&format!(" in {file}:2 (--resources) at column ")), "{}", r.stderr);
    assert_eq!(caret(&r.stderr).0, "cpus:8;mem:-5");

    let file = temp_file("not-flags.txt", "resources cpus:8\n");
    let r = offerfit(&["agent", &file], b"");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains(":1: expected `--flag=value`"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// lint and check

#[test]
fn lint_prints_canonical_forms_when_all_are_valid() {
    let r = offerfit(&["lint", "rack LIKE r[12]", "hostname UNIQUE", r#"["rack_id","GROUP_BY","3"]"#], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert_eq!(lines[0], "rack LIKE r[12]");
    assert!(lines[1].ends_with("hostname UNIQUE"), "{r:?}");
    assert_eq!(lines[2], "rack_id GROUP_BY 3");
    assert!(r.stderr.is_empty(), "{r:?}");
    // The canonical forms lint clean again, unchanged.
    let again = offerfit(&["lint", lines[0], lines[1], lines[2]], b"");
    assert_eq!((again.code, again.stdout.as_str()), (0, r.stdout.as_str()));
}

#[test]
fn lint_bad_constraints_get_carets_help_and_exit_1() {
    let r = offerfit(&["lint", "hostname UNIQUE", "rack UNIQE", "rack LIKE r[12", "zone MAX_PER two"], b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(r.stderr.contains("error[constraint."), "{}", r.stderr);
    assert!(r.stderr.contains("in constraint 2 `rack UNIQE`"), "{}", r.stderr);
    assert!(r.stderr.contains("UNIQUE"), "a did-you-mean for UNIQE: {}", r.stderr);
    assert!(r.stderr.contains("in constraint 3 `rack LIKE r[12`"), "{}", r.stderr);
    assert!(r.stderr.contains("in constraint 4 `zone MAX_PER two`"), "{}", r.stderr);
    assert!(!r.stderr.contains("constraint 1 "), "the good one is not blamed: {}", r.stderr);
    assert!(r.stderr.contains("  help: "), "{}", r.stderr);
    assert!(r.stderr.ends_with("3 of 4 constraints are invalid\n"), "{}", r.stderr);
    // The caret of the unknown operator sits under it.
    let block = &r.stderr[r.stderr.find("constraint 2").unwrap()..];
    let (line, at) = caret(block);
    assert_eq!((line.as_str(), at), ("rack UNIQE", 5), "{block}");
}

#[test]
fn lint_openwhisk_warns_about_ignored_operators() {
    let args = ["lint", "--dialect", "openwhisk", "att1 LIKE v1", "att2 UNLIKE v2", "att3 CLUSTER v3"];
    let r = offerfit(&args, b"");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "att1 LIKE v1\natt2 UNLIKE v2\n");
    assert!(r.stderr.starts_with("warning"), "{}", r.stderr);
    assert!(r.stderr.contains("constraint 3"), "{}", r.stderr);

    let mut strict = args.to_vec();
    strict.push("--deny-warnings");
    assert_eq!(offerfit(&strict, b"").code, 1);

    let r = offerfit(&["lint", "--dialect", "openwhisk", "--delimiter", "\\|", "att1|LIKE|v.*"], b"");
    assert_eq!((r.code, r.stdout.as_str()), (0, "att1 LIKE v.*\n"), "{r:?}");

    let r = offerfit(&["lint", "--dialect", "openwhisk", "att1  LIKE v1"], b"");
    assert_eq!(r.code, 1, "two adjacent delimiters make an empty field: {r:?}");
}

#[test]
fn check_reports_each_constraint() {
    let args = ["check", "rack LIKE r[12]", "zone IS a", "--hostname", "h1", "--attributes", "rack:r1;zone:a"];
    let r = offerfit(&args, b"");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "satisfied    rack LIKE r[12]\nsatisfied    zone IS a\n");

    let r = offerfit(&["check", "rack LIKE r[12]", "--hostname", "h1", "--attributes", "rack:r3"], b"");
    assert_eq!((r.code, r.stdout.as_str()), (1, "unsatisfied  rack LIKE r[12]\n"), "{r:?}");

    // No attributes at all: only UNLIKE passes in the marathon dialect.
    let r = offerfit(&["check", "rack UNLIKE r1", "rack LIKE r1", "--hostname", "h1"], b"");
    assert_eq!((r.code, r.stdout.as_str()), (1, "satisfied    rack UNLIKE r1\nunsatisfied  rack LIKE r1\n"), "{r:?}");
}

#[test]
fn check_counts_the_placed_group() {
    let placed = temp_file(
        "placed.json",
        r#"[{"id": "web-1", "group": "web", "hostname": "h1", "attributes": "rack:r1"},
            {"id": "web-2", "group": "web", "hostname": "h2", "attributes": "rack:r1"}]"#,
    );
    let base = ["check", "hostname UNIQUE", "rack MAX_PER 2", "--attributes", "rack:r1", "--placed", &placed];
    let mut on_h3 = base.to_vec();
    on_h3.extend(["--hostname", "h3"]);
    let r = offerfit(&on_h3, b"");
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (1, "satisfied    hostname UNIQUE\nunsatisfied  rack MAX_PER 2\n"),
        "{r:?}"
    );

    let mut on_h1 = base.to_vec();
    on_h1.extend(["--hostname", "h1"]);
    let r = offerfit(&on_h1, b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.starts_with("unsatisfied  hostname UNIQUE\n"), "{r:?}");

    let r = offerfit(&["check", "hostname UNIQUE", "--hostname", "h1", "--placed", "missing.json"], b"");
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn check_bad_constraint_exits_1_with_a_caret() {
    let r = offerfit(&["check", "rack LIKE (", "--hostname", "h1"], b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(r.stderr.contains("in constraint 1 `rack LIKE (`"), "{}", r.stderr);
    let (line, at) = caret(&r.stderr);
    assert_eq!(line, "rack LIKE (");
    assert!(at >= 10, "the caret is inside the regex: {}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// place

const PLACE_REQUEST: &str = r#"{
  "offers": [
    {"id": {"value": "O1"}, "agent_id": {"value": "A1"}, "hostname": "w1",
     "resources": "cpus:4;mem:4096;ports(*):[31000-31005]", "attributes": "rack:r1"},
    {"id": {"value": "O2"}, "agent_id": {"value": "A2"}, "hostname": "w2",
     "resources": "cpus:1;mem:512", "attributes": "rack:r2"}
  ],
  "tasks": [
    {"id": "web-1", "cpus": 1, "mem": 256, "ports": [0], "constraints": ["rack LIKE r1"]},
    {"id": "huge", "cpus": 1, "mem": 100000}
  ]
}"#;

#[test]
fn place_prints_the_decision_as_json() {
    let file = temp_file("place.json", PLACE_REQUEST);
    let r = offerfit(&["place", &file], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["accept"][0]["hostname"], "w1");
    assert_eq!(v["accept"][0]["offer_ids"], json!(["O1"]));
    assert_eq!(v["accept"][0]["tasks"][0]["task_id"], "web-1");
    let port = v["accept"][0]["tasks"][0]["ports"][0].as_u64().unwrap();
    assert!((31000..=31005).contains(&port), "{v}");
    assert_eq!(v["decline"][0]["offer_id"], "O2");
    assert_eq!(v["unplaced"][0]["task_id"], "huge");
    assert!(v["unplaced"][0]["reasons"].as_array().unwrap().iter().any(|x| x["code"] == "insufficient_mem"), "{v}");
    // Byte-identical on a second run, and with `"op": "place"` written out.
    assert_eq!(offerfit(&["place", &file], b"").stdout, r.stdout);
    let with_op = PLACE_REQUEST.replacen('{', "{\"op\": \"place\",", 1);
    assert_eq!(offerfit(&["place", "-"], with_op.as_bytes()).stdout, r.stdout);
}

#[test]
fn place_prints_the_decision_as_tables() {
    let r = offerfit(&["place", "--format", "table", "-"], PLACE_REQUEST.as_bytes());
    assert_eq!(r.code, 0, "{r:?}");
    let out = &r.stdout;
    assert!(out.starts_with("LAUNCH: 1 task on 1 agent\n\nw1  agent A1  offers O1\n"), "{out}");
    let header: Vec<&str> = out.lines().nth(3).unwrap().split_whitespace().collect();
    assert_eq!(header, ["TASK", "ROLE", "RESOURCES", "PORTS"], "{out}");
    let launch = out.lines().nth(4).unwrap();
    assert!(launch.starts_with("  web-1  "), "{out}");
    let launch: Vec<&str> = launch.split_whitespace().collect();
    assert!(launch.contains(&"cpus:1;") && launch.contains(&"mem:256;"), "{out}");
    let port = launch.last().unwrap().parse::<u16>().unwrap_or_else(|_| panic!("a port last: {out}"));
    assert!(launch.contains(&format!("ports:[{port}-{port}]").as_str()), "{out}");
    assert!(out.contains("(left)"), "what remains of w1 is shown: {out}");
    assert!(out.contains("\nDECLINE: 1 offer\nOFFER  REFUSE  REASON\nO2     "), "{out}");
    assert!(out.contains("\nUNPLACED: 1 task\nTASK  REASON "), "{out}");
    assert!(out.contains("\nhuge  "), "{out}");
    assert!(out.contains("insufficient_mem"), "{out}");
    assert!(out.contains("\nstats: 2 offers, 2 tasks, 1 placed, "), "{out}");
}

#[test]
fn place_refusals_exit_1() {
    let r = offerfit(&["place", "-"], br#"{"offers": [], "tasks": [{"id": "t", "cpu": 1}]}"#);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["ok"], false, "json format prints the refusal too: {r:?}");
    assert!(r.stderr.contains("error[request.unknown_field] in /tasks/0"), "{}", r.stderr);

    let file = temp_file("broken.json", "{\"offers\": [,]}");
    let r = offerfit(&["place", "--format", "table", &file], b"");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty(), "tables only for decisions: {r:?}");
    assert!(
        r.stderr.starts_with(&format!("error[request.json] in {file} at column 13:\n  {{\"offers\": [,]}}\n")),
        "{}",
        r.stderr
    );

    let r = offerfit(&["place", &file], b"");
    assert_eq!(r.json()["errors"][0]["code"], "request.json", "json format prints the refusal: {r:?}");

    let r = offerfit(&["place", "-"], b"[1, 2]");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.starts_with("error[request.not_object]"), "{}", r.stderr);
}

#[test]
fn place_refuses_other_ops_and_reads_stdin_by_default() {
    for format in ["json", "table"] {
        let r = offerfit(&["place", "--format", format], br#"{"op": "version"}"#);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.stderr.starts_with("error[request.op] in /op: expected op `place`, found op `version`\n  help: "),
            "{}",
            r.stderr
        );
        if format == "json" {
            assert_eq!(r.json()["errors"][0]["code"], "request.op");
        } else {
            assert!(r.stdout.is_empty(), "no empty tables: {r:?}");
        }
    }
    let r = offerfit(&["place"], br#"{"op": "parse_value", "text": "1"}"#);
    assert_eq!(r.code, 1, "{r:?}");
    // No file: the request comes from stdin, as with `-`.
    let r = offerfit(&["place"], PLACE_REQUEST.as_bytes());
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, offerfit(&["place", "-"], PLACE_REQUEST.as_bytes()).stdout);
}

#[test]
fn place_tables_fit_the_width() {
    let request = std::fs::read(root().join("examples/place-request.json")).unwrap();
    let wide = offerfit(&["place", "--format", "table"], &request);
    assert_eq!(wide.code, 0, "{wide:?}");
    // Piped without COLUMNS: whole lines.
    assert!(wide.stdout.lines().any(|l| l.chars().count() > 100), "{}", wide.stdout);
    for columns in ["80", "60"] {
        let narrow = offerfit_env(&root(), &["place", "--format", "table"], &request, &[("COLUMNS", columns)]);
        assert_eq!(narrow.code, 0, "{narrow:?}");
        let limit: usize = columns.parse().unwrap();
        for line in narrow.stdout.lines() {
            assert!(line.chars().count() <= limit, "{line:?} is wider than {columns}:\n{}", narrow.stdout);
        }
        // Nothing is lost: the same characters, cells wrapped across lines.
        let letters = |s: &str| {
            let mut c: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
            c.sort_unstable();
            c
        };
        assert_eq!(letters(&narrow.stdout), letters(&wide.stdout), "{}", narrow.stdout);
    }
}

#[test]
fn internal_bench_flags_are_hidden() {
    let r = offerfit(&["bench", "--help"], b"");
    assert_eq!(r.code, 0, "{r:?}");
    for hidden in ["--once", "--once-text", "--passes", "--write-workloads", "--growth-cell", "--extra-work"] {
        assert!(!r.stdout.contains(&format!("{hidden} ")), "{hidden} shown:\n{}", r.stdout);
    }
    for shown in ["--scenario", "--samples", "--rounds", "--seed", "--json"] {
        assert!(r.stdout.contains(shown), "{shown} missing:\n{}", r.stdout);
    }
}

#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = offerfit(&["completions", shell], b"");
        assert_eq!(r.code, 0, "{r:?}");
        // (fish writes long flags without their dashes: `-l format`)
        for word in ["offerfit", "place", "resources", "completions", "format"] {
            assert!(r.stdout.contains(word), "{shell}: {word} missing");
        }
    }
    // The bash script is valid bash.
    let script = temp_file("offerfit.bash", &offerfit(&["completions", "bash"], b"").stdout);
    let ok = Command::new("bash").args(["-n", &script]).status().unwrap();
    assert!(ok.success(), "bash -n {script}");
    assert_eq!(offerfit(&["completions", "tcsh"], b"").code, 2);
}

#[test]
fn man_page() {
    let r = offerfit(&["man"], b"");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(".TH offerfit 1"), "{}", r.stdout);
    for word in ["place", "resources", "completions", "SUBCOMMANDS"] {
        assert!(r.stdout.contains(word), "{word} missing");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("offerfit-man");
    let _ = std::fs::remove_dir_all(&dir);
    let r = offerfit(&["man", "--dir", dir.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let place = std::fs::read_to_string(dir.join("offerfit-place.1")).unwrap();
    assert!(place.contains(".TH offerfit-place 1") && place.contains("\\-\\-format"), "{place}");
}

/// The playground's agent-text view: every offer of the bundled example, printed as agent
/// resources text (without allocation info), parses back to the same text.
#[test]
fn resources_fmt_output_parses_back_on_the_bundled_example() {
    let request: Json =
        serde_json::from_slice(&std::fs::read(root().join("examples/place-request.json")).unwrap()).unwrap();
    let mut disks = 0;
    for offer in request["offers"].as_array().unwrap() {
        let mut resources = offer["resources"].clone();
        for r in resources.as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("allocation_info");
        }
        let printed = offerfit(&["resources", "fmt", &resources.to_string()], b"");
        assert_eq!(printed.code, 0, "{printed:?}");
        let text = printed.stdout.trim_end();
        disks += text.matches("disk[").count();
        let parsed = offerfit(&["resources", "parse", text], b"");
        assert_eq!(parsed.code, 0, "`{text}` does not parse back: {}", parsed.stderr);
        let again = offerfit(&["resources", "fmt", &parsed.stdout], b"");
        assert_eq!(again.stdout.trim_end(), text);
    }
    assert!(disks >= 2, "the example has PATH and MOUNT disks");
}

// ---------------------------------------------------------------------------------------------
// README

/// The README's main command (between `<!-- main-command -->` markers), run as the README
/// says, minus `cargo run`: it must succeed on the bundled examples and print something.
#[test]
fn readme_main_command_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("<!-- main-command -->").expect("README marks its main command");
    let end = readme.find("<!-- /main-command -->").expect("README closes the main-command marker");
    let block = &readme[start..end];
    let line = block
        .lines()
        .find(|l| l.starts_with("cargo run -q -p offerfit-cli -- "))
        .expect("the main command is `cargo run -q -p offerfit-cli -- …`");
    let args: Vec<&str> = line.trim_start_matches("cargo run -q -p offerfit-cli -- ").split_whitespace().collect();
    let r = offerfit(&args, b"");
    assert_eq!(r.code, 0, "README main command `{line}` failed: {r:?}");
    assert!(r.stdout.lines().count() > 5, "{r:?}");
    assert!(readme.contains("./scripts/test.sh"), "README names the test command");
}

/// The bundled realistic example (Mantl agents, OpenWhisk constraints, a Flocker volume, GPUs,
/// a reservation): the table shows every agent's launches and the unplaced tasks' reasons.
#[test]
fn place_example_table() {
    let r = offerfit(&["place", "examples/place-request.json", "--format", "table"], b"");
    assert_eq!(r.code, 0, "{r:?}");
    let json = offerfit(&["place", "examples/place-request.json"], b"").json();
    let accept = json["accept"].as_array().unwrap();
    for a in accept {
        let head = format!("\n{}  agent {}  offers ", a["hostname"].as_str().unwrap(), a["agent_id"].as_str().unwrap());
        assert!(r.stdout.contains(&head), "{head} missing:\n{}", r.stdout);
        for t in a["tasks"].as_array().unwrap() {
            assert!(r.stdout.contains(&format!("\n  {}  ", t["task_id"].as_str().unwrap())), "{t}:\n{}", r.stdout);
        }
    }
    for u in json["unplaced"].as_array().unwrap() {
        let id = u["task_id"].as_str().unwrap();
        let code = u["reasons"][0]["code"].as_str().unwrap();
        assert!(r.stdout.lines().any(|l| l.starts_with(id) && l.contains(code)), "{id} {code}:\n{}", r.stdout);
    }
    let placed = json["stats"]["placed"].as_u64().unwrap();
    assert!(r.stdout.starts_with(&format!("LAUNCH: {placed} tasks on {} agents\n", accept.len())), "{}", r.stdout);
    assert!(!r.stdout.contains("allocated:"), "allocation info is the ROLE column: {}", r.stdout);
}

#[test]
fn works_from_any_directory() {
    let file = temp_file("v.json", r#"{"op":"version"}"#);
    let r = offerfit_in(Path::new(env!("CARGO_TARGET_TMPDIR")), &["call", &file], b"");
    assert_eq!(r.code, 0, "{r:?}");
}

/// Runs the binary with its stdout closed before it writes (the read end is dropped at once;
/// the commands that read stdin get their input only after that), like `| head -1` once
/// `head` has left. Returns the exit status and stderr.
fn with_closed_stdout(args: &[&str], stdin: &[u8]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_offerfit"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    drop(child.stdout.take());
    // The child may be gone already (a command that does not read stdin).
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code().expect("exited normally, not by a signal"), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `offerfit agent examples/agent-flags.txt | head -1` panicked ("failed printing to stdout:
/// Broken pipe", exit 101). Every subcommand now ends quietly when its reader has gone: no
/// panic, no message, status 0 (or the command's own status, for `lint` of a bad constraint,
/// which writes its carets on stderr).
#[test]
fn a_reader_that_leaves_early_is_no_panic_for_any_subcommand() {
    let flags = std::fs::read(root().join("examples/agent-flags.txt")).unwrap();
    let place = std::fs::read(root().join("examples/place-request.json")).unwrap();
    let many_lines = r#"{"op":"version"}"#.to_owned() + "\n";
    let many_lines = many_lines.repeat(2000);
    let cases: Vec<(Vec<&str>, &[u8], i32)> = vec![
        (vec!["agent", "-"], &flags, 0),
        (vec!["agent", "examples/agent-flags.txt"], b"", 0),
        (vec!["call", "-"], br#"{"op":"version"}"#, 0),
        (vec!["call", "--pretty", "-"], br#"{"op":"version"}"#, 0),
        (vec!["call", "--lines", "-"], many_lines.as_bytes(), 0),
        (vec!["resources", "parse", "-"], b"cpus:4;mem:1024;ports:[31000-32000]", 0),
        (vec!["resources", "fmt", "-"], b"cpus:4;mem:1024", 0),
        (vec!["attributes", "parse", "-"], b"rack:r1;zone:a", 0),
        (vec!["lint", "rack LIKE r[12]", "hostname UNIQUE"], b"", 0),
        (vec!["lint", "rack LIK r1"], b"", 1),
        (vec!["check", "hostname UNIQUE", "--hostname", "h1", "--placed", "-"], b"[]", 0),
        (vec!["place", "-"], &place, 0),
        (vec!["place", "-", "--format", "table"], &place, 0),
        (vec!["place", "-"], br#"{"offers": [], "tasks": [{"id": "a", "cpus": -1}]}"#, 0),
        (vec!["bench", "--growth-cell", "10x10"], b"", 0),
        (vec!["--help"], b"", 0),
        (vec!["place", "--help"], b"", 0),
    ];
    for (args, stdin, want) in cases {
        let (code, stderr) = with_closed_stdout(&args, stdin);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_ne!(code, 101, "{args:?}: {stderr}");
        assert_eq!(code, want, "{args:?}: {stderr}");
        if want == 0 {
            assert_eq!(stderr, "", "{args:?}");
        }
    }
}

#[test]
fn call_reads_an_oversize_input_without_holding_it() {
    // 1 byte over the limit: answered as the core answers it, from the count alone.
    let n = 16 * 1024 * 1024 + 1;
    let mut input = br#"{"op":"version","x":""#.to_vec();
    input.resize(n - 2, b'a');
    input.extend_from_slice(b"\"}");
    let run = offerfit(&["call"], &input);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.trim_end(), offerfit::host::call_bytes(&input));
    assert!(run.stdout.contains(&format!("found {n} bytes")), "{}", run.stdout);
    // Other commands refuse it as a usage error naming the limit.
    let run = offerfit(&["place", "-"], &input);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("standard input is too large: found 16777217 bytes"), "{}", run.stderr);
}

#[test]
fn terminal_output_escapes_control_and_bidi_characters() {
    let hostile = "rack LIKE a\u{1b}]0;x\u{7}\u{202e}b";
    let run = offerfit(&["lint", hostile], b"");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains('\u{1b}') && !all.contains('\u{202e}') && !all.contains('\u{7}'), "{all:?}");
    assert!(all.contains("\\u{1b}") && all.contains("\\u{202e}"), "{all:?}");
    let request = json!({"op": "place",
        "offers": [{"id": "o\u{1b}[2J", "agent_id": "a\u{202e}1", "hostname": "h\n1", "resources": "cpus:4;mem:1024"}],
        "tasks": [{"id": "t\u{9b}1", "cpus": 1}, {"id": "u\u{2067}", "cpus": 64}]});
    let file = temp_file("hostile-names.json", &request.to_string());
    let run = offerfit(&["place", &file, "--format", "table"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for bad in ['\u{1b}', '\u{202e}', '\u{9b}', '\u{2067}'] {
        assert!(!run.stdout.contains(bad), "{bad:?} in {:?}", run.stdout);
    }
    assert!(run.stdout.contains("h\\n1  agent a\\u{202e}1  offers o\\u{1b}[2J"), "{}", run.stdout);
    let run = offerfit(&["place", &file], b"");
    assert!(!run.stdout.contains('\u{202e}') && run.stdout.contains("\\u202e"), "{}", run.stdout);
    assert_eq!(run.json()["accept"][0]["agent_id"], "a\u{202e}1", "the same JSON value");
}
