//! Property test: random event sequences against a simulated Mesos master and host
//! (offers, rescinds, status updates delivered, duplicated and delayed, agent losses, kills,
//! master failovers, framework failovers that rebuild the session from the host's store).
//! Every step is checked against the session contract's rules (docs/contract.md, part 3) (`common/session_check.rs`); the master
//! checks that no task is launched while it still runs it (rule 8), and each session
//! incarnation replayed from its inputs gives the same bytes (rule 10).

#[path = "common/session_check.rs"]
mod session_check;

use std::collections::{BTreeMap, VecDeque};

use offerfit::Session;
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const AGENTS: usize = 4;

#[derive(Debug, Clone)]
enum Action {
    Connect,
    Disconnect,
    Subscribed,
    Offers(u8),
    Rescind(u8),
    Deliver,
    Redeliver,
    Finish(u8),
    AgentLost(u8),
    Submit(u8, u8),
    Kill(u8),
    Tick(u8),
    WakeUp,
    Restart,
    InverseOffer(u8),
    Garbage(u8),
    RaceRescind,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Connect),
        1 => Just(Action::Disconnect),
        4 => Just(Action::Subscribed),
        8 => any::<u8>().prop_map(Action::Offers),
        2 => any::<u8>().prop_map(Action::Rescind),
        6 => Just(Action::Deliver),
        1 => Just(Action::Redeliver),
        2 => any::<u8>().prop_map(Action::Finish),
        1 => any::<u8>().prop_map(Action::AgentLost),
        4 => (any::<u8>(), any::<u8>()).prop_map(|(n, k)| Action::Submit(n, k)),
        1 => any::<u8>().prop_map(Action::Kill),
        2 => any::<u8>().prop_map(Action::Tick),
        3 => Just(Action::WakeUp),
        1 => Just(Action::Restart),
        1 => any::<u8>().prop_map(Action::InverseOffer),
        1 => any::<u8>().prop_map(Action::Garbage),
        1 => Just(Action::RaceRescind),
    ]
}

/// The simulated master: what it has offered, the tasks it runs, the updates it will send.
#[derive(Default)]
struct Master {
    next_offer: u64,
    next_uuid: u64,
    subscribing: bool,
    connected: bool,
    suppressed: bool,
    offers: BTreeMap<String, usize>,
    tasks: BTreeMap<String, (usize, &'static str)>,
    queue: VecDeque<Json>,
    last: Option<Json>,
    /// The next ACCEPT races a rescind of its offers: the master refuses it.
    race: bool,
    /// Delivered updates not yet acknowledged, by uuid.
    unacked: BTreeMap<String, Json>,
    violations: Vec<String>,
}

fn status(task: &str, state: &str, agent: usize, uuid: Option<String>, reason: Option<&str>) -> Json {
    let mut s = json!({"task_id": {"value": task}, "state": state, "agent_id": {"value": format!("S{agent}")}});
    if let Some(u) = uuid {
        s["uuid"] = json!(u);
    }
    if let Some(r) = reason {
        s["reason"] = json!(r);
    }
    json!({"type": "UPDATE", "update": {"status": s}})
}

impl Master {
    fn uuid(&mut self) -> Option<String> {
        self.next_uuid += 1;
        // The base64 text of 16 bytes (22 digits and the padding), as a master sends: the
        // session acknowledges nothing else (a master refuses it), and an update it cannot
        // acknowledge comes again after every resubscription, as agents resend it.
        Some(format!("{:A>22}==", self.next_uuid))
    }

