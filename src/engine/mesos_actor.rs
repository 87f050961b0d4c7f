//! The `mesos-actor` profile: OpenWhisk's Mesos container factory's `DefaultTaskMatcher`,
//! an offer-major loop of its own (it shares only the request intake, the compiled tasks and
//! the output with the other profiles).

use smallvec::SmallVec;

use super::explain::message;
use super::fit::reason;
use super::options::Objective;
use super::output::{calls, metadata_bytes, to_resources};
use super::request::PlaceError;
use super::state::Ctx;
use crate::decision::{AgentAccept, Decline, DeclineReason, Launch, Plan, Reason, ReasonCode, Stats};
use crate::error::Error;
use crate::model::{Range, Ranges, Resource, ResourceValue, Scalar};

/// mesos-actor's `DefaultTaskMatcher` (SEMANTICS.md §3.2): offers of the framework role
/// only, least free memory first (stable), the first role-matching cpus / mem / ports
/// resources only, every pending task tried in order against each offer, ports lowest first
/// skipping the host's blacklist.
pub(super) fn mesos_actor<'r>(mut ctx: Ctx<'r, '_>) -> Result<Plan<'r>, PlaceError> {
    let req = ctx.req;
    for (i, t) in req.tasks.iter().enumerate() {
        let unsupported = [
            ("disk", !t.disk.is_zero()),
            ("gpus", !t.gpus.is_zero()),
            ("scalars", !t.scalars.is_empty()),
            ("volumes", !t.volumes.is_empty()),
            ("gang", t.gang.is_some()),
            ("elastic", t.elastic_cpus.is_some() || t.elastic_mem.is_some()),
            ("executor", t.executor.is_some()),
            ("preferences", !t.preferences.is_empty()),
        ];
        if let Some((field, _)) = unsupported.iter().find(|(_, bad)| *bad) {
            return Err(PlaceError::new(
                format!("/tasks/{i}/{field}"),
                Error::invalid(
                    "place.unsupported",
                    format!("expected a task mesos-actor can run (cpus, mem, ports, constraints), found `{field}`"),
                )
                .with_help("use the `offerfit` or `marathon` profile for this task"),
            ));
        }
    }
    let role = ctx.opts.roles.first().map_or("*", String::as_str);
    struct Unit {
        offer: usize,
        cpus: Option<usize>,
        mem: Option<usize>,
        ports: Option<usize>,
        rem_cpus: i64,
        rem_mem: i64,
        used_ports: Ranges,
        launches: Vec<(usize, SmallVec<[u64; 4]>)>,
        blacklist: Ranges,
        usable: bool,
    }
    let mut units: Vec<Unit> = Vec::new();
    // Request order, or under `tie_break: agent_id` offers by (agent id, offer id).
    let mut offer_order: Vec<usize> = ctx.store.live_offers().map(|(i, _)| i).collect();
    if ctx.opts.tie_break == super::options::TieBreak::AgentId {
        offer_order.sort_by(|x, y| {
            let key = |i: &usize| req.offers.get(*i).map(|o| (o.agent_id.as_str(), o.id.as_str()));
            key(x).cmp(&key(y))
        });
    }
    for oi in offer_order {
        let Some(o) = req.offers.get(oi) else { continue };
        let first = |name: &str| {
            o.resources.iter().position(|r| {
                r.name == name && r.role() == role && (name != "ports" || r.ranges().is_some_and(|x| !x.is_empty()))
            })
        };
        let (cpus, mem) = (first("cpus"), first("mem"));
        // The first role-matching ports resource must hold at least one range.
        let ports = o.resources.iter().position(|r| r.name == "ports" && r.role() == role);
        let ports =
            ports.filter(|p| o.resources.as_slice().get(*p).and_then(Resource::ranges).is_some_and(|x| !x.is_empty()));
        let val = |i: Option<usize>| {
            i.and_then(|i| o.resources.as_slice().get(i)).and_then(Resource::scalar).map_or(0, Scalar::millis)
        };
        let blacklist = ctx
            .opts
            .port_blacklist
            .get(&o.hostname)
            .map(|p| Ranges::from_ranges(p.iter().map(|x| Range { begin: *x, end: *x })))
            .unwrap_or_default();
        units.push(Unit {
            offer: oi,
            cpus,
            mem,
            ports,
            rem_cpus: val(cpus),
            rem_mem: val(mem),
            used_ports: Ranges::new(),
            launches: Vec::new(),
            blacklist,
            usable: o.resources.iter().any(|r| r.role() == role),
        });
    }
    let mut order: Vec<usize> = (0..units.len()).filter(|u| units.get(*u).is_some_and(|x| x.usable)).collect();
    order.sort_by_key(|u| {
        let x = units.get(*u);
        // The value of the first role-matching mem resource (absent sorts first, as 0).
        x.map_or(0, |x| {
            req.offers
                .get(x.offer)
                .and_then(|o| x.mem.and_then(|m| o.resources.as_slice().get(m)))
                .and_then(Resource::scalar)
                .map_or(0, Scalar::millis)
        })
    });
    let mut pending: Vec<usize> = (0..req.tasks.len()).collect();
    let mut placed_order: Vec<(usize, usize)> = Vec::new(); // (unit, task)
    for &ui in &order {
        let Some(unit) = units.get_mut(ui) else { continue };
        let (Some(_), Some(_), Some(pi)) = (unit.cpus, unit.mem, unit.ports) else { continue };
        let Some(offer) = req.offers.get(unit.offer) else { continue };
        let Some(ranges) = offer.resources.as_slice().get(pi).and_then(Resource::ranges) else { continue };
        let cand = super::rules::Candidate {
            hostname: &offer.hostname,
            attributes: &offer.attributes,
            region: offer.region.as_deref(),
            zone: offer.zone.as_deref(),
        };
        let mut k = 0;
        while k < pending.len() {
            // INVARIANT: `k < pending.len()` (the loop's condition).
            let ti = pending.get(k).copied().unwrap_or(0);
            let (Some(t), Some(tp)) = (req.tasks.get(ti), ctx.tasks.get(ti)) else {
                k += 1;
                continue;
            };
            ctx.fitter.evaluations += 1;
            let fits = tp.rules.check(&cand, &ctx.groups, tp.group)
                && unit.rem_cpus >= t.cpus.millis()
                && unit.rem_mem >= t.mem.millis();
            let mut ports: SmallVec<[u64; 4]> = SmallVec::new();
            if fits {
                let want = t.ports.len();
                'scan: for r in ranges.iter() {
                    let mut p = r.begin;
                    while p <= r.end && ports.len() < want {
                        if !unit.used_ports.contains_value(p) && !unit.blacklist.contains_value(p) {
                            ports.push(p);
                        }
                        if p == r.end {
                            break;
                        }
                        p += 1;
                    }
                    if ports.len() >= want {
                        break 'scan;
                    }
                }
            }
            if fits && ports.len() == t.ports.len() {
                unit.rem_cpus -= t.cpus.millis();
                unit.rem_mem -= t.mem.millis();
                for p in &ports {
                    unit.used_ports.insert(Range { begin: *p, end: *p });
                }
                let c = super::rules::Candidate {
                    hostname: &offer.hostname,
                    attributes: &offer.attributes,
                    region: offer.region.as_deref(),
                    zone: offer.zone.as_deref(),
                };
                ctx.groups.record(tp.group, &c);
                unit.launches.push((ti, ports));
                placed_order.push((ui, ti));
                pending.remove(k);
            } else {
                k += 1;
            }
        }
    }
    // Accepts in order of first placement.
    let mut seen: Vec<usize> = Vec::new();
    for (u, _) in &placed_order {
        if !seen.contains(u) {
            seen.push(*u);
        }
    }
    // The launches copy their offer resources' metadata: bounded as `output::finish` bounds
    // the other profiles' (issue 20), before any is built.
    let limits = &ctx.opts.limits;
    let per = if ctx.opts.framework_id.is_some() { 2 } else { 1 };
    let (mut copied, mut launches) = (0usize, 0usize);
    for unit in seen.iter().filter_map(|ui| units.get(*ui)) {
        let Some(offer) = req.offers.get(unit.offer) else { continue };
        let w = |i: Option<usize>| i.and_then(|i| offer.resources.as_slice().get(i)).map_or(0, metadata_bytes);
        let (cpus, mem, ports) = (w(unit.cpus), w(unit.mem), w(unit.ports));
        for (_, p) in &unit.launches {
            launches += 1;
            let one = cpus.saturating_add(mem).saturating_add(ports.saturating_mul(p.len()));
            copied = copied.saturating_add(one.saturating_mul(per));
            if per == 2 {
                copied = copied.saturating_add(offer.agent_id.len());
            }
            if copied > limits.repeat_budget() {
                return Err(PlaceError::new("/tasks", limits.repeat_budget_exceeded(copied, launches)));
            }
        }
    }
    let mut accept = Vec::new();
    let mut placed = 0;
    for &ui in &seen {
        let Some(unit) = units.get(ui) else { continue };
        let Some(offer) = req.offers.get(unit.offer) else { continue };
        let res = |i: Option<usize>| i.and_then(|i| offer.resources.as_slice().get(i));
        let mut tasks = Vec::new();
        for (ti, ports) in &unit.launches {
            let Some(t) = req.tasks.get(*ti) else { continue };
            let mut rs = Vec::new();
            for p in ports {
                if let Some(r) = res(unit.ports) {
                    let mut r = r.clone();
                    r.value = ResourceValue::Ranges(Ranges::from_ranges([Range { begin: *p, end: *p }]));
                    rs.push(r);
                }
            }
            for (i, v) in [(unit.cpus, t.cpus), (unit.mem, t.mem)] {
                if let Some(r) = res(i) {
                    let mut r = r.clone();
                    r.value = ResourceValue::Scalar(v);
                    rs.push(r);
                }
            }
            placed += 1;
            tasks.push(Launch {
                task_id: t.id.as_str(),
                resources: to_resources(rs),
                ports: ports.to_vec(),
                score: 0.0,
                executor_resources: None,
                task_index: *ti,
                creates: Vec::new(),
            });
        }
        let mut remaining = Vec::new();
        for (i, r) in offer.resources.iter().enumerate() {
            let mut r = r.clone();
            if Some(i) == unit.cpus {
                r.value = ResourceValue::Scalar(Scalar::from_millis(unit.rem_cpus));
            } else if Some(i) == unit.mem {
                r.value = ResourceValue::Scalar(Scalar::from_millis(unit.rem_mem));
            } else if Some(i) == unit.ports {
                if let ResourceValue::Ranges(x) = &r.value {
                    r.value = ResourceValue::Ranges(x.subtract(&unit.used_ports));
                }
            }
            if !r.value.is_empty() {
                remaining.push(r);
            }
        }
        accept.push(AgentAccept {
            agent_id: offer.agent_id.as_str(),
            hostname: offer.hostname.as_str(),
            offer_ids: vec![offer.id.as_str()],
            tasks,
            remaining: to_resources(remaining),
            executors: Vec::new(),
        });
    }
    let decline: Vec<Decline> = units
        .iter()
        .filter(|u| u.launches.is_empty())
        .filter_map(|u| req.offers.get(u.offer))
        .map(|o| Decline {
            offer_id: o.id.as_str(),
            refuse_seconds: ctx.resolved.refuse_seconds,
            reason: DeclineReason::Unused,
        })
        .collect();
    // Reasons, against what is left.
    let mut unplaced = Vec::new();
    for &ti in &pending {
        let mut u = ctx.empty_unplaced(ti);
        let (Some(t), Some(tp)) = (req.tasks.get(ti), ctx.tasks.get(ti)) else { continue };
        if ctx.resolved.explain {
            let mut counts = [0usize; ReasonCode::ALL.len()];
            for unit in &units {
                let Some(offer) = req.offers.get(unit.offer) else { continue };
                let mut bits = 0;
                if !unit.usable || unit.cpus.is_none() || unit.mem.is_none() || unit.ports.is_none() {
                    bits |= reason::ROLE;
                } else {
                    let cand = super::rules::Candidate {
                        hostname: &offer.hostname,
                        attributes: &offer.attributes,
                        region: offer.region.as_deref(),
                        zone: offer.zone.as_deref(),
                    };
                    if !tp.rules.check(&cand, &ctx.groups, tp.group) {
                        bits |= reason::CONSTRAINT;
                    }
                    if unit.rem_cpus < t.cpus.millis() {
                        bits |= reason::CPUS;
                    }
                    if unit.rem_mem < t.mem.millis() {
                        bits |= reason::MEM;
                    }
                    let free = unit
                        .ports
                        .and_then(|p| offer.resources.as_slice().get(p))
                        .and_then(Resource::ranges)
                        .map_or(0, |r| r.subtract(&unit.used_ports).subtract(&unit.blacklist).value_count());
                    if free < t.ports.len() as u64 {
                        bits |= reason::PORTS;
                    }
                    // The task was tried against this offer and refused. Its resources only
                    // shrank since, so when they suffice now the refusal was the constraints:
                    // a GROUP_BY count that has moved on since.
                    if bits == 0 {
                        bits = reason::CONSTRAINT;
                    }
                }
                for (i, c) in counts.iter_mut().enumerate() {
                    if bits & (1 << i) != 0 {
                        *c += 1;
                    }
                }
            }
            for (i, code) in ReasonCode::ALL.iter().enumerate() {
                // INVARIANT: `counts` holds one count per code of `ReasonCode::ALL`.
                let n = counts.get(i).copied().unwrap_or(0);
                if n > 0 {
                    u.reasons.push(Reason { code: *code, message: message(&ctx, tp, *code, &[]), offers: n });
                }
            }
            if units.is_empty() {
                let code = ReasonCode::NoOffers;
                u.reasons.push(Reason { code, message: message(&ctx, tp, code, &[]), offers: 0 });
            }
        }
        unplaced.push(u);
    }
    let objective_value = match ctx.resolved.objective {
        Objective::Tasks => placed as f64,
        Objective::Resources => super::score::score_value(ctx.share_of(placed_order.iter().map(|(_, ti)| *ti))),
    };
    let stats = Stats { placed, objective_value, ..ctx.stats() };
    let calls = calls(&ctx);
    Ok(Plan { accept, decline, unplaced, calls, stats, warnings: std::mem::take(&mut ctx.warnings) })
}

