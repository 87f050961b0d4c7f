//! The ledger turned into the answer: accepts (per agent, with the exact resources and
//! ports of each launch), declines with their reasons, the unplaced tasks' explanations, the
//! statistics, and — when the options name a framework — the Mesos v1 ACCEPT / DECLINE calls.

use serde_json::{json, Map, Value as Json};
use smallvec::SmallVec;

use super::classes::OwnPorts;
use super::explain::explain_task;
use super::fit::{self, Amount, Entry, NONE};
use super::options::Objective;
use super::request::PlaceError;
use super::state::{Ctx, Placement};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::decision::{AgentAccept, Calls, Decline, DeclineReason, Launch, Plan, Stats, Unplaced};
use crate::mesos::write_text::{List, Num, One, ResourceOut};
use crate::model::{Resource, ResourceValue, Resources, Scalar, TaskRequest};

/// Resources in the given order (like ones merged): like ones found by name, not by a walk
/// per resource ([`Resources::push`] is linear in the entries).
pub(super) fn to_resources(list: Vec<Resource>) -> Resources {
    Resources::from_vec_merged(list)
}

/// Output helpers shared by the explain/decision stage.
impl<'r> Ctx<'r, '_> {
    /// The resource an entry came from, with a new amount.
    pub(super) fn resource_with(&self, e: &Entry, value: ResourceValue) -> Option<Resource> {
        let src = self.req.offers.get(e.src.0 as usize)?.resources.as_slice().get(e.src.1 as usize)?;
        // Field by field: the source's own value is never copied.
        Some(Resource {
            name: src.name.clone(),
            value,
            reservations: if src.reservations.is_empty() { SmallVec::new() } else { src.reservations.clone() },
            disk: src.disk.clone(),
            shared: src.shared,
            revocable: src.revocable,
            allocation_role: src.allocation_role.clone(),
            provider_id: src.provider_id.clone(),
        })
    }

    /// What is left of a pool, as resources.
    pub(super) fn pool_resources(&self, pool: &[Entry]) -> Resources {
        // Merged once at the end, by name: an agent of 10,000 entries is not 10,000 walks.
        let mut out = Vec::with_capacity(pool.len());
        for e in pool {
            if e.is_empty() {
                continue;
            }
            let v = match &e.amount {
                Amount::Scalar(v) => ResourceValue::Scalar(Scalar::from_millis(*v)),
                Amount::Ranges(r) => ResourceValue::Ranges(r.clone()),
                Amount::Ports(s) => ResourceValue::Ranges(s.to_ranges()),
                Amount::Other => {
                    match self
                        .req
                        .offers
                        .get(e.src.0 as usize)
                        .and_then(|o| o.resources.as_slice().get(e.src.1 as usize))
                    {
                        Some(r) => r.value.clone(),
                        None => continue,
                    }
                }
            };
            if let Some(r) = self.resource_with(e, v) {
                out.push(r);
            }
        }
        Resources::from_vec_merged(out)
    }

    /// The placed agents in the order of their first placement, and per placement (of an
    /// agent of the ledger) its agent's index in that order. `search`: each agent looked up
    /// among those already met (for a few placements: no table over every agent of the
    /// ledger, thousands in a session's activation); else through `slot[agent]` = rank + 1
    /// (0 = unused). Both give the same.
    fn agent_ranks(&self, search: bool) -> (Vec<u32>, Vec<u32>) {
        let mut order: Vec<u32> = Vec::new();
        let mut rank_of: Vec<u32> = Vec::with_capacity(self.placements.len());
        if search {
            for p in self.placements.iter().filter(|p| (p.agent as usize) < self.agents.len()) {
                let rank = match order.iter().position(|a| *a == p.agent) {
                    Some(r) => r,
                    None => {
                        order.push(p.agent);
                        order.len() - 1
                    }
                };
                rank_of.push(rank as u32);
            }
        } else {
            let mut slot = vec![0u32; self.agents.len()];
            for p in &self.placements {
                if let Some(x) = slot.get_mut(p.agent as usize) {
                    if *x == 0 {
                        order.push(p.agent);
                        *x = order.len() as u32;
                    }
                    rank_of.push(*x - 1);
                }
            }
        }
        (order, rank_of)
    }

    /// Builds the plan's accepts and declines from the placements.
    pub(super) fn accepts_and_declines(&self) -> (Vec<AgentAccept<'r>>, Vec<Decline<'r>>) {
        // Agents in the order of their first placement ([`Ctx::agent_ranks`]), placements
        // grouped per rank by a counting sort.
        let (order, rank_of) = self.agent_ranks(self.placements.len() <= FEW_PLACEMENTS);
        let mut start = vec![0usize; order.len() + 1];
        for r in &rank_of {
            if let Some(x) = start.get_mut(*r as usize + 1) {
                *x += 1;
            }
        }
        for i in 1..start.len() {
            // INVARIANT: `1 <= i < start.len()`.
            let prev = start.get(i - 1).copied().unwrap_or(0);
            if let Some(x) = start.get_mut(i) {
                *x += prev;
            }
        }
        let mut grouped = vec![0usize; rank_of.len()];
        let mut fill = start.clone();
        for (i, r) in rank_of.iter().enumerate() {
            if let Some(f) = fill.get_mut(*r as usize) {
                if let Some(g) = grouped.get_mut(*f) {
                    *g = i;
                }
                *f += 1;
            }
        }
        let mut accepts = Vec::with_capacity(order.len());
        for (rank, a) in order.iter().enumerate() {
            let Some(agent) = self.agents.get(*a as usize) else { continue };
            // Its own ports, when the class took them in another member's numbering.
            let own = self.own_ports(*a);
            let mut acc = AgentAccept {
                agent_id: agent.id,
                hostname: agent.hostname,
                offer_ids: agent
                    .offers
                    .iter()
                    .filter_map(|o| self.req.offers.get(*o as usize).map(|x| x.id.as_str()))
                    .collect(),
                tasks: Vec::with_capacity(match (start.get(rank), start.get(rank + 1)) {
                    (Some(&b), Some(&e)) => e.saturating_sub(b),
                    _ => 0,
                }),
                remaining: self
                    .classes
                    .get(agent.class as usize)
                    .map(|c| self.remaining_of(*a, &c.pool.flat(), own.as_ref()))
                    .unwrap_or_default(),
                executors: Vec::new(),
            };
            // What the entries are (their amounts are not read).
            let pool = self.classes.get(agent.class as usize).map(|c| c.pool.entries()).unwrap_or(&[]);
            let mine = match (start.get(rank), start.get(rank + 1)) {
                (Some(&b), Some(&e)) => grouped.get(b..e).unwrap_or(&[]),
                _ => &[],
            };
            for &pi in mine {
                let Some(p) = self.placements.get(pi) else { continue };
                let launch = self.launch(p, pool, own.as_ref());
                if let (Some(ex), Some(res)) =
                    (self.req.tasks.get(p.task).and_then(|t| t.executor.as_ref()), &launch.executor_resources)
                {
                    acc.executors.push((ex.id.as_str(), res.clone()));
                }
                acc.tasks.push(launch);
            }
            accepts.push(acc);
        }
        // A caller that keeps its unused offers gets the maintenance declines only: none
        // (and no pass over the offers) when no agent is under maintenance.
        if self.keep_unused && !self.statics.iter().any(|s| s.maintenance) {
            return (accepts, Vec::new());
        }
        let mut declines =
            Vec::with_capacity(if self.keep_unused { 0 } else { self.store.offer_count().saturating_sub(order.len()) });
        // Request order, or under `tie_break: agent_id` the agents' order (offers by id).
        let canonical: Vec<usize> = if self.opts.tie_break == super::options::TieBreak::AgentId {
            self.agents.iter().flat_map(|a| a.offers.iter().map(|o| *o as usize)).collect()
        } else {
            Vec::new()
        };
        // The placed agents (their offers are accepted, not declined).
        let mut placed = vec![false; self.agents.len()];
        for a in &order {
            if let Some(x) = placed.get_mut(*a as usize) {
                *x = true;
            }
        }
        // Whether some agent is in maintenance: when none is, a decline needs no lookup of
        // its agent's static class.
        let any_maint = self.statics.iter().any(|s| s.maintenance);
        // The common case (every offer live and listed, none under maintenance, request
        // order): one tight pass, an offer's answer read from whether its agent was placed — the
        // loop below gives the same declines at several times the cost per offer (Fenzo:
        // ~10,000 declines per call).
        if !self.keep_unused
            && !any_maint
            && canonical.is_empty()
            && self.store.dead().is_empty()
            && self.offer_agent.len() == self.req.offers.len()
        {
            unused_declines(&self.req.offers, &self.offer_agent, &placed, self.resolved.refuse_seconds, &mut declines);
            return (accepts, declines);
        }
        let mut decline = |oi: usize| {
            // A held store's gaps are passed over.
            let Some(offer) = self.req.offers.get(oi).filter(|_| self.store.live(oi)) else { return };
            // INVARIANT: `offer_agent` holds one agent per offer of the request.
            let ai = self.offer_agent.get(oi).copied().unwrap_or(0);
            if placed.get(ai as usize).copied().unwrap_or(false) {
                return;
            }
            let maint = any_maint
                && self
                    .agents
                    .get(ai as usize)
                    .and_then(|a| self.statics.get(a.static_class as usize))
                    .is_some_and(|s| s.maintenance);
            if self.keep_unused && !maint {
                return;
            }
            declines.push(Decline {
                offer_id: offer.id.as_str(),
                refuse_seconds: self.resolved.refuse_seconds,
                reason: if maint { DeclineReason::Maintenance } else { DeclineReason::Unused },
            });
        };
        // Each offer once, in a loop of its own per order (no boxed iterator: one call per offer).
        if canonical.is_empty() {
            (0..self.req.offers.len()).for_each(&mut decline);
        } else {
            canonical.iter().for_each(|&oi| decline(oi));
        }
        (accepts, declines)
    }

    /// The launch of placement `p` (of an agent now of class pool `pool`); `own`: the agent's
    /// ports when its class took them in another member's numbering ([`Ctx::own_ports`]).
    pub(super) fn launch(&self, p: &Placement, pool: &[Entry], own: Option<&OwnPorts>) -> Launch<'r> {
        let req = self.req;
        let t = req.tasks.get(p.task);
        // Pushed straight into the plan's `Resources` (merging like ones, as `to_resources`).
        // Sized once: a launch holds at most one resource per take (like ones merge).
        let mut resources = Resources::with_capacity(p.fit.takes.len());
        let mut creates = Vec::new();
        let role = t.and_then(|t| t.role.as_deref()).or(self.opts.roles.first().map(String::as_str));
        for tk in &p.fit.takes {
            let Some(e) = pool.get(tk.entry as usize) else { continue };
            match &tk.what {
                fit::TakeWhat::Scalar(v) => {
                    if let Some(r) = self.resource_with(e, ResourceValue::Scalar(Scalar::from_millis(*v))) {
                        resources.push(r);
                    }
                }
                fit::TakeWhat::Ports(r) => {
                    let r = r.to_ranges();
                    let r = own.and_then(|o| o.ranges(tk.entry, &r)).unwrap_or(r);
                    if let Some(r) = self.resource_with(e, ResourceValue::Ranges(r)) {
                        resources.push(r);
                    }
                }
                fit::TakeWhat::Whole { vol } | fit::TakeWhat::Shared { vol } | fit::TakeWhat::Volume { vol, .. } => {
                    let amount = match &tk.what {
                        fit::TakeWhat::Volume { amount, .. } => Some(*amount),
                        _ => None,
                    };
                    let Some(src) = self
                        .req
                        .offers
                        .get(e.src.0 as usize)
                        .and_then(|o| o.resources.as_slice().get(e.src.1 as usize))
                    else {
                        continue;
                    };
                    let mut disk = src.clone();
                    if let Some(a) = amount {
                        disk.value = ResourceValue::Scalar(Scalar::from_millis(a));
                    }
                    let vreq = t.and_then(|t| t.volumes.get(*vol as usize));
                    match vreq.and_then(|v| v.persistence_id.as_deref()) {
                        Some(pid) if e.pid == NONE => {
                            let needs_reserve = disk.reservations.is_empty();
                            if needs_reserve {
                                disk.reservations.push(crate::model::Reservation {
                                    kind: crate::model::ReservationType::Dynamic,
                                    role: role.unwrap_or("*").to_owned(),
                                    principal: self.opts.principal.clone(),
                                    labels: Vec::new(),
                                });
                            }
                            let mut volume = disk.clone();
                            let info = volume.disk.get_or_insert_with(Default::default);
                            info.persistence = Some(crate::model::Persistence {
                                id: pid.to_owned(),
                                principal: self.opts.principal.clone(),
                            });
                            info.volume = Some(crate::model::Volume {
                                container_path: vreq
                                    .and_then(|v| v.container_path.clone())
                                    .unwrap_or_else(|| pid.to_owned()),
                                host_path: None,
                                mode: Some(crate::model::VolumeMode::Rw),
                            });
                            creates.push((disk, needs_reserve, volume.clone()));
                            resources.push(volume);
                        }
                        _ => resources.push(disk),
                    }
                }
            }
        }
        let executor_resources = if p.fit.exec_charged {
            let mut ex = Vec::new();
            for tk in &p.fit.exec_takes {
                if let (Some(e), fit::TakeWhat::Scalar(v)) = (pool.get(tk.entry as usize), &tk.what) {
                    ex.extend(self.resource_with(e, ResourceValue::Scalar(Scalar::from_millis(*v))));
                }
            }
            Some(to_resources(ex))
        } else {
            None
        };
        Launch {
            task_id: t.map_or("", |t| t.id.as_str()),
            resources,
            ports: match own {
                None => p.fit.ports.to_vec(),
                Some(o) => p.fit.ports.iter().map(|q| o.port(*q)).collect(),
            },
            score: super::score::score_value(p.score),
            executor_resources,
            task_index: p.task,
            creates,
        }
    }

    /// Stats of the call.
    pub(super) fn stats(&self) -> Stats {
        Stats {
            offers: self.store.offer_count(),
            tasks: self.req.tasks.len(),
            placed: self.placements.len(),
            evaluations: self.fitter.evaluations,
            objective: self.resolved.objective.as_str(),
            objective_value: match self.resolved.objective {
                Objective::Tasks => self.placements.len() as f64,
                Objective::Resources => super::score::score_value(self.placed_share()),
            },
            repair_passes: 0,
        }
    }

    /// The placed share of the offered resources, in millionths: the mean over cpus and mem
    /// (those some agent offers) of what the placed tasks ask for divided by what the agents
    /// offer (the `resources` objective).
    pub(super) fn placed_share(&self) -> i64 {
        self.share_of(self.placements.iter().map(|p| p.task))
    }

    /// [`Ctx::placed_share`] of these placed tasks.
    pub(super) fn share_of(&self, tasks: impl Iterator<Item = usize>) -> i64 {
        let (mut offered, mut placed) = ([0i128; 2], [0i128; 2]);
        for a in &self.agents {
            if let Some(st) = self.statics.get(a.static_class as usize) {
                offered[0] += i128::from(st.offered.0);
                offered[1] += i128::from(st.offered.1);
            }
        }
        for ti in tasks {
            if let Some(t) = self.tasks.get(ti) {
                placed[0] += i128::from(t.need.cpus);
                placed[1] += i128::from(t.need.mem);
            }
        }
        let (mut sum, mut n) = (0i128, 0i128);
        for (o, p) in offered.iter().zip(placed.iter()) {
            if *o > 0 {
                sum += (*p).min(*o) * i128::from(super::options::WEIGHT_ONE) / *o;
                n += 1;
            }
        }
        if n == 0 {
            0
        } else {
            i64::try_from(sum / n).unwrap_or(0)
        }
    }

    /// Tasks not placed, in request order.
    pub(super) fn unplaced_tasks(&self) -> Vec<usize> {
        (0..self.req.tasks.len()).filter(|i| self.placed.get(*i).is_some_and(Option::is_none)).collect()
    }

    pub(super) fn empty_unplaced(&self, i: usize) -> Unplaced<'r> {
        Unplaced { task_id: self.req.tasks.get(i).map_or("", |t| t.id.as_str()), reasons: Vec::new(), nearest: None }
    }
}

