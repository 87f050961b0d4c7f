//! The pieces of the fast paths that read request text straight into the engine's types, with
//! no `serde_json::Value` tree in between: the `place` request (`wire/place_in.rs`) and the
//! session's big inputs (`session/input.rs`: a `submit`, an `OFFERS` event).
//!
//! A fast path only ever takes what it can prove the general path would take: [`prescan`]
//! proves, in one walk of the bytes, the limits that the JSON shows and that no object
//! repeats a key; serde then reads the text into the decoding structs, converting each offer
//! and task as soon as it is read ([`ListSeed`]); at the first doubt the reader gives up
//! ([`give_up`]) and the general path answers, so every refusal is the general path's own.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use crate::dto::mesos::{offer_from_text_dto, ObjOnly, OfferText};
use crate::dto::place::{running_from_dto, task_from_dto, RunningDto, TaskDto};
use crate::limits::{container_limit, Limits};
use crate::model::{Offer, RunningTask, TaskRequest};

/// One open container during [`prescan`].
#[derive(Clone, Copy)]
struct Frame {
    /// An array (else an object).
    array: bool,
    /// Objects: the next string is a key.
    expect_key: bool,
    /// The most elements (arrays) or members (objects) it may hold.
    bound: usize,
    /// Arrays: elements seen so far (separators + 1 once the first one started); objects:
    /// keys seen so far.
    count: usize,
    /// Objects: where this object's keys start in the stack of keys.
    keys_from: usize,
    /// Arrays of the request object: which of [`Sizes`] this is (0: none).
    slot: u8,
}

/// The lengths of the request's `offers`, `tasks` and `running` arrays, if valid JSON.
#[derive(Clone, Copy, Default)]
pub(crate) struct Sizes {
    /// Elements of the request's `offers`.
    pub(crate) offers: usize,
    /// Elements of the request's `tasks`.
    pub(crate) tasks: usize,
    /// Elements of the request's `running`.
    pub(crate) running: usize,
    /// The request object's `op` is `"place"` (written without escapes).
    pub(crate) place: bool,
}

/// A cheap summary of a key (its length, first and last bytes), compared before its bytes.
fn fingerprint(key: &[u8]) -> u64 {
    let edge = |b: Option<&u8>| u64::from(b.copied().unwrap_or(0));
    (key.len() as u64) | edge(key.first()) << 48 | edge(key.last()) << 56
}

/// Keys of one object checked for a repeat one by one as they come; beyond that, all of the
/// object's keys are sorted and compared once it closes (`O(k log k)`, so a wide object costs
/// no more than its size: a repeat is refused either way).
const KEYS_CHECKED_ONE_BY_ONE: usize = 16;

