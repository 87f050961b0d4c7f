//! Tasks compiled for the batch: ids checked, roles, needs (scalars, ports, volumes,
//! executor) and rules (constraints, preferences) built once, runs of equal needs given one
//! [`TaskPlan::need_id`]; the values counted constraints read interned before the batch; and
//! the units of placement (a task, or a gang) in the documented order.
//!
//! **Task order** (documented, deterministic): under the `offerfit` profile, biggest first —
//! by gpus, then cpus, then mem, then disk, descending (first-fit decreasing packs better) —
//! ties in request order; a gang moves as one unit, ranked by its biggest member. Under the
//! `marathon` and `mesos-actor` profiles, request order (a gang at its first member).

use smallvec::SmallVec;

use super::fit::{self, Entry, ExecNeed, Need, VolNeed, NONE};
use super::options::{validate_role, Profile};
use super::request::PlaceError;
use super::rules::{DiskRules, RulesCache};
use super::rules_memo::RulesMemo;
use super::state::{Ctx, TaskPlan};
use super::tables::Interner;
use crate::constraint::{Dialect, Field};
use crate::error::Error;
use crate::hash::{FxMap, FxSet};
use crate::model::{DiskSourceType, GpuScheduling, Scalar};

pub(super) fn millis(s: Scalar) -> i64 {
    s.millis()
}

pub(super) fn ord_key(t: &crate::model::TaskRequest) -> (i64, i64, i64, i64) {
    (millis(t.gpus), millis(t.cpus), millis(t.mem), millis(t.disk))
}

/// `/tasks/{i}`, formatted only when an error needs it.
pub(super) struct TaskPath(usize);

impl std::fmt::Display for TaskPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/tasks/{}", self.0)
    }
}

/// Whether two needs without volumes are equal (for [`TaskPlan::need_id`]).
pub(super) fn same_need(a: &Need, b: &Need) -> bool {
    let exec = |n: &Need| n.executor.map(|e| (e.id, e.cpus, e.mem, e.disk));
    a.volumes.is_empty()
        && b.volumes.is_empty()
        && (a.cpus, a.mem, a.gpus, a.alloc_role, a.reserve_role)
            == (b.cpus, b.mem, b.gpus, b.alloc_role, b.reserve_role)
        && a.scalars == b.scalars
        && a.ports == b.ports
        && a.roles == b.roles
        && a.revocable == b.revocable
        && exec(a) == exec(b)
}

/// Compiles every task; checks ids.
pub(super) fn compile_tasks(ctx: &mut Ctx<'_, '_>) -> Result<(), PlaceError> {
    compile_tasks_with(ctx, None)
}

/// [`compile_tasks`], looking constraints parsed in earlier batches up in `memo` (and keeping
/// the new ones there): the same tasks, the same errors ([`super::rules_memo`]).
pub(super) fn compile_tasks_with(ctx: &mut Ctx<'_, '_>, mut memo: Option<&mut RulesMemo>) -> Result<(), PlaceError> {
    let mut cache = match memo.as_deref_mut() {
        Some(m) => RulesCache::with_shared(std::mem::take(m), &ctx.opts.limits),
        None => RulesCache::default(),
    };
    let done = compile_each(ctx, &mut cache);
    if let (Some(m), Some(kept)) = (memo, cache.into_shared()) {
        *m = kept;
    }
    done
}

