//! A session's inputs (SESSION.md, "Inputs") and the Mesos v1 scheduler `Event`s they carry,
//! typed, with their JSON reader.
//!
//! Events are read the way the master writes them and protobuf's JSON parser reads them:
//! snake_case or camelCase keys, ids as `{"value": ...}` (a plain string is taken too), unknown
//! fields ignored, an unknown event type taken as nothing to do.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::config::escape;
use super::mesos_io::{self as io, Errors, WireError};
use super::state::TaskState;
use crate::limits::Limits;
use crate::model::{Offer, TaskRequest};

/// One step's input: the time and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Unix seconds, never smaller than the previous input's.
    pub now: f64,
    /// What happened.
    pub kind: InputKind,
}

/// What happened (one of SESSION.md's inputs).
#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    /// The host is ready to (re)connect: answered with `SUBSCRIBE`.
    Connect,
    /// One event of the master's stream.
    Event(Event),
    /// The stream broke (or a call was refused with 403 / 307).
    Disconnected,
    /// Tasks to run.
    Submit(Vec<TaskRequest>),
    /// Tasks to kill, by id.
    Kill(Vec<String>),
    /// Timers only.
    Tick,
}

/// A task status of an `UPDATE` event (the fields the session reads).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus {
    /// `task_id.value`.
    pub task_id: String,
    /// `state`.
    pub state: TaskState,
    /// `reason` (`REASON_INVALID_OFFERS`, ...).
    pub reason: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `agent_id.value`.
    pub agent_id: Option<String>,
    /// `uuid` (base64, as sent): present when the update must be acknowledged.
    pub uuid: Option<String>,
}

/// An operation status of an `UPDATE_OPERATION_STATUS` event.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationStatus {
    /// `operation_id.value`.
    pub operation_id: Option<String>,
    /// `state` (an `OperationState` name).
    pub state: String,
    /// `uuid.value` (base64): present when the update must be acknowledged.
    pub uuid: Option<String>,
    /// `agent_id.value`.
    pub agent_id: Option<String>,
    /// `resource_provider_id.value`.
    pub resource_provider_id: Option<String>,
}

/// An inverse offer: the master asks for an agent back (maintenance).
#[derive(Debug, Clone, PartialEq)]
pub struct InverseOffer {
    /// `id.value`.
    pub id: String,
    /// `agent_id.value`.
    pub agent_id: Option<String>,
}

/// An offer of an `OFFERS` event that offerfit cannot read: declined at once.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadableOffer {
    /// Its id.
    pub offer_id: String,
    /// Why it cannot be read.
    pub errors: Vec<WireError>,
}

/// One Mesos v1 scheduler event (scheduler.proto, `Event`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `SUBSCRIBED`.
    Subscribed {
        /// The framework id the master gave (or confirmed).
        framework_id: String,
    },
    /// `OFFERS`.
    Offers {
        /// The offers, decoded.
        offers: Vec<Offer>,
        /// Offers that could not be decoded (declined).
        unreadable: Vec<UnreadableOffer>,
    },
    /// `INVERSE_OFFERS`.
    InverseOffers(Vec<InverseOffer>),
    /// `RESCIND`.
    Rescind {
        /// The offer taken back.
        offer_id: String,
    },
    /// `RESCIND_INVERSE_OFFER`.
    RescindInverseOffer {
        /// The inverse offer taken back.
        inverse_offer_id: String,
    },
    /// `UPDATE`.
    Update(TaskStatus),
    /// `UPDATE_OPERATION_STATUS`.
    UpdateOperationStatus(OperationStatus),
    /// `MESSAGE` (nothing to do).
    Message,
    /// `FAILURE` (an agent or executor failed; the task updates follow).
    Failure,
    /// `ERROR`.
    Error {
        /// The master's message.
        message: String,
    },
    /// `HEARTBEAT`.
    Heartbeat,
    /// An event type this version does not know (nothing to do).
    Unknown {
        /// Its `type`.
        kind: String,
    },
}

impl Input {
    /// Reads one input from its JSON value, as [`crate::Session::step_value`] does before it
    /// steps (a host that holds objects can read a task list once and submit it typed later).
    ///
    /// ```
    /// use offerfit::session::{Input, InputKind};
    /// let input = Input::from_json(serde_json::json!({"now": 1, "submit": [{"id": "a", "cpus": 1}]})).unwrap();
    /// let InputKind::Submit(tasks) = input.kind else { panic!() };
    /// assert_eq!(tasks[0].id, "a");
    /// assert!(Input::from_json(serde_json::json!({"now": 1, "submit": [{"cpus": 1}]})).is_err());
    /// ```
    ///
    /// # Errors
    /// The contract's errors of a malformed input, with paths (limits are not checked here:
    /// [`crate::Session::step_value`] checks them).
    pub fn from_json(json: Json) -> Result<Input, Errors> {
        input_from_json(json)
    }
}

