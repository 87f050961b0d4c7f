//! A session's configuration: the framework it subscribes as, the engine options, its timers,
//! and the tasks the host's store restores after a failover (SESSION.md, "Config").

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::mesos_io::{self as io, Errors};
use super::state::TaskState;
use crate::engine::Options;
use crate::model::{Attributes, TaskRequest};

/// The `framework` object: what `SUBSCRIBE` sends as the Mesos `FrameworkInfo`.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkConfig {
    /// `FrameworkInfo.name`.
    pub name: String,
    /// The roles the framework subscribes with (the engine's roles; `*` when empty).
    pub roles: Vec<String>,
    /// `FrameworkInfo.principal`; also the principal of RESERVE / CREATE.
    pub principal: Option<String>,
    /// `FrameworkInfo.user` (empty: the master's user).
    pub user: String,
    /// `FrameworkInfo.failover_timeout` in seconds.
    pub failover_timeout: Option<f64>,
    /// `FrameworkInfo.checkpoint`.
    pub checkpoint: Option<bool>,
    /// The framework id the host persisted (a failover), if any.
    pub id: Option<String>,
    /// `FrameworkInfo.hostname`.
    pub hostname: Option<String>,
    /// `FrameworkInfo.webui_url`.
    pub webui_url: Option<String>,
    /// Capabilities besides `MULTI_ROLE` (always sent): `PARTITION_AWARE`, `TASK_KILLING_STATE`, ...
    pub capabilities: Vec<String>,
}

impl FrameworkConfig {
    /// A framework with this name and nothing else set.
    pub fn new(name: impl Into<String>) -> FrameworkConfig {
        FrameworkConfig {
            name: name.into(),
            roles: Vec::new(),
            principal: None,
            user: String::new(),
            failover_timeout: None,
            checkpoint: None,
            id: None,
            hostname: None,
            webui_url: None,
            capabilities: Vec::new(),
        }
    }

    /// The roles to subscribe with: the configured ones, or `*`.
    pub(crate) fn effective_roles(&self) -> Vec<String> {
        if self.roles.is_empty() {
            vec!["*".to_owned()]
        } else {
            self.roles.clone()
        }
    }
}

/// The `session` object: the timers and switches of the state machine (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Timers {
    /// The longest an offer is held unused while tasks are pending (0: answered in the step
    /// that brought it).
    pub offer_hold_seconds: f64,
    /// `filters.refuse_seconds` of declines when nothing is pending.
    pub idle_refuse_seconds: f64,
    /// The least time between two `REVIVE` calls.
    pub revive_min_interval: f64,
    /// Explicit reconciliation retries: first delay, cap (doubling in between).
    pub reconcile_backoff: (f64, f64),
    /// The period of implicit reconciliation.
    pub implicit_reconcile_seconds: f64,
    /// Reconnect delays after `disconnected`: first delay, cap (doubling per failed attempt).
    pub resubscribe_backoff: (f64, f64),
    /// Send Mesos offer constraints compiled from the constraints every pending task shares.
    pub offer_constraints: bool,
    /// Kill a non-terminal task of the framework that the session does not know (found by
    /// reconciliation or reported by an update); otherwise it is only reported.
    pub kill_unknown_tasks: bool,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            offer_hold_seconds: 0.0,
            idle_refuse_seconds: 3600.0,
            revive_min_interval: 5.0,
            reconcile_backoff: (1.0, 60.0),
            implicit_reconcile_seconds: 900.0,
            resubscribe_backoff: (1.0, 15.0),
            offer_constraints: false,
            kill_unknown_tasks: false,
        }
    }
}

/// Where a restored task stands in the host's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredState {
    /// Not launched yet.
    Pending,
    /// A `launching` notice was persisted; no update since.
    Launching,
    /// The last Mesos state the session reported.
    Mesos(TaskState),
}

/// Where a launched task runs (from its `launching` notice): what constraints count.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The agent id.
    pub agent_id: String,
    /// The agent's hostname.
    pub hostname: String,
    /// The agent's attributes.
    pub attributes: Attributes,
    /// The agent's fault-domain region.
    pub region: Option<String>,
    /// The agent's fault-domain zone.
    pub zone: Option<String>,
}

/// One task of the host's store: the task, its state and, once launched, where.
///
/// How a state is restored: `PENDING` is queued; `LAUNCHING` and the states in which the
/// master may run the task (`TASK_STAGING`, `TASK_STARTING`, `TASK_RUNNING`, `TASK_KILLING`,
/// `TASK_UNREACHABLE`) are launched tasks, reconciled at the first `SUBSCRIBED`; the states the
/// session reports with `terminal: false` only when a task goes back to pending (`TASK_LOST`,
/// `TASK_DROPPED`, `TASK_UNKNOWN`, `TASK_GONE`, `TASK_ERROR`) are queued; the other terminal
/// states (`TASK_FINISHED`, `TASK_FAILED`, `TASK_KILLED`, `TASK_GONE_BY_OPERATOR`) are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTask {
    /// The task as submitted.
    pub task: TaskRequest,
    /// Its state.
    pub state: StoredState,
    /// The agent it was launched on, if known.
    pub agent_id: Option<String>,
    /// Where it was launched (agent id and hostname known): counted by constraints.
    pub placement: Option<Placement>,
}

