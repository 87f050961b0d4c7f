//! The batch ledger: the agents, their static classes (identical offers) and state classes
//! (identical offers *and* identical resources taken in this batch), the compiled tasks and
//! the placements made, held in one [`Ctx`]. Its methods keep the ledger consistent: a class
//! found or created by hashing its state, an agent moved between classes, each class's scan
//! row, live bit and place in the score order brought in line.
//!
//! The rooms above fill and read it: [`super::classes`] pools the offers into agents and
//! classes, [`super::compile`] compiles the tasks, [`super::scan`] picks the best class for a
//! task, [`super::batch`] records placements, [`super::explain`] and [`super::output`] read
//! the result.

use std::hash::{Hash, Hasher};

use smallvec::SmallVec;

use super::fit::{self, AgentView, Entry, FitOut, Fitter, Need};
use super::options::{Options, Resolved};
use super::pool::ClassPool;
use super::request::PlaceRequest;
use super::rules::{Candidate, Groups, Rules};
use super::shapes::Sight;
use super::tables::Interner;
use crate::decision::Unplaced;
use crate::hash::{Fx, FxMap};
use crate::model::{Attributes, Ranges};

pub(super) struct Agent<'r> {
    pub(super) id: &'r str,
    pub(super) hostname: &'r str,
    pub(super) offers: SmallVec<[u32; 2]>,
    /// Its static class and state class.
    pub(super) static_class: u32,
    pub(super) class: u32,
}

pub(super) struct Static<'r> {
    pub(super) rep: u32,
    pub(super) region: Option<&'r str>,
    pub(super) zone: Option<&'r str>,
    pub(super) blacklist: Ranges,
    pub(super) pool: Vec<Entry>,
    pub(super) offered: (i64, i64),
    pub(super) has_gpus: bool,
    pub(super) pids: SmallVec<[u32; 2]>,
    pub(super) maintenance: bool,
    pub(super) foreign: bool,
    pub(super) execs: SmallVec<[u32; 2]>,
    pub(super) init_class: u32,
    /// How many agents it has (its state classes hold no others).
    pub(super) agents: u32,
    /// The representative's shape ([`super::shapes::walk_shape`]); empty when it has none.
    pub(super) shape: Vec<u64>,
}

/// The agents of a class, ascending. Agents mostly leave a class from the front (the first
/// member is the one picked), so removal there is O(1); the vector is never re-sorted. Most
/// state classes hold one or two agents: those are kept inline (no allocation per class).
#[derive(Debug, Default, Clone)]
pub(super) struct Members {
    list: SmallVec<[u32; 2]>,
    start: usize,
}

impl Members {
    pub(super) fn first(&self) -> Option<&u32> {
        self.list.get(self.start)
    }

    pub(super) fn iter(&self) -> std::slice::Iter<'_, u32> {
        self.list.get(self.start..).unwrap_or(&[]).iter()
    }

    #[inline(always)]
    pub(super) fn insert(&mut self, agent: u32) {
        if self.list.last().map_or(true, |x| *x < agent) {
            self.list.push(agent);
            return;
        }
        self.insert_within(agent);
    }

    /// [`Members::insert`] below the last member.
    #[inline(never)]
    fn insert_within(&mut self, agent: u32) {
        let live = self.list.get(self.start..).unwrap_or(&[]);
        if let Err(pos) = live.binary_search(&agent) {
            if pos == 0 && self.start > 0 {
                self.start -= 1;
                if let Some(x) = self.list.get_mut(self.start) {
                    *x = agent;
                }
            } else {
                self.list.insert(self.start + pos, agent);
            }
        }
    }

    /// Adds `agents`, ascending and each above every member (a class's first state class
    /// filled in one go, [`super::held`]).
    pub(super) fn extend_above(&mut self, agents: &[u32]) {
        debug_assert!(agents.windows(2).all(|w| w.first() < w.last()));
        debug_assert!(self.list.last().zip(agents.first()).map_or(true, |(l, f)| l < f));
        self.list.extend_from_slice(agents);
    }

    /// The members are `agents`, ascending (their buffer taken, not copied).
    pub(super) fn set(&mut self, agents: Vec<u32>) {
        debug_assert!(agents.windows(2).all(|w| w.first() < w.last()));
        self.list = SmallVec::from_vec(agents);
        self.start = 0;
    }

    pub(super) fn remove(&mut self, agent: u32) {
        let live = self.list.get(self.start..).unwrap_or(&[]);
        if let Ok(pos) = live.binary_search(&agent) {
            if pos == 0 {
                self.start += 1;
            } else {
                self.list.remove(self.start + pos);
            }
        }
        if self.start == self.list.len() {
            self.list.clear();
            self.start = 0;
        }
    }
}

