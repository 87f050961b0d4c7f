//! Placement quality against an exact reference, in-repo and cheap (issue 21, item 4).
//!
//! Tiny seeded instances (2-6 agents, 1-12 tasks with dynamic ports, `hostname UNIQUE`,
//! `rack MAX_PER k`, `rack LIKE`, `zone IS`; even seeds planted so that every task fits, odd
//! ones mostly over capacity) are solved exactly by a branch-and-bound (tests/common/quality.rs)
//! for the most tasks that can be placed. Every answer of `place`, under each strategy, must be
//! feasible (checked independently, strictly). The answer must also place the optimum, except
//! for the instances listed in `KNOWN_GAPS`: where today's engine falls short. Issue 21's engine
//! work must close them (delete an entry once it places the optimum there: the test fails when a
//! listed gap is closed, so the list stays true). The full benchmark, with OR-Tools on 150
//! bigger instances, is benches/quality/ (numbers in benches/QUALITY.md).

#[path = "common/quality.rs"]
mod quality;

use serde_json::{json, Value};

/// How many seeds (instances 0..SEEDS).
const SEEDS: u64 = 60;

/// The strategies, as sent (`binpack` is the default: sent without a `strategy` option).
const STRATEGIES: [&str; 3] = ["binpack", "spread", "first_fit"];

/// (strategy, seed, tasks placed by the engine, optimum): instances where the engine places
/// fewer tasks than the optimum, as measured after issue 21's engine work (scarcity order,
/// balanced scores, repair; branch `quality`) and again after scoring every dimension the batch
/// asks for and the pressed smallest-first repair pass (branch `quality3`, which closed binpack
/// 15, 25, 27, 42 and spread 27), and after repair's swaps (branch `quality4`, which closed
/// binpack 13, 16, 41, 51, 53 and spread 13, 21, 41, 43, 51, 53): the gaps left for `binpack`
/// and `spread`. `first_fit` is kept as it is
/// (it reproduces other systems), so its gaps are expected to stay.
#[rustfmt::skip]
const KNOWN_GAPS: &[(&str, u64, usize, usize)] = &[
    // binpack (the default); even seeds are planted: every task fits
    ("binpack", 18, 11, 12),
    ("binpack", 31, 10, 11),
    // spread
    ("spread", 15, 9, 11),
    ("spread", 18, 11, 12),
    ("spread", 31, 10, 11),
    // first_fit (unchanged by issue 21: it reproduces first fit)
    ("first_fit", 0, 9, 11),
    ("first_fit", 14, 8, 9),
    ("first_fit", 15, 9, 11),
    ("first_fit", 16, 11, 12),
    ("first_fit", 21, 6, 7),
    ("first_fit", 25, 6, 7),
    ("first_fit", 27, 4, 5),
    ("first_fit", 30, 10, 11),
    ("first_fit", 31, 5, 11),
    ("first_fit", 35, 2, 3),
    ("first_fit", 40, 5, 6),
    ("first_fit", 41, 7, 8),
    ("first_fit", 42, 9, 10),
    ("first_fit", 43, 3, 4),
    ("first_fit", 44, 11, 12),
    ("first_fit", 50, 2, 4),
    ("first_fit", 51, 9, 10),
    ("first_fit", 53, 8, 9),
];

fn options(strategy: &str, objective_tasks: bool) -> Value {
    let mut o = json!({});
    if strategy != "binpack" {
        o["strategy"] = json!(strategy);
    }
    if objective_tasks {
        o["objective"] = json!("tasks");
    }
    o
}

/// Whether the engine takes `options.objective` (being added by issue 21): the optimum here
/// is the task count, so the test asks for that objective when it can.
fn objective_supported() -> bool {
    let answer: Value = serde_json::from_str(&offerfit::call(
        r#"{"op":"place","offers":[],"tasks":[],"options":{"objective":"tasks"}}"#,
    ))
    .unwrap();
    answer["ok"] == json!(true)
}

