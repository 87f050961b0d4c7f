//! The session's store of held offers: the offers themselves live in the `Held` request
//! (`offerfit::Held`, kept between steps), their arrival times beside them in `held_since`,
//! by the offers' arrival numbers (`Held::arrival`; a store's slots move when it compacts,
//! arrival numbers do not).

use super::Session;
use crate::model::Offer;

impl Session {
    /// Offers are gone (a disconnect, a new subscription): no call names them again.
    pub(super) fn drop_offers(&mut self) {
        self.req.clear_offers();
        self.held_since.clear();
        self.decline_now.clear();
    }

    pub(super) fn hold(&mut self, offer: Offer, now: f64) {
        let n = self.req.push(offer);
        self.held_since.insert(n, now);
    }

    /// Keeps the held offers for which `keep(offer, held since)` holds, in order; returns the
    /// ids of the others.
    pub(super) fn retain_offers(&mut self, mut keep: impl FnMut(&Offer, f64) -> bool) -> Vec<String> {
        let since = &self.held_since;
        let at: Vec<usize> = (0..self.req.slots())
            .filter(|&i| match (self.req.offer_at(i), self.req.arrival(i)) {
                (Some(o), Some(n)) => !keep(o, since.get(&n).copied().unwrap_or(f64::NEG_INFINITY)),
                _ => false,
            })
            .collect();
        self.remove_held(&at).into_iter().map(|o| o.id).collect()
    }

    /// Removes the held offers in these slots (`Held::positions`) with their arrival times;
    /// returns them in order.
    pub(super) fn remove_held(&mut self, at: &[usize]) -> Vec<Offer> {
        for n in at.iter().filter_map(|i| self.req.arrival(*i)) {
            self.held_since.remove(&n);
        }
        self.req.remove_at(at)
    }

    pub(super) fn is_held(&self, offer_id: &str) -> bool {
        self.req.holds(offer_id)
    }
}
