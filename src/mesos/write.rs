//! The model as Mesos v1 JSON: `Value`, `Resource` (always in the post-refinement form, with
//! `reservations` present on every resource, `[]` when unreserved), `Attribute` and `Offer`.
//! Every host gets the same bytes: whole doubles print without a fraction ([`scalar_json`]).

use serde_json::{json, Map, Value as Json};

use crate::model::{
    Attribute, Attributes, DiskInfo, DiskSourceType, Label, Offer, Ranges, Reservation, Resource, ResourceValue,
    Resources, Set, Value, VolumeMode,
};

/// `{"range": [{"begin", "end"}, ...]}`.
pub fn ranges_to_json(r: &Ranges) -> Json {
    let list: Vec<Json> = r.iter().map(|x| json!({"begin": x.begin, "end": x.end})).collect();
    json!({ "range": list })
}

/// `{"item": [...]}`.
pub fn set_to_json(s: &Set) -> Json {
    json!({ "item": s.items() })
}

/// A Mesos v1 `Value`: `{"type": "SCALAR", "scalar": {"value": 45.55}}`, …
pub fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Scalar(x) => json!({"type": "SCALAR", "scalar": {"value": scalar_json(*x)}}),
        Value::Ranges(r) => json!({"type": "RANGES", "ranges": ranges_to_json(r)}),
        Value::Set(s) => json!({"type": "SET", "set": set_to_json(s)}),
        Value::Text(t) => json!({"type": "TEXT", "text": {"value": t}}),
    }
}

/// A double as JSON: whole numbers print without a fraction (`8`, not `8.0`), so output is
/// identical on every platform and in every binding.
pub fn scalar_json(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        Json::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

fn labels_to_json(labels: &[Label]) -> Json {
    let list: Vec<Json> = labels
        .iter()
        .map(|l| match &l.value {
            Some(v) => json!({"key": l.key, "value": v}),
            None => json!({"key": l.key}),
        })
        .collect();
    json!({ "labels": list })
}

fn reservation_to_json(r: &Reservation) -> Json {
    let mut m = Map::new();
    m.insert("type".into(), r.kind.as_str().into());
    m.insert("role".into(), r.role.clone().into());
    if let Some(p) = &r.principal {
        m.insert("principal".into(), p.clone().into());
    }
    if !r.labels.is_empty() {
        m.insert("labels".into(), labels_to_json(&r.labels));
    }
    Json::Object(m)
}

fn disk_to_json(d: &DiskInfo) -> Json {
    let mut m = Map::new();
    if let Some(p) = &d.persistence {
        let mut pm = Map::new();
        pm.insert("id".into(), p.id.clone().into());
        if let Some(pr) = &p.principal {
            pm.insert("principal".into(), pr.clone().into());
        }
        m.insert("persistence".into(), Json::Object(pm));
    }
    if let Some(v) = &d.volume {
        let mut vm = Map::new();
        vm.insert("container_path".into(), v.container_path.clone().into());
        if let Some(h) = &v.host_path {
            vm.insert("host_path".into(), h.clone().into());
        }
        if let Some(mode) = v.mode {
            vm.insert("mode".into(), if mode == VolumeMode::Rw { "RW" } else { "RO" }.into());
        }
        m.insert("volume".into(), Json::Object(vm));
    }
    if let Some(s) = &d.source {
        let mut sm = Map::new();
        sm.insert("type".into(), s.kind.as_str().into());
        if let Some(root) = &s.root {
            match s.kind {
                DiskSourceType::Path => {
                    sm.insert("path".into(), json!({ "root": root }));
                }
                DiskSourceType::Mount => {
                    sm.insert("mount".into(), json!({ "root": root }));
                }
                _ => {}
            }
        }
        for (key, v) in [("vendor", &s.vendor), ("id", &s.id), ("profile", &s.profile)] {
            if let Some(v) = v {
                sm.insert(key.into(), v.clone().into());
            }
        }
        if !s.metadata.is_empty() {
            sm.insert("metadata".into(), labels_to_json(&s.metadata));
        }
        m.insert("source".into(), Json::Object(sm));
    }
    Json::Object(m)
}

/// One resource as Mesos v1 JSON, in the post-refinement form:
/// `{"name", "type", "scalar"|"ranges"|"set", "reservations": [...], "disk"?, "shared"?,
/// "revocable"?, "allocation_info"?, "provider_id"?}`.
///
/// ```
/// let r = offerfit::parse_resource("cpus", "2", "eng").unwrap();
/// assert_eq!(
///     offerfit::mesos::resource_to_json(&r).to_string(),
///     r#"{"name":"cpus","type":"SCALAR","scalar":{"value":2},"reservations":[{"type":"STATIC","role":"eng"}]}"#
/// );
/// ```
pub fn resource_to_json(r: &Resource) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), r.name.as_str().into());
    m.insert("type".into(), r.value_type().as_str().into());
    match &r.value {
        ResourceValue::Scalar(s) => {
            m.insert("scalar".into(), json!({ "value": scalar_json(s.to_f64()) }));
        }
        ResourceValue::Ranges(x) => {
            m.insert("ranges".into(), ranges_to_json(x));
        }
        ResourceValue::Set(x) => {
            m.insert("set".into(), set_to_json(x));
        }
    }
    m.insert("reservations".into(), Json::Array(r.reservations.iter().map(reservation_to_json).collect()));
    if let Some(d) = &r.disk {
        m.insert("disk".into(), disk_to_json(d));
    }
    if r.shared {
        m.insert("shared".into(), json!({}));
    }
    if r.revocable {
        m.insert("revocable".into(), json!({}));
    }
    if let Some(role) = &r.allocation_role {
        m.insert("allocation_info".into(), json!({ "role": role }));
    }
    if let Some(p) = &r.provider_id {
        m.insert("provider_id".into(), json!({ "value": p }));
    }
    Json::Object(m)
}

