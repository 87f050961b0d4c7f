//! Repair before giving up: when the first pass of a batch leaves out a task that fits some
//! agent on its own (a task the batch's own placements crowded out), the batch is run again,
//! whole, in other orders, and the best answer by the stated [`Objective`] is kept.
//!
//! Each repair pass is an ordinary pass of the batch loop on a fresh ledger (offers pooled
//! again, running tasks counted again): every answer it can give is one the first pass could
//! give, so every contract invariant holds by construction — each offer answered once, each
//! task once, nothing over-allocated, ports unique, groups and gangs honoured — and running
//! tasks never move. Only the order of the units changes:
//!
//! - **promotion** (squeaky wheel): the units the previous pass left out, among those that
//!   fit some agent on the empty ledger — with every unit of their group when their
//!   constraints count the group's placements — go first (in their previous order), the
//!   others follow in theirs: the tasks that blocked them move to other agents, within their
//!   own constraints, ports and gangs;
//! - **smallest first**, for the `tasks` objective when the batch asks for more cpus or mem
//!   than the agents offer: units by size ascending (fewest feasible agents breaking ties),
//!   tried before any promotion — placing many small tasks beats placing a few big ones —
//!   twice: by the pressed size ([`pressed_sizes`]: each dimension weighed by its demand over
//!   its capacity, so what runs out counts), then by the plain size (cpus and mem shares).
//!
//! After the passes, [`swaps`] work on the kept answer's own ledger: a left-out task placed by
//! taking one placed task of the batch out ([`Ctx::unplace`]) and placing it elsewhere, or
//! trading it for several left-out tasks; a trial is kept only when it is better by the
//! objective, and undone exactly otherwise.
//!
//! **Budget** (deterministic, stated in docs/limits.md, and counted in units no grouping of
//! the agents into classes changes: the class is an optimisation, never a semantic): at most
//! [`MAX_PASSES`] repair passes ([`MAX_PASSES_OVER`] over capacity under `tasks`), each a
//! whole pass of the batch (one search per unit, as the first pass); the rounds stop as soon
//! as every task that fits some agent is placed, or after [`PATIENCE`] passes in a row
//! without a better answer. The swaps then make at most [`SWAP_SEARCHES`] searches for an
//! agent per task of the batch (at least [`MIN_SWAP_SEARCHES`]): each placement a swap
//! tries is one search, whatever the number of agents or classes it scans. A batch whose
//! first pass places every task that can be placed runs no repair pass at all (the check is
//! a look at the feasibility counts the order already computed). The kept answer is the
//! first pass's unless a repair pass is strictly better. Repair passes explain their
//! unplaced tasks as the first pass does (at the moment each failed), so the kept answer's
//! reasons are its own; `explain` changes no decision of repair (its budget counts no fit).

use super::compile::{same_need, sizes, Unit};
use super::fit::FitOut;
use super::layout::Layout;
use super::options::{Objective, Options, Resolved};
use super::output::finish;
use super::request::PlaceError;
use super::rules::{Groups, Rules};
use super::scan::ScanCache;
use super::score::MAX_EXTRA;
use super::state::{Ctx, Placement, Req};
use crate::decision::Plan;

/// At most this many repair passes per batch (a pass costs about what the first pass cost:
/// five passes are the four times the first pass's fit evaluations the budget was before it
/// was counted in passes, plus the pass that crossed it).
pub(super) const MAX_PASSES: u32 = 5;
/// At most this many when the tasks ask for more cpus or mem than the agents offer and the
/// objective is `tasks` (not every task can be placed anyway: the two smallest-first passes
/// alone — a promotion after them gained 0.3% of the optimum on the quality benchmark and
/// cost the Fenzo scenario a whole pass of its last call).
pub(super) const MAX_PASSES_OVER: u32 = 2;
/// The swaps make at most this many searches for an agent ([`place_one`]) per task of the
/// batch (at least [`MIN_SWAP_SEARCHES`]): about two passes' worth.
pub(super) const SWAP_SEARCHES: u64 = 2;
/// The swaps' budget of searches is never below this.
pub(super) const MIN_SWAP_SEARCHES: u64 = 128;
/// At most this many placed tasks are tried to make room for one left-out task ([`swaps`]).
pub(super) const SWAP_CANDIDATES: usize = 8;
/// Repair stops after this many passes in a row that do not improve on the best answer.
pub(super) const PATIENCE: u32 = 2;

