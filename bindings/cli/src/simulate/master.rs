//! A simulated Mesos master (with its agents and executors): the part of Mesos a scheduler
//! sees through the v1 scheduler API, over simulated time. It takes the scheduler's `Call`s
//! and produces the `Event`s the scheduler gets, with the allocator rules that decide what a
//! framework is offered and when (apache/mesos, `src/master/allocator/mesos/hierarchical.cpp`
//! and `src/master/master.cpp`; each rule is cited where it is modelled).
//!
//! The master is driven by timers, never by a clock loop: the runner owns one queue of
//! [`Timer`]s keyed by time, asks [`Master::take_timers`] for new ones after every call, and
//! hands each back through [`Master::on_timer`] when its time comes. An allocation looks only at
//! the *candidate* agents (free resources, no matching refuse filter), so a quiet cluster of
//! 10,000 agents costs nothing per allocation interval.

use std::collections::{BTreeSet, HashMap, VecDeque};

use offerfit::mesos::{offer_to_json, resources_from_json_text};
use offerfit::session::{Event, InverseOffer, TaskState as State, TaskStatus};
use offerfit::{Offer, Resource, ResourceValue, Resources, Unavailability};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value as Json};

use super::inputs::AgentSpec;

/// Mesos' `--min_allocatable_resources` default, `cpus:0.01|mem:32`
/// (`src/master/constants.hpp`: MIN_CPUS, MIN_MEM): an agent's free resources are offered
/// only when they hold at least one of these (`HierarchicalAllocatorProcess::allocatable`).
const MIN_CPUS: f64 = 0.01;
/// See [`MIN_CPUS`].
const MIN_MEM: f64 = 32.0;
/// `Filters.refuse_seconds` when a DECLINE or ACCEPT gives none (`mesos.proto`: default 5).
const DEFAULT_REFUSE_MS: u64 = 5_000;
/// An agent resends an unacknowledged status update after 10 s, doubling up to 10 min
/// (`src/slave/constants.hpp`: STATUS_UPDATE_RETRY_INTERVAL_MIN / _MAX).
const RETRY_MIN_MS: u64 = 10_000;
/// See [`RETRY_MIN_MS`].
const RETRY_MAX_MS: u64 = 600_000;
/// Refuse filters last at most 365 days (`HierarchicalAllocatorProcess::recoverResources`).
const MAX_REFUSE_MS: u64 = 365 * 86_400_000;

/// The master's settings (Mesos master flags).
#[derive(Debug, Clone)]
pub struct MasterConfig {
    /// `--allocation_interval` (default 1 s).
    pub allocation_interval_ms: u64,
    /// `--offer_timeout`: outstanding offers are rescinded after this (default: never).
    pub offer_timeout_ms: Option<u64>,
    /// Time from an accepted launch to TASK_RUNNING (the agent fetching and starting it).
    pub launch_ms: u64,
    /// The Unix time of simulated time 0, in seconds.
    pub epoch_s: u64,
}

impl Default for MasterConfig {
    fn default() -> MasterConfig {
        MasterConfig { allocation_interval_ms: 1000, offer_timeout_ms: None, launch_ms: 500, epoch_s: 1_767_225_600 }
    }
}

/// Something the master wants done at a time (the runner keeps them in its queue).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timer {
    /// A periodic allocation (`HierarchicalAllocatorProcess::allocate` every interval).
    Allocate,
    /// An agent's refuse filters may have expired.
    FilterExpire(usize),
    /// `--offer_timeout` for this offer.
    OfferTimeout(String),
    /// The task's executor reports TASK_RUNNING.
    Running(String),
    /// The task ends (finished or failed, as its fate says).
    End(String),
    /// Resend the task's unacknowledged update if it is still this one.
    Retry(String, u64),
    /// The agent's maintenance window starts: inverse offers go out.
    Maintenance(usize),
    /// The agent is lost for good (and marked gone by the operator).
    AgentLost(usize),
}

/// What happens to a task once it runs, decided by the workload before it is launched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fate {
    /// How long it runs; `None` = until the end of the run.
    pub runs_ms: Option<u64>,
    /// Whether it ends TASK_FAILED (else TASK_FINISHED).
    pub fails: bool,
}

/// Resource quantities the summary counts: cpus, mem, disk, gpus, ports.
pub const KINDS: [&str; 5] = ["cpus", "mem", "disk", "gpus", "ports"];

/// Quantities of [`KINDS`].
pub type Amounts = [f64; 5];

/// The amounts of [`KINDS`] in `r` (all roles; ports counted one by one).
pub fn amounts(r: &Resources) -> Amounts {
    let mut a = [0.0; 5];
    for res in r.iter() {
        let Some(i) = KINDS.iter().position(|k| *k == res.name) else { continue };
        a[i] += match &res.value {
            ResourceValue::Scalar(s) => s.to_f64(),
            ResourceValue::Ranges(x) => x.iter().map(|r| r.len() as f64).sum(),
            ResourceValue::Set(s) => s.len() as f64,
        };
    }
    a
}

/// One agent as the master keeps it.
#[derive(Debug, Clone)]
pub struct AgentState {
    /// Where it came from.
    pub spec: AgentSpec,
    /// Its total now (RESERVE and CREATE change it).
    pub total: Resources,
    /// Neither offered nor used.
    pub available: Resources,
    /// Used by tasks, as amounts (for utilisation).
    pub used: Amounts,
    /// Its total, as amounts.
    pub size: Amounts,
    /// Outstanding offers.
    pub offered: usize,
    /// Live tasks.
    pub tasks: usize,
    /// Refuse filters: the refused resources and when the filter ends.
    filters: Vec<(Resources, u64)>,
    /// A maintenance window, if scheduled.
    pub unavailability: Option<Unavailability>,
    /// Lost: no longer offered, its tasks gone.
    pub gone: bool,
}

/// The master's side of one task.
#[derive(Debug, Clone)]
struct TaskState {
    agent: usize,
    resources: Resources,
    used: Amounts,
    state: &'static str,
    fate: Fate,
    /// Updates not yet sent (state, reason, message).
    queue: VecDeque<(&'static str, Option<&'static str>, String)>,
    /// The update sent and not yet acknowledged: its uuid number and the next retry delay.
    inflight: Option<(u64, u64, MasterEvent)>,
}

impl TaskState {
    fn terminal(&self) -> bool {
        is_terminal(self.state)
    }
}

/// True for Mesos' terminal task states.
pub fn is_terminal(state: &str) -> bool {
    matches!(
        state,
        "TASK_FINISHED"
            | "TASK_FAILED"
            | "TASK_KILLED"
            | "TASK_ERROR"
            | "TASK_LOST"
            | "TASK_DROPPED"
            | "TASK_GONE"
            | "TASK_GONE_BY_OPERATOR"
    )
}

/// One outstanding offer.
#[derive(Debug, Clone)]
struct OfferState {
    agent: usize,
    resources: Resources,
}

/// Counters the summary reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MasterStats {
    /// Offers sent.
    pub offers: u64,
    /// OFFERS events sent (allocation rounds that offered something).
    pub offer_events: u64,
    /// Offers named in an ACCEPT.
    pub accepted: u64,
    /// Offers named in a DECLINE.
    pub declined: u64,
    /// Offers rescinded (offer timeout).
    pub rescinded: u64,
    /// REVIVE calls.
    pub revives: u64,
    /// SUPPRESS calls.
    pub suppresses: u64,
    /// Tasks launched.
    pub launched: u64,
    /// Tasks that ended TASK_FINISHED.
    pub finished: u64,
    /// Tasks that ended TASK_FAILED.
    pub failed: u64,
    /// Tasks killed by a KILL call.
    pub killed: u64,
    /// Launches refused (invalid offers: TASK_DROPPED / TASK_LOST; bad tasks: TASK_ERROR).
    pub refused: u64,
    /// Status updates sent (retries included).
    pub updates: u64,
    /// Updates resent because no acknowledgement came.
    pub retries: u64,
    /// ACKNOWLEDGE calls that matched an update.
    pub acks: u64,
    /// RECONCILE calls.
    pub reconciles: u64,
    /// Inverse offers sent.
    pub inverse_offers: u64,
    /// Agents lost.
    pub agents_lost: u64,
    /// Tasks gone with a lost agent.
    pub lost: u64,
    /// Every call received, by type.
    pub calls: u64,
}