fn compile_each<'r>(ctx: &mut Ctx<'r, '_>, rules_cache: &mut RulesCache<'r>) -> Result<(), PlaceError> {
    let req = ctx.req;
    let mut seen: FxSet<&str> = FxSet::with_capacity_and_hasher(req.tasks.len(), Default::default());
    ctx.tasks.reserve_exact(req.tasks.len());
    ctx.groups.reserve(req.tasks.iter().filter(|t| t.group.is_none()).count());
    let mut pid_offered: FxSet<&str> = FxSet::default();
    // Only tasks with persistent volumes ask (most calls have none: skip the walk).
    let wants_pids = req.tasks.iter().any(|t| t.volumes.iter().any(|v| v.persistence_id.is_some()));
    for (_, o) in ctx.store.live_offers().filter(|_| wants_pids) {
        for r in o.resources.iter() {
            if let Some(p) = r.disk.as_ref().and_then(|d| d.persistence.as_ref()) {
                pid_offered.insert(p.id.as_str());
            }
        }
    }
    let default_role = ctx.opts.roles.first().map(String::as_str);
    let mut gangs = Interner::default();
    let mut next_need_id = 0u32;
    // The last task without `accepted_roles` that has a role (its own or the default): its
    // `role` (validated), the roles it may consume and its allocation role, which a task of
    // the same `role` gets again without validating and interning it anew (the other inputs,
    // the default role and the profile, are the call's).
    type LastRole<'a> = (Option<&'a str>, SmallVec<[u32; 4]>, u32);
    let mut last_role: Option<LastRole<'_>> = None;
    type ExecDef<'a> = (&'a str, Scalar, Scalar, Scalar, Option<&'a serde_json::Value>);
    let mut executors: FxMap<&str, ExecDef<'_>> = FxMap::default();
    for (i, t) in req.tasks.iter().enumerate() {
        let base = TaskPath(i);
        if !seen.insert(t.id.as_str()) {
            return Err(PlaceError::new(
                format!("{base}/id"),
                Error::invalid("place.duplicate_task", format!("expected unique task ids, found `{}` twice", t.id)),
            ));
        }
        validate_mesos_id(&t.id).map_err(|m| PlaceError::invalid(format!("{base}/id"), "place.invalid_id", m))?;
        if let Some(ex) = &t.executor {
            validate_mesos_id(&ex.id)
                .map_err(|m| PlaceError::invalid(format!("{base}/executor/id"), "place.invalid_id", m))?;
            // validation.cpp, `executor::internal::validateCompatibleExecutorInfo`: every task
            // that names one executor id must carry the same ExecutorInfo.
            let info = t.task_info.as_deref().and_then(|i| i.get("executor"));
            match executors.get(ex.id.as_str()) {
                Some(&(first, cpus, mem, disk, first_info))
                    if (cpus, mem, disk) != (ex.cpus, ex.mem, ex.disk) || first_info != info =>
                {
                    return Err(PlaceError::new(
                        format!("{base}/executor"),
                        Error::invalid(
                            "place.executor_conflict",
                            format!(
                                "expected the definition of executor `{}` given by task `{first}`, found a different one",
                                ex.id
                            ),
                        )
                        .with_help(
                            "tasks sharing an executor id must give it the same resources and `task_info.executor` \
                             (a Mesos master refuses an executor id redefined on an agent)",
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    executors.insert(ex.id.as_str(), (t.id.as_str(), ex.cpus, ex.mem, ex.disk, info));
                }
            }
        }
        // The previous task's role (tasks of one app share theirs): its ids again.
        let again = last_role.as_ref().filter(|l| {
            l.0 == t.role.as_deref() && t.accepted_roles.is_none() && (l.0.is_some() || default_role.is_some())
        });
        if let Some(role) = t.role.as_deref().filter(|_| again.is_none()) {
            validate_role(role).map_err(|m| PlaceError::invalid(format!("{base}/role"), "place.invalid_task", m))?;
        }
        let task_role = t.role.as_deref().or(default_role);
        let mut roles: SmallVec<[u32; 4]> = SmallVec::new();
        match &t.accepted_roles {
            _ if again.is_some() => {}
            Some(list) => {
                for (j, r) in list.iter().enumerate() {
                    validate_role(r).map_err(|m| {
                        PlaceError::invalid(format!("{base}/accepted_roles/{j}"), "place.invalid_task", m)
                    })?;
                    roles.push(ctx.roles.id(r));
                }
            }
            None => {
                roles.push(fit::STAR);
                match ctx.resolved.profile {
                    Profile::Marathon => {
                        if let Some(r) = task_role {
                            roles.push(ctx.roles.id(r));
                        }
                    }
                    _ => {
                        // The role and its ancestors (hierarchical roles: `a` reservations
                        // are allocatable to `a/b`).
                        if let Some(r) = task_role {
                            let mut cur = r;
                            loop {
                                roles.push(ctx.roles.id(cur));
                                match cur.rfind('/') {
                                    Some(k) => cur = cur.get(..k).unwrap_or(""),
                                    None => break,
                                }
                            }
                        }
                    }
                }
            }
        }
        let alloc_role = match again {
            Some(l) => {
                roles.clone_from(&l.1);
                l.2
            }
            None => {
                let alloc_role = task_role.map_or(NONE, |r| ctx.roles.id(r));
                if t.accepted_roles.is_none() && task_role.is_some() {
                    last_role = Some((t.role.as_deref(), roles.clone(), alloc_role));
                }
                alloc_role
            }
        };
        // A task with an executor stays on non-revocable resources: the executor's resources
        // go in the TaskInfo of every task that shares it, and validation.cpp
        // (`validateTaskAndExecutorResources`) refuses a task and executor that mix kinds.
        let revocable = t.revocable && t.executor.is_none();
        let mut need = Need { roles, alloc_role, reserve_role: alloc_role, revocable, ..Need::default() };
        need.cpus = millis(t.cpus);
        need.mem = millis(t.mem);
        need.gpus = millis(t.gpus);
        let ex = t.executor.as_ref();
        for (path, v) in [
            ("cpus", Some(t.cpus)),
            ("mem", Some(t.mem)),
            ("disk", Some(t.disk)),
            ("gpus", Some(t.gpus)),
            ("elastic/cpus", t.elastic_cpus),
            ("elastic/mem", t.elastic_mem),
            ("executor/cpus", ex.map(|e| e.cpus)),
            ("executor/mem", ex.map(|e| e.mem)),
            ("executor/disk", ex.map(|e| e.disk)),
        ] {
            let Some(v) = v else { continue };
            if v.is_negative() {
                return Err(PlaceError::invalid(
                    format!("{base}/{path}"),
                    "place.invalid_task",
                    format!("expected a non-negative amount, found `{v}`"),
                ));
            }
        }
        let elastic = |e: Option<Scalar>, v: Scalar| e.map_or(millis(v), |m| millis(m).max(millis(v)));
        need.scalars.push((fit::CPUS, need.cpus, elastic(t.elastic_cpus, t.cpus)));
        need.scalars.push((fit::MEM, need.mem, elastic(t.elastic_mem, t.mem)));
        need.scalars.push((fit::DISK, millis(t.disk), millis(t.disk)));
        need.scalars.push((fit::GPUS, need.gpus, need.gpus));
        for (name, v) in &t.scalars {
            if v.is_negative() {
                return Err(PlaceError::invalid(
                    format!("{base}/scalars/{name}"),
                    "place.invalid_task",
                    format!("expected a non-negative amount, found `{v}`"),
                ));
            }
            let id = ctx.names.id(name);
            need.scalars.push((id, millis(*v), millis(*v)));
        }
        if !asks_for_resources(t) {
            // validation.cpp, `task::internal::validateResources`: "Task uses no resources".
            return Err(PlaceError::new(
                base.to_string(),
                Error::invalid(
                    "place.no_resources",
                    format!("expected a task that asks for some resources, found `{}` asking for none", t.id),
                )
                .with_help("a Mesos master refuses a task without resources: give it `cpus`, `mem`, a port, ..."),
            ));
        }
        for (path, max, at_least) in [("cpus", t.elastic_cpus, t.cpus), ("mem", t.elastic_mem, t.mem)] {
            if let Some(max) = max.filter(|m| *m < at_least && !m.is_negative()) {
                return Err(PlaceError::invalid(
                    format!("{base}/elastic/{path}"),
                    "place.invalid_task",
                    format!("expected an elastic maximum of at least the request `{at_least}`, found `{max}`"),
                ));
            }
        }
        for (j, p) in t.ports.iter().enumerate() {
            if *p > 65_535 {
                return Err(PlaceError::invalid(
                    format!("{base}/ports/{j}"),
                    "place.invalid_task",
                    format!("expected a port from 0 to 65535, found `{p}`"),
                ));
            }
            need.ports.push(*p);
            if *p == 0 {
                need.dynamic += 1;
            } else {
                need.fixed_count += 1;
                let r = crate::model::Range { begin: *p, end: *p };
                // The first one (most tasks ask for one fixed port) without a merge.
                if need.fixed.is_empty() {
                    need.fixed = crate::model::Ranges::from_ranges([r]);
                } else {
                    need.fixed.insert(r);
                }
            }
        }
        let mut vols = Vec::new();
        for (j, v) in t.volumes.iter().enumerate() {
            let vpath = format!("{base}/volumes/{j}");
            if matches!(v.kind, DiskSourceType::Block | DiskSourceType::Raw) {
                return Err(PlaceError::invalid(
                    format!("{vpath}/type"),
                    "place.invalid_volume",
                    format!("expected `ROOT`, `PATH` or `MOUNT`, found `{}`", v.kind.as_str()),
                ));
            }
            if v.size.millis() <= 0 {
                return Err(PlaceError::invalid(
                    format!("{vpath}/size"),
                    "place.invalid_volume",
                    format!("expected a positive size, found `{}`", v.size),
                ));
            }
            if let Some(m) = v.max_size.filter(|m| m.is_negative()) {
                return Err(PlaceError::invalid(
                    format!("{vpath}/max_size"),
                    "place.invalid_volume",
                    format!("expected a non-negative max_size, found `{m}`"),
                ));
            }
            if let Some(m) = v.max_size.filter(|m| !m.is_negative() && *m < v.size) {
                return Err(PlaceError::invalid(
                    format!("{vpath}/max_size"),
                    "place.invalid_volume",
                    format!("expected a max_size of at least the size `{}`, found `{m}`", v.size),
                ));
            }
            // Mesos reserves a persistent volume for a role, never for `*` (Marathon refuses a
            // resident app without one): refused up front rather than matching no disk.
            if let Some(pid) = v.persistence_id.as_deref() {
                if let None | Some("*") = task_role {
                    let found = task_role.map_or_else(|| "none".to_owned(), |r| format!("`{r}`"));
                    return Err(PlaceError::new(
                        vpath,
                        Error::invalid(
                            "place.volume_role",
                            format!("expected a role to reserve persistent volume `{pid}` for, found {found}"),
                        )
                        .with_help(
                            "Mesos reserves persistent volumes for a role, never for `*`: set the task's `role` or \
                             `options.roles`",
                        ),
                    ));
                }
            }
            let rules = DiskRules::compile(&v.require, &vpath, &ctx.opts.limits)?;
            let pid = v.persistence_id.as_deref().map_or(NONE, |p| ctx.ids.id(&format!("pid:{p}")));
            vols.push(VolNeed {
                index: j as u16,
                size: millis(v.size),
                kind: v.kind,
                profile: v
                    .profile
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .map_or(NONE, |p| ctx.ids.id(&format!("profile:{p}"))),
                max_size: v.max_size.map(millis),
                rules,
                pid,
                pid_offered: v.persistence_id.as_deref().is_some_and(|p| pid_offered.contains(p)),
            });
        }
        vols.sort_by_key(|v| std::cmp::Reverse(v.size));
        need.volumes = vols;
        if let Some(ex) = &t.executor {
            need.executor = Some(ExecNeed {
                id: ctx.ids.id(&format!("exec:{}", ex.id)),
                cpus: millis(ex.cpus),
                mem: millis(ex.mem),
                disk: millis(ex.disk),
            });
        }
        let rules = rules_cache.compile(t, &base, &ctx.opts.limits, ctx.opts.delimiter.as_deref())?;
        if t.dialect == Dialect::OpenWhisk && !t.constraints.is_empty() {
            ignored_constraints(ctx, t, &base, rules_cache);
        }
        if let Some(info) = t.task_info.as_deref() {
            // Keys a master would drop (camelCase, typos): told, not refused (issue 18).
            for u in crate::mesos::task_info::unknown_fields(info) {
                ctx.warnings.push((format!("{base}/task_info{}", u.pointer), u.warning()));
            }
        }
        let group = ctx.groups.id(t.group_name(), t.instances);
        ctx.groups.track(group, &rules);
        let gpu_restricted = match t.gpu_scheduling {
            Some(g) => g == GpuScheduling::Restricted,
            None => ctx.resolved.gpu_restricted,
        };
        let gang = t.gang.as_deref().map(|g| gangs.id(g));
        // Only tasks with fixed host ports fail fits on the best classes often enough to gain.
        let need_id = match ctx.tasks.last() {
            _ if need.fixed_count == 0 || !need.volumes.is_empty() => u32::MAX,
            Some(prev) if prev.need_id != u32::MAX && same_need(&prev.need, &need) => prev.need_id,
            _ => {
                next_need_id += 1;
                next_need_id
            }
        };
        ctx.tasks.push(TaskPlan { index: i, need, rules, group, gpu_restricted, gang, need_id });
    }
    Ok(())
}

/// The warnings for the constraints an openwhisk task's dialect ignores (the rules were
/// compiled, so the delimiter and every constraint parse), as `parse_constraints` gives them.
/// A constraint the rules' memo holds as parsed (the default delimiter only: the memo's) is
/// not parsed again (no warning: its regex is not compiled twice).
fn ignored_constraints(ctx: &mut Ctx<'_, '_>, t: &crate::model::TaskRequest, base: &TaskPath, memo: &RulesCache<'_>) {
    use crate::constraint::{parse_constraint, ParseOptions, Parsed, DEFAULT_DELIMITER};
    let delimiter = t.delimiter.as_deref().or(ctx.opts.delimiter.as_deref());
    let Ok(opts) = ParseOptions::new(t.dialect, delimiter, &ctx.opts.limits) else { return };
    let memoised = !delimiter.is_some_and(|d| d != DEFAULT_DELIMITER);
    for (j, c) in t.constraints.iter().enumerate() {
        if memoised && memo.parsed_to_constraint(t.dialect, c) {
            continue;
        }
        let input = c.as_input();
        let Ok(Parsed::Ignored(w)) = parse_constraint(input, &opts) else { continue };
        let path = format!("{base}/constraints/{j}{}", w.part.pointer_suffix(&input));
        let error = match (c, w.span) {
            (crate::model::ConstraintSpec::Text(text), Some(span)) => {
                let mut p = crate::error::ParseError::new(w.code, w.message, text.as_str(), span);
                p.help = w.help;
                Error::Parse(Box::new(p))
            }
            _ => {
                let e = Error::invalid(w.code, w.message);
                match w.help {
                    Some(h) => e.with_help(h),
                    None => e,
                }
            }
        };
        ctx.warnings.push((path, error));
    }
}

/// Mesos' id rules (src/common/validation.cpp, `validateID`, used by `validateTaskID` and
/// `validateExecutorID`): not empty, at most `NAME_MAX` (255) bytes, not `.` or `..`, no
/// control character and no `/` or `\\` (ids become directory names on the agent).
pub(crate) fn validate_mesos_id(id: &str) -> Result<(), String> {
    let what = if id.is_empty() {
        "an empty id"
    } else if id.len() > 255 {
        "an id longer than 255 bytes"
    } else if id == "." || id == ".." {
        "a path component"
    } else if id.bytes().any(|c| c < b' ' || c == 0x7f || c == b'/' || c == b'\\') {
        "a control character, `/` or `\\`"
    } else {
        return Ok(());
    };
    Err(format!(
        "expected a Mesos id (1 to 255 bytes, no `/`, `\\` or control character), found {what}: `{}`",
        id.escape_debug()
    ))
}

/// Whether the task asks for any resource at all (a Mesos task must).
fn asks_for_resources(t: &crate::model::TaskRequest) -> bool {
    [t.cpus, t.mem, t.disk, t.gpus].iter().any(|v| v.millis() != 0)
        || t.scalars.iter().any(|(_, v)| v.millis() != 0)
        || !t.ports.is_empty()
        || !t.volumes.is_empty()
}

/// Gives every value an agent shows for a field some group counts its id before the batch:
/// values are then checked by id (read once per class, the hostname once per agent), and
/// a class's values read with ids stay valid while placements are recorded.
pub(super) fn intern_values(ctx: &mut Ctx<'_, '_>) {
    let fields = ctx.groups.counted_fields().to_vec();
    if fields.is_empty() {
        return;
    }
    let hosts = fields.contains(&Field::Hostname);
    ctx.groups.reserve_values(if hosts { ctx.agents.len() } else { 0 } + ctx.statics.len() * fields.len());
    if hosts {
        let mut ids = Vec::with_capacity(ctx.agents.len());
        for a in &ctx.agents {
            ids.push(ctx.groups.intern(std::borrow::Cow::Borrowed(a.hostname)));
        }
        ctx.host_ids = ids;
    }
    let mut ids = Vec::with_capacity(ctx.statics.len() * fields.len());
    for s in 0..ctx.statics.len() {
        // INVARIANT: `s` walks the indices of `statics`.
        let rep = ctx.statics.get(s).map_or(0, |st| st.rep);
        let cand = ctx.candidate(rep);
        for f in &fields {
            // The hostname differs between the agents of a class (`host_ids` has it).
            let v = if *f == Field::Hostname { None } else { cand.field_value(f, Dialect::Marathon) };
            ids.push(v.map(|v| ctx.groups.intern(v)));
        }
    }
    ctx.static_ids = ids;
}

/// A unit of placement: a task, or a gang's members (placed all or none).
pub(super) type Unit = SmallVec<[usize; 1]>;

/// Units of placement (a task, or a gang's members) in the documented order. Under
/// [`Resolved::quality`](super::options::Resolved) the order is the scarcity order
/// ([`scarcity_order`]); `feasible` then holds each task's count of agents it fits on an
/// empty ledger (else it is empty).
pub(super) fn task_order(ctx: &mut Ctx<'_, '_>, feasible: &mut Vec<u32>) -> Vec<Unit> {
    let req = ctx.req;
    let mut units: Vec<Unit> = Vec::with_capacity(ctx.tasks.len());
    let mut gang_unit: FxMap<u32, usize> = FxMap::default();
    for t in &ctx.tasks {
        match t.gang {
            Some(g) => match gang_unit.get(&g) {
                Some(u) => {
                    if let Some(unit) = units.get_mut(*u) {
                        unit.push(t.index);
                    }
                }
                None => {
                    gang_unit.insert(g, units.len());
                    units.push(smallvec::smallvec![t.index]);
                }
            },
            None => units.push(smallvec::smallvec![t.index]),
        }
    }
    if ctx.resolved.quality {
        *feasible = feasible_counts(ctx);
        let sizes = sizes(ctx);
        let slack = slack(ctx, feasible);
        scarcity_order(&mut units, &slack, &sizes);
    } else if ctx.resolved.profile == Profile::Offerfit {
        let key = |i: &usize| req.tasks.get(*i).map(ord_key).unwrap_or_default();
        for u in &mut units {
            u.sort_by(|a, b| key(b).cmp(&key(a)).then(a.cmp(b)));
        }
        units.sort_by(|a, b| {
            let ka = a.first().map(key).unwrap_or_default();
            let kb = b.first().map(key).unwrap_or_default();
            kb.cmp(&ka).then(a.iter().min().cmp(&b.iter().min()))
        });
    }
    units
}

/// Per task, its slack: its feasible count, less the other tasks of its group when some hard
/// constraint of its keeps group mates off each other's agents (`hostname UNIQUE`: ten tasks
/// that fit twelve agents have a slack of 3, not 12; [`Rules::mates_exclusive`]); a task
/// that fits no agent keeps 0. `GROUP_BY` and `CLUSTER` alone take nothing off: their mates
/// share agents (nine `rack GROUP_BY` tasks on six agents are not scarcer than a task that
/// fits one agent).
///
/// [`Rules::mates_exclusive`]: super::rules::Rules::mates_exclusive
pub(super) fn slack(ctx: &Ctx<'_, '_>, feasible: &[u32]) -> Vec<u32> {
    let mut members: FxMap<u32, u32> = FxMap::default();
    for t in ctx.tasks.iter().filter(|t| t.rules.mates_exclusive()) {
        *members.entry(t.group).or_default() += 1;
    }
    ctx.tasks
        .iter()
        .zip(feasible)
        .map(|(t, &n)| match members.get(&t.group) {
            Some(m) if t.rules.mates_exclusive() && n > 0 => n.saturating_sub(m - 1).max(1),
            _ => n,
        })
        .collect()
}

/// The scarcity order: units by the fewest agents a member fits on (an empty ledger:
/// `feasible`), then bigger gangs first, then the biggest member's size (`sizes`, descending),
/// then request order; a gang's members the same way.
///
/// The units arrive by their lowest task (they are built in request order), and their ranks
/// (the order's first three keys) take few values (tasks of an app share needs and rules), so
/// the order is a counting pass: each unit's rank found once (one hash lookup where it
/// differs from the unit before), the distinct ranks sorted, the units dealt out by rank in
/// the order they came. The same order as sorting every unit by its whole key
/// ([`scarcity_order_sorted`], which still serves units that do not arrive by their lowest
/// task or whose ranks are mostly distinct).
pub(super) fn scarcity_order(units: &mut [Unit], feasible: &[u32], sizes: &[i64]) {
    let key = |i: usize| scarcity_key(feasible, sizes, i);
    for u in units.iter_mut() {
        if u.len() > 1 {
            u.sort_by_key(|i| key(*i));
        }
    }
    let n = units.len();
    // Each unit's rank; whether the units arrive by their lowest task, and already in order.
    let mut rank_of: Vec<UnitRank> = Vec::with_capacity(n);
    let mut lowest_before: Option<usize> = None;
    let mut in_order = true;
    for u in units.iter() {
        let lowest = u.iter().min().copied().unwrap_or(usize::MAX);
        if lowest_before.is_some_and(|l| l >= lowest) {
            return scarcity_order_sorted(units, feasible, sizes);
        }
        lowest_before = Some(lowest);
        let r = unit_rank(u, feasible, sizes);
        in_order = in_order && rank_of.last().map_or(true, |before| *before <= r);
        rank_of.push(r);
    }
    if in_order {
        return;
    }
    // Distinct ranks beyond this many: the sort of every unit is as cheap.
    let most = n / 8 + 16;
    let mut ranks: Vec<UnitRank> = Vec::new();
    let mut index: FxMap<UnitRank, u32> = FxMap::default();
    let mut of_unit: Vec<u32> = Vec::with_capacity(n);
    let mut last: Option<(UnitRank, u32)> = None;
    for r in rank_of {
        let b = match last {
            Some((lr, b)) if lr == r => b,
            _ => *index.entry(r).or_insert_with(|| {
                ranks.push(r);
                u32::try_from(ranks.len() - 1).unwrap_or(u32::MAX)
            }),
        };
        if ranks.len() > most {
            return scarcity_order_sorted(units, feasible, sizes);
        }
        last = Some((r, b));
        of_unit.push(b);
    }
    // Each distinct rank's first place in the order: ranks ascending, each taking as many
    // places as it has units.
    let mut by_rank: Vec<u32> = (0..u32::try_from(ranks.len()).unwrap_or(u32::MAX)).collect();
    by_rank.sort_unstable_by_key(|b| ranks.get(*b as usize).copied());
    let mut count = vec![0usize; ranks.len()];
    for b in &of_unit {
        if let Some(c) = count.get_mut(*b as usize) {
            *c += 1;
        }
    }
    let mut next = vec![0usize; ranks.len()];
    let mut at = 0usize;
    for b in &by_rank {
        if let (Some(s), Some(c)) = (next.get_mut(*b as usize), count.get(*b as usize)) {
            *s = at;
            at += c;
        }
    }
    // Deal the units out in the order they came (request order within a rank).
    let mut taken: Vec<Unit> = units.iter_mut().map(std::mem::take).collect();
    for (from, b) in of_unit.iter().enumerate() {
        let Some(s) = next.get_mut(*b as usize) else { continue };
        if let (Some(slot), Some(u)) = (units.get_mut(*s), taken.get_mut(from)) {
            *slot = std::mem::take(u);
        }
        *s += 1;
    }
}

/// A task's key in the scarcity order: its feasible count, its size (descending), its index.
fn scarcity_key(feasible: &[u32], sizes: &[i64], i: usize) -> (u32, std::cmp::Reverse<i64>, usize) {
    (feasible.get(i).copied().unwrap_or(u32::MAX), std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)), i)
}

