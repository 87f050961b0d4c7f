//! What a step answers (SESSION.md, "Output"): the Mesos calls to send in order, the notices
//! for the host, and when to wake the session; or the errors of a refused input.

use serde_json::{json, Map, Value as Json};

use super::mesos_io::{self as io, WireError};
use super::state::TaskState;
use crate::decision::{Reason, ReasonCode};
use crate::model::Attributes;

/// The answer of an accepted input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    /// Mesos v1 scheduler `Call` objects to POST, in this order.
    pub calls: Vec<Json>,
    /// What the host should know (and persist, for `subscribed` and `launching`).
    pub notices: Vec<Notice>,
    /// The earliest time the session wants a `tick`, if any.
    pub wake_at: Option<f64>,
}

/// The answer of a refused input: nothing in the session changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// The contract's error objects, with `path` into the input.
    pub errors: Vec<WireError>,
}

/// What [`crate::Session::step`] returns.
pub type Output = Result<Actions, Refused>;

/// The agent that came closest to hosting an unplaced task.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestFit {
    /// The agent id.
    pub agent_id: String,
    /// Its hostname.
    pub hostname: String,
    /// What it lacked, in check order.
    pub lacking: Vec<ReasonCode>,
    /// Scalar shortfalls: (resource name, how much more was needed).
    pub missing: Vec<(String, f64)>,
}

/// One notice for the host.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// `subscribed`: persist the framework id before anything else.
    Subscribed {
        /// The framework id.
        framework_id: String,
    },
    /// `launching`: persist it before sending the `ACCEPT` of the same step.
    Launching {
        /// The task id.
        task_id: String,
        /// The agent id.
        agent_id: String,
        /// The agent's hostname.
        hostname: String,
        /// The agent's attributes.
        attributes: Attributes,
        /// The agent's fault-domain region.
        region: Option<String>,
        /// The agent's fault-domain zone.
        zone: Option<String>,
    },
    /// `task_state`: a task update (from the master, or a pending task killed).
    TaskState {
        /// The task id.
        task_id: String,
        /// The Mesos state.
        state: TaskState,
        /// The Mesos reason, if any.
        reason: Option<String>,
        /// The Mesos message, if any.
        message: Option<String>,
        /// The session has forgotten the task: the host may delete it.
        terminal: bool,
        /// False for a task the session never had.
        known: bool,
    },
    /// `unplaced`: a pending task the offers at hand cannot take (when its reasons change).
    Unplaced {
        /// The task id.
        task_id: String,
        /// `place`'s reasons, in check order.
        reasons: Vec<Reason>,
        /// The nearest fit, if any agent was considered.
        nearest: Option<NearestFit>,
    },
    /// `error`: the master's `ERROR` event, or a placement the engine refused.
    Error {
        /// The message.
        message: String,
    },
    /// `reconnect`: the reconnect backoff has passed; answer with a `connect` input.
    Reconnect,
    /// `warning`: a submitted task was taken, but something in it will not do what it says
    /// (a `task_info` key a master drops: `task_info.unknown_field`).
    Warning {
        /// The task id.
        task_id: String,
        /// The warning's code.
        code: String,
        /// What is wrong.
        message: String,
        /// The JSON pointer of the culprit in the input (`/submit/0/task_info/taskId`).
        path: String,
        /// What to do instead (`did you mean ...?`).
        help: Option<String>,
    },
    /// `offer_unreadable`: an offer offerfit cannot read, declined.
    OfferUnreadable {
        /// The offer id.
        offer_id: String,
        /// Why.
        errors: Vec<WireError>,
    },
}

