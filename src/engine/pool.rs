//! A state class's pool: what is left of its agents' resources after this batch's
//! placements.
//!
//! An agent with a few resources (the usual case: cpus, mem, disk, ports) keeps a flat copy
//! per state class ([`ClassPool::Flat`]): a placement clones it and applies the fit, a
//! class is found by hashing the amounts, and the fitter reads the entries straight. An agent
//! with many resources (more than [`SHARED_MIN`] entries: thousands of offers of one agent,
//! or offers with thousands of distinct scalars) would make each placement cost the whole
//! pool in time and memory (issue 20: 10,000 offers of distinct scalars and 10,000 tiny
//! tasks, one agent, ran out of memory). Its classes share one description of the entries
//! (per static class, with an index by name) and hold the amounts in a persistent radix tree
//! ([`Amounts`]): a placement copies the few tree nodes on the paths to the entries it
//! changes, a class's hash is updated by the entries changed, and two classes' amounts are
//! compared tree by tree, skipping the subtrees they share. A placement then costs
//! O(k · log n) for the k entries a fit takes from, and a fit reads only the entries of the
//! names the task asks for ([`PoolRead::named`]), whatever the agent's size. Both forms
//! answer every question the same way: the fitter is one generic code.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::fit::{self, AgentView, Amount, Entry, FitOut, Fitter, Need, PoolRead};
use crate::hash::{Fx, FxMap};

/// Pools with more entries than this are shared ([`ClassPool::Shared`]); at most this many
/// are cloned per placement.
pub(super) const SHARED_MIN: usize = 64;

/// Bits of an entry index each level of the tree consumes.
const BITS: u32 = 4;
/// Children per node (and amounts per leaf).
const FAN: usize = 1 << BITS;
const MASK: usize = FAN - 1;

#[derive(Debug, Clone)]
enum Node {
    Leaf(Vec<Amount>),
    Inner(Vec<Rc<Node>>),
}

/// The amounts of a shared pool's entries, by entry index: a persistent radix tree of
/// fan-out [`FAN`] (leaves hold the amounts), copied on the paths a change takes, with the
/// hash of its content kept up to date.
#[derive(Debug, Clone)]
pub(super) struct Amounts {
    root: Rc<Node>,
    /// Levels of inner nodes above the leaves.
    height: u32,
    /// The number of entries.
    len: usize,
    /// Σ over entries of [`mix`] (index, amount), wrapping: updated per changed entry.
    hash: u64,
}

/// The hash one entry's amount adds to [`Amounts::hash`].
fn mix(i: usize, a: &Amount) -> u64 {
    let mut h = Fx::default();
    h.write_usize(i);
    a.hash(&mut h);
    // Fx's last step is a multiply: spread the bits before they are summed.
    let x = h.finish();
    fit::splitmix(&mut (x ^ 0x5851_F42D_4C95_7F2D))
}

impl Amounts {
    /// The tree of `amounts`, in index order.
    pub(super) fn new(amounts: Vec<Amount>) -> Amounts {
        let hash = amounts.iter().enumerate().fold(0u64, |h, (i, a)| h.wrapping_add(mix(i, a)));
        let len = amounts.len();
        let mut level: Vec<Rc<Node>> = Vec::with_capacity(amounts.len() / FAN + 1);
        let mut it = amounts.into_iter().peekable();
        loop {
            let leaf: Vec<Amount> = it.by_ref().take(FAN).collect();
            level.push(Rc::new(Node::Leaf(leaf)));
            if it.peek().is_none() {
                break;
            }
        }
        let mut height = 0;
        while level.len() > 1 {
            let mut up = Vec::with_capacity(level.len() / FAN + 1);
            let mut it = level.into_iter().peekable();
            while it.peek().is_some() {
                up.push(Rc::new(Node::Inner(it.by_ref().take(FAN).collect())));
            }
            level = up;
            height += 1;
        }
        let root = level.pop().unwrap_or_else(|| Rc::new(Node::Leaf(Vec::new())));
        Amounts { root, height, len, hash }
    }