/// The common case's declines ([`Ctx::accepts_and_declines`]): each offer (`offer_agent[i]`:
/// its agent) whose agent was not placed (`placed[agent]` false) as an `unused`
/// decline, in request order. A function of its own: the loop keeps its few values in
/// registers (inside the accepts' builder they were spilled, ~25 instructions per offer).
#[inline(never)]
fn unused_declines<'r>(
    offers: &'r [crate::model::Offer],
    offer_agent: &[u32],
    placed: &[bool],
    refuse_seconds: f64,
    out: &mut Vec<Decline<'r>>,
) {
    for (o, ai) in offers.iter().zip(offer_agent) {
        if !placed.get(*ai as usize).copied().unwrap_or(false) {
            out.push(Decline { offer_id: o.id.as_str(), refuse_seconds, reason: DeclineReason::Unused });
        }
    }
}

/// Issue 20: each unplaced task's `nearest` quotes the nearest agent's id and hostname,
/// copied from the offers, so thousands of tasks left out near an agent with long ids would
/// make an answer thousands of times its request. Once the quoted bytes pass `budget`
/// ([`crate::Limits::repeat_budget`]), the later tasks (request order) get no `nearest`: the
/// hint is optional, the reasons stay.
fn budget_nearest(unplaced: &mut [Unplaced<'_>], budget: usize) {
    let mut quoted = 0usize;
    for u in unplaced {
        if let Some(n) = &u.nearest {
            quoted = quoted.saturating_add(n.agent_id.len() + n.hostname.len());
            if quoted > budget {
                u.nearest = None;
            }
        }
    }
}

/// Up to this many placements, [`Ctx::accepts_and_declines`] finds each one's agent among the
/// agents already met by a search (at most this many compares each) instead of a table over
/// every agent of the ledger.
const FEW_PLACEMENTS: usize = 16;

/// The bytes of `r`'s JSON that each launch from it repeats whatever it takes: everything
/// but the value (its name, type, reservations with their labels, disk info, flags).
pub(super) fn metadata_bytes(r: &Resource) -> usize {
    let bare = Resource { value: ResourceValue::Scalar(Scalar::from_millis(0)), ..r.clone() };
    resource_json(&bare).to_string().len()
}

/// [`metadata_bytes`] of a plain resource ([`is_plain`]) named `name`, counted without
/// writing it: its bare JSON is `{"name":…,"type":"SCALAR","scalar":{"value":0},"reservations":[]}`.
fn plain_metadata_bytes(name: &str) -> usize {
    /// Counts the bytes written to it.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    const REST: usize = r#"{"name":,"type":"SCALAR","scalar":{"value":0},"reservations":[]}"#.len();
    let mut n = Count(0);
    // Counting cannot fail.
    let _ = serde_json::to_writer(&mut n, name);
    REST + n.0
}

/// Whether `r` carries nothing but its name and value (no reservation, disk, flag, allocation
/// role or provider): its [`metadata_bytes`] then depend on its name alone.
fn is_plain(r: &Resource) -> bool {
    let Resource { name: _, value: _, reservations, disk, shared, revocable, allocation_role, provider_id } = r;
    reservations.is_empty()
        && disk.is_none()
        && !*shared
        && !*revocable
        && allocation_role.is_none()
        && provider_id.is_none()
}

impl Ctx<'_, '_> {
    /// Issue 20: the launches of the plan copy their offer resources' metadata, so a
    /// reserved resource with large labels taken by thousands of tasks would make an answer
    /// thousands of times its request. Before any launch is built, the metadata each
    /// placement copies (twice with `calls`, whose TaskInfos also name the agent; a volume's
    /// up to four times, with its `RESERVE` and `CREATE`) is summed, each source resource measured once, against
    /// [`crate::Limits::repeat_budget`]: O(placements × takes), nothing copied.
    fn check_repeats(&self) -> Result<(), PlaceError> {
        let limits = &self.opts.limits;
        let budget = limits.repeat_budget();
        let per = if self.opts.framework_id.is_some() { 2 } else { 1 };
        let mut measured: crate::hash::FxMap<(u32, u32), usize> = Default::default();
        let mut total = 0usize;
        for (n, p) in self.placements.iter().enumerate() {
            let Some(agent) = self.agents.get(p.agent as usize) else { continue };
            let pool = self.classes.get(agent.class as usize).map(|c| c.pool.entries()).unwrap_or(&[]);
            for tk in p.fit.takes.iter().chain(p.fit.exec_takes.iter()) {
                let Some(e) = pool.get(tk.entry as usize) else { continue };
                let w = *measured.entry(e.src).or_insert_with(|| {
                    self.req
                        .offers
                        .get(e.src.0 as usize)
                        .and_then(|o| o.resources.as_slice().get(e.src.1 as usize))
                        .map_or(0, |r| match is_plain(r) {
                            // A plain resource's metadata is its name alone: counted, not written.
                            true => plain_metadata_bytes(r.name.as_str()),
                            false => metadata_bytes(r),
                        })
                });
                let times = match tk.what {
                    fit::TakeWhat::Scalar(_) | fit::TakeWhat::Ports(_) => per,
                    _ => per + 2,
                };
                total = total.saturating_add(w.saturating_mul(times));
            }
            if per == 2 {
                // Each TaskInfo of the calls names its agent.
                total = total.saturating_add(agent.id.len());
            }
            if total > budget {
                return Err(PlaceError::new("/tasks", limits.repeat_budget_exceeded(total, n + 1)));
            }
        }
        Ok(())
    }
}

/// Finishes a batch: accepts, declines, explanations, calls, stats.
///
/// # Errors
/// `limit.answer_bytes` when the launches would copy more of the offers' resource metadata
/// than [`crate::Limits::repeat_budget`] allows.
pub(super) fn finish<'r>(mut ctx: Ctx<'r, '_>) -> Result<Plan<'r>, PlaceError> {
    ctx.check_repeats()?;
    let (accept, decline) = ctx.accepts_and_declines();
    let mut unplaced = Vec::new();
    let mut explained = std::mem::take(&mut ctx.explained);
    explained.sort_by_key(|(ti, _)| *ti);
    let mut explained = explained.into_iter().peekable();
    for ti in ctx.unplaced_tasks() {
        // Tasks explained when they failed keep that explanation; the other members of a
        // failed gang are explained here (`gang`).
        while explained.next_if(|(x, _)| *x < ti).is_some() {}
        if let Some((_, why)) = explained.next_if(|(x, _)| *x == ti) {
            unplaced.push(why);
        } else if ctx.resolved.explain {
            unplaced.push(explain_task(&mut ctx, ti));
        } else {
            unplaced.push(ctx.empty_unplaced(ti));
        }
    }
    budget_nearest(&mut unplaced, ctx.opts.limits.repeat_budget());
    let stats = ctx.stats();
    let calls = calls(&ctx);
    Ok(Plan { accept, decline, unplaced, calls, stats, warnings: std::mem::take(&mut ctx.warnings) })
}

pub(super) fn resource_json(r: &Resource) -> Json {
    crate::mesos::resource_to_json(r)
}

pub(super) fn resources_json(r: &Resources) -> Json {
    crate::mesos::resources_to_json(r)
}

/// The `TaskInfo` of one launch: the task's own `task_info` fields, `name` when it has none,
/// the dynamic host ports filled, `task_id`, `agent_id`, `resources` and the executor's.
pub(crate) fn task_info(tasks: &[TaskRequest], acc: &AgentAccept<'_>, l: &Launch<'_>) -> Json {
    let task = tasks.get(l.task_index);
    let mut m = match task.and_then(|t| t.task_info.as_deref().cloned()) {
        Some(Json::Object(m)) => m,
        _ => Map::new(),
    };
    if !m.contains_key("name") {
        m.insert("name".into(), json!(l.task_id));
    }
    if let Some(t) = task.filter(|t| t.ports.contains(&0)) {
        fill_host_ports(&mut m, &t.ports, &l.ports);
    }
    m.insert("task_id".into(), object([("value", l.task_id.into())]));
    m.insert("agent_id".into(), object([("value", acc.agent_id.into())]));
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

/// Gives the container port mappings of `task_info` with `host_port` 0 (or none) the host
/// ports the task was given for its dynamic ports (`0` in `requested`), in order: a master
/// launches the `LAUNCH` as sent, and Docker's bridge networking (`DockerInfo.port_mappings`)
/// and the Mesos containerizer's CNI port mapper (`NetworkInfo.port_mappings`) map exactly the
/// host ports written there, which must be among the task's `ports` resources (Marathon fills
/// them the same way: `TaskBuilder` over the matched dynamic ports).
fn fill_host_ports(info: &mut Map<String, Json>, requested: &[u64], given: &[u64]) {
    let mut dynamic = requested.iter().zip(given).filter(|(r, _)| **r == 0).map(|(_, g)| *g);
    let Some(Json::Object(container)) = info.get_mut("container") else { return };
    let mut fill = |maps: &mut Vec<Json>| {
        for m in maps.iter_mut() {
            let Json::Object(m) = m else { continue };
            if m.get("host_port").map_or(true, |h| h.as_u64() == Some(0)) {
                let Some(port) = dynamic.next() else { return };
                m.insert("host_port".into(), json!(port));
            }
        }
    };
    // Docker's first, then each network's, in their order in the TaskInfo.
    if let Some(Json::Array(maps)) = container.get_mut("docker").and_then(|d| d.get_mut("port_mappings")) {
        fill(maps);
    }
    if let Some(Json::Array(nets)) = container.get_mut("network_infos") {
        for n in nets {
            if let Some(Json::Array(maps)) = n.get_mut("port_mappings") {
                fill(maps);
            }
        }
    }
}

/// What the plan's calls are written from, when the options name a framework.
pub(super) fn calls<'r>(ctx: &Ctx<'r, '_>) -> Option<Calls<'r>> {
    let framework_id = ctx.opts.framework_id.clone()?;
    Some(Calls { framework_id, refuse_seconds: ctx.resolved.refuse_seconds, tasks: &ctx.req.tasks })
}

impl Plan<'_> {
    /// The plan's Mesos v1 calls as JSON values (with `options.framework_id`; else `None`):
    /// one `ACCEPT` per agent of `accept`, then one `DECLINE` of `decline`'s offers if any
    /// ([`Calls`]). The JSON answers write the same calls straight to text.
    ///
    /// ```
    /// use offerfit::{Engine, Offer, Options, PlaceRequest, Scalar, TaskRequest};
    /// let mut offer = Offer::new("o1", "a1", "h1");
    /// offer.resources = offerfit::parse_resources("cpus:4;mem:1024", "*").unwrap();
    /// let mut task = TaskRequest::new("t1");
    /// (task.cpus, task.mem) = (Scalar::from_units(1), Scalar::from_units(128));
    /// let req = PlaceRequest { offers: vec![offer], tasks: vec![task], ..Default::default() };
    /// let engine = Engine::new(Options { framework_id: Some("fw".into()), ..Default::default() }).unwrap();
    /// let calls = engine.place(&req).unwrap().calls_json().unwrap();
    /// assert_eq!(calls[0]["type"], "ACCEPT");
    /// assert_eq!(calls[0]["accept"]["operations"][0]["launch"]["task_infos"][0]["name"], "t1");
    /// ```
    pub fn calls_json(&self) -> Option<Vec<Json>> {
        let out = CallsOut::of(self)?;
        match serde_json::to_value(out) {
            Ok(Json::Array(calls)) => Some(calls),
            // INVARIANT: a sequence of maps of strings, numbers and values serializes to an array.
            _ => Some(Vec::new()),
        }
    }
}

/// The calls of a plan as a `Serialize` view ([`Calls`]): each `ACCEPT` and the `DECLINE`
/// written field by field, in the keys, order and number forms of scheduler.proto's JSON
/// that every host's answer carries, with no `serde_json::Value` tree but for a task's own
/// `TaskInfo` fields (merged as [`task_info`] merges them).
#[derive(Debug)]
pub(crate) struct CallsOut<'a, 'r> {
    calls: &'a Calls<'r>,
    accept: &'a [AgentAccept<'r>],
    decline: &'a [Decline<'r>],
}

