//! Decisions: the [`Plan`] that [`crate::Engine::place`] returns — accepts per agent,
//! declines, unplaced tasks with reasons, the Mesos v1 calls, and statistics.
//!
//! Invariants (docs/contract.md): every offer id appears exactly once, in one accept's
//! `offer_ids` or one decline; every task id appears exactly once, in one accept's tasks or
//! in `unplaced`; what an agent's tasks take, summed, is contained in its offers (no port
//! twice); the same request gives the same plan.

use crate::model::{Resource, Resources};

/// Why a task could not be placed on an offer. The order of the variants is the order the
/// checks run in (and the order of [`Unplaced::reasons`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCode {
    /// No resource of the offer is usable by the task's roles.
    Role,
    /// The agent is in (or about to enter) maintenance.
    Maintenance,
    /// The offer is from another region and the task does not ask for one.
    Region,
    /// A hard constraint is not satisfied.
    Constraint,
    /// The task's persistent volume is reserved on another agent.
    Reservation,
    /// A GPU agent kept for GPU tasks (`gpu_scheduling: restricted`).
    ScarceResources,
    /// Not enough cpus.
    InsufficientCpus,
    /// Not enough mem.
    InsufficientMem,
    /// Not enough ROOT disk.
    InsufficientDisk,
    /// Not enough gpus.
    InsufficientGpus,
    /// Not enough of a named scalar.
    InsufficientScalar,
    /// No disk for a volume (size, type, profile, `require`, `max_size`).
    InsufficientVolume,
    /// Requested host ports not offered, or too few free ports.
    InsufficientPorts,
    /// Another member of the task's gang could not be placed.
    Gang,
    /// The request holds no offer to place the task on.
    NoOffers,
    /// The offer already carries the most launches the `marathon` profile puts on one offer
    /// (`max_instances_per_offer`).
    InstanceLimit,
}

impl ReasonCode {
    /// Every code, in check order.
    pub const ALL: [ReasonCode; 16] = [
        ReasonCode::Role,
        ReasonCode::Maintenance,
        ReasonCode::Region,
        ReasonCode::Constraint,
        ReasonCode::Reservation,
        ReasonCode::ScarceResources,
        ReasonCode::InsufficientCpus,
        ReasonCode::InsufficientMem,
        ReasonCode::InsufficientDisk,
        ReasonCode::InsufficientGpus,
        ReasonCode::InsufficientScalar,
        ReasonCode::InsufficientVolume,
        ReasonCode::InsufficientPorts,
        ReasonCode::Gang,
        ReasonCode::NoOffers,
        ReasonCode::InstanceLimit,
    ];

    /// The contract's code: `role`, `insufficient_cpus`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Role => "role",
            ReasonCode::Maintenance => "maintenance",
            ReasonCode::Region => "region",
            ReasonCode::Constraint => "constraint",
            ReasonCode::Reservation => "reservation",
            ReasonCode::ScarceResources => "scarce_resources",
            ReasonCode::InsufficientCpus => "insufficient_cpus",
            ReasonCode::InsufficientMem => "insufficient_mem",
            ReasonCode::InsufficientDisk => "insufficient_disk",
            ReasonCode::InsufficientGpus => "insufficient_gpus",
            ReasonCode::InsufficientScalar => "insufficient_scalar",
            ReasonCode::InsufficientVolume => "insufficient_volume",
            ReasonCode::InsufficientPorts => "insufficient_ports",
            ReasonCode::Gang => "gang",
            ReasonCode::NoOffers => "no_offers",
            ReasonCode::InstanceLimit => "instance_limit",
        }
    }

    /// The bit of this reason in the engine's reason sets.
    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The codes of a reason set, in check order.
    pub(crate) fn from_bits(bits: u32) -> impl Iterator<Item = ReasonCode> {
        ReasonCode::ALL.into_iter().filter(move |c| bits & c.bit() != 0)
    }
}

/// One task to launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch<'r> {
    /// The task id.
    pub task_id: &'r str,
    /// Exactly what the task takes (reservations, disk info and the chosen port ranges kept).
    pub resources: Resources,
    /// The host ports, in the task's request order.
    pub ports: Vec<u64>,
    /// The agent's score for this task (higher is better).
    pub score: f64,
    /// What the task's executor takes, when this task brought the executor to the agent.
    pub executor_resources: Option<Resources>,
    /// Index of the task in the request.
    pub(crate) task_index: usize,
    /// Persistent volumes to create first: (the disk as reserved, needs RESERVE, the volume).
    pub(crate) creates: Vec<(Resource, bool, Resource)>,
}

