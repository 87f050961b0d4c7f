//! Task requests (what a framework wants to launch) and running tasks (placements that already
//! exist, so that constraints can count them).
//!
//! These are plain values: amounts are exact fixed point ([`Scalar`]), constraints are kept in
//! the form they were written in ([`ConstraintSpec`]) and compiled once by the engine.

use crate::model::{Attributes, Dialect, DiskSourceType, Scalar};

/// A placement constraint as written by the user, in any of the contract's three forms
/// (owned; [`ConstraintSpec::as_input`] lends it to the constraint parser).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintSpec {
    /// A text such as `"rack LIKE r[12]"` or `"hostname UNIQUE"` (or, in the openwhisk dialect,
    /// `"att1 LIKE v1"` split by the delimiter).
    Text(String),
    /// Marathon's array form `["rack", "GROUP_BY", "3"]`.
    Fields(Vec<String>),
    /// The object form `{"field", "operator", "value"?}`.
    Object {
        /// The field (`hostname`, `@region`, an attribute name, ...).
        field: String,
        /// The operator name.
        operator: String,
        /// The value, if any.
        value: Option<String>,
    },
}

impl ConstraintSpec {
    /// A text constraint.
    ///
    /// ```
    /// let c = offerfit::ConstraintSpec::text("hostname UNIQUE");
    /// assert_eq!(c, offerfit::ConstraintSpec::Text("hostname UNIQUE".into()));
    /// ```
    pub fn text(s: impl Into<String>) -> ConstraintSpec {
        ConstraintSpec::Text(s.into())
    }
}

/// A soft constraint: satisfied candidates get `weight` added to their score (a weight of 1
/// is worth as much as the whole binpack or spread score).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceSpec {
    /// The constraint.
    pub constraint: ConstraintSpec,
    /// Its weight, in −100..=100 (negative weights push tasks away).
    pub weight: i64,
}

/// GPU scheduling: keep GPU agents for GPU tasks (`Restricted`) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GpuScheduling {
    /// Tasks that need no GPU are kept off agents that offer GPUs (Marathon's default).
    #[default]
    Restricted,
    /// GPU agents take any task.
    Unrestricted,
}

/// One disk volume a task needs.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRequest {
    /// Size in MB.
    pub size: Scalar,
    /// ROOT (default), PATH or MOUNT. BLOCK and RAW are refused by the engine.
    pub kind: DiskSourceType,
    /// The storage profile the disk must have; `None` = only disks without a profile.
    pub profile: Option<String>,
    /// MOUNT only: the largest disk that may be taken whole.
    pub max_size: Option<Scalar>,
    /// Constraints on the disk's capabilities (`type`, `path`, `profile`, `vendor`, and its
    /// metadata labels such as `storage_type`).
    pub require: Vec<ConstraintSpec>,
    /// Persistent volume id: reused when an offer carries it, otherwise created with
    /// RESERVE + CREATE for the task's role. A task with a persistent volume needs a role
    /// other than `*` (its `role`, else the framework's first role): Mesos reserves volumes
    /// for a role, never for `*`, and Marathon refuses a resident app without one, so
    /// [`crate::Engine::place`] refuses it too (`place.volume_role`, at the volume's path).
    pub persistence_id: Option<String>,
    /// Where the container sees a persistent volume (default: the persistence id).
    pub container_path: Option<String>,
}

impl VolumeRequest {
    /// A ROOT volume of `size` MB with nothing else asked.
    pub fn new(size: Scalar) -> VolumeRequest {
        VolumeRequest {
            size,
            kind: DiskSourceType::Root,
            profile: None,
            max_size: None,
            require: Vec::new(),
            persistence_id: None,
            container_path: None,
        }
    }
}

/// The resources of a task group's executor, charged once per agent for every task sharing
/// its id (Fenzo #110: leaving it out makes tasks fail at launch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorRequest {
    /// The executor id.
    pub id: String,
    /// Its cpus.
    pub cpus: Scalar,
    /// Its mem (MB).
    pub mem: Scalar,
    /// Its disk (MB, ROOT).
    pub disk: Scalar,
}

