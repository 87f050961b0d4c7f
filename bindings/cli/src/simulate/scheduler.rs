//! The scheduler under test, seen by the simulator only through the session contract
//! (docs/contract.md, part 3): one input in, the calls, notices and wake-up time out
//! ([`Scheduler::step`]). The shipped path, and the default, is the real
//! [`offerfit::Session`] driven through its typed API ([`Kind::Session`], `Session::step`: the
//! master's offers handed over as `Offer` values, tasks as `TaskRequest`s, no JSON text per
//! step); `--wire json` drives the same session through `step_json` (the contract's text both
//! ways), which must come to the same summary. Two benchmark aids stay, hidden behind
//! `--scheduler` and never to plan with: [`GreedyBench`] (measures the simulator alone) and
//! [`PlaceStandIn`] (the adapter over the stateless `place` op that stood in for the session
//! before it landed; kept to compare against).

use std::collections::{BTreeMap, HashMap};

use offerfit::session::{Event, Input, InputKind, Notice};
use offerfit::{Reason, TaskRequest};
use serde_json::{json, Value as Json};

use super::master::{is_terminal, MasterEvent};

/// One input of a step (the session's inputs the simulator sends).
#[derive(Debug)]
pub enum In {
    /// `connect`.
    Connect,
    /// `tick`.
    Tick,
    /// `event`: one of the master's events.
    Event(MasterEvent),
    /// `submit`: tasks, in the form the scheduler's wire takes ([`Scheduler::wire`]).
    Submit(Vec<Sub>),
}

/// A submitted task, in the form the scheduler's wire takes.
#[derive(Debug, Clone)]
pub enum Sub {
    /// Typed (read from its JSON once, per task or class; boxed: a task is large).
    Typed(Box<TaskRequest>),
    /// As Task JSON.
    Json(Json),
    /// A task whose JSON could not be read into a `TaskRequest`: its id and why.
    Bad(String, String),
}

impl Sub {
    /// The task id.
    pub fn id(&self) -> &str {
        match self {
            Sub::Typed(t) => &t.id,
            Sub::Json(j) => j.get("id").and_then(Json::as_str).unwrap_or(""),
            Sub::Bad(id, _) => id,
        }
    }

    /// The same task under another id.
    pub fn set_id(&mut self, id: String) {
        match self {
            Sub::Typed(t) => t.id = id,
            Sub::Json(j) => j["id"] = Json::String(id),
            Sub::Bad(x, _) => *x = id,
        }
    }

    /// Task JSON in the form `wire` takes: typed tasks are read through the session's own
    /// input reader ([`Input::from_json`]), as `step_json` would read them.
    pub fn from_json(task: &Json, wire: Wire) -> Sub {
        if wire == Wire::Json {
            return Sub::Json(task.clone());
        }
        let id = task.get("id").and_then(Json::as_str).unwrap_or("").to_owned();
        match Input::from_json(json!({"now": 0, "submit": [task]})) {
            Ok(Input { kind: InputKind::Submit(mut t), .. }) if t.len() == 1 => Sub::Typed(Box::new(t.remove(0))),
            Ok(_) => Sub::Bad(id, "not one task".into()),
            Err(errors) => Sub::Bad(id, serde_json::to_string(&errors).unwrap_or_default()),
        }
    }
}

/// How the simulator talks to a scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// Typed values (`Session::step`).
    Typed,
    /// The contract's JSON text both ways (`Session::step_json`).
    Json,
}

/// A notice the runner keeps books on (the rest are not needed for the summary).
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// `launching`.
    Launching(String),
    /// `unplaced`: the task and the reason that blames it, as (code, message).
    Unplaced(String, (String, String)),
    /// `task_state`: the task, its Mesos state and whether the scheduler forgot it.
    TaskState(String, &'static str, bool),
    /// `error`.
    Error(String),
}

/// What a scheduler answered to one input.
#[derive(Debug, Default)]
pub struct Answer {
    /// The input was refused: why (nothing changed in the scheduler).
    pub refused: Option<String>,
    /// Calls to post to the master, in order, as JSON text.
    pub calls: Vec<String>,
    /// The notices the runner keeps books on.
    pub notices: Vec<Seen>,
    /// When the scheduler wants a `tick` (Unix seconds).
    pub wake_at: Option<f64>,
}

/// A framework scheduler driven by session inputs (docs/contract.md, part 3).
pub trait Scheduler {
    /// The form its submitted tasks take.
    fn wire(&self) -> Wire;
    /// One input at `now` (Unix seconds).
    fn step(&mut self, now: f64, input: In) -> Answer;
}

