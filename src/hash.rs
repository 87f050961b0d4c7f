//! The engine's hasher and the maps built on it: FxHash (fast, deterministic, the same on
//! every platform), plus the word-at-a-time string helpers it shares with the engine's
//! tables. A floor of its own: it imports nothing from the crate, so the constraint
//! compiler and the engine both take it from here.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: a fast, deterministic, platform-independent hasher for the engine's tables.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Fx {
    /// The state before [`Hasher::finish`]'s finalizer: FxHash ends with a multiply, so its
    /// high bits already mix every byte (the string index picks slots from them).
    #[inline]
    pub(crate) fn state(&self) -> u64 {
        self.0
    }

    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((c, r)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*c));
            rest = r;
        }
        if !rest.is_empty() {
            // The tail (1 to 7 bytes) assembled in a register: no copy through memory.
            self.add(load_short(rest) ^ (((bytes.len() % 8) as u64) << 56));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // hashbrown picks buckets from the low bits and tags from the high ones: mix both
        // (murmur3's finalizer), or short keys such as `O17` collide and probe long.
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
}

pub(crate) type FxBuild = BuildHasherDefault<Fx>;
pub(crate) type FxMap<K, V> = HashMap<K, V, FxBuild>;
pub(crate) type FxSet<K> = HashSet<K, FxBuild>;

/// `a == b` for the short strings of offers (names, ids, attribute texts) without a call to
/// `memcmp`: words, then the tail.
#[inline]
pub(crate) fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    // Up to 8 bytes: two loads and one compare (resource and attribute names mostly).
    if a.len() <= 8 {
        return load_short(a) == load_short(b);
    }
    a == b
}

/// The bytes of a slice of at most 8 bytes as one little-endian word (zero-padded).
#[inline(always)]
pub(crate) fn load_short(s: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut rest = s;
    let mut shift = 0;
    if let Some((c, r)) = rest.split_first_chunk::<4>() {
        w = u64::from(u32::from_le_bytes(*c));
        rest = r;
        shift = 32;
    }
    if let Some((c, r)) = rest.split_first_chunk::<2>() {
        w |= u64::from(u16::from_le_bytes(*c)) << shift;
        rest = r;
        shift += 16;
    }
    if let Some(c) = rest.first() {
        w |= u64::from(*c) << (shift & 63);
    }
    if let Some((c, _)) = s.split_first_chunk::<8>() {
        w = u64::from_le_bytes(*c);
    }
    w
}
