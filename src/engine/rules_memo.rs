//! Constraints parsed and compiled in earlier batches, kept for the next ones by a caller that
//! places batch after batch with one engine configuration (the session: the same apps'
//! constraints every step, their `LIKE` regexes compiled anew each time were ~3% of a held
//! activation, issue 16, callgrind).
//!
//! Only the parse is memoised: [`super::rules`] still charges each constraint's compiled regex
//! size to the request's regex budget the first time a batch uses it, as if it had compiled it,
//! and checks the budget there; an error is never kept (a constraint that fails is parsed again
//! and fails again). A kept constraint is the one the same text, dialect and limits parse to
//! (`parse_constraint` is a pure function of them), so the answers are the same with or
//! without the memo. Bounded: at most [`RulesMemo::MAX_ENTRIES`] constraints and, in all,
//! compiled regexes of at most the limits' regex budget; past either, it starts afresh.

use std::collections::HashMap;

use crate::constraint::{Constraint, Dialect};
use crate::limits::Limits;
use crate::model::ConstraintSpec;

/// A kept constraint: its dialect, its spec, what they parse to.
type Kept = (Dialect, ConstraintSpec, Option<Constraint>);

/// Constraints kept across batches, by (dialect, spec), for one set of [`Limits`].
#[derive(Clone, Default)]
pub(crate) struct RulesMemo {
    /// The limits the kept constraints were parsed under (a call with other limits empties
    /// the memo first).
    limits: Option<Limits>,
    /// By the hash of (dialect, spec) the per-call memo computes ([`super::rules`]): the
    /// constraint, `None` when the dialect ignores it.
    map: HashMap<u64, Vec<Kept>, crate::hash::FxBuild>,
    entries: usize,
    /// Compiled regex bytes of the kept constraints.
    regex_bytes: usize,
}

/// Opaque: a cache changes no answer, so it is no part of its owner's state as `Debug`
/// shows it (a session that refuses an input may have kept the constraints it parsed, and
/// compares equal to itself before).
impl std::fmt::Debug for RulesMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RulesMemo { .. }")
    }
}

impl RulesMemo {
    /// The most constraints kept at once.
    pub(crate) const MAX_ENTRIES: usize = 4096;

    /// Readies the memo for a call under `limits`: emptied when they differ from the kept
    /// constraints' limits.
    pub(crate) fn begin(&mut self, limits: &Limits) {
        if self.limits.as_ref() != Some(limits) {
            self.clear();
            self.limits = Some(*limits);
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.entries = 0;
        self.regex_bytes = 0;
    }

    /// The constraint kept for (`dialect`, `spec`) under hash `key` (a clone: it shares a
    /// regex's compiled program).
    pub(crate) fn get(&self, key: u64, dialect: Dialect, spec: &ConstraintSpec) -> Option<Option<Constraint>> {
        let list = self.map.get(&key)?;
        list.iter().find(|(d, s, _)| *d == dialect && s == spec).map(|(_, _, c)| c.clone())
    }

    /// Keeps `c`, what (`dialect`, `spec`) parsed to, under hash `key`; starts afresh first
    /// when the memo would pass its bounds. Never called before [`RulesMemo::begin`].
    pub(crate) fn keep(&mut self, key: u64, dialect: Dialect, spec: &ConstraintSpec, c: &Option<Constraint>) {
        let Some(limits) = self.limits else { return };
        let bytes = c.as_ref().map_or(0, Constraint::regex_bytes);
        if bytes > limits.regex_budget() {
            return;
        }
        if self.entries >= Self::MAX_ENTRIES || self.regex_bytes.saturating_add(bytes) > limits.regex_budget() {
            self.clear();
        }
        self.map.entry(key).or_default().push((dialect, spec.clone(), c.clone()));
        self.entries += 1;
        self.regex_bytes += bytes;
    }

    /// The number of constraints kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::RulesMemo;
    use crate::engine::{Engine, Held, Options};
    use crate::limits::{Limits, REGEX_BUDGET_FACTOR};
    use crate::model::{ConstraintSpec, Offer, Scalar, TaskRequest};

    fn held(patterns: &[String]) -> Held {
        let mut held = Held::new();
        for i in 0..3 {
            let mut o = Offer::new(format!("o{i}"), format!("a{i}"), format!("h{i}"));
            o.resources = crate::parse_resources("cpus:8;mem:8192", "*").unwrap();
            o.attributes = crate::parse_attributes(&format!("rack:r0{i}")).unwrap();
            held.push_offer(o);
        }
        for (i, p) in patterns.iter().enumerate() {
            let mut t = TaskRequest::new(format!("t{i}"));
            t.cpus = Scalar::from_units(1);
            t.constraints =
                vec![ConstraintSpec::text(format!("rack LIKE {p}")), ConstraintSpec::text("hostname UNIQUE")];
            held.tasks_mut().push(t);
        }
        held
    }

    fn patterns(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("r0[0-{}]|x{i:03}y+z*(ab|cd){{1,9}}", i % 3)).collect()
    }