/// Where `key` is in `order` (sorted worst first, as [`Ctx::build_order`] leaves it), as
/// `order.binary_search_by(|x| key.cmp(x))` finds it (the keys are distinct: the same
/// answer), with a look at the last entry first: the classes that come and go are mostly the
/// best-scoring one, at the end (binpack fills it), found there with one comparison.
fn search_from_end(
    order: &[(std::cmp::Reverse<i64>, u32)],
    key: (std::cmp::Reverse<i64>, u32),
) -> Result<usize, usize> {
    let n = order.len();
    match order.last().map(|x| key.cmp(x)) {
        // The last entry comes before `key` (or there is none): `key` goes after it.
        None | Some(std::cmp::Ordering::Less) => Err(n),
        Some(std::cmp::Ordering::Equal) => Ok(n - 1),
        Some(std::cmp::Ordering::Greater) => order.get(..n - 1).unwrap_or(&[]).binary_search_by(|x| key.cmp(x)),
    }
}

impl<'a> IntoIterator for &'a Members {
    type Item = &'a u32;
    type IntoIter = std::slice::Iter<'a, u32>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// What a score is computed for: the cpus and mem a task adds, and the id of its amounts on
/// the batch's other scored dimensions ([`super::score::Dims::task`]).
pub(super) type AddKey = ((i64, i64), u32);

/// The per-class numbers the scan reads for every task, flat: available cpus / mem, and the
/// last strategy score computed with the amounts added it was for (consecutive tasks are
/// often of one size, and a class's used amounts never change).
pub(super) struct ScanRow {
    pub(super) avail: (i64, i64),
    /// The class's static class, and its first member (`u32::MAX` when it has none), kept
    /// here so that the scan reads the class itself only for the classes that pass.
    pub(super) static_class: u32,
    pub(super) first: u32,
    pub(super) score: std::cell::Cell<(AddKey, i64)>,
    /// The [`TaskPlan::need_id`] whose fit last failed on the class (`u32::MAX`: none). A
    /// class's pool never changes, so the same needs fail again.
    pub(super) failed: std::cell::Cell<u32>,
    /// `(group, limit, restores)` when the scan found every member's host holding `limit` of
    /// the group's tasks ([`super::rules::Groups::restores`] then): the group's later tasks
    /// with that hostname limit pass over the class at once (issue 19). Counts only grow
    /// until `restores` changes, and a member that joins the class resets it
    /// ([`Ctx::move_agent`]); `None` when not known.
    pub(super) full: std::cell::Cell<Option<(u32, u32, u64)>>,
}

pub(super) struct Class {
    pub(super) static_class: u32,
    pub(super) pool: ClassPool,
    pub(super) used: (i64, i64),
    pub(super) execs: SmallVec<[u32; 2]>,
    pub(super) members: Members,
    pub(super) offers: usize,
    /// Its pool was let go when its last member left (see [`Ctx::move_agent`]).
    pub(super) dropped: bool,
}

/// A compiled task.
pub(super) struct TaskPlan {
    /// Its position in the request, which is also its position in [`Ctx::tasks`]
    /// ([`super::compile::compile_tasks`] compiles every task, in request order, or fails):
    /// a task's request index reads its plan directly.
    pub(super) index: usize,
    pub(super) need: Need,
    pub(super) rules: Rules,
    pub(super) group: u32,
    pub(super) gpu_restricted: bool,
    pub(super) gang: Option<u32>,
    /// Runs of tasks in a row with equal needs (fixed host ports, no volumes) share this id,
    /// `u32::MAX` for the others: whether a class fits depends only on its pool and the needs.
    pub(super) need_id: u32,
}

/// One placement of the batch.
pub(super) struct Placement {
    pub(super) task: usize,
    pub(super) agent: u32,
    pub(super) fit: FitOut,
    pub(super) score: i64,
}

/// The request a batch reads: a [`PlaceRequest`] whose offers may have gaps (a held store's
/// removed offers, [`super::Held`], left in place until it compacts): `dead[i]` marks offer
/// `i` as gone. An offer is read by its index in the store (an agent's offers are always
/// live); a pass over the offers reads the live ones only ([`Req::live_offers`]), in store
/// order, which is the order of the request without its gaps.
#[derive(Clone, Copy)]
pub(super) struct Req<'r> {
    req: &'r PlaceRequest,
    dead: &'r [bool],
    /// How many offers are gone.
    gaps: usize,
}

impl<'r> Req<'r> {
    /// `req` with the offers marked in `dead` gone (`gaps` of them).
    pub(super) fn with_gaps(req: &'r PlaceRequest, dead: &'r [bool], gaps: usize) -> Req<'r> {
        Req { req, dead, gaps }
    }

    /// The request itself (its offers with their gaps).
    pub(super) fn request(self) -> &'r PlaceRequest {
        self.req
    }

    /// Whether offer `i` is in the store and not gone.
    pub(super) fn live(self, i: usize) -> bool {
        i < self.req.offers.len() && !self.dead.get(i).copied().unwrap_or(false)
    }

    /// Per offer of the store, whether it is gone (shorter than the store when the last
    /// offers are live; empty for a request without gaps).
    pub(super) fn dead(self) -> &'r [bool] {
        self.dead
    }

    /// The live offers, with their indices in the store, in order.
    pub(super) fn live_offers(self) -> impl Iterator<Item = (usize, &'r crate::model::Offer)> + Clone {
        let dead = self.dead;
        self.req.offers.iter().enumerate().filter(move |(i, _)| !dead.get(*i).copied().unwrap_or(false))
    }

    /// How many offers are live.
    pub(super) fn offer_count(self) -> usize {
        self.req.offers.len().saturating_sub(self.gaps)
    }

    /// Offer `i`'s position in the request without gaps (for error paths: a pass over the
    /// gaps before it).
    pub(super) fn position(self, i: usize) -> usize {
        i - self.dead.iter().take(i).filter(|d| **d).count()
    }
}

