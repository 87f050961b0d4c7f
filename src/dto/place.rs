//! The `place` request's shapes (docs/contract.md) and their decoders into the engine's types:
//! options, tasks and running tasks, shared by the wire's `place` (both of its paths) and the
//! session (which reads the same task and options shapes in its config and inputs).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::mesos::{attributes_from_json, offers_from_json};
use super::{decode, Errors, WireError};
use crate::constraint::Dialect;
use crate::engine::{Objective, Options, PlaceRequest, PortSelection, Profile, Strategy, TieBreak};
use crate::limits::Limits;
use crate::model::{
    ConstraintSpec, DiskSourceType, ExecutorRequest, GpuScheduling, PreferenceSpec, RunningTask, Scalar, TaskRequest,
    VolumeRequest,
};

// With the `tsify` feature each shape below also declares itself in TypeScript (the npm
// package's `.d.ts`) under its contract name (`tsify(rename = …)`): the types that read a
// request are the ones that describe it. A field whose type is another shape names it by that
// contract name, and a field the decoders read as raw JSON (to report exact paths, or to read
// it later) says its shape, both with `tsify(type = …)`.

/// `place`: `offers`, `tasks`, `running`?, `options`?.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "PlaceRequest"))]
pub struct PlaceRequestDto {
    /// The offers (Mesos v1 `Offer`s), read by [`offers_from_json`].
    #[cfg_attr(feature = "tsify", tsify(type = "Offer[]"))]
    pub(crate) offers: Json,
    /// The tasks to place, each read by [`task_from_json`].
    #[cfg_attr(feature = "tsify", tsify(type = "Task[]"))]
    pub(crate) tasks: Vec<Json>,
    /// Placements that already exist (constraints count them), each read by [`running_from_json`].
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "RunningTask[]"))]
    pub(crate) running: Vec<Json>,
    /// The options, read by [`options_from_json`] (absent or `null`: the defaults).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "PlaceOptions | null"))]
    pub(crate) options: Option<Json>,
}

/// A constraint as text (`"rack LIKE r[12]"`), Marathon's array (`["rack", "GROUP_BY", "3"]`)
/// or an object.
///
/// Read as `#[serde(untagged)]` reads it (text, else the array of texts, else the object
/// form, from an object or an array; else the same error), through [`TryFrom<Json>`]: the
/// derived untagged reader built an error message for each form that did not fit, two
/// fifths of the decoding of a request of many array constraints (issue 20, callgrind).
#[derive(Debug, Deserialize)]
#[serde(untagged, try_from = "Json")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Constraint"))]
pub(crate) enum ConstraintDto {
    /// Text form.
    Text(String),
    /// Marathon's array form.
    Fields(Vec<String>),
    /// Object form.
    Object(ConstraintObject),
}

/// A constraint in object form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub(crate) struct ConstraintObject {
    /// The field: an attribute name, `hostname`, `@region`, `@zone`, ...
    pub(crate) field: String,
    /// The operator: `UNIQUE`, `CLUSTER`, `GROUP_BY`, `LIKE`, `UNLIKE`, `MAX_PER`, `IS`, ...
    pub(crate) operator: String,
    /// The operator's argument, if it takes one.
    #[serde(default)]
    pub(crate) value: Option<String>,
}

impl TryFrom<Json> for ConstraintDto {
    type Error = &'static str;

