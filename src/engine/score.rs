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
//! A score depends only on the agent's offered and used (cpus, mem) and the task's (cpus, mem):
//! the scan caches it per class and amounts. Scores use the requested amounts (not elastic
//! extras) and integer arithmetic only, so they are identical on every platform. Ties go to the
//! agent whose first offer comes first in the request.

use super::options::{Resolved, WEIGHT_ONE};

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
    let one = |o: i64, u: i64, a: i64| {
        (o > 0).then(|| {
            let part = u.saturating_add(a).min(o);
            match part.checked_mul(WEIGHT_ONE) {
                Some(x) => x / o,
                None => (i128::from(part) * i128::from(WEIGHT_ONE) / i128::from(o)) as i64,
            }
        })
    };
    [one(offered.0, used.0, add.0), one(offered.1, used.1, add.1)]
}

/// The balanced scores of the `offerfit` profile (millionths): `(binpack, spread)` where, over
/// the dimensions the agent offers, *binpack* = mean fullness − imbalance / 4 and *spread* =
/// 1 − mean fullness − imbalance / 4, the imbalance being the fullest dimension's fullness
/// minus the emptiest's. An agent left with cpus but no memory (or the reverse) scores below
/// one left even: its idle half is stranded.
pub(crate) fn balanced(offered: (i64, i64), used: (i64, i64), add: (i64, i64)) -> (i64, i64) {
    let f = fractions(offered, used, add);
    let (mut sum, mut n, mut lo, mut hi) = (0i64, 0i64, WEIGHT_ONE, 0i64);
    for x in f.into_iter().flatten() {
        sum += x;
        n += 1;
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if n == 0 {
        return (0, WEIGHT_ONE);
    }
    let (mean, penalty) = (sum / n, (hi - lo) / 4);
    (mean - penalty, WEIGHT_ONE - mean - penalty)
}

/// The strategy part of the score of an agent with `offered` (cpus, mem), of which `used` is
/// already taken in this batch, for a task adding `add`.
pub(crate) fn strategy_score(r: &Resolved, offered: (i64, i64), used: (i64, i64), add: (i64, i64)) -> i64 {
    if r.w_binpack == 0 && r.w_spread == 0 {
        return 0;
    }
    let (full, empty) = if r.quality {
        balanced(offered, used, add)
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
        let small = strategy_score(&r, (4000, 4_096_000), (0, 0), (1000, 1_024_000));
        let big = strategy_score(&r, (8000, 8_192_000), (0, 0), (1000, 1_024_000));
        assert_eq!(small, 250_000);
        assert_eq!(big, 125_000);
        let spread = resolved(Strategy::Spread);
        assert_eq!(strategy_score(&spread, (8000, 8_192_000), (0, 0), (1000, 1_024_000)), 875_000);
        assert_eq!(strategy_score(&resolved(Strategy::FirstFit), (1, 1), (0, 0), (1, 1)), 0);
    }

    #[test]
    fn stranding_costs_a_quarter_of_the_imbalance() {
        // Even: 50% and 50% full → 0.5. Uneven: 75% cpus, 25% mem → mean 0.5 − 0.125.
        assert_eq!(balanced((4000, 4000), (0, 0), (2000, 2000)), (500_000, 500_000));
        assert_eq!(balanced((4000, 4000), (0, 0), (3000, 1000)), (375_000, 375_000));
        // Mem full, cpus idle: (3 · 0.25 + 1) / 4.
        assert_eq!(balanced((4000, 4000), (0, 3000), (1000, 1000)).0, 437_500);
        // One dimension offered: no imbalance; none: empty.
        assert_eq!(balanced((4000, 0), (1000, 0), (1000, 0)), (500_000, 500_000));
        assert_eq!(balanced((0, 0), (0, 0), (1, 1)), (0, 1_000_000));
    }

    #[test]
    fn binpack_prefers_the_agent_left_even_under_offerfit_only() {
        // A task of 1 cpu and 3 GB: agent A (4 cpus, 4 GB) ends 25% / 75% full, agent B
        // (2 cpus, 6 GB) 50% / 50%. The plain mean ties them; the balanced score picks B.
        let r = resolved(Strategy::Binpack);
        let a = strategy_score(&r, (4000, 4_000_000), (0, 0), (1000, 3_000_000));
        let b = strategy_score(&r, (2000, 6_000_000), (0, 0), (1000, 3_000_000));
        assert_eq!((a, b), (375_000, 500_000));
        let marathon = Engine::new(Options { profile: crate::engine::Profile::Marathon, ..Options::default() })
            .unwrap()
            .resolved_for_tests()
            .clone();
        assert_eq!(strategy_score(&marathon, (4000, 4_000_000), (0, 0), (1000, 3_000_000)), 500_000);
        assert_eq!(strategy_score(&marathon, (2000, 6_000_000), (0, 0), (1000, 3_000_000)), 500_000);
        // Spread under offerfit: 1 − 0.5 − 0.125 for A, 1 − 0.5 for B.
        let spread = resolved(Strategy::Spread);
        assert_eq!(strategy_score(&spread, (4000, 4_000_000), (0, 0), (1000, 3_000_000)), 375_000);
        assert_eq!(strategy_score(&spread, (2000, 6_000_000), (0, 0), (1000, 3_000_000)), 500_000);
    }

    #[test]
    fn weights_mix() {
        let r = resolved(Strategy::Weighted { binpack: 1.0, spread: 1.0 });
        assert_eq!(strategy_score(&r, (4000, 0), (1000, 0), (1000, 0)), 1_000_000);
        assert_eq!(score_value(1_500_000), 1.5);
    }
}