impl<'r> From<&'r PlaceRequest> for Req<'r> {
    fn from(req: &'r PlaceRequest) -> Req<'r> {
        Req { req, dead: &[], gaps: 0 }
    }
}

pub(super) struct Ctx<'r, 'o> {
    pub(super) req: &'r PlaceRequest,
    /// The request with its gaps: a pass over the offers reads [`Req::live_offers`].
    pub(super) store: Req<'r>,
    pub(super) opts: &'o Options,
    pub(super) resolved: &'o Resolved,
    pub(super) agents: Vec<Agent<'r>>,
    pub(super) statics: Vec<Static<'r>>,
    pub(super) classes: Vec<Class>,
    pub(super) class_index: FxMap<u64, SmallVec<[u32; 1]>>,
    /// The classes that have members, as a bitset over class ids: the scan walks these
    /// (ascending, as over every class) and skips the many emptied ones.
    pub(super) live: Vec<u64>,
    // Flat per-class numbers for the scan.
    pub(super) scan_rows: Vec<ScanRow>,
    /// The live classes that can take `order_add` (no executor), by strategy score for it,
    /// best last, ties by class id (descending: the scan walks it from the end); kept up to
    /// date once built. `last_add`: the previous task's.
    pub(super) order: Vec<(std::cmp::Reverse<i64>, u32)>,
    pub(super) order_add: Option<AddKey>,
    pub(super) last_add: Option<AddKey>,
    /// The dimensions besides cpus and mem the scores read (set once the tasks are compiled).
    pub(super) dims: super::score::Dims,
    /// One more than the highest rules id of the tasks (0 when none has one).
    pub(super) rule_ids: usize,
    /// A placement's new pool, kept for the next one when its class already exists.
    pub(super) pool_buf: Vec<Entry>,
    pub(super) roles: Interner,
    pub(super) names: Interner,
    pub(super) ids: Interner,
    pub(super) fitter: Fitter,
    pub(super) groups: Groups<'r>,
    pub(super) tasks: Vec<TaskPlan>,
    pub(super) placements: Vec<Placement>,
    /// Per task: placement index.
    pub(super) placed: Vec<Option<usize>>,
    /// Per task: the gang member that could not be placed (for the others of its gang).
    pub(super) gang_failed: Vec<Option<usize>>,
    /// Explanations made when a task could not be placed, against the state of that moment
    /// (inside a gang's attempt: with what its earlier members had taken): (task, why).
    pub(super) explained: Vec<(usize, Unplaced<'r>)>,
    /// Constraints the tasks' dialect ignores: (JSON pointer, warning).
    pub(super) warnings: Vec<(String, crate::error::Error)>,
    pub(super) empty_ranges: Ranges,
    /// Per offer: its agent.
    pub(super) offer_agent: Vec<u32>,
    /// Per agent: its hostname's value id in [`Ctx::groups`] (empty when no group counts
    /// hostnames).
    pub(super) host_ids: Vec<u32>,
    /// Per static class, the value ids its agents show for each of
    /// [`Groups::counted_fields`] (empty when no group counts a field).
    pub(super) static_ids: Vec<Option<u32>>,
    /// What the batch's tasks tell agents apart by: static classes compare only this
    /// ([`super::shapes::Sight`]; set once the tasks are compiled).
    pub(super) sight: Sight,
    /// The caller keeps unused offers: the plan declines only for maintenance
    /// ([`super::Held::keep_unused`]).
    pub(super) keep_unused: bool,
}

pub(super) static EMPTY_ATTRS: Attributes = Attributes(Vec::new());

impl<'r, 'o> Ctx<'r, 'o> {
    pub(super) fn class_key(s: u32, pool: &ClassPool, used: (i64, i64), execs: &[u32]) -> u64 {
        let mut h = Fx::default();
        h.write_u32(s);
        match pool {
            ClassPool::Flat(pool) => {
                for e in pool {
                    e.amount.hash(&mut h);
                }
            }
            // The tree's hash, kept up to date per changed entry: never the whole pool.
            ClassPool::Shared(p) => h.write_u64(p.content_hash()),
        }
        h.write_u64(used.0 as u64);
        h.write_u64(used.1 as u64);
        for x in execs {
            h.write_u32(*x);
        }
        h.finish()
    }

