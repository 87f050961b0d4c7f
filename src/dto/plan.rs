//! The `place` answer's result fields as typed shapes (docs/contract.md, "place"): a view of
//! a [`Plan`] that serializes to exactly the contract's JSON. The wire's general path writes
//! its answer through [`PlaceResult`]; its fast path writes the same bytes by hand where it is
//! hot (`crate::wire::place_out`), and the tests hold the two to byte equality. With the
//! `tsify` feature these are also the npm package's TypeScript declarations of the answer.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

use super::WireError;
use crate::decision::{AgentAccept, Decline, Launch, Nearest, Plan, Reason, Stats, Unplaced};
use crate::mesos::{resources_to_json, scalar_json};
use crate::model::Resources;

/// A double as the contract writes every amount ([`scalar_json`]): whole numbers without a
/// fraction.
fn amount<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    scalar_json(*x).serialize(s)
}

/// Resources as Mesos v1 JSON ([`resources_to_json`]).
fn resources<S: Serializer>(r: &&Resources, s: S) -> Result<S::Ok, S::Error> {
    resources_to_json(r).serialize(s)
}

/// The result fields of an `ok: true` answer to `place` (after `"ok": true`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub(crate) struct PlaceResult<'a> {
    /// Agents with placed tasks, in the order of their first placement.
    #[cfg_attr(feature = "tsify", tsify(type = "Accept[]"))]
    accept: Vec<Accept<'a>>,
    /// Offers declined.
    #[cfg_attr(feature = "tsify", tsify(type = "Decline[]"))]
    decline: Vec<Declined<'a>>,
    /// Tasks not placed, with reasons.
    #[cfg_attr(feature = "tsify", tsify(type = "Unplaced[]"))]
    unplaced: Vec<NotPlaced<'a>>,
    /// Mesos v1 `Call`s (`ACCEPT`, `DECLINE`), when `options.framework_id` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(type = "Record<string, unknown>[]"))]
    calls: Option<crate::engine::CallsOut<'a, 'a>>,
    /// Counters.
    #[cfg_attr(feature = "tsify", tsify(type = "Stats"))]
    stats: Counters,
    /// One per constraint whose regex ran out of its limit while matching (the constraint
    /// counted as not satisfied there); absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    #[cfg_attr(feature = "tsify", tsify(type = "WireError[]"))]
    warnings: Vec<WireError>,
}

/// The tasks placed on one agent and the offers they use.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
struct Accept<'a> {
    /// The agent's id.
    agent_id: &'a str,
    /// Its hostname.
    hostname: &'a str,
    /// The offers accepted.
    offer_ids: &'a [&'a str],
    /// The tasks, in placement order.
    #[cfg_attr(feature = "tsify", tsify(type = "PlacedTask[]"))]
    tasks: Vec<PlacedTask<'a>>,
    /// What is left of the agent's offers.
    #[serde(serialize_with = "resources")]
    #[cfg_attr(feature = "tsify", tsify(type = "Resource[]"))]
    remaining: &'a Resources,
}

/// A task placed on an agent.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
struct PlacedTask<'a> {
    /// The task's id.
    task_id: &'a str,
    /// Exactly what it takes.
    #[serde(serialize_with = "resources")]
    #[cfg_attr(feature = "tsify", tsify(type = "Resource[]"))]
    resources: &'a Resources,
    /// Its host ports, in the task's request order.
    ports: &'a [u64],
    /// Its score on this agent.
    #[serde(serialize_with = "amount")]
    score: f64,
    /// What its executor takes, on the first task of the agent that uses that executor.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "executor")]
    #[cfg_attr(feature = "tsify", tsify(type = "Resource[]", optional))]
    executor_resources: Option<&'a Resources>,
}

fn executor<S: Serializer>(r: &Option<&Resources>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => resources_to_json(r).serialize(s),
        None => s.serialize_none(),
    }
}

/// An offer that is declined.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Decline"))]
struct Declined<'a> {
    /// The offer's id.
    offer_id: &'a str,
    /// The decline filter, in seconds.
    #[serde(serialize_with = "amount")]
    refuse_seconds: f64,
    /// Why: `unused`, `maintenance`, ...
    reason: &'static str,
}

/// A task that could not be placed.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Unplaced"))]
struct NotPlaced<'a> {
    /// The task's id.
    task_id: &'a str,
    /// Why, in the order the checks run.
    #[cfg_attr(feature = "tsify", tsify(type = "Reason[]"))]
    reasons: Vec<Why<'a>>,
    /// The agent that came nearest, and what it lacked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(type = "Nearest"))]
    nearest: Option<NearestAgent<'a>>,
}

