//! Laws of the value and resource model, checked with proptest:
//! - range add / subtract / contains / equal agree with a naive `BTreeSet<u64>` model;
//! - coalescing is idempotent and leaves sorted, non-touching ranges;
//! - resources: format then parse gives equal resources, and formatting is a fixed point, disks
//!   with sources (`disk[PATH:/mnt/path0]:20000`) included;
//! - resources arithmetic: `a + b` contains both, `(a + b) - b` lies between `a - b` and `a`
//!   (exactly `a` for scalars), subtract fails exactly
//!   when the right side is not contained, `allocatable_to` is a subset.

use std::collections::BTreeSet;

use proptest::prelude::*;

use offerfit::{
    parse_resources, DiskInfo, DiskSource, DiskSourceType, Range, Ranges, Reservation, Resource, ResourceValue,
    Resources, Scalar, Set,
};

const MAX: u64 = 48;

fn pairs() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((0..MAX, 0..6u64).prop_map(|(b, len)| (b, (b + len).min(MAX))), 0..6)
}

fn ranges(p: &[(u64, u64)]) -> Ranges {
    Ranges::from_pairs(p.iter().copied()).expect("begin <= end by construction")
}

fn model(p: &[(u64, u64)]) -> BTreeSet<u64> {
    p.iter().flat_map(|&(b, e)| b..=e).collect()
}

fn values(r: &Ranges) -> BTreeSet<u64> {
    r.iter().flat_map(|x| x.begin..=x.end).collect()
}

fn well_formed(r: &Ranges) -> bool {
    r.as_slice().windows(2).all(|w| w[0].end.saturating_add(1) < w[1].begin) && r.iter().all(|x| x.begin <= x.end)
}

proptest! {
    #[test]
    fn ranges_agree_with_a_set_model(a in pairs(), b in pairs()) {
        let (ra, rb) = (ranges(&a), ranges(&b));
        let (ma, mb) = (model(&a), model(&b));
        prop_assert_eq!(values(&ra), ma.clone());
        let sum = ra.add(&rb);
        prop_assert_eq!(values(&sum), ma.union(&mb).copied().collect::<BTreeSet<_>>());
        prop_assert!(well_formed(&sum));
        let diff = ra.subtract(&rb);
        prop_assert_eq!(values(&diff), ma.difference(&mb).copied().collect::<BTreeSet<_>>());
        prop_assert!(well_formed(&diff));
        prop_assert_eq!(ra.contains(&rb), mb.is_subset(&ma));
        prop_assert_eq!(ra == rb, ma == mb);
        prop_assert_eq!(ra.value_count(), ma.len() as u64);
        for v in 0..=MAX {
            prop_assert_eq!(ra.contains_value(v), ma.contains(&v));
        }
    }

    #[test]
    fn coalescing_is_idempotent(a in pairs()) {
        let r = ranges(&a);
        prop_assert!(well_formed(&r));
        let again = Ranges::from_ranges(r.iter().copied());
        prop_assert_eq!(again.as_slice(), r.as_slice());
        let doubled = Ranges::from_ranges(r.iter().copied().chain(r.iter().copied()));
        prop_assert_eq!(doubled.as_slice(), r.as_slice());
        let twice = r.add(&r);
        prop_assert_eq!(twice.as_slice(), r.as_slice());
        prop_assert!(r.subtract(&r).is_empty());
        // The printed form parses back to the same ranges.
        let parsed = offerfit::parse_value(&r.to_string());
        if let Ok(offerfit::Value::Ranges(p)) = parsed {
            prop_assert_eq!(p.as_slice(), r.as_slice());
        } else {
            prop_assert!(false, "`{}` did not parse back as ranges", r);
        }
    }
}

/// Names with a fixed type each, so that generated resources never mix types.
const NAMES: &[(&str, u8)] =
    &[("cpus", 0), ("mem", 0), ("gpus", 0), ("ports", 1), ("ephemeral_ports", 1), ("disks", 2)];
