//! Static reasons: what bars every agent of a static class from a task whatever it has taken
//! in this batch (role, maintenance, region, constraints that read the class, persistent
//! volume reservation, GPU scarcity), as [`super::fit::reason`] bits in check order; and the
//! [`RuleCache`] that keeps, per (rules id, static class), what a task's rules read from the
//! class. The scan asks whether any bit is set; explanations ask which.

use super::fit::{reason, Fitter};
use super::options::Profile;
use super::rules::{Candidate, Groups, Rules};
use super::state::{Ctx, TaskPlan};
use crate::hash::FxMap;

/// Per (rules id, static class): whether the rules' constraints that count no placements
/// hold, and the values the rules read from the class. A dense table when rules × classes
/// is small (the common case), else a map.
#[derive(Default)]
pub(super) struct RuleCache<'r> {
    pub(super) statics: usize,
    pub(super) dense: Vec<Option<RuleEntry<'r>>>,
    pub(super) map: FxMap<u64, RuleEntry<'r>>,
}

/// Whether the constraints that count no placements hold (all of them; all but those on the
/// hostname), and the values read from the class's first agent.
pub(super) type RuleEntry<'r> = (bool, bool, crate::constraint::FieldValues<'r>);

/// The [`RuleEntry`] of rules `rules` for a class's agent `cand`.
pub(super) fn rule_entry<'r>(rules: &Rules, cand: &Candidate<'r>, groups: &Groups<'_>) -> RuleEntry<'r> {
    let values = rules.read(cand, groups);
    (rules.static_ok(&values), rules.static_ok_except_host(&values), values)
}

impl<'r> RuleCache<'r> {
    /// Dense entries allowed (about 64 bytes each).
    const DENSE_MAX: usize = 1 << 18;

    pub(super) fn new(rules: usize, statics: usize) -> RuleCache<'r> {
        let n = rules.saturating_mul(statics);
        let dense = if n <= Self::DENSE_MAX { std::iter::repeat_with(|| None).take(n).collect() } else { Vec::new() };
        RuleCache { statics, dense, map: FxMap::default() }
    }

    pub(super) fn get_or_insert_with(&mut self, id: u32, s: u32, f: impl FnOnce() -> RuleEntry<'r>) -> &RuleEntry<'r> {
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

impl<'r> Ctx<'r, '_> {
    /// Reasons that hold for every agent of static class `s` (and, when the task's rules do
    /// not read the hostname, its constraints).
    pub(super) fn static_reasons(&self, fitter: &Fitter, s: u32, t: &TaskPlan, all: bool) -> u32 {
        self.static_reasons_with(fitter, s, t, all, None, true)
    }

    /// [`Ctx::static_reasons`], with the values the task's rules read from the class (and
    /// whether its constraints that count no placements hold) kept in `cache` across tasks
    /// with the same rules. Without `dynamic` (and with `cache` and rules of an id), the
    /// constraints that count the group's placements are left out.
    pub(super) fn static_reasons_with(
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
        let marathon = self.resolved.profile == Profile::Marathon;
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
}

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::{offer, prepared, task};
    use super::super::options::{Options, Resolved};
    use super::super::request::PlaceRequest;
    use super::*;

    #[test]
    fn static_reasons_name_what_bars_a_class() {
        let mut web = task("web", 1, 64, &[]);
        web.accepted_roles = Some(vec!["web".into()]);
        let req = PlaceRequest {
            offers: vec![
                offer("o1", "a1", "cpus:4;mem:1024", "rack:r1"),
                offer("o2", "a2", "cpus:4;mem:1024", "rack:r2"),
            ],
            tasks: vec![task("any", 1, 64, &[]), task("r2", 1, 64, &["rack LIKE r2"]), web],
            ..PlaceRequest::default()
        };
        let opts = Options::default();
        let resolved = Resolved::new(&opts).unwrap();
        let ctx = prepared(&opts, &resolved, &req);
        let fitter = Fitter::default();
        let bits = |task: usize, agent: usize| {
            let s = ctx.agents[agent].static_class;
            ctx.static_reasons(&fitter, s, &ctx.tasks[task], true)
        };
        assert_eq!((bits(0, 0), bits(0, 1)), (0, 0));
        assert_eq!((bits(1, 0), bits(1, 1)), (reason::CONSTRAINT, 0));
        // Only unreserved resources offered, the task accepts the role `web` alone.
        assert_eq!((bits(2, 0), bits(2, 1)), (reason::ROLE, reason::ROLE));
    }

    #[test]
    fn the_rule_cache_keeps_one_entry_per_rules_and_class() {
        let mut cache = RuleCache::new(2, 3);
        let mut made = 0;
        for _ in 0..2 {
            cache.get_or_insert_with(1, 2, || {
                made += 1;
                (true, false, Default::default())
            });
        }
        assert_eq!(made, 1);
        assert!(cache.get_or_insert_with(1, 2, || (false, false, Default::default())).0);
        // Outside the dense table: kept in the map.
        cache.get_or_insert_with(7, 9, || (false, true, Default::default()));
        assert!(cache.get_or_insert_with(7, 9, || (true, true, Default::default())).1);
    }
}
