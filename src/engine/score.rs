//! Scores: how good an agent is for a task, in millionths (higher is better).
//!
//! - **binpack**: how full the agent's offered cpus and mem are once the task is placed. Under
//!   the `offerfit` profile ([`Resolved::quality`]) the balanced form [`balanced`]: the mean of
//!   `used / offered` over the dimensions the agent offers minus a quarter of the spread
//!   between the fullest and the emptiest, so an agent left with cpus but no memory (stranded
//!   capacity) scores below one left even; under `marathon`, the plain mean ([`fullness`]);
//! - **spread**: one minus the mean, minus the same stranding penalty under `offerfit` (one
//!   minus the plain mean under `marathon`), so the agent left emptiest and evenest wins;
//! - **first fit**: every agent scores 0, and the tie-break picks the first in request order;
//! - weighted: `(w_binpack · binpack + w_spread · spread)`, plus the weights of the satisfied
//!   soft preferences.
//!
//! Under the `offerfit` profile the balanced scores also read the **other dimensions the batch
//! asks for** ([`Dims`]): disk, GPUs, host ports (counted in port numbers) and named scalars,
//! each one that some task of the batch requests, at most [`MAX_EXTRA`] of them (by resource
//! name, in the order names were first seen): an agent's fullness on each of them joins the
//! mean and the imbalance, so a task that needs no ports goes to an agent without ports
//! rather than fill one whose ports port-hungry tasks need (its ports would be stranded), and a
//! GPU or disk-heavy task goes where its dimension is tightest. A batch that asks for none of
//! them is scored on cpus and mem alone, as before.
//!
//! A score depends only on the agent's offered and used amounts and the task's: the scan
//! caches it per class and amounts (cpus, mem and the id of the task's other amounts,
//! [`Dims::task`]). Scores use the requested amounts (not elastic extras) and integer
//! arithmetic only, so they are identical on every platform. Ties go to the agent whose first
//! offer comes first in the request.

use smallvec::SmallVec;

use super::fit::{Amount, Entry, Need, PORTS};
use super::options::{Resolved, WEIGHT_ONE};

/// At most this many dimensions besides cpus and mem are scored (the first by name id).
pub(super) const MAX_EXTRA: usize = 4;

/// Amounts of the scored dimensions besides cpus and mem ([`Dims::names`] order).
pub(super) type Extra = [i64; MAX_EXTRA];

/// The dimensions besides cpus and mem the balanced scores read for one batch, and the amounts
/// on them: per task (interned: tasks asking the same share an id), per static class (offered)
/// and per state class (left). Empty, and never read, outside the `offerfit` profile's binpack
/// and spread, or when no task asks for any of them.
#[derive(Default)]
pub(super) struct Dims {
    /// Resource name ids (disk, GPUs, ports, named scalars), ascending.
    pub(super) names: SmallVec<[u32; MAX_EXTRA]>,
    /// The distinct task amounts; id 0 is all zeros.
    adds: Vec<Extra>,
    /// Per task (request index): its id in `adds`.
    task: Vec<u32>,
    /// Per static class: what its agents offer.
    offered: Vec<Extra>,
    /// Per state class: what is left.
    left: Vec<Extra>,
}

