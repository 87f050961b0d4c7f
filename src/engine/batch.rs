//! The batch loop: agents pooled and classed ([`super::classes`]), tasks compiled
//! ([`super::compile`]), then each unit of placement (a task, or a gang all or none) placed on
//! the best agent the scan finds ([`super::scan`]), the ledger and the constraint counters
//! updated as it goes; a failed gang rolled back. A task that cannot be placed is explained
//! at that moment ([`super::explain`]); the plan is built from the ledger at the end
//! ([`super::output`]). When tasks are left over that could have been placed, the `offerfit`
//! profile's repair passes ([`super::repair`]) run the batch again in other orders and keep
//! the best answer. The mesos-actor profile runs its own loop ([`super::mesos_actor`]), the
//! marathon profile its offer-by-offer loop ([`super::marathon`]).

use super::classes::{group_agents, pool_agents, regroup_agents};
use super::compile::{compile_tasks, compile_tasks_with, intern_values, task_order, Unit};
use super::fit::FitOut;
use super::held::Prep;
use super::layout::{pooled, Layout};
use super::options::{Options, Profile, Resolved};
use super::request::PlaceError;
use super::rules_memo::RulesMemo;
use super::scan::ScanCache;
use super::state::{Ctx, Req};
use crate::decision::Plan;

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
    // Repair passes take the agents as this pass pools and classes them only when it is the
    // one they would make themselves (not one `held` made).
    let fresh = held.is_none();
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
    super::repair::repair(ctx, units, &feasible, pass, fresh)
}

/// [`run_held`]'s errors without its plan, for a request that places no task (no offers,
/// or no tasks): pooling the agents and compiling the tasks are the only steps that can
/// fail then (a plan's repeat budget counts placements). A request with both, and the
/// mesos-actor profile (whose loop checks the tasks' fields), run the batch.
pub(super) fn check(
    opts: &Options,
    r: &Resolved,
    req: Req<'_>,
    memo: Option<&mut RulesMemo>,
) -> Result<(), PlaceError> {
    let request = req.request();
    if r.profile == Profile::MesosActor || (!request.offers.is_empty() && !request.tasks.is_empty()) {
        return run_held(opts, r, req, None, false, memo).map(|_| ());
    }
    let mut ctx = Ctx::new(opts, r, req);
    pool_agents(&mut ctx)?;
    compile_tasks_with(&mut ctx, memo)
}

/// One whole pass of the batch, units in this order, on a fresh ledger (a repair pass); the
/// agents from `layout` when given.
fn pass<'r, 'o>(
    opts: &'o Options,
    r: &'o Resolved,
    req: Req<'r>,
    units: &[Unit],
    layout: Option<&Layout<'r>>,
) -> Option<Ctx<'r, 'o>> {
    let mut ctx = match layout {
        Some(l) => laid_out(opts, r, req, l)?,
        None => prepare(opts, r, req)?,
    };
    place_units(&mut ctx, units);
    Some(ctx)
}

/// [`prepare`] with the agents pooled and classed as `layout` has them: the same ledger
/// (agents, static classes and their ids, state classes, interned names) without reading
/// the offers again but for one agent per static class ([`regroup_agents`]).
fn laid_out<'r, 'o>(opts: &'o Options, r: &'o Resolved, req: Req<'r>, layout: &Layout<'r>) -> Option<Ctx<'r, 'o>> {
    let mut ctx = Ctx::new(opts, r, req);
    ctx.agents.extend(layout.agents.iter().map(pooled));
    ctx.offer_agent.extend_from_slice(&layout.offer_agent);
    compile_tasks(&mut ctx).ok()?;
    ctx.groups.record_running(&req.request().running, req.live_offers().map(|(_, o)| o));
    regroup_agents(&mut ctx, &layout.statics);
    intern_values(&mut ctx);
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

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::{offer, task};
    use super::super::options::{Options, Resolved, TieBreak};
    use super::super::request::PlaceRequest;
    use super::*;

    /// What a ledger holds before its first task, in comparable form: per agent (id, offers,
    /// static class, class), per static class (representative, initial class, agents, pool
    /// size, offered), per class (static class, members, offers), the interned names.
    type Seen = (
        Vec<(String, Vec<u32>, u32, u32)>,
        Vec<(u32, u32, u32, usize, (i64, i64))>,
        Vec<(u32, Vec<u32>, usize)>,
        Vec<String>,
    );

    fn seen(ctx: &Ctx<'_, '_>) -> Seen {
        (
            ctx.agents.iter().map(|a| (a.id.to_owned(), a.offers.to_vec(), a.static_class, a.class)).collect(),
            ctx.statics.iter().map(|s| (s.rep, s.init_class, s.agents, s.pool.len(), s.offered)).collect(),
            ctx.classes.iter().map(|c| (c.static_class, c.members.iter().copied().collect(), c.offers)).collect(),
            ctx.names.names.clone(),
        )
    }

    #[test]
    fn a_repair_pass_from_the_layout_has_the_ledger_a_fresh_pass_builds() {
        // Agents in runs and out of them, one with two offers, one with an extra resource,
        // one with an allocation role (pooled apart per role), offers out of agent order.
        let mut offers = vec![
            offer("o0", "a3", "cpus:4;mem:1024", "rack:r1"),
            offer("o1", "a1", "cpus:4;mem:1024", "rack:r1"),
            offer("o2", "a2", "cpus:8;mem:2048;gpus:1", "rack:r2"),
            offer("o3", "a1", "cpus:1", ""),
            offer("o4", "a4", "cpus:4;mem:1024", "rack:r1"),
            offer("o5", "a5", "cpus:8;mem:2048;gpus:1", "rack:r2"),
            offer("o6", "a6", "cpus:4;mem:1024;disk:100", "rack:r1"),
            offer("o7", "a0", "cpus:4;mem:1024", "rack:r2"),
        ];
        offers[3].allocation_role = Some("web".into());
        let req = PlaceRequest {
            offers,
            tasks: vec![task("t0", 1, 128, &["rack GROUP_BY"]), task("t1", 2, 256, &[]), task("t2", 1, 64, &[])],
            ..PlaceRequest::default()
        };
        for tie_break in [TieBreak::default(), TieBreak::AgentId] {
            let opts = Options { tie_break, roles: vec!["*".into(), "web".into()], ..Options::default() };
            let r = Resolved::new(&opts).unwrap();
            let q: Req<'_> = (&req).into();
            let fresh = prepare(&opts, &r, q).unwrap();
            let layout = Layout::of(&fresh);
            let again = laid_out(&opts, &r, q, &layout).unwrap();
            assert_eq!(seen(&again), seen(&fresh));
            assert_eq!(again.offer_agent, fresh.offer_agent);
            // After a pass has placed tasks, its layout is still the fresh one.
            let mut placed = prepare(&opts, &r, q).unwrap();
            place_units(&mut placed, &[smallvec::smallvec![0], smallvec::smallvec![1], smallvec::smallvec![2]]);
            assert!(!placed.placements.is_empty());
            let again = laid_out(&opts, &r, q, &Layout::of(&placed)).unwrap();
            assert_eq!(seen(&again), seen(&fresh));
        }
    }
}
