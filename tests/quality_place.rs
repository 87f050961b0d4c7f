//! Placement quality (issue 21): concrete batches that the biggest-first, single-pass engine
//! left tasks out of although every task fits — constrained tasks starved by unconstrained
//! ones placed earlier, an agent left memory-full with cpus idle, port-hungry tasks crowded out
//! — each asserted all placed under the default strategy; the `objective` option and the
//! stats that report it; and a property: every answer on tight random batches is feasible.

use std::collections::{BTreeMap, BTreeSet};

use offerfit::{Engine, Objective, Options, PlaceRequest, Plan, Strategy as PlaceStrategy};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

/// `place` through the JSON contract.
fn call(offers: Json, tasks: Json, options: Json) -> Json {
    let request = json!({"op": "place", "offers": offers, "tasks": tasks, "options": options});
    let answer: Json = serde_json::from_str(&offerfit::call(&request.to_string())).unwrap();
    assert_eq!(answer["ok"], json!(true), "{answer}");
    answer
}

/// Task id → agent id of the answer.
fn placed(answer: &Json) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in answer["accept"].as_array().unwrap() {
        for t in a["tasks"].as_array().unwrap() {
            out.insert(t["task_id"].as_str().unwrap().to_owned(), a["agent_id"].as_str().unwrap().to_owned());
        }
    }
    out
}

fn offer(i: usize, resources: &str, attributes: &str) -> Json {
    json!({"id": format!("o{i}"), "agent_id": format!("a{i}"), "hostname": format!("h{i}"),
           "resources": resources, "attributes": attributes})
}

#[test]
fn a_zone_bound_task_is_not_starved_by_a_bigger_free_one() {
    // Biggest first put t1 (2 cpus, 2 GB) on a0, the fullest fit, and t0 (zone z0 only) found
    // its one agent full. t0 fits one agent, t1 two: t0 goes first now.
    let offers = json!([offer(0, "cpus:2;mem:2048", "zone:z0"), offer(1, "cpus:4;mem:8192", "zone:z1")]);
    let tasks = json!([
        {"id": "t0", "cpus": 1, "mem": 1024, "constraints": ["zone IS z0"]},
        {"id": "t2", "cpus": 2, "mem": 1024, "constraints": ["zone IS z1"]},
        {"id": "t1", "cpus": 2, "mem": 2048}
    ]);
    let answer = call(offers.clone(), tasks.clone(), json!({}));
    let got = placed(&answer);
    assert_eq!(got.get("t0").map(String::as_str), Some("a0"));
    assert_eq!(got.get("t2").map(String::as_str), Some("a1"));
    assert_eq!(got.get("t1").map(String::as_str), Some("a1"));
    assert_eq!(answer["unplaced"], json!([]));
    assert_eq!(answer["stats"]["repair_passes"], json!(0), "the scarcity order alone places them");
    // first_fit keeps reproducing first fit: biggest first, first agent that fits.
    let first_fit = call(offers, tasks, json!({"strategy": "first_fit"}));
    assert_eq!(first_fit["unplaced"][0]["task_id"], json!("t0"));
}

#[test]
fn an_agent_is_not_left_memory_full_with_cpus_idle() {
    // a0 has the memory, a1 the cpus. Biggest first put t1 (2 cpus, 2 GB) on a0 (a tie of the
    // plain mean, 0.75 each), leaving a0 without cpus and t0 (4 GB) nowhere to go.
    let offers = json!([offer(0, "cpus:2;mem:4096", ""), offer(1, "cpus:4;mem:2048", "")]);
    let tasks = json!([{"id": "t1", "cpus": 2, "mem": 2048}, {"id": "t0", "cpus": 1, "mem": 4096}]);
    let answer = call(offers, tasks, json!({}));
    let got = placed(&answer);
    assert_eq!(got.get("t0").map(String::as_str), Some("a0"));
    assert_eq!(got.get("t1").map(String::as_str), Some("a1"));
    // The balanced score: a1 ends 50% cpus, 100% mem full: 0.75 − 0.125.
    let a1 = answer["accept"].as_array().unwrap().iter().find(|a| a["agent_id"] == json!("a1")).unwrap();
    assert_eq!(a1["tasks"][0]["score"], json!(0.625));
}

