//! Offers into agents, agents into classes.
//!
//! **Agent classes.** Agents whose offers hold the same resources and attributes (same
//! region, zone, maintenance, blacklist, running executors) form a *static class*; agents of
//! a static class that have also been given the same resources in this batch form a *state
//! class*. A task is evaluated once per state class, not once per agent: the class's first
//! member (in request order) that passes the hostname-dependent constraints stands for the
//! class. Placing a task moves one agent to another state class (found by hashing its new
//! state), so the cost of a call grows with tasks × distinct classes, not tasks × agents.
//! Per-class numbers the scan reads for every task (available and used cpus / mem, offered
//! totals) live in flat arrays.
//!
//! This room pools the offers into agents ([`pool_agents`]: one agent per agent id, or per
//! offer under mesos-actor and marathon) and groups the agents into static classes ([`group_agents`]),
//! comparing them by shape ([`super::shapes`]) or field by field ([`Ctx::static_eq`]); each
//! agent's pool of resources is built here ([`Ctx::build_pool`]). It fills the ledger
//! ([`super::state`]) and sits above it.

use std::hash::{Hash, Hasher};

use smallvec::SmallVec;

use super::fit::{self, Amount, DiskKind, Entry, NONE};
use super::options::Profile;
use super::pool::ClassPool;
use super::portset::PORTSET_MIN;
use super::request::PlaceError;
use super::rules::Rules;
use super::shapes::{
    alike, attrs_eq, counted_ports, hash_attrs, hash_resources, opt_str_eq, resources_eq, walk_shape, Build, Match,
    Sight,
};
use super::state::{Agent, Ctx, Static};
use super::tables::StrIndex;
use crate::error::Error;
use crate::hash::{str_eq, Fx, FxMap};
use crate::model::resources::like_hash;
use crate::model::{DiskSourceType, Offer, Ranges, ResourceValue};

pub(super) const RESIDENT_LABELS: [&str; 2] = ["marathon_framework_id", "marathon_task_id"];

