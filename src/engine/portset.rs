//! An agent's free ports when its `ports` resource holds many ranges: a persistent treap of
//! the free ranges, each node counting the ports and ranges below it.
//!
//! A flat [`Ranges`] is one vector: a placement copied it and rebuilt it to take one port,
//! and a fit counted the free ports by walking it, so one agent with 9,900 single-port ranges
//! and 9,000 one-port tasks cost tasks × ranges (issue 20). A [`PortSet`] is copied in O(1)
//! (the classes of one agent share it) and changed by copying the O(log n) nodes on the paths
//! a change takes: taking or giving back a range of ports costs O(log n), counting the free
//! ports outside a task's exclusions O(e · log n) for e excluded ranges, and finding the j-th
//! free port (where a `random` port selection starts) O((e + 1) · log n).
//!
//! A node's priority is a hash of its range's first port, so the tree of a set of ranges has
//! one shape whatever the order of the changes that made it: two sets are equal when their
//! trees are, compared node by node below the nodes they do not share, and a set's hash is
//! kept per node. Ranges stay coalesced (no two touch), as [`Ranges`] keeps them, so a set
//! answers every question a flat [`Ranges`] of the same ports answers, the same way.

use std::rc::Rc;

use crate::model::{Range, Ranges};

/// From this many ranges, an offered `ports` resource is pooled as a [`PortSet`]; below it a
/// flat [`Ranges`] is the cheaper copy.
pub(crate) const PORTSET_MIN: usize = 32;

type Link = Option<Rc<Node>>;

#[derive(Debug)]
struct Node {
    range: Range,
    prio: u64,
    /// Ports in this subtree (u128: exact for any u64 bounds).
    ports: u128,
    /// Σ [`mix`] over the subtree's ranges, wrapping.
    hash: u64,
    /// Ranges in this subtree.
    count: usize,
    left: Link,
    right: Link,
}

fn mix(r: Range) -> u64 {
    let mut s = r.begin.rotate_left(32) ^ r.end ^ 0x2545_F491_4F6C_DD1D;
    splitmix(&mut s)
}

fn prio_of(begin: u64) -> u64 {
    let mut s = begin ^ 0x9FB2_1C65_1E98_DF25;
    splitmix(&mut s)
}

/// Whether a node of (`prio`, `begin`) sits above one of (`p2`, `b2`): a strict order on the
/// distinct first ports of a set.
fn above(prio: u64, begin: u64, p2: u64, b2: u64) -> bool {
    (prio, std::cmp::Reverse(begin)) > (p2, std::cmp::Reverse(b2))
}

fn ports_of(t: &Link) -> u128 {
    t.as_ref().map_or(0, |n| n.ports)
}

fn node(range: Range, prio: u64, left: Link, right: Link) -> Link {
    let len = u128::from(range.end - range.begin) + 1;
    let (lp, lh, lc) = left.as_ref().map_or((0, 0, 0), |n| (n.ports, n.hash, n.count));
    let (rp, rh, rc) = right.as_ref().map_or((0, 0, 0), |n| (n.ports, n.hash, n.count));
    Some(Rc::new(Node {
        range,
        prio,
        ports: lp + len + rp,
        hash: lh.wrapping_add(mix(range)).wrapping_add(rh),
        count: lc + 1 + rc,
        left,
        right,
    }))
}

fn leaf(range: Range) -> Link {
    node(range, prio_of(range.begin), None, None)
}

/// (ranges beginning below `x`, ranges beginning at or above it).
fn split(t: &Link, x: u64) -> (Link, Link) {
    let Some(n) = t else { return (None, None) };
    if n.range.begin < x {
        let (a, b) = split(&n.right, x);
        (node(n.range, n.prio, n.left.clone(), a), b)
    } else {
        let (a, b) = split(&n.left, x);
        (a, node(n.range, n.prio, b, n.right.clone()))
    }
}

/// The union of `a` and `b`, every range of `a` before every range of `b`.
fn merge(a: &Link, b: &Link) -> Link {
    match (a, b) {
        (None, t) | (t, None) => t.clone(),
        (Some(x), Some(y)) => {
            if above(x.prio, x.range.begin, y.prio, y.range.begin) {
                node(x.range, x.prio, x.left.clone(), merge(&x.right, b))
            } else {
                node(y.range, y.prio, merge(a, &y.left), y.right.clone())
            }
        }
    }
}

