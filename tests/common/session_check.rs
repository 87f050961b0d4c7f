//! A checker of the session contract's rules (docs/contract.md, part 3) over a session's transcript, independent of the session's
//! own bookkeeping: it follows the inputs and the answers (calls, notices, `wake_at`) and
//! asks the session only which tasks are pending and launched after each step. Shared by
//! the golden transcripts and the property test.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use offerfit::Session;
use serde_json::Value as Json;

/// The call types of scheduler.proto's `Call.Type` the session may send, with their body key.
pub const CALLS: &[(&str, &str)] = &[
    ("SUBSCRIBE", "subscribe"),
    ("TEARDOWN", ""),
    ("ACCEPT", "accept"),
    ("DECLINE", "decline"),
    ("ACCEPT_INVERSE_OFFERS", "accept_inverse_offers"),
    ("DECLINE_INVERSE_OFFERS", "decline_inverse_offers"),
    ("REVIVE", "revive"),
    ("KILL", "kill"),
    ("ACKNOWLEDGE", "acknowledge"),
    ("ACKNOWLEDGE_OPERATION_STATUS", "acknowledge_operation_status"),
    ("RECONCILE", "reconcile"),
    ("SUPPRESS", "suppress"),
    ("UPDATE_FRAMEWORK", "update_framework"),
];

#[derive(Debug, PartialEq)]
enum Link {
    Idle,
    Subscribing,
    Subscribed,
    Down,
}

/// The rules' view of one session.
pub struct Checker {
    hold: f64,
    refuse: f64,
    idle_refuse: f64,
    revive_min_interval: f64,
    resubscribe_first: f64,
    link: Link,
    subscribed_ever: bool,
    fid: Option<String>,
    open: BTreeMap<String, f64>,
    ended: BTreeSet<String>,
    suppressed: bool,
    last_revive: Option<f64>,
    launched: BTreeSet<String>,
    last_now: Option<f64>,
    /// Steps checked.
    pub steps: usize,
}

fn num(v: &Json, ptr: &str, default: f64) -> f64 {
    v.pointer(ptr).and_then(Json::as_f64).unwrap_or(default)
}

fn id_of(v: &Json) -> String {
    v.get("value").and_then(Json::as_str).or_else(|| v.as_str()).unwrap_or_default().to_owned()
}

fn get<'a>(m: &'a Json, snake: &str, camel: &str) -> Option<&'a Json> {
    m.get(snake).or_else(|| m.get(camel))
}

impl Checker {
    /// A checker for a session made from `config`.
    pub fn new(config: &Json) -> Checker {
        let marathon = config.pointer("/options/profile").and_then(Json::as_str) == Some("marathon");
        Checker {
            hold: num(config, "/session/offer_hold_seconds", 0.0),
            refuse: num(config, "/options/refuse_seconds", if marathon { 120.0 } else { 5.0 }),
            idle_refuse: num(config, "/session/idle_refuse_seconds", 3600.0),
            revive_min_interval: num(config, "/session/revive_min_interval", 5.0),
            resubscribe_first: num(config, "/session/resubscribe_backoff/0", 1.0),
            link: Link::Idle,
            subscribed_ever: false,
            fid: config.pointer("/framework/id").and_then(Json::as_str).map(str::to_owned),
            open: BTreeMap::new(),
            ended: BTreeSet::new(),
            suppressed: false,
            last_revive: None,
            launched: BTreeSet::new(),
            last_now: None,
            steps: 0,
        }
    }

    fn gone(&mut self) {
        let open = std::mem::take(&mut self.open);
        self.ended.extend(open.into_keys());
    }

