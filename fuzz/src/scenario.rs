//! Structured random placement inputs (via `arbitrary`): a few agents with one or two offers
//! each, a few tasks in two groups, some running tasks, and the options that change the
//! outcome. Every scenario is valid by construction (distinct ids, disjoint port windows per
//! offer, constraints that parse), so `place` must answer `ok:true`.
//!
//! Values are kept small so that the naive reference matcher and the invariant checks stay
//! cheap, and so that constraints, ports and GPUs often decide the outcome.

use arbitrary::Arbitrary;
use serde_json::{json, Value as Json};

/// The regexes `LIKE` / `UNLIKE` constraints use (Java regex syntax that `regex` reads the
/// same way).
pub const PATTERNS: [&str; 7] = ["host[01]", "r[12]", ".*", "host2|r0", "t\\d", "r1", "x+"];

/// How many agents, offers per agent, tasks and running tasks a scenario has at most.
pub const MAX_AGENTS: usize = 4;
/// See [`MAX_AGENTS`].
pub const MAX_OFFERS_PER_AGENT: usize = 2;
/// See [`MAX_AGENTS`].
pub const MAX_TASKS: usize = 6;
/// See [`MAX_AGENTS`].
pub const MAX_RUNNING: usize = 4;

/// A field a constraint looks at.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSpec {
    /// `hostname`.
    Hostname,
    /// The `rack` attribute (every agent has one).
    Rack,
    /// The `gpu_type` attribute (only some agents have it).
    GpuType,
}

impl FieldSpec {
    /// The name as written in a constraint.
    pub fn name(self) -> &'static str {
        match self {
            FieldSpec::Hostname => "hostname",
            FieldSpec::Rack => "rack",
            FieldSpec::GpuType => "gpu_type",
        }
    }
}

/// A hard constraint of a group (every task of the group carries it, as in Marathon where
/// constraints belong to the app).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ConstraintSpec {
    /// `f UNIQUE`.
    Unique(FieldSpec),
    /// `f CLUSTER v`.
    ClusterValue(FieldSpec, u8),
    /// `f CLUSTER` (the value of the group's first placement).
    ClusterEmpty(FieldSpec),
    /// `f LIKE p`.
    Like(FieldSpec, u8),
    /// `f UNLIKE p`.
    Unlike(FieldSpec, u8),
    /// `f IS v`.
    Is(FieldSpec, u8),
    /// `f MAX_PER n`.
    MaxPer(FieldSpec, u8),
}

/// A value a `CLUSTER` / `IS` constraint compares with: one that some agents have.
fn value_for(field: FieldSpec, x: u8) -> String {
    match field {
        FieldSpec::Hostname => format!("host{}", x % 5),
        FieldSpec::Rack => format!("r{}", x % 3),
        FieldSpec::GpuType => format!("t{}", x % 2),
    }
}

impl ConstraintSpec {
    /// The field it looks at.
    pub fn field(self) -> FieldSpec {
        match self {
            ConstraintSpec::Unique(f)
            | ConstraintSpec::ClusterValue(f, _)
            | ConstraintSpec::ClusterEmpty(f)
            | ConstraintSpec::Like(f, _)
            | ConstraintSpec::Unlike(f, _)
            | ConstraintSpec::Is(f, _)
            | ConstraintSpec::MaxPer(f, _) => f,
        }
    }

    /// The Marathon text form.
    pub fn text(self) -> String {
        let f = self.field().name();
        match self {
            ConstraintSpec::Unique(_) => format!("{f} UNIQUE"),
            ConstraintSpec::ClusterValue(field, x) => format!("{f} CLUSTER {}", value_for(field, x)),
            ConstraintSpec::ClusterEmpty(_) => format!("{f} CLUSTER"),
            ConstraintSpec::Like(_, p) => format!("{f} LIKE {}", pattern(p)),
            ConstraintSpec::Unlike(_, p) => format!("{f} UNLIKE {}", pattern(p)),
            ConstraintSpec::Is(field, x) => format!("{f} IS {}", value_for(field, x)),
            ConstraintSpec::MaxPer(_, n) => format!("{f} MAX_PER {}", max_per(n)),
        }
    }
}

/// The pattern with index `p`.
pub fn pattern(p: u8) -> &'static str {
    PATTERNS.get(usize::from(p) % PATTERNS.len()).copied().unwrap_or(".*")
}

/// The `MAX_PER` bound for `n`: 1 to 3.
pub fn max_per(n: u8) -> u32 {
    u32::from(n % 3) + 1
}