const ROLES: &[&str] = &["*", "web", "eng/backend", "eng"];
const ITEMS: &[&str] = &["sda1", "sda2", "nvme0", "x_y", "a.b"];

fn resource() -> impl Strategy<Value = Resource> {
    (0..NAMES.len(), 0..ROLES.len(), 0..20_000_000i64, pairs(), prop::collection::btree_set(0..ITEMS.len(), 0..4))
        .prop_map(|(n, role, millis, p, items)| {
            let (name, kind) = NAMES[n];
            let value = match kind {
                0 => ResourceValue::Scalar(Scalar::from_millis(millis)),
                1 => ResourceValue::Ranges(ranges(&p)),
                _ => ResourceValue::Set(Set::from_items(items.iter().map(|&i| ITEMS[i]))),
            };
            let mut r = Resource::new(name, value);
            if ROLES[role] != "*" {
                r.reservations.push(Reservation::static_for(ROLES[role]));
            }
            r
        })
}

fn resources() -> impl Strategy<Value = Resources> {
    prop::collection::vec(resource(), 0..8)
        .prop_map(|list| Resources::from_resources(list).expect("generated resources are valid"))
}

proptest! {
    #[test]
    fn resources_format_then_parse_round_trips(r in resources()) {
        let text = r.to_string();
        let parsed = parse_resources(&text, "*");
        prop_assert!(parsed.is_ok(), "`{}` did not parse: {:?}", text, parsed.err());
        let parsed = parsed.unwrap_or_default();
        prop_assert_eq!(&parsed, &r);
        prop_assert_eq!(parsed.as_slice(), r.as_slice());
        prop_assert_eq!(parsed.to_string(), text);
        // And through the Mesos JSON form.
        let json = offerfit::host::mesos::resources_to_json(&r);
        let back = offerfit::host::mesos::resources_from_json(&json, "");
        prop_assert!(back.is_ok());
        let back = back.unwrap_or_default();
        prop_assert_eq!(back.as_slice(), r.as_slice());
    }

    #[test]
    fn resources_arithmetic_laws(a in resources(), b in resources(), role in 0..ROLES.len()) {
        let sum = a.add(&b);
        prop_assert!(sum.contains(&a) && sum.contains(&b));
        let back = sum.subtract(&b);
        prop_assert!(back.is_ok());
        let back = back.unwrap_or_default();
        // Ranges and sets union (adding what is there already changes nothing), so taking
        // `b` back out leaves `a` minus `b` at least and `a` at most; scalars come back exactly.
        prop_assert!(a.contains(&back) && back.contains(&a.saturating_sub(&b)));
        let scalars = |r: &Resources| r.filter(|x| x.scalar().is_some());
        prop_assert_eq!(scalars(&back), scalars(&a));
        prop_assert_eq!(a.subtract(&b).is_ok(), a.contains(&b));
        prop_assert_eq!(a.add(&b), b.add(&a));
        prop_assert!(a.contains(&Resources::new()) && a.contains(&a));
        let mine = a.allocatable_to(ROLES[role]);
        prop_assert!(a.contains(&mine));
        let allowed = |r: &Resource| {
            r.is_unreserved() || ROLES[role] == r.role() || ROLES[role].starts_with(&format!("{}/", r.role()))
        };
        prop_assert!(mine.iter().all(allowed));
        for r in &a {
            prop_assert!(!r.value.is_empty(), "an empty resource survived: {}", r);
        }
        let names: Vec<(&str, offerfit::ValueType)> = sum.iter().map(|r| (r.name.as_str(), r.value_type())).collect();
        for (i, (n, t)) in names.iter().enumerate() {
            for (m, u) in &names[..i] {
                prop_assert!(n != m || t == u);
            }
        }
        let scalar: Scalar = a.iter().filter(|r| r.name == "cpus").filter_map(Resource::scalar).sum();
        prop_assert_eq!(a.scalar("cpus"), scalar);
    }
}