impl<'a, 'r> CallsOut<'a, 'r> {
    /// The calls of `plan`, if it has any.
    pub(crate) fn of(plan: &'a Plan<'r>) -> Option<CallsOut<'a, 'r>> {
        Some(CallsOut { calls: plan.calls.as_ref()?, accept: &plan.accept, decline: &plan.decline })
    }
}

impl Serialize for CallsOut<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.calls;
        let filters = Filters { refuse_seconds: Num(c.refuse_seconds) };
        let fw = Id { value: &c.framework_id };
        let n = self.accept.len() + usize::from(!self.decline.is_empty());
        let mut seq = s.serialize_seq(Some(n))?;
        for acc in self.accept {
            seq.serialize_element(&accept_call(c.tasks, &fw, &filters, acc))?;
        }
        if !self.decline.is_empty() {
            let offer_ids = Ids(self.decline, |d| d.offer_id);
            let decline = DeclineBody { offer_ids, filters: &filters };
            seq.serialize_element(&DeclineCall { framework_id: &fw, kind: "DECLINE", decline })?;
        }
        seq.end()
    }
}

/// One agent's `ACCEPT` call as a `Serialize` view, the element [`CallsOut`] writes per
/// agent: the session writes it alone (session/calls.rs, `accept`). `tasks` are the request's
/// tasks the plan was made from.
pub(crate) struct AcceptOut<'a> {
    /// The request's tasks.
    pub tasks: &'a [TaskRequest],
    /// The framework's id.
    pub framework_id: &'a str,
    /// The call's `filters.refuse_seconds`.
    pub refuse_seconds: f64,
    /// The agent's accept.
    pub acc: &'a AgentAccept<'a>,
}

