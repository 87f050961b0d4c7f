//! The placement engine's front door: [`Options`] (validated once by [`Engine::new`]), the
//! [`PlaceRequest`] it answers, and [`Engine::place`].
//!
//! ```
//! use offerfit::{ConstraintSpec, Engine, Offer, Options, PlaceRequest, Scalar, TaskRequest};
//!
//! let mut offer = Offer::new("O1", "S1", "agent-1");
//! offer.resources = offerfit::parse_resources("cpus:4;mem:4096;ports:[31000-31010]", "*").unwrap();
//! offer.attributes = offerfit::parse_attributes("rack:r1").unwrap();
//! let mut task = TaskRequest::new("web-1");
//! task.cpus = Scalar::from_units(1);
//! task.mem = Scalar::from_units(512);
//! task.ports = vec![0];
//! task.constraints = vec![ConstraintSpec::text("rack LIKE r[12]")];
//! let mut too_big = TaskRequest::new("big");
//! too_big.cpus = Scalar::from_units(16);
//!
//! let engine = Engine::new(Options::default()).unwrap();
//! let request = PlaceRequest { offers: vec![offer], tasks: vec![task, too_big], running: vec![] };
//! let plan = engine.place(&request).unwrap();
//! assert_eq!(plan.accept[0].offer_ids, ["O1"]);
//! assert_eq!(plan.accept[0].tasks[0].task_id, "web-1");
//! assert_eq!(plan.accept[0].tasks[0].ports, [31000]);
//! assert_eq!(plan.unplaced[0].task_id, "big");
//! assert_eq!(plan.unplaced[0].reasons[0].code.as_str(), "insufficient_cpus");
//! assert!(plan.decline.is_empty());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::decision::Plan;
use crate::error::Error;
use crate::limits::{LimitKind, Limits};
use crate::model::scalar::SCALAR_MAX_MILLIS;
use crate::model::{GpuScheduling, Offer, RunningTask, TaskRequest};

/// Which system's matching rules to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// offerfit's own placement: agents pooled, best score wins.
    #[default]
    Offerfit,
    /// Marathon's `ResourceMatcher` rules and reason funnel.
    Marathon,
    /// mesos-actor's `DefaultTaskMatcher` (OpenWhisk's Mesos container factory).
    MesosActor,
}

impl Profile {
    /// `offerfit`, `marathon` or `mesos-actor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Offerfit => "offerfit",
            Profile::Marathon => "marathon",
            Profile::MesosActor => "mesos-actor",
        }
    }
}

/// How agents are ranked for a task.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Strategy {
    /// Fill agents up: the agent left fullest by the task wins (default).
    #[default]
    Binpack,
    /// Keep agents even: the agent left emptiest wins.
    Spread,
    /// The first feasible agent in request order wins.
    FirstFit,
    /// A weighted sum of the binpack and spread scores (weights ≥ 0, not both 0).
    Weighted {
        /// Weight of the binpack score.
        binpack: f64,
        /// Weight of the spread score.
        spread: f64,
    },
}

/// How dynamic host ports are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortSelection {
    /// The lowest free ports, scanning the offered ranges in order.
    Lowest,
    /// A seeded random start in the free ports, then consecutive ports (Marathon's way).
    Random,
}

/// Engine options. Build with struct update syntax over [`Options::default`]; checked once by
/// [`Engine::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Ranking of agents.
    pub strategy: Strategy,
    /// Matching rules.
    pub profile: Profile,
    /// The framework's roles; the first is a task's default role.
    pub roles: Vec<String>,
    /// Decline filter in seconds; `None` = the profile's default (5, Marathon 120).
    pub refuse_seconds: Option<f64>,
    /// Dynamic port choice; `None` = the profile's default (lowest, Marathon random).
    pub port_selection: Option<PortSelection>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Ports never to hand out, per hostname.
    pub port_blacklist: BTreeMap<String, Vec<u64>>,
    /// GPU agents kept for GPU tasks (`Restricted`, default) or not.
    pub gpu_scheduling: GpuScheduling,
    /// When set, [`Plan::calls`] holds the Mesos v1 calls to send.
    pub framework_id: Option<String>,
    /// The principal used for RESERVE / CREATE of persistent volumes.
    pub principal: Option<String>,
    /// Explain unplaced tasks (reasons and nearest fit). Default true.
    pub explain: bool,
    /// The current time in Unix seconds (the core has no clock); enables maintenance checks.
    pub now: Option<f64>,
    /// Offers whose agent's unavailability starts within this many seconds of `now` are
    /// declined (`maintenance`).
    pub drain_seconds: f64,
    /// Offers from another region are used only by tasks whose constraints name `@region`
    /// or `@zone`.
    pub local_region: Option<String>,
    /// Input size bounds.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            strategy: Strategy::Binpack,
            profile: Profile::Offerfit,
            roles: Vec::new(),
            refuse_seconds: None,
            port_selection: None,
            seed: 0,
            port_blacklist: BTreeMap::new(),
            gpu_scheduling: GpuScheduling::Restricted,
            framework_id: None,
            principal: None,
            explain: true,
            now: None,
            drain_seconds: 0.0,
            local_region: None,
            limits: Limits::default(),
        }
    }
}

