//! A group's placements as counters: per constrained field, how many placements each value
//! has (by dense value id), which value came first and how many values have each count.
//! Everything `UNIQUE`, `CLUSTER`, `GROUP_BY` and `MAX_PER` ask costs O(1) per candidate, and
//! a placement updates O(fields).

use std::borrow::Cow;
use std::collections::HashMap;

use smallvec::SmallVec;

use super::ast::{Arg, Constraint, Dialect, Field, Operator};
use super::candidate::Candidate;

/// A deterministic hasher (the engine's FxHash: the same on every platform, wasm32
/// included): the core holds no randomness, and the counters are never iterated for output,
/// so the order of the map never shows. Counting reads it once per candidate and constraint
/// (SipHash here was an eighth of a constraint-heavy call).
type Hasher = crate::hash::FxBuild;

/// The values group counters have seen, as dense ids: the counters count ids, so a check
/// whose value id is known (the engine reads them once per agent class, and once per agent
/// for the hostname) hashes no string.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueIds<'a> {
    map: HashMap<Cow<'a, str>, u32, Hasher>,
}

impl<'a> ValueIds<'a> {
    /// The id of a value never interned (no counter has counted it).
    pub(crate) const UNKNOWN: u32 = u32::MAX;

    /// The id of `v`, or [`ValueIds::UNKNOWN`].
    pub(crate) fn get(&self, v: &str) -> u32 {
        self.map.get(v).copied().unwrap_or(Self::UNKNOWN)
    }

    /// Makes room for `n` more values.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }

    /// The id of `v`, interned when new.
    pub(crate) fn intern(&mut self, v: Cow<'a, str>) -> u32 {
        let id = u32::try_from(self.map.len()).unwrap_or(Self::UNKNOWN - 1).min(Self::UNKNOWN - 1);
        // One hash and one probe: the key is borrowed (or already owned) either way.
        *self.map.entry(v).or_insert(id)
    }
}

/// A group's counters with the ids their values are counted by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupRef<'g> {
    pub(crate) state: &'g GroupState,
    /// `None`: each field's own ids ([`GroupState::record`]).
    pub(crate) ids: Option<&'g ValueIds<'g>>,
}

impl<'g> GroupRef<'g> {
    /// The group's hostname counters (`None` when it does not count hostnames).
    pub(crate) fn host_counts(&self) -> Option<&'g FieldCounts> {
        self.view(&Field::Hostname).counts
    }

    /// A group with its own ids (the public API's groups).
    pub(super) fn own(state: &'g GroupState) -> GroupRef<'g> {
        GroupRef { state, ids: None }
    }

    pub(super) fn view(&self, field: &Field) -> GroupView<'g> {
        let counts = self.state.fields.iter().find(|f| f.field == *field && f.complete);
        GroupView {
            counts,
            placed: self.state.placed,
            instances: self.state.instances,
            ids: self.ids.or_else(|| counts.and_then(|c| c.own.as_deref())),
        }
    }
}

/// Counters of one field over the placements of a group.
#[derive(Debug, Clone)]
pub(crate) struct FieldCounts {
    field: Field,
    /// Placements per value id.
    counts: HashMap<u32, u32, Hasher>,
    /// Placements lacking the field (one more group for GROUP_BY).
    absent: u32,
    /// The first placement's value (CLUSTER without a value); `Some(None)` when it lacked
    /// the field.
    first: Option<Option<u32>>,
    /// How many groups (values, plus the absent group) have each count.
    /// `(count, groups)` ascending by count, counts with no group left out (few distinct
    /// counts: at most √(2·placements)).
    hist: SmallVec<[(u32, u32); 4]>,
    /// `(g, per, consumed)` for each `GROUP_BY g` tracked, refreshed on every placement.
    group_by: SmallVec<[(i32, u64, u64); 1]>,
    /// False when the field was tracked after placements had been recorded.
    complete: bool,
    /// The ids of the values [`GroupState::record`] counted (the engine's groups count
    /// values by the ids of a table shared by the call's groups, and have none).
    own: Option<Box<ValueIds<'static>>>,
}

impl FieldCounts {
    fn new(field: Field, complete: bool) -> FieldCounts {
        FieldCounts {
            field,
            counts: HashMap::default(),
            absent: 0,
            first: None,
            hist: SmallVec::new(),
            group_by: SmallVec::new(),
            complete,
            own: None,
        }
    }

    /// Placements with value id `v`.
    pub(crate) fn count(&self, v: u32) -> u32 {
        self.counts.get(&v).copied().unwrap_or(0)
    }