/// A unit's rank in the scarcity order (the order's keys but its lowest task): its members'
/// least feasible count, its size (bigger gangs first), its first member's size (descending).
type UnitRank = (u32, std::cmp::Reverse<usize>, std::cmp::Reverse<i64>);

/// See [`UnitRank`]; `u`'s members already in their order.
fn unit_rank(u: &Unit, feasible: &[u32], sizes: &[i64]) -> UnitRank {
    let first = u.first().map_or(std::cmp::Reverse(0), |i| scarcity_key(feasible, sizes, *i).1);
    let count = u.iter().map(|i| scarcity_key(feasible, sizes, *i).0).min().unwrap_or(u32::MAX);
    (count, std::cmp::Reverse(u.len()), first)
}

/// [`scarcity_order`] by sorting every unit by its whole key (units' members already in their
/// order): rank, then lowest task.
fn scarcity_order_sorted(units: &mut [Unit], feasible: &[u32], sizes: &[i64]) {
    units.sort_by_cached_key(|u| (unit_rank(u, feasible, sizes), u.iter().min().copied().unwrap_or(usize::MAX)));
}

/// Each task's size: the sum over cpus and mem of its request divided by what all agents
/// offer (millionths; a dimension nobody offers counts 0).
pub(super) fn sizes(ctx: &Ctx<'_, '_>) -> Vec<i64> {
    // Per static class, what one agent offers times its agents (every agent is in one): the
    // sum over the agents, without a pass over them.
    let (mut cpus, mut mem) = (0i128, 0i128);
    for st in &ctx.statics {
        cpus += i128::from(st.offered.0) * i128::from(st.agents);
        mem += i128::from(st.offered.1) * i128::from(st.agents);
    }
    // In 64 bits when the product and the total fit (always, but for sums beyond 9.2e12
    // thousandths): the same quotient (both truncate), without a 128-bit division per task.
    let share = |need: i64, total: i128| match (need.checked_mul(1_000_000), i64::try_from(total)) {
        _ if total <= 0 => 0,
        (Some(n), Ok(t)) => i128::from(n / t),
        _ => i128::from(need) * 1_000_000 / total,
    };
    ctx.tasks
        .iter()
        .map(|t| i64::try_from(share(t.need.cpus, cpus) + share(t.need.mem, mem)).unwrap_or(i64::MAX))
        .collect()
}

