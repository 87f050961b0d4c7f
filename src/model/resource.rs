//! Mesos resources: a name, a value, the reservation stack, disk info, and the flags Mesos
//! keeps per resource.
//!
//! Everything is held in the post-refinement form (`reservations`: a stack whose first entry
//! may be STATIC and whose later entries refine it); the legacy `role` / `reservation` fields
//! are upgraded when read. A resource with an empty stack is unreserved (role `*`).

use std::fmt;

use smallvec::SmallVec;

use crate::error::{Error, Result};
use crate::model::{Ranges, ResourceName, Scalar, Set, ValueType};

// Kept at this path (`offerfit::model::resource::validate_role`) as before the move.
pub use super::role::{is_strict_subrole_of, validate_role};

/// STATIC (agent flag) or DYNAMIC (made by a framework or operator) reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReservationType {
    /// From the agent's `--resources` flag.
    Static,
    /// Made through `RESERVE`.
    Dynamic,
}

impl ReservationType {
    /// `STATIC` or `DYNAMIC`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationType::Static => "STATIC",
            ReservationType::Dynamic => "DYNAMIC",
        }
    }
}

/// A Mesos label (`key`, optional `value`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    /// The key.
    pub key: String,
    /// The value, if any.
    pub value: Option<String>,
}

/// One entry of a reservation stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reservation {
    /// STATIC or DYNAMIC.
    pub kind: ReservationType,
    /// The role reserved for (hierarchical roles such as `a/b/c` allowed).
    pub role: String,
    /// Who made a dynamic reservation.
    pub principal: Option<String>,
    /// Labels of a dynamic reservation.
    pub labels: Vec<Label>,
}

impl Reservation {
    /// A STATIC reservation for `role`.
    pub fn static_for(role: impl Into<String>) -> Reservation {
        Reservation { kind: ReservationType::Static, role: role.into(), principal: None, labels: Vec::new() }
    }
}

/// The source of a disk resource. No source means the agent's ROOT disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiskSourceType {
    /// The agent's work directory disk (no `source`).
    Root,
    /// A directory on a separate disk; divisible.
    Path,
    /// A mounted disk; indivisible (taken whole).
    Mount,
    /// A raw block device (not used for volumes).
    Block,
    /// A raw disk (not used for volumes).
    Raw,
}

impl DiskSourceType {
    /// `ROOT`, `PATH`, `MOUNT`, `BLOCK` or `RAW`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiskSourceType::Root => "ROOT",
            DiskSourceType::Path => "PATH",
            DiskSourceType::Mount => "MOUNT",
            DiskSourceType::Block => "BLOCK",
            DiskSourceType::Raw => "RAW",
        }
    }
}

/// `disk.source` of a disk resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiskSource {
    /// PATH, MOUNT, BLOCK or RAW (never ROOT: ROOT has no source).
    pub kind: DiskSourceType,
    /// `path.root` or `mount.root`.
    pub root: Option<String>,
    /// The storage profile (CSI).
    pub profile: Option<String>,
    /// The storage vendor (CSI).
    pub vendor: Option<String>,
    /// The volume id (CSI).
    pub id: Option<String>,
    /// Capability labels, e.g. `storage_type=ssd`, `replication=3`.
    pub metadata: Vec<Label>,
}

/// `disk.persistence` of a persistent volume.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Persistence {
    /// The persistence id.
    pub id: String,
    /// Who created the volume.
    pub principal: Option<String>,
}

/// `RW` or `RO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolumeMode {
    /// Read-write.
    Rw,
    /// Read-only.
    Ro,
}

/// `disk.volume` of a persistent volume.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Volume {
    /// Where the container sees it.
    pub container_path: String,
    /// Where it is on the host.
    pub host_path: Option<String>,
    /// Access mode.
    pub mode: Option<VolumeMode>,
}

/// `disk` of a disk resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DiskInfo {
    /// Set for persistent volumes.
    pub persistence: Option<Persistence>,
    /// The volume mapping.
    pub volume: Option<Volume>,
    /// The disk source; `None` = ROOT.
    pub source: Option<DiskSource>,
}

impl DiskInfo {
    /// The source type, ROOT when there is no source.
    pub fn source_type(&self) -> DiskSourceType {
        self.source.as_ref().map_or(DiskSourceType::Root, |s| s.kind)
    }
}

