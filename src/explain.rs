//! Explanations and the finished plan: why each unplaced task was not placed (reasons in
//! check order with per-reason offer counts, and the nearest fit), the Mesos v1 calls, and
//! the mesos-actor profile's offer-major loop.

use serde_json::{json, Map, Value as Json};
use smallvec::SmallVec;

use crate::decision::{
    AgentAccept, Decline, DeclineReason, Launch, Nearest, Plan, Reason, ReasonCode, Stats, Unplaced,
};
use crate::engine::{PlaceError, Profile};
use crate::error::Error;
use crate::fit::{reason, FitOut};
use crate::model::{ConstraintSpec, Range, Ranges, Resource, ResourceValue, Resources, Scalar};
use crate::place::{Ctx, TaskPlan};

/// The text of a constraint as the user wrote it.
pub(crate) fn constraint_text(c: &ConstraintSpec) -> String {
    match c {
        ConstraintSpec::Text(t) => t.clone(),
        ConstraintSpec::Fields(f) => f.join(" "),
        ConstraintSpec::Object { field, operator, value } => match value {
            Some(v) => format!("{field} {operator} {v}"),
            None => format!("{field} {operator}"),
        },
    }
}

fn quote_list<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    items.into_iter().map(|s| format!("`{}`", s.as_ref())).collect::<Vec<_>>().join(", ")
}

fn message(ctx: &Ctx<'_, '_>, t: &TaskPlan, code: ReasonCode, failed: &[usize]) -> String {
    let task = ctx.req.tasks.get(t.index);
    let amount = |v: Scalar| v.to_string();
    match code {
        ReasonCode::Role if ctx.r.profile == Profile::MesosActor => format!(
            "no cpus, mem and ports of the framework role `{}`",
            ctx.opts.roles.first().map_or("*", String::as_str)
        ),
        ReasonCode::Role => {
            format!("no resources usable by the roles {}", quote_list(t.need.roles.iter().map(|r| ctx.roles.name(*r))))
        }
        ReasonCode::Maintenance => "the agent is in or near a maintenance window".to_owned(),
        ReasonCode::Region => match ctx.opts.local_region.as_deref() {
            Some(local) => format!(
                "the offer is from a region other than `{local}` and the task names no `@region` or `@zone` constraint"
            ),
            None => {
                // Only the marathon profile counts regions as remote without `local_region`.
                let mut regions: Vec<&str> =
                    ctx.statics.iter().filter(|s| s.foreign).filter_map(|s| s.region).collect();
                regions.sort_unstable();
                regions.dedup();
                let (what, noun) = if regions.len() == 1 { ("offer is", "region") } else { ("offers are", "regions") };
                format!(
                    "the {what} from {noun} {}, and with no `local_region` set the marathon profile counts every \
                     region as remote; the task names no `@region` or `@zone` constraint",
                    quote_list(regions)
                )
            }
        },
        ReasonCode::Constraint if !failed.is_empty() => {
            format!("constraint not satisfied: {}", quote_list(failed.iter().map(|i| t.rules.hard_text(*i))))
        }
        ReasonCode::Constraint => format!(
            "constraints not satisfied: {}",
            quote_list(task.map(|t| t.constraints.iter().map(constraint_text).collect::<Vec<_>>()).unwrap_or_default())
        ),
        ReasonCode::Reservation => "the task's persistent volume is reserved on another agent".to_owned(),
        ReasonCode::ScarceResources => {
            "the agent offers GPUs, kept for tasks that need them (gpu_scheduling: restricted)".to_owned()
        }
        ReasonCode::InsufficientCpus => {
            format!("not enough cpus: the task needs {}", task.map(|t| amount(t.cpus)).unwrap_or_default())
        }
        ReasonCode::InsufficientMem => {
            format!("not enough mem: the task needs {}", task.map(|t| amount(t.mem)).unwrap_or_default())
        }
        ReasonCode::InsufficientDisk => {
            format!("not enough disk: the task needs {}", task.map(|t| amount(t.disk)).unwrap_or_default())
        }
        ReasonCode::InsufficientGpus => {
            format!("not enough gpus: the task needs {}", task.map(|t| amount(t.gpus)).unwrap_or_default())
        }
        ReasonCode::InsufficientScalar => format!(
            "not enough of {}",
            quote_list(
                task.map(|t| t.scalars.iter().map(|(n, v)| format!("{n}:{v}")).collect::<Vec<_>>()).unwrap_or_default()
            )
        ),
        ReasonCode::InsufficientVolume => format!(
            "no disk for the volumes {}",
            quote_list(
                task.map(|t| {
                    t.volumes.iter().map(|v| format!("{} {}", v.kind.as_str(), v.size)).collect::<Vec<_>>()
                })
                .unwrap_or_default()
            )
        ),
        ReasonCode::InsufficientPorts => format!(
            "host ports not available: the task asks for {}",
            quote_list(task.map(|t| t.ports.iter().map(u64::to_string).collect::<Vec<_>>()).unwrap_or_default())
        ),
        ReasonCode::Gang => String::new(),
        ReasonCode::NoOffers => "the request holds no offers".to_owned(),
    }
}

