//! Agents told apart only by which host ports they offer share a class when every task of the
//! batch asks for dynamic ports only (`engine::shapes::Sight::ports_by_count`): the class picks
//! ports in its first member's numbering and each member gets the same ranks of its own ports.
//! The oracle: the same request with a port blacklist for a host that is not there (which
//! makes every agent's ports seen exactly, as before) must give the same answer: every task
//! on the same agent and ports, the same `remaining`, the same reasons.

use serde_json::{json, Value as Json};

fn call(request: &Json) -> Json {
    let answer = offerfit::call(&request.to_string());
    let answer: Json = serde_json::from_str(&answer).expect("the answer is JSON");
    assert_eq!(answer["ok"], true, "{answer}");
    answer
}

/// The request with a port blacklist for a host that is not there: every agent's ports are
/// then seen exactly (as before `ports_by_count`), and nothing else changes.
fn exactly(request: &Json) -> Json {
    let mut r = request.clone();
    if r.get("options").is_none() {
        r["options"] = json!({});
    }
    r["options"]["port_blacklist"] = json!({"no-such-host": [1]});
    r
}

/// Places `request` and checks it against the oracle (the same answer but for the work
/// counter `stats.evaluations`); returns the answer and its oracle's.
fn same_as_exact(request: &Json) -> (Json, Json) {
    let answer = call(request);
    let exact = call(&exactly(request));
    let (got, want) = (answer["accept"].as_array().unwrap(), exact["accept"].as_array().unwrap());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w, "options {}", request["options"]);
    }
    assert_eq!(got.len(), want.len());
    for key in ["decline", "unplaced", "calls"] {
        assert_eq!(answer.get(key), exact.get(key), "{key}");
    }
    let mut stats = (answer["stats"].clone(), exact["stats"].clone());
    stats.0["evaluations"] = json!(0);
    stats.1["evaluations"] = json!(0);
    assert_eq!(stats.0, stats.1);
    (answer, exact)
}

fn ports_of(resources: &Json) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for r in resources.as_array().unwrap().iter().filter(|r| r["name"] == "ports") {
        for x in r["ranges"]["range"].as_array().unwrap() {
            out.push((x["begin"].as_u64().unwrap(), x["end"].as_u64().unwrap()));
        }
    }
    out
}

fn offer(i: usize, ports: &str) -> Json {
    json!({"id": format!("o{i}"), "agent_id": format!("a{i}"), "hostname": format!("h{i}"),
           "resources": format!("cpus:8;mem:8192;ports:{ports}")})
}

#[test]
fn agents_with_different_ranges_share_a_class_and_each_gets_its_own_ports() {
    // Four ports each, anywhere; port 0 and ports above 65535 are never given.
    let ranges = ["[31000-31003]", "[5-6,100-101]", "[0-4]", "[65534-65540,7-8]", "[40000-40000,40002-40004]"];
    let offers: Vec<Json> = ranges.iter().enumerate().map(|(i, p)| offer(i, p)).collect();
    let tasks: Vec<Json> =
        (0..20).map(|i| json!({"id": format!("t{i}"), "cpus": 0.1, "mem": 1, "ports": [0]})).collect();
    let request = json!({"op": "place", "offers": offers, "tasks": tasks});
    let (answer, exact) = same_as_exact(&request);
    // Binpack fills one agent at a time, lowest ports first, each agent in its own ports.
    let want: [&[u64]; 5] = [
        &[31000, 31001, 31002, 31003],
        &[5, 6, 100, 101],
        &[1, 2, 3, 4],
        &[7, 8, 65534, 65535],
        &[40000, 40002, 40003, 40004],
    ];
    let accept = answer["accept"].as_array().unwrap();
    assert_eq!(accept.len(), 5);
    for (a, want) in accept.iter().zip(want) {
        let i: usize = a["agent_id"].as_str().unwrap()[1..].parse().unwrap();
        let got: Vec<u64> = a["tasks"].as_array().unwrap().iter().map(|t| t["ports"][0].as_u64().unwrap()).collect();
        assert_eq!(got, want, "agent {i}");
        for t in a["tasks"].as_array().unwrap() {
            let p = t["ports"][0].as_u64().unwrap();
            assert_eq!(ports_of(&t["resources"]), [(p, p)]);
        }
        // Nothing left but what the agent offered beyond 1-65535.
        assert_eq!(ports_of(&a["remaining"]), Vec::<(u64, u64)>::new(), "agent {i}");
    }
    // One class for the five agents: fewer fits than one class each.
    assert!(answer["stats"]["evaluations"].as_u64() < exact["stats"]["evaluations"].as_u64(), "{answer}");
}

