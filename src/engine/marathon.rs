//! The `marathon` profile's loop: Marathon matches offer by offer, not agent by agent.
//!
//! How Marathon 1.10 (`mesosphere/marathon` @ `90619da70d79`) places, in our words:
//! - `OfferMatcherManagerActor` takes the offers one at a time (`startProcessOffer`; up to
//!   `max_parallel_offers` at once, each on its own leftover, so never two offers pooled). An
//!   offer is handed to the matchers (one `TaskLauncherActor` per run spec, here: per task
//!   `group`) in a random order, the matchers waiting for a persistent volume this offer
//!   carries first (`offerMatchers`: `random.shuffle(reserved) ++ random.shuffle(normal)`).
//! - A matcher answers with at most one instance (`TaskLauncherActor.receiveProcessOffers`:
//!   `InstanceOpFactoryImpl.matchOfferRequest` tries its scheduled instances in turn and stops
//!   at the first that matches), built from what is left of the offer; a matcher that matched
//!   goes to the back of the queue (`receiveMatchedInstances`: `addMatcher` when
//!   `addedOps.nonEmpty`), one that did not is done with this offer.
//! - The offer is finished when the queue is empty or it carries `max_instances_per_offer`
//!   launches (`scheduleNextMatcherOrFinish`; `OfferMatcherManagerConfig.maxInstancesPerOffer`,
//!   default 5). No agent is scored: the first offer that holds an instance gets it.
//!
//! Here: offers in request order (under `tie_break: agent_id`, by agent id then offer id),
//! each a ledger agent of its own ([`super::classes::pool_agents`]); the matchers' random
//! order is drawn from `seed` and the offer's id (a seeded Fisher-Yates shuffle, not Marathon's
//! RNG); a gang is a pod: all its members on one offer, counted as one instance. Launch
//! tokens (`--launch_tokens`) are not modelled. Resources are matched by the fitter under the
//! marathon rules ([`super::fit`]); a task left over is explained against what the batch left,
//! plus `instance_limit` for the offers it would have fitted but that were full.

use std::collections::VecDeque;

use super::compile::Unit;
use super::explain::{explain_task, message};
use super::fit::{splitmix, FitOut, Fitter};
use super::output::finish;
use super::request::PlaceError;
use super::state::Ctx;
use crate::decision::{Plan, Reason, ReasonCode};

/// Runs the batch offer by offer (`units` in request order, a gang at its first member).
pub(super) fn marathon<'r>(mut ctx: Ctx<'r, '_>, units: &[Unit]) -> Result<Plan<'r>, PlaceError> {
    let limit = ctx.opts.max_instances_per_offer.max(1) as usize;
    // The matchers: one per group, in order of the group's first unit; each holds its units
    // in request order (Marathon's scheduled instances of one run spec).
    let mut matchers: Vec<(u32, Vec<usize>)> = Vec::new();
    for (ui, unit) in units.iter().enumerate() {
        let Some(g) = unit.first().and_then(|ti| ctx.tasks.get(*ti)).map(|t| t.group) else { continue };
        match matchers.iter_mut().find(|(x, _)| *x == g) {
            Some((_, list)) => list.push(ui),
            None => matchers.push((g, vec![ui])),
        }
    }
    let mut done = vec![false; units.len()];
    // Per agent (offer): how many instances it got.
    let mut launched = vec![0usize; ctx.agents.len()];
    let mut out = FitOut::default();
    for agent in 0..ctx.agents.len() as u32 {
        let mut queue = matcher_order(&ctx, agent, units, &matchers, &done);
        let mut count = 0;
        while count < limit {
            let Some(m) = queue.pop_front() else { break };
            let Some((_, list)) = matchers.get(m) else { continue };
            // The matcher's first pending unit that matches what is left of the offer.
            let hit = list.iter().copied().filter(|u| !done.get(*u).copied().unwrap_or(true)).find(|&u| {
                let unit = units.get(u).map_or(&[][..], |x| x.as_slice());
                place_unit(&mut ctx, unit, agent, &mut out)
            });
            if let Some(u) = hit {
                if let Some(d) = done.get_mut(u) {
                    *d = true;
                }
                count += 1;
                queue.push_back(m);
            }
        }
        if let Some(l) = launched.get_mut(agent as usize) {
            *l = count;
        }
    }
    if ctx.resolved.explain {
        for (ui, unit) in units.iter().enumerate() {
            if done.get(ui).copied().unwrap_or(true) {
                continue;
            }
            for &ti in unit {
                let why = explain_left(&mut ctx, ti, unit, &launched, limit);
                ctx.explained.push((ti, why));
            }
        }
    }
    finish(ctx)
}

/// The order the matchers see offer `agent` in: those with a pending unit whose persistent
/// volume the offer carries first, then the others, each part shuffled by a seeded
/// Fisher-Yates (the seed mixed with the offer id, so the order does not depend on where the
/// offer stands in the request).
fn matcher_order(
    ctx: &Ctx<'_, '_>,
    agent: u32,
    units: &[Unit],
    matchers: &[(u32, Vec<usize>)],
    done: &[bool],
) -> VecDeque<usize> {
    let a = ctx.agents.get(agent as usize);
    let offer = a.and_then(|a| a.offers.first()).and_then(|o| ctx.req.offers.get(*o as usize));
    let pids = a.and_then(|a| ctx.statics.get(a.static_class as usize)).map_or(&[][..], |s| s.pids.as_slice());
    let (mut reserved, mut normal) = (Vec::new(), Vec::new());
    for (m, (_, list)) in matchers.iter().enumerate() {
        let mut pending = list.iter().filter(|u| !done.get(**u).copied().unwrap_or(true)).peekable();
        if pending.peek().is_none() {
            continue;
        }
        // `precedenceFor`: the matcher waits for a persistent volume of this offer.
        let waits = !pids.is_empty()
            && pending.flat_map(|u| units.get(*u).map_or(&[][..], |x| x.as_slice())).any(|ti| {
                ctx.tasks
                    .get(*ti)
                    .is_some_and(|t| t.need.volumes.iter().any(|v| v.pid_offered && pids.contains(&v.pid)))
            });
        if waits {
            reserved.push(m);
        } else {
            normal.push(m);
        }
    }
    let mut state = ctx.opts.seed ^ offer.map_or(0, |o| fnv1a(o.id.as_bytes()));
    shuffle(&mut reserved, &mut state);
    shuffle(&mut normal, &mut state);
    reserved.into_iter().chain(normal).collect()
}

