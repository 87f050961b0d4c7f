//! A task's constraints compiled for the placement loop, and the per-group counters that
//! make `UNIQUE`, `CLUSTER`, `GROUP_BY` and `MAX_PER` cost O(1) per candidate.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::error::Error;

use super::ast::{Arg, Constraint, Dialect, Field, Operator};
use super::candidate::{Candidate, DiskCandidate};
use super::counts::{GroupRef, GroupState, GroupView, ValueIds};
use super::eval::satisfies;

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

    /// The fields read by the hard constraints and preferences, each once per dialect, in
    /// first-use order: what a candidate can be told apart by.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.reads.iter().map(|(f, _)| f)
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
        // INVARIANT: `slots` has one entry per hard constraint then per preference (made in
        // `new`), and callers pass such an index. Were it missing, `usize::MAX` reads as an
        // absent field: the constraint fails closed.
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

    /// True when a hard `UNIQUE` or `MAX_PER` constraint fails for `values`: the value
    /// already holds as many of the group's placements as it may. Counts only grow while
    /// placements are recorded, so such a failure lasts until the counters are restored
    /// (a gang rolled back, a group recounted).
    pub(crate) fn capped(&self, values: &FieldValues<'_>, group: GroupRef<'_>) -> bool {
        self.hard.iter().enumerate().any(|(i, c)| {
            matches!(c.operator, Operator::Unique | Operator::MaxPer)
                && c.uses_placements()
                && !self.satisfied_dynamic(c, i, values, group)
        })
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

// `GroupState`'s constructors from compiled constraints (its counters live in `counts`).
impl GroupState {
    /// An empty group tracking the fields of one constraint set.
    pub fn for_constraints(constraints: &CompiledConstraints, instances: Option<u32>) -> GroupState {
        let mut g = GroupState::new(instances);
        g.track(constraints);
        g
    }

    /// Tracks the fields `constraints` count. Returns false when a new field had to be added
    /// after placements were recorded (its constraints then fail; see the type docs).
    pub fn track(&mut self, constraints: &CompiledConstraints) -> bool {
        self.track_constraints(constraints.all())
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