    /// The amount of entry `i`.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&Amount> {
        if i >= self.len {
            return None;
        }
        let mut node = &*self.root;
        let mut h = self.height;
        loop {
            match node {
                Node::Inner(children) => {
                    node = children.get((i >> (BITS * h)) & MASK)?;
                    h = h.checked_sub(1)?;
                }
                Node::Leaf(amounts) => return amounts.get(i & MASK),
            }
        }
    }

    /// Sets entry `i` to `amount` (copying the nodes on its path that other trees share).
    fn set(&mut self, i: usize, amount: Amount) {
        if i >= self.len {
            return;
        }
        let mut node = Rc::make_mut(&mut self.root);
        let mut h = self.height;
        loop {
            match node {
                Node::Inner(children) => {
                    let Some(child) = children.get_mut((i >> (BITS * h)) & MASK) else { return };
                    node = Rc::make_mut(child);
                    let Some(next) = h.checked_sub(1) else { return };
                    h = next;
                }
                Node::Leaf(amounts) => {
                    if let Some(a) = amounts.get_mut(i & MASK) {
                        self.hash = self.hash.wrapping_sub(mix(i, a)).wrapping_add(mix(i, &amount));
                        *a = amount;
                    }
                    return;
                }
            }
        }
    }

    /// The hash of the content (equal trees hash equal).
    pub(super) fn content_hash(&self) -> u64 {
        self.hash
    }
}

impl PartialEq for Amounts {
    fn eq(&self, other: &Amounts) -> bool {
        fn node_eq(a: &Rc<Node>, b: &Rc<Node>) -> bool {
            Rc::ptr_eq(a, b)
                || match (&**a, &**b) {
                    (Node::Leaf(x), Node::Leaf(y)) => x == y,
                    (Node::Inner(x), Node::Inner(y)) => {
                        x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| node_eq(p, q))
                    }
                    _ => false,
                }
        }
        self.len == other.len && self.hash == other.hash && node_eq(&self.root, &other.root)
    }
}

/// What the classes of one static class share: the entries (their amounts as offered; the
/// classes hold their own) and, per resource name, the indices of its entries, ascending.
#[derive(Debug)]
pub(super) struct Meta {
    entries: Vec<Entry>,
    by_name: FxMap<u32, Vec<u32>>,
    /// Per (name, role), the indices of its entries, ascending.
    by_role: FxMap<(u32, u32), Vec<u32>>,
}

/// A large pool: the static class's entries, this class's amounts.
#[derive(Debug, Clone)]
pub(super) struct SharedPool {
    meta: Rc<Meta>,
    amounts: Amounts,
    /// The cpus and mem the entries hold in all (kept up to date by [`SharedPool::applied`]).
    avail: (i64, i64),
}

impl SharedPool {
    /// The shared form of `pool` (a static class's pool, as offered).
    pub(super) fn new(pool: &[Entry]) -> SharedPool {
        let mut by_name: FxMap<u32, Vec<u32>> = FxMap::default();
        let mut by_role: FxMap<(u32, u32), Vec<u32>> = FxMap::default();
        let mut avail = (0, 0);
        for (i, e) in pool.iter().enumerate() {
            by_name.entry(e.name).or_default().push(i as u32);
            by_role.entry((e.name, e.role)).or_default().push(i as u32);
            match e.name {
                fit::CPUS => avail.0 += e.scalar(),
                fit::MEM => avail.1 += e.scalar(),
                _ => {}
            }
        }
        let amounts = Amounts::new(pool.iter().map(|e| e.amount.clone()).collect());
        SharedPool { meta: Rc::new(Meta { entries: pool.to_vec(), by_name, by_role }), amounts, avail }
    }

