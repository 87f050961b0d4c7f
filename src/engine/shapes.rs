//! Whether two agents' offers are the same for placement, fast: the field-by-field comparisons
//! ([`resources_eq`], [`attrs_eq`]) and the *shape* of an agent (its offers as a list of
//! words, [`walk_shape`]) that most agents of a call are matched against in one pass. Pure
//! functions of the offers and of what the batch can tell apart ([`Sight`]); the classes
//! room ([`super::classes`]) uses them to find static classes.
//!
//! **What the batch sees.** Agents are compared by what some task of the batch reads: the
//! attributes its constraints and preferences name (the first of each name, as a constraint
//! reads it), and the amounts of the resources it asks for. A `node_id` no rule reads, or
//! port ranges when no task asks for a port, do not split a class. Everything else an agent's
//! offers hold (resource names, roles, reservations, disks, flags, region and zone,
//! executors, maintenance) is compared whole, and so is whether an unseen resource is there
//! at all (present and empty, or positive): the pool of every member has the same entries as
//! the class's, in the same order, and only the unseen amounts differ — which no task takes
//! and the output reads from each agent's own offers.

use std::hash::{Hash, Hasher};

use super::portset::PORTSET_MIN;
use crate::hash::{load_short, str_eq, Fx};
use crate::model::{Attribute, Attributes, Ranges, Resource, ResourceValue, Scalar, Value};

/// What the tasks of a batch can tell agents apart by ([module docs](self)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Sight {
    /// The attribute names some rule reads (any field's name: a dialect without special
    /// fields reads `hostname` as an attribute), sorted, each once.
    pub(super) attrs: Vec<String>,
    /// The names of resources some task asks an amount of, beyond cpus, mem, disk and gpus
    /// (always seen: they score, explain and steer GPU tasks), sorted, each once.
    pub(super) asked: Vec<String>,
    /// Every attribute and amount is seen (the comparison of whole offers).
    pub(super) all: bool,
    /// The batch asks for host ports, all of them dynamic, and no host has a port blacklist:
    /// an agent's `ports` is then told apart by how many ports it holds, not which
    /// ([`ports_word`]; for an agent of one offer and one `ports` resource of fewer than
    /// [`PORTSET_MIN`] ranges, [`counted_ports`]). A dynamic port is chosen by its rank among
    /// the free ports (the lowest, or the `random` one's index), never by its number, so the
    /// class picks in its first member's numbering and each member's own ports are the same
    /// ranks of its own range ([`super::portset::renumber`], when the answer is written).
    pub(super) ports_by_count: bool,
}

impl Sight {
    /// Sees everything: agents are alike only when their offers are.
    #[cfg(test)]
    pub(super) fn everything() -> Sight {
        Sight { all: true, ..Sight::default() }
    }

    /// Whether the amount of resource `name` tells agents apart.
    #[inline(always)]
    pub(super) fn sees_amount(&self, name: &str) -> bool {
        self.all
            || self.sees_amount_always(name)
            || if self.asked.len() <= 8 {
                self.asked.iter().any(|a| str_eq(a, name))
            } else {
                // Sorted (`sight_of`): thousands of names asked cost a search, not a walk.
                self.asked.binary_search_by(|a| a.as_str().cmp(name)).is_ok()
            }
    }

    /// Whether `name`'s amount is seen whatever the tasks ask (cpus, mem, disk, gpus).
    #[inline(always)]
    pub(super) fn sees_amount_always(&self, name: &str) -> bool {
        matches!(name, "cpus" | "mem" | "disk" | "gpus")
    }

    /// The attributes compared, as a rule reads them: for each seen name its first attribute
    /// (`None` when the agent has none of that name); every attribute when all are seen.
    /// O(seen + attributes) for the usual few; an agent of many attributes against many seen
    /// names is sorted once (O((seen + attributes) · log attributes), not their product).
    #[inline(always)]
    pub(super) fn attrs<'a>(&'a self, attrs: &'a Attributes) -> Seen<'a> {
        if self.all {
            Seen::All(attrs.0.iter())
        } else if attrs.0.len() > INDEX_ATTRS && self.attrs.len() > INDEX_ATTRS {
            Seen::Indexed(self.attrs.iter(), Box::new(sorted_attrs(attrs)))
        } else {
            Seen::Named(self.attrs.iter(), attrs)
        }
    }

    /// How many attributes [`Sight::attrs`] yields.
    #[inline]
    fn attr_count(&self, attrs: &Attributes) -> usize {
        if self.all {
            attrs.0.len()
        } else {
            self.attrs.len()
        }
    }
}

/// From this many attributes (and seen names), [`Sight::attrs`] sorts an agent's attributes
/// rather than walking them once per seen name.
const INDEX_ATTRS: usize = 8;