/// (number of reasons, total shortfall, agent), reason bits, shortfalls.
type NearestCandidate = ((u32, i64, u32), u32, SmallVec<[(u32, i64); 4]>);

/// Why task `k` (its position in `ctx.tasks`) cannot be placed on any agent as they are now:
/// reasons in check order with offer counts, and the nearest agent. Never empty: a task
/// with no offer to look at gets `no_offers`.
pub(crate) fn explain_task<'r>(ctx: &mut Ctx<'r, '_>, k: usize) -> Unplaced<'r> {
    let Some(t) = ctx.tasks.get(k) else { return ctx.empty_unplaced(0) };
    let ti = t.index;
    let mut u = ctx.empty_unplaced(ti);
    if let Some(f) = ctx.gang_failed.get(ti).copied().flatten() {
        let gang = ctx.req.tasks.get(ti).and_then(|x| x.gang.clone()).unwrap_or_default();
        let member = ctx.req.tasks.get(f).map(|x| x.id.clone()).unwrap_or_default();
        u.reasons.push(Reason {
            code: ReasonCode::Gang,
            message: format!("gang `{gang}` is placed all or none, and its member `{member}` could not be placed"),
            offers: 0,
        });
        return u;
    }
    if ctx.agents.is_empty() {
        u.reasons.push(Reason {
            code: ReasonCode::NoOffers,
            message: message(ctx, t, ReasonCode::NoOffers, &[]),
            offers: 0,
        });
        return u;
    }
    let mut counts = [0usize; ReasonCode::ALL.len()];
    let mut nearest: Option<NearestCandidate> = None;
    let mut out = FitOut::default();
    let mut failed: Vec<usize> = Vec::new();
    // Hard constraints whose regex ran out of backtracking steps on some agent (said in the
    // `constraint` reason: failing closed, never silently).
    let mut undecided: Vec<usize> = Vec::new();
    let mut fitter = std::mem::take(&mut ctx.fitter);
    let mut consider = |bits: u32, offers: usize, agent: u32, missing: &SmallVec<[(u32, i64); 4]>| {
        if bits == 0 {
            return;
        }
        for (i, c) in counts.iter_mut().enumerate() {
            if bits & (1 << i) != 0 {
                *c += offers;
            }
        }
        let key = (bits.count_ones(), missing.iter().map(|m| m.1).sum::<i64>(), agent);
        if nearest.as_ref().map_or(true, |(k, _, _)| key < *k) {
            nearest = Some((key, bits, missing.clone()));
        }
    };
    for c in 0..ctx.classes.len() as u32 {
        let Some(cl) = ctx.classes.get(c as usize) else { continue };
        let Some(&first) = cl.members.first() else { continue };
        let sbits = ctx.static_reasons(&fitter, cl.s, t, true);
        let view = ctx.view(c, t);
        let pool = &cl.pool;
        let fbits = fitter.fit(pool, &t.need, view, true, &mut out);
        let mut bits = sbits | fbits;
        if ctx.r.profile == Profile::Marathon && bits & !reason::PORTS != 0 {
            // Marathon reports ports only when everything else matched.
            bits &= !reason::PORTS;
        }
        if t.rules.per_agent && t.rules.has_hard() {
            for &m in &cl.members {
                let cand = ctx.candidate(m);
                let f = t.rules.failed(&cand, &ctx.groups, t.group);
                if let Some(i) = f.filter(|i| !failed.contains(i)) {
                    failed.push(i);
                }
                if let Some(i) = f.filter(|i| !undecided.contains(i) && t.rules.hard_regex_limit_hit(*i, &cand)) {
                    undecided.push(i);
                }
                let mb = if f.is_none() { bits } else { bits | reason::CONSTRAINT };
                let n = ctx.agents.get(m as usize).map_or(0, |a| a.offers.len());
                consider(mb, n, m, &out.missing);
            }
        } else {
            if bits & reason::CONSTRAINT != 0 {
                let cand = ctx.candidate(first);
                let f = t.rules.failed(&cand, &ctx.groups, t.group);
                if let Some(i) = f.filter(|i| !failed.contains(i)) {
                    failed.push(i);
                }
                if let Some(i) = f.filter(|i| !undecided.contains(i) && t.rules.hard_regex_limit_hit(*i, &cand)) {
                    undecided.push(i);
                }
            }
            consider(bits, cl.offers, first, &out.missing);
        }
    }
    ctx.fitter = fitter;
    failed.sort_unstable();
    let Some(t) = ctx.tasks.get(k) else { return u };
    for (i, code) in ReasonCode::ALL.iter().enumerate() {
        let n = counts.get(i).copied().unwrap_or(0);
        if n > 0 {
            let mut text = message(ctx, t, *code, &failed);
            if *code == ReasonCode::Constraint && !undecided.is_empty() {
                undecided.sort_unstable();
                let limit = ctx.opts.limits.regex_backtrack;
                text.push_str(&format!(
                    " (limit.regex_backtrack: the regex of {} needed more than {limit} backtracking steps on some agent, \
                     the limit `regex_backtrack` is {limit}; an undecided match counts as not satisfied)",
                    quote_list(undecided.iter().map(|i| t.rules.hard_text(*i)))
                ));
            }
            u.reasons.push(Reason { code: *code, message: text, offers: n });
        }
    }
    if let Some(((_, _, agent), bits, missing)) = nearest {
        if let Some(a) = ctx.agents.get(agent as usize) {
            u.nearest = Some(Nearest {
                agent_id: a.id,
                hostname: a.hostname,
                lacking: ReasonCode::from_bits(bits).collect(),
                missing: missing
                    .iter()
                    .map(|(n, v)| (ctx.names.name(*n).to_owned(), Scalar::from_millis(*v).to_f64()))
                    .collect(),
            });
        }
    }
    u
}

