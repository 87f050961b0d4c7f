//! Offers held between placements ([`Held`]): a request whose offers persist from one batch to
//! the next, with what the batch would work out again from them kept beside them.
//!
//! A framework that holds offers (a session, a simulator) places batch after batch on mostly
//! the same offers: a few arrive, a few are used, rescinded or declined. [`Engine::place`]
//! starts each batch from nothing: it checks every offer's counts, pools the offers into
//! agents by hashing their ids, and sorts the agents into static classes by walking every
//! agent's offers. [`Held`] keeps, per offer and updated as offers come and go:
//!
//! - its count check's verdict under the engine's limits and its sums (the batch skips the
//!   offers' checks when none fails and the sums are within bounds);
//! - its agent, as a number (the batch pools by numbers, not by hashing strings);
//! - per *sight* (what a batch's tasks read of an agent: most batches of one framework read
//!   the same few), the kind of its agent: agents of one kind are exactly the agents the
//!   batch puts in one static class ([`super::shapes`]: equal shapes), so only an agent not
//!   seen before under that sight is walked.
//!
//! The batch then runs on these (numbering the classes, building the pools and placing as a
//! fresh batch does), and answers byte for byte what [`Engine::place`] answers on the same
//! request: whatever the cache cannot vouch for (the mesos-actor and marathon profiles, which pool per offer; offers allocated to
//! roles, duplicate offer ids, a port blacklist, a failed count; agents whose shape cannot be
//! written, such as those with reservations or disks, are grouped field by field) runs the
//! stateless steps.
//!
//! [`Engine::place`]: super::Engine::place

use std::cell::RefCell;

use super::classes::{alloc_of, canonical_agents, join_static, sight_of};
use super::options::{Profile, TieBreak};
use super::request::{check_offer_counts, OfferSums, PlaceRequest};
use super::shapes::{walk_shape, Build, Sight};
use super::state::{Agent, Ctx, Req};
use smallvec::SmallVec;

use crate::hash::FxMap;
use crate::limits::Limits;
use crate::model::{Offer, RunningTask, TaskRequest};

/// How many sights keep their kinds (the least recently used goes first).
const SIGHTS: usize = 4;

/// The store compacts when more than this many of its offers are gone and they are over a
/// third of it (each compaction moves at most three offers per offer gone since the last one).
const GAPS_MIN: usize = 32;

/// A [`PlaceRequest`] whose offers are held between placements: offers are added and removed
/// one by one, tasks and running tasks are edited in place, and [`Engine::place_held`] costs
/// what changed since the last batch rather than every held offer (see the
/// [module docs](self)). It reads as the request it holds (`Deref`), and answers exactly as
/// [`Engine::place`] on that request.
///
/// ```
/// use offerfit::{Engine, Held, Offer, Options, Scalar, TaskRequest};
///
/// let engine = Engine::new(Options::default()).unwrap();
/// let mut held = Held::new();
/// for i in 0..3 {
///     let mut offer = Offer::new(format!("O{i}"), format!("S{i}"), format!("agent-{i}"));
///     offer.resources = offerfit::parse_resources("cpus:4;mem:4096", "*").unwrap();
///     held.push_offer(offer);
/// }
/// let mut task = TaskRequest::new("web-1");
/// task.cpus = Scalar::from_units(2);
/// held.tasks_mut().push(task);
/// let plan = engine.place_held(&held).unwrap();
/// assert_eq!(plan, engine.place(&held.request()).unwrap());
/// let used: Vec<String> = plan.accept.iter().flat_map(|a| a.offer_ids.iter().map(|o| o.to_string())).collect();
/// drop(plan);
/// // The used offer leaves, the task is no longer pending; the next batch reuses the rest.
/// let gone = held.remove_offers(&used);
/// assert_eq!(gone[0].id, "O0");
/// held.tasks_mut().clear();
/// assert_eq!(held.offer_count(), 2);
/// ```
///
/// [`Engine::place`]: super::Engine::place
/// [`Engine::place_held`]: super::Engine::place_held
#[derive(Debug, Clone, Default)]
pub struct Held {
    /// The offers held, in the order they came, with gaps: an offer removed stays in place,
    /// marked in `dead`, until the store compacts ([`GAPS_MIN`]); a removal moves no offer.
    req: PlaceRequest,
    dead: Vec<bool>,
    gaps: usize,
    /// The caller keeps the offers a plan leaves unused ([`Held::keep_unused`]).
    keep_unused: bool,
    /// Borrowed by [`Engine::place_held`](super::Engine::place_held) while it runs (the plan
    /// borrows the request, so the held request stays readable beside it).
    prep: RefCell<Prep>,
}

