//! Laws of `place` over random offers and tasks (proptest), and a Fenzo-sized request.
//!
//! Invariants checked on every plan: every offer answered exactly once; every task placed
//! once or unplaced; what an agent's tasks take (plus executors), summed, is contained in
//! its offers, with no port handed out twice; ports are returned in request order and honour
//! fixed requests; the same request gives the same plan (and byte-identical JSON); and under
//! `first_fit`, more resources on an offer never unplaces a task.

use std::collections::{BTreeMap, BTreeSet};

use offerfit::{
    Engine, Offer, Options, PlaceRequest, Plan, Profile, Range, Ranges, Reservation, Resource, ResourceValue,
    Resources, Scalar, Strategy, TaskRequest,
};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;

fn scalar_res(name: &str, millis: i64, role: Option<&str>) -> Resource {
    let mut r = Resource::new(name, ResourceValue::Scalar(Scalar::from_millis(millis)));
    if let Some(role) = role {
        r.reservations.push(Reservation::static_for(role));
    }
    r
}

fn ports_res(ranges: &[(u64, u64)], role: Option<&str>) -> Resource {
    let mut r = Resource::new("ports", ResourceValue::Ranges(Ranges::from_pairs(ranges.iter().copied()).unwrap()));
    if let Some(role) = role {
        r.reservations.push(Reservation::static_for(role));
    }
    r
}

/// A Fenzo-style cluster: `agents` agents of 8 cpus, 32 GB and ports 31000-32000.
fn fenzo(agents: usize, tasks: usize) -> PlaceRequest {
    let offers = (0..agents)
        .map(|i| {
            let mut o = Offer::new(format!("O{i}"), format!("S{i}"), format!("host-{i}"));
            let mut r = Resources::new();
            r.push(scalar_res("cpus", 8000, None));
            r.push(scalar_res("mem", 32_768_000, None));
            r.push(ports_res(&[(31000, 32000)], None));
            o.resources = r;
            o
        })
        .collect();
    let tasks = (0..tasks)
        .map(|i| {
            let mut t = TaskRequest::new(format!("t{i}"));
            t.cpus = Scalar::from_units(1);
            t.mem = Scalar::from_units(1024);
            t.ports = vec![0];
            t
        })
        .collect();
    PlaceRequest { offers, tasks, running: vec![] }
}

#[test]
fn fenzo_sized_request_is_answered() {
    let req = fenzo(10_000, 200);
    let engine = Engine::new(Options::default()).unwrap();
    let mut best = std::time::Duration::MAX;
    let mut plan = None;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        let p = engine.place(&req).unwrap();
        best = best.min(start.elapsed());
        plan = Some(p);
    }
    let plan = plan.unwrap();
    // No timing assertion (CI machines are noisy); the number is printed for humans.
    eprintln!("fenzo 10000 x 200: best of 5 {best:?}, {} evaluations", plan.stats.evaluations);
    assert_eq!(plan.stats.placed, 200);
    // Binpack fills agents: 8 tasks of 1 cpu per 8-cpu agent.
    assert_eq!(plan.accept.len(), 25);
    assert_eq!(plan.decline.len(), 10_000 - 25);
    assert!(plan.unplaced.is_empty());
    // Identical agents are evaluated once per class, not once per agent.
    assert!(plan.stats.evaluations < 10_000, "{} evaluations", plan.stats.evaluations);
    check_invariants(&req, &plan);
}

#[test]
fn kube_sized_request_is_answered() {
    // Kubernetes' SchedulingBasic shape: 10,000 tasks onto 5,000 agents in one call.
    let mut req = fenzo(5_000, 10_000);
    for t in &mut req.tasks {
        t.ports.clear();
    }
    let engine = Engine::new(Options::default()).unwrap();
    let start = std::time::Instant::now();
    let plan = engine.place(&req).unwrap();
    eprintln!("kube 5000 x 10000: {:?}, {} evaluations", start.elapsed(), plan.stats.evaluations);
    assert_eq!(plan.stats.placed, 10_000);
    assert_eq!(plan.accept.len(), 1_250);
    assert_eq!(plan.decline.len(), 5_000 - 1_250);
}