impl<'r> Ctx<'r, '_> {
    pub(super) fn offer_allocation(&self, o: usize) -> Option<&'r str> {
        self.req.offers.get(o).and_then(|x| x.allocation_role.as_deref())
    }

    /// Builds the pool of an agent's offers: one entry per distinct resource, amounts merged.
    pub(super) fn build_pool(&mut self, agent: usize) -> Vec<Entry> {
        let req = self.req;
        let merged = match self.agents.get(agent) {
            Some(a) => pooled(&req.offers, &a.offers),
            None => Vec::new(),
        };
        let mut pool: Vec<Entry> = Vec::with_capacity(merged.len());
        for Pooled { src: (o, ri), amount, exclusive } in merged {
            let Some(res) = req.offers.get(o as usize).and_then(|x| x.resources.as_slice().get(ri as usize)) else {
                continue;
            };
            // The well-known names and the unreserved role have fixed ids: no lookup.
            let name = match known_name(&res.name) {
                Some(id) => id,
                None => self.names.id(&res.name),
            };
            let role = match res.role() {
                r if str_eq(r, "*") => fit::STAR,
                r => self.roles.id(r),
            };
            let alloc = match res.allocation_role.as_deref().or(self.offer_allocation(o as usize)) {
                Some(a) => self.roles.id(a),
                None => NONE,
            };
            let (disk, pid, has_volume, source, profile, caps) = if name == fit::DISK {
                let d = res.disk.as_ref();
                let kind = match d.map_or(DiskSourceType::Root, |d| d.source_type()) {
                    DiskSourceType::Root => DiskKind::Root,
                    DiskSourceType::Path => DiskKind::Path,
                    DiskSourceType::Mount => DiskKind::Mount,
                    DiskSourceType::Block | DiskSourceType::Raw => DiskKind::Unusable,
                };
                let pid =
                    d.and_then(|d| d.persistence.as_ref()).map_or(NONE, |p| self.ids.id(&format!("pid:{}", p.id)));
                let src = d.and_then(|d| d.source.as_ref());
                let source = match source_key(kind, src.and_then(|s| s.root.as_deref()).unwrap_or("")) {
                    std::borrow::Cow::Borrowed(key) => self.ids.id_const(key),
                    std::borrow::Cow::Owned(key) => self.ids.id(&key),
                };
                let profile = src
                    .and_then(|s| s.profile.as_deref())
                    .filter(|p| !p.is_empty())
                    .map_or(NONE, |p| self.ids.id(&format!("profile:{p}")));
                let caps = self.fitter.caps.len() as u32;
                self.fitter.caps.push(res.disk.as_deref().filter(|d| d.source.is_some()).cloned());
                (kind, pid, d.is_some_and(|d| d.volume.is_some()), source, profile, caps)
            } else {
                (DiskKind::NotDisk, NONE, false, NONE, NONE, NONE)
            };
            let resident_label =
                res.reservations.iter().any(|r| r.labels.iter().any(|l| RESIDENT_LABELS.contains(&l.key.as_str())));
            pool.push(Entry {
                name,
                role,
                alloc,
                disk,
                pid,
                has_volume,
                source,
                profile,
                caps,
                resident_label,
                exclusive,
                revocable: res.revocable,
                shared: res.shared,
                src: (o, ri),
                amount,
            });
        }
        pool
    }

    /// What is left of agent `agent`'s offers once its class's `pool` is what remains of
    /// the class: the amounts the batch does not see ([`Sight`]) are the agent's own (no
    /// task took any of them; the class holds its first member's), and so are its ports when
    /// only their count is seen (`own`: [`Ctx::own_ports`]).
    pub(super) fn remaining_of(&self, agent: u32, pool: &[Entry], own: Option<&OwnPorts>) -> crate::model::Resources {
        let blind = |e: &Entry| !matches!(e.amount, Amount::Other) && !self.sight.sees_amount(self.names.name(e.name));
        let offers = self.req.offers.as_slice();
        let resources = |o: &u32| offers.get(*o as usize).map(|x| x.resources.as_slice());
        // The class's first member's own amounts: the class holds them already.
        let like_rep = |a: &Agent<'r>| {
            let rep = self.statics.get(a.static_class as usize).and_then(|s| self.agents.get(s.rep as usize));
            rep.is_some_and(|r| {
                r.offers.len() == a.offers.len()
                    && r.offers.iter().zip(&a.offers).all(|(x, y)| x == y || resources(x) == resources(y))
            })
        };
        let Some(a) = self.agents.get(agent as usize).filter(|a| !like_rep(a) && pool.iter().any(blind)) else {
            return match own {
                None => self.pool_resources(pool),
                Some(own) => {
                    let mut mine = pool.to_vec();
                    own.apply(&mut mine);
                    self.pool_resources(&mine)
                }
            };
        };
        let pooled_own = pooled(&self.req.offers, &a.offers);
        let mut mine = pool.to_vec();
        for (e, p) in mine.iter_mut().zip(pooled_own) {
            if blind(e) {
                e.amount = p.amount;
            }
        }
        if let Some(own) = own {
            own.apply(&mut mine);
        }
        self.pool_resources(&mine)
    }

    /// How agent `agent`'s own ports are numbered against its class's, when the batch sees
    /// only how many ports an agent has ([`Sight::ports_by_count`]) and the agent's differ
    /// from its static class's first member's: the class's placements took ports in that
    /// member's numbering, and the answer renumbers them by rank ([`super::portset::renumber`]).
    pub(super) fn own_ports(&self, agent: u32) -> Option<OwnPorts> {
        if !self.sight.ports_by_count {
            return None;
        }
        let offers = self.req.offers.as_slice();
        let a = self.agents.get(agent as usize)?;
        let st = self.statics.get(a.static_class as usize)?;
        let rep = self.agents.get(st.rep as usize)?;
        if st.rep == agent || a.offers.len() != 1 {
            return None;
        }
        let ports_of = |x: &Agent<'r>| {
            let o = offers.get(*x.offers.first()? as usize)?;
            o.resources.iter().find(|r| str_eq(&r.name, "ports")).and_then(|r| r.ranges())
        };
        let mine = ports_of(a)?;
        // The same ports as the representative's (always so when the agent's ports were
        // compared exactly: `counted_ports` said no for both).
        if ports_of(rep) == Some(mine) {
            return None;
        }
        // Else both are counted (`counted_ports`: one offer, one `ports` resource each): the
        // pool entry holds that resource's ports of 1-65535 alone.
        let entry = st.pool.iter().position(|e| e.name == fit::PORTS)?;
        let from = match &st.pool.get(entry)?.amount {
            Amount::Ranges(r) => r.clone(),
            Amount::Ports(p) => p.to_ranges(),
            _ => return None,
        };
        Some(OwnPorts { entry, from, to: host_ports(mine) })
    }

    pub(super) fn static_hash(&self, a: &Agent<'r>) -> u64 {
        let mut h = Fx::default();
        let counted = counted_ports(&self.req.offers, &a.offers, &self.sight);
        for &o in &a.offers {
            let Some(offer) = self.req.offers.get(o as usize) else { continue };
            hash_resources(&mut h, offer.resources.as_slice(), &self.sight, counted);
            offer.allocation_role.hash(&mut h);
            offer.executor_ids.hash(&mut h);
            offer.unavailability.hash(&mut h);
        }
        if let Some(first) = a.offers.first().and_then(|o| self.req.offers.get(*o as usize)) {
            hash_attrs(&mut h, &first.attributes, &self.sight);
            first.region.hash(&mut h);
            first.zone.hash(&mut h);
        }
        if !self.opts.port_blacklist.is_empty() {
            self.opts.port_blacklist.get(a.hostname).hash(&mut h);
        }
        h.finish()
    }

    /// Whether agents `a` and `b` are alike for this batch: offers equal in everything but
    /// the attributes and amounts it does not see ([`Ctx::sight`]).
    pub(super) fn static_eq(&self, a: &Agent<'r>, b: &Agent<'r>) -> bool {
        let (ao, bo) = (a.offers.as_slice(), b.offers.as_slice());
        if ao.len() != bo.len() {
            return false;
        }
        let offers = self.req.offers.as_slice();
        let counted = counted_ports(offers, ao, &self.sight);
        if counted != counted_ports(offers, bo, &self.sight) {
            return false;
        }
        let mut k = 0;
        while let (Some(&x), Some(&y)) = (ao.get(k), bo.get(k)) {
            k += 1;
            let (Some(x), Some(y)) = (offers.get(x as usize), offers.get(y as usize)) else { return false };
            if !resources_eq(x.resources.as_slice(), y.resources.as_slice(), &self.sight, counted)
                || !opt_str_eq(x.allocation_role.as_deref(), y.allocation_role.as_deref())
                || !(x.executor_ids.is_empty() && y.executor_ids.is_empty() || x.executor_ids == y.executor_ids)
                || x.unavailability != y.unavailability
            {
                return false;
            }
        }
        let (Some(x), Some(y)) =
            (ao.first().and_then(|o| offers.get(*o as usize)), bo.first().and_then(|o| offers.get(*o as usize)))
        else {
            return false;
        };
        attrs_eq(&x.attributes, &y.attributes, &self.sight)
            && opt_str_eq(x.region.as_deref(), y.region.as_deref())
            && opt_str_eq(x.zone.as_deref(), y.zone.as_deref())
            && (self.opts.port_blacklist.is_empty()
                || self.opts.port_blacklist.get(a.hostname) == self.opts.port_blacklist.get(b.hostname))
    }

    /// Whether `agent` belongs to static class `s`, by the class's shape: `None` when either
    /// has none (then [`Ctx::static_eq`] decides), else exactly what [`Ctx::static_eq`] with
    /// the class's representative would answer.
    #[inline]
    pub(super) fn shape_eq(&self, s: u32, agent: &Agent<'r>) -> Option<bool> {
        let shape = self.statics.get(s as usize).map(|st| st.shape.as_slice()).filter(|x| !x.is_empty())?;
        let mut m = Match(shape.iter());
        match walk_shape(&self.req.offers, &agent.offers, &self.sight, &mut m)? {
            false => Some(false),
            true if m.0.next().is_none() => Some(true),
            true => None,
        }
    }

    /// Whether `agent` belongs to static class `s`, given the agent's shape `own` when it has
    /// one: two shapes match when their words are equal ([`Ctx::shape_eq`] answers so for a
    /// shape built alike), else as [`Ctx::shape_eq`] and [`Ctx::static_eq`] decide.
    fn is_static(&self, s: u32, agent: &Agent<'r>, own: Option<&[u64]>) -> bool {
        let st = self.statics.get(s as usize);
        if let (Some(own), Some(st)) = (own, st) {
            if !st.shape.is_empty() {
                return st.shape == own;
            }
        }
        self.shape_eq(s, agent).unwrap_or_else(|| {
            let rep = st.and_then(|st| self.agents.get(st.rep as usize));
            rep.is_some_and(|rep| self.static_eq(rep, agent))
        })
    }

    /// `shape`: the agent's shape when the caller has walked it already (under the batch's
    /// sight), so it is not walked again.
    pub(super) fn new_static(&mut self, agent: usize, shape: Option<&[u64]>) -> u32 {
        let walked = shape;
        let pool = self.build_pool(agent);
        let req = self.req;
        let a = self.agents.get(agent);
        let hostname = a.map_or("", |a| a.hostname);
        let first = a.and_then(|a| a.offers.first()).and_then(|o| req.offers.get(*o as usize));
        let mut offered = (0, 0);
        let mut has_gpus = false;
        let mut pids = SmallVec::new();
        for e in &pool {
            match e.name {
                fit::CPUS => offered.0 += e.scalar(),
                fit::MEM => offered.1 += e.scalar(),
                fit::GPUS if e.scalar() > 0 => has_gpus = true,
                _ => {}
            }
            if e.pid != NONE {
                pids.push(e.pid);
            }
        }
        let blacklist = self
            .opts
            .port_blacklist
            .get(hostname)
            .map(|ports| Ranges::from_ranges(ports.iter().map(|p| crate::model::Range { begin: *p, end: *p })))
            .unwrap_or_default();
        let mut unav = None;
        let mut execs: SmallVec<[u32; 2]> = SmallVec::new();
        for &o in a.map(|a| a.offers.as_slice()).unwrap_or(&[]) {
            if let Some(offer) = req.offers.get(o as usize) {
                unav = unav.or(offer.unavailability);
                for e in &offer.executor_ids {
                    let id = self.ids.id(&format!("exec:{e}"));
                    if !execs.contains(&id) {
                        execs.push(id);
                    }
                }
            }
        }
        execs.sort_unstable();
        let maintenance = match (unav, self.resolved.maintenance) {
            (Some(u), Some((now, until))) => {
                let start = i128::from(u.start_ns);
                let ends = u.duration_ns.map(|d| start + i128::from(d));
                start <= until && ends.map_or(true, |e| e > now)
            }
            _ => false,
        };
        let region = first.and_then(|f| f.region.as_deref());
        let foreign = match (&self.opts.local_region, region) {
            (Some(local), Some(reg)) => local != reg,
            (None, Some(_)) => self.opts.profile == Profile::Marathon,
            _ => false,
        };
        let mut shape = Vec::new();
        if self.opts.port_blacklist.is_empty() {
            let ids = a.map_or(&[][..], |a| a.offers.as_slice());
            if let Some(walked) = walked {
                shape = walked.to_vec();
            } else if walk_shape(&req.offers, ids, &self.sight, &mut Build(&mut shape)) != Some(true) {
                shape = Vec::new();
            }
        }
        let s = Static {
            rep: agent as u32,
            region,
            zone: first.and_then(|f| f.zone.as_deref()),
            blacklist,
            pool,
            offered,
            has_gpus,
            pids,
            maintenance,
            foreign,
            execs,
            init_class: 0,
            agents: 0,
            shape,
        };
        self.statics.push(s);
        (self.statics.len() - 1) as u32
    }
}