impl Serialize for AcceptOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let filters = Filters { refuse_seconds: Num(self.refuse_seconds) };
        let fw = Id { value: self.framework_id };
        accept_call(self.tasks, &fw, &filters, self.acc).serialize(s)
    }
}

/// The `ACCEPT` of `acc`: its offers, operations ([`Operations`]) and filters.
fn accept_call<'a>(
    tasks: &'a [TaskRequest],
    fw: &'a Id<'a>,
    filters: &'a Filters,
    acc: &'a AgentAccept<'a>,
) -> AcceptCall<'a, AcceptBody<'a, Ids<'a, &'a str>>> {
    let offer_ids = Ids(&acc.offer_ids, |o| o);
    let operations = Operations { tasks, acc };
    AcceptCall { framework_id: fw, kind: "ACCEPT", accept: AcceptBody { offer_ids, operations, filters } }
}

/// `{"value": id}`.
#[derive(Serialize)]
struct Id<'a> {
    value: &'a str,
}

/// `[{"value": id}, ...]`: the id of each item.
struct Ids<'a, T>(&'a [T], fn(&T) -> &str);

impl<T> Serialize for Ids<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for x in self.0 {
            seq.serialize_element(&Id { value: (self.1)(x) })?;
        }
        seq.end()
    }
}