/// [`feasible_counts`] looks at no more than this many static classes in all, plus
/// [`FEASIBLE_PER_ITEM`] per task and per agent; the needs left when the budget is spent
/// count as fitting every agent (they are then ordered by size alone).
pub(super) const FEASIBLE_BUDGET: usize = 1 << 18;
/// See [`FEASIBLE_BUDGET`].
pub(super) const FEASIBLE_PER_ITEM: usize = 64;

/// Per task, how many agents it fits on the empty ledger (before any placement of this
/// batch, running tasks counted): the static checks (roles, maintenance, region, the hard
/// constraints of a task whose rules read no hostname, reservation, GPUs), once per static class and set of
/// rules, then the amounts ([`holds_amounts`]). Tasks with the same needs and rules are
/// counted once, so the cost is (distinct rules × static classes) static checks plus
/// (distinct needs × static classes) comparisons of a few integers.
pub(super) fn feasible_counts(ctx: &mut Ctx<'_, '_>) -> Vec<u32> {
    use std::hash::{Hash, Hasher};
    // Every agent is in one static class, which counts its agents.
    let per_static: Vec<u32> = ctx.statics.iter().map(|st| st.agents).collect();
    let all = u32::try_from(ctx.agents.len()).unwrap_or(u32::MAX);
    let mut budget = FEASIBLE_BUDGET
        .saturating_add(FEASIBLE_PER_ITEM.saturating_mul(ctx.tasks.len().saturating_add(ctx.agents.len())));
    let fitter = std::mem::take(&mut ctx.fitter);
    // What the static checks read of a task → per static class, whether it passes.
    type StaticKey = (u32, bool, bool, SmallVec<[u32; 4]>, u32, bool);
    let mut passes: FxMap<StaticKey, Vec<bool>> = FxMap::default();
    // (hash of needs and rules) → (a task with them, its count).
    let mut seen: FxMap<u64, SmallVec<[(usize, u32); 1]>> = FxMap::default();
    let mut counts = Vec::with_capacity(ctx.tasks.len());
    // A large static pool's entries by (name, role), so that a need's amounts are summed over
    // the entries of its names and roles only (issue 20: one agent's 10,000 `cpus` entries,
    // each reserved for its own role, were each read by each of 10,000 tasks' counts).
    let indexes: Vec<Option<RoleIndex>> = ctx
        .statics
        .iter()
        .map(|st| {
            (st.pool.len() > INDEXED_POOL).then(|| {
                let mut m = RoleIndex::default();
                for (i, e) in st.pool.iter().enumerate() {
                    m.entry((e.name, e.role)).or_default().push(i as u32);
                }
                m
            })
        })
        .collect();
    for (ti, t) in ctx.tasks.iter().enumerate() {
        let shared = (t.rules.id != super::rules::Rules::NO_ID || !t.rules.has_hard()) && t.need.volumes.is_empty();
        let mut h = crate::hash::Fx::default();
        (t.rules.id, t.gpu_restricted, t.need.cpus, t.need.mem, t.need.gpus, t.need.dynamic).hash(&mut h);
        t.need.ports.hash(&mut h);
        // The named scalars too: tasks that differ only there (10,000 tasks each asking for
        // another of an agent's scalars) would share one bucket, each compared with all before.
        t.need.scalars.hash(&mut h);
        // And the roles (10,000 tasks each of its own role, issue 20): `same_need` compares them.
        (&t.need.roles, t.need.alloc_role, t.need.reserve_role, t.need.revocable).hash(&mut h);
        let key = h.finish();
        let known = seen.get(&key).and_then(|list| {
            list.iter().find_map(|&(o, n)| {
                let other = ctx.tasks.get(o)?;
                let same = shared
                    && other.rules.id == t.rules.id
                    && other.gpu_restricted == t.gpu_restricted
                    // One need id: equal needs (`compile_tasks` gave it by `same_need`).
                    && ((t.need_id != u32::MAX && other.need_id == t.need_id) || same_need(&other.need, &t.need));
                same.then_some(n)
            })
        });
        if let Some(n) = known {
            counts.push(n);
            continue;
        }
        // The budget: each need counted costs one look at every static class (two when its
        // static checks are new); once it is spent the rest count as fitting every agent.
        let cost = ctx.statics.len().saturating_mul(2);
        if budget < cost {
            counts.push(all);
            continue;
        }
        budget -= cost;
        let statics = || {
            (0..ctx.statics.len())
                .map(|s| ctx.static_reasons_with(&fitter, s as u32, t, false, None, true) == 0)
                .collect::<Vec<bool>>()
        };
        let own: Vec<bool>;
        let ok: &[bool] = if shared {
            let skey = (
                t.rules.id,
                t.gpu_restricted,
                t.need.gpus == 0,
                t.need.roles.clone(),
                t.need.alloc_role,
                t.need.revocable,
            );
            passes.entry(skey).or_insert_with(statics)
        } else {
            own = statics();
            &own
        };
        let mut n = 0u32;
        for (s, st) in ctx.statics.iter().enumerate() {
            if ok.get(s) == Some(&true) && holds_amounts(&st.pool, indexes.get(s).and_then(Option::as_ref), &t.need) {
                n = n.saturating_add(per_static.get(s).copied().unwrap_or(0));
            }
        }
        if shared {
            seen.entry(key).or_default().push((ti, n));
        }
        counts.push(n);
    }
    ctx.fitter = fitter;
    counts
}