#[test]
fn mount_disks_are_taken_whole() {
    let disk = |size: i64, root: &str| {
        let json = serde_json::json!([{"name": "disk", "type": "SCALAR", "scalar": {"value": size},
            "disk": {"source": {"type": "MOUNT", "mount": {"root": root}}}}]);
        offerfit::host::mesos::resources_from_json(&json, "").expect("valid disk")
    };
    let offered = disk(1000, "/mnt/a").add(&disk(1000, "/mnt/b"));
    assert_eq!(offered.len(), 2, "two identical-size MOUNT disks stay two");
    assert!(!offered.contains(&disk(500, "/mnt/a")), "part of a MOUNT disk is not contained");
    assert_eq!(offered.subtract(&disk(500, "/mnt/a")).unwrap_err().code(), "resources.not_contained");
    let left = offered.subtract(&disk(1000, "/mnt/a")).expect("a whole disk");
    assert_eq!(left, disk(1000, "/mnt/b"));
    let twice = disk(1000, "/mnt/a").add(&disk(1000, "/mnt/a"));
    assert_eq!(twice.len(), 2, "MOUNT disks are never merged");
    assert!(!disk(1000, "/mnt/a").contains(&twice), "one MOUNT disk cannot be taken twice");
    let path = |size: i64| {
        let json = serde_json::json!([{"name": "disk", "type": "SCALAR", "scalar": {"value": size},
            "disk": {"source": {"type": "PATH", "path": {"root": "/p"}}}}]);
        offerfit::host::mesos::resources_from_json(&json, "").expect("valid disk")
    };
    assert_eq!(path(1000).subtract(&path(400)).unwrap(), path(600), "PATH disks divide");
    assert!(!path(1000).contains(&parse_resources("disk:1", "*").unwrap()), "a PATH disk is not the ROOT disk");
}

#[test]
fn shared_volumes_count_copies() {
    let vol = serde_json::json!([{"name": "disk", "type": "SCALAR", "scalar": {"value": 64},
        "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "p"}],
        "disk": {"persistence": {"id": "v1"}, "volume": {"container_path": "data", "mode": "RW"}}, "shared": {}}]);
    let one = offerfit::host::mesos::resources_from_json(&vol, "").unwrap();
    let two = one.add(&one);
    assert_eq!(two.len(), 2);
    assert!(two.contains(&one) && !one.contains(&two));
    assert_eq!(two.subtract(&one).unwrap(), one);
    assert!(two.subtract(&one).unwrap().subtract(&one).unwrap().is_empty());
}

#[test]
fn roles_are_hierarchical() {
    let r = parse_resources(
        "cpus:1;mem:2;disk:4;cpus(a):2;mem(a):4;disk(a):8;cpus(a/bx):4;mem(a/bx):8;disk(a/bx):16;\
         cpus(a/b):4;mem(a/b):8;disk(a/b):16;cpus(a/bx/c):8;mem(a/bx/c):16;disk(a/bx/c):32",
        "*",
    )
    .unwrap();
    let text = |role: &str| r.allocatable_to(role).to_string();
    assert_eq!(text("*"), "cpus:1; mem:2; disk:4");
    assert_eq!(text("a"), "cpus:1; mem:2; disk:4; cpus(a):2; mem(a):4; disk(a):8");
    assert_eq!(
        text("a/b"),
        "cpus:1; mem:2; disk:4; cpus(a):2; mem(a):4; disk(a):8; cpus(a/b):4; mem(a/b):8; disk(a/b):16"
    );
    assert_eq!(text("a/bx/c").matches("a/b)").count(), 0, "a/b is not an ancestor of a/bx/c");
    assert_eq!(r.allocatable_to("a/bx/c").scalar("cpus"), Scalar::from_units(1 + 2 + 4 + 8));
    assert_eq!(r.ranges("ports"), Ranges::new());
    let _ = Range { begin: 0, end: 0 };
}

