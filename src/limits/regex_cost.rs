//! The deterministic cost of a compiled regex: what [`super::Limits::regex_size`] and
//! [`super::Limits::regex_budget`] charge, computed by offerfit from the parsed pattern.
//!
//! The `regex` crate's own `size_limit` / `nfa_size_limit` compare byte sizes of its
//! in-memory structures, which differ between a 64-bit host and wasm32 (pointers, `usize`
//! fields): a pattern near the bound could be accepted in WASM and refused natively. The
//! charge here is a pure function of the pattern's HIR (`regex-syntax`), the same number on
//! every platform. It models the Thompson NFAs the linear engine builds — a forward and a
//! reverse one (`regex-automata`'s `meta::Regex`) — in bytes as a 64-bit host holds them:
//!
//! * every state (a literal byte, an empty match, a look-around assertion, each half of a
//!   capture group, each union of an alternation or a repetition) [`STATE`] bytes;
//! * a class: one state, plus [`CLASS_BYTE`] for each byte of each of its UTF-8 sequences
//!   and for each sequence (`regex_syntax::utf8::Utf8Sequences`: `\w` has ~1,300 sequences
//!   of 1 to 4 bytes), or two per range of a byte class;
//! * a repetition expanded: `x{n,m}` costs `m` copies of `x` and `m - n` unions, `x{n,}`
//!   `max(n, 1)` copies and one union, so `a{1000}{1000}` costs a million copies;
//! * [`MATCHER_BASE`] per regex for the rest of the matcher.
//!
//! Measured against `meta::Regex::memory_usage` on x86-64 for ~40 shapes (literals, Unicode
//! and byte classes, `.`, nested and counted repetitions, wide alternations), the charge is
//! 0.5–2 × the memory (the one-pass DFA the crate may add, bounded by its own 1 MiB limit,
//! is not charged), and the crate's NFA builder never needed more than 2 × the charge: the
//! crate's own limits are set at [`SAFETY_FACTOR`] × `regex_size`, a safety net our charge
//! always decides before.

use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::utf8::Utf8Sequences;

/// Bytes charged per NFA state (forward and reverse together).
pub const STATE: usize = 48;
/// Bytes charged per byte of a class's UTF-8 sequences and per sequence.
pub const CLASS_BYTE: usize = 13;
/// Bytes charged per regex for the parts of the matcher no pattern node accounts for.
pub const MATCHER_BASE: usize = 2048;
/// The regex crates' own size limits are this many times `regex_size`: a safety net above
/// the charge, never the bound that decides.
pub const SAFETY_FACTOR: usize = 4;

/// The charge of a matcher for `hir` (as compiled: wrap it in `^(?:…)$` first when it is):
/// exact when it is at most `cap`, else some number above `cap` (the count stops early, so
/// a huge pattern costs no more to refuse than `cap` to count).
pub(crate) fn matcher_cost(hir: &Hir, cap: usize) -> usize {
    // Counted in `u64` so that the number is the same on 32-bit hosts up to their `usize`.
    let cap = u64::try_from(cap).unwrap_or(u64::MAX);
    let cost = (MATCHER_BASE as u64).saturating_add(hir_cost(hir, cap));
    usize::try_from(cost).unwrap_or(usize::MAX)
}

/// The crates' own size limit for a regex bound by `regex_size` (see [`SAFETY_FACTOR`]).
pub(crate) fn safety_net(regex_size: usize) -> usize {
    regex_size.saturating_mul(SAFETY_FACTOR)
}

/// The charge of `pattern` parsed with `regex-syntax`'s defaults (as the `regex` crate
/// parses it), exact up to `cap` (see [`matcher_cost`]); `None` when it does not parse.
pub(crate) fn pattern_cost(pattern: &str, cap: usize) -> Option<usize> {
    regex_syntax::Parser::new().parse(pattern).ok().map(|h| matcher_cost(&h, cap))
}

