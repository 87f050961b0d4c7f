//! Issue 18: every call a real Mesos master accepts, every rule as Mesos and the drop-in
//! systems apply it. Each test reproduces one item of the issue with the answer it must give.

#[path = "common/answer.rs"]
mod answer;

use answer::{call, ok};
use serde_json::{json, Value as Json};

fn error(request: &Json) -> Json {
    let answer = call(request);
    assert_eq!(answer["ok"], false, "{answer}");
    answer["errors"][0].clone()
}

fn offer(id: &str, agent: &str, host: &str, resources: &str) -> Json {
    json!({"id": id, "agent_id": agent, "hostname": host, "resources": resources})
}

/// Offers of one agent allocated to two roles become two `ACCEPT` calls, each holding the
/// offers of one role and the tasks launched on them (validation.cpp,
/// `offer::validateAllocationRole`).
#[test]
fn one_accept_per_agent_and_allocation_role() {
    let mut a = offer("Oa", "S1", "h1", "cpus:2;mem:1024");
    a["allocation_info"] = json!({"role": "a"});
    let mut b = offer("Ob", "S1", "h1", "cpus:2;mem:1024");
    b["allocation_info"] = json!({"role": "b"});
    let answer = ok(&json!({
        "op": "place",
        "offers": [a, b],
        "tasks": [
            {"id": "ta", "cpus": 1, "role": "a"},
            {"id": "tb", "cpus": 1, "role": "b"}
        ],
        "options": {"roles": ["a", "b"], "framework_id": "F"}
    }));
    let accepts: Vec<(Json, Json)> = answer["accept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["offer_ids"].clone(),
                json!(x["tasks"].as_array().unwrap().iter().map(|t| t["task_id"].clone()).collect::<Vec<_>>()),
            )
        })
        .collect();
    assert_eq!(accepts, vec![(json!(["Oa"]), json!(["ta"])), (json!(["Ob"]), json!(["tb"]))]);
    let calls = answer["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    for (c, offer) in calls.iter().zip(["Oa", "Ob"]) {
        assert_eq!(c["type"], "ACCEPT");
        assert_eq!(c["accept"]["offer_ids"], json!([{"value": offer}]));
    }
    // A task of no role takes from one allocation role only.
    let mut a = offer("Oa", "S1", "h1", "cpus:1");
    a["allocation_info"] = json!({"role": "a"});
    let mut b = offer("Ob", "S1", "h1", "cpus:1");
    b["allocation_info"] = json!({"role": "b"});
    let answer = ok(&json!({"op": "place", "offers": [a, b], "tasks": [{"id": "t", "cpus": 2}]}));
    assert_eq!(answer["accept"], json!([]));
    assert_eq!(answer["unplaced"][0]["reasons"][0]["code"], "insufficient_cpus");
}

fn revocable_offer() -> Json {
    json!({"id": "O1", "agent_id": "S1", "hostname": "h1", "resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}, "revocable": {}},
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024}}
    ]})
}

