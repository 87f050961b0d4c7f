//! The contract's request and response shapes (`CONTRACT.md`), declared once so that tsify
//! writes them into the package's `.d.ts`.
//!
//! These types are *declarations*: the binding never decodes a request into them (the core's
//! dispatcher does all decoding, so every host gets the same answers and the same errors). They
//! derive serde only so that a native test can check that real responses of the core have
//! exactly these shapes (`tests/types.rs`), which keeps the TypeScript types honest.
//!
//! Field names are the contract's (snake_case): only the function names are camelCase in JS.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use tsify::Tsify;

// ---------------------------------------------------------------------------------------------
// Errors

/// A byte span inside a text: the core's own type (its declaration comes from the core's
/// `tsify` feature).
pub use offerfit::Span;

/// The contract's error object: the core's [`offerfit::wire::WireError`], the type the core
/// writes every error with (its TypeScript declaration is derived there; `ErrorObject` is the
/// package's name for it).
pub use offerfit::wire::WireError as ErrorObject;

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const ERROR_OBJECT_TS: &'static str = r#"
/**
 * The contract's error object: `code` and `message` always; `path` when the error is tied to one
 * input element; `span`, `line`, `column` and `rendered` when it is inside a text.
 */
export type ErrorObject = WireError;
"#;

/// `{"ok": false, "errors": [...]}`: the answer to a request that was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// Always `false`.
    #[tsify(type = "false")]
    pub ok: bool,
    /// At least one error.
    pub errors: Vec<ErrorObject>,
}

// ---------------------------------------------------------------------------------------------
// Mesos v1 values, resources, attributes, offers

/// `{"value": "..."}`, the Mesos form of an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Id {
    /// The id.
    pub value: String,
}

/// Mesos `Value.Scalar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Scalar {
    /// The amount (Mesos keeps three decimals).
    pub value: f64,
}

/// One inclusive range of Mesos `Value.Ranges`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Range {
    /// First value.
    pub begin: f64,
    /// Last value (inclusive).
    pub end: f64,
}

/// Mesos `Value.Ranges`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Ranges {
    /// The ranges, ascending and coalesced in output.
    pub range: Vec<Range>,
}

/// Mesos `Value.Set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct ValueSet {
    /// The items.
    pub item: Vec<String>,
}

/// Mesos `Value.Text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Text {
    /// The text.
    pub value: String,
}

/// A Mesos v1 `Value`, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum MesosValue {
    /// `{"type": "SCALAR", "scalar": {"value": 1.5}}`
    #[serde(rename = "SCALAR")]
    Scalar {
        /// The scalar.
        scalar: Scalar,
    },
    /// `{"type": "RANGES", "ranges": {"range": [...]}}`
    #[serde(rename = "RANGES")]
    Ranges {
        /// The ranges.
        ranges: Ranges,
    },
    /// `{"type": "SET", "set": {"item": [...]}}`
    #[serde(rename = "SET")]
    Set {
        /// The set.
        set: ValueSet,
    },
    /// `{"type": "TEXT", "text": {"value": "..."}}`
    #[serde(rename = "TEXT")]
    Text {
        /// The text.
        text: Text,
    },
}

/// The type of a resource or attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Tsify)]
pub enum ValueType {
    /// A number.
    #[serde(rename = "SCALAR")]
    Scalar,
    /// Integer ranges.
    #[serde(rename = "RANGES")]
    Ranges,
    /// A set of strings.
    #[serde(rename = "SET")]
    Set,
    /// Text (attributes only).
    #[serde(rename = "TEXT")]
    Text,
}

/// One Mesos label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Label {
    /// The key.
    pub key: String,
    /// The value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Mesos `Labels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Labels {
    /// The labels, in order.
    pub labels: Vec<Label>,
}

/// One reservation of the refinement stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Reservation {
    /// How the resource was reserved.
    #[serde(rename = "type")]
    #[tsify(type = "\"STATIC\" | \"DYNAMIC\"")]
    pub kind: String,
    /// The role it is reserved for.
    pub role: String,
    /// Who reserved it (dynamic reservations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Labels of the reservation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// A root path of a `PATH` or `MOUNT` disk source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct DiskRoot {
    /// The root directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
}

