//! The scheduler under test, seen by the simulator only through the session contract (docs/contract.md, part 3): one
//! input JSON line in, one output JSON line out ([`Scheduler::step`]). The shipped path, and
//! the default, is the real [`offerfit::Session`] ([`Kind::Session`]). Two benchmark aids stay,
//! hidden behind `--scheduler` and never to plan with: [`GreedyBench`] (measures the simulator
//! alone) and [`PlaceStandIn`] (the adapter over the stateless `place` op that stood in for
//! the session before it landed; kept to compare against).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value as Json};

use super::master::is_terminal;

/// A framework scheduler driven by session inputs (docs/contract.md, part 3).
pub trait Scheduler {
    /// One input (`{"now", "connect" | "event" | "submit" | "kill" | "tick"}`) as JSON text;
    /// the answer `{"ok", "calls", "notices", "wake_at"}` as JSON text.
    fn step(&mut self, input: &str) -> String;
}

/// Which scheduler the simulator drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The real `offerfit::Session`: the shipped path and the default.
    Session,
    /// A benchmark aid: the old stand-in over the stateless `place` op (`--scheduler
    /// place-stand-in`), kept to compare the session against; not the shipped path.
    PlaceStandIn,
    /// A benchmark aid, not a scheduler to plan with: holds every offer and launches each task
    /// on the first held offer with enough cpus and mem (no constraints, no ports), so that a
    /// run measures the simulator (master, host loop, JSON text) rather than a scheduler.
    GreedyBench,
}

/// Makes a scheduler of `kind` from a session config.
///
/// # Errors
/// The scheduler's refusal of the config, as text.
pub fn make(kind: Kind, config: &Json) -> Result<Box<dyn Scheduler>, String> {
    match kind {
        Kind::Session => match offerfit::Session::from_json(&config.to_string()) {
            Ok(s) => Ok(Box::new(s)),
            Err(errors) => Err(offerfit::session::Refused { errors }.to_json_text()),
        },
        Kind::PlaceStandIn => Ok(Box::new(PlaceStandIn::new(config))),
        Kind::GreedyBench => Ok(Box::new(GreedyBench::new(config))),
    }
}

/// The real session speaks the session contract natively.
impl Scheduler for offerfit::Session {
    fn step(&mut self, input: &str) -> String {
        self.step_json(input)
    }
}

/// BENCHMARK AID, not the shipped path: a minimal session over the stateless `place` op that
/// stood in for `offerfit::Session` before it landed (`--scheduler place-stand-in`). It subscribes, places pending tasks on each
/// OFFERS event (declining the rest: `refuse_seconds` while work is pending, else
/// `idle_refuse_seconds`), suppresses when nothing is pending, revives on new work,
/// acknowledges every update with a uuid, and counts launched tasks for constraints.
#[derive(Debug)]
pub struct PlaceStandIn {
    framework: Json,
    options: Json,
    idle_refuse: f64,
    framework_id: Option<String>,
    pending: Vec<Json>,
    /// Launched and not terminal: the running-task shape `place` counts for constraints.
    live: BTreeMap<String, (Json, Json)>,
    suppressed: bool,
    unplaced: HashMap<String, Json>,
    /// Declines were sent since the last REVIVE (agents are filtered).
    declined: bool,
    revive_min: f64,
    last_revive: Option<f64>,
    revive_due: Option<f64>,
    now: f64,
}