/// Everything one `place` call looks at.
#[derive(Debug, Clone, Default)]
pub struct PlaceRequest {
    /// The offers to answer (each exactly once).
    pub offers: Vec<Offer>,
    /// The tasks to place.
    pub tasks: Vec<TaskRequest>,
    /// Placements that already exist, counted by constraints.
    pub running: Vec<RunningTask>,
}

/// An input error of `place`, with the JSON pointer of the culprit in the request
/// (`/tasks/3/constraints/1`, `/options/strategy`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceError {
    /// Where in the request.
    pub path: String,
    /// What is wrong.
    pub error: Error,
}

impl PlaceError {
    /// An error about `path`.
    pub fn new(path: impl Into<String>, error: Error) -> PlaceError {
        PlaceError { path: path.into(), error }
    }

    pub(crate) fn invalid(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> PlaceError {
        PlaceError::new(path, Error::invalid(code, message))
    }
}

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            self.error.fmt(f)
        } else {
            write!(f, "{} (at `{}`)", self.error, self.path)
        }
    }
}

impl std::error::Error for PlaceError {}

impl From<PlaceError> for Error {
    fn from(e: PlaceError) -> Error {
        e.error
    }
}

/// Options with the profile's defaults filled in and numbers in the engine's units.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub profile: Profile,
    /// Score weights in the engine's fixed point; both zero = first fit.
    pub w_binpack: i64,
    pub w_spread: i64,
    pub refuse_seconds: f64,
    pub port_selection: PortSelection,
    pub seed: u64,
    pub gpu_restricted: bool,
    /// `now - ...` window in nanoseconds: `(now, now + drain)`.
    pub maintenance: Option<(i128, i128)>,
    pub explain: bool,
}

/// The placement engine: options checked once, then any number of [`Engine::place`] calls.
#[derive(Debug, Clone)]
pub struct Engine {
    options: Options,
    resolved: Resolved,
}

/// Score weights are held in millionths.
pub(crate) const WEIGHT_ONE: i64 = 1_000_000;

fn check_number(path: &str, v: f64, min: f64, max: f64) -> Result<(), PlaceError> {
    if !v.is_finite() || v < min || v > max {
        return Err(PlaceError::invalid(
            path,
            "options.invalid",
            format!("expected a number from {min} to {max}, found `{v}`"),
        ));
    }
    Ok(())
}