/// A static pool's entries by (name, role), ascending.
pub(super) type RoleIndex = FxMap<(u32, u32), Vec<u32>>;

/// Static pools of more entries than this are indexed by (name, role) for [`holds_amounts`].
const INDEXED_POOL: usize = 64;

/// Whether `pool` holds the amounts `need` asks for, counting the resources of the task's
/// roles (and allocation role, and revocable ones only when it may use them): each scalar
/// (disk: ROOT disk that is no volume), and as many ports as it asks for (the fixed ones among
/// them). A cheap bound for [`feasible_counts`]: volumes, executors and the blacklist are
/// left to the placement itself.
///
/// With `index` (the pool's entries by name and role), only the entries of the names and roles
/// the need may use are read; the sums are the same (amounts are never negative, so the order
/// of a saturating sum does not matter).
pub(super) fn holds_amounts(pool: &[Entry], index: Option<&RoleIndex>, need: &Need) -> bool {
    let usable = |e: &Entry| {
        need.roles.contains(&e.role)
            && (e.alloc == NONE || need.alloc_role == NONE || e.alloc == need.alloc_role)
            && (!e.revocable || need.revocable)
    };
    // The entries named `name` the need may use (unfiltered by the other conditions).
    let named = |name: u32| -> Box<dyn Iterator<Item = &Entry> + '_> {
        match index {
            None => Box::new(pool.iter().filter(move |e| e.name == name)),
            Some(index) => Box::new(
                need.roles
                    .iter()
                    .enumerate()
                    .filter(|&(k, r)| !need.roles.get(..k).is_some_and(|before| before.contains(r)))
                    .filter_map(move |(_, r)| index.get(&(name, *r)))
                    .flatten()
                    .filter_map(|&i| pool.get(i as usize)),
            ),
        }
    };
    for &(name, amount, _) in &need.scalars {
        if amount <= 0 {
            continue;
        }
        let mut have = 0i64;
        for e in named(name).filter(|e| usable(e)) {
            if name != fit::DISK || (e.disk == fit::DiskKind::Root && e.pid == NONE && !e.has_volume) {
                have = have.saturating_add(e.scalar());
            }
        }
        if have < amount {
            return false;
        }
    }
    if need.ports.is_empty() {
        return true;
    }
    let mut free = 0u64;
    let mut fixed = 0usize;
    for e in named(fit::PORTS).filter(|e| usable(e)) {
        free = free.saturating_add(e.amount.port_count());
        fixed += need.fixed.iter().filter(|p| e.amount.has_port(p.begin)).count();
    }
    fixed >= need.fixed_count && free >= need.ports.len() as u64
}