/// A `LAUNCH`'s `task_infos`: one [`TaskInfoOut`] per launch of the agent.
struct TaskInfos<'a> {
    tasks: &'a [TaskRequest],
    acc: &'a AgentAccept<'a>,
}

impl Serialize for TaskInfos<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.acc.tasks.len()))?;
        for l in &self.acc.tasks {
            seq.serialize_element(&TaskInfoOut { tasks: self.tasks, acc: self.acc, l })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Filters {
    refuse_seconds: Num,
}

#[derive(Serialize)]
struct AcceptCall<'a, A: Serialize> {
    framework_id: &'a Id<'a>,
    #[serde(rename = "type")]
    kind: &'static str,
    accept: A,
}

#[derive(Serialize)]
struct AcceptBody<'a, I: Serialize> {
    offer_ids: I,
    operations: Operations<'a>,
    filters: &'a Filters,
}

#[derive(Serialize)]
struct DeclineCall<'a, D: Serialize> {
    framework_id: &'a Id<'a>,
    #[serde(rename = "type")]
    kind: &'static str,
    decline: D,
}

#[derive(Serialize)]
struct DeclineBody<'a, I: Serialize> {
    offer_ids: I,
    filters: &'a Filters,
}

/// An `ACCEPT`'s operations: per launch, a `RESERVE` (when its disk is reserved here) and a
/// `CREATE` of each persistent volume it makes, then one `LAUNCH` of every task.
struct Operations<'a> {
    tasks: &'a [TaskRequest],
    acc: &'a AgentAccept<'a>,
}

