//! Mesos v1 JSON → model: `Resource`, `Attribute` and `Offer` objects (and lists of them, or
//! the texts that may stand in their place).
//!
//! Reading is tolerant the way Mesos' own JSON reader and protobuf's `JsonFormat` are:
//! snake_case and camelCase keys (`agent_id` / `agentId`), 64-bit integers as numbers or
//! numeric strings (`"begin": "31000"`, see `numbers.rs`), unknown fields ignored, ids
//! as `{"value": ...}` or a plain string, and the legacy `role` / `reservation` fields
//! upgraded to the `reservations` stack. The serde DTOs below only check structure; the
//! conversions check meaning, so every error carries the JSON pointer of its culprit
//! ([`ReadError`]).

use serde::de;
use serde::Deserialize;
use serde_json::Value as Json;
use smallvec::SmallVec;

use super::dto::{AttributeDto, DiskDto, LabelsDto, OfferDto, RangesDto, ResourceDto, TypeName};
use super::pointer::{kind, pointer, serde_error};
use crate::error::{Error, ParseError, Result, Span};
use crate::model::resources::first_type_conflict as type_conflict_at;
use crate::model::{
    Attribute, Attributes, DiskInfo, DiskSource, DiskSourceType, Offer, Persistence, Ranges, Reservation,
    ReservationType, Resource, ResourceValue, Resources, Scalar, Set, Unavailability, Value, Volume, VolumeMode,
};

/// A problem found reading Mesos JSON: the error and the JSON pointer of its culprit (e.g.
/// `/offers/0/resources/2/scalar/value`). The wire turns each into one contract error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// What is wrong (a text error keeps its span inside the text at `path`).
    pub error: Error,
    /// The JSON pointer of the culprit.
    pub path: String,
}

impl ReadError {
    /// `error` about the element at `path`.
    pub fn new(error: Error, path: impl Into<String>) -> ReadError {
        ReadError { error, path: path.into() }
    }

    /// A `code` / `message` error about the element at `path`.
    fn invalid(code: &'static str, message: impl Into<String>, path: &str) -> ReadError {
        ReadError::new(Error::invalid(code, message), path)
    }
}

/// Every problem found, in document order.
pub type ReadErrors = Vec<ReadError>;

// ---------------------------------------------------------------------------------------
// Reading: DTO → model, with relative JSON pointers
// ---------------------------------------------------------------------------------------

/// An error and the JSON pointer of its culprit, relative to the object being converted.
pub(crate) type Fault = (Error, String);

fn at(path: &str) -> impl FnOnce(Error) -> Fault + '_ {
    move |e| (e, path.to_owned())
}

fn structure<'de, T: Deserialize<'de>>(json: &'de Json) -> Result<T, Fault> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = pointer("", e.path());
        let (code, message) = serde_error(e.inner());
        let code = match code {
            "request.missing_field" => "request.missing_field",
            "request.type" => "request.type",
            "request.unknown_variant" => "request.unknown_variant",
            _ => "request.invalid",
        };
        (Error::invalid(code, message), path)
    })
}

