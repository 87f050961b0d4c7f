//! Deterministic, seeded workloads for the benchmarks (`benches/`), `offerfit bench` and the
//! Node benchmark of the WebAssembly package (feature `bench-gen`).
//!
//! One generator feeds every harness, so criterion, the CLI and Node measure the same
//! requests. It is pure like the rest of the core: no I/O, no clock, and its only randomness is
//! a [`SplitMix64`] seeded by the caller. The scenarios follow published benchmarks:
//!
//! - [`Scenario::Fenzo`]: Fenzo's `TestLotsOfTasks` — 10,000 agents × 8 cpus (1,000 MB of mem
//!   per cpu, ports 1-10), tasks of 1 cpu (20% of the cores), half an agent (40%) and
//!   three quarters of an agent (40%), topped up with 1-cpu tasks to exactly the cluster's
//!   cores, each asking for 1 port, shuffled; placed in calls of 200 until all were tried.
//!   Between calls the agents that received tasks are offered again with what is left (as
//!   Fenzo re-adds a consumed lease when it still has cpus and mem).
//! - [`Scenario::FenzoSmall`]: the same on 1,000 agents (the callgrind regression gate).
//! - [`Scenario::Kube`]: kube-scheduler's `SchedulingBasic` shape — 10,000 pods (100m cpu,
//!   500 MB) onto 5,000 nodes (4 cpus, 32 GB) in one call.
//! - [`Scenario::Constraints`]: the kube shape with racks, zones and instance types on the
//!   agents; tasks in apps of 20 with UNIQUE / GROUP_BY / MAX_PER on hostname and rack, `LIKE`
//!   on 30% of the tasks, and 300 running tasks the constraints count.
//! - [`Scenario::Ports`]: the kube shape where every task asks for 2 dynamic ports and 1 fixed
//!   port, and agents hold a mix of unreserved and `web`-reserved resources taken by tasks of
//!   the roles `web` and `batch`.
//! - [`Scenario::FenzoDistinct`]: Fenzo's scenario where every agent also carries its own
//!   `node_id` attribute (as Mantl writes `node_id:{{inventory_hostname}}`), which no task
//!   reads; [`Scenario::FenzoDistinctSmall`] on 1,000 agents (the gate's heterogeneous
//!   scenario); [`Scenario::FenzoDistinctPorts`] where every agent also offers its own
//!   port range (the tasks ask for a port, so the ranges tell agents apart).
//! - [`Scenario::Mantl`]: agents as Mantl's `mesos` role writes them — `node_id` (the host),
//!   `rack` (20 racks), Mantl's default port ranges, and 10% edge agents with half their
//!   cpus and mem reserved for the `slave_public` role — taking the kube tasks in apps of 20,
//!   a quarter asking for a port, a fifth `rack GROUP_BY`, a tenth `hostname UNIQUE`.
//! - [`Scenario::KubeHetero`]: the kube call on a heterogeneous cluster — four machine sizes
//!   (4 to 32 cpus, 4 GB per cpu, two disk sizes), 5% GPU agents, 2% with a maintenance window
//!   starting within the drain time, a per-agent `node_id` and an `instance_type`; 1% of the
//!   pods ask for a GPU. [`Scenario::KubeHeteroSmall`]: 1,000 agents, 2,000 pods.
//! - [`growth`]: `agents` of four shapes × `tasks` of the Fenzo mix in one call.
//!
//! ```
//! use offerfit::bench_gen::{Run, Scenario};
//! use offerfit::Engine;
//!
//! let w = Scenario::FenzoSmall.workload(7);
//! let engine = Engine::new(w.options.clone()).unwrap();
//! let mut run = Run::new(&w);
//! while let Some(request) = run.next_request() {
//!     let plan = engine.place(&request).unwrap();
//!     run.apply(&plan);
//! }
//! assert!(run.utilisation() > 0.9);
//! ```

use std::collections::HashMap;

use serde_json::{json, Map, Value as Json};

use crate::decision::Plan;
use crate::dto::mesos::{offer_to_json, resources_from_json};
use crate::engine::Options;
use crate::limits::Limits;
use crate::model::{
    Attribute, Attributes, ConstraintSpec, Offer, Range, Ranges, Reservation, Resource, ResourceValue, Resources,
    RunningTask, Scalar, TaskRequest, Value,
};

pub mod hostile;