    /// This pool with `fit` applied: the entries it takes from are copied, the rest shared.
    pub(super) fn applied(&self, fit: &FitOut) -> SharedPool {
        let mut next = self.clone();
        // An entry may be taken from twice (the executor's and the task's cpus): applied in
        // order, as `fit::apply` does on a flat pool.
        let mut changed: smallvec::SmallVec<[(usize, Amount); 8]> = smallvec::SmallVec::new();
        for t in fit.exec_takes.iter().chain(fit.takes.iter()) {
            let i = t.entry as usize;
            let pos = match changed.iter().position(|(j, _)| *j == i) {
                Some(p) => p,
                None => {
                    let Some(a) = self.amounts.get(i) else { continue };
                    changed.push((i, a.clone()));
                    changed.len() - 1
                }
            };
            if let Some((_, a)) = changed.get_mut(pos) {
                super::apply::apply_take(a, &t.what);
            }
        }
        for (i, a) in changed {
            let (Some(e), Some(old)) = (self.meta.entries.get(i), self.amounts.get(i)) else { continue };
            let delta = fit::scalar_of(&a) - fit::scalar_of(old);
            match e.name {
                fit::CPUS => next.avail.0 += delta,
                fit::MEM => next.avail.1 += delta,
                _ => {}
            }
            next.amounts.set(i, a);
        }
        next
    }

    /// The cpus and mem its entries hold.
    pub(super) fn avail(&self) -> (i64, i64) {
        self.avail
    }

    /// The hash of its amounts.
    pub(super) fn content_hash(&self) -> u64 {
        self.amounts.content_hash()
    }

    /// Whether two pools of one static class hold the same amounts.
    pub(super) fn same_amounts(&self, other: &SharedPool) -> bool {
        self.amounts == other.amounts
    }

    /// The pool as a flat list (for the plan's remaining resources: once per agent).
    pub(super) fn to_flat(&self) -> Vec<Entry> {
        let mut out = self.meta.entries.clone();
        for (i, e) in out.iter_mut().enumerate() {
            if let Some(a) = self.amounts.get(i) {
                e.amount = a.clone();
            }
        }
        out
    }
}

impl PoolRead for SharedPool {
    const SPARSE: bool = true;
    fn len(&self) -> usize {
        self.meta.entries.len()
    }
    fn at(&self, i: usize) -> Option<(&Entry, &Amount)> {
        Some((self.meta.entries.get(i)?, self.amounts.get(i)?))
    }
    fn named(&self, name: u32) -> impl Iterator<Item = (usize, &Entry, &Amount)> {
        let list = self.meta.by_name.get(&name).map_or(&[][..], Vec::as_slice);
        list.iter().filter_map(move |&i| {
            let i = i as usize;
            Some((i, self.meta.entries.get(i)?, self.amounts.get(i)?))
        })
    }
    fn named_in_roles(&self, name: u32, roles: &[u32]) -> impl Iterator<Item = (usize, &Entry, &Amount)> {
        // Each role's list is ascending; merged by taking the smallest head (a task has a
        // few roles: its own, its ancestors, `*`).
        let mut lists: smallvec::SmallVec<[&[u32]; 4]> = smallvec::SmallVec::new();
        for (k, r) in roles.iter().enumerate() {
            if roles.get(..k).is_some_and(|before| before.contains(r)) {
                continue;
            }
            if let Some(l) = self.meta.by_role.get(&(name, *r)) {
                lists.push(l.as_slice());
            }
        }
        std::iter::from_fn(move || {
            let k = lists.iter().enumerate().filter_map(|(k, l)| l.first().map(|h| (*h, k))).min()?.1;
            let list = lists.get_mut(k)?;
            let (&head, rest) = list.split_first()?;
            *list = rest;
            let i = head as usize;
            Some((i, self.meta.entries.get(i)?, self.amounts.get(i)?))
        })
    }
}

/// A state class's pool, flat or shared (see the module's docs).
#[derive(Debug, Clone)]
pub(super) enum ClassPool {
    Flat(Vec<Entry>),
    /// Boxed: a class (and the ledger's moves of it) stays the size of a flat pool's vector.
    Shared(Box<SharedPool>),
}

impl Default for ClassPool {
    fn default() -> ClassPool {
        ClassPool::Flat(Vec::new())
    }
}