/// The hash of a shape's words ([`group_agents`]' index of the static classes with one).
fn shape_hash(words: &[u64]) -> u64 {
    let mut h = Fx::default();
    for w in words {
        h.write_u64(*w);
    }
    h.finish()
}

/// The ports of an offered `ports` resource a task may be given: port numbers are 1-65535,
/// so an offered 0 or one above 65535 (a bad agent `--resources` flag) is never handed out.
fn host_ports(r: &Ranges) -> Ranges {
    if r.first() == Some(0) || r.as_slice().last().is_some_and(|x| x.end > 65_535) {
        let outside = Ranges::from_ranges([
            crate::model::Range { begin: 0, end: 0 },
            crate::model::Range { begin: 65_536, end: u64::MAX },
        ]);
        r.subtract(&outside)
    } else {
        r.clone()
    }
}

/// An agent's own ports against its class's numbering ([`Ctx::own_ports`]).
pub(super) struct OwnPorts {
    /// The pool entry of the `ports` resource.
    entry: usize,
    /// The class's (its static class's first member's) offered ports, and the agent's.
    from: Ranges,
    to: Ranges,
}

impl OwnPorts {
    /// Ports of the class's numbering, in the agent's.
    pub(super) fn ranges(&self, entry: u32, r: &Ranges) -> Option<Ranges> {
        (entry as usize == self.entry).then(|| super::portset::renumber(r, &self.from, &self.to))
    }

    /// A host port of the class's numbering (the one `ports` entry's), in the agent's.
    pub(super) fn port(&self, p: u64) -> u64 {
        super::portset::renumber_port(p, &self.from, &self.to)
    }

    /// The ports entry of `pool` (what is left of the class) in the agent's numbering.
    fn apply(&self, pool: &mut [Entry]) {
        if let Some(e) = pool.get_mut(self.entry) {
            let left = match &e.amount {
                Amount::Ranges(r) => super::portset::renumber(r, &self.from, &self.to),
                Amount::Ports(p) => super::portset::renumber(&p.to_ranges(), &self.from, &self.to),
                _ => return,
            };
            e.amount = super::apply::ports_amount(left);
        }
    }
}

