//! Issue 18, item 3: the `marathon` profile matches offer by offer as Marathon's
//! `OfferMatcherManagerActor` does (mesosphere/marathon 1.10): offers one at a time, never an
//! agent's offers pooled, no agent scored, at most `max_instances_per_offer` (default 5)
//! launches per offer, the matchers (one per task group) taking turns on what is left of it.
//! Cases restated from Marathon's `OfferMatcherManagerModuleTest` say so.

#[path = "common/answer.rs"]
mod answer;

use answer::{call, ok};
use serde_json::{json, Value as Json};

fn offer(id: &str, agent: &str, resources: &str) -> Json {
    json!({"id": id, "agent_id": agent, "hostname": format!("host-{agent}"), "resources": resources})
}

fn task(id: &str, group: &str, cpus: f64) -> Json {
    json!({"id": id, "group": group, "cpus": cpus, "mem": 16})
}

fn place(offers: Json, tasks: Json, options: Json) -> Json {
    let mut options = options;
    options["profile"] = json!("marathon");
    ok(&json!({"op": "place", "offers": offers, "tasks": tasks, "options": options}))
}

/// Per accept: its offer ids and the ids of the tasks launched on them.
fn launched(answer: &Json) -> Vec<(Vec<String>, Vec<String>)> {
    let strings = |v: &Json| v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect::<Vec<_>>();
    answer["accept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let tasks = a["tasks"].as_array().unwrap().iter().map(|t| t["task_id"].as_str().unwrap().to_owned());
            (strings(&a["offer_ids"]), tasks.collect())
        })
        .collect()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The first offer that holds the task gets it: Marathon scores no agent (under `binpack` the
/// fuller second offer would win).
#[test]
fn the_first_offer_that_matches_wins_whatever_the_strategy() {
    let offers = json!([offer("O1", "S1", "cpus:8;mem:8192"), offer("O2", "S2", "cpus:1;mem:512")]);
    for strategy in ["binpack", "spread"] {
        let answer = place(offers.clone(), json!([task("t", "t", 1.0)]), json!({"strategy": strategy}));
        assert_eq!(launched(&answer), [(ids(&["O1"]), ids(&["t"]))], "{strategy}");
        assert_eq!(answer["decline"][0]["offer_id"], "O2");
    }
}

/// Two offers of one agent are matched apart: a task that needs both is not placed, and an
/// accept never holds two offers.
#[test]
fn an_agents_offers_are_never_pooled() {
    let offers = json!([offer("O1", "S1", "cpus:1;mem:512"), offer("O2", "S1", "cpus:1;mem:512")]);
    let answer = place(offers.clone(), json!([task("big", "big", 2.0)]), json!({}));
    assert_eq!(answer["accept"], json!([]));
    assert_eq!(answer["unplaced"][0]["task_id"], "big");
    assert_eq!(answer["unplaced"][0]["reasons"][0]["code"], "insufficient_cpus");
    assert_eq!(answer["unplaced"][0]["reasons"][0]["offers"], 2);
    // Two small tasks: one per offer, each accept with its own offer.
    let answer = place(offers, json!([task("a", "app", 1.0), task("b", "app", 1.0)]), json!({}));
    assert_eq!(launched(&answer), [(ids(&["O1"]), ids(&["a"])), (ids(&["O2"]), ids(&["b"]))]);
}

/// At most `max_instances_per_offer` launches on one offer (default 5): the rest go to the
/// next offer, or are left with `instance_limit` when no other offer matches.
#[test]
fn at_most_max_instances_per_offer_launches_on_one_offer() {
    let tasks: Vec<Json> = (0..7).map(|i| task(&format!("t{i}"), "app", 1.0)).collect();
    let one = json!([offer("O1", "S1", "cpus:10;mem:1024")]);
    let answer = place(one.clone(), json!(tasks), json!({}));
    assert_eq!(launched(&answer), [(ids(&["O1"]), ids(&["t0", "t1", "t2", "t3", "t4"]))]);
    let left: Vec<&str> =
        answer["unplaced"].as_array().unwrap().iter().map(|u| u["task_id"].as_str().unwrap()).collect();
    assert_eq!(left, ["t5", "t6"]);
    assert_eq!(
        answer["unplaced"][0]["reasons"],
        json!([{"code": "instance_limit", "offers": 1, "message":
            "the offer already carries 5 launches, the most `max_instances_per_offer` allows (Marathon's `--max_instances_per_offer`)"}])
    );
    // What the limit left of the offer is still the accept's `remaining`.
    assert_eq!(answer["accept"][0]["remaining"][0]["scalar"]["value"], 5.0);
    // A second offer takes the rest.
    let two = json!([offer("O1", "S1", "cpus:10;mem:1024"), offer("O2", "S2", "cpus:10;mem:1024")]);
    let answer = place(two, json!(tasks), json!({}));
    assert_eq!(
        launched(&answer),
        [(ids(&["O1"]), ids(&["t0", "t1", "t2", "t3", "t4"])), (ids(&["O2"]), ids(&["t5", "t6"]))]
    );
    // The option raises or lowers the limit.
    let answer = place(one.clone(), json!(tasks), json!({"max_instances_per_offer": 7}));
    assert_eq!(answer["stats"]["placed"], 7);
    let answer = place(one.clone(), json!(tasks), json!({"max_instances_per_offer": 1}));
    assert_eq!(launched(&answer), [(ids(&["O1"]), ids(&["t0"]))]);
    // 0 would launch nothing ever: refused.
    let bad = call(&json!({"op": "place", "offers": one, "tasks": tasks,
        "options": {"profile": "marathon", "max_instances_per_offer": 0}}));
    assert_eq!(bad["errors"][0]["code"], "options.invalid");
    assert_eq!(bad["errors"][0]["path"], "/options/max_instances_per_offer");
}

/// Marathon's `OfferMatcherManagerModuleTest` "single offer is passed to multiple matchers
/// repeatedly": two matchers that always match, an offer of 4 cpus, 1-cpu tasks: each matcher
/// gets the offer twice in turn (two launches each), whatever their random order.
#[test]
fn matchers_take_turns_on_one_offer() {
    let tasks = json!([
        task("a1", "a", 1.0),
        task("a2", "a", 1.0),
        task("a3", "a", 1.0),
        task("b1", "b", 1.0),
        task("b2", "b", 1.0),
        task("b3", "b", 1.0)
    ]);
    for seed in 0..8 {
        let answer = place(json!([offer("O1", "S1", "cpus:4;mem:1024")]), tasks.clone(), json!({"seed": seed}));
        let mut got = launched(&answer)[0].1.clone();
        got.sort();
        assert_eq!(got, ids(&["a1", "a2", "b1", "b2"]), "seed {seed}");
        // Turns alternate between the groups.
        let order = &launched(&answer)[0].1;
        let groups: Vec<char> = order.iter().map(|t| t.chars().next().unwrap()).collect();
        assert!(groups.windows(2).all(|w| w[0] != w[1]), "seed {seed}: {order:?}");
    }
}

/// `OfferMatcherManagerModuleTest` "single offer is passed to multiple matchers": an offer of
/// 2 cpus, two matchers of one 1-cpu task each: both launched on it.
#[test]
fn one_offer_serves_several_matchers() {
    let answer = place(
        json!([offer("O1", "S1", "cpus:2;mem:1024")]),
        json!([task("t1", "app1", 1.0), task("t2", "app2", 1.0)]),
        json!({}),
    );
    let mut got = launched(&answer)[0].1.clone();
    got.sort();
    assert_eq!(got, ids(&["t1", "t2"]));
}

/// The matchers' order is drawn from the seed and the offer's id, not from where the offer
/// stands in the request: under `tie_break: agent_id` permuted offers give the same plan.
#[test]
fn the_matcher_order_does_not_depend_on_the_offer_order() {
    let o = [
        offer("O1", "S1", "cpus:1;mem:1024"),
        offer("O2", "S2", "cpus:1;mem:1024"),
        offer("O3", "S3", "cpus:1;mem:1024"),
    ];
    let tasks = json!([task("x", "x", 1.0), task("y", "y", 1.0), task("z", "z", 1.0)]);
    let opts = json!({"tie_break": "agent_id", "seed": 7});
    let a = place(json!([o[0], o[1], o[2]]), tasks.clone(), opts.clone());
    let b = place(json!([o[2], o[0], o[1]]), tasks, opts);
    assert_eq!(a, b);
}

/// A gang is a pod under Marathon: all its members on one offer, counted as one instance.
#[test]
fn a_gang_is_placed_on_one_offer() {
    let gang = |id: &str| json!({"id": id, "gang": "pod", "cpus": 1, "mem": 16});
    let small = json!([offer("O1", "S1", "cpus:1;mem:512"), offer("O2", "S2", "cpus:1;mem:512")]);
    let answer = place(small, json!([gang("p1"), gang("p2")]), json!({}));
    assert_eq!(answer["accept"], json!([]));
    assert_eq!(answer["unplaced"][0]["reasons"][0]["code"], "gang");
    let big = json!([offer("O1", "S1", "cpus:1;mem:512"), offer("O2", "S2", "cpus:2;mem:512")]);
    let answer = place(big, json!([gang("p1"), gang("p2")]), json!({"max_instances_per_offer": 1}));
    assert_eq!(launched(&answer), [(ids(&["O2"]), ids(&["p1", "p2"]))]);
}

/// The matcher of a group waiting for a persistent volume this offer carries sees it first
/// (`offerMatchers`: reserved matchers before the others).
#[test]
fn a_matcher_waiting_for_the_offers_volume_goes_first() {
    let offers = json!([{"id": "O1", "agent_id": "S1", "hostname": "h1", "resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 512}},
        {"name": "disk", "type": "SCALAR", "scalar": {"value": 100},
         "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "p"}],
         "disk": {"persistence": {"id": "data"}, "volume": {"container_path": "data", "mode": "RW"}}}]}]);
    for seed in 0..8 {
        let tasks = json!([
            {"id": "other", "cpus": 1, "mem": 16},
            {"id": "db", "cpus": 1, "mem": 16, "role": "web", "volumes": [{"size": 100, "persistence_id": "data"}]}
        ]);
        let answer = place(offers.clone(), tasks, json!({"seed": seed, "roles": ["web"]}));
        assert_eq!(launched(&answer), [(ids(&["O1"]), ids(&["db"]))], "seed {seed}");
    }
}
