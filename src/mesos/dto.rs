//! The serde DTOs of Mesos v1 JSON: structure only (types, names, camelCase aliases, lenient
//! 64-bit numbers). Meaning (signs, ranges, roles, reservations) is checked by the conversions
//! in `read.rs`, which know the JSON pointer of each field.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value as Json;

use super::numbers::{de_f64, de_i64, de_u64};
use super::pointer::kind;
use crate::model::{Label, ResourceName, Value};

/// A Mesos id: `{"value": "..."}`, or just the string.
pub(crate) struct Id(pub(crate) String);

// The TypeScript declarations of the shapes read by hand: [`Id`] and [`TypeName`] here, and
// resources and attributes given as a list or as text (`crate::dto::mesos`).
#[cfg(feature = "tsify")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const HAND_READ_TS: &'static str = r#"
/** A Mesos id: `{"value": "..."}`, or just the string. */
export type Id = { value: string } | string;
/** The type of a resource or attribute value. */
export type ValueType = "SCALAR" | "RANGES" | "SET" | "TEXT";
/** Resources as a Mesos JSON list or as Mesos text (`"cpus:4;mem:1024;ports(*):[31000-32000]"`). */
export type ResourcesInput = Resource[] | string;
/** Attributes as a Mesos JSON list or as Mesos text (`"rack:r1;zone:a"`). */
export type AttributesInput = Attribute[] | string;
"#;

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

/// Deserializes `T` (a derived struct) only from a JSON object, as the readers do
/// (`offer_from_json`, `resources_from_json` and friends refuse anything but an object; serde's derive would also
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

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Scalar"))]
pub(crate) struct ScalarDto {
    #[serde(deserialize_with = "de_f64", serialize_with = "amount")]
    pub(crate) value: f64,
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Range"))]
pub(crate) struct RangeDto {
    #[serde(deserialize_with = "de_u64")]
    pub(crate) begin: u64,
    #[serde(deserialize_with = "de_u64")]
    pub(crate) end: u64,
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Ranges"))]
pub(crate) struct RangesDto {
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Range[]"))]
    pub(crate) range: Vec<RangeDto>,
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ValueSet"))]
pub(crate) struct SetDto {
    #[serde(default)]
    pub(crate) item: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Text"))]
pub(crate) struct TextDto {
    pub(crate) value: String,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Label"))]
pub(crate) struct LabelDto {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) value: Option<String>,
}

/// `{"labels": [...]}` as Mesos writes it, or a bare list.
#[derive(Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Labels"))]
pub(crate) enum LabelsDto {
    Wrapped {
        #[serde(default)]
        #[cfg_attr(feature = "tsify", tsify(type = "Label[]"))]
        labels: Vec<LabelDto>,
    },
    Bare(#[cfg_attr(feature = "tsify", tsify(type = "Label[]"))] Vec<LabelDto>),
}

impl LabelsDto {
    pub(crate) fn into_labels(self) -> Vec<Label> {
        let list = match self {
            LabelsDto::Wrapped { labels } | LabelsDto::Bare(labels) => labels,
        };
        list.into_iter().map(|l| Label { key: l.key, value: l.value }).collect()
    }
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "AllocationInfo"))]
pub(crate) struct RoleDto {
    #[serde(default)]
    pub(crate) role: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Reservation"))]
pub(crate) struct ReservationDto {
    #[serde(rename = "type")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"STATIC\" | \"DYNAMIC\""))]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) role: Option<String>,
    #[serde(default)]
    pub(crate) principal: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Labels"))]
    pub(crate) labels: Option<LabelsDto>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "LegacyReservation"))]
pub(crate) struct LegacyReservationDto {
    #[serde(default)]
    pub(crate) principal: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Labels"))]
    pub(crate) labels: Option<LabelsDto>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "DiskRoot"))]
pub(crate) struct RootDto {
    #[serde(default)]
    pub(crate) root: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "DiskSource"))]
pub(crate) struct SourceDto {
    #[serde(rename = "type")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"PATH\" | \"MOUNT\" | \"BLOCK\" | \"RAW\""))]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "DiskRoot"))]
    pub(crate) path: Option<RootDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "DiskRoot"))]
    pub(crate) mount: Option<RootDto>,
    #[serde(default)]
    pub(crate) vendor: Option<String>,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) profile: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Labels"))]
    pub(crate) metadata: Option<LabelsDto>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Persistence"))]
