//! Sessions: the scheduler side of a Mesos framework as a pure state machine (SESSION.md).
//!
//! `place` answers one batch and remembers nothing. A [`Session`] is the long-lived machine
//! around it that every framework writes by hand: the subscription, the offers at hand (held,
//! used, declined, gone), the pending queue, the launched tasks and their states, status
//! acknowledgements, decline filters with suppress and revive, explicit then implicit
//! reconciliation, reconnect backoff, failover from a persisted framework id and task store,
//! inverse offers. Events in, actions out, in the manner of h11 and quinn-proto: the host owns
//! the HTTP connection, the clock and the durable store; the session owns every decision, and
//! the same inputs give the same bytes on every platform.
//!
//! Offers stay decoded between steps: a step costs the placement of what changed, not the
//! JSON of the whole cluster.
//!
//! ```
//! use offerfit::session::{Config, Input, InputKind, Event};
//! use offerfit::Session;
//!
//! let mut s = Session::new(Config::from_json(r#"{"framework": {"name": "fw", "roles": ["web"]}}"#).unwrap()).unwrap();
//! let out = s.step_json(r#"{"now": 0, "connect": {}}"#);
//! assert!(out.contains(r#""type":"SUBSCRIBE""#));
//! let out = s.step_json(r#"{"now": 1, "event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}}"#);
//! assert!(out.contains(r#"{"kind":"subscribed","framework_id":"F1"}"#));
//! let out = s.step_json(r#"{"now": 2, "submit": [{"id": "t1", "cpus": 1, "mem": 128}]}"#);
//! assert!(out.contains(r#""type":"REVIVE""#));
//! let offers = r#"{"now": 3, "event": {"type": "OFFERS", "offers": {"offers": [{"id": {"value": "O1"},
//!     "agent_id": {"value": "S1"}, "hostname": "h1", "resources": "cpus:4;mem:1024"}]}}}"#;
//! let out = s.step_json(&offers.replace('\n', " "));
//! assert!(out.contains(r#""type":"ACCEPT""#) && out.contains(r#""kind":"launching""#));
//! // Typed inputs: the same machine without JSON.
//! let out = s.step(Input { now: 4.0, kind: InputKind::Event(Event::Heartbeat) }).unwrap();
//! assert!(out.calls.is_empty() && out.notices.is_empty());
//! ```

mod calls;
mod config;
mod held_offers;
mod input;
mod maintenance;
mod mesos_io;
mod offer_constraints;
mod output;
mod state;
mod tasks;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value as Json;

pub use config::{Config, FrameworkConfig, Placement, StoredState, StoredTask, Timers};
pub use input::{Event, Input, InputKind, InverseOffer, OperationStatus, TaskStatus, UnreadableOffer};
pub use mesos_io::Errors;
pub use output::{Actions, Call, NearestFit, Notice, Output, Refused};
pub use state::TaskState;

use self::mesos_io as io;
use self::state::Restored;
use crate::decision::{DeclineReason, ReasonCode};
use crate::engine::{Engine, Held, Options, PlaceRequest, Profile, RulesMemo};
use crate::hash::FxMap;
use crate::limits::LimitKind;
use crate::model::{Offer, RunningTask, TaskRequest};

/// Mesos' reason for a launch on offers the master no longer has (mesos.proto,
/// `TaskStatus.Reason`; master.cpp, `Master::_accept`).
const REASON_INVALID_OFFERS: &str = "REASON_INVALID_OFFERS";

/// How many update uuids a task remembers to recognise a delivery again.
const SEEN_UUIDS: usize = 16;

/// The reason of the master's answers to `RECONCILE` (master.cpp, `Master::reconcile`).
const REASON_RECONCILIATION: &str = "REASON_RECONCILIATION";

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for offers (its request sits in the placement queue).
    Pending,
    /// Sent in an `ACCEPT` (or restored as launching); no update since.
    Launching,
    /// The last state the master reported, one the master may be running it in.
    Live(TaskState),
}

#[derive(Debug, Clone)]
struct Entry {
    phase: Phase,
    /// The request once launched; `None` while pending (it sits in `req.tasks`).
    request: Option<TaskRequest>,
    /// The agent it was launched on (or reported from).
    agent_id: Option<String>,
    /// Its placement is in `req.running`, counted by constraints.
    counted: bool,
    /// The host asked to kill it: `KILL` until a terminal update (again after a reconnect).
    kill: bool,
    /// The step that sent its `ACCEPT` (0: restored from the store).
    launch_step: u64,
    /// The last step whose explicit `RECONCILE` named it.
    reconcile_step: u64,
    /// The uuids of its last updates: a delivery again (the agent retries when an
    /// acknowledgement was lost) is acknowledged again and changes nothing.
    seen: VecDeque<String>,
}

impl Entry {
    fn new(phase: Phase, request: Option<TaskRequest>, agent_id: Option<String>) -> Entry {
        Entry {
            phase,
            request,
            agent_id,
            counted: false,
            kill: false,
            launch_step: 0,
            reconcile_step: 0,
            seen: VecDeque::new(),
        }
    }

    fn launched(&self) -> bool {
        self.phase != Phase::Pending
    }
}

/// The connection as the session sees it.
#[derive(Debug, Clone, PartialEq)]
enum Link {
    /// Never connected.
    Idle,
    /// `SUBSCRIBE` sent; `SUBSCRIBED` not yet seen.
    Subscribing,
    /// Subscribed: calls may be sent.
    Subscribed,
    /// Disconnected: reconnect at `retry_at` (`told`: the `reconnect` notice was given).
    Down { retry_at: f64, told: bool },
}