impl PlaceStandIn {
    /// A stand-in for this session config.
    pub fn new(config: &Json) -> PlaceStandIn {
        let options = config.get("options").cloned().unwrap_or_else(|| json!({}));
        let idle_refuse = config.pointer("/session/idle_refuse_seconds").and_then(Json::as_f64).unwrap_or(3600.0);
        let revive_min = config.pointer("/session/revive_min_interval").and_then(Json::as_f64).unwrap_or(5.0);
        // The config names capabilities (`"PARTITION_AWARE"`); a FrameworkInfo holds them as
        // `{"type": …}` objects.
        let mut framework = config.get("framework").cloned().unwrap_or_else(|| json!({}));
        if let Some(caps) = framework.get_mut("capabilities").and_then(Json::as_array_mut) {
            for c in caps.iter_mut() {
                if let Some(name) = c.as_str() {
                    *c = json!({ "type": name });
                }
            }
        }
        PlaceStandIn {
            framework,
            options,
            idle_refuse,
            framework_id: None,
            pending: Vec::new(),
            live: BTreeMap::new(),
            suppressed: false,
            unplaced: HashMap::new(),
            declined: false,
            revive_min,
            last_revive: None,
            revive_due: None,
            now: 0.0,
        }
    }

    fn fid(&self) -> Json {
        json!({ "value": self.framework_id.clone().unwrap_or_default() })
    }

    fn offers(&mut self, offers: &[Json], calls: &mut Vec<Json>, notices: &mut Vec<Json>) {
        let running: Vec<Json> = self.live.values().map(|(r, _)| r.clone()).collect();
        let mut options = self.options.clone();
        options["framework_id"] = json!(self.framework_id.clone().unwrap_or_default());
        // `place` has no clock: the maintenance rule (`drain_seconds`) needs the time; the
        // roles are the framework's (a session config may not set `options.roles`).
        options["now"] = json!(self.now);
        options["roles"] = self.framework.get("roles").cloned().unwrap_or_else(|| json!(["*"]));
        let req =
            json!({"op": "place", "offers": offers, "tasks": self.pending, "running": running, "options": options});
        let answer = offerfit::host::call_json(req);
        if answer.get("ok") != Some(&Json::Bool(true)) {
            notices.push(json!({"kind": "error", "message": format!("place refused: {}", answer["errors"])}));
            let ids: Vec<Json> = offers.iter().map(|o| o["id"].clone()).collect();
            calls.push(json!({"framework_id": self.fid(), "type": "DECLINE", "decline": {"offer_ids": ids, "filters": {"refuse_seconds": 5}}}));
            return;
        }
        let by_agent: HashMap<&str, &Json> =
            offers.iter().filter_map(|o| o.pointer("/agent_id/value").and_then(Json::as_str).map(|a| (a, o))).collect();
        let mut placed = std::collections::HashSet::new();
        for acc in answer["accept"].as_array().into_iter().flatten() {
            let agent = acc["agent_id"].as_str().unwrap_or("");
            let offer = by_agent.get(agent);
            for t in acc["tasks"].as_array().into_iter().flatten() {
                let id = t["task_id"].as_str().unwrap_or("").to_owned();
                placed.insert(id.clone());
                let attributes = offer.map_or(json!([]), |o| o["attributes"].clone());
                let task = self.pending.iter().find(|p| p["id"] == json!(id)).cloned().unwrap_or(Json::Null);
                let group = task.get("group").cloned().unwrap_or_else(|| json!(id));
                let run = json!({"id": id, "group": group, "hostname": acc["hostname"], "agent_id": agent, "attributes": attributes});
                self.live.insert(id.clone(), (run, task));
                self.unplaced.remove(&id);
                notices.push(json!({"kind": "launching", "task_id": id, "agent_id": agent, "hostname": acc["hostname"], "attributes": attributes}));
            }
        }
        self.pending.retain(|p| !placed.contains(p["id"].as_str().unwrap_or("")));
        let nothing_left = self.pending.is_empty();
        for mut c in answer["calls"].as_array().cloned().unwrap_or_default() {
            if c["type"] == "DECLINE" {
                self.declined = true;
                if nothing_left {
                    c["decline"]["filters"] = json!({"refuse_seconds": self.idle_refuse});
                }
            }
            calls.push(c);
        }
        for u in answer["unplaced"].as_array().into_iter().flatten() {
            let id = u["task_id"].as_str().unwrap_or("").to_owned();
            if self.unplaced.get(&id) != Some(&u["reasons"]) {
                self.unplaced.insert(id.clone(), u["reasons"].clone());
                notices.push(json!({"kind": "unplaced", "task_id": id, "reasons": u["reasons"]}));
            }
        }
        if nothing_left && !self.suppressed {
            self.suppressed = true;
            calls.push(json!({"framework_id": self.fid(), "type": "SUPPRESS", "suppress": {}}));
        }
    }