#[test]
fn scores_read_the_other_dimensions_the_batch_asks_for() {
    // Equal cpus and mem: only the custom scalar `fpga` tells a0 (4 of them) from a1 (1). The
    // balanced binpack score packs the task where its fpga is tightest (a1: cpus and mem a
    // quarter full, fpga full: mean 0.5 − 0.1875); without the dimension (first_fit, and the
    // marathon profile's plain mean) a0 wins, first in the request.
    let offers = json!([offer(0, "cpus:4;mem:4096;fpga:4", ""), offer(1, "cpus:4;mem:4096;fpga:1", "")]);
    let tasks = json!([{"id": "t0", "cpus": 1, "mem": 1024, "scalars": {"fpga": 1}}]);
    let answer = call(offers.clone(), tasks.clone(), json!({}));
    assert_eq!(placed(&answer).get("t0").map(String::as_str), Some("a1"), "{answer}");
    assert_eq!(answer["accept"][0]["tasks"][0]["score"], json!(0.3125));
    for other in [json!({"strategy": "first_fit"}), json!({"profile": "marathon"})] {
        let answer = call(offers.clone(), tasks.clone(), other.clone());
        assert_eq!(placed(&answer).get("t0").map(String::as_str), Some("a0"), "{other}: {answer}");
    }
    // Spread reads the dimensions the task takes from: the agent left emptiest is a0.
    let spread = call(offers.clone(), tasks.clone(), json!({"strategy": "spread"}));
    assert_eq!(placed(&spread).get("t0").map(String::as_str), Some("a0"), "{spread}");
    // A task that needs no ports goes to the agent without them, keeping the ports for the
    // tasks that need them (the batch asks for ports): a1's 100 ports would stay idle.
    let offers = json!([offer(0, "cpus:4;mem:4096", ""), offer(1, "cpus:4;mem:4096;ports:[31000-31099]", "")]);
    let tasks = json!([{"id": "t0", "cpus": 1, "mem": 1024}, {"id": "t1", "cpus": 1, "mem": 1024, "ports": [0]}]);
    let answer = call(offers, tasks, json!({}));
    let got = placed(&answer);
    assert_eq!(got.get("t0").map(String::as_str), Some("a0"), "{answer}");
    assert_eq!(got.get("t1").map(String::as_str), Some("a1"), "{answer}");
}

#[test]
fn port_hungry_tasks_get_the_agents_with_ports() {
    // a1 is the only agent with two ports; t2 needs both. Biggest first gave a1 to t1.
    let offers = json!([
        offer(0, "cpus:4;mem:2048;ports:[31000-31000]", ""),
        offer(1, "cpus:2;mem:8192;ports:[31000-31001]", "")
    ]);
    let tasks = json!([
        {"id": "t0", "cpus": 2, "mem": 1024},
        {"id": "t2", "cpus": 1, "mem": 2048, "ports": [0, 0]},
        {"id": "t1", "cpus": 2, "mem": 1024, "ports": [0]}
    ]);
    let answer = call(offers, tasks, json!({}));
    let got = placed(&answer);
    assert_eq!(got.len(), 3, "{answer}");
    assert_eq!(got.get("t2").map(String::as_str), Some("a1"));
}

#[test]
fn repair_moves_the_blocking_tasks_of_the_batch() {
    // 6 cpus asked, 6 offered: the only answer placing all puts the two 2-cpu tasks on a0 and
    // the 1-cpu ones on a1. Every task fits both agents, so the scarcity order cannot tell
    // them apart; the first pass leaves one out, and a promotion pass (the left-out task
    // first) places all four.
    let offers = json!([offer(0, "cpus:4;mem:4096", ""), offer(1, "cpus:2;mem:4096", "")]);
    let tasks = json!([
        {"id": "t0", "cpus": 2, "mem": 2048},
        {"id": "t3", "cpus": 1, "mem": 1024},
        {"id": "t1", "cpus": 2, "mem": 2048},
        {"id": "t2", "cpus": 1, "mem": 2048}
    ]);
    let answer = call(offers.clone(), tasks.clone(), json!({}));
    assert_eq!(answer["unplaced"], json!([]), "{answer}");
    assert!(answer["stats"]["repair_passes"].as_u64().unwrap() >= 1, "{}", answer["stats"]);
    // Explanations change nothing in what is placed.
    let quiet = call(offers, tasks, json!({"explain": false}));
    assert_eq!(placed(&quiet), placed(&answer));
    assert!(quiet["stats"]["repair_passes"].as_u64().unwrap() >= 1);
}