/// The simulated master.
#[derive(Debug)]
pub struct Master {
    cfg: MasterConfig,
    /// The agents, in cluster order.
    pub agents: Vec<AgentState>,
    agent_ix: HashMap<String, usize>,
    offers: HashMap<String, OfferState>,
    next_offer: u64,
    next_uuid: u64,
    framework_id: Option<String>,
    role: String,
    partition_aware: bool,
    suppressed: bool,
    tasks: HashMap<String, TaskState>,
    fates: HashMap<String, Fate>,
    candidates: BTreeSet<usize>,
    allocate_at: Option<u64>,
    timers: Vec<(u64, Timer)>,
    events: Vec<MasterEvent>,
    /// Counters.
    pub stats: MasterStats,
    /// Protocol violations by the scheduler, by kind (what a real master would refuse or log).
    pub violations: std::collections::BTreeMap<String, u64>,
    /// Used amounts over all agents.
    pub used: Amounts,
    /// Total amounts over all agents.
    pub size: Amounts,
    /// Agents with at least one refuse filter (what REVIVE clears).
    filtered: BTreeSet<usize>,
    live: usize,
    now: u64,
}

impl Master {
    /// A master over these agents; nothing is subscribed yet.
    pub fn new(cfg: MasterConfig, agents: &[AgentSpec]) -> Master {
        let mut m = Master {
            cfg,
            agents: Vec::with_capacity(agents.len()),
            agent_ix: HashMap::with_capacity(agents.len()),
            offers: HashMap::new(),
            next_offer: 0,
            next_uuid: 0,
            framework_id: None,
            role: "*".into(),
            partition_aware: false,
            suppressed: false,
            tasks: HashMap::new(),
            fates: HashMap::new(),
            candidates: BTreeSet::new(),
            allocate_at: None,
            timers: Vec::new(),
            events: Vec::new(),
            stats: MasterStats::default(),
            violations: std::collections::BTreeMap::new(),
            used: [0.0; 5],
            size: [0.0; 5],
            filtered: BTreeSet::new(),
            live: 0,
            now: 0,
        };
        for (i, spec) in agents.iter().enumerate() {
            let size = amounts(&spec.resources);
            for (s, x) in m.size.iter_mut().zip(size) {
                *s += x;
            }
            m.agent_ix.insert(spec.id.clone(), i);
            m.agents.push(AgentState {
                spec: spec.clone(),
                total: spec.resources.clone(),
                available: spec.resources.clone(),
                used: [0.0; 5],
                size,
                offered: 0,
                tasks: 0,
                filters: Vec::new(),
                unavailability: None,
                gone: false,
            });
            m.candidates.insert(i);
        }
        m
    }

    /// Schedules a maintenance window on agent `i` from `start_ms` (for `duration_ms`, or for
    /// good): offers from it carry the unavailability, and an inverse offer goes out at its start
    /// (`Master::updateUnavailability`, `HierarchicalAllocatorProcess::updateUnavailability`).
    pub fn schedule_maintenance(&mut self, i: usize, start_ms: u64, duration_ms: Option<u64>) {
        let ns =
            |ms: u64| (self.cfg.epoch_s as i64).saturating_mul(1_000_000_000).saturating_add(ms as i64 * 1_000_000);
        let start_ns = ns(start_ms);
        let duration_ns = duration_ms.map(|d| d as i64 * 1_000_000);
        if let Some(a) = self.agents.get_mut(i) {
            a.unavailability = Some(Unavailability { start_ns, duration_ns });
            self.timers.push((start_ms, Timer::Maintenance(i)));
        }
    }

    /// Loses agent `i` at `at_ms`: see [`Timer::AgentLost`].
    pub fn schedule_loss(&mut self, i: usize, at_ms: u64) {
        self.timers.push((at_ms, Timer::AgentLost(i)));
    }

    /// An agent is lost for good and the operator marks it gone (`Master::markGone`): its
    /// outstanding offers are rescinded, its tasks end TASK_GONE_BY_OPERATOR (TASK_LOST for a
    /// framework that is not partition-aware), from the master, and its capacity leaves the
    /// cluster.
    fn lose_agent(&mut self, i: usize) {
        let Some(a) = self.agents.get_mut(i).filter(|a| !a.gone) else { return };
        a.gone = true;
        let size = a.size;
        let agent_id = a.spec.id.clone();
        for (s, x) in self.size.iter_mut().zip(size) {
            *s -= x;
        }
        self.stats.agents_lost += 1;
        let mut offers: Vec<String> =
            self.offers.iter().filter(|(_, o)| o.agent == i).map(|(k, _)| k.clone()).collect();
        offers.sort();
        for id in offers {
            self.offers.remove(&id);
            self.stats.rescinded += 1;
            self.events.push(MasterEvent::plain(Event::Rescind { offer_id: id }));
        }
        let mut tasks: Vec<String> =
            self.tasks.iter().filter(|(_, t)| t.agent == i && !t.terminal()).map(|(k, _)| k.clone()).collect();
        tasks.sort();
        let state = if self.partition_aware { "TASK_GONE_BY_OPERATOR" } else { "TASK_LOST" };
        for id in tasks {
            let Some(t) = self.tasks.remove(&id) else { continue };
            self.live = self.live.saturating_sub(1);
            for (u, x) in self.used.iter_mut().zip(t.used) {
                *u -= x;
            }
            self.stats.lost += 1;
            let ev = update_event(
                &id,
                &agent_id,
                state,
                Some("REASON_AGENT_REMOVED"),
                "SOURCE_MASTER",
                "Agent removed",
                None,
                self.unix(self.now),
            );
            self.events.push(ev);
        }
        if let Some(a) = self.agents.get_mut(i) {
            a.used = [0.0; 5];
            a.tasks = 0;
            a.offered = 0;
            a.available = Resources::new();
            a.filters.clear();
        }
        self.candidates.remove(&i);
        self.filtered.remove(&i);
    }

    /// Tells the master what will happen to `task_id` once it runs.
    pub fn expect(&mut self, task_id: &str, fate: Fate) {
        self.fates.insert(task_id.to_owned(), fate);
    }

    /// Timers set since the last call, to be queued by the runner.
    pub fn take_timers(&mut self) -> Vec<(u64, Timer)> {
        std::mem::take(&mut self.timers)
    }

    /// Events for the scheduler since the last call, in order.
    pub fn take_events(&mut self) -> Vec<MasterEvent> {
        std::mem::take(&mut self.events)
    }

    /// Seconds since the Unix epoch at simulated `ms`.
    pub fn unix(&self, ms: u64) -> f64 {
        self.cfg.epoch_s as f64 + ms as f64 / 1000.0
    }

    fn violation(&mut self, kind: &str) {
        *self.violations.entry(kind.to_owned()).or_insert(0) += 1;
    }

    /// An allocation at the next interval boundary (or now), unless one is already due.
    fn want_allocation(&mut self, now: bool) {
        let iv = self.cfg.allocation_interval_ms.max(1);
        let at = if now { self.now } else { (self.now / iv + 1) * iv };
        if self.allocate_at.is_some_and(|t| t <= at) {
            return;
        }
        self.allocate_at = Some(at);
        self.timers.push((at, Timer::Allocate));
    }

    /// Agent `i`'s free resources changed: it may be offered again.
    fn touch(&mut self, i: usize) {
        self.candidates.insert(i);
        if self.framework_id.is_some() && !self.suppressed {
            self.want_allocation(false);
        }
    }

