//! Fit: can an agent host a task, and with exactly which resources and ports?
//!
//! An agent's offers are pooled into a list of [`Entry`]s (one per distinct resource: name,
//! reservation stack, disk info, flags) holding amounts in fixed point and port ranges
//! without ever expanding them. [`Fitter::fit`] decides for one task against one pool and
//! records what it would take ([`FitOut`]); applying that to the pool is [`apply`].
//!
//! Rules (Marathon's `ResourceMatcher`, SEMANTICS.md §2, unless the profile says otherwise):
//! - a resource is eligible when its role (the last reservation, or `*`) is one of the task's
//!   roles, and its `allocation_info.role`, if any, is the task's role;
//! - scalars are summed over eligible resources and may be split across them (offerfit takes
//!   reserved resources before unreserved ones; Marathon takes them in offer order);
//! - the scratch `disk` comes from the ROOT disk only;
//! - fixed host ports must be offered; dynamic ports (0) never take a port the task asks for
//!   explicitly nor a blacklisted one; `lowest` scans eligible ranges in order, `random` starts
//!   at a seeded random free port and walks forward with wrap-around — both in O(#ranges);
//! - volumes: ROOT / PATH (one source only) / MOUNT (taken whole, within `max_size`), storage
//!   profile and `require` checked on the disk; persistent volumes reused when offered.

use std::sync::Arc;

use smallvec::SmallVec;

use super::options::{PortSelection, Profile};
pub(crate) use super::portset::splitmix;
use super::portset::{runs_outside, PortSet};
use super::rules::DiskRules;
use crate::model::{DiskSourceType, Range, Ranges};

/// Interned name ids of the well-known resources.
pub(crate) const CPUS: u32 = 0;
pub(crate) const MEM: u32 = 1;
pub(crate) const DISK: u32 = 2;
pub(crate) const GPUS: u32 = 3;
pub(crate) const PORTS: u32 = 4;
/// No id (no allocation role, no persistence id, ...).
pub(crate) const NONE: u32 = u32::MAX;
/// The role id of `*`.
pub(crate) const STAR: u32 = 0;

/// Failure reasons as bits, in the order the checks run (see `decision::ReasonCode`).
pub(crate) mod reason {
    pub const ROLE: u32 = 1 << 0;
    pub const MAINTENANCE: u32 = 1 << 1;
    pub const REGION: u32 = 1 << 2;
    pub const CONSTRAINT: u32 = 1 << 3;
    pub const RESERVATION: u32 = 1 << 4;
    pub const SCARCE: u32 = 1 << 5;
    pub const CPUS: u32 = 1 << 6;
    pub const MEM: u32 = 1 << 7;
    pub const DISK: u32 = 1 << 8;
    pub const GPUS: u32 = 1 << 9;
    pub const SCALAR: u32 = 1 << 10;
    pub const VOLUME: u32 = 1 << 11;
    pub const PORTS: u32 = 1 << 12;
}

/// What kind of disk an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DiskKind {
    NotDisk,
    Root,
    Path,
    Mount,
    Unusable,
}

/// The amount an entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Amount {
    Scalar(i64),
    Ranges(Ranges),
    /// The ranges of a `ports` resource of many ranges ([`super::portset::PORTSET_MIN`]),
    /// persistent: copied in O(1), taken from in O(log n) per range taken.
    Ports(PortSet),
    Other,
}

impl Amount {
    /// Whether it holds port `p` (ranges only).
    pub(crate) fn has_port(&self, p: u64) -> bool {
        match self {
            Amount::Ranges(r) => r.contains_value(p),
            Amount::Ports(s) => s.contains_value(p),
            _ => false,
        }
    }

    /// The ports it holds (saturating; ranges only).
    pub(crate) fn port_count(&self) -> u64 {
        match self {
            Amount::Ranges(r) => r.value_count(),
            Amount::Ports(s) => s.value_count(),
            _ => 0,
        }
    }
}

/// One pooled resource of an agent.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: u32,
    /// The resource's role (last reservation, or `*` = [`STAR`]).
    pub role: u32,
    /// `allocation_info.role`, or [`NONE`].
    pub alloc: u32,
    pub disk: DiskKind,
    /// Persistence id of a persistent volume, or [`NONE`].
    pub pid: u32,
    /// Carries `disk.volume` (a volume, not free disk).
    pub has_volume: bool,
    /// Disk source (root path) id for grouping PATH disks, or [`NONE`].
    pub source: u32,
    /// Storage profile id, or [`NONE`].
    pub profile: u32,
    /// Index of the disk's capabilities (for `require`), or [`NONE`].
    pub caps: u32,
    /// Carries Marathon's resident-task reservation labels.
    pub resident_label: bool,
    /// Taken only whole (MOUNT disks, persistent volumes, shared resources).
    pub exclusive: bool,
    /// Revocable (`revocable` set): only for tasks that allow it.
    pub revocable: bool,
    /// SHARED (`shared` set): used by a task, never consumed ([`TakeWhat::Shared`]).
    pub shared: bool,
    /// Which offer and resource it came from (metadata for output).
    pub src: (u32, u32),
    pub amount: Amount,
}