/// The charge of the regexes `fancy-regex` (the backtracking engine) compiles for
/// `pattern` with the linear engine, `None` when it does not parse. `fancy-regex` runs the
/// parts that need backtracking (look-around, backreferences, atomic groups, conditionals,
/// word boundaries: its "hard" parts, `analyze.rs` `Analyzer::visit`) on its own VM, without
/// unrolling their repetitions, and hands parts without them to `regex-automata` matchers
/// (`compile.rs` `Compiler::visit`; a whole pattern without them is one matcher). Each
/// maximal part without them is charged here as [`pattern_cost`] charges a pattern, runs of
/// them side by side in a sequence as one matcher: an upper bound of every matcher it builds
/// (inside a hard part it may split such a part further and loop over its repetitions, or
/// match a plain literal itself — then it costs less than charged).
pub(crate) fn backtracking_cost(pattern: &str, cap: usize) -> Option<usize> {
    let tree = fancy_regex::Expr::parse_tree(pattern).ok()?;
    let mut runs: Vec<Vec<&fancy_regex::Expr>> = Vec::new();
    // `fancy-regex` numbers the whole match group 0 (it wraps the pattern in a group).
    let mut group = 1;
    if !split_hard(&tree.expr, &mut group, &|g| tree.backrefs.contains(g), &mut runs) {
        runs.push(vec![&tree.expr]);
    }
    let mut total = 0usize;
    for run in runs {
        let mut text = String::new();
        for part in run {
            part.to_str(&mut text, 1);
        }
        total = total.saturating_add(pattern_cost(&text, cap)?);
        if total > cap {
            break;
        }
    }
    Some(total)
}

/// Is `e` hard for `fancy-regex`? Collects, below a hard `e`, the runs of parts that are not
/// (siblings side by side in a sequence form one run). `group` numbers capture groups in the
/// order `fancy-regex` does (pre-order); `referenced` tells the groups a backreference names.
fn split_hard<'e>(
    e: &'e fancy_regex::Expr,
    group: &mut usize,
    referenced: &dyn Fn(usize) -> bool,
    runs: &mut Vec<Vec<&'e fancy_regex::Expr>>,
) -> bool {
    use fancy_regex::{Assertion, Expr};
    let child = |c: &'e Expr, group: &mut usize, runs: &mut Vec<Vec<&'e Expr>>| {
        let hard = split_hard(c, group, referenced, runs);
        if !hard {
            runs.push(vec![c]);
        }
        hard
    };
    match e {
        Expr::Empty | Expr::Any { .. } | Expr::Literal { .. } | Expr::Delegate { .. } => false,
        Expr::Assertion(a) => matches!(
            a,
            Assertion::LeftWordBoundary
                | Assertion::RightWordBoundary
                | Assertion::WordBoundary
                | Assertion::NotWordBoundary
        ),
        Expr::Backref(_) | Expr::KeepOut | Expr::ContinueFromPreviousMatchEnd | Expr::BackrefExistsCondition(_) => true,
        Expr::Group(c) => {
            let mine = *group;
            *group += 1;
            let mark = runs.len();
            let hard = child(c, group, runs) || referenced(mine);
            if !hard {
                runs.truncate(mark);
            }
            hard
        }
        Expr::LookAround(c, _) | Expr::AtomicGroup(c) => {
            child(c, group, runs);
            true
        }
        Expr::Repeat { child: c, .. } => {
            let mark = runs.len();
            let hard = child(c, group, runs);
            if !hard {
                runs.truncate(mark);
            }
            hard
        }
        Expr::Conditional { condition, true_branch, false_branch } => {
            child(condition, group, runs);
            child(true_branch, group, runs);
            child(false_branch, group, runs);
            true
        }
        Expr::Alt(v) => {
            let mark = runs.len();
            let mut hard = false;
            for c in v {
                hard |= child(c, group, runs);
            }
            if !hard {
                runs.truncate(mark);
            }
            hard
        }
        Expr::Concat(v) => {
            let mark = runs.len();
            let mut hard = false;
            // Easy siblings side by side join one run.
            let mut run: Vec<&'e Expr> = Vec::new();
            for c in v {
                if split_hard(c, group, referenced, runs) {
                    hard = true;
                    if !run.is_empty() {
                        runs.push(std::mem::take(&mut run));
                    }
                } else {
                    run.push(c);
                }
            }
            if !run.is_empty() {
                runs.push(run);
            }
            if !hard {
                runs.truncate(mark);
            }
            hard
        }
    }
}

