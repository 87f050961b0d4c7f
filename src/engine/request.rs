//! What one `place` call looks at ([`PlaceRequest`]), the error it answers bad input with
//! ([`PlaceError`], with the JSON pointer of the culprit), and the count and sum checks the
//! facade runs on a typed request before the batch.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::Error;
use crate::limits::{LimitKind, Limits};
use crate::model::scalar::SCALAR_MAX_MILLIS;
use crate::model::{Offer, RunningTask, TaskRequest};

/// Everything one `place` call looks at.
#[derive(Debug, Clone, Default)]
pub struct PlaceRequest {
    /// The offers to answer (each exactly once).
    pub offers: Vec<Offer>,
    /// The tasks to place.
    pub tasks: Vec<TaskRequest>,
    /// Placements that already exist, counted by constraints.
    pub running: Vec<RunningTask>,
}

/// An input error of `place`, with the JSON pointer of the culprit in the request
/// (`/tasks/3/constraints/1`, `/options/strategy`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceError {
    /// Where in the request.
    pub path: String,
    /// What is wrong.
    pub error: Error,
}

impl PlaceError {
    /// An error about `path`.
    pub fn new(path: impl Into<String>, error: Error) -> PlaceError {
        PlaceError { path: path.into(), error }
    }

    pub(crate) fn invalid(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> PlaceError {
        PlaceError::new(path, Error::invalid(code, message))
    }
}

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            self.error.fmt(f)
        } else {
            write!(f, "{} (at `{}`)", self.error, self.path)
        }
    }
}

impl std::error::Error for PlaceError {}

impl From<PlaceError> for Error {
    fn from(e: PlaceError) -> Error {
        e.error
    }
}

/// The per-task and per-resource count limits, as the JSON path checks them on the request
/// (`Limits::check_json`), for typed callers: constraints, preferences and each volume's
/// `require` list against `constraints_per_task`; the ranges of each offer's resources and
/// attributes against `ranges_per_resource`.
pub(super) fn check_counts(limits: &Limits, request: &PlaceRequest) -> Result<(), PlaceError> {
    // The path is formatted only for an error: this runs once per offer resource and task.
    let at = |path: &dyn Fn() -> String, kind: LimitKind, n: usize| {
        limits.check(kind, n).map_err(|e| PlaceError::new(path(), e))
    };
    for (i, t) in request.tasks.iter().enumerate() {
        at(&|| format!("/tasks/{i}/constraints"), LimitKind::ConstraintsPerTask, t.constraints.len())?;
        at(&|| format!("/tasks/{i}/preferences"), LimitKind::ConstraintsPerTask, t.preferences.len())?;
        for (j, v) in t.volumes.iter().enumerate() {
            at(&|| format!("/tasks/{i}/volumes/{j}/require"), LimitKind::ConstraintsPerTask, v.require.len())?;
        }
    }
    // The sum of every scalar of every offer: at most the scalar bound, then so is every sum the
    // engine forms (an agent's offers are pooled); only above it is the exact check needed.
    let mut total: u64 = 0;
    let max_ranges = limits.get(LimitKind::RangesPerResource);
    for (i, o) in request.offers.iter().enumerate() {
        for (j, r) in o.resources.iter().enumerate() {
            match &r.value {
                crate::model::ResourceValue::Scalar(s) => total = total.saturating_add(s.millis().unsigned_abs()),
                crate::model::ResourceValue::Ranges(x) if x.as_slice().len() > max_ranges => {
                    let n = x.as_slice().len();
                    at(&|| format!("/offers/{i}/resources/{j}/ranges/range"), LimitKind::RangesPerResource, n)?;
                }
                _ => {}
            }
        }
        for (j, a) in o.attributes.iter().enumerate() {
            if let crate::model::Value::Ranges(x) = &a.value {
                at(
                    &|| format!("/offers/{i}/attributes/{j}/ranges/range"),
                    LimitKind::RangesPerResource,
                    x.as_slice().len(),
                )?;
            }
        }
    }
    if total > SCALAR_MAX_MILLIS.unsigned_abs() {
        check_agent_sums(request)?;
    }
    Ok(())
}

/// Running tasks need an id (they are Mesos tasks: `validateID`'s first rule).
pub(super) fn check_running(request: &PlaceRequest) -> Result<(), PlaceError> {
    match request.running.iter().position(|r| r.id.is_empty()) {
        Some(i) => Err(PlaceError::invalid(
            format!("/running/{i}/id"),
            "place.invalid_id",
            "expected the running task's Mesos task id, found an empty id",
        )),
        None => Ok(()),
    }
}

/// Every agent's pooled scalars within ±2^53/1000, the bound every parsed scalar meets (above
/// it a JSON number no longer holds the thousandths exactly): an agent's offers, and like
/// resources within one offer, are summed. Refused at the offer that crosses it.
pub(super) fn check_agent_sums(request: &PlaceRequest) -> Result<(), PlaceError> {
    let mut sums: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (i, o) in request.offers.iter().enumerate() {
        for r in o.resources.iter() {
            let Some(s) = r.scalar() else { continue };
            let sum = sums.entry((o.agent_id.as_str(), r.name.as_str())).or_insert(0);
            *sum = sum.saturating_add(s.millis().unsigned_abs());
            if *sum > SCALAR_MAX_MILLIS.unsigned_abs() {
                return Err(PlaceError::new(
                    format!("/offers/{i}/resources"),
                    Error::invalid(
                        "scalar.out_of_range",
                        format!(
                            "the agent `{}` offers more `{}` in all than a scalar holds exactly (at most 2^53/1000)",
                            o.agent_id, r.name
                        ),
                    )
                    .with_help("a scalar amount holds at most 9007199254740.992, summed over an agent's offers"),
                ));
            }
        }
    }
    Ok(())
}