#[test]
fn remaining_ports_are_the_agents_own() {
    let offers = vec![offer(0, "[31000-31009]"), offer(1, "[1000-1004,2000-2004]"), offer(2, "[20-29]")];
    let tasks: Vec<Json> =
        (0..4).map(|i| json!({"id": format!("t{i}"), "cpus": 2, "mem": 1, "ports": [0, 0, 0]})).collect();
    for strategy in ["binpack", "spread", "first_fit"] {
        for selection in ["lowest", "random"] {
            let request = json!({"op": "place", "offers": offers, "tasks": tasks,
                                 "options": {"strategy": strategy, "port_selection": selection, "seed": 3}});
            let (answer, _) = same_as_exact(&request);
            for a in answer["accept"].as_array().unwrap() {
                let i: usize = a["agent_id"].as_str().unwrap()[1..].parse().unwrap();
                let offered = ports_of(&json!([{"name": "ports", "ranges": {"range":
                    match i { 0 => json!([{"begin": 31000, "end": 31009}]),
                              1 => json!([{"begin": 1000, "end": 1004}, {"begin": 2000, "end": 2004}]),
                              _ => json!([{"begin": 20, "end": 29}]) }}}]));
                let inside = |p: u64| offered.iter().any(|&(b, e)| b <= p && p <= e);
                let mut taken: Vec<u64> = Vec::new();
                for t in a["tasks"].as_array().unwrap() {
                    taken.extend(t["ports"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()));
                }
                assert!(taken.iter().all(|p| inside(*p)), "{strategy} {selection}: {a}");
                let mut left: Vec<u64> = Vec::new();
                for (b, e) in ports_of(&a["remaining"]) {
                    left.extend(b..=e);
                }
                let mut all = taken.clone();
                all.extend(&left);
                all.sort_unstable();
                let n = all.len();
                all.dedup();
                assert_eq!(all.len(), n, "a port both taken and left, or taken twice: {a}");
                assert_eq!(n, 10, "{a}");
                assert!(all.iter().all(|p| inside(*p)));
            }
        }
    }
}

#[test]
fn ports_run_out_alike_under_every_profile() {
    // Agents of 2 to 6 ports and tasks of 1 to 3 dynamic ports: ports run out before cpus.
    let mut seed = 7u64;
    let mut next = |below: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % below
    };
    let offers: Vec<Json> = (0..12)
        .map(|i| {
            let base = 1000 + next(50_000);
            let n = 2 + next(5);
            let ports = if i % 3 == 0 {
                // Single ports, apart.
                let list: Vec<String> = (0..n).map(|k| format!("{}-{}", base + 2 * k, base + 2 * k)).collect();
                format!("[{}]", list.join(","))
            } else {
                format!("[{}-{}]", base, base + n - 1)
            };
            offer(i, &ports)
        })
        .collect();
    let tasks: Vec<Json> = (0..40)
        .map(|i| json!({"id": format!("t{i}"), "cpus": 0.5, "mem": 16, "ports": vec![0; 1 + (i % 3)]}))
        .collect();
    for options in [
        json!({"strategy": "first_fit"}),
        json!({"strategy": "first_fit", "port_selection": "random", "seed": 11}),
        json!({"profile": "marathon"}),
        json!({"profile": "marathon", "port_selection": "lowest"}),
        json!({"profile": "mesos-actor"}),
        json!({"strategy": "first_fit", "framework_id": "fw", "explain": false}),
    ] {
        let request = json!({"op": "place", "offers": offers, "tasks": tasks, "options": options});
        let (answer, _) = same_as_exact(&request);
        assert!(!answer["unplaced"].as_array().unwrap().is_empty(), "ports run out: {options}");
    }
}

#[test]
fn a_fixed_port_or_a_blacklist_keeps_ports_seen_exactly() {
    let offers = vec![offer(0, "[31000-31003]"), offer(1, "[80-80,31000-31002]"), offer(2, "[90-93]")];
    let mut tasks: Vec<Json> =
        (0..6).map(|i| json!({"id": format!("t{i}"), "cpus": 0.1, "mem": 1, "ports": [0]})).collect();
    tasks.push(json!({"id": "web", "cpus": 0.1, "mem": 1, "ports": [80]}));
    let answer = call(&json!({"op": "place", "offers": offers, "tasks": tasks}));
    let web = answer["accept"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["tasks"].as_array().unwrap().iter().any(|t| t["task_id"] == "web"))
        .expect("web is placed");
    assert_eq!(web["agent_id"], "a1");
    // A blacklist: the blacklisted port of that host is never given, whatever its class.
    let tasks: Vec<Json> =
        (0..12).map(|i| json!({"id": format!("t{i}"), "cpus": 0.1, "mem": 1, "ports": [0]})).collect();
    let answer = call(&json!({"op": "place", "offers": offers, "tasks": tasks,
                              "options": {"port_blacklist": {"h2": [91]}}}));
    let mut given: Vec<u64> = Vec::new();
    for a in answer["accept"].as_array().unwrap().iter().filter(|a| a["agent_id"] == "a2") {
        given.extend(a["tasks"].as_array().unwrap().iter().map(|t| t["ports"][0].as_u64().unwrap()));
    }
    assert_eq!(given, [90, 92, 93]);
}