impl From<PlaceRequest> for Held {
    /// Holds the request's offers (in order), tasks and running tasks.
    fn from(req: PlaceRequest) -> Held {
        let PlaceRequest { offers, tasks, running } = req;
        let mut held = Held {
            req: PlaceRequest { offers: Vec::new(), tasks, running },
            dead: Vec::new(),
            gaps: 0,
            keep_unused: false,
            prep: RefCell::default(),
        };
        held.req.offers.reserve(offers.len());
        for o in offers {
            held.push_offer(o);
        }
        held
    }
}

impl Held {
    /// No offers, tasks or running tasks.
    pub fn new() -> Held {
        Held::default()
    }

    /// Whether the caller keeps the offers a plan leaves unused (a session holds them for the
    /// next batch, or declines them itself): then [`Engine::place_held`](super::Engine::place_held)'s
    /// plans list only the offers declined for maintenance ([`DeclineReason::Maintenance`]),
    /// not one [`DeclineReason::Unused`] decline per unused offer, and cost nothing per unused
    /// offer there (with `framework_id`, the `DECLINE` call follows the plan's declines).
    /// Off by default: the plan is [`Engine::place`](super::Engine::place)'s, byte for byte.
    /// With it on, the plan is `Engine::place`'s less its `Unused` declines.
    ///
    /// ```
    /// use offerfit::{DeclineReason, Engine, Held, Offer, Options};
    /// let engine = Engine::new(Options::default()).unwrap();
    /// let mut held = Held::new();
    /// held.push_offer(Offer::new("O1", "S1", "agent-1"));
    /// assert_eq!(engine.place_held(&held).unwrap().decline[0].reason, DeclineReason::Unused);
    /// held.keep_unused(true);
    /// assert!(engine.place_held(&held).unwrap().decline.is_empty());
    /// ```
    ///
    /// [`DeclineReason::Maintenance`]: crate::DeclineReason::Maintenance
    /// [`DeclineReason::Unused`]: crate::DeclineReason::Unused
    pub fn keep_unused(&mut self, keep: bool) {
        self.keep_unused = keep;
    }

    /// Whether the caller keeps the offers a plan leaves unused ([`Held::keep_unused`]).
    pub fn keeps_unused(&self) -> bool {
        self.keep_unused
    }

    /// The request held, copied: the offers in the order they were added (less those
    /// removed), the tasks and the running tasks.
    pub fn request(&self) -> PlaceRequest {
        PlaceRequest {
            offers: self.offers().cloned().collect(),
            tasks: self.req.tasks.clone(),
            running: self.req.running.clone(),
        }
    }

    /// The request, given back (the offers in the order they were added, less those removed).
    pub fn into_request(mut self) -> PlaceRequest {
        self.compact();
        self.req
    }