    fn apply(&mut self, calls: &[Json]) {
        for c in calls {
            match c["type"].as_str().unwrap_or_default() {
                "SUBSCRIBE" => {
                    // A new stream: what the old one had not delivered is gone, except the
                    // status updates with a uuid, which agents send again until acknowledged.
                    self.subscribing = true;
                    self.connected = false;
                    self.offers.clear();
                    let mut queue: VecDeque<Json> =
                        self.queue.drain(..).filter(|e| e.pointer("/update/status/uuid").is_some()).collect();
                    for (u, e) in &self.unacked {
                        if !queue.iter().any(|q| q.pointer("/update/status/uuid").and_then(Json::as_str) == Some(u)) {
                            queue.push_back(e.clone());
                        }
                    }
                    self.queue = queue;
                    self.suppressed = c.pointer("/subscribe/suppressed_roles").is_some();
                }
                "ACCEPT" => {
                    let ids: Vec<String> = c["accept"]["offer_ids"]
                        .as_array()
                        .map(|l| l.iter().map(|o| o["value"].as_str().unwrap_or_default().to_owned()).collect())
                        .unwrap_or_default();
                    let valid = ids.iter().all(|id| self.offers.contains_key(id)) && !std::mem::take(&mut self.race);
                    if !valid {
                        for id in &ids {
                            self.queue.push_back(json!({"type": "RESCIND", "rescind": {"offer_id": {"value": id}}}));
                        }
                    }
                    let agent = ids.first().and_then(|id| self.offers.get(id)).copied().unwrap_or(0);
                    for id in &ids {
                        self.offers.remove(id);
                    }
                    for op in c["accept"]["operations"].as_array().cloned().unwrap_or_default() {
                        for ti in op.pointer("/launch/task_infos").and_then(Json::as_array).cloned().unwrap_or_default()
                        {
                            let t = ti["task_id"]["value"].as_str().unwrap_or_default().to_owned();
                            if !valid {
                                let u = self.uuid();
                                self.queue.push_back(status(&t, "TASK_LOST", agent, u, Some("REASON_INVALID_OFFERS")));
                                continue;
                            }
                            if self.tasks.contains_key(&t) {
                                self.violations.push(format!("rule 8: task {t} launched while the master runs it"));
                            }
                            self.tasks.insert(t.clone(), (agent, "TASK_RUNNING"));
                            let u = self.uuid();
                            self.queue.push_back(status(&t, "TASK_RUNNING", agent, u, None));
                        }
                    }
                }
                "DECLINE" => {
                    for o in c["decline"]["offer_ids"].as_array().cloned().unwrap_or_default() {
                        self.offers.remove(o["value"].as_str().unwrap_or_default());
                    }
                }
                "KILL" => {
                    let t = c["kill"]["task_id"]["value"].as_str().unwrap_or_default().to_owned();
                    match self.tasks.remove(&t) {
                        Some((a, _)) => {
                            let u = self.uuid();
                            self.queue.push_back(status(&t, "TASK_KILLED", a, u, None));
                        }
                        None => self.queue.push_back(status(&t, "TASK_LOST", 0, None, Some("REASON_RECONCILIATION"))),
                    }
                }
                "RECONCILE" => {
                    let list = c["reconcile"]["tasks"].as_array().cloned().unwrap_or_default();
                    if list.is_empty() {
                        for (t, (a, s)) in self.tasks.clone() {
                            self.queue.push_back(status(&t, s, a, None, Some("REASON_RECONCILIATION")));
                        }
                    }
                    for x in list {
                        let t = x["task_id"]["value"].as_str().unwrap_or_default().to_owned();
                        let (a, s) = self.tasks.get(&t).copied().unwrap_or((0, "TASK_LOST"));
                        self.queue.push_back(status(&t, s, a, None, Some("REASON_RECONCILIATION")));
                    }
                }
                "ACKNOWLEDGE" => {
                    self.unacked.remove(c["acknowledge"]["uuid"].as_str().unwrap_or_default());
                }
                "SUPPRESS" => self.suppressed = true,
                "REVIVE" => self.suppressed = false,
                "UPDATE_FRAMEWORK" => {
                    self.suppressed = c.pointer("/update_framework/suppressed_roles").is_some();
                }
                _ => {}
            }
        }
    }
}

/// The host: its store (for framework failovers) and the inputs of the current incarnation.
struct Host {
    config: Json,
    store: BTreeMap<String, Json>,
    framework_id: Option<String>,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

impl Host {
    fn record(&mut self, output: &str) {
        let out: Json = serde_json::from_str(output).unwrap_or(Json::Null);
        for n in out["notices"].as_array().cloned().unwrap_or_default() {
            let id = n["task_id"].as_str().unwrap_or_default().to_owned();
            match n["kind"].as_str().unwrap_or_default() {
                "subscribed" => self.framework_id = n["framework_id"].as_str().map(str::to_owned),
                "launching" => {
                    if let Some(t) = self.store.get_mut(&id) {
                        t["state"] = json!("LAUNCHING");
                        t["agent_id"] = n["agent_id"].clone();
                        t["hostname"] = n["hostname"].clone();
                        t["attributes"] = n["attributes"].clone();
                    }
                }
                "task_state" => {
                    if n["terminal"] == Json::Bool(true) {
                        self.store.remove(&id);
                    } else if let Some(t) = self.store.get_mut(&id) {
                        t["state"] = n["state"].clone();
                    }
                }
                _ => {}
            }
        }
    }