/// A whole session configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The framework.
    pub framework: FrameworkConfig,
    /// Every `place` option (`roles` and `principal` come from `framework`; `framework_id` and
    /// `now` are the session's).
    pub options: Options,
    /// Timers and switches.
    pub session: Timers,
    /// The tasks the host's store knows (a failover).
    pub tasks: Vec<StoredTask>,
}

impl Config {
    /// A configuration for a framework of this name, with default options and timers.
    ///
    /// ```
    /// let config = offerfit::session::Config::new("whisk-invoker");
    /// assert_eq!(config.session.idle_refuse_seconds, 3600.0);
    /// ```
    pub fn new(name: impl Into<String>) -> Config {
        Config {
            framework: FrameworkConfig::new(name),
            options: Options::default(),
            session: Timers::default(),
            tasks: Vec::new(),
        }
    }

    /// Reads a configuration from its JSON text (SESSION.md, "Config").
    ///
    /// # Errors
    /// The contract's error objects, each with the JSON pointer of its culprit (`/framework/name`,
    /// `/session/reconcile_backoff`, `/tasks/2/state`, ...).
    ///
    /// ```
    /// let c = offerfit::session::Config::from_json(r#"{"framework": {"name": "fw", "roles": ["web"]},
    ///     "tasks": [{"id": "t1", "cpus": 1, "state": "PENDING"}]}"#).unwrap();
    /// assert_eq!((c.framework.roles.len(), c.tasks.len()), (1, 1));
    /// let e = offerfit::session::Config::from_json(r#"{"framework": {}}"#).unwrap_err();
    /// assert_eq!(e[0].path.as_deref(), Some("/framework"));
    /// ```
    pub fn from_json(text: &str) -> Result<Config, Errors> {
        let limits = crate::limits::Limits::DEFAULT;
        if let Err(e) = limits.check(crate::limits::LimitKind::RequestBytes, text.len()) {
            return Err(vec![io::from_error(&e, "")]);
        }
        let json = io::read_json(text, &limits)?;
        Config::from_value(json)
    }

    /// [`Config::from_json`] on a JSON value.
    ///
    /// # Errors
    /// As [`Config::from_json`].
    pub fn from_value(json: Json) -> Result<Config, Errors> {
        if let Err((e, path)) = crate::limits::Limits::DEFAULT.check_json(&json) {
            return Err(vec![io::from_error(&e, &path)]);
        }
        let Json::Object(mut top) = json else {
            return Err(vec![io::error("", "request.not_object", "expected a session config object")]);
        };
        for key in top.keys() {
            if !matches!(key.as_str(), "framework" | "options" | "session" | "tasks") {
                let mut e =
                    io::error(&format!("/{}", escape(key)), "request.unknown_field", format!("unknown field `{key}`"));
                e.help = Some("a session config has `framework`, `options`, `session` and `tasks`".into());
                return Err(vec![e]);
            }
        }
        let framework = match top.remove("framework") {
            Some(f) => framework_from(f)?,
            None => return Err(vec![io::error("", "request.missing_field", "missing field `framework`")]),
        };
        let options = read_options(top.remove("options"))?;
        let session = match top.remove("session") {
            None | Some(Json::Null) => Timers::default(),
            Some(s) => timers_from(s)?,
        };
        let tasks = match top.remove("tasks") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(list)) => {
                let mut out = Vec::with_capacity(list.len());
                let mut errors = Errors::new();
                for (i, t) in list.into_iter().enumerate() {
                    match stored_from(t, &format!("/tasks/{i}")) {
                        Ok(t) => out.push(t),
                        Err(e) => errors.extend(e),
                    }
                }
                if !errors.is_empty() {
                    return Err(errors);
                }
                out
            }
            Some(other) => {
                return Err(vec![io::error(
                    "/tasks",
                    "request.type",
                    format!("expected an array of tasks, found {}", io::kind(&other)),
                )])
            }
        };
        Ok(Config { framework, options, session, tasks })
    }
}

/// JSON pointer escaping of one key.
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkDto {
    name: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    principal: Option<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    failover_timeout: Option<f64>,
    #[serde(default)]
    checkpoint: Option<bool>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    webui_url: Option<String>,
    #[serde(default)]
    capabilities: Vec<String>,
}

