//! Mesos v1 scheduler-API JSON for `Offer`, `Resource`, `Attribute` and `Value`, and its
//! conversion to and from the model.
//!
//! Reading is tolerant the way Mesos' own JSON reader and protobuf's `JsonFormat` are:
//! snake_case and camelCase keys (`agent_id` / `agentId`), 64-bit integers as numbers or
//! numeric strings (`"begin": "31000"`), unknown fields ignored, ids as `{"value": ...}` or
//! a plain string, and the legacy `role` / `reservation` fields upgraded to the
//! `reservations` stack. The serde DTOs below only check structure; the conversions check
//! meaning, so every error carries the JSON pointer of the culprit.
//!
//! Writing always uses the post-refinement form, with `reservations` present on every
//! resource (`[]` when unreserved).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use smallvec::SmallVec;

use super::errors::{kind, pointer};
use super::{Errors, WireError};
use crate::error::{Error, ParseError, Result, Span};
use crate::model::{
    Attribute, Attributes, DiskInfo, DiskSource, DiskSourceType, Label, Offer, Persistence, Ranges, Reservation,
    ReservationType, Resource, ResourceValue, Resources, Scalar, Set, Unavailability, Value, Volume, VolumeMode,
};

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

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
///     offerfit::wire::mesos::resource_to_json(&r).to_string(),
///     r#"{"name":"cpus","type":"SCALAR","scalar":{"value":2},"reservations":[{"type":"STATIC","role":"eng"}]}"#
/// );
/// ```
pub fn resource_to_json(r: &Resource) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), r.name.clone().into());
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

// ---------------------------------------------------------------------------------------
// Lenient scalars: 64-bit integers as numbers or numeric strings
// ---------------------------------------------------------------------------------------

struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer (a number or a numeric string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

struct I64Visitor;

impl Visitor<'_> for I64Visitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer (a number or a numeric string)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            Ok(v as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

struct F64Visitor;

impl Visitor<'_> for F64Visitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number (or a numeric string)")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        // Protobuf's JsonFormat writes non-finite doubles as strings; the conversion refuses them.
        v.trim().parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(U64Visitor)
}

fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(I64Visitor)
}

fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(F64Visitor)
}

/// A Mesos id: `{"value": "..."}`, or just the string.
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        match Json::deserialize(d)? {
            Json::String(s) => Ok(Id(s)),
            Json::Object(mut m) => match m.remove("value") {
                Some(Json::String(s)) => Ok(Id(s)),
                _ => Err(de::Error::custom("expected an id `{\"value\": \"...\"}` or a string")),
            },
            other => Err(de::Error::custom(format_args!(
                "expected an id `{{\"value\": \"...\"}}` or a string, found {}",
                kind(&other)
            ))),
        }
    }
}

// ---------------------------------------------------------------------------------------
// DTOs (structure only)
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct ScalarDto {
    #[serde(deserialize_with = "de_f64")]
    value: f64,
}

#[derive(Deserialize)]
struct RangeDto {
    #[serde(deserialize_with = "de_u64")]
    begin: u64,
    #[serde(deserialize_with = "de_u64")]
    end: u64,
}

#[derive(Deserialize)]
struct RangesDto {
    #[serde(default)]
    range: Vec<RangeDto>,
}

#[derive(Deserialize)]
struct SetDto {
    #[serde(default)]
    item: Vec<String>,
}

#[derive(Deserialize)]
struct TextDto {
    value: String,
}

#[derive(Deserialize)]
struct LabelDto {
    key: String,
    value: Option<String>,
}

/// `{"labels": [...]}` as Mesos writes it, or a bare list.
#[derive(Deserialize)]
#[serde(untagged)]
enum LabelsDto {
    Wrapped {
        #[serde(default)]
        labels: Vec<LabelDto>,
    },
    Bare(Vec<LabelDto>),
}

impl LabelsDto {
    fn into_labels(self) -> Vec<Label> {
        let list = match self {
            LabelsDto::Wrapped { labels } | LabelsDto::Bare(labels) => labels,
        };
        list.into_iter().map(|l| Label { key: l.key, value: l.value }).collect()
    }
}

#[derive(Deserialize)]
struct RoleDto {
    role: Option<String>,
}

#[derive(Deserialize)]
struct ReservationDto {
    #[serde(rename = "type")]
    kind: Option<String>,
    role: Option<String>,
    principal: Option<String>,
    labels: Option<LabelsDto>,
}

#[derive(Deserialize)]
struct LegacyReservationDto {
    principal: Option<String>,
    labels: Option<LabelsDto>,
}

#[derive(Deserialize)]
struct RootDto {
    root: Option<String>,
}

#[derive(Deserialize)]
struct SourceDto {
    #[serde(rename = "type")]
    kind: Option<String>,
    path: Option<RootDto>,
    mount: Option<RootDto>,
    vendor: Option<String>,
    id: Option<String>,
    profile: Option<String>,
    metadata: Option<LabelsDto>,
}

#[derive(Deserialize)]
struct PersistenceDto {
    id: String,
    principal: Option<String>,
}

#[derive(Deserialize)]
struct VolumeDto {
    #[serde(alias = "containerPath")]
    container_path: String,
    #[serde(alias = "hostPath")]
    host_path: Option<String>,
    mode: Option<String>,
}

#[derive(Deserialize)]
struct DiskDto {
    persistence: Option<PersistenceDto>,
    volume: Option<VolumeDto>,
    source: Option<SourceDto>,
}

/// A resource's `type`, read without allocating for the names a resource may have.
enum TypeName {
    Scalar,
    Ranges,
    Set,
    Other(String),
}

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TypeName, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TypeName;
            // As `String`'s own visitor says, so that errors read the same.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeName, E> {
                Ok(match v {
                    "SCALAR" => TypeName::Scalar,
                    "RANGES" => TypeName::Ranges,
                    "SET" => TypeName::Set,
                    other => TypeName::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_string(V)
    }
}