    /// Handles one timer that came due at `now`.
    pub fn on_timer(&mut self, now: u64, timer: Timer) {
        self.now = now;
        match timer {
            Timer::Allocate => {
                if self.allocate_at == Some(now) {
                    self.allocate_at = None;
                    self.allocate();
                }
            }
            Timer::FilterExpire(i) => {
                if let Some(a) = self.agents.get_mut(i) {
                    let before = a.filters.len();
                    a.filters.retain(|(_, until)| *until > now);
                    if a.filters.is_empty() {
                        self.filtered.remove(&i);
                    }
                    if a.filters.len() != before {
                        self.touch(i);
                    }
                }
            }
            Timer::OfferTimeout(id) => {
                // `Master::offerTimeout` → `rescindOffer`: the resources go back without a filter.
                if self.offers.contains_key(&id) {
                    self.stats.rescinded += 1;
                    self.events.push(MasterEvent::plain(Event::Rescind { offer_id: id.clone() }));
                    self.discard_offer(&id);
                }
            }
            Timer::Running(id) => {
                let Some(t) = self.tasks.get_mut(&id) else { return };
                if t.state != "TASK_STAGING" {
                    return;
                }
                t.state = "TASK_RUNNING";
                let fate = t.fate;
                self.queue_update(&id, "TASK_RUNNING", None, String::new());
                if let Some(d) = fate.runs_ms {
                    self.timers.push((now.saturating_add(d), Timer::End(id)));
                }
            }
            Timer::End(id) => {
                let Some(t) = self.tasks.get(&id) else { return };
                if t.terminal() {
                    return;
                }
                let (state, reason) = if t.fate.fails {
                    self.stats.failed += 1;
                    ("TASK_FAILED", Some("REASON_COMMAND_EXECUTOR_FAILED"))
                } else {
                    self.stats.finished += 1;
                    ("TASK_FINISHED", None)
                };
                self.end_task(&id, state, reason, String::new());
            }
            Timer::Retry(id, uuid) => {
                let Some(t) = self.tasks.get_mut(&id) else { return };
                let Some((u, delay, event)) = &mut t.inflight else { return };
                if *u != uuid {
                    return;
                }
                let next = (*delay * 2).min(RETRY_MAX_MS);
                let at = now.saturating_add(*delay);
                *delay = next;
                let ev = event.clone();
                self.events.push(ev);
                self.stats.updates += 1;
                self.stats.retries += 1;
                self.timers.push((at, Timer::Retry(id, uuid)));
            }
            Timer::AgentLost(i) => self.lose_agent(i),
            Timer::Maintenance(i) => {
                let Some(a) = self.agents.get(i) else { return };
                let Some(fid) = self.framework_id.clone() else { return };
                let u = a.unavailability.unwrap_or(Unavailability { start_ns: 0, duration_ns: None });
                self.stats.inverse_offers += 1;
                let id = format!("I{}", self.stats.inverse_offers);
                let agent_id = Some(a.spec.id.clone());
                self.events.push(MasterEvent {
                    event: Event::InverseOffers(vec![InverseOffer { id, agent_id }]),
                    extra: Extra::Inverse { framework_id: fid, unavailability: u },
                });
            }
        }
    }

    /// One allocation round: every candidate agent whose free resources are allocatable and
    /// not filtered is offered in full, all offers in one OFFERS event
    /// (`HierarchicalAllocatorProcess::__allocate`, then `Master::offer`).
    fn allocate(&mut self) {
        let Some(fid) = self.framework_id.clone() else { return };
        if self.suppressed {
            // A suppressed framework is deactivated in the sorter: it gets no offers
            // (`HierarchicalAllocatorProcess::suppressRoles`).
            return;
        }
        let candidates = std::mem::take(&mut self.candidates);
        let mut offers = Vec::new();
        for i in candidates {
            let role = self.role.clone();
            let Some(a) = self.agents.get_mut(i).filter(|a| !a.gone) else { continue };
            let to_offer = a.available.allocatable_to(&role);
            let q = amounts(&to_offer);
            if q[0] < MIN_CPUS && q[1] < MIN_MEM {
                continue;
            }
            // `isFiltered`: a refuse filter holds while the refused resources contain what
            // would be offered now; more (a task ended) passes it.
            if a.filters.iter().any(|(refused, _)| refused.contains(&to_offer)) {
                continue;
            }
            a.available = a.available.saturating_sub(&to_offer);
            a.offered += 1;
            self.next_offer += 1;
            let id = format!("O{}", self.next_offer);
            let mut o = Offer::new(id.clone(), a.spec.id.clone(), a.spec.hostname.clone());
            o.framework_id = Some(fid.clone());
            o.resources = to_offer.clone();
            o.attributes = a.spec.attributes.clone();
            o.region = a.spec.region.clone();
            o.zone = a.spec.zone.clone();
            o.unavailability = a.unavailability;
            offers.push(o);
            self.offers.insert(id.clone(), OfferState { agent: i, resources: to_offer });
            if let Some(t) = self.cfg.offer_timeout_ms {
                self.timers.push((self.now.saturating_add(t), Timer::OfferTimeout(id)));
            }
        }
        if !offers.is_empty() {
            self.stats.offers += offers.len() as u64;
            self.stats.offer_events += 1;
            self.events.push(MasterEvent::plain(Event::Offers { offers, unreadable: Vec::new() }));
        }
    }

    /// Gives an offer's resources back, with a refuse filter of `refuse_ms` when given
    /// (`HierarchicalAllocatorProcess::recoverResources`).
    fn recover(&mut self, agent: usize, resources: &Resources, refuse_ms: Option<u64>) {
        let now = self.now;
        let iv = self.cfg.allocation_interval_ms;
        let Some(a) = self.agents.get_mut(agent).filter(|a| !a.gone) else { return };
        a.available = a.available.add(resources);
        if let Some(ms) = refuse_ms.filter(|ms| *ms > 0) {
            // The filter outlives at least one allocation interval (MESOS-4302).
            let until = now.saturating_add(ms.min(MAX_REFUSE_MS).max(iv));
            a.filters.push((resources.clone(), until));
            self.filtered.insert(agent);
            self.timers.push((until, Timer::FilterExpire(agent)));
        }
        self.touch(agent);
    }

    /// Removes an offer and gives its resources back without a filter (`Master::discardOffer`).
    fn discard_offer(&mut self, id: &str) {
        if let Some(o) = self.offers.remove(id) {
            if let Some(a) = self.agents.get_mut(o.agent) {
                a.offered = a.offered.saturating_sub(1);
            }
            self.recover(o.agent, &o.resources, None);
        }
    }