impl Entry {
    pub(crate) fn scalar(&self) -> i64 {
        match self.amount {
            Amount::Scalar(v) => v,
            _ => 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match &self.amount {
            Amount::Scalar(v) => *v <= 0,
            Amount::Ranges(r) => r.is_empty(),
            Amount::Ports(s) => s.is_empty(),
            Amount::Other => false,
        }
    }
}

/// The scalar amount `a` holds (0 for ranges and sets).
pub(crate) fn scalar_of(a: &Amount) -> i64 {
    match a {
        Amount::Scalar(v) => *v,
        _ => 0,
    }
}

/// Whether amount `a` is used up (as [`Entry::is_empty`]).
pub(crate) fn empty_of(a: &Amount) -> bool {
    match a {
        Amount::Scalar(v) => *v <= 0,
        Amount::Ranges(r) => r.is_empty(),
        Amount::Ports(s) => s.is_empty(),
        Amount::Other => false,
    }
}

/// A pool as the fitter reads it: each entry's description and its amount now, and the
/// entries of one name. A flat pool (`[Entry]`, an agent's few resources) holds both in one
/// place and hands out every entry for any name (the fitter checks the name); a shared pool
/// (`super::pool::SharedPool`, an agent with many resources) keeps the description once per
/// static class and the amounts in a persistent tree, and hands out only the entries of the
/// name asked, so a fit costs what the task asks for, not the size of the agent.
pub(crate) trait PoolRead {
    /// Whether the fitter clears its scratch amounts entry by entry (the pool may be large)
    /// rather than all at once (a flat pool is small).
    const SPARSE: bool;
    /// The number of entries.
    fn len(&self) -> usize;
    /// Entry `i`: what it is and what it holds now.
    fn at(&self, i: usize) -> Option<(&Entry, &Amount)>;
    /// The entries named `name`, ascending (a flat pool: every entry), with their amounts.
    fn named(&self, name: u32) -> impl Iterator<Item = (usize, &Entry, &Amount)>;
    /// The entries named `name` whose role is one of `roles` (distinct), ascending (a flat
    /// pool: every entry; the fitter checks name and role): a task that may use few of an
    /// agent's many reservations of a name reads only those (issue 20).
    fn named_in_roles(&self, name: u32, roles: &[u32]) -> impl Iterator<Item = (usize, &Entry, &Amount)>;
}

impl PoolRead for [Entry] {
    const SPARSE: bool = false;
    #[inline(always)]
    fn len(&self) -> usize {
        <[Entry]>::len(self)
    }
    #[inline(always)]
    fn at(&self, i: usize) -> Option<(&Entry, &Amount)> {
        self.get(i).map(|e| (e, &e.amount))
    }
    #[inline(always)]
    fn named(&self, _name: u32) -> impl Iterator<Item = (usize, &Entry, &Amount)> {
        self.iter().enumerate().map(|(i, e)| (i, e, &e.amount))
    }
    #[inline(always)]
    fn named_in_roles(&self, _name: u32, _roles: &[u32]) -> impl Iterator<Item = (usize, &Entry, &Amount)> {
        self.iter().enumerate().map(|(i, e)| (i, e, &e.amount))
    }
}

/// A volume a task needs, compiled.
#[derive(Debug, Clone)]
pub(crate) struct VolNeed {
    /// Index in the task's `volumes`.
    pub index: u16,
    pub size: i64,
    pub kind: DiskSourceType,
    pub profile: u32,
    pub max_size: Option<i64>,
    pub rules: DiskRules,
    /// Persistence id, or [`NONE`].
    pub pid: u32,
    /// Some offer in the request carries this persistent volume.
    pub pid_offered: bool,
}

/// An executor charged once per agent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExecNeed {
    pub id: u32,
    pub cpus: i64,
    pub mem: i64,
    pub disk: i64,
}

/// A task's needs, compiled once per `place` call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Need {
    /// (name, amount, elastic max) in check order: cpus, mem, disk, gpus, then named scalars.
    pub scalars: SmallVec<[(u32, i64, i64); 4]>,
    /// The requested host ports (0 = dynamic), in request order.
    pub ports: SmallVec<[u64; 4]>,
    /// The explicitly requested ports, as ranges.
    pub fixed: Ranges,
    pub fixed_count: usize,
    pub dynamic: usize,
    /// Volumes, biggest first.
    pub volumes: Vec<VolNeed>,
    /// Resource roles the task may consume.
    pub roles: SmallVec<[u32; 4]>,
    /// The role the task's resources are allocated to, or [`NONE`].
    pub alloc_role: u32,
    /// The role new reservations are made for, or [`NONE`].
    pub reserve_role: u32,
    pub executor: Option<ExecNeed>,
    /// The task may use revocable resources.
    pub revocable: bool,
    pub cpus: i64,
    pub mem: i64,
    pub gpus: i64,
}