/// Finishes a batch: accepts, declines, explanations, calls, stats.
pub(crate) fn finish<'r>(mut ctx: Ctx<'r, '_>) -> Plan<'r> {
    let (accept, decline) = ctx.accepts_and_declines();
    let mut unplaced = Vec::new();
    let pos: Vec<usize> = {
        let mut v = vec![0; ctx.req.tasks.len()];
        for (k, t) in ctx.tasks.iter().enumerate() {
            if let Some(x) = v.get_mut(t.index) {
                *x = k;
            }
        }
        v
    };
    let mut explained = std::mem::take(&mut ctx.explained);
    explained.sort_by_key(|(ti, _)| *ti);
    let mut explained = explained.into_iter().peekable();
    for ti in ctx.unplaced_tasks() {
        // Tasks explained when they failed keep that explanation; the other members of a
        // failed gang are explained here (`gang`).
        while explained.next_if(|(x, _)| *x < ti).is_some() {}
        if let Some((_, why)) = explained.next_if(|(x, _)| *x == ti) {
            unplaced.push(why);
        } else if ctx.r.explain {
            let k = pos.get(ti).copied().unwrap_or(0);
            unplaced.push(explain_task(&mut ctx, k));
        } else {
            unplaced.push(ctx.empty_unplaced(ti));
        }
    }
    let stats = ctx.stats();
    let calls = ctx.opts.framework_id.as_deref().map(|fw| calls(&ctx, fw, &accept, &decline));
    Plan { accept, decline, unplaced, calls, stats }
}

fn resource_json(r: &Resource) -> Json {
    crate::wire::mesos::resource_to_json(r)
}

fn resources_json(r: &Resources) -> Json {
    crate::wire::mesos::resources_to_json(r)
}

fn task_info(ctx: &Ctx<'_, '_>, acc: &AgentAccept<'_>, l: &Launch<'_>) -> Json {
    let task = ctx.req.tasks.get(l.task_index);
    let mut m = match task.and_then(|t| t.task_info.as_deref().cloned()) {
        Some(Json::Object(m)) => m,
        _ => Map::new(),
    };
    if !m.contains_key("name") {
        m.insert("name".into(), json!(l.task_id));
    }
    m.insert("task_id".into(), json!({ "value": l.task_id }));
    m.insert("agent_id".into(), json!({ "value": acc.agent_id }));
    m.insert("resources".into(), resources_json(&l.resources));
    if let Some(ex) = task.and_then(|t| t.executor.as_ref()) {
        let mut e = match m.remove("executor") {
            Some(Json::Object(e)) => e,
            _ => Map::new(),
        };
        e.insert("executor_id".into(), json!({ "value": ex.id }));
        if let Some((_, res)) = acc.executors.iter().find(|(id, _)| *id == ex.id) {
            e.insert("resources".into(), resources_json(res));
        }
        m.insert("executor".into(), Json::Object(e));
    }
    Json::Object(m)
}

