//! [`Resources`]: a list of Mesos resources with Mesos' arithmetic (merging like entries,
//! subtraction, containment), kept apart from the single [`Resource`] it is made of.

use std::collections::BTreeMap;
use std::fmt;

use smallvec::SmallVec;

use crate::error::{Error, Result};
use crate::model::resource::Resource;
use crate::model::role::is_strict_subrole_of;
use crate::model::{Ranges, ResourceName, Scalar, Set, ValueType};

/// A list of resources with Mesos arithmetic.
///
/// The invariant (kept by every method): like resources (same name, type, reservation stack,
/// disk info, flags, allocation role and provider — see [`Resource::is_like`]) are merged into
/// one entry, in the order of their first appearance; empty resources (zero, no ranges, no
/// items) vanish; exclusive resources ([`Resource::is_exclusive`]: shared resources,
/// persistent volumes, MOUNT / BLOCK disks) are never merged, one entry per copy.
///
/// Equality is Mesos': each side contains the other (the order of entries does not matter).
///
/// ```
/// use offerfit::parse_resources;
/// let left = parse_resources("cpus(role1):5; cpus(role2):3; mem:1024", "*").unwrap();
/// let right = parse_resources("cpus(role1):1; mem:24", "*").unwrap();
/// assert_eq!(left.subtract(&right).unwrap().to_string(), "cpus(role1):4; cpus(role2):3; mem:1000");
/// assert!(!left.contains(&parse_resources("cpus(role3):1", "*").unwrap()));
/// ```
#[derive(Clone, Default)]
pub struct Resources(Vec<Resource>, LikeIndex);

impl Eq for Resources {}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Resources").field(&self.0).finish()
    }
}

/// The like-entry index of a large [`Resources`]: each entry's position under the hash of
/// what [`Resource::is_like`] compares (everything but the value), built by the first
/// [`Resources::push`] onto [`SMALL`] entries or more and kept up by it; dropped by anything
/// else that changes the list, and by a clone (a clone that is pushed to rebuilds it), so
/// that `push` is O(1) on average rather than a walk of the entries (issue 20).
#[derive(Default)]
struct LikeIndex(Option<Box<crate::hash::FxMap<u64, SmallVec<[u32; 1]>>>>);

impl Clone for LikeIndex {
    fn clone(&self) -> LikeIndex {
        LikeIndex(None)
    }
}

/// The hash of what [`Resource::is_like`] compares (like resources hash alike): the key of
/// `push`'s index and of the engine's pooling of an agent's offers.
pub(crate) fn like_hash(r: &Resource) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::hash::Fx::default();
    r.name.hash(&mut h);
    (r.value.value_type() as u8).hash(&mut h);
    r.reservations.hash(&mut h);
    r.disk.hash(&mut h);
    r.shared.hash(&mut h);
    r.revocable.hash(&mut h);
    r.allocation_role.hash(&mut h);
    r.provider_id.hash(&mut h);
    h.finish()
}

impl Resources {
    /// No resources.
    pub fn new() -> Resources {
        Resources(Vec::new(), LikeIndex::default())
    }

    /// No resources, with room for `n` entries before the list grows (for an engine that knows
    /// how many it is about to push).
    pub(crate) fn with_capacity(n: usize) -> Resources {
        Resources(Vec::with_capacity(n), LikeIndex::default())
    }

    /// Validates every resource ([`Resource::validate`]), refuses one name with two types,
    /// then merges like resources; zero-valued ones vanish.
    ///
    /// # Errors
    /// The first invalid resource's error, or `resources.type_conflict`.
    ///
    /// ```
    /// use offerfit::{Resource, ResourceValue, Resources, Scalar};
    /// let cpus = |n| Resource::new("cpus", ResourceValue::Scalar(Scalar::from_units(n)));
    /// let r = Resources::from_resources(vec![cpus(1), cpus(2), cpus(0)]).unwrap();
    /// assert_eq!(r.to_string(), "cpus:3");
    /// ```
    pub fn from_resources(resources: Vec<Resource>) -> Result<Resources> {
        for r in &resources {
            r.validate()?;
        }
        check_types(&resources)?;
        let mut out = Resources::new();
        out.extend_merged(resources);
        Ok(out)
    }

