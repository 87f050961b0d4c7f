//! Explanations: why a task was not placed — reasons in check order with per-reason offer
//! counts, a message naming what was short, and the nearest agent — made against the ledger
//! as it is when the task fails.

use smallvec::SmallVec;

use super::fit::{reason, FitOut};
use super::options::Profile;
use super::state::{Ctx, TaskPlan};
use crate::decision::{Nearest, Reason, ReasonCode, Unplaced};
use crate::model::{ConstraintSpec, Scalar};

/// The text of a constraint as the user wrote it.
pub(super) fn constraint_text(c: &ConstraintSpec) -> String {
    match c {
        ConstraintSpec::Text(t) => t.clone(),
        ConstraintSpec::Fields(f) => f.join(" "),
        ConstraintSpec::Object { field, operator, value } => match value {
            Some(v) => format!("{field} {operator} {v}"),
            None => format!("{field} {operator}"),
        },
    }
}

/// Items a message lists before it says how many more there are (a task's ports, scalars,
/// constraints): a reason's message stays short however long the task's lists are.
const QUOTED_ITEMS: usize = 16;

/// Items quoted and joined with `, `: the first [`QUOTED_ITEMS`], then `and N more`.
pub(super) fn quote_list<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    let mut out = String::new();
    let mut more = 0usize;
    for (i, s) in items.into_iter().enumerate() {
        if i >= QUOTED_ITEMS {
            more += 1;
            continue;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(s.as_ref());
        out.push('`');
    }
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

/// A reason's message as the plan carries it: one line (control characters escaped), each
/// quoted piece of user text and the whole clipped (see [`crate::error::clip_message`]).
pub(super) fn one_line(text: String) -> String {
    match crate::error::clip_message(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(o) => o,
    }
}

/// The message of reason `code` for task `t`: one line, bounded.
pub(super) fn message(ctx: &Ctx<'_, '_>, t: &TaskPlan, code: ReasonCode, failed: &[usize]) -> String {
    one_line(message_text(ctx, t, code, failed))
}

fn message_text(ctx: &Ctx<'_, '_>, t: &TaskPlan, code: ReasonCode, failed: &[usize]) -> String {
    let task = ctx.req.tasks.get(t.index);
    let amount = |v: Scalar| v.to_string();
    match code {
        ReasonCode::Role if ctx.resolved.profile == Profile::MesosActor => format!(
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
        ReasonCode::Reservation => {
            // The volume may be offered on this very agent and taken by a task placed earlier
            // in the batch (a volume that is not SHARED; a SHARED one serves several tasks):
            // then that task is named, not "another agent".
            let mine = |v: &crate::model::VolumeRequest| v.persistence_id.clone();
            let pids: Vec<String> = task.map(|t| t.volumes.iter().filter_map(mine).collect()).unwrap_or_default();
            let holder = ctx.placements.iter().filter_map(|p| ctx.req.tasks.get(p.task)).find_map(|o| {
                o.volumes
                    .iter()
                    .filter_map(|v| v.persistence_id.as_deref())
                    .find(|pid| pids.iter().any(|x| x == pid))
                    .map(|pid| (pid, o.id.as_str()))
            });
            match holder {
                Some((pid, other)) => format!(
                    "the task's persistent volume `{pid}` is already taken by task `{other}` in this call (a \
                     persistent volume that is not SHARED goes to one task)"
                ),
                None => "the task's persistent volume is reserved on another agent".to_owned(),
            }
        }
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
        ReasonCode::InstanceLimit => format!(
            "the offer already carries {} launches, the most `max_instances_per_offer` allows (Marathon's \
             `--max_instances_per_offer`)",
            ctx.opts.max_instances_per_offer
        ),
    }
}

/// (number of reasons, total shortfall, agent), reason bits, shortfalls.
pub(super) type NearestCandidate = ((u32, i64, u32), u32, SmallVec<[(u32, i64); 4]>);

/// Why task `ti` (its index in the request, and in `ctx.tasks`) cannot be placed on any agent as they are now:
/// reasons in check order with offer counts, and the nearest agent. Never empty: a task
/// with no offer to look at gets `no_offers`.
pub(super) fn explain_task<'r>(ctx: &mut Ctx<'r, '_>, ti: usize) -> Unplaced<'r> {
    let Some(t) = ctx.tasks.get(ti) else { return ctx.empty_unplaced(0) };
    let mut u = ctx.empty_unplaced(ti);
    if let Some(f) = ctx.gang_failed.get(ti).copied().flatten() {
        let gang = ctx.req.tasks.get(ti).and_then(|x| x.gang.clone()).unwrap_or_default();
        let member = ctx.req.tasks.get(f).map(|x| x.id.clone()).unwrap_or_default();
        u.reasons.push(Reason {
            code: ReasonCode::Gang,
            message: one_line(format!(
                "gang `{gang}` is placed all or none, and its member `{member}` could not be placed"
            )),
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
    let mut consider = |bits: u32, offers: usize, agent: u32, missing: &[(u32, i64)]| {
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
            nearest = Some((key, bits, SmallVec::from_slice(missing)));
        }
    };
    for c in 0..ctx.classes.len() as u32 {
        let Some(cl) = ctx.classes.get(c as usize) else { continue };
        let Some(&first) = cl.members.first() else { continue };
        let sbits = ctx.static_reasons(&fitter, cl.static_class, t, true);
        let view = ctx.view(c, t);
        let fbits = cl.pool.fit(&mut fitter, &t.need, view, true, &mut out);
        let mut bits = sbits | fbits;
        if ctx.resolved.profile == Profile::Marathon && bits & !reason::PORTS != 0 {
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
                // INVARIANT: `m` is a member of a class, so an agent of the ledger.
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
    let Some(t) = ctx.tasks.get(ti) else { return u };
    for (i, code) in ReasonCode::ALL.iter().enumerate() {
        // INVARIANT: `counts` holds one count per code of `ReasonCode::ALL`.
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
            u.reasons.push(Reason { code: *code, message: one_line(text), offers: n });
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

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::{offer, prepared, task};
    use super::super::options::{Options, Resolved};
    use super::super::request::PlaceRequest;
    use super::*;

    #[test]
    fn a_task_is_explained_by_its_reasons_in_check_order_and_the_nearest_agent() {
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:1;mem:1024", "rack:r1"),
                offer("o2", "a2", "cpus:2;mem:64", "rack:r2"),
            ],
            tasks: vec![task("t", 2, 512, &["rack LIKE r1"])],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let why = explain_task(&mut ctx, 0);
        assert_eq!(why.task_id, "t");
        let codes: Vec<(ReasonCode, usize)> = why.reasons.iter().map(|r| (r.code, r.offers)).collect();
        assert_eq!(
            codes,
            [(ReasonCode::Constraint, 1), (ReasonCode::InsufficientCpus, 1), (ReasonCode::InsufficientMem, 1)]
        );
        assert_eq!(why.nearest.map(|n| n.agent_id), Some("a1"));
    }

    #[test]
    fn a_constraint_is_quoted_as_written() {
        assert_eq!(constraint_text(&ConstraintSpec::text("rack LIKE r1")), "rack LIKE r1");
    }
}
