//! A Mesos offer, parsed once at the edge: ids, the agent's hostname, resources, attributes,
//! fault domain and maintenance window. Everything the placement loop reads, nothing it does
//! not (`url`, executor details and other Mesos fields are dropped when the JSON is read).

use crate::model::{Attributes, Resources};

/// A maintenance window announced for the offer's agent (Mesos `Unavailability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unavailability {
    /// When the agent becomes unavailable, in nanoseconds since the Unix epoch.
    pub start_ns: i64,
    /// For how long, in nanoseconds; `None` means indefinitely.
    pub duration_ns: Option<i64>,
}

impl Unavailability {
    /// True if the window overlaps `[from_ns, until_ns)`: it starts before `until_ns` and has
    /// not ended at `from_ns`.
    pub fn overlaps(&self, from_ns: i64, until_ns: i64) -> bool {
        let end = self.duration_ns.map_or(i64::MAX, |d| self.start_ns.saturating_add(d));
        self.start_ns < until_ns && end > from_ns
    }
}

/// One Mesos offer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Offer {
    /// `id.value`.
    pub id: String,
    /// `agent_id.value`: offers with the same agent id come from one agent.
    pub agent_id: String,
    /// `framework_id.value`, if given.
    pub framework_id: Option<String>,
    /// The agent's hostname (the `hostname` constraint field).
    pub hostname: String,
    /// The offered resources, merged.
    pub resources: Resources,
    /// The agent's attributes, in order.
    pub attributes: Attributes,
    /// `domain.fault_domain.region.name` (the `@region` constraint field).
    pub region: Option<String>,
    /// `domain.fault_domain.zone.name` (the `@zone` constraint field).
    pub zone: Option<String>,
    /// The agent's maintenance window, if one is scheduled.
    pub unavailability: Option<Unavailability>,
    /// `allocation_info.role`: the role the offer is allocated to (multi-role frameworks).
    pub allocation_role: Option<String>,
    /// `executor_ids[].value`: executors of this framework already running on the agent.
    pub executor_ids: Vec<String>,
}

impl Offer {
    /// An offer with ids and hostname and nothing else.
    ///
    /// ```
    /// let o = offerfit::Offer::new("O1", "S1", "agent-1");
    /// assert!(o.resources.is_empty() && o.region.is_none());
    /// ```
    pub fn new(id: impl Into<String>, agent_id: impl Into<String>, hostname: impl Into<String>) -> Offer {
        Offer { id: id.into(), agent_id: agent_id.into(), hostname: hostname.into(), ..Offer::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailability_windows() {
        let w = Unavailability { start_ns: 100, duration_ns: Some(50) };
        assert!(w.overlaps(0, 101) && w.overlaps(149, 200));
        assert!(!w.overlaps(0, 100) && !w.overlaps(150, 300));
        let forever = Unavailability { start_ns: 100, duration_ns: None };
        assert!(forever.overlaps(i64::MAX - 1, i64::MAX));
    }
}