/// The input kinds, in SESSION.md's order.
pub(crate) const KINDS: &[&str] = &["connect", "event", "disconnected", "submit", "kill", "tick"];

/// camelCase of a snake_case key (`framework_id` → `frameworkId`).
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut up = false;
    for c in key.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A field by its snake_case name or its camelCase one, with its path.
fn field<'a>(m: &'a Map<String, Json>, key: &str, path: &str) -> Option<(&'a Json, String)> {
    if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
        return Some((v, format!("{path}/{key}")));
    }
    let c = camel(key);
    m.get(&c).filter(|v| !v.is_null()).map(|v| (v, format!("{path}/{c}")))
}

fn object<'a>(v: &'a Json, path: &str) -> Result<&'a Map<String, Json>, Errors> {
    v.as_object()
        .ok_or_else(|| vec![io::error(path, "request.type", format!("expected an object, found {}", io::kind(v)))])
}

fn required<'a>(m: &'a Map<String, Json>, key: &str, path: &str) -> Result<(&'a Json, String), Errors> {
    field(m, key, path).ok_or_else(|| vec![io::error(path, "request.missing_field", format!("missing field `{key}`"))])
}

/// An id: `{"value": "x"}` or `"x"`, not empty.
fn id_of(v: &Json, path: &str) -> Result<String, Errors> {
    let s = match v {
        Json::String(s) => Some(s),
        Json::Object(m) => match m.get("value") {
            Some(Json::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    };
    match s {
        Some(s) if !s.is_empty() => Ok(s.clone()),
        _ => Err(vec![io::error(
            path,
            "request.type",
            format!("expected an id `{{\"value\": \"...\"}}`, found {}", shown(v)),
        )]),
    }
}

fn shown(v: &Json) -> String {
    match v {
        Json::String(s) if s.is_empty() => "an empty string".into(),
        Json::Object(m) if m.get("value").is_some_and(|x| x.as_str() == Some("")) => "an empty id".into(),
        other => io::kind(other).into(),
    }
}

fn opt_id(m: &Map<String, Json>, key: &str, path: &str) -> Result<Option<String>, Errors> {
    field(m, key, path).map(|(v, p)| id_of(v, &p)).transpose()
}

fn opt_string(m: &Map<String, Json>, key: &str, path: &str) -> Result<Option<String>, Errors> {
    match field(m, key, path) {
        None => Ok(None),
        Some((Json::String(s), _)) => Ok(Some(s.clone())),
        Some((v, p)) => Err(vec![io::error(&p, "request.type", format!("expected a string, found {}", io::kind(v)))]),
    }
}

/// The payload object of an event: `{"type": "UPDATE", "update": {...}}` → the `update` object.
fn payload<'a>(m: &'a Map<String, Json>, key: &str, path: &str) -> Result<(&'a Map<String, Json>, String), Errors> {
    let (v, p) = required(m, key, path)?;
    Ok((object(v, &p)?, p))
}

/// Reads an event (`path` is where it sits in the input, `/event`).
///
/// # Errors
/// A malformed event of a known type (a missing or mistyped field), with its path.
pub(crate) fn event_from_json(json: &Json, path: &str) -> Result<Event, Errors> {
    let m = object(json, path)?;
    let kind = match required(m, "type", path)? {
        (Json::String(s), _) => s.as_str(),
        (v, p) => {
            return Err(vec![io::error(&p, "request.type", format!("expected an event type, found {}", io::kind(v)))])
        }
    };
    Ok(match kind {
        "SUBSCRIBED" => {
            let (s, p) = payload(m, "subscribed", path)?;
            let (id, ip) = required(s, "framework_id", &p)?;
            Event::Subscribed { framework_id: id_of(id, &ip)? }
        }
        "OFFERS" => {
            let (o, p) = payload(m, "offers", path)?;
            let (list, lp) = match field(o, "offers", &p) {
                None => (&[][..], format!("{p}/offers")),
                Some((Json::Array(l), lp)) => (l.as_slice(), lp),
                Some((v, lp)) => {
                    return Err(vec![io::error(
                        &lp,
                        "request.type",
                        format!("expected an array of offers, found {}", io::kind(v)),
                    )])
                }
            };
            let mut offers = Vec::with_capacity(list.len());
            let mut unreadable = Vec::new();
            for (i, o) in list.iter().enumerate() {
                let op = format!("{lp}/{i}");
                match io::offer_from_json(o, &op) {
                    Ok(offer) => offers.push(offer),
                    Err(errors) => {
                        // An offer with an id is answered (declined) even when the rest cannot be
                        // read; one without an id cannot be answered at all, so the event is refused.
                        let id = o.as_object().and_then(|m| field(m, "id", &op)).map(|(v, p)| id_of(v, &p));
                        match id {
                            Some(Ok(offer_id)) => unreadable.push(UnreadableOffer { offer_id, errors }),
                            _ => return Err(errors),
                        }
                    }
                }
            }
            Event::Offers { offers, unreadable }
        }
        "INVERSE_OFFERS" => {
            let (o, p) = payload(m, "inverse_offers", path)?;
            let mut out = Vec::new();
            match field(o, "inverse_offers", &p) {
                None => {}
                Some((Json::Array(list), lp)) => {
                    for (i, x) in list.iter().enumerate() {
                        let xp = format!("{lp}/{i}");
                        let xm = object(x, &xp)?;
                        let (id, idp) = required(xm, "id", &xp)?;
                        out.push(InverseOffer { id: id_of(id, &idp)?, agent_id: opt_id(xm, "agent_id", &xp)? });
                    }
                }
                Some((v, lp)) => {
                    return Err(vec![io::error(
                        &lp,
                        "request.type",
                        format!("expected an array of inverse offers, found {}", io::kind(v)),
                    )])
                }
            }
            Event::InverseOffers(out)
        }
        "RESCIND" => {
            let (r, p) = payload(m, "rescind", path)?;
            let (id, ip) = required(r, "offer_id", &p)?;
            Event::Rescind { offer_id: id_of(id, &ip)? }
        }
        "RESCIND_INVERSE_OFFER" => {
            let (r, p) = payload(m, "rescind_inverse_offer", path)?;
            let (id, ip) = required(r, "inverse_offer_id", &p)?;
            Event::RescindInverseOffer { inverse_offer_id: id_of(id, &ip)? }
        }
        "UPDATE" => {
            let (u, p) = payload(m, "update", path)?;
            let (s, sp) = required(u, "status", &p)?;
            let s = object(s, &sp)?;
            let (tid, tp) = required(s, "task_id", &sp)?;
            let state = match required(s, "state", &sp)? {
                (Json::String(x), xp) => TaskState::parse(x).ok_or_else(|| {
                    let mut e = io::error(&xp, "request.unknown_variant", format!("unknown task state `{x}`"));
                    e.help = Some(format!(
                        "expected one of {}",
                        TaskState::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                    vec![e]
                })?,
                (v, xp) => {
                    return Err(vec![io::error(
                        &xp,
                        "request.type",
                        format!("expected a task state, found {}", io::kind(v)),
                    )])
                }
            };
            Event::Update(TaskStatus {
                task_id: id_of(tid, &tp)?,
                state,
                reason: opt_string(s, "reason", &sp)?,
                message: opt_string(s, "message", &sp)?,
                agent_id: opt_id(s, "agent_id", &sp)?,
                uuid: opt_string(s, "uuid", &sp)?.filter(|u| !u.is_empty()),
            })
        }
        "UPDATE_OPERATION_STATUS" => {
            let (u, p) = payload(m, "update_operation_status", path)?;
            let (s, sp) = required(u, "status", &p)?;
            let s = object(s, &sp)?;
            let state = match required(s, "state", &sp)? {
                (Json::String(x), _) => x.clone(),
                (v, xp) => {
                    return Err(vec![io::error(
                        &xp,
                        "request.type",
                        format!("expected an operation state, found {}", io::kind(v)),
                    )])
                }
            };
            // `OperationStatus.uuid` is a `UUID` message: `{"value": base64}`.
            let uuid = match field(s, "uuid", &sp) {
                None => None,
                Some((Json::Object(u), up)) => match u.get("value") {
                    Some(Json::String(v)) if !v.is_empty() => Some(v.clone()),
                    None | Some(Json::Null) => None,
                    Some(v) => {
                        return Err(vec![io::error(
                            &format!("{up}/value"),
                            "request.type",
                            format!("expected a base64 string, found {}", io::kind(v)),
                        )])
                    }
                },
                Some((v, up)) => {
                    return Err(vec![io::error(
                        &up,
                        "request.type",
                        format!("expected `{{\"value\": base64}}`, found {}", io::kind(v)),
                    )])
                }
            };
            Event::UpdateOperationStatus(OperationStatus {
                operation_id: opt_id(s, "operation_id", &sp)?,
                state,
                uuid,
                agent_id: opt_id(s, "agent_id", &sp)?,
                resource_provider_id: opt_id(s, "resource_provider_id", &sp)?,
            })
        }
        "MESSAGE" => Event::Message,
        "FAILURE" => Event::Failure,
        "ERROR" => {
            let message = match field(m, "error", path) {
                Some((Json::Object(e), p)) => opt_string(e, "message", &p)?.unwrap_or_default(),
                _ => String::new(),
            };
            Event::Error { message }
        }
        "HEARTBEAT" => Event::Heartbeat,
        other => Event::Unknown { kind: other.to_owned() },
    })
}

/// Reads one input object.
///
/// # Errors
/// `session.input` for a missing or unknown input kind or two kinds at once, `session.now`
/// for a missing or non-numeric `now`, and the errors of the kind's payload, with paths.
pub(crate) fn input_from_json(json: Json) -> Result<Input, Errors> {
    let Json::Object(mut m) = json else {
        return Err(vec![io::error(
            "",
            "request.not_object",
            format!("expected a session input object, found {}", io::kind(&json)),
        )]);
    };
    let now = match m.remove("now") {
        Some(Json::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(other) => {
            return Err(vec![io::error(
                "/now",
                "session.now",
                format!("expected `now` in Unix seconds, found {}", io::kind(&other)),
            )])
        }
        None => return Err(vec![io::error("", "session.now", "missing field `now` (Unix seconds)")]),
    };
    let mut kinds = m.into_iter();
    let Some((key, value)) = kinds.next() else {
        let mut e = io::error("", "session.input", "expected an input kind beside `now`, found none");
        e.help = Some(format!("one of: {}", KINDS.join(", ")));
        return Err(vec![e]);
    };
    if let Some((second, _)) = kinds.next() {
        let known = KINDS.contains(&key.as_str());
        let culprit = if known { &second } else { &key };
        let mut e = io::error(
            &format!("/{}", escape(culprit)),
            "session.input",
            if KINDS.contains(&culprit.as_str()) {
                format!("expected one input kind per step, found `{key}` and `{second}`")
            } else {
                format!("unknown input kind `{culprit}`")
            },
        );
        e.help = Some(format!("one of: {}", KINDS.join(", ")));
        return Err(vec![e]);
    }
    let path = format!("/{}", escape(&key));
    let empty = |v: &Json| -> Result<(), Errors> {
        match v {
            Json::Object(_) => Ok(()),
            other => Err(vec![io::error(&path, "request.type", format!("expected `{{}}`, found {}", io::kind(other)))]),
        }
    };
    let kind = match key.as_str() {
        "connect" => empty(&value).map(|()| InputKind::Connect)?,
        "disconnected" => empty(&value).map(|()| InputKind::Disconnected)?,
        "tick" => empty(&value).map(|()| InputKind::Tick)?,
        "event" => InputKind::Event(event_from_json(&value, &path)?),
        "submit" => {
            let Json::Array(list) = value else {
                return Err(vec![io::error(
                    &path,
                    "request.type",
                    format!("expected an array of tasks, found {}", io::kind(&value)),
                )]);
            };
            let mut tasks = Vec::with_capacity(list.len());
            let mut errors = Errors::new();
            for (i, t) in list.into_iter().enumerate() {
                match io::task_from_json(t, &format!("{path}/{i}")) {
                    Ok(t) => tasks.push(t),
                    Err(e) => errors.extend(e),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            InputKind::Submit(tasks)
        }
        "kill" => {
            let Json::Array(list) = value else {
                return Err(vec![io::error(
                    &path,
                    "request.type",
                    format!("expected an array of task ids, found {}", io::kind(&value)),
                )]);
            };
            let mut ids = Vec::with_capacity(list.len());
            for (i, v) in list.into_iter().enumerate() {
                match v {
                    Json::String(s) => ids.push(s),
                    other => {
                        return Err(vec![io::error(
                            &format!("{path}/{i}"),
                            "request.type",
                            format!("expected a task id, found {}", io::kind(&other)),
                        )])
                    }
                }
            }
            InputKind::Kill(ids)
        }
        other => {
            let mut e = io::error(&path, "session.input", format!("unknown input kind `{other}`"));
            e.help = Some(match io::closest(other, KINDS) {
                Some(s) => format!("did you mean `{s}`? one of: {}", KINDS.join(", ")),
                None => format!("one of: {}", KINDS.join(", ")),
            });
            return Err(vec![e]);
        }
    };
    Ok(Input { now, kind })
}

/// Reads the two big inputs, a `submit` and an `OFFERS` event, straight from the text into
/// their typed form (each task and offer converted as it is read, no `serde_json::Value`
/// tree), or `None` when [`input_from_json`] must read the line: another input kind, anything
/// [`io::prescan`] cannot prove within the limits (so counts are checked while the text is
/// walked, before anything is kept), any key or shape beyond the plain one, any task or offer
/// that does not convert. What it reads is what [`input_from_json`] reads from the same line
/// (tested), and every refusal is the general path's own.
pub(crate) fn fast_input(text: &str, limits: &Limits) -> Option<Input> {
    io::prescan(text.as_bytes(), limits)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let input = de.deserialize_map(InputVisitor).ok()?;
    de.end().ok()?;
    Some(input)
}

/// `{"now": T, "submit": [...]}` or `{"now": T, "event": {"type": "OFFERS", ...}}`, in any
/// key order, nothing else.
struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a session input")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let (mut now, mut kind) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "now" if now.is_none() => now = Some(map.next_value::<f64>()?),
                "submit" if kind.is_none() => {
                    kind = Some(InputKind::Submit(map.next_value_seed(io::ListSeed(io::TaskItem, 0))?));
                }
                "event" if kind.is_none() => kind = Some(map.next_value_seed(OffersEvent)?),
                _ => return Err(io::give_up()),
            }
        }
        match (now, kind) {
            (Some(now), Some(kind)) => Ok(Input { now, kind }),
            _ => Err(io::give_up()),
        }
    }
}

/// `{"type": "OFFERS", "offers": {"offers": [...]}}`, in any key order, nothing else.
#[derive(Clone, Copy)]
struct OffersEvent;

impl<'de> de::DeserializeSeed<'de> for OffersEvent {
    type Value = InputKind;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<InputKind, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OffersEvent {
    type Value = InputKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OFFERS event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InputKind, A::Error> {
        let (mut offers_type, mut offers) = (false, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" if !offers_type => {
                    if map.next_value::<std::borrow::Cow<'de, str>>()? != "OFFERS" {
                        return Err(io::give_up());
                    }
                    offers_type = true;
                }
                "offers" if offers.is_none() => offers = Some(map.next_value_seed(OffersPayload)?),
                _ => return Err(io::give_up()),
            }
        }
        match (offers_type, offers) {
            (true, Some(offers)) => Ok(InputKind::Event(Event::Offers { offers, unreadable: Vec::new() })),
            _ => Err(io::give_up()),
        }
    }
}

