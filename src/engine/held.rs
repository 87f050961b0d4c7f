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
use std::ops::Deref;

use super::classes::{alloc_of, canonical_agents, join_known, join_static, sight_of};
use super::options::{Profile, TieBreak};
use super::request::{check_offer_counts, OfferSums, PlaceRequest};
use super::shapes::{walk_shape, Build, Sight};
use super::state::{Agent, Ctx};
use smallvec::SmallVec;

use crate::hash::FxMap;
use crate::limits::Limits;
use crate::model::{Offer, RunningTask, TaskRequest};

/// How many sights keep their kinds (the least recently used goes first).
const SIGHTS: usize = 4;

/// Up to this many offers removed at once leave one by one (each moves the tail once).
const FEW: usize = 8;

/// Walks positions 0, 1, 2, … telling those in a sorted list.
struct Marks<'a> {
    at: std::iter::Peekable<std::slice::Iter<'a, usize>>,
    i: usize,
}

impl<'a> Marks<'a> {
    fn new(at: &'a [usize]) -> Marks<'a> {
        Marks { at: at.iter().peekable(), i: 0 }
    }

    /// Whether the next position is in the list.
    fn next(&mut self) -> bool {
        let i = self.i;
        self.i += 1;
        while self.at.peek().is_some_and(|x| **x < i) {
            self.at.next();
        }
        self.at.peek() == Some(&&i)
    }
}

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
/// assert_eq!(plan, engine.place(held.request()).unwrap());
/// let used: Vec<String> = plan.accept.iter().flat_map(|a| a.offer_ids.iter().map(|o| o.to_string())).collect();
/// drop(plan);
/// // The used offer leaves, the task is no longer pending; the next batch reuses the rest.
/// let gone = held.remove_offers(&used);
/// assert_eq!(gone[0].id, "O0");
/// held.tasks_mut().clear();
/// assert_eq!(held.offers.len(), 2);
/// ```
///
/// [`Engine::place`]: super::Engine::place
/// [`Engine::place_held`]: super::Engine::place_held
#[derive(Debug, Clone, Default)]
pub struct Held {
    req: PlaceRequest,
    /// The caller keeps the offers a plan leaves unused ([`Held::keep_unused`]).
    keep_unused: bool,
    /// Borrowed by [`Engine::place_held`](super::Engine::place_held) while it runs (the plan
    /// borrows the request, so the held request stays readable beside it).
    prep: RefCell<Prep>,
}

impl Deref for Held {
    type Target = PlaceRequest;
    fn deref(&self) -> &PlaceRequest {
        &self.req
    }
}

impl From<PlaceRequest> for Held {
    /// Holds the request's offers (in order), tasks and running tasks.
    fn from(req: PlaceRequest) -> Held {
        let PlaceRequest { offers, tasks, running } = req;
        let mut held = Held {
            req: PlaceRequest { offers: Vec::new(), tasks, running },
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

    /// The request held: the offers in the order they were added (less those removed).
    pub fn request(&self) -> &PlaceRequest {
        &self.req
    }

    /// The request, given back.
    pub fn into_request(self) -> PlaceRequest {
        self.req
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
        self.prep.get_mut().add(&offer);
        self.req.offers.push(offer);
    }

    /// The positions of the held offers with these ids (every held offer of each id; ids not
    /// held are passed over), ascending. Found through an index, not a pass over the offers.
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

    /// Removes the offers at these positions (positions out of range are passed over) and
    /// returns them, in order. The offers after each one removed move up: a few removals move
    /// the tail once each, more move every offer kept at most once.
    pub fn remove_at(&mut self, at: &[usize]) -> Vec<Offer> {
        let len = self.req.offers.len();
        let mut at: Vec<usize> = at.iter().copied().filter(|i| *i < len).collect();
        at.sort_unstable();
        at.dedup();
        if at.is_empty() {
            return Vec::new();
        }
        let prep = self.prep.get_mut();
        for &i in &at {
            if let Some(o) = self.req.offers.get(i) {
                prep.remove(o, i);
            }
        }
        let offers = &mut self.req.offers;
        let gone: Vec<Offer> = if at.len() <= FEW {
            // Every position is below the length (filtered above), removed from the last.
            let mut gone: Vec<Offer> = Vec::with_capacity(at.len());
            for &i in at.iter().rev() {
                if i < offers.len() {
                    gone.push(offers.remove(i));
                }
            }
            gone.reverse();
            gone
        } else {
            let mut marks = Marks::new(&at);
            let (mut kept, mut gone) = (Vec::with_capacity(offers.len()), Vec::with_capacity(at.len()));
            for o in std::mem::take(offers) {
                if marks.next() {
                    gone.push(o);
                } else {
                    kept.push(o);
                }
            }
            *offers = kept;
            gone
        };
        prep.compact(&at);
        gone
    }

    /// Keeps the offers for which `keep(index, offer)` holds, in order; returns the others,
    /// in order ([`Held::remove_at`]).
    pub fn retain_offers(&mut self, mut keep: impl FnMut(usize, &Offer) -> bool) -> Vec<Offer> {
        let at: Vec<usize> = self.req.offers.iter().enumerate().filter(|(i, o)| !keep(*i, o)).map(|(i, _)| i).collect();
        self.remove_at(&at)
    }

    /// Removes every offer.
    pub fn clear_offers(&mut self) {
        self.req.offers.clear();
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
    pub(super) fn parts(&self) -> (&PlaceRequest, &RefCell<Prep>, bool) {
        (&self.req, &self.prep, self.keep_unused)
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
    /// Per agent number: its agent in the batch being pooled (`u32::MAX`: none yet).
    slots: Vec<u32>,
    /// Per sight, the kinds of the agents (most recently used last).
    sights: Vec<Kinds>,
    /// Per agent of the batch being grouped: its kind (`u32::MAX`: none; a buffer kept).
    of_agent: Vec<u32>,
}

/// The agents' kinds under one sight.
#[derive(Debug, Clone)]
struct Kinds {
    sight: Sight,
    /// A shape → its kind.
    shapes: FxMap<Vec<u64>, u32>,
    /// Per offer: the kind of the agent it is the only offer of (`u32::MAX`: not known).
    of_offer: Vec<u32>,
    /// Per kind: its static class in the batch being grouped (`u32::MAX`: none yet).
    statics: Vec<u32>,
}

impl Prep {
    fn add(&mut self, o: &Offer) {
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

    /// The per-offer vectors keep the entries of the offers kept.
    fn compact(&mut self, at: &[usize]) {
        fn drop_at<T>(v: &mut Vec<T>, at: &[usize]) {
            if at.len() <= FEW {
                for &i in at.iter().rev() {
                    if i < v.len() {
                        v.remove(i);
                    }
                }
            } else {
                let mut marks = Marks::new(at);
                v.retain(|_| !marks.next());
            }
        }
        drop_at(&mut self.akey, at);
        drop_at(&mut self.seq, at);
        drop_at(&mut self.sums, at);
        drop_at(&mut self.bad, at);
        for k in &mut self.sights {
            drop_at(&mut k.of_offer, at);
        }
    }

    /// The positions of the held offers with id `id`.
    fn positions(&self, id: &str) -> impl Iterator<Item = usize> + '_ {
        let list = self.ids.get(id).map_or(&[][..], |l| l.as_slice());
        list.iter().filter_map(|s| self.seq.binary_search(s).ok())
    }

    /// Whether the offers pass their count checks under `limits` (the verdicts worked out
    /// again when the limits changed): then the batch need not check them.
    pub(super) fn offers_pass(&mut self, offers: &[Offer], limits: &Limits) -> bool {
        if self.limits.as_ref() != Some(limits) {
            self.bad = offers.iter().map(|o| check_offer_counts(limits, 0, o).is_err()).collect();
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
        self.slots.clear();
        self.slots.resize(self.keys.len(), u32::MAX);
        for ((i, o), &k) in offers.iter().enumerate().zip(&self.akey) {
            let Some(slot) = self.slots.get_mut(k as usize) else {
                ctx.agents.clear();
                ctx.offer_agent.clear();
                return false;
            };
            if *slot == u32::MAX {
                *slot = ctx.agents.len() as u32;
                ctx.offer_agent.push(*slot);
                let mut ids = smallvec::SmallVec::new();
                ids.push(i as u32);
                ctx.agents.push(Agent {
                    id: o.agent_id.as_str(),
                    hostname: o.hostname.as_str(),
                    offers: ids,
                    static_class: 0,
                    class: 0,
                });
            } else {
                ctx.offer_agent.push(*slot);
                if let Some(a) = ctx.agents.get_mut(*slot as usize) {
                    a.offers.push(i as u32);
                }
            }
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
                    of_offer,
                    statics: Vec::new(),
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
            kinds.of_offer.iter_mut().for_each(|k| *k = u32::MAX);
        }
        let mut of_agent = std::mem::take(&mut self.of_agent);
        kinds_of(ctx, &sight, &mut kinds, &mut of_agent);
        ctx.sight = sight;
        // As `group_agents`: the scored dimensions are known before the first class is made.
        ctx.dims = super::score::Dims::of(ctx.resolved, ctx.tasks.iter().map(|t| &t.need));
        kinds.statics.clear();
        kinds.statics.resize(kinds.shapes.len(), u32::MAX);
        // The agents without a shape, as the stateless grouping finds their classes (by hash,
        // then field by field): no agent without a shape is alike one with a shape (the
        // fields that keep it from having one are compared).
        let mut others: FxMap<u64, SmallVec<[u32; 1]>> = FxMap::default();
        for (ai, &kind) in of_agent.iter().enumerate() {
            let kind = (kind != u32::MAX).then_some(kind);
            // An agent of a kind whose static class is made: it joins that class's first
            // state class, as `join_static` does (without its lookups: most agents go here).
            if let Some(s) = kind.and_then(|k| kinds.statics.get(k as usize).copied()).filter(|s| *s != u32::MAX) {
                join_known(ctx, ai, s);
                continue;
            }
            let (found, h) = match kind {
                Some(k) => (kinds.statics.get(k as usize).copied().filter(|s| *s != u32::MAX), 0),
                None => {
                    let Some(agent) = ctx.agents.get(ai) else { continue };
                    let h = ctx.static_hash(agent);
                    let list = others.get(&h).map_or(&[][..], |l| l.as_slice());
                    let found = list.iter().copied().find(|&s| {
                        let rep = ctx.statics.get(s as usize).and_then(|st| ctx.agents.get(st.rep as usize));
                        rep.is_some_and(|rep| ctx.static_eq(rep, agent))
                    });
                    (found, h)
                }
            };
            let s = join_static(ctx, ai, found);
            match kind {
                Some(k) => {
                    if let Some(x) = kinds.statics.get_mut(k as usize) {
                        *x = s;
                    }
                }
                None if found.is_none() => others.entry(h).or_default().push(s),
                None => {}
            }
        }
        self.of_agent = of_agent;
        // Scan rows and live bits once per class, as the stateless grouping does.
        for c in 0..ctx.classes.len() as u32 {
            ctx.refresh(c);
        }
        self.sights.push(kinds);
        true
    }
}

/// The kind of each agent of the batch under `sight` (learnt for the agents of one offer not
/// seen before) into `out`; `u32::MAX` for an agent whose shape cannot be written.
fn kinds_of(ctx: &Ctx<'_, '_>, sight: &Sight, kinds: &mut Kinds, out: &mut Vec<u32>) {
    let offers = ctx.req.offers.as_slice();
    out.clear();
    out.reserve(ctx.agents.len());
    let mut buf = Vec::new();
    for a in &ctx.agents {
        let single = match a.offers.as_slice() {
            [o] => Some(*o as usize),
            _ => None,
        };
        if let Some(k) = single.and_then(|o| kinds.of_offer.get(o)).copied().filter(|k| *k != u32::MAX) {
            out.push(k);
            continue;
        }
        buf.clear();
        if walk_shape(offers, &a.offers, sight, &mut Build(&mut buf)) != Some(true) {
            out.push(u32::MAX);
            continue;
        }
        let k = match kinds.shapes.get(&buf) {
            Some(k) => *k,
            None => {
                let k = kinds.shapes.len() as u32;
                kinds.shapes.insert(buf.clone(), k);
                k
            }
        };
        if let Some(slot) = single.and_then(|o| kinds.of_offer.get_mut(o)) {
            *slot = k;
        }
        out.push(k);
    }
}
