//! A task's constraints compiled for the placement loop, and the per-group counters that
//! make `UNIQUE`, `CLUSTER`, `GROUP_BY` and `MAX_PER` cost O(1) per candidate.

use std::borrow::Cow;
use std::collections::HashMap;

use smallvec::SmallVec;

use crate::error::Error;

use super::ast::{Arg, Constraint, Dialect, Field, Operator};
use super::eval::{satisfies, Candidate, DiskCandidate, GroupView};

/// A deterministic hasher (the engine's FxHash: the same on every platform, wasm32
/// included): the core holds no randomness, and the counters are never iterated for output,
/// so the order of the map never shows. Counting reads it once per candidate and constraint
/// (SipHash here was an eighth of a constraint-heavy call).
type Hasher = crate::hash::FxBuild;

/// A soft constraint: satisfied preferences add their weight to a candidate's score; an
/// unsatisfied one never vetoes.
#[derive(Debug, Clone, PartialEq)]
pub struct Preference {
    constraint: Constraint,
    weight: i32,
}

impl Preference {
    /// The largest weight magnitude.
    pub const MAX_WEIGHT: i32 = 100;

    /// A preference with a weight in −100..=100 (negative weights steer away).
    ///
    /// # Errors
    /// `constraint.weight` for a weight outside −100..=100.
    ///
    /// ```
    /// use offerfit::constraint::Preference;
    /// let p = Preference::new("rack IS r1".parse().unwrap(), 50).unwrap();
    /// assert_eq!(p.weight(), 50);
    /// assert_eq!(Preference::new("rack IS r1".parse().unwrap(), 101).unwrap_err().code(), "constraint.weight");
    /// ```
    pub fn new(constraint: Constraint, weight: i64) -> Result<Preference, Error> {
        match i32::try_from(weight) {
            Ok(w) if (-Preference::MAX_WEIGHT..=Preference::MAX_WEIGHT).contains(&w) => {
                Ok(Preference { constraint, weight: w })
            }
            _ => Err(Error::invalid(
                "constraint.weight",
                format!("expected a weight from -100 to 100, found `{weight}`"),
            )
            .with_help("a preference's weight is added to the score of candidates that satisfy it")),
        }
    }

    /// The constraint.
    pub fn constraint(&self) -> &Constraint {
        &self.constraint
    }

    /// The weight, −100..=100.
    pub fn weight(&self) -> i32 {
        self.weight
    }
}

/// The index (into [`CompiledConstraints::hard`]) of the first hard constraint a candidate
/// fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailedConstraint {
    /// Index into [`CompiledConstraints::hard`].
    pub index: usize,
}

/// The values one candidate shows for the fields a [`CompiledConstraints`] reads, computed
/// once per (agent, constraint set) with [`CompiledConstraints::read`] so a placement loop
/// can reuse them for every task sharing those constraints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldValues<'a>(SmallVec<[Option<Cow<'a, str>>; 4]>, SmallVec<[u32; 4]>);

impl FieldValues<'_> {
    fn get(&self, slot: usize) -> Option<&str> {
        self.0.get(slot).and_then(|v| v.as_deref())
    }

    /// The value id of a slot, when the values were read with ids ([`CompiledConstraints::read_ids`]).
    fn id(&self, slot: usize) -> Option<u32> {
        self.1.get(slot).copied()
    }
}

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
    fn own(state: &'g GroupState) -> GroupRef<'g> {
        GroupRef { state, ids: None }
    }

    fn view(&self, field: &Field) -> GroupView<'g> {
        let counts = self.state.fields.iter().find(|f| f.field == *field && f.complete);
        GroupView {
            counts,
            placed: self.state.placed,
            instances: self.state.instances,
            ids: self.ids.or_else(|| counts.and_then(|c| c.own.as_deref())),
        }
    }
}