/// An agent's attributes by name, stable (the first of a name first).
#[cold]
#[inline(never)]
fn sorted_attrs(attrs: &Attributes) -> Vec<(&str, &Value)> {
    let mut v: Vec<(&str, &Value)> = attrs.0.iter().map(|a| (a.name.as_str(), &a.value)).collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// The first attribute named `n` of an agent's attributes sorted by name.
#[inline(never)]
fn first_named<'a>(sorted: &[(&'a str, &'a Value)], n: &str) -> Option<&'a Value> {
    let i = sorted.partition_point(|(m, _)| *m < n);
    sorted.get(i).filter(|(m, _)| *m == n).map(|(_, v)| *v)
}

/// The attributes of an agent a [`Sight`] compares.
pub(super) enum Seen<'a> {
    All(std::slice::Iter<'a, Attribute>),
    Named(std::slice::Iter<'a, String>, &'a Attributes),
    /// Many of both: the agent's attributes sorted by name ([`sorted_attrs`]). Boxed so the
    /// rare variant keeps the iterator as small as the common ones (a `Vec` inline would grow
    /// every `Seen` by 16 bytes on the classing hot path).
    #[allow(clippy::box_collection)]
    Indexed(std::slice::Iter<'a, String>, Box<Vec<(&'a str, &'a Value)>>),
}

impl<'a> Iterator for Seen<'a> {
    /// (name, the first attribute of that name).
    type Item = (&'a str, Option<&'a Value>);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Seen::All(it) => it.next().map(|a| (a.name.as_str(), Some(&a.value))),
            Seen::Named(names, attrs) => names.next().map(|n| (n.as_str(), attrs.get(n).map(|a| &a.value))),
            Seen::Indexed(names, sorted) => names.next().map(|n| (n.as_str(), first_named(sorted, n))),
        }
    }
}

/// An unseen amount, as compared: whether it is there (zero: dropped from the pool;
/// positive or non-empty: an entry with something in it); a negative scalar exactly (its
/// sum with another could go either way).
#[inline]
pub(super) fn blind_word(v: &ResourceValue) -> Option<u64> {
    match v {
        ResourceValue::Scalar(s) if s.millis() < 0 => Some(s.millis() as u64),
        ResourceValue::Scalar(s) => Some(u64::from(s.millis() > 0)),
        ResourceValue::Ranges(r) => Some(u64::from(!r.is_empty())),
        ResourceValue::Set(_) => None,
    }
}

/// Whether resource `r`'s amount is compared only by [`blind_word`].
#[inline(always)]
fn blind(r: &Resource, sight: &Sight) -> bool {
    !matches!(r.value, ResourceValue::Set(_)) && !sight.sees_amount(&r.name)
}

/// The word a `ports` amount is compared by under [`Sight::ports_by_count`]: whether the
/// resource holds anything (an empty one is left out of the pool, a non-empty one holding
/// only port 0 or ports above 65,535 is not) and how many ports of 1–65,535 it holds (what
/// its pool entry holds: [`super::classes::pooled`]). Top byte 0xfd: never a ranges count.
#[inline]
pub(super) fn ports_word(r: &Ranges) -> u64 {
    if let [x] = r.as_slice() {
        if x.begin >= 1 && x.end <= 65_535 {
            return 0xfd << 56 | 1 << 32 | (x.end - x.begin + 1);
        }
    }
    let n: u64 = r
        .iter()
        .map(|x| {
            let (b, e) = (x.begin.max(1), x.end.min(65_535));
            if b <= e {
                e - b + 1
            } else {
                0
            }
        })
        .sum();
    0xfd << 56 | u64::from(!r.is_empty()) << 32 | n
}

/// Whether the agent of offers `ids` has its `ports` compared by count ([`ports_word`]) under
/// `sight`: one offer, whose only resource named `ports` is ranges of fewer than
/// [`PORTSET_MIN`] ranges (so its pool has one `ports` entry, renumbered by rank alone).
pub(super) fn counted_ports(offers: &[crate::model::Offer], ids: &[u32], sight: &Sight) -> bool {
    if !sight.ports_by_count {
        return false;
    }
    let [o] = ids else { return false };
    let Some(offer) = offers.get(*o as usize) else { return false };
    let mut found = false;
    for r in offer.resources.as_slice() {
        if str_eq(&r.name, "ports") {
            match &r.value {
                ResourceValue::Ranges(x) if !found && x.range_count() < PORTSET_MIN => found = true,
                _ => return false,
            }
        }
    }
    found
}

/// The `ports` resource of a list compared by count ([`counted_ports`] said so).
#[inline(always)]
fn by_count(r: &Resource, counted: bool) -> Option<&Ranges> {
    match &r.value {
        ResourceValue::Ranges(x) if counted && str_eq(&r.name, "ports") => Some(x),
        _ => None,
    }
}

/// Hashes what [`resources_eq`] compares of a resource list (a part of it); `counted`: its
/// `ports` is compared by count ([`counted_ports`]).
pub(super) fn hash_resources(h: &mut Fx, res: &[Resource], sight: &Sight, counted: bool) {
    h.write_usize(res.len());
    for r in res {
        if let Some(x) = by_count(r, counted) {
            r.name.hash(h);
            h.write_u64(ports_word(x));
            r.reservations.hash(h);
            r.shared.hash(h);
            r.revocable.hash(h);
        } else if blind(r, sight) {
            r.name.hash(h);
            std::mem::discriminant(&r.value).hash(h);
            blind_word(&r.value).hash(h);
        } else {
            r.hash(h);
        }
    }
}

