//! The serde DTOs of Mesos v1 JSON: structure only (types, names, camelCase aliases, lenient
//! 64-bit numbers). Meaning (signs, ranges, roles, reservations) is checked by the conversions
//! in `read.rs`, which know the JSON pointer of each field.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::numbers::{de_f64, de_i64, de_u64};
use super::pointer::kind;
use crate::model::Label;

/// A Mesos id: `{"value": "..."}`, or just the string.
pub(crate) struct Id(pub(crate) String);

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

#[derive(Deserialize)]
pub(crate) struct ScalarDto {
    #[serde(deserialize_with = "de_f64")]
    pub(crate) value: f64,
}

#[derive(Deserialize)]
pub(crate) struct RangeDto {
    #[serde(deserialize_with = "de_u64")]
    pub(crate) begin: u64,
    #[serde(deserialize_with = "de_u64")]
    pub(crate) end: u64,
}

#[derive(Deserialize)]
pub(crate) struct RangesDto {
    #[serde(default)]
    pub(crate) range: Vec<RangeDto>,
}

#[derive(Deserialize)]
pub(crate) struct SetDto {
    #[serde(default)]
    pub(crate) item: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct TextDto {
    pub(crate) value: String,
}

#[derive(Deserialize)]
pub(crate) struct LabelDto {
    pub(crate) key: String,
    pub(crate) value: Option<String>,
}

/// `{"labels": [...]}` as Mesos writes it, or a bare list.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum LabelsDto {
    Wrapped {
        #[serde(default)]
        labels: Vec<LabelDto>,
    },
    Bare(Vec<LabelDto>),
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
pub(crate) struct RoleDto {
    pub(crate) role: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ReservationDto {
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) principal: Option<String>,
    pub(crate) labels: Option<LabelsDto>,
}

#[derive(Deserialize)]
pub(crate) struct LegacyReservationDto {
    pub(crate) principal: Option<String>,
    pub(crate) labels: Option<LabelsDto>,
}

#[derive(Deserialize)]
pub(crate) struct RootDto {
    pub(crate) root: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SourceDto {
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) path: Option<RootDto>,
    pub(crate) mount: Option<RootDto>,
    pub(crate) vendor: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) profile: Option<String>,
    pub(crate) metadata: Option<LabelsDto>,
}

#[derive(Deserialize)]
pub(crate) struct PersistenceDto {
    pub(crate) id: String,
    pub(crate) principal: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct VolumeDto {
    #[serde(alias = "containerPath")]
    pub(crate) container_path: String,
    #[serde(alias = "hostPath")]
    pub(crate) host_path: Option<String>,
    pub(crate) mode: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DiskDto {
    pub(crate) persistence: Option<PersistenceDto>,
    pub(crate) volume: Option<VolumeDto>,
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

#[derive(Deserialize)]
pub(crate) struct ResourceDto {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: Option<TypeName>,
    pub(crate) scalar: Option<ScalarDto>,
    pub(crate) ranges: Option<RangesDto>,
    pub(crate) set: Option<SetDto>,
    pub(crate) role: Option<String>,
    pub(crate) reservation: Option<LegacyReservationDto>,
    #[serde(default)]
    pub(crate) reservations: Vec<ReservationDto>,
    /// Boxed: rare, and large enough to make every resource's decoding struct costly to move.
    pub(crate) disk: Option<Box<DiskDto>>,
    /// Present and not `null` (whatever it holds).
    pub(crate) shared: Option<de::IgnoredAny>,
    /// Present and not `null` (whatever it holds).
    pub(crate) revocable: Option<de::IgnoredAny>,
    #[serde(alias = "allocationInfo")]
    pub(crate) allocation_info: Option<RoleDto>,
    #[serde(alias = "providerId")]
    pub(crate) provider_id: Option<Id>,
}

#[derive(Deserialize)]
pub(crate) struct AttributeDto {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) scalar: Option<ScalarDto>,
    pub(crate) ranges: Option<RangesDto>,
    pub(crate) set: Option<SetDto>,
    pub(crate) text: Option<TextDto>,
}

#[derive(Deserialize)]
pub(crate) struct NameDto {
    pub(crate) name: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct FaultDomainDto {
    pub(crate) region: Option<NameDto>,
    pub(crate) zone: Option<NameDto>,
}

#[derive(Deserialize)]
pub(crate) struct DomainDto {
    #[serde(alias = "faultDomain")]
    pub(crate) fault_domain: Option<FaultDomainDto>,
}

#[derive(Deserialize)]
pub(crate) struct NanosDto {
    #[serde(deserialize_with = "de_i64")]
    pub(crate) nanoseconds: i64,
}

#[derive(Deserialize)]
pub(crate) struct UnavailabilityDto {
    pub(crate) start: NanosDto,
    pub(crate) duration: Option<NanosDto>,
}

/// The offer's own fields; `resources` and `attributes` are read separately so that their
/// errors carry exact paths.
#[derive(Deserialize)]
pub(crate) struct OfferDto {
    pub(crate) id: Id,
    #[serde(alias = "frameworkId")]
    pub(crate) framework_id: Option<Id>,
    #[serde(alias = "agentId", alias = "slave_id", alias = "slaveId")]
    pub(crate) agent_id: Id,
    pub(crate) hostname: String,
    pub(crate) domain: Option<DomainDto>,
    pub(crate) unavailability: Option<UnavailabilityDto>,
    #[serde(alias = "allocationInfo")]
    pub(crate) allocation_info: Option<RoleDto>,
    #[serde(alias = "executorIds", default)]
    pub(crate) executor_ids: Vec<Id>,
}
