//! What a batch's first pass made of the agents, kept for its repair passes
//! ([`super::repair`]): the agents as pooled and their static classes.

use super::state::{Agent, Ctx};

/// The agents as a pass pooled them ([`super::classes::pool_agents`]) and the static classes
/// it put them in ([`super::classes::group_agents`]), kept for the batch's repair passes: the
/// offers do not change between passes (only what is allocated of them), so a repair pass
/// takes them from here instead of pooling the offers and matching every agent's offers
/// against the classes again.
pub(super) struct Layout<'r> {
    /// The agents in the ledger's order, as pooled.
    pub(super) agents: Vec<Agent<'r>>,
    /// Per offer, its agent.
    pub(super) offer_agent: Vec<u32>,
    /// Per agent, its static class, numbered by first appearance (as
    /// [`super::classes::group_agents`] numbers them).
    pub(super) statics: Vec<u32>,
}

impl<'r> Layout<'r> {
    /// What `ctx`'s pass made of the agents (placements change only their state classes).
    pub(super) fn of(ctx: &Ctx<'r, '_>) -> Layout<'r> {
        let mut first: Vec<u32> = vec![u32::MAX; ctx.statics.len()];
        let mut next = 0u32;
        let statics = ctx
            .agents
            .iter()
            .map(|a| match first.get_mut(a.static_class as usize) {
                Some(x) if *x == u32::MAX => {
                    *x = next;
                    next += 1;
                    *x
                }
                Some(x) => *x,
                None => u32::MAX,
            })
            .collect();
        Layout { agents: ctx.agents.iter().map(pooled).collect(), offer_agent: ctx.offer_agent.clone(), statics }
    }
}

/// Agent `a` as [`super::classes::pool_agents`] leaves it (in no class yet).
pub(super) fn pooled<'r>(a: &Agent<'r>) -> Agent<'r> {
    Agent { id: a.id, hostname: a.hostname, offers: a.offers.clone(), static_class: 0, class: 0 }
}