/// A scheduler that speaks the contract's JSON text: one input line in, one output line out.
pub trait JsonScheduler {
    /// One input line; the answer line.
    fn step_line(&mut self, input: &str) -> String;
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
    /// run measures the simulator (master, host loop, calls as text) rather than a scheduler.
    GreedyBench,
}

/// Makes a scheduler of `kind` from a session config; `wire` says how the session is driven.
///
/// # Errors
/// The scheduler's refusal of the config, as text.
pub fn make(kind: Kind, wire: Wire, config: &Json) -> Result<Box<dyn Scheduler>, String> {
    match kind {
        Kind::Session => match offerfit::Session::from_json(&config.to_string()) {
            Ok(s) if wire == Wire::Typed => Ok(Box::new(TypedSession(s))),
            Ok(s) => Ok(Box::new(OverJson(s))),
            Err(errors) => Err(offerfit::session::Refused { errors }.to_json_text()),
        },
        Kind::PlaceStandIn => Ok(Box::new(OverJson(PlaceStandIn::new(config)))),
        Kind::GreedyBench => Ok(Box::new(GreedyBench::new(config))),
    }
}

/// The reason that blames a pending task: the one that failed the most offers (ties: the
/// first in check order), as `(code, message)`.
fn blame<'a>(reasons: impl Iterator<Item = (&'a str, &'a str, u64)>) -> (String, String) {
    let mut best: Option<(&str, &str, u64)> = None;
    for r in reasons {
        if best.is_none_or(|(_, _, m)| r.2 > m) {
            best = Some(r);
        }
    }
    best.map_or(("unknown".into(), String::new()), |(c, m, _)| (c.to_owned(), m.to_owned()))
}

/// The real session, driven through its typed API.
struct TypedSession(offerfit::Session);

impl Scheduler for TypedSession {
    fn wire(&self) -> Wire {
        Wire::Typed
    }

    fn step(&mut self, now: f64, input: In) -> Answer {
        let kind = match input {
            In::Connect => InputKind::Connect,
            In::Tick => InputKind::Tick,
            In::Event(e) => InputKind::Event(e.event),
            In::Submit(list) => {
                let mut tasks = Vec::with_capacity(list.len());
                for s in list {
                    match s {
                        Sub::Typed(t) => tasks.push(*t),
                        Sub::Json(j) => match Sub::from_json(&j, Wire::Typed) {
                            Sub::Typed(t) => tasks.push(*t),
                            other => return refused(&other),
                        },
                        bad @ Sub::Bad(..) => return refused(&bad),
                    }
                }
                InputKind::Submit(tasks)
            }
        };
        match self.0.step(Input { now, kind }) {
            Ok(a) => Answer {
                refused: None,
                calls: a.calls.into_iter().map(offerfit::session::Call::into_string).collect(),
                notices: a.notices.into_iter().filter_map(seen).collect(),
                wake_at: a.wake_at,
            },
            Err(r) => {
                Answer { refused: Some(serde_json::to_string(&r.errors).unwrap_or_default()), ..Answer::default() }
            }
        }
    }
}

fn refused(bad: &Sub) -> Answer {
    let why = match bad {
        Sub::Bad(_, why) => why.clone(),
        _ => "a task that cannot be read".into(),
    };
    Answer { refused: Some(why), ..Answer::default() }
}

/// The notices the runner reads, from the session's typed ones.
fn seen(n: Notice) -> Option<Seen> {
    match n {
        Notice::Launching { task_id, .. } => Some(Seen::Launching(task_id)),
        Notice::Unplaced { task_id, reasons, .. } => {
            let b = blame(reasons.iter().map(|r: &Reason| (r.code.as_str(), r.message.as_str(), r.offers as u64)));
            Some(Seen::Unplaced(task_id, b))
        }
        Notice::TaskState { task_id, state, terminal, .. } => Some(Seen::TaskState(task_id, state.as_str(), terminal)),
        Notice::Error { message } => Some(Seen::Error(message)),
        _ => None,
    }
}

/// The real session speaks the session contract natively.
impl JsonScheduler for offerfit::Session {
    fn step_line(&mut self, input: &str) -> String {
        self.step_json(input)
    }
}

/// A [`JsonScheduler`] driven with the contract's text both ways.
struct OverJson<S>(S);

impl<S: JsonScheduler> Scheduler for OverJson<S> {
    fn wire(&self) -> Wire {
        Wire::Json
    }