/// An explicit reconciliation round (rule 7).
#[derive(Debug, Clone)]
struct Round {
    /// Tasks with no update since the round began.
    waiting: BTreeSet<String>,
    /// Retries sent so far.
    retries: u32,
    /// When to retry.
    retry_at: f64,
}

/// The scheduler state of one Mesos framework, without I/O (SESSION.md).
///
/// Build it with [`Session::new`]; feed it every input with [`Session::step`] (typed) or
/// [`Session::step_json`] (JSON text, as the CLI, the WASM package and the C ABI do); send the
/// calls it answers, in order, persist the notices it asks to persist, and `tick` it at
/// `wake_at`. A session is not shared between threads: a host with replicas makes one per node.
#[derive(Debug, Clone)]
pub struct Session {
    framework: FrameworkConfig,
    timers: Timers,
    /// The engine options (roles and principal from `framework`).
    options: Options,
    /// An engine without a clock or framework id: validates submitted tasks and new offers.
    checker: Engine,
    /// `filters.refuse_seconds` of declines while tasks are pending.
    refuse_seconds: f64,
    framework_id: Option<String>,
    last_now: Option<f64>,
    link: Link,
    /// `disconnected` inputs since the last `SUBSCRIBED` (the reconnect backoff's exponent).
    failures: u32,
    /// The offers held (`offers`), the pending queue (`tasks`, in order) and the placements
    /// of launched tasks (`running`): the placement request, kept decoded between steps,
    /// with what the engine works out from the offers kept between batches ([`Held`]).
    req: Held,
    /// Where each counted task is in `req`'s running list, by task id (one entry per counted
    /// task: what `uncount` finds without a pass over the list).
    running_at: FxMap<String, usize>,
    /// When each held offer arrived, by its arrival number in `req` ([`Held`]'s, ascending
    /// in arrival order).
    held_since: BTreeMap<u64, f64>,
    /// Offers to decline in this step without ever holding them.
    decline_now: Vec<String>,
    tasks: BTreeMap<String, Entry>,
    /// The master holds the framework's roles suppressed.
    suppressed: bool,
    /// Declines with a filter were sent since the last `REVIVE`.
    filtered: bool,
    last_revive: Option<f64>,
    /// A `REVIVE` waiting for `revive_min_interval`.
    revive_at: Option<f64>,
    round: Option<Round>,
    implicit_at: Option<f64>,
    /// The reason codes last reported per unplaced pending task.
    unplaced: BTreeMap<String, Vec<ReasonCode>>,
    /// Something a placement depends on changed since the last one.
    dirty: bool,
    /// This step brought work (a submit, a task back to pending).
    new_work: bool,
    /// The offer constraints the master holds.
    sent_constraints: Option<Json>,
    /// Accepted steps so far (orders launches against reconciliations).
    steps: u64,
    /// The pending tasks' constraints parsed by earlier placements, for the next ones (the
    /// same apps' constraints every step: their regexes compiled once, not per batch).
    rules: RulesMemo,
}

fn refused(errors: Errors) -> Refused {
    Refused { errors }
}

/// A delay of a truncated exponential backoff: `first`, doubling per `attempt` (1-based),
/// at most `cap`.
fn backoff((first, cap): (f64, f64), attempt: u32) -> f64 {
    let mut d = first;
    for _ in 1..attempt {
        if d >= cap {
            break;
        }
        d *= 2.0;
    }
    d.min(cap)
}

/// A place error's path moved from the engine's request (`/tasks/3/cpus`) to the input's.
fn repath(path: &str, from: &str, to: &str) -> String {
    match path.strip_prefix(from) {
        Some(rest) => format!("{to}{rest}"),
        None => path.to_owned(),
    }
}