/// `FrameworkInfo.Capability.Type` names a framework may ask for (mesos.proto).
pub(crate) const CAPABILITIES: &[&str] = &[
    "REVOCABLE_RESOURCES",
    "TASK_KILLING_STATE",
    "GPU_RESOURCES",
    "SHARED_RESOURCES",
    "PARTITION_AWARE",
    "MULTI_ROLE",
    "RESERVATION_REFINEMENT",
    "REGION_AWARE",
];

fn framework_from(json: Json) -> Result<FrameworkConfig, Errors> {
    let d: FrameworkDto = io::decode(json, "/framework")?;
    if d.name.is_empty() {
        return Err(vec![io::error("/framework/name", "session.config", "expected a framework name, found ``")]);
    }
    for (i, role) in d.roles.iter().enumerate() {
        if let Err(e) = crate::model::validate_role(role) {
            return Err(vec![io::from_error(&e, &format!("/framework/roles/{i}"))]);
        }
        // A master refuses a `SUBSCRIBE` whose `FrameworkInfo.roles` repeats a role (Mesos
        // src/master/validation.cpp, `framework::internal::validateRoles`).
        if d.roles.iter().take(i).any(|r| r == role) {
            return Err(vec![io::error(
                &format!("/framework/roles/{i}"),
                "session.config",
                format!(
                    "role `{}` is given twice (Mesos refuses duplicate `FrameworkInfo.roles`)",
                    role.escape_debug()
                ),
            )]);
        }
    }
    if let Some(t) = d.failover_timeout {
        check_seconds("/framework/failover_timeout", t)?;
    }
    if d.id.as_deref() == Some("") {
        return Err(vec![io::error("/framework/id", "session.config", "expected a framework id, found ``")]);
    }
    // The id goes into `FrameworkInfo.id`, which a master checks with Mesos' id rules (Mesos
    // src/master/validation.cpp, `framework::internal::validateFrameworkId` → `validateID`).
    if let Some(Err(m)) = d.id.as_deref().map(crate::engine::validate_mesos_id) {
        return Err(vec![io::error("/framework/id", "session.config", m)]);
    }
    for (i, c) in d.capabilities.iter().enumerate() {
        if !CAPABILITIES.contains(&c.as_str()) {
            let mut e = io::error(
                &format!("/framework/capabilities/{i}"),
                "session.config",
                format!("unknown framework capability `{c}`"),
            );
            e.help = Some(match io::closest(c, CAPABILITIES) {
                Some(s) => format!("did you mean `{s}`? known: {}", CAPABILITIES.join(", ")),
                None => format!("known: {}", CAPABILITIES.join(", ")),
            });
            return Err(vec![e]);
        }
    }
    Ok(FrameworkConfig {
        name: d.name,
        roles: d.roles,
        principal: d.principal,
        user: d.user,
        failover_timeout: d.failover_timeout,
        checkpoint: d.checkpoint,
        id: d.id,
        hostname: d.hostname,
        webui_url: d.webui_url,
        capabilities: d.capabilities,
    })
}

/// A duration in seconds: finite, from 0 to 1e12.
pub(crate) fn check_seconds(path: &str, v: f64) -> Result<(), Errors> {
    if !v.is_finite() || !(0.0..=1e12).contains(&v) {
        return Err(vec![io::error(path, "session.config", format!("expected seconds from 0 to 1e12, found `{v}`"))]);
    }
    Ok(())
}

