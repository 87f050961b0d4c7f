//! The scan: the best agent for one task. Classes are visited (all live ones, or by score
//! when that is cheaper), those barred by a static reason ([`super::reasons`]) skipped, the
//! fit tried once per class (or deferred to the one picked), and the first member of the
//! winning class that passes the hostname rules stands for it. [`ScanCache`] keeps what holds
//! from one task to the next.

use smallvec::SmallVec;

use super::compile::same_need;
use super::fit::{reason, FitOut, Fitter};
use super::options::PortSelection;
use super::reasons::{rule_entry, RuleCache, RuleEntry};
use super::rules::{Candidate, Rules};
use super::state::{Class, Ctx, TaskPlan};
use crate::constraint::FieldCounts;

pub(super) struct Best {
    pub(super) score: i64,
    pub(super) agent: u32,
    pub(super) class: u32,
}

/// How a task's scan runs: deferring the fit to the one class it picks, and visiting the
/// classes by score ([`Ctx::best_for`]).
#[derive(Clone, Copy)]
pub(super) struct Scan {
    pub(super) defer: bool,
    pub(super) ordered: bool,
}

/// What a member must beat to be picked: its class's score against the best so far (under
/// first-fit, the lowest agent wins).
#[derive(Clone, Copy)]
pub(super) struct Bound<'b> {
    pub(super) score: i64,
    pub(super) best: Option<&'b Best>,
    pub(super) first_fit: bool,
}

/// Whether two tasks read the same parts of their needs in the static reasons (for
/// [`ScanCache::fixed`], kept per rules id): roles, allocation role and GPUs, no volumes, and
/// the same GPU rule.
pub(super) fn same_fixed(a: &TaskPlan, b: &TaskPlan) -> bool {
    a.need.volumes.is_empty()
        && b.need.volumes.is_empty()
        && (a.need.alloc_role, a.need.gpus, a.gpu_restricted) == (b.need.alloc_role, b.need.gpus, b.gpu_restricted)
        && a.need.roles == b.need.roles
}

/// What the scan keeps between tasks.
pub(super) struct ScanCache<'r> {
    /// Per static class: whether it has a static reason against the current task (`None` =
    /// not looked at yet).
    pub(super) statics: Vec<Option<bool>>,
    /// Per (rules id, static class), the tasks without an id in the last row: whether the
    /// class passes the static reasons but those counting the group's placements (`None` =
    /// not looked at yet). Valid while tasks in a row read the same parts of their needs
    /// ([`same_fixed`]; `fixed_for` the last task); empty when too large.
    pub(super) fixed: Vec<Option<bool>>,
    pub(super) fixed_for: Option<usize>,
    /// Per slot of [`ScanCache::fixed`]: the group and [`super::rules::Groups::restores`] at which the
    /// class was found [`Rules::capped`] for the group (a `UNIQUE` / `MAX_PER` full on its
    /// value), so barred for the group's later tasks of the same rules until a count goes
    /// down; `(u32::MAX, 0)` when not found. Cut the rule checks of a constraint-heavy
    /// call's tasks that meet the same full racks again (issue 19).
    pub(super) capped: Vec<(u32, u64)>,
    pub(super) rules: RuleCache<'r>,
    /// The latest successful fits of tasks with a [`TaskPlan::need_id`]: (class, need id,
    /// fit), at most [`ScanCache::FITS`], replaced in turn. A class's pool never changes and
    /// tasks of one need id have equal needs, so a fit there comes out the same again (the
    /// port-heavy scan fits one class for each task of an app); it is counted as an
    /// evaluation all the same. Not kept when dynamic ports are drawn at random (per task).
    pub(super) fits: Vec<(u32, u32, FitOut)>,
    pub(super) fits_next: usize,
    /// The classes known not to fit the needs of tasks without a need id.
    pub(super) misfits: Misfits,
}

/// The classes known not to fit a need, for the tasks without a [`TaskPlan::need_id`] (no
/// fixed host ports) and without volumes. A class's pool never changes, so a need whose fit
/// failed on a class fails there again, and so does every need that asks for as much or more
/// of the same things ([`super::fit::Need::covers`]): the scan skips such classes, deferred
/// or not, for the rest of the batch. Telling the needs apart costs a comparison per task, so
/// it starts once the batch's failed fits of such tasks are a sizeable share of its tasks
/// ([`Misfits::worth`]; a batch whose fits seldom fail pays a count); at most
/// [`Misfits::NEEDS`] distinct needs are told apart, the tasks of any other need are scanned
/// as before.
#[derive(Default)]
pub(super) struct Misfits {
    /// Per task: its need's index, [`Misfits::NONE`] for none; empty until started.
    ids: Vec<u8>,
    /// The failed fits counted before it started.
    failures: usize,
    /// Per need: the needs that fail wherever it failed (itself included), as bits: when its
    /// failure was of host ports, and when it was of anything else.
    covered: SmallVec<[(u64, u64); 4]>,
    /// Per class: the needs whose fit failed on it (bits).
    by_class: Vec<u64>,
}