impl Session {
    /// Builds a session: options checked once, the store's tasks restored (pending ones queued,
    /// launched ones counted for constraints and reconciled at the first `SUBSCRIBED`).
    ///
    /// # Errors
    /// The contract's error objects with their path in the config: bad options
    /// (`/options/...`), a duplicate task id (`/tasks/i/id`), a task `place` would refuse
    /// (`/tasks/i/...`).
    pub fn new(config: Config) -> Result<Session, Errors> {
        let Config { framework, mut options, session: timers, tasks } = config;
        options.roles = framework.roles.clone();
        options.principal = framework.principal.clone();
        options.framework_id = None;
        options.now = None;
        let checker = Engine::new(options.clone()).map_err(|e| vec![io::from_error(&e.error, &e.path)])?;
        // The engine's default filter (engine.rs, `Engine::new`): Marathon declines for 120 s.
        let refuse_seconds =
            options.refuse_seconds.unwrap_or(if options.profile == Profile::Marathon { 120.0 } else { 5.0 });
        let mut s = Session {
            framework,
            timers,
            options,
            checker,
            refuse_seconds,
            framework_id: None,
            last_now: None,
            link: Link::Idle,
            failures: 0,
            // The session keeps or declines unused offers itself (rule 2): plans name only
            // the offers declined for maintenance.
            req: {
                let mut held = Held::new();
                held.keep_unused(true);
                held
            },
            running_at: FxMap::default(),
            held_since: BTreeMap::new(),
            decline_now: Vec::new(),
            tasks: BTreeMap::new(),
            suppressed: false,
            filtered: false,
            last_revive: None,
            revive_at: None,
            round: None,
            implicit_at: None,
            unplaced: BTreeMap::new(),
            dirty: false,
            new_work: false,
            sent_constraints: None,
            steps: 0,
            rules: RulesMemo::default(),
        };
        s.framework_id = s.framework.id.clone();
        // Validate every stored task as `place` would, all at once.
        let requests: Vec<TaskRequest> = tasks.iter().map(|t| t.task.clone()).collect();
        let check = PlaceRequest { tasks: requests, ..PlaceRequest::default() };
        s.checker.check_with(&check, None).map_err(|e| vec![io::from_error(&e.error, &e.path)])?;
        for (i, t) in tasks.into_iter().enumerate() {
            let restored = match t.state {
                StoredState::Pending => Restored::Pending,
                StoredState::Launching => Restored::Live,
                StoredState::Mesos(m) => m.restored(),
            };
            if matches!(restored, Restored::Forgotten) {
                continue;
            }
            if s.tasks.contains_key(&t.task.id) {
                return Err(vec![io::error(
                    &format!("/tasks/{i}/id"),
                    "session.duplicate_task",
                    format!("duplicate task id `{}`", t.task.id),
                )]);
            }
            let id = t.task.id.clone();
            if !matches!(restored, Restored::Live) {
                s.req.tasks_mut().push(t.task);
                s.tasks.insert(id, Entry::new(Phase::Pending, None, None));
                continue;
            }
            let phase = match t.state {
                StoredState::Mesos(m) => Phase::Live(m),
                _ => Phase::Launching,
            };
            let mut e = Entry::new(phase, Some(t.task), t.agent_id);
            if let (Some(p), Some(task)) = (t.placement, &e.request) {
                e.agent_id = Some(p.agent_id.clone());
                let r = RunningTask {
                    id: id.clone(),
                    group: task.group_name().to_owned(),
                    hostname: p.hostname,
                    agent_id: Some(p.agent_id),
                    attributes: p.attributes,
                    region: p.region,
                    zone: p.zone,
                };
                s.count(r);
                e.counted = true;
            }
            s.tasks.insert(id, e);
        }
        let limits = &s.options.limits;
        if let Err(e) = limits.check(LimitKind::Running, s.req.running().len()) {
            return Err(vec![io::from_error(&e, "/tasks")]);
        }
        s.dirty = true;
        Ok(s)
    }

    /// [`Session::new`] from the config's JSON text.
    ///
    /// # Errors
    /// As [`Config::from_json`] and [`Session::new`].
    pub fn from_json(config: &str) -> Result<Session, Errors> {
        Session::new(Config::from_json(config)?)
    }

    /// The framework id, once known (from the config or `SUBSCRIBED`).
    pub fn framework_id(&self) -> Option<&str> {
        self.framework_id.as_deref()
    }

    /// The number of offers held.
    pub fn offers_held(&self) -> usize {
        self.req.offer_count()
    }

    /// The ids of the pending tasks, in queue order.
    pub fn pending(&self) -> impl Iterator<Item = &str> {
        self.req.tasks().iter().map(|t| t.id.as_str())
    }

    /// Every live task (pending, launching or reported live) with its state: `None` for
    /// pending, `Some(None)` for launching, `Some(Some(state))` once the master reported.
    pub fn tasks(&self) -> impl Iterator<Item = (&str, Option<Option<TaskState>>)> {
        self.tasks.iter().map(|(id, e)| {
            let st = match e.phase {
                Phase::Pending => None,
                Phase::Launching => Some(None),
                Phase::Live(s) => Some(Some(s)),
            };
            (id.as_str(), st)
        })
    }

    /// Answers one JSON input line with one JSON output line (SESSION.md): never panics; a
    /// refused input (`ok: false`) changes nothing.
    ///
    /// ```
    /// let mut s = offerfit::Session::from_json(r#"{"framework": {"name": "fw"}}"#).unwrap();
    /// assert_eq!(s.step_json(r#"{"now": 5, "tick": {}}"#), r#"{"ok":true,"calls":[],"notices":[],"wake_at":null}"#);
    /// assert!(s.step_json(r#"{"now": 4, "tick": {}}"#).starts_with(r#"{"ok":false,"errors":[{"code":"session.now""#));
    /// ```
    pub fn step_json(&mut self, line: &str) -> String {
        let limits = &self.options.limits;
        if let Err(e) = limits.check(LimitKind::RequestBytes, line.len()) {
            return io::refusal_text(vec![io::from_error(&e, "")]);
        }
        // A submit or an OFFERS event straight to its typed form; the rest (and anything the
        // fast reader cannot prove) through the JSON value.
        if let Some(input) = input::fast_input(line, limits) {
            return match self.step(input) {
                Ok(a) => a.to_json_text(),
                Err(r) => r.to_json_text(),
            };
        }
        let json = match io::read_json(line, limits) {
            Ok(j) => j,
            Err(e) => return io::refusal_text(e),
        };
        // The reader checked every limit while reading: no second walk of the value.
        let result = input::input_from_json(json).map_err(refused).and_then(|input| self.step(input));
        match result {
            Ok(a) => a.to_json_text(),
            Err(r) => r.to_json_text(),
        }
    }

    /// [`Session::step_json`] on a JSON value (for hosts that hold objects).
    ///
    /// # Errors
    /// As [`Session::step`].
    pub fn step_value(&mut self, json: Json) -> Output {
        if let Err((e, path)) = self.options.limits.check_json(&json) {
            return Err(refused(vec![io::from_error(&e, &path)]));
        }
        let input = input::input_from_json(json).map_err(refused)?;
        self.step(input)
    }

