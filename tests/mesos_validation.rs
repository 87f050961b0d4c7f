//! Every call `place` writes passes Mesos' master validation (`tests/common/mesos_validation.rs`,
//! ported from apache/mesos `src/master/validation.cpp`): the golden plans, the examples, the
//! cross-host corpus (`scripts/gen-requests.py`, when `python3` is there) and generated
//! requests that mix roles, allocation roles, revocable resources, executors, port mappings
//! and persistent volumes, under every profile.

mod common;

use common::gen::Gen;
use common::mesos_validation::validate_calls;
use serde_json::{json, Value as Json};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Answers `request` with calls (a `framework_id` added when it has none) and returns the
/// rules its calls break.
fn check(name: &str, request: &Json) -> Vec<String> {
    let mut req = request.clone();
    if req.get("op").is_none() {
        req["op"] = json!("place");
    }
    if !req["options"].is_object() {
        req["options"] = json!({});
    }
    if req["options"].get("framework_id").is_none() {
        req["options"]["framework_id"] = json!("F");
    }
    let answer: Json = serde_json::from_str(&offerfit::call(&req.to_string())).expect("JSON");
    if answer["ok"] != true {
        return Vec::new();
    }
    let calls = answer["calls"].as_array().cloned().unwrap_or_default();
    validate_calls(&req, &calls).into_iter().map(|e| format!("{name}: {e}")).collect()
}

#[test]
fn golden_plans_and_examples_pass_master_validation() {
    let mut errors = Vec::new();
    let mut n = 0;
    for dir in ["tests/data/place", "examples"] {
        let mut paths: Vec<_> = std::fs::read_dir(root().join(dir)).unwrap().flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".json") || name.ends_with(".response.json") {
                continue;
            }
            let v: Json = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let req = if v["type"] == "OFFERS" {
                json!({"op": "place", "offers": v, "tasks": [{"id": "t1", "cpus": 1, "mem": 128, "ports": [0]}]})
            } else {
                v
            };
            if req.get("op").is_some_and(|o| o != "place") {
                continue;
            }
            n += 1;
            errors.extend(check(&name, &req));
        }
    }
    assert!(n >= 13, "{n} requests");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_corpus_passes_master_validation() {
    let out = std::env::temp_dir().join(format!("offerfit-validation-corpus-{}.jsonl", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(root().join("scripts/gen-requests.py"))
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("python3 not available: the corpus is not checked here (CI's python stage runs it)");
        return;
    }
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut errors = Vec::new();
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        let Ok(req) = serde_json::from_str::<Json>(line) else { continue };
        if req["op"] == "place" && req["offers"].is_array() | req["offers"].is_object() {
            n += 1;
            errors.extend(check(&format!("corpus line {}", i + 1), &req));
        }
    }
    assert!(n >= 10, "{n} place requests");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn generated(seed: u64) -> Json {
    let mut g = Gen::new(seed);
    let mut offers = Vec::new();
    let agents = 1 + g.below(4);
    for a in 0..agents {
        for k in 0..1 + g.below(3) {
            let mut res = vec![
                json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1 + g.below(4)}}),
                json!({"name": "mem", "type": "SCALAR", "scalar": {"value": 256 * (1 + g.below(8))}}),
                json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 1000}}),
                json!({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31000 + g.below(5)}]}}),
            ];
            if g.below(3) == 0 {
                res.push(json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "revocable": {}}));
            }
            if g.below(3) == 0 {
                res.push(json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
                    "reservations": [{"type": "STATIC", "role": "web"}]}));
            }
            let mut o = json!({"id": format!("O{a}-{k}"), "agent_id": format!("S{a}"), "hostname": format!("h{a}"),
                "resources": res, "attributes": format!("rack:r{}", g.below(3))});
            if g.below(2) == 0 {
                let role = ["web", "batch"][g.below(2) as usize];
                o["allocation_info"] = json!({ "role": role });
            }
            offers.push(o);
        }
    }
    let mut tasks = Vec::new();
    for t in 0..1 + g.below(6) {
        let mut task = json!({"id": format!("t{t}"), "cpus": 0.5 * (1 + g.below(3)) as f64, "mem": 128});
        match g.below(4) {
            0 => task["role"] = json!("web"),
            1 => task["role"] = json!("batch"),
            _ => {}
        }
        if g.below(3) == 0 {
            task["revocable"] = json!(true);
        }
        if g.below(3) == 0 {
            task["executor"] = json!({"id": format!("e{}", g.below(2)), "cpus": 0.1, "mem": 32});
        }
        if g.below(2) == 0 {
            task["ports"] = json!([0, 0]);
            task["task_info"] = json!({"command": {"shell": false}, "container": {"type": "DOCKER",
                "docker": {"image": "x", "network": "BRIDGE", "port_mappings": [{"host_port": 0, "container_port": 80}]},
                "network_infos": [{"port_mappings": [{"container_port": 81}]}]}});
        }
        if g.below(3) == 0 {
            task["constraints"] = json!(["hostname UNIQUE"]);
            task["group"] = json!("g");
        }
        tasks.push(task);
    }
    // An executor id keeps one definition (conflicts are refused as input).
    let profile = ["offerfit", "marathon", "mesos-actor"][g.below(3) as usize];
    let tie = ["request", "agent_id"][g.below(2) as usize];
    let mut req = json!({"op": "place", "offers": offers, "tasks": tasks,
        "options": {"profile": profile, "roles": ["web", "batch"], "tie_break": tie}});
    if profile == "mesos-actor" {
        for t in req["tasks"].as_array_mut().unwrap() {
            for k in ["role", "revocable", "executor", "group", "constraints", "task_info"] {
                t.as_object_mut().unwrap().remove(k);
            }
        }
    }
    req
}