pub(crate) struct PersistenceDto {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) principal: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "DiskVolume"))]
pub(crate) struct VolumeDto {
    #[serde(alias = "containerPath")]
    pub(crate) container_path: String,
    #[serde(alias = "hostPath")]
    #[serde(default)]
    pub(crate) host_path: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"RW\" | \"RO\""))]
    pub(crate) mode: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "DiskInfo"))]
pub(crate) struct DiskDto {
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Persistence"))]
    pub(crate) persistence: Option<PersistenceDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "DiskVolume"))]
    pub(crate) volume: Option<VolumeDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "DiskSource"))]
    pub(crate) source: Option<SourceDto>,
}

/// A resource's `type`, read without allocating for the names a resource may have.
pub(crate) enum TypeName {
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

/// A resource's `name`: a string, made a [`ResourceName`] from the text's own bytes where it
/// can be borrowed (a known name then allocates nothing), as `String` would read it otherwise.
fn resource_name<'de, D: Deserializer<'de>>(d: D) -> Result<ResourceName, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = ResourceName;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<ResourceName, E> {
            Ok(ResourceName::from(v))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<ResourceName, E> {
            Ok(ResourceName::from(v))
        }
    }
    d.deserialize_string(V)
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Resource"))]
pub(crate) struct ResourceDto {
    /// Read straight into the model's name: a well-known name (`cpus`, `mem`, ...) read from
    /// text allocates nothing (a `String` here was allocated and dropped for every resource).
    #[serde(deserialize_with = "resource_name")]
    #[cfg_attr(feature = "tsify", tsify(type = "string"))]
    pub(crate) name: ResourceName,
    #[serde(rename = "type")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "ValueType"))]
    pub(crate) kind: Option<TypeName>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Scalar"))]
    pub(crate) scalar: Option<ScalarDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Ranges"))]
    pub(crate) ranges: Option<RangesDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "ValueSet"))]
    pub(crate) set: Option<SetDto>,
    #[serde(default)]
    pub(crate) role: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "LegacyReservation"))]
    pub(crate) reservation: Option<LegacyReservationDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Reservation[]"))]
    pub(crate) reservations: Vec<ReservationDto>,
    /// Boxed: rare, and large enough to make every resource's decoding struct costly to move.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "DiskInfo"))]
    pub(crate) disk: Option<Box<DiskDto>>,
    /// Present and not `null` (whatever it holds).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Record<string, never>"))]
    pub(crate) shared: Option<de::IgnoredAny>,
    /// Present and not `null` (whatever it holds).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Record<string, never>"))]
    pub(crate) revocable: Option<de::IgnoredAny>,
    #[serde(alias = "allocationInfo")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "AllocationInfo"))]
    pub(crate) allocation_info: Option<RoleDto>,
    #[serde(alias = "providerId")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Id"))]
    pub(crate) provider_id: Option<Id>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Attribute"))]
pub(crate) struct AttributeDto {
    pub(crate) name: String,
    #[serde(rename = "type")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "ValueType"))]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Scalar"))]
    pub(crate) scalar: Option<ScalarDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Ranges"))]
    pub(crate) ranges: Option<RangesDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "ValueSet"))]
    pub(crate) set: Option<SetDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Text"))]
    pub(crate) text: Option<TextDto>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Named"))]
pub(crate) struct NameDto {
    #[serde(default)]
    pub(crate) name: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "FaultDomain"))]