/// Mesos `Resource.DiskInfo.Source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct DiskSource {
    /// `PATH`, `MOUNT`, `BLOCK` or `RAW`.
    #[serde(rename = "type")]
    #[tsify(type = "\"PATH\" | \"MOUNT\" | \"BLOCK\" | \"RAW\"")]
    pub kind: String,
    /// The root of a `PATH` disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<DiskRoot>,
    /// The root of a `MOUNT` disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<DiskRoot>,
    /// The CSI vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The CSI volume id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Disk capabilities as labels (seen by a volume's `require` constraints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Labels>,
    /// The storage profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// Mesos `Resource.DiskInfo.Persistence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Persistence {
    /// The persistent volume's id.
    pub id: String,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

/// Mesos `Volume` inside a `DiskInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct DiskVolume {
    /// `RW` or `RO`.
    #[tsify(type = "\"RW\" | \"RO\"")]
    pub mode: String,
    /// Where the volume is mounted in the container.
    pub container_path: String,
}

/// Mesos `Resource.DiskInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct DiskInfo {
    /// A persistent volume's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Persistence>,
    /// Its mount point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<DiskVolume>,
    /// Where the disk comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DiskSource>,
}

/// A Mesos v1 `Resource`. Output always uses the reservation-refinement form
/// (`reservations`); input also accepts the legacy `role` and `reservation`, and unknown
/// Mesos fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Resource {
    /// `cpus`, `mem`, `disk`, `gpus`, `ports`, or any custom name.
    pub name: String,
    /// The value's type.
    #[serde(rename = "type")]
    pub kind: ValueType,
    /// The amount of a `SCALAR` resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    /// The ranges of a `RANGES` resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    /// The items of a `SET` resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<ValueSet>,
    /// The reservation stack; absent or empty when unreserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Vec<Reservation>>,
    /// Legacy (input only): the role the resource is reserved for, `*` when unreserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Legacy (input only): the reservation's principal and labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "{ principal?: string; labels?: Labels }")]
    pub reservation: Option<Json>,
    /// Disk details (volumes, sources, profiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<DiskInfo>,
    /// Whether the resource is shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "Record<string, never>")]
    pub shared: Option<Json>,
    /// Whether the resource is revocable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "Record<string, never>")]
    pub revocable: Option<Json>,
}

/// A Mesos v1 `Attribute`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// The value's type.
    #[serde(rename = "type")]
    pub kind: ValueType,
    /// The value of a `SCALAR` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    /// The value of a `RANGES` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    /// The value of a `SET` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<ValueSet>,
    /// The value of a `TEXT` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

/// Resources as a Mesos JSON list or as Mesos text (`"cpus:4;mem:1024;ports(*):[31000-32000]"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(untagged)]
pub enum ResourcesInput {
    /// Mesos v1 JSON.
    List(Vec<Resource>),
    /// Mesos text.
    Text(String),
}

/// Attributes as a Mesos JSON list or as Mesos text (`"rack:r1;zone:a"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(untagged)]
pub enum AttributesInput {
    /// Mesos v1 JSON.
    List(Vec<Attribute>),
    /// Mesos text.
    Text(String),
}

/// `{"name": "us-east-1"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Named {
    /// The name.
    pub name: String,
}

/// Mesos `DomainInfo.FaultDomain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct FaultDomain {
    /// The region.
    pub region: Named,
    /// The zone.
    pub zone: Named,
}

/// Mesos `DomainInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Domain {
    /// The agent's fault domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_domain: Option<FaultDomain>,
}

/// Mesos `TimeInfo` / `DurationInfo`: nanoseconds, as a number or (64-bit) a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Nanoseconds {
    /// Nanoseconds.
    #[tsify(type = "number | string")]
    pub nanoseconds: Json,
}