    /// The first placement's value id: `None` when nothing is placed, `Some(None)` when the
    /// first placement lacked the field.
    pub(crate) fn first(&self) -> Option<Option<u32>> {
        self.first
    }

    /// Number of groups, the absent group included.
    fn distinct(&self) -> usize {
        self.counts.len() + usize::from(self.absent > 0)
    }

    /// `Σ max(0, c(x) − per)` over all groups.
    fn consumed(&self, per: u64) -> u64 {
        self.hist.iter().filter(|(k, _)| u64::from(*k) > per).map(|&(k, n)| (u64::from(k) - per) * u64::from(n)).sum()
    }

    /// Counts a placement on value id `v` (`None`: lacking the field); `expect` the number of
    /// values the group may come to have (room is made for that many at once).
    fn add(&mut self, v: Option<u32>, expect: usize) {
        let old = match v {
            Some(v) => {
                if self.counts.capacity() == 0 {
                    self.counts.reserve(expect);
                }
                let slot = self.counts.entry(v).or_insert(0);
                *slot += 1;
                *slot - 1
            }
            None => {
                self.absent += 1;
                self.absent - 1
            }
        };
        // INVARIANT: `hist` holds an entry for every count some group has, so `old` (> 0) is
        // found, and an index `binary_search` returns is in bounds: the `get_mut` misses
        // below are never taken.
        if old > 0 {
            if let Ok(i) = self.hist.binary_search_by_key(&old, |e| e.0) {
                if let Some(e) = self.hist.get_mut(i) {
                    e.1 -= 1;
                    if e.1 == 0 {
                        self.hist.remove(i);
                    }
                }
            }
        }
        let new = old + 1;
        match self.hist.binary_search_by_key(&new, |e| e.0) {
            Ok(i) => {
                if let Some(e) = self.hist.get_mut(i) {
                    e.1 += 1;
                }
            }
            Err(i) => self.hist.insert(i, (new, 1)),
        }
        if self.first.is_none() {
            self.first = Some(v);
        }
    }

    fn refresh(&mut self, n: u64) {
        let mut entries = std::mem::take(&mut self.group_by);
        for (g, per, consumed) in entries.iter_mut() {
            *per = n / u64::from(g.unsigned_abs());
            *consumed = self.consumed(*per);
        }
        self.group_by = entries;
    }

    /// GROUP_BY. With `g ≥ 1`, Marathon's rule at the snapshot (SEMANTICS §1.6): with
    /// `per = N div g`, `rem = N mod g` and `consumed = Σ max(0, c(x) − per)`, a value already
    /// used is accepted iff `c(v) < per`, or `c(v) == per` and `rem > consumed`; a new value iff
    /// fewer than `g` groups exist. Without a value (or `g ≤ 0`), Marathon's rule before
    /// PR #7206: a new value is accepted, a used one iff its count is the smallest group count
    /// (balance over the values seen so far).
    pub(crate) fn group_by_accepts(&self, v: u32, g: Option<i32>, placed: u32, instances: Option<u32>) -> bool {
        let c = self.count(v);
        match g {
            Some(g) if g >= 1 => {
                if c == 0 {
                    // INVARIANT: `g ≥ 1` fits a usize; the fallback is never taken.
                    return self.distinct() < usize::try_from(g).unwrap_or(usize::MAX);
                }
                let n = instances.map_or(u64::from(placed) + 1, u64::from);
                let g64 = u64::from(g.unsigned_abs());
                let (per, rem) = (n / g64, n % g64);
                let consumed = match self.group_by.iter().find(|(gg, p, _)| *gg == g && *p == per) {
                    Some((_, _, consumed)) => *consumed,
                    None => self.consumed(per),
                };
                u64::from(c) < per || (u64::from(c) == per && rem > consumed)
            }
            _ => c == 0 || self.hist.first().is_some_and(|&(min, _)| c == min),
        }
    }
}

/// The placements of one group (running tasks plus those placed earlier in the batch), as
/// counters per constrained field value: everything `UNIQUE`, `CLUSTER`, `GROUP_BY` and
/// `MAX_PER` need, updated in O(fields) per placement and read in O(1) per candidate.
///
/// Create it with every constraint set of the group's tasks ([`GroupState::for_constraints`],
/// [`GroupState::track`]) **before** recording placements: a field first tracked after
/// placements were recorded has no counts for them, and the constraints on it then fail
/// (closed) rather than guess.
#[derive(Debug, Clone, Default)]
pub struct GroupState {
    instances: Option<u32>,
    placed: u32,
    fields: Vec<FieldCounts>,
}