    /// [`Resources`] from a list of resources (assumed valid), merged as collecting them
    /// does; a short list with nothing to merge and nothing empty is kept as it is, without
    /// moving its entries.
    pub(crate) fn from_vec_merged(list: Vec<Resource>) -> Resources {
        // INVARIANT: `j` enumerates `list`, so `list[..j]` exists (the empty fallback is
        // never taken).
        let untouched = list.len() <= SMALL
            && list.iter().enumerate().all(|(j, r)| {
                !r.value.is_empty()
                    && (r.is_exclusive() || !list.get(..j).unwrap_or_default().iter().any(|e| e.is_like(r)))
            });
        if untouched {
            Resources(list, LikeIndex::default())
        } else {
            list.into_iter().collect()
        }
    }

    /// Adds many resources (assumed valid), merging like ones; like candidates are looked up
    /// by name, so building from thousands of entries stays fast.
    fn extend_merged(&mut self, items: impl IntoIterator<Item = Resource>) {
        let items = items.into_iter();
        // Few entries: a linear search for the like entry (what `push` does) finds the same
        // one as the index below, for less than building the index.
        if items.size_hint().1.is_some_and(|n| n.saturating_add(self.0.len()) <= SMALL) {
            for r in items {
                self.push(r);
            }
            return;
        }
        // The push index would miss the entries added below.
        self.1 = LikeIndex::default();
        let mut index: BTreeMap<ResourceName, SmallVec<[usize; 2]>> = BTreeMap::new();
        for (i, e) in self.0.iter().enumerate() {
            index.entry(e.name.clone()).or_default().push(i);
        }
        for r in items {
            if r.value.is_empty() {
                continue;
            }
            let like = if r.is_exclusive() {
                None
            } else {
                index
                    .get(&r.name)
                    .and_then(|ids| ids.iter().copied().find(|&i| self.0.get(i).is_some_and(|e| e.is_like(&r))))
            };
            match like.and_then(|i| self.0.get_mut(i)) {
                Some(entry) => entry.absorb(&r),
                None => {
                    index.entry(r.name.clone()).or_default().push(self.0.len());
                    self.0.push(r);
                }
            }
        }
    }

    /// Indices of the entries named `name`: a lookup table when there are many entries.
    fn by_name(&self) -> Option<BTreeMap<&str, SmallVec<[usize; 4]>>> {
        if self.0.len() <= SMALL {
            return None;
        }
        let mut index: BTreeMap<&str, SmallVec<[usize; 4]>> = BTreeMap::new();
        for (i, e) in self.0.iter().enumerate() {
            index.entry(e.name.as_str()).or_default().push(i);
        }
        Some(index)
    }

    /// Adds one resource (assumed valid), merging it into the first like entry. A few
    /// entries are walked; from [`SMALL`] entries on, the like one is looked up by hash (an
    /// index built once and kept up by each push), so pushing n resources one by one costs
    /// O(n), not O(n²).
    pub fn push(&mut self, resource: Resource) {
        if resource.value.is_empty() {
            return;
        }
        let Resources(list, LikeIndex(index)) = self;
        if list.len() < SMALL && index.is_none() {
            if !resource.is_exclusive() {
                if let Some(entry) = list.iter_mut().find(|e| e.is_like(&resource)) {
                    entry.absorb(&resource);
                    return;
                }
            }
            list.push(resource);
            return;
        }
        let index = index.get_or_insert_with(|| {
            let mut m = crate::hash::FxMap::<u64, SmallVec<[u32; 1]>>::default();
            for (i, e) in list.iter().enumerate() {
                m.entry(like_hash(e)).or_default().push(i as u32);
            }
            Box::new(m)
        });
        let h = like_hash(&resource);
        if !resource.is_exclusive() {
            // The first like entry, as the walk finds it: positions are pushed ascending.
            let like = index.get(&h).and_then(|ids| {
                ids.iter().map(|i| *i as usize).find(|&i| list.get(i).is_some_and(|e| e.is_like(&resource)))
            });
            if let Some(entry) = like.and_then(|i| list.get_mut(i)) {
                entry.absorb(&resource);
                return;
            }
        }
        index.entry(h).or_default().push(list.len() as u32);
        list.push(resource);
    }