impl Serialize for Operations<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for l in &self.acc.tasks {
            for (disk, reserve, volume) in &l.creates {
                if *reserve {
                    let reserve = One("resources", &[ResourceOut(disk)]);
                    seq.serialize_element(&Op { kind: "RESERVE", key: "reserve", body: reserve })?;
                }
                let create = One("volumes", &[ResourceOut(volume)]);
                seq.serialize_element(&Op { kind: "CREATE", key: "create", body: create })?;
            }
        }
        let infos = TaskInfos { tasks: self.tasks, acc: self.acc };
        seq.serialize_element(&Op { kind: "LAUNCH", key: "launch", body: One("task_infos", &infos) })?;
        seq.end()
    }
}

/// `{"type": kind, key: body}`.
struct Op<B> {
    kind: &'static str,
    key: &'static str,
    body: B,
}

impl<B: Serialize> Serialize for Op<B> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", self.kind)?;
        m.serialize_entry(self.key, &self.body)?;
        m.end()
    }
}

/// One launch's `TaskInfo`: [`task_info`] when the task brings fields of its own or an
/// executor, else `name`, `task_id`, `agent_id` and `resources` written directly.
struct TaskInfoOut<'a> {
    tasks: &'a [TaskRequest],
    acc: &'a AgentAccept<'a>,
    l: &'a Launch<'a>,
}

