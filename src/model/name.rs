//! [`ResourceName`]: a resource's name, cheap to copy. Every launch of a plan repeats the name
//! of the offer resource it takes from, so a batch of 10,000 tasks copies tens of thousands
//! of names: the well-known names are held as `&'static str` and any other name is shared
//! (reference counted), so a copy never allocates. It reads, compares, hashes, orders and
//! prints as the string it holds.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// The name of a [`crate::model::Resource`] (`cpus`, `mem`, `disk`, `gpus`, `ports`, or any
/// custom name). Behaves as a `str` (it dereferences to one); made from a `&str` or a
/// `String`; cloning it never allocates.
///
/// ```
/// use offerfit::model::ResourceName;
///
/// let name = ResourceName::from("cpus");
/// assert_eq!(name, "cpus");
/// assert_eq!(name.as_str().len(), 4);
/// let custom = ResourceName::from(String::from("fpgas"));
/// assert!(custom.clone() == "fpgas" && custom.starts_with("fp"));
/// ```
#[derive(Clone)]
pub struct ResourceName(Repr);

#[derive(Clone)]
enum Repr {
    Known(&'static str),
    Shared(Arc<str>),
}

/// The names held without an allocation.
const KNOWN: [&str; 5] = ["cpus", "mem", "disk", "gpus", "ports"];

impl ResourceName {
    /// The name as a `str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Known(s) => s,
            Repr::Shared(s) => s,
        }
    }

    fn known(s: &str) -> Option<&'static str> {
        KNOWN.iter().copied().find(|k| *k == s)
    }
}

impl Default for ResourceName {
    /// The empty name.
    fn default() -> ResourceName {
        ResourceName(Repr::Known(""))
    }
}

impl From<&str> for ResourceName {
    fn from(s: &str) -> ResourceName {
        ResourceName(match ResourceName::known(s) {
            Some(k) => Repr::Known(k),
            None => Repr::Shared(Arc::from(s)),
        })
    }
}

impl From<&String> for ResourceName {
    fn from(s: &String) -> ResourceName {
        ResourceName::from(s.as_str())
    }
}

impl From<String> for ResourceName {
    fn from(s: String) -> ResourceName {
        ResourceName(match ResourceName::known(&s) {
            Some(k) => Repr::Known(k),
            None => Repr::Shared(Arc::from(s)),
        })
    }
}

impl From<&ResourceName> for ResourceName {
    fn from(s: &ResourceName) -> ResourceName {
        s.clone()
    }
}

impl From<ResourceName> for String {
    fn from(s: ResourceName) -> String {
        s.as_str().to_owned()
    }
}

impl Deref for ResourceName {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ResourceName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for ResourceName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for ResourceName {
    fn eq(&self, other: &ResourceName) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ResourceName {}

impl PartialOrd for ResourceName {
    fn partial_cmp(&self, other: &ResourceName) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResourceName {
    fn cmp(&self, other: &ResourceName) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for ResourceName {
    /// As the `str` it holds (so that `Borrow<str>` lookups find it).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for ResourceName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ResourceName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ResourceName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<ResourceName> for str {
    fn eq(&self, other: &ResourceName) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ResourceName> for &str {
    fn eq(&self, other: &ResourceName) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<ResourceName> for String {
    fn eq(&self, other: &ResourceName) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn known_and_custom_names_read_compare_and_hash_as_their_text() {
        let cpus = ResourceName::from("cpus");
        assert!(matches!(cpus.0, Repr::Known(_)));
        let custom = ResourceName::from(String::from("fpgas"));
        assert!(matches!(custom.0, Repr::Shared(_)));
        assert_eq!(cpus, ResourceName::from(String::from("cpus")));
        assert_eq!(cpus.as_str(), "cpus");
        let owned = String::from("fpgas");
        assert!(cpus == "cpus" && "fpgas" == custom);
        assert!(owned == custom);
        assert!(custom == owned);
        assert!(cpus < custom && cpus.cmp(&custom) == "cpus".cmp("fpgas"));
        let set: HashSet<ResourceName> = [cpus.clone(), custom.clone()].into_iter().collect();
        assert!(set.contains("fpgas") && set.contains("cpus") && !set.contains("mem"));
        assert_eq!(format!("{cpus} {custom:?}"), "cpus \"fpgas\"");
        assert_eq!(String::from(custom.clone()), "fpgas");
        assert_eq!(ResourceName::default(), "");
    }
}