#[test]
fn answers_are_feasible_and_place_the_optimum_but_for_known_gaps() {
    let objective = objective_supported();
    let mut gaps = Vec::new();
    let mut failures = Vec::new();
    let (mut placed_total, mut optimum_total) = (0, 0);
    for seed in 0..SEEDS {
        let inst = quality::instance(seed);
        assert!(inst.tasks.len() <= 12 && inst.agents.len() <= 6);
        let optimum = inst.optimum();
        if inst.planted {
            assert_eq!(optimum, inst.tasks.len(), "seed {seed}: a planted instance fits entirely");
        }
        for strategy in STRATEGIES {
            let request = inst.request(options(strategy, objective));
            let answer: Value = serde_json::from_str(&offerfit::call(&request.to_string())).unwrap();
            let placement = match inst.check(&answer) {
                Ok(p) => p,
                Err(bad) => {
                    panic!("seed {seed}, {strategy}: infeasible answer: {bad:#?}\nrequest: {request}\nanswer: {answer}")
                }
            };
            let placed = placement.len();
            assert!(
                placed <= optimum,
                "seed {seed}, {strategy}: {placed} placed > optimum {optimum}: the reference is wrong"
            );
            placed_total += placed;
            optimum_total += optimum;
            let known = KNOWN_GAPS.iter().find(|g| g.0 == strategy && g.1 == seed);
            match known {
                None if placed < optimum => failures.push(format!(
                    "seed {seed}, {strategy}: {placed} of the optimum {optimum} placed (a new gap)\nrequest: {request}"
                )),
                Some(g) if placed == optimum => failures
                    .push(format!("seed {seed}, {strategy}: the known gap {g:?} is closed: delete it from KNOWN_GAPS")),
                _ => {}
            }
            if placed < optimum {
                gaps.push(format!("(\"{strategy}\", {seed}, {placed}, {optimum}),"));
            }
        }
    }
    eprintln!(
        "quality_reference: {SEEDS} instances x {} strategies: {placed_total} tasks placed of an optimum of {optimum_total}; gaps:\n{}",
        STRATEGIES.len(),
        gaps.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn explain_changes_no_answer_nor_the_repair_passes() {
    // The repair budget counts placing work only: `explain` (which fits every agent again for
    // each unplaced task) must not cut the passes short.
    for seed in 0..SEEDS {
        let inst = quality::instance(seed);
        for strategy in ["binpack", "spread"] {
            let mut answers = Vec::new();
            for explain in [true, false] {
                let mut o = options(strategy, objective_supported());
                o["explain"] = json!(explain);
                let answer: Value = serde_json::from_str(&offerfit::call(&inst.request(o).to_string())).unwrap();
                answers.push(answer);
            }
            let (on, off) = (&answers[0], &answers[1]);
            assert_eq!(on["accept"], off["accept"], "seed {seed}, {strategy}");
            assert_eq!(on["stats"]["repair_passes"], off["stats"]["repair_passes"], "seed {seed}, {strategy}");
        }
    }
}

#[test]
fn the_reference_is_exact_on_hand_made_cases() {
    use quality::{Agent, Constraint, Field, Instance, Task};
    let agent = |i: usize, cpus: u64, mem: u64, rack: &str| Agent {
        id: format!("S{i}"),
        hostname: format!("h{i}"),
        rack: rack.to_string(),
        zone: "a".to_string(),
        cpus,
        mem,
        ports: vec![(31000, 31001)],
    };
    let task = |id: &str, group: &str, cpus: u64, mem: u64, nports: u64, constraints: Vec<Constraint>| Task {
        id: id.to_string(),
        group: group.to_string(),
        cpus,
        mem,
        nports,
        constraints,
    };
    // Two agents of 4 cpus: tasks of 3, 3, 1, 1 cpus fit only as {3,1} + {3,1}; a greedy that
    // puts both small tasks on one agent first loses one.
    let inst = Instance {
        planted: false,
        agents: vec![agent(0, 4000, 4096, "r1"), agent(1, 4000, 4096, "r2")],
        tasks: vec![
            task("a", "a", 3000, 100, 0, vec![]),
            task("b", "b", 3000, 100, 0, vec![]),
            task("c", "c", 1000, 100, 0, vec![]),
            task("d", "d", 1000, 100, 0, vec![]),
            task("e", "e", 1000, 100, 0, vec![]),
        ],
    };
    assert_eq!(inst.optimum(), 4);
    // UNIQUE per host and ports: three instances of one group, two hosts: two placed; a task
    // wanting three ports fits nowhere (two ports per agent).
    let unique = vec![Constraint::MaxPer(Field::Hostname, 1)];
    let inst = Instance {
        planted: false,
        agents: vec![agent(0, 8000, 8192, "r1"), agent(1, 8000, 8192, "r1")],
        tasks: vec![
            task("w-0", "w", 1000, 100, 1, unique.clone()),
            task("w-1", "w", 1000, 100, 1, unique.clone()),
            task("w-2", "w", 1000, 100, 1, unique),
            task("p", "p", 100, 100, 3, vec![]),
        ],
    };
    assert_eq!(inst.optimum(), 2);
    // MAX_PER 1 on the rack (both agents in r1), LIKE and IS filters.
    let inst = Instance {
        planted: false,
        agents: vec![agent(0, 8000, 8192, "r1"), agent(1, 8000, 8192, "r1"), agent(2, 8000, 8192, "r3")],
        tasks: vec![
            task("m-0", "m", 100, 100, 0, vec![Constraint::MaxPer(Field::Rack, 1)]),
            task("m-1", "m", 100, 100, 0, vec![Constraint::MaxPer(Field::Rack, 1)]),
            task("m-2", "m", 100, 100, 0, vec![Constraint::MaxPer(Field::Rack, 1)]),
            task("l", "l", 100, 100, 0, vec![Constraint::Like(Field::Rack, "r[2-9]".into())]),
            task("z", "z", 100, 100, 0, vec![Constraint::Is(Field::Zone, "b".into())]),
        ],
    };
    assert_eq!(inst.optimum(), 3);
}
