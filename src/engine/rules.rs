//! The seam between the placement engine and the constraint language
//! ([`crate::constraint`]): compiles a task's constraints, preferences and volume
//! requirements once, evaluates them against a candidate agent (or disk) and the placements
//! of the task's group, and keeps the group counters live as the batch places tasks.

use smallvec::SmallVec;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::rc::Rc;

use super::options::WEIGHT_ONE;
use super::request::PlaceError;
use super::rules_memo::RulesMemo;
use crate::constraint::{
    parse_constraint, CompiledConstraints, Dialect, DiskCandidate, Field, FieldValues, GroupState, ParseOptions,
    Parsed, Preference, Target,
};
use crate::constraint::{FieldCounts, GroupRef, Operator, ValueIds};
use crate::limits::Limits;
use crate::model::{ConstraintSpec, DiskInfo, RunningTask, TaskRequest};

pub(crate) use crate::constraint::Candidate;

/// A task's compiled constraints and preferences.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    /// Shared: the tasks of an app get the same compiled rules ([`RulesCache`]), and a copy
    /// per task (allocations for every constraint, regexes, counters) cost as much as the
    /// constraint checks of a call.
    cc: Rc<CompiledConstraints>,
    /// Some rule reads the hostname, so agents of one class may differ.
    pub per_agent: bool,
    /// Some rule names `@region` or `@zone` (such tasks may use offers of other regions).
    pub names_region: bool,
    /// Some hard constraint counts the group's placements.
    dynamic: bool,
    /// Tasks of a call with the same compiled rules share this id (from [`RulesCache`]);
    /// [`Rules::NO_ID`] when the rules were compiled alone. Keys per-class caches of what the
    /// rules read.
    pub id: u32,
}