impl Misfits {
    /// How many distinct needs are told apart (one bit each).
    const NEEDS: usize = 64;
    const NONE: u8 = u8::MAX;

    /// Whether class `c` is known not to fit task `ti`'s need (nothing is known before the
    /// batch's first failure: `ids` is empty).
    #[inline(always)]
    fn known(&self, ti: usize, c: u32) -> bool {
        match (self.ids.get(ti), self.by_class.get(c as usize)) {
            (Some(&id), Some(m)) if (id as usize) < Self::NEEDS => m & (1u64 << id) != 0,
            _ => false,
        }
    }

    /// Whether `failures` failed fits in a batch of `tasks` tasks make telling the needs
    /// apart worth its cost (≈200 instructions per task, against ≈1,000 or more per failed
    /// fit and rescan saved): one failure in 32 tasks (kube-hetero's 100 in 10,000 do not
    /// start it, mantl's 5,286 do, after about 600 tasks).
    fn worth(failures: usize, tasks: usize) -> bool {
        failures > tasks / 32
    }

    /// Records that task `ti`'s fit on class `c` failed for `reasons`.
    fn record(&mut self, tasks: &[TaskPlan], ti: usize, c: u32, reasons: u32) {
        if self.ids.is_empty() {
            self.failures += 1;
            if !Self::worth(self.failures, tasks.len()) {
                return;
            }
            self.intern(tasks);
        }
        let Some(&id) = self.ids.get(ti) else { return };
        let Some(&(ports, other)) = self.covered.get(id as usize) else { return };
        let mask = if reasons & reason::PORTS != 0 { ports } else { other };
        let c = c as usize;
        if self.by_class.len() <= c {
            self.by_class.resize(c + 1, 0);
        }
        if let Some(m) = self.by_class.get_mut(c) {
            *m |= mask;
        }
    }

    /// Gives every task without a need id or volumes the index of its need (the first
    /// [`Misfits::NEEDS`] distinct ones), and each need the needs that cover it. Every task,
    /// not only those after the one whose failure started it: the batch places its tasks in
    /// its own order (scarcity, gangs), not by index.
    fn intern(&mut self, tasks: &[TaskPlan]) {
        let mut reps: SmallVec<[usize; 8]> = SmallVec::new();
        let mut last: Option<(usize, u8)> = None;
        self.ids.reserve_exact(tasks.len());
        for (i, t) in tasks.iter().enumerate() {
            let alike = |j: usize| tasks.get(j).is_some_and(|p| same_need(&p.need, &t.need));
            let id = if t.need_id != u32::MAX || !t.need.volumes.is_empty() {
                Self::NONE
            } else if let Some((_, id)) = last.filter(|(p, _)| alike(*p)) {
                id
            } else {
                match reps.iter().position(|&r| alike(r)) {
                    Some(k) => k as u8,
                    None if reps.len() < Self::NEEDS => {
                        reps.push(i);
                        (reps.len() - 1) as u8
                    }
                    None => Self::NONE,
                }
            };
            if id != Self::NONE {
                last = Some((i, id));
            }
            self.ids.push(id);
        }
        for &x in &reps {
            let (mut ports, mut other) = (0u64, 0u64);
            for (y, &ry) in reps.iter().enumerate() {
                let (Some(a), Some(b)) = (tasks.get(x), tasks.get(ry)) else { continue };
                if b.need.covers(&a.need, false) {
                    other |= 1u64 << y;
                    if b.need.covers(&a.need, true) {
                        ports |= 1u64 << y;
                    }
                }
            }
            self.covered.push((ports, other));
        }
    }
}

impl<'r> ScanCache<'r> {
    /// An empty cache for the tasks of `ctx` (and [`Ctx::rule_ids`] set from them).
    pub(super) fn new(ctx: &mut Ctx<'r, '_>) -> ScanCache<'r> {
        let rule_ids =
            ctx.tasks.iter().map(|t| t.rules.id).filter(|id| *id != Rules::NO_ID).max().map_or(0, |m| m as usize + 1);
        ctx.rule_ids = rule_ids;
        let fixed_len = (rule_ids + 1).saturating_mul(ctx.statics.len());
        ScanCache {
            statics: Vec::new(),
            fixed: if fixed_len <= 1 << 20 { vec![None; fixed_len] } else { Vec::new() },
            fixed_for: None,
            capped: if fixed_len <= 1 << 20 { vec![(u32::MAX, 0); fixed_len] } else { Vec::new() },
            rules: RuleCache::new(rule_ids, ctx.statics.len()),
            fits: Vec::new(),
            fits_next: 0,
            misfits: Misfits::default(),
        }
    }

    /// How many successful fits [`ScanCache::fits`] keeps.
    const FITS: usize = 4;

    /// Keeps `fit`, the successful fit of need id `need` on class `c`.
    fn keep_fit(&mut self, c: u32, need: u32, fit: &FitOut) {
        if self.fits.len() < Self::FITS {
            self.fits.push((c, need, FitOut::default()));
        }
        if let Some(slot) = self.fits.get_mut(self.fits_next) {
            slot.0 = c;
            slot.1 = need;
            copy_fit(&mut slot.2, fit);
        }
        self.fits_next = (self.fits_next + 1) % Self::FITS;
    }
}