impl Need {
    /// Whether a fit of `self` fails on every pool (and agent view) where a fit of `other`
    /// failed, neither having volumes: the same roles, allocation and reservation roles,
    /// revocable tier, executor and GPUs, and the same scalars in the same order with at
    /// least `other`'s amounts. With `ports` (the failure was of host ports) the host ports
    /// must be the same too, unless `other` asks for none; without, they may differ.
    ///
    /// Why it holds ([`Fitter::fit`]): the executor is charged first, alike for both; each
    /// scalar's shortfall depends on its own name's entries only (the eligible ones, the same
    /// for both, less what the executor took), so a larger amount falls short wherever a
    /// smaller one did; host ports are checked apart from the scalars, against the same pool
    /// and blacklist.
    pub(crate) fn covers(&self, other: &Need, ports: bool) -> bool {
        let exec = |n: &Need| n.executor.map(|e| (e.id, e.cpus, e.mem, e.disk));
        self.volumes.is_empty()
            && other.volumes.is_empty()
            && (self.alloc_role, self.reserve_role, self.revocable, self.gpus)
                == (other.alloc_role, other.reserve_role, other.revocable, other.gpus)
            && self.roles == other.roles
            && exec(self) == exec(other)
            && self.scalars.len() == other.scalars.len()
            && self.scalars.iter().zip(&other.scalars).all(|(a, b)| a.0 == b.0 && a.1 >= b.1)
            && (!ports || other.ports.is_empty() || self.ports == other.ports)
    }
}

/// What a task takes from one entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TakeWhat {
    Scalar(i64),
    Ports(PortTake),
    /// The whole entry (a MOUNT disk or an offered persistent volume); `vol` is the volume
    /// index of the task (or `u16::MAX`).
    Whole {
        vol: u16,
    },
    /// An offered SHARED persistent volume, used as the task's volume `vol` and left in the
    /// pool: Mesos lets several tasks use one shared resource (`Resource.shared`; a master
    /// adds it back to the offered pool for each further task of an `ACCEPT` that uses it,
    /// `Master::_accept`), so applying it takes nothing.
    Shared {
        vol: u16,
    },
    /// Part of a free disk, made into the task's volume `vol`.
    Volume {
        vol: u16,
        amount: i64,
    },
}

/// The ports a task takes from one entry: mostly one run (a task's ports are drawn lowest
/// first), held inline; several runs out of line. Small, so that a [`Take`] is 32 bytes and a
/// [`FitOut`] (moved into every placement) about 500, not a [`Ranges`] of four inline runs
/// in every take. Canonical: `Many` holds at least two runs (equal takes compare equal).
/// `Many` is shared, never changed in place ([`PortTake::insert`] makes a new one): a fit kept
/// by the scan (`ScanCache::fits`) is copied into each placement it serves without allocating.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PortTake {
    One(Range),
    Many(Arc<Ranges>),
}

impl PortTake {
    /// The ports as ranges.
    pub(crate) fn to_ranges(&self) -> Ranges {
        match self {
            PortTake::One(r) => Ranges::from_ranges([*r]),
            PortTake::Many(r) => (**r).clone(),
        }
    }

    /// Adds the run `range`.
    fn insert(&mut self, range: Range) {
        let mut all = self.to_ranges();
        all.insert(range);
        *self = PortTake::from(all);
    }
}