    fn update(&mut self, status: &Json, calls: &mut Vec<Json>, notices: &mut Vec<Json>) {
        let id = status.pointer("/task_id/value").and_then(Json::as_str).unwrap_or("").to_owned();
        let state = status["state"].as_str().unwrap_or("");
        if let Some(uuid) = status.get("uuid") {
            calls.push(json!({"framework_id": self.fid(), "type": "ACKNOWLEDGE", "acknowledge": {
                "agent_id": status["agent_id"], "task_id": {"value": id}, "uuid": uuid}}));
        }
        let known = self.live.contains_key(&id);
        let refused = matches!(state, "TASK_DROPPED")
            || (matches!(state, "TASK_LOST" | "TASK_ERROR") && status["reason"] == "REASON_INVALID_OFFERS");
        let terminal = known && is_terminal(state) && !refused;
        if known && (terminal || refused) {
            if let Some((_, task)) = self.live.remove(&id) {
                if refused {
                    self.pending.push(task);
                    self.revive(calls);
                }
            }
        }
        let mut n = json!({"kind": "task_state", "task_id": id, "state": state, "terminal": terminal, "known": known});
        if let Some(r) = status.get("reason") {
            n["reason"] = r.clone();
        }
        notices.push(n);
    }

    /// New work: one REVIVE when suppressed or after declines, at most one per
    /// `revive_min_interval` (a later one waits for a tick).
    fn revive(&mut self, calls: &mut Vec<Json>) {
        if !(self.suppressed || self.declined) || self.framework_id.is_none() {
            return;
        }
        let earliest = self.last_revive.map_or(self.now, |t| t + self.revive_min);
        if self.now >= earliest {
            self.suppressed = false;
            self.declined = false;
            self.revive_due = None;
            self.last_revive = Some(self.now);
            calls.push(json!({"framework_id": self.fid(), "type": "REVIVE", "revive": {}}));
        } else {
            self.revive_due = Some(earliest);
        }
    }
}

impl Scheduler for PlaceStandIn {
    fn step(&mut self, input: &str) -> String {
        let Ok(input) = serde_json::from_str::<Json>(input) else {
            return json!({"ok": false, "errors": [{"code": "input.json", "message": "not JSON"}]}).to_string();
        };
        let mut calls = Vec::new();
        let mut notices = Vec::new();
        self.now = input.get("now").and_then(Json::as_f64).unwrap_or(self.now);
        if self.revive_due.is_some_and(|t| self.now >= t) && !self.pending.is_empty() {
            self.revive(&mut calls);
        }
        if input.get("connect").is_some() {
            let mut sub = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": self.framework}});
            if self.pending.is_empty() {
                sub["subscribe"]["suppressed_roles"] =
                    self.framework.get("roles").cloned().unwrap_or_else(|| json!(["*"]));
                self.suppressed = true;
            }
            calls.push(sub);
        } else if let Some(ev) = input.get("event") {
            match ev["type"].as_str().unwrap_or("") {
                "SUBSCRIBED" => {
                    let fid = ev.pointer("/subscribed/framework_id/value").and_then(Json::as_str).unwrap_or("");
                    self.framework_id = Some(fid.to_owned());
                    notices.push(json!({"kind": "subscribed", "framework_id": fid}));
                    if !self.pending.is_empty() {
                        // Work submitted while subscribing (suppressed): ask for offers.
                        self.revive(&mut calls);
                    }
                }
                "OFFERS" => {
                    let offers = ev.pointer("/offers/offers").and_then(Json::as_array).cloned().unwrap_or_default();
                    self.offers(&offers, &mut calls, &mut notices);
                }
                "UPDATE" => self.update(&ev["update"]["status"], &mut calls, &mut notices),
                "INVERSE_OFFERS" => {
                    for io in
                        ev.pointer("/inverse_offers/inverse_offers").and_then(Json::as_array).into_iter().flatten()
                    {
                        let agent = io.pointer("/agent_id/value");
                        let busy = self.live.values().any(|(r, _)| Some(&r["agent_id"]) == agent);
                        let kind = if busy { "DECLINE_INVERSE_OFFERS" } else { "ACCEPT_INVERSE_OFFERS" };
                        let key = kind.to_ascii_lowercase();
                        calls.push(
                            json!({"framework_id": self.fid(), "type": kind, key: {"inverse_offer_ids": [io["id"]]}}),
                        );
                    }
                }
                _ => {}
            }
        } else if let Some(tasks) = input.get("submit").and_then(Json::as_array) {
            self.pending.extend(tasks.iter().cloned());
            self.revive(&mut calls);
        } else if let Some(ids) = input.get("kill").and_then(Json::as_array) {
            for id in ids {
                self.pending.retain(|p| &p["id"] != id);
                if let Some((run, _)) = self.live.get(id.as_str().unwrap_or("")) {
                    calls.push(json!({"framework_id": self.fid(), "type": "KILL", "kill": {"task_id": {"value": id}, "agent_id": {"value": run["agent_id"]}}}));
                }
            }
        }
        let wake = if self.pending.is_empty() { None } else { self.revive_due };
        json!({"ok": true, "calls": calls, "notices": notices, "wake_at": wake}).to_string()
    }
}