fn read_options(json: Option<Json>) -> Result<Options, Errors> {
    let json = match json {
        None | Some(Json::Null) => return Ok(Options::default()),
        Some(j) => j,
    };
    if let Json::Object(m) = &json {
        for (key, why) in [
            ("roles", "the session's roles are `framework.roles`"),
            ("principal", "the session's principal is `framework.principal`"),
            ("framework_id", "the session learns its framework id from `SUBSCRIBED` (or `framework.id`)"),
            ("now", "each session input carries its own `now`"),
        ] {
            if m.contains_key(key) {
                let mut e = io::error(
                    &format!("/options/{key}"),
                    "session.config",
                    format!("`options.{key}` is not a session option"),
                );
                e.help = Some(why.into());
                return Err(vec![e]);
            }
        }
    }
    io::options_from_json(Some(json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimersDto {
    #[serde(default)]
    offer_hold_seconds: Option<f64>,
    #[serde(default)]
    idle_refuse_seconds: Option<f64>,
    #[serde(default)]
    revive_min_interval: Option<f64>,
    #[serde(default)]
    reconcile_backoff: Option<(f64, f64)>,
    #[serde(default)]
    implicit_reconcile_seconds: Option<f64>,
    #[serde(default)]
    resubscribe_backoff: Option<(f64, f64)>,
    #[serde(default)]
    offer_constraints: Option<bool>,
    #[serde(default)]
    kill_unknown_tasks: Option<bool>,
}

fn timers_from(json: Json) -> Result<Timers, Errors> {
    let d: TimersDto = io::decode(json, "/session")?;
    let def = Timers::default();
    let secs = |name: &str, v: Option<f64>, default: f64| -> Result<f64, Errors> {
        let v = v.unwrap_or(default);
        check_seconds(&format!("/session/{name}"), v)?;
        Ok(v)
    };
    let backoff = |name: &str, v: Option<(f64, f64)>, default: (f64, f64)| -> Result<(f64, f64), Errors> {
        let (first, cap) = v.unwrap_or(default);
        let path = format!("/session/{name}");
        check_seconds(&path, first)?;
        check_seconds(&path, cap)?;
        if first <= 0.0 || cap < first {
            return Err(vec![io::error(
                &path,
                "session.config",
                format!("expected [first delay, cap] with 0 < first <= cap, found `[{first}, {cap}]`"),
            )]);
        }
        Ok((first, cap))
    };
    let implicit = secs("implicit_reconcile_seconds", d.implicit_reconcile_seconds, def.implicit_reconcile_seconds)?;
    if implicit <= 0.0 {
        return Err(vec![io::error(
            "/session/implicit_reconcile_seconds",
            "session.config",
            "expected a period above 0 seconds, found `0`",
        )]);
    }
    Ok(Timers {
        offer_hold_seconds: secs("offer_hold_seconds", d.offer_hold_seconds, def.offer_hold_seconds)?,
        idle_refuse_seconds: secs("idle_refuse_seconds", d.idle_refuse_seconds, def.idle_refuse_seconds)?,
        revive_min_interval: secs("revive_min_interval", d.revive_min_interval, def.revive_min_interval)?,
        reconcile_backoff: backoff("reconcile_backoff", d.reconcile_backoff, def.reconcile_backoff)?,
        implicit_reconcile_seconds: implicit,
        resubscribe_backoff: backoff("resubscribe_backoff", d.resubscribe_backoff, def.resubscribe_backoff)?,
        offer_constraints: d.offer_constraints.unwrap_or(false),
        kill_unknown_tasks: d.kill_unknown_tasks.unwrap_or(false),
    })
}

/// The fields a stored task has beyond the `place` Task shape.
const STORED_FIELDS: [&str; 6] = ["state", "agent_id", "hostname", "attributes", "region", "zone"];

fn take_string(m: &mut Map<String, Json>, key: &str, path: &str) -> Result<Option<String>, Errors> {
    match m.remove(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(other) => Err(vec![io::error(
            &format!("{path}/{key}"),
            "request.type",
            format!("expected a string, found {}", io::kind(&other)),
        )]),
    }
}

/// One stored task.
fn stored_from(json: Json, path: &str) -> Result<StoredTask, Errors> {
    let Json::Object(mut m) = json else {
        return Err(vec![io::error(
            path,
            "request.type",
            format!("expected a task object, found {}", io::kind(&json)),
        )]);
    };
    let mut extra = Map::new();
    for key in STORED_FIELDS {
        if let Some(v) = m.remove(key) {
            extra.insert(key.to_owned(), v);
        }
    }
    let task = io::task_from_json(Json::Object(m), path)?;
    let state_text = take_string(&mut extra, "state", path)?;
    let state = match state_text.as_deref() {
        None | Some("PENDING") => StoredState::Pending,
        Some("LAUNCHING") => StoredState::Launching,
        Some(s) => match TaskState::parse(s) {
            Some(t) => StoredState::Mesos(t),
            None => {
                let mut names = vec!["PENDING", "LAUNCHING"];
                names.extend(TaskState::ALL.iter().map(|t| t.as_str()));
                let mut e =
                    io::error(&format!("{path}/state"), "request.unknown_variant", format!("unknown task state `{s}`"));
                e.help = Some(format!("expected one of {}", names.join(", ")));
                return Err(vec![e]);
            }
        },
    };
    let agent_id = take_string(&mut extra, "agent_id", path)?;
    let hostname = take_string(&mut extra, "hostname", path)?;
    let region = take_string(&mut extra, "region", path)?;
    let zone = take_string(&mut extra, "zone", path)?;
    let attributes = match extra.remove("attributes") {
        None | Some(Json::Null) => Attributes::new(),
        Some(a) => io::attributes_from_json(&a, &format!("{path}/attributes"))?,
    };
    // A launched task counts for constraints where it runs when its hostname is known (its
    // `launching` notice gave it); without one it is still reconciled, never launched again.
    let placement = match (&agent_id, hostname) {
        (Some(a), Some(h)) if !a.is_empty() && !h.is_empty() => {
            Some(Placement { agent_id: a.clone(), hostname: h, attributes, region, zone })
        }
        _ => None,
    };
    Ok(StoredTask { task, state, agent_id: agent_id.filter(|a| !a.is_empty()), placement })
}