/// Makes `dst` a copy of `src` in place (the derived `clone_from` builds a whole `FitOut`
/// aside and moves it in: twice the work). Every field is named, so a new one must be
/// copied here too.
fn copy_fit(dst: &mut FitOut, src: &FitOut) {
    let FitOut { takes, exec_takes, ports, reasons, missing, exec_charged } = src;
    dst.takes.clear();
    dst.takes.extend(takes.iter().cloned());
    dst.exec_takes.clear();
    dst.exec_takes.extend(exec_takes.iter().cloned());
    dst.ports.clear();
    dst.ports.extend_from_slice(ports);
    dst.reasons = *reasons;
    dst.missing.clear();
    dst.missing.extend_from_slice(missing);
    dst.exec_charged = *exec_charged;
}

impl<'r> Ctx<'r, '_> {
    /// The best agent for task `ti`, with the fit in `out`.
    pub(super) fn best_for(
        &mut self,
        ti: usize,
        out: &mut FitOut,
        scratch: &mut FitOut,
        cache: &mut ScanCache<'r>,
    ) -> Option<Best> {
        let mut fitter = std::mem::take(&mut self.fitter);
        let keep = match (cache.fixed_for.and_then(|p| self.tasks.get(p)), self.tasks.get(ti)) {
            (Some(a), Some(b)) => same_fixed(a, b),
            _ => false,
        };
        if !keep {
            cache.fixed.fill(None);
        }
        cache.fixed_for = Some(ti);
        // Without preferences, the classes that pass the cheap filters are only fitted once:
        // the scan keeps the best (score, first member) among them, and the fit and the
        // member's rules are checked for that class alone. When that fit fails, the full scan
        // decides (same decision, more evaluations).
        // Tasks with host ports are not deferred: their fits fail too often (port conflicts).
        let defer = self.tasks.get(ti).is_some_and(|t| !t.rules.has_soft() && t.need.ports.is_empty());
        // Without preferences a scan's pick (deferred or not: the maximum of (score, -agent)
        // over the classes that pass) does not depend on the order the classes are visited
        // in, so for tasks without an executor it can visit them by score, best first, and
        // stop at the first class scoring below the best so far (or, fitting, below the best
        // fit so far: tasks with host ports fit the top classes until one fits). The order is built once two tasks in
        // a row add the same amounts, and kept up to date from then on.
        let add = self.tasks.get(ti).map(|t| ((t.need.cpus, t.need.mem), self.dims.task(ti)));
        let scored = self.resolved.w_binpack != 0 || self.resolved.w_spread != 0;
        let no_exec = self.tasks.get(ti).is_some_and(|t| t.need.executor.is_none());
        let mut ordered = false;
        let soft = self.tasks.get(ti).is_some_and(|t| t.rules.has_soft());
        if let (false, true, true, Some(add)) = (soft, scored, no_exec, add) {
            if self.order_add != Some(add) && self.last_add == Some(add) {
                self.build_order(add);
            }
            ordered = self.order_add == Some(add);
        }
        self.last_add = add;
        let best = match self.best_with(&mut fitter, ti, out, scratch, cache, Scan { defer, ordered }) {
            Some(b) if defer => match self.verify(&mut fitter, ti, &b, out) {
                0 => Some(b),
                reasons => {
                    // Not retried for this need (nor larger ones): the full scan below, and
                    // the later tasks' scans, skip it.
                    cache.misfits.record(&self.tasks, ti, b.class, reasons);
                    self.best_with(&mut fitter, ti, out, scratch, cache, Scan { defer: false, ordered })
                }
            },
            other => other,
        };
        self.fitter = fitter;
        best
    }

    pub(super) fn best_with(
        &self,
        fitter: &mut Fitter,
        ti: usize,
        out: &mut FitOut,
        scratch: &mut FitOut,
        cache: &mut ScanCache<'r>,
        scan: Scan,
    ) -> Option<Best> {
        let Scan { defer, ordered } = scan;
        let t = self.tasks.get(ti)?;
        let mut best: Option<Best> = None;
        cache.statics.clear();
        cache.statics.resize(self.statics.len(), None);
        let first_fit = self.resolved.w_binpack == 0 && self.resolved.w_spread == 0;
        let exec = t.need.executor;
        let soft = t.rules.has_soft();
        let base = (t.need.cpus, t.need.mem);
        let k = self.dims.task(ti);
        // Whether this task's successful fits are kept ([`ScanCache::fits`]).
        let memo =
            t.need_id != u32::MAX && (t.need.dynamic == 0 || self.resolved.port_selection != PortSelection::Random);
        // The best (score, agent) so far as plain numbers, for the quick test below.
        let (mut best_score, mut best_agent) = (i64::MIN, u32::MAX);
        // Deferred tasks whose hostname rules are all `UNIQUE` / `MAX_PER`: the group's
        // hostname counters and the limit, to pass over a class whose every member's host is
        // full before [`Ctx::first_ok_member`] reads the class's rules (it finds no member
        // there either: an agent passes those rules only below the limit).
        let host_gate = if defer && t.rules.per_agent {
            t.rules.host_limit().zip(t.rules.host_counts(&self.groups, t.group))
        } else {
            None
        };
        let restores = self.groups.restores();
        // Tasks whose hard rules are checked per static class ([`Ctx::scan_barred`]): the
        // start of their rules' row in [`ScanCache::capped`].
        let cap_base = (t.rules.has_hard() && !t.rules.per_agent && t.rules.id != Rules::NO_ID)
            .then(|| (t.rules.id as usize).saturating_mul(self.statics.len()));
        // Ascending class ids, skipping the classes without members.
        let mut word = 0usize;
        let mut bits = self.live.first().copied().unwrap_or(0);
        let mut next = 0usize;
        loop {
            // In a walk by score, the class's score as [`Ctx::order`] lists it.
            let (c, listed) = if ordered {
                match self.order.len().checked_sub(next + 1).and_then(|i| self.order.get(i)) {
                    Some(&(std::cmp::Reverse(sc), c)) => {
                        next += 1;
                        (c, Some(sc))
                    }
                    None => break,
                }
            } else {
                while bits == 0 {
                    word += 1;
                    match self.live.get(word) {
                        Some(&w) => bits = w,
                        None => break,
                    }
                }
                if bits == 0 {
                    break;
                }
                let c = (word * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                (c, None)
            };
            let Some(row) = self.scan_rows.get(c as usize) else { continue };
            let (first, s) = (row.first, row.static_class);
            if first == u32::MAX {
                continue;
            }
            if let Some(sc) = listed {
                // The order lists the classes that hold these amounts, each with its score for
                // them (the tests below, without reading the class's amounts or score): one
                // scoring below the best ends the walk (no class after it can beat the best),
                // one scoring as the best cannot beat it from a member at or above the best's
                // agent (ties are walked in class order, issue 19: ≈5 per task of a
                // constraint-heavy call).
                if sc < best_score {
                    break;
                }
                if sc == best_score && first >= best_agent {
                    continue;
                }
            }
            if !defer && t.need_id != u32::MAX && row.failed.get() == t.need_id {
                // Failed for these needs before: it would again (a class's pool never
                // changes). Skipped before its score is read: in a walk by score, the next
                // class scores no higher, so the walk stops there instead.
                continue;
            }
            // Known barred for this task before anything else is read (issue 19: binpack puts
            // the group's partly filled agents at the top of the order, ≈11 visits per task
            // of a constraint-heavy call): its static class found barred earlier in this
            // scan, or, for the task's group, a full value (`UNIQUE` / `MAX_PER`,
            // [`ScanCache::capped`]) or every member's host full
            // ([`super::state::ScanRow::full`]), found by the group's earlier tasks. The
            // filters are pure, so this changes only the cost (in a walk by score, the class
            // scoring below the best that ends it is found above, before these).
            if cache.statics.get(s as usize) == Some(&Some(true))
                || cap_base
                    .is_some_and(|b| cache.capped.get(b.saturating_add(s as usize)) == Some(&(t.group, restores)))
                || host_gate.is_some_and(|(limit, _)| row.full.get() == Some((t.group, limit, restores)))
            {
                continue;
            }
            // The filters below are pure, so their order changes nothing but their cost: the
            // cheap ones (amounts, score against the best so far) run before the static
            // reasons, which evaluate the task's constraints.
            let mut score = match listed {
                Some(sc) => sc,
                None => {
                    let add = match exec {
                        None => base,
                        Some(e) => match self.classes.get(c as usize) {
                            Some(cl) if !cl.execs.contains(&e.id) => (base.0 + e.cpus, base.1 + e.mem),
                            _ => base,
                        },
                    };
                    if row.avail.0 < add.0 || row.avail.1 < add.1 {
                        continue;
                    }
                    let key = (add, k);
                    match row.score.get() {
                        (a, sc) if a == key => sc,
                        _ => {
                            let sc = self.class_score(c, key);
                            row.score.set((key, sc));
                            sc
                        }
                    }
                }
            };
            let beats = |b: &Option<Best>, score: i64, agent: u32| match b {
                None => true,
                Some(b) => score > b.score || (score == b.score && agent < b.agent),
            };
            // Without preferences an agent scores as its class, and no member's id is below
            // `first`: a class that cannot beat the best with `first` cannot with any member.
            if ordered && score < best_score {
                // Visited by score: no class after this one can beat the best.
                break;
            }
            let scores_as_class = !(t.rules.per_agent && soft);
            if !soft && (score < best_score || (score == best_score && first >= best_agent)) {
                continue;
            }
            let barred = match cache.statics.get(s as usize) {
                Some(&Some(b)) => b,
                _ => {
                    let b = self.scan_barred(fitter, s, t, cache);
                    if let Some(x) = cache.statics.get_mut(s as usize) {
                        *x = Some(b);
                    }
                    b
                }
            };
            if barred {
                continue;
            }
            if t.rules.has_soft() && !t.rules.per_agent {
                score += t.rules.preference(&self.candidate(first), &self.groups, t.group);
            }
            if scores_as_class && !beats(&best, score, first) {
                continue;
            }
            if first_fit && t.rules.per_agent {
                if let Some(b) = &best {
                    if b.agent < first {
                        continue;
                    }
                }
            }
            if cache.misfits.known(ti, c) {
                // Its fit failed for these needs, or smaller ones, before ([`Misfits`]): it
                // would again. Looked up last, for the classes that would be picked (the
                // walk by score goes on to the next).
                continue;
            }
            let Some(cl) = self.classes.get(c as usize) else { continue };
            if defer {
                let agent = if t.rules.per_agent {
                    if let Some((limit, counts)) = host_gate {
                        if self.hosts_full(cl, limit, counts) {
                            row.full.set(Some((t.group, limit, restores)));
                            continue;
                        }
                    }
                    let bound = Bound { score, best: best.as_ref(), first_fit };
                    match self.first_ok_member(t, cl, first, bound, &mut cache.rules) {
                        Some(a) => a,
                        None => continue,
                    }
                } else {
                    first
                };
                if beats(&best, score, agent) {
                    best = Some(Best { score, agent, class: c });
                    (best_score, best_agent) = (score, agent);
                }
                continue;
            }
            // The same class and needs fitted before: the same fit (see `ScanCache::fits`).
            match cache.fits.iter().find(|(fc, id, _)| memo && *fc == c && *id == t.need_id) {
                Some((_, _, fit)) => {
                    fitter.evaluations += 1;
                    if !t.rules.per_agent {
                        // It scores as its class and beats the best (checked above): the
                        // fit goes straight to `out`, not through `scratch` and a swap.
                        copy_fit(out, fit);
                        best = Some(Best { score, agent: first, class: c });
                        (best_score, best_agent) = (score, first);
                        continue;
                    }
                    copy_fit(scratch, fit);
                }
                None => {
                    let view = self.view(c, t);
                    let reasons = cl.pool.fit(fitter, &t.need, view, false, scratch);
                    if reasons != 0 {
                        row.failed.set(t.need_id);
                        if t.need_id == u32::MAX {
                            cache.misfits.record(&self.tasks, ti, c, reasons);
                        }
                        continue;
                    }
                    if memo {
                        cache.keep_fit(c, t.need_id, scratch);
                    }
                }
            }
            let (agent, score) = if t.rules.per_agent {
                // The class's values for every field but the hostname, read once per rules.
                let entry =
                    if t.rules.has_hard() && t.rules.id != Rules::NO_ID {
                        let rep = self.statics.get(s as usize).map_or(first, |st| st.rep);
                        Some(cache.rules.get_or_insert_with(t.rules.id, s, || {
                            rule_entry(&t.rules, &self.candidate(rep), &self.groups)
                        }))
                    } else {
                        None
                    };
                let mut found: Option<(u32, i64)> = None;
                for &m in &cl.members {
                    if let Some(b) = &best {
                        if first_fit && m > b.agent {
                            break;
                        }
                    }
                    let cand = self.candidate(m);
                    if !self.member_passes(t, m, &cand, entry) {
                        continue;
                    }
                    let sc =
                        score + if t.rules.has_soft() { t.rules.preference(&cand, &self.groups, t.group) } else { 0 };
                    if found.map_or(true, |(_, fs)| sc > fs) {
                        found = Some((m, sc));
                    }
                    if !t.rules.has_soft() {
                        break;
                    }
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            } else {
                (first, score)
            };
            if beats(&best, score, agent) {
                best = Some(Best { score, agent, class: c });
                (best_score, best_agent) = (score, agent);
                std::mem::swap(out, scratch);
            }
        }
        best
    }

    /// Whether static class `s` has a static reason against task `t` (which one is not
    /// known: the part that counts no placements comes from [`ScanCache::fixed`], which keeps
    /// only whether there was one; [`Ctx::static_reasons`] tells which for explanations).
    pub(super) fn scan_barred(&self, fitter: &Fitter, s: u32, t: &TaskPlan, cache: &mut ScanCache<'r>) -> bool {
        let hard = t.rules.has_hard() && !t.rules.per_agent;
        let row = match t.rules.id {
            Rules::NO_ID if t.rules.has_hard() || t.rules.names_region => None,
            Rules::NO_ID => Some(self.rule_ids),
            id => Some(id as usize),
        };
        let slot = row.map(|r| r.saturating_mul(self.statics.len()).saturating_add(s as usize));
        let Some(slot) = slot.filter(|i| *i < cache.fixed.len()) else {
            return self.static_reasons_with(fitter, s, t, false, Some(&mut cache.rules), true) != 0;
        };
        let passes = match cache.fixed.get(slot) {
            Some(&Some(p)) => p,
            _ => {
                let p = self.static_reasons_with(fitter, s, t, false, Some(&mut cache.rules), false) == 0;
                if let Some(x) = cache.fixed.get_mut(slot) {
                    *x = Some(p);
                }
                p
            }
        };
        if !passes {
            return true;
        }
        if !hard {
            return false;
        }
        let restores = self.groups.restores();
        if cache.capped.get(slot) == Some(&(t.group, restores)) {
            return true;
        }
        // INVARIANT: `s` is a static class of the ledger (the caller read it from a class).
        let rep = self.statics.get(s as usize).map_or(0, |st| st.rep);
        let (_, _, values) =
            cache.rules.get_or_insert_with(t.rules.id, s, || rule_entry(&t.rules, &self.candidate(rep), &self.groups));
        if t.rules.dynamic_ok(values, &self.groups, t.group) {
            return false;
        }
        if t.rules.capped(values, &self.groups, t.group) {
            if let Some(x) = cache.capped.get_mut(slot) {
                *x = (t.group, restores);
            }
        }
        true
    }

    /// Whether every member of class `cl` is on a host that holds `limit` of the group's
    /// tasks by `counts` (the group's hostname counters); a member without a known host id
    /// is not.
    #[inline(never)]
    fn hosts_full(&self, cl: &Class, limit: u32, counts: &FieldCounts) -> bool {
        cl.members.iter().all(|m| self.host_ids.get(*m as usize).is_some_and(|h| counts.count(*h) >= limit))
    }

    /// The first member of class `cl` (no preferences; `first` its first member) that passes
    /// the task's rules and could beat the best so far with the class's score (`bound`).
    #[inline(never)]
    pub(super) fn first_ok_member(
        &self,
        t: &TaskPlan,
        cl: &Class,
        first: u32,
        bound: Bound<'_>,
        rules: &mut RuleCache<'r>,
    ) -> Option<u32> {
        let Bound { score, best, first_fit } = bound;
        let entry = if t.rules.has_hard() && t.rules.id != Rules::NO_ID {
            let rep = self.statics.get(cl.static_class as usize).map_or(first, |st| st.rep);
            Some(rules.get_or_insert_with(t.rules.id, cl.static_class, || {
                rule_entry(&t.rules, &self.candidate(rep), &self.groups)
            }))
        } else {
            None
        };
        if let (Some((_, others_ok, values)), Some(limit)) = (entry, t.rules.host_limit()) {
            // The hostname rules are all `UNIQUE` / `MAX_PER`: the class's other rules are
            // checked once, and each member by its hostname's count alone.
            if !*others_ok || !t.rules.dynamic_ok_except_host(values, &self.groups, t.group) {
                return None;
            }
            let counts = t.rules.host_counts(&self.groups, t.group)?;
            for &m in &cl.members {
                if let Some(b) = best {
                    if (first_fit && m > b.agent) || score < b.score || (score == b.score && m > b.agent) {
                        return None;
                    }
                }
                let host = match self.host_ids.get(m as usize) {
                    Some(&id) => id,
                    None => Rules::host_id(&self.groups, self.agents.get(m as usize).map_or("", |a| a.hostname)),
                };
                if counts.count(host) < limit {
                    return Some(m);
                }
            }
            return None;
        }
        for &m in &cl.members {
            if let Some(b) = best {
                // Members ascend: once one cannot beat the best, none after it can.
                if (first_fit && m > b.agent) || score < b.score || (score == b.score && m > b.agent) {
                    return None;
                }
            }
            if self.member_passes(t, m, &self.candidate(m), entry) {
                return Some(m);
            }
        }
        None
    }

    /// Whether agent `m` (`cand`) passes task `t`'s hard rules; `entry` holds its class's
    /// values read once per rules (then only the hostname rules are checked per agent).
    #[inline(always)]
    pub(super) fn member_passes(
        &self,
        t: &TaskPlan,
        m: u32,
        cand: &Candidate<'_>,
        entry: Option<&RuleEntry<'r>>,
    ) -> bool {
        match entry {
            Some((_, others_ok, values)) => {
                *others_ok
                    && t.rules.host_ok(
                        values,
                        cand.hostname,
                        self.host_ids.get(m as usize).copied(),
                        &self.groups,
                        t.group,
                    )
            }
            None => !t.rules.has_hard() || t.rules.check(cand, &self.groups, t.group),
        }
    }

    /// Whether the deferred best `b` of task `ti` (a class, and a member that passes the
    /// task's rules) fits: the fit's failure reasons (0 = it fits); the fit is left in `out`.
    pub(super) fn verify(&self, fitter: &mut Fitter, ti: usize, b: &Best, out: &mut FitOut) -> u32 {
        let (Some(t), Some(cl)) = (self.tasks.get(ti), self.classes.get(b.class as usize)) else {
            return reason::CPUS;
        };
        let view = self.view(b.class, t);
        cl.pool.fit(fitter, &t.need, view, false, out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::{offer, prepared, task};
    use super::super::options::{Options, Resolved, Strategy};
    use super::super::request::PlaceRequest;
    use super::*;

    fn request() -> PlaceRequest {
        PlaceRequest {
            offers: vec![
                offer("big", "a1", "cpus:8;mem:8192", "rack:r1"),
                offer("small", "a2", "cpus:2;mem:2048", "rack:r1"),
                offer("other", "a3", "cpus:8;mem:8192", "rack:r2"),
            ],
            tasks: vec![task("t", 1, 512, &[]), task("r2", 1, 512, &["rack LIKE r2"]), task("huge", 16, 512, &[])],
            ..PlaceRequest::default()
        }
    }

    /// The best agent (its id) for each task of the request, against the untouched ledger.
    fn best(strategy: Strategy) -> Vec<Option<&'static str>> {
        let req = request();
        let opts = Options { strategy, ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        (0..req.tasks.len())
            .map(|ti| {
                let b = ctx.best_for(ti, &mut out, &mut scratch, &mut cache)?;
                assert_eq!(ctx.agents[b.agent as usize].class, b.class);
                Some(["a1", "a2", "a3"][b.agent as usize])
            })
            .collect()
    }

    #[test]
    fn binpack_picks_the_agent_left_fullest() {
        assert_eq!(best(Strategy::Binpack), [Some("a2"), Some("a3"), None]);
    }

    #[test]
    fn spread_picks_the_agent_left_emptiest_first_in_request_order() {
        assert_eq!(best(Strategy::Spread), [Some("a1"), Some("a3"), None]);
    }

    #[test]
    fn first_fit_picks_the_first_agent_that_fits() {
        assert_eq!(best(Strategy::FirstFit), [Some("a1"), Some("a3"), None]);
    }

    #[test]
    fn tasks_of_one_need_share_the_fixed_reasons() {
        let req = request();
        assert!(same_fixed(&prepared_task(&req, 0), &prepared_task(&req, 2)));
    }

    /// Tasks of one need (a fixed port and a dynamic one) on alike agents, placed one by one:
    /// (agent, host ports) per task and the fit evaluations, with the kept fits used or
    /// emptied before every task.
    fn placed_with_ports(kept: bool, selection: PortSelection) -> (Vec<(u32, Vec<u64>)>, u64) {
        let offers =
            (1..=4).map(|a| offer(&format!("o{a}"), &format!("a{a}"), "cpus:4;mem:4096;ports:[80-80,31000-31009]", ""));
        let tasks = (0..6).map(|i| {
            let mut t = task(&format!("t{i}"), 1, 512, &[]);
            t.ports = vec![80, 0];
            t
        });
        let req = PlaceRequest { offers: offers.collect(), tasks: tasks.collect(), ..PlaceRequest::default() };
        let opts = Options { port_selection: Some(selection), ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        let mut placed = Vec::new();
        for ti in 0..req.tasks.len() {
            if !kept {
                cache.fits.clear();
            }
            let Some(b) = ctx.best_for(ti, &mut out, &mut scratch, &mut cache) else { break };
            placed.push((b.agent, out.ports.to_vec()));
            ctx.place_task(ti, b.agent, b.class, b.score, &mut out);
        }
        (placed, ctx.fitter.evaluations)
    }

    #[test]
    fn a_kept_fit_is_the_fit_and_counts_as_an_evaluation() {
        let (placed, evaluations) = placed_with_ports(true, PortSelection::Lowest);
        // One task per agent (port 80 is taken on the others), the lowest dynamic port each.
        let want: Vec<(u32, Vec<u64>)> = (0..4).map(|a| (a, vec![80, 31000])).collect();
        assert_eq!(placed, want);
        assert_eq!((placed, evaluations), placed_with_ports(false, PortSelection::Lowest));
        // Random ports are drawn per task: nothing is kept, the answer is the same either way.
        assert_eq!(placed_with_ports(true, PortSelection::Random), placed_with_ports(false, PortSelection::Random));
    }

    /// Tasks of one app (`rack MAX_PER 1`, then `hostname UNIQUE`) placed one by one on six
    /// agents in three racks: the agent per task (`None`: none left), with the kept bars
    /// ([`ScanCache::capped`]) used, or forgotten before every task.
    fn placed_in_racks(constraint: &str, kept: bool) -> Vec<Option<u32>> {
        let offers =
            (0..6).map(|a| offer(&format!("o{a}"), &format!("a{a}"), "cpus:8;mem:8192", &format!("rack:r{}", a % 3)));
        let tasks = (0..5).map(|i| {
            let mut t = task(&format!("t{i}"), 1, 128, &[constraint]);
            t.group = Some("app".to_owned());
            t
        });
        let req = PlaceRequest { offers: offers.collect(), tasks: tasks.collect(), ..PlaceRequest::default() };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        (0..req.tasks.len())
            .map(|ti| {
                if !kept {
                    cache.capped.fill((u32::MAX, 0));
                }
                let b = ctx.best_for(ti, &mut out, &mut scratch, &mut cache)?;
                ctx.place_task(ti, b.agent, b.class, b.score, &mut out);
                Some(b.agent)
            })
            .collect()
    }

    #[test]
    fn a_full_rack_stays_barred_for_the_group_and_the_answer_is_the_same() {
        let placed = placed_in_racks("rack MAX_PER 1", true);
        assert_eq!(placed.iter().flatten().count(), 3);
        let mut racks: Vec<u32> = placed.iter().flatten().map(|a| a % 3).collect();
        racks.sort_unstable();
        assert_eq!(racks, [0, 1, 2]);
        assert_eq!(placed, placed_in_racks("rack MAX_PER 1", false));
        let hosts = placed_in_racks("hostname UNIQUE", true);
        assert_eq!(hosts.iter().flatten().count(), 5);
        assert_eq!(hosts, placed_in_racks("hostname UNIQUE", false));
    }

    #[test]
    fn a_restore_lifts_the_kept_bars() {
        let offers = vec![offer("o0", "a0", "cpus:8;mem:8192", "rack:r0")];
        let mut t = task("t0", 1, 128, &["rack MAX_PER 1"]);
        t.group = Some("app".to_owned());
        let mut t1 = t.clone();
        t1.id = "t1".to_owned();
        let req = PlaceRequest { offers, tasks: vec![t, t1], ..PlaceRequest::default() };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let base = ctx.groups.snapshot(&[ctx.tasks[0].group]);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        let b = ctx.best_for(0, &mut out, &mut scratch, &mut cache).unwrap();
        ctx.place_task(0, b.agent, b.class, b.score, &mut out);
        // The rack is full for the group: barred, and kept so.
        assert!(ctx.best_for(1, &mut out, &mut scratch, &mut cache).is_none());
        assert!(cache.capped.iter().any(|&(g, _)| g == ctx.tasks[1].group));
        // Counts restored (a gang rolled back): the rack takes the task again.
        ctx.groups.restore(base);
        assert!(ctx.best_for(1, &mut out, &mut scratch, &mut cache).is_some());
    }

    /// Agents, every `edge`-th one offering half its cpus and mem to `slave_public` (counted
    /// in its class's amounts, which a task of role `*` cannot take: under binpack, once a
    /// task used its own cpus or mem such an agent looks fullest and its fit fails), and
    /// tasks of role `*` (every `port`-th with a dynamic host port, every `public`-th of role
    /// `slave_public`), placed one by one: (agent, host ports) per task and the evaluations,
    /// with the known misfits kept, or forgotten before every task.
    fn placed_on_edges(kept: bool, shape: (u64, u64, u64, u64), strategy: Strategy) -> (Vec<(u32, Vec<u64>)>, u64) {
        let (edge, port, public, seed) = shape;
        let mut rng = seed;
        let mut draw = |n: u64| super::super::fit::splitmix(&mut rng) % n;
        let offers: Vec<_> = (0..8u64)
            .map(|a| {
                let res = if a % edge == edge - 1 {
                    format!(
                        "cpus:{};mem:2048;cpus(slave_public):2;mem(slave_public):2048;ports:[31000-31002]",
                        1 + draw(2)
                    )
                } else {
                    format!("cpus:{};mem:4096;ports:[31000-3100{}]", 2 + draw(3), draw(3))
                };
                offer(&format!("o{a}"), &format!("a{a}"), &res, "")
            })
            .collect();
        let tasks = (0..24u64).map(|i| {
            let mut t = task(&format!("t{i}"), 1, 512 * (1 + draw(2) as i64), &[]);
            if i % port == port - 1 {
                t.ports = vec![0];
            }
            if i % public == public - 1 {
                t.role = Some("slave_public".to_owned());
            }
            t
        });
        let req = PlaceRequest { offers, tasks: tasks.collect(), ..PlaceRequest::default() };
        let opts = Options { strategy, roles: vec!["*".to_owned(), "slave_public".to_owned()], ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        let mut placed = Vec::new();
        for ti in 0..req.tasks.len() {
            if !kept {
                cache.misfits = Misfits::default();
            }
            match ctx.best_for(ti, &mut out, &mut scratch, &mut cache) {
                Some(b) => {
                    placed.push((b.agent, out.ports.to_vec()));
                    ctx.place_task(ti, b.agent, b.class, b.score, &mut out);
                }
                None => placed.push((u32::MAX, Vec::new())),
            }
        }
        (placed, ctx.fitter.evaluations)
    }

    #[test]
    fn a_class_known_not_to_fit_is_skipped_with_the_same_picks() {
        let (placed, kept) = placed_on_edges(true, (2, 3, 7, 1), Strategy::Binpack);
        let (again, forgotten) = placed_on_edges(false, (2, 3, 7, 1), Strategy::Binpack);
        assert_eq!(placed, again);
        assert!(placed.iter().filter(|(a, _)| *a != u32::MAX).count() > 12, "{placed:?}");
        // The edge agents' failed fits are not run again.
        assert!(kept < forgotten, "{kept} evaluations kept, {forgotten} forgotten");
        // Other shapes and strategies (first-fit scans without an order): the same picks.
        for seed in 0..40u64 {
            let shape = (2 + seed % 3, 2 + seed % 4, 3 + seed % 5, seed);
            for strategy in [Strategy::Binpack, Strategy::Spread, Strategy::FirstFit] {
                let (a, _) = placed_on_edges(true, shape, strategy);
                let (b, _) = placed_on_edges(false, shape, strategy);
                assert_eq!(a, b, "shape {shape:?}, {strategy:?}");
            }
        }
    }

    fn prepared_task(req: &PlaceRequest, ti: usize) -> TaskPlan {
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, req);
        ctx.tasks.swap_remove(ti)
    }
}
