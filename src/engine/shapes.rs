//! Whether two agents' offers are the same for placement, fast: the field-by-field comparisons
//! ([`resources_eq`], [`attrs_eq`]) and the *shape* of an agent (its offers as a list of
//! words, [`walk_shape`]) that most agents of a call are matched against in one pass. Pure
//! functions of the offers; the classes room ([`super::classes`]) uses them to find static
//! classes.

use std::hash::{Hash, Hasher};

use crate::hash::{load_short, str_eq, Fx};
use crate::model::{Attributes, Resource, ResourceValue, Scalar, Value};

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
/// first, the optional ones (reservations, disk, allocation and provider ids) only when set.
#[inline(always)]
pub(super) fn resource_eq(x: &Resource, y: &Resource) -> bool {
    if x.shared != y.shared || x.revocable != y.revocable {
        return false;
    }
    let same_value = match (&x.value, &y.value) {
        (ResourceValue::Scalar(p), ResourceValue::Scalar(q)) => p == q,
        (ResourceValue::Ranges(p), ResourceValue::Ranges(q)) => {
            let (p, q) = (p.as_slice(), q.as_slice());
            match (p, q) {
                ([u], [v]) => u.begin == v.begin && u.end == v.end,
                _ => p == q,
            }
        }
        (p, q) => p == q,
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

pub(super) fn attrs_eq(a: &Attributes, b: &Attributes) -> bool {
    a.0.len() == b.0.len()
        && a.0.iter().zip(b.0.iter()).all(|(x, y)| {
            str_eq(&x.name, &y.name)
                && match (&x.value, &y.value) {
                    (Value::Text(p), Value::Text(q)) => str_eq(p, q),
                    (p, q) => p == q,
                }
        })
}

/// `a == b` for resource lists, with the common case (unreserved, no disk, no flags) first:
/// this runs once per agent, so it is worth avoiding the derived comparison's calls.
#[inline]
pub(super) fn resources_eq(a: &[Resource], b: &[Resource]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i), b.get(i)) {
        if !resource_eq(x, y) {
            return false;
        }
        i += 1;
    }
    true
}

/// Receives the words of an agent's static *shape*: the fields [`Ctx::static_eq`] compares,
/// as plain words, for agents whose offers hold only plain resources (unreserved, no disk,
/// allocation or provider ids, scalar or ranges values), text attributes, and no allocation
/// role, executors or maintenance. Built once per static class ([`Build`]), then matched word
/// by word against each agent that may join it ([`Match`]), reading the agent's fields once.
pub(super) trait ShapeSink {
    /// Takes the next word; false when it differs from the expected one.
    fn word(&mut self, w: u64) -> bool;
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
pub(super) fn walk_shape<S: ShapeSink>(offers: &[crate::model::Offer], ids: &[u32], sink: &mut S) -> Option<bool> {
    macro_rules! put {
        ($e:expr) => {
            if !$e {
                return Some(false);
            }
        };
    }
    put!(sink.word(ids.len() as u64));
    let mut first = None;
    for &o in ids {
        let offer = offers.get(o as usize)?;
        first = first.or(Some(offer));
        if offer.allocation_role.is_some() || !offer.executor_ids.is_empty() || offer.unavailability.is_some() {
            return None;
        }
        let res = offer.resources.as_slice();
        put!(sink.word(res.len() as u64));
        for r in res {
            if !r.reservations.is_empty() || r.disk.is_some() || r.allocation_role.is_some() || r.provider_id.is_some()
            {
                return None;
            }
            let flags = u64::from(r.shared) | u64::from(r.revocable) << 1;
            match &r.value {
                ResourceValue::Scalar(v) => {
                    put!(str_words(&r.name, flags, sink));
                    put!(sink.word(v.millis() as u64));
                }
                ResourceValue::Ranges(x) => {
                    let x = x.as_slice();
                    put!(str_words(&r.name, flags | 4, sink));
                    put!(sink.word(x.len() as u64));
                    for g in x {
                        put!(sink.word(g.begin));
                        put!(sink.word(g.end));
                    }
                }
                ResourceValue::Set(_) => return None,
            }
        }
    }
    let first = first?;
    let attrs = &first.attributes.0;
    put!(sink.word(attrs.len() as u64));
    for a in attrs {
        let Value::Text(t) = &a.value else { return None };
        put!(str_words(&a.name, 0, sink));
        put!(str_words(t, 0, sink));
    }
    for part in [&first.region, &first.zone] {
        match part {
            None => put!(sink.word(u64::MAX)),
            Some(x) => put!(str_words(x, 0, sink)),
        }
    }
    Some(true)
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
        let mut decided = 0;
        for (i, a) in offers.iter().enumerate() {
            let mut shape = Vec::new();
            let built = walk_shape(std::slice::from_ref(a), &[0], &mut Build(&mut shape));
            for (j, b) in offers.iter().enumerate() {
                let mut m = Match(shape.iter());
                let found = match (built, walk_shape(std::slice::from_ref(b), &[0], &mut m)) {
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
}
