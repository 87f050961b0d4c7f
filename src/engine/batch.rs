//! The batch loop: agents pooled and classed ([`super::classes`]), tasks compiled
//! ([`super::compile`]), then each unit of placement (a task, or a gang all or none) placed on
//! the best agent the scan finds ([`super::scan`]), the ledger and the constraint counters
//! updated as it goes; a failed gang rolled back. A task that cannot be placed is explained
//! at that moment ([`super::explain`]); the plan is built from the ledger at the end
//! ([`super::output`]). When tasks are left over that could have been placed, the `offerfit`
//! profile's repair passes ([`super::repair`]) run the batch again in other orders and keep
//! the best answer. The mesos-actor profile runs its own loop ([`super::mesos_actor`]), the
//! marathon profile its offer-by-offer loop ([`super::marathon`]).

use super::classes::{group_agents, pool_agents};
use super::compile::{compile_tasks, compile_tasks_with, intern_values, task_order, Unit};
use super::fit::FitOut;
use super::held::Prep;
use super::options::{Options, Profile, Resolved};
use super::request::{PlaceError, PlaceRequest};
use super::rules_memo::RulesMemo;
use super::scan::ScanCache;
use super::state::{Ctx, Req};
use crate::decision::Plan;

/// Runs the batch.
pub(super) fn run<'r>(opts: &Options, r: &Resolved, req: &'r PlaceRequest) -> Result<Plan<'r>, PlaceError> {
    run_held(opts, r, req.into(), None, false, None)
}

/// Runs the batch, pooling and grouping the agents from what `held` keeps of the offers
/// where it can ([`super::held`]: the same answer); `keep_unused`: the plan lists no unused
/// offers ([`super::Held::keep_unused`]); `memo`: constraints parsed in earlier batches
/// ([`super::rules_memo`]).
pub(super) fn run_held<'r>(
    opts: &Options,
    r: &Resolved,
    req: Req<'r>,
    mut held: Option<&mut Prep>,
    keep_unused: bool,
    memo: Option<&mut RulesMemo>,
) -> Result<Plan<'r>, PlaceError> {
    let mut ctx = Ctx::new(opts, r, req);
    ctx.keep_unused = keep_unused;
    if !held.as_deref_mut().is_some_and(|h| h.pool(&mut ctx)) {
        pool_agents(&mut ctx)?;
    }
    compile_tasks_with(&mut ctx, memo)?;
    ctx.groups.record_running(&req.request().running, req.live_offers().map(|(_, o)| o));
    if r.profile == Profile::MesosActor {
        return super::mesos_actor::mesos_actor(ctx);
    }
    if !held.is_some_and(|h| h.group(&mut ctx)) {
        group_agents(&mut ctx);
    }
    intern_values(&mut ctx);
    let mut feasible = Vec::new();
    let units = task_order(&mut ctx, &mut feasible);
    if r.profile == Profile::Marathon {
        return super::marathon::marathon(ctx, &units);
    }
    place_units(&mut ctx, &units);
    if !r.quality || ctx.placements.len() == req.request().tasks.len() {
        return super::output::finish(ctx);
    }
    super::repair::repair(ctx, units, &feasible, pass)
}

/// One whole pass of the batch, units in this order, on a fresh ledger (a repair pass).
fn pass<'r, 'o>(opts: &'o Options, r: &'o Resolved, req: Req<'r>, units: &[Unit]) -> Option<Ctx<'r, 'o>> {
    let mut ctx = prepare(opts, r, req)?;
    place_units(&mut ctx, units);
    Some(ctx)
}

/// A ledger for `req` as the batch has it before its first task (`None` when the request
/// fails, which a request that already ran once never does).
fn prepare<'r, 'o>(opts: &'o Options, r: &'o Resolved, req: Req<'r>) -> Option<Ctx<'r, 'o>> {
    let mut ctx = Ctx::new(opts, r, req);
    pool_agents(&mut ctx).ok()?;
    compile_tasks(&mut ctx).ok()?;
    ctx.groups.record_running(&req.request().running, req.live_offers().map(|(_, o)| o));
    group_agents(&mut ctx);
    intern_values(&mut ctx);
    Some(ctx)
}

/// Places `units` in this order on the ledger.
pub(super) fn place_units(ctx: &mut Ctx<'_, '_>, units: &[Unit]) {
    let mut out = FitOut::default();
    let mut scratch = FitOut::default();
    let mut cache = ScanCache::new(ctx);
    // A gang's members' classes before they were placed (one buffer for the batch).
    let mut undo: Vec<u32> = Vec::new();
    for unit in units {
        undo.clear();
        let snapshot = if unit.len() > 1 {
            let groups: Vec<u32> = unit.iter().filter_map(|ti| ctx.tasks.get(*ti).map(|t| t.group)).collect();
            Some(ctx.groups.snapshot(&groups))
        } else {
            None
        };
        let mut failed = None;
        for &ti in unit {
            match ctx.best_for(ti, &mut out, &mut scratch, &mut cache) {
                Some(b) => {
                    // INVARIANT: the scan picks `b.agent` among the ledger's agents, so the
                    // lookup finds it (its class before this placement, for a roll-back).
                    let from = ctx.agents.get(b.agent as usize).map_or(0, |a| a.class);
                    ctx.place_task(ti, b.agent, b.class, b.score, &mut out);
                    undo.push(from);
                }
                None => {
                    // Explained now, before a gang's roll-back frees what its earlier members
                    // took and before later tasks change the constraint counters: the reasons
                    // are the ones that made this task fail.
                    if ctx.resolved.explain {
                        let why = super::explain::explain_task(ctx, ti);
                        ctx.explained.push((ti, why));
                    }
                    failed = Some(ti);
                    break;
                }
            }
        }
        if let Some(f) = failed {
            if unit.len() > 1 {
                while let Some(from) = undo.pop() {
                    ctx.unplace_last(from);
                }
                if let Some(snap) = snapshot {
                    ctx.groups.restore(snap);
                }
                for &ti in unit {
                    if ti != f {
                        if let Some(g) = ctx.gang_failed.get_mut(ti) {
                            *g = Some(f);
                        }
                    }
                }
            }
        }
    }
}