/// Mesos `Unavailability`: a maintenance window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Unavailability {
    /// When it starts.
    pub start: Nanoseconds,
    /// How long it lasts (absent: forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Nanoseconds>,
}

/// A Mesos v1 scheduler-API `Offer`. camelCase keys are accepted too; unknown Mesos fields are
/// ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Offer {
    /// The offer's id.
    pub id: Id,
    /// The agent's id.
    pub agent_id: Id,
    /// The framework's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<Id>,
    /// The agent's hostname.
    pub hostname: String,
    /// What the offer holds.
    pub resources: ResourcesInput,
    /// The agent's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributesInput>,
    /// The agent's region and zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Domain>,
    /// A maintenance window of the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailability: Option<Unavailability>,
}

// ---------------------------------------------------------------------------------------------
// Constraints

/// A constraint in object form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ConstraintObject {
    /// The field: an attribute name, `hostname`, `@region`, `@zone`, ...
    pub field: String,
    /// The operator: `UNIQUE`, `CLUSTER`, `GROUP_BY`, `LIKE`, `UNLIKE`, `MAX_PER`, `IS`, ...
    pub operator: String,
    /// The operator's argument, if it takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A constraint as text (`"rack LIKE r[12]"`), a Marathon array (`["rack", "GROUP_BY", "3"]`) or
/// an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(untagged)]
pub enum Constraint {
    /// Text form.
    Text(String),
    /// Marathon's array form.
    Array(Vec<String>),
    /// Object form.
    Object(ConstraintObject),
}

/// A parsed constraint: the object form plus its canonical text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParsedConstraint {
    /// The field.
    pub field: String,
    /// The operator, canonical spelling.
    pub operator: String,
    /// The operator's argument, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The canonical text, which parses back to the same constraint.
    pub text: String,
}

/// The constraint dialect: how text and arrays are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Marathon's (the default).
    Marathon,
    /// OpenWhisk's Mesos container factory.
    Openwhisk,
}

/// Where a placement already is, so constraints count it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct RunningTask {
    /// The task's id.
    pub id: String,
    /// Its group (what UNIQUE / GROUP_BY / MAX_PER count).
    pub group: String,
    /// The host it runs on.
    pub hostname: String,
    /// The agent it runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The host's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributesInput>,
    /// The host's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The host's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// A host to check constraints against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The hostname.
    pub hostname: String,
    /// Its attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributesInput>,
    /// Its region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Its zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// A `check_constraints` candidate: a host or a whole Mesos offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(untagged)]
pub enum Candidate {
    /// A Mesos offer.
    Offer(Box<Offer>),
    /// A host.
    Host(Host),
}

// ---------------------------------------------------------------------------------------------
// Tasks and placement

/// A volume a task needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct VolumeRequest {
    /// Size in MB.
    pub size: f64,
    /// The disk type (default `ROOT`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[tsify(type = "\"ROOT\" | \"PATH\" | \"MOUNT\"")]
    pub kind: Option<String>,
    /// A storage profile the disk must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// For a `MOUNT` disk: the largest disk to take whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<f64>,
    /// Constraints on the disk's capabilities (`type`, `path`, `profile`, `vendor`, labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require: Option<Vec<Constraint>>,
    /// The persistent volume to use or create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence_id: Option<String>,
    /// Where a persistent volume is mounted in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
}

/// A soft preference: a constraint and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// What is preferred.
    pub constraint: Constraint,
    /// How much (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Elastic resources: take the largest fit up to these maxima.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Elastic {
    /// Maximum CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Maximum memory (MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<f64>,
}

/// An executor whose resources are charged once per agent for the tasks sharing its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Executor {
    /// The executor's id.
    pub id: String,
    /// CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Memory (MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<f64>,
    /// Disk (MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<f64>,
}