#[derive(Deserialize)]
struct ResourceDto {
    name: String,
    #[serde(rename = "type")]
    kind: Option<TypeName>,
    scalar: Option<ScalarDto>,
    ranges: Option<RangesDto>,
    set: Option<SetDto>,
    role: Option<String>,
    reservation: Option<LegacyReservationDto>,
    #[serde(default)]
    reservations: Vec<ReservationDto>,
    /// Boxed: rare, and large enough to make every resource's decoding struct costly to move.
    disk: Option<Box<DiskDto>>,
    /// Present and not `null` (whatever it holds).
    shared: Option<de::IgnoredAny>,
    /// Present and not `null` (whatever it holds).
    revocable: Option<de::IgnoredAny>,
    #[serde(alias = "allocationInfo")]
    allocation_info: Option<RoleDto>,
    #[serde(alias = "providerId")]
    provider_id: Option<Id>,
}

#[derive(Deserialize)]
struct AttributeDto {
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    scalar: Option<ScalarDto>,
    ranges: Option<RangesDto>,
    set: Option<SetDto>,
    text: Option<TextDto>,
}

#[derive(Deserialize)]
struct NameDto {
    name: Option<String>,
}

#[derive(Deserialize)]
struct FaultDomainDto {
    region: Option<NameDto>,
    zone: Option<NameDto>,
}

#[derive(Deserialize)]
struct DomainDto {
    #[serde(alias = "faultDomain")]
    fault_domain: Option<FaultDomainDto>,
}

#[derive(Deserialize)]
struct NanosDto {
    #[serde(deserialize_with = "de_i64")]
    nanoseconds: i64,
}

#[derive(Deserialize)]
struct UnavailabilityDto {
    start: NanosDto,
    duration: Option<NanosDto>,
}

/// The offer's own fields; `resources` and `attributes` are read separately so that their
/// errors carry exact paths.
#[derive(Deserialize)]
struct OfferDto {
    id: Id,
    #[serde(alias = "frameworkId")]
    framework_id: Option<Id>,
    #[serde(alias = "agentId", alias = "slave_id", alias = "slaveId")]
    agent_id: Id,
    hostname: String,
    domain: Option<DomainDto>,
    unavailability: Option<UnavailabilityDto>,
    #[serde(alias = "allocationInfo")]
    allocation_info: Option<RoleDto>,
    #[serde(alias = "executorIds", default)]
    executor_ids: Vec<Id>,
}

// ---------------------------------------------------------------------------------------
// Reading: DTO → model, with relative JSON pointers
// ---------------------------------------------------------------------------------------

/// An error and the JSON pointer of its culprit, relative to the object being converted.
type Fault = (Error, String);

fn at(path: &str) -> impl FnOnce(Error) -> Fault + '_ {
    move |e| (e, path.to_owned())
}

fn structure<'de, T: Deserialize<'de>>(json: &'de Json) -> Result<T, Fault> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = pointer("", e.path());
        let w = WireError::from_serde(e.inner(), path.clone());
        let code = match w.code.as_str() {
            "request.missing_field" => "request.missing_field",
            "request.type" => "request.type",
            "request.unknown_variant" => "request.unknown_variant",
            _ => "request.invalid",
        };
        (Error::invalid(code, w.message), path)
    })
}

/// Where a list of resources comes from: the agent command line (Mesos' stricter
/// `validateCommandLineResources`: no dynamic reservations, persistent volumes, revocable
/// resources or overlapping ranges) or the API (offers, operations).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    AgentFlag,
    Api,
}

fn scalar_from(name: &str, v: f64, path: &str) -> Result<Scalar, Fault> {
    let s = Scalar::from_f64(v).map_err(at(path))?;
    if v < 0.0 {
        return Err((
            Error::invalid("resources.scalar", format!("expected a non-negative amount of `{name}`, found `{v}`")),
            path.to_owned(),
        ));
    }
    if s.is_zero() && v != 0.0 {
        return Err((
            Error::invalid("resources.scalar", format!("expected an amount of at least 0.001 (or 0), found `{v}`"))
                .with_help("Mesos keeps three decimals, so this amount would be lost"),
            path.to_owned(),
        ));
    }
    Ok(s)
}

fn ranges_from(dto: RangesDto, origin: Origin) -> Result<Ranges, Fault> {
    for (i, r) in dto.range.iter().enumerate() {
        if r.begin > r.end {
            return Err((
                Error::invalid("resources.range", format!("range `{}-{}` ends before it begins", r.begin, r.end))
                    .with_help("write the smaller bound first"),
                format!("/ranges/range/{i}"),
            ));
        }
    }
    if origin == Origin::AgentFlag {
        let mut pairs: Vec<(u64, u64, usize)> =
            dto.range.iter().enumerate().map(|(i, r)| (r.begin, r.end, i)).collect();
        // Mesos' `Resources::validate` refuses overlapping ranges; the API side coalesces them.
        pairs.sort_unstable();
        for w in pairs.windows(2) {
            if let [(b0, e0, _), (b1, e1, i)] = w {
                if b1 <= e0 {
                    return Err((
                        Error::invalid("resources.range", format!("ranges `{b0}-{e0}` and `{b1}-{e1}` overlap")),
                        format!("/ranges/range/{i}"),
                    ));
                }
            }
        }
    }
    Ranges::from_pairs(dto.range.iter().map(|r| (r.begin, r.end))).map_err(at("/ranges"))
}

fn unknown_type(found: &str, expected: &[&str], code: &'static str) -> Error {
    let list: Vec<String> = expected.iter().map(|t| format!("`{t}`")).collect();
    let mut e = Error::invalid(code, format!("expected `type` {}, found `{found}`", list.join(", ")));
    if let Some(s) = super::errors::closest(found, expected) {
        e = e.with_help(format!("did you mean `{s}`?"));
    }
    e
}