    /// The resources in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.0.iter()
    }

    /// The merged entries.
    pub fn as_slice(&self) -> &[Resource] {
        &self.0
    }

    /// The merged entries, by value.
    pub fn into_vec(self) -> Vec<Resource> {
        self.0
    }

    /// Number of (merged) resource entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `self + other`: like resources merge (scalars sum, ranges and sets union).
    ///
    /// This never fails; one name with two types simply stays as two entries (Mesos does the
    /// same). [`Resources::check_types`] tells whether that happened.
    #[must_use]
    pub fn add(&self, other: &Resources) -> Resources {
        let mut out = self.clone();
        if self.0.len() <= SMALL {
            for r in &other.0 {
                out.push(r.clone());
            }
        } else {
            out.extend_merged(other.0.iter().cloned());
        }
        out
    }

    /// True if every resource of `other` is held here, role-aware (`cpus(role1):1` is not in
    /// `cpus(role2):1`); an exclusive resource (a MOUNT disk, a persistent volume, a shared
    /// volume) is only held by an identical one, and each copy counts once.
    pub fn contains(&self, other: &Resources) -> bool {
        // Exclusive entries pair off one to one; a small bitmap marks the ones already used.
        let mut used: SmallVec<[bool; 16]> = SmallVec::new();
        let index = self.by_name();
        let find = |name: &str, pred: &mut dyn FnMut(usize) -> bool| -> Option<usize> {
            match &index {
                Some(ix) => ix.get(name).and_then(|ids| ids.iter().copied().find(|&i| pred(i))),
                None => (0..self.0.len()).find(|&i| pred(i)),
            }
        };
        for r in &other.0 {
            if r.is_exclusive() {
                if used.is_empty() {
                    used.resize(self.0.len(), false);
                }
                // INVARIANT: `used` has one flag per entry of `self` (resized above) and `find`
                // yields indices of `self`: the `true` ("taken") fallback is never needed.
                let hit = find(&r.name, &mut |i| !used.get(i).copied().unwrap_or(true) && self.0.get(i) == Some(r));
                match hit.and_then(|i| used.get_mut(i)) {
                    Some(u) => *u = true,
                    None => return false,
                }
            } else if find(&r.name, &mut |i| self.0.get(i).is_some_and(|e| e.contains(r))).is_none() {
                return false;
            }
        }
        true
    }

    /// The first resource of `other` that is not held here, if any.
    pub fn first_missing<'a>(&self, other: &'a Resources) -> Option<&'a Resource> {
        other.0.iter().find(|r| !self.contains(&Resources(vec![(*r).clone()], LikeIndex::default())))
    }

    /// `self - other`, role-aware, for an `other` that `self` contains.
    ///
    /// # Errors
    /// `resources.not_contained` when some resource of `other` is not held (a different role,
    /// too little, part of a MOUNT disk, ...).
    pub fn subtract(&self, other: &Resources) -> Result<Resources> {
        if !self.contains(other) {
            let missing = self.first_missing(other).map_or_else(|| other.to_string(), ToString::to_string);
            return Err(Error::invalid(
                "resources.not_contained",
                format!("expected resources that contain `{missing}`, found `{self}`"),
            )
            .with_help("subtract only what is held, with the same role and disk; MOUNT disks are taken whole"));
        }
        Ok(self.saturating_sub(other))
    }

    /// Mesos' unchecked `-`: each resource of `other` is taken from the like entry here, as
    /// far as it goes (scalars stop at zero); what is not held is ignored.
    #[must_use]
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        let mut out = self.0.clone();
        let mut gone: SmallVec<[bool; 16]> = SmallVec::from_elem(false, out.len());
        let index = self.by_name();
        for r in &other.0 {
            let ids: SmallVec<[usize; SMALL]> = match &index {
                Some(ix) => ix.get(r.name.as_str()).map(|v| v.iter().copied().collect()).unwrap_or_default(),
                None => (0..out.len()).collect(),
            };
            // INVARIANT: `gone` has one flag per entry of `out` and `ids` index `out`: the
            // `true` ("gone") fallback is never taken.
            let live = |i: usize| !gone.get(i).copied().unwrap_or(true);
            let hit = if r.is_exclusive() {
                ids.iter().copied().find(|&i| live(i) && out.get(i) == Some(r))
            } else {
                ids.iter().copied().find(|&i| live(i) && out.get(i).is_some_and(|e| e.is_like(r)))
            };
            if let (Some(i), Some(entry)) = (hit, hit.and_then(|i| out.get_mut(i))) {
                if !r.is_exclusive() {
                    entry.deplete(r);
                }
                if r.is_exclusive() || entry.value.is_empty() {
                    if let Some(g) = gone.get_mut(i) {
                        *g = true;
                    }
                }
            }
        }
        let mut keep = gone.iter().map(|g| !g);
        out.retain(|_| keep.next().unwrap_or(true));
        Resources(out, LikeIndex::default())
    }

    /// The resources a role may use: unreserved ones, and those reserved (at the top of their
    /// stack) for the role itself or one of its ancestors — `a/b/c` may use `a/b` and `a`
    /// reservations, but `a/bx` is not below `a/b` (Mesos' `allocatableTo`).
    ///
    /// ```
    /// use offerfit::parse_resources;
    /// let r = parse_resources("cpus:1; cpus(a):2; cpus(a/b):4; cpus(a/bx):8", "*").unwrap();
    /// assert_eq!(r.allocatable_to("a/b/c").to_string(), "cpus:1; cpus(a):2; cpus(a/b):4");
    /// assert_eq!(r.allocatable_to("*").to_string(), "cpus:1");
    /// ```
    #[must_use]
    pub fn allocatable_to(&self, role: &str) -> Resources {
        self.filter(|r| r.is_unreserved() || r.role() == role || is_strict_subrole_of(role, r.role()))
    }

    /// The entries for which `keep` is true.
    #[must_use]
    pub fn filter(&self, mut keep: impl FnMut(&Resource) -> bool) -> Resources {
        Resources(self.0.iter().filter(|r| keep(r)).cloned().collect(), LikeIndex::default())
    }

    /// The unreserved entries.
    #[must_use]
    pub fn unreserved(&self) -> Resources {
        self.filter(Resource::is_unreserved)
    }

    /// The entries reserved (at the top of their stack) for exactly `role`.
    #[must_use]
    pub fn reserved_for(&self, role: &str) -> Resources {
        self.filter(|r| !r.is_unreserved() && r.role() == role)
    }

    /// The total scalar amount named `name`, over every role and disk (zero if none).
    pub fn scalar(&self, name: &str) -> Scalar {
        self.0.iter().filter(|r| r.name == name).filter_map(Resource::scalar).sum()
    }

    /// The union of the ranges named `name` (e.g. every `ports` range), over every role.
    pub fn ranges(&self, name: &str) -> Ranges {
        self.0.iter().filter(|r| r.name == name).filter_map(Resource::ranges).fold(Ranges::new(), |a, b| a.add(b))
    }

    /// The union of the sets named `name`, over every role.
    pub fn set(&self, name: &str) -> Set {
        self.0.iter().filter(|r| r.name == name).filter_map(Resource::set).fold(Set::new(), |a, b| a.add(b))
    }

    /// The distinct names, in order of first appearance.
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.0 {
            if !out.contains(&r.name.as_str()) {
                out.push(&r.name);
            }
        }
        out
    }

    /// Refuses one name with two value types (`foo(role1):1;foo(role2):[0-1]`).
    ///
    /// # Errors
    /// `resources.type_conflict`.
    pub fn check_types(&self) -> Result<()> {
        check_types(&self.0)
    }
}

