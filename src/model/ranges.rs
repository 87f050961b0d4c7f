//! Mesos `RANGES` values: sorted, coalesced lists of inclusive `[begin, end]` ranges.
//!
//! The invariant (held by every constructor): ranges are sorted by `begin`, every range has
//! `begin <= end`, and no two ranges overlap or touch (`[4-6]` and `[7-7]` are one range
//! `[4-7]`, as Mesos' `coalesce` makes them). With that invariant add, subtract, contains and
//! equal are single linear merges: O(#ranges), never O(#ports).

use std::fmt;

use smallvec::SmallVec;

use crate::error::{Error, Result};

/// One inclusive range of integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    /// First value in the range.
    pub begin: u64,
    /// Last value in the range (inclusive).
    pub end: u64,
}

impl Range {
    /// A range `begin..=end`.
    ///
    /// # Errors
    /// `ranges.reversed` when `begin > end`.
    pub fn new(begin: u64, end: u64) -> Result<Range> {
        if begin > end {
            return Err(Error::invalid("ranges.reversed", format!("range `{begin}-{end}` ends before it begins"))
                .with_help("write the smaller bound first"));
        }
        Ok(Range { begin, end })
    }

    /// How many values the range holds (saturating at `u64::MAX` for `[0-u64::MAX]`).
    pub fn len(&self) -> u64 {
        (self.end - self.begin).saturating_add(1)
    }

    /// A range always holds at least one value.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// True if `v` lies in the range.
    pub fn contains(&self, v: u64) -> bool {
        self.begin <= v && v <= self.end
    }
}

/// A coalesced set of ranges (see the module docs for the invariant).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ranges(SmallVec<[Range; 4]>);

impl Ranges {
    /// No ranges.
    pub fn new() -> Ranges {
        Ranges(SmallVec::new())
    }

    /// Builds from any list of ranges, sorting and coalescing.
    ///
    /// ```
    /// use offerfit::{Range, Ranges};
    /// let r = Ranges::from_ranges([Range { begin: 6, end: 8 }, Range { begin: 4, end: 6 }]);
    /// assert_eq!(r.to_string(), "[4-8]");
    /// ```
    pub fn from_ranges<I: IntoIterator<Item = Range>>(ranges: I) -> Ranges {
        let mut v: SmallVec<[Range; 4]> = ranges.into_iter().collect();
        v.sort_unstable();
        let mut out: SmallVec<[Range; 4]> = SmallVec::with_capacity(v.len());
        for r in v {
            match out.last_mut() {
                Some(last) if r.begin <= last.end.saturating_add(1) => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        Ranges(out)
    }

    /// Builds from `(begin, end)` pairs, sorting and coalescing.
    ///
    /// # Errors
    /// `ranges.reversed` when some pair has `begin > end`.
    ///
    /// ```
    /// use offerfit::Ranges;
    /// let r = Ranges::from_pairs([(31000, 32000), (4000, 5000), (5001, 5001)]).unwrap();
    /// assert_eq!(r.to_string(), "[4000-5001, 31000-32000]");
    /// ```
    pub fn from_pairs<I: IntoIterator<Item = (u64, u64)>>(pairs: I) -> Result<Ranges> {
        let mut v: SmallVec<[Range; 4]> = SmallVec::new();
        for (b, e) in pairs {
            v.push(Range::new(b, e)?);
        }
        Ok(Ranges::from_ranges(v))
    }

    /// A single range.
    pub fn single(begin: u64, end: u64) -> Result<Ranges> {
        Ok(Ranges(smallvec::smallvec![Range::new(begin, end)?]))
    }

    /// The coalesced ranges in ascending order.
    pub fn as_slice(&self) -> &[Range] {
        &self.0
    }

    /// Iterates the ranges in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, Range> {
        self.0.iter()
    }

    /// True when no value is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of (coalesced) ranges.
    pub fn range_count(&self) -> usize {
        self.0.len()
    }

    /// Number of values held (saturating).
    pub fn value_count(&self) -> u64 {
        self.0.iter().fold(0u64, |n, r| n.saturating_add(r.len()))
    }

    /// True if `v` is held. O(log #ranges).
    pub fn contains_value(&self, v: u64) -> bool {
        let i = self.0.partition_point(|r| r.end < v);
        self.0.get(i).is_some_and(|r| r.begin <= v)
    }

    /// The union, coalesced. O(n + m).
    ///
    /// ```
    /// use offerfit::Ranges;
    /// let a = Ranges::from_pairs([(3, 5), (7, 8)]).unwrap();
    /// let b = Ranges::from_pairs([(6, 6)]).unwrap();
    /// assert_eq!(a.add(&b).to_string(), "[3-8]");
    /// ```
    #[must_use]
    pub fn add(&self, other: &Ranges) -> Ranges {
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.0, &other.0);
        let mut out: SmallVec<[Range; 4]> = SmallVec::with_capacity(a.len() + b.len());
        loop {
            let next = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.begin <= y.begin => {
                    i += 1;
                    *x
                }
                (Some(_), Some(y)) | (None, Some(y)) => {
                    j += 1;
                    *y
                }
                (Some(x), None) => {
                    i += 1;
                    *x
                }
                (None, None) => break,
            };
            match out.last_mut() {
                Some(last) if next.begin <= last.end.saturating_add(1) => last.end = last.end.max(next.end),
                _ => out.push(next),
            }
        }
        Ranges(out)
    }

    /// What is left of `self` after removing every value of `other`, splitting ranges as
    /// needed. O(n + m).
    ///
    /// ```
    /// use offerfit::Ranges;
    /// let a = Ranges::from_pairs([(20000, 40000)]).unwrap();
    /// let b = Ranges::from_pairs([(10000, 20000), (30000, 50000)]).unwrap();
    /// assert_eq!(a.subtract(&b).to_string(), "[20001-29999]");
    /// ```
    #[must_use]
    pub fn subtract(&self, other: &Ranges) -> Ranges {
        let mut out: SmallVec<[Range; 4]> = SmallVec::with_capacity(self.0.len() + 1);
        let mut j = 0;
        let b = &other.0;
        for r in &self.0 {
            let mut cur = Some(*r);
            // Skip removals entirely before this range.
            while b.get(j).is_some_and(|x| x.end < r.begin) {
                j += 1;
            }
            let mut k = j;
            while let (Some(c), Some(x)) = (cur, b.get(k)) {
                if x.begin > c.end {
                    break;
                }
                if x.begin > c.begin {
                    out.push(Range { begin: c.begin, end: x.begin - 1 });
                }
                cur = if x.end < c.end { Some(Range { begin: x.end + 1, end: c.end }) } else { None };
                if x.end <= r.end {
                    k += 1;
                } else {
                    break;
                }
            }
            j = k;
            if let Some(c) = cur {
                out.push(c);
            }
        }
        Ranges(out)
    }

    /// True if every value of `other` is held by `self` (`self ⊇ other`). O(n + m).
    ///
    /// ```
    /// use offerfit::Ranges;
    /// let a = Ranges::from_pairs([(1, 4), (5, 5)]).unwrap();
    /// let b = Ranges::from_pairs([(2, 2), (4, 5)]).unwrap();
    /// assert!(a.contains(&b) && !b.contains(&a));
    /// ```
    pub fn contains(&self, other: &Ranges) -> bool {
        let mut i = 0;
        for r in &other.0 {
            while self.0.get(i).is_some_and(|x| x.end < r.begin) {
                i += 1;
            }
            match self.0.get(i) {
                Some(x) if x.begin <= r.begin && r.end <= x.end => {}
                _ => return false,
            }
        }
        true
    }

    /// Adds one range in place.
    pub fn insert(&mut self, range: Range) {
        let single = Ranges(smallvec::smallvec![range]);
        *self = self.add(&single);
    }

    /// Removes one value in place.
    pub fn remove_value(&mut self, v: u64) {
        let single = Ranges(smallvec::smallvec![Range { begin: v, end: v }]);
        *self = self.subtract(&single);
    }

    /// The lowest value, if any.
    pub fn first(&self) -> Option<u64> {
        self.0.first().map(|r| r.begin)
    }

    /// The `n`-th value (0-based) in ascending order, in O(#ranges).
    pub fn nth_value(&self, mut n: u64) -> Option<u64> {
        for r in &self.0 {
            let len = r.len();
            if n < len {
                return Some(r.begin + n);
            }
            n -= len;
        }
        None
    }
}