pub(crate) struct FaultDomainDto {
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Named"))]
    pub(crate) region: Option<NameDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Named"))]
    pub(crate) zone: Option<NameDto>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Domain"))]
pub(crate) struct DomainDto {
    #[serde(alias = "faultDomain")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "FaultDomain"))]
    pub(crate) fault_domain: Option<FaultDomainDto>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Nanoseconds"))]
pub(crate) struct NanosDto {
    #[serde(deserialize_with = "de_i64")]
    #[cfg_attr(feature = "tsify", tsify(type = "number | string"))]
    pub(crate) nanoseconds: i64,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Unavailability"))]
pub(crate) struct UnavailabilityDto {
    #[cfg_attr(feature = "tsify", tsify(type = "Nanoseconds"))]
    pub(crate) start: NanosDto,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Nanoseconds"))]
    pub(crate) duration: Option<NanosDto>,
}

/// The offer's own fields; `resources` and `attributes` are read separately so that their
/// errors carry exact paths.
#[derive(Deserialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Offer"))]
pub(crate) struct OfferDto {
    #[cfg_attr(feature = "tsify", tsify(type = "Id"))]
    pub(crate) id: Id,
    #[serde(alias = "frameworkId")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Id"))]
    pub(crate) framework_id: Option<Id>,
    #[serde(alias = "agentId", alias = "slave_id", alias = "slaveId")]
    #[cfg_attr(feature = "tsify", tsify(type = "Id"))]
    pub(crate) agent_id: Id,
    pub(crate) hostname: String,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Domain"))]
    pub(crate) domain: Option<DomainDto>,
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Unavailability"))]
    pub(crate) unavailability: Option<UnavailabilityDto>,
    #[serde(alias = "allocationInfo")]
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "AllocationInfo"))]
    pub(crate) allocation_info: Option<RoleDto>,
    #[serde(alias = "executorIds", default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Id[]"))]
    pub(crate) executor_ids: Vec<Id>,
    /// What the offer holds: Mesos v1 resources, or Mesos resource text. Read apart (see
    /// above); named here so that the offer's declaration shows it.
    #[serde(default)]
    #[allow(dead_code)]
    #[cfg_attr(feature = "tsify", tsify(type = "ResourcesInput"))]
    pub(crate) resources: Option<de::IgnoredAny>,
    /// The agent's attributes: Mesos v1 attributes, or Mesos attribute text. Read apart.
    #[serde(default)]
    #[allow(dead_code)]
    #[cfg_attr(feature = "tsify", tsify(type = "AttributesInput"))]
    pub(crate) attributes: Option<de::IgnoredAny>,
}

/// A double as the contract writes every amount ([`scalar_json`](super::scalar_json)): whole
/// numbers without a fraction.
fn amount<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    super::scalar_json(*x).serialize(s)
}

/// A Mesos v1 `Value` as the contract writes it (`parse_value`), tagged by `type`: the same
/// shapes [`ScalarDto`], [`RangesDto`], [`SetDto`] and [`TextDto`] read inside resources and
/// attributes, and the bytes [`value_to_json`](super::value_to_json) writes.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "MesosValue"))]
pub(crate) enum ValueDto {
    /// `{"type": "SCALAR", "scalar": {"value": 1.5}}`
    #[serde(rename = "SCALAR")]
    Scalar {
        /// The number.
        #[cfg_attr(feature = "tsify", tsify(type = "Scalar"))]
        scalar: ScalarDto,
    },
    /// `{"type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 3}]}}`
    #[serde(rename = "RANGES")]
    Ranges {
        /// The ranges, ascending and coalesced (`range` always written).
        #[cfg_attr(feature = "tsify", tsify(type = "{ range: Range[] }"))]
        ranges: RangesDto,
    },
    /// `{"type": "SET", "set": {"item": ["a", "b"]}}`
    #[serde(rename = "SET")]
    Set {
        /// The items (`item` always written).
        #[cfg_attr(feature = "tsify", tsify(type = "{ item: string[] }"))]
        set: SetDto,
    },
    /// `{"type": "TEXT", "text": {"value": "a"}}`
    #[serde(rename = "TEXT")]
    Text {
        /// The text.
        #[cfg_attr(feature = "tsify", tsify(type = "Text"))]
        text: TextDto,
    },
}

impl From<&Value> for ValueDto {
    fn from(v: &Value) -> ValueDto {
        match v {
            Value::Scalar(x) => ValueDto::Scalar { scalar: ScalarDto { value: *x } },
            Value::Ranges(r) => ValueDto::Ranges {
                ranges: RangesDto { range: r.iter().map(|x| RangeDto { begin: x.begin, end: x.end }).collect() },
            },
            Value::Set(s) => ValueDto::Set { set: SetDto { item: s.items().to_vec() } },
            Value::Text(t) => ValueDto::Text { text: TextDto { value: t.clone() } },
        }
    }
}
