//! Strings to ids, the two tables the engine keys everything by: [`StrIndex`] (offer ids and
//! agents of a call, by index into the request, no copy) and [`Interner`] (role and resource
//! names, executor and gang ids, to dense ids). Below every other room: nothing here knows a
//! request or the ledger.

use std::hash::Hasher;

use crate::hash::{str_eq, Fx, FxMap};

/// A set of strings held elsewhere, by index (open addressing, linear probing, never more
/// than half full): the offer-id and agent tables of a call, one hash and mostly one slot
/// read per string.
pub(super) struct StrIndex {
    /// `index + 1` of the string in the slot, 0 for none.
    slots: Vec<u32>,
    mask: usize,
    /// The hash's top bits pick the slot (FxHash ends with a multiply: its high bits mix
    /// every byte, so no finalizer is needed).
    shift: u32,
}

impl StrIndex {
    pub(super) fn with_capacity(n: usize) -> StrIndex {
        // At most half full: inserts (nearly every lookup here) probe far more often above.
        let size = n.saturating_mul(2).max(8).next_power_of_two();
        StrIndex { slots: vec![0; size], mask: size - 1, shift: 64 - size.trailing_zeros() }
    }

    /// The index of the string equal to `key` (`key_of` gives each held index's string), or
    /// `None` after inserting `new` for it.
    #[inline]
    pub(super) fn get_or_insert<'s>(&mut self, key: &str, new: u32, key_of: impl Fn(u32) -> &'s str) -> Option<u32> {
        let mut h = Fx::default();
        h.write(key.as_bytes());
        let mut i = (h.state() >> self.shift) as usize & self.mask;
        loop {
            match self.slots.get_mut(i) {
                Some(slot) if *slot == 0 => {
                    *slot = new + 1;
                    return None;
                }
                Some(slot) => {
                    let held = *slot - 1;
                    if str_eq(key_of(held), key) {
                        return Some(held);
                    }
                }
                None => return None,
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// Strings to dense ids.
#[derive(Debug, Default)]
pub(super) struct Interner {
    pub(super) map: FxMap<String, u32>,
    pub(super) names: Vec<String>,
    /// The constant keys looked up by [`Interner::id_const`] so far, with their ids (a few:
    /// compared in turn, not hashed).
    consts: Vec<(&'static str, u32)>,
}

impl Interner {
    pub(super) fn with(fixed: &[&str]) -> Interner {
        let mut i = Interner::default();
        for f in fixed {
            i.id(f);
        }
        i
    }

    pub(super) fn id(&mut self, s: &str) -> u32 {
        if let Some(v) = self.map.get(s) {
            return *v;
        }
        let v = self.names.len() as u32;
        self.map.insert(s.to_owned(), v);
        self.names.push(s.to_owned());
        v
    }

    /// [`Interner::id`] of a constant key, one of a few a caller asks for over and over (a
    /// disk source without a root): found by a compare with each one asked before, no hash.
    #[inline]
    pub(super) fn id_const(&mut self, s: &'static str) -> u32 {
        if let Some((_, v)) = self.consts.iter().find(|(k, _)| str_eq(k, s)) {
            return *v;
        }
        let v = self.id(s);
        self.consts.push((s, v));
        v
    }

    pub(super) fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_index_finds_each_string_once() {
        let keys: Vec<String> = (0..1000).map(|i| format!("o-{}", i % 700)).collect();
        let mut index = StrIndex::with_capacity(keys.len());
        let key_of = |k: u32| keys.get(k as usize).map_or("", String::as_str);
        for (i, k) in keys.iter().enumerate() {
            let found = index.get_or_insert(k, i as u32, key_of);
            assert_eq!(found, if i < 700 { None } else { Some((i - 700) as u32) }, "{k}");
        }
    }

    #[test]
    fn the_interner_gives_dense_ids_in_first_seen_order() {
        let mut names = Interner::with(&["cpus", "mem"]);
        assert_eq!(names.id("mem"), 1);
        assert_eq!(names.id("gpus"), 2);
        assert_eq!(names.id("cpus"), 0);
        assert_eq!(names.name(2), "gpus");
        assert_eq!(names.name(9), "");
    }

    #[test]
    fn a_constant_key_has_the_id_a_lookup_gives() {
        let mut ids = Interner::default();
        assert_eq!(ids.id("pid:a"), 0);
        assert_eq!(ids.id_const("src:1:"), 1);
        assert_eq!(ids.id_const("src:1:"), 1);
        assert_eq!(ids.id("src:1:"), 1);
        assert_eq!(ids.id("src:3:"), 2);
        assert_eq!(ids.id_const("src:3:"), 2);
        assert_eq!(ids.id_const("src:1:"), 1);
        assert_eq!(ids.name(2), "src:3:");
    }
}
