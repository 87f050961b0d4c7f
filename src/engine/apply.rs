//! Applying a fit to an agent's pool, and giving a take back: what a placement subtracts
//! from the entries [`super::fit::Fitter::fit`] chose, kept in the canonical form of each
//! amount (a `ports` entry is a flat [`Ranges`] below [`PORTSET_MIN`] ranges, a [`PortSet`]
//! from there on), so equal states compare equal however placements made them.

use super::fit::{Amount, Entry, FitOut, TakeWhat};
use super::portset::{PortSet, PORTSET_MIN};
use crate::model::Ranges;

/// Applies a fit to a pool: subtracts what the task (and its executor) take.
pub(crate) fn apply(pool: &mut [Entry], fit: &FitOut) {
    for t in fit.exec_takes.iter().chain(fit.takes.iter()) {
        let Some(e) = pool.get_mut(t.entry as usize) else { continue };
        apply_take(&mut e.amount, &t.what);
    }
}

/// Gives one take back to the amount of its entry (the inverse of [`apply_take`]); a whole
/// entry comes back as `offered` holds it (a whole entry is only taken untouched).
pub(crate) fn unapply_take(amount: &mut Amount, what: &TakeWhat, offered: &Amount) {
    match (what, amount) {
        (TakeWhat::Scalar(v), Amount::Scalar(a)) | (TakeWhat::Volume { amount: v, .. }, Amount::Scalar(a)) => {
            *a += *v;
        }
        (TakeWhat::Ports(p), a) => {
            let p = p.to_ranges();
            match a {
                Amount::Ranges(r) => *r = r.add(&p),
                Amount::Ports(s) => *s = s.add(&p),
                _ => return,
            }
            normalize_ports(a);
        }
        (TakeWhat::Whole { .. }, a) => *a = offered.clone(),
        _ => {}
    }
}

/// A `ports` entry's amount holding `r`: a [`PortSet`] from [`PORTSET_MIN`] ranges on, a flat
/// [`Ranges`] below, so that the form is a function of the ports held (equal states compare
/// equal whatever placements made them; `random` selection fragmenting one offered range
/// into many moves it to the persistent form).
pub(crate) fn ports_amount(r: Ranges) -> Amount {
    if r.range_count() >= PORTSET_MIN {
        Amount::Ports(PortSet::from_ranges(&r))
    } else {
        Amount::Ranges(r)
    }
}

/// Brings a ports amount to its form ([`ports_amount`]) after a change.
#[inline(always)]
fn normalize_ports(a: &mut Amount) {
    let change = match a {
        Amount::Ranges(r) => r.range_count() >= PORTSET_MIN,
        Amount::Ports(s) => s.range_count() < PORTSET_MIN,
        _ => false,
    };
    if change {
        renormalize(a);
    }
}

#[cold]
#[inline(never)]
fn renormalize(a: &mut Amount) {
    *a = match a {
        Amount::Ranges(r) => ports_amount(std::mem::take(r)),
        Amount::Ports(s) => Amount::Ranges(s.to_ranges()),
        _ => return,
    };
}

/// Subtracts one take from the amount of its entry.
#[inline(always)]
pub(crate) fn apply_take(amount: &mut Amount, what: &TakeWhat) {
    match (what, amount) {
        (TakeWhat::Scalar(v), Amount::Scalar(a)) | (TakeWhat::Volume { amount: v, .. }, Amount::Scalar(a)) => {
            *a -= *v;
        }
        (TakeWhat::Ports(p), a) => {
            let p = p.to_ranges();
            match a {
                Amount::Ranges(r) => *r = r.subtract(&p),
                Amount::Ports(s) => *s = s.subtract(&p),
                _ => return,
            }
            normalize_ports(a);
        }
        (TakeWhat::Whole { .. }, Amount::Scalar(a)) => *a = 0,
        (TakeWhat::Whole { .. }, Amount::Ranges(r)) => *r = Ranges::new(),
        (TakeWhat::Whole { .. }, a @ Amount::Ports(_)) => *a = Amount::Ranges(Ranges::new()),
        _ => {}
    }
}