impl ClassPool {
    /// The pool of a new static class, as offered: shared when it has more than
    /// [`SHARED_MIN`] entries.
    pub(super) fn of(pool: &[Entry]) -> ClassPool {
        if pool.len() > SHARED_MIN {
            ClassPool::Shared(Box::new(SharedPool::new(pool)))
        } else {
            ClassPool::Flat(pool.to_vec())
        }
    }

    /// [`Fitter::fit`] on this pool.
    #[inline]
    pub(super) fn fit(
        &self,
        fitter: &mut Fitter,
        need: &Need,
        agent: AgentView<'_>,
        all: bool,
        out: &mut FitOut,
    ) -> u32 {
        match self {
            ClassPool::Flat(p) => fitter.fit(p.as_slice(), need, agent, all, out),
            ClassPool::Shared(p) => fitter.fit(&**p, need, agent, all, out),
        }
    }

    /// This pool with `fit` given back (a gang's roll-back to a state whose pool was let go):
    /// `offered` is the static class's pool, as offered.
    pub(super) fn given_back(&self, fit: &FitOut, offered: &[Entry]) -> ClassPool {
        let takes = || fit.takes.iter().rev().chain(fit.exec_takes.iter().rev());
        match self {
            ClassPool::Flat(p) => {
                let mut p = p.clone();
                for t in takes() {
                    let i = t.entry as usize;
                    if let (Some(e), Some(o)) = (p.get_mut(i), offered.get(i)) {
                        super::apply::unapply_take(&mut e.amount, &t.what, &o.amount);
                    }
                }
                ClassPool::Flat(p)
            }
            ClassPool::Shared(p) => {
                let mut next = (**p).clone();
                for t in takes() {
                    let i = t.entry as usize;
                    let (Some(e), Some(o), Some(a)) = (p.meta.entries.get(i), offered.get(i), next.amounts.get(i))
                    else {
                        continue;
                    };
                    let mut a = a.clone();
                    let before = fit::scalar_of(&a);
                    super::apply::unapply_take(&mut a, &t.what, &o.amount);
                    let delta = fit::scalar_of(&a) - before;
                    match e.name {
                        fit::CPUS => next.avail.0 += delta,
                        fit::MEM => next.avail.1 += delta,
                        _ => {}
                    }
                    next.amounts.set(i, a);
                }
                ClassPool::Shared(Box::new(next))
            }
        }
    }

    /// The entries, for what describes them (name, role, source; not their amounts: a
    /// shared pool's hold the amounts as offered).
    pub(super) fn entries(&self) -> &[Entry] {
        match self {
            ClassPool::Flat(p) => p,
            ClassPool::Shared(p) => &p.meta.entries,
        }
    }