/// One whole pass of the batch in the given order on a fresh ledger ([`super::batch`]), the
/// agents pooled and classed as the [`Layout`] has them when given (the first pass's: the
/// offers are the same in every pass), else pooled and classed again.
pub(super) type Pass =
    for<'r, 'o, 'l> fn(&'o Options, &'o Resolved, Req<'r>, &[Unit], Option<&'l Layout<'r>>) -> Option<Ctx<'r, 'o>>;

/// An answer's worth under `objective`: (what it maximises, the tie-break), both higher is
/// better: (tasks placed, placed share) or (placed share, tasks placed).
pub(super) fn worth(ctx: &Ctx<'_, '_>, objective: Objective) -> (i64, i64) {
    let n = ctx.placements.len() as i64;
    let share = ctx.placed_share();
    match objective {
        Objective::Tasks => (n, share),
        Objective::Resources => (share, n),
    }
}

/// The units of `order` that `ctx` left out and that fit some agent alone (`feasible`), and
/// with them every unit of the same group when the left-out task's constraints count the
/// group's placements (`hostname UNIQUE`: the whole app goes first, or its last member finds
/// the hosts its mates did not take full).
fn left_out(ctx: &Ctx<'_, '_>, order: &[Unit], feasible: &[u32]) -> Vec<bool> {
    let placeable = |u: &Unit| u.iter().all(|ti| feasible.get(*ti).is_some_and(|n| *n > 0));
    let out = |u: &Unit| u.iter().any(|ti| ctx.placed.get(*ti).is_some_and(Option::is_none)) && placeable(u);
    let mut groups: Vec<u32> = Vec::new();
    for u in order.iter().filter(|u| out(u)) {
        for t in u.iter().filter_map(|ti| ctx.tasks.get(*ti)).filter(|t| t.rules.counts_group()) {
            groups.push(t.group);
        }
    }
    groups.sort_unstable();
    groups.dedup();
    order
        .iter()
        .map(|u| {
            out(u)
                || (placeable(u)
                    && u.iter().filter_map(|ti| ctx.tasks.get(*ti)).any(|t| groups.binary_search(&t.group).is_ok()))
        })
        .collect()
}

/// Promotion: the units marked in `out` first, then the others, each in `order`'s order.
pub(super) fn promote(order: &[Unit], out: &[bool]) -> Vec<Unit> {
    let mut next: Vec<Unit> = Vec::with_capacity(order.len());
    for pick in [true, false] {
        next.extend(order.iter().zip(out).filter(|(_, o)| **o == pick).map(|(u, _)| u.clone()));
    }
    next
}

/// Smallest first: units by their members' summed size ascending, then by the fewest
/// feasible agents, then request order.
pub(super) fn smallest_first(order: &[Unit], feasible: &[u32], sizes: &[i64]) -> Vec<Unit> {
    let mut next = order.to_vec();
    next.sort_by_cached_key(|u| {
        let size: i64 = u.iter().map(|i| sizes.get(*i).copied().unwrap_or(0)).fold(0, i64::saturating_add);
        let count = u.iter().map(|i| feasible.get(*i).copied().unwrap_or(u32::MAX)).min().unwrap_or(u32::MAX);
        (size, count, u.iter().min().copied().unwrap_or(usize::MAX))
    });
    next
}