/// The seed every harness uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 7;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and good enough to shuffle workloads.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
        }
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The named workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Fenzo's `TestLotsOfTasks`: 10,000 agents × 8 cpus, calls of 200 tasks until full.
    Fenzo,
    /// The same on 1,000 agents (the callgrind regression gate).
    FenzoSmall,
    /// kube-scheduler's `SchedulingBasic` shape: 10,000 tasks onto 5,000 agents in one call.
    Kube,
    /// The kube shape with UNIQUE / GROUP_BY / MAX_PER / LIKE constraints and running tasks.
    Constraints,
    /// The kube shape with 2 dynamic + 1 fixed port per task and mixed roles.
    Ports,
    /// Fenzo's scenario, every agent with its own `node_id` attribute.
    FenzoDistinct,
    /// The same on 1,000 agents (the callgrind gate's heterogeneous scenario).
    FenzoDistinctSmall,
    /// Fenzo's scenario, every agent with its own `node_id` and its own port range.
    FenzoDistinctPorts,
    /// Agents as Mantl writes them (node_id, rack, default ports, some `slave_public`).
    Mantl,
    /// The kube call on four machine sizes, GPU agents and maintenance windows.
    KubeHetero,
    /// The same on 1,000 agents and 2,000 pods.
    KubeHeteroSmall,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 11] = [
        Scenario::Fenzo,
        Scenario::FenzoSmall,
        Scenario::Kube,
        Scenario::Constraints,
        Scenario::Ports,
        Scenario::FenzoDistinct,
        Scenario::FenzoDistinctSmall,
        Scenario::FenzoDistinctPorts,
        Scenario::Mantl,
        Scenario::KubeHetero,
        Scenario::KubeHeteroSmall,
    ];

    /// `fenzo`, `fenzo-small`, `kube`, `constraints`, `ports`, `fenzo-distinct`,
    /// `fenzo-distinct-small`, `fenzo-distinct-ports`, `mantl`, `kube-hetero` or
    /// `kube-hetero-small`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Fenzo => "fenzo",
            Scenario::FenzoSmall => "fenzo-small",
            Scenario::Kube => "kube",
            Scenario::Constraints => "constraints",
            Scenario::Ports => "ports",
            Scenario::FenzoDistinct => "fenzo-distinct",
            Scenario::FenzoDistinctSmall => "fenzo-distinct-small",
            Scenario::FenzoDistinctPorts => "fenzo-distinct-ports",
            Scenario::Mantl => "mantl",
            Scenario::KubeHetero => "kube-hetero",
            Scenario::KubeHeteroSmall => "kube-hetero-small",
        }
    }

    /// The scenario called `name`.
    ///
    /// ```
    /// use offerfit::bench_gen::Scenario;
    /// assert_eq!(Scenario::from_name("fenzo-small"), Some(Scenario::FenzoSmall));
    /// assert_eq!(Scenario::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The scenario's workload, generated from `seed`.
    pub fn workload(self, seed: u64) -> Workload {
        match self {
            Scenario::Fenzo => fenzo(10_000, 8, 200, seed, Distinct::No),
            Scenario::FenzoSmall => fenzo(1_000, 8, 200, seed, Distinct::No),
            Scenario::FenzoDistinct => fenzo(10_000, 8, 200, seed, Distinct::NodeId),
            Scenario::FenzoDistinctSmall => fenzo(1_000, 8, 200, seed, Distinct::NodeId),
            Scenario::FenzoDistinctPorts => fenzo(10_000, 8, 200, seed, Distinct::NodeIdAndPorts),
            Scenario::Mantl => mantl(5_000, 10_000, seed),
            Scenario::KubeHetero => kube_hetero(5_000, 10_000, seed),
            Scenario::KubeHeteroSmall => kube_hetero(1_000, 2_000, seed),
            Scenario::Kube => kube(KubeFlavour::Plain, 5_000, 10_000, seed),
            Scenario::Constraints => kube(KubeFlavour::Constraints, 5_000, 10_000, seed),
            Scenario::Ports => kube(KubeFlavour::Ports, 5_000, 10_000, seed),
        }
    }
}

/// A workload: the first call's offers, every task (placed `batch` at a time, in order), the
/// running tasks and the engine options.
#[derive(Debug, Clone)]
pub struct Workload {
    /// A short name (`fenzo`, `growth-1000x100`, ...).
    pub name: String,
    /// Engine options (limits raised to fit the workload).
    pub options: Options,
    /// The offers of the first call: one per agent.
    pub offers: Vec<Offer>,
    /// Every task, in the order they are submitted.
    pub tasks: Vec<TaskRequest>,
    /// Running tasks, passed with every call.
    pub running: Vec<RunningTask>,
    /// Tasks per call.
    pub batch: usize,
}

impl Workload {
    /// Number of calls of `batch` tasks.
    pub fn calls(&self) -> usize {
        self.tasks.len().div_ceil(self.batch.max(1))
    }

    /// The whole workload as one JSON document for other hosts (the Node benchmark):
    /// `{"name", "batch", "request": {"op": "place", "offers", "tasks", "running",
    /// "options"}}`. The request holds every task; a host sends them `batch` at a time with
    /// the offers updated after each call as [`Run::apply_json`] does.
    pub fn to_json(&self) -> Json {
        let mut request = request_json(&self.offers, &self.tasks, &self.running, &self.options);
        if let Json::Object(m) = &mut request {
            m.insert("op".into(), "place".into());
        }
        json!({ "name": self.name, "batch": self.batch, "request": request })
    }
}

fn scalar_resource(name: &str, millis: i64, role: Option<&str>) -> Resource {
    let mut r = Resource::new(name, ResourceValue::Scalar(Scalar::from_millis(millis)));
    if let Some(role) = role {
        r.reservations.push(Reservation::static_for(role));
    }
    r
}