impl Engine {
    /// Checks the options and builds an engine.
    ///
    /// # Errors
    /// `options.invalid` with the option's path (`/options/strategy`, ...) for a weight that
    /// is negative or not finite, both weights zero, a negative `refuse_seconds` or
    /// `drain_seconds`, an empty or malformed role, a port above 65535 in the blacklist; and
    /// any error of [`Limits::validate`].
    ///
    /// ```
    /// use offerfit::{Engine, Options, Strategy};
    /// let bad = Options { strategy: Strategy::Weighted { binpack: -1.0, spread: 0.0 }, ..Options::default() };
    /// assert_eq!(Engine::new(bad).unwrap_err().path, "/options/strategy");
    /// ```
    pub fn new(options: Options) -> Result<Engine, PlaceError> {
        options.limits.validate().map_err(|e| PlaceError::new("/options/limits", e))?;
        let (w_binpack, w_spread) = match options.strategy {
            Strategy::Binpack => (WEIGHT_ONE, 0),
            Strategy::Spread => (0, WEIGHT_ONE),
            Strategy::FirstFit => (0, 0),
            Strategy::Weighted { binpack, spread } => {
                for (name, w) in [("binpack", binpack), ("spread", spread)] {
                    check_number("/options/strategy", w, 0.0, 1e6).map_err(|e| PlaceError {
                        error: e.error.with_help(format!("the `{name}` weight must be from 0 to 1000000")),
                        ..e
                    })?;
                }
                if binpack == 0.0 && spread == 0.0 {
                    return Err(PlaceError::invalid(
                        "/options/strategy",
                        "options.invalid",
                        "expected at least one positive weight, found `binpack` and `spread` both 0",
                    ));
                }
                ((binpack * WEIGHT_ONE as f64).round() as i64, (spread * WEIGHT_ONE as f64).round() as i64)
            }
        };
        for (i, role) in options.roles.iter().enumerate() {
            validate_role(role)
                .map_err(|m| PlaceError::invalid(format!("/options/roles/{i}"), "options.invalid", m))?;
        }
        let refuse_seconds = match options.refuse_seconds {
            Some(r) => {
                check_number("/options/refuse_seconds", r, 0.0, 31_536_000.0)?;
                r
            }
            None if options.profile == Profile::Marathon => 120.0,
            None => 5.0,
        };
        check_number("/options/drain_seconds", options.drain_seconds, 0.0, 1e12)?;
        if let Some(now) = options.now {
            check_number("/options/now", now, -1e12, 1e12)?;
        }
        for (host, ports) in &options.port_blacklist {
            if let Some(p) = ports.iter().find(|p| **p > 65_535) {
                return Err(PlaceError::invalid(
                    format!("/options/port_blacklist/{}", host.replace('~', "~0").replace('/', "~1")),
                    "options.invalid",
                    format!("expected a port from 0 to 65535, found `{p}`"),
                ));
            }
        }
        let port_selection = options.port_selection.unwrap_or(match options.profile {
            Profile::Marathon => PortSelection::Random,
            Profile::Offerfit | Profile::MesosActor => PortSelection::Lowest,
        });
        let maintenance = options.now.map(|now| {
            let now_ns = (now * 1e9).round() as i128;
            let drain_ns = (options.drain_seconds * 1e9).round() as i128;
            (now_ns, now_ns + drain_ns)
        });
        let resolved = Resolved {
            profile: options.profile,
            w_binpack,
            w_spread,
            refuse_seconds,
            port_selection,
            seed: options.seed,
            gpu_restricted: options.gpu_scheduling == GpuScheduling::Restricted,
            maintenance,
            explain: options.explain,
        };
        Ok(Engine { options, resolved })
    }

    /// The options this engine was built with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    #[cfg(test)]
    pub(crate) fn resolved_for_tests(&self) -> &Resolved {
        &self.resolved
    }

    /// Places `request.tasks` on the agents of `request.offers`: which tasks launch where
    /// with exactly which resources, which offers are declined, and why each unplaced task
    /// could not be placed. Pure and deterministic: the same request gives the same plan.
    ///
    /// # Errors
    /// A [`PlaceError`] with the path of the culprit for malformed input: duplicate offer or
    /// task ids, a negative amount (`cpus` ... `executor`, `elastic`, a volume's `max_size`),
    /// a constraint that does not parse, a volume of type BLOCK or RAW, a persistent
    /// volume of a task with no role to reserve it for (`place.volume_role`: no `role`, no
    /// `options.roles`, or `*`), a field the profile cannot honour, or an exceeded [`Limits`]
    /// bound.
    pub fn place<'r>(&self, request: &'r PlaceRequest) -> Result<Plan<'r>, PlaceError> {
        let limits = &self.options.limits;
        limits.check(LimitKind::Offers, request.offers.len()).map_err(|e| PlaceError::new("/offers", e))?;
        limits.check(LimitKind::Tasks, request.tasks.len()).map_err(|e| PlaceError::new("/tasks", e))?;
        limits.check(LimitKind::Running, request.running.len()).map_err(|e| PlaceError::new("/running", e))?;
        check_counts(limits, request)?;
        crate::place::run(&self.options, &self.resolved, request)
    }
}