    /// The offers held, in the order they were added (less those removed).
    pub fn offers(&self) -> impl DoubleEndedIterator<Item = &Offer> + '_ {
        let dead = &self.dead;
        self.req.offers.iter().enumerate().filter(move |(i, _)| !dead.get(*i).copied().unwrap_or(false)).map(|(_, o)| o)
    }

    /// How many offers are held.
    pub fn offer_count(&self) -> usize {
        self.req.offers.len() - self.gaps
    }

    /// The held offer in slot `slot` ([`Held::positions`]), if one is there.
    pub fn offer_at(&self, slot: usize) -> Option<&Offer> {
        self.req.offers.get(slot).filter(|_| !self.dead.get(slot).copied().unwrap_or(false))
    }

    /// The tasks to place (the next batch).
    pub fn tasks(&self) -> &[TaskRequest] {
        &self.req.tasks
    }

    /// The running tasks constraints count.
    pub fn running(&self) -> &[RunningTask] {
        &self.req.running
    }

    /// The tasks to place (the next batch), to edit freely.
    pub fn tasks_mut(&mut self) -> &mut Vec<TaskRequest> {
        &mut self.req.tasks
    }

    /// The running tasks constraints count, to edit freely.
    pub fn running_mut(&mut self) -> &mut Vec<RunningTask> {
        &mut self.req.running
    }

    /// Holds `offer`, after the offers held. Any offer is taken: one the engine refuses (a
    /// duplicate id, a count over the limits) makes [`Engine::place_held`](super::Engine::place_held)
    /// answer the same error as [`Engine::place`](super::Engine::place).
    pub fn push_offer(&mut self, offer: Offer) {
        self.push(offer);
    }

    /// [`Held::push_offer`], returning the offer's arrival number ([`Held::arrival`]).
    pub(crate) fn push(&mut self, offer: Offer) -> u64 {
        let n = self.prep.get_mut().add(&offer);
        self.req.offers.push(offer);
        self.dead.push(false);
        n
    }

    /// One past the last slot ([`Held::positions`]).
    pub(crate) fn slots(&self) -> usize {
        self.req.offers.len()
    }

    /// The slots of the held offers with these ids (every held offer of each id; ids not
    /// held are passed over), ascending. Found through an index, not a pass over the offers.
    ///
    /// A slot is an offer's place in the store: slots ascend in the order the offers came,
    /// and the store has gaps where offers were removed, so slots are not positions in the
    /// request. They hold until the next removal (which may compact the store).
    pub fn positions<S: AsRef<str>>(&self, ids: &[S]) -> Vec<usize> {
        let prep = self.prep.borrow();
        let mut at: Vec<usize> = ids.iter().flat_map(|id| prep.positions(id.as_ref())).collect();
        at.sort_unstable();
        at.dedup();
        at
    }

    /// Whether an offer with this id is held.
    pub fn holds(&self, id: &str) -> bool {
        self.prep.borrow().ids.contains_key(id)
    }

    /// How many held offers carry an unavailability (a maintenance window).
    pub fn unavailable(&self) -> usize {
        self.prep.borrow().unavailable
    }

    /// Removes the offers with these ids (every held offer of each id; ids not held are
    /// passed over) and returns them, in order: [`Held::positions`], then
    /// [`Held::remove_at`].
    pub fn remove_offers<S: AsRef<str>>(&mut self, ids: &[S]) -> Vec<Offer> {
        let at = self.positions(ids);
        self.remove_at(&at)
    }

    /// Removes the offers in these slots ([`Held::positions`]; slots out of range or empty
    /// are passed over) and returns them, in order. No other offer moves: each leaves a gap,
    /// and the store compacts (keeping the order) once gaps are a third of it.
    pub fn remove_at(&mut self, at: &[usize]) -> Vec<Offer> {
        let mut at: Vec<usize> = at.iter().copied().filter(|i| self.offer_at(*i).is_some()).collect();
        at.sort_unstable();
        at.dedup();
        let prep = self.prep.get_mut();
        let mut gone = Vec::with_capacity(at.len());
        for &i in &at {
            let (Some(o), Some(d)) = (self.req.offers.get_mut(i), self.dead.get_mut(i)) else { continue };
            prep.remove(o, i);
            *d = true;
            self.gaps += 1;
            // The offer is taken out; an empty one stands in its slot until the store compacts.
            gone.push(std::mem::replace(o, Offer::new("", "", "")));
        }
        if self.gaps > GAPS_MIN && self.gaps * 3 > self.req.offers.len() {
            self.compact();
        }
        gone
    }

    /// Keeps the offers for which `keep(slot, offer)` holds, in order; returns the others,
    /// in order ([`Held::remove_at`]).
    pub fn retain_offers(&mut self, mut keep: impl FnMut(usize, &Offer) -> bool) -> Vec<Offer> {
        let at: Vec<usize> = self
            .req
            .offers
            .iter()
            .enumerate()
            .filter(|(i, o)| !self.dead.get(*i).copied().unwrap_or(false) && !keep(*i, o))
            .map(|(i, _)| i)
            .collect();
        self.remove_at(&at)
    }

    /// Drops the gaps: every held offer (and what is kept beside it) moves up, in order.
    fn compact(&mut self) {
        if self.gaps == 0 {
            return;
        }
        let dead = std::mem::take(&mut self.dead);
        self.prep.get_mut().compact(&dead);
        let mut i = 0;
        self.req.offers.retain(|_| {
            let keep = !dead.get(i).copied().unwrap_or(false);
            i += 1;
            keep
        });
        self.dead = vec![false; self.req.offers.len()];
        self.gaps = 0;
    }

    /// Removes every offer.
    pub fn clear_offers(&mut self) {
        self.req.offers.clear();
        self.dead.clear();
        self.gaps = 0;
        let p = self.prep.get_mut();
        p.akey.clear();
        p.seq.clear();
        p.sums.clear();
        p.total = OfferSums::default();
        p.bad.clear();
        p.failing = 0;
        p.ids.clear();
        p.dups = 0;
        p.allocs = 0;
        p.unavailable = 0;
        for k in &mut p.sights {
            k.of_offer.clear();
        }
    }

    /// The request to place, the cache beside it, and whether the caller keeps unused offers.
    pub(super) fn parts(&self) -> (Req<'_>, &RefCell<Prep>, bool) {
        (Req::with_gaps(&self.req, &self.dead, self.gaps), &self.prep, self.keep_unused)
    }

    /// The arrival number of the offer in slot `slot` (offers are numbered as they come,
    /// from 0; a number is never given twice).
    pub(crate) fn arrival(&self, slot: usize) -> Option<u64> {
        self.offer_at(slot)?;
        self.prep.borrow().seq.get(slot).copied()
    }
}