fn ports_resource(ranges: &[(u64, u64)], role: Option<&str>) -> Resource {
    let mut r = Resource::new(
        "ports",
        ResourceValue::Ranges(Ranges::from_ranges(ranges.iter().map(|&(begin, end)| Range { begin, end }))),
    );
    if let Some(role) = role {
        r.reservations.push(Reservation::static_for(role));
    }
    r
}

fn resources(list: Vec<Resource>) -> Resources {
    let mut out = Resources::new();
    for r in list {
        out.push(r);
    }
    out
}

fn text_attribute(name: &str, value: &str) -> Attribute {
    Attribute::new(name, Value::Text(value.to_owned()))
}

fn agent_offer(i: usize, resources: Resources, attributes: Attributes) -> Offer {
    let mut o = Offer::new(format!("o-{i}"), format!("a-{i}"), format!("host-{i:06}"));
    o.resources = resources;
    o.attributes = attributes;
    o
}

fn task(id: String, cpus_millis: i64, mem_millis: i64) -> TaskRequest {
    let mut t = TaskRequest::new(id);
    t.cpus = Scalar::from_millis(cpus_millis);
    t.mem = Scalar::from_millis(mem_millis);
    t
}

fn options_for(agents: usize, tasks: usize, running: usize) -> Options {
    let d = Limits::DEFAULT;
    Options {
        limits: Limits {
            offers: d.offers.max(agents),
            tasks: d.tasks.max(tasks),
            running: d.running.max(running),
            request_bytes: d.request_bytes.max(64 * 1024 * 1024),
            ..d
        },
        ..Options::default()
    }
}

/// The task mix of Fenzo's `TestLotsOfTasks` for `agents` × `cores`: 1-cpu tasks for 20% of
/// the cores, half-agent tasks for 40%, three-quarter-agent tasks for 40%, then 1-cpu tasks
/// up to exactly the cluster's cores; 1,000 MB of mem per cpu and one dynamic port each;
/// shuffled the way the original does (20 passes, each taking every remaining task with
/// probability ½).
pub fn fenzo_tasks(agents: usize, cores: i64, rng: &mut SplitMix64) -> Vec<TaskRequest> {
    let total = agents as i64 * cores * 1000;
    let mut sizes: Vec<i64> = Vec::new();
    let mut used = 0;
    let (single, half, three_q) = (1000, cores * 500, cores * 750);
    let add = |size: i64, budget: i64, sizes: &mut Vec<i64>, used: &mut i64| {
        let mut spent = 0;
        while spent < budget {
            sizes.push(size);
            spent += size;
            *used += size;
        }
    };
    add(single, total / 5, &mut sizes, &mut used);
    add(half, total * 2 / 5, &mut sizes, &mut used);
    add(three_q, total * 2 / 5, &mut sizes, &mut used);
    while used < total {
        sizes.push(single);
        used += single;
    }
    let mut shuffled = Vec::with_capacity(sizes.len());
    for _ in 0..20 {
        let mut rest = Vec::with_capacity(sizes.len());
        for s in sizes {
            if rng.percent(50) {
                shuffled.push(s);
            } else {
                rest.push(s);
            }
        }
        sizes = rest;
    }
    shuffled.extend(sizes);
    shuffled
        .into_iter()
        .enumerate()
        .map(|(i, cpus)| {
            let mut t = task(format!("t-{i}"), cpus, cpus * 1000);
            t.ports = vec![0];
            t
        })
        .collect()
}

/// What makes each agent of a Fenzo-shaped cluster its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Distinct {
    No,
    /// A `node_id` attribute (a UUID-like string), read by no task.
    NodeId,
    /// That, and a port range of its own (10 ports, starting anywhere in 1000..60000).
    NodeIdAndPorts,
}

/// A UUID-shaped id, from the generator (as hosts' machine ids look).
fn uuid_like(rng: &mut SplitMix64) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn fenzo(agents: usize, cores: i64, batch: usize, seed: u64, distinct: Distinct) -> Workload {
    let mut rng = SplitMix64::new(seed);
    // Its own generator: the tasks stay those of the plain scenario.
    let mut ids = SplitMix64::new(seed ^ 0x1D5);
    let offers = (0..agents)
        .map(|i| {
            let ports = match distinct {
                Distinct::NodeIdAndPorts => {
                    let base = 1000 + ids.below(59_000);
                    (base, base + 9)
                }
                _ => (1, 10),
            };
            let res = resources(vec![
                scalar_resource("cpus", cores * 1000, None),
                scalar_resource("mem", cores * 1000 * 1000, None),
                ports_resource(&[ports], None),
            ]);
            let mut attrs = Attributes::new();
            if distinct != Distinct::No {
                attrs.push(text_attribute("node_id", &uuid_like(&mut ids)));
            }
            agent_offer(i, res, attrs)
        })
        .collect();
    let tasks = fenzo_tasks(agents, cores, &mut rng);
    let base = match distinct {
        Distinct::No => "fenzo",
        Distinct::NodeId => "fenzo-distinct",
        Distinct::NodeIdAndPorts => "fenzo-distinct-ports",
    };
    let name = if agents == 10_000 { base.to_owned() } else { format!("{base}-{agents}") };
    let options = options_for(agents, batch, 0);
    Workload { name, options, offers, tasks, running: Vec::new(), batch }
}

