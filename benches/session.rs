//! Session benchmarks on Fenzo's scenario (10,000 agents × 8 cpus, `offerfit::bench_gen`):
//! one `submit` step of 200 tasks onto the offers a session holds, beside the stateless
//! `Engine::place` of the same batch on the same offers (the floor a step should stay near;
//! the issue's target is ≤ 1.5× it), and the same step through `step_json`. Each iteration
//! checks the number of launches, so a broken session cannot benchmark fast.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use offerfit::bench_gen::{Scenario, DEFAULT_SEED};
use offerfit::session::{Config, Event, Input, InputKind, Timers};
use offerfit::{Engine, PlaceRequest, Session};

/// A subscribed session holding the workload's offers (held for as long as it takes).
fn holding(w: &offerfit::bench_gen::Workload) -> Session {
    let mut config = Config::new("bench");
    config.framework.roles = w.options.roles.clone();
    config.options = offerfit::Options { roles: vec![], framework_id: None, principal: None, ..w.options.clone() };
    config.session = Timers { offer_hold_seconds: 1e9, ..Timers::default() };
    let mut s = Session::new(config).unwrap();
    s.step(Input { now: 0.0, kind: InputKind::Connect }).unwrap();
    let subscribed = Event::Subscribed { framework_id: "F1".into() };
    s.step(Input { now: 0.0, kind: InputKind::Event(subscribed) }).unwrap();
    let offers = Event::Offers { offers: w.offers.clone(), unreadable: vec![] };
    s.step(Input { now: 0.0, kind: InputKind::Event(offers) }).unwrap();
    assert_eq!(s.offers_held(), w.offers.len());
    s
}

fn submit_step(c: &mut Criterion) {
    let w = Scenario::Fenzo.workload(DEFAULT_SEED);
    let batch: Vec<offerfit::TaskRequest> = w.tasks.iter().take(w.batch).cloned().collect();
    let engine = Engine::new(w.options.clone()).unwrap();
    let request = PlaceRequest { offers: w.offers.clone(), tasks: batch.clone(), running: vec![] };
    let placed = engine.place(&request).unwrap().accept.iter().map(|a| a.tasks.len()).sum::<usize>();
    let session = holding(&w);
    let mut group = c.benchmark_group("session_fenzo");
    group.sample_size(20);
    group.bench_function("place_200_tasks_10000_offers", |b| {
        b.iter(|| {
            let plan = engine.place(black_box(&request)).unwrap();
            assert_eq!(plan.accept.iter().map(|a| a.tasks.len()).sum::<usize>(), placed);
        })
    });
    group.bench_function("session_submit_200_tasks_10000_held", |b| {
        b.iter_batched(
            || (session.clone(), batch.clone()),
            |(mut s, tasks)| {
                let out = s.step(Input { now: 1.0, kind: InputKind::Submit(tasks) }).unwrap();
                let launched =
                    out.notices.iter().filter(|n| matches!(n, offerfit::session::Notice::Launching { .. })).count();
                assert_eq!(launched, placed);
                s
            },
            BatchSize::LargeInput,
        )
    });
    let line = serde_json::json!({"now": 1, "submit": offerfit_tasks_json(&w)}).to_string();
    group.bench_function("session_submit_200_tasks_10000_held_json", |b| {
        b.iter_batched(
            || session.clone(),
            |mut s| {
                let out = s.step_json(black_box(&line));
                assert!(out.starts_with(r#"{"ok":true"#));
                s
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The first batch as the contract's Task JSON.
fn offerfit_tasks_json(w: &offerfit::bench_gen::Workload) -> serde_json::Value {
    let text = w.to_json();
    let tasks = text["request"]["tasks"].as_array().cloned().unwrap_or_default();
    serde_json::Value::Array(tasks.into_iter().take(w.batch).collect())
}

criterion_group!(benches, submit_step);
criterion_main!(benches);