    /// Batch after batch, the memo gives the plans a fresh parse gives, and parses each spec once.
    #[test]
    fn kept_constraints_give_the_same_plans() {
        let engine = Engine::new(Options::default()).unwrap();
        let mut memo = RulesMemo::default();
        for n in [2, 5, 5, 3] {
            let held = held(&patterns(n));
            assert_eq!(engine.place_held_with(&held, Some(&mut memo)).unwrap(), engine.place_held(&held).unwrap());
        }
        // Five LIKE specs and `hostname UNIQUE`, each once.
        assert_eq!(memo.len(), 6);
    }

    /// A constraint kept from an earlier batch is charged to the next request's regex budget as
    /// if compiled there: the same `limit.regex_size` error, at the same path.
    #[test]
    fn kept_regexes_are_charged_to_each_request() {
        let all = patterns(40);
        let one = |from: usize, to: usize, limits: Limits| {
            let engine = Engine::new(Options { limits, ..Options::default() }).unwrap();
            engine.place_held(&held(&all[from..to])).map(drop)
        };
        // A `regex_size` whose budget takes either half of the patterns but not all 40.
        let bytes = |from: usize, to: usize| {
            let mut memo = RulesMemo::default();
            Engine::new(Options::default()).unwrap().place_held_with(&held(&all[from..to]), Some(&mut memo)).unwrap();
            memo.regex_bytes
        };
        let regex_size = bytes(0, 20).max(bytes(20, 40)).div_ceil(REGEX_BUDGET_FACTOR);
        let limits = Limits { regex_size, ..Limits::default() };
        assert!(one(0, 20, limits).is_ok() && one(20, 40, limits).is_ok());
        let fresh = one(0, 40, limits).unwrap_err();
        assert_eq!(fresh.error.code(), "limit.regex_size");
        let engine = Engine::new(Options { limits, ..Options::default() }).unwrap();
        let mut memo = RulesMemo::default();
        engine.place_held_with(&held(&all[..20]), Some(&mut memo)).unwrap();
        engine.place_held_with(&held(&all[20..40]), Some(&mut memo)).unwrap();
        let kept = engine.place_held_with(&held(&all), Some(&mut memo)).unwrap_err();
        assert_eq!((kept.path, kept.error.message()), (fresh.path, fresh.error.message()));
        // Again, once every one of them is kept.
        let again = engine.place_held_with(&held(&all), Some(&mut memo)).unwrap_err();
        assert_eq!(again.error.code(), "limit.regex_size");
    }

    /// An openwhisk task's ignored constraints are warned about for every task, with the
    /// constraints the memo holds as parsed not parsed again for the warnings.
    #[test]
    fn ignored_constraints_still_warn() {
        let engine = Engine::new(Options::default()).unwrap();
        let mut held = held(&[]);
        for i in 0..2 {
            let mut t = TaskRequest::new(format!("w{i}"));
            t.cpus = Scalar::from_units(1);
            t.dialect = crate::constraint::Dialect::OpenWhisk;
            t.constraints = vec![ConstraintSpec::text("rack LIKE r0[12]"), ConstraintSpec::text("rack GROUP_BY x")];
            held.tasks_mut().push(t);
        }
        let mut memo = RulesMemo::default();
        for _ in 0..2 {
            let plan = engine.place_held_with(&held, Some(&mut memo)).unwrap();
            assert_eq!(plan, engine.place_held(&held).unwrap());
            let paths: Vec<&str> = plan.warnings.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(paths, ["/tasks/0/constraints/1", "/tasks/1/constraints/1"]);
            assert_eq!(plan.warnings[0].1.code(), "constraint.ignored");
            assert!(plan.unplaced.is_empty());
        }
    }

    /// Bounded: past the regex budget the memo starts afresh; other limits empty it.
    #[test]
    fn the_memo_is_bounded() {
        let mut limits = Limits::default();
        let engine = Engine::new(Options { limits, ..Options::default() }).unwrap();
        let mut memo = RulesMemo::default();
        engine.place_held_with(&held(&patterns(4)), Some(&mut memo)).unwrap();
        assert_eq!(memo.len(), 5);
        assert!(memo.regex_bytes > 0 && memo.regex_bytes <= limits.regex_budget());
        limits.regex_size = memo.regex_bytes / 8;
        let tight = Engine::new(Options { limits, ..Options::default() }).unwrap();
        let fresh = tight.place_held(&held(&patterns(4))).map(drop);
        assert_eq!(tight.place_held_with(&held(&patterns(4)), Some(&mut memo)).map(drop), fresh);
        assert!(memo.regex_bytes <= limits.regex_budget(), "{} > {}", memo.regex_bytes, limits.regex_budget());
    }
}