/// One resource of an agent's pool before its ids are interned.
pub(super) struct Pooled {
    /// The offer and resource it came from (the first of the ones merged into it).
    pub(super) src: (u32, u32),
    pub(super) amount: Amount,
    /// Taken only whole (never merged).
    pub(super) exclusive: bool,
}

/// The offers `ids` pooled: one entry per distinct resource, the amounts of like ones
/// (not shared, not a persistent volume or whole disk) merged, empty ones left out. Agents of
/// one static class pool into entries alike one by one (only the amounts the batch does not
/// see may differ).
pub(super) fn pooled(offers: &[Offer], ids: &[u32]) -> Vec<Pooled> {
    let mut pool: Vec<Pooled> = Vec::new();
    let res_at = |(o, ri): (u32, u32)| offers.get(o as usize).and_then(|x| x.resources.as_slice().get(ri as usize));
    // The mergeable entries by the hash of what `alike` compares, once the pool is long (an
    // agent of thousands of offers, names or reservations of one name): a resource is
    // compared only with those that may be alike, not the whole pool nor all of its name.
    let mut by_name: Option<FxMap<u64, SmallVec<[u32; 2]>>> = None;
    for &o in ids {
        let Some(offer) = offers.get(o as usize) else { continue };
        for (ri, res) in offer.resources.iter().enumerate() {
            if res.value.is_empty() {
                continue;
            }
            let amount = match &res.value {
                ResourceValue::Scalar(s) => Amount::Scalar(s.millis()),
                ResourceValue::Ranges(r) if res.name == "ports" => Amount::Ranges(host_ports(r)),
                ResourceValue::Ranges(r) => Amount::Ranges(r.clone()),
                ResourceValue::Set(_) => Amount::Other,
            };
            let exclusive = res.shared
                || res.disk.as_ref().is_some_and(|d| {
                    d.persistence.is_some()
                        || matches!(
                            d.source_type(),
                            DiskSourceType::Mount | DiskSourceType::Block | DiskSourceType::Raw
                        )
                });
            if !exclusive {
                // The first alike entry: alike ones have one name, so it is the first of the name's.
                let merged = match &by_name {
                    None => pool.iter_mut().find(|e| !e.exclusive && res_at(e.src).is_some_and(|x| alike(x, res))),
                    Some(index) => {
                        let list = index.get(&like_hash(res)).map_or(&[][..], |l| l.as_slice());
                        let at = list
                            .iter()
                            .copied()
                            .find(|&k| pool.get(k as usize).and_then(|e| res_at(e.src)).is_some_and(|x| alike(x, res)));
                        at.and_then(|k| pool.get_mut(k as usize))
                    }
                };
                if let Some(e) = merged {
                    match (&mut e.amount, &amount) {
                        (Amount::Scalar(a), Amount::Scalar(b)) => *a += b,
                        (Amount::Ranges(a), Amount::Ranges(b)) => *a = a.add(b),
                        _ => {}
                    }
                    continue;
                }
            }
            if let Some(index) = &mut by_name {
                if !exclusive {
                    index.entry(like_hash(res)).or_default().push(pool.len() as u32);
                }
            }
            pool.push(Pooled { src: (o, ri as u32), amount, exclusive });
            if by_name.is_none() && pool.len() == POOL_INDEX_MIN {
                let mut index: FxMap<u64, SmallVec<[u32; 2]>> = FxMap::default();
                for (k, e) in pool.iter().enumerate().filter(|(_, e)| !e.exclusive) {
                    if let Some(x) = res_at(e.src) {
                        index.entry(like_hash(x)).or_default().push(k as u32);
                    }
                }
                by_name = Some(index);
            }
        }
    }
    // A `ports` resource of many ranges: persistent, so that a placement copies and takes
    // from it in O(log n), not O(ranges) (`super::portset`).
    for e in &mut pool {
        if let Amount::Ranges(r) = &mut e.amount {
            if r.range_count() >= PORTSET_MIN && res_at(e.src).is_some_and(|x| x.name == "ports") {
                e.amount = super::apply::ports_amount(std::mem::take(r));
            }
        }
    }
    pool
}

/// The length from which [`pooled`] indexes its entries by name.
const POOL_INDEX_MIN: usize = 32;

/// The allocation role of an offer (its own, or its first resource's that has one).
pub(super) fn alloc_of(o: &crate::model::Offer) -> Option<&str> {
    o.allocation_role.as_deref().or_else(|| o.resources.iter().find_map(|r| r.allocation_role.as_deref()))
}

/// Pools the offers per agent (per offer under mesos-actor and marathon): offer ids must be unique.
pub(super) fn pool_agents(ctx: &mut Ctx<'_, '_>) -> Result<(), PlaceError> {
    let offers = ctx.req.offers.as_slice();
    // mesos-actor and Marathon match each offer alone (Marathon: `OfferMatcherManagerActor`
    // hands one offer at a time to the matchers; see [`super::marathon`]).
    let actor = matches!(ctx.resolved.profile, Profile::MesosActor | Profile::Marathon);
    // Offers of one agent allocated to different roles are never pooled: a master refuses
    // to aggregate them in one ACCEPT (src/master/validation.cpp, `offer::validateAllocationRole`:
    // "Aggregated offers must be allocated to the same role"), and a task's resources must be
    // allocated to one role (`resource::validateAllocatedToSingleRole`). Such an agent is one
    // pool (and one `accept`) per allocation role; the key is built only when some offer has
    // one: the offers are pooled by agent id, looking out for one, and again by the split key
    // when one is met (no pass of its own over every offer's resources in the usual case).
    let mut split: Vec<String> = Vec::new();
    if !pool_by(ctx, actor, &split, !actor)? {
        split = offers.iter().map(|o| format!("{}\u{0}{}", o.agent_id, alloc_of(o).unwrap_or(""))).collect();
        ctx.agents.clear();
        ctx.offer_agent.clear();
        pool_by(ctx, actor, &split, false)?;
    }
    if ctx.opts.tie_break == super::options::TieBreak::AgentId {
        canonical_agents(ctx, &split);
    }
    Ok(())
}

