//! What one `place` call looks at ([`PlaceRequest`]), the error it answers bad input with
//! ([`PlaceError`], with the JSON pointer of the culprit), and the count and sum checks the
//! facade runs on a typed request before the batch.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::Error;
use crate::hash::FxMap;
use crate::limits::{LimitKind, Limits};
use crate::model::scalar::SCALAR_MAX_MILLIS;
use crate::model::{Offer, RunningTask, TaskRequest};

/// Everything one `place` call looks at.
#[derive(Debug, Clone, Default)]
pub struct PlaceRequest {
    /// The offers to answer (each exactly once).
    pub offers: Vec<Offer>,
    /// The tasks to place.
    pub tasks: Vec<TaskRequest>,
    /// Placements that already exist, counted by constraints.
    pub running: Vec<RunningTask>,
}

/// An input error of `place`, with the JSON pointer of the culprit in the request
/// (`/tasks/3/constraints/1`, `/options/strategy`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceError {
    /// Where in the request.
    pub path: String,
    /// What is wrong.
    pub error: Error,
}

impl PlaceError {
    /// An error about `path`.
    pub fn new(path: impl Into<String>, error: Error) -> PlaceError {
        PlaceError { path: path.into(), error }
    }

    pub(crate) fn invalid(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> PlaceError {
        PlaceError::new(path, Error::invalid(code, message))
    }
}

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            self.error.fmt(f)
        } else {
            write!(f, "{} (at `{}`)", self.error, self.path)
        }
    }
}

impl std::error::Error for PlaceError {}

impl From<PlaceError> for Error {
    fn from(e: PlaceError) -> Error {
        e.error
    }
}

/// The per-task and per-resource count limits, as the JSON path checks them on the request
/// (`Limits::check_json`), for typed callers: constraints, preferences and each volume's
/// `require` list against `constraints_per_task`; the ranges of each offer's resources and
/// attributes against `ranges_per_resource`; a task's scalars, ports, volumes and accepted
/// roles and an offer's resources and attributes against `list_items`; ids, hostnames,
/// names, roles and constraint texts against `string_bytes`.
pub(super) fn check_task_counts(limits: &Limits, request: &PlaceRequest) -> Result<(), PlaceError> {
    // The path is formatted only for an error: this runs once per offer resource and task.
    let at = |path: &dyn Fn() -> String, kind: LimitKind, n: usize| {
        limits.check(kind, n).map_err(|e| PlaceError::new(path(), e))
    };
    let text = |path: &dyn Fn() -> String, s: &str| at(path, LimitKind::StringBytes, s.len());
    let spec = |path: &dyn Fn() -> String, c: &crate::model::ConstraintSpec| match c {
        crate::model::ConstraintSpec::Text(t) => text(path, t),
        crate::model::ConstraintSpec::Fields(f) => f.iter().try_for_each(|x| text(path, x)),
        crate::model::ConstraintSpec::Object { field, operator, value } => {
            text(path, field)?;
            text(path, operator)?;
            value.as_deref().map_or(Ok(()), |v| text(path, v))
        }
    };
    for (i, t) in request.tasks.iter().enumerate() {
        // The lists and strings the JSON path counts while reading (`list_items`,
        // `string_bytes`), so a typed caller meets the same bounds.
        text(&|| format!("/tasks/{i}/id"), &t.id)?;
        for (field, v) in [("group", &t.group), ("role", &t.role), ("gang", &t.gang)] {
            if let Some(v) = v {
                text(&|| format!("/tasks/{i}/{field}"), v)?;
            }
        }
        at(&|| format!("/tasks/{i}/scalars"), LimitKind::ListItems, t.scalars.len())?;
        at(&|| format!("/tasks/{i}/ports"), LimitKind::ListItems, t.ports.len())?;
        at(&|| format!("/tasks/{i}/volumes"), LimitKind::ListItems, t.volumes.len())?;
        if let Some(roles) = &t.accepted_roles {
            at(&|| format!("/tasks/{i}/accepted_roles"), LimitKind::ListItems, roles.len())?;
            roles.iter().try_for_each(|r| text(&|| format!("/tasks/{i}/accepted_roles"), r))?;
        }
        for (name, _) in &t.scalars {
            text(&|| format!("/tasks/{i}/scalars"), name)?;
        }
        for (k, c) in t.constraints.iter().enumerate() {
            spec(&|| format!("/tasks/{i}/constraints/{k}"), c)?;
        }
        for (k, p) in t.preferences.iter().enumerate() {
            spec(&|| format!("/tasks/{i}/preferences/{k}"), &p.constraint)?;
        }
        at(&|| format!("/tasks/{i}/constraints"), LimitKind::ConstraintsPerTask, t.constraints.len())?;
        at(&|| format!("/tasks/{i}/preferences"), LimitKind::ConstraintsPerTask, t.preferences.len())?;
        for (j, v) in t.volumes.iter().enumerate() {
            at(&|| format!("/tasks/{i}/volumes/{j}/require"), LimitKind::ConstraintsPerTask, v.require.len())?;
        }
    }
    // Running tasks (thousands in a session, checked per batch): their three strings against
    // the bound at once, each one's own check only when one is over it.
    let max = limits.get(LimitKind::StringBytes);
    for (i, r) in request.running.iter().enumerate() {
        if r.id.len().max(r.group.len()).max(r.hostname.len()) <= max {
            continue;
        }
        for (field, v) in [("id", &r.id), ("group", &r.group), ("hostname", &r.hostname)] {
            text(&|| format!("/running/{i}/{field}"), v)?;
        }
    }
    Ok(())
}