fn many_resources() -> impl Strategy<Value = Vec<Resource>> {
    // 30 names, so that lists beyond the linear-scan size take the indexed paths.
    let one = (0..30usize, 0..ROLES.len(), 0..5_000i64, pairs()).prop_map(|(n, role, millis, p)| {
        let value = if n % 3 == 0 {
            ResourceValue::Ranges(ranges(&p))
        } else {
            ResourceValue::Scalar(Scalar::from_millis(millis))
        };
        let mut r = Resource::new(format!("res{n}"), value);
        if ROLES[role] != "*" {
            r.reservations.push(Reservation::static_for(ROLES[role]));
        }
        r
    });
    prop::collection::vec(one, 0..60)
}

/// The obvious quadratic merge, as a reference for the indexed one.
fn naive(list: &[Resource]) -> Vec<Resource> {
    let mut out: Vec<Resource> = Vec::new();
    for r in list {
        if r.value.is_empty() {
            continue;
        }
        match out.iter_mut().find(|e| e.is_like(r)) {
            Some(e) => {
                e.value = match (&e.value, &r.value) {
                    (ResourceValue::Scalar(a), ResourceValue::Scalar(b)) => ResourceValue::Scalar(*a + *b),
                    (ResourceValue::Ranges(a), ResourceValue::Ranges(b)) => ResourceValue::Ranges(a.add(b)),
                    (other, _) => other.clone(),
                }
            }
            None => out.push(r.clone()),
        }
    }
    out
}

proptest! {
    #[test]
    fn indexed_paths_agree_with_naive_ones(a in many_resources(), b in many_resources()) {
        let ra = Resources::from_resources(a.clone()).expect("valid");
        let rb: Resources = b.iter().cloned().collect();
        let na = naive(&a);
        prop_assert_eq!(ra.as_slice(), na.as_slice());
        let both: Vec<Resource> = a.iter().chain(b.iter()).cloned().collect();
        let sum = ra.add(&rb);
        let nb = naive(&both);
        prop_assert_eq!(sum.as_slice(), nb.as_slice());
        let contains = rb.iter().all(|r| ra.iter().any(|e| e.contains(r)));
        prop_assert_eq!(ra.contains(&rb), contains);
        prop_assert!(sum.contains(&ra) && sum.contains(&rb));
        let back = sum.subtract(&rb).expect("the sum holds b");
        prop_assert!(ra.contains(&back) && back.contains(&ra.saturating_sub(&rb)));
        // The saturating difference removes exactly what the naive walk removes.
        let mut expect: Vec<Resource> = ra.as_slice().to_vec();
        for r in rb.iter() {
            if let Some(i) = expect.iter().position(|e| e.is_like(r)) {
                let e = &mut expect[i];
                e.value = match (&e.value, &r.value) {
                    (ResourceValue::Scalar(x), ResourceValue::Scalar(y)) => {
                        ResourceValue::Scalar(x.checked_sub_nonneg(*y).unwrap_or_default())
                    }
                    (ResourceValue::Ranges(x), ResourceValue::Ranges(y)) => ResourceValue::Ranges(x.subtract(y)),
                    (other, _) => other.clone(),
                };
                if e.value.is_empty() {
                    expect.remove(i);
                }
            }
        }
        let diff = ra.saturating_sub(&rb);
        prop_assert_eq!(diff.as_slice(), expect.as_slice());
    }
}

/// Disk roots as agents name them, with `:` and spaces inside (a root holds no `;` or `]`:
/// the text form cannot carry those, only the JSON form can).
const ROOTS: &[&str] = &["/mnt/path0", "/mnt/flocker/ds-7f1c", "/mnt/a:b", "/srv/data disk", "C:/d"];