/// The per-task and per-resource count limits, as the JSON path checks them on the request
/// (`Limits::check_json`), for typed callers: constraints, preferences and each volume's
/// `require` list against `constraints_per_task`; the ranges of each offer's resources and
/// attributes against `ranges_per_resource`.
fn check_counts(limits: &Limits, request: &PlaceRequest) -> Result<(), PlaceError> {
    // The path is formatted only for an error: this runs once per offer resource and task.
    let at = |path: &dyn Fn() -> String, kind: LimitKind, n: usize| {
        limits.check(kind, n).map_err(|e| PlaceError::new(path(), e))
    };
    for (i, t) in request.tasks.iter().enumerate() {
        at(&|| format!("/tasks/{i}/constraints"), LimitKind::ConstraintsPerTask, t.constraints.len())?;
        at(&|| format!("/tasks/{i}/preferences"), LimitKind::ConstraintsPerTask, t.preferences.len())?;
        for (j, v) in t.volumes.iter().enumerate() {
            at(&|| format!("/tasks/{i}/volumes/{j}/require"), LimitKind::ConstraintsPerTask, v.require.len())?;
        }
    }
    // The sum of every scalar of every offer: at most the scalar bound, then so is every sum the
    // engine forms (an agent's offers are pooled); only above it is the exact check needed.
    let mut total: u64 = 0;
    let max_ranges = limits.get(LimitKind::RangesPerResource);
    for (i, o) in request.offers.iter().enumerate() {
        for (j, r) in o.resources.iter().enumerate() {
            match &r.value {
                crate::model::ResourceValue::Scalar(s) => total = total.saturating_add(s.millis().unsigned_abs()),
                crate::model::ResourceValue::Ranges(x) if x.as_slice().len() > max_ranges => {
                    let n = x.as_slice().len();
                    at(&|| format!("/offers/{i}/resources/{j}/ranges/range"), LimitKind::RangesPerResource, n)?;
                }
                _ => {}
            }
        }
        for (j, a) in o.attributes.iter().enumerate() {
            if let crate::model::Value::Ranges(x) = &a.value {
                at(
                    &|| format!("/offers/{i}/attributes/{j}/ranges/range"),
                    LimitKind::RangesPerResource,
                    x.as_slice().len(),
                )?;
            }
        }
    }
    if total > SCALAR_MAX_MILLIS.unsigned_abs() {
        check_agent_sums(request)?;
    }
    Ok(())
}

/// Every agent's pooled scalars within ±2^53/1000, the bound every parsed scalar meets (above
/// it a JSON number no longer holds the thousandths exactly): an agent's offers, and like
/// resources within one offer, are summed. Refused at the offer that crosses it.
fn check_agent_sums(request: &PlaceRequest) -> Result<(), PlaceError> {
    let mut sums: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (i, o) in request.offers.iter().enumerate() {
        for r in o.resources.iter() {
            let Some(s) = r.scalar() else { continue };
            let sum = sums.entry((o.agent_id.as_str(), r.name.as_str())).or_insert(0);
            *sum = sum.saturating_add(s.millis().unsigned_abs());
            if *sum > SCALAR_MAX_MILLIS.unsigned_abs() {
                return Err(PlaceError::new(
                    format!("/offers/{i}/resources"),
                    Error::invalid(
                        "scalar.out_of_range",
                        format!(
                            "the agent `{}` offers more `{}` in all than a scalar holds exactly (at most 2^53/1000)",
                            o.agent_id, r.name
                        ),
                    )
                    .with_help("a scalar amount holds at most 9007199254740.992, summed over an agent's offers"),
                ));
            }
        }
    }
    Ok(())
}