/// FNV-1a over `bytes`: a hash that is the same on every platform (the seed of an offer's
/// matcher order).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// A Fisher-Yates shuffle drawing from [`splitmix`].
fn shuffle(list: &mut [usize], state: &mut u64) {
    for i in (1..list.len()).rev() {
        let j = (splitmix(state) % (i as u64 + 1)) as usize;
        list.swap(i, j);
    }
}

/// Places every task of `unit` on `agent` (one offer), or none (a gang is a pod: one offer
/// holds all its members).
fn place_unit(ctx: &mut Ctx<'_, '_>, unit: &[usize], agent: u32, out: &mut FitOut) -> bool {
    let snapshot = (unit.len() > 1).then(|| {
        let groups: Vec<u32> = unit.iter().filter_map(|ti| ctx.tasks.get(*ti).map(|t| t.group)).collect();
        ctx.groups.snapshot(&groups)
    });
    let mut undo: Vec<u32> = Vec::new();
    for &ti in unit {
        let Some(class) = ctx.agents.get(agent as usize).map(|a| a.class) else { return false };
        if !fits(ctx, ti, agent, class, out) {
            while let Some(from) = undo.pop() {
                ctx.unplace_last(from);
            }
            if let Some(snap) = snapshot {
                ctx.groups.restore(snap);
            }
            return false;
        }
        ctx.place_task(ti, agent, class, 0, out);
        undo.push(class);
    }
    true
}

/// Whether task `ti` matches what is left of `agent` (in state class `class`): the static
/// reasons, its hard constraints on this agent, then the resources; the fit is left in `out`.
fn fits(ctx: &mut Ctx<'_, '_>, ti: usize, agent: u32, class: u32, out: &mut FitOut) -> bool {
    let mut fitter = std::mem::take(&mut ctx.fitter);
    let ok = fits_with(ctx, &mut fitter, ti, agent, class, out);
    ctx.fitter = fitter;
    ok
}

fn fits_with(ctx: &Ctx<'_, '_>, fitter: &mut Fitter, ti: usize, agent: u32, class: u32, out: &mut FitOut) -> bool {
    let (Some(t), Some(cl)) = (ctx.tasks.get(ti), ctx.classes.get(class as usize)) else { return false };
    if ctx.static_reasons(fitter, cl.static_class, t, false) != 0 {
        return false;
    }
    if t.rules.has_hard() && !t.rules.check(&ctx.candidate(agent), &ctx.groups, t.group) {
        return false;
    }
    cl.pool.fit(fitter, &t.need, ctx.view(class, t), false, out) == 0
}

/// Why task `ti` (of `unit`) was left over: its reasons against what the batch left, then
/// `instance_limit` for the full offers it matches, and for a gang whose members each match
/// somewhere, that no one offer holds them all.
fn explain_left<'r>(
    ctx: &mut Ctx<'r, '_>,
    ti: usize,
    unit: &[usize],
    launched: &[usize],
    limit: usize,
) -> crate::Unplaced<'r> {
    let mut why = explain_task(ctx, ti);
    let mut out = FitOut::default();
    // Offers it matches now: full ones, and others (handed out before it matched them).
    let (mut full, mut open) = (0, 0);
    for agent in 0..ctx.agents.len() as u32 {
        let Some(class) = ctx.agents.get(agent as usize).map(|a| a.class) else { continue };
        if fits(ctx, ti, agent, class, &mut out) {
            let n = ctx.agents.get(agent as usize).map_or(0, |a| a.offers.len());
            if launched.get(agent as usize).copied().unwrap_or(0) >= limit {
                full += n;
            } else {
                open += n;
            }
        }
    }
    if let Some(t) = ctx.tasks.get(ti) {
        if full > 0 {
            let code = ReasonCode::InstanceLimit;
            why.reasons.push(Reason { code, message: message(ctx, t, code, &[]), offers: full });
        }
        if why.reasons.is_empty() && unit.len() == 1 && open > 0 {
            // It matches some offer now that it did not match when that offer was handed
            // out: a constraint counting the group's placements (GROUP_BY) has moved since.
            let code = ReasonCode::Constraint;
            why.reasons.push(Reason { code, message: message(ctx, t, code, &[]), offers: open });
        }
        if unit.len() > 1 && why.reasons.is_empty() {
            let gang = ctx.req.tasks.get(ti).and_then(|x| x.gang.clone()).unwrap_or_default();
            why.reasons.push(Reason {
                code: ReasonCode::Gang,
                message: format!(
                    "gang `{gang}` is a pod under the marathon profile: all {} members on one offer, and no offer holds them all",
                    unit.len()
                ),
                offers: 0,
            });
        }
    }
    why
}
