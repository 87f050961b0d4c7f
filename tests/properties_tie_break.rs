//! `tie_break: "agent_id"`: the plan does not depend on the order of offers or of running
//! tasks in the request. Random requests (agents with one or two offers, racks, ports,
//! constraints that count placements, running tasks with and without attributes, every
//! profile and strategy) are answered, then answered again with their offers and running
//! tasks shuffled: the answers must be byte-identical.
//!
//! Cases: 256 by default; `PROPTEST_CASES=10000 cargo test -p offerfit --test
//! properties_tie_break` runs the 10^4 (about a minute on a debug build).

use proptest::prelude::*;
use serde_json::{json, Value as Json};

#[derive(Debug, Clone)]
struct Agent {
    cpus: u8,
    mem: u8,
    rack: u8,
    offers: u8,
    ports: bool,
}

#[derive(Debug, Clone)]
struct Task {
    cpus: u8,
    mem: u8,
    ports: u8,
    rule: u8,
    group: u8,
}

#[derive(Debug, Clone)]
struct Running {
    agent: u8,
    group: u8,
    with_attributes: bool,
}

fn agent() -> impl Strategy<Value = Agent> {
    (1u8..5, 1u8..5, 0u8..3, 1u8..3, any::<bool>()).prop_map(|(cpus, mem, rack, offers, ports)| Agent {
        cpus,
        mem,
        rack,
        offers,
        ports,
    })
}

fn task() -> impl Strategy<Value = Task> {
    (1u8..4, 0u8..3, 0u8..3, 0u8..5, 0u8..3).prop_map(|(cpus, mem, ports, rule, group)| Task {
        cpus,
        mem,
        ports,
        rule,
        group,
    })
}

fn running() -> impl Strategy<Value = Running> {
    (0u8..8, 0u8..3, any::<bool>()).prop_map(|(agent, group, with_attributes)| Running {
        agent,
        group,
        with_attributes,
    })
}

fn request(agents: &[Agent], tasks: &[Task], running: &[Running], options: &Json) -> Json {
    let mut offers = Vec::new();
    for (i, a) in agents.iter().enumerate() {
        for k in 0..a.offers {
            let mut res = format!("cpus:{};mem:{}", f64::from(a.cpus) / f64::from(a.offers), u32::from(a.mem) * 256);
            if a.ports && k == 0 {
                res.push_str(";ports:[31000-31003]");
            }
            offers.push(json!({
                "id": format!("O{i}-{k}"),
                "agent_id": format!("S{}", (i * 7) % agents.len().max(1) + i * 10),
                "hostname": format!("host-{i}"),
                "resources": res,
                "attributes": format!("rack:r{}", a.rack)
            }));
        }
    }
    let tasks: Vec<Json> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let constraints = match t.rule {
                0 => json!([]),
                1 => json!(["hostname UNIQUE"]),
                2 => json!(["rack GROUP_BY"]),
                3 => json!(["rack MAX_PER 1"]),
                _ => json!(["rack UNIQUE"]),
            };
            json!({
                "id": format!("t{i}"),
                "group": format!("g{}", t.group),
                "cpus": f64::from(t.cpus) / 2.0,
                "mem": u32::from(t.mem) * 128,
                "ports": vec![0; t.ports as usize],
                "constraints": constraints
            })
        })
        .collect();
    let running: Vec<Json> = running
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = r.agent as usize % agents.len().max(1);
            let mut x =
                json!({"id": format!("r{i}"), "group": format!("g{}", r.group), "hostname": format!("host-{a}")});
            if r.with_attributes {
                x["attributes"] = json!(format!("rack:r{}", agents.get(a).map_or(0, |a| a.rack)));
            }
            x
        })
        .collect();
    json!({"op": "place", "offers": offers, "tasks": tasks, "running": running, "options": options})
}

fn options() -> impl Strategy<Value = Json> {
    (0u8..3, 0u8..3, any::<bool>(), any::<u8>()).prop_map(|(profile, strategy, random, seed)| {
        let profile_name = ["offerfit", "marathon", "mesos-actor"][profile as usize];
        let strategy_name = ["binpack", "spread", "first_fit"][strategy as usize];
        let mut o = json!({
            "tie_break": "agent_id",
            "profile": profile_name,
            "strategy": strategy_name,
            "port_selection": if random { "random" } else { "lowest" },
            "seed": seed,
            "framework_id": "F"
        });
        if profile == 2 {
            // mesos-actor reads no strategy.
            o.as_object_mut().map(|m| m.remove("strategy"));
        }
        o
    })
}

/// A permutation of `n` items from `seed` (Fisher-Yates over a splitmix sequence).
fn permutation(n: usize, mut seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        p.swap(i, (z % (i as u64 + 1)) as usize);
    }
    p
}

fn shuffled(list: &Json, seed: u64) -> Json {
    let items = list.as_array().cloned().unwrap_or_default();
    Json::Array(permutation(items.len(), seed).into_iter().filter_map(|i| items.get(i).cloned()).collect())
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plans_do_not_depend_on_the_order_of_offers_and_running_tasks(
        agents in prop::collection::vec(agent(), 1..7),
        tasks in prop::collection::vec(task(), 1..7),
        running in prop::collection::vec(running(), 0..5),
        options in options(),
        seed in any::<u64>(),
    ) {
        let req = request(&agents, &tasks, &running, &options);
        let first = offerfit::call(&req.to_string());
        prop_assert!(first.starts_with("{\"ok\":true"), "{}", first);
        let mut other = req.clone();
        other["offers"] = shuffled(&req["offers"], seed);
        other["running"] = shuffled(&req["running"], seed ^ 0x5555);
        let second = offerfit::call(&other.to_string());
        prop_assert_eq!(first, second);
    }
}

/// The default (`tie_break: "request"`) keeps the request's order: the same request with its
/// offers reversed may decide differently, here the first-fit agent.
#[test]
fn the_default_follows_the_request_order() {
    let offers = json!([
        {"id": "O1", "agent_id": "S2", "hostname": "h2", "resources": "cpus:2"},
        {"id": "O2", "agent_id": "S1", "hostname": "h1", "resources": "cpus:2"}
    ]);
    let place = |offers: &Json, tie: &str| {
        let req = json!({"op": "place", "offers": offers, "tasks": [{"id": "t", "cpus": 1}],
            "options": {"strategy": "first_fit", "tie_break": tie}});
        let answer: Json = serde_json::from_str(&offerfit::call(&req.to_string())).unwrap();
        answer["accept"][0]["agent_id"].as_str().unwrap().to_owned()
    };
    let reversed = shuffled(&offers, 0);
    let reversed = if reversed == offers {
        Json::Array(offers.as_array().unwrap().iter().rev().cloned().collect())
    } else {
        reversed
    };
    assert_eq!(place(&offers, "request"), "S2");
    assert_eq!(place(&reversed, "request"), "S1");
    assert_eq!(place(&offers, "agent_id"), "S1");
    assert_eq!(place(&reversed, "agent_id"), "S1");
}