fn last(t: &Link) -> Option<Range> {
    let mut n = t.as_ref()?;
    while let Some(r) = &n.right {
        n = r;
    }
    Some(n.range)
}

fn eq(a: &Link, b: &Link) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            Rc::ptr_eq(x, y)
                || (x.range == y.range
                    && x.hash == y.hash
                    && x.count == y.count
                    && eq(&x.left, &y.left)
                    && eq(&x.right, &y.right))
        }
        _ => false,
    }
}

/// A set of ports as coalesced ranges, persistent (see the module's docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct PortSet {
    root: Link,
}

impl PortSet {
    /// The set of `ranges`' ports, built in O(n).
    pub(crate) fn from_ranges(ranges: &Ranges) -> PortSet {
        let items = ranges.as_slice();
        let prios: Vec<u64> = items.iter().map(|r| prio_of(r.begin)).collect();
        // The tree's shape by the rightmost-path stack (a Cartesian tree), then its nodes
        // from the leaves up, in post order.
        const NIL: usize = usize::MAX;
        let n = items.len();
        let (mut left, mut right) = (vec![NIL; n], vec![NIL; n]);
        let mut stack: Vec<usize> = Vec::new();
        let key = |i: usize| (prios.get(i).copied().unwrap_or(0), items.get(i).map_or(0, |r| r.begin));
        for i in 0..n {
            let mut lastpop = NIL;
            while let Some(&top) = stack.last() {
                let ((pt, bt), (pi, bi)) = (key(top), key(i));
                if above(pi, bi, pt, bt) {
                    lastpop = top;
                    stack.pop();
                } else {
                    break;
                }
            }
            if let Some(l) = left.get_mut(i) {
                *l = lastpop;
            }
            if let Some(&top) = stack.last() {
                if let Some(r) = right.get_mut(top) {
                    *r = i;
                }
            }
            stack.push(i);
        }
        let Some(&root) = stack.first() else { return PortSet::default() };
        // Post order without recursion: (index, children built).
        let mut built: Vec<Link> = vec![None; n];
        let mut work: Vec<(usize, bool)> = vec![(root, false)];
        while let Some((i, done)) = work.pop() {
            let (l, r) = (left.get(i).copied().unwrap_or(NIL), right.get(i).copied().unwrap_or(NIL));
            if done {
                let take = |b: &mut Vec<Link>, j: usize| b.get_mut(j).and_then(Option::take);
                let (ln, rn) = (take(&mut built, l), take(&mut built, r));
                let (Some(range), Some(&p)) = (items.get(i), prios.get(i)) else { continue };
                if let Some(slot) = built.get_mut(i) {
                    *slot = node(*range, p, ln, rn);
                }
            } else {
                work.push((i, true));
                for c in [l, r] {
                    if c != NIL {
                        work.push((c, false));
                    }
                }
            }
        }
        PortSet { root: built.get_mut(root).and_then(Option::take) }
    }

    /// The set as a flat [`Ranges`] (for the plan's remaining resources: once per agent).
    pub(crate) fn to_ranges(&self) -> Ranges {
        let mut out = Vec::with_capacity(self.range_count());
        let mut it = Iter::from(&self.root, 0);
        while let Some(r) = it.next_range() {
            out.push(r);
        }
        Ranges::from_ranges(out)
    }

    /// True when no port is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The number of (coalesced) ranges.
    pub(crate) fn range_count(&self) -> usize {
        self.root.as_ref().map_or(0, |n| n.count)
    }

    /// The number of ports held (saturating).
    pub(crate) fn value_count(&self) -> u64 {
        u64::try_from(ports_of(&self.root)).unwrap_or(u64::MAX)
    }

    /// Whether port `p` is held. O(log n).
    pub(crate) fn contains_value(&self, p: u64) -> bool {
        let mut t = &self.root;
        while let Some(n) = t {
            if p < n.range.begin {
                t = &n.left;
            } else if p > n.range.end {
                t = &n.right;
            } else {
                return true;
            }
        }
        false
    }

    /// The ports held below `x`. O(log n).
    fn count_below(&self, x: u64) -> u128 {
        let mut total = 0u128;
        let mut t = &self.root;
        while let Some(n) = t {
            if x <= n.range.begin {
                t = &n.left;
            } else {
                total += ports_of(&n.left) + u128::from(x.min(n.range.end.saturating_add(1)) - n.range.begin);
                if x <= n.range.end {
                    break;
                }
                t = &n.right;
            }
        }
        total
    }