/// [`pool_agents`]' pass over the live offers, agents keyed by `split` (when not empty) or
/// their agent id (their offer id under `actor`); `watch`: stops with `false` at the first
/// offer with an allocation role (the ledger is then left half filled). Duplicate offer ids
/// are refused in request order, whichever pass meets them.
fn pool_by(ctx: &mut Ctx<'_, '_>, actor: bool, split: &[String], watch: bool) -> Result<bool, PlaceError> {
    let req = ctx.req;
    let mut offer_ids = StrIndex::with_capacity(req.offers.len());
    let mut by_agent = StrIndex::with_capacity(req.offers.len());
    let offers = req.offers.as_slice();
    let offer_id = |k: u32| offers.get(k as usize).map_or("", |o| o.id.as_str());
    // An agent's key: its first offer's id (one agent per offer), its agent id and allocation
    // role, or its agent id.
    let agent_key = |k: u32| match split.get(k as usize) {
        Some(key) => key.as_str(),
        None => offers.get(k as usize).map_or("", |o| if actor { o.id.as_str() } else { o.agent_id.as_str() }),
    };
    for (i, o) in ctx.store.live_offers() {
        if offer_ids.get_or_insert(&o.id, i as u32, offer_id).is_some() {
            return Err(PlaceError::new(
                format!("/offers/{}/id", ctx.store.position(i)),
                Error::invalid("place.duplicate_offer", format!("expected unique offer ids, found `{}` twice", o.id)),
            ));
        }
        if watch && alloc_of(o).is_some() {
            return Ok(false);
        }
        // The table holds each agent's first offer; `offer_agent` maps it to the agent (an
        // offer gone from a held store, a gap, has none).
        if ctx.offer_agent.len() < i {
            ctx.offer_agent.resize(i, u32::MAX);
        }
        match by_agent.get_or_insert(agent_key(i as u32), i as u32, agent_key) {
            Some(first) => {
                // INVARIANT: `first` is an earlier offer's index, and every earlier offer has its entry
                // in `offer_agent` (one pushed per offer, in order).
                let a = ctx.offer_agent.get(first as usize).copied().unwrap_or(0);
                ctx.offer_agent.push(a);
                if let Some(agent) = ctx.agents.get_mut(a as usize) {
                    agent.offers.push(i as u32);
                }
            }
            None => {
                ctx.offer_agent.push(ctx.agents.len() as u32);
                let mut offers = SmallVec::new();
                offers.push(i as u32);
                ctx.agents.push(Agent {
                    id: o.agent_id.as_str(),
                    hostname: o.hostname.as_str(),
                    offers,
                    static_class: 0,
                    class: 0,
                });
            }
        }
    }
    Ok(true)
}

/// `tie_break: agent_id`: each agent's offers sorted by offer id and the agents by agent id,
/// allocation role and first offer id, so every later step (classes and their first members,
/// the scan's ties, the plan's order) reads the agents in an order the request cannot change.
pub(super) fn canonical_agents<'r>(ctx: &mut Ctx<'r, '_>, split: &[String]) {
    let offers: &'r [crate::model::Offer] = ctx.req.offers.as_slice();
    let id = |o: u32| offers.get(o as usize).map_or("", |x| x.id.as_str());
    for a in &mut ctx.agents {
        a.offers.sort_unstable_by(|x, y| id(*x).cmp(id(*y)));
    }
    let keys: Vec<(&'r str, &str, &'r str)> = ctx
        .agents
        .iter()
        .map(|a| {
            let first = a.offers.first().copied().unwrap_or(0);
            (a.id, split.get(first as usize).map_or("", String::as_str), id(first))
        })
        .collect();
    let mut order: Vec<u32> = (0..ctx.agents.len() as u32).collect();
    order.sort_unstable_by(|x, y| keys.get(*x as usize).cmp(&keys.get(*y as usize)));
    let mut rank = vec![0u32; order.len()];
    for (new, old) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(*old as usize) {
            *r = new as u32;
        }
    }
    let mut old = std::mem::take(&mut ctx.agents).into_iter().map(Some).collect::<Vec<_>>();
    ctx.agents = order.iter().filter_map(|o| old.get_mut(*o as usize).and_then(Option::take)).collect();
    for a in &mut ctx.offer_agent {
        *a = rank.get(*a as usize).copied().unwrap_or(*a);
    }
}

/// What the compiled tasks read of an agent ([`Sight`]): the names of the fields of their
/// constraints and preferences (the fields groups count are among them), and the resources
/// they ask amounts of (scalars by name, `ports` for host ports; executors and volumes ask
/// for cpus, mem and disk, always seen).
pub(super) fn sight_of(ctx: &Ctx<'_, '_>) -> Sight {
    #[cfg(test)]
    if ctx.resolved.grouping != super::options::Grouping::Normal {
        return Sight { all: true, ..Sight::default() };
    }
    let mut sight = Sight::default();
    // Rules ids already read (an app's tasks often alternate between two rules).
    let mut rules_read: Vec<bool> = Vec::new();
    // Name ids (below 64) already looked at, and whether `ports` was: a batch asks for the
    // same few names thousands of times.
    let (mut done, mut ports_done) = (0u64, false);
    // Each name once, found by hashing (a batch may read thousands of distinct names).
    let mut attrs: crate::hash::FxSet<&str> = crate::hash::FxSet::default();
    let mut asked: crate::hash::FxSet<&str> = crate::hash::FxSet::default();
    for t in &ctx.tasks {
        // Tasks share their rules by id: read each once.
        let id = t.rules.id as usize;
        let read = t.rules.id != Rules::NO_ID && rules_read.get(id).copied().unwrap_or(false);
        if !read {
            if t.rules.id != Rules::NO_ID {
                if rules_read.len() <= id {
                    rules_read.resize(id + 1, false);
                }
                if let Some(x) = rules_read.get_mut(id) {
                    *x = true;
                }
            }
            for f in t.rules.fields() {
                if attrs.insert(f.name()) {
                    sight.attrs.push(f.name().to_owned());
                }
            }
        }
        let fresh = |n: u32, done: &mut u64| {
            let bit = 1u64.checked_shl(n).unwrap_or(0);
            let new = bit == 0 || *done & bit == 0;
            *done |= bit;
            new
        };
        let names = t.need.scalars.iter().filter(|(n, ..)| fresh(*n, &mut done)).map(|(n, ..)| ctx.names.name(*n));
        let ports = !t.need.ports.is_empty() && !std::mem::replace(&mut ports_done, true);
        for name in names.chain(ports.then_some("ports")) {
            if !sight.sees_amount_always(name) && asked.insert(name) {
                sight.asked.push(name.to_owned());
            }
        }
    }
    sight.attrs.sort_unstable();
    sight.asked.sort_unstable();
    // Only dynamic host ports asked, no blacklist: which ports an agent has is not seen, only
    // how many (`Sight::ports_by_count`).
    sight.ports_by_count =
        ports_done && ctx.opts.port_blacklist.is_empty() && ctx.tasks.iter().all(|t| t.need.fixed_count == 0);
    sight
}