/// See [`Kind::GreedyBench`].
#[derive(Debug)]
pub struct GreedyBench {
    framework: Json,
    framework_id: Option<String>,
    /// Held offers by (cpus in thousandths, mem in MB, offer id) → agent id.
    held: std::collections::BTreeMap<(u64, u64, String), String>,
    by_id: HashMap<String, (u64, u64)>,
    pending: std::collections::VecDeque<(String, u64, u64)>,
}

impl GreedyBench {
    /// A greedy benchmark scheduler for this config.
    pub fn new(config: &Json) -> GreedyBench {
        GreedyBench {
            framework: config.get("framework").cloned().unwrap_or_else(|| json!({})),
            framework_id: None,
            held: std::collections::BTreeMap::new(),
            by_id: HashMap::new(),
            pending: std::collections::VecDeque::new(),
        }
    }

    fn place(&mut self, calls: &mut Vec<Json>, notices: &mut Vec<Json>) {
        let fid = json!({ "value": self.framework_id.clone().unwrap_or_default() });
        let mut stuck = std::collections::VecDeque::new();
        while let Some((id, cpus, mem)) = self.pending.pop_front() {
            let hit = self
                .held
                .range((cpus, 0, String::new())..)
                .find(|((_, m, _), _)| *m >= mem)
                .map(|(k, a)| (k.clone(), a.clone()));
            let Some((key, agent)) = hit else {
                stuck.push_back((id, cpus, mem));
                continue;
            };
            self.held.remove(&key);
            self.by_id.remove(&key.2);
            let res = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus as f64 / 1000.0}},
                             {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}]);
            calls.push(json!({"framework_id": fid, "type": "ACCEPT", "accept": {"offer_ids": [{"value": key.2}],
                "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{"name": id, "task_id": {"value": id}, "agent_id": {"value": agent}, "resources": res}]}}],
                "filters": {"refuse_seconds": 0}}}));
            notices
                .push(json!({"kind": "launching", "task_id": id, "agent_id": agent, "hostname": "", "attributes": []}));
        }
        self.pending = stuck;
    }
}