#[test]
fn spread_uses_distinct_agents() {
    let req = fenzo(500, 200);
    let engine = Engine::new(Options { strategy: Strategy::Spread, ..Options::default() }).unwrap();
    let plan = engine.place(&req).unwrap();
    assert_eq!(plan.stats.placed, 200);
    assert_eq!(plan.accept.len(), 200);
    check_invariants(&req, &plan);
}

/// Checks the contract's invariants of `plan` for `req`.
fn check_invariants(req: &PlaceRequest, plan: &Plan) {
    // Every offer exactly once.
    let mut seen = BTreeMap::new();
    for a in &plan.accept {
        for o in &a.offer_ids {
            *seen.entry(o.to_string()).or_insert(0) += 1;
        }
    }
    for d in &plan.decline {
        *seen.entry(d.offer_id.to_string()).or_insert(0) += 1;
    }
    for o in &req.offers {
        assert_eq!(seen.remove(&o.id), Some(1), "offer {} answered once", o.id);
    }
    assert!(seen.is_empty(), "unknown offers answered: {seen:?}");
    // Every task exactly once.
    let mut tasks = BTreeMap::new();
    for a in &plan.accept {
        for t in &a.tasks {
            *tasks.entry(t.task_id.to_string()).or_insert(0) += 1;
        }
    }
    for u in &plan.unplaced {
        *tasks.entry(u.task_id.to_string()).or_insert(0) += 1;
        // Every unplaced task says why (these plans are made with `explain` on).
        assert!(!u.reasons.is_empty(), "task {} unplaced without a reason", u.task_id);
    }
    for t in &req.tasks {
        assert_eq!(tasks.remove(&t.id), Some(1), "task {} once", t.id);
    }
    assert!(tasks.is_empty());
    assert_eq!(plan.stats.placed, plan.accept.iter().map(|a| a.tasks.len()).sum::<usize>());
    // Nothing over-allocated, no port twice; ports in request order.
    for a in &plan.accept {
        let mut offered = Resources::new();
        for id in &a.offer_ids {
            let o = req.offers.iter().find(|o| o.id == *id).unwrap();
            assert_eq!(o.agent_id, a.agent_id, "one agent per accept");
            for r in o.resources.iter() {
                offered.push(r.clone());
            }
        }
        let mut taken = Resources::new();
        let mut ports = BTreeSet::new();
        for l in &a.tasks {
            let task = req.tasks.iter().find(|t| t.id == l.task_id).unwrap();
            assert_eq!(l.ports.len(), task.ports.len(), "one host port per requested port");
            for (want, got) in task.ports.iter().zip(&l.ports) {
                if *want != 0 {
                    assert_eq!(want, got, "fixed port honoured");
                }
                assert!(ports.insert(*got), "port {got} handed out twice on {}", a.agent_id);
            }
            let mut in_resources = BTreeSet::new();
            for r in l.resources.iter().chain(l.executor_resources.iter().flat_map(|e| e.iter())) {
                if let Some(rg) = r.ranges() {
                    for x in rg.iter() {
                        for p in x.begin..=x.end {
                            in_resources.insert(p);
                        }
                    }
                }
                taken.push(r.clone());
            }
            assert_eq!(in_resources, l.ports.iter().copied().collect(), "ports resources are the chosen ports");
        }
        assert!(offered.contains(&taken), "agent {} over-allocated: {taken} not in {offered}", a.agent_id);
        let mut left = taken.clone();
        for r in a.remaining.iter() {
            left.push(r.clone());
        }
        assert!(offered.contains(&left) && left.contains(&offered), "taken + remaining = offered on {}", a.agent_id);
    }
}

#[derive(Debug, Clone)]
struct AgentSpec {
    cpus: i64,
    mem: i64,
    gpus: i64,
    ports: Vec<(u64, u64)>,
    reserved_cpus: i64,
    offers: usize,
    rack: u8,
}