/// A disk an agent may be given on its command line: ROOT, PATH or MOUNT (with or without a
/// root), BLOCK or RAW, unreserved or statically reserved.
fn agent_disk() -> impl Strategy<Value = Resource> {
    (0..5usize, prop::option::of(0..ROOTS.len()), 0..ROLES.len(), 1..10_000_000i64).prop_map(
        |(kind, root, role, millis)| {
            let mut r = Resource::new("disk", ResourceValue::Scalar(Scalar::from_millis(millis)));
            let kind = [
                DiskSourceType::Root,
                DiskSourceType::Path,
                DiskSourceType::Mount,
                DiskSourceType::Block,
                DiskSourceType::Raw,
            ][kind];
            if kind != DiskSourceType::Root {
                let root = match kind {
                    DiskSourceType::Path | DiskSourceType::Mount => root.map(|i| ROOTS[i].to_owned()),
                    _ => None,
                };
                let source = DiskSource { kind, root, profile: None, vendor: None, id: None, metadata: Vec::new() };
                r.disk = Some(Box::new(DiskInfo { source: Some(source), ..DiskInfo::default() }));
            }
            if ROLES[role] != "*" {
                r.reservations.push(Reservation::static_for(ROLES[role]));
            }
            r
        },
    )
}

proptest! {
    /// What offerfit prints for any resources an agent may be given parses back to the same
    /// resources, disks with sources included (`disk[PATH:/mnt/path0]:20000`, as Mesos prints
    /// them), through the text form and through the agent JSON form.
    #[test]
    fn agent_resources_with_disks_print_then_parse_back(
        list in prop::collection::vec(prop_oneof![resource(), agent_disk()], 0..8)
    ) {
        let r = Resources::from_resources(list).expect("generated resources are valid");
        let text = r.to_string();
        let parsed = parse_resources(&text, "*");
        prop_assert!(parsed.is_ok(), "`{}` did not parse: {:?}", text, parsed.err());
        let parsed = parsed.unwrap_or_default();
        prop_assert_eq!(parsed.as_slice(), r.as_slice(), "text `{}`", text);
        prop_assert_eq!(parsed.to_string(), text.clone());
        let json = offerfit::host::mesos::resources_to_json(&r).to_string();
        let from_json = parse_resources(&json, "*");
        prop_assert!(from_json.is_ok(), "{} did not parse: {:?}", json, from_json.err());
        prop_assert_eq!(from_json.unwrap_or_default().to_string(), text);
    }
}

#[test]
fn disk_sources_as_mesos_prints_them() {
    let r = parse_resources("disk[PATH:/mnt/path0]:20000; disk(web)[MOUNT:/mnt/a:b]:5; disk[RAW]:1", "*").unwrap();
    assert_eq!(r.to_string(), "disk[PATH:/mnt/path0]:20000; disk(web)[MOUNT:/mnt/a:b]:5; disk[RAW]:1");
    let sources: Vec<_> =
        r.iter().map(|d| d.disk.as_ref().and_then(|d| d.source.as_ref()).map(|s| (s.kind, s.root.clone()))).collect();
    assert_eq!(
        sources,
        [
            Some((DiskSourceType::Path, Some("/mnt/path0".to_owned()))),
            Some((DiskSourceType::Mount, Some("/mnt/a:b".to_owned()))),
            Some((DiskSourceType::Raw, None))
        ]
    );
    // A bracket that holds no source is part of the name, as Mesos reads it.
    assert_eq!(parse_resources("gpus[x]:1", "*").unwrap().to_string(), "gpus[x]:1");
    // Only disks have sources; revocable and shared resources are not for agent flags.
    assert_eq!(parse_resources("cpus[BLOCK]:2", "*").unwrap_err().code(), "resources.disk");
    let e = parse_resources("disk[PATH:/a]{REV}:3", "*").unwrap_err();
    assert_eq!(
        e.as_parse().unwrap().render(),
        "disk[PATH:/a]{REV}:3\n             ^^^^^ expected `:` and a value after the disk source, found `{REV}`"
    );
}