impl<'a> IntoIterator for &'a Ranges {
    type Item = &'a Range;
    type IntoIter = std::slice::Iter<'a, Range>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Mesos' printed form: `[31000-32000, 40000-40010]`.
impl fmt::Display for Ranges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}-{}", r.begin, r.end)?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(p: &[(u64, u64)]) -> Ranges {
        Ranges::from_pairs(p.iter().copied()).unwrap()
    }

    #[test]
    fn coalesces_touching_and_overlapping() {
        assert_eq!(r(&[(4, 6), (7, 7), (9, 10), (9, 11)]), r(&[(4, 7), (9, 11)]));
        assert_eq!(r(&[(4, 6), (6, 8), (5, 9), (3, 4), (2, 5), (1, 1), (10, 10)]).range_count(), 1);
        assert_eq!(r(&[(0, u64::MAX), (5, 6)]), r(&[(0, u64::MAX)]));
    }

    #[test]
    fn subtract_splits() {
        assert_eq!(r(&[(3, 8)]).subtract(&r(&[(5, 6)])), r(&[(3, 4), (7, 8)]));
        assert_eq!(
            r(&[(1, 10), (20, 30), (40, 50)]).subtract(&r(&[(2, 9), (15, 45), (48, 50)])),
            r(&[(1, 1), (10, 10), (46, 47)])
        );
        assert_eq!(r(&[(3, 8)]).subtract(&r(&[(1, 10)])), Ranges::new());
        assert_eq!(r(&[(0, u64::MAX)]).subtract(&r(&[(u64::MAX, u64::MAX)])), r(&[(0, u64::MAX - 1)]));
        assert_eq!(r(&[(1, 5), (8, 12)]).subtract(&r(&[(4, 9)])), r(&[(1, 3), (10, 12)]));
    }

    #[test]
    fn contains_and_values() {
        assert!(!r(&[(2, 3)]).contains(&r(&[(2, 2), (4, 5)])));
        assert!(r(&[(1, 2), (4, 6)]).contains(&r(&[(2, 2), (4, 5)])));
        assert!(r(&[(1, 2)]).contains(&Ranges::new()));
        assert!(r(&[(1, 2), (10, 20)]).contains_value(15));
        assert!(!r(&[(1, 2), (10, 20)]).contains_value(5));
        assert_eq!(r(&[(1, 2), (10, 20)]).nth_value(3), Some(11));
        assert_eq!(r(&[(0, u64::MAX)]).value_count(), u64::MAX);
    }

    #[test]
    fn reversed_is_refused() {
        assert_eq!(Ranges::from_pairs([(5, 3)]).unwrap_err().code(), "ranges.reversed");
    }
}