/// A task's hard constraints and preferences, compiled once (regexes, numbers and sets are
/// parsed by then) and cheap to share (`Arc` it, or keep it by index).
///
/// ```
/// use offerfit::constraint::{Candidate, CompiledConstraints, GroupState};
/// use offerfit::Attributes;
/// let cc = CompiledConstraints::new(vec!["hostname UNIQUE".parse().unwrap()], vec![]);
/// let mut group = GroupState::for_constraints(&cc, Some(3));
/// let none = Attributes::new();
/// let (h1, h2) = (Candidate::new("h1", &none), Candidate::new("h2", &none));
/// assert!(cc.check(&h1, &group).is_ok());
/// group.record(&h1);
/// assert_eq!(cc.check(&h1, &group).unwrap_err().index, 0);
/// assert!(cc.check(&h2, &group).is_ok());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CompiledConstraints {
    hard: Vec<Constraint>,
    preferences: Vec<Preference>,
    /// Distinct (field, dialect) pairs read, in first-use order.
    reads: Vec<(Field, Dialect)>,
    /// For each hard constraint, then each preference: its index into `reads`.
    slots: Vec<usize>,
    /// [`CompiledConstraints::host_limit`], computed once.
    host_limit: Option<u32>,
    /// Some hard constraint counts placements without reading the hostname.
    dynamic_except_host: bool,
}

impl CompiledConstraints {
    /// Compiles a task's hard constraints and preferences.
    pub fn new(hard: Vec<Constraint>, preferences: Vec<Preference>) -> CompiledConstraints {
        let mut reads: Vec<(Field, Dialect)> = Vec::new();
        let mut slots = Vec::with_capacity(hard.len() + preferences.len());
        for c in hard.iter().chain(preferences.iter().map(|p| &p.constraint)) {
            let key = (c.field.clone(), c.dialect);
            let slot = match reads.iter().position(|r| *r == key) {
                Some(i) => i,
                None => {
                    reads.push(key);
                    reads.len() - 1
                }
            };
            slots.push(slot);
        }
        let host_limit = Self::limit_on_host(&hard);
        let dynamic_except_host = hard.iter().any(|c| c.uses_placements() && !Self::reads_host(c));
        CompiledConstraints { hard, preferences, reads, slots, host_limit, dynamic_except_host }
    }

    /// The hard constraints, in the order given.
    pub fn hard(&self) -> &[Constraint] {
        &self.hard
    }

    /// The preferences, in the order given.
    pub fn preferences(&self) -> &[Preference] {
        &self.preferences
    }

    /// True when there is nothing to check or score.
    pub fn is_empty(&self) -> bool {
        self.hard.is_empty() && self.preferences.is_empty()
    }

    /// True when a hard constraint or preference names `@region` or `@zone` (Marathon then
    /// lets the task use offers from other regions).
    pub fn mentions_domain(&self) -> bool {
        self.all().any(|c| matches!(c.field, Field::Region | Field::Zone))
    }

    /// True when some constraint counts the group's placements.
    pub fn uses_placements(&self) -> bool {
        self.all().any(Constraint::uses_placements)
    }

    fn all(&self) -> impl Iterator<Item = &Constraint> {
        self.hard.iter().chain(self.preferences.iter().map(|p| &p.constraint))
    }