/// A reservation stack: a first reservation (static or dynamic, with or without a principal
/// and labels), then refinements (dynamic, each a child role of the one before).
fn stack() -> impl Strategy<Value = Vec<Reservation>> {
    (0..3usize, any::<bool>(), prop::option::of("[a-z]{1,4}"), any::<bool>()).prop_map(
        |(depth, first_static, principal, labels)| {
            let mut roles = vec!["eng".to_owned()];
            for i in 0..depth {
                let child = format!("{}/c{i}", roles.last().map_or("eng", String::as_str));
                roles.push(child);
            }
            roles
                .into_iter()
                .enumerate()
                .map(|(i, role)| {
                    let dynamic = i > 0 || !first_static;
                    let mut r = Reservation::static_for(role);
                    if dynamic {
                        r.kind = offerfit::ReservationType::Dynamic;
                        r.principal = principal.clone();
                        if labels {
                            r.labels = vec![offerfit::Label { key: "k".into(), value: Some("v".into()) }];
                        }
                    }
                    r
                })
                .collect()
        },
    )
}

proptest! {
    /// Issue 20: printed text never parses back as other resources. One STATIC reservation
    /// prints `cpus(eng):2` and round-trips; any other stack prints as Mesos does
    /// (`cpus(reservations: [(DYNAMIC,eng)]):2`) and the text parser refuses it (an agent's
    /// flag cannot carry it); it never reads `eng,` as a STATIC role, as the old
    /// `cpus(eng, ):2` did.
    #[test]
    fn reservations_print_as_mesos_and_never_parse_back_as_others(
        reservations in stack(), millis in 1..20_000_000i64,
    ) {
        let mut r = Resource::new("cpus", ResourceValue::Scalar(Scalar::from_millis(millis)));
        r.reservations = reservations.into_iter().collect();
        let text = r.to_string();
        match parse_resources(&text, "*") {
            Ok(parsed) => {
                prop_assert_eq!(parsed.as_slice(), std::slice::from_ref(&r), "`{}`", text);
                prop_assert!(!text.contains("reservations:"));
            }
            Err(e) => {
                prop_assert!(text.starts_with("cpus(reservations: [("), "`{}`", text);
                prop_assert_eq!(e.code(), "resources.syntax");
                prop_assert!(e.message().contains("reservation stack"), "{}", e.message());
            }
        }
        // The Mesos JSON form carries every stack exactly.
        let all = Resources::from_resources(vec![r.clone()]).expect("valid");
        let json = offerfit::host::mesos::resources_to_json(&all);
        let back = offerfit::host::mesos::resources_from_json(&json, "");
        prop_assert!(back.is_ok());
        let back = back.unwrap_or_default();
        prop_assert_eq!(back.as_slice(), all.as_slice());
    }
}

#[test]
fn a_dynamic_reservation_without_principal_prints_as_mesos_does() {
    let mut r = Resource::new("cpus", ResourceValue::Scalar(Scalar::from_units(2)));
    let mut dynamic = Reservation::static_for("r1");
    dynamic.kind = offerfit::ReservationType::Dynamic;
    r.reservations.push(dynamic.clone());
    assert_eq!(r.to_string(), "cpus(reservations: [(DYNAMIC,r1)]):2");
    dynamic.principal = Some("ops".into());
    r.reservations[0] = dynamic.clone();
    assert_eq!(r.to_string(), "cpus(reservations: [(DYNAMIC,r1,ops)]):2");
    let mut refined = Reservation::static_for("r1/web");
    refined.kind = offerfit::ReservationType::Dynamic;
    refined.labels = vec![offerfit::Label { key: "a".into(), value: None }];
    r.reservations = vec![Reservation::static_for("r1"), refined].into_iter().collect();
    assert_eq!(r.to_string(), "cpus(reservations: [(STATIC,r1),(DYNAMIC,r1/web,{a})]):2");
    let e = parse_resources("mem:1;cpus(reservations: [(DYNAMIC,r1)]):2", "*").unwrap_err();
    assert_eq!(e.code(), "resources.syntax");
    assert_eq!(e.as_parse().map(|p| (p.span.start, p.span.end)), Some((11, 40)));
    // One static reservation keeps the agent's form.
    r.reservations = vec![Reservation::static_for("r1")].into_iter().collect();
    assert_eq!(r.to_string(), "cpus(r1):2");
}