/// Test fixtures shared by the rooms' unit tests: a ledger prepared as the batch prepares it
/// (offers pooled, tasks compiled, running tasks counted, agents classed, values interned).
#[cfg(test)]
pub(super) mod fixture {
    use super::super::classes::{group_agents, pool_agents};
    use super::super::options::{Options, Resolved};
    use super::super::request::PlaceRequest;
    use super::super::state::Ctx;
    use super::{compile_tasks, intern_values};
    use crate::model::{Offer, Scalar, TaskRequest};

    /// An offer `id` of agent `agent` (hostname `agent`) with these resources and attributes.
    pub(in crate::engine) fn offer(id: &str, agent: &str, resources: &str, attributes: &str) -> Offer {
        let mut o = Offer::new(id, agent, agent);
        o.resources = crate::parse_resources(resources, "*").unwrap();
        o.attributes = crate::parse_attributes(attributes).unwrap();
        o
    }

    /// A task `id` asking for `cpus` and `mem` (units), with these constraints.
    pub(in crate::engine) fn task(id: &str, cpus: i64, mem: i64, constraints: &[&str]) -> TaskRequest {
        let mut t = TaskRequest::new(id);
        t.cpus = Scalar::from_units(cpus);
        t.mem = Scalar::from_units(mem);
        t.constraints = constraints.iter().map(|c| crate::model::ConstraintSpec::text(*c)).collect();
        t
    }