/// One task to place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
#[tsify(hashmap_as_object)]
pub struct Task {
    /// The task's id.
    pub id: String,
    /// The group UNIQUE / GROUP_BY / MAX_PER count (default: the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The group's target number of tasks (for GROUP_BY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
    /// The role its resources are allocated to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The roles whose resources it may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_roles: Option<Vec<String>>,
    /// CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Memory (MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<f64>,
    /// Disk (MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<f64>,
    /// GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<f64>,
    /// Other scalar resources by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalars: Option<BTreeMap<String, f64>>,
    /// Host ports, `0` for any free port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<u32>>,
    /// Volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<VolumeRequest>>,
    /// Hard constraints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<Vec<Constraint>>,
    /// Soft preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Vec<Preference>>,
    /// How the constraints are read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// Tasks sharing a gang are placed all or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gang: Option<String>,
    /// Elastic maxima.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic: Option<Elastic>,
    /// The executor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<Executor>,
    /// Overrides `options.gpu_scheduling` for this task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "\"restricted\" | \"unrestricted\"")]
    pub gpu_scheduling: Option<String>,
    /// Passed through into the Mesos `LAUNCH` TaskInfo of `calls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "Record<string, unknown>")]
    pub task_info: Option<Json>,
}

/// How offers are scored: a named strategy or weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(untagged)]
#[tsify(hashmap_as_object)]
pub enum Strategy {
    /// `binpack` (default), `spread` or `first_fit`.
    Named(#[tsify(type = "\"binpack\" | \"spread\" | \"first_fit\"")] String),
    /// Weights of the scoring terms.
    Weights(BTreeMap<String, f64>),
}

/// `place` options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
#[tsify(hashmap_as_object)]
pub struct PlaceOptions {
    /// How offers are scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Whose matching rules to follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "\"offerfit\" | \"marathon\" | \"mesos-actor\"")]
    pub profile: Option<String>,
    /// The framework's roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The decline filter (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_seconds: Option<f64>,
    /// How free ports are chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "\"lowest\" | \"random\"")]
    pub port_selection: Option<String>,
    /// Seed for `random` choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<f64>,
    /// Ports never to use, by hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_blacklist: Option<BTreeMap<String, Vec<u32>>>,
    /// Whether GPU agents are kept for GPU tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "\"restricted\" | \"unrestricted\"")]
    pub gpu_scheduling: Option<String>,
    /// When given, `calls` is filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<String>,
    /// The principal of the `RESERVE` and `CREATE` operations in `calls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Whether unplaced tasks get explanations (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<bool>,
    /// Unix seconds (the core has no clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<f64>,
    /// Offers whose agent goes into maintenance within this window are declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_seconds: Option<f64>,
    /// Offers from another region are used only by tasks that name `@region` or `@zone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_region: Option<String>,
    /// Input limits (each defaults as the README says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// What to maximise when not every task fits (default `tasks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "\"tasks\" | \"resources\"")]
    pub objective: Option<String>,
}

/// Bounds on the size of untrusted input; an absent field keeps its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest request text, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_bytes: Option<u64>,
    /// Deepest nesting of arrays and objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_depth: Option<u64>,
    /// Offers in one `place` request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers: Option<u64>,
    /// Tasks in one `place` request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<u64>,
    /// Running tasks in one request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<u64>,
    /// Constraints (and preferences, volume requirements) of one task or request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints_per_task: Option<u64>,
    /// Ranges in one resource or value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges_per_resource: Option<u64>,
    /// Elements of any other array, members of any object (a task's ports, scalars, volumes;
    /// an offer's resources, attributes; a port blacklist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_items: Option<u64>,
    /// JSON values in one request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_values: Option<u64>,
    /// Bytes of any one string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_bytes: Option<u64>,
    /// Compiled size of one `LIKE` / `UNLIKE` regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex_size: Option<u64>,
    /// Backtracking steps of one regex match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex_backtrack: Option<u64>,
}