/// Groups the agents into static classes (identical offers) and their first state classes,
/// then fills every class's scan row and live bit.
pub(super) fn group_agents(ctx: &mut Ctx<'_, '_>) {
    ctx.sight = sight_of(ctx);
    ctx.dims = super::score::Dims::of(ctx.resolved, ctx.tasks.iter().map(|t| &t.need));
    // Static classes: agents with identical offers share one. `static_index` holds every
    // static class by [`Ctx::static_hash`]; `shape_index` the ones with a shape by the hash of
    // its words, where an agent with a shape unlike its predecessor's finds its class by one
    // walk of its offers (the words, hashed and compared whole) instead of a hash of its
    // offers and a match against each candidate.
    let mut static_index: FxMap<u64, SmallVec<[u32; 1]>> = FxMap::default();
    let mut shape_index: FxMap<u64, SmallVec<[u32; 1]>> = FxMap::default();
    // Static classes without a shape (their agents are compared field by field).
    let mut unshaped = 0usize;
    let shapes = ctx.opts.port_blacklist.is_empty();
    let mut words: Vec<u64> = Vec::new();
    // Whether the previous agent joined its predecessor's class: agents then come in runs, and
    // the next one is matched against its predecessor's shape first (a walk that builds
    // nothing); after a break in the run it is built at once (agents that cycle through racks
    // would fail that match near its end every time). Either way the same class is found.
    let mut in_run = true;
    for ai in 0..ctx.agents.len() {
        let Some(agent) = ctx.agents.get(ai) else { continue };
        let prev = ai.checked_sub(1).and_then(|p| ctx.agents.get(p)).map(|p| p.static_class);
        let mut found = None;
        let tried = in_run && prev.is_some();
        if tried {
            found = prev.filter(|s| ctx.is_static(*s, agent, None));
        }
        let mut own = None;
        let mut h = 0;
        if found.is_none() {
            // This agent's shape, when it has one (as `new_static` builds it).
            words.clear();
            let shaped =
                shapes && walk_shape(&ctx.req.offers, &agent.offers, &ctx.sight, &mut Build(&mut words)) == Some(true);
            own = shaped.then_some(words.as_slice());
            if !tried {
                found = prev.filter(|s| ctx.is_static(*s, agent, own));
            }
            if let (None, Some(w)) = (found, own) {
                // A class with a shape matches exactly when its words are these (`shape_eq`):
                // shapes are self-delimiting (counts before lists, a string's first word tells
                // its length), so a complete shape is never a strict prefix of another one.
                h = shape_hash(w);
                found = shape_index.get(&h).and_then(|list| {
                    list.iter().copied().find(|&s| ctx.statics.get(s as usize).is_some_and(|st| st.shape == w))
                });
            }
        }
        in_run = found.is_some() && found == prev;
        if found.is_none() && (own.is_none() || unshaped > 0) {
            // Field by field (or, for an agent with a shape, against the classes without one).
            let sh = ctx.static_hash(agent);
            if let Some(list) = static_index.get(&sh) {
                for &s in list {
                    let skip = own.is_some() && ctx.statics.get(s as usize).is_some_and(|st| !st.shape.is_empty());
                    if !skip && ctx.is_static(s, agent, own) {
                        found = Some(s);
                        break;
                    }
                }
            }
        }
        #[cfg(test)]
        let found = found.filter(|_| ctx.resolved.grouping != super::options::Grouping::Single);
        let s = join_static(ctx, ai, found, own);
        if found.is_none() {
            let sh = ctx.agents.get(ai).map_or(0, |a| ctx.static_hash(a));
            static_index.entry(sh).or_default().push(s);
            match ctx.statics.get(s as usize).map(|st| st.shape.as_slice()) {
                Some(shape) if !shape.is_empty() => {
                    let h = if own.is_some() { h } else { shape_hash(shape) };
                    shape_index.entry(h).or_default().push(s);
                }
                _ => unshaped += 1,
            }
        }
    }
    // Scan rows and live bits once per class (nothing reads them while agents are sorted in).
    for c in 0..ctx.classes.len() as u32 {
        ctx.refresh(c);
    }
}

/// [`group_agents`] when the partition of the agents into static classes is known (`of`: per
/// agent, its static class, numbered by first appearance as `group_agents` numbers them; a
/// repair pass takes the first pass's, [`super::batch`]): the same static and state classes,
/// with the same ids and members, built from one agent each, without matching the others.
pub(super) fn regroup_agents(ctx: &mut Ctx<'_, '_>, of: &[u32]) {
    ctx.sight = sight_of(ctx);
    ctx.dims = super::score::Dims::of(ctx.resolved, ctx.tasks.iter().map(|t| &t.need));
    for (ai, &s) in of.iter().enumerate().take(ctx.agents.len()) {
        let found = ((s as usize) < ctx.statics.len()).then_some(s);
        join_static(ctx, ai, found, None);
    }
    for c in 0..ctx.classes.len() as u32 {
        ctx.refresh(c);
    }
}