/// Hashes the attributes a [`Sight`] compares.
pub(super) fn hash_attrs(h: &mut Fx, attrs: &Attributes, sight: &Sight) {
    for (name, v) in sight.attrs(attrs) {
        name.hash(h);
        match v {
            Some(v) => hash_value(h, v),
            None => h.write_u8(0xff),
        }
    }
}

pub(super) fn hash_value(h: &mut Fx, v: &Value) {
    match v {
        Value::Scalar(s) => {
            h.write_u8(0);
            Scalar::from_f64(*s).map_or(i64::MIN, Scalar::millis).hash(h);
        }
        Value::Ranges(r) => {
            h.write_u8(1);
            for x in r.iter() {
                h.write_u64(x.begin);
                h.write_u64(x.end);
            }
        }
        Value::Set(s) => {
            h.write_u8(2);
            s.hash(h);
        }
        Value::Text(t) => {
            h.write_u8(3);
            t.hash(h);
        }
    }
}

/// One resource of two offers compared for static classes: the fields every resource has
/// first, the optional ones (reservations, disk, allocation and provider ids) only when set;
/// `counted`: a `ports` amount by count ([`counted_ports`], both agents alike).
#[inline(always)]
pub(super) fn resource_eq(x: &Resource, y: &Resource, sight: &Sight, counted: bool) -> bool {
    if x.shared != y.shared || x.revocable != y.revocable {
        return false;
    }
    // Equal values are equal seen or blind (a blind comparison reads the type and
    // [`blind_word`], functions of the value): the name's blindness is looked up only when
    // the values differ.
    let same_value = match (&x.value, &y.value) {
        (ResourceValue::Scalar(p), ResourceValue::Scalar(q)) if p == q => true,
        (ResourceValue::Ranges(p), ResourceValue::Ranges(q))
            if match (p.as_slice(), q.as_slice()) {
                ([u], [v]) => u.begin == v.begin && u.end == v.end,
                (p, q) => p == q,
            } =>
        {
            true
        }
        (ResourceValue::Ranges(p), ResourceValue::Ranges(q)) if by_count(x, counted).is_some() => {
            ports_word(p) == ports_word(q)
        }
        (p, q) if blind(x, sight) => p.value_type() == q.value_type() && blind_word(p) == blind_word(q),
        (ResourceValue::Set(p), ResourceValue::Set(q)) => p == q,
        _ => false,
    };
    if !same_value || !str_eq(&x.name, &y.name) {
        return false;
    }
    let plain = |r: &Resource| {
        r.reservations.is_empty() && r.disk.is_none() && r.allocation_role.is_none() && r.provider_id.is_none()
    };
    (plain(x) && plain(y))
        || (x.reservations == y.reservations
            && x.disk == y.disk
            && x.allocation_role == y.allocation_role
            && x.provider_id == y.provider_id)
}

#[inline]
pub(super) fn opt_str_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => str_eq(a, b),
        _ => false,
    }
}

/// The attributes a [`Sight`] compares, compared.
pub(super) fn attrs_eq(a: &Attributes, b: &Attributes, sight: &Sight) -> bool {
    if !sight.all && sight.attrs.is_empty() {
        return true;
    }
    sight.attr_count(a) == sight.attr_count(b)
        && sight.attrs(a).zip(sight.attrs(b)).all(|((xn, xv), (yn, yv))| {
            str_eq(xn, yn)
                && match (xv, yv) {
                    (Some(Value::Text(p)), Some(Value::Text(q))) => str_eq(p, q),
                    (p, q) => p == q,
                }
        })
}

/// `a == b` for resource lists, with the common case (unreserved, no disk, no flags) first:
/// this runs once per agent, so it is worth avoiding the derived comparison's calls.
/// `counted`: both agents' `ports` are compared by count ([`counted_ports`]).
#[inline]
pub(super) fn resources_eq(a: &[Resource], b: &[Resource], sight: &Sight, counted: bool) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i), b.get(i)) {
        if !resource_eq(x, y, sight, counted) {
            return false;
        }
        i += 1;
    }
    true
}

/// Receives the words of an agent's static *shape*: the fields [`Ctx::static_eq`] compares,
/// as plain words, for agents whose offers hold only plain resources (no disk, allocation or
/// provider ids, reservations for a role alone, scalar or ranges values), text attributes, and no allocation
/// role, executors or maintenance. Built once per static class ([`Build`]), then matched word
/// by word against each agent that may join it ([`Match`]), reading the agent's fields once.
pub(super) trait ShapeSink {
    /// Takes the next word; false when it differs from the expected one.
    fn word(&mut self, w: u64) -> bool;

    /// Whether the expected next word heads a resource name written blind ([`blind_word`]),
    /// when the sink knows (a match does: a resource of the same name is blind alike, and one
    /// of another name fails at its name whichever way it is written).
    #[inline(always)]
    fn expects_blind(&self) -> Option<bool> {
        None
    }
}

/// Writes a shape.
pub(super) struct Build<'a>(pub(super) &'a mut Vec<u64>);

impl ShapeSink for Build<'_> {
    #[inline(always)]
    fn word(&mut self, w: u64) -> bool {
        self.0.push(w);
        true
    }
}

/// Matches a shape.
pub(super) struct Match<'a>(pub(super) std::slice::Iter<'a, u64>);