    /// Handles one call of the scheduler at `now`: its JSON text, as it would be POSTed (read
    /// into the few fields the master looks at, never into a JSON tree; a call that is not
    /// such JSON is a violation).
    pub fn call(&mut self, now: u64, text: &str) {
        self.now = now;
        self.stats.calls += 1;
        let call: CallIn = match serde_json::from_str(text) {
            Ok(c) => c,
            Err(_) => return self.violation("malformed call (not a v1 Call in JSON)"),
        };
        let kind = call.kind.as_str();
        if kind != "SUBSCRIBE" {
            let fid = call.framework_id.as_ref().and_then(|i| i.value.as_deref());
            match (&self.framework_id, fid) {
                (None, _) => return self.violation("call before SUBSCRIBED"),
                (Some(_), None) => return self.violation("call without framework_id"),
                (Some(a), Some(b)) if a != b => return self.violation("call with another framework_id"),
                _ => {}
            }
        }
        match kind {
            "SUBSCRIBE" => self.subscribe(call.subscribe.unwrap_or_default()),
            "ACCEPT" => self.accept(call.accept.unwrap_or_default()),
            "DECLINE" => {
                let d = call.decline.unwrap_or_default();
                let refuse = refuse_ms(d.filters.as_ref());
                for id in ids(&d.offer_ids) {
                    match self.offers.remove(id) {
                        Some(o) => {
                            self.stats.declined += 1;
                            if let Some(a) = self.agents.get_mut(o.agent) {
                                a.offered = a.offered.saturating_sub(1);
                            }
                            self.recover(o.agent, &o.resources, Some(refuse));
                        }
                        None => self.violation("DECLINE of an offer that is not outstanding"),
                    }
                }
            }
            "REVIVE" => {
                // `reviveRoles`: filters are cleared, the framework is active again, and
                // `generateOffers` allocates at once.
                self.stats.revives += 1;
                self.suppressed = false;
                for i in std::mem::take(&mut self.filtered) {
                    if let Some(a) = self.agents.get_mut(i) {
                        a.filters.clear();
                        self.candidates.insert(i);
                    }
                }
                self.want_allocation(true);
            }
            "SUPPRESS" => {
                self.stats.suppresses += 1;
                self.suppressed = true;
            }
            "KILL" => {
                let k = call.kill.unwrap_or_default();
                let id = value_of(&k.task_id).to_owned();
                match self.tasks.get(&id) {
                    Some(t) if !t.terminal() => {
                        self.stats.killed += 1;
                        self.end_task(
                            &id,
                            "TASK_KILLED",
                            Some("REASON_TASK_KILLED_DURING_LAUNCH").filter(|_| t.state == "TASK_STAGING"),
                            String::new(),
                        );
                    }
                    Some(_) => {}
                    None => {
                        // `Master::kill` of an unknown task answers as reconciliation would.
                        let agent = k.agent_id.as_ref().and_then(|a| a.value.as_deref());
                        self.reconcile_unknown(&id, agent);
                    }
                }
            }
            "ACKNOWLEDGE" => {
                let a = call.acknowledge.unwrap_or_default();
                let uuid = a.uuid.as_deref().and_then(decode_uuid);
                self.acknowledge(value_of(&a.task_id), uuid);
            }
            "RECONCILE" => {
                self.stats.reconciles += 1;
                let list = call.reconcile.unwrap_or_default().tasks;
                if list.is_empty() {
                    // Implicit: the latest state of every task the master knows.
                    let mut ids: Vec<String> = self.tasks.keys().cloned().collect();
                    ids.sort();
                    for id in ids {
                        self.reconcile_known(&id);
                    }
                } else {
                    for t in list {
                        let id = value_of(&t.task_id);
                        if self.tasks.contains_key(id) {
                            self.reconcile_known(id);
                        } else {
                            let agent = t.agent_id.as_ref().and_then(|a| a.value.as_deref());
                            self.reconcile_unknown(id, agent);
                        }
                    }
                }
            }
            "ACCEPT_INVERSE_OFFERS"
            | "DECLINE_INVERSE_OFFERS"
            | "ACKNOWLEDGE_OPERATION_STATUS"
            | "MESSAGE"
            | "UPDATE_FRAMEWORK"
            | "REQUEST"
            | "SHUTDOWN" => {}
            "TEARDOWN" => {
                let ids: Vec<String> =
                    self.tasks.iter().filter(|(_, t)| !t.terminal()).map(|(k, _)| k.clone()).collect();
                for id in ids {
                    self.end_task(&id, "TASK_KILLED", None, String::new());
                }
                self.framework_id = None;
            }
            other => self.violation(&format!("unknown call type `{other}`")),
        }
    }

    /// [`Master::call`] with a JSON value (tests write calls with `json!`).
    #[cfg(test)]
    pub fn call_json(&mut self, now: u64, call: &Json) {
        self.call(now, &call.to_string());
    }

    fn subscribe(&mut self, s: SubscribeIn) {
        let info = s.framework_info.unwrap_or_default();
        let given = info.id.and_then(|i| i.value);
        let fid = given.or_else(|| self.framework_id.clone()).unwrap_or_else(|| "sim-framework-0001".to_owned());
        self.role = info.roles.and_then(|r| r.into_iter().next()).or(info.role).unwrap_or_else(|| "*".to_owned());
        // Capabilities are `{"type": …}` objects; anything else names none.
        self.partition_aware =
            info.capabilities.iter().any(|x| x.get("type").and_then(Json::as_str) == Some("PARTITION_AWARE"));
        self.suppressed = !s.suppressed_roles.is_empty();
        // A (re)subscription starts from no outstanding offers: they are rescinded.
        let mut outstanding: Vec<String> = self.offers.keys().cloned().collect();
        outstanding.sort();
        for id in outstanding {
            self.discard_offer(&id);
        }
        self.framework_id = Some(fid.clone());
        self.events.push(MasterEvent::plain(Event::Subscribed { framework_id: fid }));
        // Unacknowledged updates are resent on the new connection.
        let mut pending: Vec<String> =
            self.tasks.iter().filter(|(_, t)| t.inflight.is_some()).map(|(k, _)| k.clone()).collect();
        pending.sort();
        for id in pending {
            if let Some((_, _, ev)) = self.tasks.get(&id).and_then(|t| t.inflight.clone()) {
                self.events.push(ev);
            }
        }
        self.want_allocation(true);
    }

    /// ACCEPT (`Master::accept`): invalid offers drop every launch (TASK_DROPPED for a
    /// partition-aware framework, else TASK_LOST, REASON_INVALID_OFFERS, from the master, no
    /// uuid) and give the valid offers back without a filter; valid ones apply RESERVE, CREATE
    /// and LAUNCH in order, and what is left comes back with the call's refuse filter.
    fn accept(&mut self, a: AcceptIn) {
        let offer_ids: Vec<String> = ids(&a.offer_ids).map(str::to_owned).collect();
        let ops = a.operations;
        let agents: BTreeSet<usize> = offer_ids.iter().filter_map(|id| self.offers.get(id)).map(|o| o.agent).collect();
        let invalid = if offer_ids.is_empty() {
            Some("no offers")
        } else if offer_ids.iter().any(|id| !self.offers.contains_key(id)) {
            Some("an offer that is not outstanding")
        } else if agents.len() > 1 {
            Some("offers from several agents")
        } else {
            let mut seen = BTreeSet::new();
            offer_ids.iter().any(|id| !seen.insert(id)).then_some("an offer named twice")
        };
        if let Some(why) = invalid {
            self.violation(&format!("ACCEPT with {why}"));
            for id in &offer_ids {
                self.discard_offer(id);
            }
            let state = if self.partition_aware { "TASK_DROPPED" } else { "TASK_LOST" };
            for op in &ops {
                for t in op.launch.iter().flat_map(|l| &l.task_infos) {
                    self.stats.refused += 1;
                    self.events.push(update_event(
                        value_of(&t.task_id),
                        value_of(&t.agent_id),
                        state,
                        Some("REASON_INVALID_OFFERS"),
                        "SOURCE_MASTER",
                        &format!("Task launched with invalid offers: {why}"),
                        None,
                        self.unix(self.now),
                    ));
                }
            }
            return;
        }
        let Some(&agent) = agents.iter().next() else { return };
        let mut pool = Resources::new();
        for id in &offer_ids {
            self.stats.accepted += 1;
            if let Some(o) = self.offers.remove(id) {
                pool = pool.add(&o.resources);
            }
            if let Some(ag) = self.agents.get_mut(agent) {
                ag.offered = ag.offered.saturating_sub(1);
            }
        }
        for op in ops {
            let OpIn { kind, launch, reserve, unreserve, create, destroy } = op;
            match kind.as_str() {
                "LAUNCH" => {
                    for info in launch.map(|l| l.task_infos).unwrap_or_default() {
                        self.launch(agent, info, &mut pool);
                    }
                }
                kind @ ("RESERVE" | "CREATE" | "UNRESERVE" | "DESTROY") => {
                    // RESERVE / UNRESERVE name `resources`, CREATE / DESTROY name `volumes`.
                    let field = match kind {
                        "RESERVE" => reserve.and_then(|r| r.resources),
                        "UNRESERVE" => unreserve.and_then(|r| r.resources),
                        "CREATE" => create.and_then(|r| r.volumes),
                        _ => destroy.and_then(|r| r.volumes),
                    };
                    let res = field.map(|r| resources_from_json_text(r.get(), "/resources"));
                    let Some(Ok(res)) = res else {
                        self.violation(&format!("{kind} with malformed resources"));
                        continue;
                    };
                    let res = strip_allocation(&res);
                    let source = match kind {
                        "RESERVE" => pop_reservation(&res),
                        "CREATE" => without_persistence(&res),
                        _ => res.clone(),
                    };
                    let (from, to) = match kind {
                        "RESERVE" | "CREATE" => (source, res),
                        "UNRESERVE" => (res.clone(), pop_reservation(&res)),
                        _ => (res.clone(), without_persistence(&res)),
                    };
                    if !pool.contains(&from) {
                        self.violation(&format!("{kind} of resources the offers do not hold"));
                        continue;
                    }
                    pool = pool.saturating_sub(&from).add(&to);
                    if let Some(ag) = self.agents.get_mut(agent) {
                        ag.total = ag.total.saturating_sub(&from).add(&to);
                    }
                }
                other => self.violation(&format!("unsupported operation `{other}`")),
            }
        }
        let refuse = refuse_ms(a.filters.as_ref());
        self.recover(agent, &pool, Some(refuse));
    }