/// Each task's size weighed by how oversubscribed each dimension is: over cpus, mem and the
/// batch's other scored dimensions ([`super::score::Dims`]), its share of what all agents
/// offer times the dimension's demand over its capacity (millionths). Smallest first by this
/// size counts a task asking for little of the dimension that runs out as small, even when it
/// asks for much of one that is plentiful.
pub(super) fn pressed_sizes(ctx: &Ctx<'_, '_>) -> Vec<i64> {
    const DIMS: usize = 2 + MAX_EXTRA;
    let need = |ti: usize, t: &super::state::TaskPlan| {
        let mut v = [0i64; DIMS];
        v[0] = t.need.cpus;
        v[1] = t.need.mem;
        for (slot, x) in v.iter_mut().skip(2).zip(ctx.dims.task_amounts(ti)) {
            *slot = x;
        }
        v
    };
    let mut cap = [0i128; DIMS];
    for a in &ctx.agents {
        if let Some(st) = ctx.statics.get(a.static_class as usize) {
            let extra = ctx.dims.offered(a.static_class);
            for (i, x) in [st.offered.0, st.offered.1].into_iter().chain(extra).enumerate() {
                if let Some(c) = cap.get_mut(i) {
                    *c += i128::from(x);
                }
            }
        }
    }
    let mut demand = [0i128; DIMS];
    for (ti, t) in ctx.tasks.iter().enumerate() {
        for (d, x) in demand.iter_mut().zip(need(ti, t)) {
            *d += i128::from(x);
        }
    }
    // The weight: the pressure, demand over capacity (millionths, at most 64).
    let pressure: Vec<i128> =
        cap.iter().zip(&demand).map(|(c, d)| if *c > 0 { (d * 1_000_000 / c).min(64_000_000) } else { 0 }).collect();
    ctx.tasks
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let size: i128 = need(ti, t)
                .iter()
                .zip(cap.iter().zip(&pressure))
                .map(|(n, (c, p))| if *c > 0 { i128::from(*n) * 1_000_000 / c * p / 1_000_000 } else { 0 })
                .sum();
            i64::try_from(size).unwrap_or(i64::MAX)
        })
        .collect()
}

/// Whether the tasks ask for more cpus or mem than the agents offer in all (`sizes` are
/// shares in millionths, cpus and mem summed; each dimension is at most a million).
fn over_capacity(ctx: &Ctx<'_, '_>) -> bool {
    let (mut cpus, mut mem) = ((0i128, 0i128), (0i128, 0i128));
    for a in &ctx.agents {
        if let Some(st) = ctx.statics.get(a.static_class as usize) {
            cpus.1 += i128::from(st.offered.0);
            mem.1 += i128::from(st.offered.1);
        }
    }
    for t in &ctx.tasks {
        cpus.0 += i128::from(t.need.cpus);
        mem.0 += i128::from(t.need.mem);
    }
    cpus.0 > cpus.1 || mem.0 > mem.1
}

/// Runs the repair passes after `first` (placed in `units` order; `feasible` per task) and
/// finishes the best answer; `reuse`: every pass takes the agents as `first` pooled and
/// classed them ([`Layout`]: when `first`'s are the ones a pass would make).
pub(super) fn repair<'r>(
    first: Ctx<'r, '_>,
    units: Vec<Unit>,
    feasible: &[u32],
    pass: Pass,
    reuse: bool,
) -> Result<Plan<'r>, PlaceError> {
    let (opts, r, req) = (first.opts, first.resolved, first.store);
    let mut out = left_out(&first, &units, feasible);
    if !out.contains(&true) {
        return finish(first);
    }
    let layout = reuse.then(|| Layout::of(&first));
    let layout = layout.as_ref();
    let mut total = first.fitter.evaluations;
    let mut best_worth = worth(&first, r.objective);
    let mut best: Option<(Vec<Unit>, Ctx<'r, '_>)> = None;
    let mut plans: Vec<Vec<Unit>> = Vec::new();
    let over = over_capacity(&first);
    // Over capacity under `tasks`, promotion lifts only the left-out units no bigger than the
    // biggest unit placed: a bigger one would take the room of several.
    let by_count = r.objective == Objective::Tasks && over;
    let size = sizes(&first);
    if by_count {
        // Popped last first: smallest by pressed size, then by plain size.
        plans.push(smallest_first(&units, feasible, &size));
        plans.push(smallest_first(&units, feasible, &pressed_sizes(&first)));
    }
    let unit_size = |u: &Unit| u.iter().map(|i| size.get(*i).copied().unwrap_or(0)).fold(0, i64::saturating_add);
    let lift = |ctx: &Ctx<'_, '_>, o: &[Unit]| {
        let mut out = left_out(ctx, o, feasible);
        if by_count {
            let placed = |u: &Unit| u.iter().all(|ti| ctx.placed.get(*ti).is_some_and(Option::is_some));
            let cap = o.iter().filter(|u| placed(u)).map(unit_size).max().unwrap_or(0);
            for (u, x) in o.iter().zip(out.iter_mut()) {
                *x = *x && unit_size(u) <= cap;
            }
        }
        out
    };
    let max = if by_count { MAX_PASSES_OVER } else { MAX_PASSES };
    let mut order = units;
    let (mut passes, mut stale) = (0u32, 0u32);
    while passes < max && stale < PATIENCE {
        let next = match plans.pop() {
            Some(p) => p,
            None => match &best {
                // Promotion continues from the best order so far when the last pass lost.
                Some((o, ctx)) if stale > 0 => promote(o, &lift(ctx, o)),
                _ => promote(&order, &out),
            },
        };
        let Some(ctx) = pass(opts, r, req, &next, layout) else { break };
        passes += 1;
        total = total.saturating_add(ctx.fitter.evaluations);
        let w = worth(&ctx, r.objective);
        out = lift(&ctx, &next);
        if w > best_worth {
            best_worth = w;
            stale = 0;
            let done = !out.contains(&true);
            best = Some((next.clone(), ctx));
            if done {
                break;
            }
        } else {
            stale += 1;
        }
        order = next;
    }
    let mut kept = match best {
        Some((_, ctx)) => ctx,
        None => first,
    };
    let before = kept.fitter.evaluations;
    let searches = (kept.tasks.len() as u64).saturating_mul(SWAP_SEARCHES).max(MIN_SWAP_SEARCHES);
    swaps(&mut kept, feasible, searches, pass, layout);
    total = total.saturating_add(kept.fitter.evaluations.saturating_sub(before));
    let mut plan = finish(kept)?;
    plan.stats.evaluations = total;
    plan.stats.repair_passes = passes;
    Ok(plan)
}