#[derive(Debug, Clone)]
struct TaskSpec {
    cpus: i64,
    mem: i64,
    gpus: i64,
    ports: Vec<u64>,
    role: bool,
    unique_host: bool,
    rack_like: Option<u8>,
    gang: Option<u8>,
    elastic: bool,
}

fn agent_spec() -> impl proptest::strategy::Strategy<Value = AgentSpec> {
    (
        1i64..8,
        1i64..8,
        prop_oneof![4 => Just(0i64), 1 => 1i64..3],
        prop::collection::vec((0u64..40, 0u64..6), 0..3),
        prop_oneof![3 => Just(0i64), 1 => 1i64..4],
        1usize..3,
        0u8..3,
    )
        .prop_map(|(cpus, mem, gpus, ranges, reserved_cpus, offers, rack)| AgentSpec {
            cpus,
            mem,
            gpus,
            ports: ranges.into_iter().map(|(b, len)| (31000 + b, 31000 + b + len)).collect(),
            reserved_cpus,
            offers,
            rack,
        })
}

fn task_spec() -> impl proptest::strategy::Strategy<Value = TaskSpec> {
    (
        0i64..5,
        0i64..5,
        prop_oneof![5 => Just(0i64), 1 => Just(1i64)],
        prop::collection::vec(prop_oneof![3 => Just(0u64), 1 => 31000u64..31045], 0..3),
        any::<bool>(),
        prop_oneof![3 => Just(false), 1 => Just(true)],
        prop_oneof![3 => Just(None), 1 => (0u8..3).prop_map(Some)],
        prop_oneof![4 => Just(None), 1 => (0u8..2).prop_map(Some)],
        prop_oneof![4 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(cpus, mem, gpus, ports, role, unique_host, rack_like, gang, elastic)| TaskSpec {
            cpus,
            mem,
            gpus,
            ports,
            role,
            unique_host,
            rack_like,
            gang,
            elastic,
        })
}

fn build(agents: &[AgentSpec], tasks: &[TaskSpec]) -> PlaceRequest {
    let mut offers = Vec::new();
    for (i, a) in agents.iter().enumerate() {
        for k in 0..a.offers {
            let mut o = Offer::new(format!("O{i}-{k}"), format!("S{i}"), format!("host-{i}"));
            let mut r = Resources::new();
            // The agent's resources are split over its offers: the first offer holds the
            // unreserved part, the second (if any) the reserved cpus and the ports.
            if k == 0 {
                r.push(scalar_res("cpus", a.cpus * 500, None));
                r.push(scalar_res("mem", a.mem * 256_000, None));
                if a.gpus > 0 {
                    r.push(scalar_res("gpus", a.gpus * 1000, None));
                }
            }
            if k + 1 == a.offers {
                if a.reserved_cpus > 0 {
                    r.push(scalar_res("cpus", a.reserved_cpus * 500, Some("web")));
                }
                if !a.ports.is_empty() {
                    r.push(ports_res(&a.ports, None));
                }
            }
            o.resources = r;
            o.attributes = offerfit::parse_attributes(&format!("rack:r{}", a.rack)).unwrap();
            offers.push(o);
        }
    }
    let tasks = tasks
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut t = TaskRequest::new(format!("t{i}"));
            // A Mesos task asks for some resource (validation.cpp: "Task uses no resources").
            let none = s.cpus == 0 && s.mem == 0 && s.gpus == 0 && s.ports.is_empty();
            t.cpus = Scalar::from_millis(if none { 500 } else { s.cpus * 500 });
            t.mem = Scalar::from_millis(s.mem * 256_000);
            t.gpus = Scalar::from_units(s.gpus);
            t.ports = s.ports.clone();
            if s.role {
                t.role = Some("web".into());
            }
            t.group = Some(format!("g{}", i % 3));
            if s.unique_host {
                t.constraints.push(offerfit::ConstraintSpec::text("hostname UNIQUE"));
            }
            if let Some(r) = s.rack_like {
                t.constraints.push(offerfit::ConstraintSpec::text(format!("rack LIKE r{r}")));
            }
            t.gang = s.gang.map(|g| format!("gang{g}"));
            if s.elastic {
                t.elastic_cpus = Some(Scalar::from_millis(s.cpus * 500 + 1000));
            }
            t
        })
        .collect();
    PlaceRequest { offers, tasks, running: vec![] }
}