    fn restart_config(&self) -> Json {
        let mut c = self.config.clone();
        if let Some(f) = &self.framework_id {
            c["framework"]["id"] = json!(f);
        }
        c["tasks"] = Json::Array(self.store.values().cloned().collect());
        c
    }
}

fn offer(id: &str, agent: usize) -> Json {
    json!({"id": {"value": id}, "framework_id": {"value": "F1"}, "agent_id": {"value": format!("S{agent}")},
           "hostname": format!("h{agent}"), "resources": "cpus:4;mem:4096;ports:[31000-31005]",
           "attributes": format!("rack:r{}", agent % 2)})
}

fn run(actions: &[Action], hold: f64) -> Result<(), TestCaseError> {
    let config = json!({"framework": {"name": "prop", "roles": ["r"]},
                        "session": {"offer_hold_seconds": hold, "revive_min_interval": 3, "reconcile_backoff": [1, 8],
                                    "implicit_reconcile_seconds": 30}});
    let mut master = Master::default();
    let mut host =
        Host { config: config.clone(), store: BTreeMap::new(), framework_id: None, inputs: vec![], outputs: vec![] };
    let mut session = Session::from_json(&config.to_string()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    let mut checker = session_check::Checker::new(&config);
    let mut incarnations: Vec<(Json, Vec<String>, Vec<String>)> = Vec::new();
    let mut now = 0.0_f64;
    let mut wake: Option<f64> = None;
    let mut next_task = 0u32;
    for a in actions {
        let input: Option<Json> = match a {
            Action::Connect => Some(json!({"connect": {}})),
            Action::Disconnect => {
                master.connected = false;
                master.subscribing = false;
                master.offers.clear();
                Some(json!({"disconnected": {}}))
            }
            Action::Subscribed if master.subscribing => {
                master.subscribing = false;
                master.connected = true;
                Some(json!({"event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}}))
            }
            Action::Offers(k) if master.connected && !master.suppressed => {
                let mut list = Vec::new();
                for agent in 0..AGENTS {
                    if k & (1 << agent) != 0 {
                        master.next_offer += 1;
                        let id = format!("O{}", master.next_offer);
                        master.offers.insert(id.clone(), agent);
                        list.push(offer(&id, agent));
                    }
                }
                Some(json!({"event": {"type": "OFFERS", "offers": {"offers": list}}}))
            }
            Action::Rescind(k) if master.connected && !master.offers.is_empty() => {
                let id = master.offers.keys().nth(*k as usize % master.offers.len()).cloned().unwrap_or_default();
                master.offers.remove(&id);
                Some(json!({"event": {"type": "RESCIND", "rescind": {"offer_id": {"value": id}}}}))
            }
            Action::Deliver if master.connected => master.queue.pop_front().map(|e| {
                if let Some(u) = e.pointer("/update/status/uuid").and_then(Json::as_str) {
                    master.unacked.insert(u.to_owned(), e.clone());
                }
                master.last = Some(e.clone());
                json!({"event": e})
            }),
            Action::Redeliver if master.connected => master.last.clone().map(|e| json!({"event": e})),
            Action::Finish(k) if !master.tasks.is_empty() => {
                let t = master.tasks.keys().nth(*k as usize % master.tasks.len()).cloned().unwrap_or_default();
                if let Some((a, _)) = master.tasks.remove(&t) {
                    let u = master.uuid();
                    master.queue.push_back(status(&t, "TASK_FINISHED", a, u, None));
                }
                None
            }
            Action::AgentLost(k) => {
                let agent = *k as usize % AGENTS;
                let lost: Vec<String> =
                    master.tasks.iter().filter(|(_, (a, _))| *a == agent).map(|(t, _)| t.clone()).collect();
                for t in lost {
                    master.tasks.remove(&t);
                    let u = master.uuid();
                    master.queue.push_back(status(&t, "TASK_LOST", agent, u, Some("REASON_AGENT_REMOVED")));
                }
                master.offers.retain(|_, a| *a != agent);
                None
            }
            Action::Submit(n, k) => {
                let tasks: Vec<Json> = (0..(n % 3 + 1))
                    .map(|i| {
                        next_task += 1;
                        let id = format!("t{next_task}");
                        let mut t = json!({"id": id, "cpus": 1 + (u32::from(*k) + u32::from(i)) % 3, "mem": 256});
                        if k % 3 == 0 {
                            t["group"] = json!("web");
                            t["constraints"] = json!(["hostname UNIQUE"]);
                        } else if k % 3 == 1 {
                            t["ports"] = json!([0]);
                        }
                        host.store.insert(id, {
                            let mut s = t.clone();
                            s["state"] = json!("PENDING");
                            s
                        });
                        t
                    })
                    .collect();
                Some(json!({"submit": tasks}))
            }
            Action::Kill(k) if !host.store.is_empty() => {
                let t = host.store.keys().nth(*k as usize % host.store.len()).cloned().unwrap_or_default();
                Some(json!({"kill": [t]}))
            }
            Action::Tick(dt) => {
                now += f64::from(dt % 20);
                Some(json!({"tick": {}}))
            }
            Action::WakeUp => wake.map(|w| {
                now = now.max(w);
                json!({"tick": {}})
            }),
            Action::Restart => {
                incarnations.push((
                    host.config.clone(),
                    std::mem::take(&mut host.inputs),
                    std::mem::take(&mut host.outputs),
                ));
                let c = host.restart_config();
                session =
                    Session::from_json(&c.to_string()).map_err(|e| TestCaseError::fail(format!("restart: {e:?}")))?;
                checker = session_check::Checker::new(&c);
                host.config = c;
                master.connected = false;
                master.subscribing = false;
                master.offers.clear();
                wake = None;
                None
            }
            Action::RaceRescind => {
                master.race = true;
                None
            }
            Action::InverseOffer(k) if master.connected => {
                let agent = *k as usize % AGENTS;
                Some(json!({"event": {"type": "INVERSE_OFFERS", "inverse_offers": {"inverse_offers": [
                    {"id": {"value": format!("I{k}")}, "framework_id": {"value": "F1"}, "agent_id": {"value": format!("S{agent}")},
                     "unavailability": {"start": {"nanoseconds": 0}}}]}}}))
            }
            Action::Garbage(k) => {
                let line = match k % 4 {
                    0 => "{".to_owned(),
                    1 if !host.inputs.is_empty() => format!(r#"{{"now": {}, "tick": {{}}}}"#, now - 1.0),
                    1 => r#"{"now": -1, "tick": {}}"#.to_owned(),
                    2 => r#"{"now": 1, "nope": {}}"#.to_owned(),
                    _ => r#"{"now": 1e999, "tick": {}}"#.to_owned(),
                };
                let before = format!("{session:?}");
                let out = session.step_json(&line);
                prop_assert!(out.starts_with(r#"{"ok":false"#), "garbage taken: {line} -> {out}");
                prop_assert_eq!(before, format!("{session:?}"), "a refused input changed the session");
                None
            }
            _ => None,
        };
        let Some(mut input) = input else { continue };
        input["now"] = json!(now);
        let line = input.to_string();
        let out = session.step_json(&line);
        let violations = checker.step(&line, &out, &session);
        prop_assert!(violations.is_empty(), "step {} {line}\n-> {out}\n{violations:#?}", checker.steps);
        let parsed: Json = serde_json::from_str(&out).unwrap_or(Json::Null);
        prop_assert_eq!(&parsed["ok"], &Json::Bool(true), "{} -> {}", line, out);
        wake = parsed["wake_at"].as_f64();
        master.apply(parsed["calls"].as_array().map(Vec::as_slice).unwrap_or(&[]));
        prop_assert!(master.violations.is_empty(), "{:?} after {line} -> {out}", master.violations);
        host.record(&out);
        host.inputs.push(line);
        host.outputs.push(out);
        now += 0.5;
    }
    incarnations.push((host.config.clone(), host.inputs, host.outputs));
    // Rule 10: each incarnation replayed from its config and inputs gives the same bytes.
    for (config, inputs, outputs) in incarnations {
        let mut again = Session::from_json(&config.to_string()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for (line, want) in inputs.iter().zip(&outputs) {
            prop_assert_eq!(&again.step_json(line), want);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn rules_hold_over_random_event_sequences(actions in prop::collection::vec(action(), 1..120)) {
        run(&actions, 0.0)?;
    }

    #[test]
    fn rules_hold_with_held_offers(actions in prop::collection::vec(action(), 1..120)) {
        run(&actions, 4.0)?;
    }
}