/// The payload of the declared type, refusing the payload of another type alongside it.
fn resource_value(dto: &mut ResourceDto, origin: Origin) -> Result<ResourceValue, Fault> {
    let kind = dto.kind.take().ok_or_else(|| {
        (
            Error::invalid("request.missing_field", "missing field `type`")
                .with_help("a resource needs `\"type\": \"SCALAR\"`, `\"RANGES\"` or `\"SET\"`"),
            String::new(),
        )
    })?;
    let others = |present: [(&str, bool); 2], kind: &str| -> Result<(), Fault> {
        for (field, here) in present {
            if here {
                return Err((
                    Error::invalid("resources.value", format!("a {kind} resource must not carry `{field}`")),
                    format!("/{field}"),
                ));
            }
        }
        Ok(())
    };
    let missing = |field: &str, kind: &str| {
        (Error::invalid("resources.value", format!("expected `{field}` in a {kind} resource")), String::new())
    };
    match kind {
        TypeName::Scalar => {
            others([("ranges", dto.ranges.is_some()), ("set", dto.set.is_some())], "SCALAR")?;
            let s = dto.scalar.take().ok_or_else(|| missing("scalar", "SCALAR"))?;
            scalar_from(&dto.name, s.value, "/scalar/value").map(ResourceValue::Scalar)
        }
        TypeName::Ranges => {
            others([("scalar", dto.scalar.is_some()), ("set", dto.set.is_some())], "RANGES")?;
            let r = dto.ranges.take().ok_or_else(|| missing("ranges", "RANGES"))?;
            ranges_from(r, origin).map(ResourceValue::Ranges)
        }
        TypeName::Set => {
            others([("scalar", dto.scalar.is_some()), ("ranges", dto.ranges.is_some())], "SET")?;
            let s = dto.set.take().ok_or_else(|| missing("set", "SET"))?;
            Ok(ResourceValue::Set(Set::from_items(s.item)))
        }
        TypeName::Other(text) if text == "TEXT" => Err((
            Error::invalid("resources.type", "expected `type` `SCALAR`, `RANGES` or `SET`, found `TEXT`")
                .with_help("resources never hold TEXT; attributes do"),
            "/type".into(),
        )),
        TypeName::Other(other) => {
            Err((unknown_type(&other, &["SCALAR", "RANGES", "SET"], "resources.type"), "/type".into()))
        }
    }
}

fn reservations_from(dto: &mut ResourceDto, default_role: &str) -> Result<SmallVec<[Reservation; 1]>, Fault> {
    let mut stack: SmallVec<[Reservation; 1]> = SmallVec::new();
    if !dto.reservations.is_empty() {
        for (i, r) in std::mem::take(&mut dto.reservations).into_iter().enumerate() {
            let kind = match r.kind.as_deref() {
                Some("STATIC") => ReservationType::Static,
                Some("DYNAMIC") => ReservationType::Dynamic,
                Some(other) => {
                    return Err((
                        unknown_type(other, &["STATIC", "DYNAMIC"], "resources.reservation"),
                        format!("/reservations/{i}/type"),
                    ))
                }
                None => {
                    return Err((
                        Error::invalid("request.missing_field", "missing field `type`")
                            .with_help("a reservation needs `\"type\": \"STATIC\"` or `\"DYNAMIC\"`"),
                        format!("/reservations/{i}"),
                    ))
                }
            };
            let Some(role) = r.role else {
                return Err((
                    Error::invalid("request.missing_field", "missing field `role`"),
                    format!("/reservations/{i}"),
                ));
            };
            let labels = r.labels.map(LabelsDto::into_labels).unwrap_or_default();
            stack.push(Reservation { kind, role, principal: r.principal, labels });
        }
        if dto.reservation.is_some() {
            return Err((
                Error::invalid(
                    "resources.reservation",
                    "expected either the legacy `reservation` or `reservations`, found both",
                ),
                "/reservation".into(),
            ));
        }
        if let (Some(legacy), Some(last)) = (&dto.role, stack.last()) {
            if legacy != "*" && *legacy != last.role {
                return Err((
                    Error::invalid(
                        "resources.reservation",
                        format!(
                            "legacy `role` `{legacy}` disagrees with the reservations, which end in `{}`",
                            last.role
                        ),
                    ),
                    "/role".into(),
                ));
            }
        }
        return Ok(stack);
    }
    // The role is copied only when it is kept (unreserved resources, the common case, keep none).
    let given = dto.role.take();
    let unreserved = given.as_deref().unwrap_or(default_role) == "*";
    let role = || given.unwrap_or_else(|| default_role.to_owned());
    match (unreserved, dto.reservation.take()) {
        (true, Some(_)) => Err((
            Error::invalid("resources.reservation", "expected a `role` for the dynamic reservation, found `*`"),
            "/reservation".into(),
        )),
        (true, None) => Ok(stack),
        (false, Some(legacy)) => {
            let labels = legacy.labels.map(LabelsDto::into_labels).unwrap_or_default();
            stack.push(Reservation {
                kind: ReservationType::Dynamic,
                role: role(),
                principal: legacy.principal,
                labels,
            });
            Ok(stack)
        }
        (false, None) => {
            stack.push(Reservation::static_for(role()));
            Ok(stack)
        }
    }
}

fn disk_from(dto: DiskDto) -> Result<DiskInfo, Fault> {
    let source = match dto.source {
        None => None,
        Some(s) => {
            let kind = match s.kind.as_deref() {
                Some("PATH") => DiskSourceType::Path,
                Some("MOUNT") => DiskSourceType::Mount,
                Some("BLOCK") => DiskSourceType::Block,
                Some("RAW") => DiskSourceType::Raw,
                Some(other) => {
                    return Err((
                        unknown_type(other, &["PATH", "MOUNT", "BLOCK", "RAW"], "resources.disk"),
                        "/disk/source/type".into(),
                    ))
                }
                None => {
                    return Err((
                        Error::invalid("request.missing_field", "missing field `type`"),
                        "/disk/source".into(),
                    ))
                }
            };
            let root = match kind {
                DiskSourceType::Path => s.path.and_then(|p| p.root),
                DiskSourceType::Mount => s.mount.and_then(|p| p.root),
                _ => None,
            };
            Some(DiskSource {
                kind,
                root,
                profile: s.profile,
                vendor: s.vendor,
                id: s.id,
                metadata: s.metadata.map(LabelsDto::into_labels).unwrap_or_default(),
            })
        }
    };
    let volume = match dto.volume {
        None => None,
        Some(v) => {
            let mode = match v.mode.as_deref() {
                None => None,
                Some("RW") => Some(VolumeMode::Rw),
                Some("RO") => Some(VolumeMode::Ro),
                Some(other) => {
                    return Err((unknown_mode(other), "/disk/volume/mode".into()));
                }
            };
            Some(Volume { container_path: v.container_path, host_path: v.host_path, mode })
        }
    };
    let persistence = dto.persistence.map(|p| Persistence { id: p.id, principal: p.principal });
    Ok(DiskInfo { persistence, volume, source })
}