/// Mantl's default port ranges (its `mesos` role's `mesos_resources`).
const MANTL_PORTS: [(u64, u64); 5] = [(4000, 5000), (7000, 8000), (9000, 10000), (25000, 26000), (31000, 32000)];

fn mantl(agents: usize, n_tasks: usize, seed: u64) -> Workload {
    let mut rng = SplitMix64::new(seed);
    let offers = (0..agents)
        .map(|i| {
            let edge = i % 10 == 9;
            let mut list = vec![
                scalar_resource("cpus", if edge { 2000 } else { 4000 }, None),
                scalar_resource("mem", if edge { 7_680_000 } else { 15_360_000 }, None),
                scalar_resource("disk", 50_000_000, None),
                ports_resource(&MANTL_PORTS, None),
            ];
            if edge {
                list.push(scalar_resource("cpus", 2000, Some("slave_public")));
                list.push(scalar_resource("mem", 7_680_000, Some("slave_public")));
            }
            let mut attrs = Attributes::new();
            attrs.push(text_attribute("node_id", &format!("mantl-worker-{i:04}")));
            attrs.push(text_attribute("rack", &format!("rack-{:02}", i % 20)));
            let mut o = agent_offer(i, resources(list), attrs);
            o.hostname = format!("mantl-worker-{i:04}");
            o
        })
        .collect();
    let tasks = (0..n_tasks)
        .map(|i| {
            let app = i / APP_SIZE;
            let mut t = task(format!("t-{i}"), 100, 500_000);
            t.group = Some(format!("app-{app}"));
            t.instances = Some(APP_SIZE as u32);
            if app % 4 == 1 {
                t.ports = vec![0];
            }
            match app % 10 {
                2 | 7 => t.constraints.push(ConstraintSpec::text("rack GROUP_BY")),
                5 => t.constraints.push(ConstraintSpec::text("hostname UNIQUE")),
                _ => {}
            }
            if rng.percent(5) {
                t.role = Some("slave_public".to_owned());
            }
            t
        })
        .collect();
    let mut options = options_for(agents, n_tasks, 0);
    options.roles = vec!["*".to_owned(), "slave_public".to_owned()];
    Workload { name: "mantl".to_owned(), options, offers, tasks, running: Vec::new(), batch: n_tasks }
}

/// The clock of [`Scenario::KubeHetero`] (Unix seconds) and its maintenance windows.
const HETERO_NOW: f64 = 1_800_000_000.0;