impl Notice {
    /// The notice as its JSON object (`{"kind": ..., ...}`).
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        match self {
            Notice::Subscribed { framework_id } => {
                m.insert("kind".into(), "subscribed".into());
                m.insert("framework_id".into(), framework_id.clone().into());
            }
            Notice::Launching { task_id, agent_id, hostname, attributes, region, zone } => {
                m.insert("kind".into(), "launching".into());
                m.insert("task_id".into(), task_id.clone().into());
                m.insert("agent_id".into(), agent_id.clone().into());
                m.insert("hostname".into(), hostname.clone().into());
                m.insert("attributes".into(), io::attributes_to_json(attributes));
                if let Some(r) = region {
                    m.insert("region".into(), r.clone().into());
                }
                if let Some(z) = zone {
                    m.insert("zone".into(), z.clone().into());
                }
            }
            Notice::TaskState { task_id, state, reason, message, terminal, known } => {
                m.insert("kind".into(), "task_state".into());
                m.insert("task_id".into(), task_id.clone().into());
                m.insert("state".into(), state.as_str().into());
                if let Some(r) = reason {
                    m.insert("reason".into(), r.clone().into());
                }
                if let Some(x) = message {
                    m.insert("message".into(), x.clone().into());
                }
                m.insert("terminal".into(), (*terminal).into());
                m.insert("known".into(), (*known).into());
            }
            Notice::Unplaced { task_id, reasons, nearest } => {
                m.insert("kind".into(), "unplaced".into());
                m.insert("task_id".into(), task_id.clone().into());
                let list: Vec<Json> = reasons
                    .iter()
                    .map(|r| json!({"code": r.code.as_str(), "message": r.message, "offers": r.offers}))
                    .collect();
                m.insert("reasons".into(), Json::Array(list));
                if let Some(n) = nearest {
                    let mut missing = Map::new();
                    for (name, v) in &n.missing {
                        missing.insert(name.clone(), io::scalar_json(*v));
                    }
                    let lacking: Vec<&str> = n.lacking.iter().map(|c| c.as_str()).collect();
                    m.insert(
                        "nearest".into(),
                        json!({"agent_id": n.agent_id, "hostname": n.hostname, "lacking": lacking, "missing": missing}),
                    );
                }
            }
            Notice::Error { message } => {
                m.insert("kind".into(), "error".into());
                m.insert("message".into(), message.clone().into());
            }
            Notice::Reconnect => {
                m.insert("kind".into(), "reconnect".into());
            }
            Notice::Warning { task_id, code, message, path, help } => {
                m.insert("kind".into(), "warning".into());
                m.insert("task_id".into(), task_id.clone().into());
                m.insert("code".into(), code.clone().into());
                m.insert("message".into(), message.clone().into());
                m.insert("path".into(), path.clone().into());
                if let Some(h) = help {
                    m.insert("help".into(), h.clone().into());
                }
            }
            Notice::OfferUnreadable { offer_id, errors } => {
                m.insert("kind".into(), "offer_unreadable".into());
                m.insert("offer_id".into(), offer_id.clone().into());
                let list: Vec<Json> = errors.iter().filter_map(|e| serde_json::to_value(e).ok()).collect();
                m.insert("errors".into(), Json::Array(list));
            }
        }
        Json::Object(m)
    }
}

impl Actions {
    /// `{"ok": true, "calls": [...], "notices": [...], "wake_at": T | null}` as one line.
    pub fn to_json_text(&self) -> String {
        fn put(out: &mut Vec<u8>, v: &Json) {
            // Writing a `Value` to a `Vec` cannot fail (its keys are strings).
            let _ = serde_json::to_writer(&mut *out, v);
        }
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(br#"{"ok":true,"calls":["#);
        for (i, c) in self.calls.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            put(&mut out, c);
        }
        out.extend_from_slice(br#"],"notices":["#);
        for (i, n) in self.notices.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            put(&mut out, &n.to_json());
        }
        out.extend_from_slice(br#"],"wake_at":"#);
        put(&mut out, &self.wake_at.map_or(Json::Null, io::scalar_json));
        out.push(b'}');
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Refused {
    /// `{"ok": false, "errors": [...]}` as one line.
    pub fn to_json_text(&self) -> String {
        io::refusal_text(self.errors.clone())
    }
}