/// A task placed on an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct PlacedTask {
    /// The task's id.
    pub task_id: String,
    /// Exactly what it takes.
    pub resources: Vec<Resource>,
    /// Its host ports, in the task's request order.
    pub ports: Vec<u32>,
    /// Its score on this agent.
    pub score: f64,
    /// What its executor takes, on the first task of the agent that uses that executor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_resources: Option<Vec<Resource>>,
}

/// The tasks placed on one agent and the offers they use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// The agent's id.
    pub agent_id: String,
    /// Its hostname.
    pub hostname: String,
    /// The offers accepted.
    pub offer_ids: Vec<String>,
    /// The tasks, in placement order.
    pub tasks: Vec<PlacedTask>,
    /// What is left of the agent's offers.
    pub remaining: Vec<Resource>,
}

/// An offer that is declined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// The offer's id.
    pub offer_id: String,
    /// The decline filter.
    pub refuse_seconds: f64,
    /// Why (`unused`, `maintenance`, ...).
    pub reason: String,
}

/// One way a task failed to fit, and on how many offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// `role`, `maintenance`, `region`, `constraint`, `reservation`, `insufficient_cpus`, ...
    pub code: String,
    /// One lowercase line.
    pub message: String,
    /// How many offers failed this way.
    pub offers: u32,
}

/// A task that could not be placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Unplaced {
    /// The task's id.
    pub task_id: String,
    /// Why, in the order the checks run.
    pub reasons: Vec<Reason>,
    /// The agent that came nearest, and what it lacked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nearest: Option<Nearest>,
}

/// The agent that came nearest to hosting an unplaced task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
#[tsify(hashmap_as_object)]
pub struct Nearest {
    /// The agent's id.
    pub agent_id: String,
    /// Its hostname.
    pub hostname: String,
    /// The reason codes it failed, in check order.
    pub lacking: Vec<String>,
    /// Scalar shortfalls: how much more of each resource was needed.
    pub missing: BTreeMap<String, f64>,
}

/// Counters of a `place` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// Offers seen.
    pub offers: u32,
    /// Tasks seen.
    pub tasks: u32,
    /// Tasks placed.
    pub placed: u32,
    /// (task, offer) pairs evaluated.
    pub evaluations: u64,
    /// The objective the answer maximised (`tasks` or `resources`).
    #[tsify(type = "\"tasks\" | \"resources\"")]
    pub objective: String,
    /// Its value: the placed count (`tasks`) or the placed share of the offered cpus and mem, 0–1
    /// (`resources`).
    pub objective_value: f64,
    /// Repair passes run after the first one (0 when it placed every task that can be placed).
    pub repair_passes: u32,
}

// ---------------------------------------------------------------------------------------------
// Requests (the op name is added by the typed function)

/// `parseValue` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseValueRequest {
    /// A Mesos value: scalar, ranges, set or text.
    pub text: String,
}

/// `parseResources` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseResourcesRequest {
    /// Mesos resource text.
    pub text: String,
    /// The role of resources without one (default `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
}

/// `formatResources` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct FormatResourcesRequest {
    /// The resources to print.
    pub resources: ResourcesInput,
}

/// `resourceMath` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ResourceMathRequest {
    /// What to compute.
    #[tsify(type = "\"add\" | \"subtract\" | \"contains\" | \"equal\" | \"allocatable_to\"")]
    pub operation: String,
    /// The left operand.
    pub left: ResourcesInput,
    /// The right operand (unused by `allocatable_to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<ResourcesInput>,
    /// For `allocatable_to`: the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `parseAttributes` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseAttributesRequest {
    /// Mesos attribute text.
    pub text: String,
}

/// `parseConstraints` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseConstraintsRequest {
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// How to read them (default `marathon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The openwhisk dialect's delimiter (default `" "`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
}

/// `checkConstraints` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct CheckConstraintsRequest {
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// How to read them (default `marathon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The openwhisk dialect's delimiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Soft preferences to score the candidate by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Vec<Preference>>,
    /// The host (or offer) to check.
    pub candidate: Candidate,
    /// Where the candidate's group already runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed: Option<Vec<RunningTask>>,
    /// The group's target instance count (for GROUP_BY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
}