fn kube_hetero(agents: usize, n_tasks: usize, seed: u64) -> Workload {
    let mut rng = SplitMix64::new(seed);
    let mut ids = SplitMix64::new(seed ^ 0x4E7);
    // (cpus, disk GB, instance type) of the four machine sizes, 4 GB of mem per cpu.
    let sizes: [(i64, i64, &str); 4] =
        [(4, 100, "m5.xlarge"), (8, 200, "m5.2xlarge"), (16, 200, "m5.4xlarge"), (32, 400, "m5.8xlarge")];
    let offers = (0..agents)
        .map(|i| {
            let (cpus, disk, it) = sizes.get(ids.below(4) as usize).copied().unwrap_or((4, 100, "m5.xlarge"));
            let gpu = ids.percent(5);
            let mut list = vec![
                scalar_resource("cpus", cpus * 1000, None),
                scalar_resource("mem", cpus * 4096 * 1000, None),
                scalar_resource("disk", disk * 1_000_000, None),
                ports_resource(&[(31000, 32000)], None),
            ];
            if gpu {
                list.push(scalar_resource("gpus", 4000, None));
            }
            let mut attrs = Attributes::new();
            attrs.push(text_attribute("node_id", &uuid_like(&mut ids)));
            attrs.push(text_attribute("instance_type", if gpu { "p3.8xlarge" } else { it }));
            let mut o = agent_offer(i, resources(list), attrs);
            if ids.percent(2) {
                // A window starting within the drain time (an hour), lasting two hours.
                let start = (HETERO_NOW as i64 + 600) * 1_000_000_000;
                o.unavailability =
                    Some(crate::model::Unavailability { start_ns: start, duration_ns: Some(7_200_000_000_000) });
            }
            o
        })
        .collect();
    let tasks = (0..n_tasks)
        .map(|i| {
            let mut t = task(format!("t-{i}"), 100, 500_000);
            if rng.percent(1) {
                t.gpus = Scalar::from_units(1);
            }
            t
        })
        .collect();
    let mut options = options_for(agents, n_tasks, 0);
    options.now = Some(HETERO_NOW);
    options.drain_seconds = 3600.0;
    let name = if agents == 5_000 { "kube-hetero".to_owned() } else { "kube-hetero-small".to_owned() };
    Workload { name, options, offers, tasks, running: Vec::new(), batch: n_tasks }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KubeFlavour {
    Plain,
    Constraints,
    Ports,
}

const RACKS: usize = 50;
const APP_SIZE: usize = 20;
const INSTANCE_TYPES: [&str; 4] = ["m5.xlarge", "c5.xlarge", "r5.xlarge", "m4.xlarge"];

fn kube(flavour: KubeFlavour, agents: usize, n_tasks: usize, seed: u64) -> Workload {
    let mut rng = SplitMix64::new(seed);
    let mut offers = Vec::with_capacity(agents);
    for i in 0..agents {
        let res = match flavour {
            KubeFlavour::Ports => resources(vec![
                scalar_resource("cpus", 2000, None),
                scalar_resource("cpus", 2000, Some("web")),
                scalar_resource("mem", 16_384_000, None),
                scalar_resource("mem", 16_384_000, Some("web")),
                scalar_resource("disk", 100_000_000, None),
                ports_resource(&[(8000, 8099), (31000, 31999)], None),
                ports_resource(&[(32000, 32499)], Some("web")),
            ]),
            _ => resources(vec![
                scalar_resource("cpus", 4000, None),
                scalar_resource("mem", 32_768_000, None),
                scalar_resource("disk", 100_000_000, None),
                ports_resource(&[(31000, 32000)], None),
            ]),
        };
        let mut attrs = Attributes::new();
        if flavour == KubeFlavour::Constraints {
            let rack = i % RACKS;
            attrs.push(text_attribute("rack", &format!("r{rack:02}")));
            attrs.push(text_attribute("zone", ["a", "b", "c"].get(rack % 3).copied().unwrap_or("a")));
            let it = INSTANCE_TYPES.get(i / RACKS % INSTANCE_TYPES.len()).copied().unwrap_or("m5.xlarge");
            attrs.push(text_attribute("instance_type", it));
        }
        offers.push(agent_offer(i, res, attrs));
    }
    // Running tasks first: an app's target instance count includes its running tasks.
    let mut running_rng = SplitMix64::new(seed ^ 0x5EED);
    let mut running_per_app = vec![0u32; n_tasks.div_ceil(APP_SIZE)];
    let mut running = Vec::new();
    if flavour == KubeFlavour::Constraints {
        for k in 0..300 {
            let app = running_rng.below(n_tasks.div_ceil(APP_SIZE) as u64) as usize;
            let agent = running_rng.below(agents as u64) as usize;
            let rack = agent % RACKS;
            let mut attributes = Attributes::new();
            attributes.push(text_attribute("rack", &format!("r{rack:02}")));
            attributes.push(text_attribute("zone", ["a", "b", "c"].get(rack % 3).copied().unwrap_or("a")));
            if let Some(n) = running_per_app.get_mut(app) {
                *n += 1;
            }
            running.push(RunningTask {
                id: format!("running-{k}"),
                group: format!("app-{app}"),
                hostname: format!("host-{agent:06}"),
                agent_id: Some(format!("a-{agent}")),
                attributes,
                region: None,
                zone: None,
            });
        }
    }
    let mut tasks = Vec::with_capacity(n_tasks);
    for i in 0..n_tasks {
        let app = i / APP_SIZE;
        let mut t = task(format!("t-{i}"), 100, 500_000);
        match flavour {
            KubeFlavour::Plain => {}
            KubeFlavour::Constraints => {
                t.group = Some(format!("app-{app}"));
                t.instances = Some(APP_SIZE as u32 + running_per_app.get(app).copied().unwrap_or(0));
                let c = match app % 5 {
                    0 => "hostname UNIQUE",
                    1 => "rack GROUP_BY",
                    2 => "rack MAX_PER 2",
                    3 => "hostname MAX_PER 2",
                    _ => "zone GROUP_BY 3",
                };
                t.constraints.push(ConstraintSpec::text(c));
                if rng.percent(30) {
                    t.constraints.push(ConstraintSpec::text("instance_type LIKE (m5|c5|r5)\\..*"));
                }
            }
            KubeFlavour::Ports => {
                t.ports = vec![0, 8000 + (app % 100) as u64, 0];
                t.role = Some(if app % 2 == 0 { "web" } else { "batch" }.to_owned());
            }
        }
        tasks.push(t);
    }
    let name = match flavour {
        KubeFlavour::Plain => "kube",
        KubeFlavour::Constraints => "constraints",
        KubeFlavour::Ports => "ports",
    };
    let mut options = options_for(agents, n_tasks, running.len());
    if flavour == KubeFlavour::Ports {
        options.roles = vec!["web".to_owned(), "batch".to_owned()];
    }
    Workload { name: name.to_owned(), options, offers, tasks, running, batch: n_tasks }
}

/// The growth workload: `agents` agents of four shapes (8, 16, 32 and 64 cpus with 1,000 MB
/// per cpu and ports 31000-32000) and `tasks` tasks of the Fenzo mix (1 cpu, 4 cpus and 6 cpus
/// with 1,000 MB per cpu, one dynamic port each), all in one call.
///
/// ```
/// let w = offerfit::bench_gen::growth(100, 10, 1);
/// assert_eq!((w.offers.len(), w.tasks.len(), w.batch), (100, 10, 10));
/// ```
pub fn growth(agents: usize, tasks: usize, seed: u64) -> Workload {
    let mut rng = SplitMix64::new(seed);
    let offers = (0..agents)
        .map(|i| {
            let cores = 8 << (i % 4);
            let res = resources(vec![
                scalar_resource("cpus", cores * 1000, None),
                scalar_resource("mem", cores * 1000 * 1000, None),
                ports_resource(&[(31000, 32000)], None),
            ]);
            agent_offer(i, res, Attributes::new())
        })
        .collect();
    let tasks = (0..tasks)
        .map(|i| {
            let cpus = match rng.below(10) {
                0 | 1 => 1000,
                2..=5 => 4000,
                _ => 6000,
            };
            let mut t = task(format!("t-{i}"), cpus, cpus * 1000);
            t.ports = vec![0];
            t
        })
        .collect::<Vec<_>>();
    let n = tasks.len();
    let options = options_for(agents, n, 0);
    Workload { name: format!("growth-{agents}x{n}"), options, offers, tasks, running: Vec::new(), batch: n.max(1) }
}

/// One task as contract JSON (the fields the generator uses).
pub fn task_to_json(t: &TaskRequest) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), t.id.clone().into());
    if let Some(g) = &t.group {
        m.insert("group".into(), g.clone().into());
    }
    if let Some(n) = t.instances {
        m.insert("instances".into(), n.into());
    }
    if let Some(r) = &t.role {
        m.insert("role".into(), r.clone().into());
    }
    for (name, v) in [("cpus", t.cpus), ("mem", t.mem), ("disk", t.disk), ("gpus", t.gpus)] {
        if !v.is_zero() {
            m.insert(name.into(), crate::dto::mesos::scalar_json(v.to_f64()));
        }
    }
    if !t.ports.is_empty() {
        m.insert("ports".into(), t.ports.clone().into());
    }
    if !t.constraints.is_empty() {
        let list = t
            .constraints
            .iter()
            .map(|c| match c {
                ConstraintSpec::Text(s) => Json::String(s.clone()),
                ConstraintSpec::Fields(f) => f.clone().into(),
                ConstraintSpec::Object { field, operator, value } => {
                    json!({ "field": field, "operator": operator, "value": value })
                }
            })
            .collect();
        m.insert("constraints".into(), Json::Array(list));
    }
    Json::Object(m)
}