/// [`check_counts`]: the tasks and running tasks, then the offers.
pub(super) fn check_counts(limits: &Limits, request: &PlaceRequest) -> Result<(), PlaceError> {
    check_task_counts(limits, request)?;
    // The sum of every scalar of every offer: at most the scalar bound, then so is every sum the
    // engine forms (an agent's offers are pooled); only above it is the exact check needed.
    // The ranges of every offer: at most the bound, then so is every agent's pooled resource;
    // only above it is each agent's pool counted.
    let mut sums = OfferSums::default();
    for (i, o) in request.offers.iter().enumerate() {
        counts_and_sums(limits, i, o, &mut sums)?;
    }
    // Each exact check only where its own sum crosses its bound: below it, no agent's pool can
    // (a pool is part of the whole), so the check could not fail. The scalars come first, as
    // when both ran on either sum.
    if sums.scalars > u128::from(SCALAR_MAX_MILLIS.unsigned_abs()) {
        check_agent_sums(request)?;
    }
    if sums.ranges > limits.get(LimitKind::RangesPerResource) {
        check_pooled_ranges(limits, request)?;
    }
    Ok(())
}

/// What [`check_counts`] sums over the offers: the scalars' magnitudes (thousandths) and the
/// ranges of every resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct OfferSums {
    pub(super) scalars: u128,
    pub(super) ranges: usize,
}

impl OfferSums {
    /// The sums of one offer.
    pub(super) fn of(o: &Offer) -> OfferSums {
        let mut sums = OfferSums::default();
        for r in o.resources.iter() {
            match &r.value {
                crate::model::ResourceValue::Scalar(s) => sums.scalars += u128::from(s.millis().unsigned_abs()),
                crate::model::ResourceValue::Ranges(x) => sums.ranges = sums.ranges.saturating_add(x.as_slice().len()),
                _ => {}
            }
        }
        sums
    }

    /// Adds `other`.
    pub(super) fn add(&mut self, other: &OfferSums) {
        self.scalars += other.scalars;
        self.ranges = self.ranges.saturating_add(other.ranges);
    }

    /// Takes `other` (added before) away.
    pub(super) fn sub(&mut self, other: &OfferSums) {
        self.scalars -= other.scalars;
        self.ranges = self.ranges.saturating_sub(other.ranges);
    }

    /// Whether the sums call for the exact per-agent checks.
    pub(super) fn over(&self, limits: &Limits) -> bool {
        self.scalars > u128::from(SCALAR_MAX_MILLIS.unsigned_abs())
            || self.ranges > limits.get(LimitKind::RangesPerResource)
    }
}

/// The count limits of offer `i` (`o`).
pub(super) fn check_offer_counts(limits: &Limits, i: usize, o: &Offer) -> Result<(), PlaceError> {
    if offer_within(limits, o) {
        return Ok(());
    }
    offer_counts_at(limits, i, o)
}