fn calls(ctx: &Ctx<'_, '_>, fw: &str, accept: &[AgentAccept<'_>], decline: &[Decline<'_>]) -> Vec<Json> {
    let refuse = crate::wire::mesos::scalar_json(ctx.r.refuse_seconds);
    let mut out = Vec::new();
    for acc in accept {
        let mut ops = Vec::new();
        for l in &acc.tasks {
            for (disk, reserve, volume) in &l.creates {
                if *reserve {
                    ops.push(json!({"type": "RESERVE", "reserve": {"resources": [resource_json(disk)]}}));
                }
                ops.push(json!({"type": "CREATE", "create": {"volumes": [resource_json(volume)]}}));
            }
        }
        let infos: Vec<Json> = acc.tasks.iter().map(|l| task_info(ctx, acc, l)).collect();
        ops.push(json!({"type": "LAUNCH", "launch": {"task_infos": infos}}));
        let ids: Vec<Json> = acc.offer_ids.iter().map(|o| json!({ "value": o })).collect();
        out.push(json!({
            "framework_id": {"value": fw},
            "type": "ACCEPT",
            "accept": {"offer_ids": ids, "operations": ops, "filters": {"refuse_seconds": refuse}}
        }));
    }
    if !decline.is_empty() {
        let ids: Vec<Json> = decline.iter().map(|d| json!({ "value": d.offer_id })).collect();
        out.push(json!({
            "framework_id": {"value": fw},
            "type": "DECLINE",
            "decline": {"offer_ids": ids, "filters": {"refuse_seconds": refuse}}
        }));
    }
    out
}

/// mesos-actor's `DefaultTaskMatcher` (SEMANTICS.md §3.2): offers of the framework role
/// only, least free memory first (stable), the first role-matching cpus / mem / ports
/// resources only, every pending task tried in order against each offer, ports lowest first
/// skipping the host's blacklist.
pub(crate) fn mesos_actor<'r>(mut ctx: Ctx<'r, '_>) -> Result<Plan<'r>, PlaceError> {
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
    for (oi, o) in req.offers.iter().enumerate() {
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
        let cand = crate::rules::Candidate {
            hostname: &offer.hostname,
            attributes: &offer.attributes,
            region: offer.region.as_deref(),
            zone: offer.zone.as_deref(),
        };
        let mut k = 0;
        while k < pending.len() {
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
                let c = crate::rules::Candidate {
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
                resources: crate::place::to_resources(rs),
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
            remaining: crate::place::to_resources(remaining),
            executors: Vec::new(),
        });
    }
    let decline: Vec<Decline> = units
        .iter()
        .filter(|u| u.launches.is_empty())
        .filter_map(|u| req.offers.get(u.offer))
        .map(|o| Decline {
            offer_id: o.id.as_str(),
            refuse_seconds: ctx.r.refuse_seconds,
            reason: DeclineReason::Unused,
        })
        .collect();
    // Reasons, against what is left.
    let mut unplaced = Vec::new();
    for &ti in &pending {
        let mut u = ctx.empty_unplaced(ti);
        let (Some(t), Some(tp)) = (req.tasks.get(ti), ctx.tasks.get(ti)) else { continue };
        if ctx.r.explain {
            let mut counts = [0usize; ReasonCode::ALL.len()];
            for unit in &units {
                let Some(offer) = req.offers.get(unit.offer) else { continue };
                let mut bits = 0;
                if !unit.usable || unit.cpus.is_none() || unit.mem.is_none() || unit.ports.is_none() {
                    bits |= reason::ROLE;
                } else {
                    let cand = crate::rules::Candidate {
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
    let stats = Stats { offers: req.offers.len(), tasks: req.tasks.len(), placed, evaluations: ctx.fitter.evaluations };
    let calls = ctx.opts.framework_id.as_deref().map(|fw| calls(&ctx, fw, &accept, &decline));
    Ok(Plan { accept, decline, unplaced, calls, stats })
}