    /// The ports held in `r`. O(log n).
    fn count_in(&self, r: Range) -> u128 {
        let upto = match r.end.checked_add(1) {
            Some(x) => self.count_below(x),
            None => ports_of(&self.root),
        };
        upto - self.count_below(r.begin)
    }

    /// The ports held outside `excl` (saturating). O(#excl · log n).
    pub(crate) fn count_outside(&self, excl: &Ranges) -> u64 {
        let inside: u128 = excl.iter().map(|r| self.count_in(*r)).sum();
        u64::try_from(ports_of(&self.root).saturating_sub(inside)).unwrap_or(u64::MAX)
    }

    /// The `j`-th port held (0-based), ascending. O(log n).
    fn select(&self, mut j: u128) -> Option<u64> {
        let mut t = &self.root;
        while let Some(n) = t {
            let lp = ports_of(&n.left);
            if j < lp {
                t = &n.left;
                continue;
            }
            j -= lp;
            let len = u128::from(n.range.end - n.range.begin) + 1;
            if j < len {
                return u64::try_from(j).ok().map(|j| n.range.begin + j);
            }
            j -= len;
            t = &n.right;
        }
        None
    }

    /// Calls `f(begin, end)` for each maximal run of ports held outside `excl`, ascending,
    /// from the `skip`-th such port on, until `f` returns false; false when it did.
    /// O((#excl + 1) · log n + the runs visited).
    pub(crate) fn for_each_free_from(&self, skip: u64, excl: &Ranges, mut f: impl FnMut(u64, u64) -> bool) -> bool {
        // The raw index of the `skip`-th port outside `excl`: each excluded port held below
        // it moves it one further.
        let ex = excl.as_slice();
        let mut j = u128::from(skip);
        let Some(mut cand) = self.select(j) else { return true };
        for e in ex {
            if e.begin > cand {
                break;
            }
            j += self.count_in(*e);
            match self.select(j) {
                Some(c) => cand = c,
                None => return true,
            }
        }
        let mut it = Iter::from(&self.root, cand);
        let mut k = 0usize;
        while let Some(rg) = it.next_range() {
            if !runs_outside(rg.begin.max(cand), rg.end, ex, &mut k, &mut f) {
                return false;
            }
        }
        true
    }

    /// The set without the ports of `r`. O(log n).
    #[must_use]
    pub(crate) fn without(&self, r: Range) -> PortSet {
        let (l, rest) = split(&self.root, r.begin);
        let (mid, right) = match r.end.checked_add(1) {
            Some(x) => split(&rest, x),
            None => (rest, None),
        };
        // The range before `r` may reach into it; the last range inside may reach past it.
        let mut left = l;
        let mut keep_after: Option<Range> = None;
        if let Some(p) = last(&left).filter(|p| p.end >= r.begin) {
            let (rest, _) = split(&left, p.begin);
            left = rest;
            if p.begin < r.begin {
                left = merge(&left, &leaf(Range { begin: p.begin, end: r.begin - 1 }));
            }
            if p.end > r.end {
                keep_after = Some(Range { begin: r.end + 1, end: p.end });
            }
        }
        if let Some(q) = last(&mid).filter(|q| q.end > r.end) {
            keep_after = Some(Range { begin: r.end + 1, end: q.end });
        }
        let right = match keep_after {
            Some(k) => merge(&leaf(k), &right),
            None => right,
        };
        PortSet { root: merge(&left, &right) }
    }

    /// The set with the ports of `r` (coalesced with the ranges it touches). O(log n + the
    /// ranges it covers).
    #[must_use]
    pub(crate) fn with(&self, r: Range) -> PortSet {
        let (mut left, rest) = split(&self.root, r.begin);
        let mut merged = r;
        if let Some(p) = last(&left).filter(|p| p.end.saturating_add(1) >= r.begin) {
            let (rest, _) = split(&left, p.begin);
            left = rest;
            merged.begin = p.begin;
            merged.end = merged.end.max(p.end);
        }
        let (mid, right) = match r.end.checked_add(2) {
            Some(x) => split(&rest, x),
            None => (rest, None),
        };
        if let Some(q) = last(&mid) {
            merged.end = merged.end.max(q.end);
        }
        PortSet { root: merge(&merge(&left, &leaf(merged)), &right) }
    }

    /// The set without the ports of `taken`. O(#taken · log n).
    #[must_use]
    pub(crate) fn subtract(&self, taken: &Ranges) -> PortSet {
        taken.iter().fold(self.clone(), |s, r| s.without(*r))
    }

