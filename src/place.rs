//! The batch loop: agents pooled from offers, grouped into classes of identical agents,
//! tasks placed one by one (gangs all or none) on the best-scoring feasible agent, with the
//! ledger of what is taken and the constraint counters updated as it goes.
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
//! **Task order** (documented, deterministic): under the `offerfit` profile, biggest first —
//! by gpus, then cpus, then mem, then disk, descending (first-fit decreasing packs better) —
//! ties in request order; a gang moves as one unit, ranked by its biggest member. Under the
//! `marathon` and `mesos-actor` profiles, request order (a gang at its first member).

use std::hash::{Hash, Hasher};

use smallvec::SmallVec;

use crate::constraint::{Dialect, Field};
use crate::decision::{AgentAccept, Decline, DeclineReason, Launch, Plan, Stats, Unplaced};
use crate::engine::{Options, PlaceError, PlaceRequest, Profile, Resolved};
use crate::error::Error;
use crate::fit::{self, reason, AgentView, Amount, DiskKind, Entry, ExecNeed, FitOut, Fitter, Need, VolNeed, NONE};
use crate::hash::{load_short, str_eq, Fx, FxMap, FxSet};
use crate::model::{
    Attributes, DiskSourceType, GpuScheduling, Ranges, Resource, ResourceValue, Resources, Scalar, Value,
};
use crate::rules::{Candidate, DiskRules, Groups, Rules};

/// A set of strings held elsewhere, by index (open addressing, linear probing, never more
/// than half full): the offer-id and agent tables of a call, one hash and mostly one slot
/// read per string.
struct StrIndex {
    /// `index + 1` of the string in the slot, 0 for none.
    slots: Vec<u32>,
    mask: usize,
    /// The hash's top bits pick the slot (FxHash ends with a multiply: its high bits mix
    /// every byte, so no finalizer is needed).
    shift: u32,
}

impl StrIndex {
    fn with_capacity(n: usize) -> StrIndex {
        // At most half full: inserts (nearly every lookup here) probe far more often above.
        let size = n.saturating_mul(2).max(8).next_power_of_two();
        StrIndex { slots: vec![0; size], mask: size - 1, shift: 64 - size.trailing_zeros() }
    }

    /// The index of the string equal to `key` (`key_of` gives each held index's string), or
    /// `None` after inserting `new` for it.
    #[inline]
    fn get_or_insert<'s>(&mut self, key: &str, new: u32, key_of: impl Fn(u32) -> &'s str) -> Option<u32> {
        let mut h = Fx::default();
        h.write(key.as_bytes());
        let mut i = (h.state() >> self.shift) as usize & self.mask;
        loop {
            match self.slots.get_mut(i) {
                Some(slot) if *slot == 0 => {
                    *slot = new + 1;
                    return None;
                }
                Some(slot) => {
                    let held = *slot - 1;
                    if str_eq(key_of(held), key) {
                        return Some(held);
                    }
                }
                None => return None,
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// Strings to dense ids.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    map: FxMap<String, u32>,
    pub names: Vec<String>,
}

impl Interner {
    pub(crate) fn with(fixed: &[&str]) -> Interner {
        let mut i = Interner::default();
        for f in fixed {
            i.id(f);
        }
        i
    }

    pub(crate) fn id(&mut self, s: &str) -> u32 {
        if let Some(v) = self.map.get(s) {
            return *v;
        }
        let v = self.names.len() as u32;
        self.map.insert(s.to_owned(), v);
        self.names.push(s.to_owned());
        v
    }

    pub(crate) fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

pub(crate) struct Agent<'r> {
    pub id: &'r str,
    pub hostname: &'r str,
    pub offers: SmallVec<[u32; 2]>,
    pub s: u32,
    pub c: u32,
}

pub(crate) struct Static<'r> {
    pub rep: u32,
    pub attributes: &'r Attributes,
    pub region: Option<&'r str>,
    pub zone: Option<&'r str>,
    pub blacklist: Ranges,
    pub pool: Vec<Entry>,
    pub offered: (i64, i64),
    pub has_gpus: bool,
    pub pids: SmallVec<[u32; 2]>,
    pub maintenance: bool,
    pub foreign: bool,
    pub execs: SmallVec<[u32; 2]>,
    pub init_class: u32,
    /// The representative's shape ([`walk_shape`]); empty when it has none.
    shape: Vec<u64>,
}

/// The agents of a class, ascending. Agents mostly leave a class from the front (the first
/// member is the one picked), so removal there is O(1); the vector is never re-sorted.
#[derive(Debug, Default, Clone)]
pub(crate) struct Members {
    list: Vec<u32>,
    start: usize,
}

impl Members {
    pub(crate) fn first(&self) -> Option<&u32> {
        self.list.get(self.start)
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, u32> {
        self.list.get(self.start..).unwrap_or(&[]).iter()
    }

    #[inline(always)]
    pub(crate) fn insert(&mut self, agent: u32) {
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

    pub(crate) fn remove(&mut self, agent: u32) {
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

impl<'a> IntoIterator for &'a Members {
    type Item = &'a u32;
    type IntoIter = std::slice::Iter<'a, u32>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The per-class numbers the scan reads for every task, flat: available cpus / mem, and the
/// last strategy score computed with the amounts added it was for (consecutive tasks are
/// often of one size, and a class's used amounts never change).
pub(crate) struct ScanRow {
    avail: (i64, i64),
    /// The class's static class, and its first member (`u32::MAX` when it has none), kept
    /// here so that the scan reads the class itself only for the classes that pass.
    s: u32,
    first: u32,
    score: std::cell::Cell<((i64, i64), i64)>,
    /// The [`TaskPlan::need_id`] whose fit last failed on the class (`u32::MAX`: none). A
    /// class's pool never changes, so the same needs fail again.
    failed: std::cell::Cell<u32>,
}

pub(crate) struct Class {
    pub s: u32,
    pub pool: Vec<Entry>,
    pub used: (i64, i64),
    pub execs: SmallVec<[u32; 2]>,
    pub members: Members,
    pub offers: usize,
}

/// A compiled task.
pub(crate) struct TaskPlan {
    pub index: usize,
    pub need: Need,
    pub rules: Rules,
    pub group: u32,
    pub gpu_restricted: bool,
    pub gang: Option<u32>,
    /// Runs of tasks in a row with equal needs (fixed host ports, no volumes) share this id,
    /// `u32::MAX` for the others: whether a class fits depends only on its pool and the needs.
    pub need_id: u32,
}

/// One placement of the batch.
pub(crate) struct Placement {
    pub task: usize,
    pub agent: u32,
    pub fit: FitOut,
    pub score: i64,
}

pub(crate) struct Ctx<'r, 'o> {
    pub req: &'r PlaceRequest,
    pub opts: &'o Options,
    pub r: &'o Resolved,
    pub agents: Vec<Agent<'r>>,
    pub statics: Vec<Static<'r>>,
    pub classes: Vec<Class>,
    class_index: FxMap<u64, SmallVec<[u32; 1]>>,
    /// The classes that have members, as a bitset over class ids: the scan walks these
    /// (ascending, as over every class) and skips the many emptied ones.
    live: Vec<u64>,
    // Flat per-class numbers for the scan.
    avail: Vec<ScanRow>,
    /// The live classes that can take `order_add` (no executor), by strategy score for it,
    /// best last, ties by class id (descending: the scan walks it from the end); kept up to
    /// date once built. `last_add`: the previous task's.
    order: Vec<(std::cmp::Reverse<i64>, u32)>,
    order_add: Option<(i64, i64)>,
    last_add: Option<(i64, i64)>,
    /// One more than the highest rules id of the tasks (0 when none has one).
    rule_ids: usize,
    /// A placement's new pool, kept for the next one when its class already exists.
    pool_buf: Vec<Entry>,
    pub roles: Interner,
    pub names: Interner,
    pub ids: Interner,
    pub fitter: Fitter,
    pub groups: Groups<'r>,
    pub tasks: Vec<TaskPlan>,
    pub placements: Vec<Placement>,
    /// Per task: placement index.
    pub placed: Vec<Option<usize>>,
    /// Per task: the gang member that could not be placed (for the others of its gang).
    pub gang_failed: Vec<Option<usize>>,
    /// Explanations made when a task could not be placed, against the state of that moment
    /// (inside a gang's attempt: with what its earlier members had taken): (task, why).
    pub explained: Vec<(usize, Unplaced<'r>)>,
    empty_ranges: Ranges,
    /// Per offer: its agent.
    offer_agent: Vec<u32>,
    /// Per agent: its hostname's value id in [`Ctx::groups`] (empty when no group counts
    /// hostnames).
    host_ids: Vec<u32>,
    /// Per static class, the value ids its agents show for each of
    /// [`Groups::counted_fields`] (empty when no group counts a field).
    static_ids: Vec<Option<u32>>,
}

fn hash_value(h: &mut Fx, v: &Value) {
    match v {
        Value::Scalar(s) => {
            h.write_u8(0);
            Scalar::from_f64(*s).map_or(i64::MIN, Scalar::millis).hash(h);
        }
        Value::Ranges(r) => {
            h.write_u8(1);
            for x in r.iter() {
                h.write_u64(x.begin);
                h.write_u64(x.end);
            }
        }
        Value::Set(s) => {
            h.write_u8(2);
            s.hash(h);
        }
        Value::Text(t) => {
            h.write_u8(3);
            t.hash(h);
        }
    }
}

/// One resource of two offers compared for static classes: the fields every resource has
/// first, the optional ones (reservations, disk, allocation and provider ids) only when set.
#[inline(always)]
fn resource_eq(x: &Resource, y: &Resource) -> bool {
    if x.shared != y.shared || x.revocable != y.revocable {
        return false;
    }
    let same_value = match (&x.value, &y.value) {
        (ResourceValue::Scalar(p), ResourceValue::Scalar(q)) => p == q,
        (ResourceValue::Ranges(p), ResourceValue::Ranges(q)) => {
            let (p, q) = (p.as_slice(), q.as_slice());
            match (p, q) {
                ([u], [v]) => u.begin == v.begin && u.end == v.end,
                _ => p == q,
            }
        }
        (p, q) => p == q,
    };
    if !same_value || !str_eq(&x.name, &y.name) {
        return false;
    }
    let plain = |r: &Resource| {
        r.reservations.is_empty() && r.disk.is_none() && r.allocation_role.is_none() && r.provider_id.is_none()
    };
    (plain(x) && plain(y))
        || (x.reservations == y.reservations
            && x.disk == y.disk
            && x.allocation_role == y.allocation_role
            && x.provider_id == y.provider_id)
}

#[inline]
fn opt_str_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => str_eq(a, b),
        _ => false,
    }
}

fn attrs_eq(a: &Attributes, b: &Attributes) -> bool {
    a.0.len() == b.0.len()
        && a.0.iter().zip(b.0.iter()).all(|(x, y)| {
            str_eq(&x.name, &y.name)
                && match (&x.value, &y.value) {
                    (Value::Text(p), Value::Text(q)) => str_eq(p, q),
                    (p, q) => p == q,
                }
        })
}

/// `a == b` for resource lists, with the common case (unreserved, no disk, no flags) first:
/// this runs once per agent, so it is worth avoiding the derived comparison's calls.
#[inline]
fn resources_eq(a: &[Resource], b: &[Resource]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i), b.get(i)) {
        if !resource_eq(x, y) {
            return false;
        }
        i += 1;
    }
    true
}

/// Receives the words of an agent's static *shape*: the fields [`Ctx::static_eq`] compares,
/// as plain words, for agents whose offers hold only plain resources (unreserved, no disk,
/// allocation or provider ids, scalar or ranges values), text attributes, and no allocation
/// role, executors or maintenance. Built once per static class ([`Build`]), then matched word
/// by word against each agent that may join it ([`Match`]), reading the agent's fields once.
trait ShapeSink {
    /// Takes the next word; false when it differs from the expected one.
    fn word(&mut self, w: u64) -> bool;
}

/// Writes a shape.
struct Build<'a>(&'a mut Vec<u64>);

impl ShapeSink for Build<'_> {
    #[inline(always)]
    fn word(&mut self, w: u64) -> bool {
        self.0.push(w);
        true
    }
}

/// Matches a shape.
struct Match<'a>(std::slice::Iter<'a, u64>);