    /// Takes one input and answers the calls to send, the notices and the next wake-up time.
    ///
    /// # Errors
    /// [`Refused`] (nothing changed) for a `now` that is not a number from 0 to 1e12 or is
    /// smaller than the last one, a duplicate or invalid submitted task, too many pending tasks.
    pub fn step(&mut self, input: Input) -> Output {
        let now = input.now;
        if !now.is_finite() || !(0.0..=1e12).contains(&now) {
            return Err(refused(vec![io::error(
                "/now",
                "session.now",
                format!("expected `now` in Unix seconds from 0 to 1e12, found `{now}`"),
            )]));
        }
        if let Some(last) = self.last_now.filter(|l| now < *l) {
            let mut e = io::error(
                "/now",
                "session.now",
                format!("expected `now` not smaller than the last input's `{last}`, found `{now}`"),
            );
            e.help = Some("the session's clock never goes back: send the host's monotonic time".into());
            return Err(refused(vec![e]));
        }
        let kind = match input.kind {
            InputKind::Submit(tasks) => InputKind::Submit(self.check_submit(tasks)?),
            other => other,
        };
        self.last_now = Some(now);
        self.steps = self.steps.saturating_add(1);
        self.new_work = false;
        let mut out = Actions::default();
        match kind {
            InputKind::Connect => self.connect(&mut out),
            InputKind::Disconnected => self.disconnected(now),
            InputKind::Event(e) => self.event(now, e, &mut out),
            InputKind::Submit(tasks) => self.submit(tasks, &mut out),
            InputKind::Kill(ids) => self.kill(&ids, &mut out),
            InputKind::Tick => {}
        }
        self.timers(now, &mut out);
        if self.link == Link::Subscribed {
            self.schedule(now, &mut out);
        }
        out.wake_at = self.wake_at();
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Inputs
    // -----------------------------------------------------------------------------------

    /// Checks a submit before anything changes: ids new and distinct, the tasks valid for
    /// `place`, the pending queue within `limits.tasks`.
    fn check_submit(&mut self, tasks: Vec<TaskRequest>) -> Result<Vec<TaskRequest>, Refused> {
        let mut seen = BTreeSet::new();
        for (i, t) in tasks.iter().enumerate() {
            if self.tasks.contains_key(&t.id) || !seen.insert(t.id.as_str()) {
                let mut e = io::error(
                    &format!("/submit/{i}/id"),
                    "session.duplicate_task",
                    format!("task `{}` is already live", t.id),
                );
                e.help = Some("a task id is free again once its `task_state` notice says `terminal: true`".into());
                return Err(refused(vec![e]));
            }
        }
        let total = self.req.tasks().len().saturating_add(tasks.len());
        if let Err(e) = self.options.limits.check(LimitKind::Tasks, total) {
            return Err(refused(vec![io::from_error(&e, "/submit")]));
        }
        let check = PlaceRequest { tasks, ..PlaceRequest::default() };
        if let Err(e) = self.checker.check_with(&check, Some(&mut self.rules)) {
            return Err(refused(vec![io::from_error(&e.error, &repath(&e.path, "/tasks", "/submit"))]));
        }
        Ok(check.tasks)
    }

    /// The offer constraints for the pending queue (rule: only what every pending task shares).
    fn offer_constraints(&self) -> Json {
        offer_constraints::compile(self.req.tasks(), &self.framework.effective_roles(), &self.options.limits)
    }

    fn fid(&self) -> &str {
        self.framework_id.as_deref().unwrap_or_default()
    }

    fn connect(&mut self, out: &mut Actions) {
        self.drop_offers();
        let suppressed = self.req.tasks().is_empty();
        let constraints = if self.timers.offer_constraints { Some(self.offer_constraints()) } else { None };
        out.calls.push(calls::subscribe(
            &self.framework,
            self.framework_id.as_deref(),
            suppressed,
            constraints.as_ref(),
        ));
        // What the master holds once it takes this `SUBSCRIBE` (`SUBSCRIBED` confirms it).
        self.suppressed = suppressed;
        self.sent_constraints = constraints;
        self.link = Link::Subscribing;
        self.round = None;
        self.revive_at = None;
    }

    fn disconnected(&mut self, now: f64) {
        self.drop_offers();
        self.failures = self.failures.saturating_add(1);
        let retry_at = now + backoff(self.timers.resubscribe_backoff, self.failures);
        self.link = Link::Down { retry_at, told: false };
        self.round = None;
        self.revive_at = None;
    }

    fn submit(&mut self, tasks: Vec<TaskRequest>, out: &mut Actions) {
        for (i, t) in tasks.into_iter().enumerate() {
            // Keys of its `task_info` a master would drop: taken, and told (issue 18).
            for u in t.task_info.as_deref().map(crate::mesos::task_info::unknown_fields).unwrap_or_default() {
                let e = u.warning();
                out.notices.push(Notice::Warning {
                    task_id: t.id.clone(),
                    code: e.code().to_owned(),
                    message: e.to_string(),
                    path: format!("/submit/{i}/task_info{}", u.pointer),
                    help: e.help().map(str::to_owned),
                });
            }
            self.tasks.insert(t.id.clone(), Entry::new(Phase::Pending, None, None));
            self.req.tasks_mut().push(t);
            self.new_work = true;
            self.dirty = true;
        }
    }

    fn kill(&mut self, ids: &[String], out: &mut Actions) {
        for id in ids {
            let Some(e) = self.tasks.get_mut(id) else { continue };
            if e.launched() {
                e.kill = true;
                let agent = e.agent_id.clone();
                if self.link == Link::Subscribed {
                    out.calls.push(calls::kill(self.fid(), id, agent.as_deref()));
                }
            } else {
                self.forget(id);
                out.notices.push(Notice::TaskState {
                    task_id: id.clone(),
                    state: TaskState::Killed,
                    reason: None,
                    message: Some("killed before it was launched".into()),
                    terminal: true,
                    known: true,
                });
            }
        }
    }

    fn event(&mut self, now: f64, event: Event, out: &mut Actions) {
        if let Event::Subscribed { framework_id } = event {
            self.subscribed(now, framework_id, out);
            return;
        }
        // Events only come on a subscribed stream; anything else is stale (rule 1: no call
        // before `SUBSCRIBED`, and an update not acknowledged is sent again by the agent).
        if self.link != Link::Subscribed {
            return;
        }
        match event {
            Event::Subscribed { .. } => {}
            Event::Offers { offers, unreadable } => self.offers(offers, unreadable, now, out),
            Event::InverseOffers(list) => self.inverse_offers(&list, out),
            Event::Rescind { offer_id } => {
                let at = self.req.positions(&[offer_id]);
                self.remove_held(&at);
            }
            Event::Update(status) => self.update(status, out),
            Event::UpdateOperationStatus(s) => {
                // Only statuses with a uuid are acknowledged (scheduler.proto,
                // `AcknowledgeOperationStatus`; the operation id is required there).
                if let (Some(uuid), Some(op)) = (&s.uuid, &s.operation_id) {
                    if calls::is_uuid_base64(uuid) {
                        out.calls.push(calls::acknowledge_operation(
                            self.fid(),
                            s.agent_id.as_deref(),
                            s.resource_provider_id.as_deref(),
                            uuid,
                            op,
                        ));
                    } else {
                        let what = format!("the status of operation `{op}`");
                        out.notices.push(Notice::Error { message: calls::unacknowledged(&what, uuid) });
                    }
                }
            }
            Event::Error { message } => out.notices.push(Notice::Error { message }),
            Event::RescindInverseOffer { .. }
            | Event::Message
            | Event::Failure
            | Event::Heartbeat
            | Event::Unknown { .. } => {}
        }
    }

    fn subscribed(&mut self, now: f64, framework_id: String, out: &mut Actions) {
        self.drop_offers();
        // The suppression and offer constraints are those of the last `SUBSCRIBE` (or, for a
        // `SUBSCRIBED` without one of its own, what the master held).
        self.link = Link::Subscribed;
        self.framework_id = Some(framework_id.clone());
        out.notices.push(Notice::Subscribed { framework_id });
        self.failures = 0;
        self.revive_at = None;
        // Rule 7: explicit reconciliation of every task the master may know, now (a pending
        // task was never given to it).
        let waiting: BTreeSet<String> =
            self.tasks.iter().filter(|(_, e)| e.launched()).map(|(id, _)| id.clone()).collect();
        if waiting.is_empty() {
            self.round = None;
            self.implicit_at = Some(now + self.timers.implicit_reconcile_seconds);
        } else {
            out.calls.push(self.reconcile_call(&waiting));
            self.round = Some(Round { waiting, retries: 0, retry_at: now + backoff(self.timers.reconcile_backoff, 1) });
            self.implicit_at = None;
        }
        // Kills asked for and not yet confirmed go out again on the new stream.
        let kills: Vec<(String, Option<String>)> = self
            .tasks
            .iter()
            .filter(|(_, e)| e.kill && e.launched())
            .map(|(id, e)| (id.clone(), e.agent_id.clone()))
            .collect();
        for (id, agent) in kills {
            out.calls.push(calls::kill(self.fid(), &id, agent.as_deref()));
        }
        self.dirty = true;
    }

    fn reconcile_call(&mut self, ids: &BTreeSet<String>) -> Call {
        for id in ids {
            if let Some(e) = self.tasks.get_mut(id) {
                e.reconcile_step = self.steps;
            }
        }
        calls::reconcile(
            self.fid(),
            ids.iter().map(|id| (id.as_str(), self.tasks.get(id).and_then(|e| e.agent_id.as_deref()))),
        )
    }

    fn offers(&mut self, offers: Vec<Offer>, unreadable: Vec<UnreadableOffer>, now: f64, out: &mut Actions) {
        for u in unreadable {
            if !self.is_held(&u.offer_id) && !self.decline_now.contains(&u.offer_id) {
                self.decline_now.push(u.offer_id.clone());
                out.notices.push(Notice::OfferUnreadable { offer_id: u.offer_id, errors: u.errors });
            }
        }
        // An id already held (or twice in the event) is one offer: answered once.
        // (A single offer, the usual event, cannot repeat itself: no set of ids for it.)
        let single = offers.len() == 1;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut fresh: Vec<Offer> = Vec::with_capacity(offers.len());
        for o in offers {
            if !self.is_held(&o.id) && !self.decline_now.contains(&o.id) && (single || seen.insert(o.id.clone())) {
                fresh.push(o);
            }
        }
        // Offers `place` would refuse (a scalar sum out of range, too many ranges) are
        // declined alone, so one bad offer cannot stall the others.
        let mut check = PlaceRequest { offers: fresh, ..PlaceRequest::default() };
        for _ in 0..check.offers.len() {
            let Err(e) = self.checker.check_with(&check, None) else { break };
            let index =
                e.path.strip_prefix("/offers/").and_then(|r| r.split('/').next()).and_then(|i| i.parse::<usize>().ok());
            let Some(i) = index.filter(|i| *i < check.offers.len()) else {
                for o in check.offers.drain(..) {
                    self.decline_now.push(o.id);
                }
                out.notices.push(Notice::Error { message: format!("offers declined: {e}") });
                break;
            };
            let o = check.offers.remove(i);
            let path = repath(&e.path, &format!("/offers/{i}"), "");
            out.notices.push(Notice::OfferUnreadable {
                offer_id: o.id.clone(),
                errors: vec![io::from_error(&e.error, &path)],
            });
            self.decline_now.push(o.id);
        }
        let room = self.options.limits.offers.saturating_sub(self.req.offer_count());
        for (k, o) in check.offers.into_iter().enumerate() {
            if k < room {
                self.hold(o, now);
                self.dirty = true;
            } else {
                self.decline_now.push(o.id);
            }
        }
    }

    fn timers(&mut self, now: f64, out: &mut Actions) {
        match &mut self.link {
            Link::Down { retry_at, told } if !*told && now >= *retry_at => {
                *told = true;
                out.notices.push(Notice::Reconnect);
            }
            Link::Subscribed => {
                let retry = match &mut self.round {
                    Some(r) if now >= r.retry_at && !r.waiting.is_empty() => {
                        r.retries = r.retries.saturating_add(1);
                        r.retry_at = now + backoff(self.timers.reconcile_backoff, r.retries.saturating_add(1));
                        Some(r.waiting.clone())
                    }
                    _ => None,
                };
                if let Some(ids) = retry {
                    out.calls.push(self.reconcile_call(&ids));
                }
                if self.implicit_at.is_some_and(|t| now >= t) {
                    out.calls.push(calls::reconcile(self.fid(), []));
                    self.implicit_at = Some(now + self.timers.implicit_reconcile_seconds);
                }
            }
            _ => {}
        }
    }

    fn schedule(&mut self, now: f64, out: &mut Actions) {
        // The round ends when every task in it has been heard of; implicit reconciliation
        // runs from then on (rule 7).
        if self.round.as_ref().is_some_and(|r| r.waiting.is_empty()) {
            self.round = None;
            self.implicit_at = Some(now + self.timers.implicit_reconcile_seconds);
        }
        let was_filtered = self.filtered;
        let maintenance = if self.dirty && self.req.offer_count() != 0 && !self.req.tasks().is_empty() {
            self.place(now, out)
        } else {
            self.draining(now)
        };
        self.dirty = false;
        // Rule 3: declines filter for `refuse_seconds` while work is pending, for
        // `idle_refuse_seconds` when nothing is.
        let pending = !self.req.tasks().is_empty();
        let refuse = if pending { self.refuse_seconds } else { self.timers.idle_refuse_seconds };
        // Rule 2: an offer is held up to `offer_hold_seconds`, work pending or not (a submit
        // then finds it at hand; with the default 0 every offer is used or declined in the
        // step that brought it), never when its agent drains.
        let hold = self.timers.offer_hold_seconds;
        let mut declined = std::mem::take(&mut self.decline_now);
        // `held_since` is in arrival order, so nondecreasing (`now` never goes back): the
        // first held offer is the oldest, and a step costs no pass over the held offers.
        let expired = self.held_since.values().next().is_some_and(|t| t + hold <= now);
        if expired || !maintenance.is_empty() {
            declined.extend(self.retain_offers(|o, t| t + hold > now && !maintenance.contains(&o.id)));
        }
        if !declined.is_empty() {
            out.calls.push(calls::decline(self.fid(), declined.iter().map(String::as_str), refuse));
            if refuse > 0.0 {
                self.filtered = true;
            }
        }
        // Offer constraints follow the pending queue (before a REVIVE, so that the offers it
        // brings are already filtered); an idle framework is suppressed and keeps the last ones.
        if self.timers.offer_constraints && pending {
            let c = self.offer_constraints();
            if self.sent_constraints.as_ref() != Some(&c) {
                out.calls.push(calls::update_framework(&self.framework, self.fid(), self.suppressed, &c));
                self.sent_constraints = Some(c);
            }
        }
        // Rule 4: suppress once when nothing is pending; revive for new work while
        // suppressed or after filtering declines, at most once per `revive_min_interval`.
        if !pending {
            self.revive_at = None;
            if !self.suppressed {
                out.calls.push(calls::revive_or_suppress(&self.framework, self.fid(), false));
                self.suppressed = true;
            }
        } else if self.suppressed || (was_filtered && self.new_work) || self.revive_at.is_some() {
            let ready_at = self.last_revive.map_or(now, |t| t + self.timers.revive_min_interval);
            if now >= ready_at {
                out.calls.push(calls::revive_or_suppress(&self.framework, self.fid(), true));
                self.last_revive = Some(now);
                self.suppressed = false;
                self.filtered = false;
                self.revive_at = None;
            } else {
                self.revive_at = Some(ready_at);
            }
        }
    }

    /// Places the pending queue on the held offers: `ACCEPT`s with `launching` notices, the
    /// used offers out of the table, `unplaced` notices whose reasons changed. Returns the
    /// offers `place` declined for maintenance (never held for new tasks, rule 9).
    fn place(&mut self, now: f64, out: &mut Actions) -> BTreeSet<String> {
        // The engine answers without a framework id: it would write a `DECLINE` naming every
        // offer it did not use, and the session declines (or keeps) those itself (rule 2).
        let options = Options { framework_id: None, now: Some(now), ..self.options.clone() };
        let fid = self.fid().to_owned();
        let plan = Engine::new(options).map_err(|e| e.to_string()).and_then(|engine| {
            let plan = engine.place_held_with(&self.req, Some(&mut self.rules)).map_err(|e| e.to_string())?;
            let accepts: Vec<(Call, Vec<String>, Vec<String>)> = plan
                .accept
                .iter()
                .map(|a| {
                    (
                        calls::accept(self.req.tasks(), &fid, self.refuse_seconds, a),
                        a.offer_ids.iter().map(|o| (*o).to_owned()).collect(),
                        a.tasks.iter().map(|l| l.task_id.to_owned()).collect(),
                    )
                })
                .collect();
            let maintenance: BTreeSet<String> = plan
                .decline
                .iter()
                .filter(|d| d.reason == DeclineReason::Maintenance)
                .map(|d| d.offer_id.to_owned())
                .collect();
            let unplaced: Vec<Notice> = plan
                .unplaced
                .iter()
                .map(|u| Notice::Unplaced {
                    task_id: u.task_id.to_owned(),
                    reasons: u.reasons.clone(),
                    nearest: u.nearest.as_ref().map(|n| NearestFit {
                        agent_id: n.agent_id.to_owned(),
                        hostname: n.hostname.to_owned(),
                        lacking: n.lacking.clone(),
                        missing: n.missing.clone(),
                    }),
                })
                .collect();
            Ok((accepts, maintenance, unplaced))
        });
        let (accepts, maintenance, unplaced) = match plan {
            Ok(p) => p,
            Err(message) => {
                // Never hoard offers the engine cannot use: decline them all.
                out.notices.push(Notice::Error { message: format!("placement refused: {message}") });
                return self.req.offers().map(|o| o.id.clone()).collect();
            }
        };
        // The used offers leave the table, found through its index; the first offer of each
        // accept gives the placement (the agent's hostname, attributes and fault domain).
        let mut placements: Vec<Option<Placement>> = vec![None; accepts.len()];
        let used: Vec<&str> = accepts.iter().flat_map(|(_, ids, _)| ids.iter().map(String::as_str)).collect();
        if !used.is_empty() {
            let at = self.req.positions(&used);
            let firsts: FxMap<&str, usize> = accepts
                .iter()
                .enumerate()
                .filter_map(|(k, (_, ids, _))| ids.first().map(|id| (id.as_str(), k)))
                .collect();
            for o in self.remove_held(&at) {
                if let Some(slot) = firsts.get(o.id.as_str()).and_then(|&k| placements.get_mut(k)) {
                    *slot = Some(Placement {
                        agent_id: o.agent_id,
                        hostname: o.hostname,
                        attributes: o.attributes,
                        region: o.region,
                        zone: o.zone,
                    });
                }
            }
        }
        let mut launched: BTreeMap<String, Placement> = BTreeMap::new();
        for ((call, _, task_ids), placement) in accepts.into_iter().zip(placements) {
            // INVARIANT: every accept names offers of the request, the first one among them.
            let Some(placement) = placement else { continue };
            out.calls.push(call);
            for id in task_ids {
                out.notices.push(Notice::Launching {
                    task_id: id.clone(),
                    agent_id: placement.agent_id.clone(),
                    hostname: placement.hostname.clone(),
                    attributes: placement.attributes.clone(),
                    region: placement.region.clone(),
                    zone: placement.zone.clone(),
                });
                launched.insert(id, placement.clone());
            }
        }
        if !launched.is_empty() {
            let mut queue = std::mem::take(self.req.tasks_mut());
            for t in queue.drain(..) {
                let Some(p) = launched.remove(&t.id) else {
                    self.req.tasks_mut().push(t);
                    continue;
                };
                self.count(RunningTask {
                    id: t.id.clone(),
                    group: t.group_name().to_owned(),
                    hostname: p.hostname,
                    agent_id: Some(p.agent_id.clone()),
                    attributes: p.attributes,
                    region: p.region,
                    zone: p.zone,
                });
                self.unplaced.remove(&t.id);
                if let Some(e) = self.tasks.get_mut(&t.id) {
                    e.phase = Phase::Launching;
                    e.launch_step = self.steps;
                    e.agent_id = Some(p.agent_id);
                    e.counted = true;
                    e.request = Some(t);
                }
            }
            // Every pending task launched (the usual step): the next submits reuse the queue's
            // allocation instead of growing a new one from nothing.
            if self.req.tasks().is_empty() {
                *self.req.tasks_mut() = queue;
            }
        }
        for n in unplaced {
            if let Notice::Unplaced { task_id, reasons, .. } = &n {
                let codes: Vec<ReasonCode> = reasons.iter().map(|r| r.code).collect();
                if self.unplaced.get(task_id) != Some(&codes) {
                    self.unplaced.insert(task_id.clone(), codes);
                    out.notices.push(n);
                }
            }
        }
        maintenance
    }

    fn wake_at(&self) -> Option<f64> {
        match &self.link {
            Link::Down { retry_at, told: false } => Some(*retry_at),
            Link::Subscribed => {
                let hold = (self.timers.offer_hold_seconds > 0.0)
                    .then(|| self.held_since.values().next().copied())
                    .flatten()
                    .map(|t| t + self.timers.offer_hold_seconds);
                [hold, self.round.as_ref().map(|r| r.retry_at), self.implicit_at, self.revive_at]
                    .into_iter()
                    .flatten()
                    .reduce(f64::min)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(config: &str) -> Session {
        Session::from_json(config).unwrap()
    }

    fn step(s: &mut Session, line: &str) -> Json {
        serde_json::from_str(&s.step_json(line)).unwrap()
    }

    fn types(out: &Json) -> Vec<&str> {
        out["calls"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect()
    }

    const SUBSCRIBED: &str =
        r#"{"now": 1, "event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}}"#;

    fn offer(now: u32, id: &str, agent: &str) -> String {
        format!(
            r#"{{"now": {now}, "event": {{"type": "OFFERS", "offers": {{"offers": [{{"id": {{"value": "{id}"}},
            "agent_id": {{"value": "{agent}"}}, "hostname": "h-{agent}", "resources": "cpus:4;mem:4096"}}]}}}}}}"#
        )
        .replace('\n', " ")
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let d: Vec<f64> = (1..=6).map(|n| backoff((1.0, 15.0), n)).collect();
        assert_eq!(d, [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]);
        assert_eq!(backoff((2.0, 2.0), 40), 2.0);
        assert_eq!(backoff((1.0, 60.0), u32::MAX), 60.0);
    }

    #[test]
    fn typed_refusals_change_nothing() {
        let mut s = session(r#"{"framework": {"name": "f"}}"#);
        let mut t = TaskRequest::new("a");
        t.cpus = crate::Scalar::from_units(1);
        assert!(s.step(Input { now: 1.0, kind: InputKind::Submit(vec![t.clone()]) }).is_ok());
        let before = format!("{s:?}");
        let e = s.step(Input { now: 2.0, kind: InputKind::Submit(vec![t]) }).unwrap_err();
        assert_eq!(
            (e.errors[0].code.as_str(), e.errors[0].path.as_deref()),
            ("session.duplicate_task", Some("/submit/0/id"))
        );
        let e = s.step(Input { now: f64::NAN, kind: InputKind::Tick }).unwrap_err();
        assert_eq!(e.errors[0].code, "session.now");
        assert_eq!(before, format!("{s:?}"));
        assert_eq!(s.pending().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn restored_tasks_count_where_they_run() {
        let mut s = session(
            r#"{"framework": {"name": "f", "id": "F1"}, "tasks": [
                {"id": "a", "cpus": 1, "group": "web", "constraints": ["hostname UNIQUE"], "state": "TASK_RUNNING", "agent_id": "S1", "hostname": "h-S1"},
                {"id": "b", "cpus": 1, "group": "web", "constraints": ["hostname UNIQUE"]},
                {"id": "old", "cpus": 1, "state": "TASK_FINISHED"}]}"#,
        );
        assert_eq!(s.tasks().count(), 2);
        let out = step(&mut s, r#"{"now": 0, "connect": {}}"#);
        assert_eq!(out["calls"][0]["framework_id"]["value"], "F1");
        assert!(out["calls"][0]["subscribe"].get("suppressed_roles").is_none(), "b is pending");
        let out = step(&mut s, SUBSCRIBED);
        assert_eq!(types(&out), ["RECONCILE"]);
        // h-S1 runs `a` of the same group: only the other agent takes `b`.
        let out = step(&mut s, &offer(1, "O1", "S1"));
        assert_eq!(types(&out), ["DECLINE"]);
        let out = step(&mut s, &offer(1, "O2", "S2"));
        assert_eq!(types(&out), ["ACCEPT", "SUPPRESS"]);
        assert_eq!(out["notices"][0]["hostname"], "h-S2");
    }

    #[test]
    fn a_reconciliation_answer_older_than_the_launch_is_ignored() {
        let mut s = session(
            r#"{"framework": {"name": "f", "id": "F1"}, "tasks": [{"id": "a", "cpus": 1, "state": "LAUNCHING", "agent_id": "S1", "hostname": "h-S1"}]}"#,
        );
        step(&mut s, r#"{"now": 0, "connect": {}}"#);
        step(&mut s, SUBSCRIBED);
        let lost = |now: u32, uuid: &str| {
            format!(
                r#"{{"now": {now}, "event": {{"type": "UPDATE", "update": {{"status": {{"task_id": {{"value": "a"}},
                "state": "TASK_LOST", "agent_id": {{"value": "S1"}}, "reason": "REASON_RECONCILIATION"{uuid}}}}}}}}}"#
            )
            .replace('\n', " ")
        };
        // The master does not have it: back to pending, launched again.
        let out = step(&mut s, &lost(2, ""));
        assert_eq!(out["notices"][0]["terminal"], false);
        let out = step(&mut s, &offer(3, "O1", "S1"));
        assert_eq!(types(&out)[0], "ACCEPT");
        // An answer to the first RECONCILE arriving now speaks of the task before this launch.
        let out = step(&mut s, &lost(4, ""));
        assert!(out["notices"].as_array().unwrap().is_empty() && types(&out).is_empty(), "{out}");
        assert_eq!(s.tasks().collect::<Vec<_>>(), [("a", Some(None))]);
    }

    #[test]
    fn kills_wait_for_the_subscription() {
        let mut s = session(
            r#"{"framework": {"name": "f", "id": "F1"}, "tasks": [{"id": "a", "cpus": 1, "state": "TASK_RUNNING", "agent_id": "S1", "hostname": "h"}]}"#,
        );
        let out = step(&mut s, r#"{"now": 0, "kill": ["a", "nobody"]}"#);
        assert!(types(&out).is_empty());
        step(&mut s, r#"{"now": 0, "connect": {}}"#);
        let out = step(&mut s, SUBSCRIBED);
        assert_eq!(types(&out), ["RECONCILE", "KILL"]);
        assert_eq!(out["calls"][1]["kill"]["agent_id"]["value"], "S1");
    }
}