impl From<Ranges> for PortTake {
    fn from(r: Ranges) -> PortTake {
        match r.as_slice() {
            [one] => PortTake::One(*one),
            _ => PortTake::Many(Arc::new(r)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Take {
    pub entry: u32,
    pub what: TakeWhat,
}

/// The takes of one fit ([`FitOut::takes`]).
pub(crate) type Takes = SmallVec<[Take; 6]>;

/// The result of one fit. Every placement of a batch keeps one ([`super::state::Placement`]),
/// moved in by [`super::state::Ctx::place_task`], so it is kept small: inline room for the
/// takes of a usual task (cpus, mem, disk, ports and a reserved share of a few of them) and of
/// an executor (cpus, mem, disk); the explain-only shortfalls out of line (a plain call never
/// fills them, so never allocates). A move of it is a `memory.copy` in WebAssembly (a call
/// into the runtime in wasmtime and V8), `memcpy` natively: 520 bytes on wasm32 before
/// (session 12, `wasm7`), 328 now.
#[derive(Debug, Clone, Default)]
pub(crate) struct FitOut {
    pub takes: Takes,
    pub exec_takes: SmallVec<[Take; 3]>,
    /// Host ports in request order.
    pub ports: SmallVec<[u64; 4]>,
    /// Failure reasons (0 = fits).
    pub reasons: u32,
    /// Shortfalls per scalar name (explain mode only).
    pub missing: Vec<(u32, i64)>,
    /// Charged the executor.
    pub exec_charged: bool,
}

impl FitOut {
    /// Moves this fit into `dst` (an empty one: a new placement's) and leaves this one empty,
    /// as `std::mem::take` would, element by element: a few takes and ports copied, not the
    /// whole struct through a temporary (two `memory.copy` calls into the runtime per
    /// placement in WebAssembly; a swap of the two is a 4-byte loop there).
    #[inline]
    pub(crate) fn move_into(&mut self, dst: &mut FitOut) {
        dst.takes.extend(self.takes.drain(..));
        dst.exec_takes.extend(self.exec_takes.drain(..));
        dst.ports.extend(self.ports.drain(..));
        dst.reasons = std::mem::take(&mut self.reasons);
        dst.missing = std::mem::take(&mut self.missing);
        dst.exec_charged = std::mem::take(&mut self.exec_charged);
    }

    #[inline(always)]
    fn clear(&mut self) {
        self.takes.clear();
        self.exec_takes.clear();
        self.ports.clear();
        self.reasons = 0;
        self.missing.clear();
        self.exec_charged = false;
    }
}

/// What the fitter knows about the agent besides its pool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AgentView<'a> {
    pub blacklist: &'a Ranges,
    pub has_exec: bool,
    /// Seed for random ports (derived from the engine seed and the task).
    pub seed: u64,
}

/// Reusable scratch space: nothing is allocated per (task, agent) pair once warmed up.
#[derive(Debug, Default)]
pub(crate) struct Fitter {
    pub(crate) used: Vec<i64>,
    /// The scratch amounts of large pools ([`PoolRead::SPARSE`]), kept zero but for the
    /// entries in `touched`, so a fit never clears the whole pool.
    pub(crate) used_sparse: Vec<i64>,
    pub(crate) touched: Vec<u32>,
    pub(crate) excl: Ranges,
    pub profile: Option<Profile>,
    pub port_selection: Option<PortSelection>,
    /// Disk info of every disk entry with a source (for `require`), indexed by `Entry::caps`;
    /// `None` is the ROOT disk.
    pub caps: Vec<Option<crate::model::DiskInfo>>,
    /// Number of full fits run.
    pub evaluations: u64,
}

/// Calls `f(begin, end)` for each maximal run of ports in `r` outside `excl`, ascending,
/// until `f` returns false. O(#ranges of both).
fn for_each_free(r: &Ranges, excl: &Ranges, mut f: impl FnMut(u64, u64) -> bool) -> bool {
    let ex = excl.as_slice();
    let mut j = 0usize;
    r.iter().all(|rg| runs_outside(rg.begin, rg.end, ex, &mut j, &mut f))
}

fn add_port_take(takes: &mut Takes, entry: usize, begin: u64, end: u64) {
    let range = Range { begin, end };
    for t in takes.iter_mut() {
        if t.entry as usize == entry {
            if let TakeWhat::Ports(r) = &mut t.what {
                r.insert(range);
                return;
            }
        }
    }
    takes.push(Take { entry: entry as u32, what: TakeWhat::Ports(PortTake::One(range)) });
}

impl Fitter {
    #[inline(always)]
    fn eligible(&self, e: &Entry, need: &Need) -> bool {
        if e.alloc != NONE && need.alloc_role != NONE && e.alloc != need.alloc_role {
            return false;
        }
        if self.profile == Some(Profile::Marathon) && e.resident_label {
            return false;
        }
        // Revocable resources only for tasks that ask for them (Aurora's revocable tier).
        if e.revocable && !need.revocable {
            return false;
        }
        need.roles.contains(&e.role)
    }

    /// True when some non-empty resource of the pool is usable by the task's roles.
    pub(crate) fn any_eligible(&self, pool: &[Entry], need: &Need) -> bool {
        pool.iter().any(|e| !e.is_empty() && self.eligible(e, need))
    }

    fn scratch_disk(e: &Entry) -> bool {
        e.disk == DiskKind::Root && e.pid == NONE && !e.has_volume
    }

    /// Takes `amount` (up to `max`) of scalar `name` into `out`; returns the shortfall (0 = ok).
    fn take_scalar<P: PoolRead + ?Sized>(
        &mut self,
        pool: &P,
        need: &Need,
        name: u32,
        amount: i64,
        max: i64,
        out: &mut Takes,
    ) -> i64 {
        let mut avail = 0i64;
        // The entries the task may take from, ascending (the passes below visit only these).
        let mut usable: SmallVec<[u32; 8]> = SmallVec::new();
        // Only the entries of the task's roles: `eligible` requires one of them.
        for (i, e, a) in pool.named_in_roles(name, &need.roles) {
            if e.name == name && !e.exclusive && self.eligible(e, need) && (name != DISK || Self::scratch_disk(e)) {
                // INVARIANT: `used` holds one amount per pool entry (resized at the start of `fit`).
                avail += scalar_of(a) - self.used.get(i).copied().unwrap_or(0);
                usable.push(i as u32);
            }
        }
        if need.revocable {
            // A task never mixes revocable and non-revocable resources of one name
            // (src/master/validation.cpp, `resource::validateRevocableAndNonRevocableResources`,
            // applied to the task and its executor together by `validateTaskAndExecutorResources`):
            // the revocable entries when they suffice, else the non-revocable ones. What this
            // task's executor already took of the name decides the kind.
            let kind_of = |i: &u32| pool.at(*i as usize).is_some_and(|(e, _)| e.revocable);
            let free = |i: &u32| {
                pool.at(*i as usize).map_or(0, |(_, a)| scalar_of(a)) - self.used.get(*i as usize).copied().unwrap_or(0)
            };
            let taken = out
                .iter()
                .find_map(|t| pool.at(t.entry as usize).filter(|(e, _)| e.name == name))
                .map(|(e, _)| e.revocable);
            let rev: i64 = usable.iter().filter(|i| kind_of(i)).map(free).sum();
            let keep_rev = taken.unwrap_or(rev >= amount);
            usable.retain(|i| kind_of(i) == keep_rev);
            avail = usable.iter().map(free).sum();
        }
        if avail < amount {
            return amount - avail;
        }
        if let [only] = usable[..] {
            // One entry to take from (the common case): the passes below would visit it once.
            let i = only as usize;
            if let Some((_, a)) = pool.at(i) {
                let free = scalar_of(a) - self.used.get(i).copied().unwrap_or(0);
                let t = free.min(max.min(avail));
                if t > 0 {
                    self.took::<P>(i, t, out);
                }
            }
            return 0;
        }
        let mut left = max.min(avail);
        // offerfit takes reservations before unreserved resources; Marathon goes in offer order.
        let passes: &[Option<bool>] =
            if self.profile == Some(Profile::Offerfit) { &[Some(true), Some(false)] } else { &[None] };
        for pass in passes {
            for &i in &usable {
                let i = i as usize;
                if left == 0 {
                    break;
                }
                let Some((e, a)) = pool.at(i) else { continue };
                if let Some(reserved) = pass {
                    if (e.role != STAR) != *reserved {
                        continue;
                    }
                }
                let used = self.used.get(i).copied().unwrap_or(0);
                let free = scalar_of(a) - used;
                if free <= 0 {
                    continue;
                }
                let t = free.min(left);
                left -= t;
                self.took::<P>(i, t, out);
            }
        }
        0
    }

    /// Records that the task takes `t` of scalar entry `i`.
    #[inline(always)]
    fn took<P: PoolRead + ?Sized>(&mut self, i: usize, t: i64, out: &mut Takes) {
        if let Some(u) = self.used.get_mut(i) {
            *u += t;
        }
        if P::SPARSE {
            self.touched.push(i as u32);
        }
        match out.iter_mut().find(|x| x.entry as usize == i) {
            Some(Take { what: TakeWhat::Scalar(v), .. }) => *v += t,
            _ => out.push(Take { entry: i as u32, what: TakeWhat::Scalar(t) }),
        }
    }

    /// Fits `need` on `pool`. With `all`, every check runs (for explanations); otherwise the
    /// first failure stops. Returns the failure reasons (0 = fits); `out` holds the takes.
    #[inline(never)]
    pub(crate) fn fit<P: PoolRead + ?Sized>(
        &mut self,
        pool: &P,
        need: &Need,
        agent: AgentView<'_>,
        all: bool,
        out: &mut FitOut,
    ) -> u32 {
        if !P::SPARSE {
            return self.fit_pool(pool, need, agent, all, out);
        }
        // A large pool: its own scratch amounts, all zero but the entries the last fit of
        // such a pool touched, which are zeroed again here (a flat pool's fit resizes `used`).
        std::mem::swap(&mut self.used, &mut self.used_sparse);
        for &i in &self.touched {
            if let Some(u) = self.used.get_mut(i as usize) {
                *u = 0;
            }
        }
        self.touched.clear();
        if self.used.len() < pool.len() {
            self.used.resize(pool.len(), 0);
        }
        let r = self.fit_pool(pool, need, agent, all, out);
        std::mem::swap(&mut self.used, &mut self.used_sparse);
        r
    }

    #[inline(always)]
    fn fit_pool<P: PoolRead + ?Sized>(
        &mut self,
        pool: &P,
        need: &Need,
        agent: AgentView<'_>,
        all: bool,
        out: &mut FitOut,
    ) -> u32 {
        self.evaluations += 1;
        // Host ports that cannot be had fail the fit whatever else fits (under Marathon too,
        // where they are checked last): told before the scalars are taken. Callers that ask for
        // the first failure only test for any.
        if !all && !need.ports.is_empty() && !self.ports_possible(pool, need, agent.blacklist) {
            return reason::PORTS;
        }
        out.clear();
        if !P::SPARSE {
            self.used.clear();
            self.used.resize(pool.len(), 0);
        }

        // The executor is charged first, once per agent.
        if let Some(ex) = need.executor.filter(|_| !agent.has_exec) {
            out.exec_charged = true;
            let mut takes = Takes::new();
            for (name, amount, bit) in
                [(CPUS, ex.cpus, reason::CPUS), (MEM, ex.mem, reason::MEM), (DISK, ex.disk, reason::DISK)]
            {
                if amount > 0 {
                    let short = self.take_scalar(pool, need, name, amount, amount, &mut takes);
                    if short > 0 {
                        out.reasons |= bit;
                        if !all {
                            return out.reasons;
                        }
                    }
                }
            }
            out.exec_takes.extend(takes);
        }

        for &(name, amount, max) in &need.scalars {
            if amount <= 0 {
                continue;
            }
            let short = self.take_scalar(pool, need, name, amount, max, &mut out.takes);
            if short > 0 {
                out.reasons |= match name {
                    CPUS => reason::CPUS,
                    MEM => reason::MEM,
                    DISK => reason::DISK,
                    GPUS => reason::GPUS,
                    _ => reason::SCALAR,
                };
                if all {
                    out.missing.push((name, short));
                } else {
                    return out.reasons;
                }
            }
        }

        for v in &need.volumes {
            if !self.fit_volume(pool, need, v, out) {
                out.reasons |= if v.pid_offered { reason::RESERVATION } else { reason::VOLUME };
                if !all {
                    return out.reasons;
                }
            }
        }

        // Marathon checks ports only once everything else matched (its tests).
        let gate = self.profile == Some(Profile::Marathon) && out.reasons != 0;
        if !need.ports.is_empty() && !gate && !self.fit_ports(pool, need, agent, out) {
            out.reasons |= reason::PORTS;
        }
        out.reasons
    }

    fn fit_volume<P: PoolRead + ?Sized>(&mut self, pool: &P, need: &Need, v: &VolNeed, out: &mut FitOut) -> bool {
        let vol = v.index;
        if v.pid_offered {
            // Reuse the offered persistent volume (a disk resource).
            for (i, e, a) in pool.named(DISK) {
                if e.pid == v.pid && !empty_of(a) && self.eligible(e, need) && self.used.get(i) == Some(&0) {
                    if e.shared {
                        out.takes.push(Take { entry: i as u32, what: TakeWhat::Shared { vol } });
                        return true;
                    }
                    if let Some(u) = self.used.get_mut(i) {
                        *u = scalar_of(a);
                    }
                    if P::SPARSE {
                        self.touched.push(i as u32);
                    }
                    out.takes.push(Take { entry: i as u32, what: TakeWhat::Whole { vol } });
                    return true;
                }
            }
            return false;
        }
        if v.pid != NONE && need.reserve_role == NONE {
            return false;
        }
        let kind = match v.kind {
            DiskSourceType::Root => DiskKind::Root,
            DiskSourceType::Path => DiskKind::Path,
            DiskSourceType::Mount => DiskKind::Mount,
            DiskSourceType::Block | DiskSourceType::Raw => return false,
        };
        let ok_disk = |f: &Fitter, e: &Entry| -> bool {
            e.name == DISK
                && e.disk == kind
                && e.pid == NONE
                && !e.has_volume
                && e.profile == v.profile
                && f.eligible(e, need)
                && (v.rules.is_empty() || f.caps.get(e.caps as usize).is_some_and(|d| v.rules.check(d.as_ref())))
        };
        match kind {
            DiskKind::Mount => {
                // The smallest untouched mount disk that is big enough and within max_size.
                let mut best: Option<(i64, usize)> = None;
                for (i, e, a) in pool.named(DISK) {
                    let size = scalar_of(a);
                    if !ok_disk(self, e) || size <= 0 || self.used.get(i) != Some(&0) || size < v.size {
                        continue;
                    }
                    if v.max_size.is_some_and(|m| size > m) {
                        continue;
                    }
                    if best.map_or(true, |(s, _)| size < s) {
                        best = Some((size, i));
                    }
                }
                let Some((size, i)) = best else { return false };
                if let Some(u) = self.used.get_mut(i) {
                    *u = size;
                }
                if P::SPARSE {
                    self.touched.push(i as u32);
                }
                out.takes.push(Take { entry: i as u32, what: TakeWhat::Whole { vol } });
                true
            }
            _ => {
                // One source only (ROOT is one source). A persistent volume comes from one
                // resource; a plain volume may be split over resources of the same source.
                let persistent = v.pid != NONE;
                let mut best: Option<(i64, u32)> = None;
                let mut seen: SmallVec<[u32; 8]> = SmallVec::new();
                for (_, e, _) in pool.named(DISK) {
                    if !ok_disk(self, e) || seen.contains(&e.source) {
                        continue;
                    }
                    seen.push(e.source);
                    let avail = self.source_avail(pool, need, e.source, kind, persistent, &ok_disk);
                    if avail < v.size {
                        continue;
                    }
                    let better = match (best, self.profile) {
                        (None, _) => true,
                        // Marathon spreads PATH volumes over the largest disk first.
                        (Some((b, _)), Some(Profile::Marathon)) => avail > b,
                        (Some((b, _)), _) => avail < b,
                    };
                    if better {
                        best = Some((avail, e.source));
                    }
                }
                let Some((_, source)) = best else { return false };
                let mut left = v.size;
                for (i, e, a) in pool.named(DISK) {
                    if left == 0 {
                        break;
                    }
                    if e.source != source || !ok_disk(self, e) {
                        continue;
                    }
                    let free = scalar_of(a) - self.used.get(i).copied().unwrap_or(0);
                    if free <= 0 || (persistent && free < left) {
                        continue;
                    }
                    let t = free.min(left);
                    left -= t;
                    if let Some(u) = self.used.get_mut(i) {
                        *u += t;
                    }
                    if P::SPARSE {
                        self.touched.push(i as u32);
                    }
                    out.takes.push(Take { entry: i as u32, what: TakeWhat::Volume { vol, amount: t } });
                }
                left == 0
            }
        }
    }

    fn source_avail<P: PoolRead + ?Sized>(
        &self,
        pool: &P,
        _need: &Need,
        source: u32,
        kind: DiskKind,
        persistent: bool,
        ok: &dyn Fn(&Fitter, &Entry) -> bool,
    ) -> i64 {
        let mut total = 0;
        for (i, e, a) in pool.named(DISK) {
            if e.source == source && e.disk == kind && ok(self, e) {
                let free = scalar_of(a) - self.used.get(i).copied().unwrap_or(0);
                if persistent {
                    total = total.max(free);
                } else {
                    total += free.max(0);
                }
            }
        }
        total
    }

    /// Whether [`Fitter::fit_ports`] would find the task's host ports on `pool` (the same
    /// checks, nothing taken).
    fn ports_possible<P: PoolRead + ?Sized>(&mut self, pool: &P, need: &Need, blacklist: &Ranges) -> bool {
        if need.fixed.value_count() < need.fixed_count as u64 {
            return false;
        }
        for &p in need.ports.iter().filter(|p| **p != 0) {
            if blacklist.contains_value(p)
                || !pool.named(PORTS).any(|(_, e, a)| e.name == PORTS && self.eligible(e, need) && a.has_port(p))
            {
                return false;
            }
        }
        if need.dynamic == 0 {
            return true;
        }
        let k = need.dynamic as u64;
        self.free_ports(pool, need, blacklist, k) >= k
    }

    /// The ports of `pool` a task's dynamic ports may take (eligible `ports` entries, minus the
    /// task's own fixed ports and the host's blacklist, which it leaves in `self.excl` when there
    /// is one), counted until `enough`.
    fn free_ports<P: PoolRead + ?Sized>(&mut self, pool: &P, need: &Need, blacklist: &Ranges, enough: u64) -> u64 {
        if !blacklist.is_empty() {
            self.excl = need.fixed.add(blacklist);
        }
        let excl: &Ranges = if blacklist.is_empty() { &need.fixed } else { &self.excl };
        let mut total = 0u64;
        for (_, e, a) in pool.named(PORTS) {
            if e.name == PORTS && self.eligible(e, need) {
                match a {
                    Amount::Ranges(r) => {
                        for_each_free(r, excl, |b, en| {
                            // Saturating: a range may span all of u64 (`[0-18446744073709551615]`).
                            total = total.saturating_add((en - b).saturating_add(1));
                            total < enough
                        });
                    }
                    Amount::Ports(s) => total = total.saturating_add(s.count_outside(excl)),
                    _ => {}
                }
            }
        }
        total
    }

    fn fit_ports<P: PoolRead + ?Sized>(
        &mut self,
        pool: &P,
        need: &Need,
        agent: AgentView<'_>,
        out: &mut FitOut,
    ) -> bool {
        out.ports.clear();
        for &p in &need.ports {
            out.ports.push(p);
        }
        // Fixed ports: each must be offered, eligible and not blacklisted; never twice.
        if need.fixed.value_count() < need.fixed_count as u64 {
            return false;
        }
        for slot in 0..need.ports.len() {
            // INVARIANT: `slot < need.ports.len()` (the loop's range).
            let p = need.ports.get(slot).copied().unwrap_or(0);
            if p == 0 {
                continue;
            }
            if agent.blacklist.contains_value(p) {
                return false;
            }
            let found = pool.named(PORTS).find(|(_, e, a)| e.name == PORTS && self.eligible(e, need) && a.has_port(p));
            match found {
                Some((i, ..)) => add_port_take(&mut out.takes, i, p, p),
                None => return false,
            }
        }
        if need.dynamic == 0 {
            return true;
        }
        // Dynamic ports avoid the task's own fixed ports and the host's blacklist.
        let total = self.free_ports(pool, need, agent.blacklist, u64::MAX);
        let excl: &Ranges = if agent.blacklist.is_empty() { &need.fixed } else { &self.excl };
        let k = need.dynamic as u64;
        if total < k {
            return false;
        }
        let start = match self.port_selection {
            Some(PortSelection::Random) => {
                let mut s = agent.seed;
                splitmix(&mut s) % total
            }
            _ => 0,
        };
        // Virtual indices start..start+k, wrapping around once.
        let segments: [(u64, u64); 2] = match start.checked_add(k) {
            Some(end) if end <= total => [(start, end), (0, 0)],
            // `start < total`, so `k > total - start` here: wrap around once.
            _ => [(start, total), (0, k - (total - start))],
        };
        let mut chosen: SmallVec<[(usize, u64, u64); 4]> = SmallVec::new();
        for (lo, hi) in segments {
            if lo >= hi {
                continue;
            }
            let mut pos = 0u64;
            for (i, e, a) in pool.named(PORTS) {
                if e.name != PORTS || !self.eligible(e, need) {
                    continue;
                }
                let mut take = |b: u64, en: u64, pos: &mut u64| {
                    let len = (en - b).saturating_add(1);
                    let (from, to) = ((*pos).max(lo), pos.saturating_add(len).min(hi));
                    if from < to {
                        chosen.push((i, b + (from - *pos), b + (to - *pos) - 1));
                    }
                    *pos = pos.saturating_add(len);
                    *pos < hi
                };
                let cont = match a {
                    Amount::Ranges(r) => for_each_free(r, excl, |b, en| take(b, en, &mut pos)),
                    // Many ranges: straight to the first port wanted (the ports before it are
                    // counted, not walked).
                    Amount::Ports(s) => {
                        let n = s.count_outside(excl);
                        if pos.saturating_add(n) <= lo {
                            pos = pos.saturating_add(n);
                            true
                        } else {
                            let skip = lo.saturating_sub(pos);
                            pos += skip;
                            s.for_each_free_from(skip, excl, |b, en| take(b, en, &mut pos))
                        }
                    }
                    _ => continue,
                };
                if !cont {
                    break;
                }
            }
        }
        let mut slots = out.ports.iter_mut().filter(|p| **p == 0);
        for (i, b, e) in chosen {
            add_port_take(&mut out.takes, i, b, e);
            for port in b..=e {
                if let Some(s) = slots.next() {
                    *s = port;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::apply::{apply_take, unapply_take};

    fn ranges(p: &[(u64, u64)]) -> Ranges {
        Ranges::from_pairs(p.iter().copied()).unwrap()
    }

    #[test]
    fn port_takes_stay_canonical_and_small() {
        let mut takes = Takes::new();
        add_port_take(&mut takes, 3, 31000, 31000);
        add_port_take(&mut takes, 3, 31001, 31001);
        // Adjacent runs merge: still one run, inline.
        assert_eq!(takes.len(), 1);
        assert_eq!(takes[0].what, TakeWhat::Ports(PortTake::One(Range { begin: 31000, end: 31001 })));
        add_port_take(&mut takes, 3, 80, 80);
        add_port_take(&mut takes, 4, 8000, 8000);
        assert_eq!(takes.len(), 2);
        assert_eq!(takes[0].what, TakeWhat::Ports(PortTake::Many(Arc::new(ranges(&[(80, 80), (31000, 31001)])))));
        let TakeWhat::Ports(p) = &takes[0].what else { panic!("a port take") };
        assert_eq!(p.to_ranges(), ranges(&[(80, 80), (31000, 31001)]));
        // Applied and given back through the ranges they hold.
        let offered = Amount::Ranges(ranges(&[(80, 80), (31000, 31009)]));
        let mut a = offered.clone();
        apply_take(&mut a, &takes[0].what);
        assert_eq!(a, Amount::Ranges(ranges(&[(31002, 31009)])));
        unapply_take(&mut a, &takes[0].what, &offered);
        assert_eq!(a, offered);
        assert_eq!(PortTake::from(ranges(&[(5, 6)])), PortTake::One(Range { begin: 5, end: 6 }));
        // A take is moved with every placement's fit: it stays small.
        assert!(std::mem::size_of::<Take>() <= 32);
    }

    #[test]
    fn free_runs_skip_exclusions() {
        let mut runs = Vec::new();
        for_each_free(&ranges(&[(1, 10), (20, 25)]), &ranges(&[(3, 4), (10, 21), (25, 30)]), |b, e| {
            runs.push((b, e));
            true
        });
        assert_eq!(runs, [(1, 2), (5, 9), (22, 24)]);
        let mut runs = Vec::new();
        for_each_free(&ranges(&[(31000, 32000)]), &Ranges::new(), |b, e| {
            runs.push((b, e));
            true
        });
        assert_eq!(runs, [(31000, 32000)]);
    }

    #[test]
    fn a_need_covers_the_needs_it_asks_more_than() {
        let need = |cpus: i64, mem: i64, ports: &[u64]| Need {
            scalars: [(CPUS, cpus, cpus), (MEM, mem, mem)].into_iter().collect(),
            ports: ports.iter().copied().collect(),
            roles: [STAR].into_iter().collect(),
            alloc_role: NONE,
            reserve_role: NONE,
            cpus,
            mem,
            ..Need::default()
        };
        let small = need(1, 512, &[]);
        assert!(small.covers(&small, true));
        assert!(need(2, 512, &[]).covers(&small, true));
        assert!(!small.covers(&need(2, 512, &[]), false));
        assert!(!need(2, 256, &[]).covers(&small, false));
        // Host ports: anything when the failure was not theirs, the same ones when it was.
        assert!(need(1, 512, &[0]).covers(&small, true));
        assert!(small.covers(&need(1, 512, &[0]), false));
        assert!(!small.covers(&need(1, 512, &[0]), true));
        assert!(!need(1, 512, &[0, 0]).covers(&need(1, 512, &[0]), true));
        // Other roles, or a name the other does not ask for: never.
        let mut public = small.clone();
        public.roles.push(STAR + 1);
        assert!(!public.covers(&small, false) && !small.covers(&public, false));
        let mut disk = need(1, 512, &[]);
        disk.scalars.push((DISK, 1, 1));
        assert!(!disk.covers(&small, false));
    }

    #[test]
    fn splitmix_is_stable() {
        let mut s = 0;
        assert_eq!(splitmix(&mut s), 0xE220_A839_7B1D_CDAF);
    }
}
