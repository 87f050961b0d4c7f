//! Mesos' master validation of the scheduler calls `place` writes, ported as a test helper
//! from apache/mesos `src/master/validation.cpp` (and `src/common/validation.cpp` for ids):
//! every rule a placement can break, each citing the function it comes from. A test gives
//! the request (for the offers as the master made them) and the answer's `calls`; the helper
//! answers every rule broken, as text.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};

/// `validateID` (src/common/validation.cpp): not empty, at most 255 bytes, not `.` / `..`,
/// no control character, `/` or `\`.
pub fn id_error(id: &str) -> Option<String> {
    if id.is_empty() || id.len() > 255 || id == "." || id == ".." {
        return Some(format!("validateID: bad id `{id}`"));
    }
    if id.bytes().any(|c| c < b' ' || c == 0x7f || c == b'/' || c == b'\\') {
        return Some(format!("validateID: `{id}` contains invalid characters"));
    }
    None
}

fn value(id: &Json) -> &str {
    id.get("value").and_then(Json::as_str).or_else(|| id.as_str()).unwrap_or("")
}

fn offers_of(request: &Json) -> Vec<Json> {
    let o = &request["offers"];
    let list = o.as_array().or_else(|| o["offers"]["offers"].as_array()).or_else(|| o["offers"].as_array());
    list.cloned().unwrap_or_default()
}

fn offer_role(o: &Json) -> Option<String> {
    let r = o.get("allocation_info").or_else(|| o.get("allocationInfo")).and_then(|a| a["role"].as_str());
    r.map(str::to_owned).or_else(|| {
        o["resources"].as_array().and_then(|rs| {
            rs.iter().find_map(|r| r.get("allocation_info").and_then(|a| a["role"].as_str()).map(str::to_owned))
        })
    })
}

/// The offer's resources as Mesos JSON (text resources parsed by offerfit's own op).
fn resources_json(r: &Json) -> Vec<Json> {
    match r {
        Json::String(text) => {
            let answer: Json =
                serde_json::from_str(&offerfit::call(&json!({"op": "parse_resources", "text": text}).to_string()))
                    .unwrap_or(Json::Null);
            answer["resources"].as_array().cloned().unwrap_or_default()
        }
        Json::Array(list) => list.clone(),
        _ => Vec::new(),
    }
}

fn contains(left: &[Json], right: &[Json]) -> bool {
    // The master copies an offer's allocation role onto its resources; compared without it.
    let strip = |list: &[Json]| -> Vec<Json> {
        list.iter()
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut().map(|m| m.remove("allocation_info"));
                r
            })
            .collect()
    };
    let (left, right) = (strip(left), strip(right));
    let req = json!({"op": "resource_math", "operation": "contains", "left": left, "right": right});
    let answer: Json = serde_json::from_str(&offerfit::call(&req.to_string())).unwrap_or(Json::Null);
    answer["result"] == true
}