    fn try_from(v: Json) -> Result<ConstraintDto, &'static str> {
        match v {
            Json::String(t) => Ok(ConstraintDto::Text(t)),
            Json::Array(items) if items.iter().all(Json::is_string) => Ok(ConstraintDto::Fields(
                items
                    .into_iter()
                    .filter_map(|i| match i {
                        Json::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            )),
            // What the untagged reader tries last: the object form, from an object or (serde's
            // struct reader takes a sequence too) an array that is not all texts.
            other => ConstraintObject::deserialize(other)
                .map(ConstraintDto::Object)
                .map_err(|_| "data did not match any variant of untagged enum ConstraintDto"),
        }
    }
}

impl From<ConstraintDto> for ConstraintSpec {
    fn from(c: ConstraintDto) -> ConstraintSpec {
        match c {
            ConstraintDto::Text(t) => ConstraintSpec::Text(t),
            ConstraintDto::Fields(f) => ConstraintSpec::Fields(f),
            ConstraintDto::Object(o) => ConstraintSpec::Object { field: o.field, operator: o.operator, value: o.value },
        }
    }
}

/// A soft preference: a constraint and its weight.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Preference"))]
pub(crate) struct PreferenceDto {
    /// What is preferred.
    #[cfg_attr(feature = "tsify", tsify(type = "Constraint"))]
    pub(crate) constraint: ConstraintDto,
    /// How much (default 1).
    #[serde(default = "one")]
    pub(crate) weight: i64,
}

fn one() -> i64 {
    1
}

/// A volume a task needs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "VolumeRequest"))]
struct VolumeDto {
    /// Size in MB.
    size: f64,
    /// The disk type (default `ROOT`).
    #[serde(default, rename = "type")]
    #[cfg_attr(feature = "tsify", tsify(type = "\"ROOT\" | \"PATH\" | \"MOUNT\" | \"BLOCK\" | \"RAW\""))]
    kind: Option<String>,
    /// A storage profile the disk must have.
    #[serde(default)]
    profile: Option<String>,
    /// For a `MOUNT` disk: the largest disk to take whole.
    #[serde(default)]
    max_size: Option<f64>,
    /// Constraints on the disk's capabilities (`type`, `path`, `profile`, `vendor`, labels).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Constraint[]"))]
    require: Vec<ConstraintDto>,
    /// The persistent volume to use or create.
    #[serde(default)]
    persistence_id: Option<String>,
    /// Where a persistent volume is mounted in the container.
    #[serde(default)]
    container_path: Option<String>,
}

/// Elastic resources: take the largest fit up to these maxima.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Elastic"))]
struct ElasticDto {
    /// Maximum CPUs.
    #[serde(default)]
    cpus: Option<f64>,
    /// Maximum memory (MB).
    #[serde(default)]
    mem: Option<f64>,
}

/// An executor whose resources are charged once per agent for the tasks sharing its id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Executor"))]
struct ExecutorDto {
    /// The executor's id.
    id: String,
    /// CPUs.
    #[serde(default)]
    cpus: f64,
    /// Memory (MB).
    #[serde(default)]
    mem: f64,
    /// Disk (MB).
    #[serde(default)]
    disk: f64,
}

/// The constraint dialect: how text and array constraints are read (`place` tasks,
/// `parse_constraints`, `check_constraints`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Dialect"))]
pub(crate) enum DialectDto {
    /// Marathon's (the default).
    #[default]
    Marathon,
    /// OpenWhisk's Mesos container factory.
    Openwhisk,
}

/// How GPU agents are kept for GPU tasks.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "GpuScheduling"))]
enum GpuDto {
    /// GPU agents only take GPU tasks (the default).
    Restricted,
    /// Any task may use a GPU agent.
    Unrestricted,
}

impl From<DialectDto> for Dialect {
    fn from(d: DialectDto) -> Dialect {
        match d {
            DialectDto::Marathon => Dialect::Marathon,
            DialectDto::Openwhisk => Dialect::OpenWhisk,
        }
    }
}

impl From<GpuDto> for GpuScheduling {
    fn from(g: GpuDto) -> GpuScheduling {
        match g {
            GpuDto::Restricted => GpuScheduling::Restricted,
            GpuDto::Unrestricted => GpuScheduling::Unrestricted,
        }
    }
}

/// One task to place.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Task"))]
pub(crate) struct TaskDto {
    /// The task's id.
    id: String,
    /// The group UNIQUE / GROUP_BY / MAX_PER count (default: the id).
    #[serde(default)]
    group: Option<String>,
    /// The group's target number of tasks (for GROUP_BY).
    #[serde(default)]
    instances: Option<u32>,
    /// The role its resources are allocated to.
    #[serde(default)]
    role: Option<String>,
    /// The roles whose resources it may use.
    #[serde(default)]
    accepted_roles: Option<Vec<String>>,
    /// CPUs.
    #[serde(default)]
    cpus: f64,
    /// Memory (MB).
    #[serde(default)]
    mem: f64,
    /// Disk (MB).
    #[serde(default)]
    disk: f64,
    /// GPUs.
    #[serde(default)]
    gpus: f64,
    /// Other scalar resources by name.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Record<string, number>"))]
    scalars: Map<String, Json>,
    /// Host ports, `0` for any free port.
    #[serde(default)]
    ports: Vec<u64>,
    /// Volumes.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "VolumeRequest[]"))]
    volumes: Vec<VolumeDto>,
    /// Hard constraints.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Constraint[]"))]
    constraints: Vec<ConstraintDto>,
    /// Soft preferences.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Preference[]"))]
    preferences: Vec<PreferenceDto>,
    /// How the constraints are read (default `marathon`).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Dialect"))]
    dialect: Option<DialectDto>,
    /// A gang: every task of it is placed, or none.
    #[serde(default)]
    gang: Option<String>,
    /// Elastic resources.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Elastic"))]
    elastic: Option<ElasticDto>,
    /// An executor shared by the tasks with its id on one agent.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Executor"))]
    executor: Option<ExecutorDto>,
    /// Overrides `options.gpu_scheduling` for this task.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "GpuScheduling"))]
    gpu_scheduling: Option<GpuDto>,
    /// A Mesos `TaskInfo` to launch (with `options.framework_id`, in the `calls`).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Record<string, unknown>"))]
    task_info: Option<Json>,
    /// Whether the task may use revocable resources.
    #[serde(default)]
    revocable: bool,
    /// The openwhisk dialect's delimiter for this task's constraints.
    #[serde(default)]
    delimiter: Option<String>,
}

/// Where a placement already is, so constraints count it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "RunningTask"))]
pub(crate) struct RunningDto {
    /// The task's id.
    id: String,
    /// Its group (what UNIQUE / GROUP_BY / MAX_PER count).
    group: String,
    /// The host it runs on.
    hostname: String,
    /// The agent it runs on.
    #[serde(default)]
    agent_id: Option<String>,
    /// The host's attributes (Mesos JSON or text), read by [`attributes_from_json`].
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "AttributesInput"))]
    attributes: Option<Json>,
    /// The host's region.
    #[serde(default)]
    region: Option<String>,
    /// The host's zone.
    #[serde(default)]
    zone: Option<String>,
}