    /// The class of static class `s` with this pool, used amounts and executors; created
    /// (taking `pool`) when there is none.
    pub(super) fn find_or_create_class(
        &mut self,
        s: u32,
        pool: &mut ClassPool,
        used: (i64, i64),
        execs: SmallVec<[u32; 2]>,
    ) -> u32 {
        let key = Ctx::class_key(s, pool, used, &execs);
        if let Some(list) = self.class_index.get(&key) {
            for &c in list {
                if let Some(cl) = self.classes.get(c as usize) {
                    let same_pool = match (&cl.pool, &*pool) {
                        (ClassPool::Flat(a), ClassPool::Flat(b)) => {
                            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| a.amount == b.amount)
                        }
                        (ClassPool::Shared(a), ClassPool::Shared(b)) => a.same_amounts(b),
                        _ => false,
                    };
                    if !cl.dropped && cl.static_class == s && cl.used == used && cl.execs == execs && same_pool {
                        return c;
                    }
                }
            }
        }
        self.create_class(key, s, std::mem::take(pool), used, execs)
    }

    /// A new class of static class `s` (no class of it has this pool, used amounts and
    /// executors); `key`: their [`Ctx::class_key`].
    pub(super) fn create_class(
        &mut self,
        key: u64,
        s: u32,
        pool: ClassPool,
        used: (i64, i64),
        execs: SmallVec<[u32; 2]>,
    ) -> u32 {
        let mut avail = (0, 0);
        match &pool {
            ClassPool::Flat(entries) => {
                for e in entries {
                    match e.name {
                        fit::CPUS => avail.0 += e.scalar(),
                        fit::MEM => avail.1 += e.scalar(),
                        _ => {}
                    }
                }
            }
            ClassPool::Shared(p) => avail = p.avail(),
        }
        let c = self.classes.len() as u32;
        if self.classes.len() == self.classes.capacity() {
            // Room for a class per task at once (a placement makes at most one): not a
            // doubling of the classes, their rows and their index every few placements, each
            // moving all of them (issue 19: ≈1.7 M of a constraint-heavy call's 8,200 new
            // classes).
            let more = self.tasks.len().max(self.classes.len());
            self.classes.reserve(more);
            self.scan_rows.reserve(more);
            self.class_index.reserve(more);
        }
        if self.dims.on() {
            let base = self.statics.get(s as usize).map_or(&[][..], |st| st.pool.as_slice());
            // Only the scored names' entries: a shared pool is not copied whole per class.
            let entries = pool.flat_named(&self.dims.names);
            self.dims.record_class(c, s, base, &entries);
        }
        self.classes.push(Class {
            static_class: s,
            pool,
            used,
            execs,
            members: Members::default(),
            offers: 0,
            dropped: false,
        });
        self.scan_rows.push(ScanRow {
            avail,
            static_class: s,
            first: u32::MAX,
            score: std::cell::Cell::new((((i64::MIN, i64::MIN), 0), 0)),
            failed: std::cell::Cell::new(u32::MAX),
            full: std::cell::Cell::new(None),
        });
        if self.live.len() * 64 < self.classes.len() {
            self.live.push(0);
        }
        self.class_index.entry(key).or_default().push(c);
        c
    }

    pub(super) fn move_agent(&mut self, agent: u32, to: u32) {
        let Some(a) = self.agents.get_mut(agent as usize) else { return };
        let from = a.class;
        let n = a.offers.len();
        a.class = to;
        if let Some(cl) = self.classes.get_mut(from as usize) {
            cl.members.remove(agent);
            cl.offers -= n;
        }
        self.refresh(from);
        if let Some(cl) = self.classes.get_mut(to as usize) {
            cl.members.insert(agent);
            cl.offers += n;
        }
        // A new member's host may be below a group's limit.
        if let Some(row) = self.scan_rows.get(to as usize) {
            row.full.set(None);
        }
        self.refresh(to);
    }

    /// The strategy score of class `c` for a task adding `add`.
    pub(super) fn class_score(&self, c: u32, (add, k): AddKey) -> i64 {
        let Some(cl) = self.classes.get(c as usize) else { return 0 };
        let offered = self.statics.get(cl.static_class as usize).map_or((0, 0), |s| s.offered);
        let mut extra = [(0, 0, 0); super::score::MAX_EXTRA];
        let n = self.dims.fill(cl.static_class, c, k, &mut extra);
        super::score::strategy_score(self.resolved, offered, cl.used, add, extra.get(..n).unwrap_or(&[]))
    }

    /// Whether class `c` has the cpus and mem to take `add` (fixed for a class: its used
    /// amounts never change).
    pub(super) fn holds(&self, c: u32, add: (i64, i64)) -> bool {
        self.scan_rows.get(c as usize).is_some_and(|row| row.avail.0 >= add.0 && row.avail.1 >= add.1)
    }