    /// The entries with this class's amounts.
    pub(super) fn flat(&self) -> std::borrow::Cow<'_, [Entry]> {
        match self {
            ClassPool::Flat(p) => std::borrow::Cow::Borrowed(p.as_slice()),
            ClassPool::Shared(p) => std::borrow::Cow::Owned(p.to_flat()),
        }
    }

    /// The entries of `names` (distinct) with this class's amounts: a flat pool's all (the
    /// reader filters by name), a shared pool's of those names only, so that a sum over a few
    /// names (the scored dimensions of a new class) costs those entries, not the agent.
    pub(super) fn flat_named(&self, names: &[u32]) -> std::borrow::Cow<'_, [Entry]> {
        match self {
            ClassPool::Flat(p) => std::borrow::Cow::Borrowed(p.as_slice()),
            ClassPool::Shared(p) => std::borrow::Cow::Owned(
                names
                    .iter()
                    .flat_map(|n| p.named(*n).map(|(_, e, a)| Entry { amount: a.clone(), ..e.clone() }))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Range, Ranges};

    fn entry(name: u32, amount: Amount) -> Entry {
        Entry {
            name,
            role: fit::STAR,
            alloc: fit::NONE,
            disk: fit::DiskKind::NotDisk,
            pid: fit::NONE,
            has_volume: false,
            source: fit::NONE,
            profile: fit::NONE,
            caps: fit::NONE,
            resident_label: false,
            exclusive: false,
            revocable: false,
            shared: false,
            src: (0, 0),
            amount,
        }
    }

    #[test]
    fn the_tree_reads_sets_and_compares_like_a_vector() {
        for n in [0usize, 1, 15, 16, 17, 255, 256, 257, 5000] {
            let flat: Vec<Amount> = (0..n).map(|i| Amount::Scalar(i as i64)).collect();
            let t = Amounts::new(flat.clone());
            for (i, a) in flat.iter().enumerate() {
                assert_eq!(t.get(i), Some(a), "n {n} i {i}");
            }
            assert_eq!(t.get(n), None);
            if n == 0 {
                continue;
            }
            // A copy that changes one entry and changes it back equals the original and
            // hashes alike; the original is untouched.
            let mut u = t.clone();
            u.set(n - 1, Amount::Scalar(-1));
            assert_ne!(u, t);
            assert_ne!(u.content_hash(), t.content_hash());
            assert_eq!(t.get(n - 1), Some(&Amount::Scalar(n as i64 - 1)));
            u.set(n - 1, Amount::Scalar(n as i64 - 1));
            assert_eq!(u, t);
            assert_eq!(u.content_hash(), t.content_hash());
            // Built apart, equal content: equal.
            assert_eq!(Amounts::new(flat), t);
        }
    }

    #[test]
    fn a_shared_pool_applies_a_fit_as_the_flat_pool_does() {
        let mut pool: Vec<Entry> = (0..100).map(|i| entry(10 + i, Amount::Scalar(1000))).collect();
        pool.push(entry(fit::CPUS, Amount::Scalar(4000)));
        pool.push(entry(fit::PORTS, Amount::Ranges(Ranges::from_ranges([Range { begin: 1, end: 10 }]))));
        let shared = SharedPool::new(&pool);
        assert_eq!(shared.avail(), (4000, 0));
        let mut fit = FitOut::default();
        fit.exec_takes.push(fit::Take { entry: 100, what: fit::TakeWhat::Scalar(500) });
        fit.takes.push(fit::Take { entry: 100, what: fit::TakeWhat::Scalar(250) });
        fit.takes.push(fit::Take { entry: 7, what: fit::TakeWhat::Scalar(1000) });
        fit.takes
            .push(fit::Take { entry: 101, what: fit::TakeWhat::Ports(fit::PortTake::One(Range { begin: 2, end: 3 })) });
        let next = shared.applied(&fit);
        crate::engine::apply::apply(&mut pool, &fit);
        let flat = next.to_flat();
        assert!(flat.iter().zip(&pool).all(|(a, b)| a.amount == b.amount));
        assert_eq!(next.avail(), (3250, 0));
        assert!(!next.same_amounts(&shared));
        assert_eq!(next.named(fit::CPUS).map(|(i, ..)| i).collect::<Vec<_>>(), [100]);
        assert_eq!(next.at(7).map(|(_, a)| a.clone()), Some(Amount::Scalar(0)));
        assert!(next.same_amounts(&SharedPool::new(&pool)));
        assert_eq!(next.content_hash(), SharedPool::new(&pool).content_hash());
    }

    /// `named_in_roles` hands out the entries of a name under the roles asked for, each once,
    /// ascending across the roles' lists, as the flat walk filtered by role would.
    #[test]
    fn named_in_roles_merges_the_roles_lists_ascending() {
        let pool: Vec<Entry> = (0..120)
            .map(|i| {
                let mut e = entry(if i % 2 == 0 { fit::CPUS } else { fit::MEM }, Amount::Scalar(1000));
                e.role = (i % 5) as u32;
                e
            })
            .collect();
        let shared = SharedPool::new(&pool);
        for roles in [&[][..], &[3], &[1, 4], &[4, 1, 4], &[0, 1, 2, 3, 4]] {
            let got: Vec<usize> = shared.named_in_roles(fit::CPUS, roles).map(|(i, ..)| i).collect();
            let want: Vec<usize> = pool
                .iter()
                .enumerate()
                .filter(|(_, e)| e.name == fit::CPUS && roles.contains(&e.role))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, want, "{roles:?}");
        }
    }
}