/// `place` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequest {
    /// The offers.
    pub offers: Vec<Offer>,
    /// The tasks to place.
    pub tasks: Vec<Task>,
    /// Placements that already exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<Vec<RunningTask>>,
    /// Options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<PlaceOptions>,
}

// ---------------------------------------------------------------------------------------------
// Successful results

/// `version` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct VersionOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The library's version.
    pub version: String,
    /// Every op name.
    pub ops: Vec<String>,
}

/// `parseValue` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseValueOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The value.
    pub value: MesosValue,
}

/// `parseResources` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseResourcesOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The resources.
    pub resources: Vec<Resource>,
}

/// `formatResources` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct FormatResourcesOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// Mesos' printed form.
    pub text: String,
}

/// `resourceMath` result: `resources` for add, subtract and allocatable_to; `result` for
/// contains and equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ResourceMathOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The resulting resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Resource>>,
    /// The answer of a comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<bool>,
}

/// `parseAttributes` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseAttributesOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The attributes, in input order.
    pub attributes: Vec<Attribute>,
}

/// `parseConstraints` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ParseConstraintsOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The constraints (one the dialect ignores is left out).
    pub constraints: Vec<ParsedConstraint>,
    /// One per ignored constraint, with its `path`.
    pub warnings: Vec<ErrorObject>,
}

/// One constraint's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ConstraintResult {
    /// The constraint's canonical text.
    pub text: String,
    /// Whether the candidate satisfies it.
    pub satisfied: bool,
}

/// `checkConstraints` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct CheckConstraintsOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// Whether every constraint is satisfied.
    pub satisfied: bool,
    /// Each constraint's verdict, in order.
    pub results: Vec<ConstraintResult>,
    /// Each preference's verdict, in order (when the request has preferences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Vec<PreferenceResult>>,
    /// The summed weight of the satisfied preferences (when the request has preferences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// One per ignored constraint, with its `path`.
    pub warnings: Vec<ErrorObject>,
}

/// One preference's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct PreferenceResult {
    /// The preference's canonical text.
    pub text: String,
    /// Its weight.
    pub weight: f64,
    /// Whether the candidate satisfies it.
    pub satisfied: bool,
}

/// `place` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct PlaceOk {
    /// Always `true`.
    #[tsify(type = "true")]
    pub ok: bool,
    /// Agents with placed tasks, in the order of their first placement.
    pub accept: Vec<Accept>,
    /// Offers declined.
    pub decline: Vec<Decline>,
    /// Tasks not placed, with reasons.
    pub unplaced: Vec<Unplaced>,
    /// Mesos v1 `Call`s (`ACCEPT`, `DECLINE`), when `options.framework_id` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "Record<string, unknown>[]")]
    pub calls: Option<Vec<Json>>,
    /// Counters.
    pub stats: Stats,
}

macro_rules! responses {
    ($($(#[$doc:meta])* $name:ident => $ok:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Tsify)]
        #[serde(untagged)]
        pub enum $name {
            /// `ok: true` and the result.
            Ok($ok),
            /// `ok: false` and the errors.
            Err(Failure),
        }
    )*};
}

responses! {
    /// What `version()` returns.
    VersionResponse => VersionOk;
    /// What `parseValue()` returns.
    ParseValueResponse => ParseValueOk;
    /// What `parseResources()` returns.
    ParseResourcesResponse => ParseResourcesOk;
    /// What `formatResources()` returns.
    FormatResourcesResponse => FormatResourcesOk;
    /// What `resourceMath()` returns.
    ResourceMathResponse => ResourceMathOk;
    /// What `parseAttributes()` returns.
    ParseAttributesResponse => ParseAttributesOk;
    /// What `parseConstraints()` returns.
    ParseConstraintsResponse => ParseConstraintsOk;
    /// What `checkConstraints()` returns.
    CheckConstraintsResponse => CheckConstraintsOk;
    /// What `place()` returns.
    PlaceResponse => PlaceOk;
}
