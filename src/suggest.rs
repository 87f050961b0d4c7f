//! Did-you-mean: the known name closest to a misspelt one, for the `help` of errors about
//! unknown operators, ops, strategies, weights and enum values.
//!
//! ```
//! assert_eq!(offerfit::suggest::closest("UNIQE", &["UNIQUE", "CLUSTER"]), Some("UNIQUE"));
//! ```

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&w, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(3) / 3).max(1) || c.to_ascii_lowercase().starts_with(&w) && w.len() >= 3)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            // INVARIANT: `prev` holds `b.len() + 1` distances and `cur` `j + 1` so far, so
            // `j` and `j + 1` are in bounds; the `0` fallbacks are never taken.
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    // INVARIANT: `prev` is never empty (it starts with `b.len() + 1` entries).
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos() {
        assert_eq!(closest("parse_resource", &["parse_value", "parse_resources"]), Some("parse_resources"));
        assert_eq!(closest("UNIQE", &["UNIQUE", "CLUSTER"]), Some("UNIQUE"));
        assert_eq!(closest("zzz", &["UNIQUE", "CLUSTER"]), None);
    }
}