    /// Builds [`Ctx::order`] for tasks adding `add`: the live classes that can take it (the
    /// scan passes over the others without a look at anything else).
    pub(super) fn build_order(&mut self, add: AddKey) {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        for (word, &w) in self.live.iter().enumerate() {
            let mut bits = w;
            while bits != 0 {
                let c = (word * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                if self.holds(c, add.0) {
                    let score = self.class_score(c, add);
                    // Kept for [`Ctx::refresh`], which finds the class in the order by it
                    // (the scan reads it from the order).
                    if let Some(row) = self.scan_rows.get(c as usize) {
                        row.score.set((add, score));
                    }
                    order.push((std::cmp::Reverse(score), c));
                }
            }
        }
        // Worst first: the scan walks it from the end, where classes mostly come and go
        // (binpack fills the best-scoring agents), so inserts and removals move little.
        order.sort_unstable_by(|a, b| b.cmp(a));
        self.order = order;
        self.order_add = Some(add);
    }

    /// Brings class `c`'s live bit and first member in line with its members.
    pub(super) fn refresh(&mut self, c: u32) {
        let first = self.classes.get(c as usize).and_then(|cl| cl.members.first().copied());
        if let Some(row) = self.scan_rows.get_mut(c as usize) {
            row.first = first.unwrap_or(u32::MAX);
        }
        let on = first.is_some();
        let was = self.live.get(c as usize / 64).is_some_and(|w| w & (1u64 << (c % 64)) != 0);
        if let Some(add) = self.order_add.filter(|add| was != on && self.holds(c, add.0)) {
            // The scan's score for these amounts when it has one (the same number).
            let cached = self.scan_rows.get(c as usize).map(|row| row.score.get()).filter(|(a, _)| *a == add);
            let score = cached.map_or_else(|| self.class_score(c, add), |(_, sc)| sc);
            // Kept for the scan, which reads the class's score for these amounts next (a
            // class's used amounts never change, so neither does its score).
            if let Some(row) = self.scan_rows.get(c as usize) {
                row.score.set((add, score));
            }
            let key = (std::cmp::Reverse(score), c);
            match search_from_end(&self.order, key) {
                Ok(i) if !on => {
                    self.order.remove(i);
                }
                Err(i) if on => self.order.insert(i, key),
                _ => {}
            }
        }
        if let Some(w) = self.live.get_mut(c as usize / 64) {
            let bit = 1u64 << (c % 64);
            if on {
                *w |= bit;
            } else {
                *w &= !bit;
            }
        }
    }

    pub(super) fn candidate(&self, agent: u32) -> Candidate<'r> {
        let a = self.agents.get(agent as usize);
        let s = a.and_then(|a| self.statics.get(a.static_class as usize));
        // The agent's own attributes: its class's members agree only on those the batch reads.
        let first = a.and_then(|a| a.offers.first()).and_then(|o| self.req.offers.get(*o as usize));
        Candidate {
            hostname: a.map_or("", |a| a.hostname),
            attributes: first.map_or(&EMPTY_ATTRS, |o| &o.attributes),
            region: s.and_then(|s| s.region),
            zone: s.and_then(|s| s.zone),
        }
    }

    pub(super) fn view(&self, c: u32, t: &TaskPlan) -> AgentView<'_> {
        let cl = self.classes.get(c as usize);
        let st = cl.and_then(|cl| self.statics.get(cl.static_class as usize));
        let has_exec = match (&t.need.executor, cl) {
            (Some(ex), Some(cl)) => cl.execs.contains(&ex.id),
            _ => false,
        };
        let mut seed = self.resolved.seed ^ (t.index as u64).wrapping_mul(0xA24B_AED4_963E_E407);
        AgentView {
            blacklist: st.map_or(&self.empty_ranges, |s| &s.blacklist),
            has_exec,
            seed: fit::splitmix(&mut seed),
        }
    }

    /// An empty ledger for `req`: no agents, classes or tasks yet.
    pub(super) fn new(opts: &'o Options, resolved: &'o Resolved, req: impl Into<Req<'r>>) -> Ctx<'r, 'o> {
        let store: Req<'r> = req.into();
        let req = store.request();
        let r = resolved;
        Ctx {
            req,
            store,
            opts,
            resolved: r,
            agents: Vec::with_capacity(req.offers.len()),
            statics: Vec::new(),
            classes: Vec::new(),
            class_index: FxMap::default(),
            live: Vec::new(),
            scan_rows: Vec::new(),
            order: Vec::new(),
            order_add: None,
            last_add: None,
            dims: super::score::Dims::default(),
            rule_ids: 0,
            pool_buf: Vec::new(),
            roles: Interner::with(&["*"]),
            names: Interner::with(&["cpus", "mem", "disk", "gpus", "ports"]),
            ids: Interner::default(),
            fitter: Fitter { profile: Some(r.profile), port_selection: Some(r.port_selection), ..Fitter::default() },
            groups: Groups::default(),
            tasks: Vec::with_capacity(req.tasks.len()),
            placements: Vec::with_capacity(req.tasks.len().min(req.offers.len().saturating_mul(64))),
            placed: vec![None; req.tasks.len()],
            gang_failed: vec![None; req.tasks.len()],
            explained: Vec::new(),
            warnings: Vec::new(),
            empty_ranges: Ranges::new(),
            offer_agent: Vec::with_capacity(req.offers.len()),
            host_ids: Vec::new(),
            static_ids: Vec::new(),
            sight: Sight::default(),
            keep_unused: false,
        }
    }
}