/// The value of a resource (resources never hold TEXT).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceValue {
    /// Fixed-point amount.
    Scalar(Scalar),
    /// Coalesced ranges.
    Ranges(Ranges),
    /// Set items.
    Set(Set),
}

impl ResourceValue {
    /// SCALAR, RANGES or SET.
    pub fn value_type(&self) -> ValueType {
        match self {
            ResourceValue::Scalar(_) => ValueType::Scalar,
            ResourceValue::Ranges(_) => ValueType::Ranges,
            ResourceValue::Set(_) => ValueType::Set,
        }
    }

    /// True for zero, empty ranges or an empty set (such resources vanish when added).
    pub fn is_empty(&self) -> bool {
        match self {
            ResourceValue::Scalar(s) => s.is_zero(),
            ResourceValue::Ranges(r) => r.is_empty(),
            ResourceValue::Set(s) => s.is_empty(),
        }
    }
}

/// One Mesos resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    /// `cpus`, `mem`, `disk`, `gpus`, `ports`, or any custom name (reads as a `str`; a copy
    /// never allocates).
    pub name: ResourceName,
    /// The amount.
    pub value: ResourceValue,
    /// The reservation stack (empty = unreserved).
    pub reservations: SmallVec<[Reservation; 1]>,
    /// Disk info (only on `disk` resources). Boxed: rare, and large enough to double the size
    /// of every resource if held inline.
    pub disk: Option<Box<DiskInfo>>,
    /// `shared {}`: may be used by several tasks at once.
    pub shared: bool,
    /// `revocable {}`: may be taken back.
    pub revocable: bool,
    /// `allocation_info.role`: the role this resource was offered to.
    pub allocation_role: Option<String>,
    /// `provider_id.value` of a resource provider.
    pub provider_id: Option<String>,
}

impl Resource {
    /// An unreserved resource with nothing else set.
    pub fn new(name: impl Into<ResourceName>, value: ResourceValue) -> Resource {
        Resource {
            name: name.into(),
            value,
            reservations: SmallVec::new(),
            disk: None,
            shared: false,
            revocable: false,
            allocation_role: None,
            provider_id: None,
        }
    }

    /// The role the resource is reserved for: the last entry of the stack, or `*`.
    pub fn role(&self) -> &str {
        self.reservations.last().map_or("*", |r| r.role.as_str())
    }

    /// True for an empty reservation stack.
    pub fn is_unreserved(&self) -> bool {
        self.reservations.is_empty()
    }

    /// The scalar amount, if a scalar.
    pub fn scalar(&self) -> Option<Scalar> {
        match &self.value {
            ResourceValue::Scalar(s) => Some(*s),
            _ => None,
        }
    }

    /// The ranges, if ranges.
    pub fn ranges(&self) -> Option<&Ranges> {
        match &self.value {
            ResourceValue::Ranges(r) => Some(r),
            _ => None,
        }
    }
}