/// What [`Held`] keeps beside its offers (per offer, parallel to the request's offers).
#[derive(Debug, Clone, Default)]
pub(super) struct Prep {
    /// Each offer's agent, as a number ([`Prep::keys`]).
    akey: Vec<u32>,
    /// Each offer's sums, and their total.
    sums: Vec<OfferSums>,
    total: OfferSums,
    /// The limits the verdicts are for, each offer's verdict (`true`: a count over them),
    /// and how many fail.
    limits: Option<Limits>,
    bad: Vec<bool>,
    failing: usize,
    /// Agent id → number.
    keys: FxMap<String, u32>,
    /// Each offer's number, ascending (offers are numbered as they come).
    seq: Vec<u64>,
    next_seq: u64,
    /// Offer id → the numbers of the held offers of that id; and how many offers share an id
    /// with an earlier one.
    ids: FxMap<String, SmallVec<[u64; 1]>>,
    dups: usize,
    /// Held offers with an allocation role, and with an unavailability.
    allocs: usize,
    unavailable: usize,
    /// Per agent number: its agent in the batch being pooled, in the low half, when the high
    /// half is the batch's `stamp` (none yet otherwise: no fill per batch).
    slots: Vec<u64>,
    stamp: u32,
    /// Per sight, the kinds of the agents (most recently used last).
    sights: Vec<Kinds>,
    /// Per static class of the batch being grouped: the agents that join its first state
    /// class after its first member, and their offers beyond one each (buffers kept).
    bulk: Vec<(Vec<u32>, usize)>,
}

/// The agents' kinds under one sight.
#[derive(Debug, Clone)]
struct Kinds {
    sight: Sight,
    /// A shape → its kind, and per kind its shape.
    shapes: FxMap<Vec<u64>, u32>,
    by_kind: Vec<Vec<u64>>,
    /// Per offer: the kind of the agent it is the only offer of (`u32::MAX`: not known).
    of_offer: Vec<u32>,
    /// Per kind: its static class in the batch being grouped, in the low half, when the high
    /// half is the batch's `stamp` (none yet otherwise: no fill per batch).
    statics: Vec<u64>,
    stamp: u32,
}

impl Prep {
    /// Offer `o` comes: its entries pushed; returns its number.
    fn add(&mut self, o: &Offer) -> u64 {
        let n = self.keys.len() as u32;
        let key = match self.keys.get(o.agent_id.as_str()) {
            Some(k) => *k,
            None => {
                self.keys.insert(o.agent_id.clone(), n);
                n
            }
        };
        self.akey.push(key);
        let sums = OfferSums::of(o);
        self.total.add(&sums);
        self.sums.push(sums);
        let bad = self.limits.as_ref().is_some_and(|l| check_offer_counts(l, 0, o).is_err());
        self.failing += usize::from(bad);
        self.bad.push(bad);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq.push(seq);
        let list = self.ids.entry(o.id.clone()).or_default();
        list.push(seq);
        if list.len() > 1 {
            self.dups += 1;
        }
        self.allocs += usize::from(alloc_of(o).is_some());
        self.unavailable += usize::from(o.unavailability.is_some());
        for k in &mut self.sights {
            k.of_offer.push(u32::MAX);
        }
        seq
    }

    /// Offer `i` (`o`) leaves (the per-offer vectors are compacted after, by [`Prep::compact`]).
    fn remove(&mut self, o: &Offer, i: usize) {
        if let Some(s) = self.sums.get(i) {
            self.total.sub(s);
        }
        if self.bad.get(i).copied().unwrap_or(false) {
            self.failing -= 1;
        }
        let seq = self.seq.get(i).copied();
        if let Some(list) = self.ids.get_mut(o.id.as_str()) {
            list.retain(|x| Some(*x) != seq);
            if list.is_empty() {
                self.ids.remove(o.id.as_str());
            } else {
                self.dups -= 1;
            }
        }
        self.allocs -= usize::from(alloc_of(o).is_some());
        self.unavailable -= usize::from(o.unavailability.is_some());
    }

    /// The per-offer vectors keep the entries of the offers not `dead`.
    fn compact(&mut self, dead: &[bool]) {
        fn drop_dead<T>(v: &mut Vec<T>, dead: &[bool]) {
            let mut i = 0;
            v.retain(|_| {
                let keep = !dead.get(i).copied().unwrap_or(false);
                i += 1;
                keep
            });
        }
        drop_dead(&mut self.akey, dead);
        drop_dead(&mut self.seq, dead);
        drop_dead(&mut self.sums, dead);
        drop_dead(&mut self.bad, dead);
        for k in &mut self.sights {
            drop_dead(&mut k.of_offer, dead);
        }
    }