/// Every rule of the master's validation the `calls` of one `place` answer break.
pub fn validate_calls(request: &Json, calls: &[Json]) -> Vec<String> {
    let mut errors = Vec::new();
    let offers: BTreeMap<String, Json> =
        offers_of(request).into_iter().map(|o| (value(o.get("id").unwrap_or(&Json::Null)).to_owned(), o)).collect();
    let mut answered: BTreeSet<String> = BTreeSet::new();
    let mut task_ids: BTreeSet<String> = BTreeSet::new();
    for (ci, call) in calls.iter().enumerate() {
        let mut err = |m: String| errors.push(format!("call {ci}: {m}"));
        let kind = call["type"].as_str().unwrap_or("");
        let body = match kind {
            "ACCEPT" => &call["accept"],
            "DECLINE" => &call["decline"],
            other => {
                err(format!("unexpected call type `{other}`"));
                continue;
            }
        };
        // scheduler::call::validate: a call carries the framework id.
        if value(&call["framework_id"]).is_empty() {
            err("scheduler::call::validate: no framework_id".into());
        }
        let ids: Vec<String> =
            body["offer_ids"].as_array().map(|l| l.iter().map(|i| value(i).to_owned()).collect()).unwrap_or_default();
        // offer::validateUniqueOfferID: no offer id twice in one call.
        if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
            err("offer::validateUniqueOfferID: an offer id twice".into());
        }
        for id in &ids {
            // offer::validateOfferIds: every offer is outstanding (and answered once here).
            if !offers.contains_key(id) {
                err(format!("offer::validateOfferIds: unknown offer `{id}`"));
            }
            if !answered.insert(id.clone()) {
                err(format!("offer `{id}` answered by two calls"));
            }
        }
        if kind != "ACCEPT" {
            continue;
        }
        let mine: Vec<&Json> = ids.iter().filter_map(|i| offers.get(i)).collect();
        // offer::validateSlave: "Aggregated offers must belong to one single agent".
        let agents: BTreeSet<&str> = mine
            .iter()
            .map(|o| value(o.get("agent_id").or_else(|| o.get("slave_id")).unwrap_or(&Json::Null)))
            .collect();
        if agents.len() > 1 {
            err(format!("offer::validateSlave: offers of agents {agents:?}"));
        }
        // offer::validateAllocationRole: "Aggregated offers must be allocated to the same role".
        let roles: BTreeSet<Option<String>> = mine.iter().map(|o| offer_role(o)).collect();
        if roles.len() > 1 {
            err(format!("offer::validateAllocationRole: offers of roles {roles:?}"));
        }
        let agent = agents.iter().next().copied().unwrap_or("");
        let offered: Vec<Json> = mine.iter().flat_map(|o| resources_json(&o["resources"])).collect();
        let mut used: Vec<Json> = Vec::new();
        let mut created: BTreeSet<String> = BTreeSet::new();
        let mut executors: BTreeMap<String, Json> = BTreeMap::new();
        for op in body["operations"].as_array().cloned().unwrap_or_default() {
            match op["type"].as_str() {
                Some("RESERVE") | Some("CREATE") => {
                    for v in op["create"]["volumes"].as_array().cloned().unwrap_or_default() {
                        created.insert(v["disk"]["persistence"]["id"].as_str().unwrap_or("").to_owned());
                    }
                }
                Some("LAUNCH") => {
                    for t in op["launch"]["task_infos"].as_array().cloned().unwrap_or_default() {
                        let id = value(&t["task_id"]).to_owned();
                        // task::internal::validateTaskID (validateID).
                        if let Some(e) = id_error(&id) {
                            err(format!("task::validateTaskID: {e}"));
                        }
                        // task::internal::validateUniqueTaskID.
                        if !task_ids.insert(id.clone()) {
                            err(format!("task::validateUniqueTaskID: `{id}` launched twice"));
                        }
                        // task::internal::validateSlaveID: the task's agent is the offers'.
                        if value(&t["agent_id"]) != agent {
                            err(format!("task::validateSlaveID: `{id}` names agent `{}`", value(&t["agent_id"])));
                        }
                        let res = t["resources"].as_array().cloned().unwrap_or_default();
                        // task::internal::validateResources: "Task uses no resources".
                        if res.is_empty() {
                            err(format!("task::validateResources: `{id}` uses no resources"));
                        }
                        let mut all = res.clone();
                        if let Some(ex) = t.get("executor") {
                            let eid = value(&ex["executor_id"]).to_owned();
                            // executor::internal::validateExecutorID (validateID).
                            if let Some(e) = id_error(&eid) {
                                err(format!("executor::validateExecutorID: {e}"));
                            }
                            // executor::internal::validateCompatibleExecutorInfo: one executor
                            // id, one ExecutorInfo on an agent (its resources once).
                            let mut def = ex.clone();
                            def.as_object_mut().map(|m| m.remove("resources"));
                            if let Some(prev) = executors.get(&eid) {
                                if *prev != def {
                                    err(format!("executor::validateCompatibleExecutorInfo: `{eid}` redefined"));
                                }
                            } else {
                                executors.insert(eid, def);
                                let er = ex["resources"].as_array().cloned().unwrap_or_default();
                                all.extend(er.iter().cloned());
                                used.extend(er);
                            }
                        }
                        // resource::validateAllocatedToSingleRole (task resources).
                        let alloc: BTreeSet<Option<&str>> =
                            res.iter().map(|r| r.get("allocation_info").and_then(|a| a["role"].as_str())).collect();
                        if alloc.len() > 1 {
                            err(format!("resource::validateAllocatedToSingleRole: `{id}` has roles {alloc:?}"));
                        }
                        // resource::validateRevocableAndNonRevocableResources, on the task and its
                        // executor together (validateTaskAndExecutorResources).
                        let mut kinds: BTreeMap<&str, BTreeSet<bool>> = BTreeMap::new();
                        for r in &all {
                            kinds
                                .entry(r["name"].as_str().unwrap_or(""))
                                .or_default()
                                .insert(r.get("revocable").is_some());
                        }
                        if let Some((name, _)) = kinds.iter().find(|(_, k)| k.len() > 1) {
                            err(format!("validateRevocableAndNonRevocableResources: `{id}` mixes `{name}`"));
                        }
                        // The agent's port mapping (Docker bridge / CNI port mapper) maps the host
                        // ports written in the TaskInfo: each must be a port the task holds.
                        let ports: Vec<(u64, u64)> = res
                            .iter()
                            .filter(|r| r["name"] == "ports")
                            .flat_map(|r| r["ranges"]["range"].as_array().cloned().unwrap_or_default())
                            .map(|x| (x["begin"].as_u64().unwrap_or(0), x["end"].as_u64().unwrap_or(0)))
                            .collect();
                        let c = &t["container"];
                        let mut maps: Vec<Json> = c["docker"]["port_mappings"].as_array().cloned().unwrap_or_default();
                        for n in c["network_infos"].as_array().cloned().unwrap_or_default() {
                            maps.extend(n["port_mappings"].as_array().cloned().unwrap_or_default());
                        }
                        for m in maps {
                            let hp = m["host_port"].as_u64().unwrap_or(0);
                            if !ports.iter().any(|(b, e)| *b <= hp && hp <= *e) {
                                err(format!("port mapping: `{id}` maps host port {hp} it does not hold"));
                            }
                        }
                        for r in &ports {
                            if r.0 == 0 || r.1 > 65_535 {
                                err(format!("`{id}` holds port numbers outside 1-65535: {r:?}"));
                            }
                        }
                        used.extend(res);
                    }
                }
                other => err(format!("unexpected operation {other:?}")),
            }
        }
        // Operation validation (`validate(Launch)` through the master's accept): what the
        // tasks and executors use is contained in what the offers hold (volumes created in
        // this call are checked by the CREATE, not here).
        // A shared resource used by several tasks counts once: the master adds it back to the
        // offered pool for each further task that uses it (`Master::_accept`: "shared
        // resources can be used by multiple tasks").
        let mut used: Vec<Json> = used
            .into_iter()
            .filter(|r| !created.contains(r["disk"]["persistence"]["id"].as_str().unwrap_or("\u{0}")))
            .collect();
        let mut shared_seen: Vec<Json> = Vec::new();
        used.retain(|r| {
            if r.get("shared").is_none() {
                return true;
            }
            let fresh = !shared_seen.contains(r);
            if fresh {
                shared_seen.push(r.clone());
            }
            fresh
        });
        if !contains(&offered, &used) {
            err(format!("launch: the tasks use more than the offers hold on `{agent}`"));
        }
    }
    errors
}