    /// The values `candidate` shows for every field read here (compute once per agent).
    pub fn read<'a>(&self, candidate: &Candidate<'a>) -> FieldValues<'a> {
        FieldValues(self.reads.iter().map(|(f, d)| candidate.field_value(f, *d)).collect(), SmallVec::new())
    }

    /// [`CompiledConstraints::read`], with each value's id in `ids`.
    pub(crate) fn read_ids<'a>(&self, candidate: &Candidate<'a>, ids: &ValueIds<'_>) -> FieldValues<'a> {
        let mut values = self.read(candidate);
        values.1 = values.0.iter().map(|v| v.as_deref().map_or(ValueIds::UNKNOWN, |v| ids.get(v))).collect();
        values
    }

    fn slot(&self, i: usize) -> usize {
        self.slots.get(i).copied().unwrap_or(usize::MAX)
    }

    fn satisfied(&self, c: &Constraint, i: usize, values: &FieldValues<'_>, group: GroupRef<'_>) -> bool {
        let view = if c.uses_placements() { group.view(&c.field) } else { GroupView::NONE };
        let slot = self.slot(i);
        satisfies(c, values.get(slot), values.id(slot), view)
    }

    /// [`CompiledConstraints::satisfied`] for a constraint known to count placements.
    fn satisfied_dynamic(&self, c: &Constraint, i: usize, values: &FieldValues<'_>, group: GroupRef<'_>) -> bool {
        let slot = self.slot(i);
        satisfies(c, values.get(slot), values.id(slot), group.view(&c.field))
    }

    /// True when every hard constraint that does not count the group's placements holds for
    /// `values` (a result that never changes during a call: the placement loop caches it per
    /// agent class).
    pub(crate) fn static_ok(&self, values: &FieldValues<'_>) -> bool {
        self.hard
            .iter()
            .enumerate()
            .all(|(i, c)| c.uses_placements() || satisfies(c, values.get(self.slot(i)), None, GroupView::NONE))
    }

    /// True when every hard constraint that counts the group's placements holds for `values`.
    /// `static_ok && dynamic_ok` is `check_values(..).is_ok()`.
    pub(crate) fn dynamic_ok(&self, values: &FieldValues<'_>, group: GroupRef<'_>) -> bool {
        self.hard.iter().enumerate().all(|(i, c)| !c.uses_placements() || self.satisfied_dynamic(c, i, values, group))
    }

    /// True when hard constraint `c` reads the agent's hostname (which differs between
    /// agents that are otherwise alike).
    fn reads_host(c: &Constraint) -> bool {
        c.field == Field::Hostname && c.dialect == Dialect::Marathon
    }

    /// True when every hard constraint that neither counts placements nor reads the hostname
    /// holds for `values` (the same for every agent of a class).
    pub(crate) fn static_ok_except_host(&self, values: &FieldValues<'_>) -> bool {
        self.hard.iter().enumerate().all(|(i, c)| {
            c.uses_placements() || Self::reads_host(c) || satisfies(c, values.get(self.slot(i)), None, GroupView::NONE)
        })
    }

    /// True when every hard constraint that counts placements or reads the hostname holds for
    /// an agent named `hostname` (value id `host_id`, when known) whose other fields show
    /// `values`. With [`CompiledConstraints::static_ok_except_host`], the same answer as
    /// `check` on that agent.
    pub(crate) fn host_ok(
        &self,
        values: &FieldValues<'_>,
        hostname: &str,
        host_id: Option<u32>,
        group: GroupRef<'_>,
    ) -> bool {
        self.hard.iter().enumerate().all(|(i, c)| {
            if Self::reads_host(c) {
                let view = if c.uses_placements() { group.view(&c.field) } else { GroupView::NONE };
                satisfies(c, Some(hostname), host_id, view)
            } else {
                !c.uses_placements() || self.satisfied(c, i, values, group)
            }
        })
    }

    /// True when every hard constraint that counts placements but does not read the
    /// hostname holds for `values` (the same for every agent of a class).
    pub(crate) fn dynamic_ok_except_host(&self, values: &FieldValues<'_>, group: GroupRef<'_>) -> bool {
        !self.dynamic_except_host
            || self.hard.iter().enumerate().all(|(i, c)| {
                !c.uses_placements() || Self::reads_host(c) || self.satisfied_dynamic(c, i, values, group)
            })
    }

    /// `Some(limit)` when the hard constraints that read the hostname are all `UNIQUE` (a
    /// limit of 1) or `MAX_PER n` (`n`; none below 0), at least one: an agent then passes
    /// them iff the group has fewer than `limit` placements on its hostname (and the group
    /// counts hostnames), the least limit deciding.
    pub(crate) fn host_limit(&self) -> Option<u32> {
        self.host_limit
    }

    fn limit_on_host(hard: &[Constraint]) -> Option<u32> {
        let mut limit: Option<u32> = None;
        for c in hard.iter().filter(|c| Self::reads_host(c)) {
            let l = match (c.operator, &c.arg) {
                (Operator::Unique, _) => 1,
                (Operator::MaxPer, Arg::Int(n)) => u32::try_from(*n).unwrap_or(0),
                _ => return None,
            };
            limit = Some(limit.map_or(l, |x| x.min(l)));
        }
        limit
    }

    /// True when some hard constraint counts the group's placements.
    pub(crate) fn has_dynamic(&self) -> bool {
        self.hard.iter().any(Constraint::uses_placements)
    }

    /// Checks the hard constraints against values read with [`CompiledConstraints::read`].
    ///
    /// # Errors
    /// The first hard constraint that is not satisfied.
    pub fn check_values(&self, values: &FieldValues<'_>, group: &GroupState) -> Result<(), FailedConstraint> {
        self.check_values_in(values, GroupRef::own(group))
    }

    fn check_values_in(&self, values: &FieldValues<'_>, group: GroupRef<'_>) -> Result<(), FailedConstraint> {
        match self.hard.iter().enumerate().find(|(i, c)| !self.satisfied(c, *i, values, group)) {
            Some((index, _)) => Err(FailedConstraint { index }),
            None => Ok(()),
        }
    }

    /// Checks the hard constraints against a candidate.
    ///
    /// # Errors
    /// The first hard constraint that is not satisfied.
    pub fn check(&self, candidate: &Candidate<'_>, group: &GroupState) -> Result<(), FailedConstraint> {
        self.check_in(candidate, GroupRef::own(group))
    }

    /// [`CompiledConstraints::check`] against a group counted by `group.ids`.
    pub(crate) fn check_in(&self, candidate: &Candidate<'_>, group: GroupRef<'_>) -> Result<(), FailedConstraint> {
        if self.hard.is_empty() {
            return Ok(());
        }
        self.check_values_in(&self.read(candidate), group)
    }

    /// Whether each hard constraint is satisfied (for explanations).
    pub fn results(&self, values: &FieldValues<'_>, group: &GroupState) -> Vec<bool> {
        let group = GroupRef::own(group);
        self.hard.iter().enumerate().map(|(i, c)| self.satisfied(c, i, values, group)).collect()
    }

    /// Whether each preference is satisfied.
    pub fn preference_results(&self, values: &FieldValues<'_>, group: &GroupState) -> Vec<bool> {
        let group = GroupRef::own(group);
        let base = self.hard.len();
        self.preferences
            .iter()
            .enumerate()
            .map(|(i, p)| self.satisfied(&p.constraint, base + i, values, group))
            .collect()
    }

    /// The sum of the weights of the satisfied preferences.
    pub fn preference_score_values(&self, values: &FieldValues<'_>, group: &GroupState) -> i64 {
        self.preference_score_values_in(values, GroupRef::own(group))
    }

    fn preference_score_values_in(&self, values: &FieldValues<'_>, group: GroupRef<'_>) -> i64 {
        let base = self.hard.len();
        self.preferences
            .iter()
            .enumerate()
            .filter(|(i, p)| self.satisfied(&p.constraint, base + i, values, group))
            .map(|(_, p)| i64::from(p.weight))
            .sum()
    }

    /// The sum of the weights of the preferences `candidate` satisfies.
    ///
    /// ```
    /// use offerfit::constraint::{Candidate, CompiledConstraints, GroupState, Preference};
    /// use offerfit::Attributes;
    /// let prefs = vec![
    ///     Preference::new("hostname LIKE a.*".parse().unwrap(), 30).unwrap(),
    ///     Preference::new("hostname UNIQUE".parse().unwrap(), -10).unwrap(),
    /// ];
    /// let cc = CompiledConstraints::new(vec![], prefs);
    /// let group = GroupState::for_constraints(&cc, None);
    /// let none = Attributes::new();
    /// assert_eq!(cc.preference_score(&Candidate::new("a1", &none), &group), 20);
    /// assert_eq!(cc.preference_score(&Candidate::new("b1", &none), &group), -10);
    /// ```
    pub fn preference_score(&self, candidate: &Candidate<'_>, group: &GroupState) -> i64 {
        self.preference_score_in(candidate, GroupRef::own(group))
    }

    /// [`CompiledConstraints::preference_score`] against a group counted by `group.ids`.
    pub(crate) fn preference_score_in(&self, candidate: &Candidate<'_>, group: GroupRef<'_>) -> i64 {
        if self.preferences.is_empty() {
            return 0;
        }
        self.preference_score_values_in(&self.read(candidate), group)
    }

    /// Checks the hard constraints against a disk (a volume's `require` list). Operators that
    /// count placements are unsatisfied on a disk (parse with [`super::Target::Disk`] to
    /// refuse them up front).
    ///
    /// # Errors
    /// The first hard constraint that is not satisfied.
    pub fn check_disk(&self, disk: &DiskCandidate<'_>) -> Result<(), FailedConstraint> {
        match self.hard.iter().enumerate().find(|(_, c)| !disk_satisfies(c, disk)) {
            Some((index, _)) => Err(FailedConstraint { index }),
            None => Ok(()),
        }
    }
}