impl GroupState {
    /// An empty group whose target size is `instances` (`N` of GROUP_BY; when `None`, `N` is
    /// the number of placements plus one — the group ends with the placement being decided).
    pub fn new(instances: Option<u32>) -> GroupState {
        GroupState { instances, placed: 0, fields: Vec::new() }
    }

    /// Tracks the fields the counting constraints among `constraints` read
    /// ([`GroupState::track`]). Returns false when a new field had to be added after
    /// placements were recorded.
    pub(super) fn track_constraints<'c>(&mut self, constraints: impl Iterator<Item = &'c Constraint>) -> bool {
        let mut ok = true;
        for c in constraints.filter(|c| c.uses_placements() && c.dialect == Dialect::Marathon) {
            let i = match self.fields.iter().position(|f| f.field == c.field) {
                Some(i) => i,
                None => {
                    ok &= self.placed == 0;
                    self.fields.push(FieldCounts::new(c.field.clone(), self.placed == 0));
                    self.fields.len() - 1
                }
            };
            if let (Operator::GroupBy, Arg::Int(g)) = (c.operator, &c.arg) {
                if *g >= 1 {
                    let n = self.target();
                    if let Some(fc) = self.fields.get_mut(i) {
                        if !fc.group_by.iter().any(|(gg, _, _)| gg == g) {
                            fc.group_by.push((*g, 0, 0));
                            fc.refresh(n);
                        }
                    }
                }
            }
        }
        ok
    }

    /// How many values a field may come to count (room is made for that many at once).
    fn expect(&self) -> usize {
        self.instances.map_or(4, |i| i.min(64) as usize)
    }

    /// `N` for GROUP_BY.
    fn target(&self) -> u64 {
        self.instances.map_or(u64::from(self.placed) + 1, u64::from)
    }

    /// Records one placement of the group on `candidate`.
    pub fn record(&mut self, candidate: &Candidate<'_>) {
        self.placed = self.placed.saturating_add(1);
        let n = self.target();
        let expect = self.expect();
        for fc in &mut self.fields {
            let id = candidate.field_value(&fc.field, Dialect::Marathon).map(|v| {
                let ids = fc.own.get_or_insert_with(Box::default);
                match ids.get(&v) {
                    ValueIds::UNKNOWN => ids.intern(Cow::Owned(v.into_owned())),
                    id => id,
                }
            });
            fc.add(id, expect);
            fc.refresh(n);
        }
    }

    /// Records one placement of the group on an agent whose value id for each tracked field
    /// is `id_of(field)` (`None`: the agent lacks the field).
    pub(crate) fn record_ids(&mut self, mut id_of: impl FnMut(&Field) -> Option<u32>) {
        self.placed = self.placed.saturating_add(1);
        let n = self.target();
        let expect = self.expect();
        for fc in &mut self.fields {
            fc.add(id_of(&fc.field), expect);
            fc.refresh(n);
        }
    }

    /// The fields tracked.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().map(|f| &f.field)
    }

    /// Number of placements recorded.
    pub fn placed(&self) -> u32 {
        self.placed
    }

    /// The group's target size, if known.
    pub fn instances(&self) -> Option<u32> {
        self.instances
    }
}

/// What a group operator may see of the group: the counts for the constraint's field (when
/// tracked), the number of placements and the instance target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupView<'g> {
    pub(crate) counts: Option<&'g FieldCounts>,
    pub(crate) placed: u32,
    pub(crate) instances: Option<u32>,
    /// The ids the counts count values by.
    pub(crate) ids: Option<&'g ValueIds<'g>>,
}

impl GroupView<'_> {
    /// No group at all (disks).
    pub(crate) const NONE: GroupView<'static> = GroupView { counts: None, placed: 0, instances: None, ids: None };

    /// The id the counts know `v` by (`id` when known).
    pub(super) fn id(&self, v: &str, id: Option<u32>) -> u32 {
        match id {
            Some(id) if id != ValueIds::UNKNOWN => id,
            _ => self.ids.map_or(ValueIds::UNKNOWN, |ids| ids.get(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_stay_consistent() {
        let mut fc = FieldCounts::new(Field::Hostname, true);
        for v in [Some(0), Some(0), Some(1), None, Some(0)] {
            fc.add(v, 4);
        }
        assert_eq!((fc.count(0), fc.count(1), fc.count(2)), (3, 1, 0));
        assert_eq!(fc.distinct(), 3);
        assert_eq!(fc.hist.to_vec(), vec![(1, 2), (3, 1)]);
        assert_eq!(fc.consumed(1), 2);
        assert_eq!(fc.consumed(0), 5);
        assert_eq!(fc.first(), Some(Some(0)));
    }
}