#[cfg(test)]
mod tests {
    use super::super::classes::pool_agents;
    use super::super::compile::compile_tasks;
    use super::super::compile::fixture::{offer, task};
    use super::super::options::{Options, Profile, Resolved};
    use super::super::request::PlaceRequest;
    use super::*;

    fn plan(req: &PlaceRequest) -> Result<Plan<'_>, PlaceError> {
        let opts = Options { profile: Profile::MesosActor, ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = Ctx::new(&opts, &resolved, req);
        pool_agents(&mut ctx).unwrap();
        compile_tasks(&mut ctx).unwrap();
        mesos_actor(ctx)
    }

    #[test]
    fn offers_with_the_least_free_memory_are_filled_first() {
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:4;mem:4096;ports:[31000-31001]", ""),
                offer("o2", "a2", "cpus:4;mem:1024;ports:[31000-31001]", ""),
            ],
            tasks: vec![task("t1", 1, 512, &[]), task("t2", 1, 512, &[]), task("t3", 1, 8000, &[])],
            ..PlaceRequest::default()
        };
        let plan = plan(&req).unwrap();
        assert_eq!(plan.accept.len(), 1);
        assert_eq!(plan.accept[0].offer_ids, ["o2"]);
        let launched: Vec<&str> = plan.accept[0].tasks.iter().map(|l| l.task_id).collect();
        assert_eq!(launched, ["t1", "t2"]);
        assert_eq!(plan.decline.iter().map(|d| d.offer_id).collect::<Vec<_>>(), ["o1"]);
        assert_eq!(plan.unplaced.len(), 1);
        assert_eq!(plan.unplaced[0].task_id, "t3");
        assert_eq!(plan.stats.placed, 2);
    }

    #[test]
    fn fields_the_profile_cannot_run_are_refused() {
        let mut t = task("t", 1, 1, &[]);
        t.gpus = Scalar::from_units(1);
        let req = PlaceRequest { tasks: vec![t], ..PlaceRequest::default() };
        let e = plan(&req).unwrap_err();
        assert_eq!((e.path.as_str(), e.error.code()), ("/tasks/0/gpus", "place.unsupported"));
    }
}