fn disk_satisfies(c: &Constraint, disk: &DiskCandidate<'_>) -> bool {
    !c.uses_placements() && satisfies(c, disk.field_value(&c.field).as_deref(), None, GroupView::NONE)
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

    /// An empty group tracking the fields of one constraint set.
    pub fn for_constraints(constraints: &CompiledConstraints, instances: Option<u32>) -> GroupState {
        let mut g = GroupState::new(instances);
        g.track(constraints);
        g
    }

    /// Tracks the fields `constraints` count. Returns false when a new field had to be added
    /// after placements were recorded (its constraints then fail; see the type docs).
    pub fn track(&mut self, constraints: &CompiledConstraints) -> bool {
        let mut ok = true;
        for c in constraints.all().filter(|c| c.uses_placements() && c.dialect == Dialect::Marathon) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attribute, Attributes, Value};

    fn attrs(rack: Option<&str>) -> Attributes {
        Attributes(rack.map(|r| Attribute { name: "rack".into(), value: Value::Text(r.into()) }).into_iter().collect())
    }

    fn cc(s: &str) -> CompiledConstraints {
        CompiledConstraints::new(vec![s.parse().unwrap()], vec![])
    }

    /// Places racks in order, returns whether `offer` is then accepted.
    fn accepts(c: &str, instances: Option<u32>, placed: &[Option<&str>], offer: &str) -> bool {
        let cc = cc(c);
        let mut g = GroupState::for_constraints(&cc, instances);
        for p in placed {
            let a = attrs(*p);
            g.record(&Candidate::new("h", &a));
        }
        let a = attrs(Some(offer));
        cc.check(&Candidate::new("h", &a), &g).is_ok()
    }

    #[test]
    fn group_by_snapshot_rule() {
        let r = |s: &'static str| Some(s);
        assert!(accepts("rack GROUP_BY 2", Some(5), &[r("r1")], "r2"));
        assert!(!accepts("rack GROUP_BY 4", Some(5), &[r("r1"), r("r1"), r("r2")], "r2"));
        assert!(accepts("rack GROUP_BY 2", Some(5), &[r("r1"), r("r1"), r("r1"), r("r2")], "r2"));
        assert!(!accepts("rack GROUP_BY 2", Some(5), &[r("r1"), r("r2")], "r3"));
        assert!(accepts("rack GROUP_BY 2", Some(5), &[r("r1"), r("r1")], "r1"));
        assert!(!accepts("rack GROUP_BY 2", Some(5), &[r("r1"), r("r1"), r("r1")], "r1"));
        // An absent group counts as a group.
        assert!(!accepts("rack GROUP_BY 2", Some(5), &[None, r("r1")], "r2"));
    }

    #[test]
    fn group_by_without_instances_balances_as_it_goes() {
        let r = |s: &'static str| Some(s);
        assert!(accepts("rack GROUP_BY 2", None, &[], "r1"));
        assert!(!accepts("rack GROUP_BY 2", None, &[r("r1")], "r1"));
        assert!(accepts("rack GROUP_BY 2", None, &[r("r1")], "r2"));
        assert!(accepts("rack GROUP_BY 2", None, &[r("r1"), r("r2")], "r1"));
    }

    #[test]
    fn group_by_without_value_balances_over_values_seen() {
        let r = |s: &'static str| Some(s);
        assert!(accepts("rack GROUP_BY", None, &[r("r1"), r("r1")], "r3"), "a new value is welcome");
        assert!(!accepts("rack GROUP_BY", None, &[r("r1"), r("r1"), r("r2")], "r1"));
        assert!(accepts("rack GROUP_BY", None, &[r("r1"), r("r1"), r("r2")], "r2"));
        assert!(accepts("rack GROUP_BY", None, &[None, r("r1")], "r1"));
        assert!(!accepts("rack GROUP_BY", None, &[None, r("r1"), r("r1")], "r1"));
    }

    #[test]
    fn unique_cluster_max_per() {
        let r = |s: &'static str| Some(s);
        assert!(accepts("rack UNIQUE", None, &[None], "r1"), "placements lacking the field never conflict");
        assert!(!accepts("rack UNIQUE", None, &[r("r2"), r("r1")], "r1"));
        assert!(accepts("rack CLUSTER", None, &[], "r1"));
        assert!(accepts("rack CLUSTER", None, &[r("r1"), r("r2")], "r1"));
        assert!(!accepts("rack CLUSTER", None, &[r("r2"), r("r1")], "r1"));
        assert!(!accepts("rack CLUSTER", None, &[None], "r1"));
        assert!(accepts("rack CLUSTER r1", None, &[r("r2")], "r1"));
        assert!(accepts("rack MAX_PER 2", None, &[r("r1")], "r1"));
        assert!(!accepts("rack MAX_PER 2", None, &[r("r1"), r("r1")], "r1"));
        assert!(!accepts("rack MAX_PER 0", None, &[], "r1"));
    }

    #[test]
    fn late_tracking_fails_closed() {
        let a = cc("rack UNIQUE");
        let b = cc("zone UNIQUE");
        let mut g = GroupState::for_constraints(&a, None);
        let at = attrs(Some("r1"));
        g.record(&Candidate::new("h", &at));
        assert!(!g.track(&b));
        assert!(g.track(&a));
        assert!(b.check(&Candidate::new("h", &at), &g).is_err());
    }

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

    #[test]
    fn split_checks_agree_with_check() {
        // Static and dynamic halves (and the hostname split the placement loop uses per agent)
        // give `check`'s answer for every candidate and group state.
        let sets = [
            "rack LIKE r[12]",
            "hostname UNIQUE",
            "rack GROUP_BY 2",
            "hostname LIKE h[0-9]",
            "rack MAX_PER 1",
            "hostname CLUSTER h1",
        ];
        let racks = [Some("r1"), Some("r2"), Some("r3"), None];
        let hosts = ["h1", "h2", "hx"];
        for a in sets {
            for b in sets {
                let cc = CompiledConstraints::new(vec![a.parse().unwrap(), b.parse().unwrap()], vec![]);
                let mut g = GroupState::for_constraints(&cc, Some(4));
                for step in 0..4 {
                    for rack in racks {
                        let at = attrs(rack);
                        let rep = cc.read(&Candidate::new("h1", &at));
                        for host in hosts {
                            let cand = Candidate::new(host, &at);
                            let values = cc.read(&cand);
                            let want = cc.check(&cand, &g).is_ok();
                            assert_eq!(
                                cc.static_ok(&values) && cc.dynamic_ok(&values, GroupRef::own(&g)),
                                want,
                                "{a}; {b}; {host}"
                            );
                            assert_eq!(
                                cc.static_ok_except_host(&rep) && cc.host_ok(&rep, host, None, GroupRef::own(&g)),
                                want,
                                "{a}; {b}; {host} via the class's values"
                            );
                        }
                    }
                    let at = attrs(racks.get(step % 3).copied().flatten());
                    g.record(&Candidate::new(hosts.get(step % 3).copied().unwrap_or("h1"), &at));
                }
            }
        }
    }

    #[test]
    fn field_values_are_read_once_per_field() {
        let cc = CompiledConstraints::new(
            vec!["rack LIKE r.*".parse().unwrap(), "rack UNLIKE r9".parse().unwrap()],
            vec![Preference::new("hostname IS h".parse().unwrap(), 5).unwrap()],
        );
        assert_eq!(cc.reads.len(), 2);
        let a = attrs(Some("r1"));
        let cand = Candidate::new("h", &a);
        let values = cc.read(&cand);
        let g = GroupState::new(None);
        assert_eq!(cc.results(&values, &g), vec![true, true]);
        assert_eq!(cc.preference_results(&values, &g), vec![true]);
        assert_eq!(cc.preference_score_values(&values, &g), 5);
    }
}

#[cfg(test)]
mod thread_tests {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn compiled_constraints_can_be_shared_across_threads() {
        send_sync::<super::CompiledConstraints>();
        send_sync::<super::GroupState>();
        send_sync::<super::Constraint>();
    }
}
