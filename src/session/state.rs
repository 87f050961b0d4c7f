//! Mesos `TaskState` and what each state means to the session.

/// A Mesos v1 `TaskState` (mesos.proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskState {
    /// `TASK_STAGING`.
    Staging,
    /// `TASK_STARTING`.
    Starting,
    /// `TASK_RUNNING`.
    Running,
    /// `TASK_KILLING`.
    Killing,
    /// `TASK_FINISHED` (terminal).
    Finished,
    /// `TASK_FAILED` (terminal).
    Failed,
    /// `TASK_KILLED` (terminal).
    Killed,
    /// `TASK_ERROR` (terminal).
    Error,
    /// `TASK_LOST`.
    Lost,
    /// `TASK_DROPPED` (terminal).
    Dropped,
    /// `TASK_UNREACHABLE`.
    Unreachable,
    /// `TASK_GONE` (terminal).
    Gone,
    /// `TASK_GONE_BY_OPERATOR`.
    GoneByOperator,
    /// `TASK_UNKNOWN`.
    Unknown,
}

impl TaskState {
    /// Every state.
    pub const ALL: [TaskState; 14] = [
        TaskState::Staging,
        TaskState::Starting,
        TaskState::Running,
        TaskState::Killing,
        TaskState::Finished,
        TaskState::Failed,
        TaskState::Killed,
        TaskState::Error,
        TaskState::Lost,
        TaskState::Dropped,
        TaskState::Unreachable,
        TaskState::Gone,
        TaskState::GoneByOperator,
        TaskState::Unknown,
    ];

    /// The Mesos name: `TASK_RUNNING`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Staging => "TASK_STAGING",
            TaskState::Starting => "TASK_STARTING",
            TaskState::Running => "TASK_RUNNING",
            TaskState::Killing => "TASK_KILLING",
            TaskState::Finished => "TASK_FINISHED",
            TaskState::Failed => "TASK_FAILED",
            TaskState::Killed => "TASK_KILLED",
            TaskState::Error => "TASK_ERROR",
            TaskState::Lost => "TASK_LOST",
            TaskState::Dropped => "TASK_DROPPED",
            TaskState::Unreachable => "TASK_UNREACHABLE",
            TaskState::Gone => "TASK_GONE",
            TaskState::GoneByOperator => "TASK_GONE_BY_OPERATOR",
            TaskState::Unknown => "TASK_UNKNOWN",
        }
    }

    /// The state of a Mesos name.
    ///
    /// ```
    /// use offerfit::session::TaskState;
    /// assert_eq!(TaskState::parse("TASK_LOST"), Some(TaskState::Lost));
    /// assert_eq!(TaskState::parse("RUNNING"), None);
    /// ```
    pub fn parse(name: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The master may be running the task (or about to): its placement keeps counting.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            TaskState::Staging | TaskState::Starting | TaskState::Running | TaskState::Killing | TaskState::Unreachable
        )
    }

    /// The master says it does not have the task (rule 8): a task still launching goes back
    /// to pending on these (Mesos `TASK_LOST` for frameworks that are not partition-aware,
    /// `TASK_GONE` / `TASK_UNKNOWN` for those that are, `TASK_DROPPED` for a refused launch;
    /// master.cpp, `Master::reconcile` and `Master::_accept`).
    pub(crate) fn not_there(self) -> bool {
        matches!(self, TaskState::Lost | TaskState::Gone | TaskState::Unknown | TaskState::Dropped)
    }

    /// How a stored task in this state is restored.
    pub(crate) fn restored(self) -> Restored {
        if self.is_live() {
            Restored::Live
        } else if self.not_there() || self == TaskState::Error {
            // Only reported with `terminal: false` when the task went back to pending.
            Restored::Pending
        } else {
            Restored::Forgotten
        }
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a stored Mesos state means when a session is rebuilt from the store.
pub(crate) enum Restored {
    /// The master may run it: launched, counted, reconciled.
    Live,
    /// Reported with `terminal: false` because it went back to pending.
    Pending,
    /// Reported with `terminal: true`: the session had forgotten it.
    Forgotten,
}