/// The options of `place`: every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "PlaceOptions", hashmap_as_object))]
pub(crate) struct OptionsDto {
    /// A name or `{"binpack": w, "spread": w}`, decoded by [`strategy_from_json`] (an
    /// untagged enum would only say that no variant matched).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Strategy"))]
    strategy: Option<Json>,
    /// Whose rules: `offerfit` (the default), `marathon` or `mesos-actor`.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"offerfit\" | \"marathon\" | \"mesos-actor\""))]
    profile: Option<String>,
    /// The framework's roles (default `["*"]`).
    #[serde(default)]
    roles: Vec<String>,
    /// Decline filter in seconds (default: the profile's, 5; Marathon 120).
    #[serde(default)]
    refuse_seconds: Option<f64>,
    /// How `0` ports are chosen (default: the profile's, lowest; Marathon random).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"lowest\" | \"random\""))]
    port_selection: Option<String>,
    /// The seed of every random choice.
    #[serde(default)]
    seed: u64,
    /// Ports never to hand out, per hostname.
    #[serde(default)]
    port_blacklist: BTreeMap<String, Vec<u64>>,
    /// GPU agents kept for GPU tasks (`restricted`, the default) or not.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "GpuScheduling"))]
    gpu_scheduling: Option<GpuDto>,
    /// With it, the answer has Mesos v1 `calls` (`ACCEPT`, `DECLINE`).
    #[serde(default)]
    framework_id: Option<String>,
    /// The principal used for `RESERVE` / `CREATE` of persistent volumes.
    #[serde(default)]
    principal: Option<String>,
    /// Explain unplaced tasks (reasons and nearest fit); default `true`.
    #[serde(default = "yes")]
    explain: bool,
    /// The current time in Unix seconds (the core has no clock); enables maintenance checks.
    #[serde(default)]
    now: Option<f64>,
    /// Offers whose agent's unavailability starts within this many seconds of `now` are
    /// declined (`maintenance`).
    #[serde(default)]
    drain_seconds: f64,
    /// Offers from another region are used only by tasks whose constraints name `@region`
    /// or `@zone`.
    #[serde(default)]
    local_region: Option<String>,
    /// Tighter limits for this request (never looser than the defaults).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Limits"))]
    limits: Option<Limits>,
    /// How equal scores are ordered: `request` (the default) or `agent_id`.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"request\" | \"agent_id\""))]
    tie_break: Option<String>,
    /// The openwhisk dialect's delimiter for every task that gives none.
    #[serde(default)]
    delimiter: Option<String>,
    /// What to maximise when not every task fits: `tasks` (the default: the placed count) or
    /// `resources` (the placed share of the offered cpus and mem).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "\"tasks\" | \"resources\""))]
    objective: Option<String>,
    /// The most tasks the `marathon` profile launches on one offer (Marathon's
    /// `--max_instances_per_offer`; default 5, at least 1).
    #[serde(default)]
    max_instances_per_offer: Option<u32>,
}

