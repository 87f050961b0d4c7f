//! The class is an optimisation, never a semantic (issue 19): the same request placed with the
//! engine's grouping of agents into classes (by what the batch can tell apart), with exact
//! classes (by everything the offers hold) and with one agent per class gives the same answer
//! byte for byte but for the work counter `stats.evaluations` — the first pass and quality
//! repair alike (its budget and its swaps read no class: [`super::repair`]).
//!
//! Requests: cuts of every `bench_gen` scenario (a few calls of each, on fewer agents, until
//! the agents fill up and repair runs) under the options the engine's answers vary by; the
//! Fenzo shape with per-agent port ranges (tasks of 1–3 dynamic ports: classes by port count)
//! and with per-agent attributes no task reads; and random requests (proptest).

use super::options::{Grouping, Objective, Options, PortSelection, Profile, Resolved, Strategy};
use super::request::{PlaceError, PlaceRequest};
use super::Engine;
use crate::bench_gen::{Run, Scenario, SplitMix64, Workload};
use crate::decision::Plan;
use crate::model::{Attribute, Offer, Scalar, TaskRequest, Value};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;

/// The plan for `req` under `grouping`.
fn place<'r>(req: &'r PlaceRequest, opts: &Options, grouping: Grouping) -> Result<Plan<'r>, PlaceError> {
    let mut resolved = Resolved::new(opts).unwrap();
    resolved.grouping = grouping;
    Engine { options: opts.clone(), resolved }.place(req)
}

/// The answer to `req` under `grouping` as text, `stats.evaluations` zeroed (the work
/// counter: fewer classes, fewer fits).
fn answer(plan: Result<Plan<'_>, PlaceError>) -> String {
    match plan {
        Ok(mut plan) => {
            plan.stats.evaluations = 0;
            format!("{plan:#?}")
        }
        Err(e) => format!("{e:?}"),
    }
}

/// Asserts that every grouping in `groupings` answers `req` as the engine's grouping does;
/// returns the engine's plan.
fn same<'r>(req: &'r PlaceRequest, opts: &Options, groupings: &[Grouping], what: &str) -> Result<Plan<'r>, PlaceError> {
    let plan = place(req, opts, Grouping::Normal);
    let normal = answer(plan.clone());
    for g in groupings {
        let other = answer(place(req, opts, *g));
        if other != normal {
            let line = normal.lines().zip(other.lines()).position(|(a, b)| a != b).unwrap_or(0);
            let show = |s: &str| s.lines().skip(line.saturating_sub(8)).take(16).collect::<Vec<_>>().join("\n");
            panic!("{what}: {g:?} differs from Normal at line {line}:\n{}\n---\n{}", show(&normal), show(&other));
        }
    }
    plan
}

/// The options the cut requests are answered under (each on top of the workload's own).
fn variants(base: &Options) -> Vec<(&'static str, Options)> {
    let o = |f: fn(&mut Options)| {
        let mut x = base.clone();
        f(&mut x);
        x
    };
    vec![
        ("default", base.clone()),
        ("random ports", o(|x| x.port_selection = Some(PortSelection::Random))),
        ("spread", o(|x| x.strategy = Strategy::Spread)),
        ("resources", o(|x| x.objective = Objective::Resources)),
        ("first_fit", o(|x| x.strategy = Strategy::FirstFit)),
        ("marathon", o(|x| x.profile = Profile::Marathon)),
        ("framework_id", o(|x| x.framework_id = Some("fw".into()))),
    ]
}

/// The workload `w` on its first `agents` agents, calls of `batch` tasks.
fn cut(w: &Workload, agents: usize, batch: usize) -> Workload {
    let mut w = w.clone();
    w.offers.truncate(agents);
    w.batch = batch;
    w
}

/// Runs `w` call by call (each answer checked under `groupings`, the engine's own answer
/// applied) until a call leaves tasks out and one more call ran, or `max_calls`; returns
/// how many calls left tasks out.
fn run_cut(w: &Workload, opts: &Options, groupings: &[Grouping], max_calls: usize, what: &str) -> usize {
    let mut run = Run::new(w);
    let mut short = 0;
    for call in 0..max_calls {
        let Some(req) = run.next_request() else { break };
        let plan = same(&req, opts, groupings, &format!("{what}, call {call}")).unwrap();
        let placed: usize = plan.accept.iter().map(|a| a.tasks.len()).sum();
        run.apply(&plan);
        if placed < req.tasks.len() {
            short += 1;
            if short == 2 {
                break;
            }
        }
    }
    short
}

#[test]
fn cut_workloads_answer_alike_under_every_grouping() {
    const ALL: &[Grouping] = &[Grouping::Exact, Grouping::Single];
    let mut short = 0;
    for s in [Scenario::FenzoSmall, Scenario::FenzoDistinctSmall, Scenario::FenzoDistinctPorts] {
        let w = cut(&s.workload(7), 40, 80);
        for (name, opts) in variants(&w.options) {
            short += run_cut(&w, &opts, ALL, 8, &format!("{} {name}", s.name()));
        }
    }
    for s in [Scenario::Kube, Scenario::Constraints, Scenario::Ports, Scenario::Mantl, Scenario::KubeHeteroSmall] {
        let mut w = s.workload(7);
        // Running tasks name agents of the whole cluster: those of the agents kept count.
        w.tasks.truncate(150);
        let w = cut(&w, 60, 150);
        for (name, opts) in variants(&w.options) {
            short += run_cut(&w, &opts, ALL, 1, &format!("{} {name}", s.name()));
        }
    }
    // Repair ran: calls left tasks out.
    assert!(short >= 20, "{short} calls left tasks out");
}

