//! Placement benchmarks at Fenzo and Kubernetes scale (workloads from `offerfit::bench_gen`,
//! the generator `offerfit bench` and the Node benchmark use too). Every iteration checks the
//! number of tasks placed, so a broken engine cannot benchmark fast.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use offerfit::bench_gen::{Run, Scenario, DEFAULT_SEED};
use offerfit::{Engine, Offer, PlaceRequest, Plan, Scalar, TaskRequest};

fn placed(plan: &Plan) -> usize {
    plan.accept.iter().map(|a| a.tasks.len()).sum()
}

/// One task × one agent: the fixed cost of a call.
fn fit_one(c: &mut Criterion) {
    let mut offer = Offer::new("o-1", "a-1", "host-1");
    offer.resources = offerfit::parse_resources("cpus:4; mem:32768; disk:100000; ports:[31000-32000]", "*").unwrap();
    let mut task = TaskRequest::new("t-1");
    task.cpus = Scalar::from_millis(100);
    task.mem = Scalar::from_units(500);
    task.ports = vec![0, 0];
    let request = PlaceRequest { offers: vec![offer], tasks: vec![task], running: vec![] };
    let engine = Engine::new(Default::default()).unwrap();
    c.bench_function("fit/one_task_one_agent", |b| {
        b.iter(|| {
            let plan = engine.place(black_box(&request)).unwrap();
            assert_eq!(placed(&plan), 1);
        })
    });
}

/// One 200-task call of Fenzo's TestLotsOfTasks, half-way through filling 10,000 agents.
fn fenzo_call(c: &mut Criterion) {
    let w = Scenario::Fenzo.workload(DEFAULT_SEED);
    let engine = Engine::new(w.options.clone()).unwrap();
    let mut run = Run::new(&w);
    for _ in 0..w.calls() / 2 {
        let req = run.next_request().unwrap();
        run.apply(&engine.place(&req).unwrap());
    }
    let request = run.next_request().unwrap();
    let expected = placed(&engine.place(&request).unwrap());
    assert!(expected > 0);
    let mut g = c.benchmark_group("place");
    g.throughput(Throughput::Elements(request.tasks.len() as u64));
    g.bench_function("fenzo_200_tasks_midway", |b| {
        b.iter(|| assert_eq!(placed(&engine.place(black_box(&request)).unwrap()), expected))
    });
    g.finish();
}

/// The single-call scenarios: kube (10,000 tasks onto 5,000 agents), its constraint-heavy
/// and port-heavy variants.
fn single_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("place");
    g.sample_size(10);
    for s in [Scenario::Kube, Scenario::Constraints, Scenario::Ports] {
        let w = s.workload(DEFAULT_SEED);
        let engine = Engine::new(w.options.clone()).unwrap();
        let request = Run::new(&w).next_request().unwrap();
        let expected = placed(&engine.place(&request).unwrap());
        assert_eq!(expected, w.tasks.len(), "{}: every task fits", w.name);
        g.throughput(Throughput::Elements(w.tasks.len() as u64));
        g.bench_function(w.name.clone(), |b| {
            b.iter(|| assert_eq!(placed(&engine.place(black_box(&request)).unwrap()), expected))
        });
    }
    g.finish();
}

/// The whole request from JSON text to JSON text, beside serde_json's parse of the same text
/// (benches/parse.rs `kube_request_serde_json_value`).
fn whole_request(c: &mut Criterion) {
    let w = Scenario::Kube.workload(DEFAULT_SEED);
    let text = Run::new(&w).next_request_text().unwrap();
    let needle = format!("\"placed\":{}", w.tasks.len());
    let mut g = c.benchmark_group("place");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("kube_json_to_json", |b| {
        b.iter(|| {
            let out = offerfit::call(black_box(&text));
            // `stats` closes the response: check the placed count there, not in 5 MB.
            let tail = out.get(out.len().saturating_sub(256)..).unwrap_or("");
            assert!(out.starts_with("{\"ok\":true") && tail.contains(&needle), "{tail}");
            out
        })
    });
    g.finish();
}

criterion_group!(benches, fit_one, fenzo_call, single_calls, whole_request);
criterion_main!(benches);