/// One running task as contract JSON.
pub fn running_to_json(r: &RunningTask) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), r.id.clone().into());
    m.insert("group".into(), r.group.clone().into());
    m.insert("hostname".into(), r.hostname.clone().into());
    if let Some(a) = &r.agent_id {
        m.insert("agent_id".into(), a.clone().into());
    }
    if !r.attributes.is_empty() {
        m.insert("attributes".into(), crate::dto::mesos::attributes_to_json(&r.attributes));
    }
    Json::Object(m)
}

/// The contract `options` for what the generator sets (roles and raised limits).
pub fn options_to_json(o: &Options) -> Json {
    let mut m = Map::new();
    if !o.roles.is_empty() {
        m.insert("roles".into(), o.roles.clone().into());
    }
    if let Some(now) = o.now {
        m.insert("now".into(), now.into());
        m.insert("drain_seconds".into(), o.drain_seconds.into());
    }
    let l = &o.limits;
    m.insert(
        "limits".into(),
        json!({ "offers": l.offers, "tasks": l.tasks, "running": l.running, "request_bytes": l.request_bytes }),
    );
    Json::Object(m)
}

/// A `place` request body (without `op`) as contract JSON.
pub fn request_json(offers: &[Offer], tasks: &[TaskRequest], running: &[RunningTask], options: &Options) -> Json {
    let mut m = Map::new();
    m.insert("offers".into(), Json::Array(offers.iter().map(offer_to_json).collect()));
    m.insert("tasks".into(), Json::Array(tasks.iter().map(task_to_json).collect()));
    if !running.is_empty() {
        m.insert("running".into(), Json::Array(running.iter().map(running_to_json).collect()));
    }
    m.insert("options".into(), options_to_json(options));
    Json::Object(m)
}

/// A run of a workload: the offers of the next call, updated from each call's accepts.
#[derive(Debug, Clone)]
pub struct Run<'w> {
    work: &'w Workload,
    /// Per agent (in the workload's offer order): its current offer, `None` once it is full.
    offers: Vec<Option<Offer>>,
    by_agent: HashMap<String, usize>,
    /// Per agent: cpus (millis) still free.
    free_cpus: Vec<i64>,
    total_cpus: i64,
    next: usize,
    placed: usize,
    calls: usize,
}