#[test]
fn repair_hands_the_ports_to_the_tasks_that_need_them() {
    // Both agents have two ports; both port tasks need two, so they must take one agent each.
    let offers = json!([
        offer(0, "cpus:2;mem:2048;ports:[31000-31001]", ""),
        offer(1, "cpus:8;mem:4096;ports:[31000-31001]", "")
    ]);
    let tasks = json!([
        {"id": "t2", "cpus": 1, "mem": 2048},
        {"id": "t1", "cpus": 1, "mem": 2048, "ports": [0, 0]},
        {"id": "t0", "cpus": 1, "mem": 2048, "ports": [0, 0]}
    ]);
    let answer = call(offers, tasks, json!({}));
    let got = placed(&answer);
    assert_eq!(got.len(), 3, "{answer}");
    assert_ne!(got.get("t0"), got.get("t1"));
}

#[test]
fn the_objective_decides_what_is_kept_over_capacity() {
    // One agent, one big task that fills it, three small ones that fit together.
    let offers = json!([offer(0, "cpus:4;mem:4096", "")]);
    let tasks = json!([
        {"id": "big", "cpus": 4, "mem": 4096},
        {"id": "s1", "cpus": 1, "mem": 1024},
        {"id": "s2", "cpus": 1, "mem": 1024},
        {"id": "s3", "cpus": 1, "mem": 1024}
    ]);
    let by_tasks = call(offers.clone(), tasks.clone(), json!({}));
    assert_eq!(placed(&by_tasks).keys().cloned().collect::<Vec<_>>(), ["s1", "s2", "s3"]);
    assert_eq!(by_tasks["stats"]["objective"], json!("tasks"));
    assert_eq!(by_tasks["stats"]["objective_value"], json!(3));
    assert!(by_tasks["stats"]["repair_passes"].as_u64().unwrap() >= 1);
    // The unplaced task's reasons are those of the answer given: the agent the small ones left.
    assert_eq!(by_tasks["unplaced"][0]["task_id"], json!("big"));
    assert_eq!(by_tasks["unplaced"][0]["reasons"][0]["code"], json!("insufficient_cpus"));
    let by_resources = call(offers.clone(), tasks.clone(), json!({"objective": "resources"}));
    assert_eq!(placed(&by_resources).keys().cloned().collect::<Vec<_>>(), ["big"]);
    assert_eq!(by_resources["stats"]["objective"], json!("resources"));
    assert_eq!(by_resources["stats"]["objective_value"], json!(1));
    // first_fit and the profiles run no repair; they report the objective all the same.
    for options in [json!({"strategy": "first_fit"}), json!({"profile": "marathon"})] {
        let answer = call(offers.clone(), tasks.clone(), options);
        assert_eq!(answer["stats"]["repair_passes"], json!(0));
        assert_eq!(answer["stats"]["objective"], json!("tasks"));
    }
}

#[test]
fn an_unknown_objective_is_refused_with_a_suggestion() {
    let request = json!({"op": "place", "offers": [], "tasks": [], "options": {"objective": "task"}});
    let answer: Json = serde_json::from_str(&offerfit::call(&request.to_string())).unwrap();
    assert_eq!(answer["ok"], json!(false));
    let e = &answer["errors"][0];
    assert_eq!(e["code"], json!("request.unknown_variant"));
    assert_eq!(e["path"], json!("/options/objective"));
    assert!(e["help"].as_str().unwrap().contains("`tasks`"), "{e}");
}

#[test]
fn a_batch_that_fits_runs_no_repair() {
    let offers = json!([offer(0, "cpus:8;mem:8192", ""), offer(1, "cpus:8;mem:8192", "")]);
    let tasks: Vec<Json> = (0..6).map(|i| json!({"id": format!("t{i}"), "cpus": 2, "mem": 2048})).collect();
    let answer = call(offers, Json::Array(tasks), json!({}));
    assert_eq!(answer["stats"]["placed"], json!(6));
    assert_eq!(answer["stats"]["repair_passes"], json!(0));
}

// ---------------------------------------------------------------------------------------------
// Every answer feasible: tight planted batches (each task carved out of an agent), so repair
// runs often; checked against the request independently of the engine.

#[derive(Debug, Clone)]
struct Agent {
    cpus: i64,
    mem: i64,
    ports: u64,
    rack: u8,
}

fn agents() -> impl proptest::strategy::Strategy<Value = Vec<Agent>> {
    prop::collection::vec(
        (1i64..9, 1i64..9, 0u64..4, 0u8..3).prop_map(|(cpus, mem, ports, rack)| Agent { cpus, mem, ports, rack }),
        1..6,
    )
}