/// Agent `agent`'s cpus and mem offered and free: what a swap's candidates are told apart by
/// (the same whatever the agents' grouping into classes: a class's members hold the same).
fn agent_amounts(ctx: &Ctx<'_, '_>, agent: u32) -> [i64; 4] {
    let Some(a) = ctx.agents.get(agent as usize) else { return [0; 4] };
    let offered = ctx.statics.get(a.static_class as usize).map_or((0, 0), |st| st.offered);
    let free = ctx.scan_rows.get(a.class as usize).map_or((0, 0), |r| r.avail);
    [offered.0, offered.1, free.0, free.1]
}

/// Whether placement `p` may be moved by a swap: a task alone (no gang), without an
/// executor charged by it or volumes.
fn movable(ctx: &Ctx<'_, '_>, p: &Placement) -> bool {
    !p.fit.exec_charged && undoable(ctx, p.task)
}

/// Whether task `ti`, once placed by a swap's trial, can be taken out again exactly: a task
/// alone with no executor (whose charge [`Ctx::unplace`] does not undo) and no volumes. A
/// trial places only such tasks, so that a trial not kept leaves the ledger as it was.
fn undoable(ctx: &Ctx<'_, '_>, ti: usize) -> bool {
    ctx.tasks.get(ti).is_some_and(|t| t.gang.is_none() && t.need.volumes.is_empty() && t.need.executor.is_none())
}

/// Places task `ti` on the best agent the scan finds, if any: one search, counted in
/// `searches` (the swaps' budget, [`SWAP_SEARCHES`]).
fn place_one<'r>(
    ctx: &mut Ctx<'r, '_>,
    ti: usize,
    cache: &mut ScanCache<'r>,
    bufs: &mut (FitOut, FitOut),
    searches: &mut u64,
) -> bool {
    *searches = searches.saturating_add(1);
    let (out, scratch) = bufs;
    match ctx.best_for(ti, out, scratch, cache) {
        Some(b) => {
            ctx.place_task(ti, b.agent, b.class, b.score, out);
            true
        }
        None => false,
    }
}

/// Puts placement `p` back where it was: on its agent with its own fit (the agent's pool is
/// the one it was taken from again), at index `pi` of the placements, its group recounted.
fn put_back<'r>(ctx: &mut Ctx<'r, '_>, pi: usize, mut p: Placement, base: &Groups<'r>) {
    let Some(class) = ctx.agents.get(p.agent as usize).map(|a| a.class) else { return };
    let (task, agent, score) = (p.task, p.agent, p.score);
    ctx.place_task(task, agent, class, score, &mut p.fit);
    if let Some(last) = ctx.placements.pop() {
        ctx.placements.insert(pi.min(ctx.placements.len()), last);
    }
    for x in ctx.placed.iter_mut().flatten() {
        if *x >= pi {
            *x += 1;
        }
    }
    if let Some(x) = ctx.placed.get_mut(task) {
        *x = Some(pi);
    }
    if let Some(g) = ctx.tasks.get(task).map(|t| t.group) {
        ctx.recount(g, base);
    }
}