/// [`check_offer_counts`] of offer `i` (`o`), and its [`OfferSums`] added to `sums`, in one walk
/// of its resources (this runs once per offer of every call).
#[inline]
fn counts_and_sums(limits: &Limits, i: usize, o: &Offer, sums: &mut OfferSums) -> Result<(), PlaceError> {
    use crate::model::ResourceValue;
    let bytes = limits.get(LimitKind::StringBytes);
    let items = limits.get(LimitKind::ListItems);
    let ranges = limits.get(LimitKind::RangesPerResource);
    let mut own = OfferSums::default();
    // The lengths and counts ORed together: an OR is at least each of its terms, so one
    // comparison of it with the limit is a sound fast test (no compare per resource); when
    // it fails, `offer_counts_at` checks each count exactly (and finds none over if none is).
    let mut lens = o.id.len() | o.agent_id.len() | o.hostname.len();
    let mut widest = 0usize;
    for r in o.resources.iter() {
        lens |= r.name.len();
        match &r.value {
            ResourceValue::Scalar(s) => own.scalars += u128::from(s.millis().unsigned_abs()),
            ResourceValue::Ranges(x) => {
                let n = x.as_slice().len();
                widest |= n;
                own.ranges = own.ranges.saturating_add(n);
            }
            ResourceValue::Set(_) => {}
        }
    }
    let within = lens <= bytes
        && (o.resources.len() | o.attributes.len()) <= items
        && widest <= ranges
        && o.attributes.iter().all(|a| attribute_within(a, bytes, ranges));
    if !within {
        offer_counts_at(limits, i, o)?;
    }
    sums.add(&own);
    Ok(())
}

/// Whether offer `o` is within every count [`check_offer_counts`] checks: its fast path, one
/// comparison per count (this runs once per offer of every call), the paths formatted only
/// when some count is over.
#[inline]
fn offer_within(limits: &Limits, o: &Offer) -> bool {
    use crate::model::ResourceValue;
    let bytes = limits.get(LimitKind::StringBytes);
    let items = limits.get(LimitKind::ListItems);
    let ranges = limits.get(LimitKind::RangesPerResource);
    o.id.len() <= bytes
        && o.agent_id.len() <= bytes
        && o.hostname.len() <= bytes
        && o.resources.len() <= items
        && o.attributes.len() <= items
        && o.resources.iter().all(|r| {
            r.name.len() <= bytes
                && match &r.value {
                    ResourceValue::Ranges(x) => x.as_slice().len() <= ranges,
                    _ => true,
                }
        })
        && o.attributes.iter().all(|a| attribute_within(a, bytes, ranges))
}

/// Whether attribute `a` is within the string-bytes and ranges counts (the attributes' part of
/// [`offer_within`] and [`counts_and_sums`]).
#[inline]
fn attribute_within(a: &crate::model::Attribute, bytes: usize, ranges: usize) -> bool {
    use crate::model::Value;
    a.name.len() <= bytes
        && match &a.value {
            Value::Text(v) => v.len() <= bytes,
            Value::Ranges(x) => x.as_slice().len() <= ranges,
            _ => true,
        }
}

/// [`check_offer_counts`]' walk that names the first count over its limit.
#[cold]
#[inline(never)]
fn offer_counts_at(limits: &Limits, i: usize, o: &Offer) -> Result<(), PlaceError> {
    let at = |path: &dyn Fn() -> String, kind: LimitKind, n: usize| {
        limits.check(kind, n).map_err(|e| PlaceError::new(path(), e))
    };
    let text = |path: &dyn Fn() -> String, s: &str| at(path, LimitKind::StringBytes, s.len());
    for (field, v) in [("id", &o.id), ("agent_id", &o.agent_id), ("hostname", &o.hostname)] {
        text(&|| format!("/offers/{i}/{field}"), v)?;
    }
    at(&|| format!("/offers/{i}/resources"), LimitKind::ListItems, o.resources.len())?;
    at(&|| format!("/offers/{i}/attributes"), LimitKind::ListItems, o.attributes.len())?;
    for (j, a) in o.attributes.iter().enumerate() {
        text(&|| format!("/offers/{i}/attributes/{j}/name"), &a.name)?;
        if let crate::model::Value::Text(v) = &a.value {
            text(&|| format!("/offers/{i}/attributes/{j}/text/value"), v)?;
        }
    }
    for (j, r) in o.resources.iter().enumerate() {
        text(&|| format!("/offers/{i}/resources/{j}/name"), &r.name)?;
        if let crate::model::ResourceValue::Ranges(x) = &r.value {
            let n = x.as_slice().len();
            at(&|| format!("/offers/{i}/resources/{j}/ranges/range"), LimitKind::RangesPerResource, n)?;
        }
    }
    for (j, a) in o.attributes.iter().enumerate() {
        if let crate::model::Value::Ranges(x) = &a.value {
            at(
                &|| format!("/offers/{i}/attributes/{j}/ranges/range"),
                LimitKind::RangesPerResource,
                x.as_slice().len(),
            )?;
        }
    }
    Ok(())
}