/// Per task: (agent it is carved from, cpus, mem, ports, constraint kind, gang).
type TaskSpec = (usize, i64, i64, u64, u8, Option<u8>);

fn tasks() -> impl proptest::strategy::Strategy<Value = Vec<TaskSpec>> {
    prop::collection::vec((0usize..6, 1i64..4, 1i64..4, 0u64..3, 0u8..6, prop::option::weighted(0.15, 0u8..2)), 1..14)
}

fn build(agents: &[Agent], specs: &[TaskSpec]) -> Json {
    let mut left: Vec<(i64, i64, u64)> = agents.iter().map(|a| (a.cpus, a.mem, a.ports)).collect();
    let offers: Vec<Json> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut r = format!("cpus:{};mem:{}", a.cpus, a.mem * 1024);
            if a.ports > 0 {
                r.push_str(&format!(";ports:[31000-{}]", 31000 + a.ports - 1));
            }
            offer(i, &r, &format!("rack:r{};zone:z{}", a.rack, a.rack % 2))
        })
        .collect();
    let mut tasks = Vec::new();
    for (k, &(home, cpus, mem, ports, kind, gang)) in specs.iter().enumerate() {
        let home = home % agents.len();
        let (Some(a), Some(l)) = (agents.get(home), left.get_mut(home)) else { continue };
        // Planted while it fits its home agent; the rest make the batch go over capacity.
        if l.0 >= cpus && l.1 >= mem && l.2 >= ports {
            *l = (l.0 - cpus, l.1 - mem, l.2 - ports);
        }
        let mut t = json!({"id": format!("t{k}"), "cpus": cpus, "mem": mem * 1024, "ports": vec![0; ports as usize],
                           "group": format!("g{}", kind % 3)});
        let constraint = match kind {
            0 => Some(format!("zone IS z{}", a.rack % 2)),
            1 => Some(format!("rack LIKE r{}", a.rack)),
            2 => Some("hostname UNIQUE".to_owned()),
            3 => Some("rack MAX_PER 2".to_owned()),
            _ => None,
        };
        if let Some(c) = constraint {
            t["constraints"] = json!([c]);
        }
        if let Some(g) = gang {
            t["gang"] = json!(format!("gang{g}"));
        }
        tasks.push(t);
    }
    json!({"offers": offers, "tasks": tasks})
}