impl<'w> Run<'w> {
    /// A run from the workload's first offers.
    pub fn new(work: &'w Workload) -> Run<'w> {
        let free_cpus: Vec<i64> = work.offers.iter().map(|o| o.resources.scalar("cpus").millis()).collect();
        Run {
            work,
            offers: work.offers.iter().cloned().map(Some).collect(),
            by_agent: work.offers.iter().enumerate().map(|(i, o)| (o.agent_id.clone(), i)).collect(),
            total_cpus: free_cpus.iter().sum(),
            free_cpus,
            next: 0,
            placed: 0,
            calls: 0,
        }
    }

    /// The workload.
    pub fn workload(&self) -> &'w Workload {
        self.work
    }

    /// The next call's request, or `None` when every task was tried.
    pub fn next_request(&mut self) -> Option<crate::engine::PlaceRequest> {
        let tasks = self.next_tasks()?;
        Some(crate::engine::PlaceRequest {
            offers: self.offers.iter().flatten().cloned().collect(),
            tasks: tasks.to_vec(),
            running: self.work.running.clone(),
        })
    }

    /// The next call's request as JSON text (`{"op": "place", ...}`), or `None` when every
    /// task was tried.
    pub fn next_request_text(&mut self) -> Option<String> {
        let tasks = self.next_tasks()?;
        let offers: Vec<Offer> = self.offers.iter().flatten().cloned().collect();
        let mut request = request_json(&offers, tasks, &self.work.running, &self.work.options);
        if let Json::Object(m) = &mut request {
            m.insert("op".into(), "place".into());
        }
        Some(request.to_string())
    }