fn unknown_mode(found: &str) -> Error {
    Error::invalid("resources.disk", format!("expected volume `mode` `RW` or `RO`, found `{found}`"))
}

/// Where a validation error of a resource points.
fn validation_path(code: &str) -> &'static str {
    match code {
        "resources.name" => "/name",
        "resources.duplicate_item" => "/set/item",
        "resources.role" | "resources.reservation" => "/reservations",
        "resources.disk" => "/disk",
        "resources.shared" => "/shared",
        _ => "",
    }
}

fn resource_from(json: &Json, default_role: &str, origin: Origin) -> Result<Resource, Fault> {
    if !json.is_object() {
        return Err((
            Error::invalid("request.type", format!("expected a resource object, found {}", kind(json))),
            String::new(),
        ));
    }
    resource_from_dto(structure(json)?, default_role, origin)
}

/// [`resource_from`] once the structure is decoded.
fn resource_from_dto(mut dto: ResourceDto, default_role: &str, origin: Origin) -> Result<Resource, Fault> {
    let value = resource_value(&mut dto, origin)?;
    let reservations = reservations_from(&mut dto, default_role)?;
    let disk = dto.disk.take().map(|d| disk_from(*d).map(Box::new)).transpose()?;
    let r = Resource {
        name: dto.name,
        value,
        reservations,
        disk,
        shared: dto.shared.is_some(),
        revocable: dto.revocable.is_some(),
        allocation_role: dto.allocation_info.and_then(|a| a.role),
        provider_id: dto.provider_id.map(|p| p.0),
    };
    r.validate().map_err(|e| {
        let p = validation_path(e.code());
        let p = if p == "/reservations" && r.reservations.is_empty() { "/allocation_info/role" } else { p };
        (e, p.to_owned())
    })?;
    if origin == Origin::AgentFlag {
        command_line_rules(&r)?;
    }
    Ok(r)
}

/// Mesos' `validateCommandLineResources`.
fn command_line_rules(r: &Resource) -> Result<(), Fault> {
    let refuse = |what: &str, path: &str| {
        Err((
            Error::invalid("resources.command_line", format!("{what} cannot be given on the agent command line"))
                .with_help("make them with the operator or scheduler API (RESERVE, CREATE) instead"),
            path.to_owned(),
        ))
    };
    if r.is_persistent_volume() {
        return refuse("persistent volumes", "/disk/persistence");
    }
    if r.revocable {
        return refuse("revocable resources", "/revocable");
    }
    if r.reservations.iter().any(|x| x.kind == ReservationType::Dynamic) {
        return refuse("dynamic reservations", "/reservations");
    }
    Ok(())
}

use crate::model::resource::first_type_conflict as type_conflict_at;