/// `{"offers": [...]}`, nothing else.
#[derive(Clone, Copy)]
struct OffersPayload;

impl<'de> de::DeserializeSeed<'de> for OffersPayload {
    type Value = Vec<Offer>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Offer>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OffersPayload {
    type Value = Vec<Offer>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the offers of an OFFERS event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Offer>, A::Error> {
        let mut offers = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "offers" if offers.is_none() => offers = Some(map.next_value_seed(io::ListSeed(io::OfferItem, 0))?),
                _ => return Err(io::give_up()),
            }
        }
        offers.ok_or_else(io::give_up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn camel_case_keys_and_plain_ids_are_read() {
        let e = event_from_json(
            &json!({"type": "UPDATE", "update": {"status": {"taskId": "t1", "state": "TASK_RUNNING",
                "agentId": {"value": "S1"}, "uuid": "AAEC"}}}),
            "/event",
        )
        .unwrap();
        let Event::Update(s) = e else { panic!("{e:?}") };
        assert_eq!((s.task_id.as_str(), s.agent_id.as_deref(), s.uuid.as_deref()), ("t1", Some("S1"), Some("AAEC")));
    }

    #[test]
    fn bad_fields_have_paths() {
        let e = event_from_json(&json!({"type": "RESCIND", "rescind": {"offer_id": 3}}), "/event").unwrap_err();
        assert_eq!(e[0].path.as_deref(), Some("/event/rescind/offer_id"));
        let e = input_from_json(json!({"now": 1, "tick": {}, "tock": {}})).unwrap_err();
        assert_eq!((e[0].code.as_str(), e[0].path.as_deref()), ("session.input", Some("/tock")));
        let e = input_from_json(json!({"now": "1", "tick": {}})).unwrap_err();
        assert_eq!(e[0].code, "session.now");
        assert_eq!(camel("resource_provider_id"), "resourceProviderId");
    }

    /// What the general path reads from a line: the typed input, or its refusal.
    fn general(line: &str, limits: &Limits) -> Result<Input, Errors> {
        io::read_json(line, limits).and_then(input_from_json)
    }

    /// Every golden input line, the README's offers event, and shapes at the edges: when the
    /// fast reader answers, it reads exactly what the general path reads.
    #[test]
    fn the_fast_reader_reads_what_the_general_path_reads() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/session");
        let mut lines: Vec<String> = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".jsonl") && !p.to_string_lossy().ends_with(".out.jsonl"))
            .collect();
        files.sort();
        for f in files {
            lines.extend(std::fs::read_to_string(f).unwrap().lines().skip(1).map(str::to_owned));
        }
        let event = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mesos-offers-event.json"));
        lines.push(format!(r#"{{"now": 3, "event": {}}}"#, event.unwrap().trim()));
        lines.extend(
            [
                r#"{"submit": [{"id": "a", "cpus": "1.5", "mem": 64, "constraints": [["rack", "UNIQUE"]]}], "now": 2}"#,
                r#"{"now": 1e3, "event": {"offers": {"offers": []}, "type": "OFFERS"}}"#,
                r#"{"now": 1, "submit": []}"#,
                r#"{"now": 1, "submit": [{"id": "a", "cpus": -1}]}"#,
                r#"{"now": 1, "submit": [{"id": "a"}], "tick": {}}"#,
                r#"{"now": "1", "submit": []}"#,
                r#"{"now": 1, "submit": [{"id": "a", "id": "b"}]}"#,
                r#"{"now": 1, "event": {"type": "OFFERS", "offers": {"offers": [{"id": {"value": "o1"}}]}}}"#,
                r#"{"now": 1, "event": {"type": "OFFERS", "offers": {"offers": [{"id": {"value": "o1"},
                    "agent_id": {"value": "a1"}, "hostname": "h", "resources": "cpus:4;mem:1024",
                    "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]}]}}}"#,
                r#"{"now": 1, "event": {"type": "OFFERS", "offers": {"offers": [], "inverse_offers": []}}}"#,
                r#"{"now": 1, "event": {"type": "RESCIND", "rescind": {"offer_id": {"value": "o1"}}}}"#,
                r#"{"now": 1, "event": {"type": "OFF\u0045RS", "offers": {"offers": []}}}"#,
                r#"{"now": 1, "submit": [{"id": "a"}]} x"#,
            ]
            .map(|l| l.replace('\n', " ")),
        );
        let mut fast = 0;
        for line in &lines {
            for limits in [Limits::DEFAULT, Limits { list_items: 1, string_bytes: 8, ..Limits::DEFAULT }] {
                if let Some(input) = fast_input(line, &limits) {
                    assert_eq!(Ok(input), general(line, &limits), "{line}");
                    fast += 1;
                }
            }
        }
        assert!(fast >= 20, "{fast}");
        // Shapes the fast reader leaves to the general path (which refuses them or reads more;
        // a task `place` refuses, such as `cpus: -1`, is read by both and refused by `step`).
        for line in [
            r#"{"now": "1", "submit": []}"#,
            r#"{"now": 1, "submit": [{"id": "a", "id": "b"}]}"#,
            r#"{"now": 1, "event": {"type": "OFFERS", "offers": {"offers": [], "inverse_offers": []}}}"#,
            r#"{"now": 1, "event": {"type": "RESCIND", "rescind": {"offer_id": {"value": "o1"}}}}"#,
            r#"{"now": 1, "submit": [{"id": "a"}], "tick": {}}"#,
        ] {
            assert!(fast_input(line, &Limits::DEFAULT).is_none(), "{line}");
        }
        let few = Limits { list_items: 1, ..Limits::DEFAULT };
        assert!(fast_input(r#"{"now": 1, "submit": [{"id": "a"}, {"id": "b"}]}"#, &few).is_none());
    }
}