/// One way a task failed to fit, and on how many offers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Reason"))]
struct Why<'a> {
    /// `role`, `maintenance`, `region`, `constraint`, `reservation`, `insufficient_cpus`, ...
    code: &'static str,
    /// One lowercase line.
    message: &'a str,
    /// How many offers failed this way.
    offers: usize,
}

/// The agent that came nearest to hosting an unplaced task.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Nearest"))]
struct NearestAgent<'a> {
    /// The agent's id.
    agent_id: &'a str,
    /// Its hostname.
    hostname: &'a str,
    /// The reason codes it failed, in check order.
    lacking: Vec<&'static str>,
    /// Scalar shortfalls: how much more of each resource was needed (a name given twice keeps
    /// its first place and its last amount).
    #[cfg_attr(feature = "tsify", tsify(type = "Record<string, number>"))]
    missing: Map<String, Json>,
}

/// Counters of a `place` run.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Stats"))]
struct Counters {
    /// Offers seen.
    offers: usize,
    /// Tasks seen.
    tasks: usize,
    /// Tasks placed.
    placed: usize,
    /// (task, offer) pairs evaluated.
    evaluations: u64,
    /// What the answer maximises when not every task fits (the `objective` option).
    #[cfg_attr(feature = "tsify", tsify(type = "\"tasks\" | \"resources\""))]
    objective: &'static str,
    /// Its value for this answer: the placed count (`tasks`), or the mean over cpus and mem of
    /// the placed share of what was offered (`resources`, 0 to 1).
    #[serde(serialize_with = "amount")]
    objective_value: f64,
    /// Repair passes run after the first (0 when the first placed all it could).
    repair_passes: u32,
}

impl<'a> PlaceResult<'a> {
    /// The view of `plan` that serializes to the contract's result fields.
    pub(crate) fn new(plan: &'a Plan<'_>) -> PlaceResult<'a> {
        PlaceResult {
            accept: plan.accept.iter().map(Accept::new).collect(),
            decline: plan.decline.iter().map(Declined::new).collect(),
            unplaced: plan.unplaced.iter().map(NotPlaced::new).collect(),
            calls: crate::engine::CallsOut::of(plan),
            stats: Counters::new(&plan.stats),
            warnings: plan.warnings.iter().map(|(path, e)| WireError::from_error(e, path)).collect(),
        }
    }

    /// The result fields as a JSON object.
    pub(crate) fn to_map(&self) -> Map<String, Json> {
        match serde_json::to_value(self) {
            Ok(Json::Object(m)) => m,
            // INVARIANT: a struct of strings, numbers and JSON values serializes to an object.
            _ => Map::new(),
        }
    }
}

impl<'a> Accept<'a> {
    fn new(a: &'a AgentAccept<'_>) -> Accept<'a> {
        Accept {
            agent_id: a.agent_id,
            hostname: a.hostname,
            offer_ids: &a.offer_ids,
            tasks: a.tasks.iter().map(PlacedTask::new).collect(),
            remaining: &a.remaining,
        }
    }
}

impl<'a> PlacedTask<'a> {
    fn new(t: &'a Launch<'_>) -> PlacedTask<'a> {
        PlacedTask {
            task_id: t.task_id,
            resources: &t.resources,
            ports: &t.ports,
            score: t.score,
            executor_resources: t.executor_resources.as_ref(),
        }
    }
}

impl<'a> Declined<'a> {
    fn new(d: &'a Decline<'_>) -> Declined<'a> {
        Declined { offer_id: d.offer_id, refuse_seconds: d.refuse_seconds, reason: d.reason.as_str() }
    }
}

impl<'a> NotPlaced<'a> {
    fn new(u: &'a Unplaced<'_>) -> NotPlaced<'a> {
        NotPlaced {
            task_id: u.task_id,
            reasons: u.reasons.iter().map(Why::new).collect(),
            nearest: u.nearest.as_ref().map(NearestAgent::new),
        }
    }
}

impl<'a> Why<'a> {
    fn new(r: &'a Reason) -> Why<'a> {
        Why { code: r.code.as_str(), message: &r.message, offers: r.offers }
    }
}

impl<'a> NearestAgent<'a> {
    fn new(n: &'a Nearest<'_>) -> NearestAgent<'a> {
        let mut missing = Map::new();
        for (name, v) in &n.missing {
            missing.insert(name.clone(), scalar_json(*v));
        }
        NearestAgent {
            agent_id: n.agent_id,
            hostname: n.hostname,
            lacking: n.lacking.iter().map(|c| c.as_str()).collect(),
            missing,
        }
    }
}

impl Counters {
    fn new(s: &Stats) -> Counters {
        Counters {
            offers: s.offers,
            tasks: s.tasks,
            placed: s.placed,
            evaluations: s.evaluations,
            objective: s.objective,
            objective_value: s.objective_value,
            repair_passes: s.repair_passes,
        }
    }
}