/// Walks valid-or-not JSON bytes once and returns the lengths of the request's arrays only
/// when, if the text is valid JSON, [`Limits::check_json`] would pass on it and no object
/// repeats a key. Conservative:
/// a key with an escape, or a string whose escaped length exceeds `string_bytes` (its decoded
/// length can only be shorter), makes it return `false`. Syntax is left to the parser.
///
/// Only the bytes `"`, `[`, `]`, `{`, `}` and `,` matter (numbers, literals, `:` and
/// whitespace are stepped over); string bodies are skipped eight bytes at a time. An array
/// counts one element from its opening bracket unless the next non-blank byte closes it, and
/// one more per comma (exact for valid JSON, which is all the counts have to be right for);
/// an object counts its keys. Every count is bounded by [`container_limit`], the table the
/// limits check and the JSON reader use, and the values are counted against `json_values`.
pub(crate) fn prescan(b: &[u8], limits: &Limits) -> Option<Sizes> {
    // The open containers outside `top`, outermost first (`top` is the innermost one; at the
    // outside it is a virtual array that no limit applies to).
    let mut stack: Vec<Frame> = Vec::with_capacity(16);
    let mut top = Frame { array: true, expect_key: false, bound: usize::MAX, count: 0, keys_from: 0, slot: 0 };
    // The keys of every open object, innermost last: fingerprint and byte range.
    let mut keys: Vec<(u64, usize, usize)> = Vec::with_capacity(64);
    // The last key read in the innermost object, for the array that may follow it.
    let mut last_key: (usize, usize) = (0, 0);
    let mut sizes = Sizes::default();
    // Values seen (strings that are not keys, numbers, literals, arrays, objects).
    let mut values = 0usize;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let start = i + 1;
                let (j, escaped) = string_end(b, start)?;
                if j - start > limits.string_bytes {
                    return None;
                }
                if top.expect_key {
                    if escaped {
                        return None;
                    }
                    let name = b.get(start..j).unwrap_or_default();
                    let fp = fingerprint(name);
                    let mine = keys.get(top.keys_from..).unwrap_or_default();
                    if mine.len() < KEYS_CHECKED_ONE_BY_ONE
                        && mine.iter().any(|&(f, s, e)| f == fp && b.get(s..e) == Some(name))
                    {
                        return None;
                    }
                    keys.push((fp, start, j));
                    top.count += 1;
                    top.expect_key = false;
                    last_key = (start, j);
                    // The request's `op`: anything but a plain `"place"` is for the general path
                    // (found here rather than by searching the text: `op` often comes last).
                    if stack.len() == 1 && name == b"op" {
                        sizes.place = op_is_place(b, j + 1);
                    }
                    // Step over the `:` that follows a key in compact text.
                    if b.get(j + 1) == Some(&b':') {
                        i = j + 2;
                        continue;
                    }
                } else {
                    values += 1;
                }
                i = j;
            }
            b'[' | b'{' => {
                if stack.len() + 1 > limits.json_depth {
                    return None;
                }
                values += 1;
                let array = c == b'[';
                let key = (!top.array).then(|| b.get(last_key.0..last_key.1).unwrap_or_default());
                let in_request = stack.len() == 1;
                let bound = limits.get(container_limit(array, key, in_request));
                let slot = match (array && in_request, key) {
                    (true, Some(b"offers")) => 1,
                    (true, Some(b"tasks")) => 2,
                    (true, Some(b"running")) => 3,
                    _ => 0,
                };
                let count = usize::from(array && !closes_next(b, i + 1));
                stack.push(top);
                top = Frame { array, expect_key: !array, bound, count, keys_from: keys.len(), slot };
            }
            b']' | b'}' => {
                if top.count > top.bound {
                    return None;
                }
                match top.slot {
                    1 => sizes.offers = top.count,
                    2 => sizes.tasks = top.count,
                    3 => sizes.running = top.count,
                    _ => {}
                }
                if let Some(mine) = keys.get_mut(top.keys_from..) {
                    if mine.len() > KEYS_CHECKED_ONE_BY_ONE {
                        mine.sort_unstable_by(|x, y| (x.0, b.get(x.1..x.2)).cmp(&(y.0, b.get(y.1..y.2))));
                        if mine
                            .windows(2)
                            .any(|w| matches!(w, [x, y] if x.0 == y.0 && b.get(x.1..x.2) == b.get(y.1..y.2)))
                        {
                            return None;
                        }
                    }
                }
                keys.truncate(top.keys_from);
                top = stack.pop()?;
            }
            b',' => {
                if top.array {
                    top.count += 1;
                } else {
                    top.expect_key = true;
                }
            }
            _ => {
                // A number, a literal, `:` or whitespace: step over the whole run, counting a
                // value when it holds anything but blanks and `:`.
                let mut value = !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b':');
                while let Some(&d) = b.get(i + 1) {
                    if matches!(d, b'"' | b'[' | b']' | b'{' | b'}' | b',') {
                        break;
                    }
                    value |= !matches!(d, b' ' | b'\t' | b'\n' | b'\r' | b':');
                    i += 1;
                }
                values += usize::from(value);
            }
        }
        i += 1;
    }
    if values > limits.json_values {
        return None;
    }
    Some(sizes)
}

/// True when the value after the key that ends at `i` (its closing quote) is the string
/// `"place"`, written without escapes.
fn op_is_place(b: &[u8], i: usize) -> bool {
    let rest = b.get(i..).unwrap_or_default();
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let Some(colon) = rest.iter().position(|c| !ws(c)) else { return false };
    if rest.get(colon) != Some(&b':') {
        return false;
    }
    let after = rest.get(colon + 1..).unwrap_or_default();
    let value = after.iter().position(|c| !ws(c)).and_then(|v| after.get(v..)).unwrap_or_default();
    value.starts_with(b"\"place\"")
}

