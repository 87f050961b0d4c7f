//! What a step answers (SESSION.md, "Output"): the Mesos calls to send in order, the notices
//! for the host, and when to wake the session; or the errors of a refused input.

use std::fmt;

use serde_json::{json, Map, Value as Json};

use super::mesos_io::{self as io, WireError};
use super::state::TaskState;
use crate::decision::{Reason, ReasonCode};
use crate::mesos::write_text::{put, Num};
use crate::model::Attributes;

/// One Mesos v1 scheduler `Call` to POST, held as its JSON text: the exact bytes the session's
/// JSON answer carries for it (`step_json`), written once, without a `serde_json::Value` tree.
///
/// The call's type is at hand ([`Call::kind`]); a host that wants to look inside parses the
/// text ([`Call::to_json`]) or sends it as is ([`Call::as_str`], the body of `POST
/// /api/v1/scheduler`).
///
/// ```
/// let mut s = offerfit::Session::from_json(r#"{"framework": {"name": "fw"}}"#).unwrap();
/// let input = offerfit::session::Input { now: 0.0, kind: offerfit::session::InputKind::Connect };
/// let out = s.step(input).unwrap();
/// assert_eq!(out.calls[0].kind(), "SUBSCRIBE");
/// assert!(out.calls[0].as_str().starts_with(r#"{"type":"SUBSCRIBE","subscribe":{"framework_info":"#));
/// assert_eq!(out.calls[0].to_json()["subscribe"]["framework_info"]["name"], "fw");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    kind: &'static str,
    text: String,
}

impl Call {
    /// A call of `kind` from its JSON value.
    pub(crate) fn from_json(kind: &'static str, value: &Json) -> Call {
        Call { kind, text: value.to_string() }
    }

    /// A call of `kind` from the JSON text written for it (serde_json's, so UTF-8).
    pub(crate) fn from_text(kind: &'static str, text: Vec<u8>) -> Call {
        Call { kind, text: String::from_utf8(text).unwrap_or_default() }
    }