/// Every agent's pooled ranges within `ranges_per_resource`: an agent's offers are pooled
/// into one resource per name (and role), and the engine works on that pool (issue 20: 40
/// offers of one agent × 10,000 single-port ranges each took 93 s and 6 GB). Counted by
/// name, whatever the role, over the ranges as offered (an upper bound of the coalesced
/// pool); refused at the offer whose ranges cross the bound.
fn check_pooled_ranges(limits: &Limits, request: &PlaceRequest) -> Result<(), PlaceError> {
    let max = limits.get(LimitKind::RangesPerResource);
    // An agent's ranges of every name together bound its ranges of each name: when no agent
    // holds more than `max` ranges in all (one hash per offer, not per resource: the ports
    // scenario's 5,000 agents of three port resources cost ≈7,000 instructions each the
    // exact way), no name's pool can cross the bound.
    let mut per_agent: FxMap<&str, usize> = FxMap::default();
    per_agent.reserve(request.offers.len());
    let mut crossed = false;
    for o in request.offers.iter() {
        let n = OfferSums::of(o).ranges;
        if n > 0 {
            let total = per_agent.entry(o.agent_id.as_str()).or_insert(0);
            *total = total.saturating_add(n);
            crossed |= *total > max;
        }
    }
    if !crossed {
        return Ok(());
    }
    // Hashed, not ordered: the map only sums, and the offers are walked in request order, so
    // the first offer that crosses the bound (the one reported) is the same either way.
    let mut pooled: FxMap<(&str, &str), usize> = FxMap::default();
    pooled.reserve(request.offers.len());
    for (i, o) in request.offers.iter().enumerate() {
        for (j, r) in o.resources.iter().enumerate() {
            if let crate::model::ResourceValue::Ranges(x) = &r.value {
                let n = pooled.entry((o.agent_id.as_str(), r.name.as_str())).or_insert(0);
                *n = n.saturating_add(x.as_slice().len());
                if *n > max {
                    let e = Error::limit(
                        LimitKind::RangesPerResource.code(),
                        format!(
                            "too many ranges in one resource: the offers of agent `{}` pool {} ranges of `{}`, the limit \
                             `ranges_per_resource` is {max}",
                            o.agent_id, *n, r.name
                        ),
                    );
                    return Err(PlaceError::new(format!("/offers/{i}/resources/{j}/ranges/range"), e));
                }
            }
        }
    }
    Ok(())
}

/// Running tasks need an id (they are Mesos tasks: `validateID`'s first rule).
pub(super) fn check_running(request: &PlaceRequest) -> Result<(), PlaceError> {
    match request.running.iter().position(|r| r.id.is_empty()) {
        Some(i) => Err(PlaceError::invalid(
            format!("/running/{i}/id"),
            "place.invalid_id",
            "expected the running task's Mesos task id, found an empty id",
        )),
        None => Ok(()),
    }
}