fn yes() -> bool {
    true
}

fn bad(path: &str, code: &str, message: String) -> Errors {
    vec![WireError::new(code, message).with_path(path)]
}

/// A task amount in fixed point: `code` (`place.invalid_task`, `place.invalid_volume`) for a
/// non-zero amount that rounds to zero at Mesos' three decimals (it would be dropped);
/// NaN, infinite and too-large numbers are refused by [`Scalar::from_f64`]; negative ones by
/// the engine (for the Rust API too).
fn scalar_in(v: f64, path: &str, code: &'static str) -> Result<Scalar, Errors> {
    let s = Scalar::from_f64(v).map_err(|e| super::fail(e, path))?;
    if s.is_zero() && v != 0.0 {
        // A volume's size must be positive anyway; another amount may be 0.
        let least = if code == "place.invalid_volume" { "at least 0.001" } else { "at least 0.001 (or 0)" };
        let mut e = WireError::new(code, format!("expected an amount of {least}, found `{}`", crate::error::number(v)))
            .with_path(path);
        e.help = Some("Mesos keeps three decimals, so this amount would be lost".to_owned());
        return Err(vec![e]);
    }
    Ok(s)
}

fn scalar(v: f64, path: &str) -> Result<Scalar, Errors> {
    scalar_in(v, path, "place.invalid_task")
}

/// [`scalar`] for the field `field` of the object at `path`, the pointer built only for an error.
fn scalar_at(v: f64, path: &str, field: &str) -> Result<Scalar, Errors> {
    match Scalar::from_f64(v) {
        Ok(s) if !s.is_zero() || v == 0.0 => Ok(s),
        _ => scalar(v, &format!("{path}/{field}")),
    }
}