/// Fenzo's agents, each with its own `node_id` and its own port range (of 2 to 12 ports,
/// sometimes split, sometimes with port 0 or ports above 65,535), and tasks of 1 to 3 dynamic
/// ports: agents told apart by how many ports they hold, not which.
fn distinct_ports(agents: usize, tasks: usize, seed: u64) -> PlaceRequest {
    let mut rng = SplitMix64::new(seed);
    let offers = (0..agents)
        .map(|i| {
            let base = 1 + rng.below(65_000);
            let n = 2 + rng.below(11);
            let ports = match i % 5 {
                0 => format!("[{}-{},{}-{}]", base, base + n / 2, base + n + 3, base + n + 3 + n / 2),
                1 => format!("[0-{n}]"),
                2 => format!("[{}-{}]", 65_535 - n / 2, 65_535 + n),
                _ => format!("[{}-{}]", base, base + n - 1),
            };
            let mut o = Offer::new(format!("o{i}"), format!("a{i}"), format!("h{i}"));
            o.resources = crate::parse_resources(&format!("cpus:8;mem:8000;ports:{ports}"), "*").unwrap();
            o.attributes.push(Attribute::new("node_id", Value::Text(format!("n{}", rng.next_u64()))));
            o
        })
        .collect();
    let tasks = (0..tasks)
        .map(|i| {
            let mut t = TaskRequest::new(format!("t{i}"));
            let cpus = [1, 1, 1, 2, 4, 6][rng.below(6) as usize];
            t.cpus = Scalar::from_units(cpus);
            t.mem = Scalar::from_units(cpus * 1000);
            t.ports = vec![0; 1 + rng.below(3) as usize];
            t
        })
        .collect();
    PlaceRequest { offers, tasks, running: Vec::new() }
}

#[test]
fn port_distinct_fill_ups_answer_alike_under_every_grouping() {
    let mut repaired = 0;
    for seed in [1, 2, 3] {
        let req = distinct_ports(80, 260, seed);
        for (name, opts) in variants(&Options::default()) {
            let plan = same(&req, &opts, &[Grouping::Exact, Grouping::Single], &format!("seed {seed} {name}")).unwrap();
            // A fill-up: not every task fits.
            assert!(!plan.unplaced.is_empty(), "seed {seed} {name}");
            repaired += u32::from(plan.stats.repair_passes > 0);
        }
    }
    // Under binpack and spread (both objectives, both port selections) repair ran.
    assert!(repaired >= 12, "{repaired}");
}

/// A random request: agents of a few shapes, with racks, zones and attributes no task reads
/// (`node_id`), some with a reserved role or few ports; tasks in apps with constraints and
/// dynamic ports, sometimes more than the agents hold.
fn request() -> impl proptest::strategy::Strategy<Value = (PlaceRequest, Options)> {
    let agent = (0u8..4, 0u8..3, 0u8..6, any::<bool>(), 0u8..4);
    let app = (1u8..6, 0u8..5, 0u8..4, 0u8..3, 0u8..6);
    (prop::collection::vec(agent, 1..14), prop::collection::vec(app, 1..7), 0u8..4, 0u8..2, any::<u64>()).prop_map(
        |(agents, apps, strategy, objective, seed)| {
            let offers = agents
                .iter()
                .enumerate()
                .map(|(i, &(size, rack, ports, reserved, extra))| {
                    let cpus = [2, 4, 4, 8][size as usize];
                    let mut res = format!("cpus:{cpus};mem:{};ports:[31000-{}]", cpus * 1024, 31000 + u32::from(ports));
                    if reserved {
                        res.push_str(";cpus(web):1;disk:100");
                    }
                    if extra == 3 {
                        res.push_str(";gpus:1");
                    }
                    let attrs = format!("rack:r{rack};zone:z{};node_id:n{i}", rack % 2);
                    super::compile::fixture::offer(&format!("o{i}"), &format!("a{i}"), &res, &attrs)
                })
                .collect();
            let mut tasks = Vec::new();
            for (g, &(n, size, rule, ports, role)) in apps.iter().enumerate() {
                let constraints: &[&str] = match rule {
                    0 => &[],
                    1 => &["hostname UNIQUE"],
                    2 => &["rack MAX_PER 2"],
                    _ => &["zone LIKE z0"],
                };
                for k in 0..n {
                    let cpus = [1, 1, 2, 3, 5][size as usize];
                    let mut t = super::compile::fixture::task(&format!("g{g}-{k}"), cpus, 512, constraints);
                    t.group = Some(format!("g{g}"));
                    t.ports = vec![0; ports as usize];
                    if role == 5 {
                        t.role = Some("web".into());
                    }
                    tasks.push(t);
                }
            }
            let opts = Options {
                strategy: [Strategy::Binpack, Strategy::Spread, Strategy::Binpack, Strategy::FirstFit]
                    [strategy as usize],
                objective: [Objective::Tasks, Objective::Resources][objective as usize],
                port_selection: (strategy == 2).then_some(PortSelection::Random),
                seed,
                ..Options::default()
            };
            (PlaceRequest { offers, tasks, running: Vec::new() }, opts)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_answer_alike_under_every_grouping((req, opts) in request()) {
        prop_assert!(same(&req, &opts, &[Grouping::Exact, Grouping::Single], "random request").is_ok());
    }
}