#[test]
fn generated_requests_pass_master_validation() {
    let cases: u64 = std::env::var("OFFERFIT_VALIDATION_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(500);
    let mut errors = Vec::new();
    let mut placed = 0;
    for seed in 0..cases {
        let req = generated(seed);
        let answer: Json = serde_json::from_str(&offerfit::call(&req.to_string())).unwrap();
        assert_eq!(answer["ok"], true, "seed {seed}: {answer}");
        placed += answer["stats"]["placed"].as_u64().unwrap_or(0);
        errors.extend(check(&format!("seed {seed}"), &req));
    }
    assert!(placed > cases, "only {placed} tasks placed in {cases} requests");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The helper does catch what a master refuses.
#[test]
fn the_helper_refuses_what_a_master_refuses() {
    let req = json!({"offers": [
        {"id": "A", "agent_id": "S1", "hostname": "h", "resources": "cpus:1", "allocation_info": {"role": "a"}},
        {"id": "B", "agent_id": "S1", "hostname": "h", "resources": "cpus:1", "allocation_info": {"role": "b"}}
    ]});
    let call = json!({"framework_id": {"value": "F"}, "type": "ACCEPT", "accept": {
    "offer_ids": [{"value": "A"}, {"value": "B"}],
    "operations": [{"type": "LAUNCH", "launch": {"task_infos": [
        {"task_id": {"value": "a/b"}, "agent_id": {"value": "S1"}, "resources": []},
        {"task_id": {"value": "x"}, "agent_id": {"value": "S1"}, "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 3}}]}
    ]}}]}});
    let errors = validate_calls(&req, &[call]).join("\n");
    for rule in ["validateAllocationRole", "validateTaskID", "uses no resources", "more than the offers hold"] {
        assert!(errors.contains(rule), "{rule} not found in:\n{errors}");
    }
}

/// Two tasks of one SHARED persistent volume in one `ACCEPT`: a master takes it (the shared
/// volume is used by both, counted once), and the helper says so.
#[test]
fn tasks_sharing_a_shared_volume_pass() {
    let request = json!({"offers": [{"id": "O1", "agent_id": "S1", "hostname": "h1", "resources": [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}},
    {"name": "disk", "type": "SCALAR", "scalar": {"value": 100}, "shared": {},
     "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "p"}],
     "disk": {"persistence": {"id": "data"}, "volume": {"container_path": "data", "mode": "RW"}}}]}],
    "tasks": [
        {"id": "t1", "cpus": 1, "role": "web", "volumes": [{"size": 100, "persistence_id": "data"}]},
        {"id": "t2", "cpus": 1, "role": "web", "volumes": [{"size": 100, "persistence_id": "data"}]}
    ]});
    assert_eq!(check("shared", &request), Vec::<String>::new());
    let answer: Json = serde_json::from_str(&offerfit::call(
        &json!({"op": "place", "offers": request["offers"],
        "tasks": request["tasks"], "options": {"framework_id": "F"}})
        .to_string(),
    ))
    .unwrap();
    let launch = &answer["calls"][0]["accept"]["operations"][0]["launch"]["task_infos"];
    assert_eq!(launch.as_array().map(Vec::len), Some(2), "{answer}");
}