/// Checks an answer against the request: each offer and task answered once, no agent over its
/// cpus, mem or ports, ports unique per agent, constraints and gangs honoured.
fn check(request: &Json, answer: &Json) -> Result<(), String> {
    let offers = request["offers"].as_array().unwrap();
    let tasks = request["tasks"].as_array().unwrap();
    let mut offer_seen = BTreeMap::new();
    for a in answer["accept"].as_array().unwrap() {
        for o in a["offer_ids"].as_array().unwrap() {
            *offer_seen.entry(o.as_str().unwrap().to_owned()).or_insert(0) += 1;
        }
    }
    for d in answer["decline"].as_array().unwrap() {
        *offer_seen.entry(d["offer_id"].as_str().unwrap().to_owned()).or_insert(0) += 1;
    }
    if offer_seen.len() != offers.len() || offer_seen.values().any(|n| *n != 1) {
        return Err(format!("offers not answered once each: {offer_seen:?}"));
    }
    let mut where_: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = BTreeMap::new();
    for a in answer["accept"].as_array().unwrap() {
        let agent: usize = a["agent_id"].as_str().unwrap()[1..].parse().unwrap();
        let o = &offers[agent];
        let res = offerfit::parse_resources(o["resources"].as_str().unwrap(), "*").unwrap();
        let have = |name: &str| {
            res.iter().filter(|r| r.name == name).filter_map(|r| r.scalar()).map(|s| s.millis()).sum::<i64>()
        };
        let (mut cpus, mut mem, mut ports) = (0i64, 0i64, BTreeSet::new());
        for t in a["tasks"].as_array().unwrap() {
            let id = t["task_id"].as_str().unwrap();
            *count.entry(id.to_owned()).or_insert(0) += 1;
            where_.insert(id.to_owned(), agent);
            let spec = tasks.iter().find(|x| x["id"] == json!(id)).unwrap();
            cpus += (spec["cpus"].as_f64().unwrap() * 1000.0) as i64;
            mem += (spec["mem"].as_f64().unwrap() * 1000.0) as i64;
            for p in t["ports"].as_array().unwrap() {
                let p = p.as_u64().unwrap();
                let offered =
                    res.iter().filter_map(|r| r.ranges()).any(|rg| rg.iter().any(|x| x.begin <= p && p <= x.end));
                if !offered || !ports.insert(p) {
                    return Err(format!("port {p} not offered or twice on a{agent}"));
                }
            }
        }
        if cpus > have("cpus") || mem > have("mem") {
            return Err(format!("a{agent} over-allocated: {cpus} cpus, {mem} mem"));
        }
    }
    for u in answer["unplaced"].as_array().unwrap() {
        *count.entry(u["task_id"].as_str().unwrap().to_owned()).or_insert(0) += 1;
    }
    if count.len() != tasks.len() || count.values().any(|n| *n != 1) {
        return Err(format!("tasks not answered once each: {count:?}"));
    }
    // Constraints, per group.
    let attr = |agent: usize, name: &str| -> String {
        let text = offers[agent]["attributes"].as_str().unwrap();
        text.split(';').find_map(|kv| kv.strip_prefix(&format!("{name}:"))).unwrap_or("").to_owned()
    };
    let mut per_group: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut gangs: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for t in tasks {
        let id = t["id"].as_str().unwrap();
        let at = where_.get(id).copied();
        if let Some(g) = t["gang"].as_str() {
            let e = gangs.entry(g.to_owned()).or_default();
            e.0 += 1;
            e.1 += usize::from(at.is_some());
        }
        let Some(agent) = at else { continue };
        let group = t["group"].as_str().unwrap().to_owned();
        for c in t["constraints"].as_array().into_iter().flatten() {
            let c = c.as_str().unwrap();
            let ok = if let Some(z) = c.strip_prefix("zone IS ") {
                attr(agent, "zone") == z
            } else if let Some(r) = c.strip_prefix("rack LIKE ") {
                attr(agent, "rack") == r
            } else if c == "hostname UNIQUE" {
                let n = per_group.entry((group.clone(), format!("host:h{agent}"))).or_default();
                *n += 1;
                *n <= 1
            } else {
                let n = per_group.entry((group.clone(), format!("rack:{}", attr(agent, "rack")))).or_default();
                *n += 1;
                *n <= 2
            };
            if !ok {
                return Err(format!("`{c}` broken by {id} on a{agent}"));
            }
        }
    }
    if let Some((g, n)) = gangs.iter().find(|(_, (n, p))| *p != 0 && p != n) {
        return Err(format!("gang {g} split: {n:?}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_answer_is_feasible(agents in agents(), specs in tasks(), strategy in 0u8..3, by_resources in any::<bool>()) {
        let request = build(&agents, &specs);
        let strategy = ["binpack", "spread", "first_fit"][strategy as usize];
        let objective = if by_resources { "resources" } else { "tasks" };
        let answer = call(request["offers"].clone(), request["tasks"].clone(),
                          json!({"strategy": strategy, "objective": objective}));
        if let Err(e) = check(&request, &answer) {
            return Err(TestCaseError::fail(format!("{e}\nrequest {request}\nanswer {answer}")));
        }
        // Deterministic, repair included.
        let again = call(request["offers"].clone(), request["tasks"].clone(),
                         json!({"strategy": strategy, "objective": objective}));
        prop_assert_eq!(answer, again);
    }
}

#[test]
fn the_typed_api_takes_the_objective() {
    let offers = vec![{
        let mut o = offerfit::Offer::new("o0", "a0", "h0");
        o.resources = offerfit::parse_resources("cpus:4;mem:4096", "*").unwrap();
        o
    }];
    let task = |id: &str, cpus: i64| {
        let mut t = offerfit::TaskRequest::new(id);
        t.cpus = offerfit::Scalar::from_units(cpus);
        t.mem = offerfit::Scalar::from_units(cpus * 1024);
        t
    };
    let req = PlaceRequest { offers, tasks: vec![task("big", 4), task("s1", 1), task("s2", 1)], running: vec![] };
    let plan = |objective| -> Plan<'_> {
        Engine::new(Options { objective, strategy: PlaceStrategy::Spread, ..Options::default() })
            .unwrap()
            .place(&req)
            .unwrap()
    };
    let by_tasks = plan(Objective::Tasks);
    assert_eq!((by_tasks.stats.placed, by_tasks.stats.objective, by_tasks.stats.objective_value), (2, "tasks", 2.0));
    let by_resources = plan(Objective::Resources);
    assert_eq!((by_resources.stats.placed, by_resources.stats.objective), (1, "resources"));
    assert_eq!(by_resources.stats.objective_value, 1.0);
}