/// Converts a list of resource objects, collecting every error with its pointer under `path`.
fn resources_from_list(list: &[Json], path: &str, default_role: &str, origin: Origin) -> Result<Resources, Errors> {
    let mut errors = Errors::new();
    let mut out: Vec<Resource> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        match resource_from(item, default_role, origin) {
            Ok(r) => out.push(r),
            Err((e, rel)) => errors.push(WireError::from_error(&e, &format!("{path}/{i}{rel}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some((i, e)) = type_conflict_at(&out) {
        return Err(vec![WireError::from_error(&e, &format!("{path}/{i}"))]);
    }
    Ok(Resources::from_vec_merged(out))
}

/// Reads one Mesos v1 `Resource` object (legacy `role` / `reservation` upgraded; an absent
/// role is `*`), validated.
///
/// # Errors
/// Every problem with its JSON pointer under `path` (e.g. `/offers/0/resources/2/scalar/value`).
pub fn resource_from_json(json: &Json, path: &str) -> Result<Resource, Errors> {
    resource_from(json, "*", Origin::Api).map_err(|(e, rel)| vec![WireError::from_error(&e, &format!("{path}{rel}"))])
}

/// Reads resources given as a JSON array of Mesos v1 `Resource` objects (as in offers:
/// dynamic reservations, volumes and revocable resources allowed, overlapping ranges
/// coalesced) or as a resources text (agent `--resources` rules, see
/// [`crate::parse_resources`]); validated and merged.
///
/// # Errors
/// Every problem with its JSON pointer under `path`; text errors carry the span too.
///
/// ```
/// use serde_json::json;
/// use offerfit::wire::mesos::resources_from_json;
/// let r = resources_from_json(&json!([{"name": "ports", "type": "RANGES",
///     "ranges": {"range": [{"begin": "31000", "end": 31005}]}, "role": "web"}]), "").unwrap();
/// assert_eq!(r.to_string(), "ports(web):[31000-31005]");
/// assert!(resources_from_json(&json!("cpus:4; mem:1024"), "").is_ok());
/// let e = resources_from_json(&json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]), "/r").unwrap_err();
/// assert_eq!(e[0].path.as_deref(), Some("/r/0/scalar/value"));
/// ```
pub fn resources_from_json(json: &Json, path: &str) -> Result<Resources, Errors> {
    match json {
        Json::Array(list) => resources_from_list(list, path, "*", Origin::Api),
        Json::String(text) => crate::text::parse_resources(text, "*").map_err(|e| super::fail(e, path)),
        other => Err(vec![WireError::new(
            "request.type",
            format!("expected an array of Mesos resources or a resources text, found {}", kind(other)),
        )
        .with_path(path)]),
    }
}

/// The byte spans of the elements of a JSON array text that is known to be valid JSON.
fn element_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let skip_ws = |mut p: usize| {
        while text.as_bytes().get(p).is_some_and(|b| b.is_ascii_whitespace()) {
            p += 1;
        }
        p
    };
    let mut pos = skip_ws(0) + 1; // past `[`
    loop {
        pos = skip_ws(pos);
        match text.as_bytes().get(pos) {
            None | Some(b']') => break,
            Some(b',') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let Some(rest) = text.get(pos..) else { break };
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<de::IgnoredAny>();
        match stream.next() {
            Some(Ok(_)) => {
                let end = pos + stream.byte_offset();
                spans.push(Span::new(pos, end));
                pos = end;
            }
            _ => break,
        }
    }
    spans
}

/// The JSON array form of the agent's `--resources` (Mesos' `Resources::fromJSON` with the
/// command-line rules); errors are text errors whose span is the offending array element.
pub(crate) fn resources_from_agent_json(text: &str, default_role: &str) -> Result<Resources> {
    let json = super::parse_strict(text).map_err(|w| {
        let span = w.span.unwrap_or_default();
        ParseError::new("resources.json", w.message.clone(), text, span)
    })?;
    let Json::Array(list) = json else {
        let span = Span::new(0, text.len());
        return Err(ParseError::new("resources.json", "expected a JSON array of resources", text, span).into());
    };
    let spans = element_spans(text);
    let span_of = |i: usize| spans.get(i).copied().unwrap_or_else(|| Span::new(0, text.len()));
    let mut out: Vec<Resource> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let r = resource_from(item, default_role, Origin::AgentFlag).map_err(|(e, rel)| {
            let mut p = ParseError::new(e.code(), format!("{} (at `/{i}{rel}`)", e.message()), text, span_of(i));
            p.help = e.help().map(str::to_owned);
            p
        })?;
        out.push(r);
    }
    if let Some((i, e)) = type_conflict_at(&out) {
        let mut p = ParseError::new(e.code(), e.message(), text, span_of(i));
        p.help = e.help().map(str::to_owned);
        return Err(p.into());
    }
    Ok(out.into_iter().collect())
}

fn attribute_from(json: &Json) -> Result<Attribute, Fault> {
    if !json.is_object() {
        return Err((
            Error::invalid("request.type", format!("expected an attribute object, found {}", kind(json))),
            String::new(),
        ));
    }
    attribute_from_dto(structure(json)?)
}

/// [`attribute_from`] once the structure is decoded.
fn attribute_from_dto(dto: AttributeDto) -> Result<Attribute, Fault> {
    if dto.name.is_empty() {
        return Err((Error::invalid("attributes.name", "expected an attribute name, found nothing"), "/name".into()));
    }
    let Some(kind) = dto.kind else {
        return Err((Error::invalid("request.missing_field", "missing field `type`"), String::new()));
    };
    let missing = |field: &str| {
        (Error::invalid("attributes.value", format!("expected `{field}` in a {kind} attribute")), String::new())
    };
    let value = match kind.as_str() {
        "SCALAR" => {
            let v = dto.scalar.ok_or_else(|| missing("scalar"))?.value;
            if !v.is_finite() {
                return Err((
                    Error::invalid("scalar.not_finite", format!("expected a finite number, found `{v}`")),
                    "/scalar/value".into(),
                ));
            }
            Value::Scalar(v)
        }
        "RANGES" => Value::Ranges(ranges_from(dto.ranges.ok_or_else(|| missing("ranges"))?, Origin::Api)?),
        "SET" => Value::Set(Set::from_items(dto.set.ok_or_else(|| missing("set"))?.item)),
        "TEXT" => Value::Text(dto.text.ok_or_else(|| missing("text"))?.value),
        other => {
            return Err((unknown_type(other, &["SCALAR", "RANGES", "SET", "TEXT"], "attributes.type"), "/type".into()))
        }
    };
    Ok(Attribute::new(dto.name, value))
}

/// Reads attributes given as a JSON array of Mesos v1 `Attribute` objects (every type,
/// SET included) or as an attribute text (see [`crate::parse_attributes`]).
///
/// # Errors
/// Every problem with its JSON pointer under `path`; text errors carry the span too.
///
/// ```
/// use serde_json::json;
/// let a = offerfit::wire::mesos::attributes_from_json(
///     &json!([{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]), "").unwrap();
/// assert_eq!(a.to_string(), "rack:r1");
/// ```
pub fn attributes_from_json(json: &Json, path: &str) -> Result<Attributes, Errors> {
    match json {
        Json::Array(list) => {
            let mut errors = Errors::new();
            let mut out = Attributes::new();
            for (i, item) in list.iter().enumerate() {
                match attribute_from(item) {
                    Ok(a) => out.push(a),
                    Err((e, rel)) => errors.push(WireError::from_error(&e, &format!("{path}/{i}{rel}"))),
                }
            }
            if errors.is_empty() {
                Ok(out)
            } else {
                Err(errors)
            }
        }
        Json::String(text) => crate::text::parse_attributes(text).map_err(|e| super::fail(e, path)),
        other => Err(vec![WireError::new(
            "request.type",
            format!("expected an array of Mesos attributes or an attribute text, found {}", kind(other)),
        )
        .with_path(path)]),
    }
}

/// Reads one Mesos v1 `Offer`: `id`, `agent_id` (ids as `{"value"}` or strings), `hostname`
/// required; `framework_id`, `resources` (array or text), `attributes` (array or text),
/// `domain.fault_domain`, `unavailability`, `allocation_info`, `executor_ids` optional;
/// every other field ignored. A resource without `allocation_info` gets the offer's.
///
/// # Errors
/// Every problem found, each with its JSON pointer under `path`.
///
/// ```
/// use serde_json::json;
/// let o = offerfit::wire::mesos::offer_from_json(&json!({
///     "id": {"value": "O1"}, "agentId": {"value": "S1"}, "hostname": "a1", "url": {"path": "/x"},
///     "resources": "cpus:4;mem:1024", "attributes": "rack:r1",
///     "domain": {"fault_domain": {"region": {"name": "us-east-1"}, "zone": {"name": "a"}}},
///     "unavailability": {"start": {"nanoseconds": "1700000000000000000"}}
/// }), "/offers/0").unwrap();
/// assert_eq!((o.agent_id.as_str(), o.region.as_deref()), ("S1", Some("us-east-1")));
/// assert_eq!(o.unavailability.unwrap().start_ns, 1_700_000_000_000_000_000);
/// ```
pub fn offer_from_json(json: &Json, path: &str) -> Result<Offer, Errors> {
    let Json::Object(obj) = json else {
        return Err(vec![WireError::new(
            "request.type",
            format!("expected a Mesos offer object, found {}", kind(json)),
        )
        .with_path(path)]);
    };
    let dto: OfferDto = structure(json).map_err(|(e, rel)| vec![WireError::from_error(&e, &format!("{path}{rel}"))])?;
    let mut errors = Errors::new();
    let resources = match obj.get("resources") {
        None | Some(Json::Null) => Resources::new(),
        Some(r) => resources_from_json(r, &format!("{path}/resources")).unwrap_or_else(|e| {
            errors.extend(e);
            Resources::new()
        }),
    };
    let attributes = match obj.get("attributes") {
        None | Some(Json::Null) => Attributes::new(),
        Some(a) => attributes_from_json(a, &format!("{path}/attributes")).unwrap_or_else(|e| {
            errors.extend(e);
            Attributes::new()
        }),
    };
    offer_from_parts(dto, resources, attributes, errors, path)
}

/// The offer from its decoded fields, its resources and attributes, and the `errors` found in
/// them so far.
fn offer_from_parts(
    dto: OfferDto,
    mut resources: Resources,
    attributes: Attributes,
    mut errors: Errors,
    path: &str,
) -> Result<Offer, Errors> {
    let allocation_role = dto.allocation_info.and_then(|a| a.role);
    if let Some(role) = &allocation_role {
        if let Err(e) = crate::model::validate_role(role) {
            errors.push(WireError::from_error(&e, &format!("{path}/allocation_info/role")));
        }
        if resources.iter().any(|r| r.allocation_role.is_none()) {
            resources = resources
                .into_iter()
                .map(|mut r| {
                    r.allocation_role.get_or_insert_with(|| role.clone());
                    r
                })
                .collect();
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let fault = dto.domain.and_then(|d| d.fault_domain);
    let (region, zone) = match fault {
        Some(f) => (f.region.and_then(|r| r.name), f.zone.and_then(|z| z.name)),
        None => (None, None),
    };
    Ok(Offer {
        id: dto.id.0,
        agent_id: dto.agent_id.0,
        framework_id: dto.framework_id.map(|f| f.0),
        hostname: dto.hostname,
        resources,
        attributes,
        region,
        zone,
        unavailability: dto
            .unavailability
            .map(|u| Unavailability { start_ns: u.start.nanoseconds, duration_ns: u.duration.map(|d| d.nanoseconds) }),
        allocation_role,
        executor_ids: dto.executor_ids.into_iter().map(|e| e.0).collect(),
    })
}

/// Reads a list of offers: a JSON array of offers, or a whole v1 `OFFERS` event
/// (`{"type": "OFFERS", "offers": {"offers": [...]}}`), or `{"offers": [...]}`.
///
/// # Errors
/// Every problem of every offer, each with its JSON pointer under `path`.
pub fn offers_from_json(json: &Json, path: &str) -> Result<Vec<Offer>, Errors> {
    let (list, base) = match json {
        Json::Array(list) => (list, path.to_owned()),
        Json::Object(m) => match m.get("offers") {
            Some(Json::Array(list)) => (list, format!("{path}/offers")),
            Some(Json::Object(inner)) => match inner.get("offers") {
                Some(Json::Array(list)) => (list, format!("{path}/offers/offers")),
                _ => return Err(not_offers(json, path)),
            },
            _ => return Err(not_offers(json, path)),
        },
        _ => return Err(not_offers(json, path)),
    };
    let mut errors = Errors::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, o) in list.iter().enumerate() {
        match offer_from_json(o, &format!("{base}/{i}")) {
            Ok(o) => out.push(o),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn not_offers(json: &Json, path: &str) -> Errors {
    vec![WireError::new(
        "request.type",
        format!("expected an array of Mesos offers or an `OFFERS` event, found {}", kind(json)),
    )
    .with_path(path)]
}

// ---------------------------------------------------------------------------------------
// Reading offers straight from request text (the `place` fast path, `super::place_in`)
// ---------------------------------------------------------------------------------------

/// Deserializes `T` (a derived struct) only from a JSON object, as the readers above do
/// (`offer_from_json` and friends refuse anything but an object; serde's derive would also
/// take an array of the fields in order).
pub(crate) struct ObjOnly<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjOnly<T>, D::Error> {
        T::deserialize(StructAsMap(d)).map(ObjOnly)
    }
}

/// A deserializer that reads a struct only from a map.
struct StructAsMap<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for StructAsMap<D> {
    type Error = D::Error;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(v)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(v)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// [`Id`] read from text without an intermediate `serde_json::Value`: a string, or an object
/// whose `value` is a string (other keys ignored).
struct TextId(String);

impl<'de> Deserialize<'de> for TextId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TextId, D::Error> {
        struct IsValue(bool);
        impl<'de> Deserialize<'de> for IsValue {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IsValue, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = IsValue;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a key")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<IsValue, E> {
                        Ok(IsValue(v == "value"))
                    }
                }
                d.deserialize_str(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id `{\"value\": \"...\"}` or a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextId, E> {
                Ok(TextId(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextId, E> {
                Ok(TextId(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<TextId, A::Error> {
                let mut value = None;
                while let Some(IsValue(is_value)) = map.next_key()? {
                    if is_value {
                        value = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                value.map(TextId).ok_or_else(|| de::Error::custom("expected an id"))
            }
        }
        d.deserialize_any(V)
    }
}

/// `resources` or `attributes` of an offer as text holds them: an array of objects or a text.
enum ListOrText<T> {
    List(Vec<T>),
    Text(String),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListOrText<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ListOrText<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ListOrText<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or a text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ListOrText<T>, E> {
                Ok(ListOrText::Text(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ListOrText<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(ObjOnly(x)) = seq.next_element::<ObjOnly<T>>()? {
                    out.push(x);
                }
                Ok(ListOrText::List(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// One Mesos offer as read from request text: [`OfferDto`] with its `resources` and
/// `attributes`. Unknown fields are ignored, as [`offer_from_json`] does.
#[derive(Deserialize)]
pub(crate) struct OfferText {
    id: TextId,
    #[serde(alias = "frameworkId")]
    framework_id: Option<TextId>,
    #[serde(alias = "agentId", alias = "slave_id", alias = "slaveId")]
    agent_id: TextId,
    hostname: String,
    domain: Option<DomainDto>,
    unavailability: Option<UnavailabilityDto>,
    #[serde(alias = "allocationInfo")]
    allocation_info: Option<RoleDto>,
    #[serde(alias = "executorIds", default)]
    executor_ids: Vec<TextId>,
    resources: Option<ResourceList>,
    attributes: Option<ListOrText<AttributeDto>>,
}

/// `resources` of an offer as read from request text: each resource object converted (as
/// [`resource_from_dto`] does for the API) as soon as it is read, or a resources text. Any
/// problem is a deserialization error: the fast path then gives up.
enum ResourceList {
    List(Vec<Resource>),
    Text(String),
}

impl<'de> Deserialize<'de> for ResourceList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ResourceList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResourceList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or a text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ResourceList, E> {
                Ok(ResourceList::Text(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ResourceList, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(ObjOnly(dto)) = seq.next_element::<ObjOnly<ResourceDto>>()? {
                    let r = resource_from_dto(dto, "*", Origin::Api)
                        .map_err(|_| de::Error::custom("not on the fast path"))?;
                    out.push(r);
                }
                Ok(ResourceList::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Resources of an API object (an offer, a running task's agent) from their decoded list, as
/// [`resources_from_list`] makes them; `None` for any problem (the caller then reads the
/// request again the slow way, which reports it).
fn resources_from_list_read(out: Vec<Resource>) -> Option<Resources> {
    if type_conflict_at(&out).is_some() {
        return None;
    }
    Some(Resources::from_vec_merged(out))
}

/// The offer [`offer_from_json`] makes of the same object, or `None` where it would fail.
pub(crate) fn offer_from_text_dto(o: OfferText) -> Option<Offer> {
    let resources = match o.resources {
        None => Resources::new(),
        Some(ResourceList::List(list)) => resources_from_list_read(list)?,
        Some(ResourceList::Text(text)) => crate::text::parse_resources(&text, "*").ok()?,
    };
    let attributes = match o.attributes {
        None => Attributes::new(),
        Some(ListOrText::List(list)) => {
            let mut out = Attributes::new();
            for dto in list {
                out.push(attribute_from_dto(dto).ok()?);
            }
            out
        }
        Some(ListOrText::Text(text)) => crate::text::parse_attributes(&text).ok()?,
    };
    let dto = OfferDto {
        id: Id(o.id.0),
        framework_id: o.framework_id.map(|f| Id(f.0)),
        agent_id: Id(o.agent_id.0),
        hostname: o.hostname,
        domain: o.domain,
        unavailability: o.unavailability,
        allocation_info: o.allocation_info,
        executor_ids: o.executor_ids.into_iter().map(|e| Id(e.0)).collect(),
    };
    offer_from_parts(dto, resources, attributes, Errors::new(), "").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(j: Json) -> Resources {
        resources_from_json(&j, "").unwrap()
    }

    fn err(j: Json) -> WireError {
        resources_from_json(&j, "/r").unwrap_err().remove(0)
    }

    #[test]
    fn legacy_role_and_reservation_are_upgraded() {
        let r = res(json!([
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "role": "r1"},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 2}, "role": "r1",
             "reservation": {"principal": "p", "labels": {"labels": [{"key": "k", "value": "v"}]}}},
            {"name": "disk", "type": "SCALAR", "scalar": {"value": 3}, "role": "*"}
        ]));
        let out = resources_to_json(&r);
        assert_eq!(out[0]["reservations"], json!([{"type": "STATIC", "role": "r1"}]));
        assert_eq!(
            out[1]["reservations"],
            json!([{"type": "DYNAMIC", "role": "r1", "principal": "p", "labels": {"labels": [{"key": "k", "value": "v"}]}}])
        );
        assert_eq!(out[2]["reservations"], json!([]));
        assert_eq!(r.to_string(), "cpus(r1):1; mem(r1, p, {k: v}):2; disk:3");
    }

    #[test]
    fn camel_case_and_string_integers() {
        let r = res(json!([
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": "11001", "end": "11005"}, {"begin": 11003, "end": 11010}]},
             "allocationInfo": {"role": "web"}, "providerId": {"value": "rp1"}, "someFutureField": 1}
        ]));
        let p = r.iter().next().unwrap();
        assert_eq!(p.ranges().unwrap().to_string(), "[11001-11010]");
        assert_eq!((p.allocation_role.as_deref(), p.provider_id.as_deref()), (Some("web"), Some("rp1")));
    }

    #[test]
    fn disk_info_round_trips() {
        let input = json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 102400},
            "reservations": [{"type": "DYNAMIC", "role": "eng", "principal": "ops"}],
            "disk": {"persistence": {"id": "vol1", "principal": "ops"},
                     "volume": {"container_path": "data", "mode": "RW"},
                     "source": {"type": "MOUNT", "mount": {"root": "/mnt/d1"}, "profile": "fast", "vendor": "v",
                                "id": "d1", "metadata": {"labels": [{"key": "storage_type", "value": "ssd"}]}}},
            "shared": {}});
        let r = resource_from_json(&input, "").unwrap();
        assert!(r.is_persistent_volume() && r.shared && r.is_exclusive());
        assert_eq!(r.disk_source_type(), DiskSourceType::Mount);
        assert_eq!(resource_to_json(&r), input);
        assert_eq!(r.to_string(), "disk(eng, ops)[MOUNT:/mnt/d1,vol1:data]<SHARED>:102400");
    }

    #[test]
    fn errors_carry_pointers() {
        let e =
            err(json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}, {"name": "x", "type": "SCALAR"}]));
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("resources.value", Some("/r/1")));
        let e = err(json!([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": "x", "end": 1}]}}]));
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("request.invalid", Some("/r/0/ranges/range/0/begin")));
        let e = err(json!([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 3}]}}]));
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("resources.range", Some("/r/0/ranges/range/0")));
        let e = err(json!([{"name": "p", "type": "RANGE"}]));
        assert_eq!(e.message, "expected `type` `SCALAR`, `RANGES`, `SET`, found `RANGE`");
        assert_eq!(e.help.as_deref(), Some("did you mean `RANGES`?"));
        let e = err(
            json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "reservations": [{"type": "STATIC", "role": "a//b"}]}]),
        );
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("resources.role", Some("/r/0/reservations")));
        let e = err(json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "disk": {}}]));
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("resources.disk", Some("/r/0/disk")));
        let e = err(
            json!([{"name": "f", "type": "SCALAR", "scalar": {"value": 1}}, {"name": "f", "type": "SET", "set": {"item": ["a"]}}]),
        );
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("resources.type_conflict", Some("/r/1")));
        let e = err(json!([7]));
        assert_eq!(e.message, "expected a resource object, found a number");
        let e = err(json!({"name": "cpus"}));
        assert_eq!((e.code.as_str(), e.path.as_deref()), ("request.type", Some("/r")));
        let e = err(json!("cpus(x:1"));
        assert_eq!((e.path.as_deref(), e.span), (Some("/r"), Some(Span::new(6, 7))));
        let all =
            resources_from_json(&json!([{"name": ""}, {"name": "a", "type": "SCALAR", "scalar": {"value": -2}}]), "")
                .unwrap_err();
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn refinements_must_go_down_the_hierarchy() {
        let stack = |a: &str, b: &str| {
            json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
                "reservations": [{"type": "STATIC", "role": a}, {"type": "DYNAMIC", "role": b, "principal": "p"}]}])
        };
        assert_eq!(res(stack("a", "a/b")).iter().next().unwrap().role(), "a/b");
        assert_eq!(err(stack("a", "ab")).code, "resources.reservation");
        let twice_static = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
            "reservations": [{"type": "STATIC", "role": "a"}, {"type": "STATIC", "role": "a/b"}]}]);
        assert_eq!(err(twice_static).code, "resources.reservation");
    }

    #[test]
    fn agent_json_is_stricter_and_points_at_the_element() {
        let text = r#"[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}, {"name":"cpus","type":"SCALAR","scalar":{"value":54.44},"role":"role2","revocable":{}}]"#;
        let e = crate::parse_resources(text, "*").unwrap_err();
        let p = e.as_parse().unwrap();
        assert_eq!(p.code, "resources.command_line");
        assert_eq!(p.message, "revocable resources cannot be given on the agent command line (at `/1/revocable`)");
        assert_eq!(p.span.start, 55);
        assert_eq!(text.get(p.span.start..p.span.end).unwrap().chars().last(), Some('}'));
        let overlap = r#"[{"name":"p","type":"RANGES","ranges":{"range":[{"begin":1,"end":5},{"begin":3,"end":8}]}}]"#;
        assert_eq!(crate::parse_resources(overlap, "*").unwrap_err().code(), "resources.range");
        let dynamic =
            r#"[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"r","reservation":{"principal":"p"}}]"#;
        assert_eq!(crate::parse_resources(dynamic, "*").unwrap_err().code(), "resources.command_line");
        let bad = crate::parse_resources(r#"[{"name":"a"} {"name":"b"}]"#, "*").unwrap_err();
        assert_eq!((bad.code(), bad.as_parse().unwrap().span.start), ("resources.json", 14));
    }

    #[test]
    fn attributes_read_every_type() {
        let a = attributes_from_json(
            &json!([
                {"name": "rack", "type": "TEXT", "text": {"value": "r1"}},
                {"name": "level", "type": "SCALAR", "scalar": {"value": 2.5}},
                {"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 2}]}},
                {"name": "g", "type": "SET", "set": {"item": ["b", "a"]}}
            ]),
            "",
        )
        .unwrap();
        assert_eq!(a.to_string(), "rack:r1;level:2.5;p:[1-2];g:{b, a}");
        assert_eq!(attributes_to_json(&a)[3], json!({"name": "g", "type": "SET", "set": {"item": ["b", "a"]}}));
        let e = attributes_from_json(&json!([{"name": "x", "type": "TXT"}]), "/a").unwrap_err();
        assert_eq!((e[0].path.as_deref(), e[0].help.as_deref()), (Some("/a/0/type"), Some("did you mean `TEXT`?")));
        let e = attributes_from_json(&json!("rack"), "/a").unwrap_err();
        assert_eq!((e[0].code.as_str(), e[0].column), ("attributes.syntax", Some(5)));
    }

    #[test]
    fn offers_need_ids_and_hostname() {
        let e = offer_from_json(&json!({"id": "O1", "hostname": "h"}), "/offers/0").unwrap_err();
        assert_eq!((e[0].code.as_str(), e[0].message.as_str()), ("request.missing_field", "missing field `agent_id`"));
        assert_eq!(e[0].path.as_deref(), Some("/offers/0"));
        let e = offer_from_json(&json!({"id": 5, "agent_id": "S1", "hostname": "h"}), "/o").unwrap_err();
        assert_eq!(e[0].path.as_deref(), Some("/o/id"));
        let e = offer_from_json(
            &json!({"id": "O1", "agent_id": "S1", "hostname": "h", "resources": "cpus:x", "attributes": [{"name": ""}]}),
            "/o",
        )
        .unwrap_err();
        let paths: Vec<_> = e.iter().map(|w| w.path.as_deref().unwrap()).collect();
        assert_eq!(paths, ["/o/resources", "/o/attributes/0/name"]);
    }

    #[test]
    fn offer_round_trips() {
        let o = offer_from_json(
            &json!({"id": {"value": "O1"}, "framework_id": {"value": "F"}, "agent_id": {"value": "S1"}, "hostname": "h",
                    "allocation_info": {"role": "web"},
                    "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}],
                    "attributes": "rack:r1",
                    "unavailability": {"start": {"nanoseconds": 5}, "duration": {"nanoseconds": "10"}},
                    "executor_ids": [{"value": "e1"}]}),
            "",
        )
        .unwrap();
        assert_eq!(o.resources.iter().next().unwrap().allocation_role.as_deref(), Some("web"));
        assert_eq!(o.unavailability, Some(Unavailability { start_ns: 5, duration_ns: Some(10) }));
        let again = offer_from_json(&offer_to_json(&o), "").unwrap();
        assert_eq!(again, o);
    }
}