    /// The positions of the held offers with id `id`.
    fn positions(&self, id: &str) -> impl Iterator<Item = usize> + '_ {
        let list = self.ids.get(id).map_or(&[][..], |l| l.as_slice());
        list.iter().filter_map(|s| self.seq.binary_search(s).ok())
    }

    /// Whether the offers pass their count checks under `limits` (the verdicts worked out
    /// again when the limits changed): then the batch need not check them.
    pub(super) fn offers_pass(&mut self, req: Req<'_>, limits: &Limits) -> bool {
        if self.limits.as_ref() != Some(limits) {
            let offers = &req.request().offers;
            self.bad = offers
                .iter()
                .enumerate()
                .map(|(i, o)| req.live(i) && check_offer_counts(limits, 0, o).is_err())
                .collect();
            self.failing = self.bad.iter().filter(|b| **b).count();
            self.limits = Some(*limits);
        }
        self.failing == 0 && !self.total.over(limits)
    }

    /// [`super::classes::pool_agents`] from the agent numbers: `false` (nothing done) where
    /// it cannot vouch for the answer.
    pub(super) fn pool(&mut self, ctx: &mut Ctx<'_, '_>) -> bool {
        if matches!(ctx.resolved.profile, Profile::MesosActor | Profile::Marathon) || self.allocs > 0 || self.dups > 0 {
            return false;
        }
        let offers = ctx.req.offers.as_slice();
        if self.akey.len() != offers.len() {
            return false;
        }
        // The slots of this batch carry its stamp (no fill of every agent number per batch).
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.slots.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
        if self.slots.len() < self.keys.len() {
            self.slots.resize(self.keys.len(), 0);
        }
        let stamp = u64::from(self.stamp) << 32;
        let dead = ctx.store.dead();
        // The offers that may be gaps, then the others (no gap past `dead`'s end).
        let split = dead.len().min(offers.len());
        let (Some(head), Some(tail)) = (offers.get(..split), offers.get(split..)) else { return false };
        let (Some(khead), Some(ktail)) = (self.akey.get(..split), self.akey.get(split..)) else { return false };
        // Filled as locals (kept in registers), then handed to the ledger.
        let mut agents = std::mem::take(&mut ctx.agents);
        let mut offer_agent = std::mem::take(&mut ctx.offer_agent);
        agents.reserve(offers.len());
        offer_agent.reserve(offers.len());
        let mut pooler = Pooler { agents, slots: self.slots.as_mut_slice(), stamp, bad: false };
        offer_agent.extend(head.iter().zip(khead).zip(dead).enumerate().map(|(i, ((o, &k), &gone))| {
            // A gap: no agent.
            if gone {
                u32::MAX
            } else {
                pooler.pool(i, o, k)
            }
        }));
        offer_agent.extend(tail.iter().zip(ktail).enumerate().map(|(i, (o, &k))| pooler.pool(split + i, o, k)));
        let Pooler { mut agents, bad, .. } = pooler;
        if bad {
            agents.clear();
            offer_agent.clear();
        }
        ctx.agents = agents;
        ctx.offer_agent = offer_agent;
        if bad {
            return false;
        }
        if ctx.opts.tie_break == TieBreak::AgentId {
            canonical_agents(ctx, &[]);
        }
        true
    }

    /// [`super::classes::group_agents`] from the agents' kinds: `false` (nothing done) where
    /// it cannot vouch for the answer.
    pub(super) fn group(&mut self, ctx: &mut Ctx<'_, '_>) -> bool {
        // The marathon profile's agents are its offers (one each, `pool_agents`).
        if !ctx.opts.port_blacklist.is_empty() || ctx.resolved.profile == Profile::Marathon {
            return false;
        }
        let sight = sight_of(ctx);
        let at = match self.sights.iter().position(|k| k.sight == sight) {
            Some(at) => at,
            None => {
                if self.sights.len() == SIGHTS {
                    self.sights.remove(0);
                }
                let of_offer = vec![u32::MAX; ctx.req.offers.len()];
                self.sights.push(Kinds {
                    sight: sight.clone(),
                    shapes: FxMap::default(),
                    by_kind: Vec::new(),
                    of_offer,
                    statics: Vec::new(),
                    stamp: 0,
                });
                self.sights.len() - 1
            }
        };
        let Some(mut kinds) = (at < self.sights.len()).then(|| self.sights.remove(at)) else { return false };
        if kinds.of_offer.len() != ctx.req.offers.len() {
            kinds.of_offer = vec![u32::MAX; ctx.req.offers.len()];
        }
        // Kinds of shapes no held offer has any more pile up in a long run: start afresh.
        if kinds.shapes.len() > 4 * ctx.req.offers.len() + 1024 {
            kinds.shapes.clear();
            kinds.by_kind.clear();
            kinds.statics.clear();
            kinds.of_offer.iter_mut().for_each(|k| *k = u32::MAX);
        }
        ctx.sight = sight;
        // As `group_agents`: the scored dimensions are known before the first class is made.
        ctx.dims = super::score::Dims::of(ctx.resolved, ctx.tasks.iter().map(|t| &t.need));
        kinds.stamp = kinds.stamp.wrapping_add(1);
        if kinds.stamp == 0 || kinds.statics.len() != kinds.shapes.len() {
            kinds.statics.clear();
            kinds.statics.resize(kinds.shapes.len(), 0);
            kinds.stamp = 1;
        }
        let stamp = u64::from(kinds.stamp) << 32;
        let made = |x: u64| ((x & !u64::from(u32::MAX)) == stamp).then_some(x as u32);
        // Per static class of a kind: the agents that join its first state class after the
        // agent that made it (ascending, as they come) and their offers beyond one each, added in one go
        // after the pass (no member list is read while agents are sorted in).
        let mut bulk = std::mem::take(&mut self.bulk);
        for b in &mut bulk {
            b.0.clear();
            b.1 = 0;
        }
        // The agents without a shape, as the stateless grouping finds their classes (by hash,
        // then field by field): no agent without a shape is alike one with a shape (the
        // fields that keep it from having one are compared).
        let mut others: FxMap<u64, SmallVec<[u32; 1]>> = FxMap::default();
        let mut buf = Vec::new();
        let n = ctx.agents.len();
        let mut ai = 0;
        while ai < n {
            // Most agents, in runs: one offer, whose kind is known and whose kind's static
            // class is made (an offer of no known kind reads `u32::MAX`, past `statics`).
            let statics = &ctx.statics;
            for agent in ctx.agents.get_mut(ai..).unwrap_or_default() {
                let s = match agent.offers.as_slice() {
                    [o] => kinds.of_offer.get(*o as usize).and_then(|k| kinds.statics.get(*k as usize)).copied(),
                    _ => None,
                };
                let Some(s) = s.and_then(made) else { break };
                let (Some(st), Some(b)) = (statics.get(s as usize), bulk.get_mut(s as usize)) else { break };
                agent.static_class = s;
                agent.class = st.init_class;
                b.0.push(ai as u32);
                ai += 1;
            }
            if ai >= n {
                break;
            }
            // The others one by one.
            'slow: {
                let kind = kind_of(ctx, ai, &mut kinds, &mut buf);
                // An agent of a kind whose static class is made: it joins that class's first
                // state class, as `join_static` does (without its lookups: most agents go here).
                if let Some(s) = kind.and_then(|k| kinds.statics.get(k as usize).copied()).and_then(made) {
                    let (Some(st), Some(b)) = (ctx.statics.get(s as usize), bulk.get_mut(s as usize)) else {
                        break 'slow;
                    };
                    let c = st.init_class;
                    let Some(agent) = ctx.agents.get_mut(ai) else { break 'slow };
                    agent.static_class = s;
                    agent.class = c;
                    b.0.push(ai as u32);
                    b.1 += agent.offers.len().saturating_sub(1);
                    break 'slow;
                }
                let (found, h) = match kind {
                    Some(k) => (kinds.statics.get(k as usize).copied().and_then(made), 0),
                    None => {
                        let Some(agent) = ctx.agents.get(ai) else { break 'slow };
                        let h = ctx.static_hash(agent);
                        let list = others.get(&h).map_or(&[][..], |l| l.as_slice());
                        let found = list.iter().copied().find(|&s| {
                            let rep = ctx.statics.get(s as usize).and_then(|st| ctx.agents.get(st.rep as usize));
                            rep.is_some_and(|rep| ctx.static_eq(rep, agent))
                        });
                        (found, h)
                    }
                };
                // A new static class takes its kind's shape (not walked again).
                let shape = kind.and_then(|k| kinds.by_kind.get(k as usize)).map(Vec::as_slice);
                let s = join_static(ctx, ai, found, shape);
                match kind {
                    Some(k) => {
                        if let Some(x) = kinds.statics.get_mut(k as usize) {
                            *x = stamp | u64::from(s);
                        }
                        if bulk.len() <= s as usize {
                            bulk.resize_with(s as usize + 1, Default::default);
                        }
                        // Its first member heads its list (the list becomes the members).
                        if let Some(b) = bulk.get_mut(s as usize).filter(|b| b.0.is_empty()) {
                            b.0.push(ai as u32);
                        }
                    }
                    None if found.is_none() => others.entry(h).or_default().push(s),
                    None => {}
                }
            }
            ai += 1;
        }
        // The agents that joined a made class, after its first member (all above it): the
        // list, headed by the first member, becomes the members (no copy; the buffer kept is
        // a new one of its size), else the joiners are copied in.
        for (s, (list, extra)) in bulk.iter_mut().enumerate().filter(|(_, b)| b.0.len() > 1) {
            let Some(st) = ctx.statics.get_mut(s) else { continue };
            let joined = list.get(1..).unwrap_or(&[]);
            st.agents += joined.len() as u32;
            let c = st.init_class;
            if let Some(cl) = ctx.classes.get_mut(c as usize) {
                cl.offers += joined.len() + *extra;
                if cl.members.iter().as_slice() == list.get(..1).unwrap_or(&[]) {
                    let fresh = Vec::with_capacity(list.len());
                    cl.members.set(std::mem::replace(list, fresh));
                } else {
                    cl.members.extend_above(joined);
                }
            }
        }
        self.bulk = bulk;
        // Scan rows and live bits once per class, as the stateless grouping does.
        for c in 0..ctx.classes.len() as u32 {
            ctx.refresh(c);
        }
        self.sights.push(kinds);
        true
    }
}