    fn step(&mut self, now: f64, input: In) -> Answer {
        let (kind, payload) = match input {
            In::Connect => ("connect", json!({})),
            In::Tick => ("tick", json!({})),
            In::Event(e) => ("event", e.to_json()),
            In::Submit(list) => {
                let tasks: Vec<Json> = list
                    .into_iter()
                    .map(|s| match s {
                        Sub::Json(j) => j,
                        Sub::Typed(t) => json!({"id": t.id}),
                        Sub::Bad(id, _) => json!({"id": id}),
                    })
                    .collect();
                ("submit", Json::Array(tasks))
            }
        };
        let line =
            format!("{{\"now\":{},\"{kind}\":{}}}", json!(now), serde_json::to_string(&payload).unwrap_or_default());
        let out = self.0.step_line(&line);
        let out: Json = serde_json::from_str(&out).unwrap_or_else(|_| json!({"ok": false, "errors": ["not JSON"]}));
        if out.get("ok") != Some(&Json::Bool(true)) {
            return Answer { refused: Some(out.get("errors").unwrap_or(&Json::Null).to_string()), ..Answer::default() };
        }
        let calls = out["calls"].as_array().into_iter().flatten().map(Json::to_string).collect();
        let notices = out["notices"].as_array().into_iter().flatten().filter_map(seen_json).collect();
        Answer { refused: None, calls, notices, wake_at: out.get("wake_at").and_then(Json::as_f64) }
    }
}

/// The notices the runner reads, from their JSON (docs/contract.md, part 3).
fn seen_json(n: &Json) -> Option<Seen> {
    let id = n["task_id"].as_str().unwrap_or("").to_owned();
    match n["kind"].as_str().unwrap_or("") {
        "launching" => Some(Seen::Launching(id)),
        "unplaced" => {
            let reasons = n["reasons"].as_array().into_iter().flatten().map(|r| {
                (
                    r["code"].as_str().unwrap_or("unknown"),
                    r["message"].as_str().unwrap_or(""),
                    r["offers"].as_u64().unwrap_or(0),
                )
            });
            Some(Seen::Unplaced(id, blame(reasons)))
        }
        "task_state" => {
            let state = n["state"].as_str().and_then(offerfit::session::TaskState::parse)?;
            Some(Seen::TaskState(id, state.as_str(), n["terminal"].as_bool().unwrap_or(false)))
        }
        "error" => Some(Seen::Error(n["message"].as_str().unwrap_or("error").to_owned())),
        _ => None,
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

impl JsonScheduler for PlaceStandIn {
    fn step_line(&mut self, input: &str) -> String {
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
    /// The SUBSCRIBE call, written once.
    subscribe: String,
    /// `{"value": …}` of the framework id, as JSON text.
    fid: String,
    /// Held offers by (cpus in thousandths, mem in MB, offer id) → agent id.
    held: std::collections::BTreeMap<(u64, u64, String), String>,
    by_id: HashMap<String, (u64, u64)>,
    pending: std::collections::VecDeque<(String, u64, u64)>,
}

/// A string as JSON text (quoted and escaped).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

impl GreedyBench {
    /// A greedy benchmark scheduler for this config.
    pub fn new(config: &Json) -> GreedyBench {
        let framework = config.get("framework").cloned().unwrap_or_else(|| json!({}));
        GreedyBench {
            subscribe: json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework}}).to_string(),
            fid: String::new(),
            held: std::collections::BTreeMap::new(),
            by_id: HashMap::new(),
            pending: std::collections::VecDeque::new(),
        }
    }

    fn place(&mut self, calls: &mut Vec<String>, notices: &mut Vec<Seen>) {
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
            let (q, fid) = (quoted(&id), &self.fid);
            calls.push(format!(
                r#"{{"framework_id":{fid},"type":"ACCEPT","accept":{{"offer_ids":[{{"value":{}}}],"operations":[{{"type":"LAUNCH","launch":{{"task_infos":[{{"name":{q},"task_id":{{"value":{q}}},"agent_id":{{"value":{}}},"resources":[{{"name":"cpus","type":"SCALAR","scalar":{{"value":{}}}}},{{"name":"mem","type":"SCALAR","scalar":{{"value":{mem}}}}}]}}]}}}}],"filters":{{"refuse_seconds":0}}}}}}"#,
                quoted(&key.2),
                quoted(&agent),
                cpus as f64 / 1000.0,
            ));
            notices.push(Seen::Launching(id));
        }
        self.pending = stuck;
    }
}

impl Scheduler for GreedyBench {
    fn wire(&self) -> Wire {
        Wire::Typed
    }