impl ShapeSink for Match<'_> {
    #[inline(always)]
    fn word(&mut self, w: u64) -> bool {
        self.0.next() == Some(&w)
    }
}

/// The words of a string with a `tag` below 16: one word for up to 7 bytes (the bytes, and
/// the length and tag in the top byte, at most 0x7f), else a head word (top byte 0xff, the
/// tag), the length, and the bytes 8 at a time.
#[inline(always)]
fn str_words<S: ShapeSink>(s: &str, tag: u64, sink: &mut S) -> bool {
    let b = s.as_bytes();
    if b.len() <= 7 {
        return sink.word(load_short(b) | ((b.len() as u64) | (tag & 15) << 3) << 56);
    }
    sink.word(0xff << 56 | tag) && sink.word(b.len() as u64) && b.chunks(8).all(|c| sink.word(load_short(c)))
}

/// Walks the shape of an agent with offers `ids`: `None` when the agent has something a
/// shape does not hold (it is compared field by field instead), `Some(false)` at the first
/// word the sink refuses, `Some(true)` when every word was taken. Each part is checked for
/// being plain before any of its words is given, so a refused word means a field that
/// [`Ctx::static_eq`] compares differs (when the shape matched against is complete).
fn walk_shape<S: ShapeSink>(offers: &[crate::model::Offer], ids: &[u32], sink: &mut S) -> Option<bool> {
    macro_rules! put {
        ($e:expr) => {
            if !$e {
                return Some(false);
            }
        };
    }
    put!(sink.word(ids.len() as u64));
    let mut first = None;
    for &o in ids {
        let offer = offers.get(o as usize)?;
        first = first.or(Some(offer));
        if offer.allocation_role.is_some() || !offer.executor_ids.is_empty() || offer.unavailability.is_some() {
            return None;
        }
        let res = offer.resources.as_slice();
        put!(sink.word(res.len() as u64));
        for r in res {
            if !r.reservations.is_empty() || r.disk.is_some() || r.allocation_role.is_some() || r.provider_id.is_some()
            {
                return None;
            }
            let flags = u64::from(r.shared) | u64::from(r.revocable) << 1;
            match &r.value {
                ResourceValue::Scalar(v) => {
                    put!(str_words(&r.name, flags, sink));
                    put!(sink.word(v.millis() as u64));
                }
                ResourceValue::Ranges(x) => {
                    let x = x.as_slice();
                    put!(str_words(&r.name, flags | 4, sink));
                    put!(sink.word(x.len() as u64));
                    for g in x {
                        put!(sink.word(g.begin));
                        put!(sink.word(g.end));
                    }
                }
                ResourceValue::Set(_) => return None,
            }
        }
    }
    let first = first?;
    let attrs = &first.attributes.0;
    put!(sink.word(attrs.len() as u64));
    for a in attrs {
        let Value::Text(t) = &a.value else { return None };
        put!(str_words(&a.name, 0, sink));
        put!(str_words(t, 0, sink));
    }
    for part in [&first.region, &first.zone] {
        match part {
            None => put!(sink.word(u64::MAX)),
            Some(x) => put!(str_words(x, 0, sink)),
        }
    }
    Some(true)
}