    /// The set with the ports of `given`. O(#given · log n).
    #[must_use]
    pub(crate) fn add(&self, given: &Ranges) -> PortSet {
        given.iter().fold(self.clone(), |s, r| s.with(*r))
    }
}

impl PartialEq for PortSet {
    fn eq(&self, other: &PortSet) -> bool {
        eq(&self.root, &other.root)
    }
}

impl Eq for PortSet {}

impl std::hash::Hash for PortSet {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let (hash, count) = self.root.as_ref().map_or((0, 0), |n| (n.hash, n.count));
        h.write_u64(hash);
        h.write_usize(count);
    }
}

/// The ranges of a set ending at or after a port, ascending.
struct Iter<'a> {
    stack: Vec<&'a Node>,
}

impl<'a> Iter<'a> {
    fn from(root: &'a Link, from: u64) -> Iter<'a> {
        let mut stack = Vec::new();
        let mut t = root;
        while let Some(n) = t {
            if n.range.end >= from {
                stack.push(&**n);
                t = &n.left;
            } else {
                t = &n.right;
            }
        }
        Iter { stack }
    }

    fn next_range(&mut self) -> Option<Range> {
        let n = self.stack.pop()?;
        let mut t = &n.right;
        while let Some(c) = t {
            self.stack.push(&**c);
            t = &c.left;
        }
        Some(n.range)
    }
}

/// The ports of `set` (ports of `from`) renumbered by rank into `to`: the k-th port of `from`
/// becomes the k-th port of `to`, for every port of `set`, ascending. `from` and `to` hold
/// equally many ports when the engine asks (agents whose `ports` are told apart only by how
/// many they hold: `shapes::Sight::ports_by_count`); a rank `to` lacks is left out, a port
/// `from` lacks too. O(#set + #from + #to) ranges: the classes pick ports in their first
/// member's numbering, and each member's own are these (a dynamic port is chosen by its rank
/// among the free ports alone, so every choice made in one numbering is the same in the other).
pub(crate) fn renumber(set: &Ranges, from: &Ranges, to: &Ranges) -> Ranges {
    let (from, to) = (from.as_slice(), to.as_slice());
    let mut out: Vec<Range> = Vec::with_capacity(set.range_count());
    // `from[i]` starts at rank `fr`; `to[k]` at rank `tr`.
    let (mut i, mut fr, mut k, mut tr) = (0usize, 0u128, 0usize, 0u128);
    for s in set.iter() {
        let mut cur = s.begin;
        while cur <= s.end {
            // The range of `from` holding `cur` (set and from ascending).
            while from.get(i).is_some_and(|f| f.end < cur) {
                fr += from.get(i).map_or(0, |f| u128::from(f.end - f.begin) + 1);
                i += 1;
            }
            let Some(f) = from.get(i) else { return Ranges::from_ranges(out) };
            if f.begin > cur {
                // Not a port of `from`: skipped.
                if f.begin > s.end {
                    break;
                }
                cur = f.begin;
                continue;
            }
            let last = s.end.min(f.end);
            // Ranks `lo..=hi` of `from`, placed into `to`.
            let lo = fr + u128::from(cur - f.begin);
            let hi = lo + u128::from(last - cur);
            let mut r = lo;
            while r <= hi {
                while to.get(k).is_some_and(|t| tr + u128::from(t.end - t.begin) < r) {
                    tr += to.get(k).map_or(0, |t| u128::from(t.end - t.begin) + 1);
                    k += 1;
                }
                let Some(t) = to.get(k) else { return Ranges::from_ranges(out) };
                // `r` falls in `t`: the ports of `t` from rank `r` up to `hi`.
                let off = u64::try_from(r - tr).unwrap_or(u64::MAX);
                let n = u64::try_from(hi - r).unwrap_or(u64::MAX);
                let b = t.begin + off;
                let e = t.end.min(b.saturating_add(n));
                out.push(Range { begin: b, end: e });
                r += u128::from(e - b) + 1;
            }
            match last.checked_add(1) {
                Some(next) => cur = next,
                None => break,
            }
        }
    }
    Ranges::from_ranges(out)
}

/// Port `p` (a port of `from`) renumbered by rank into `to` ([`renumber`]); `p` itself when
/// either lacks it.
pub(crate) fn renumber_port(p: u64, from: &Ranges, to: &Ranges) -> u64 {
    let one = Ranges::from_ranges([Range { begin: p, end: p }]);
    renumber(&one, from, to).first().unwrap_or(p)
}

/// splitmix64: a tiny deterministic generator, identical on every platform.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The free runs (`fit::for_each_free`) for the ports `cur..=end` of one range: `ex` the exclusions, ascending,
/// `j` the first that may reach `cur` (moved on; ranges are walked ascending). False when `f`
/// stopped.
#[inline(always)]
pub(crate) fn runs_outside(
    mut cur: u64,
    end: u64,
    ex: &[Range],
    j: &mut usize,
    f: &mut impl FnMut(u64, u64) -> bool,
) -> bool {
    while ex.get(*j).is_some_and(|e| e.end < cur) {
        *j += 1;
    }
    let mut k = *j;
    loop {
        match ex.get(k) {
            Some(e) if e.begin <= end => {
                if e.begin > cur && !f(cur, e.begin - 1) {
                    return false;
                }
                if e.end >= end {
                    return true;
                }
                cur = cur.max(e.end + 1);
                k += 1;
            }
            _ => return cur > end || f(cur, end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(p: &[(u64, u64)]) -> Ranges {
        Ranges::from_pairs(p.iter().copied()).unwrap()
    }

    /// A small deterministic generator for the laws below.
    fn gen(seed: &mut u64, below: u64) -> u64 {
        super::splitmix(seed) % below
    }

    fn free_runs(s: &Ranges, excl: &Ranges) -> Vec<(u64, u64)> {
        let rest = s.subtract(excl);
        rest.iter().map(|x| (x.begin, x.end)).collect()
    }

    #[test]
    fn renumbering_maps_ports_by_rank() {
        let from = r(&[(100, 104), (200, 204)]);
        let to = r(&[(7, 9), (31000, 31006)]);
        // Ranks 0..=9 of `from` are 7, 8, 9, 31000, ..., 31006 of `to`.
        assert_eq!(renumber(&r(&[(100, 104)]), &from, &to), r(&[(7, 9), (31000, 31001)]));
        assert_eq!(
            renumber(&r(&[(102, 102), (200, 201), (204, 204)]), &from, &to),
            r(&[(9, 9), (31002, 31003), (31006, 31006)])
        );
        assert_eq!(renumber(&from, &from, &to), to);
        assert_eq!(renumber(&to, &to, &from), from);
        assert_eq!(renumber(&Ranges::new(), &from, &to), Ranges::new());
        assert_eq!(renumber_port(203, &from, &to), 31005);
        assert_eq!(renumber_port(100, &from, &to), 7);
        // The same numbering: the same ports.
        assert_eq!(renumber(&r(&[(101, 103), (202, 204)]), &from, &from), r(&[(101, 103), (202, 204)]));
        // Ports `from` lacks are left out; ranks `to` lacks too.
        assert_eq!(renumber(&r(&[(99, 100), (150, 150)]), &from, &to), r(&[(7, 7)]));
        assert_eq!(renumber(&r(&[(204, 204)]), &from, &r(&[(1, 3)])), Ranges::new());
        // The extremes of u64.
        let top = r(&[(u64::MAX - 2, u64::MAX)]);
        assert_eq!(renumber(&r(&[(u64::MAX - 1, u64::MAX)]), &top, &r(&[(0, 2)])), r(&[(1, 2)]));
        assert_eq!(renumber(&r(&[(1, 2)]), &r(&[(0, 2)]), &top), r(&[(u64::MAX - 1, u64::MAX)]));
    }

    #[test]
    fn renumbering_agrees_with_ranks_on_random_sets() {
        let mut seed = 11u64;
        for _ in 0..200 {
            let mk = |seed: &mut u64| {
                let mut v = Vec::new();
                let mut at = gen(seed, 50);
                for _ in 0..(1 + gen(seed, 6)) {
                    let len = gen(seed, 9);
                    v.push((at, at + len));
                    at += len + 2 + gen(seed, 40);
                }
                r(&v)
            };
            let from = mk(&mut seed);
            let ports: Vec<u64> = from.iter().flat_map(|x| x.begin..=x.end).collect();
            let to_ports: Vec<u64> = (0..ports.len() as u64).map(|k| 1000 + k + 2 * (k / 3)).collect();
            let to = Ranges::from_ranges(to_ports.iter().map(|&p| Range { begin: p, end: p }));
            let chosen: Vec<usize> = (0..ports.len()).filter(|_| gen(&mut seed, 3) == 0).collect();
            let set = Ranges::from_ranges(chosen.iter().map(|&k| Range { begin: ports[k], end: ports[k] }));
            let want = Ranges::from_ranges(chosen.iter().map(|&k| Range { begin: to_ports[k], end: to_ports[k] }));
            assert_eq!(renumber(&set, &from, &to), want);
            for &k in &chosen {
                assert_eq!(renumber_port(ports[k], &from, &to), to_ports[k]);
            }
        }
    }

    #[test]
    fn a_set_answers_as_its_flat_ranges_do() {
        let mut seed = 7u64;
        for round in 0..200 {
            let n = gen(&mut seed, 60) as usize;
            let flat = Ranges::from_ranges((0..n).map(|_| {
                let b = 1 + gen(&mut seed, 400);
                Range { begin: b, end: b + gen(&mut seed, 4) }
            }));
            let mut set = PortSet::from_ranges(&flat);
            let mut flat = flat;
            assert_eq!(set.to_ranges(), flat, "round {round}");
            for _ in 0..20 {
                let b = gen(&mut seed, 420);
                let x = Range { begin: b, end: b + gen(&mut seed, 6) };
                let one = Ranges::from_ranges([x]);
                let before = set.clone();
                if gen(&mut seed, 3) == 0 {
                    set = set.add(&one);
                    flat = flat.add(&one);
                } else {
                    set = set.subtract(&one);
                    flat = flat.subtract(&one);
                }
                assert_eq!(set.to_ranges(), flat, "round {round} after {x:?}");
                assert_eq!(set.range_count(), flat.range_count());
                assert_eq!(set.value_count(), flat.value_count());
                assert_eq!(before.to_ranges() == flat, before == set, "equality is content");
                // One shape per content: built apart, equal and hashing alike.
                let again = PortSet::from_ranges(&flat);
                assert!(again == set);
                let h = |s: &PortSet| {
                    use std::hash::{Hash, Hasher};
                    let mut h = crate::hash::Fx::default();
                    s.hash(&mut h);
                    h.finish()
                };
                assert_eq!(h(&again), h(&set));
                let p = gen(&mut seed, 420);
                assert_eq!(set.contains_value(p), flat.contains_value(p));
            }
            // Runs outside exclusions, from every start.
            let excl = r(&[(3, 9), (50, 50), (100, 180), (300, 301)]);
            let runs = free_runs(&flat, &excl);
            let total: u64 = runs.iter().map(|(b, e)| e - b + 1).sum();
            assert_eq!(set.count_outside(&excl), total);
            let ports: Vec<u64> = runs.iter().flat_map(|&(b, e)| b..=e).collect();
            for skip in [0, 1, total / 2, total.saturating_sub(1), total] {
                let mut got = Vec::new();
                set.for_each_free_from(skip, &excl, |b, e| {
                    got.extend(b..=e);
                    true
                });
                assert_eq!(got, ports.get(skip as usize..).unwrap_or(&[]).to_vec(), "round {round} skip {skip}");
            }
        }
    }

    #[test]
    fn the_extremes_of_u64_are_held() {
        let all = r(&[(0, u64::MAX)]);
        let s = PortSet::from_ranges(&all);
        assert_eq!(s.value_count(), u64::MAX);
        let s = s.subtract(&r(&[(u64::MAX, u64::MAX), (0, 0)]));
        assert_eq!(s.to_ranges(), r(&[(1, u64::MAX - 1)]));
        let s = s.add(&r(&[(u64::MAX, u64::MAX)]));
        assert_eq!(s.to_ranges(), r(&[(1, u64::MAX)]));
        assert!(s.contains_value(u64::MAX) && !s.contains_value(0));
        assert_eq!(s.count_outside(&r(&[(5, u64::MAX)])), 4);
    }

    #[test]
    fn many_single_ports_take_log_time_per_change() {
        let flat = Ranges::from_ranges((0..10_000u64).map(|i| Range { begin: 1 + 2 * i, end: 1 + 2 * i }));
        let mut s = PortSet::from_ranges(&flat);
        for i in 0..5_000u64 {
            let mut first = None;
            s.for_each_free_from(0, &Ranges::new(), |b, _| {
                first = Some(b);
                false
            });
            assert_eq!(first, Some(1 + 2 * i));
            s = s.subtract(&r(&[(1 + 2 * i, 1 + 2 * i)]));
        }
        assert_eq!(s.range_count(), 5_000);
        assert_eq!(s.select(0), Some(10_001));
    }
}