/// True when the first byte from `i` that is not JSON whitespace is `]`.
fn closes_next(b: &[u8], i: usize) -> bool {
    let rest = b.get(i..).unwrap_or_default();
    rest.iter().find(|&&c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b']')
}

/// Where the string whose body starts at `i` ends (its closing quote) and whether it holds an
/// escape; `None` when it does not end.
fn string_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Bytes of `w` equal to `x` (the lowest flagged byte is exact).
    let find = |w: u64, x: u8| {
        let v = w ^ (ONES * u64::from(x));
        v.wrapping_sub(ONES) & !v & HIGHS
    };
    let mut escaped = false;
    loop {
        if let Some(chunk) = b.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let w = u64::from_le_bytes(w);
            let hit = find(w, b'"') | find(w, b'\\');
            if hit == 0 {
                i += 8;
                continue;
            }
            i += (hit.trailing_zeros() / 8) as usize;
        }
        match b.get(i)? {
            b'"' => return Some((i, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// Gives up: the general path will answer.
pub(crate) fn give_up<E: de::Error>() -> E {
    E::custom("not on the fast path")
}

/// How one element of a list is read and converted.
pub(crate) trait Item: Copy {
    /// What an element becomes.
    type Out;
    /// Reads and converts the next element (`None` at the end of the list).
    fn read<'de, A: SeqAccess<'de>>(self, seq: &mut A) -> Result<Option<Self::Out>, A::Error>;
}

/// An offer (Mesos v1 JSON).
#[derive(Clone, Copy)]
pub(crate) struct OfferItem;

impl Item for OfferItem {
    type Out = Offer;
    fn read<'de, A: SeqAccess<'de>>(self, seq: &mut A) -> Result<Option<Offer>, A::Error> {
        match seq.next_element::<ObjOnly<OfferText>>()? {
            None => Ok(None),
            Some(ObjOnly(o)) => offer_from_text_dto(o).map(Some).ok_or_else(give_up),
        }
    }
}

/// A task (the `place` Task shape).
#[derive(Clone, Copy)]
pub(crate) struct TaskItem;

impl Item for TaskItem {
    type Out = TaskRequest;
    fn read<'de, A: SeqAccess<'de>>(self, seq: &mut A) -> Result<Option<TaskRequest>, A::Error> {
        match seq.next_element::<TaskDto>()? {
            None => Ok(None),
            Some(t) => task_from_dto(t, "").map(Some).map_err(|_| give_up()),
        }
    }
}

/// A running task.
#[derive(Clone, Copy)]
pub(crate) struct RunningItem;

impl Item for RunningItem {
    type Out = RunningTask;
    fn read<'de, A: SeqAccess<'de>>(self, seq: &mut A) -> Result<Option<RunningTask>, A::Error> {
        match seq.next_element::<RunningDto>()? {
            None => Ok(None),
            Some(r) => running_from_dto(r, "").map(Some).map_err(|_| give_up()),
        }
    }
}

/// A JSON array of items, each converted as soon as it is read.
/// The capacity comes from the prescan (the array's length when the text is valid).
pub(crate) struct ListSeed<I>(pub(crate) I, pub(crate) usize);

impl<'de, I: Item> DeserializeSeed<'de> for ListSeed<I> {
    type Value = Vec<I::Out>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<I::Out>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, I: Item> Visitor<'de> for ListSeed<I> {
    type Value = Vec<I::Out>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<I::Out>, A::Error> {
        // Bounded: on text that is not valid JSON the count may be anything up to the limit.
        let mut out = Vec::with_capacity(self.1.min(1 << 14));
        while let Some(x) = self.0.read(&mut seq)? {
            out.push(x);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> bool {
        prescan(text.as_bytes(), &Limits::DEFAULT).is_some()
    }

    #[test]
    fn prescan_refuses_what_the_limits_check_refuses() {
        assert!(scan(r#"{"op":"place","offers":[],"tasks":[{"id":"a","constraints":[["a","UNIQUE"]]}]}"#));
        assert!(!scan(r#"{"a":1,"a":2}"#));
        assert!(!scan(r#"{"a":{"b":1,"c":[{"d":1,"d":2}]}}"#));
        assert!(scan(r#"{"a":{"b":1},"c":{"b":1}}"#));
        assert!(!scan(r#"{"a\u0062":1}"#));
        let deep = "[".repeat(65) + &"]".repeat(65);
        assert!(!scan(&deep));
        assert!(scan(&("[".repeat(64) + &"]".repeat(64))));
        let tight = Limits { tasks: 2, constraints_per_task: 1, string_bytes: 11, ..Limits::DEFAULT };
        assert!(prescan(br#"{"tasks":[1,2]}"#, &tight).is_some());
        assert!(prescan(br#"{"tasks":[1,2,3]}"#, &tight).is_none());
        assert!(prescan(br#"{"x":{"tasks":[1,2,3]}}"#, &tight).is_some());
        assert!(prescan(br#"{"x":{"constraints":[[],[]]}}"#, &tight).is_none());
        assert!(prescan(br#"{"x":{"constraints":[[1,2]]}}"#, &tight).is_some());
        assert!(prescan(br#"{"x":"abcdefghijkl"}"#, &tight).is_none());
        assert!(prescan(br#"{"abcdefghijkl":1}"#, &tight).is_none());
    }
}

/// The prescan against the JSON reader on valid JSON: the golden requests, the request
/// corpus shapes, and many small edits of them.
#[cfg(test)]
mod prescan_equivalence {
    use super::*;

    /// On valid JSON, the prescan passes exactly when the reader finds no limit exceeded
    /// (except that it also gives up on any escape in a key), with the reader's array lengths.
    fn agree(text: &str, limits: &Limits) {
        if serde_json::from_str::<serde_json::Value>(text).is_err() {
            return;
        }
        let scanned = prescan(text.as_bytes(), limits).map(|s| (s.offers, s.tasks, s.running));
        let read = crate::json::read(text, limits);
        match (&scanned, &read) {
            (Some(sizes), Ok(v)) => {
                let len = |k: &str| v.get(k).and_then(|a| a.as_array()).map_or(0, Vec::len);
                if v.is_object() {
                    assert_eq!(*sizes, (len("offers"), len("tasks"), len("running")), "{text}");
                }
            }
            (None, Ok(_)) => assert!(text.contains('\\'), "prescan refused what the reader takes: {text}"),
            (Some(_), Err(e)) => panic!("prescan took what the reader refuses ({e:?}): {text}"),
            (None, Err(_)) => {}
        }
    }

    #[test]
    fn same_answers_as_the_reference() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/place");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".json"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        texts.sort();
        texts.push(r#"{"a":[ ],"b":[ 1 ,2],"c":["x\"y",{"k":"v","k\u0031":1}],"d":{"e":{"e":[[],[[]]]}}}"#.into());
        texts.push(r#"  [ {"offers":[1,2]} , "s" , {"x":{"tasks":[{"constraints":[[],[],[]]}]}} ] "#.into());
        let tight = Limits {
            tasks: 2,
            offers: 1,
            constraints_per_task: 1,
            ranges_per_resource: 1,
            string_bytes: 12,
            json_depth: 6,
            ..Limits::DEFAULT
        };
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for t in &texts {
            agree(t, &Limits::DEFAULT);
            agree(t, &tight);
            let bytes = t.as_bytes();
            for _ in 0..300 {
                let mut m = bytes.to_vec();
                for _ in 0..(next() % 3 + 1) {
                    let at = (next() % m.len() as u64) as usize;
                    let pick = b"\"[]{},: \\a1";
                    match next() % 3 {
                        0 => m.insert(at, pick[(next() % pick.len() as u64) as usize]),
                        1 => {
                            m.remove(at);
                        }
                        _ => {
                            let from = (next() % m.len() as u64) as usize;
                            let len = ((next() % 40) as usize).min(m.len() - from);
                            let piece: Vec<u8> = m[from..from + len].to_vec();
                            let at = at.min(m.len());
                            m.splice(at..at, piece);
                        }
                    }
                }
                if let Ok(text) = String::from_utf8(m) {
                    agree(&text, &Limits::DEFAULT);
                    agree(&text, &tight);
                }
            }
        }
    }
}