impl Dims {
    /// The dimensions of the batch's task needs, in task order (names id'd by the batch's
    /// interner: [`PORTS`] and the scalars' ids), when `r` scores balanced; empty otherwise.
    pub(super) fn of<'n>(r: &Resolved, needs: impl Iterator<Item = &'n Need> + Clone) -> Dims {
        let mut dims = Dims::default();
        if !r.quality || (r.w_binpack == 0 && r.w_spread == 0) {
            return dims;
        }
        let mut names: Vec<u32> = Vec::new();
        for need in needs.clone() {
            if !need.ports.is_empty() {
                names.push(PORTS);
            }
            for &(name, amount, _) in &need.scalars {
                if name > super::fit::MEM && amount > 0 {
                    names.push(name);
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        names.truncate(MAX_EXTRA);
        if names.is_empty() {
            return dims;
        }
        dims.names = names.into_iter().collect();
        dims.adds.push([0; MAX_EXTRA]);
        let mut index: crate::hash::FxMap<Extra, u32> = crate::hash::FxMap::default();
        index.insert([0; MAX_EXTRA], 0);
        for need in needs {
            let mut add = [0i64; MAX_EXTRA];
            for (slot, &name) in add.iter_mut().zip(&dims.names) {
                *slot = if name == PORTS {
                    need.ports.len() as i64
                } else {
                    need.scalars.iter().filter(|s| s.0 == name).map(|s| s.1).fold(0, i64::saturating_add)
                };
            }
            let next = dims.adds.len() as u32;
            let id = *index.entry(add).or_insert(next);
            if id == next {
                dims.adds.push(add);
            }
            dims.task.push(id);
        }
        dims
    }

    /// Whether any dimension besides cpus and mem is scored.
    pub(super) fn on(&self) -> bool {
        !self.names.is_empty()
    }

    /// Task `ti`'s id of its amounts on the dimensions (0: none, or no dimension scored).
    pub(super) fn task(&self, ti: usize) -> u32 {
        self.task.get(ti).copied().unwrap_or(0)
    }

    /// Task `ti`'s amounts on the dimensions.
    pub(super) fn task_amounts(&self, ti: usize) -> Extra {
        self.adds.get(self.task(ti) as usize).copied().unwrap_or([0; MAX_EXTRA])
    }

    /// What an agent of static class `s` offers on the dimensions.
    pub(super) fn offered(&self, s: u32) -> Extra {
        self.offered.get(s as usize).map_or([0; MAX_EXTRA], |o| o.map(|x| x.max(0)))
    }

    /// The amounts of `entries` on the dimensions (ports: the number of port numbers).
    fn amounts(&self, entries: &[Entry]) -> Extra {
        let mut out = [0i64; MAX_EXTRA];
        for e in entries {
            if let Some(i) = self.names.iter().position(|n| *n == e.name) {
                let v = match &e.amount {
                    Amount::Scalar(v) => *v,
                    Amount::Ranges(r) => i64::try_from(r.value_count()).unwrap_or(i64::MAX),
                    Amount::Ports(p) => i64::try_from(p.value_count()).unwrap_or(i64::MAX),
                    Amount::Other => 0,
                };
                if let Some(slot) = out.get_mut(i) {
                    *slot = slot.saturating_add(v);
                }
            }
        }
        out
    }

    /// Records state class `c` (of static class `s`, offering `base`) with the pool
    /// `entries` (classes are recorded in id order as they are created).
    pub(super) fn record_class(&mut self, c: u32, s: u32, base: &[Entry], entries: &[Entry]) {
        if !self.on() {
            return;
        }
        while self.offered.len() <= s as usize {
            self.offered.push([-1; MAX_EXTRA]);
        }
        if self.offered.get(s as usize).is_some_and(|o| o[0] < 0) {
            let o = self.amounts(base);
            if let Some(slot) = self.offered.get_mut(s as usize) {
                *slot = o;
            }
        }
        let left = self.amounts(entries);
        while self.left.len() <= c as usize {
            self.left.push([0; MAX_EXTRA]);
        }
        if let Some(slot) = self.left.get_mut(c as usize) {
            *slot = left;
        }
    }

    /// For state class `c` of static class `s` and task amounts `id`: per dimension
    /// (offered, used, added), in `out`; returns how many.
    pub(super) fn fill(&self, s: u32, c: u32, id: u32, out: &mut [(i64, i64, i64); MAX_EXTRA]) -> usize {
        let (Some(o), Some(l), Some(a)) =
            (self.offered.get(s as usize), self.left.get(c as usize), self.adds.get(id as usize))
        else {
            return 0;
        };
        let n = self.names.len();
        for i in 0..n {
            if let (Some(slot), Some(&o), Some(&l), Some(&a)) = (out.get_mut(i), o.get(i), l.get(i), a.get(i)) {
                *slot = (o, o.saturating_sub(l).max(0), a);
            }
        }
        n
    }
}

/// The binpack fraction (millionths) of an agent after adding `add` to `used`.
fn fullness(offered: (i64, i64), used: (i64, i64), add: (i64, i64)) -> i64 {
    let mut sum = 0i128;
    let mut dims = 0i128;
    for (o, u, a) in [(offered.0, used.0, add.0), (offered.1, used.1, add.1)] {
        if o > 0 {
            let part = (u + a).min(o);
            // i64 when it fits (it nearly always does: 128-bit division is slow).
            sum += match part.checked_mul(WEIGHT_ONE) {
                Some(x) => i128::from(x / o),
                None => i128::from(part) * i128::from(WEIGHT_ONE) / i128::from(o),
            };
            dims += 1;
        }
    }
    match (i64::try_from(sum), dims) {
        (_, 0) => 0,
        // i64 division when it fits (128-bit division is a library call).
        (Ok(sum), _) => sum / dims as i64,
        (Err(_), _) => (sum / dims) as i64,
    }
}

/// Per dimension (cpus, mem) the agent offers, its fullness in millionths once `add` joins
/// `used`; `None` for a dimension it does not offer.
fn fractions(offered: (i64, i64), used: (i64, i64), add: (i64, i64)) -> [Option<i64>; 2] {
    [fraction((offered.0, used.0, add.0)), fraction((offered.1, used.1, add.1))]
}

/// The fullness in millionths of a dimension with (offered, used, added); `None` when the
/// agent does not offer it.
fn fraction((o, u, a): (i64, i64, i64)) -> Option<i64> {
    (o > 0).then(|| {
        let part = u.saturating_add(a).min(o);
        match part.checked_mul(WEIGHT_ONE) {
            Some(x) => x / o,
            None => (i128::from(part) * i128::from(WEIGHT_ONE) / i128::from(o)) as i64,
        }
    })
}

/// The balanced scores of the `offerfit` profile (millionths): `(binpack, spread)` where, over
/// the dimensions the agent offers (cpus, mem, and the batch's other dimensions `extra`, each
/// (offered, used, added): [`Dims`]), *binpack* = mean fullness − imbalance / 4 and *spread* =
/// 1 − mean fullness − imbalance / 4, the imbalance being the fullest dimension's fullness
/// minus the emptiest's. An agent left with cpus but no memory (or the reverse, or with ports
/// and nothing to run with them) scores below one left even: its idle part is stranded.
pub(crate) fn balanced(
    offered: (i64, i64),
    used: (i64, i64),
    add: (i64, i64),
    extra: &[(i64, i64, i64)],
) -> (i64, i64) {
    let f = fractions(offered, used, add);
    let base = f.into_iter().flatten();
    let full = spread_of(base.clone().chain(extra.iter().filter_map(|d| fraction(*d))));
    if extra.is_empty() {
        let (mean, penalty) = full;
        return (mean - penalty, WEIGHT_ONE - mean - penalty);
    }
    // Spread reads only the dimensions the task takes from: one it leaves alone does not
    // make the agent any fuller.
    let own = spread_of(base.chain(extra.iter().filter(|d| d.2 > 0).filter_map(|d| fraction(*d))));
    (full.0 - full.1, WEIGHT_ONE - own.0 - own.1)
}

/// (mean, imbalance / 4) of fullness fractions (millionths); `(0, 0)` of none.
fn spread_of(fractions: impl Iterator<Item = i64>) -> (i64, i64) {
    let (mut sum, mut n, mut lo, mut hi) = (0i64, 0i64, WEIGHT_ONE, 0i64);
    for x in fractions {
        sum += x;
        n += 1;
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if n == 0 {
        return (0, 0);
    }
    (sum / n, (hi - lo) / 4)
}

/// The strategy part of the score of an agent with `offered` (cpus, mem), of which `used` is
/// already taken in this batch, for a task adding `add`; under the `offerfit` profile also on
/// the batch's other dimensions `extra` ([`balanced`]; empty under the others).
pub(crate) fn strategy_score(
    r: &Resolved,
    offered: (i64, i64),
    used: (i64, i64),
    add: (i64, i64),
    extra: &[(i64, i64, i64)],
) -> i64 {
    if r.w_binpack == 0 && r.w_spread == 0 {
        return 0;
    }
    let (full, empty) = if r.quality {
        balanced(offered, used, add, extra)
    } else {
        let full = fullness(offered, used, add);
        (full, WEIGHT_ONE - full)
    };
    // i64 when it fits, as it does for weights up to about 10^6 (128-bit division is a
    // library call, and this runs for every task × agent class).
    let fast = r
        .w_binpack
        .checked_mul(full)
        .zip(r.w_spread.checked_mul(empty))
        .and_then(|(a, b)| a.checked_add(b))
        .map(|x| x / WEIGHT_ONE);
    fast.unwrap_or_else(|| {
        ((i128::from(r.w_binpack) * i128::from(full) + i128::from(r.w_spread) * i128::from(empty))
            / i128::from(WEIGHT_ONE)) as i64
    })
}

/// A score in millionths as the number shown in plans (rounded to 6 decimals).
pub(crate) fn score_value(s: i64) -> f64 {
    s as f64 / WEIGHT_ONE as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Options, Strategy};

    fn resolved(strategy: Strategy) -> Resolved {
        // Engine::new fills the weights in.
        let e = Engine::new(Options { strategy, ..Options::default() }).unwrap();
        e.resolved_for_tests().clone()
    }

    #[test]
    fn binpack_prefers_the_fuller_agent() {
        let r = resolved(Strategy::Binpack);
        let small = strategy_score(&r, (4000, 4_096_000), (0, 0), (1000, 1_024_000), &[]);
        let big = strategy_score(&r, (8000, 8_192_000), (0, 0), (1000, 1_024_000), &[]);
        assert_eq!(small, 250_000);
        assert_eq!(big, 125_000);
        let spread = resolved(Strategy::Spread);
        assert_eq!(strategy_score(&spread, (8000, 8_192_000), (0, 0), (1000, 1_024_000), &[]), 875_000);
        assert_eq!(strategy_score(&resolved(Strategy::FirstFit), (1, 1), (0, 0), (1, 1), &[]), 0);
    }

    #[test]
    fn stranding_costs_a_quarter_of_the_imbalance() {
        // Even: 50% and 50% full → 0.5. Uneven: 75% cpus, 25% mem → mean 0.5 − 0.125.
        assert_eq!(balanced((4000, 4000), (0, 0), (2000, 2000), &[]), (500_000, 500_000));
        assert_eq!(balanced((4000, 4000), (0, 0), (3000, 1000), &[]), (375_000, 375_000));
        // Mem full, cpus idle: (3 · 0.25 + 1) / 4.
        assert_eq!(balanced((4000, 4000), (0, 3000), (1000, 1000), &[]).0, 437_500);
        // One dimension offered: no imbalance; none: empty.
        assert_eq!(balanced((4000, 0), (1000, 0), (1000, 0), &[]), (500_000, 500_000));
        assert_eq!(balanced((0, 0), (0, 0), (1, 1), &[]), (0, 1_000_000));
    }

    #[test]
    fn binpack_prefers_the_agent_left_even_under_offerfit_only() {
        // A task of 1 cpu and 3 GB: agent A (4 cpus, 4 GB) ends 25% / 75% full, agent B
        // (2 cpus, 6 GB) 50% / 50%. The plain mean ties them; the balanced score picks B.
        let r = resolved(Strategy::Binpack);
        let a = strategy_score(&r, (4000, 4_000_000), (0, 0), (1000, 3_000_000), &[]);
        let b = strategy_score(&r, (2000, 6_000_000), (0, 0), (1000, 3_000_000), &[]);
        assert_eq!((a, b), (375_000, 500_000));
        let marathon = Engine::new(Options { profile: crate::engine::Profile::Marathon, ..Options::default() })
            .unwrap()
            .resolved_for_tests()
            .clone();
        assert_eq!(strategy_score(&marathon, (4000, 4_000_000), (0, 0), (1000, 3_000_000), &[]), 500_000);
        assert_eq!(strategy_score(&marathon, (2000, 6_000_000), (0, 0), (1000, 3_000_000), &[]), 500_000);
        // Spread under offerfit: 1 − 0.5 − 0.125 for A, 1 − 0.5 for B.
        let spread = resolved(Strategy::Spread);
        assert_eq!(strategy_score(&spread, (4000, 4_000_000), (0, 0), (1000, 3_000_000), &[]), 375_000);
        assert_eq!(strategy_score(&spread, (2000, 6_000_000), (0, 0), (1000, 3_000_000), &[]), 500_000);
    }

    #[test]
    fn other_dimensions_join_the_mean_and_the_imbalance() {
        // cpus and mem a quarter full, a third dimension full: binpack (0.75 / 3 + 1 / 3) − 0.75 / 4.
        assert_eq!(balanced((4000, 4000), (0, 0), (1000, 1000), &[(1, 0, 1)]).0, 312_500);
        // Spread reads only the dimensions the task takes from: with the third one untouched
        // (added 0), as on cpus and mem alone.
        assert_eq!(balanced((4000, 4000), (0, 0), (1000, 1000), &[(100, 0, 0)]).1, 750_000);
        assert_eq!(balanced((4000, 4000), (0, 0), (1000, 1000), &[(100, 0, 0)]).0, 166_666 - 62_500);
        // A dimension the agent does not offer counts for nothing.
        assert_eq!(balanced((4000, 4000), (0, 0), (1000, 1000), &[(0, 0, 5)]), (250_000, 750_000));
    }

    #[test]
    fn weights_mix() {
        let r = resolved(Strategy::Weighted { binpack: 1.0, spread: 1.0 });
        assert_eq!(strategy_score(&r, (4000, 0), (1000, 0), (1000, 0), &[]), 1_000_000);
        assert_eq!(score_value(1_500_000), 1.5);
    }
}