/// Everything launched on one agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentAccept<'r> {
    /// The agent id.
    pub agent_id: &'r str,
    /// The agent's hostname.
    pub hostname: &'r str,
    /// Every offer of the agent, accepted together.
    pub offer_ids: Vec<&'r str>,
    /// The tasks, in placement order.
    pub tasks: Vec<Launch<'r>>,
    /// What is left of the agent's offers.
    pub remaining: Resources,
    /// Executor resources on this agent, per executor id (for every TaskInfo using it).
    pub(crate) executors: Vec<(&'r str, Resources)>,
}

/// Why an offer is declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// No task was placed on the agent.
    Unused,
    /// The agent is in (or about to enter) maintenance.
    Maintenance,
}

impl DeclineReason {
    /// `unused` or `maintenance`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::Unused => "unused",
            DeclineReason::Maintenance => "maintenance",
        }
    }
}

/// One declined offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Decline<'r> {
    /// The offer id.
    pub offer_id: &'r str,
    /// The decline filter.
    pub refuse_seconds: f64,
    /// Why.
    pub reason: DeclineReason,
}

/// One reason a task was not placed, with how many offers failed this way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The reason.
    pub code: ReasonCode,
    /// A one-line explanation.
    pub message: String,
    /// How many offers failed this way.
    pub offers: usize,
}

/// The agent that came closest to hosting an unplaced task.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest<'r> {
    /// The agent id.
    pub agent_id: &'r str,
    /// The agent's hostname.
    pub hostname: &'r str,
    /// What it lacked, in check order.
    pub lacking: Vec<ReasonCode>,
    /// Scalar shortfalls: (resource name, how much more was needed).
    pub missing: Vec<(String, f64)>,
}

/// A task that could not be placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unplaced<'r> {
    /// The task id.
    pub task_id: &'r str,
    /// The reasons, in check order, found when the task failed (a gang's member that did
    /// not fit: inside the gang's attempt). Never empty, unless `explain` is off.
    pub reasons: Vec<Reason>,
    /// The best agent and what it lacked, if any agent was considered.
    pub nearest: Option<Nearest<'r>>,
}

/// Counts of a `place` call.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    /// Offers answered.
    pub offers: usize,
    /// Tasks asked for.
    pub tasks: usize,
    /// Tasks placed.
    pub placed: usize,
    /// Full fit evaluations run (agents the batch cannot tell apart — alike in everything but
    /// attributes no rule reads and amounts no task asks for — are evaluated once): a measure
    /// of the work done, not part of the decision — without soft preferences and host ports
    /// only the class a task would be placed on is fitted (the others again only when that fit
    /// fails), and, once failed fits are common in the call, a class whose fit failed is not
    /// fitted again for tasks of the same or larger needs.
    pub evaluations: u64,
    /// The objective the answer maximises when not every task fits: `tasks` or `resources`
    /// (the `objective` option).
    pub objective: &'static str,
    /// Its value for this answer: the placed count (`tasks`), or the placed share of the
    /// offered cpus and mem, 0 to 1 in millionths (`resources`: the mean over cpus and mem of
    /// placed / offered).
    pub objective_value: f64,
    /// Repair passes run after the first (each a whole batch in another order; 0 when the
    /// first pass placed every task that could be placed, and always under `first_fit`,
    /// `marathon` and `mesos-actor`).
    pub repair_passes: u32,
}

/// What a [`Plan`]'s Mesos v1 scheduler calls (scheduler.proto, `Call`) are written from, with
/// `options.framework_id`: one `ACCEPT` per agent of `accept` (its `RESERVE` / `CREATE`
/// operations, then one `LAUNCH` of its tasks' `TaskInfo`s), then one `DECLINE` of the offers
/// in `decline`, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Calls<'r> {
    /// The framework's id, named by every call.
    pub framework_id: String,
    /// The `filters.refuse_seconds` of every call.
    pub refuse_seconds: f64,
    /// The request's tasks the plan was made from (their own `task_info` fields and executor
    /// go into their launches).
    pub tasks: &'r [crate::model::TaskRequest],
}

/// The answer of [`crate::Engine::place`]. Ids borrow from the request (no copy per offer).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan<'r> {
    /// Launches per agent, agents in the order of their first placement.
    pub accept: Vec<AgentAccept<'r>>,
    /// Offers not used, in request order.
    pub decline: Vec<Decline<'r>>,
    /// Tasks not placed, in request order.
    pub unplaced: Vec<Unplaced<'r>>,
    /// What the plan's Mesos v1 calls are written from (when `framework_id` is set): the
    /// calls themselves follow `accept` and `decline` ([`Plan::calls_json`] builds them as
    /// values; the JSON answers write them straight to text).
    pub calls: Option<Calls<'r>>,
    /// Counts.
    pub stats: Stats,
    /// Warnings, each with the JSON pointer of its culprit: constraints a task's dialect
    /// ignores (`constraint.ignored`), as `parse_constraints` answers them.
    pub warnings: Vec<(String, crate::error::Error)>,
}