impl Scheduler for GreedyBench {
    fn step(&mut self, input: &str) -> String {
        let Ok(input) = serde_json::from_str::<Json>(input) else {
            return json!({"ok": false, "errors": [{"code": "input.json", "message": "not JSON"}]}).to_string();
        };
        let mut calls = Vec::new();
        let mut notices = Vec::new();
        let scalar = |rs: &Json, name: &str| -> f64 {
            rs.as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["name"] == name)
                .filter_map(|r| r.pointer("/scalar/value").and_then(Json::as_f64))
                .sum()
        };
        if input.get("connect").is_some() {
            calls.push(json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": self.framework}}));
        } else if let Some(ev) = input.get("event") {
            match ev["type"].as_str().unwrap_or("") {
                "SUBSCRIBED" => {
                    self.framework_id =
                        ev.pointer("/subscribed/framework_id/value").and_then(Json::as_str).map(str::to_owned)
                }
                "OFFERS" => {
                    for o in ev.pointer("/offers/offers").and_then(Json::as_array).into_iter().flatten() {
                        let id = o.pointer("/id/value").and_then(Json::as_str).unwrap_or("").to_owned();
                        let agent = o.pointer("/agent_id/value").and_then(Json::as_str).unwrap_or("").to_owned();
                        let (c, m) = (
                            (scalar(&o["resources"], "cpus") * 1000.0).round() as u64,
                            scalar(&o["resources"], "mem").floor() as u64,
                        );
                        self.by_id.insert(id.clone(), (c, m));
                        self.held.insert((c, m, id), agent);
                    }
                    self.place(&mut calls, &mut notices);
                }
                "RESCIND" => {
                    let id = ev.pointer("/rescind/offer_id/value").and_then(Json::as_str).unwrap_or("").to_owned();
                    if let Some((c, m)) = self.by_id.remove(&id) {
                        self.held.remove(&(c, m, id));
                    }
                }
                "UPDATE" => {
                    let st = &ev["update"]["status"];
                    if let Some(uuid) = st.get("uuid") {
                        calls.push(json!({"framework_id": {"value": self.framework_id}, "type": "ACKNOWLEDGE",
                            "acknowledge": {"agent_id": st["agent_id"], "task_id": st["task_id"], "uuid": uuid}}));
                    }
                    let state = st["state"].as_str().unwrap_or("");
                    notices.push(json!({"kind": "task_state", "task_id": st["task_id"]["value"], "state": state, "terminal": is_terminal(state), "known": true}));
                }
                _ => {}
            }
        } else if let Some(tasks) = input.get("submit").and_then(Json::as_array) {
            for t in tasks {
                let c = (t["cpus"].as_f64().unwrap_or(0.0) * 1000.0).round() as u64;
                let m = t["mem"].as_f64().unwrap_or(0.0).ceil() as u64;
                self.pending.push_back((t["id"].as_str().unwrap_or("").to_owned(), c, m));
            }
            self.place(&mut calls, &mut notices);
        }
        json!({"ok": true, "calls": calls, "notices": notices, "wake_at": null}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Json {
        json!({
            "framework": {"name": "t", "roles": ["*"], "user": "root", "capabilities": ["MULTI_ROLE"]},
            "options": {"strategy": "binpack", "refuse_seconds": 5},
            "session": {"offer_hold_seconds": 0, "idle_refuse_seconds": 3600, "revive_min_interval": 5}
        })
    }

    #[test]
    fn the_default_kind_is_the_real_session_and_it_subscribes_on_connect() {
        let mut s = make(Kind::Session, &config()).expect("the session takes the simulator's config");
        let out: Json = serde_json::from_str(&s.step(r#"{"now": 0, "connect": {}}"#)).unwrap();
        assert_eq!(out["ok"], json!(true), "{out}");
        assert_eq!(out["calls"][0]["type"], json!("SUBSCRIBE"), "{out}");
        assert_eq!(out["calls"][0]["subscribe"]["framework_info"]["name"], json!("t"), "{out}");
    }

    #[test]
    fn the_session_refuses_a_bad_config_with_its_own_errors() {
        let mut bad = config();
        bad["options"]["strategy"] = json!("nope");
        let err = make(Kind::Session, &bad).err().expect("refused");
        let j: Json = serde_json::from_str(&err).expect("the refusal is session-contract JSON");
        assert_eq!(j["ok"], json!(false), "{err}");
        assert!(err.contains("nope"), "{err}");
    }
}
