//! Mesos `SET` values: items in insertion order, unique after arithmetic.

use std::fmt;

use smallvec::SmallVec;

/// A Mesos set of text items. Parsing keeps the input order (and duplicates, which resource
/// validation then rejects); `add` is a union without duplicates, `subtract` keeps the items
/// of the left side that the right lacks, and equality ignores order — unlike Mesos' own
/// item-by-item `==`, a latent bug we deliberately do not copy.
#[derive(Debug, Clone, Default, Eq)]
pub struct Set(SmallVec<[String; 2]>);

impl Set {
    /// An empty set.
    pub fn new() -> Set {
        Set(SmallVec::new())
    }

    /// The items in order, duplicates kept.
    ///
    /// ```
    /// let s = offerfit::Set::from_items(["sda1", "sda2"]);
    /// assert_eq!(s.to_string(), "{sda1, sda2}");
    /// ```
    pub fn from_items<I, S>(items: I) -> Set
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Set(items.into_iter().map(Into::into).collect())
    }

    /// The items in order.
    pub fn items(&self) -> &[String] {
        &self.0
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True if `item` is in the set.
    pub fn contains_item(&self, item: &str) -> bool {
        self.0.iter().any(|i| i == item)
    }

    /// The first item that occurs twice, if any.
    pub fn first_duplicate(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find_map(|(i, a)| self.0.get(..i).and_then(|before| before.iter().any(|b| b == a).then_some(a.as_str())))
    }

    /// Union without duplicates; left items first, in order.
    #[must_use]
    pub fn add(&self, other: &Set) -> Set {
        let mut out = Set::new();
        for i in self.0.iter().chain(other.0.iter()) {
            if !out.contains_item(i) {
                out.0.push(i.clone());
            }
        }
        out
    }

    /// The items of `self` that `other` lacks.
    #[must_use]
    pub fn subtract(&self, other: &Set) -> Set {
        Set(self.0.iter().filter(|i| !other.contains_item(i)).cloned().collect())
    }

    /// True if every item of `other` is in `self`.
    pub fn contains(&self, other: &Set) -> bool {
        other.0.iter().all(|i| self.contains_item(i))
    }
}

impl PartialEq for Set {
    fn eq(&self, other: &Set) -> bool {
        self.contains(other) && other.contains(self)
    }
}

impl std::hash::Hash for Set {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut items: Vec<&String> = self.0.iter().collect();
        items.sort();
        items.dedup();
        items.hash(state);
    }
}

/// Mesos' printed form: `{a, b}`.
impl fmt::Display for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(item)?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let a = Set::from_items(["sda1", "sda2", "sda3"]);
        let b = Set::from_items(["sda2", "sda3"]);
        assert_eq!(a.subtract(&b), Set::from_items(["sda1"]));
        assert!(a.contains(&b) && !b.contains(&a));
        assert_eq!(a.add(&Set::from_items(["sda4", "sda1"])).len(), 4);
        assert_eq!(Set::from_items(["b", "a"]), Set::from_items(["a", "b"]));
        assert_eq!(Set::from_items(["a", "b", "a"]).first_duplicate(), Some("a"));
    }
}