    fn launch(&mut self, agent: usize, info: TaskInfoIn, pool: &mut Resources) {
        let id = value_of(&info.task_id).to_owned();
        let agent_id = self.agents.get(agent).map(|a| a.spec.id.clone()).unwrap_or_default();
        let res = info.resources.map(|r| resources_from_json_text(r.get(), "/resources"));
        let error = match (&res, self.tasks.get(&id)) {
            _ if id.is_empty() => Some("a task without an id"),
            (_, Some(t)) if !t.terminal() => Some("a task id that is already live"),
            (None | Some(Err(_)), _) => Some("malformed resources"),
            (Some(Ok(r)), _) if !pool.contains(&strip_allocation(r)) => Some("resources the offers do not hold"),
            _ => None,
        };
        if let Some(why) = error {
            self.violation(&format!("LAUNCH of {why}"));
            self.stats.refused += 1;
            self.events.push(update_event(
                &id,
                &agent_id,
                "TASK_ERROR",
                Some("REASON_TASK_INVALID"),
                "SOURCE_MASTER",
                &format!("Task uses {why}"),
                None,
                self.unix(self.now),
            ));
            return;
        }
        let Some(Ok(r)) = res else { return };
        let r = strip_allocation(&r);
        *pool = pool.saturating_sub(&r);
        let used = amounts(&r);
        if let Some(a) = self.agents.get_mut(agent) {
            a.tasks += 1;
            for (u, x) in a.used.iter_mut().zip(used) {
                *u += x;
            }
        }
        for (u, x) in self.used.iter_mut().zip(used) {
            *u += x;
        }
        self.stats.launched += 1;
        self.live += 1;
        let fate = self.fates.remove(&id).unwrap_or_default();
        self.tasks.insert(
            id.clone(),
            TaskState {
                agent,
                resources: r,
                used,
                state: "TASK_STAGING",
                fate,
                queue: VecDeque::new(),
                inflight: None,
            },
        );
        self.timers.push((self.now.saturating_add(self.cfg.launch_ms), Timer::Running(id)));
    }

    /// A task ends: its resources come back (no filter) and the update is queued.
    fn end_task(&mut self, id: &str, state: &'static str, reason: Option<&'static str>, message: String) {
        let Some(t) = self.tasks.get_mut(id) else { return };
        t.state = state;
        self.live = self.live.saturating_sub(1);
        let (agent, resources, used) = (t.agent, t.resources.clone(), t.used);
        if let Some(a) = self.agents.get_mut(agent) {
            a.tasks = a.tasks.saturating_sub(1);
            for (u, x) in a.used.iter_mut().zip(used) {
                *u -= x;
            }
        }
        for (u, x) in self.used.iter_mut().zip(used) {
            *u -= x;
        }
        self.recover(agent, &resources, None);
        self.queue_update(id, state, reason, message);
    }

    /// Queues a status update from the agent; the agent sends one at a time per task and the
    /// next only after the previous is acknowledged (`TaskStatusUpdateManager`).
    fn queue_update(&mut self, id: &str, state: &'static str, reason: Option<&'static str>, message: String) {
        if let Some(t) = self.tasks.get_mut(id) {
            t.queue.push_back((state, reason, message));
        }
        self.send_next(id);
    }

    fn send_next(&mut self, id: &str) {
        let now = self.unix(self.now);
        let Some(t) = self.tasks.get(id) else { return };
        if t.inflight.is_some() {
            return;
        }
        let agent_id = self.agents.get(t.agent).map(|a| a.spec.id.clone()).unwrap_or_default();
        let Some(t) = self.tasks.get_mut(id) else { return };
        let Some((state, reason, message)) = t.queue.pop_front() else { return };
        self.next_uuid += 1;
        let uuid = self.next_uuid;
        let ev = update_event(id, &agent_id, state, reason, "SOURCE_EXECUTOR", &message, Some(uuid), now);
        t.inflight = Some((uuid, RETRY_MIN_MS * 2, ev.clone()));
        self.events.push(ev);
        self.stats.updates += 1;
        self.timers.push((self.now.saturating_add(RETRY_MIN_MS), Timer::Retry(id.to_owned(), uuid)));
    }

    fn acknowledge(&mut self, id: &str, uuid: Option<u64>) {
        let Some(t) = self.tasks.get_mut(id) else { return };
        match (&t.inflight, uuid) {
            (Some((u, _, _)), Some(got)) if *u == got => {
                t.inflight = None;
                self.stats.acks += 1;
                if t.queue.is_empty() && t.terminal() {
                    // An acknowledged terminal update ends the master's memory of the task.
                    self.tasks.remove(id);
                } else {
                    self.send_next(id);
                }
            }
            _ => {}
        }
    }

    fn reconcile_known(&mut self, id: &str) {
        let Some(t) = self.tasks.get(id) else { return };
        let agent = self.agents.get(t.agent).map(|a| a.spec.id.clone()).unwrap_or_default();
        let ev = update_event(
            id,
            &agent,
            t.state,
            Some("REASON_RECONCILIATION"),
            "SOURCE_MASTER",
            "Reconciliation: Latest task state",
            None,
            self.unix(self.now),
        );
        self.events.push(ev);
    }

    /// `Master::reconcile` for a task it does not know: TASK_GONE when the named agent is
    /// registered, TASK_UNKNOWN otherwise (TASK_LOST for a framework that is not
    /// partition-aware).
    fn reconcile_unknown(&mut self, id: &str, agent: Option<&str>) {
        let known_agent = agent.is_some_and(|a| self.agent_ix.contains_key(a));
        let state = match (self.partition_aware, known_agent) {
            (false, _) => "TASK_LOST",
            (true, true) => "TASK_GONE",
            (true, false) => "TASK_UNKNOWN",
        };
        let ev = update_event(
            id,
            agent.unwrap_or(""),
            state,
            Some("REASON_RECONCILIATION"),
            "SOURCE_MASTER",
            "Reconciliation: Task is unknown",
            None,
            self.unix(self.now),
        );
        self.events.push(ev);
    }

    /// Tasks the master holds as live (staging or running).
    pub fn live_tasks(&self) -> usize {
        self.live
    }

    /// Outstanding offers.
    pub fn outstanding_offers(&self) -> usize {
        self.offers.len()
    }
}

/// The `value`s of a list of ids, skipping ids without one.
fn ids(v: &[IdIn]) -> impl Iterator<Item = &str> {
    v.iter().filter_map(|x| x.value.as_deref())
}

/// An id's `value`, empty when there is none.
fn value_of(id: &Option<IdIn>) -> &str {
    id.as_ref().and_then(|i| i.value.as_deref()).unwrap_or("")
}

fn refuse_ms(filters: Option<&FiltersIn>) -> u64 {
    match filters.and_then(|f| f.refuse_seconds) {
        // Negative or invalid values fall back to the default (`recoverResources`).
        Some(s) if s.is_finite() && s >= 0.0 => (s * 1000.0).round() as u64,
        _ => DEFAULT_REFUSE_MS,
    }
}

// The parts of a v1 scheduler `Call` (scheduler.proto) the master reads; unknown fields are
// skipped unread, a missing field is its default.

/// A `Call`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CallIn {
    #[serde(rename = "type")]
    kind: String,
    framework_id: Option<IdIn>,
    subscribe: Option<SubscribeIn>,
    accept: Option<AcceptIn>,
    decline: Option<DeclineIn>,
    kill: Option<KillIn>,
    acknowledge: Option<AckIn>,
    reconcile: Option<ReconcileIn>,
}