    /// Checks one step: `input` (text), the session's `output` (text), `after` the step.
    /// Returns the violations found (empty when every rule holds).
    pub fn step(&mut self, input: &str, output: &str, after: &Session) -> Vec<String> {
        self.steps += 1;
        let mut bad = Vec::new();
        let out: Json = match serde_json::from_str(output) {
            Ok(v) => v,
            Err(e) => return vec![format!("output is not JSON ({e}): {output}")],
        };
        if output.contains('\n') {
            bad.push("output spans lines".into());
        }
        if out["ok"] != Json::Bool(true) {
            if out["ok"] != Json::Bool(false) || !out["errors"].as_array().is_some_and(|e| !e.is_empty()) {
                bad.push(format!("neither ok:true nor ok:false with errors: {output}"));
            }
            return bad;
        }
        let input: Json = serde_json::from_str(input).unwrap_or(Json::Null);
        let now = input["now"].as_f64().unwrap_or(f64::NAN);
        if let Some(last) = self.last_now {
            if now < last {
                bad.push(format!("an input with now {now} < {last} was taken"));
            }
        }
        self.last_now = Some(now);
        let calls = out["calls"].as_array().cloned().unwrap_or_default();
        let notices = out["notices"].as_array().cloned().unwrap_or_default();
        let wake_at = out["wake_at"].as_f64();
        if !out["wake_at"].is_null() && wake_at.is_none() {
            bad.push("wake_at is neither a number nor null".into());
        }
        if let Some(w) = wake_at {
            if w <= now {
                bad.push(format!("wake_at {w} is not after now {now}"));
            }
        }
        // What the input does to the link and the offers.
        let event = &input["event"];
        let etype = event["type"].as_str().unwrap_or_default();
        let mut update: Option<(String, Option<String>)> = None;
        let mut op_update: Option<String> = None;
        let mut refused_uuids = 0usize;
        if input.get("connect").is_some() {
            self.gone();
            self.link = Link::Subscribing;
            if calls.first().and_then(|c| c["type"].as_str()) != Some("SUBSCRIBE") {
                bad.push("rule 12: `connect` not answered with SUBSCRIBE".into());
            }
        } else if input.get("disconnected").is_some() {
            self.gone();
            self.link = Link::Down;
            if !wake_at.is_some_and(|w| w >= now + self.resubscribe_first) {
                bad.push(format!("rule 12: after a disconnect wake_at {wake_at:?} < now + {}", self.resubscribe_first));
            }
        } else if etype == "SUBSCRIBED" {
            self.gone();
            self.link = Link::Subscribed;
            self.subscribed_ever = true;
            let s = get(event, "subscribed", "subscribed").unwrap_or(&Json::Null);
            self.fid = get(s, "framework_id", "frameworkId").map(id_of);
        } else if self.link == Link::Subscribed {
            match etype {
                "OFFERS" => {
                    let list = event.pointer("/offers/offers").and_then(Json::as_array).cloned().unwrap_or_default();
                    for o in list {
                        let id = o.get("id").map(id_of).unwrap_or_default();
                        if !id.is_empty() && !self.ended.contains(&id) && !self.open.contains_key(&id) {
                            self.open.insert(id, now);
                        }
                    }
                }
                "RESCIND" => {
                    let id = event.pointer("/rescind/offer_id").map(id_of).unwrap_or_default();
                    if self.open.remove(&id).is_some() {
                        self.ended.insert(id);
                    }
                }
                "UPDATE" => {
                    let st = event.pointer("/update/status").cloned().unwrap_or(Json::Null);
                    let task = get(&st, "task_id", "taskId").map(id_of).unwrap_or_default();
                    let uuid = st.get("uuid").and_then(Json::as_str).filter(|u| !u.is_empty()).map(str::to_owned);
                    // A uuid that is not 16 bytes is never acknowledged (a master refuses it).
                    update = Some((task, uuid.filter(|u| uuid_len(u) == Some(16))));
                    refused_uuids += usize::from(
                        st.get("uuid").and_then(Json::as_str).is_some_and(|u| !u.is_empty() && uuid_len(u) != Some(16)),
                    );
                }
                "UPDATE_OPERATION_STATUS" => {
                    let st = event.pointer("/update_operation_status/status").cloned().unwrap_or(Json::Null);
                    if st.get("operation_id").is_some() {
                        op_update = st.pointer("/uuid/value").and_then(Json::as_str).map(str::to_owned);
                        if op_update.as_deref().is_some_and(|u| !u.is_empty() && uuid_len(u) != Some(16)) {
                            op_update = None;
                            refused_uuids += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        // The notices of the input's update come first: a launch ends with a terminal state or a
        // return to pending (and may be placed again in the same step).
        for n in &notices {
            if n["kind"] == "task_state" {
                let id = n["task_id"].as_str().unwrap_or_default().to_owned();
                let back = matches!(
                    n["state"].as_str().unwrap_or_default(),
                    "TASK_LOST" | "TASK_GONE" | "TASK_UNKNOWN" | "TASK_DROPPED" | "TASK_ERROR"
                );
                if n["terminal"] == Json::Bool(true) || back {
                    self.launched.remove(&id);
                }
            }
        }
        // The calls.
        let pending = after.pending().next().is_some();
        let mut acks = Vec::new();
        let mut op_acks = 0;
        let mut reconciled: BTreeSet<String> = BTreeSet::new();
        for c in &calls {
            let kind = c["type"].as_str().unwrap_or_default();
            let Some((_, key)) = CALLS.iter().find(|(t, _)| *t == kind) else {
                bad.push(format!("unknown call type `{kind}`"));
                continue;
            };
            if let Some(m) = c.as_object() {
                if let Some(k) = m.keys().find(|k| !["framework_id", "type", key].contains(&k.as_str())) {
                    bad.push(format!("call {kind} has the field `{k}`"));
                }
            }
            let fid = c.get("framework_id").map(id_of);
            if kind == "SUBSCRIBE" {
                if fid.is_some() && fid != self.fid {
                    bad.push(format!("rule 1: SUBSCRIBE names framework {fid:?}, known {:?}", self.fid));
                }
                if self.fid.is_some() && fid.is_none() {
                    bad.push("rule 8: SUBSCRIBE without the known framework id".into());
                }
                self.suppressed = c.pointer("/subscribe/suppressed_roles").is_some();
                continue;
            }
            if !self.subscribed_ever || self.link != Link::Subscribed {
                bad.push(format!("rule 1: {kind} before SUBSCRIBED"));
            }
            if fid.is_none() || fid != self.fid {
                bad.push(format!("rule 1: {kind} with framework id {fid:?}, expected {:?}", self.fid));
            }
            match kind {
                "ACCEPT" | "DECLINE" => {
                    let list =
                        c.pointer(&format!("/{key}/offer_ids")).and_then(Json::as_array).cloned().unwrap_or_default();
                    if list.is_empty() {
                        bad.push(format!("{kind} without offers"));
                    }
                    for o in list {
                        let id = id_of(&o);
                        if self.open.remove(&id).is_none() {
                            bad.push(format!(
                                "rule 2: offer {id} named in {kind} but not open (never received, gone or answered)"
                            ));
                        }
                        self.ended.insert(id);
                    }
                    if kind == "DECLINE" {
                        let r = c.pointer("/decline/filters/refuse_seconds").and_then(Json::as_f64);
                        let want = if pending { self.refuse } else { self.idle_refuse };
                        if r != Some(want) {
                            bad.push(format!(
                                "rule 3: DECLINE refuse_seconds {r:?}, expected {want} (pending: {pending})"
                            ));
                        }
                    }
                    if kind == "ACCEPT" {
                        let ops = c.pointer("/accept/operations").and_then(Json::as_array).cloned().unwrap_or_default();
                        for op in ops.iter().filter(|o| o["type"] == "LAUNCH") {
                            for ti in
                                op.pointer("/launch/task_infos").and_then(Json::as_array).cloned().unwrap_or_default()
                            {
                                let t = ti.get("task_id").map(id_of).unwrap_or_default();
                                if !self.launched.insert(t.clone()) {
                                    bad.push(format!("rule 8: task {t} launched twice"));
                                }
                            }
                        }
                    }
                }
                "SUPPRESS" => {
                    if self.suppressed {
                        bad.push("rule 4: SUPPRESS while suppressed".into());
                    }
                    self.suppressed = true;
                }
                "REVIVE" => {
                    if let Some(t) = self.last_revive {
                        if now - t < self.revive_min_interval {
                            bad.push(format!(
                                "rule 4: REVIVE at {now} within {} s of the last at {t}",
                                self.revive_min_interval
                            ));
                        }
                    }
                    self.last_revive = Some(now);
                    self.suppressed = false;
                }
                "UPDATE_FRAMEWORK" => {
                    self.suppressed = c.pointer("/update_framework/suppressed_roles").is_some();
                }
                "ACKNOWLEDGE" => {
                    let a = &c["acknowledge"];
                    acks.push((
                        a.get("task_id").map(id_of).unwrap_or_default(),
                        a["uuid"].as_str().unwrap_or("").to_owned(),
                    ));
                    if a.get("agent_id").map(id_of).unwrap_or_default().is_empty() {
                        bad.push("ACKNOWLEDGE without agent_id".into());
                    }
                }
                "ACKNOWLEDGE_OPERATION_STATUS" => op_acks += 1,
                "RECONCILE" => {
                    for t in c.pointer("/reconcile/tasks").and_then(Json::as_array).cloned().unwrap_or_default() {
                        reconciled.insert(t.get("task_id").map(id_of).unwrap_or_default());
                    }
                }
                _ => {}
            }
        }
        // Rule 5.
        match &update {
            Some((task, Some(uuid))) => {
                let n = acks.iter().filter(|(t, u)| t == task && u == uuid).count();
                if n != 1 || acks.len() != 1 {
                    bad.push(format!("rule 5: UPDATE of {task} with uuid {uuid} acknowledged {n} times ({acks:?})"));
                }
            }
            _ => {
                if !acks.is_empty() {
                    bad.push(format!("rule 5: ACKNOWLEDGE without an update carrying a uuid: {acks:?}"));
                }
            }
        }
        if op_acks != usize::from(op_update.is_some()) {
            bad.push(format!("rule 5: {op_acks} ACKNOWLEDGE_OPERATION_STATUS for {op_update:?}"));
        }
        let errors = notices.iter().filter(|n| n["kind"] == "error").count();
        if refused_uuids > 0 && errors != refused_uuids {
            bad.push(format!("rule 5: a uuid that is not 16 bytes is told by one `error` notice, found {errors}"));
        }
        // Rule 7: the SUBSCRIBED step reconciles every launched task.
        if etype == "SUBSCRIBED" {
            for (id, state) in after.tasks() {
                if state.is_some() && !reconciled.contains(id) {
                    bad.push(format!("rule 7: launched task {id} not reconciled at SUBSCRIBED"));
                }
            }
        }
        // Rules 2 and 4 at the end of a subscribed step.
        if self.link == Link::Subscribed {
            // An offer is held at most `offer_hold_seconds`, pending work or not (with the
            // default 0 it is used or declined in the step that brought it).
            for (id, t) in &self.open {
                if now >= t + self.hold {
                    bad.push(format!("rule 2: offer {id} held since {t}, past offer_hold_seconds {}", self.hold));
                }
            }
            if let Some(first) = self.open.values().copied().reduce(f64::min) {
                if !wake_at.is_some_and(|w| w <= first + self.hold) {
                    bad.push(format!("rule 2: wake_at {wake_at:?} after the hold of an offer held since {first}"));
                }
            }
            if !pending && !self.suppressed {
                bad.push("rule 4: nothing pending and not suppressed".into());
            }
            if pending && self.suppressed {
                let due = self.last_revive.map_or(now, |t| t + self.revive_min_interval);
                if !wake_at.is_some_and(|w| w <= due.max(now + 1e-9)) {
                    bad.push(format!("rule 4: work pending while suppressed and no REVIVE due (wake_at {wake_at:?})"));
                }
            }
        }
        bad
    }
}

/// The number of bytes base64 text `text` decodes to (standard or URL-safe alphabet, padded
/// or not), `None` when it is not base64: the oracle of which uuids a master accepts in an
/// acknowledgement (16 bytes: `id::UUID::fromBytes`).
fn uuid_len(text: &str) -> Option<usize> {
    let body = text.trim_end_matches('=');
    let pad = text.len() - body.len();
    if pad > 2 || (pad > 0 && text.len() % 4 != 0) || body.len() % 4 == 1 {
        return None;
    }
    let standard = body.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/');
    let url_safe = body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (standard || url_safe).then_some(body.len() * 6 / 8)
}
