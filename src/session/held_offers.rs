//! The session's store of held offers: the offers themselves live in the `Held` request
//! (`offerfit::Held`, kept between steps), their arrival times beside them in `held_since`,
//! position for position.

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
        self.req.push_offer(offer);
        self.held_since.push(now);
    }

    /// Keeps the held offers for which `keep(offer, held since)` holds, in order; returns the
    /// ids of the others.
    pub(super) fn retain_offers(&mut self, mut keep: impl FnMut(&Offer, f64) -> bool) -> Vec<String> {
        let since = &mut self.held_since;
        let mut k = 0;
        let gone = self.req.retain_offers(|i, o| {
            let t = since.get(i).copied().unwrap_or(f64::NEG_INFINITY);
            let kept = keep(o, t);
            if kept {
                if let Some(x) = since.get_mut(k) {
                    *x = t;
                }
                k += 1;
            }
            kept
        });
        since.truncate(k);
        gone.into_iter().map(|o| o.id).collect()
    }

    /// Removes the held offers at these positions (ascending) with their arrival times; returns
    /// them in order.
    pub(super) fn remove_held(&mut self, at: &[usize]) -> Vec<Offer> {
        let since = &mut self.held_since;
        // A few (a step's used offers): each leaves alone, the times after it move up once.
        if at.len() <= 8 && at.windows(2).all(|w| w.first() < w.get(1)) {
            for &i in at.iter().rev() {
                if i < since.len() {
                    since.remove(i);
                }
            }
            return self.req.remove_at(at);
        }
        let (mut k, mut next) = (0, at.iter().peekable());
        let first = at.first().copied().unwrap_or(usize::MAX);
        // The arrival times before the first one removed stay where they are.
        for i in first..since.len() {
            while next.peek().is_some_and(|x| **x < i) {
                next.next();
            }
            if next.peek() == Some(&&i) {
                continue;
            }
            let t = since.get(i).copied().unwrap_or_default();
            if let Some(x) = since.get_mut(first + k) {
                *x = t;
            }
            k += 1;
        }
        since.truncate(first.saturating_add(k).min(since.len()));
        self.req.remove_at(at)
    }

    pub(super) fn is_held(&self, offer_id: &str) -> bool {
        self.req.holds(offer_id)
    }
}