    /// The ledger of `req` as the batch has it before its first task.
    pub(in crate::engine) fn prepared<'r, 'o>(
        opts: &'o Options,
        resolved: &'o Resolved,
        req: &'r PlaceRequest,
    ) -> Ctx<'r, 'o> {
        let mut ctx = Ctx::new(opts, resolved, req);
        pool_agents(&mut ctx).unwrap();
        compile_tasks(&mut ctx).unwrap();
        ctx.groups.record_running(&req.running, &req.offers);
        group_agents(&mut ctx);
        intern_values(&mut ctx);
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{offer, prepared, task};
    use super::*;
    use crate::engine::options::{Options, Resolved};
    use crate::engine::request::PlaceRequest;

    #[test]
    fn tasks_are_compiled_in_request_order_with_shared_need_ids() {
        let with_port = |id: &str, cpus: i64, port: u64| {
            let mut t = task(id, cpus, 64, &[]);
            t.ports = vec![port];
            t
        };
        let req = PlaceRequest {
            offers: vec![offer("o1", "a1", "cpus:8;mem:8192;ports:[31000-31010]", "")],
            tasks: vec![
                with_port("t1", 1, 31000),
                with_port("t2", 1, 31000),
                with_port("t3", 2, 31000),
                task("t4", 1, 1, &[]),
            ],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        let index: Vec<usize> = ctx.tasks.iter().map(|t| t.index).collect();
        assert_eq!(index, [0, 1, 2, 3]);
        let ids: Vec<u32> = ctx.tasks.iter().map(|t| t.need_id).collect();
        // Equal needs with fixed host ports in a row share an id; a task without them has none.
        assert_eq!(ids[0], ids[1]);
        assert_ne!(ids[1], ids[2]);
        assert_ne!(ids[2], u32::MAX);
        assert_eq!(ids[3], u32::MAX);
        let t = &ctx.tasks[0];
        assert_eq!((t.need.cpus, t.need.mem, t.need.ports.as_slice()), (1000, 64_000, &[31000u64][..]));
    }

    #[test]
    fn biggest_tasks_go_first_under_the_offerfit_profile_only() {
        let req = PlaceRequest {
            offers: vec![offer("o1", "a1", "cpus:8;mem:8192", "")],
            tasks: vec![task("small", 1, 64, &[]), task("big", 4, 64, &[]), task("mid", 2, 64, &[])],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        let mut ctx = ctx;
        let order: Vec<Vec<usize>> = task_order(&mut ctx, &mut Vec::new()).into_iter().map(|u| u.to_vec()).collect();
        assert_eq!(order, [vec![1], vec![2], vec![0]]);
        let marathon = Options { profile: Profile::Marathon, ..Options::default() };
        let resolved = Resolved::new(&marathon).unwrap();
        let mut ctx = prepared(&marathon, &resolved, &req);
        let order: Vec<Vec<usize>> = task_order(&mut ctx, &mut Vec::new()).into_iter().map(|u| u.to_vec()).collect();
        assert_eq!(order, [vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn scarce_tasks_go_first_counting_their_group_under_unique() {
        let unique = |id: &str| {
            let mut t = task(id, 1, 64, &["hostname UNIQUE"]);
            t.group = Some("app".into());
            t
        };
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:8;mem:8192", "zone:a"),
                offer("o2", "a2", "cpus:8;mem:8192", "zone:b"),
                offer("o3", "a3", "cpus:2;mem:8192", "zone:b"),
            ],
            tasks: vec![
                task("free", 4, 64, &[]),
                unique("u1"),
                unique("u2"),
                task("zoned", 1, 64, &["zone IS a"]),
                task("huge", 16, 64, &[]),
            ],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut feasible = Vec::new();
        let order: Vec<usize> = task_order(&mut ctx, &mut feasible).into_iter().flat_map(|u| u.to_vec()).collect();
        assert_eq!(feasible, [2, 3, 3, 1, 0]);
        assert_eq!(slack(&ctx, &feasible), [2, 2, 2, 1, 0]);
        // huge (fits nothing), zoned (1), then slack 2: free (biggest), u1, u2.
        assert_eq!(order, [4, 3, 0, 1, 2]);
    }

    #[test]
    fn duplicate_task_ids_and_bad_roles_are_refused_with_their_path() {
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let req = PlaceRequest { tasks: vec![task("t", 1, 1, &[]), task("t", 1, 1, &[])], ..PlaceRequest::default() };
        let mut ctx = Ctx::new(&opts, &resolved, &req);
        let e = compile_tasks(&mut ctx).unwrap_err();
        assert_eq!((e.path.as_str(), e.error.code()), ("/tasks/1/id", "place.duplicate_task"));
        let mut bad = task("t", 1, 1, &[]);
        bad.role = Some("a//b".into());
        let req = PlaceRequest { tasks: vec![bad], ..PlaceRequest::default() };
        let mut ctx = Ctx::new(&opts, &resolved, &req);
        let e = compile_tasks(&mut ctx).unwrap_err();
        assert_eq!((e.path.as_str(), e.error.code()), ("/tasks/0/role", "place.invalid_task"));
    }

    /// The scarcity order as it was first written: every unit sorted by its whole key.
    fn scarcity_reference(units: &mut [Unit], feasible: &[u32], sizes: &[i64]) {
        let key = |i: usize| {
            (feasible.get(i).copied().unwrap_or(u32::MAX), std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)), i)
        };
        for u in units.iter_mut() {
            u.sort_by_key(|i| key(*i));
        }
        units.sort_by_cached_key(|u| {
            let first = u.first().map_or((u32::MAX, std::cmp::Reverse(0), usize::MAX), |i| key(*i));
            let count = u.iter().map(|i| key(*i).0).min().unwrap_or(u32::MAX);
            (count, std::cmp::Reverse(u.len()), first.1, u.iter().min().copied().unwrap_or(usize::MAX))
        });
    }

    #[test]
    fn the_counting_scarcity_order_is_the_sorted_one() {
        let mut seed = 0x5CA2_C17Eu64;
        let mut next = |below: u64| crate::engine::portset::splitmix(&mut seed) % below;
        for case in 0..300 {
            let tasks = 1 + next(400) as usize;
            // Few distinct values (the counting pass), or many (the sort it falls back to).
            let spread = if case % 3 == 0 { 1000 } else { 4 };
            let feasible: Vec<u32> = (0..tasks).map(|_| next(spread) as u32).collect();
            let sizes: Vec<i64> = (0..tasks).map(|_| next(spread) as i64 * 1000).collect();
            // Units in request order, some of them gangs of the tasks that follow (or, one
            // case in five, gangs gathering tasks from anywhere).
            let mut units: Vec<Unit> = Vec::new();
            let mut i = 0;
            while i < tasks {
                let len = if next(6) == 0 { 1 + next(4) as usize } else { 1 };
                units.push((i..(i + len).min(tasks)).collect());
                i += len;
            }
            if case % 5 == 0 && units.len() > 2 {
                let (a, b) = (next(units.len() as u64) as usize, next(units.len() as u64) as usize);
                let moved = units[a].pop();
                if let (Some(m), true) = (moved, a != b) {
                    units[b].push(m);
                }
                units.retain(|u| !u.is_empty());
            }
            let mut want = units.clone();
            scarcity_reference(&mut want, &feasible, &sizes);
            scarcity_order(&mut units, &feasible, &sizes);
            assert_eq!(units, want, "case {case}");
        }
    }

    #[test]
    fn tasks_with_the_same_constraints_share_rules_whatever_came_between() {
        let (a, b, c) = (&["rack GROUP_BY"][..], &["hostname UNIQUE"][..], &["rack LIKE r1", "hostname UNIQUE"][..]);
        let mut tasks: Vec<_> =
            [a, b, a, c, a, b, c, c, &[]].iter().enumerate().map(|(i, cs)| task(&format!("t{i}"), 1, 1, cs)).collect();
        // The same constraints under another delimiter are other rules.
        let mut other = task("t9", 1, 1, a);
        other.delimiter = Some(";".into());
        tasks.push(other);
        tasks.push(task("t10", 1, 1, a));
        let req = PlaceRequest {
            offers: vec![offer("o1", "a1", "cpus:8;mem:8192", "rack:r1")],
            tasks,
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        let ids: Vec<u32> = ctx.tasks.iter().map(|t| t.rules.id).collect();
        let none = crate::engine::rules::Rules::NO_ID;
        assert_eq!(ids, [0, 1, 0, 2, 0, 1, 2, 2, none, 3, 0]);
    }
}