/// Compiled rules shared by the tasks of a call that have the same dialect, constraints and
/// preferences: an app submits many identical tasks, and compiling their `LIKE` regexes once
/// per task was a third of a constraint-heavy call (issue 7, callgrind).
#[derive(Default)]
pub(crate) struct RulesCache<'r> {
    map: HashMap<u64, Vec<(&'r TaskRequest, Rules)>, crate::hash::FxBuild>,
    next: u32,
    /// The rules of tasks without constraints or preferences (the same for all of them).
    empty: Option<Rules>,
    /// Every constraint parsed so far, by (dialect, text): apps with different constraint
    /// sets often share a constraint (a `LIKE`), and compiling its regex once per set was a
    /// twentieth of a constraint-heavy call (issue 7, callgrind).
    parsed: ParsedMemo<'r>,
    /// Bytes of the regexes compiled so far for this request (see [`Limits::regex_budget`]).
    regex_bytes: usize,
    /// The two rules found last (replaced in turn), looked at before the map: an app's tasks
    /// come in a row, with one or two sets of constraints, so most tasks find theirs here
    /// without hashing their constraints.
    recent: [Option<(&'r TaskRequest, Rules)>; 2],
    recent_next: usize,
    /// Constraints kept from earlier batches (a caller that owns them across calls,
    /// [`super::rules_memo`]): looked at when this call has not parsed a spec yet.
    shared: Option<RulesMemo>,
}

/// Constraints already parsed in a call, by dialect and spec (`None`: ignored by the dialect).
type ParsedMemo<'r> =
    HashMap<u64, Vec<(Dialect, &'r ConstraintSpec, Option<crate::constraint::Constraint>)>, crate::hash::FxBuild>;

/// A call's parsed constraints, its regex bytes so far, and the constraints kept across
/// batches when the caller keeps them.
type MemoRefs<'m, 'r> = (&'m mut ParsedMemo<'r>, &'m mut usize, Option<&'m mut RulesMemo>);

fn hash_spec(h: &mut impl Hasher, c: &ConstraintSpec) {
    match c {
        ConstraintSpec::Text(t) => (0u8, t).hash(h),
        ConstraintSpec::Fields(f) => (1u8, f).hash(h),
        ConstraintSpec::Object { field, operator, value } => (2u8, field, operator, value).hash(h),
    }
}

impl<'r> RulesCache<'r> {
    /// A cache that also looks constraints up in `shared` (and keeps new ones there), made
    /// ready for `limits`; [`RulesCache::into_shared`] gives it back.
    pub(crate) fn with_shared(mut shared: RulesMemo, limits: &Limits) -> RulesCache<'r> {
        shared.begin(limits);
        RulesCache { shared: Some(shared), ..RulesCache::default() }
    }

    /// The constraints kept across batches, given back at the end of the call.
    pub(crate) fn into_shared(self) -> Option<RulesMemo> {
        self.shared
    }

    /// [`Rules::compile_with`], or a copy of the rules of an earlier task with the same ones.
    pub(crate) fn compile(
        &mut self,
        task: &'r TaskRequest,
        base: &dyn fmt::Display,
        limits: &Limits,
        default_delimiter: Option<&str>,
    ) -> Result<Rules, PlaceError> {
        if task.constraints.is_empty() && task.preferences.is_empty() {
            if let Some(rules) = &self.empty {
                return Ok(rules.clone());
            }
            let rules = Rules::compile_with(task, base, limits, None, default_delimiter)?;
            self.empty = Some(rules.clone());
            return Ok(rules);
        }
        let same = |t: &TaskRequest| {
            t.dialect == task.dialect
                && t.delimiter == task.delimiter
                && t.constraints == task.constraints
                && t.preferences == task.preferences
        };
        if let Some((_, rules)) = self.recent.iter().flatten().find(|(t, _)| same(t)) {
            return Ok(rules.clone());
        }
        let mut h = crate::hash::FxBuild::default().build_hasher();
        task.dialect.hash(&mut h);
        task.constraints.iter().for_each(|c| hash_spec(&mut h, c));
        for p in &task.preferences {
            hash_spec(&mut h, &p.constraint);
            p.weight.hash(&mut h);
        }
        let key = h.finish();
        if let Some((_, rules)) = self.map.get(&key).and_then(|list| list.iter().find(|(t, _)| same(t))) {
            let rules = rules.clone();
            self.remember(task, &rules);
            return Ok(rules);
        }
        let mut rules = Rules::compile_with(
            task,
            base,
            limits,
            Some((&mut self.parsed, &mut self.regex_bytes, self.shared.as_mut())),
            default_delimiter,
        )?;
        rules.id = self.next;
        self.next = self.next.saturating_add(1).min(Rules::NO_ID - 1);
        self.map.entry(key).or_default().push((task, rules.clone()));
        self.remember(task, &rules);
        Ok(rules)
    }

    /// True when this call parsed `spec` (in `dialect`, with the default delimiter) to a
    /// constraint the dialect does not ignore: parsing it again gives no warning.
    pub(crate) fn parsed_to_constraint(&self, dialect: Dialect, spec: &ConstraintSpec) -> bool {
        let mut h = crate::hash::FxBuild::default().build_hasher();
        dialect.hash(&mut h);
        hash_spec(&mut h, spec);
        self.parsed
            .get(&h.finish())
            .is_some_and(|list| list.iter().any(|(d, s, c)| *d == dialect && *s == spec && c.is_some()))
    }

    /// Keeps `rules` (of `task`) among [`RulesCache::recent`], in place of the older one.
    fn remember(&mut self, task: &'r TaskRequest, rules: &Rules) {
        if let Some(slot) = self.recent.get_mut(self.recent_next) {
            *slot = Some((task, rules.clone()));
        }
        self.recent_next = (self.recent_next + 1) % 2;
    }
}

/// Compiled volume requirements (on disk capabilities).
#[derive(Debug, Clone)]
pub(crate) struct DiskRules {
    cc: Option<CompiledConstraints>,
}

/// [`compile_one`] through `memo`: a spec parsed before (same dialect) is cloned (a clone
/// shares a regex's compiled program) instead of parsed again. Each regex compiled anew is
/// charged to `spent`, the request's running total, against [`Limits::regex_budget`].
fn compile_memo<'r>(
    spec: &'r ConstraintSpec,
    opts: &ParseOptions,
    dialect: Dialect,
    path: &dyn Fn() -> String,
    memo: Option<MemoRefs<'_, 'r>>,
) -> Result<Option<crate::constraint::Constraint>, PlaceError> {
    let Some((memo, spent, shared)) = memo else { return compile_one(spec, opts, &path()) };
    let mut h = crate::hash::FxBuild::default().build_hasher();
    dialect.hash(&mut h);
    hash_spec(&mut h, spec);
    let key = h.finish();
    let list = memo.entry(key).or_default();
    if let Some((_, _, c)) = list.iter().find(|(d, s, _)| *d == dialect && *s == spec) {
        return Ok(c.clone());
    }
    // Parsed in an earlier batch: the same constraint, charged below as if compiled now.
    let c = match shared.as_deref().and_then(|m| m.get(key, dialect, spec)) {
        Some(c) => c,
        None => {
            let c = compile_one(spec, opts, &path())?;
            if let Some(m) = shared {
                m.keep(key, dialect, spec, &c);
            }
            c
        }
    };
    *spent = spent.saturating_add(c.as_ref().map_or(0, crate::constraint::Constraint::regex_bytes));
    if *spent > opts.limits().regex_budget() {
        return Err(PlaceError::new(path(), opts.limits().regex_budget_exceeded(*spent)));
    }
    list.push((dialect, spec, c.clone()));
    Ok(c)
}

fn compile_one(
    spec: &ConstraintSpec,
    opts: &ParseOptions,
    path: &str,
) -> Result<Option<crate::constraint::Constraint>, PlaceError> {
    let input = spec.as_input();
    match parse_constraint(input, opts) {
        Ok(Parsed::Constraint(c)) => Ok(Some(c)),
        Ok(Parsed::Ignored(_)) => Ok(None),
        Err(e) => Err(PlaceError::new(format!("{path}{}", e.part.pointer_suffix(&input)), e.error)),
    }
}

impl Rules {
    /// Compiles a task's constraints and preferences (errors carry `base` + the path inside),
    /// parsing each constraint through `memo` when given; the openwhisk delimiter is the
    /// task's, else `default_delimiter`, else `" "`.
    fn compile_with<'r>(
        task: &'r TaskRequest,
        base: &dyn fmt::Display,
        limits: &Limits,
        mut memo: Option<MemoRefs<'_, 'r>>,
        default_delimiter: Option<&str>,
    ) -> Result<Rules, PlaceError> {
        if task.constraints.is_empty() && task.preferences.is_empty() {
            return Ok(Rules {
                cc: Rc::new(CompiledConstraints::new(Vec::new(), Vec::new())),
                per_agent: false,
                names_region: false,
                dynamic: false,
                id: Rules::NO_ID,
            });
        }
        let delimiter = task.delimiter.as_deref().or(default_delimiter);
        let opts = ParseOptions::new(task.dialect, delimiter, limits).map_err(|e| {
            let at = if task.delimiter.is_some() { format!("{base}/delimiter") } else { "/options/delimiter".into() };
            PlaceError::new(at, e)
        })?;
        // The memo is keyed by dialect and spec: a task with its own delimiter parses alone.
        if delimiter.is_some_and(|d| d != crate::constraint::DEFAULT_DELIMITER) {
            memo = None;
        }
        let mut hard = Vec::new();
        for (i, c) in task.constraints.iter().enumerate() {
            let path = || format!("{base}/constraints/{i}");
            let memo = memo.as_mut().map(|(m, s, x)| (&mut **m, &mut **s, x.as_deref_mut()));
            hard.extend(compile_memo(c, &opts, task.dialect, &path, memo)?);
        }
        let mut soft = Vec::new();
        for (i, p) in task.preferences.iter().enumerate() {
            let path = format!("{base}/preferences/{i}");
            let cpath = || format!("{path}/constraint");
            let memo = memo.as_mut().map(|(m, s, x)| (&mut **m, &mut **s, x.as_deref_mut()));
            if let Some(c) = compile_memo(&p.constraint, &opts, task.dialect, &cpath, memo)? {
                soft.push(Preference::new(c, p.weight).map_err(|e| PlaceError::new(format!("{path}/weight"), e))?);
            }
        }
        let marathon = task.dialect == Dialect::Marathon;
        let per_agent = marathon
            && (hard.iter().any(|c| *c.field() == Field::Hostname)
                || soft.iter().any(|p| *p.constraint().field() == Field::Hostname));
        let cc = CompiledConstraints::new(hard, soft);
        let names_region = cc.mentions_domain();
        let dynamic = cc.has_dynamic();
        Ok(Rules { cc: Rc::new(cc), per_agent, names_region, dynamic, id: Rules::NO_ID })
    }

    /// The fields these rules read (constraints and preferences).
    pub(crate) fn fields(&self) -> impl Iterator<Item = &Field> {
        self.cc.fields()
    }

    /// The id of rules compiled alone (no cache may be keyed by it).
    pub(crate) const NO_ID: u32 = u32::MAX;

    /// The values candidate `c` shows for every field these rules read, with their ids in
    /// `groups`.
    pub(crate) fn read<'a>(&self, c: &Candidate<'a>, groups: &Groups<'_>) -> FieldValues<'a> {
        self.cc.read_ids(c, &groups.values)
    }

    /// True when the hard constraints that do not count placements hold for `values`
    /// (constant during a call).
    pub(crate) fn static_ok(&self, values: &FieldValues<'_>) -> bool {
        self.cc.static_ok(values)
    }

    /// True when the hard constraints that count the group's placements hold for `values`;
    /// with [`Rules::static_ok`], the same answer as [`Rules::check`].
    pub(crate) fn dynamic_ok(&self, values: &FieldValues<'_>, groups: &Groups<'_>, group: u32) -> bool {
        !self.dynamic || self.cc.dynamic_ok(values, groups.gref(group))
    }

    /// True when a `UNIQUE` / `MAX_PER` among these rules fails for `values`: a failure
    /// that lasts until [`Groups::restores`] changes (counts only grow in between).
    pub(crate) fn capped(&self, values: &FieldValues<'_>, groups: &Groups<'_>, group: u32) -> bool {
        self.dynamic && self.cc.capped(values, groups.gref(group))
    }

    /// True when the hard constraints that count placements but do not read the hostname hold
    /// for `values` (the same for every agent of a class).
    pub(crate) fn dynamic_ok_except_host(&self, values: &FieldValues<'_>, groups: &Groups<'_>, group: u32) -> bool {
        !self.dynamic || self.cc.dynamic_ok_except_host(values, groups.gref(group))
    }

    /// The group's hostname counters (`None` when it counts no hostnames): with
    /// [`Rules::host_limit`], an agent passes the hostname rules iff its count is below it.
    pub(crate) fn host_counts<'g>(&self, groups: &'g Groups<'_>, group: u32) -> Option<&'g FieldCounts> {
        groups.gref(group).host_counts()
    }

    /// `Some(limit)` when the hard constraints on the hostname are only `UNIQUE` / `MAX_PER`
    /// (see [`CompiledConstraints::host_limit`]): an agent passes them iff the group has
    /// fewer than `limit` placements on its hostname.
    pub(crate) fn host_limit(&self) -> Option<u32> {
        self.cc.host_limit()
    }

    /// The value id of `hostname` in `groups` (unknown: counted nowhere).
    pub(crate) fn host_id(groups: &Groups<'_>, hostname: &str) -> u32 {
        groups.values.get(hostname)
    }

    /// True when the hard constraints that neither count placements nor read the hostname
    /// hold for `values` (constant during a call, the same for every agent of a class).
    pub(crate) fn static_ok_except_host(&self, values: &FieldValues<'_>) -> bool {
        self.cc.static_ok_except_host(values)
    }

    /// With [`Rules::static_ok_except_host`], [`Rules::check`] for an agent named `hostname`
    /// (value id `host_id` in `groups`, when known) of the class whose values are `values`.
    pub(crate) fn host_ok(
        &self,
        values: &FieldValues<'_>,
        hostname: &str,
        host_id: Option<u32>,
        groups: &Groups<'_>,
        group: u32,
    ) -> bool {
        self.cc.host_ok(values, hostname, host_id, groups.gref(group))
    }

    /// True when there are hard constraints.
    /// Whether some hard constraint counts the group's placements (`UNIQUE`, `MAX_PER`, ...).
    pub(crate) fn counts_group(&self) -> bool {
        self.dynamic
    }

    /// Whether some hard constraint caps how many of the group's tasks one value (so one
    /// agent) may hold — `UNIQUE` or `MAX_PER` — so that each placed group mate can take an
    /// agent from the others. `GROUP_BY` (balance over the values) and `CLUSTER` (one value
    /// for all) count the group's placements too but let mates share an agent: nine tasks
    /// under `rack GROUP_BY` fit six agents with room to spare.
    pub(crate) fn mates_exclusive(&self) -> bool {
        self.dynamic && self.cc.hard().iter().any(|c| matches!(c.operator, Operator::Unique | Operator::MaxPer))
    }

    pub(crate) fn has_hard(&self) -> bool {
        !self.cc.hard().is_empty()
    }

    /// True when there are preferences.
    pub(crate) fn has_soft(&self) -> bool {
        !self.cc.preferences().is_empty()
    }

    /// True when every hard constraint holds for `c` given the group's placements.
    pub(crate) fn check(&self, c: &Candidate<'_>, groups: &Groups<'_>, group: u32) -> bool {
        self.cc.check_in(c, groups.gref(group)).is_ok()
    }

    /// The index of the first hard constraint `c` fails, if any.
    pub(crate) fn failed(&self, c: &Candidate<'_>, groups: &Groups<'_>, group: u32) -> Option<usize> {
        self.cc.check_in(c, groups.gref(group)).err().map(|f| f.index)
    }

    /// The canonical text of hard constraint `i`.
    pub(crate) fn hard_text(&self, i: usize) -> String {
        self.cc.hard().get(i).map(ToString::to_string).unwrap_or_default()
    }

    /// True when hard constraint `i` failed on `c` only because its regex ran out of
    /// backtracking steps (see `Constraint::regex_limit_hit`).
    pub(crate) fn hard_regex_limit_hit(&self, i: usize, c: &Candidate<'_>) -> bool {
        self.cc.hard().get(i).is_some_and(|h| h.regex_limit_hit(c))
    }

    /// The summed weights of the satisfied preferences, in millionths.
    pub(crate) fn preference(&self, c: &Candidate<'_>, groups: &Groups<'_>, group: u32) -> i64 {
        self.cc.preference_score_in(c, groups.gref(group)).saturating_mul(WEIGHT_ONE)
    }
}

