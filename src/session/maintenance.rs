//! Maintenance (rule 9 of docs/contract.md part 3): inverse offers answered in the step they
//! arrive, and held offers of agents in or near a maintenance window found for declining.

use std::collections::{BTreeMap, BTreeSet};

use super::output::Actions;
use super::{calls, InverseOffer, Session};
use crate::model::Unavailability;

impl Session {
    /// Rule 9: an inverse offer is accepted when no live task of the session runs on its
    /// agent, else declined, in the step it arrives.
    pub(super) fn inverse_offers(&mut self, list: &[InverseOffer], out: &mut Actions) {
        let busy: BTreeSet<&str> =
            self.tasks.values().filter(|e| e.launched()).filter_map(|e| e.agent_id.as_deref()).collect();
        let (mut yes, mut no) = (Vec::new(), Vec::new());
        let mut seen = BTreeSet::new();
        for io in list {
            if !seen.insert(io.id.as_str()) {
                continue;
            }
            if io.agent_id.as_deref().is_some_and(|a| busy.contains(a)) {
                no.push(io.id.as_str());
            } else {
                yes.push(io.id.as_str());
            }
        }
        if !yes.is_empty() {
            out.calls.push(calls::answer_inverse(self.fid(), true, yes));
        }
        if !no.is_empty() {
            out.calls.push(calls::answer_inverse(self.fid(), false, no));
        }
    }

    /// The held offers whose agent is in or near a maintenance window, as the engine judges
    /// it when it places (engine/classes.rs, `Ctx::statics`: an agent's unavailability is
    /// that of its first offer that has one; it counts when it starts before `now +
    /// drain_seconds` and has not ended by `now`). For steps that do not place: such offers
    /// are declined, never held for nothing (rule 9).
    pub(super) fn draining(&self, now: f64) -> BTreeSet<String> {
        if self.req.unavailable() == 0 {
            return BTreeSet::new();
        }
        let now_ns = (now * 1e9).round() as i128;
        let until = now_ns + (self.options.drain_seconds * 1e9).round() as i128;
        let mut first: BTreeMap<&str, Option<Unavailability>> = BTreeMap::new();
        for o in self.req.offers() {
            let u = first.entry(o.agent_id.as_str()).or_insert(None);
            *u = u.or(o.unavailability);
        }
        self.req
            .offers()
            .filter(|o| {
                first.get(o.agent_id.as_str()).copied().flatten().is_some_and(|u| {
                    let start = i128::from(u.start_ns);
                    start <= until && u.duration_ns.map_or(true, |d| start + i128::from(d) > now_ns)
                })
            })
            .map(|o| o.id.clone())
            .collect()
    }
}