fn cpus_taken(task: &Json) -> Vec<(f64, bool)> {
    task["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] == "cpus")
        .map(|r| (r["scalar"]["value"].as_f64().unwrap(), r.get("revocable").is_some()))
        .collect()
}

/// Revocable resources go only to tasks that allow them (default no), and a task never
/// mixes revocable and non-revocable resources of one name (validation.cpp,
/// `validateRevocableAndNonRevocableResources`).
#[test]
fn revocable_resources_only_for_revocable_tasks_and_never_mixed() {
    // Not allowed: 1 non-revocable cpu is all there is.
    let answer = ok(&json!({"op": "place", "offers": [revocable_offer()], "tasks": [{"id": "t", "cpus": 2}]}));
    assert_eq!(answer["unplaced"][0]["reasons"][0]["code"], "insufficient_cpus", "{answer}");
    let answer =
        ok(&json!({"op": "place", "offers": [revocable_offer()], "tasks": [{"id": "t", "cpus": 1, "mem": 1}]}));
    assert_eq!(cpus_taken(&answer["accept"][0]["tasks"][0]), vec![(1.0, false)]);
    // Allowed: 2 cpus come from the revocable ones only, never 1 + 1.
    let answer = ok(
        &json!({"op": "place", "offers": [revocable_offer()], "tasks": [{"id": "t", "cpus": 2, "revocable": true}]}),
    );
    assert_eq!(cpus_taken(&answer["accept"][0]["tasks"][0]), vec![(2.0, true)]);
    // 5 cpus would need both kinds: not placed.
    let answer = ok(
        &json!({"op": "place", "offers": [revocable_offer()], "tasks": [{"id": "t", "cpus": 5, "revocable": true}]}),
    );
    assert_eq!(answer["unplaced"][0]["reasons"][0]["code"], "insufficient_cpus", "{answer}");
}

/// Container port mappings with `host_port` 0 get the host ports the task was given for its
/// dynamic ports, in order, so the `LAUNCH` can be sent as it is.
#[test]
fn port_mappings_with_host_port_zero_get_the_assigned_ports() {
    let answer = ok(&json!({
        "op": "place",
        "offers": [offer("O1", "S1", "h1", "cpus:4;mem:1024;ports:[31000-31010]")],
        "tasks": [{"id": "t", "cpus": 1, "ports": [0, 31005, 0], "task_info": {"container": {
            "type": "DOCKER",
            "docker": {"image": "nginx", "network": "BRIDGE", "port_mappings": [
                {"host_port": 0, "container_port": 80},
                {"host_port": 31005, "container_port": 81}
            ]},
            "network_infos": [{"port_mappings": [{"container_port": 82}]}]
        }, "command": {"shell": false}}}],
        "options": {"framework_id": "F"}
    }));
    assert_eq!(answer["accept"][0]["tasks"][0]["ports"], json!([31000, 31005, 31001]));
    let info = &answer["calls"][0]["accept"]["operations"][0]["launch"]["task_infos"][0];
    assert_eq!(
        info["container"]["docker"]["port_mappings"],
        json!([{"host_port": 31000, "container_port": 80}, {"host_port": 31005, "container_port": 81}])
    );
    assert_eq!(
        info["container"]["network_infos"][0]["port_mappings"],
        json!([{"container_port": 82, "host_port": 31001}])
    );
}

/// Offered port numbers outside 1-65535 are never handed out as host ports.
#[test]
fn offered_ports_outside_the_port_numbers_are_never_handed_out() {
    let answer = ok(&json!({
        "op": "place",
        "offers": [offer("O1", "S1", "h1", "cpus:4;ports:[0-1, 65535-65600]")],
        "tasks": [{"id": "t", "cpus": 1, "ports": [0, 0, 0]}]
    }));
    assert_eq!(answer["unplaced"][0]["reasons"][0]["code"], "insufficient_ports", "{answer}");
    let answer = ok(&json!({
        "op": "place",
        "offers": [offer("O1", "S1", "h1", "cpus:4;ports:[0-1, 65535-65600]")],
        "tasks": [{"id": "t", "cpus": 1, "ports": [0, 0]}]
    }));
    assert_eq!(answer["accept"][0]["tasks"][0]["ports"], json!([1, 65535]), "{answer}");
}

/// A running task given without attributes takes its agent's when the agent is offered (by
/// `agent_id`, else hostname), so `rack UNIQUE` counts it; a running task needs an id.
#[test]
fn running_tasks_take_their_agents_attributes() {
    let offers = json!([
        {"id": "O1", "agent_id": "S1", "hostname": "h1", "resources": "cpus:4", "attributes": "rack:r1"},
        {"id": "O2", "agent_id": "S2", "hostname": "h2", "resources": "cpus:1", "attributes": "rack:r2"}
    ]);
    let task = json!({"id": "web-2", "group": "web", "cpus": 1, "constraints": ["rack UNIQUE"]});
    for running in [
        json!({"id": "web-1", "group": "web", "hostname": "elsewhere", "agent_id": "S1"}),
        json!({"id": "web-1", "group": "web", "hostname": "h1"}),
    ] {
        let answer = ok(
            &json!({"op": "place", "offers": offers, "tasks": [task], "running": [running], "options": {"strategy": "spread"}}),
        );
        assert_eq!(answer["accept"][0]["agent_id"], "S2", "{answer}");
    }
    // Attributes given win; an agent not offered leaves the task without any.
    let running = json!({"id": "web-1", "group": "web", "hostname": "h1", "attributes": "rack:r9"});
    let answer = ok(
        &json!({"op": "place", "offers": offers, "tasks": [task], "running": [running], "options": {"strategy": "spread"}}),
    );
    assert_eq!(answer["accept"][0]["agent_id"], "S1", "{answer}");
    let e = error(
        &json!({"op": "place", "offers": offers, "tasks": [task], "running": [{"id": "", "group": "web", "hostname": "h1"}]}),
    );
    assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("place.invalid_id"), Some("/running/0/id")));
    let e = error(
        &json!({"op": "place", "offers": offers, "tasks": [task], "running": [{"group": "web", "hostname": "h1"}]}),
    );
    assert_eq!(e["path"], "/running/0", "{e}");
}

/// A volume whose `size` is above its `max_size` is refused, not matched against nothing.
#[test]
fn volume_size_above_max_size_is_refused() {
    let e = error(&json!({"op": "place", "offers": [], "tasks": [
        {"id": "t", "cpus": 1, "volumes": [{"size": 100, "type": "MOUNT", "max_size": 50}]}]}));
    assert_eq!(e["code"], "place.invalid_volume");
    assert_eq!(e["path"], "/tasks/0/volumes/0/max_size");
    assert_eq!(e["message"], "expected a max_size of at least the size `100`, found `50`");
}

