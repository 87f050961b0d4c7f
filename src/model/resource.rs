//! Mesos resources: a name, a value, the reservation stack, disk info, and the flags Mesos
//! keeps per resource.
//!
//! Everything is held in the post-refinement form (`reservations`: a stack whose first entry
//! may be STATIC and whose later entries refine it); the legacy `role` / `reservation` fields
//! are upgraded when read. A resource with an empty stack is unreserved (role `*`).

use smallvec::SmallVec;

use crate::model::{Ranges, Scalar, Set, ValueType};

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
    /// `cpus`, `mem`, `disk`, `gpus`, `ports`, or any custom name.
    pub name: String,
    /// The amount.
    pub value: ResourceValue,
    /// The reservation stack (empty = unreserved).
    pub reservations: SmallVec<[Reservation; 1]>,
    /// Disk info (only on `disk` resources).
    pub disk: Option<DiskInfo>,
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
    pub fn new(name: impl Into<String>, value: ResourceValue) -> Resource {
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

/// A list of resources with Mesos arithmetic (see the methods).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources(pub Vec<Resource>);

impl Resources {
    /// No resources.
    pub fn new() -> Resources {
        Resources(Vec::new())
    }

    /// The resources in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.0.iter()
    }

    /// Number of (merged) resource entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Resources {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
