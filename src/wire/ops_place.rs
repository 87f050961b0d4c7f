//! Op `place` (CONTRACT.md): decode the request into the engine's types, run
//! [`crate::Engine::place`], encode the plan.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use super::mesos::{attributes_from_json, offers_from_json, resources_to_json, scalar_json};
use super::{decode, Errors, WireError};
use crate::constraint::Dialect;
use crate::decision::Plan;
use crate::engine::{Engine, Objective, Options, PlaceRequest, PortSelection, Profile, Strategy, TieBreak};
use crate::limits::Limits;
use crate::model::{
    ConstraintSpec, DiskSourceType, ExecutorRequest, GpuScheduling, PreferenceSpec, RunningTask, Scalar, TaskRequest,
    VolumeRequest,
};

/// `place`: `offers`, `tasks`, `running`?, `options`?.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequestDto {
    offers: Json,
    tasks: Vec<Json>,
    #[serde(default)]
    running: Vec<Json>,
    #[serde(default)]
    options: Option<Json>,
}

/// A constraint in any of its three forms.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ConstraintDto {
    Text(String),
    Fields(Vec<String>),
    Object(ConstraintObject),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConstraintObject {
    field: String,
    operator: String,
    #[serde(default)]
    value: Option<String>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferenceDto {
    constraint: ConstraintDto,
    #[serde(default = "one")]
    weight: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumeDto {
    size: f64,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    max_size: Option<f64>,
    #[serde(default)]
    require: Vec<ConstraintDto>,
    #[serde(default)]
    persistence_id: Option<String>,
    #[serde(default)]
    container_path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElasticDto {
    #[serde(default)]
    cpus: Option<f64>,
    #[serde(default)]
    mem: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecutorDto {
    id: String,
    #[serde(default)]
    cpus: f64,
    #[serde(default)]
    mem: f64,
    #[serde(default)]
    disk: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum DialectDto {
    Marathon,
    Openwhisk,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum GpuDto {
    Restricted,
    Unrestricted,
}

impl From<GpuDto> for GpuScheduling {
    fn from(g: GpuDto) -> GpuScheduling {
        match g {
            GpuDto::Restricted => GpuScheduling::Restricted,
            GpuDto::Unrestricted => GpuScheduling::Unrestricted,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskDto {
    id: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    instances: Option<u32>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    accepted_roles: Option<Vec<String>>,
    #[serde(default)]
    cpus: f64,
    #[serde(default)]
    mem: f64,
    #[serde(default)]
    disk: f64,
    #[serde(default)]
    gpus: f64,
    #[serde(default)]
    scalars: Map<String, Json>,
    #[serde(default)]
    ports: Vec<u64>,
    #[serde(default)]
    volumes: Vec<VolumeDto>,
    #[serde(default)]
    constraints: Vec<ConstraintDto>,
    #[serde(default)]
    preferences: Vec<PreferenceDto>,
    #[serde(default)]
    dialect: Option<DialectDto>,
    #[serde(default)]
    gang: Option<String>,
    #[serde(default)]
    elastic: Option<ElasticDto>,
    #[serde(default)]
    executor: Option<ExecutorDto>,
    #[serde(default)]
    gpu_scheduling: Option<GpuDto>,
    #[serde(default)]
    task_info: Option<Json>,
    #[serde(default)]
    revocable: bool,
    #[serde(default)]
    delimiter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunningDto {
    id: String,
    group: String,
    hostname: String,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    attributes: Option<Json>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OptionsDto {
    /// A name or `{"binpack": w, "spread": w}`, decoded by [`strategy_from_json`] (an
    /// untagged enum would only say that no variant matched).
    #[serde(default)]
    strategy: Option<Json>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    refuse_seconds: Option<f64>,
    #[serde(default)]
    port_selection: Option<String>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    port_blacklist: BTreeMap<String, Vec<u64>>,
    #[serde(default)]
    gpu_scheduling: Option<GpuDto>,
    #[serde(default)]
    framework_id: Option<String>,
    #[serde(default)]
    principal: Option<String>,
    #[serde(default = "yes")]
    explain: bool,
    #[serde(default)]
    now: Option<f64>,
    #[serde(default)]
    drain_seconds: f64,
    #[serde(default)]
    local_region: Option<String>,
    #[serde(default)]
    limits: Option<Limits>,
    #[serde(default)]
    tie_break: Option<String>,
    #[serde(default)]
    delimiter: Option<String>,
    #[serde(default)]
    objective: Option<String>,
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

/// Decodes `options.strategy`: a name (`request.unknown_variant` with a "did you mean"
/// otherwise) or weights `{"binpack": w, "spread": w}` (each defaults to 0; an unknown key is
/// `request.unknown_field` with a "did you mean", a weight that is not a number or a strategy
/// of another JSON type `request.type`). Weight ranges are checked by [`Engine::new`].
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
                    bad(&path, "request.type", format!("expected a number, found {}", super::errors::kind(w)))
                })?;
            }
            Ok(Strategy::Weighted { binpack, spread })
        }
        other => {
            let mut e = WireError::new(
                "request.type",
                format!("expected a strategy name or an object of weights, found {}", super::errors::kind(other)),
            )
            .with_path(PATH);
            e.help = Some(
                "use `\"binpack\"`, `\"spread\"`, `\"first_fit\"` or `{\"binpack\": w, \"spread\": w}`".to_owned(),
            );
            Err(vec![e])
        }
    }
}

/// A stat as JSON: an integer when it is one (as the byte writer prints it).
fn stat_number(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        Json::from(x as i64)
    } else {
        Json::from(x)
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
            return Err(bad(&p, "request.type", format!("expected a number, found {}", super::errors::kind(&v))));
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
    t.dialect = match d.dialect {
        None | Some(DialectDto::Marathon) => Dialect::Marathon,
        Some(DialectDto::Openwhisk) => Dialect::OpenWhisk,
    };
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
                format!("expected a Mesos TaskInfo object, found {}", super::errors::kind(&info)),
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
fn parts_from_json(req: PlaceRequestDto) -> Result<PlaceRequest, Errors> {
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

/// The plan as the contract's result fields.
pub fn plan_to_json(plan: &Plan<'_>) -> Map<String, Json> {
    let accept: Vec<Json> = plan
        .accept
        .iter()
        .map(|a| {
            let tasks: Vec<Json> = a
                .tasks
                .iter()
                .map(|t| {
                    let mut m = Map::new();
                    m.insert("task_id".into(), json!(t.task_id));
                    m.insert("resources".into(), resources_to_json(&t.resources));
                    m.insert("ports".into(), json!(t.ports));
                    m.insert("score".into(), scalar_json(t.score));
                    if let Some(ex) = &t.executor_resources {
                        m.insert("executor_resources".into(), resources_to_json(ex));
                    }
                    Json::Object(m)
                })
                .collect();
            json!({
                "agent_id": a.agent_id,
                "hostname": a.hostname,
                "offer_ids": a.offer_ids,
                "tasks": tasks,
                "remaining": resources_to_json(&a.remaining),
            })
        })
        .collect();
    let decline: Vec<Json> = plan
        .decline
        .iter()
        .map(|d| json!({"offer_id": d.offer_id, "refuse_seconds": scalar_json(d.refuse_seconds), "reason": d.reason.as_str()}))
        .collect();
    let unplaced: Vec<Json> = plan
        .unplaced
        .iter()
        .map(|u| {
            let reasons: Vec<Json> = u
                .reasons
                .iter()
                .map(|r| json!({"code": r.code.as_str(), "message": r.message, "offers": r.offers}))
                .collect();
            let mut m = Map::new();
            m.insert("task_id".into(), json!(u.task_id));
            m.insert("reasons".into(), Json::Array(reasons));
            if let Some(n) = &u.nearest {
                let mut missing = Map::new();
                for (name, v) in &n.missing {
                    missing.insert(name.clone(), scalar_json(*v));
                }
                let lacking: Vec<&str> = n.lacking.iter().map(|c| c.as_str()).collect();
                m.insert(
                    "nearest".into(),
                    json!({"agent_id": n.agent_id, "hostname": n.hostname, "lacking": lacking, "missing": missing}),
                );
            }
            Json::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("accept".into(), Json::Array(accept));
    out.insert("decline".into(), Json::Array(decline));
    out.insert("unplaced".into(), Json::Array(unplaced));
    if let Some(calls) = &plan.calls {
        out.insert("calls".into(), Json::Array(calls.clone()));
    }
    out.insert(
        "stats".into(),
        json!({
            "offers": plan.stats.offers,
            "tasks": plan.stats.tasks,
            "placed": plan.stats.placed,
            "evaluations": plan.stats.evaluations,
            "objective": plan.stats.objective,
            "objective_value": stat_number(plan.stats.objective_value),
            "repair_passes": plan.stats.repair_passes,
        }),
    );
    if !plan.warnings.is_empty() {
        let list: Vec<Json> = plan
            .warnings
            .iter()
            .map(|(path, e)| serde_json::to_value(super::errors::WireError::from_error(e, path)).unwrap_or(Json::Null))
            .collect();
        out.insert("warnings".into(), Json::Array(list));
    }
    out
}

/// `place` on a request value (without `op`): the fields are moved out of the object, not
/// copied; a request of another shape is decoded as a [`PlaceRequestDto`] for its error.
/// `stored`: the engine of options validated earlier, for a request that has no `options`.
pub(crate) fn place_value(json: Json, stored: Option<&Engine>) -> Result<Map<String, Json>, Errors> {
    let plain = match &json {
        Json::Object(m) => {
            m.keys().all(|k| matches!(k.as_str(), "offers" | "tasks" | "running" | "options"))
                && m.contains_key("offers")
                && matches!(m.get("tasks"), Some(Json::Array(_)))
                && matches!(m.get("running"), None | Some(Json::Array(_)))
        }
        _ => false,
    };
    let req = match json {
        Json::Object(mut m) if plain => {
            let list = |v: Option<Json>| match v {
                Some(Json::Array(list)) => list,
                _ => Vec::new(),
            };
            PlaceRequestDto {
                offers: m.remove("offers").unwrap_or(Json::Null),
                tasks: list(m.remove("tasks")),
                running: list(m.remove("running")),
                options: m.remove("options").filter(|o| !o.is_null()),
            }
        }
        other => decode(other, "")?,
    };
    match stored {
        // Decoding the options first, as `place` does, could refuse nothing here: they were
        // valid when stored, so the request's own errors come out the same.
        Some(engine) if req.options.is_none() => {
            let request = parts_from_json(req)?;
            let plan = engine.place(&request).map_err(|e| super::fail(e.error, &e.path))?;
            Ok(plan_to_json(&plan))
        }
        _ => place(req),
    }
}

/// `place`.
pub fn place(req: PlaceRequestDto) -> Result<Map<String, Json>, Errors> {
    let (options, request) = request_from_json(req)?;
    let engine = Engine::new(options).map_err(|e| super::fail(e.error, &e.path))?;
    let plan = engine.place(&request).map_err(|e| super::fail(e.error, &e.path))?;
    Ok(plan_to_json(&plan))
}