impl DiskRules {
    /// Compiles a volume's `require` list.
    pub(crate) fn compile(require: &[ConstraintSpec], base: &str, limits: &Limits) -> Result<DiskRules, PlaceError> {
        if require.is_empty() {
            return Ok(DiskRules { cc: None });
        }
        let opts = ParseOptions::new(Dialect::Marathon, None, limits)
            .map_err(|e| PlaceError::new(base, e))?
            .with_target(Target::Disk);
        let mut hard = Vec::new();
        for (i, c) in require.iter().enumerate() {
            hard.extend(compile_one(c, &opts, &format!("{base}/require/{i}"))?);
        }
        Ok(DiskRules { cc: Some(CompiledConstraints::new(hard, Vec::new())) })
    }

    /// True when every requirement holds for a disk (`None` = the ROOT disk).
    pub(crate) fn check(&self, disk: Option<&DiskInfo>) -> bool {
        let Some(cc) = &self.cc else { return true };
        let cand = disk.map_or_else(DiskCandidate::root, DiskCandidate::from_disk);
        cc.check_disk(&cand).is_ok()
    }

    /// True when there are no requirements.
    pub(crate) fn is_empty(&self) -> bool {
        self.cc.is_none()
    }
}

/// The placements of every group: running tasks, then those placed in this batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Groups<'r> {
    ids: HashMap<&'r str, u32, crate::hash::FxBuild>,
    states: Vec<GroupState>,
    empty: GroupState,
    /// The ids the groups count values by (one table for the call).
    values: ValueIds<'r>,
    /// The fields some group counts.
    counted: Vec<Field>,
    /// The group and rules id [`Groups::track`] saw last.
    last_tracked: Option<(u32, u32)>,
    /// How many times counters were restored ([`Groups::restore`]): the only way a count
    /// goes down.
    restores: u64,
}