impl Resource {
    /// The set, if a set.
    pub fn set(&self) -> Option<&Set> {
        match &self.value {
            ResourceValue::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The value type: SCALAR, RANGES or SET.
    pub fn value_type(&self) -> ValueType {
        self.value.value_type()
    }

    /// The disk source type: ROOT unless the resource has a disk source.
    pub fn disk_source_type(&self) -> DiskSourceType {
        self.disk.as_deref().map_or(DiskSourceType::Root, DiskInfo::source_type)
    }

    /// True for a persistent volume (`disk.persistence` set).
    pub fn is_persistent_volume(&self) -> bool {
        self.disk.as_ref().is_some_and(|d| d.persistence.is_some())
    }

    /// True for a resource that is only ever taken whole and never merged with another one:
    /// shared resources, persistent volumes, MOUNT and BLOCK disks, and RAW disks with an id
    /// (Mesos' `addable` refuses to merge all of them; `subtractable` wants them identical).
    pub fn is_exclusive(&self) -> bool {
        if self.shared || self.is_persistent_volume() {
            return true;
        }
        match self.disk.as_ref().and_then(|d| d.source.as_ref()) {
            Some(s) => match s.kind {
                DiskSourceType::Mount | DiskSourceType::Block => true,
                DiskSourceType::Raw => s.id.is_some(),
                DiskSourceType::Root | DiskSourceType::Path => false,
            },
            None => false,
        }
    }

    /// True when `other` is "like" this resource: same name, type, reservation stack, disk
    /// info, flags, allocation role and provider — everything but the amount (the common part
    /// of Mesos' `addable` and `subtractable`).
    pub fn is_like(&self, other: &Resource) -> bool {
        self.name == other.name
            && self.value.value_type() == other.value.value_type()
            && self.reservations == other.reservations
            && self.disk == other.disk
            && self.shared == other.shared
            && self.revocable == other.revocable
            && self.allocation_role == other.allocation_role
            && self.provider_id == other.provider_id
    }

    /// True if this resource holds all of `other` (Mesos' per-resource `contains`): alike, and
    /// at least the amount; an exclusive resource only holds an identical one.
    pub fn contains(&self, other: &Resource) -> bool {
        if !self.is_like(other) {
            return false;
        }
        if self.is_exclusive() {
            return self == other;
        }
        match (&self.value, &other.value) {
            (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => b <= a,
            (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => a.contains(b),
            (ResourceValue::Set(a), ResourceValue::Set(b)) => a.contains(b),
            _ => false,
        }
    }

    /// Checks the rules Mesos' `Resources::validate` applies to one resource: a name; a
    /// non-negative scalar that is not lost to the three-decimal rounding; no set item twice;
    /// valid roles in a well-formed reservation stack (only the first entry may be STATIC,
    /// each later one refines the role below it); disk info only on `disk`; only persistent
    /// volumes shared.
    ///
    /// # Errors
    /// `resources.name`, `resources.scalar`, `resources.duplicate_item`, `resources.role`,
    /// `resources.reservation`, `resources.disk`, `resources.shared`.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::invalid("resources.name", "expected a resource name, found nothing"));
        }
        match &self.value {
            ResourceValue::Scalar(s) if s.is_negative() => {
                return Err(Error::invalid(
                    "resources.scalar",
                    format!("expected a non-negative amount of `{}`, found `{s}`", self.name),
                ));
            }
            ResourceValue::Set(s) => {
                if let Some(d) = s.first_duplicate() {
                    return Err(Error::invalid(
                        "resources.duplicate_item",
                        format!("set item `{d}` of resource `{}` appears more than once", self.name),
                    ));
                }
            }
            _ => {}
        }
        validate_reservations(&self.reservations)?;
        if let Some(role) = &self.allocation_role {
            validate_role(role)?;
        }
        if self.disk.is_some() && self.name != "disk" {
            return Err(Error::invalid(
                "resources.disk",
                format!("disk info is only allowed on `disk` resources, found it on `{}`", self.name),
            ));
        }
        if self.shared && !self.is_persistent_volume() {
            return Err(Error::invalid(
                "resources.shared",
                format!("only persistent volumes can be shared, found a shared `{}`", self.name),
            )
            .with_help("give the disk a `disk.persistence` or drop `shared`"));
        }
        Ok(())
    }

    /// Adds a like resource's amount into this one (scalars sum, ranges and sets union).
    pub(super) fn absorb(&mut self, other: &Resource) {
        match (&mut self.value, &other.value) {
            (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => *a += *b,
            (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => *a = a.add(b),
            (ResourceValue::Set(a), ResourceValue::Set(b)) => *a = a.add(b),
            _ => {}
        }
    }

    /// Removes a like resource's amount from this one (scalars saturate at zero).
    pub(super) fn deplete(&mut self, other: &Resource) {
        match (&mut self.value, &other.value) {
            (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => *a = a.checked_sub_nonneg(*b).unwrap_or_default(),
            (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => *a = a.subtract(b),
            (ResourceValue::Set(a), ResourceValue::Set(b)) => *a = a.subtract(b),
            _ => {}
        }
    }
}

/// Mesos' printed form of one resource: `cpus:45.55`, a resource with one STATIC
/// reservation as `cpus(role1):2` (the agent's `--resources` form, which reads it back); any
/// other reservation stack (dynamic, or refined) as Mesos prints it since reservation
/// refinement (src/common/resources.cpp, `operator<<` of `Resource` and of
/// `ReservationInfo`): `cpus(reservations: [(STATIC,eng),(DYNAMIC,eng/web,principal,{k: v})]):2`,
/// a principal and labels only when present. The older `cpus(role1, principal):2` was not
/// exact: without a principal it read `cpus(role1, ):2`, which parses back as a STATIC
/// reservation of a role `role1,`; the form printed now is refused by the text parser (an
/// agent's flag cannot carry dynamic reservations) rather than misread. Then `[disk info]`
/// (`[MOUNT:/mnt/d1,id:/data]`), `{REV}` and `<SHARED>` as Mesos prints them; an allocation
/// role comes first as `(allocated: role)`.
impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(role) = &self.allocation_role {
            write!(f, "(allocated: {role})")?;
        }
        match self.reservations.as_slice() {
            [] => {}
            [only] if only.kind == ReservationType::Static => write!(f, "({})", only.role)?,
            all => {
                f.write_str("(reservations: [")?;
                for (i, r) in all.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    let kind = match r.kind {
                        ReservationType::Static => "STATIC",
                        ReservationType::Dynamic => "DYNAMIC",
                    };
                    write!(f, "({kind},{}", r.role)?;
                    if let Some(p) = &r.principal {
                        write!(f, ",{p}")?;
                    }
                    if !r.labels.is_empty() {
                        f.write_str(",{")?;
                        write_labels(f, &r.labels)?;
                        f.write_str("}")?;
                    }
                    f.write_str(")")?;
                }
                f.write_str("])")?;
            }
        }
        if let Some(disk) = &self.disk {
            if disk.source.is_some() || disk.persistence.is_some() || disk.volume.is_some() {
                f.write_str("[")?;
                if let Some(s) = &disk.source {
                    f.write_str(s.kind.as_str())?;
                    if let (DiskSourceType::Path | DiskSourceType::Mount, Some(root)) = (s.kind, &s.root) {
                        write!(f, ":{root}")?;
                    }
                }
                if let Some(p) = &disk.persistence {
                    if disk.source.is_some() {
                        f.write_str(",")?;
                    }
                    f.write_str(&p.id)?;
                }
                if let Some(v) = &disk.volume {
                    write!(f, ":{}", v.container_path)?;
                }
                f.write_str("]")?;
            }
        }
        if self.revocable {
            f.write_str("{REV}")?;
        }
        if self.shared {
            f.write_str("<SHARED>")?;
        }
        f.write_str(":")?;
        match &self.value {
            ResourceValue::Scalar(s) => s.fmt(f),
            ResourceValue::Ranges(r) => r.fmt(f),
            ResourceValue::Set(s) => s.fmt(f),
        }
    }
}

fn write_labels(f: &mut fmt::Formatter<'_>, labels: &[Label]) -> fmt::Result {
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&l.key)?;
        if let Some(v) = &l.value {
            write!(f, ": {v}")?;
        }
    }
    Ok(())
}

fn validate_reservations(stack: &[Reservation]) -> Result<()> {
    let mut previous: Option<&str> = None;
    for (i, r) in stack.iter().enumerate() {
        if r.role == "*" {
            return Err(Error::invalid("resources.reservation", "expected a role to reserve for, found `*`")
                .with_help("an unreserved resource has no reservations"));
        }
        validate_role(&r.role)?;
        if i > 0 && r.kind == ReservationType::Static {
            return Err(Error::invalid(
                "resources.reservation",
                format!("only the first reservation may be STATIC, found a STATIC reservation for `{}` on top", r.role),
            ));
        }
        if let Some(p) = previous {
            if !is_strict_subrole_of(&r.role, p) {
                return Err(Error::invalid(
                    "resources.reservation",
                    format!("a refined reservation must be for a role below `{p}`, found `{}`", r.role),
                ));
            }
        }
        previous = Some(&r.role);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resources and tasks are built, moved and dropped by the thousand for each request:
    /// the rare parts (disk info, a task's TaskInfo) stay boxed so that they stay small.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_bulk_types_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<Resource>() <= 256, "{}", size_of::<Resource>());
        // 400 with the openwhisk `delimiter` and the `revocable` flag (issue 18).
        assert!(size_of::<crate::model::TaskRequest>() <= 400, "{}", size_of::<crate::model::TaskRequest>());
    }
}