fn alike(a: &Resource, b: &Resource) -> bool {
    a.name == b.name
        && a.value.value_type() == b.value.value_type()
        && a.reservations == b.reservations
        && a.disk == b.disk
        && a.shared == b.shared
        && a.revocable == b.revocable
        && a.allocation_role == b.allocation_role
        && a.provider_id == b.provider_id
}

const RESIDENT_LABELS: [&str; 2] = ["marathon_framework_id", "marathon_task_id"];

impl<'r> Ctx<'r, '_> {
    fn offer_allocation(&self, o: usize) -> Option<&'r str> {
        self.req.offers.get(o).and_then(|x| x.allocation_role.as_deref())
    }

    /// Builds the pool of an agent's offers: one entry per distinct resource, amounts merged.
    fn build_pool(&mut self, agent: usize) -> Vec<Entry> {
        let mut pool: Vec<Entry> = Vec::new();
        let offers: SmallVec<[u32; 2]> = self.agents.get(agent).map(|a| a.offers.clone()).unwrap_or_default();
        let req = self.req;
        for &o in &offers {
            let Some(offer) = req.offers.get(o as usize) else { continue };
            for (ri, res) in offer.resources.iter().enumerate() {
                if res.value.is_empty() {
                    continue;
                }
                let amount = match &res.value {
                    ResourceValue::Scalar(s) => Amount::Scalar(s.millis()),
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
                    let merged = pool.iter_mut().find(|e| {
                        !e.exclusive
                            && req
                                .offers
                                .get(e.src.0 as usize)
                                .and_then(|x| x.resources.as_slice().get(e.src.1 as usize))
                                .is_some_and(|other| alike(other, res))
                    });
                    if let Some(e) = merged {
                        match (&mut e.amount, &amount) {
                            (Amount::Scalar(a), Amount::Scalar(b)) => *a += b,
                            (Amount::Ranges(a), Amount::Ranges(b)) => *a = a.add(b),
                            _ => {}
                        }
                        continue;
                    }
                }
                let name = self.names.id(&res.name);
                let role = self.roles.id(res.role());
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
                    let source = self.ids.id(&format!(
                        "src:{}:{}",
                        kind as u8,
                        src.and_then(|s| s.root.as_deref()).unwrap_or("")
                    ));
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
                    src: (o, ri as u32),
                    amount,
                });
            }
        }
        pool
    }

    fn static_hash(&self, a: &Agent<'r>) -> u64 {
        let mut h = Fx::default();
        for &o in &a.offers {
            let Some(offer) = self.req.offers.get(o as usize) else { continue };
            offer.resources.as_slice().hash(&mut h);
            offer.allocation_role.hash(&mut h);
            offer.executor_ids.hash(&mut h);
            offer.unavailability.hash(&mut h);
        }
        if let Some(first) = a.offers.first().and_then(|o| self.req.offers.get(*o as usize)) {
            for at in first.attributes.iter() {
                at.name.hash(&mut h);
                hash_value(&mut h, &at.value);
            }
            first.region.hash(&mut h);
            first.zone.hash(&mut h);
        }
        if !self.opts.port_blacklist.is_empty() {
            self.opts.port_blacklist.get(a.hostname).hash(&mut h);
        }
        h.finish()
    }

    fn static_eq(&self, a: &Agent<'r>, b: &Agent<'r>) -> bool {
        let (ao, bo) = (a.offers.as_slice(), b.offers.as_slice());
        if ao.len() != bo.len() {
            return false;
        }
        let offers = self.req.offers.as_slice();
        let mut k = 0;
        while let (Some(&x), Some(&y)) = (ao.get(k), bo.get(k)) {
            k += 1;
            let (Some(x), Some(y)) = (offers.get(x as usize), offers.get(y as usize)) else { return false };
            if !resources_eq(x.resources.as_slice(), y.resources.as_slice())
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
        attrs_eq(&x.attributes, &y.attributes)
            && opt_str_eq(x.region.as_deref(), y.region.as_deref())
            && opt_str_eq(x.zone.as_deref(), y.zone.as_deref())
            && (self.opts.port_blacklist.is_empty()
                || self.opts.port_blacklist.get(a.hostname) == self.opts.port_blacklist.get(b.hostname))
    }

    /// Whether `agent` belongs to static class `s`, by the class's shape: `None` when either
    /// has none (then [`Ctx::static_eq`] decides), else exactly what [`Ctx::static_eq`] with
    /// the class's representative would answer.
    #[inline]
    fn shape_eq(&self, s: u32, agent: &Agent<'r>) -> Option<bool> {
        let shape = self.statics.get(s as usize).map(|st| st.shape.as_slice()).filter(|x| !x.is_empty())?;
        let mut m = Match(shape.iter());
        match walk_shape(&self.req.offers, &agent.offers, &mut m)? {
            false => Some(false),
            true if m.0.next().is_none() => Some(true),
            true => None,
        }
    }

    fn new_static(&mut self, agent: usize) -> u32 {
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
        let maintenance = match (unav, self.r.maintenance) {
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
        let empty: &'r Attributes = &EMPTY_ATTRS;
        let mut shape = Vec::new();
        if self.opts.port_blacklist.is_empty() {
            let ids = a.map_or(&[][..], |a| a.offers.as_slice());
            if walk_shape(&req.offers, ids, &mut Build(&mut shape)) != Some(true) {
                shape = Vec::new();
            }
        }
        let s = Static {
            rep: agent as u32,
            attributes: first.map_or(empty, |f| &f.attributes),
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
            shape,
        };
        self.statics.push(s);
        (self.statics.len() - 1) as u32
    }

    fn class_key(s: u32, pool: &[Entry], used: (i64, i64), execs: &[u32]) -> u64 {
        let mut h = Fx::default();
        h.write_u32(s);
        for e in pool {
            e.amount.hash(&mut h);
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
    fn find_or_create_class(
        &mut self,
        s: u32,
        pool: &mut Vec<Entry>,
        used: (i64, i64),
        execs: SmallVec<[u32; 2]>,
    ) -> u32 {
        let key = Ctx::class_key(s, pool, used, &execs);
        if let Some(list) = self.class_index.get(&key) {
            for &c in list {
                if let Some(cl) = self.classes.get(c as usize) {
                    if cl.s == s
                        && cl.used == used
                        && cl.execs == execs
                        && cl.pool.len() == pool.len()
                        && cl.pool.iter().zip(pool.iter()).all(|(a, b)| a.amount == b.amount)
                    {
                        return c;
                    }
                }
            }
        }
        let pool = std::mem::take(pool);
        let mut avail = (0, 0);
        for e in &pool {
            match e.name {
                fit::CPUS => avail.0 += e.scalar(),
                fit::MEM => avail.1 += e.scalar(),
                _ => {}
            }
        }
        let c = self.classes.len() as u32;
        self.classes.push(Class { s, pool, used, execs, members: Members::default(), offers: 0 });
        self.avail.push(ScanRow {
            avail,
            s,
            first: u32::MAX,
            score: std::cell::Cell::new(((i64::MIN, i64::MIN), 0)),
            failed: std::cell::Cell::new(u32::MAX),
        });
        if self.live.len() * 64 < self.classes.len() {
            self.live.push(0);
        }
        self.class_index.entry(key).or_default().push(c);
        c
    }

    fn move_agent(&mut self, agent: u32, to: u32) {
        let Some(a) = self.agents.get_mut(agent as usize) else { return };
        let from = a.c;
        let n = a.offers.len();
        a.c = to;
        if let Some(cl) = self.classes.get_mut(from as usize) {
            cl.members.remove(agent);
            cl.offers -= n;
        }
        self.refresh(from);
        if let Some(cl) = self.classes.get_mut(to as usize) {
            cl.members.insert(agent);
            cl.offers += n;
        }
        self.refresh(to);
    }

    /// The strategy score of class `c` for a task adding `add`.
    fn class_score(&self, c: u32, add: (i64, i64)) -> i64 {
        let Some(cl) = self.classes.get(c as usize) else { return 0 };
        let offered = self.statics.get(cl.s as usize).map_or((0, 0), |s| s.offered);
        crate::score::strategy_score(self.r, offered, cl.used, add)
    }

    /// Whether class `c` has the cpus and mem to take `add` (fixed for a class: its used
    /// amounts never change).
    fn holds(&self, c: u32, add: (i64, i64)) -> bool {
        self.avail.get(c as usize).is_some_and(|row| row.avail.0 >= add.0 && row.avail.1 >= add.1)
    }

    /// Builds [`Ctx::order`] for tasks adding `add`: the live classes that can take it (the
    /// scan passes over the others without a look at anything else).
    fn build_order(&mut self, add: (i64, i64)) {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        for (word, &w) in self.live.iter().enumerate() {
            let mut bits = w;
            while bits != 0 {
                let c = (word * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                if self.holds(c, add) {
                    order.push((std::cmp::Reverse(self.class_score(c, add)), c));
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
    fn refresh(&mut self, c: u32) {
        let first = self.classes.get(c as usize).and_then(|cl| cl.members.first().copied());
        if let Some(row) = self.avail.get_mut(c as usize) {
            row.first = first.unwrap_or(u32::MAX);
        }
        let on = first.is_some();
        let was = self.live.get(c as usize / 64).is_some_and(|w| w & (1u64 << (c % 64)) != 0);
        if let Some(add) = self.order_add.filter(|add| was != on && self.holds(c, *add)) {
            // The scan's score for these amounts when it has one (the same number).
            let cached = self.avail.get(c as usize).map(|row| row.score.get()).filter(|(a, _)| *a == add);
            let key = (std::cmp::Reverse(cached.map_or_else(|| self.class_score(c, add), |(_, sc)| sc)), c);
            match self.order.binary_search_by(|x| key.cmp(x)) {
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

    pub(crate) fn candidate(&self, agent: u32) -> Candidate<'r> {
        let a = self.agents.get(agent as usize);
        let s = a.and_then(|a| self.statics.get(a.s as usize));
        Candidate {
            hostname: a.map_or("", |a| a.hostname),
            attributes: s.map_or(&EMPTY_ATTRS, |s| s.attributes),
            region: s.and_then(|s| s.region),
            zone: s.and_then(|s| s.zone),
        }
    }

    /// Reasons that hold for every agent of static class `s` (and, when the task's rules do
    /// not read the hostname, its constraints).
    pub(crate) fn static_reasons(&self, fitter: &Fitter, s: u32, t: &TaskPlan, all: bool) -> u32 {
        self.static_reasons_with(fitter, s, t, all, None, true)
    }

    /// [`Ctx::static_reasons`], with the values the task's rules read from the class (and
    /// whether its constraints that count no placements hold) kept in `cache` across tasks
    /// with the same rules. Without `dynamic` (and with `cache` and rules of an id), the
    /// constraints that count the group's placements are left out.
    fn static_reasons_with(
        &self,
        fitter: &Fitter,
        s: u32,
        t: &TaskPlan,
        all: bool,
        cache: Option<&mut RuleCache<'r>>,
        dynamic: bool,
    ) -> u32 {
        let Some(st) = self.statics.get(s as usize) else { return reason::ROLE };
        let mut bits = 0;
        let marathon = self.r.profile == Profile::Marathon;
        if !fitter.any_eligible(&st.pool, &t.need) {
            bits |= reason::ROLE;
            if !all {
                return bits;
            }
        }
        if st.maintenance {
            bits |= reason::MAINTENANCE | if marathon { reason::CONSTRAINT } else { 0 };
            if !all {
                return bits;
            }
        }
        if st.foreign && !t.rules.names_region {
            bits |= reason::REGION;
            if !all {
                return bits;
            }
        }
        if t.rules.has_hard() && !t.rules.per_agent {
            let ok = match cache {
                Some(cache) if t.rules.id != Rules::NO_ID => {
                    let (static_ok, _, values) = cache.get_or_insert_with(t.rules.id, s, || {
                        rule_entry(&t.rules, &self.candidate(st.rep), &self.groups)
                    });
                    *static_ok && (!dynamic || t.rules.dynamic_ok(values, &self.groups, t.group))
                }
                _ => t.rules.check(&self.candidate(st.rep), &self.groups, t.group),
            };
            if !ok {
                bits |= reason::CONSTRAINT;
                if !all {
                    return bits;
                }
            }
        }
        let carries_volume = t.need.volumes.iter().any(|v| v.pid_offered && st.pids.contains(&v.pid));
        if t.need.volumes.iter().any(|v| v.pid_offered && !st.pids.contains(&v.pid)) {
            bits |= reason::RESERVATION;
            if !all {
                return bits;
            }
        }
        if t.gpu_restricted && t.need.gpus == 0 && st.has_gpus && !carries_volume {
            bits |= reason::SCARCE;
        }
        bits
    }

    pub(crate) fn view(&self, c: u32, t: &TaskPlan) -> AgentView<'_> {
        let cl = self.classes.get(c as usize);
        let st = cl.and_then(|cl| self.statics.get(cl.s as usize));
        let has_exec = match (&t.need.executor, cl) {
            (Some(ex), Some(cl)) => cl.execs.contains(&ex.id),
            _ => false,
        };
        let mut seed = self.r.seed ^ (t.index as u64).wrapping_mul(0xA24B_AED4_963E_E407);
        AgentView {
            blacklist: st.map_or(&self.empty_ranges, |s| &s.blacklist),
            has_exec,
            seed: fit::splitmix(&mut seed),
        }
    }
}

/// Resources in the given order (like ones merged).
pub(crate) fn to_resources(list: Vec<Resource>) -> Resources {
    let mut out = Resources::new();
    for r in list {
        out.push(r);
    }
    out
}

static EMPTY_ATTRS: Attributes = Attributes(Vec::new());

fn millis(s: Scalar) -> i64 {
    s.millis()
}

fn ord_key(t: &crate::model::TaskRequest) -> (i64, i64, i64, i64) {
    (millis(t.gpus), millis(t.cpus), millis(t.mem), millis(t.disk))
}

/// `/tasks/{i}`, formatted only when an error needs it.
struct TaskPath(usize);

impl std::fmt::Display for TaskPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/tasks/{}", self.0)
    }
}

/// Compiles every task; checks ids.
/// Whether two needs without volumes are equal (for [`TaskPlan::need_id`]).
fn same_need(a: &Need, b: &Need) -> bool {
    let exec = |n: &Need| n.executor.map(|e| (e.id, e.cpus, e.mem, e.disk));
    a.volumes.is_empty()
        && b.volumes.is_empty()
        && (a.cpus, a.mem, a.gpus, a.alloc_role, a.reserve_role)
            == (b.cpus, b.mem, b.gpus, b.alloc_role, b.reserve_role)
        && a.scalars == b.scalars
        && a.ports == b.ports
        && a.roles == b.roles
        && exec(a) == exec(b)
}

/// Whether two tasks read the same parts of their needs in the static reasons (for
/// [`ScanCache::fixed`], kept per rules id): roles, allocation role and GPUs, no volumes, and
/// the same GPU rule.
fn same_fixed(a: &TaskPlan, b: &TaskPlan) -> bool {
    a.need.volumes.is_empty()
        && b.need.volumes.is_empty()
        && (a.need.alloc_role, a.need.gpus, a.gpu_restricted) == (b.need.alloc_role, b.need.gpus, b.gpu_restricted)
        && a.need.roles == b.need.roles
}

fn compile_tasks(ctx: &mut Ctx<'_, '_>) -> Result<(), PlaceError> {
    let req = ctx.req;
    let mut seen: FxSet<&str> = FxSet::default();
    let mut pid_offered: FxSet<&str> = FxSet::default();
    // Only tasks with persistent volumes ask (most calls have none: skip the walk).
    let wants_pids = req.tasks.iter().any(|t| t.volumes.iter().any(|v| v.persistence_id.is_some()));
    for o in req.offers.iter().filter(|_| wants_pids) {
        for r in o.resources.iter() {
            if let Some(p) = r.disk.as_ref().and_then(|d| d.persistence.as_ref()) {
                pid_offered.insert(p.id.as_str());
            }
        }
    }
    let default_role = ctx.opts.roles.first().map(String::as_str);
    let mut gangs = Interner::default();
    let mut rules_cache = crate::rules::RulesCache::default();
    let mut next_need_id = 0u32;
    for (i, t) in req.tasks.iter().enumerate() {
        let base = TaskPath(i);
        if !seen.insert(t.id.as_str()) {
            return Err(PlaceError::new(
                format!("{base}/id"),
                Error::invalid("place.duplicate_task", format!("expected unique task ids, found `{}` twice", t.id)),
            ));
        }
        if let Some(role) = &t.role {
            crate::engine::validate_role(role)
                .map_err(|m| PlaceError::invalid(format!("{base}/role"), "place.invalid_task", m))?;
        }
        let task_role = t.role.as_deref().or(default_role);
        let mut roles: SmallVec<[u32; 4]> = SmallVec::new();
        match &t.accepted_roles {
            Some(list) => {
                for (j, r) in list.iter().enumerate() {
                    crate::engine::validate_role(r).map_err(|m| {
                        PlaceError::invalid(format!("{base}/accepted_roles/{j}"), "place.invalid_task", m)
                    })?;
                    roles.push(ctx.roles.id(r));
                }
            }
            None => {
                roles.push(fit::STAR);
                match ctx.r.profile {
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
        let alloc_role = task_role.map_or(NONE, |r| ctx.roles.id(r));
        let mut need = Need { roles, alloc_role, reserve_role: alloc_role, ..Need::default() };
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
                need.fixed.insert(crate::model::Range { begin: *p, end: *p });
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
        let rules = rules_cache.compile(t, &base, &ctx.opts.limits)?;
        let group = ctx.groups.id(t.group_name(), t.instances);
        ctx.groups.track(group, &rules);
        let gpu_restricted = match t.gpu_scheduling {
            Some(g) => g == GpuScheduling::Restricted,
            None => ctx.r.gpu_restricted,
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

/// Gives every value an agent shows for a field some group counts its id before the batch:
/// values are then checked by id (read once per class, the hostname once per agent), and
/// a class's values read with ids stay valid while placements are recorded.
fn intern_values(ctx: &mut Ctx<'_, '_>) {
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

/// Units of placement (a task, or a gang's members) in the documented order.
fn task_order(ctx: &Ctx<'_, '_>) -> Vec<SmallVec<[usize; 1]>> {
    let req = ctx.req;
    let mut units: Vec<SmallVec<[usize; 1]>> = Vec::with_capacity(ctx.tasks.len());
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
    if ctx.r.profile == Profile::Offerfit {
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

struct Best {
    score: i64,
    agent: u32,
    class: u32,
}

/// How a task's scan runs: deferring the fit to the one class it picks, and visiting the
/// classes by score ([`Ctx::best_for`]).
#[derive(Clone, Copy)]
struct Scan {
    defer: bool,
    ordered: bool,
}

/// What a member must beat to be picked: its class's score against the best so far (under
/// first-fit, the lowest agent wins).
#[derive(Clone, Copy)]
struct Bound<'b> {
    score: i64,
    best: Option<&'b Best>,
    first_fit: bool,
}

/// Per (rules id, static class): whether the rules' constraints that count no placements
/// hold, and the values the rules read from the class. A dense table when rules × classes
/// is small (the common case), else a map.
#[derive(Default)]
pub(crate) struct RuleCache<'r> {
    statics: usize,
    dense: Vec<Option<RuleEntry<'r>>>,
    map: FxMap<u64, RuleEntry<'r>>,
}

/// Whether the constraints that count no placements hold (all of them; all but those on the
/// hostname), and the values read from the class's first agent.
type RuleEntry<'r> = (bool, bool, crate::constraint::FieldValues<'r>);

/// The [`RuleEntry`] of rules `rules` for a class's agent `cand`.
fn rule_entry<'r>(rules: &Rules, cand: &Candidate<'r>, groups: &Groups<'_>) -> RuleEntry<'r> {
    let values = rules.read(cand, groups);
    (rules.static_ok(&values), rules.static_ok_except_host(&values), values)
}

impl<'r> RuleCache<'r> {
    /// Dense entries allowed (about 64 bytes each).
    const DENSE_MAX: usize = 1 << 18;

    fn new(rules: usize, statics: usize) -> RuleCache<'r> {
        let n = rules.saturating_mul(statics);
        let dense = if n <= Self::DENSE_MAX { std::iter::repeat_with(|| None).take(n).collect() } else { Vec::new() };
        RuleCache { statics, dense, map: FxMap::default() }
    }

    fn get_or_insert_with(&mut self, id: u32, s: u32, f: impl FnOnce() -> RuleEntry<'r>) -> &RuleEntry<'r> {
        let i = (id as usize).saturating_mul(self.statics).saturating_add(s as usize);
        if self.dense.is_empty() {
            return self.map.entry((u64::from(id) << 32) | u64::from(s)).or_insert_with(f);
        }
        match self.dense.get_mut(i) {
            Some(slot) => slot.get_or_insert_with(f),
            None => self.map.entry((u64::from(id) << 32) | u64::from(s)).or_insert_with(f),
        }
    }
}

/// What the scan keeps between tasks.
struct ScanCache<'r> {
    /// Per static class: whether it has a static reason against the current task (`None` =
    /// not looked at yet).
    statics: Vec<Option<bool>>,
    /// Per (rules id, static class), the tasks without an id in the last row: whether the
    /// class passes the static reasons but those counting the group's placements (`None` =
    /// not looked at yet). Valid while tasks in a row read the same parts of their needs
    /// ([`same_fixed`]; `fixed_for` the last task); empty when too large.
    fixed: Vec<Option<bool>>,
    fixed_for: Option<usize>,
    rules: RuleCache<'r>,
}

impl<'r> Ctx<'r, '_> {
    /// The best agent for task `ti`, with the fit in `out`.
    fn best_for(
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
        let add = self.tasks.get(ti).map(|t| (t.need.cpus, t.need.mem));
        let scored = self.r.w_binpack != 0 || self.r.w_spread != 0;
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
                true => Some(b),
                false => self.best_with(&mut fitter, ti, out, scratch, cache, Scan { defer: false, ordered }),
            },
            other => other,
        };
        self.fitter = fitter;
        best
    }

    fn best_with(
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
        let first_fit = self.r.w_binpack == 0 && self.r.w_spread == 0;
        let exec = t.need.executor;
        let soft = t.rules.has_soft();
        let base = (t.need.cpus, t.need.mem);
        // The best (score, agent) so far as plain numbers, for the quick test below.
        let (mut best_score, mut best_agent) = (i64::MIN, u32::MAX);
        // Ascending class ids, skipping the classes without members.
        let mut word = 0usize;
        let mut bits = self.live.first().copied().unwrap_or(0);
        let mut next = 0usize;
        loop {
            let c = if ordered {
                match self.order.len().checked_sub(next + 1).and_then(|i| self.order.get(i)) {
                    Some(&(_, c)) => {
                        next += 1;
                        c
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
                c
            };
            let Some(row) = self.avail.get(c as usize) else { continue };
            let (first, s) = (row.first, row.s);
            if first == u32::MAX {
                continue;
            }
            // The filters below are pure, so their order changes nothing but their cost: the
            // cheap ones (amounts, score against the best so far) run before the static
            // reasons, which evaluate the task's constraints.
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
            let mut score = match row.score.get() {
                (a, sc) if a == add => sc,
                _ => {
                    let offered = self.statics.get(s as usize).map_or((0, 0), |s| s.offered);
                    let used = self.classes.get(c as usize).map_or((0, 0), |cl| cl.used);
                    let sc = crate::score::strategy_score(self.r, offered, used, add);
                    row.score.set((add, sc));
                    sc
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
            let Some(cl) = self.classes.get(c as usize) else { continue };
            if defer {
                let agent = if t.rules.per_agent {
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
            if t.need_id != u32::MAX && row.failed.get() == t.need_id {
                // Failed for these needs before: it would again.
                continue;
            }
            let view = self.view(c, t);
            let pool = &cl.pool;
            if fitter.fit(pool, &t.need, view, false, scratch) != 0 {
                row.failed.set(t.need_id);
                continue;
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
    fn scan_barred(&self, fitter: &Fitter, s: u32, t: &TaskPlan, cache: &mut ScanCache<'r>) -> bool {
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
        let rep = self.statics.get(s as usize).map_or(0, |st| st.rep);
        let (_, _, values) =
            cache.rules.get_or_insert_with(t.rules.id, s, || rule_entry(&t.rules, &self.candidate(rep), &self.groups));
        !t.rules.dynamic_ok(values, &self.groups, t.group)
    }

    /// The first member of class `cl` (no preferences; `first` its first member) that passes
    /// the task's rules and could beat the best so far with the class's score (`bound`).
    #[inline(never)]
    fn first_ok_member(
        &self,
        t: &TaskPlan,
        cl: &Class,
        first: u32,
        bound: Bound<'_>,
        rules: &mut RuleCache<'r>,
    ) -> Option<u32> {
        let Bound { score, best, first_fit } = bound;
        let entry = if t.rules.has_hard() && t.rules.id != Rules::NO_ID {
            let rep = self.statics.get(cl.s as usize).map_or(first, |st| st.rep);
            Some(
                rules.get_or_insert_with(t.rules.id, cl.s, || rule_entry(&t.rules, &self.candidate(rep), &self.groups)),
            )
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
    fn member_passes(&self, t: &TaskPlan, m: u32, cand: &Candidate<'_>, entry: Option<&RuleEntry<'r>>) -> bool {
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
    /// task's rules) fits; the fit is left in `out`.
    fn verify(&self, fitter: &mut Fitter, ti: usize, b: &Best, out: &mut FitOut) -> bool {
        let (Some(t), Some(cl)) = (self.tasks.get(ti), self.classes.get(b.class as usize)) else { return false };
        let view = self.view(b.class, t);
        fitter.fit(&cl.pool, &t.need, view, false, out) == 0
    }

    fn place_task(&mut self, ti: usize, b: &Best, fit: &mut FitOut) -> usize {
        let Some(t) = self.tasks.get(ti) else { return 0 };
        let group = t.group;
        let exec = t.need.executor;
        let task_index = t.index;
        let mut pool = std::mem::take(&mut self.pool_buf);
        let (s, used, mut execs) = match self.classes.get(b.class as usize) {
            Some(cl) => {
                pool.clone_from(&cl.pool);
                (cl.s, cl.used, cl.execs.clone())
            }
            None => {
                self.pool_buf = pool;
                return 0;
            }
        };
        fit::apply(&mut pool, fit);
        let mut taken = (0, 0);
        for tk in fit.takes.iter().chain(fit.exec_takes.iter()) {
            if let (Some(e), fit::TakeWhat::Scalar(v)) = (pool.get(tk.entry as usize), &tk.what) {
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
        self.pool_buf = pool;
        self.move_agent(b.agent, to);
        let idx = self.placements.len();
        self.placements.push(Placement { task: task_index, agent: b.agent, fit: std::mem::take(fit), score: b.score });

        if self.groups.counts_any() {
            let cand = self.candidate(b.agent);
            let host = self.host_ids.get(b.agent as usize).copied();
            let n = self.groups.counted_fields().len();
            let ids = self.agents.get(b.agent as usize).and_then(|a| {
                let from = (a.s as usize).checked_mul(n)?;
                self.static_ids.get(from..from.checked_add(n)?)
            });
            self.groups.record_on(group, &cand, host, ids);
        } else {
            self.groups.record_placed(group);
        }
        if let Some(p) = self.placed.get_mut(ti) {
            *p = Some(idx);
        }
        idx
    }

    /// Undoes the latest placement (gang roll-back; the group counters are restored apart).
    fn unplace_last(&mut self, from_class: u32) {
        let Some(p) = self.placements.pop() else { return };
        self.move_agent(p.agent, from_class);
        if let Some(x) = self.placed.get_mut(p.task) {
            *x = None;
        }
    }
}

/// Runs the batch.
pub(crate) fn run<'r>(opts: &Options, r: &Resolved, req: &'r PlaceRequest) -> Result<Plan<'r>, PlaceError> {
    let mut ctx = Ctx {
        req,
        opts,
        r,
        agents: Vec::with_capacity(req.offers.len()),
        statics: Vec::new(),
        classes: Vec::new(),
        class_index: FxMap::default(),
        live: Vec::new(),
        avail: Vec::new(),
        order: Vec::new(),
        order_add: None,
        last_add: None,
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
        empty_ranges: Ranges::new(),
        offer_agent: Vec::with_capacity(req.offers.len()),
        host_ids: Vec::new(),
        static_ids: Vec::new(),
    };
    // Offers: unique ids, pooled per agent (per offer under mesos-actor).
    let mut offer_ids = StrIndex::with_capacity(req.offers.len());
    let mut by_agent = StrIndex::with_capacity(req.offers.len());
    let offers = req.offers.as_slice();
    let actor = r.profile == Profile::MesosActor;
    let offer_id = |k: u32| offers.get(k as usize).map_or("", |o| o.id.as_str());
    // An agent's key: its first offer's id (one agent per offer) or its agent id.
    let agent_key =
        |k: u32| offers.get(k as usize).map_or("", |o| if actor { o.id.as_str() } else { o.agent_id.as_str() });
    for (i, o) in offers.iter().enumerate() {
        if offer_ids.get_or_insert(&o.id, i as u32, offer_id).is_some() {
            return Err(PlaceError::new(
                format!("/offers/{i}/id"),
                Error::invalid("place.duplicate_offer", format!("expected unique offer ids, found `{}` twice", o.id)),
            ));
        }
        // The table holds each agent's first offer; `offer_agent` maps it to the agent.
        match by_agent.get_or_insert(agent_key(i as u32), i as u32, agent_key) {
            Some(first) => {
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
                ctx.agents.push(Agent { id: o.agent_id.as_str(), hostname: o.hostname.as_str(), offers, s: 0, c: 0 });
            }
        }
    }
    compile_tasks(&mut ctx)?;
    ctx.groups.record_running(&req.running);
    if r.profile == Profile::MesosActor {
        return crate::explain::mesos_actor(ctx);
    }
    // Static classes: agents with identical offers share one.
    let mut static_index: FxMap<u64, SmallVec<[u32; 1]>> = FxMap::default();
    for ai in 0..ctx.agents.len() {
        let Some(agent) = ctx.agents.get(ai) else { continue };
        // Agents often come in runs of one shape: try the previous agent's class first.
        let prev = ai.checked_sub(1).and_then(|p| ctx.agents.get(p)).map(|p| p.s);
        let same_as_prev = prev.filter(|s| {
            ctx.shape_eq(*s, agent).unwrap_or_else(|| {
                let rep = ctx.statics.get(*s as usize).and_then(|st| ctx.agents.get(st.rep as usize));
                rep.is_some_and(|rep| ctx.static_eq(rep, agent))
            })
        });
        let h = if same_as_prev.is_some() { 0 } else { ctx.static_hash(agent) };
        let mut found = same_as_prev;
        if let Some(list) = found.map_or_else(|| static_index.get(&h), |_| None) {
            for &s in list {
                let same = ctx.shape_eq(s, agent).unwrap_or_else(|| {
                    let rep = ctx.statics.get(s as usize).and_then(|st| ctx.agents.get(st.rep as usize));
                    rep.is_some_and(|rep| ctx.static_eq(rep, agent))
                });
                if same {
                    found = Some(s);
                    break;
                }
            }
        }
        let s = match found {
            Some(s) => s,
            None => {
                let s = ctx.new_static(ai);
                static_index.entry(h).or_default().push(s);
                let (mut pool, execs) = match ctx.statics.get(s as usize) {
                    Some(st) => (st.pool.clone(), st.execs.clone()),
                    None => (Vec::new(), SmallVec::new()),
                };
                let c = ctx.find_or_create_class(s, &mut pool, (0, 0), execs);
                if let Some(st) = ctx.statics.get_mut(s as usize) {
                    st.init_class = c;
                }
                s
            }
        };
        let c = ctx.statics.get(s as usize).map_or(0, |st| st.init_class);
        if let Some(agent) = ctx.agents.get_mut(ai) {
            agent.s = s;
            agent.c = c;
            let n = agent.offers.len();
            if let Some(cl) = ctx.classes.get_mut(c as usize) {
                cl.members.insert(ai as u32);
                cl.offers += n;
            }
        }
    }
    // Scan rows and live bits once per class (nothing reads them while agents are sorted in).
    for c in 0..ctx.classes.len() as u32 {
        ctx.refresh(c);
    }
    intern_values(&mut ctx);
    // The batch.
    let units = task_order(&ctx);
    let mut out = FitOut::default();
    let mut scratch = FitOut::default();
    let rule_ids =
        ctx.tasks.iter().map(|t| t.rules.id).filter(|id| *id != Rules::NO_ID).max().map_or(0, |m| m as usize + 1);
    ctx.rule_ids = rule_ids;
    let fixed_len = (rule_ids + 1).saturating_mul(ctx.statics.len());
    let mut cache = ScanCache {
        statics: Vec::new(),
        fixed: if fixed_len <= 1 << 20 { vec![None; fixed_len] } else { Vec::new() },
        fixed_for: None,
        rules: RuleCache::new(rule_ids, ctx.statics.len()),
    };
    let task_pos: Vec<usize> = {
        let mut v = vec![0; req.tasks.len()];
        for (k, t) in ctx.tasks.iter().enumerate() {
            if let Some(x) = v.get_mut(t.index) {
                *x = k;
            }
        }
        v
    };
    for unit in units {
        let mut undo: Vec<u32> = Vec::new();
        let snapshot = if unit.len() > 1 {
            let groups: Vec<u32> = unit
                .iter()
                .filter_map(|ti| task_pos.get(*ti).and_then(|k| ctx.tasks.get(*k)).map(|t| t.group))
                .collect();
            Some(ctx.groups.snapshot(&groups))
        } else {
            None
        };
        let mut failed = None;
        for &ti in &unit {
            let k = task_pos.get(ti).copied().unwrap_or(0);
            match ctx.best_for(k, &mut out, &mut scratch, &mut cache) {
                Some(b) => {
                    let from = ctx.agents.get(b.agent as usize).map_or(0, |a| a.c);
                    ctx.place_task(k, &b, &mut out);
                    undo.push(from);
                }
                None => {
                    // Explained now, before a gang's roll-back frees what its earlier members
                    // took and before later tasks change the constraint counters: the reasons
                    // are the ones that made this task fail.
                    if ctx.r.explain {
                        let why = crate::explain::explain_task(&mut ctx, k);
                        ctx.explained.push((ti, why));
                    }
                    failed = Some(ti);
                    break;
                }
            }
        }
        if let Some(f) = failed {
            if unit.len() > 1 {
                while let Some(from) = undo.pop() {
                    ctx.unplace_last(from);
                }
                if let Some(snap) = snapshot {
                    ctx.groups.restore(snap);
                }
                for &ti in &unit {
                    if ti != f {
                        if let Some(g) = ctx.gang_failed.get_mut(ti) {
                            *g = Some(f);
                        }
                    }
                }
            }
        }
    }
    Ok(crate::explain::finish(ctx))
}

/// Output helpers shared by the explain/decision stage.
impl<'r> Ctx<'r, '_> {
    /// The resource an entry came from, with a new amount.
    pub(crate) fn resource_with(&self, e: &Entry, value: ResourceValue) -> Option<Resource> {
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
    pub(crate) fn pool_resources(&self, pool: &[Entry]) -> Resources {
        let mut out = Resources::new();
        for e in pool {
            if e.is_empty() {
                continue;
            }
            let v = match &e.amount {
                Amount::Scalar(v) => ResourceValue::Scalar(Scalar::from_millis(*v)),
                Amount::Ranges(r) => ResourceValue::Ranges(r.clone()),
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
        out
    }

    /// Builds the plan's accepts and declines from the placements.
    pub(crate) fn accepts_and_declines(&self) -> (Vec<AgentAccept<'r>>, Vec<Decline<'r>>) {
        // Agents in the order of their first placement (`slot[agent]` = rank + 1, 0 = unused),
        // placements grouped per rank by a counting sort.
        let mut order: Vec<u32> = Vec::new();
        let mut slot = vec![0u32; self.agents.len()];
        let mut rank_of: Vec<u32> = Vec::with_capacity(self.placements.len());
        for p in &self.placements {
            if let Some(x) = slot.get_mut(p.agent as usize) {
                if *x == 0 {
                    order.push(p.agent);
                    *x = order.len() as u32;
                }
                rank_of.push(*x - 1);
            }
        }
        let mut start = vec![0usize; order.len() + 1];
        for r in &rank_of {
            if let Some(x) = start.get_mut(*r as usize + 1) {
                *x += 1;
            }
        }
        for i in 1..start.len() {
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
            let mut acc = AgentAccept {
                agent_id: agent.id,
                hostname: agent.hostname,
                offer_ids: agent
                    .offers
                    .iter()
                    .filter_map(|o| self.req.offers.get(*o as usize).map(|x| x.id.as_str()))
                    .collect(),
                tasks: Vec::new(),
                remaining: self.classes.get(agent.c as usize).map(|c| self.pool_resources(&c.pool)).unwrap_or_default(),
                executors: Vec::new(),
            };
            let pool = self.classes.get(agent.c as usize).map(|c| c.pool.as_slice()).unwrap_or(&[]);
            let mine = match (start.get(rank), start.get(rank + 1)) {
                (Some(&b), Some(&e)) => grouped.get(b..e).unwrap_or(&[]),
                _ => &[],
            };
            acc.tasks.reserve_exact(mine.len());
            for &pi in mine {
                let Some(p) = self.placements.get(pi) else { continue };
                let launch = self.launch(p, pool);
                if let (Some(ex), Some(res)) =
                    (self.req.tasks.get(p.task).and_then(|t| t.executor.as_ref()), &launch.executor_resources)
                {
                    acc.executors.push((ex.id.as_str(), res.clone()));
                }
                acc.tasks.push(launch);
            }
            accepts.push(acc);
        }
        let mut declines = Vec::with_capacity(self.req.offers.len().saturating_sub(order.len()));
        for (oi, offer) in self.req.offers.iter().enumerate() {
            let ai = self.offer_agent.get(oi).copied().unwrap_or(0);
            if slot.get(ai as usize).copied().unwrap_or(0) != 0 {
                continue;
            }
            let maint = self
                .agents
                .get(ai as usize)
                .and_then(|a| self.statics.get(a.s as usize))
                .is_some_and(|s| s.maintenance);
            declines.push(Decline {
                offer_id: offer.id.as_str(),
                refuse_seconds: self.r.refuse_seconds,
                reason: if maint { DeclineReason::Maintenance } else { DeclineReason::Unused },
            });
        }
        (accepts, declines)
    }

    fn launch(&self, p: &Placement, pool: &[Entry]) -> Launch<'r> {
        let req = self.req;
        let t = req.tasks.get(p.task);
        // Pushed straight into the plan's `Resources` (merging like ones, as `to_resources`).
        let mut resources = Resources::new();
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
                    if let Some(r) = self.resource_with(e, ResourceValue::Ranges(r.clone())) {
                        resources.push(r);
                    }
                }
                fit::TakeWhat::Whole { vol } | fit::TakeWhat::Volume { vol, .. } => {
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
            ports: p.fit.ports.to_vec(),
            score: crate::score::score_value(p.score),
            executor_resources,
            task_index: p.task,
            creates,
        }
    }

    /// Stats of the call.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            offers: self.req.offers.len(),
            tasks: self.req.tasks.len(),
            placed: self.placements.len(),
            evaluations: self.fitter.evaluations,
        }
    }

    /// Tasks not placed, in request order.
    pub(crate) fn unplaced_tasks(&self) -> Vec<usize> {
        (0..self.req.tasks.len()).filter(|i| self.placed.get(*i).is_some_and(Option::is_none)).collect()
    }

    pub(crate) fn empty_unplaced(&self, i: usize) -> Unplaced<'r> {
        Unplaced { task_id: self.req.tasks.get(i).map_or("", |t| t.id.as_str()), reasons: Vec::new(), nearest: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attribute, Offer, Range, Reservation, Unavailability};

    fn res(name: &str, value: ResourceValue) -> Resource {
        Resource::new(name, value)
    }

    fn scalar(name: &str, millis: i64) -> Resource {
        res(name, ResourceValue::Scalar(Scalar::from_millis(millis)))
    }

    fn ports(list: &[(u64, u64)]) -> Resource {
        res("ports", ResourceValue::Ranges(Ranges::from_ranges(list.iter().map(|&(begin, end)| Range { begin, end }))))
    }

    /// Offers that differ from the first in one field each (and some that are equal to it).
    fn variants() -> Vec<Offer> {
        let base = || {
            let mut o = Offer::new("o", "a", "h");
            for r in [scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[(1, 10)])] {
                o.resources.push(r);
            }
            o
        };
        let mut out = vec![base(), base()];
        let with = |f: &dyn Fn(&mut Offer)| {
            let mut o = base();
            f(&mut o);
            o
        };
        out.push(with(&|o| o.resources = Resources::new()));
        out.push(with(&|o| o.resources.push(scalar("gpus", 1000))));
        out.push(with(&|o| o.resources.push(scalar("a_long_resource_name", 1000))));
        out.push(with(&|o| o.resources.push(scalar("a_long_resource_namf", 1000))));
        out.push(with(&|o| o.resources.push(scalar("ab", 1000))));
        out.push(with(&|o| o.resources.push(scalar("ab\0", 1000))));
        out.push(with(&|o| o.resources.push(scalar("", 1000))));
        out.push(with(&|o| o.resources.push(scalar("seven77", 1000))));
        out.push(with(&|o| o.resources.push(scalar("seven78", 1000))));
        out.push(with(&|o| o.resources.push(scalar("eight888", 1000))));
        out.push(with(&|o| o.resources.push(scalar("eight889", 1000))));
        out.push(with(&|o| {
            let mut r = scalar("cpus", 1000);
            r.reservations.push(Reservation::static_for("web"));
            o.resources.push(r);
        }));
        out.push(with(&|o| {
            let mut r = scalar("shared", 1000);
            r.shared = true;
            o.resources.push(r);
        }));
        out.push(with(&|o| {
            let mut r = scalar("revoc", 1000);
            r.revocable = true;
            o.resources.push(r);
        }));
        out.push(with(&|o| {
            let mut r = scalar("revoc", 1000);
            r.allocation_role = Some("x".into());
            o.resources.push(r);
        }));
        out.push(with(&|o| o.resources.push(ports(&[(20, 30), (40, 50)]))));
        out.push(with(&|o| o.resources.push(ports(&[(20, 30), (40, 51)]))));
        out.push(with(&|o| {
            o.resources.push(res("set", ResourceValue::Set(crate::model::Set::from_items(["a"]))));
        }));
        out.push(with(&|o| o.attributes = Attributes(vec![Attribute::new("rack", Value::Text("r1".into()))])));
        out.push(with(&|o| o.attributes = Attributes(vec![Attribute::new("rack", Value::Text("r2".into()))])));
        out.push(with(&|o| o.attributes = Attributes(vec![Attribute::new("rack", Value::Scalar(1.0))])));
        out.push(with(&|o| o.region = Some("eu".into())));
        out.push(with(&|o| o.region = Some("us".into())));
        out.push(with(&|o| o.zone = Some("eu".into())));
        out.push(with(&|o| o.allocation_role = Some("web".into())));
        out.push(with(&|o| o.executor_ids = vec!["e".into()]));
        out.push(with(&|o| o.unavailability = Some(Unavailability { start_ns: 1, duration_ns: None })));
        out
    }

    /// What [`Ctx::static_eq`] compares, by the derived comparisons.
    fn same(a: &Offer, b: &Offer) -> bool {
        a.resources.as_slice() == b.resources.as_slice()
            && a.allocation_role == b.allocation_role
            && a.executor_ids == b.executor_ids
            && a.unavailability == b.unavailability
            && a.attributes.0.len() == b.attributes.0.len()
            && a.attributes.0.iter().zip(&b.attributes.0).all(|(x, y)| x.name == y.name && x.value == y.value)
            && a.region == b.region
            && a.zone == b.zone
    }

    #[test]
    fn a_shape_match_answers_as_the_field_by_field_comparison() {
        let offers = variants();
        let mut decided = 0;
        for (i, a) in offers.iter().enumerate() {
            let mut shape = Vec::new();
            let built = walk_shape(std::slice::from_ref(a), &[0], &mut Build(&mut shape));
            for (j, b) in offers.iter().enumerate() {
                let mut m = Match(shape.iter());
                let found = match (built, walk_shape(std::slice::from_ref(b), &[0], &mut m)) {
                    (Some(true), Some(false)) => Some(false),
                    (Some(true), Some(true)) => m.0.next().is_none().then_some(true),
                    _ => None,
                };
                if let Some(f) = found {
                    decided += 1;
                    assert_eq!(f, same(a, b), "offers {i} and {j}");
                }
            }
        }
        // Most pairs are decided by their shapes (the plain variants).
        assert!(decided > 300, "{decided}");
    }

    #[test]
    fn the_string_index_finds_each_string_once() {
        let keys: Vec<String> = (0..1000).map(|i| format!("o-{}", i % 700)).collect();
        let mut index = StrIndex::with_capacity(keys.len());
        let key_of = |k: u32| keys.get(k as usize).map_or("", String::as_str);
        for (i, k) in keys.iter().enumerate() {
            let found = index.get_or_insert(k, i as u32, key_of);
            assert_eq!(found, if i < 700 { None } else { Some((i - 700) as u32) }, "{k}");
        }
    }
}