    /// The call's `type`: `SUBSCRIBE`, `ACCEPT`, `DECLINE`, `REVIVE`, `SUPPRESS`, `KILL`,
    /// `ACKNOWLEDGE`, `ACKNOWLEDGE_OPERATION_STATUS`, `RECONCILE`, `ACCEPT_INVERSE_OFFERS`,
    /// `DECLINE_INVERSE_OFFERS` or `UPDATE_FRAMEWORK`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The call as JSON text (one line), as `step_json` answers it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The call as JSON text, owned.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The call as a JSON value (parsed from its text).
    pub fn to_json(&self) -> Json {
        serde_json::from_str(&self.text).unwrap_or(Json::Null)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The answer of an accepted input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    /// Mesos v1 scheduler calls to POST, in this order.
    pub calls: Vec<Call>,
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

impl Notice {
    /// Writes the notice's JSON object as [`Notice::to_json`] would give it, without building
    /// that tree for the frequent kinds.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        match self {
            Notice::Subscribed { framework_id } => {
                out.extend_from_slice(br#"{"kind":"subscribed","framework_id":"#);
                put(out, framework_id)?;
            }
            Notice::Launching { task_id, agent_id, hostname, attributes, region, zone } => {
                out.extend_from_slice(br#"{"kind":"launching","task_id":"#);
                put(out, task_id)?;
                out.extend_from_slice(br#","agent_id":"#);
                put(out, agent_id)?;
                out.extend_from_slice(br#","hostname":"#);
                put(out, hostname)?;
                out.extend_from_slice(br#","attributes":"#);
                if attributes.is_empty() {
                    out.extend_from_slice(b"[]");
                } else {
                    put(out, &io::attributes_to_json(attributes))?;
                }
                if let Some(r) = region {
                    out.extend_from_slice(br#","region":"#);
                    put(out, r)?;
                }
                if let Some(z) = zone {
                    out.extend_from_slice(br#","zone":"#);
                    put(out, z)?;
                }
            }
            Notice::TaskState { task_id, state, reason, message, terminal, known } => {
                out.extend_from_slice(br#"{"kind":"task_state","task_id":"#);
                put(out, task_id)?;
                out.extend_from_slice(br#","state":"#);
                put(out, state.as_str())?;
                if let Some(r) = reason {
                    out.extend_from_slice(br#","reason":"#);
                    put(out, r)?;
                }
                if let Some(x) = message {
                    out.extend_from_slice(br#","message":"#);
                    put(out, x)?;
                }
                out.extend_from_slice(if *terminal { br#","terminal":true"# } else { br#","terminal":false"# });
                out.extend_from_slice(if *known { br#","known":true"# } else { br#","known":false"# });
            }
            Notice::Error { message } => {
                out.extend_from_slice(br#"{"kind":"error","message":"#);
                put(out, message)?;
            }
            Notice::Reconnect => out.extend_from_slice(br#"{"kind":"reconnect""#),
            // Rare kinds (and `warning`, from mesos3's task_info check): through their JSON value.
            Notice::Unplaced { .. } | Notice::OfferUnreadable { .. } | Notice::Warning { .. } => {
                return put(out, &self.to_json())
            }
        }
        out.push(b'}');
        Ok(())
    }
}

impl Actions {
    /// `{"ok": true, "calls": [...], "notices": [...], "wake_at": T | null}` as one line: the
    /// calls' own text, the notices written directly.
    pub fn to_json_text(&self) -> String {
        let guess = self.calls.iter().map(|c| c.text.len() + 1).sum::<usize>() + 160 * self.notices.len() + 64;
        let mut out = Vec::with_capacity(guess);
        out.extend_from_slice(br#"{"ok":true,"calls":["#);
        for (i, c) in self.calls.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(c.text.as_bytes());
        }
        out.extend_from_slice(br#"],"notices":["#);
        for (i, n) in self.notices.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing strings and numbers to a `Vec` cannot fail.
            let _ = n.write_json(&mut out);
        }
        out.extend_from_slice(br#"],"wake_at":"#);
        match self.wake_at {
            Some(t) => {
                let _ = put(&mut out, &Num(t));
            }
            None => out.extend_from_slice(b"null"),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::ReasonCode;

    /// Every notice kind written as text is the bytes of its JSON value.
    #[test]
    fn notices_written_as_text_are_their_values() {
        let attrs = crate::parse_attributes("rack:r\"1;zone:[1-3]").unwrap();
        let notices = [
            Notice::Subscribed { framework_id: "F\u{e9}1".into() },
            Notice::Launching {
                task_id: "t\n1".into(),
                agent_id: "a1".into(),
                hostname: "h1".into(),
                attributes: Attributes::new(),
                region: None,
                zone: Some("z".into()),
            },
            Notice::Launching {
                task_id: "t2".into(),
                agent_id: "a2".into(),
                hostname: "h2".into(),
                attributes: attrs,
                region: Some("r".into()),
                zone: None,
            },
            Notice::TaskState {
                task_id: "t1".into(),
                state: TaskState::Lost,
                reason: Some("REASON_INVALID_OFFERS".into()),
                message: Some("m".into()),
                terminal: false,
                known: true,
            },
            Notice::TaskState {
                task_id: "t1".into(),
                state: TaskState::Finished,
                reason: None,
                message: None,
                terminal: true,
                known: false,
            },
            Notice::Unplaced {
                task_id: "t3".into(),
                reasons: vec![Reason { code: ReasonCode::InsufficientCpus, message: "x".into(), offers: 2 }],
                nearest: Some(NearestFit {
                    agent_id: "a".into(),
                    hostname: "h".into(),
                    lacking: vec![ReasonCode::InsufficientCpus],
                    missing: vec![("cpus".into(), 1.5)],
                }),
            },
            Notice::Error { message: "boom \u{1}".into() },
            Notice::Reconnect,
            Notice::OfferUnreadable { offer_id: "o".into(), errors: vec![io::error("/x", "request.type", "bad")] },
        ];
        for n in &notices {
            let mut out = Vec::new();
            n.write_json(&mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), n.to_json().to_string());
        }
        let actions = Actions {
            calls: vec![Call::from_json("KILL", &json!({"type": "KILL"}))],
            notices: notices.to_vec(),
            wake_at: Some(2.5),
        };
        let value = json!({"ok": true, "calls": [{"type": "KILL"}],
            "notices": notices.iter().map(Notice::to_json).collect::<Vec<_>>(), "wake_at": 2.5});
        assert_eq!(actions.to_json_text(), value.to_string());
        let idle = Actions { wake_at: Some(3.0), ..Actions::default() };
        assert_eq!(idle.to_json_text(), r#"{"ok":true,"calls":[],"notices":[],"wake_at":3}"#);
    }
}