/// Up to this many entries, a linear scan beats building a name index.
const SMALL: usize = 16;

fn check_types(resources: &[Resource]) -> Result<()> {
    match first_type_conflict(resources) {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// The index of the first resource whose name was used before with another type, and the
/// error to report.
pub(crate) fn first_type_conflict(resources: &[Resource]) -> Option<(usize, Error)> {
    if resources.len() <= SMALL {
        // The first entry of each name holds the type that name keeps.
        for (i, r) in resources.iter().enumerate() {
            // INVARIANT: `i` enumerates `resources`: the slice exists.
            let before = resources.get(..i).unwrap_or_default();
            if let Some(first) = before.iter().find(|f| f.name == r.name) {
                if first.value_type() != r.value_type() {
                    return Some((i, type_conflict(&r.name, first.value_type(), r.value_type())));
                }
            }
        }
        return None;
    }
    let mut seen: BTreeMap<&str, ValueType> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        match seen.get(r.name.as_str()) {
            Some(&first) if first != r.value_type() => return Some((i, type_conflict(&r.name, first, r.value_type()))),
            Some(_) => {}
            None => {
                seen.insert(&r.name, r.value_type());
            }
        }
    }
    None
}

/// The error for one name used with two types.
pub(crate) fn type_conflict(name: &str, first: ValueType, second: ValueType) -> Error {
    Error::invalid(
        "resources.type_conflict",
        format!("resource `{name}` is a {first} and a {second}: one name must keep one type"),
    )
    .with_help("give the resources different names")
}

/// Mesos' equality: each side contains the other.
impl PartialEq for Resources {
    fn eq(&self, other: &Resources) -> bool {
        self.contains(other) && other.contains(self)
    }
}

/// Mesos' printed form: entries joined by `; ` (`cpus:45.55; ports:[10000-20000, 30000-50000];
/// disks:{sda1}`); no resources print as the empty string.
impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            r.fmt(f)?;
        }
        Ok(())
    }
}