/// The kind of agent `ai` under the batch's sight (learnt for an agent of one offer not seen
/// before); `None` when its shape cannot be written. A new kind has no static class yet.
fn kind_of(ctx: &Ctx<'_, '_>, ai: usize, kinds: &mut Kinds, buf: &mut Vec<u64>) -> Option<u32> {
    let a = ctx.agents.get(ai)?;
    let single = match a.offers.as_slice() {
        [o] => Some(*o as usize),
        _ => None,
    };
    if let Some(k) = single.and_then(|o| kinds.of_offer.get(o)).copied().filter(|k| *k != u32::MAX) {
        return Some(k);
    }
    buf.clear();
    if walk_shape(ctx.req.offers.as_slice(), &a.offers, &ctx.sight, &mut Build(buf)) != Some(true) {
        return None;
    }
    let k = match kinds.shapes.get(buf.as_slice()) {
        Some(k) => *k,
        None => {
            let k = kinds.shapes.len() as u32;
            kinds.shapes.insert(buf.clone(), k);
            kinds.by_kind.push(buf.clone());
            // Not made in this batch (no stamp is 0).
            kinds.statics.push(0);
            k
        }
    };
    if let Some(slot) = single.and_then(|o| kinds.of_offer.get_mut(o)) {
        *slot = k;
    }
    Some(k)
}