/// Where a list of resources comes from: the agent command line (Mesos' stricter
/// `validateCommandLineResources`: no dynamic reservations, persistent volumes, revocable
/// resources or overlapping ranges) or the API (offers, operations).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The agent's `--resources` flag.
    AgentFlag,
    /// Offers and operations.
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
    if let Some(s) = crate::suggest::closest(found, expected) {
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
pub(crate) fn resource_from_dto(mut dto: ResourceDto, default_role: &str, origin: Origin) -> Result<Resource, Fault> {
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

/// Converts a list of resource objects, collecting every error with its pointer under `path`.
fn resources_from_list(list: &[Json], path: &str, default_role: &str, origin: Origin) -> Result<Resources, ReadErrors> {
    let mut errors = ReadErrors::new();
    let mut out: Vec<Resource> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        match resource_from(item, default_role, origin) {
            Ok(r) => out.push(r),
            Err((e, rel)) => errors.push(ReadError::new(e, format!("{path}/{i}{rel}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some((i, e)) = type_conflict_at(&out) {
        return Err(vec![ReadError::new(e, format!("{path}/{i}"))]);
    }
    Ok(Resources::from_vec_merged(out))
}

/// Reads one Mesos v1 `Resource` object (legacy `role` / `reservation` upgraded; an absent
/// role is `*`), validated.
///
/// # Errors
/// Every problem with its JSON pointer under `path` (e.g. `/offers/0/resources/2/scalar/value`).
pub fn resource_from_json(json: &Json, path: &str) -> Result<Resource, ReadErrors> {
    resource_from(json, "*", Origin::Api).map_err(|(e, rel)| vec![ReadError::new(e, format!("{path}{rel}"))])
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
/// use offerfit::mesos::resources_from_json;
/// let r = resources_from_json(&json!([{"name": "ports", "type": "RANGES",
///     "ranges": {"range": [{"begin": "31000", "end": 31005}]}, "role": "web"}]), "").unwrap();
/// assert_eq!(r.to_string(), "ports(web):[31000-31005]");
/// assert!(resources_from_json(&json!("cpus:4; mem:1024"), "").is_ok());
/// let e = resources_from_json(&json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]), "/r").unwrap_err();
/// assert_eq!((e[0].error.code(), e[0].path.as_str()), ("resources.scalar", "/r/0/scalar/value"));
/// ```
pub fn resources_from_json(json: &Json, path: &str) -> Result<Resources, ReadErrors> {
    match json {
        Json::Array(list) => resources_from_list(list, path, "*", Origin::Api),
        Json::String(text) => crate::text::parse_resources(text, "*").map_err(|e| vec![ReadError::new(e, path)]),
        other => Err(vec![ReadError::invalid(
            "request.type",
            format!("expected an array of Mesos resources or a resources text, found {}", kind(other)),
            path,
        )]),
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
    let json = crate::json::parse_strict(text)
        .map_err(|p| ParseError::new("resources.json", p.message.clone(), text, p.span))?;
    let Json::Array(list) = json else {
        let span = Span::new(0, text.len());
        return Err(ParseError::new("resources.json", "expected a JSON array of resources", text, span).into());
    };
    let spans = element_spans(text);
    // INVARIANT: `text` parsed as a JSON array, so `element_spans` finds one span per element;
    // were one missing, the whole text is still a true (if wide) span.
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
pub(crate) fn attribute_from_dto(dto: AttributeDto) -> Result<Attribute, Fault> {
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
/// let a = offerfit::mesos::attributes_from_json(
///     &json!([{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]), "").unwrap();
/// assert_eq!(a.to_string(), "rack:r1");
/// ```
pub fn attributes_from_json(json: &Json, path: &str) -> Result<Attributes, ReadErrors> {
    match json {
        Json::Array(list) => {
            let mut errors = ReadErrors::new();
            let mut out = Attributes::new();
            for (i, item) in list.iter().enumerate() {
                match attribute_from(item) {
                    Ok(a) => out.push(a),
                    Err((e, rel)) => errors.push(ReadError::new(e, format!("{path}/{i}{rel}"))),
                }
            }
            if errors.is_empty() {
                Ok(out)
            } else {
                Err(errors)
            }
        }
        Json::String(text) => crate::text::parse_attributes(text).map_err(|e| vec![ReadError::new(e, path)]),
        other => Err(vec![ReadError::invalid(
            "request.type",
            format!("expected an array of Mesos attributes or an attribute text, found {}", kind(other)),
            path,
        )]),
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
/// let o = offerfit::mesos::offer_from_json(&json!({
///     "id": {"value": "O1"}, "agentId": {"value": "S1"}, "hostname": "a1", "url": {"path": "/x"},
///     "resources": "cpus:4;mem:1024", "attributes": "rack:r1",
///     "domain": {"fault_domain": {"region": {"name": "us-east-1"}, "zone": {"name": "a"}}},
///     "unavailability": {"start": {"nanoseconds": "1700000000000000000"}}
/// }), "/offers/0").unwrap();
/// assert_eq!((o.agent_id.as_str(), o.region.as_deref()), ("S1", Some("us-east-1")));
/// assert_eq!(o.unavailability.unwrap().start_ns, 1_700_000_000_000_000_000);
/// ```
pub fn offer_from_json(json: &Json, path: &str) -> Result<Offer, ReadErrors> {
    let Json::Object(obj) = json else {
        return Err(vec![ReadError::invalid(
            "request.type",
            format!("expected a Mesos offer object, found {}", kind(json)),
            path,
        )]);
    };
    let dto: OfferDto = structure(json).map_err(|(e, rel)| vec![ReadError::new(e, format!("{path}{rel}"))])?;
    let mut errors = ReadErrors::new();
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
pub(crate) fn offer_from_parts(
    dto: OfferDto,
    mut resources: Resources,
    attributes: Attributes,
    mut errors: ReadErrors,
    path: &str,
) -> Result<Offer, ReadErrors> {
    let allocation_role = dto.allocation_info.and_then(|a| a.role);
    if let Some(role) = &allocation_role {
        if let Err(e) = crate::model::validate_role(role) {
            errors.push(ReadError::new(e, format!("{path}/allocation_info/role")));
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
pub fn offers_from_json(json: &Json, path: &str) -> Result<Vec<Offer>, ReadErrors> {
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
    let mut errors = ReadErrors::new();
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

fn not_offers(json: &Json, path: &str) -> ReadErrors {
    vec![ReadError::invalid(
        "request.type",
        format!("expected an array of Mesos offers or an `OFFERS` event, found {}", kind(json)),
        path,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesos::{attributes_to_json, offer_to_json, resource_to_json, resources_to_json};
    use serde_json::json;

    fn res(j: Json) -> Resources {
        resources_from_json(&j, "").unwrap()
    }

    fn err(j: Json) -> ReadError {
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
        assert_eq!(r.to_string(), "cpus(r1):1; mem(reservations: [(DYNAMIC,r1,p,{k: v})]):2; disk:3");
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
        assert_eq!(r.to_string(), "disk(reservations: [(DYNAMIC,eng,ops)])[MOUNT:/mnt/d1,vol1:data]<SHARED>:102400");
    }

    #[test]
    fn errors_carry_pointers() {
        let e =
            err(json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}, {"name": "x", "type": "SCALAR"}]));
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("resources.value", Some("/r/1")));
        let e = err(json!([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": "x", "end": 1}]}}]));
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("request.invalid", Some("/r/0/ranges/range/0/begin")));
        let e = err(json!([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 3}]}}]));
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("resources.range", Some("/r/0/ranges/range/0")));
        let e = err(json!([{"name": "p", "type": "RANGE"}]));
        assert_eq!(e.error.message(), "expected `type` `SCALAR`, `RANGES`, `SET`, found `RANGE`");
        assert_eq!(e.error.help(), Some("did you mean `RANGES`?"));
        let e = err(
            json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "reservations": [{"type": "STATIC", "role": "a//b"}]}]),
        );
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("resources.role", Some("/r/0/reservations")));
        let e = err(json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "disk": {}}]));
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("resources.disk", Some("/r/0/disk")));
        let e = err(
            json!([{"name": "f", "type": "SCALAR", "scalar": {"value": 1}}, {"name": "f", "type": "SET", "set": {"item": ["a"]}}]),
        );
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("resources.type_conflict", Some("/r/1")));
        let e = err(json!([7]));
        assert_eq!(e.error.message(), "expected a resource object, found a number");
        let e = err(json!({"name": "cpus"}));
        assert_eq!((e.error.code(), Some(e.path.as_str())), ("request.type", Some("/r")));
        let e = err(json!("cpus(x:1"));
        assert_eq!((Some(e.path.as_str()), e.error.as_parse().map(|p| p.span)), (Some("/r"), Some(Span::new(6, 7))));
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
        assert_eq!(err(stack("a", "ab")).error.code(), "resources.reservation");
        let twice_static = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
            "reservations": [{"type": "STATIC", "role": "a"}, {"type": "STATIC", "role": "a/b"}]}]);
        assert_eq!(err(twice_static).error.code(), "resources.reservation");
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
        assert_eq!((Some(e[0].path.as_str()), e[0].error.help()), (Some("/a/0/type"), Some("did you mean `TEXT`?")));
        let e = attributes_from_json(&json!("rack"), "/a").unwrap_err();
        assert_eq!((e[0].error.code(), e[0].error.as_parse().map(|p| p.column())), ("attributes.syntax", Some(5)));
    }

    #[test]
    fn offers_need_ids_and_hostname() {
        let e = offer_from_json(&json!({"id": "O1", "hostname": "h"}), "/offers/0").unwrap_err();
        assert_eq!((e[0].error.code(), e[0].error.message()), ("request.missing_field", "missing field `agent_id`"));
        assert_eq!(Some(e[0].path.as_str()), Some("/offers/0"));
        let e = offer_from_json(&json!({"id": 5, "agent_id": "S1", "hostname": "h"}), "/o").unwrap_err();
        assert_eq!(Some(e[0].path.as_str()), Some("/o/id"));
        let e = offer_from_json(
            &json!({"id": "O1", "agent_id": "S1", "hostname": "h", "resources": "cpus:x", "attributes": [{"name": ""}]}),
            "/o",
        )
        .unwrap_err();
        let paths: Vec<_> = e.iter().map(|w| w.path.as_str()).collect();
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
