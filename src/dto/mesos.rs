//! Mesos v1 JSON on the wire: the readers of [`crate::mesos`] with their errors as contract
//! errors (each [`ReadError`] one [`WireError`] at its JSON pointer), the writers as they are,
//! and the `place` fast path's readers, which decode offers straight from the request text
//! (`crate::wire::place_in`) and make the same offers the readers make of the same objects.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Errors, WireError};
pub(crate) use crate::mesos::dto::ObjOnly;
use crate::mesos::dto::{AttributeDto, DomainDto, Id, OfferDto, RoleDto, UnavailabilityDto};
use crate::mesos::read::{attribute_from_dto, offer_from_parts, ReadError};
use crate::model::resources::first_type_conflict as type_conflict_at;
use crate::model::{Attributes, Offer, Resource, Resources};

pub use crate::mesos::{
    attribute_to_json, attributes_to_json, offer_to_json, ranges_to_json, resource_to_json, resources_to_json,
    scalar_json, set_to_json, value_to_json,
};

/// The contract's errors for the readers' errors, in order.
fn wire_errors(errors: Vec<ReadError>) -> Errors {
    errors.iter().map(|e| WireError::from_error(&e.error, &e.path)).collect()
}

/// [`crate::mesos::resource_from_json`], its errors as contract errors.
///
/// # Errors
/// Every problem with its JSON pointer under `path` (e.g. `/offers/0/resources/2/scalar/value`).
pub fn resource_from_json(json: &Json, path: &str) -> Result<Resource, Errors> {
    crate::mesos::resource_from_json(json, path).map_err(wire_errors)
}

/// [`crate::mesos::resources_from_json`], its errors as contract errors.
///
/// # Errors
/// Every problem with its JSON pointer under `path`; text errors carry the span too.
///
/// ```
/// use serde_json::json;
/// use offerfit::host::mesos::resources_from_json;
/// let r = resources_from_json(&json!([{"name": "ports", "type": "RANGES",
///     "ranges": {"range": [{"begin": "31000", "end": 31005}]}, "role": "web"}]), "").unwrap();
/// assert_eq!(r.to_string(), "ports(web):[31000-31005]");
/// let e = resources_from_json(&json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]), "/r").unwrap_err();
/// assert_eq!(e[0].path.as_deref(), Some("/r/0/scalar/value"));
/// let e = resources_from_json(&json!("cpus(x:1"), "/r").unwrap_err();
/// assert_eq!((e[0].path.as_deref(), e[0].column), (Some("/r"), Some(7)));
/// ```
pub fn resources_from_json(json: &Json, path: &str) -> Result<Resources, Errors> {
    crate::mesos::resources_from_json(json, path).map_err(wire_errors)
}

/// [`crate::mesos::attributes_from_json`], its errors as contract errors.
///
/// # Errors
/// Every problem with its JSON pointer under `path`; text errors carry the span too.
pub fn attributes_from_json(json: &Json, path: &str) -> Result<Attributes, Errors> {
    crate::mesos::attributes_from_json(json, path).map_err(wire_errors)
}

/// [`crate::mesos::offer_from_json`], its errors as contract errors.
///
/// # Errors
/// Every problem found, each with its JSON pointer under `path`.
///
/// ```
/// use serde_json::json;
/// let e = offerfit::host::mesos::offer_from_json(&json!({"id": "O1", "hostname": "h"}), "/offers/0").unwrap_err();
/// assert_eq!((e[0].code.as_str(), e[0].path.as_deref()), ("request.missing_field", Some("/offers/0")));
/// ```
pub fn offer_from_json(json: &Json, path: &str) -> Result<Offer, Errors> {
    crate::mesos::offer_from_json(json, path).map_err(wire_errors)
}

/// [`crate::mesos::offers_from_json`], its errors as contract errors.
///
/// # Errors
/// Every problem of every offer, each with its JSON pointer under `path`.
pub fn offers_from_json(json: &Json, path: &str) -> Result<Vec<Offer>, Errors> {
    crate::mesos::offers_from_json(json, path).map_err(wire_errors)
}

// ---------------------------------------------------------------------------------------
// Reading offers straight from request text (the `place` fast path, `crate::wire::place_in`)
// ---------------------------------------------------------------------------------------
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

/// `attributes` of an offer as read from request text: each attribute object converted (as
/// [`attribute_from_dto`] does for the API) as soon as it is read, into the offer's own list
/// (no list of decoding structs in between), or an attributes text. Any problem is a
/// deserialization error: the fast path then gives up.
enum AttributeList {
    List(Attributes),
    Text(String),
}

impl<'de> Deserialize<'de> for AttributeList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AttributeList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttributeList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or a text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AttributeList, E> {
                Ok(AttributeList::Text(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<AttributeList, A::Error> {
                let mut out = Attributes::new();
                while let Some(ObjOnly(dto)) = seq.next_element::<ObjOnly<AttributeDto>>()? {
                    out.push(attribute_from_dto(dto).map_err(|_| de::Error::custom("not on the fast path"))?);
                }
                Ok(AttributeList::List(out))
            }
        }
        d.deserialize_any(V)
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
    attributes: Option<AttributeList>,
}

// `resources` of an offer as read from request text: each resource object converted (as
// `resource_from_dto` does for the API) as soon as it is read, or a resources text. Any
// problem is a deserialization error: the fast path then gives up.
use crate::mesos::DirectList as ResourceList;

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
        Some(AttributeList::List(list)) => list,
        Some(AttributeList::Text(text)) => crate::text::parse_attributes(&text).ok()?,
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
        resources: None,
        attributes: None,
    };
    offer_from_parts(dto, resources, attributes, Vec::new(), "").ok()
}