/// The agents of a batch being pooled from the agent numbers ([`Prep::pool`]).
struct Pooler<'r, 's> {
    agents: Vec<Agent<'r>>,
    /// Per agent number: `stamp | index` once the batch has the agent.
    slots: &'s mut [u64],
    stamp: u64,
    /// An agent number was out of range.
    bad: bool,
}

impl<'r> Pooler<'r, '_> {
    /// Pools offer `i` (`o`, of agent number `k`) into its agent; returns the agent's index
    /// (`u32::MAX`, and `bad` set, for an agent number out of range).
    #[inline(always)]
    fn pool(&mut self, i: usize, o: &'r Offer, k: u32) -> u32 {
        let Some(slot) = self.slots.get_mut(k as usize) else {
            self.bad = true;
            return u32::MAX;
        };
        if (*slot & !u64::from(u32::MAX)) == self.stamp {
            let at = *slot as u32;
            if let Some(a) = self.agents.get_mut(at as usize) {
                a.offers.push(i as u32);
            }
            at
        } else {
            let at = self.agents.len() as u32;
            *slot = self.stamp | u64::from(at);
            self.agents.push(Agent {
                id: o.agent_id.as_str(),
                hostname: o.hostname.as_str(),
                // One offer, inline (no branch on a push).
                offers: SmallVec::from_buf_and_len([i as u32, 0], 1),
                static_class: 0,
                class: 0,
            });
            at
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Options, Scalar};

    /// Offers on agents of one, two and three offers (some alike, some not), and two tasks.
    fn held() -> Held {
        let mut held = Held::new();
        for i in 0..12 {
            let agent = format!("agent-{}", i % 5);
            let mut o = Offer::new(format!("O{i}"), format!("S{}", i % 5), agent.clone());
            o.hostname = agent;
            let cpus = if i % 4 == 0 { 2 } else { 4 };
            o.resources = crate::parse_resources(&format!("cpus:{cpus};mem:4096"), "*").unwrap();
            held.push_offer(o);
        }
        for t in 0..2 {
            let mut task = TaskRequest::new(format!("web-{t}"));
            task.cpus = Scalar::from_units(3);
            held.tasks_mut().push(task);
        }
        held
    }

    #[test]
    fn stamps_that_wrap_give_the_fresh_answer() {
        let engine = Engine::new(Options::default()).unwrap();
        let mut held = held();
        for round in 0..5 {
            if round == 2 {
                // The next batch takes the last stamp, the one after wraps (every slot reset).
                let p = held.prep.get_mut();
                p.stamp = u32::MAX - 1;
                for k in &mut p.sights {
                    k.stamp = u32::MAX - 1;
                }
            }
            let plan = engine.place_held(&held).unwrap();
            assert_eq!(plan, engine.place(&held.request()).unwrap(), "round {round}");
            assert_eq!(plan.accept.iter().map(|a| a.tasks.len()).sum::<usize>(), 2, "round {round}");
            let used: Vec<String> =
                plan.accept.iter().flat_map(|a| a.offer_ids.iter().map(|o| o.to_string())).collect();
            drop(plan);
            held.remove_offers(&used);
            let mut o = Offer::new(format!("N{round}"), format!("S{}", round % 3), format!("agent-{}", round % 3));
            o.resources = crate::parse_resources("cpus:8;mem:8192", "*").unwrap();
            held.push_offer(o);
        }
        let p = held.prep.get_mut();
        assert!(p.stamp < 4, "the stamp wrapped: {}", p.stamp);
    }

    #[test]
    fn a_class_made_in_the_batch_takes_its_joiners_as_members() {
        let engine = Engine::new(Options::default()).unwrap();
        let mut held = Held::new();
        for i in 0..40 {
            let mut o = Offer::new(format!("O{i}"), format!("S{i}"), format!("agent-{i}"));
            o.resources = crate::parse_resources("cpus:4;mem:4096", "*").unwrap();
            held.push_offer(o);
        }
        for t in 0..30 {
            let mut task = TaskRequest::new(format!("web-{t}"));
            task.cpus = Scalar::from_units(4);
            held.tasks_mut().push(task);
        }
        // Twice: kinds learnt, then known (the joiners taken in runs).
        for _ in 0..2 {
            let plan = engine.place_held(&held).unwrap();
            assert_eq!(plan, engine.place(&held.request()).unwrap());
            let agents: Vec<&str> = plan.accept.iter().map(|a| a.agent_id).collect();
            let expect: Vec<String> = (0..30).map(|i| format!("S{i}")).collect();
            assert_eq!(agents, expect);
        }
    }
}