fn strategy_of(k: u8) -> Strategy {
    match k % 4 {
        0 => Strategy::Binpack,
        1 => Strategy::Spread,
        2 => Strategy::FirstFit,
        _ => Strategy::Weighted { binpack: 1.0, spread: 0.5 },
    }
}

// 8,000 + 1,500 + 1,000 cases: more than 10,000 random requests per run, on small inputs so
// the whole file stays within about a minute in a debug build.
proptest! {
    #![proptest_config(ProptestConfig { cases: 8000, ..ProptestConfig::default() })]

    #[test]
    fn plans_keep_the_invariants(
        agents in prop::collection::vec(agent_spec(), 0..6),
        tasks in prop::collection::vec(task_spec(), 0..8),
        strategy in 0u8..4,
        random_ports in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let req = build(&agents, &tasks);
        let options = Options {
            strategy: strategy_of(strategy),
            roles: vec!["web".into()],
            port_selection: Some(if random_ports { offerfit::PortSelection::Random } else { offerfit::PortSelection::Lowest }),
            seed,
            ..Options::default()
        };
        let engine = Engine::new(options).unwrap();
        let plan = engine.place(&req).unwrap();
        check_invariants(&req, &plan);
        // Gangs: all members placed or none.
        for g in 0..2u8 {
            let members: Vec<&str> = tasks.iter().enumerate()
                .filter(|(_, t)| t.gang == Some(g)).map(|(i, _)| req.tasks[i].id.as_str()).collect();
            let placed = members.iter().filter(|m| plan.accept.iter().any(|a| a.tasks.iter().any(|t| t.task_id == **m))).count();
            prop_assert!(placed == 0 || placed == members.len(), "gang{} split: {}/{}", g, placed, members.len());
        }
        // UNIQUE hostname holds within each group.
        let mut hosts: BTreeSet<(String, String)> = BTreeSet::new();
        for a in &plan.accept {
            for l in &a.tasks {
                let i: usize = l.task_id[1..].parse().unwrap();
                if tasks[i].unique_host {
                    prop_assert!(hosts.insert((format!("g{}", i % 3), a.hostname.to_owned())), "UNIQUE broken");
                }
            }
        }
        // Determinism: the same request, the same plan and the same JSON.
        let again = engine.place(&req).unwrap();
        prop_assert_eq!(&plan, &again);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn more_resources_never_unplace_under_first_fit(
        agents in prop::collection::vec(agent_spec(), 1..5),
        tasks in prop::collection::vec(task_spec(), 1..6),
        which in any::<prop::sample::Index>(),
        extra_cpus in 0i64..4,
        extra_mem in 0i64..4,
    ) {
        // Monotonicity is about resources: no gangs, no constraints, no GPUs kept aside.
        let tasks: Vec<TaskSpec> = tasks.into_iter().map(|mut t| {
            t.gang = None; t.unique_host = false; t.rack_like = None; t.elastic = false; t
        }).collect();
        let options = Options {
            strategy: Strategy::FirstFit,
            roles: vec!["web".into()],
            gpu_scheduling: offerfit::GpuScheduling::Unrestricted,
            ..Options::default()
        };
        let engine = Engine::new(options).unwrap();
        let (small, big) = (build(&agents, &tasks), build(&{
            let mut b = agents.clone();
            let i = which.index(b.len());
            b[i].cpus += extra_cpus;
            b[i].mem += extra_mem;
            b
        }, &tasks));
        let before = engine.place(&small).unwrap();
        let mut bigger = agents.clone();
        let i = which.index(bigger.len());
        bigger[i].cpus += extra_cpus;
        bigger[i].mem += extra_mem;
        let after = engine.place(&big).unwrap();
        // One task at a time, the first feasible agent in order: a single task placed before is
        // placed after (its agent only grew).
        if tasks.len() == 1 {
            prop_assert!(before.stats.placed <= after.stats.placed);
        }
        let single = |t: &TaskSpec| engine.place(&build(&agents, std::slice::from_ref(t))).unwrap().stats.placed;
        let single_after = |t: &TaskSpec| engine.place(&build(&bigger, std::slice::from_ref(t))).unwrap().stats.placed;
        for t in &tasks {
            prop_assert!(single(t) <= single_after(t));
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn mesos_actor_profile_keeps_the_invariants(
        agents in prop::collection::vec(agent_spec(), 0..5),
        tasks in prop::collection::vec(task_spec(), 0..6),
    ) {
        let tasks: Vec<TaskSpec> = tasks.into_iter().map(|mut t| {
            t.gang = None; t.unique_host = false; t.rack_like = None; t.elastic = false; t.gpus = 0;
            t.ports = vec![0; t.ports.len()]; t.role = false; t
        }).collect();
        let req = build(&agents, &tasks);
        let options = Options { profile: Profile::MesosActor, ..Options::default() };
        let plan = Engine::new(options).unwrap().place(&req).unwrap();
        for a in &plan.accept {
            prop_assert_eq!(a.offer_ids.len(), 1);
        }
        // mesos-actor accepts offer by offer: check per offer.
        let per_offer = PlaceRequest { offers: req.offers.clone(), tasks: req.tasks.clone(), running: vec![] };
        check_invariants_per_offer(&per_offer, &plan);
    }
}

/// The invariants when accepts are per offer (mesos-actor).
fn check_invariants_per_offer(req: &PlaceRequest, plan: &Plan) {
    let mut relabeled = req.clone();
    for o in &mut relabeled.offers {
        o.agent_id = o.id.clone();
    }
    let mut p = plan.clone();
    for a in &mut p.accept {
        a.agent_id = a.offer_ids[0];
    }
    check_invariants(&relabeled, &p);
}

#[test]
fn json_output_is_byte_identical() {
    let req = r#"{"op":"place","offers":[
        {"id":{"value":"O1"},"agent_id":{"value":"S1"},"hostname":"a1","resources":"cpus:4;mem:4096;ports:[31000-31010]","attributes":"rack:r1"},
        {"id":{"value":"O2"},"agent_id":{"value":"S2"},"hostname":"a2","resources":"cpus:2;mem:2048;ports:[31000-31010]","attributes":"rack:r2"}],
      "tasks":[{"id":"a","cpus":1,"mem":512,"ports":[0,31005]},{"id":"b","cpus":8,"mem":1}],
      "options":{"port_selection":"random","seed":42,"framework_id":"fw"}}"#;
    let first = offerfit::call(req);
    assert!(first.starts_with(r#"{"ok":true"#), "{first}");
    for _ in 0..5 {
        assert_eq!(offerfit::call(req), first);
    }
}

#[test]
fn ranges_stay_ranges() {
    // A wide range is never expanded: a million-port range answers at once.
    let mut o = Offer::new("O1", "S1", "a1");
    let mut r = Resources::new();
    r.push(ports_res(&[(1, 60_000)], None));
    o.resources = r;
    let mut t = TaskRequest::new("t");
    t.ports = vec![0, 0, 50_000];
    let req = PlaceRequest { offers: vec![o], tasks: vec![t], running: vec![] };
    let plan = Engine::new(Options::default()).unwrap().place(&req).unwrap();
    assert_eq!(plan.accept[0].tasks[0].ports, [1, 2, 50_000]);
    let left = plan.accept[0].remaining.iter().find(|r| r.name == "ports").unwrap().ranges().unwrap().clone();
    assert_eq!(left, Ranges::from_ranges([Range { begin: 3, end: 49_999 }, Range { begin: 50_001, end: 60_000 }]));
}