/// One task to place.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    /// Unique task id.
    pub id: String,
    /// The set of tasks UNIQUE / GROUP_BY / MAX_PER count (default: the task id).
    pub group: Option<String>,
    /// The target number of tasks in the group (GROUP_BY balances toward it).
    pub instances: Option<u32>,
    /// The role the task's resources are allocated to (default: the framework's first role).
    pub role: Option<String>,
    /// Resource roles the task may consume (default: unreserved plus its role and the role's
    /// ancestors; under the marathon profile `*` and the role).
    pub accepted_roles: Option<Vec<String>>,
    /// CPUs.
    pub cpus: Scalar,
    /// Memory (MB).
    pub mem: Scalar,
    /// Scratch disk on the ROOT disk (MB).
    pub disk: Scalar,
    /// GPUs.
    pub gpus: Scalar,
    /// Any other named scalar resources.
    pub scalars: Vec<(String, Scalar)>,
    /// Host ports: a number asks for that port, 0 for any free port.
    pub ports: Vec<u64>,
    /// Disk volumes.
    pub volumes: Vec<VolumeRequest>,
    /// Hard constraints.
    pub constraints: Vec<ConstraintSpec>,
    /// Soft preferences.
    pub preferences: Vec<PreferenceSpec>,
    /// The constraint dialect.
    pub dialect: Dialect,
    /// Tasks sharing a gang id are placed all or none.
    pub gang: Option<String>,
    /// Elastic maxima: take the largest fit up to these.
    pub elastic_cpus: Option<Scalar>,
    /// Elastic maximum for mem.
    pub elastic_mem: Option<Scalar>,
    /// The task's executor, if it has one.
    pub executor: Option<ExecutorRequest>,
    /// Overrides the engine's GPU scheduling for this task (Marathon's
    /// `GPU_SCHEDULING_BEHAVIOR` label).
    pub gpu_scheduling: Option<GpuScheduling>,
    /// Passed through into the Mesos `LAUNCH` TaskInfo (name, command, container, ...).
    /// Boxed: most tasks have none, and a JSON value held inline would make every task larger.
    pub task_info: Option<Box<serde_json::Value>>,
    /// Whether the task may run on revocable resources (Mesos oversubscription). Default
    /// false, as Aurora's tiers: only `revocable` tasks see them. A task never mixes
    /// revocable and non-revocable resources of one name (a master refuses it).
    pub revocable: bool,
    /// The openwhisk dialect's constraint delimiter for this task (a Java regex; default the
    /// engine option's, else `" "`).
    pub delimiter: Option<String>,
}

impl TaskRequest {
    /// A task with this id and nothing requested yet.
    ///
    /// ```
    /// use offerfit::{Scalar, TaskRequest};
    /// let mut t = TaskRequest::new("web-1");
    /// t.cpus = Scalar::from_millis(500);
    /// assert_eq!(t.group_name(), "web-1");
    /// ```
    pub fn new(id: impl Into<String>) -> TaskRequest {
        TaskRequest {
            id: id.into(),
            group: None,
            instances: None,
            role: None,
            accepted_roles: None,
            cpus: Scalar::ZERO,
            mem: Scalar::ZERO,
            disk: Scalar::ZERO,
            gpus: Scalar::ZERO,
            scalars: Vec::new(),
            ports: Vec::new(),
            volumes: Vec::new(),
            constraints: Vec::new(),
            preferences: Vec::new(),
            dialect: Dialect::Marathon,
            gang: None,
            elastic_cpus: None,
            elastic_mem: None,
            executor: None,
            gpu_scheduling: None,
            task_info: None,
            revocable: false,
            delimiter: None,
        }
    }

    /// The group UNIQUE / GROUP_BY / MAX_PER count: `group`, or the task id.
    pub fn group_name(&self) -> &str {
        self.group.as_deref().unwrap_or(&self.id)
    }
}

/// A placement that already exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunningTask {
    /// Its task id.
    pub id: String,
    /// Its group.
    pub group: String,
    /// The agent's hostname.
    pub hostname: String,
    /// The agent's id, if known.
    pub agent_id: Option<String>,
    /// The agent's attributes.
    pub attributes: Attributes,
    /// The agent's fault-domain region.
    pub region: Option<String>,
    /// The agent's fault-domain zone.
    pub zone: Option<String>,
}