/// Mesos role names (`roles::validate`): not empty, not `.` or `..` as a component, no
/// component starting with `-`, no whitespace, not starting or ending with `/`, no `//`;
/// `*` alone is the unreserved role.
pub(crate) fn validate_role(role: &str) -> Result<(), String> {
    if role == "*" {
        return Ok(());
    }
    let bad = role.is_empty()
        || role.starts_with('/')
        || role.ends_with('/')
        || role.contains("//")
        || role.chars().any(|c| c.is_whitespace() || c == '\u{8}' || c == '\u{7f}')
        || role.split('/').any(|c| c == "." || c == ".." || c == "*" || c.starts_with('-'));
    if bad {
        Err(format!("expected a Mesos role name such as `web` or `eng/web`, found `{role}`"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scalar;

    #[test]
    fn pooled_scalars_stay_within_the_bound() {
        let max = Scalar::from_millis(SCALAR_MAX_MILLIS);
        let offer = |id: &str, agent: &str| {
            let mut o = Offer::new(id, agent, "h");
            o.resources.push(crate::model::Resource::new("cpus", crate::model::resource::ResourceValue::Scalar(max)));
            o
        };
        let mut task = TaskRequest::new("t1");
        task.cpus = Scalar::from_units(1);
        let engine = Engine::new(Options::default()).unwrap();
        // Two agents at the bound each: fine, nothing is summed across agents.
        let ok = PlaceRequest {
            offers: vec![offer("o1", "a1"), offer("o2", "a2")],
            tasks: vec![task.clone()],
            ..PlaceRequest::default()
        };
        assert_eq!(engine.place(&ok).unwrap().accept.len(), 1);
        // Two offers of one agent are pooled: refused at the second.
        let bad = PlaceRequest {
            offers: vec![offer("o1", "a1"), offer("o2", "a1")],
            tasks: vec![task],
            ..PlaceRequest::default()
        };
        let err = engine.place(&bad).unwrap_err();
        assert_eq!(err.path, "/offers/1/resources");
        assert_eq!(err.error.code(), "scalar.out_of_range");
    }

    #[test]
    fn roles_are_validated() {
        for ok in ["*", "web", "eng/web", "a.b"] {
            assert!(validate_role(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/a", "a/", "a//b", "a/./b", "-a", "a b", "a/*"] {
            assert!(validate_role(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn typed_requests_meet_the_count_limits() {
        use crate::model::{Attribute, ConstraintSpec, Offer, Ranges, TaskRequest, Value};
        let limits = Limits { constraints_per_task: 2, ranges_per_resource: 2, ..Limits::default() };
        let engine = Engine::new(Options { limits, ..Options::default() }).unwrap();
        let mut task = TaskRequest::new("t");
        task.constraints = vec![ConstraintSpec::Text("rack UNIQUE".into()); 3];
        let e = engine.place(&PlaceRequest { tasks: vec![task.clone()], ..PlaceRequest::default() }).unwrap_err();
        assert_eq!((e.path.as_str(), e.error.code()), ("/tasks/0/constraints", "limit.constraints_per_task"));
        assert_eq!(e.error.message(), "too many constraints: found 3, the limit `constraints_per_task` is 2");
        task.constraints.truncate(2);
        let mut volume = crate::model::VolumeRequest::new(crate::Scalar::from_units(1));
        volume.require = vec![ConstraintSpec::Text("type IS MOUNT".into()); 3];
        task.volumes = vec![volume];
        let e = engine.place(&PlaceRequest { tasks: vec![task], ..PlaceRequest::default() }).unwrap_err();
        assert_eq!((e.path.as_str(), e.error.code()), ("/tasks/0/volumes/0/require", "limit.constraints_per_task"));
        let three = Ranges::from_pairs([(1, 1), (3, 3), (5, 5)]).unwrap();
        let mut offer = Offer::new("o", "a", "h");
        offer.resources = crate::parse_resources("cpus:1; ports:[1-1,3-3]", "*").unwrap();
        assert!(engine.place(&PlaceRequest { offers: vec![offer.clone()], ..PlaceRequest::default() }).is_ok());
        offer.attributes.0.push(Attribute { name: "r".into(), value: Value::Ranges(three.clone()) });
        let e = engine.place(&PlaceRequest { offers: vec![offer.clone()], ..PlaceRequest::default() }).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.error.code()),
            ("/offers/0/attributes/0/ranges/range", "limit.ranges_per_resource")
        );
        offer.attributes.0.clear();
        offer.resources = crate::parse_resources("cpus:1; ports:[1-1,3-3,5-5]", "*").unwrap();
        let e = engine.place(&PlaceRequest { offers: vec![offer], ..PlaceRequest::default() }).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.error.code()),
            ("/offers/0/resources/1/ranges/range", "limit.ranges_per_resource")
        );
        assert_eq!(e.error.message(), "too many ranges in one resource: found 3, the limit `ranges_per_resource` is 2");
    }

    #[test]
    fn options_are_checked_once() {
        let e = Engine::new(Options { refuse_seconds: Some(-1.0), ..Options::default() }).unwrap_err();
        assert_eq!(e.path, "/options/refuse_seconds");
        assert_eq!(e.error.code(), "options.invalid");
        let e = Engine::new(Options { roles: vec!["a//b".into()], ..Options::default() }).unwrap_err();
        assert_eq!(e.path, "/options/roles/0");
        let e =
            Engine::new(Options { strategy: Strategy::Weighted { binpack: 0.0, spread: 0.0 }, ..Options::default() })
                .unwrap_err();
        assert!(e.error.message().contains("at least one positive weight"));
        let marathon = Engine::new(Options { profile: Profile::Marathon, ..Options::default() }).unwrap();
        assert_eq!(marathon.resolved.refuse_seconds, 120.0);
        assert_eq!(marathon.resolved.port_selection, PortSelection::Random);
    }
}