impl ShapeSink for Match<'_> {
    #[inline(always)]
    fn word(&mut self, w: u64) -> bool {
        self.0.next() == Some(&w)
    }

    #[inline(always)]
    fn expects_blind(&self) -> Option<bool> {
        // The tag of a name's first word ([`str_words`]): in the top byte's bits 3..7 for a
        // short name, in the low bits of a long one's head word.
        let w = *self.0.as_slice().first()?;
        let tag = if w >> 56 == 0xff { w & 15 } else { (w >> 59) & 15 };
        Some(tag & 8 != 0)
    }
}

/// The words of a string with a `tag` below 16: one word for up to 7 bytes (the bytes, and
/// the length and tag in the top byte, at most 0x7f), else a head word (top byte 0xff, the
/// tag), the length, and the bytes 8 at a time.
#[inline(always)]
pub(super) fn str_words<S: ShapeSink>(s: &str, tag: u64, sink: &mut S) -> bool {
    let b = s.as_bytes();
    if b.len() <= 7 {
        return sink.word(load_short(b) | ((b.len() as u64) | (tag & 15) << 3) << 56);
    }
    sink.word(0xff << 56 | tag) && sink.word(b.len() as u64) && b.chunks(8).all(|c| sink.word(load_short(c)))
}

/// Walks the shape of an agent with offers `ids`: `None` when the agent has something a
/// shape does not hold (it is compared field by field instead), `Some(false)` at the first
/// word the sink refuses, `Some(true)` when every word was taken. Each part is checked for
/// being plain before any of its words is given, so a refused word means a field that
/// [`Ctx::static_eq`] compares differs (when the shape matched against is complete).
pub(super) fn walk_shape<S: ShapeSink>(
    offers: &[crate::model::Offer],
    ids: &[u32],
    sight: &Sight,
    sink: &mut S,
) -> Option<bool> {
    macro_rules! put {
        ($e:expr) => {
            if !$e {
                return Some(false);
            }
        };
    }
    put!(sink.word(ids.len() as u64));
    let mut first = None;
    // Under `ports_by_count`, whether a `ports` resource was seen: the only `ports` of an
    // agent of one offer, of fewer than `PORTSET_MIN` ranges, is written by count
    // ([`counted_ports`]); a second one makes the agent shapeless (it is then compared field
    // by field, where `counted_ports` says no). Agents of several offers: ports as they are.
    let mut ports_seen = false;
    for &o in ids {
        let offer = offers.get(o as usize)?;
        first = first.or(Some(offer));
        if offer.allocation_role.is_some() || !offer.executor_ids.is_empty() || offer.unavailability.is_some() {
            return None;
        }
        let res = offer.resources.as_slice();
        put!(sink.word(res.len() as u64));
        for r in res {
            if r.disk.is_some() || r.allocation_role.is_some() || r.provider_id.is_some() {
                return None;
            }
            // Reservations for a role alone (no principal, no labels: what an agent's
            // `--resources` flag and most `RESERVE`s make) follow the resource's value.
            if !r.reservations.is_empty()
                && !r.reservations.iter().all(|v| v.principal.is_none() && v.labels.is_empty())
            {
                return None;
            }
            let flags = u64::from(r.shared) | u64::from(r.revocable) << 1;
            // A match reads the blindness off the shape (no name lookup per agent).
            if sink.expects_blind().unwrap_or_else(|| blind(r, sight)) {
                // An amount no task asks for: the name, the type and whether it is there.
                let kind = if matches!(r.value, ResourceValue::Ranges(_)) { 4 } else { 0 };
                put!(str_words(&r.name, flags | kind | 8, sink));
                put!(sink.word(blind_word(&r.value)?));
                put!(reservation_words(r, sink));
                continue;
            }
            match &r.value {
                ResourceValue::Scalar(v) => {
                    // Under `ports_by_count`, a second `ports` of an agent of one offer: no shape.
                    if sight.ports_by_count
                        && ids.len() == 1
                        && str_eq(&r.name, "ports")
                        && std::mem::replace(&mut ports_seen, true)
                    {
                        return None;
                    }
                    put!(str_words(&r.name, flags, sink));
                    put!(sink.word(v.millis() as u64));
                }
                // Under `ports_by_count`, an agent of one offer: its one `ports` resource is
                // written by count when it has fewer than `PORTSET_MIN` ranges.
                ResourceValue::Ranges(x) if sight.ports_by_count && ids.len() == 1 && str_eq(&r.name, "ports") => {
                    if std::mem::replace(&mut ports_seen, true) {
                        return None;
                    }
                    put!(str_words(&r.name, flags | 4, sink));
                    if x.range_count() < PORTSET_MIN {
                        put!(sink.word(ports_word(x)));
                    } else {
                        put!(ranges_words(x, sink));
                    }
                }
                ResourceValue::Ranges(x) => {
                    put!(str_words(&r.name, flags | 4, sink));
                    put!(ranges_words(x, sink));
                }
                ResourceValue::Set(_) => return None,
            }
            put!(reservation_words(r, sink));
        }
    }
    let first = first?;
    if !sight.all && sight.attrs.is_empty() {
        // No attribute seen: the count alone (0, as `attr_count` says), without building the
        // attribute iterator (a batch no rule of which reads an attribute: most of them).
        put!(sink.word(0));
    } else {
        put!(sink.word(sight.attr_count(&first.attributes) as u64));
        for (name, value) in sight.attrs(&first.attributes) {
            put!(str_words(name, 0, sink));
            match value {
                // Never a word of `str_words`: top bytes up to 0x7f, or a head word 0xff00…0.
                None => put!(sink.word(u64::MAX)),
                Some(Value::Text(t)) => put!(str_words(t, 0, sink)),
                Some(_) => return None,
            }
        }
    }
    for part in [&first.region, &first.zone] {
        match part {
            None => put!(sink.word(u64::MAX)),
            Some(x) => put!(str_words(x, 0, sink)),
        }
    }
    Some(true)
}