#[cfg(test)]
mod kept_grouping_tests {
    use super::super::classes::{group_agents, pool_agents};
    use super::super::compile::compile_tasks;
    use super::super::compile::fixture::{offer, task};
    use super::super::options::{Options, Resolved};
    use super::*;

    /// Per agent: its id, static class, state class, and that class's members and offers.
    fn classes(ctx: &Ctx<'_, '_>) -> Vec<(String, u32, u32, Vec<u32>, usize)> {
        let members = |c: u32| ctx.classes.get(c as usize).map(|cl| (cl.members.iter().copied().collect(), cl.offers));
        ctx.agents
            .iter()
            .map(|a| {
                let (list, offers) = members(a.class).unwrap_or_default();
                (a.id.to_owned(), a.static_class, a.class, list, offers)
            })
            .collect()
    }

    #[test]
    fn kept_kinds_group_the_agents_as_a_fresh_grouping_does() {
        let mut held = Held::new();
        held.tasks_mut().push(task("t", 1, 1, &["rack LIKE r.*"]));
        // Agents of one offer of three kinds, interleaved, and two of two offers alike.
        for i in 0..12 {
            let (res, rack) = match i % 3 {
                0 => ("cpus:4;mem:1024", "rack:r1"),
                1 => ("cpus:4;mem:1024", "rack:r2"),
                _ => ("cpus:8;mem:2048", "rack:r1"),
            };
            held.push_offer(offer(&format!("o{i}"), &format!("a{i}"), res, rack));
        }
        held.push_offer(offer("o12", "a4", "cpus:1", ""));
        held.push_offer(offer("o13", "a7", "cpus:1", ""));
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        // Three batches: the kinds learnt in the first are read from the offers after it,
        // an agent gone and one come in between.
        for round in 0..3 {
            let (req, prep, _) = held.parts();
            let mut prep = prep.borrow_mut();
            let mut kept = Ctx::new(&opts, &resolved, req);
            if !prep.pool(&mut kept) {
                pool_agents(&mut kept).unwrap();
            }
            compile_tasks(&mut kept).unwrap();
            assert!(prep.group(&mut kept), "round {round}");
            let mut fresh = Ctx::new(&opts, &resolved, req);
            pool_agents(&mut fresh).unwrap();
            compile_tasks(&mut fresh).unwrap();
            group_agents(&mut fresh);
            assert_eq!(classes(&kept), classes(&fresh), "round {round}");
            assert_eq!(kept.statics.len(), 4, "round {round}");
            drop(prep);
            held.remove_offers(&[format!("o{round}")]);
            held.push_offer(offer(&format!("n{round}"), &format!("b{round}"), "cpus:4;mem:1024", "rack:r2"));
        }
    }
}