/// Every agent's pooled scalars within ±2^53/1000, the bound every parsed scalar meets (above
/// it a JSON number no longer holds the thousandths exactly): an agent's offers, and like
/// resources within one offer, are summed. Refused at the offer that crosses it.
pub(super) fn check_agent_sums(request: &PlaceRequest) -> Result<(), PlaceError> {
    let mut sums: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (i, o) in request.offers.iter().enumerate() {
        for r in o.resources.iter() {
            let Some(s) = r.scalar() else { continue };
            let sum = sums.entry((o.agent_id.as_str(), r.name.as_str())).or_insert(0);
            *sum = sum.saturating_add(s.millis().unsigned_abs());
            if *sum > SCALAR_MAX_MILLIS.unsigned_abs() {
                return Err(PlaceError::new(
                    format!("/offers/{i}/resources"),
                    Error::invalid(
                        "scalar.out_of_range",
                        format!(
                            "the agent `{}` offers more `{}` in all than a scalar holds exactly (at most 2^53/1000)",
                            o.agent_id, r.name
                        ),
                    )
                    .with_help("a scalar amount holds at most 9007199254740.992, summed over an agent's offers"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::compile::fixture::offer;
    use super::*;
    use crate::model::{Attribute, Range, Ranges, Resource, ResourceValue, Scalar, Value};

    /// `n` offers of agent `agent` (ids `{agent}-{k}`), each with `ranges` single-port ranges
    /// of each of `names`.
    fn offers(agent: &str, n: usize, names: &[&str], ranges: usize) -> Vec<Offer> {
        let list = (0..ranges).map(|p| format!("{}-{}", 2 * p + 1, 2 * p + 1)).collect::<Vec<_>>().join(",");
        let text = names.iter().map(|name| format!("{name}:[{list}]")).collect::<Vec<_>>().join(";");
        (0..n).map(|k| offer(&format!("{agent}-{k}"), agent, &text, "")).collect()
    }

    #[test]
    fn counts_whose_or_is_over_a_limit_but_each_within_pass() {
        // 5 | 3 = 7 bytes > 6, 1 | 2 = 3 ranges > 2, 3 | 4 = 7 items > 4: the fast test fails,
        // the exact walk passes every count (3 resources, 4 attributes).
        let limits = Limits { string_bytes: 6, ranges_per_resource: 2, list_items: 4, ..Limits::default() };
        let mut o = offer("abcde", "abc", "cpus:1; ports:[1-1]; other:[1-1,3-3]", "a:1;b:2;c:3;d:4");
        o.hostname = "h".into();
        let mut req = PlaceRequest { offers: vec![o.clone()], ..PlaceRequest::default() };
        assert_eq!(check_counts(&limits, &req), Ok(()));
        // Each count one over: refused at it, as before.
        req.offers[0].id = "abcdefg".into();
        assert_eq!(check_counts(&limits, &req).unwrap_err().path, "/offers/0/id");
        req.offers[0] = o.clone();
        req.offers[0].attributes.0.push(Attribute { name: "e".into(), value: Value::Text("5".into()) });
        assert_eq!(check_counts(&limits, &req).unwrap_err().path, "/offers/0/attributes");
        req.offers[0] = o;
        req.offers[0].resources = crate::parse_resources("other:[1-1,3-3,5-5]", "*").unwrap();
        assert_eq!(check_counts(&limits, &req).unwrap_err().path, "/offers/0/resources/0/ranges/range");
    }

    #[test]
    fn a_running_tasks_strings_meet_the_bound() {
        let limits = Limits { string_bytes: 8, ..Limits::default() };
        let running = |id: &str, group: &str, hostname: &str| RunningTask {
            id: id.into(),
            group: group.into(),
            hostname: hostname.into(),
            ..RunningTask::default()
        };
        let mut req = PlaceRequest {
            running: vec![running("r0", "g", "h"), running("12345678", "12345678", "12345678")],
            ..PlaceRequest::default()
        };
        assert_eq!(check_task_counts(&limits, &req), Ok(()));
        for (k, (field, path)) in
            [("id", "/running/1/id"), ("group", "/running/1/group"), ("hostname", "/running/1/hostname")]
                .into_iter()
                .enumerate()
        {
            let mut r = running("12345678", "12345678", "12345678");
            let long = "123456789".to_owned();
            match k {
                0 => r.id = long,
                1 => r.group = long,
                _ => r.hostname = long,
            }
            req.running[1] = r;
            let e = check_task_counts(&limits, &req).unwrap_err();
            assert_eq!((e.path.as_str(), e.error.code()), (path, "limit.string_bytes"), "{field}");
        }
        // The first string over the bound in field order is the one named.
        req.running[1] = running("r1", "123456789", "123456789");
        assert_eq!(check_task_counts(&limits, &req).unwrap_err().path, "/running/1/group");
    }

    #[test]
    fn ranges_over_the_bound_in_all_but_in_no_agents_pool_pass() {
        let limits = Limits { ranges_per_resource: 100, ..Limits::default() };
        // 30 agents × 3 ranges: 90 in all, under the bound.
        let mut req = PlaceRequest::default();
        for a in 0..30 {
            req.offers.extend(offers(&format!("a{a}"), 1, &["ports"], 3));
        }
        assert_eq!(check_counts(&limits, &req), Ok(()));
        // 60 agents: 180 in all, over it, but each agent's pool holds 3.
        for a in 30..60 {
            req.offers.extend(offers(&format!("a{a}"), 1, &["ports"], 3));
        }
        assert_eq!(check_counts(&limits, &req), Ok(()));
        // One agent of 60 ranges of each of two names: 120 in all, 60 per name, passes.
        req.offers.extend(offers("b", 2, &["ports", "other"], 30));
        assert_eq!(check_counts(&limits, &req), Ok(()));
    }

    #[test]
    fn an_agents_pool_over_the_bound_is_refused_at_the_offer_that_crosses_it() {
        let limits = Limits { ranges_per_resource: 100, ..Limits::default() };
        let mut req = PlaceRequest::default();
        req.offers.extend(offers("a", 1, &["other"], 90));
        // Agent `b`: 40 ranges of `ports` per offer, the third crosses 100.
        req.offers.extend(offers("b", 3, &["ports"], 40));
        let err = check_counts(&limits, &req).unwrap_err();
        assert_eq!(err.path, "/offers/3/resources/0/ranges/range");
        assert!(err.error.to_string().contains("the offers of agent `b` pool 120 ranges of `ports`"), "{err:?}");
    }

    /// The fast path of [`check_offer_counts`] passes exactly the offers the walk that names
    /// the culprit passes, at every count's limit and one above it.
    #[test]
    fn the_fast_offer_check_agrees_with_the_walk() {
        let limits = Limits { string_bytes: 4, list_items: 2, ranges_per_resource: 2, ..Limits::default() };
        let ranges = |n: u64| Ranges::from_ranges((0..n).map(|i| Range { begin: 2 * i, end: 2 * i }));
        let base = || {
            let mut o = Offer::new("o", "a", "h");
            o.resources.push(Resource::new("cpus", ResourceValue::Scalar(Scalar::from_units(1))));
            o
        };
        let mut cases: Vec<(Offer, bool)> = vec![(base(), true)];
        let mut with = |ok: bool, f: &dyn Fn(&mut Offer)| {
            let mut o = base();
            f(&mut o);
            cases.push((o, ok));
        };
        with(true, &|o| o.id = "oooo".into());
        with(false, &|o| o.id = "ooooo".into());
        with(false, &|o| o.agent_id = "aaaaa".into());
        with(false, &|o| o.hostname = "hhhhh".into());
        with(true, &|o| o.resources.push(Resource::new("mem", ResourceValue::Scalar(Scalar::from_units(1)))));
        with(false, &|o| {
            for n in ["mem", "disk"] {
                o.resources.push(Resource::new(n, ResourceValue::Scalar(Scalar::from_units(1))));
            }
        });
        with(true, &|o| o.resources.push(Resource::new("prt", ResourceValue::Ranges(ranges(2)))));
        with(false, &|o| o.resources.push(Resource::new("prt", ResourceValue::Ranges(ranges(3)))));
        let attr = |name: &str, value: Value| Attribute { name: name.into(), value };
        with(true, &|o| o.attributes.0.push(attr("rack", Value::Text("r1".into()))));
        with(false, &|o| o.attributes.0.push(attr("racks", Value::Text("r1".into()))));
        with(false, &|o| o.attributes.0.push(attr("rack", Value::Text("r1234".into()))));
        with(true, &|o| o.attributes.0.push(attr("r", Value::Ranges(ranges(2)))));
        with(false, &|o| o.attributes.0.push(attr("r", Value::Ranges(ranges(3)))));
        with(false, &|o| {
            for _ in 0..3 {
                o.attributes.0.push(attr("r", Value::Scalar(1.0)));
            }
        });
        for (i, (o, ok)) in cases.iter().enumerate() {
            assert_eq!(offer_within(&limits, o), *ok, "case {i}");
            assert_eq!(offer_counts_at(&limits, i, o).is_ok(), *ok, "case {i}");
            assert_eq!(check_offer_counts(&limits, i, o), offer_counts_at(&limits, i, o), "case {i}");
            // The one walk of `check_counts`: the same answer, the same sums.
            let mut sums = OfferSums { scalars: 7, ranges: 1 };
            assert_eq!(counts_and_sums(&limits, i, o, &mut sums), offer_counts_at(&limits, i, o), "case {i}");
            if *ok {
                let own = OfferSums::of(o);
                assert_eq!(sums, OfferSums { scalars: 7 + own.scalars, ranges: 1 + own.ranges }, "case {i}");
            }
        }
    }
}