/// The words of a ranges value: the count, then each range's bounds.
#[inline(always)]
fn ranges_words<S: ShapeSink>(x: &Ranges, sink: &mut S) -> bool {
    let x = x.as_slice();
    sink.word(x.len() as u64) && x.iter().all(|g| sink.word(g.begin) && sink.word(g.end))
}

/// The words of `r`'s reservations (each for a role alone), none when it has none: a head
/// word (top byte 0xfe, the count), then each one's role tagged with its type. What may
/// follow a resource's value is a name (top byte up to 0x7f, or 0xff), a count (top byte 0)
/// or this head, so a resource with reservations never reads as one without.
#[inline(always)]
fn reservation_words<S: ShapeSink>(r: &Resource, sink: &mut S) -> bool {
    r.reservations.is_empty()
        || sink.word(0xfe << 56 | r.reservations.len() as u64)
            && r.reservations.iter().all(|v| {
                let kind = match v.kind {
                    crate::model::ReservationType::Static => 0,
                    crate::model::ReservationType::Dynamic => 1,
                };
                str_words(&v.role, kind, sink)
            })
}

pub(super) fn alike(a: &Resource, b: &Resource) -> bool {
    a.name == b.name
        && a.value.value_type() == b.value.value_type()
        && a.reservations == b.reservations
        && a.disk == b.disk
        && a.shared == b.shared
        && a.revocable == b.revocable
        && a.allocation_role == b.allocation_role
        && a.provider_id == b.provider_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attribute, Offer, Range, Ranges, Reservation, Resources, Unavailability};

    fn res(name: &str, value: ResourceValue) -> Resource {
        Resource::new(name, value)
    }

    fn scalar(name: &str, millis: i64) -> Resource {
        res(name, ResourceValue::Scalar(Scalar::from_millis(millis)))
    }

    fn ports(list: &[(u64, u64)]) -> Resource {
        res("ports", ResourceValue::Ranges(Ranges::from_ranges(list.iter().map(|&(begin, end)| Range { begin, end }))))
    }

    /// Offers that differ from the first in one field each (and some that are equal to it).
    fn variants() -> Vec<Offer> {
        let base = || {
            let mut o = Offer::new("o", "a", "h");
            for r in [scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[(1, 10)])] {
                o.resources.push(r);
            }
            o
        };
        let mut out = vec![base(), base()];
        let with = |f: &dyn Fn(&mut Offer)| {
            let mut o = base();
            f(&mut o);
            o
        };
        out.push(with(&|o| o.resources = Resources::new()));
        out.push(with(&|o| o.resources.push(scalar("gpus", 1000))));
        out.push(with(&|o| o.resources.push(scalar("a_long_resource_name", 1000))));
        out.push(with(&|o| o.resources.push(scalar("a_long_resource_namf", 1000))));
        out.push(with(&|o| o.resources.push(scalar("ab", 1000))));
        out.push(with(&|o| o.resources.push(scalar("ab\0", 1000))));
        out.push(with(&|o| o.resources.push(scalar("", 1000))));
        out.push(with(&|o| o.resources.push(scalar("seven77", 1000))));
        out.push(with(&|o| o.resources.push(scalar("seven78", 1000))));
        out.push(with(&|o| o.resources.push(scalar("eight888", 1000))));
        out.push(with(&|o| o.resources.push(scalar("eight889", 1000))));
        out.push(with(&|o| {
            let mut r = scalar("cpus", 1000);
            r.reservations.push(Reservation::static_for("web"));
            o.resources.push(r);
        }));
        // Reservations: for another role, of another type, two of them, with a principal
        // or labels (no shape), and on a resource written blind.
        for (role, dynamic, principal, labels, two) in [
            ("web", false, false, false, false),
            ("web", false, false, false, false),
            ("batch", false, false, false, false),
            ("web", true, false, false, false),
            ("web", false, false, false, true),
            ("web", true, true, false, false),
            ("web", true, false, true, false),
            ("a-long-role/name", false, false, false, false),
        ] {
            out.push(with(&|o| {
                let mut v = Reservation::static_for(role);
                if dynamic {
                    v.kind = crate::model::ReservationType::Dynamic;
                }
                if principal {
                    v.principal = Some("p".into());
                }
                if labels {
                    v.labels.push(crate::model::Label { key: "k".into(), value: Some("v".into()) });
                }
                let mut r = scalar("mem", 1000);
                r.reservations.push(v.clone());
                if two {
                    r.reservations.push(Reservation::static_for("web/a"));
                }
                o.resources.push(r);
                let mut p = ports(&[(31000, 31009)]);
                p.reservations.push(v);
                o.resources.push(p);
            }));
        }
        out.push(with(&|o| {
            let mut r = scalar("shared", 1000);
            r.shared = true;
            o.resources.push(r);
        }));
        out.push(with(&|o| {
            let mut r = scalar("revoc", 1000);
            r.revocable = true;
            o.resources.push(r);
        }));
        out.push(with(&|o| {
            let mut r = scalar("revoc", 1000);
            r.allocation_role = Some("x".into());
            o.resources.push(r);
        }));
        out.push(with(&|o| o.resources.push(ports(&[(20, 30), (40, 50)]))));
        out.push(with(&|o| o.resources.push(ports(&[(20, 30), (40, 51)]))));
        out.push(with(&|o| {
            o.resources.push(res("set", ResourceValue::Set(crate::model::Set::from_items(["a"]))));
        }));
        out.push(with(&|o| o.attributes = Attributes(vec![Attribute::new("rack", Value::Text("r1".into()))])));
        out.push(with(&|o| o.attributes = Attributes(vec![Attribute::new("rack", Value::Text("r2".into()))])));
        out.push(with(&|o| o.attributes = Attributes(vec![Attribute::new("rack", Value::Scalar(1.0))])));
        out.push(with(&|o| o.region = Some("eu".into())));
        out.push(with(&|o| o.region = Some("us".into())));
        out.push(with(&|o| o.zone = Some("eu".into())));
        out.push(with(&|o| o.allocation_role = Some("web".into())));
        out.push(with(&|o| o.executor_ids = vec!["e".into()]));
        out.push(with(&|o| o.unavailability = Some(Unavailability { start_ns: 1, duration_ns: None })));
        out
    }

    /// What [`Ctx::static_eq`] compares, by the derived comparisons.
    fn same(a: &Offer, b: &Offer) -> bool {
        a.resources.as_slice() == b.resources.as_slice()
            && a.allocation_role == b.allocation_role
            && a.executor_ids == b.executor_ids
            && a.unavailability == b.unavailability
            && a.attributes.0.len() == b.attributes.0.len()
            && a.attributes.0.iter().zip(&b.attributes.0).all(|(x, y)| x.name == y.name && x.value == y.value)
            && a.region == b.region
            && a.zone == b.zone
    }

    #[test]
    fn a_shape_match_answers_as_the_field_by_field_comparison() {
        let offers = variants();
        let all = Sight::everything();
        let mut decided = 0;
        for (i, a) in offers.iter().enumerate() {
            let mut shape = Vec::new();
            let built = walk_shape(std::slice::from_ref(a), &[0], &all, &mut Build(&mut shape));
            for (j, b) in offers.iter().enumerate() {
                let mut m = Match(shape.iter());
                let found = match (built, walk_shape(std::slice::from_ref(b), &[0], &all, &mut m)) {
                    (Some(true), Some(false)) => Some(false),
                    (Some(true), Some(true)) => m.0.next().is_none().then_some(true),
                    _ => None,
                };
                if let Some(f) = found {
                    decided += 1;
                    assert_eq!(f, same(a, b), "offers {i} and {j}");
                }
            }
        }
        // Most pairs are decided by their shapes (the plain variants).
        assert!(decided > 300, "{decided}");
    }

    #[test]
    fn a_batch_that_reads_no_attribute_shapes_every_agent_without_them() {
        // No rule reads an attribute: text, scalar or no attributes at all give one shape,
        // whose attribute part is the count 0 alone, then region and zone.
        let sight = Sight::default();
        let with = |attrs: Vec<Attribute>| {
            let mut o = Offer::new("o", "a", "h");
            for r in [scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[(1, 10)])] {
                o.resources.push(r);
            }
            o.attributes = Attributes(attrs);
            o
        };
        let bare = with(Vec::new());
        let text = with(vec![Attribute::new("node_id", Value::Text("n1".into()))]);
        let scalar_attr = with(vec![Attribute::new("rack", Value::Scalar(1.0))]);
        let mut shape = Vec::new();
        assert_eq!(walk_shape(std::slice::from_ref(&bare), &[0], &sight, &mut Build(&mut shape)), Some(true));
        assert_eq!(shape.get(shape.len() - 3..), Some(&[0, u64::MAX, u64::MAX][..]));
        for o in [&text, &scalar_attr] {
            let mut own = Vec::new();
            assert_eq!(walk_shape(std::slice::from_ref(o), &[0], &sight, &mut Build(&mut own)), Some(true));
            assert_eq!(own, shape);
            assert_eq!(shape_match(&bare, o, &sight), Some(true));
        }
        // A batch that reads `rack` tells them apart (and has no shape for a scalar rack).
        assert_eq!(shape_match(&bare, &text, &rack_sight()), Some(true));
        assert_eq!(shape_match(&bare, &scalar_attr, &rack_sight()), None);
    }

    fn list(rs: &[Resource]) -> Resources {
        let mut out = Resources::new();
        for r in rs {
            out.push(r.clone());
        }
        out
    }

    /// A batch that reads `rack` and asks for cpus and mem only.
    fn rack_sight() -> Sight {
        Sight { attrs: vec!["rack".into()], ..Sight::default() }
    }

    /// Whether a shape built from `a` matches `b` (`None`: undecided by shapes).
    fn shape_match(a: &Offer, b: &Offer, sight: &Sight) -> Option<bool> {
        let mut shape = Vec::new();
        if walk_shape(std::slice::from_ref(a), &[0], sight, &mut Build(&mut shape)) != Some(true) {
            return None;
        }
        let mut m = Match(shape.iter());
        match walk_shape(std::slice::from_ref(b), &[0], sight, &mut m)? {
            false => Some(false),
            true => m.0.next().is_none().then_some(true),
        }
    }

    #[test]
    fn unseen_attributes_and_amounts_do_not_tell_agents_apart() {
        let sight = rack_sight();
        let base = || {
            let mut o = Offer::new("o", "a", "h");
            for r in [scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[(1, 10)])] {
                o.resources.push(r);
            }
            o.attributes = Attributes(vec![
                Attribute::new("rack", Value::Text("r1".into())),
                Attribute::new("node_id", Value::Text("n1".into())),
            ]);
            o
        };
        let a = base();
        let mut b = base();
        b.attributes.0[1].value = Value::Text("a-much-longer-node-id-2".into());
        b.resources = list(&[scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[(20, 30), (40, 50)])]);
        // The same for this batch: node ids and port ranges unseen.
        let mut h = (Fx::default(), Fx::default());
        hash_resources(&mut h.0, a.resources.as_slice(), &sight, false);
        hash_attrs(&mut h.0, &a.attributes, &sight);
        hash_resources(&mut h.1, b.resources.as_slice(), &sight, false);
        hash_attrs(&mut h.1, &b.attributes, &sight);
        assert_eq!(h.0.finish(), h.1.finish());
        assert!(resources_eq(a.resources.as_slice(), b.resources.as_slice(), &sight, false));
        assert!(attrs_eq(&a.attributes, &b.attributes, &sight));
        assert_eq!(shape_match(&a, &b, &sight), Some(true));
        // Everything seen: different.
        let all = Sight::everything();
        assert!(!resources_eq(a.resources.as_slice(), b.resources.as_slice(), &all, false));
        assert!(!attrs_eq(&a.attributes, &b.attributes, &all));
        assert_eq!(shape_match(&a, &b, &all), Some(false));
        // Seen: the rack, the cpus, whether the ports are there, the attribute's absence.
        let with = |f: &dyn Fn(&mut Offer)| {
            let mut o = base();
            f(&mut o);
            o
        };
        let differ = [
            with(&|o| o.attributes.0[0].value = Value::Text("r2".into())),
            with(&|o| {
                o.attributes.0.remove(0);
            }),
            with(&|o| o.resources = list(&[scalar("cpus", 4000), scalar("mem", 8_000_000), ports(&[(1, 10)])])),
            with(&|o| o.resources = list(&[scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[])])),
            with(&|o| o.resources = list(&[scalar("cpus", 8000), scalar("mem", 8_000_000), scalar("ports", 5)])),
        ];
        for (i, d) in differ.iter().enumerate() {
            let same = resources_eq(a.resources.as_slice(), d.resources.as_slice(), &sight, false)
                && attrs_eq(&a.attributes, &d.attributes, &sight);
            assert!(!same, "variant {i}");
            assert_ne!(shape_match(&a, d, &sight), Some(true), "variant {i}");
        }
        // A second `rack` is not read (a rule reads the first of a name).
        let twice = with(&|o| o.attributes.0.push(Attribute::new("rack", Value::Text("r9".into()))));
        assert!(attrs_eq(&a.attributes, &twice.attributes, &sight));
        assert_eq!(shape_match(&a, &twice, &sight), Some(true));
        // Asked for: port ranges are seen.
        let asked = Sight { asked: vec!["ports".into()], ..rack_sight() };
        assert!(!resources_eq(a.resources.as_slice(), b.resources.as_slice(), &asked, false));
        assert_eq!(shape_match(&a, &b, &asked), Some(false));
        // Reserved port ranges unseen: their reservations still tell agents apart.
        let reserved = |o: &Offer, role: &str| {
            let mut o = o.clone();
            let mut rs: Vec<Resource> = o.resources.iter().cloned().collect();
            if let Some(p) = rs.last_mut() {
                p.reservations.push(Reservation::static_for(role));
            }
            o.resources = list(&rs);
            o
        };
        let (ra, rb, rc) = (reserved(&a, "web"), reserved(&b, "web"), reserved(&b, "batch"));
        for (x, y) in [(&ra, &rb), (&ra, &rc), (&ra, &b), (&a, &rb)] {
            let same = resources_eq(x.resources.as_slice(), y.resources.as_slice(), &sight, false);
            assert_eq!(shape_match(x, y, &sight), Some(same));
        }
        assert_eq!(shape_match(&ra, &rb, &sight), Some(true));
    }

    /// Whether the batch's field-by-field comparison (what `Ctx::static_eq` runs) finds the
    /// single-offer agents `a` and `b` alike for their resources, and the hashes agree then.
    fn fields_alike(a: &Offer, b: &Offer, sight: &Sight) -> bool {
        let (ca, cb) =
            (counted_ports(std::slice::from_ref(a), &[0], sight), counted_ports(std::slice::from_ref(b), &[0], sight));
        let same = ca == cb && resources_eq(a.resources.as_slice(), b.resources.as_slice(), sight, ca);
        if same {
            let mut h = (Fx::default(), Fx::default());
            hash_resources(&mut h.0, a.resources.as_slice(), sight, ca);
            hash_resources(&mut h.1, b.resources.as_slice(), sight, cb);
            assert_eq!(h.0.finish(), h.1.finish());
        }
        same
    }

    #[test]
    fn ports_by_count_tell_agents_apart_by_how_many_ports_they_hold() {
        let sight = Sight { asked: vec!["ports".into()], ports_by_count: true, ..Sight::default() };
        let agent = |rs: Vec<Resource>| {
            let mut o = Offer::new("o", "a", "h");
            o.resources = list(&rs);
            o
        };
        let web = |mut r: Resource| {
            r.reservations.push(Reservation::static_for("web"));
            r
        };
        let with_ports = |p: &[(u64, u64)]| agent(vec![scalar("cpus", 8000), scalar("mem", 8_000_000), ports(p)]);
        let a = with_ports(&[(31000, 31009)]);
        // Ten ports wherever they are; ports 0 and above 65535 are never given, so not counted.
        let alike = [
            with_ports(&[(1000, 1009)]),
            with_ports(&[(5, 6), (100, 107)]),
            with_ports(&[(0, 10)]),
            with_ports(&[(65_530, 70_000), (1, 4)]),
        ];
        for (i, b) in alike.iter().enumerate() {
            assert!(fields_alike(&a, b, &sight), "alike {i}");
            assert_eq!(shape_match(&a, b, &sight), Some(true), "alike {i}");
            assert_eq!(shape_match(b, &a, &sight), Some(true), "alike {i}");
        }
        let mut reserved = with_ports(&[(1, 10)]);
        let mut rs: Vec<Resource> = reserved.resources.iter().cloned().collect();
        if let Some(p) = rs.last_mut() {
            p.reservations.push(Reservation::static_for("web"));
        }
        reserved.resources = list(&rs);
        let many: Vec<(u64, u64)> = (0..PORTSET_MIN as u64).map(|i| (1000 + 2 * i, 1000 + 2 * i)).collect();
        let differ = [
            with_ports(&[(31000, 31008)]),
            // Empty: no pool entry; only port 0: an empty entry.
            with_ports(&[]),
            with_ports(&[(0, 0)]),
            reserved,
            // Two `ports` resources: compared as they are.
            agent(vec![scalar("cpus", 8000), scalar("mem", 8_000_000), ports(&[(1, 5)]), web(ports(&[(7, 11)]))]),
            // Many ranges: compared as they are.
            with_ports(&many),
            agent(vec![scalar("cpus", 8000), scalar("mem", 8_000_000), scalar("ports", 10)]),
        ];
        for (i, d) in differ.iter().enumerate() {
            assert!(!fields_alike(&a, d, &sight), "variant {i}");
            assert_ne!(shape_match(&a, d, &sight), Some(true), "variant {i}");
            assert_ne!(shape_match(d, &a, &sight), Some(true), "variant {i}");
        }
        assert!(!fields_alike(&with_ports(&[(0, 0)]), &with_ports(&[]), &sight));
        // Agents of two `ports` resources have no shape, and the same ones compare equal.
        let two = agent(vec![ports(&[(1, 5)]), web(ports(&[(7, 11)]))]);
        assert_eq!(shape_match(&two, &two, &sight), None);
        assert!(fields_alike(&two, &two, &sight));
        assert!(!fields_alike(&two, &agent(vec![ports(&[(2, 6)]), web(ports(&[(7, 11)]))]), &sight));
        // Many ranges, compared as they are: equal ones match by shape.
        assert_eq!(shape_match(&with_ports(&many), &with_ports(&many), &sight), Some(true));
        // Without the count sight, the ranges themselves are seen.
        let exact = Sight { ports_by_count: false, ..sight.clone() };
        assert!(!fields_alike(&a, &alike[0], &exact));
        assert_eq!(shape_match(&a, &alike[0], &exact), Some(false));
    }

    #[test]
    fn many_attributes_against_many_names_read_as_a_walk_does() {
        let mut attrs = Attributes::new();
        for i in (0..40).rev() {
            attrs.0.push(Attribute { name: format!("a{:02}", i % 25), value: Value::Text(format!("v{i}")) });
        }
        let names: Vec<String> = (0..30).step_by(2).map(|i| format!("a{i:02}")).collect();
        let sight = Sight { attrs: names, ..Sight::default() };
        assert!(matches!(sight.attrs(&attrs), Seen::Indexed(..)));
        let walked: Vec<_> = sight.attrs.iter().map(|n| (n.as_str(), attrs.get(n).map(|a| &a.value))).collect();
        let got: Vec<_> = sight.attrs(&attrs).collect();
        assert_eq!(got, walked);
        // The first of a name, absent names as `None`.
        assert_eq!(got[0], ("a00", Some(&Value::Text("v25".into()))));
        assert_eq!(got[13], ("a26", None));
    }
}