/// The states of `hir`, without the matcher's base: exact up to `cap`, else above it.
/// Recursion is bounded by the parser's nest limit.
fn hir_cost(hir: &Hir, cap: u64) -> u64 {
    const S: u64 = STATE as u64;
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let sum = |start: u64, parts: &[Hir]| {
        let mut total = start;
        for h in parts {
            total = total.saturating_add(hir_cost(h, cap));
            if total > cap {
                break;
            }
        }
        total
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => S,
        HirKind::Literal(l) => S.saturating_mul(count(l.0.len())),
        HirKind::Class(Class::Unicode(c)) => {
            let mut total = S;
            'ranges: for r in c.iter() {
                for seq in Utf8Sequences::new(r.start(), r.end()) {
                    total = total.saturating_add((CLASS_BYTE as u64).saturating_mul(count(seq.len() + 1)));
                    if total > cap {
                        break 'ranges;
                    }
                }
            }
            total
        }
        HirKind::Class(Class::Bytes(c)) => {
            S.saturating_add((CLASS_BYTE as u64).saturating_mul(2 * count(c.ranges().len())))
        }
        HirKind::Repetition(r) => {
            let (copies, unions) = match r.max {
                Some(max) => (max.max(1), max - r.min),
                None => (r.min.max(1), 1),
            };
            hir_cost(&r.sub, cap).saturating_mul(u64::from(copies)).saturating_add(S.saturating_mul(u64::from(unions)))
        }
        HirKind::Capture(c) => hir_cost(&c.sub, cap).saturating_add(2 * S),
        HirKind::Concat(v) => sum(0, v),
        HirKind::Alternation(v) => sum(S.saturating_mul(count(v.len()) + 1), v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(p: &str) -> usize {
        pattern_cost(&format!("^(?:{p})$"), usize::MAX).unwrap()
    }

    /// Pinned numbers: the charge is a pure function of the pattern, so these hold on every
    /// platform (the WASM host tests assert the same boundary through the module).
    #[test]
    fn the_charge_is_a_pure_function_of_the_pattern() {
        assert_eq!(whole("r1x1"), 2048 + 6 * 48);
        assert_eq!(whole("a{1000}"), 2048 + 2 * 48 + 1000 * 48);
        assert_eq!(whole(r"\w"), 59_171);
        assert_eq!(whole(r"r0x0|[a-z]+\w{2,9}"), 516_181);
        assert_eq!(whole(r"\w{17}"), whole(r"\w{17}"));
        assert_eq!(pattern_cost("a{1000}{1000}", usize::MAX), Some(2048 + 48 * 1_000_000));
        // Saturates instead of wrapping (at `u64::MAX`, or a 32-bit host's `usize::MAX`).
        assert_eq!(pattern_cost("(?:a{1000}){1000}{1000}{1000}{1000}{1000}{1000}", usize::MAX), Some(usize::MAX));
        assert_eq!(pattern_cost("a(", usize::MAX), None);
        // The hostile battery's boundary case, run through every host (wasm32 too).
        assert_eq!(whole(crate::bench_gen::hostile::AT_SIZE_PATTERN), crate::bench_gen::hostile::AT_SIZE_CHARGE);
    }

    /// Past the cap the count stops, above the cap; up to it, it is exact.
    #[test]
    fn the_count_stops_past_the_cap() {
        let huge = r"\pL".repeat(20_000);
        let capped = pattern_cost(&huge, 1 << 20).unwrap();
        assert!(capped > 1 << 20 && capped < 1 << 21, "{capped}");
        let exact = whole(r"\w{2,17}");
        assert_eq!(pattern_cost(r"^(?:\w{2,17})$", exact).unwrap(), exact);
        assert_eq!(backtracking_cost(r"(?=a)\w{2,17}", usize::MAX), backtracking_cost(r"(?=a)\w{2,17}", 1 << 20));
    }

    /// Whatever the charge lets through, fancy-regex builds well under the safety net (here
    /// with its delegates held to half of `regex_size`): the charge is an upper bound of the
    /// matchers it hands to the linear engine.
    #[test]
    fn backtracking_patterns_within_the_charge_build_under_the_safety_net() {
        let size = 200_000;
        for p in [
            r"(?=a)\w{3}",
            r"(?<=ab)c+[a-z]{10}",
            r"(?>a|ab)c{50}",
            r"\bfoo\b[a-z]{10}\d+",
            r"(a)(?(1)b|c)x{20}",
            r"(?i)(?=K)k{30}",
            r"(?!x)(?:.{3}){10}",
            r"(\w)\1{3}\w{2}",
            r"(?=a)(?:(a)\1){100000}",
        ] {
            let charge = backtracking_cost(p, size).unwrap();
            assert!(charge <= size, "{p}: {charge}");
            let built = fancy_regex::RegexBuilder::new(p)
                .delegate_size_limit(safety_net(size) / SAFETY_FACTOR / 2)
                .delegate_dfa_size_limit(safety_net(size))
                .build();
            assert!(built.is_ok(), "{p}: charged {charge}, {built:?}");
        }
        assert!(backtracking_cost(r"(?=a)\w{100}", size).unwrap() > size);
    }

    #[test]
    fn repetitions_are_expanded() {
        let one = whole("[a-z]");
        assert_eq!(whole("[a-z]{10}") - whole("[a-z]"), 9 * (one - 2048 - 2 * 48));
        assert!(whole("(?:x|y)*") < whole("(?:x|y){2}"));
        assert!(whole("a{0,5}") > whole("a{5}"));
    }
}
