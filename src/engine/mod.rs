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
//!
//! # Rooms
//!
//! The engine's files import one way, bottom up (no file imports one above it; test modules
//! included):
//!
//! - `options` and `request`: what is asked (the options and their resolved form, checked by
//!   `Resolved::new`; the request, its error and its count checks). Below every other room, so
//!   nothing imports this facade back.
//! - `tables` (strings to ids) and `shapes` (offers compared fast, against a field-by-field
//!   comparison): pure helpers, split out of the ledger so each is tested alone.
//! - `rules` (constraints and preferences compiled for a task, the group counters), `score`
//!   (strategy scores), `fit` (one task against one agent's pool).
//! - `state`: the batch ledger (`Ctx`) with every type its fields hold (agents, static and
//!   state classes, compiled tasks, placements) and the methods that keep it consistent,
//!   recording a placement included. The types live here rather than in the rooms that fill
//!   them: a ledger field typed from a room above would close an import circle.
//! - `classes` (offers → agents → classes), `compile` (tasks, their order; the rooms' shared
//!   test fixture), `reasons` (static reasons and the rules cache), `scan` (the best class
//!   for a task), `explain` (why a task was not placed).
//! - `output` (ledger → plan and Mesos calls), `mesos_actor` (that profile's own loop).
//! - `batch` (the loop), and this facade ([`Engine`]) on top.

mod apply;
mod batch;
mod classes;
mod compile;
mod explain;
mod fit;
#[cfg(all(test, feature = "bench-gen"))]
mod grouping_tests;
mod held;
mod layout;
mod marathon;
mod mesos_actor;
mod options;
mod output;
mod pool;
mod portset;
mod reasons;
mod repair;
mod request;
mod rules;
mod rules_memo;
mod scan;
mod score;
mod shapes;
mod state;
mod tables;

use crate::decision::{DeclineReason, Plan};
use crate::limits::LimitKind;

pub use held::Held;
pub(crate) use options::MAX_INSTANCES_PER_OFFER;
pub use options::{Objective, Options, PortSelection, Profile, Strategy, TieBreak};
pub(crate) use output::{AcceptOut, CallsOut};
pub use request::{PlaceError, PlaceRequest};

pub(crate) use compile::validate_mesos_id;
pub(crate) use rules_memo::RulesMemo;

use options::Resolved;
use request::{check_counts, check_task_counts};

/// The placement engine: options checked once, then any number of [`Engine::place`] calls.
#[derive(Debug, Clone)]
pub struct Engine {
    options: Options,
    resolved: Resolved,
}

