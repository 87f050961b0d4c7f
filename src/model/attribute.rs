//! Agent attributes: named TEXT / SCALAR / RANGES / SET values, order kept, duplicate names
//! allowed, equality order-insensitive (Mesos `Attributes::operator==`).

use std::fmt;

use crate::model::Value;

/// One agent attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Its name (case-sensitive).
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// The attributes of an agent, in the order given.
#[derive(Debug, Clone, Default)]
pub struct Attributes(pub Vec<Attribute>);

impl Attribute {
    /// An attribute named `name` holding `value`.
    pub fn new(name: impl Into<String>, value: Value) -> Attribute {
        Attribute { name: name.into(), value }
    }
}

/// Mesos' `--attributes` form of one attribute: `rack:r1`, `level:2.5`, `ports:[1-10]`.
impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.value)
    }
}

impl Attributes {
    /// No attributes.
    pub fn new() -> Attributes {
        Attributes(Vec::new())
    }

    /// Appends an attribute (duplicate names are allowed, as in Mesos).
    pub fn push(&mut self, attribute: Attribute) {
        self.0.push(attribute);
    }

    /// Every attribute with exactly this name, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> + 'a {
        self.0.iter().filter(move |a| a.name == name)
    }

    /// The value of the first attribute with exactly this name.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.get(name).map(|a| &a.value)
    }

    /// The first attribute with exactly this name (Marathon and mesos-actor read only the
    /// first of a duplicated name).
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.0.iter().find(|a| a.name == name)
    }

    /// The attributes in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Attribute> {
        self.0.iter()
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Order-insensitive multiset equality on name, type and value.
impl PartialEq for Attributes {
    fn eq(&self, other: &Attributes) -> bool {
        if self.0.len() != other.0.len() {
            return false;
        }
        let mut used = vec![false; other.0.len()];
        self.0.iter().all(|a| {
            let found = other.0.iter().enumerate().find(|(i, b)| !used.get(*i).copied().unwrap_or(true) && *b == a);
            match found {
                Some((i, _)) => {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    true
                }
                None => false,
            }
        })
    }
}

/// Mesos' `--attributes` form: `rack:r1;zone:us-east;level:2.5`.
impl fmt::Display for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            a.fmt(f)?;
        }
        Ok(())
    }
}

impl FromIterator<Attribute> for Attributes {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Attributes {
        Attributes(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a Attribute;
    type IntoIter = std::slice::Iter<'a, Attribute>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ranges, Set};

    fn text(name: &str, v: &str) -> Attribute {
        Attribute::new(name, Value::Text(v.into()))
    }

    #[test]
    fn equality_ignores_order_but_counts_duplicates() {
        let a = Attributes(vec![text("rack", "r1"), text("d", "c1"), text("d", "c2")]);
        let b = Attributes(vec![text("d", "c2"), text("d", "c1"), text("rack", "r1")]);
        assert_eq!(a, b);
        let c = Attributes(vec![text("d", "c1"), text("d", "c1"), text("rack", "r1")]);
        assert_ne!(a, c);
        assert_ne!(a, Attributes::new());
    }

    #[test]
    fn values_compare_as_mesos_does() {
        let a = Attributes(vec![Attribute::new("l", Value::Scalar(2.5))]);
        assert_eq!(a, Attributes(vec![Attribute::new("l", Value::Scalar(2.5000001))]));
        assert_ne!(a, Attributes(vec![Attribute::new("l", Value::Text("2.5".into()))]));
        let r = |p: &[(u64, u64)]| Value::Ranges(Ranges::from_pairs(p.iter().copied()).unwrap());
        assert_eq!(Attribute::new("p", r(&[(1, 4), (5, 5)])), Attribute::new("p", r(&[(1, 5)])));
    }

    #[test]
    fn lookup_and_display() {
        let a = Attributes(vec![
            text("rack", "r1"),
            Attribute::new("g", Value::Set(Set::from_items(["a"]))),
            text("rack", "r2"),
        ]);
        assert_eq!(a.value("rack"), Some(&Value::Text("r1".into())));
        assert_eq!(a.get_all("rack").count(), 2);
        assert_eq!(a.to_string(), "rack:r1;g:{a};rack:r2");
    }
}