/// An id message (`{"value": …}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IdIn {
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SubscribeIn {
    framework_info: Option<FrameworkInfoIn>,
    suppressed_roles: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FrameworkInfoIn {
    id: Option<IdIn>,
    roles: Option<Vec<String>>,
    role: Option<String>,
    /// Kept as values: a config's plain names (not `{"type": …}`) name no capability.
    capabilities: Vec<Json>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FiltersIn {
    refuse_seconds: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AcceptIn {
    offer_ids: Vec<IdIn>,
    operations: Vec<OpIn>,
    filters: Option<FiltersIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeclineIn {
    offer_ids: Vec<IdIn>,
    filters: Option<FiltersIn>,
}

/// An `Offer.Operation`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OpIn {
    #[serde(rename = "type")]
    kind: String,
    launch: Option<LaunchIn>,
    reserve: Option<ResourcesIn>,
    unreserve: Option<ResourcesIn>,
    create: Option<VolumesIn>,
    destroy: Option<VolumesIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LaunchIn {
    task_infos: Vec<TaskInfoIn>,
}

/// A `TaskInfo`: its resources stay JSON text (any JSON value, `null` being none) for the
/// library's Mesos resource reader, which reads them without a `Value` tree.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TaskInfoIn {
    task_id: Option<IdIn>,
    agent_id: Option<IdIn>,
    resources: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResourcesIn {
    resources: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VolumesIn {
    volumes: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct KillIn {
    task_id: Option<IdIn>,
    agent_id: Option<IdIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AckIn {
    task_id: Option<IdIn>,
    uuid: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReconcileIn {
    tasks: Vec<ReconcileTaskIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReconcileTaskIn {
    task_id: Option<IdIn>,
    agent_id: Option<IdIn>,
}

/// One event the master sends: the session's typed [`Event`] (what the scheduler is handed
/// on the typed wire) and what only its JSON form carries.
#[derive(Debug, Clone, PartialEq)]
pub struct MasterEvent {
    /// The event.
    pub event: Event,
    /// Fields of the JSON form the typed event does not hold.
    pub extra: Extra,
}

/// See [`MasterEvent::extra`].
#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    /// Nothing more.
    None,
    /// An `UPDATE`'s `status.source` and `status.timestamp` (Unix seconds).
    Status {
        /// `SOURCE_MASTER` or `SOURCE_EXECUTOR`.
        source: &'static str,
        /// When the update was made.
        timestamp: f64,
    },
    /// An inverse offer's framework and maintenance window.
    Inverse {
        /// The framework asked.
        framework_id: String,
        /// The window.
        unavailability: Unavailability,
    },
}

impl MasterEvent {
    fn plain(event: Event) -> MasterEvent {
        MasterEvent { event, extra: Extra::None }
    }

    /// The event as the master's JSON (v1 `Event`, snake_case, ids as `{"value": …}`).
    pub fn to_json(&self) -> Json {
        match &self.event {
            Event::Subscribed { framework_id } => json!({"type": "SUBSCRIBED", "subscribed":
                {"framework_id": {"value": framework_id}, "heartbeat_interval_seconds": 15}}),
            Event::Offers { offers, .. } => {
                let list: Vec<Json> = offers.iter().map(offer_to_json).collect();
                json!({"type": "OFFERS", "offers": {"offers": list}})
            }
            Event::Rescind { offer_id } => json!({"type": "RESCIND", "rescind": {"offer_id": {"value": offer_id}}}),
            Event::InverseOffers(list) => {
                let list: Vec<Json> = list
                    .iter()
                    .map(|io| {
                        let mut x = json!({"id": {"value": io.id}});
                        if let Extra::Inverse { framework_id, unavailability: u } = &self.extra {
                            let mut unav = json!({"start": {"nanoseconds": u.start_ns}});
                            if let Some(d) = u.duration_ns {
                                unav["duration"] = json!({"nanoseconds": d});
                            }
                            x["framework_id"] = json!({"value": framework_id});
                            if let Some(a) = &io.agent_id {
                                x["agent_id"] = json!({"value": a});
                            }
                            x["unavailability"] = unav;
                        } else if let Some(a) = &io.agent_id {
                            x["agent_id"] = json!({"value": a});
                        }
                        x
                    })
                    .collect();
                json!({"type": "INVERSE_OFFERS", "inverse_offers": {"inverse_offers": list}})
            }
            Event::Update(st) => {
                let (source, timestamp) = match self.extra {
                    Extra::Status { source, timestamp } => (source, timestamp),
                    _ => ("SOURCE_MASTER", 0.0),
                };
                let mut s = json!({"task_id": {"value": st.task_id}, "state": st.state.as_str(), "source": source, "timestamp": timestamp});
                if let Some(a) = &st.agent_id {
                    s["agent_id"] = json!({"value": a});
                }
                if let Some(r) = &st.reason {
                    s["reason"] = json!(r);
                }
                if let Some(m) = &st.message {
                    s["message"] = json!(m);
                }
                if let Some(u) = &st.uuid {
                    s["uuid"] = json!(u);
                }
                json!({"type": "UPDATE", "update": {"status": s}})
            }
            other => json!({"type": format!("{other:?}")}),
        }
    }
}

/// Resources without `allocation_info` (the master tracks them unallocated).
fn strip_allocation(r: &Resources) -> Resources {
    if r.iter().all(|x| x.allocation_role.is_none()) {
        return r.clone();
    }
    r.iter()
        .cloned()
        .map(|mut x| {
            x.allocation_role = None;
            x
        })
        .collect()
}

/// What a RESERVE takes: the same resources one reservation down the stack.
fn pop_reservation(r: &Resources) -> Resources {
    r.iter()
        .cloned()
        .map(|mut x: Resource| {
            x.reservations.pop();
            x
        })
        .collect()
}

/// What a CREATE takes: the same disk without persistence and volume.
fn without_persistence(r: &Resources) -> Resources {
    r.iter()
        .cloned()
        .map(|mut x: Resource| {
            if let Some(d) = &mut x.disk {
                d.persistence = None;
                d.volume = None;
            }
            if x.disk.as_ref().is_some_and(|d| **d == offerfit::DiskInfo::default()) {
                x.disk = None;
            }
            x
        })
        .collect()
}

/// A v1 `UPDATE` event. The uuid (bytes, base64 in JSON) is there only when the update
/// must be acknowledged.
#[allow(clippy::too_many_arguments)]
fn update_event(
    id: &str,
    agent: &str,
    state: &str,
    reason: Option<&str>,
    source: &'static str,
    message: &str,
    uuid: Option<u64>,
    now: f64,
) -> MasterEvent {
    let status = TaskStatus {
        task_id: id.to_owned(),
        state: State::parse(state).unwrap_or(State::Unknown),
        reason: reason.map(str::to_owned),
        message: (!message.is_empty()).then(|| message.to_owned()),
        agent_id: (!agent.is_empty()).then(|| agent.to_owned()),
        uuid: uuid.map(encode_uuid),
    };
    MasterEvent { event: Event::Update(status), extra: Extra::Status { source, timestamp: now } }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A 16-byte uuid (version 4 layout, the counter in the last bytes) in base64, as Mesos' JSON
/// writes `bytes` fields.
pub fn encode_uuid(n: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[6] = 0x40;
    bytes[8] = 0x80;
    bytes[8..16].iter_mut().zip(n.to_be_bytes()).for_each(|(b, x)| *b |= x);
    let mut out = String::with_capacity(24);
    for chunk in bytes.chunks(3) {
        let v = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((v >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The value of one base64 digit ([`B64`]'s alphabet).
fn b64_digit(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The counter back from [`encode_uuid`]'s text; `None` for anything else (`=` is skipped
/// wherever it stands; the counter is bytes 8..16 of the decoded bytes, at least 16 of them).
pub fn decode_uuid(s: &str) -> Option<u64> {
    let mut bytes = [0u8; 16];
    let mut count = 0usize;
    let mut acc = 0u32;
    let mut n = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | b64_digit(c)?;
        n += 6;
        if n >= 8 {
            n -= 8;
            if let Some(b) = bytes.get_mut(count) {
                *b = (acc >> n) as u8;
            }
            count += 1;
            acc &= (1 << n) - 1;
        }
    }
    if count < 16 {
        return None;
    }
    let tail: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail) & !(0x80u64 << 56))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::inputs::Cluster;

    fn master(n: usize, res: &str) -> Master {
        let mut c = Cluster::default();
        c.add_template(&format!("{n} × \"{res}\" rack=r1..r2")).unwrap();
        Master::new(MasterConfig::default(), &c.agents)
    }

    fn json_events(m: &mut Master) -> Vec<Json> {
        m.take_events().iter().map(MasterEvent::to_json).collect()
    }

    fn subscribe(m: &mut Master) -> Vec<Json> {
        m.call_json(0, &json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "t", "roles": ["*"], "capabilities": [{"type": "PARTITION_AWARE"}]}}}));
        run_timers(m, 0)
    }

    thread_local! {
        /// Timers not yet due, kept between calls of [`run_timers`] (each test has its thread).
        static LATER: std::cell::RefCell<Vec<(u64, Timer)>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// Runs every timer due at or before `until`, in time order, returning the events; later
    /// timers are kept for the next call.
    fn run_timers(m: &mut Master, until: u64) -> Vec<Json> {
        let mut pending: Vec<(u64, Timer)> = LATER.with(|l| std::mem::take(&mut *l.borrow_mut()));
        let mut events = json_events(m);
        loop {
            pending.extend(m.take_timers());
            pending.sort();
            let Some(pos) = pending.iter().position(|(t, _)| *t <= until) else { break };
            let (t, timer) = pending.remove(pos);
            m.on_timer(t, timer);
            events.extend(json_events(m));
        }
        LATER.with(|l| *l.borrow_mut() = pending);
        events
    }

    fn offers(events: &[Json]) -> Vec<Json> {
        events
            .iter()
            .filter(|e| e["type"] == "OFFERS")
            .flat_map(|e| e["offers"]["offers"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    fn fid() -> Json {
        json!({"value": "sim-framework-0001"})
    }

    #[test]
    fn subscribing_brings_offers_of_every_agent() {
        let mut m = master(3, "cpus:4;mem:4096;ports:[31000-31009]");
        let ev = subscribe(&mut m);
        assert_eq!(ev[0]["type"], "SUBSCRIBED");
        let o = offers(&ev);
        assert_eq!(o.len(), 3);
        assert_eq!(o[0]["hostname"], "sim-00001");
        assert_eq!(o[0]["attributes"][0]["text"]["value"], "r1");
        assert_eq!(m.stats.offers, 3);
        // Nothing free is left: the next allocation offers nothing.
        assert!(offers(&run_timers(&mut m, 5_000)).is_empty());
    }

    #[test]
    fn no_call_before_subscribed_and_framework_id_required() {
        let mut m = master(1, "cpus:1;mem:64");
        m.call_json(0, &json!({"type": "REVIVE", "framework_id": fid()}));
        assert_eq!(m.violations.get("call before SUBSCRIBED"), Some(&1));
        subscribe(&mut m);
        m.call_json(0, &json!({"type": "REVIVE"}));
        assert_eq!(m.violations.get("call without framework_id"), Some(&1));
    }

    #[test]
    fn a_call_that_is_not_a_v1_call_is_a_violation_not_a_crash() {
        let mut m = master(1, "cpus:1;mem:64");
        subscribe(&mut m);
        m.call(0, "not json");
        m.call(
            0,
            r#"{"type": "DECLINE", "framework_id": {"value": "sim-framework-0001"}, "decline": {"offer_ids": "O1"}}"#,
        );
        assert_eq!(m.violations.get("malformed call (not a v1 Call in JSON)"), Some(&2));
        assert_eq!(m.outstanding_offers(), 1, "nothing changed");
    }

    #[test]
    fn decline_filters_the_agent_until_refuse_seconds_pass() {
        let mut m = master(1, "cpus:4;mem:4096");
        let o = offers(&subscribe(&mut m));
        m.call_json(100, &json!({"type": "DECLINE", "framework_id": fid(), "decline": {"offer_ids": [o[0]["id"]], "filters": {"refuse_seconds": 10}}}));
        assert!(offers(&run_timers(&mut m, 10_099)).is_empty(), "filtered for 10 s");
        let again = offers(&run_timers(&mut m, 11_000));
        assert_eq!(again.len(), 1, "offered at the first allocation after the filter ends");
        assert_eq!(m.stats.declined, 1);
    }

    #[test]
    fn a_filter_does_not_hold_back_more_resources() {
        // The refused set must contain what would be offered: after a task ends the agent
        // has more, so it is offered before the filter expires (`RefusedOfferFilter::filter`).
        let mut m = master(1, "cpus:4;mem:4096");
        m.expect("t1", Fate { runs_ms: Some(2_000), fails: false });
        let o = offers(&subscribe(&mut m));
        let res = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}, {"name": "mem", "type": "SCALAR", "scalar": {"value": 128}}]);
        m.call_json(0, &json!({"type": "ACCEPT", "framework_id": fid(), "accept": {"offer_ids": [o[0]["id"]], "operations": [
            {"type": "LAUNCH", "launch": {"task_infos": [{"name": "t1", "task_id": {"value": "t1"}, "agent_id": o[0]["agent_id"], "resources": res}]}}],
            "filters": {"refuse_seconds": 3600}}}));
        assert_eq!(m.used[0], 1.0);
        let ev = run_timers(&mut m, 3_000);
        let updates: Vec<&str> = ev
            .iter()
            .filter(|e| e["type"] == "UPDATE")
            .map(|e| e["update"]["status"]["state"].as_str().unwrap())
            .collect();
        assert_eq!(updates, ["TASK_RUNNING"], "the next update waits for the acknowledgement");
        let o2 = offers(&ev);
        assert_eq!(o2.len(), 1, "the task's end freed more than the refused 3 cpus");
        assert_eq!(o2[0]["resources"][0]["scalar"]["value"], 4.0);
        assert_eq!(m.used[0], 0.0);
    }

    #[test]
    fn updates_are_retried_until_acknowledged() {
        let mut m = master(1, "cpus:4;mem:4096");
        m.expect("t1", Fate { runs_ms: None, fails: false });
        let o = offers(&subscribe(&mut m));
        let res = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}]);
        m.call_json(0, &json!({"type": "ACCEPT", "framework_id": fid(), "accept": {"offer_ids": [o[0]["id"]], "operations": [
            {"type": "LAUNCH", "launch": {"task_infos": [{"name": "t1", "task_id": {"value": "t1"}, "agent_id": o[0]["agent_id"], "resources": res}]}}]}}));
        let ev = run_timers(&mut m, 31_000);
        let runs: Vec<&Json> = ev.iter().filter(|e| e["type"] == "UPDATE").collect();
        assert_eq!(runs.len(), 3, "sent at 0.5 s, resent at 10.5 s and 30.5 s");
        let uuid = runs[0]["update"]["status"]["uuid"].clone();
        assert_eq!(runs[1]["update"]["status"]["uuid"], uuid);
        m.call_json(31_000, &json!({"type": "ACKNOWLEDGE", "framework_id": fid(), "acknowledge": {"agent_id": o[0]["agent_id"], "task_id": {"value": "t1"}, "uuid": uuid}}));
        assert_eq!(m.stats.acks, 1);
        assert!(run_timers(&mut m, 200_000).iter().all(|e| e["type"] != "UPDATE"));
    }

    #[test]
    fn invalid_launches_are_refused() {
        let mut m = master(2, "cpus:1;mem:64");
        let o = offers(&subscribe(&mut m));
        let big = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}]);
        m.call_json(0, &json!({"type": "ACCEPT", "framework_id": fid(), "accept": {"offer_ids": [o[0]["id"]], "operations": [
            {"type": "LAUNCH", "launch": {"task_infos": [{"name": "a", "task_id": {"value": "a"}, "agent_id": o[0]["agent_id"], "resources": big}]}}]}}));
        let ev = json_events(&mut m);
        assert_eq!(ev[0]["update"]["status"]["state"], "TASK_ERROR");
        // The same offer again: it is gone, so the launch is dropped (partition-aware).
        m.call_json(0, &json!({"type": "ACCEPT", "framework_id": fid(), "accept": {"offer_ids": [o[0]["id"], o[1]["id"]], "operations": [
            {"type": "LAUNCH", "launch": {"task_infos": [{"name": "b", "task_id": {"value": "b"}, "agent_id": o[1]["agent_id"], "resources": big}]}}]}}));
        let ev = json_events(&mut m);
        assert_eq!(ev[0]["update"]["status"]["state"], "TASK_DROPPED");
        assert_eq!(ev[0]["update"]["status"]["reason"], "REASON_INVALID_OFFERS");
        assert!(ev[0]["update"]["status"].get("uuid").is_none());
        assert_eq!(m.stats.refused, 2);
        assert_eq!(m.outstanding_offers(), 0, "the valid offer named with the stale one is given back");
    }

    #[test]
    fn suppress_stops_offers_and_revive_clears_filters() {
        let mut m = master(2, "cpus:2;mem:256");
        let o = offers(&subscribe(&mut m));
        let ids: Vec<Json> = o.iter().map(|x| x["id"].clone()).collect();
        m.call_json(0, &json!({"type": "DECLINE", "framework_id": fid(), "decline": {"offer_ids": ids, "filters": {"refuse_seconds": 3600}}}));
        m.call_json(0, &json!({"type": "SUPPRESS", "framework_id": fid()}));
        assert!(offers(&run_timers(&mut m, 7_200_000)).is_empty());
        m.call_json(7_200_500, &json!({"type": "REVIVE", "framework_id": fid()}));
        assert_eq!(offers(&run_timers(&mut m, 7_200_500)).len(), 2, "offered at once");
        assert_eq!((m.stats.revives, m.stats.suppresses), (1, 1));
    }

    #[test]
    fn offer_timeout_rescinds() {
        let mut c = Cluster::default();
        c.add_template("1 × \"cpus:2;mem:256\"").unwrap();
        let mut m = Master::new(MasterConfig { offer_timeout_ms: Some(30_000), ..MasterConfig::default() }, &c.agents);
        subscribe(&mut m);
        let ev = run_timers(&mut m, 30_000);
        assert_eq!(ev.iter().filter(|e| e["type"] == "RESCIND").count(), 1);
        assert_eq!(offers(&run_timers(&mut m, 31_000)).len(), 1, "offered again, no filter");
    }

    #[test]
    fn reconciliation_answers() {
        let mut m = master(1, "cpus:2;mem:256");
        subscribe(&mut m);
        m.call_json(
            0,
            &json!({"type": "RECONCILE", "framework_id": fid(), "reconcile": {"tasks": [
            {"task_id": {"value": "x"}, "agent_id": {"value": "S1"}}, {"task_id": {"value": "y"}}]}}),
        );
        let states: Vec<Json> = json_events(&mut m).iter().map(|e| e["update"]["status"]["state"].clone()).collect();
        assert_eq!(states, [json!("TASK_GONE"), json!("TASK_UNKNOWN")]);
    }

    #[test]
    fn maintenance_marks_offers_and_sends_an_inverse_offer() {
        let mut m = master(1, "cpus:2;mem:256");
        m.schedule_maintenance(0, 0, None);
        let ev = subscribe(&mut m);
        assert!(offers(&ev)[0].get("unavailability").is_some());
        assert!(ev.iter().any(|e| e["type"] == "INVERSE_OFFERS"));
    }

    #[test]
    fn reserve_and_create_change_the_agent() {
        let mut c = Cluster::default();
        c.add_template("1 × \"cpus:2;mem:256;disk:1000\"").unwrap();
        let mut m = Master::new(MasterConfig::default(), &c.agents);
        let o = offers(&subscribe(&mut m));
        let reserved = json!([{"name": "disk", "type": "SCALAR", "scalar": {"value": 100}, "reservations": [{"type": "DYNAMIC", "role": "db"}]}]);
        let mut vol = reserved.clone();
        vol[0]["disk"] = json!({"persistence": {"id": "p1"}, "volume": {"container_path": "data", "mode": "RW"}});
        m.call_json(
            0,
            &json!({"type": "ACCEPT", "framework_id": fid(), "accept": {"offer_ids": [o[0]["id"]], "operations": [
            {"type": "RESERVE", "reserve": {"resources": reserved}}, {"type": "CREATE", "create": {"volumes": vol}}]}}),
        );
        assert!(m.violations.is_empty(), "{:?}", m.violations);
        assert_eq!(
            m.agents[0].total.to_string(),
            "cpus:2; mem:256; disk:900; disk(reservations: [(DYNAMIC,db)])[p1:data]:100"
        );
    }

    #[test]
    fn a_lost_agent_takes_its_offers_and_tasks_with_it() {
        let mut m = master(2, "cpus:2;mem:256");
        m.expect("t1", Fate { runs_ms: None, fails: false });
        let o = offers(&subscribe(&mut m));
        let res = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}]);
        m.call_json(0, &json!({"type": "ACCEPT", "framework_id": fid(), "accept": {"offer_ids": [o[0]["id"]], "operations": [
            {"type": "LAUNCH", "launch": {"task_infos": [{"name": "t1", "task_id": {"value": "t1"}, "agent_id": o[0]["agent_id"], "resources": res}]}}],
            "filters": {"refuse_seconds": 0}}}));
        let more = offers(&run_timers(&mut m, 1_000));
        assert_eq!(more.len(), 1, "the rest of agent 1 is offered again");
        m.schedule_loss(0, 2_000);
        let ev = run_timers(&mut m, 10_000);
        assert!(ev.iter().any(|e| e["type"] == "RESCIND" && e["rescind"]["offer_id"] == more[0]["id"]));
        let gone: Vec<&Json> =
            ev.iter().filter(|e| e["update"]["status"]["state"] == "TASK_GONE_BY_OPERATOR").collect();
        assert_eq!(gone.len(), 1);
        assert!(gone[0]["update"]["status"].get("uuid").is_none());
        assert_eq!((m.live_tasks(), m.used[0], m.size[0], m.stats.agents_lost), (0, 0.0, 2.0, 1));
        assert!(offers(&run_timers(&mut m, 60_000)).iter().all(|x| x["agent_id"] != o[0]["agent_id"]));
    }

    #[test]
    fn decoding_uuids_matches_the_digit_search() {
        // The decoder as it was: a search of the alphabet per digit, the bytes in a `Vec`.
        fn by_search(s: &str) -> Option<u64> {
            let mut bits = Vec::with_capacity(16);
            let mut acc = 0u32;
            let mut n = 0;
            for c in s.bytes().filter(|c| *c != b'=') {
                let v = B64.iter().position(|x| *x == c)? as u32;
                acc = (acc << 6) | v;
                n += 6;
                if n >= 8 {
                    n -= 8;
                    bits.push((acc >> n) as u8);
                    acc &= (1 << n) - 1;
                }
            }
            let tail: [u8; 8] = bits.get(8..16)?.try_into().ok()?;
            Some(u64::from_be_bytes(tail) & !(0x80u64 << 56))
        }
        let mut texts: Vec<String> =
            [0u64, 1, 63, 64, 4095, 1 << 40, u64::MAX >> 8, u64::MAX].iter().map(|n| encode_uuid(*n)).collect();
        texts.extend(
            ["", "=", "AAAA", "QUJD", "not base64!", "AAAAAAAAQACAAAAAAAAAAQ", "AAAAAAAAQACAAAAAAAAAAQ==AAAA", "A=A=A"]
                .map(str::to_owned),
        );
        texts.push(format!("{}{}", encode_uuid(7), encode_uuid(9)));
        texts.push(encode_uuid(5).replace('A', "-"));
        for t in &texts {
            assert_eq!(decode_uuid(t), by_search(t), "{t}");
        }
        assert_eq!(decode_uuid(&encode_uuid(12345)), Some(12345));
    }

    #[test]
    fn uuids_round_trip() {
        for n in [1, 2, 255, 1 << 40, u64::MAX >> 1] {
            assert_eq!(decode_uuid(&encode_uuid(n)), Some(n));
        }
        assert_eq!(encode_uuid(1).len(), 24);
        assert_eq!(decode_uuid("not base64!"), None);
    }
}