impl Engine {
    /// Checks the options and builds an engine.
    ///
    /// # Errors
    /// `options.invalid` with the option's path (`/options/strategy`, ...) for a weight that
    /// is negative or not finite, both weights zero, a negative `refuse_seconds` or
    /// `drain_seconds`, an empty or malformed role, a port above 65535 in the blacklist; and
    /// any error of [`Limits::validate`](crate::Limits::validate).
    ///
    /// ```
    /// use offerfit::{Engine, Options, Strategy};
    /// let bad = Options { strategy: Strategy::Weighted { binpack: -1.0, spread: 0.0 }, ..Options::default() };
    /// assert_eq!(Engine::new(bad).unwrap_err().path, "/options/strategy");
    /// ```
    pub fn new(options: Options) -> Result<Engine, PlaceError> {
        let resolved = Resolved::new(&options)?;
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
    /// `options.roles`, or `*`), a field the profile cannot honour, or an exceeded [`Limits`](crate::Limits)
    /// bound.
    pub fn place<'r>(&self, request: &'r PlaceRequest) -> Result<Plan<'r>, PlaceError> {
        self.place_with(request, None)
    }

    /// [`Engine::place`], parsing the constraints through `memo`, kept by the caller across
    /// calls: the same plan or error ([`rules_memo`]).
    pub(crate) fn place_with<'r>(
        &self,
        request: &'r PlaceRequest,
        memo: Option<&mut RulesMemo>,
    ) -> Result<Plan<'r>, PlaceError> {
        self.check_request(request)?;
        batch::run_held(&self.options, &self.resolved, request.into(), None, false, memo)
    }

    /// Whether [`Engine::place`] takes `request`: `Ok` when it answers a plan, else the same
    /// error, parsing the constraints through `memo` as [`Engine::place_with`] does. A request
    /// with no offers or no tasks (a session's check of a submit or of new offers) places no
    /// task, so its errors are those of the count checks, the agents' pooling and the tasks'
    /// compiling: those run, and no batch ([`batch::check`]).
    pub(crate) fn check_with(&self, request: &PlaceRequest, memo: Option<&mut RulesMemo>) -> Result<(), PlaceError> {
        self.check_request(request)?;
        batch::check(&self.options, &self.resolved, request.into(), memo)
    }

    /// The checks of a typed request before its batch: the count limits, then every
    /// offer's and task's counts and sums, then the running tasks' ids.
    fn check_request(&self, request: &PlaceRequest) -> Result<(), PlaceError> {
        let limits = &self.options.limits;
        limits.check(LimitKind::Offers, request.offers.len()).map_err(|e| PlaceError::new("/offers", e))?;
        limits.check(LimitKind::Tasks, request.tasks.len()).map_err(|e| PlaceError::new("/tasks", e))?;
        limits.check(LimitKind::Running, request.running.len()).map_err(|e| PlaceError::new("/running", e))?;
        check_counts(limits, request)?;
        request::check_running(request)
    }

    /// [`Engine::place`] on the request `held` holds, byte for byte the same plan (or error),
    /// at the cost of what changed since the last batch: the offers' count checks, their
    /// pooling into agents and the agents' static classes are kept in `held` (see [`Held`]).
    ///
    /// # Errors
    /// Those of [`Engine::place`] on `held.request()`.
    ///
    /// ```
    /// use offerfit::{Engine, Held, Offer, Options, Scalar, TaskRequest};
    /// let engine = Engine::new(Options::default()).unwrap();
    /// let mut held = Held::new();
    /// let mut offer = Offer::new("O1", "S1", "agent-1");
    /// offer.resources = offerfit::parse_resources("cpus:4;mem:4096", "*").unwrap();
    /// held.push_offer(offer);
    /// let mut task = TaskRequest::new("t1");
    /// task.cpus = Scalar::from_units(1);
    /// held.tasks_mut().push(task);
    /// let plan = engine.place_held(&held).unwrap();
    /// assert_eq!(plan.accept[0].tasks[0].task_id, "t1");
    /// ```
    pub fn place_held<'h>(&self, held: &'h Held) -> Result<Plan<'h>, PlaceError> {
        self.place_held_with(held, None)
    }

    /// [`Engine::place_held`], parsing the constraints through `memo`, kept by the caller
    /// across batches: the same plan or error ([`rules_memo`]).
    pub(crate) fn place_held_with<'h>(
        &self,
        held: &'h Held,
        memo: Option<&mut RulesMemo>,
    ) -> Result<Plan<'h>, PlaceError> {
        let limits = &self.options.limits;
        let (store, prep, keep_unused) = held.parts();
        let request = store.request();
        limits.check(LimitKind::Offers, store.offer_count()).map_err(|e| PlaceError::new("/offers", e))?;
        limits.check(LimitKind::Tasks, request.tasks.len()).map_err(|e| PlaceError::new("/tasks", e))?;
        limits.check(LimitKind::Running, request.running.len()).map_err(|e| PlaceError::new("/running", e))?;
        check_task_counts(limits, request)?;
        // Never borrowed elsewhere (nothing runs beside a batch); the stateless steps if it were.
        let mut plan = match prep.try_borrow_mut() {
            Ok(mut prep) => {
                if !prep.offers_pass(store, limits) {
                    // The paths of the errors are positions in the request without gaps.
                    check_counts(limits, &held.request())?;
                }
                request::check_running(request)?;
                batch::run_held(&self.options, &self.resolved, store, Some(&mut prep), keep_unused, memo)?
            }
            Err(_) => {
                check_counts(limits, &held.request())?;
                request::check_running(request)?;
                batch::run_held(&self.options, &self.resolved, store, None, keep_unused, memo)?
            }
        };
        // The profiles and passes that write their declines apart (mesos-actor, marathon,
        // repair) list every unused offer: those are left out here (the calls follow).
        if keep_unused && plan.decline.iter().any(|d| d.reason == DeclineReason::Unused) {
            plan.decline.retain(|d| d.reason != DeclineReason::Unused);
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::model::scalar::SCALAR_MAX_MILLIS;
    use crate::model::{Offer, Scalar, TaskRequest};

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
    fn typed_requests_meet_the_count_limits() {
        use crate::model::{Attribute, ConstraintSpec, Ranges, Value};
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

    /// `check_with` answers `place`'s error (or none) for requests with offers only, tasks
    /// only (the golden requests split, every profile) and both, good and bad, with and
    /// without a memo of parsed constraints.
    #[test]
    fn a_check_answers_what_place_answers() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/place");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".request.json"))
            .collect();
        paths.sort();
        let mut cases: Vec<(Options, PlaceRequest)> = Vec::new();
        for p in paths {
            let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            json.as_object_mut().unwrap().remove("op");
            let dto = crate::dto::decode(json, "").unwrap();
            let (options, req) = crate::dto::place::request_from_json(dto).unwrap();
            let offers = PlaceRequest { tasks: Vec::new(), ..req.clone() };
            let tasks = PlaceRequest { offers: Vec::new(), ..req.clone() };
            cases.extend([(options.clone(), req), (options.clone(), offers), (options, tasks)]);
        }
        let max = Scalar::from_millis(SCALAR_MAX_MILLIS);
        let big = |id: &str, agent: &str| {
            let mut o = Offer::new(id, agent, "h");
            o.resources.push(crate::model::Resource::new("cpus", crate::model::resource::ResourceValue::Scalar(max)));
            o
        };
        let constrained = |id: &str, c: &str| {
            let mut t = TaskRequest::new(id);
            t.cpus = Scalar::from_units(1);
            t.constraints = vec![crate::model::ConstraintSpec::text(c)];
            t
        };
        let mut disk = TaskRequest::new("d");
        disk.disk = Scalar::from_units(1);
        let bad_offers =
            [vec![big("o1", "a1"), big("o2", "a1")], vec![Offer::new("o", "a", "h"), Offer::new("o", "b", "h")]];
        let bad_tasks = [
            vec![constrained("t1", "rack LIKE r[0-9]"), constrained("t2", "rack LIKE [")],
            vec![constrained("t1", "rack UNIQUE"), constrained("t1", "rack UNIQUE")],
            vec![constrained("t1", "rack NOPE x")],
            vec![disk.clone()],
        ];
        for profile in [Profile::Offerfit, Profile::Marathon, Profile::MesosActor] {
            let options = Options { profile, ..Options::default() };
            for offers in &bad_offers {
                cases.push((options.clone(), PlaceRequest { offers: offers.clone(), ..PlaceRequest::default() }));
            }
            for tasks in &bad_tasks {
                cases.push((options.clone(), PlaceRequest { tasks: tasks.clone(), ..PlaceRequest::default() }));
            }
            let both = PlaceRequest {
                offers: vec![Offer::new("o", "a", "h")],
                tasks: vec![disk.clone()],
                ..PlaceRequest::default()
            };
            cases.push((options, both));
        }
        let mut errors = 0;
        for (options, req) in &cases {
            let engine = Engine::new(options.clone()).unwrap();
            let placed = engine.place(req).map(|_| ());
            errors += usize::from(placed.is_err());
            assert_eq!(engine.check_with(req, None), placed);
            let mut memo = RulesMemo::default();
            assert_eq!(engine.check_with(req, Some(&mut memo)), placed);
            assert_eq!(engine.check_with(req, Some(&mut memo)), placed);
        }
        assert!(errors >= 15, "{errors}");
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