    fn next_tasks(&mut self) -> Option<&'w [TaskRequest]> {
        let work: &'w Workload = self.work;
        if self.next >= work.tasks.len() {
            return None;
        }
        let end = (self.next + work.batch.max(1)).min(work.tasks.len());
        let tasks = work.tasks.get(self.next..end)?;
        self.next = end;
        self.calls += 1;
        Some(tasks)
    }

    fn update(&mut self, agent_id: &str, remaining: Resources, launched: usize) {
        self.placed += launched;
        let Some(&i) = self.by_agent.get(agent_id) else { return };
        let (cpus, mem) = (remaining.scalar("cpus").millis(), remaining.scalar("mem").millis());
        if let Some(f) = self.free_cpus.get_mut(i) {
            *f = cpus;
        }
        if let Some(slot) = self.offers.get_mut(i) {
            match slot {
                Some(o) if cpus > 0 && mem > 0 => o.resources = remaining,
                _ => *slot = None,
            }
        }
    }

    /// Takes in a call's plan: agents that received tasks are offered again with what is left
    /// (dropped once they have no cpus or no mem left).
    pub fn apply(&mut self, plan: &Plan) {
        for a in &plan.accept {
            self.update(a.agent_id, a.remaining.clone(), a.tasks.len());
        }
    }

    /// [`Run::apply`] for a contract response (`{"ok": true, "accept": [...], ...}`).
    ///
    /// # Errors
    /// A message when the response is not an `ok` `place` response.
    pub fn apply_json(&mut self, response: &Json) -> Result<(), String> {
        if response.get("ok") != Some(&Json::Bool(true)) {
            return Err(format!("place failed: {response}"));
        }
        let accepts = response.get("accept").and_then(Json::as_array).ok_or("response without `accept`")?;
        for a in accepts {
            let agent = a.get("agent_id").and_then(Json::as_str).ok_or("accept without `agent_id`")?;
            let launched = a.get("tasks").and_then(Json::as_array).map_or(0, Vec::len);
            let remaining = a.get("remaining").unwrap_or(&Json::Null);
            let remaining = resources_from_json(remaining, "/remaining").map_err(|e| format!("{e:?}"))?;
            self.update(agent, remaining, launched);
        }
        Ok(())
    }

    /// Tasks placed so far.
    pub fn placed(&self) -> usize {
        self.placed
    }

    /// Calls made so far.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// Agents still offered.
    pub fn agents_offered(&self) -> usize {
        self.offers.iter().flatten().count()
    }

    /// The share of the cluster's cpus taken (0 to 1), as Fenzo reports utilisation.
    pub fn utilisation(&self) -> f64 {
        if self.total_cpus == 0 {
            return 0.0;
        }
        let free: i64 = self.free_cpus.iter().sum();
        (self.total_cpus - free) as f64 / self.total_cpus as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;

    #[test]
    fn fenzo_mix_fills_the_cluster_exactly() {
        let mut rng = SplitMix64::new(1);
        let tasks = fenzo_tasks(100, 8, &mut rng);
        let total: i64 = tasks.iter().map(|t| t.cpus.millis()).sum();
        // As in the original, the three-quarter tasks round up past the cluster by one task.
        assert_eq!(total, 100 * 8 * 1000 + 4000);
        assert!(tasks.iter().all(|t| t.mem.millis() == t.cpus.millis() * 1000 && t.ports == [0]));
        let sizes: std::collections::BTreeSet<i64> = tasks.iter().map(|t| t.cpus.millis()).collect();
        assert_eq!(sizes.into_iter().collect::<Vec<_>>(), [1000, 4000, 6000]);
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let a = kube(KubeFlavour::Constraints, 500, 10_000, 3);
        let b = kube(KubeFlavour::Constraints, 500, 10_000, 3);
        let c = kube(KubeFlavour::Constraints, 500, 10_000, 4);
        assert_eq!(a.to_json(), b.to_json());
        assert_ne!(a.to_json(), c.to_json());
        assert_eq!(a.running.len(), 300);
        let like = a.tasks.iter().filter(|t| t.constraints.len() == 2).count();
        assert!((2_500..3_500).contains(&like), "{like} tasks with LIKE");
    }

    #[test]
    fn typed_and_json_runs_agree() {
        let w = fenzo(40, 8, 50, 5, Distinct::No);
        let engine = Engine::new(w.options.clone()).unwrap();
        let mut typed = Run::new(&w);
        let mut text = Run::new(&w);
        while let Some(req) = typed.next_request() {
            let plan = engine.place(&req).unwrap();
            typed.apply(&plan);
            let body = text.next_request_text().unwrap();
            let response: Json = serde_json::from_str(&crate::call(&body)).unwrap();
            text.apply_json(&response).unwrap();
            assert_eq!(typed.placed(), text.placed());
            assert_eq!(typed.agents_offered(), text.agents_offered());
        }
        assert!(text.next_request_text().is_none());
        assert_eq!(typed.calls(), w.calls());
        assert!(typed.utilisation() > 0.9, "{}", typed.utilisation());
        assert_eq!(typed.utilisation(), text.utilisation());
    }

    #[test]
    fn scenarios_place_what_they_should() {
        for flavour in [KubeFlavour::Plain, KubeFlavour::Ports, KubeFlavour::Constraints] {
            let w = kube(flavour, 500, 1_000, DEFAULT_SEED);
            let engine = Engine::new(w.options.clone()).unwrap();
            let mut run = Run::new(&w);
            let req = run.next_request().unwrap();
            let plan = engine.place(&req).unwrap();
            assert_eq!(plan.accept.iter().map(|a| a.tasks.len()).sum::<usize>(), 1_000, "{}", w.name);
            assert!(run.next_request().is_none());
        }
    }

    /// Agent by agent, what a plan launched (agent id, task ids) and what it left.
    fn launched(plan: &Plan) -> Vec<(String, Vec<String>, String)> {
        plan.accept
            .iter()
            .map(|a| {
                let tasks = a.tasks.iter().map(|t| t.task_id.to_owned()).collect();
                (a.agent_id.to_owned(), tasks, a.remaining.to_string())
            })
            .collect()
    }

    #[test]
    fn an_attribute_no_task_reads_changes_no_placement() {
        let (plain, distinct) = (fenzo(60, 8, 50, 5, Distinct::No), fenzo(60, 8, 50, 5, Distinct::NodeId));
        let engine = Engine::new(plain.options.clone()).unwrap();
        let (mut a, mut b) = (Run::new(&plain), Run::new(&distinct));
        while let (Some(ra), Some(rb)) = (a.next_request(), b.next_request()) {
            assert!(rb.offers.iter().all(|o| o.attributes.get("node_id").is_some()));
            let (pa, pb) = (engine.place(&ra).unwrap(), engine.place(&rb).unwrap());
            assert_eq!(launched(&pa), launched(&pb));
            a.apply(&pa);
            b.apply(&pb);
        }
        assert_eq!(a.placed(), b.placed());
    }

    #[test]
    fn the_heterogeneous_scenarios_run_typed_and_as_json_alike() {
        for w in [fenzo(40, 8, 50, 5, Distinct::NodeIdAndPorts), mantl(200, 400, 3), kube_hetero(300, 600, 3)] {
            let engine = Engine::new(w.options.clone()).unwrap();
            let (mut typed, mut text) = (Run::new(&w), Run::new(&w));
            while let Some(req) = typed.next_request() {
                let plan = engine.place(&req).unwrap();
                typed.apply(&plan);
                let response: Json = serde_json::from_str(&crate::call(&text.next_request_text().unwrap())).unwrap();
                text.apply_json(&response).unwrap();
                assert_eq!(typed.placed(), text.placed(), "{}", w.name);
            }
            assert!(typed.placed() > 0, "{}", w.name);
        }
        let w = kube_hetero(300, 600, 3);
        let engine = Engine::new(w.options.clone()).unwrap();
        let req = Run::new(&w).next_request().unwrap();
        let plan = engine.place(&req).unwrap();
        // Agents in a maintenance window are declined as such; the GPU pods find GPU agents.
        let maint = plan.decline.iter().filter(|d| d.reason == crate::decision::DeclineReason::Maintenance).count();
        let windows = w.offers.iter().filter(|o| o.unavailability.is_some()).count();
        assert_eq!(maint, windows);
        assert!(windows > 0);
        assert_eq!(plan.stats.placed, 600);
    }
}
