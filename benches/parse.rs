//! Parsing benchmarks: constraint text, Mesos resources text, offer JSON, and the serde_json
//! floor the whole-request `place` is compared with. Each iteration checks what it parsed.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use offerfit::bench_gen::{Run, Scenario, DEFAULT_SEED};
use offerfit::constraint::{parse_constraint, ConstraintInput, ParseOptions, Parsed};
use serde_json::Value as Json;

const CONSTRAINTS: [&str; 8] = [
    "hostname UNIQUE",
    "rack GROUP_BY 3",
    "rack MAX_PER 2",
    "instance_type LIKE (m5|c5|r5)\\..*",
    "zone IN {a,b}",
    "gpu_driver VERSION >=450, <500",
    "@region IS us-east-1",
    "disk_type UNLIKE hdd",
];

fn constraints(c: &mut Criterion) {
    let opts = ParseOptions::default();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(CONSTRAINTS.len() as u64));
    g.bench_function("constraints_text_x8", |b| {
        b.iter(|| {
            let mut ok = 0;
            for t in CONSTRAINTS {
                if let Ok(Parsed::Constraint(c)) = parse_constraint(ConstraintInput::Text(black_box(t)), &opts) {
                    black_box(&c);
                    ok += 1;
                }
            }
            assert_eq!(ok, CONSTRAINTS.len());
        })
    });
    g.finish();
}

fn resources(c: &mut Criterion) {
    let text = "cpus(*):8; mem(*):16384; disk(*):100000; ports(*):[31000-31999, 32100-32200]; \
                cpus(web):4; mem(web):8192; gpus:1; ports(web):[8000-8099]";
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("resources_text", |b| {
        b.iter(|| {
            let r = offerfit::parse_resources(black_box(text), "*").unwrap();
            assert_eq!(r.len(), 8);
            r
        })
    });
    g.finish();
}

fn offers_json(c: &mut Criterion) {
    // The kube request: 5,000 offers and 10,000 tasks.
    let w = Scenario::Kube.workload(DEFAULT_SEED);
    let text = Run::new(&w).next_request_text().unwrap();
    let value: Json = serde_json::from_str(&text).unwrap();
    let offers = value["offers"].clone();
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("kube_request_serde_json_value", |b| {
        b.iter(|| {
            let v: Json = serde_json::from_str(black_box(&text)).unwrap();
            assert_eq!(v["offers"].as_array().map(Vec::len), Some(5_000));
            v
        })
    });
    g.throughput(Throughput::Elements(5_000));
    g.bench_function("offers_from_json_5000", |b| {
        b.iter(|| {
            let o = offerfit::host::mesos::offers_from_json(black_box(&offers), "/offers").unwrap();
            assert_eq!(o.len(), 5_000);
            o
        })
    });
    g.finish();
}

criterion_group!(benches, constraints, resources, offers_json);
criterion_main!(benches);