/// Collects resources, merging like ones (each is assumed valid; use
/// [`Resources::from_resources`] to validate).
///
/// ```
/// use offerfit::{Resource, ResourceValue, Resources, Scalar};
/// let r: Resources = (1..=3).map(|n| Resource::new("cpus", ResourceValue::Scalar(Scalar::from_units(n)))).collect();
/// assert_eq!(r.to_string(), "cpus:6");
/// ```
impl FromIterator<Resource> for Resources {
    fn from_iter<I: IntoIterator<Item = Resource>>(iter: I) -> Resources {
        let mut out = Resources::new();
        out.extend_merged(iter);
        out
    }
}

impl<'a> IntoIterator for &'a Resources {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Resources {
    type Item = Resource;
    type IntoIter = std::vec::IntoIter<Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DiskInfo, Persistence, Reservation, ResourceValue};

    fn scalar(name: &str, n: i64) -> Resource {
        Resource::new(name, ResourceValue::Scalar(Scalar::from_units(n)))
    }
    /// Keeping a list as it is gives what collecting it gives, whether or not it merges.
    #[test]
    fn from_vec_merged_is_collecting() {
        let mut reserved = scalar("cpus", 2);
        reserved.reservations.push(Reservation::static_for("web"));
        let mut shared = scalar("disk", 5);
        shared.disk = Some(Box::new(DiskInfo {
            persistence: Some(Persistence { id: "p".into(), principal: None }),
            ..DiskInfo::default()
        }));
        shared.shared = true;
        let lists: Vec<Vec<Resource>> = vec![
            vec![],
            vec![scalar("cpus", 1), scalar("mem", 2)],
            vec![scalar("cpus", 1), reserved.clone(), scalar("cpus", 3)],
            vec![scalar("cpus", 0), scalar("mem", 2)],
            vec![shared.clone(), shared.clone(), scalar("disk", 1), scalar("disk", 1)],
            vec![shared.clone(), reserved.clone()],
            (0..20).map(|i| scalar(&format!("r{}", i % 7), i + 1)).collect(),
            (0..16).map(|i| scalar(&format!("r{i}"), i + 1)).collect(),
        ];
        for list in lists {
            let kept = Resources::from_vec_merged(list.clone());
            let collected: Resources = list.into_iter().collect();
            assert_eq!(kept.as_slice(), collected.as_slice());
        }
    }

    /// Pushing one by one past the point where `push` indexes its list merges as collecting
    /// does: the same entries, in the same order, like ones (not exclusive ones) merged; a
    /// clone that is pushed to rebuilds the index.
    #[test]
    fn push_by_hash_merges_as_collecting() {
        let mut reserved = scalar("cpus", 2);
        reserved.reservations.push(Reservation::static_for("web"));
        let mut volume = scalar("disk", 5);
        volume.disk = Some(Box::new(DiskInfo {
            persistence: Some(Persistence { id: "p".into(), principal: None }),
            ..DiskInfo::default()
        }));
        let mut list = Vec::new();
        for i in 0..200 {
            list.push(scalar(&format!("s{}", i % 50), 1));
            if i % 7 == 0 {
                list.push(reserved.clone());
                list.push(volume.clone());
                list.push(scalar("cpus", 1));
                list.push(scalar("zero", 0));
            }
        }
        let mut pushed = Resources::new();
        for (k, r) in list.iter().enumerate() {
            pushed.push(r.clone());
            if k == 100 {
                // A clone has no index; pushing to it builds its own.
                let mut copy = pushed.clone();
                copy.push(scalar("s3", 1));
                assert_eq!(copy.len(), pushed.len());
            }
        }
        let collected: Resources = list.into_iter().collect();
        assert_eq!(pushed.as_slice(), collected.as_slice());
        assert_eq!(pushed.iter().filter(|r| r.name == "disk").count(), 29, "volumes are never merged");
        assert_eq!(pushed.iter().find(|r| r.name == "s0").and_then(Resource::scalar), Some(Scalar::from_units(4)));
        assert_eq!(format!("{:?}", Resources::new()), "Resources([])");
    }
}