/// One offer of an agent.
#[derive(Arbitrary, Debug, Clone)]
pub struct OfferSpec {
    /// Thousandths of a CPU.
    pub cpus_millis: u16,
    /// MB.
    pub mem: u16,
    /// MB of ROOT disk.
    pub disk: u16,
    /// GPUs (0 to 2).
    pub gpus: u8,
    /// Port ranges as (start offset, length) inside the offer's own window of 300 ports.
    pub ports: Vec<(u16, u8)>,
}

/// An agent: its offers and attributes.
#[derive(Arbitrary, Debug, Clone)]
pub struct AgentSpec {
    /// One or two offers (more are dropped, none becomes one empty offer).
    pub offers: Vec<OfferSpec>,
    /// `rack:r<rack % 3>`.
    pub rack: u8,
    /// `gpu_type:t<x % 2>` when present.
    pub gpu_type: Option<u8>,
}

/// One task to place.
#[derive(Arbitrary, Debug, Clone)]
pub struct TaskSpec {
    /// Thousandths of a CPU (at most 4).
    pub cpus_millis: u16,
    /// MB (at most 4095).
    pub mem: u16,
    /// MB (at most 2047).
    pub disk: u16,
    /// GPUs (0 or 1).
    pub gpus: u8,
    /// How many dynamic ports (0 to 2).
    pub dynamic_ports: u8,
    /// Fixed host ports (offsets into the port area 10000..14000; duplicates are dropped).
    pub fixed_ports: Vec<u16>,
    /// Group `g0` or `g1`.
    pub group: bool,
}

/// A running task of a group.
#[derive(Arbitrary, Debug, Clone)]
pub struct RunningSpec {
    /// Group `g0` or `g1`.
    pub group: bool,
    /// `host<x % 5>` (hosts 4 and above are not among the offers).
    pub host: u8,
    /// `rack:r<x % 3>`.
    pub rack: u8,
    /// `gpu_type:t<x % 2>` when present.
    pub gpu_type: Option<u8>,
}

/// The ranking strategy.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum StrategySpec {
    /// `binpack`.
    Binpack,
    /// `spread`.
    Spread,
    /// `first_fit`.
    FirstFit,
}

/// A whole `place` input.
#[derive(Arbitrary, Debug, Clone)]
pub struct Scenario {
    /// Agents (1 to [`MAX_AGENTS`]).
    pub agents: Vec<AgentSpec>,
    /// Tasks (0 to [`MAX_TASKS`]).
    pub tasks: Vec<TaskSpec>,
    /// Running tasks (0 to [`MAX_RUNNING`]).
    pub running: Vec<RunningSpec>,
    /// Constraints of group `g0` (at most 2).
    pub g0: Vec<ConstraintSpec>,
    /// Constraints of group `g1` (at most 2).
    pub g1: Vec<ConstraintSpec>,
    /// Ranking.
    pub strategy: StrategySpec,
    /// Dynamic ports: random (true) or lowest.
    pub random_ports: bool,
    /// The seed of random choices.
    pub seed: u8,
}

/// A port range `[begin, end]`, inclusive.
pub type PortRange = (u64, u64);

/// An offer in plain numbers, as the checks and the reference see it.
#[derive(Debug, Clone)]
pub struct Offer {
    /// `o<agent>_<k>`.
    pub id: String,
    /// Index of its agent.
    pub agent: usize,
    /// Thousandths.
    pub cpus: i64,
    /// Thousandths of MB.
    pub mem: i64,
    /// Thousandths of MB.
    pub disk: i64,
    /// Thousandths of GPUs.
    pub gpus: i64,
    /// Disjoint, sorted, non-adjacent ranges.
    pub ports: Vec<PortRange>,
}

/// An agent in plain values.
#[derive(Debug, Clone)]
pub struct Agent {
    /// `a<i>`.
    pub id: String,
    /// `host<i>`.
    pub hostname: String,
    /// `r0`..`r2`.
    pub rack: String,
    /// `t0`, `t1` or absent.
    pub gpu_type: Option<String>,
}

impl Agent {
    /// The value of a field (absent for a missing attribute).
    pub fn field(&self, f: FieldSpec) -> Option<&str> {
        match f {
            FieldSpec::Hostname => Some(&self.hostname),
            FieldSpec::Rack => Some(&self.rack),
            FieldSpec::GpuType => self.gpu_type.as_deref(),
        }
    }
}

