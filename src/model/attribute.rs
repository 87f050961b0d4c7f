//! Agent attributes: named TEXT / SCALAR / RANGES / SET values, order kept, duplicate names
//! allowed, equality order-insensitive (Mesos `Attributes::operator==`).

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

impl Attributes {
    /// No attributes.
    pub fn new() -> Attributes {
        Attributes(Vec::new())
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