    fn step(&mut self, _now: f64, input: In) -> Answer {
        let mut calls = Vec::new();
        let mut notices = Vec::new();
        match input {
            In::Connect => calls.push(self.subscribe.clone()),
            In::Tick => {}
            In::Event(ev) => match ev.event {
                Event::Subscribed { framework_id } => self.fid = json!({ "value": framework_id }).to_string(),
                Event::Offers { offers, .. } => {
                    for o in offers {
                        let c = (o.resources.scalar("cpus").to_f64() * 1000.0).round() as u64;
                        let m = o.resources.scalar("mem").to_f64().floor() as u64;
                        self.by_id.insert(o.id.clone(), (c, m));
                        self.held.insert((c, m, o.id), o.agent_id);
                    }
                    self.place(&mut calls, &mut notices);
                }
                Event::Rescind { offer_id } => {
                    if let Some((c, m)) = self.by_id.remove(&offer_id) {
                        self.held.remove(&(c, m, offer_id));
                    }
                }
                Event::Update(st) => {
                    if let Some(uuid) = &st.uuid {
                        let agent = st
                            .agent_id
                            .as_deref()
                            .map_or_else(|| "null".to_owned(), |a| format!("{{\"value\":{}}}", quoted(a)));
                        calls.push(format!(
                            r#"{{"framework_id":{},"type":"ACKNOWLEDGE","acknowledge":{{"agent_id":{agent},"task_id":{{"value":{}}},"uuid":{}}}}}"#,
                            self.fid,
                            quoted(&st.task_id),
                            quoted(uuid)
                        ));
                    }
                    let state = st.state.as_str();
                    notices.push(Seen::TaskState(st.task_id, state, is_terminal(state)));
                }
                _ => {}
            },
            In::Submit(tasks) => {
                for t in tasks {
                    let (id, c, m) = match t {
                        Sub::Typed(t) => {
                            let c = (t.cpus.to_f64() * 1000.0).round() as u64;
                            (t.id.clone(), c, t.mem.to_f64().ceil() as u64)
                        }
                        Sub::Json(t) => (
                            t["id"].as_str().unwrap_or("").to_owned(),
                            (t["cpus"].as_f64().unwrap_or(0.0) * 1000.0).round() as u64,
                            t["mem"].as_f64().unwrap_or(0.0).ceil() as u64,
                        ),
                        Sub::Bad(id, _) => (id, 0, 0),
                    };
                    self.pending.push_back((id, c, m));
                }
                self.place(&mut calls, &mut notices);
            }
        }
        Answer { refused: None, calls, notices, wake_at: None }
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
        for wire in [Wire::Typed, Wire::Json] {
            let mut s = make(Kind::Session, wire, &config()).expect("the session takes the simulator's config");
            assert_eq!(s.wire(), wire);
            let out = s.step(0.0, In::Connect);
            assert_eq!(out.refused, None);
            let call: Json = serde_json::from_str(&out.calls[0]).unwrap();
            assert_eq!(call["type"], json!("SUBSCRIBE"), "{call}");
            assert_eq!(call["subscribe"]["framework_info"]["name"], json!("t"), "{call}");
        }
    }

    #[test]
    fn both_wires_read_a_task_alike_and_a_bad_one_is_refused_typed() {
        let task = json!({"id": "a", "cpus": 0.5, "mem": 64, "constraints": [["hostname", "UNIQUE"]]});
        let Sub::Typed(t) = Sub::from_json(&task, Wire::Typed) else { panic!("read") };
        assert_eq!((t.id.as_str(), t.cpus.to_f64(), t.constraints.len()), ("a", 0.5, 1));
        assert!(matches!(Sub::from_json(&task, Wire::Json), Sub::Json(_)));
        let bad = Sub::from_json(&json!({"id": "b", "cpus": "lots"}), Wire::Typed);
        assert!(matches!(&bad, Sub::Bad(id, why) if id == "b" && why.contains("/submit/0/cpus")), "{bad:?}");
        let mut s = make(Kind::Session, Wire::Typed, &config()).unwrap();
        let out = s.step(1.0, In::Submit(vec![bad]));
        assert!(out.refused.is_some_and(|why| why.contains("cpus")));
    }

    #[test]
    fn the_session_refuses_a_bad_config_with_its_own_errors() {
        let mut bad = config();
        bad["options"]["strategy"] = json!("nope");
        let err = make(Kind::Session, Wire::Typed, &bad).err().expect("refused");
        let j: Json = serde_json::from_str(&err).expect("the refusal is session-contract JSON");
        assert_eq!(j["ok"], json!(false), "{err}");
        assert!(err.contains("nope"), "{err}");
    }
}