/// Resources as a JSON array of Mesos v1 `Resource` objects, in their (merged) order.
pub fn resources_to_json(r: &Resources) -> Json {
    Json::Array(r.iter().map(resource_to_json).collect())
}

/// One attribute as Mesos v1 JSON: `{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}`.
pub fn attribute_to_json(a: &Attribute) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), a.name.clone().into());
    if let Json::Object(v) = value_to_json(&a.value) {
        m.extend(v);
    }
    Json::Object(m)
}

/// Attributes as a JSON array of Mesos v1 `Attribute` objects, in order.
pub fn attributes_to_json(a: &Attributes) -> Json {
    Json::Array(a.iter().map(attribute_to_json).collect())
}

/// An offer as Mesos v1 JSON (`id`, `framework_id`, `agent_id`, `hostname`, `domain`,
/// `allocation_info`, `unavailability`, `resources`, `attributes`, `executor_ids`; absent
/// parts left out; 64-bit nanoseconds as numbers).
pub fn offer_to_json(o: &Offer) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), json!({ "value": o.id }));
    if let Some(f) = &o.framework_id {
        m.insert("framework_id".into(), json!({ "value": f }));
    }
    m.insert("agent_id".into(), json!({ "value": o.agent_id }));
    m.insert("hostname".into(), o.hostname.clone().into());
    if o.region.is_some() || o.zone.is_some() {
        let mut fd = Map::new();
        if let Some(r) = &o.region {
            fd.insert("region".into(), json!({ "name": r }));
        }
        if let Some(z) = &o.zone {
            fd.insert("zone".into(), json!({ "name": z }));
        }
        m.insert("domain".into(), json!({ "fault_domain": fd }));
    }
    if let Some(role) = &o.allocation_role {
        m.insert("allocation_info".into(), json!({ "role": role }));
    }
    if let Some(u) = &o.unavailability {
        let mut um = Map::new();
        um.insert("start".into(), json!({ "nanoseconds": u.start_ns }));
        if let Some(d) = u.duration_ns {
            um.insert("duration".into(), json!({ "nanoseconds": d }));
        }
        m.insert("unavailability".into(), Json::Object(um));
    }
    m.insert("resources".into(), resources_to_json(&o.resources));
    m.insert("attributes".into(), attributes_to_json(&o.attributes));
    if !o.executor_ids.is_empty() {
        let ids: Vec<Json> = o.executor_ids.iter().map(|e| json!({ "value": e })).collect();
        m.insert("executor_ids".into(), Json::Array(ids));
    }
    Json::Object(m)
}