/// A disk source's interned key: `src:{kind}:{root}` (the common keys without a root written
/// once, not formatted per pool).
fn source_key(kind: DiskKind, root: &str) -> std::borrow::Cow<'static, str> {
    match (kind, root) {
        (DiskKind::Root, "") => "src:1:".into(),
        (DiskKind::Path, "") => "src:2:".into(),
        (DiskKind::Mount, "") => "src:3:".into(),
        (DiskKind::Unusable, "") => "src:4:".into(),
        _ => format!("src:{}:{}", kind as u8, root).into(),
    }
}

/// The id of a well-known resource name in every batch's `Ctx::names` (seeded with them, in
/// this order): `None` for any other name.
#[inline]
fn known_name(name: &str) -> Option<u32> {
    const KNOWN: [(&str, u32); 5] =
        [("cpus", fit::CPUS), ("mem", fit::MEM), ("disk", fit::DISK), ("gpus", fit::GPUS), ("ports", fit::PORTS)];
    KNOWN.iter().find(|(k, _)| str_eq(k, name)).map(|(_, id)| *id)
}

/// Agent `ai` joins static class `found`, or a new one it stands for (with its first state
/// class) when `None`; returns the static class. `shape`: the agent's shape under the batch's
/// sight when the caller has it ([`Ctx::new_static`]).
pub(super) fn join_static(ctx: &mut Ctx<'_, '_>, ai: usize, found: Option<u32>, shape: Option<&[u64]>) -> u32 {
    let s = match found {
        Some(s) => s,
        None => {
            let s = ctx.new_static(ai, shape);
            let (pool, execs) = match ctx.statics.get(s as usize) {
                Some(st) => (ClassPool::of(&st.pool), st.execs.clone()),
                None => (ClassPool::default(), SmallVec::new()),
            };
            // A static class just made has no state class yet: its first one is made
            // without looking for it (`find_or_create_class` would find none).
            let key = Ctx::class_key(s, &pool, (0, 0), &execs);
            let c = ctx.create_class(key, s, pool, (0, 0), execs);
            if let Some(st) = ctx.statics.get_mut(s as usize) {
                st.init_class = c;
            }
            s
        }
    };
    // INVARIANT: `s` is a static class just found or created (an index into `statics`).
    join_known(ctx, ai, s);
    s
}