/// Undoes the placement of task `ti` and recounts its group.
fn take_out<'r>(ctx: &mut Ctx<'r, '_>, ti: usize, base: &Groups<'r>) -> Option<(usize, Placement)> {
    let pi = ctx.placed.get(ti).copied().flatten()?;
    let p = ctx.unplace(pi)?;
    if let Some(g) = ctx.tasks.get(ti).map(|t| t.group) {
        ctx.recount(g, base);
    }
    Some((pi, p))
}

/// Swaps, after the passes, on the kept answer: for each task left out that fits some agent
/// alone (a task of no gang; smallest first under `tasks`, biggest first under `resources`),
/// a direct try, then up to [`SWAP_CANDIDATES`] placed tasks of the batch — movable ones
/// ([`movable`]) on agents where the left-out task would have the cpus and mem if they left,
/// smallest first, one of tasks alike per agent amounts ([`agent_amounts`]) — each in turn
/// taken out (the ledger's [`Ctx::unplace`]): the left-out task placed, then the one taken
/// out placed again elsewhere, or, when it finds no room, the other left-out tasks that fit
/// the room freed on its agent. A left-out task alike one that found no swap is skipped. A trial is kept when the answer's
/// [`worth`] grows (one more task, or a larger placed share), otherwise undone exactly (the
/// tasks it placed taken out, the one taken out put back where it was, at its index).
/// Running tasks are never moved. Deterministic, and blind to how the agents are grouped into
/// classes (tasks alike are told by their needs and rules, agents by their cpus and mem, never
/// by a class); stops once the swaps have made more than `budget` searches ([`place_one`]).
fn swaps<'r>(ctx: &mut Ctx<'r, '_>, feasible: &[u32], budget: u64, pass: Pass, layout: Option<&Layout<'r>>) {
    let objective = ctx.resolved.objective;
    let single = |ctx: &Ctx<'_, '_>, ti: usize| ctx.tasks.get(ti).is_some_and(|t| t.gang.is_none());
    let unplaced = |ctx: &Ctx<'_, '_>, ti: usize| ctx.placed.get(ti).is_some_and(Option::is_none);
    let size = sizes(ctx);
    let size_of = |ti: usize| size.get(ti).copied().unwrap_or(0);
    let mut left: Vec<usize> = (0..ctx.tasks.len())
        .filter(|&ti| unplaced(ctx, ti) && single(ctx, ti) && feasible.get(ti).is_some_and(|n| *n > 0))
        .collect();
    if left.is_empty() {
        return;
    }
    match objective {
        Objective::Tasks => left.sort_by_key(|&ti| (size_of(ti), ti)),
        Objective::Resources => left.sort_by_key(|&ti| (std::cmp::Reverse(size_of(ti)), ti)),
    }
    let mut searches = 0u64;
    let mut cache = ScanCache::new(ctx);
    let mut bufs = (FitOut::default(), FitOut::default());
    let mut base: Option<Groups<'r>> = None;
    // Tasks alike (same needs, rules and group) meet the same ledger: once one found no swap,
    // the others are not tried; nor is a placed task alike one tried before on an agent of the
    // same cpus and mem, offered and free ([`agent_amounts`]: not its class, which depends on
    // what else the batch tells apart).
    let alike = |ctx: &Ctx<'_, '_>, a: usize, b: usize| match (ctx.tasks.get(a), ctx.tasks.get(b)) {
        (Some(x), Some(y)) => {
            // A task of no group is a group of its own: the group tells tasks apart only when
            // their rules count its placements.
            (x.group == y.group || !(x.rules.counts_group() || y.rules.counts_group()))
                && x.rules.id == y.rules.id
                && x.gpu_restricted == y.gpu_restricted
                && (x.rules.id != Rules::NO_ID
                    || !(x.rules.has_hard() || y.rules.has_hard() || x.rules.has_soft() || y.rules.has_soft()))
                && same_need(&x.need, &y.need)
        }
        _ => false,
    };
    let mut failed: Vec<usize> = Vec::new();
    for &u in &left {
        if searches > budget {
            break;
        }
        if !unplaced(ctx, u) {
            continue;
        }
        if failed.iter().any(|&f| alike(ctx, f, u)) {
            continue;
        }
        if place_one(ctx, u, &mut cache, &mut bufs, &mut searches) {
            continue;
        }
        // A trial must be undone exactly when it is not kept: only a task the ledger can take
        // out again ([`Ctx::unplace`]: no executor to charge, no volumes) is placed by one.
        if !undoable(ctx, u) {
            continue;
        }
        let Some(tu) = ctx.tasks.get(u) else { continue };
        let (need, group) = ((tu.need.cpus, tu.need.mem), tu.group);
        // Placed tasks whose leaving would give the left-out task the cpus and mem it needs.
        let mut cands: Vec<(i64, usize)> = ctx
            .placements
            .iter()
            .enumerate()
            .filter(|(_, p)| movable(ctx, p))
            .filter(|(_, p)| {
                let Some(t) = ctx.tasks.get(p.task) else { return false };
                let Some(a) = ctx.agents.get(p.agent as usize) else { return false };
                let avail = ctx.scan_rows.get(a.class as usize).map_or((0, 0), |r| r.avail);
                let fits = avail.0 + t.need.cpus >= need.0 && avail.1 + t.need.mem >= need.1;
                let rules_ok = t.group == group
                    || !tu.rules.has_hard()
                    || tu.rules.check(&ctx.candidate(p.agent), &ctx.groups, group);
                fits && rules_ok && size_of(p.task) <= size_of(u).max(1).saturating_mul(4)
            })
            .map(|(pi, p)| (size_of(p.task), pi))
            .collect();
        if objective == Objective::Resources {
            cands.retain(|(s, _)| *s < size_of(u));
        }
        cands.sort_unstable();
        let mut tried: Vec<(usize, [i64; 4])> = Vec::new();
        cands.retain(|(_, pi)| {
            let Some(p) = ctx.placements.get(*pi) else { return false };
            let amounts = agent_amounts(ctx, p.agent);
            if tried.iter().any(|&(t, a)| a == amounts && alike(ctx, t, p.task)) {
                return false;
            }
            tried.push((p.task, amounts));
            true
        });
        cands.truncate(SWAP_CANDIDATES);
        let mut kept = false;
        // The indices stay valid: a trial that is not kept leaves the placements as they were.
        for (_, pi) in cands {
            if searches > budget {
                break;
            }
            let worth_before = worth(ctx, objective);
            // The counters as the batch began, made once, when some group counts a field.
            let base = match &mut base {
                Some(b) => &*b,
                None if !ctx.groups.counts_any() => &*base.insert(Groups::default()),
                None => match pass(ctx.opts, ctx.resolved, ctx.store, &[], layout) {
                    Some(fresh) => &*base.insert(fresh.groups),
                    None => return,
                },
            };
            let Some(out) = ctx.placements.get(pi).map(|p| p.task) else { break };
            let Some((pi, p)) = take_out(ctx, out, base) else { continue };
            let agent = p.agent;
            let mut added: Vec<usize> = Vec::new();
            if place_one(ctx, u, &mut cache, &mut bufs, &mut searches) {
                added.push(u);
                if !place_one(ctx, out, &mut cache, &mut bufs, &mut searches) {
                    // The others were left out for want of room: only the room freed on the
                    // agent of the task taken out can take them now.
                    let room = |ctx: &Ctx<'_, '_>| {
                        let class = ctx.agents.get(agent as usize).map_or(u32::MAX, |a| a.class);
                        ctx.scan_rows.get(class as usize).map_or((0, 0), |r| r.avail)
                    };
                    for &v in left.iter().filter(|&&v| v != u) {
                        if !undoable(ctx, v) {
                            continue;
                        }
                        let Some(need) = ctx.tasks.get(v).map(|t| (t.need.cpus, t.need.mem)) else { continue };
                        let free = room(ctx);
                        if free.0 < need.0 || free.1 < need.1 {
                            continue;
                        }
                        if unplaced(ctx, v) && place_one(ctx, v, &mut cache, &mut bufs, &mut searches) {
                            added.push(v);
                        }
                    }
                }
            }
            if worth(ctx, objective) > worth_before {
                kept = true;
                break;
            }
            while let Some(v) = added.pop() {
                let undone = take_out(ctx, v, base);
                debug_assert!(undone.is_some(), "a swap's trial placed task {v}, which cannot be taken out");
            }
            put_back(ctx, pi, p, base);
        }
        if !kept && unplaced(ctx, u) {
            failed.push(u);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::PlaceRequest;
    use super::*;
    use smallvec::smallvec;

    fn units(list: &[&[usize]]) -> Vec<Unit> {
        list.iter().map(|u| u.iter().copied().collect()).collect()
    }

    /// A ledger of three agents with ports and racks, and `hostname UNIQUE` / `rack MAX_PER 1`
    /// groups, its units placed in request order.
    fn placed_ledger<'r, 'o>(opts: &'o Options, r: &'o Resolved, req: &'r PlaceRequest) -> Ctx<'r, 'o> {
        let mut ctx = super::super::compile::fixture::prepared(opts, r, req);
        let units: Vec<Unit> = (0..req.tasks.len()).map(|i| smallvec![i]).collect();
        super::super::batch::place_units(&mut ctx, &units);
        ctx
    }

    fn request() -> PlaceRequest {
        use super::super::compile::fixture::{offer, task};
        let offers = vec![
            offer("O0", "a0", "cpus:4;mem:4096;ports:[31000-31009]", "rack:r1"),
            offer("O1", "a1", "cpus:4;mem:4096;ports:[31000-31009]", "rack:r1"),
            offer("O2", "a2", "cpus:2;mem:2048;ports:[31000-31001]", "rack:r2"),
        ];
        let mut tasks = vec![
            task("u0", 2, 512, &["hostname UNIQUE"]),
            task("u1", 2, 512, &["hostname UNIQUE"]),
            task("m0", 1, 256, &["rack MAX_PER 1"]),
            task("p0", 1, 256, &[]),
        ];
        for (t, g) in tasks.iter_mut().zip(["u", "u", "m", "p"]) {
            t.group = Some(g.into());
            t.ports = vec![0, 0];
        }
        PlaceRequest { offers, tasks, ..PlaceRequest::default() }
    }

    #[test]
    fn a_placement_taken_out_and_put_back_leaves_the_ledger_as_it_was() {
        let opts = Options::default();
        let r = Resolved::new(&opts).unwrap();
        let req = request();
        let plan = |ctx: Ctx<'_, '_>| format!("{:?}", finish(ctx));
        let want = plan(placed_ledger(&opts, &r, &req));
        let base = super::super::compile::fixture::prepared(&opts, &r, &req).groups;
        for ti in 0..req.tasks.len() {
            let mut ctx = placed_ledger(&opts, &r, &req);
            assert_eq!(ctx.placements.len(), 4);
            let agent = ctx.placements[ctx.placed[ti].unwrap()].agent;
            let used = ctx.classes[ctx.agents[agent as usize].class as usize].used;
            let (pi, p) = take_out(&mut ctx, ti, &base).unwrap();
            // The task is unplaced, the agent has its cpus and mem back, later indices moved down.
            assert_eq!(ctx.placed[ti], None);
            assert_eq!(ctx.placements.len(), 3);
            let now = ctx.classes[ctx.agents[agent as usize].class as usize].used;
            assert_eq!((used.0 - now.0, used.1 - now.1), (ctx.tasks[ti].need.cpus, ctx.tasks[ti].need.mem));
            for (i, q) in ctx.placements.iter().enumerate() {
                assert_eq!(ctx.placed[q.task], Some(i));
            }
            put_back(&mut ctx, pi, p, &base);
            assert_eq!(plan(ctx), want, "task {ti} taken out and put back");
        }
    }

    #[test]
    fn a_placement_taken_out_frees_its_ports_and_its_group_counts() {
        let opts = Options::default();
        let r = Resolved::new(&opts).unwrap();
        let req = request();
        let base = super::super::compile::fixture::prepared(&opts, &r, &req).groups;
        let mut ctx = placed_ledger(&opts, &r, &req);
        let ports = |ctx: &Ctx<'_, '_>, ti: usize| ctx.placements[ctx.placed[ti].unwrap()].fit.ports.clone();
        let (m0, u0) = (ports(&ctx, 2), ports(&ctx, 0));
        let host = |ctx: &Ctx<'_, '_>, ti: usize| ctx.placements[ctx.placed[ti].unwrap()].agent;
        let (rack_of_m0, host_of_u0) = (host(&ctx, 2), host(&ctx, 0));
        // `rack MAX_PER 1`: m0 alone in its group, out and placed again on the same rack's
        // agent it had, with the same ports (its group no longer counts the rack).
        take_out(&mut ctx, 2, &base).unwrap();
        let mut cache = ScanCache::new(&mut ctx);
        let mut bufs = (FitOut::default(), FitOut::default());
        assert!(place_one(&mut ctx, 2, &mut cache, &mut bufs, &mut 0));
        assert_eq!((host(&ctx, 2), ports(&ctx, 2)), (rack_of_m0, m0));
        // `hostname UNIQUE`: u0 out, u1 out; u1 placed first now takes u0's host and ports.
        take_out(&mut ctx, 0, &base).unwrap();
        take_out(&mut ctx, 1, &base).unwrap();
        assert!(place_one(&mut ctx, 1, &mut cache, &mut bufs, &mut 0));
        assert_eq!((host(&ctx, 1), ports(&ctx, 1)), (host_of_u0, u0));
        assert!(place_one(&mut ctx, 0, &mut cache, &mut bufs, &mut 0));
        assert_ne!(host(&ctx, 0), host(&ctx, 1));
    }

    #[test]
    fn swaps_take_one_placed_task_out_for_two_left_out_ones() {
        use super::super::compile::fixture::{offer, task};
        // One agent of 4 cpus: the big task placed first leaves out two of 2 cpus each; under
        // `tasks` the swap takes the big one out for them.
        let req = PlaceRequest {
            offers: vec![offer("O0", "a0", "cpus:4;mem:4096", "")],
            tasks: vec![task("big", 3, 256, &[]), task("s0", 2, 256, &[]), task("s1", 2, 256, &[])],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let r = Resolved::new(&opts).unwrap();
        let mut ctx = super::super::compile::fixture::prepared(&opts, &r, &req);
        super::super::batch::place_units(&mut ctx, &units(&[&[0], &[1], &[2]]));
        assert_eq!(ctx.placements.len(), 1);
        fn pass<'r, 'o>(
            o: &'o Options,
            r: &'o Resolved,
            q: Req<'r>,
            _: &[Unit],
            _: Option<&Layout<'r>>,
        ) -> Option<Ctx<'r, 'o>> {
            Some(super::super::compile::fixture::prepared(o, r, q.request()))
        }
        swaps(&mut ctx, &[1, 1, 1], 1_000, pass, None);
        let mut placed: Vec<usize> = ctx.placements.iter().map(|p| p.task).collect();
        placed.sort_unstable();
        assert_eq!(placed, [1, 2]);
        // Under `resources` the bigger share stays: nothing to swap for (3 cpus > 2).
        let opts = Options { objective: Objective::Resources, ..Options::default() };
        let r = Resolved::new(&opts).unwrap();
        let mut ctx = super::super::compile::fixture::prepared(&opts, &r, &req);
        super::super::batch::place_units(&mut ctx, &units(&[&[0], &[1], &[2]]));
        swaps(&mut ctx, &[1, 1, 1], 1_000, pass, None);
        assert_eq!(ctx.placements.iter().map(|p| p.task).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn promotion_moves_left_out_units_first_keeping_both_orders() {
        let order = units(&[&[3], &[0, 1], &[2], &[4]]);
        let next = promote(&order, &[false, true, false, true]);
        assert_eq!(next, units(&[&[0, 1], &[4], &[3], &[2]]));
        // Nothing left out: the same order.
        assert_eq!(promote(&order, &[false; 4]), order);
    }

    #[test]
    fn smallest_first_sums_a_gang_and_breaks_ties_by_scarcity_then_request_order() {
        let order: Vec<Unit> = vec![smallvec![0], smallvec![1, 2], smallvec![3], smallvec![4]];
        let sizes = [500, 100, 100, 200, 200];
        let feasible = [9, 9, 9, 5, 1];
        // Gang (1, 2) is 200 like tasks 3 and 4: task 4 fits fewest agents, then 3, then the gang.
        assert_eq!(smallest_first(&order, &feasible, &sizes), units(&[&[4], &[3], &[1, 2], &[0]]));
    }
}