impl<'r> Ctx<'r, '_> {
    /// Records task `ti` placed on `agent` (of class `class`, with strategy score `score`)
    /// with the fit `fit` (taken): the agent moves to the state class of its new pool, the
    /// constraint counters count it. Returns the placement's index.
    pub(super) fn place_task(&mut self, ti: usize, agent: u32, class: u32, score: i64, fit: &mut FitOut) -> usize {
        let Some(t) = self.tasks.get(ti) else { return 0 };
        let group = t.group;
        let exec = t.need.executor;
        let task_index = t.index;
        let mut buf = std::mem::take(&mut self.pool_buf);
        let (s, used, mut execs, mut pool) = match self.classes.get(class as usize) {
            Some(cl) => {
                let pool = match &cl.pool {
                    ClassPool::Flat(p) => {
                        buf.clone_from(p);
                        super::apply::apply(&mut buf, fit);
                        ClassPool::Flat(buf)
                    }
                    // A large pool: the entries the fit takes from are copied, the rest shared.
                    ClassPool::Shared(p) => {
                        self.pool_buf = buf;
                        ClassPool::Shared(Box::new(p.applied(fit)))
                    }
                };
                (cl.static_class, cl.used, SmallVec::from_slice(&cl.execs), pool)
            }
            None => {
                self.pool_buf = buf;
                return 0;
            }
        };
        let mut taken = (0, 0);
        let entries = pool.entries();
        for tk in fit.takes.iter().chain(fit.exec_takes.iter()) {
            if let (Some(e), fit::TakeWhat::Scalar(v)) = (entries.get(tk.entry as usize), &tk.what) {
                match e.name {
                    fit::CPUS => taken.0 += v,
                    fit::MEM => taken.1 += v,
                    _ => {}
                }
            }
        }
        if fit.exec_charged {
            if let Some(ex) = exec {
                if !execs.contains(&ex.id) {
                    execs.push(ex.id);
                    execs.sort_unstable();
                }
            }
        }
        let to = self.find_or_create_class(s, &mut pool, (used.0 + taken.0, used.1 + taken.1), execs);
        if let ClassPool::Flat(buf) = pool {
            self.pool_buf = buf;
        }
        self.move_agent(agent, to);
        // The state class an agent alike no other just left: its pool is let go (memory stays
        // one pool per agent, not one per placement). No later placement finds it again: a
        // placement only takes, and the agent left it for other amounts. A gang's roll-back
        // rebuilds it (`unplace_last`), and every state the gang went through with it.
        let statics = &self.statics;
        if let Some(cl) = self.classes.get_mut(class as usize).filter(|cl| {
            to != class
                && cl.members.first().is_none()
                && statics.get(cl.static_class as usize).is_some_and(|s| s.agents == 1)
        }) {
            cl.pool = ClassPool::default();
            cl.dropped = true;
        }
        let idx = self.placements.len();
        if cfg!(target_arch = "wasm32") {
            // In WASM a whole-`FitOut` move is a `memory.copy` call, made twice (through the
            // temporary `Placement`, then into the vector): the fit goes into the new slot take
            // by take instead (`FitOut::move_into`). Natively the plain move is cheaper.
            self.placements.push(Placement { task: task_index, agent, fit: FitOut::default(), score });
            if let Some(p) = self.placements.last_mut() {
                fit.move_into(&mut p.fit);
            }
        } else {
            self.placements.push(Placement { task: task_index, agent, fit: std::mem::take(fit), score });
        }

        self.record_group(group, agent);
        if let Some(p) = self.placed.get_mut(ti) {
            *p = Some(idx);
        }
        idx
    }

    /// Counts one placement of `group` on `agent` in the constraint counters.
    #[inline(always)]
    fn record_group(&mut self, group: u32, agent: u32) {
        if self.groups.counts_any() {
            let cand = self.candidate(agent);
            let host = self.host_ids.get(agent as usize).copied();
            let n = self.groups.counted_fields().len();
            let ids = self.agents.get(agent as usize).and_then(|a| {
                let from = (a.static_class as usize).checked_mul(n)?;
                self.static_ids.get(from..from.checked_add(n)?)
            });
            self.groups.record_on(group, &cand, host, ids);
        } else {
            self.groups.record_placed(group);
        }
    }

    /// Undoes placement `pi` of the batch, whatever was placed after it (repair's swaps): the
    /// agent gets back what the fit took (scalars, ports, volumes) and moves to the state
    /// class of the pool it then has; the placement leaves the list (those after it move down
    /// one) and its task is unplaced. The group counters are left as they are: the caller
    /// recounts the group ([`Ctx::recount`]). A placement that charged an executor is not
    /// undone (other tasks of the agent may run in it): `None`.
    pub(super) fn unplace(&mut self, pi: usize) -> Option<Placement> {
        let p = self.placements.get(pi).filter(|p| !p.fit.exec_charged)?;
        let now = self.agents.get(p.agent as usize)?.class;
        let cl = self.classes.get(now as usize)?;
        let st = self.statics.get(cl.static_class as usize)?;
        let mut pool = cl.pool.given_back(&p.fit, &st.pool);
        let entries = cl.pool.entries();
        let mut used = cl.used;
        for tk in p.fit.takes.iter().chain(p.fit.exec_takes.iter()) {
            if let (Some(e), fit::TakeWhat::Scalar(v)) = (entries.get(tk.entry as usize), &tk.what) {
                match e.name {
                    fit::CPUS => used.0 -= v,
                    fit::MEM => used.1 -= v,
                    _ => {}
                }
            }
        }
        let (s, execs) = (cl.static_class, cl.execs.clone());
        let to = self.find_or_create_class(s, &mut pool, used, execs);
        let p = self.placements.remove(pi);
        self.move_agent(p.agent, to);
        for x in self.placed.iter_mut().flatten() {
            if *x > pi {
                *x -= 1;
            }
        }
        if let Some(x) = self.placed.get_mut(p.task) {
            *x = None;
        }
        Some(p)
    }

    /// Counts `group`'s placements again from `base` (the counters with the running tasks
    /// only, as the batch began) and the batch's placements of the group, in their order.
    /// When no group counts a field, the counters hold only numbers of placements, which no
    /// rule reads: nothing to do (`base` is not read).
    pub(super) fn recount(&mut self, group: u32, base: &Groups<'r>) {
        if !self.groups.counts_any() {
            return;
        }
        self.groups.restore(base.snapshot(&[group]));
        let mine: Vec<u32> = self
            .placements
            .iter()
            .filter(|p| self.tasks.get(p.task).is_some_and(|t| t.group == group))
            .map(|p| p.agent)
            .collect();
        for agent in mine {
            self.record_group(group, agent);
        }
    }

    /// Undoes the latest placement (gang roll-back; the group counters are restored apart).
    pub(super) fn unplace_last(&mut self, from_class: u32) {
        let Some(p) = self.placements.pop() else { return };
        let now = self.agents.get(p.agent as usize).map_or(from_class, |a| a.class);
        if self.classes.get(from_class as usize).is_some_and(|c| c.dropped) {
            // Its pool was let go: it is the agent's pool now with the placement given back.
            let statics = &self.statics;
            let pool = self.classes.get(now as usize).map(|cl| {
                let base = statics.get(cl.static_class as usize).map_or(&[][..], |s| s.pool.as_slice());
                cl.pool.given_back(&p.fit, base)
            });
            if let (Some(pool), Some(cl)) = (pool, self.classes.get_mut(from_class as usize)) {
                cl.pool = pool;
                cl.dropped = false;
            }
        }
        self.move_agent(p.agent, from_class);
        if let Some(x) = self.placed.get_mut(p.task) {
            *x = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::options::Strategy;
    use super::*;

    #[test]
    fn the_search_from_the_end_finds_what_the_binary_search_finds() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |m: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % m
        };
        for len in [0usize, 1, 2, 3, 5, 8, 17, 64, 200] {
            for _ in 0..40 {
                let mut order: Vec<(std::cmp::Reverse<i64>, u32)> = Vec::new();
                let mut c = 0u32;
                while order.len() < len {
                    c += 1 + next(3) as u32;
                    order.push((std::cmp::Reverse(next(6) as i64), c));
                }
                order.sort_unstable_by(|a, b| b.cmp(a));
                // Every member, and keys between, below and above them.
                let mut keys: Vec<_> = order.clone();
                for _ in 0..20 {
                    keys.push((std::cmp::Reverse(next(8) as i64 - 1), next(u64::from(c) + 3) as u32));
                }
                for key in keys {
                    assert_eq!(
                        search_from_end(&order, key),
                        order.binary_search_by(|x| key.cmp(x)),
                        "{key:?} in {order:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn members_stay_ascending_and_leave_from_the_front() {
        let mut m = Members::default();
        for a in [5, 1, 3] {
            m.insert(a);
        }
        assert_eq!(m.iter().copied().collect::<Vec<_>>(), [1, 3, 5]);
        m.remove(1);
        assert_eq!(m.first(), Some(&3));
        m.insert(0);
        m.remove(5);
        assert_eq!(m.iter().copied().collect::<Vec<_>>(), [0, 3]);
        m.remove(0);
        m.remove(3);
        assert_eq!(m.first(), None);
    }

    #[test]
    fn members_set_from_a_list_take_it_and_still_insert_and_remove() {
        let mut m = Members::default();
        m.insert(7);
        m.set(vec![2, 4, 6, 8]);
        assert_eq!(m.iter().copied().collect::<Vec<_>>(), [2, 4, 6, 8]);
        m.remove(2);
        m.insert(5);
        m.remove(8);
        assert_eq!((m.first(), m.iter().copied().collect::<Vec<_>>()), (Some(&4), vec![4, 5, 6]));
    }

    #[test]
    fn a_class_is_found_by_its_state_and_agents_move_between_classes() {
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let req = PlaceRequest::default();
        let mut ctx = Ctx::new(&opts, &resolved, &req);
        let empty = SmallVec::new();
        let c0 = ctx.find_or_create_class(0, &mut ClassPool::default(), (0, 0), empty.clone());
        assert_eq!(ctx.find_or_create_class(0, &mut ClassPool::default(), (0, 0), empty.clone()), c0);
        let c1 = ctx.find_or_create_class(0, &mut ClassPool::default(), (1000, 0), empty.clone());
        let c2 = ctx.find_or_create_class(1, &mut ClassPool::default(), (0, 0), empty);
        assert_eq!((c0, c1, c2), (0, 1, 2));
        assert_eq!(ctx.classes[1].used, (1000, 0));
        // An agent in class 0, then moved to class 1: members, first members and live bits follow.
        let mut offers = SmallVec::new();
        offers.push(0);
        ctx.agents.push(Agent { id: "a", hostname: "h", offers, static_class: 0, class: c0 });
        ctx.classes[c0 as usize].members.insert(0);
        ctx.classes[c0 as usize].offers += 1;
        ctx.refresh(c0);
        assert_eq!((ctx.scan_rows[0].first, ctx.live[0]), (0, 0b001));
        ctx.move_agent(0, c1);
        assert_eq!(ctx.agents[0].class, c1);
        assert_eq!((ctx.classes[0].offers, ctx.classes[1].offers), (0, 1));
        assert_eq!((ctx.scan_rows[0].first, ctx.scan_rows[1].first), (u32::MAX, 0));
        assert_eq!(ctx.live[0], 0b010);
    }

    /// Tasks of three apps (interleaved, each app with `UNIQUE`, `MAX_PER` or `GROUP_BY` on the
    /// hostname or the rack: `apps`, or drawn) placed one by one on ten agents of drawn sizes
    /// in three racks, every seventh placement rolled back (counts restored, as for a failed
    /// gang): the agent per task and the evaluations, with the bars kept between tasks
    /// ([`ScanRow::full`], the scan cache's `capped`), or forgotten before every task; and how
    /// many classes were found full (summed over the placements).
    fn placed_by_apps(
        kept: bool,
        seed: u64,
        apps: Option<[&str; 3]>,
        strategy: Strategy,
    ) -> (Vec<Option<u32>>, u64, usize) {
        use super::super::compile::fixture::{offer, prepared, task};
        use super::super::scan::ScanCache;
        let mut rng = seed;
        let mut draw = |n: u64| super::super::fit::splitmix(&mut rng) % n;
        let rules = ["hostname UNIQUE", "hostname MAX_PER 2", "rack MAX_PER 3", "rack GROUP_BY", "hostname MAX_PER 3"];
        let offers: Vec<_> = (0..10u64)
            .map(|a| {
                let res = format!("cpus:{};mem:8192", 2 + draw(4));
                offer(&format!("o{a}"), &format!("a{a}"), &res, &format!("rack:r{}", a % 3))
            })
            .collect();
        let apps = apps.unwrap_or_else(|| [0, 1, 2].map(|_| rules[draw(rules.len() as u64) as usize]));
        let tasks: Vec<_> = (0..30u64)
            .map(|i| {
                let app = draw(3) as usize;
                let mut t = task(&format!("t{i}"), 1, 128, &[apps[app]]);
                t.group = Some(format!("app{app}"));
                t
            })
            .collect();
        let req = PlaceRequest { offers, tasks, ..PlaceRequest::default() };
        let opts = Options { strategy, ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        let mut cache = ScanCache::new(&mut ctx);
        let (mut out, mut scratch) = (FitOut::default(), FitOut::default());
        let mut placed = Vec::new();
        let mut fulls = 0;
        for ti in 0..req.tasks.len() {
            if !kept {
                cache.capped.fill((u32::MAX, 0));
                ctx.scan_rows.iter().for_each(|r| r.full.set(None));
            }
            let snap = ctx.groups.snapshot(&[ctx.tasks[ti].group]);
            let Some(b) = ctx.best_for(ti, &mut out, &mut scratch, &mut cache) else {
                placed.push(None);
                continue;
            };
            fulls += ctx.scan_rows.iter().filter(|r| r.full.get().is_some()).count();
            let from = ctx.agents[b.agent as usize].class;
            ctx.place_task(ti, b.agent, b.class, b.score, &mut out);
            placed.push(Some(b.agent));
            if ti % 7 == 6 {
                ctx.unplace_last(from);
                ctx.groups.restore(snap);
            }
        }
        (placed, ctx.fitter.evaluations, fulls)
    }

    #[test]
    fn kept_bars_for_a_group_give_the_picks_and_evaluations_of_fresh_ones() {
        let hosts = Some(["hostname UNIQUE", "hostname MAX_PER 2", "hostname UNIQUE"]);
        let (placed, evaluations, fulls) = placed_by_apps(true, 3, hosts, Strategy::Binpack);
        let (again, fresh, _) = placed_by_apps(false, 3, hosts, Strategy::Binpack);
        assert_eq!((&placed, evaluations), (&again, fresh));
        assert!(placed.iter().flatten().count() > 20, "{placed:?}");
        assert!(fulls > 0, "no class was kept full");
        for seed in 0..60u64 {
            for strategy in [Strategy::Binpack, Strategy::Spread, Strategy::FirstFit] {
                let apps = (seed % 4 == 0).then_some(["hostname UNIQUE", "rack MAX_PER 3", "hostname MAX_PER 2"]);
                let (a, ea, _) = placed_by_apps(true, seed, apps, strategy);
                let (b, eb, _) = placed_by_apps(false, seed, apps, strategy);
                assert_eq!((a, ea), (b, eb), "seed {seed}, {strategy:?}");
            }
        }
    }
}