/// Agent `ai` joins made static class `s`: its first state class (one lookup of each).
#[inline]
pub(super) fn join_known(ctx: &mut Ctx<'_, '_>, ai: usize, s: u32) {
    let Some(st) = ctx.statics.get_mut(s as usize) else { return };
    st.agents += 1;
    let c = st.init_class;
    let Some(agent) = ctx.agents.get_mut(ai) else { return };
    agent.static_class = s;
    agent.class = c;
    let n = agent.offers.len();
    if let Some(cl) = ctx.classes.get_mut(c as usize) {
        cl.members.insert(ai as u32);
        cl.offers += n;
    }
}

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::{offer, prepared, task};
    use super::super::options::{Options, Resolved};
    use super::super::request::PlaceRequest;
    use super::*;

    fn request() -> PlaceRequest {
        PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:4;mem:1024", "rack:r1"),
                offer("o2", "a2", "cpus:4;mem:1024", "rack:r1"),
                offer("o3", "a3", "cpus:4;mem:1024", "rack:r2"),
                offer("o4", "a4", "cpus:8;mem:1024", "rack:r1"),
                offer("o5", "a5", "cpus:4;mem:1024", "rack:r1"),
                // A second offer of a5: its agent is no longer like a1.
                offer("o6", "a5", "cpus:1", ""),
                offer("o7", "a6", "cpus:4;mem:1024", "rack:r1"),
            ],
            ..PlaceRequest::default()
        }
    }

    #[test]
    fn the_known_names_and_the_star_role_have_their_interned_ids() {
        let req = request();
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = prepared(&opts, &resolved, &req);
        for name in ["cpus", "mem", "disk", "gpus", "ports"] {
            assert_eq!(known_name(name), Some(ctx.names.id(name)), "{name}");
        }
        for name in ["fpgas", "cpu", "", "ports "] {
            assert_eq!(known_name(name), None, "{name}");
        }
        assert_eq!(ctx.roles.id("*"), fit::STAR);
    }

    #[test]
    fn a_disk_source_key_is_the_formatted_one() {
        for kind in [DiskKind::NotDisk, DiskKind::Root, DiskKind::Path, DiskKind::Mount, DiskKind::Unusable] {
            for root in ["", "/mnt/a"] {
                assert_eq!(source_key(kind, root), format!("src:{}:{}", kind as u8, root));
            }
        }
    }

    #[test]
    fn static_classes_agree_with_the_field_by_field_comparison() {
        // A task that reads `rack`: a3 (rack r2) is told apart.
        let req = PlaceRequest { tasks: vec![task("t", 1, 1, &["rack LIKE r.*"])], ..request() };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        let statics: Vec<u32> = ctx.agents.iter().map(|a| a.static_class).collect();
        // a1, a2 and a6 alike; a3 (rack), a4 (cpus) and a5 (two offers) each alone.
        assert_eq!(statics, [0, 0, 1, 2, 3, 0]);
        assert_eq!(ctx.statics.len(), 4);
        for a in &ctx.agents {
            for b in &ctx.agents {
                assert_eq!(a.static_class == b.static_class, ctx.static_eq(a, b), "{} and {}", a.id, b.id);
            }
        }
        // One state class per static class to begin with, its members ascending.
        let first = &ctx.classes[ctx.agents[0].class as usize];
        assert_eq!(first.members.iter().copied().collect::<Vec<_>>(), [0, 1, 5]);
        assert_eq!(first.offers, 3);
        assert_eq!(ctx.statics[0].rep, 0);
    }

    #[test]
    fn agents_differing_only_in_what_no_task_reads_share_a_class() {
        let mut req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:4;mem:1024;ports:[1000-2000]", "rack:r1;node_id:n1"),
                offer("o2", "a2", "cpus:4;mem:1024;ports:[3000-3001,4000-4999]", "rack:r2;node_id:n2"),
                offer("o3", "a3", "cpus:4;mem:1024;ports:[1000-2000]", "rack:r1;node_id:n3"),
                offer("o4", "a4", "cpus:4;mem:1024", "rack:r1;node_id:n4"),
            ],
            tasks: vec![task("t", 1, 1, &[])],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let statics = |req: &PlaceRequest| -> Vec<u32> {
            prepared(&opts, &resolved, req).agents.iter().map(|a| a.static_class).collect()
        };
        // Nothing read, no ports asked: a1–a3 alike; a4 has no ports at all.
        assert_eq!(statics(&req), [0, 0, 0, 1]);
        // A rule reads `rack`: a2 apart.
        req.tasks[0].constraints = vec![crate::model::ConstraintSpec::text("rack GROUP_BY")];
        assert_eq!(statics(&req), [0, 1, 0, 2]);
        // A port asked for: the ranges tell a2 apart again.
        req.tasks[0].constraints.clear();
        req.tasks[0].ports = vec![0];
        assert_eq!(statics(&req), [0, 1, 0, 2]);
        // A `node_id` preference: every agent apart.
        req.tasks[0].ports.clear();
        req.tasks[0].preferences = vec![crate::model::PreferenceSpec {
            constraint: crate::model::ConstraintSpec::text("node_id LIKE n1"),
            weight: 1,
        }];
        assert_eq!(statics(&req), [0, 1, 2, 3]);
    }

    #[test]
    fn agents_alike_apart_in_the_request_share_a_class_with_or_without_a_shape() {
        // Racks interleaved (an agent is never like its predecessor), agents with a
        // reservation by a principal (no shape: compared field by field) among them, twins
        // far apart.
        let mut offers = Vec::new();
        for i in 0..24 {
            let res = match i % 4 {
                3 => "cpus(web):4;mem:1024",
                _ => "cpus:4;mem:1024",
            };
            let mut o = offer(&format!("o{i}"), &format!("a{i}"), res, &format!("rack:r{};node_id:n{i}", i % 3));
            let mut resources = crate::model::Resources::new();
            for r in o.resources.iter() {
                let mut r = r.clone();
                for v in r.reservations.iter_mut() {
                    v.principal = Some("ops".into());
                }
                resources.push(r);
            }
            o.resources = resources;
            offers.push(o);
        }
        let req = PlaceRequest { offers, tasks: vec![task("t", 1, 1, &["rack GROUP_BY"])], ..PlaceRequest::default() };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        for a in &ctx.agents {
            for b in &ctx.agents {
                assert_eq!(a.static_class == b.static_class, ctx.static_eq(a, b), "{} and {}", a.id, b.id);
            }
        }
        // rack × reserved or not: 3 × 2 static classes, numbered in the order agents first show them.
        assert_eq!(ctx.statics.len(), 6);
        let statics: Vec<u32> = ctx.agents.iter().take(12).map(|a| a.static_class).collect();
        assert_eq!(statics, [0, 1, 2, 3, 1, 2, 0, 4, 2, 0, 1, 5]);
        assert!(ctx.statics.iter().any(|s| s.shape.is_empty()) && ctx.statics.iter().any(|s| !s.shape.is_empty()));
    }

    #[test]
    fn each_agent_of_a_shared_class_answers_with_its_own_offers() {
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:4;mem:1024;ports:[1000-2000]", "node_id:n1"),
                offer("o2", "a2", "cpus:4;mem:1024;ports:[3000-3001,4000-4999]", "node_id:n2"),
                offer("o3", "a3", "cpus:4;mem:1024;ports:[5000-5001]", "node_id:n3"),
            ],
            // Three tasks of 3 cpus: one per agent; a fourth that fits nowhere.
            tasks: vec![task("t1", 3, 1, &[]), task("t2", 3, 1, &[]), task("t3", 3, 1, &[]), task("t4", 3, 1, &[])],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        assert_eq!(prepared(&opts, &resolved, &req).statics.len(), 1);
        let plan = super::super::batch::run_held(&opts, &resolved, (&req).into(), None, false, None).unwrap();
        let left: Vec<(&str, String)> = plan.accept.iter().map(|a| (a.agent_id, a.remaining.to_string())).collect();
        assert_eq!(
            left,
            [
                ("a1", "cpus:1; mem:1023; ports:[1000-2000]".to_owned()),
                ("a2", "cpus:1; mem:1023; ports:[3000-3001, 4000-4999]".to_owned()),
                ("a3", "cpus:1; mem:1023; ports:[5000-5001]".to_owned()),
            ]
        );
        let why = &plan.unplaced[0];
        assert_eq!((why.task_id, why.nearest.as_ref().map(|n| n.agent_id)), ("t4", Some("a1")));
        assert_eq!(why.reasons.iter().map(|r| r.offers).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn an_agents_offers_are_pooled() {
        let req = request();
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        let a5 = &ctx.agents[4];
        assert_eq!((a5.id, a5.offers.as_slice()), ("a5", &[4u32, 5][..]));
        // cpus 4 + 1 and mem 1024, in thousandths.
        assert_eq!(ctx.statics[a5.static_class as usize].offered, (5000, 1_024_000));
        assert_eq!(ctx.offer_agent, [0, 1, 2, 3, 4, 4, 5]);
    }

    #[test]
    fn mesos_actor_keeps_one_agent_per_offer() {
        let req = request();
        let opts = Options { profile: Profile::MesosActor, ..Options::default() };
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = Ctx::new(&opts, &resolved, &req);
        pool_agents(&mut ctx).unwrap();
        assert_eq!(ctx.agents.len(), 7);
    }

    #[test]
    fn duplicate_offer_ids_are_refused() {
        let mut req = request();
        req.offers[3].id = "o1".into();
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let mut ctx = Ctx::new(&opts, &resolved, &req);
        let e = pool_agents(&mut ctx).unwrap_err();
        assert_eq!((e.path.as_str(), e.error.code()), ("/offers/3/id", "place.duplicate_offer"));
    }
}