/// A task in plain numbers.
#[derive(Debug, Clone)]
pub struct Task {
    /// `t<i>`.
    pub id: String,
    /// `g0` or `g1`.
    pub group: String,
    /// Thousandths.
    pub cpus: i64,
    /// Thousandths of MB.
    pub mem: i64,
    /// Thousandths of MB.
    pub disk: i64,
    /// Thousandths of GPUs.
    pub gpus: i64,
    /// The `ports` request: 0 = dynamic, else a fixed host port.
    pub ports: Vec<u64>,
    /// The group's constraints.
    pub constraints: Vec<ConstraintSpec>,
}

/// A running task in plain values.
#[derive(Debug, Clone)]
pub struct Running {
    /// `run<i>`.
    pub id: String,
    /// `g0` or `g1`.
    pub group: String,
    /// `host<i>`.
    pub hostname: String,
    /// `r0`..`r2`.
    pub rack: String,
    /// `t0`, `t1` or absent.
    pub gpu_type: Option<String>,
}

impl Running {
    /// The value of a field (absent for a missing attribute).
    pub fn field(&self, f: FieldSpec) -> Option<&str> {
        match f {
            FieldSpec::Hostname => Some(&self.hostname),
            FieldSpec::Rack => Some(&self.rack),
            FieldSpec::GpuType => self.gpu_type.as_deref(),
        }
    }
}

/// A scenario in plain values, with its `place` request.
#[derive(Debug, Clone)]
pub struct Built {
    /// Agents.
    pub agents: Vec<Agent>,
    /// Offers (each names its agent).
    pub offers: Vec<Offer>,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Running tasks.
    pub running: Vec<Running>,
    /// The `place` request.
    pub request: Json,
}

fn ports_of(spec: &OfferSpec, base: u64) -> Vec<PortRange> {
    let mut rs: Vec<PortRange> = spec
        .ports
        .iter()
        .take(3)
        .map(|&(start, len)| {
            let b = base + u64::from(start % 300);
            let e = (b + u64::from(len % 50)).min(base + 299);
            (b, e)
        })
        .collect();
    rs.sort_unstable();
    // Coalesce overlapping or adjacent ranges, as the engine does on input.
    let mut out: Vec<PortRange> = Vec::new();
    for (b, e) in rs {
        match out.last_mut() {
            Some(last) if b <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((b, e)),
        }
    }
    out
}

fn ranges_text(rs: &[PortRange]) -> String {
    let parts: Vec<String> = rs.iter().map(|(b, e)| format!("{b}-{e}")).collect();
    format!("[{}]", parts.join(", "))
}

fn millis_text(m: i64) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{}.{:03}", m / 1000, m % 1000)
    }
}

fn millis_json(m: i64) -> Json {
    if m % 1000 == 0 {
        json!(m / 1000)
    } else {
        json!(m as f64 / 1000.0)
    }
}

