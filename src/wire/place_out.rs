//! The `place` response written straight to text, with no `serde_json::Value` tree: by hand
//! where it is hot (accepts, launches, plain scalar resources, declines), through `Serialize`
//! views of the [`Plan`] and of the model elsewhere, every string and number by `serde_json`.
//! The model's parts come from [`crate::mesos::write_text`]. The bytes are those of the tree that [`super::ops_place::plan_to_json`] builds (same keys
//! in the same order, same escaping and number formatting).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Map;

use super::mesos::scalar_json;
use crate::decision::{AgentAccept, Nearest, Plan, Reason, Unplaced};
use crate::mesos::write_text::{put, put_str, write_resources, List, Num};

struct ReasonOut<'a>(&'a Reason);

impl Serialize for ReasonOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", r.code.as_str())?;
        m.serialize_entry("message", &r.message)?;
        m.serialize_entry("offers", &r.offers)?;
        m.end()
    }
}

struct NearestOut<'a, 'r>(&'a Nearest<'r>);

impl Serialize for NearestOut<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        // A map, as `plan_to_json` builds it: a repeated name keeps its first place and its
        // last value.
        let mut missing = Map::new();
        for (name, v) in &n.missing {
            missing.insert(name.clone(), scalar_json(*v));
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("agent_id", n.agent_id)?;
        m.serialize_entry("hostname", n.hostname)?;
        m.serialize_entry("lacking", &List(&n.lacking, |c: &crate::decision::ReasonCode| c.as_str()))?;
        m.serialize_entry("missing", &missing)?;
        m.end()
    }
}

struct UnplacedOut<'a, 'r>(&'a Unplaced<'r>);

impl Serialize for UnplacedOut<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let u = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("task_id", u.task_id)?;
        m.serialize_entry("reasons", &List(&u.reasons, ReasonOut))?;
        if let Some(n) = &u.nearest {
            m.serialize_entry("nearest", &NearestOut(n))?;
        }
        m.end()
    }
}

/// The `ok: true` response of `place` for `plan`, as one line of JSON text: the bytes
/// `serde_json::to_string` writes for `{"ok": true}` followed by [`super::ops_place::plan_to_json`];
/// `capacity` is a guess of its length in bytes.
///
/// # Errors
/// Only if `serde_json` fails to write (it does not for these types).
pub(crate) fn response_text(plan: &Plan<'_>, capacity: usize) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(capacity.max(64 + 512 * plan.accept.len() + 96 * plan.decline.len()));
    write_response(&mut out, plan)?;
    // serde_json writes valid UTF-8 only, and so do the literals below.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// [`ResponseOut`] written by hand where it is hot (the accepts, their launches and
/// resources, the declines): the same bytes, without the generic map machinery.
fn write_response(out: &mut Vec<u8>, p: &Plan<'_>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"ok":true,"accept":["#);
    for (i, a) in p.accept.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_accept(out, a)?;
    }
    out.extend_from_slice(br#"],"decline":["#);
    for (i, d) in p.decline.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"offer_id":"#);
        put_str(out, d.offer_id)?;
        out.extend_from_slice(br#","refuse_seconds":"#);
        put(out, &Num(d.refuse_seconds))?;
        out.extend_from_slice(br#","reason":"#);
        put_str(out, d.reason.as_str())?;
        out.push(b'}');
    }
    out.extend_from_slice(br#"],"unplaced":"#);
    put(out, &List(&p.unplaced, UnplacedOut))?;
    if let Some(calls) = crate::engine::CallsOut::of(p) {
        out.extend_from_slice(br#","calls":"#);
        put(out, &calls)?;
    }
    let st = &p.stats;
    out.extend_from_slice(br#","stats":{"offers":"#);
    put(out, &st.offers)?;
    out.extend_from_slice(br#","tasks":"#);
    put(out, &st.tasks)?;
    out.extend_from_slice(br#","placed":"#);
    put(out, &st.placed)?;
    out.extend_from_slice(br#","evaluations":"#);
    put(out, &st.evaluations)?;
    out.extend_from_slice(br#","objective":"#);
    put(out, st.objective)?;
    out.extend_from_slice(br#","objective_value":"#);
    put(out, &Num(st.objective_value))?;
    out.extend_from_slice(br#","repair_passes":"#);
    put(out, &st.repair_passes)?;
    out.push(b'}');
    if !p.warnings.is_empty() {
        out.extend_from_slice(br#","warnings":"#);
        let list: Vec<super::errors::WireError> =
            p.warnings.iter().map(|(path, e)| super::errors::WireError::from_error(e, path)).collect();
        put(out, &list)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_accept(out: &mut Vec<u8>, a: &AgentAccept<'_>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"agent_id":"#);
    put_str(out, a.agent_id)?;
    out.extend_from_slice(br#","hostname":"#);
    put_str(out, a.hostname)?;
    out.extend_from_slice(br#","offer_ids":["#);
    for (i, id) in a.offer_ids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        put_str(out, id)?;
    }
    out.push(b']');
    out.extend_from_slice(br#","tasks":["#);
    for (i, t) in a.tasks.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"task_id":"#);
        put_str(out, t.task_id)?;
        out.extend_from_slice(br#","resources":"#);
        write_resources(out, &t.resources)?;
        out.extend_from_slice(br#","ports":"#);
        put(out, &t.ports)?;
        out.extend_from_slice(br#","score":"#);
        put(out, &Num(t.score))?;
        if let Some(ex) = &t.executor_resources {
            out.extend_from_slice(br#","executor_resources":"#);
            write_resources(out, ex)?;
        }
        out.push(b'}');
    }
    out.extend_from_slice(br#"],"remaining":"#);
    write_resources(out, &a.remaining)?;
    out.push(b'}');
    Ok(())
}