fn pick<T: Copy>(value: &str, path: &str, names: &[(&str, T)]) -> Result<T, Errors> {
    match names.iter().find(|(n, _)| *n == value) {
        Some((_, v)) => Ok(*v),
        None => {
            let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
            let mut e = WireError::new(
                "request.unknown_variant",
                format!(
                    "expected one of {}, found `{value}`",
                    list.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_path(path);
            if let Some(s) = crate::suggest::closest(value, &list) {
                e.help = Some(format!("did you mean `{s}`?"));
            }
            Err(vec![e])
        }
    }
}

// `options.strategy` is read by hand (for its errors): its declaration.
#[cfg(feature = "tsify")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const STRATEGY_TS: &'static str = r#"
/** How agents are chosen: a name, or weights from 0 to 1000000 (each defaults to 0). */
export type Strategy = "binpack" | "spread" | "first_fit" | { binpack?: number; spread?: number };
"#;

/// Decodes `options.strategy`: a name (`request.unknown_variant` with a "did you mean"
/// otherwise) or weights `{"binpack": w, "spread": w}` (each defaults to 0; an unknown key is
/// `request.unknown_field` with a "did you mean", a weight that is not a number or a strategy
/// of another JSON type `request.type`). Weight ranges are checked by [`crate::Engine::new`].
fn strategy_from_json(json: &Json) -> Result<Strategy, Errors> {
    const PATH: &str = "/options/strategy";
    const WEIGHTS: [&str; 2] = ["binpack", "spread"];
    match json {
        Json::String(name) => pick(
            name,
            PATH,
            &[("binpack", Strategy::Binpack), ("spread", Strategy::Spread), ("first_fit", Strategy::FirstFit)],
        ),
        Json::Object(m) => {
            let (mut binpack, mut spread) = (0.0, 0.0);
            for (key, w) in m {
                let path = format!("{PATH}/{}", key.replace('~', "~0").replace('/', "~1"));
                let slot = match key.as_str() {
                    "binpack" => &mut binpack,
                    "spread" => &mut spread,
                    _ => {
                        let help = match crate::suggest::closest(key, &WEIGHTS) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "strategy weights are `{\"binpack\": w, \"spread\": w}`, each from 0 to 1000000"
                                .to_owned(),
                        };
                        let mut e = WireError::new(
                            "request.unknown_field",
                            format!("expected a strategy weight `binpack` or `spread`, found `{key}`"),
                        )
                        .with_path(path);
                        e.help = Some(help);
                        return Err(vec![e]);
                    }
                };
                *slot = w.as_f64().ok_or_else(|| {
                    bad(&path, "request.type", format!("expected a number, found {}", super::error::kind(w)))
                })?;
            }
            Ok(Strategy::Weighted { binpack, spread })
        }
        other => {
            let mut e = WireError::new(
                "request.type",
                format!("expected a strategy name or an object of weights, found {}", super::error::kind(other)),
            )
            .with_path(PATH);
            e.help = Some(
                "use `\"binpack\"`, `\"spread\"`, `\"first_fit\"` or `{\"binpack\": w, \"spread\": w}`".to_owned(),
            );
            Err(vec![e])
        }
    }
}

/// Decodes `options` into engine [`Options`].
pub(crate) fn options_from_json(json: Option<Json>) -> Result<Options, Errors> {
    let Some(json) = json else { return Ok(Options::default()) };
    options_from_dto(decode(json, "/options")?)
}

/// [`options_from_json`] once the structure is decoded.
pub(crate) fn options_from_dto(dto: OptionsDto) -> Result<Options, Errors> {
    let strategy = match dto.strategy {
        None => Strategy::Binpack,
        Some(s) => strategy_from_json(&s)?,
    };
    let profile = match &dto.profile {
        None => Profile::Offerfit,
        Some(p) => pick(
            p,
            "/options/profile",
            &[("offerfit", Profile::Offerfit), ("marathon", Profile::Marathon), ("mesos-actor", Profile::MesosActor)],
        )?,
    };
    let port_selection = match &dto.port_selection {
        None => None,
        Some(p) => Some(pick(
            p,
            "/options/port_selection",
            &[("lowest", PortSelection::Lowest), ("random", PortSelection::Random)],
        )?),
    };
    let tie_break = match &dto.tie_break {
        None => TieBreak::Request,
        Some(t) => pick(t, "/options/tie_break", &[("request", TieBreak::Request), ("agent_id", TieBreak::AgentId)])?,
    };
    let objective = match &dto.objective {
        None => Objective::Tasks,
        Some(o) => pick(o, "/options/objective", &[("tasks", Objective::Tasks), ("resources", Objective::Resources)])?,
    };
    Ok(Options {
        max_instances_per_offer: dto.max_instances_per_offer.unwrap_or(crate::engine::MAX_INSTANCES_PER_OFFER),
        objective,
        tie_break,
        delimiter: dto.delimiter,
        strategy,
        profile,
        roles: dto.roles,
        refuse_seconds: dto.refuse_seconds,
        port_selection,
        seed: dto.seed,
        port_blacklist: dto.port_blacklist,
        gpu_scheduling: dto.gpu_scheduling.map_or(GpuScheduling::Restricted, Into::into),
        framework_id: dto.framework_id,
        principal: dto.principal,
        explain: dto.explain,
        now: dto.now,
        drain_seconds: dto.drain_seconds,
        local_region: dto.local_region,
        // A request may lower the limits, never raise them above the defaults.
        limits: dto.limits.map_or(Limits::DEFAULT, |l| Limits::DEFAULT.tightened_by(&l)),
    })
}

/// Decodes one task.
pub(crate) fn task_from_json(json: Json, path: &str) -> Result<TaskRequest, Errors> {
    task_from_dto(decode(json, path)?, path)
}

/// [`task_from_json`] once the structure is decoded; `path` only names culprits in errors.
pub(crate) fn task_from_dto(d: TaskDto, path: &str) -> Result<TaskRequest, Errors> {
    let mut t = TaskRequest::new(d.id);
    t.group = d.group;
    t.instances = d.instances;
    t.role = d.role;
    t.accepted_roles = d.accepted_roles;
    t.cpus = scalar_at(d.cpus, path, "cpus")?;
    t.mem = scalar_at(d.mem, path, "mem")?;
    t.disk = scalar_at(d.disk, path, "disk")?;
    t.gpus = scalar_at(d.gpus, path, "gpus")?;
    for (name, v) in d.scalars {
        let p = format!("{path}/scalars/{}", name.replace('~', "~0").replace('/', "~1"));
        let Some(x) = v.as_f64() else {
            return Err(bad(&p, "request.type", format!("expected a number, found {}", super::error::kind(&v))));
        };
        t.scalars.push((name, scalar(x, &p)?));
    }
    t.ports = d.ports;
    for (i, v) in d.volumes.into_iter().enumerate() {
        let vp = format!("{path}/volumes/{i}");
        let kind = match v.kind.as_deref() {
            None => DiskSourceType::Root,
            Some(k) => pick(
                k,
                &format!("{vp}/type"),
                &[
                    ("ROOT", DiskSourceType::Root),
                    ("PATH", DiskSourceType::Path),
                    ("MOUNT", DiskSourceType::Mount),
                    ("BLOCK", DiskSourceType::Block),
                    ("RAW", DiskSourceType::Raw),
                ],
            )?,
        };
        let max_size = match v.max_size {
            Some(m) => Some(scalar_in(m, &format!("{vp}/max_size"), "place.invalid_volume")?),
            None => None,
        };
        t.volumes.push(VolumeRequest {
            size: scalar_in(v.size, &format!("{vp}/size"), "place.invalid_volume")?,
            kind,
            profile: v.profile,
            max_size,
            require: v.require.into_iter().map(Into::into).collect(),
            persistence_id: v.persistence_id,
            container_path: v.container_path,
        });
    }
    t.constraints = d.constraints.into_iter().map(Into::into).collect();
    t.preferences = d
        .preferences
        .into_iter()
        .map(|p| PreferenceSpec { constraint: p.constraint.into(), weight: p.weight })
        .collect();
    t.dialect = d.dialect.unwrap_or_default().into();
    t.gang = d.gang;
    if let Some(e) = d.elastic {
        if let Some(c) = e.cpus {
            t.elastic_cpus = Some(scalar(c, &format!("{path}/elastic/cpus"))?);
        }
        if let Some(m) = e.mem {
            t.elastic_mem = Some(scalar(m, &format!("{path}/elastic/mem"))?);
        }
    }
    if let Some(e) = d.executor {
        t.executor = Some(ExecutorRequest {
            id: e.id,
            cpus: scalar(e.cpus, &format!("{path}/executor/cpus"))?,
            mem: scalar(e.mem, &format!("{path}/executor/mem"))?,
            disk: scalar(e.disk, &format!("{path}/executor/disk"))?,
        });
    }
    t.gpu_scheduling = d.gpu_scheduling.map(Into::into);
    t.revocable = d.revocable;
    t.delimiter = d.delimiter;
    if let Some(info) = d.task_info {
        if !info.is_object() {
            return Err(bad(
                &format!("{path}/task_info"),
                "request.type",
                format!("expected a Mesos TaskInfo object, found {}", super::error::kind(&info)),
            ));
        }
        t.task_info = Some(Box::new(info));
    }
    Ok(t)
}

pub(crate) fn running_from_json(json: Json, path: &str) -> Result<RunningTask, Errors> {
    running_from_dto(decode(json, path)?, path)
}

/// [`running_from_json`] once the structure is decoded.
pub(crate) fn running_from_dto(d: RunningDto, path: &str) -> Result<RunningTask, Errors> {
    let attributes = match &d.attributes {
        Some(a) => attributes_from_json(a, &format!("{path}/attributes"))?,
        None => Default::default(),
    };
    Ok(RunningTask {
        id: d.id,
        group: d.group,
        hostname: d.hostname,
        agent_id: d.agent_id,
        attributes,
        region: d.region,
        zone: d.zone,
    })
}

/// Decodes a whole `place` request into options and an engine request.
pub(crate) fn request_from_json(mut req: PlaceRequestDto) -> Result<(Options, PlaceRequest), Errors> {
    let options = options_from_json(req.options.take())?;
    Ok((options, parts_from_json(req)?))
}

/// Decodes the `offers`, `tasks` and `running` of a `place` request (its `options` are left).
pub(crate) fn parts_from_json(req: PlaceRequestDto) -> Result<PlaceRequest, Errors> {
    let offers = offers_from_json(&req.offers, "/offers")?;
    let mut tasks = Vec::with_capacity(req.tasks.len());
    let mut errors = Errors::new();
    for (i, t) in req.tasks.into_iter().enumerate() {
        match task_from_json(t, &format!("/tasks/{i}")) {
            Ok(t) => tasks.push(t),
            Err(e) => errors.extend(e),
        }
    }
    let mut running = Vec::with_capacity(req.running.len());
    for (i, r) in req.running.into_iter().enumerate() {
        match running_from_json(r, &format!("/running/{i}")) {
            Ok(r) => running.push(r),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PlaceRequest { offers, tasks, running })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `ConstraintDto` was read with before: serde's untagged reader.
    #[allow(dead_code)] // read through `Debug` only, to compare with `ConstraintDto`
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    enum Untagged {
        Text(String),
        Fields(Vec<String>),
        Object(ConstraintObject),
    }

    #[test]
    fn constraints_read_as_the_untagged_reader_reads_them() {
        let shown = |r: Result<String, String>| match r {
            Ok(s) => Ok(s.replace("Untagged", "ConstraintDto")),
            Err(s) => Err(s.replace("Untagged", "ConstraintDto")),
        };
        for text in [
            r#""rack LIKE r1""#,
            r#"["rack","LIKE","r[12]"]"#,
            r#"[]"#,
            r#"["rack","MAX_PER",null]"#,
            r#"["rack","MAX_PER"]"#,
            r#"["rack",1]"#,
            r#"["rack","LIKE",null,"x"]"#,
            r#"{"field":"rack","operator":"UNIQUE"}"#,
            r#"{"field":"rack","operator":"LIKE","value":"x"}"#,
            r#"{"field":"rack","operator":"LIKE","value":null}"#,
            r#"{"field":"rack","operator":"LIKE","other":1}"#,
            r#"{"field":"rack"}"#,
            r#"{"field":1,"operator":"UNIQUE"}"#,
            "1",
            "null",
            "true",
        ] {
            let json: Json = serde_json::from_str(text).unwrap();
            let ours = serde_json::from_value::<ConstraintDto>(json.clone()).map(|c| format!("{c:?}"));
            let theirs = serde_json::from_value::<Untagged>(json).map(|c| format!("{c:?}"));
            assert_eq!(shown(ours.map_err(|e| e.to_string())), shown(theirs.map_err(|e| e.to_string())), "{text}");
            let ours = serde_json::from_str::<ConstraintDto>(text).map(|c| format!("{c:?}"));
            let theirs = serde_json::from_str::<Untagged>(text).map(|c| format!("{c:?}"));
            assert_eq!(shown(ours.map_err(|e| e.to_string())), shown(theirs.map_err(|e| e.to_string())), "{text}");
        }
    }
}