impl<'r> Groups<'r> {
    /// The id of a group, created with `instances` as its target size.
    pub(crate) fn id(&mut self, name: &'r str, instances: Option<u32>) -> u32 {
        let next = self.states.len() as u32;
        // One hash of the name, found or added.
        match self.ids.entry(name) {
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(next);
                self.states.push(GroupState::new(instances));
                next
            }
        }
    }

    /// Makes room for `n` more groups (a task without a group is a group of its own).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.states.reserve(n);
    }

    /// Makes `group` count the fields `rules` read (before any placement is recorded).
    pub(crate) fn track(&mut self, group: u32, rules: &Rules) {
        // An app's tasks come in a row with the same rules: tracking them again changes nothing.
        if rules.id != Rules::NO_ID && self.last_tracked == Some((group, rules.id)) {
            return;
        }
        self.last_tracked = Some((group, rules.id));
        if let Some(s) = self.states.get_mut(group as usize) {
            s.track(&rules.cc);
            if !rules.cc.is_empty() {
                for f in s.fields() {
                    if !self.counted.contains(f) {
                        self.counted.push(f.clone());
                    }
                }
            }
        }
    }

    /// True when some group counts a field.
    pub(crate) fn counts_any(&self) -> bool {
        !self.counted.is_empty()
    }

    /// Records one placement of `group` when no group counts a field (nothing but the number
    /// of placements to keep).
    pub(crate) fn record_placed(&mut self, group: u32) {
        if let Some(s) = self.states.get_mut(group as usize) {
            s.record_ids(|_| None);
        }
    }

    /// Records the running tasks (after every task's rules are tracked).
    ///
    /// A running task given without `attributes` (and without a fault domain) takes those of
    /// its agent when the agent is among `offers` — found by `agent_id`, else by hostname —, so
    /// `rack UNIQUE` counts it as the agent's rack; otherwise it has none.
    pub(crate) fn record_running(
        &mut self,
        running: &'r [RunningTask],
        offers: impl IntoIterator<Item = &'r crate::model::Offer>,
    ) {
        let bare = |r: &RunningTask| r.attributes.is_empty() && r.region.is_none() && r.zone.is_none();
        let mut by_agent: crate::hash::FxMap<&'r str, &'r crate::model::Offer> = Default::default();
        let mut by_host: crate::hash::FxMap<&'r str, &'r crate::model::Offer> = Default::default();
        // Only running tasks of a group this batch has count; the maps of the offers by agent
        // and by host are built only when one of those comes without its own placement.
        if running.iter().any(|r| bare(r) && self.ids.contains_key(r.group.as_str())) {
            for o in offers {
                by_agent.entry(o.agent_id.as_str()).or_insert(o);
                by_host.entry(o.hostname.as_str()).or_insert(o);
            }
        }
        // A batch has a few groups and a session many running tasks: a few ids are compared
        // one by one (no hash per running task).
        let few: SmallVec<[(&str, u32); 4]> =
            if self.ids.len() <= 4 { self.ids.iter().map(|(k, v)| (*k, *v)).collect() } else { SmallVec::new() };
        for r in running {
            let name = r.group.as_str();
            let g = if self.ids.len() <= 4 {
                few.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
            } else {
                self.ids.get(name).copied()
            };
            let Some(g) = g else { continue };
            let agent = if bare(r) {
                match r.agent_id.as_deref() {
                    Some(id) => by_agent.get(id).copied(),
                    None => by_host.get(r.hostname.as_str()).copied(),
                }
            } else {
                None
            };
            let c = match agent {
                Some(o) => Candidate {
                    hostname: &r.hostname,
                    attributes: &o.attributes,
                    region: o.region.as_deref(),
                    zone: o.zone.as_deref(),
                },
                None => Candidate {
                    hostname: &r.hostname,
                    attributes: &r.attributes,
                    region: r.region.as_deref(),
                    zone: r.zone.as_deref(),
                },
            };
            self.record(g, &c);
        }
    }

    fn state(&self, group: u32) -> &GroupState {
        self.states.get(group as usize).unwrap_or(&self.empty)
    }

    fn gref(&self, group: u32) -> GroupRef<'_> {
        GroupRef { state: self.state(group), ids: Some(&self.values) }
    }

    /// The fields some group counts (each once, in first-tracked order).
    pub(crate) fn counted_fields(&self) -> &[Field] {
        &self.counted
    }

    /// The id of a value an agent shows, interned now so that values read with ids later
    /// ([`Rules::read`]) find it.
    pub(crate) fn intern(&mut self, v: std::borrow::Cow<'r, str>) -> u32 {
        self.values.intern(v)
    }

    /// Makes room for `n` more value ids.
    pub(crate) fn reserve_values(&mut self, n: usize) {
        self.values.reserve(n);
    }

    pub(crate) fn record(&mut self, group: u32, c: &Candidate<'r>) {
        self.record_on(group, c, None, None);
    }

    /// [`Groups::record`] on an agent whose hostname's value id is `host`, and whose value
    /// ids for the fields of [`Groups::counted_fields`] are `ids` (`None` in it: the agent
    /// lacks the field), when known.
    pub(crate) fn record_on(&mut self, group: u32, c: &Candidate<'r>, host: Option<u32>, ids: Option<&[Option<u32>]>) {
        let Groups { states, values, counted, .. } = self;
        if let Some(s) = states.get_mut(group as usize) {
            s.record_ids(|f| {
                if let (Field::Hostname, Some(id)) = (f, host) {
                    return Some(id);
                }
                let known = match f {
                    Field::Hostname => None,
                    _ => ids.and_then(|ids| counted.iter().position(|x| x == f).and_then(|k| ids.get(k))),
                };
                if let Some(id) = known {
                    return *id;
                }
                c.field_value(f, Dialect::Marathon).map(|v| values.intern(v))
            });
        }
    }

    /// A copy of some groups' counters, to restore after a failed gang.
    pub(crate) fn snapshot(&self, groups: &[u32]) -> Vec<(u32, GroupState)> {
        groups.iter().filter_map(|g| self.states.get(*g as usize).map(|s| (*g, s.clone()))).collect()
    }

    /// How many times counters were restored: while it stays the same, every count only
    /// grew (what [`Rules::capped`] found stays found).
    pub(crate) fn restores(&self) -> u64 {
        self.restores
    }

    /// Restores a snapshot.
    pub(crate) fn restore(&mut self, snap: Vec<(u32, GroupState)>) {
        self.restores = self.restores.wrapping_add(1);
        for (g, s) in snap {
            if let Some(x) = self.states.get_mut(g as usize) {
                *x = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{ConstraintSpec, Engine, Offer, Options, PlaceRequest, RunningTask, Scalar, TaskRequest};

    /// Per task of group `g0` placed with `hostname UNIQUE` among `groups` groups (one task
    /// each) on three agents, `S0` and `S1` running a task of `g0`: its agent.
    fn g0_agent(groups: usize) -> String {
        let offers = (0..3)
            .map(|i| {
                let mut o = Offer::new(format!("O{i}"), format!("S{i}"), format!("agent-{i}"));
                o.hostname = format!("agent-{i}");
                o.resources = crate::parse_resources("cpus:8;mem:8192", "*").unwrap();
                o
            })
            .collect();
        let tasks = (0..groups)
            .map(|g| {
                let mut t = TaskRequest::new(format!("t{g}"));
                t.cpus = Scalar::from_units(1);
                t.group = Some(format!("g{g}"));
                t.constraints = vec![ConstraintSpec::text("hostname UNIQUE")];
                t
            })
            .collect();
        let running = (0..2)
            .map(|i| RunningTask {
                id: format!("r{i}"),
                group: "g0".into(),
                hostname: format!("agent-{i}"),
                agent_id: Some(format!("S{i}")),
                attributes: crate::model::Attributes(Vec::new()),
                region: None,
                zone: None,
            })
            .collect();
        let req = PlaceRequest { offers, tasks, running };
        let plan = Engine::new(Options::default()).unwrap().place(&req).unwrap();
        let acc = plan.accept.iter().find(|a| a.tasks.iter().any(|l| l.task_id == "t0")).unwrap();
        acc.agent_id.to_string()
    }

    #[test]
    fn running_tasks_count_with_few_groups_as_with_many() {
        // One group: its id found among the few; six: found by hash. Both count the running
        // tasks of `g0`: its task goes to the one agent without one.
        assert_eq!(g0_agent(1), "S2");
        assert_eq!(g0_agent(6), "S2");
    }
}