impl Scenario {
    /// The plain values and the `place` request, with at most `max_agents` agents and
    /// `max_tasks` tasks.
    pub fn build(&self, max_agents: usize, max_tasks: usize) -> Built {
        let mut agents = Vec::new();
        let mut offers = Vec::new();
        let empty = [OfferSpec { cpus_millis: 0, mem: 0, disk: 0, gpus: 0, ports: Vec::new() }];
        for (a, spec) in self.agents.iter().take(max_agents.max(1)).enumerate() {
            agents.push(Agent {
                id: format!("a{a}"),
                hostname: format!("host{a}"),
                rack: format!("r{}", spec.rack % 3),
                gpu_type: spec.gpu_type.map(|x| format!("t{}", x % 2)),
            });
            let specs = if spec.offers.is_empty() { &empty[..] } else { &spec.offers[..] };
            for (k, o) in specs.iter().take(MAX_OFFERS_PER_AGENT).enumerate() {
                let base = 10_000 + 1_000 * a as u64 + 300 * k as u64;
                offers.push(Offer {
                    id: format!("o{a}_{k}"),
                    agent: a,
                    cpus: i64::from(o.cpus_millis % 16_000),
                    mem: i64::from(o.mem % 16_384) * 1000,
                    disk: i64::from(o.disk % 8_192) * 1000,
                    gpus: i64::from(o.gpus % 3) * 1000,
                    ports: ports_of(o, base),
                });
            }
        }
        if agents.is_empty() {
            agents.push(Agent { id: "a0".into(), hostname: "host0".into(), rack: "r0".into(), gpu_type: None });
            offers.push(Offer {
                id: "o0_0".into(),
                agent: 0,
                cpus: 1000,
                mem: 1_000_000,
                disk: 0,
                gpus: 0,
                ports: Vec::new(),
            });
        }
        let constraints = |g: bool| -> Vec<ConstraintSpec> {
            let list = if g { &self.g1 } else { &self.g0 };
            list.iter().take(2).copied().collect()
        };
        let tasks: Vec<Task> = self
            .tasks
            .iter()
            .take(max_tasks)
            .enumerate()
            .map(|(i, t)| {
                let mut ports: Vec<u64> = vec![0; usize::from(t.dynamic_ports % 3)];
                for p in t.fixed_ports.iter().take(2) {
                    let port = 10_000 + u64::from(p % 4_000);
                    if !ports.contains(&port) {
                        ports.push(port);
                    }
                }
                let mut task = Task {
                    id: format!("t{i}"),
                    group: format!("g{}", u8::from(t.group)),
                    cpus: i64::from(t.cpus_millis % 4_001),
                    mem: i64::from(t.mem % 4_096) * 1000,
                    disk: i64::from(t.disk % 2_048) * 1000,
                    gpus: i64::from(t.gpus % 2) * 1000,
                    ports,
                    constraints: constraints(t.group),
                };
                // A Mesos master refuses a task that asks for no resources at all, and so does
                // `place` (`place.no_resources`): such a task gets the smallest cpus share, so
                // every built scenario stays a valid request.
                if task.cpus == 0 && task.mem == 0 && task.disk == 0 && task.gpus == 0 && task.ports.is_empty() {
                    task.cpus = 1;
                }
                task
            })
            .collect();
        let running: Vec<Running> = self
            .running
            .iter()
            .take(MAX_RUNNING)
            .enumerate()
            .map(|(i, r)| Running {
                id: format!("run{i}"),
                group: format!("g{}", u8::from(r.group)),
                hostname: format!("host{}", r.host % 5),
                rack: format!("r{}", r.rack % 3),
                gpu_type: r.gpu_type.map(|x| format!("t{}", x % 2)),
            })
            .collect();
        let request = request_json(self, &agents, &offers, &tasks, &running);
        Built { agents, offers, tasks, running, request }
    }
}

fn attributes_text(rack: &str, gpu_type: Option<&str>) -> String {
    match gpu_type {
        Some(t) => format!("rack:{rack};gpu_type:{t}"),
        None => format!("rack:{rack}"),
    }
}

fn request_json(s: &Scenario, agents: &[Agent], offers: &[Offer], tasks: &[Task], running: &[Running]) -> Json {
    let offers: Vec<Json> = offers
        .iter()
        .map(|o| {
            let a = agents.get(o.agent).cloned().unwrap_or_else(|| agents[0].clone());
            let mut res = vec![
                format!("cpus:{}", millis_text(o.cpus)),
                format!("mem:{}", millis_text(o.mem)),
                format!("disk:{}", millis_text(o.disk)),
            ];
            if o.gpus > 0 {
                res.push(format!("gpus:{}", millis_text(o.gpus)));
            }
            if !o.ports.is_empty() {
                res.push(format!("ports:{}", ranges_text(&o.ports)));
            }
            json!({
                "id": {"value": o.id},
                "agent_id": {"value": a.id},
                "hostname": a.hostname,
                "resources": res.join(";"),
                "attributes": attributes_text(&a.rack, a.gpu_type.as_deref()),
            })
        })
        .collect();
    let tasks: Vec<Json> = tasks
        .iter()
        .map(|t| {
            let constraints: Vec<String> = t.constraints.iter().map(|c| c.text()).collect();
            json!({
                "id": t.id,
                "group": t.group,
                "cpus": millis_json(t.cpus),
                "mem": millis_json(t.mem),
                "disk": millis_json(t.disk),
                "gpus": millis_json(t.gpus),
                "ports": t.ports,
                "constraints": constraints,
            })
        })
        .collect();
    let running: Vec<Json> = running
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "group": r.group,
                "hostname": r.hostname,
                "attributes": attributes_text(&r.rack, r.gpu_type.as_deref()),
            })
        })
        .collect();
    let strategy = match s.strategy {
        StrategySpec::Binpack => "binpack",
        StrategySpec::Spread => "spread",
        StrategySpec::FirstFit => "first_fit",
    };
    json!({
        "op": "place",
        "offers": offers,
        "tasks": tasks,
        "running": running,
        "options": {
            "strategy": strategy,
            "port_selection": if s.random_ports { "random" } else { "lowest" },
            "seed": s.seed,
        },
    })
}