impl Serialize for TaskInfoOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (acc, l) = (self.acc, self.l);
        if self.tasks.get(l.task_index).is_some_and(|t| t.task_info.is_some() || t.executor.is_some()) {
            return task_info(self.tasks, acc, l).serialize(s);
        }
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("name", l.task_id)?;
        m.serialize_entry("task_id", &Id { value: l.task_id })?;
        m.serialize_entry("agent_id", &Id { value: acc.agent_id })?;
        m.serialize_entry("resources", &List(l.resources.as_slice(), ResourceOut))?;
        m.end()
    }
}

/// A JSON object of `fields`, in order, each value moved in.
fn object<const N: usize>(fields: [(&str, Json); N]) -> Json {
    let mut m = Map::with_capacity(N);
    for (k, v) in fields {
        m.insert(k.to_owned(), v);
    }
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::{offer, prepared, task};
    use super::super::fit::FitOut;
    use super::super::options::{Options, Resolved};
    use super::super::request::PlaceRequest;
    use super::super::scan::ScanCache;
    use super::*;
    use crate::decision::ReasonCode;

    #[test]
    fn a_plain_resource_is_measured_as_written() {
        for name in ["cpus", "mem", "ports", "", "a\"b\\c", "x\u{1}\n", "gpu\u{e9}"] {
            for value in [
                ResourceValue::Scalar(Scalar::from_units(3)),
                ResourceValue::Ranges(crate::model::Ranges::from_pairs([(1, 5)]).unwrap()),
            ] {
                let r = Resource::new(name, value);
                assert!(is_plain(&r));
                assert_eq!(plain_metadata_bytes(name), metadata_bytes(&r), "{name:?}");
            }
        }
    }

    #[test]
    fn placements_become_accepts_and_the_rest_declines() {
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:4;mem:1024;ports:[31000-31009]", ""),
                offer("o2", "a2", "cpus:1;mem:128", ""),
                offer("o3", "a1", "cpus:1", ""),
            ],
            tasks: vec![{
                let mut t = task("web", 2, 512, &[]);
                t.ports = vec![0];
                t
            }],
            ..PlaceRequest::default()
        };
        let opts = Options { framework_id: Some("fw".into()), ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        let b = ctx.best_for(0, &mut out, &mut scratch, &mut cache).unwrap();
        assert_eq!(ctx.place_task(0, b.agent, b.class, b.score, &mut out), 0);
        let (accept, decline) = ctx.accepts_and_declines();
        assert_eq!(accept.len(), 1);
        let a = &accept[0];
        assert_eq!((a.agent_id, a.offer_ids.as_slice()), ("a1", &["o1", "o3"][..]));
        let launch = &a.tasks[0];
        assert_eq!((launch.task_id, launch.ports.as_slice()), ("web", &[31000u64][..]));
        assert_eq!(launch.resources.to_string(), "cpus:2; mem:512; ports:[31000-31000]");
        assert_eq!(a.remaining.to_string(), "cpus:3; mem:512; ports:[31001-31009]");
        assert_eq!(decline.len(), 1);
        assert_eq!((decline[0].offer_id, decline[0].refuse_seconds), ("o2", 5.0));
        let stats = ctx.stats();
        assert_eq!((stats.offers, stats.tasks, stats.placed), (3, 1, 1));
        assert!(ctx.unplaced_tasks().is_empty());
        let plan = finish(ctx).unwrap();
        let calls = plan.calls_json().unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0]["type"], "ACCEPT");
        assert_eq!(calls[1]["type"], "DECLINE");
    }

    #[test]
    fn agents_ranked_by_search_as_by_table() {
        // 40 tasks on 6 agents, placed in an order that meets the agents out of id order.
        let offers: Vec<_> =
            (0..6).map(|i| offer(&format!("o{i}"), &format!("a{}", 5 - i), "cpus:8;mem:8192", "")).collect();
        let tasks: Vec<_> = (0..40).map(|i| task(&format!("t{i}"), 1, 64 + (i % 7) as i64, &[])).collect();
        let req = PlaceRequest { offers, tasks, ..PlaceRequest::default() };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        for ti in 0..40 {
            let Some(b) = ctx.best_for(ti, &mut out, &mut scratch, &mut cache) else { continue };
            ctx.place_task(ti, b.agent, b.class, b.score, &mut out);
        }
        assert!(ctx.placements.len() > FEW_PLACEMENTS);
        let (order, ranks) = ctx.agent_ranks(true);
        assert!(order.len() > 1);
        assert_eq!(ranks.len(), ctx.placements.len());
        assert_eq!((order, ranks), ctx.agent_ranks(false));
    }

    #[test]
    fn unplaced_tasks_are_explained_at_the_finish() {
        let req = PlaceRequest {
            offers: vec![offer("o1", "a1", "cpus:1;mem:1024", "")],
            tasks: vec![task("big", 4, 64, &[])],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        assert_eq!(ctx.unplaced_tasks(), [0]);
        let plan = finish(ctx).unwrap();
        assert_eq!(plan.unplaced[0].task_id, "big");
        assert_eq!(plan.unplaced[0].reasons[0].code, ReasonCode::InsufficientCpus);
        assert_eq!(plan.decline[0].offer_id, "o1");
        let quiet = Options { explain: false, ..Options::default() };
        let resolved = Resolved::new(&quiet).unwrap();
        let plan = finish(prepared(&quiet, &resolved, &req)).unwrap();
        assert!(plan.unplaced[0].reasons.is_empty());
    }

    /// The declines of `req` after its one task is placed: (offer id, reason, refuse seconds).
    fn declines_of(opts: &Options, req: &PlaceRequest) -> Vec<(String, DeclineReason, f64)> {
        let resolved = Resolved::new(opts).unwrap();
        let mut ctx = prepared(opts, &resolved, req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        let b = ctx.best_for(0, &mut out, &mut scratch, &mut cache).unwrap();
        ctx.place_task(0, b.agent, b.class, b.score, &mut out);
        let (_, decline) = ctx.accepts_and_declines();
        decline.into_iter().map(|d| (d.offer_id.to_owned(), d.reason, d.refuse_seconds)).collect()
    }

    #[test]
    fn the_common_declines_are_those_of_the_general_walk() {
        // Agents' offers out of agent order; `a1` (two offers) hosts the task: neither of its
        // offers is declined, the others are, in request order (the tight pass).
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a3", "cpus:1;mem:128", ""),
                offer("o2", "a1", "cpus:4;mem:1024", ""),
                offer("o3", "a2", "cpus:1;mem:128", ""),
                offer("o4", "a1", "cpus:1", ""),
                offer("o5", "a0", "cpus:1;mem:128", ""),
            ],
            tasks: vec![task("web", 2, 512, &[])],
            ..PlaceRequest::default()
        };
        let unused = |ids: &[&str], secs: f64| -> Vec<(String, DeclineReason, f64)> {
            ids.iter().map(|i| ((*i).to_owned(), DeclineReason::Unused, secs)).collect()
        };
        let opts = Options { refuse_seconds: Some(7.0), ..Options::default() };
        assert_eq!(declines_of(&opts, &req), unused(&["o1", "o3", "o5"], 7.0));
        // The general walk (agents' order under `tie_break: agent_id`): the same offers.
        let by_agent = Options { tie_break: super::super::options::TieBreak::AgentId, ..opts.clone() };
        assert_eq!(declines_of(&by_agent, &req), unused(&["o5", "o3", "o1"], 7.0));
        // An agent in maintenance (the general walk): its offer says so, the rest as before.
        let mut maint = req.clone();
        maint.offers[2].unavailability = Some(crate::model::Unavailability { start_ns: 1, duration_ns: None });
        let drain = Options { now: Some(0.0), drain_seconds: 3600.0, ..opts };
        let mut want = unused(&["o1", "o3", "o5"], 7.0);
        want[1].1 = DeclineReason::Maintenance;
        assert_eq!(declines_of(&drain, &maint), want);
    }

    #[test]
    fn to_resources_keeps_the_order_and_merges_like_ones() {
        let list = crate::parse_resources("cpus:1; mem:2; cpus:3", "*").unwrap();
        let merged = to_resources(list.iter().cloned().collect());
        assert_eq!(merged.to_string(), "cpus:4; mem:2");
    }
}