/// OpenWhisk: `place` takes the constraint delimiter (an option, and per task) and answers the
/// `warnings` for constraints the dialect ignores, as `parse_constraints` does.
#[test]
fn openwhisk_delimiter_and_warnings_in_place() {
    let offers = json!([
        {"id": "O1", "agent_id": "S1", "hostname": "h1", "resources": "cpus:4;mem:1024", "attributes": "att1:v1"},
        {"id": "O2", "agent_id": "S2", "hostname": "h2", "resources": "cpus:4;mem:1024", "attributes": "att1:v2"}
    ]);
    let task = |extra: Json| {
        let mut t =
            json!({"id": "t", "cpus": 1, "dialect": "openwhisk", "constraints": ["att1|LIKE|v2", "att1|GROUP_BY|x"]});
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        t
    };
    for (t, options) in [(task(json!({})), json!({"delimiter": "\\|"})), (task(json!({"delimiter": "\\|"})), json!({}))]
    {
        let answer = ok(&json!({"op": "place", "offers": offers, "tasks": [t], "options": options}));
        assert_eq!(answer["accept"][0]["agent_id"], "S2", "{answer}");
        let w = &answer["warnings"];
        assert_eq!(w.as_array().map(Vec::len), Some(1), "{answer}");
        assert_eq!(w[0]["code"], "constraint.ignored");
        assert_eq!(w[0]["path"], "/tasks/0/constraints/1");
        let lint = ok(&json!({"op": "parse_constraints", "dialect": "openwhisk", "delimiter": "\\|",
            "constraints": ["att1|LIKE|v2", "att1|GROUP_BY|x"]}));
        assert_eq!(w[0]["message"], lint["warnings"][0]["message"]);
    }
    // A bad task delimiter is refused at the task.
    let e = error(&json!({"op": "place", "offers": offers, "tasks": [task(json!({"delimiter": "("}))]}));
    assert_eq!((e["code"].as_str(), e["path"].as_str()), (Some("constraint.delimiter"), Some("/tasks/0/delimiter")));
    // No warnings field when there are none (answers stay as they were).
    let answer = ok(&json!({"op": "place", "offers": offers, "tasks": [{"id": "t", "cpus": 1}]}));
    assert!(answer.get("warnings").is_none());
}

/// A SHARED persistent volume (Mesos `Resource.shared`) is not consumed by the task that uses
/// it: several tasks of one call use it on its agent, each `LAUNCH` naming it, and the
/// `remaining` still holds it (a master adds a shared resource back for every further task
/// of the `ACCEPT` that uses it: `Master::_accept`; validation.cpp lets shared resources be
/// used by several tasks). A volume that is not SHARED still goes to one task, and the second
/// is told which task took it.
#[test]
fn a_shared_volume_serves_several_tasks_and_a_plain_one_is_explained() {
    let volume = |shared: bool| {
        let mut v = json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 100},
            "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "p"}],
            "disk": {"persistence": {"id": "data"}, "volume": {"container_path": "data", "mode": "RW"}}});
        if shared {
            v["shared"] = json!({});
        }
        v
    };
    let request = |shared: bool| {
        json!({"op": "place", "offers": [{"id": "O1", "agent_id": "S1", "hostname": "h1",
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}}, volume(shared)]}],
        "tasks": [
            {"id": "t1", "cpus": 1, "role": "web", "volumes": [{"size": 100, "persistence_id": "data"}]},
            {"id": "t2", "cpus": 1, "role": "web", "volumes": [{"size": 100, "persistence_id": "data"}]}
        ], "options": {"framework_id": "F1"}})
    };
    let answer = ok(&request(true));
    let tasks = answer["accept"][0]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{answer}");
    for t in tasks {
        let disk: Vec<&Json> = t["resources"].as_array().unwrap().iter().filter(|r| r["name"] == "disk").collect();
        assert_eq!(disk.len(), 1, "{t}");
        assert_eq!(disk[0]["shared"], json!({}));
        assert_eq!(disk[0]["disk"]["persistence"]["id"], "data");
    }
    let remaining = answer["accept"][0]["remaining"].as_array().unwrap();
    assert!(remaining.iter().any(|r| r["name"] == "disk" && r["shared"] == json!({})), "{answer}");
    assert!(answer["unplaced"].as_array().unwrap().is_empty());
    let answer = ok(&request(false));
    assert_eq!(answer["accept"][0]["tasks"][0]["task_id"], "t1");
    assert_eq!(
        answer["unplaced"][0]["reasons"][0]["message"],
        "the task's persistent volume `data` is already taken by task `t1` in this call (a persistent volume that \
         is not SHARED goes to one task)"
    );
}
