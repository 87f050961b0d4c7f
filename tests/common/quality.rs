//! Tiny seeded placement instances, an exact branch-and-bound for the most tasks that can be
//! placed, and an independent checker of `place` answers (the in-repo part of issue 21's
//! quality benchmark; the full one, with OR-Tools, is benches/quality/).
//!
//! The rules modelled (docs/placement.md, docs/constraints.md): an agent's scalars (cpus in
//! thousandths, mem) and its number of offered ports bound what its tasks take (every port is
//! dynamic); `field IS v` and `field LIKE re` (whole-string regex) filter agents; `field UNIQUE`
//! and `field MAX_PER k` allow at most 1 and k tasks of the task's group per field value. Groups
//! are homogeneous (every member carries the same constraints), so "fewer than k placed tasks
//! of the group share the value" when a task is placed is the same as "at most k in the end".

use std::collections::{BTreeMap, BTreeSet};

use offerfit::bench_gen::SplitMix64;
use serde_json::{json, Value};

/// The seeded generator of `offerfit::bench_gen` with the few draws the instances need.
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed ^ 0x5157_4c49_5459_2121))
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.0.below(hi - lo + 1)
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.0.below(xs.len() as u64) as usize]
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.0.percent(percent)
    }
}

/// An attribute the constraints read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Hostname,
    Rack,
    Zone,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Hostname => "hostname",
            Field::Rack => "rack",
            Field::Zone => "zone",
        }
    }
}

/// A hard constraint of the subset the tiny instances use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// `field UNIQUE` (k = 1) or `field MAX_PER k`.
    MaxPer(Field, u32),
    /// `field LIKE re`.
    Like(Field, String),
    /// `field IS v`.
    Is(Field, String),
}

impl Constraint {
    pub fn text(&self) -> String {
        match self {
            Constraint::MaxPer(f, 1) if *f == Field::Hostname => "hostname UNIQUE".to_string(),
            Constraint::MaxPer(f, k) => format!("{} MAX_PER {k}", f.name()),
            Constraint::Like(f, re) => format!("{} LIKE {re}", f.name()),
            Constraint::Is(f, v) => format!("{} IS {v}", f.name()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Agent {
    pub id: String,
    pub hostname: String,
    pub rack: String,
    pub zone: String,
    /// Thousandths of a cpu.
    pub cpus: u64,
    pub mem: u64,
    pub ports: Vec<(u32, u32)>,
}

impl Agent {
    pub fn value(&self, f: Field) -> &str {
        match f {
            Field::Hostname => &self.hostname,
            Field::Rack => &self.rack,
            Field::Zone => &self.zone,
        }
    }

    pub fn nports(&self) -> u64 {
        self.ports.iter().map(|&(b, e)| u64::from(e - b + 1)).sum()
    }
}

#[derive(Clone, Debug)]
pub struct Task {
    pub id: String,
    pub group: String,
    /// Thousandths of a cpu.
    pub cpus: u64,
    pub mem: u64,
    pub nports: u64,
    pub constraints: Vec<Constraint>,
}

#[derive(Clone, Debug)]
pub struct Instance {
    /// Planted: every task fits (the generator placed each one while generating).
    pub planted: bool,
    pub agents: Vec<Agent>,
    pub tasks: Vec<Task>,
}

/// Whether `task` may go on `agent` whatever else is placed (the filters).
pub fn allowed(task: &Task, agent: &Agent) -> bool {
    task.constraints.iter().all(|c| match c {
        Constraint::MaxPer(..) => true,
        Constraint::Is(f, v) => agent.value(*f) == v,
        Constraint::Like(f, re) => like(re, agent.value(*f)),
    })
}

/// Whole-string regex match (Java's `matches`, as offerfit's LIKE), compiled once per pattern.
fn like(re: &str, value: &str) -> bool {
    thread_local! {
        static CACHE: std::cell::RefCell<BTreeMap<String, regex::Regex>> = const { std::cell::RefCell::new(BTreeMap::new()) };
    }
    CACHE.with(|c| {
        c.borrow_mut()
            .entry(re.to_string())
            .or_insert_with(|| regex::Regex::new(&format!("^(?:{re})$")).expect("generated regex"))
            .is_match(value)
    })
}

/// A group's counting constraints (field, k).
fn counting(task: &Task) -> impl Iterator<Item = (Field, u32)> + '_ {
    task.constraints.iter().filter_map(|c| match c {
        Constraint::MaxPer(f, k) => Some((*f, *k)),
        _ => None,
    })
}

/// What is free and counted while tasks are placed one by one.
#[derive(Clone)]
struct State {
    cpus: Vec<u64>,
    mem: Vec<u64>,
    ports: Vec<u64>,
    /// (group, field, value) -> tasks placed.
    counts: BTreeMap<(String, Field, String), u32>,
}

impl State {
    fn new(agents: &[Agent]) -> Self {
        State {
            cpus: agents.iter().map(|a| a.cpus).collect(),
            mem: agents.iter().map(|a| a.mem).collect(),
            ports: agents.iter().map(Agent::nports).collect(),
            counts: BTreeMap::new(),
        }
    }

    fn fits(&self, agents: &[Agent], t: &Task, a: usize) -> bool {
        self.cpus[a] >= t.cpus
            && self.mem[a] >= t.mem
            && self.ports[a] >= t.nports
            && allowed(t, &agents[a])
            && counting(t).all(|(f, k)| {
                let key = (t.group.clone(), f, agents[a].value(f).to_string());
                self.counts.get(&key).copied().unwrap_or(0) < k
            })
    }

    fn apply(&mut self, agents: &[Agent], t: &Task, a: usize, sign: i8) {
        let (add, sub) = (sign > 0, sign < 0);
        for (v, d) in [(&mut self.cpus[a], t.cpus), (&mut self.mem[a], t.mem), (&mut self.ports[a], t.nports)] {
            if add {
                *v -= d;
            } else if sub {
                *v += d;
            }
        }
        for (f, _) in counting(t) {
            let c = self.counts.entry((t.group.clone(), f, agents[a].value(f).to_string())).or_insert(0);
            if add {
                *c += 1;
            } else {
                *c -= 1;
            }
        }
    }
}

/// The instance of `seed`: 2-6 agents, 1-12 tasks; planted (everything fits) for even seeds,
/// usually over capacity for odd ones.
pub fn instance(seed: u64) -> Instance {
    let mut rng = Rng::new(seed);
    let planted = seed % 2 == 0;
    let n_agents = rng.range(2, 6) as usize;
    let n_racks = n_agents.min(rng.range(2, 3) as usize);
    let port_choices: [&[(u32, u32)]; 4] =
        [&[], &[(31000, 31001)], &[(31000, 31003)], &[(31000, 31004), (32000, 32004)]];
    let agents: Vec<Agent> = (0..n_agents)
        .map(|i| {
            let rack = if i < n_racks { i } else { rng.range(0, n_racks as u64 - 1) as usize };
            Agent {
                id: format!("S{i}"),
                hostname: format!("h{i}"),
                rack: format!("r{}", rack + 1),
                zone: ["a", "b"][rack % 2].to_string(),
                cpus: rng.pick(&[2000, 4000, 8000]),
                mem: rng.pick(&[2048, 4096, 8192]),
                ports: rng.pick(&port_choices).to_vec(),
            }
        })
        .collect();
    let cap_cpus: u64 = agents.iter().map(|a| a.cpus).sum();
    let cap_mem: u64 = agents.iter().map(|a| a.mem).sum();
    let target = rng.range(4, 12) as usize;
    let mut tasks = Vec::new();
    let (mut dem_cpus, mut dem_mem) = (0, 0);
    let mut g = 0;
    let want = if planted { (target + 4).min(20) } else { 12 };
    while tasks.len() < want {
        let instances = if rng.chance(30) { 1 } else { rng.range(2, 4) };
        let scale = if planted { 1 } else { 2 };
        let cpus = rng.pick(&[250, 500, 1000, 2000, 3000]) * scale;
        let mem = rng.pick(&[256, 512, 1024, 2048, 3072]) * scale;
        let nports = rng.pick(&[0, 0, 0, 1, 1, 2]);
        let mut constraints = Vec::new();
        if rng.chance(30) {
            constraints.push(Constraint::MaxPer(Field::Hostname, 1));
        }
        if rng.chance(20) {
            constraints.push(Constraint::MaxPer(Field::Rack, rng.range(1, 2) as u32));
        }
        if rng.chance(15) {
            constraints.push(Constraint::Like(Field::Rack, rng.pick(&["r[12]", "r(1|3)", "r2"]).to_string()));
        }
        if rng.chance(15) {
            constraints.push(Constraint::Is(Field::Zone, rng.pick(&["a", "b"]).to_string()));
        }
        for k in 0..instances {
            if tasks.len() == want {
                break;
            }
            tasks.push(Task {
                id: format!("g{g}-{k}"),
                group: format!("g{g}"),
                cpus,
                mem,
                nports,
                constraints: constraints.clone(),
            });
            dem_cpus += cpus;
            dem_mem += mem;
        }
        g += 1;
        if !planted && (dem_cpus > cap_cpus * 13 / 10 || dem_mem > cap_mem * 13 / 10) {
            break;
        }
    }
    if planted {
        // Place each task on a random agent that can take it; drop the ones none can take.
        let mut state = State::new(&agents);
        let mut kept = Vec::new();
        for t in tasks {
            let options: Vec<usize> = (0..agents.len()).filter(|&a| state.fits(&agents, &t, a)).collect();
            if !options.is_empty() && kept.len() < 12 {
                let a = rng.pick(&options);
                state.apply(&agents, &t, a, 1);
                kept.push(t);
            }
        }
        tasks = kept;
    }
    tasks.truncate(12);
    // The request's task order is not the groups' order (Fisher-Yates).
    for i in (1..tasks.len()).rev() {
        let j = rng.range(0, i as u64) as usize;
        tasks.swap(i, j);
    }
    Instance { planted, agents, tasks }
}

fn milli_text(m: u64) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{}", m as f64 / 1000.0)
    }
}

impl Instance {
    /// The `place` request, with `options` as given.
    pub fn request(&self, options: Value) -> Value {
        let offers: Vec<Value> = self
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut res = format!("cpus:{};mem:{}", milli_text(a.cpus), a.mem);
                if !a.ports.is_empty() {
                    let r: Vec<String> = a.ports.iter().map(|(b, e)| format!("{b}-{e}")).collect();
                    res.push_str(&format!(";ports:[{}]", r.join(",")));
                }
                json!({"id": format!("O{i}"), "agent_id": a.id, "hostname": a.hostname,
                       "resources": res, "attributes": format!("rack:{};zone:{}", a.rack, a.zone)})
            })
            .collect();
        let tasks: Vec<Value> = self
            .tasks
            .iter()
            .map(|t| {
                let mut v = json!({"id": t.id, "group": t.group, "cpus": t.cpus as f64 / 1000.0, "mem": t.mem});
                if t.nports > 0 {
                    v["ports"] = json!(vec![0; t.nports as usize]);
                }
                if !t.constraints.is_empty() {
                    v["constraints"] = json!(t.constraints.iter().map(Constraint::text).collect::<Vec<_>>());
                }
                v
            })
            .collect();
        json!({"op": "place", "offers": offers, "tasks": tasks, "options": options})
    }

    /// The most tasks any feasible placement places (exact branch-and-bound).
    pub fn optimum(&self) -> usize {
        // Biggest first, identical tasks (same group) next to each other.
        let mut order: Vec<&Task> = self.tasks.iter().collect();
        order.sort_by(|a, b| (b.cpus + b.mem, &a.group).cmp(&(a.cpus + a.mem, &b.group)));
        // For each suffix, its tasks' cpus and mem, smallest first (the capacity bound).
        let suffix: Vec<(Vec<u64>, Vec<u64>)> = (0..=order.len())
            .map(|i| {
                let mut c: Vec<u64> = order[i..].iter().map(|t| t.cpus).collect();
                let mut m: Vec<u64> = order[i..].iter().map(|t| t.mem).collect();
                c.sort_unstable();
                m.sort_unstable();
                (c, m)
            })
            .collect();
        let mut best = 0;
        let mut state = State::new(&self.agents);
        let mut choice = vec![0usize; order.len()];
        self.branch(&order, &suffix, 0, 0, &mut state, &mut choice, &mut best);
        best
    }

    #[allow(clippy::too_many_arguments)]
    fn branch(
        &self,
        order: &[&Task],
        suffix: &[(Vec<u64>, Vec<u64>)],
        i: usize,
        placed: usize,
        state: &mut State,
        choice: &mut [usize],
        best: &mut usize,
    ) {
        if placed > *best {
            *best = placed;
        }
        if i == order.len() || *best == order.len() {
            return;
        }
        let fit_count = |sizes: &[u64], free: u64| {
            let mut sum = 0;
            sizes
                .iter()
                .take_while(|&&s| {
                    sum += s;
                    sum <= free
                })
                .count()
        };
        let bound =
            fit_count(&suffix[i].0, state.cpus.iter().sum()).min(fit_count(&suffix[i].1, state.mem.iter().sum()));
        if placed + bound <= *best {
            return;
        }
        let t = order[i];
        // Identical tasks are interchangeable: their agents (skip = agents.len()) never decrease.
        let n = self.agents.len();
        let first = if i > 0 && order[i - 1].group == t.group { choice[i - 1] } else { 0 };
        for a in first..=n {
            choice[i] = a;
            if a == n {
                self.branch(order, suffix, i + 1, placed, state, choice, best);
            } else if state.fits(&self.agents, t, a) {
                state.apply(&self.agents, t, a, 1);
                self.branch(order, suffix, i + 1, placed + 1, state, choice, best);
                state.apply(&self.agents, t, a, -1);
            }
        }
    }

    /// Checks an answer of offerfit on this instance independently: every task and offer
    /// accounted for once, each placed task takes exactly what it asks and distinct offered
    /// ports, no agent gives more than it offers, every constraint holds. Returns the task id
    /// -> agent index placement, or what is wrong.
    pub fn check(&self, answer: &Value) -> Result<BTreeMap<String, usize>, Vec<String>> {
        let mut bad = Vec::new();
        if answer["ok"] != json!(true) {
            return Err(vec![format!("not ok: {answer}")]);
        }
        let mut placement = BTreeMap::new();
        let mut offers_seen = Vec::new();
        let mut state = State::new(&self.agents);
        let mut ports_used: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); self.agents.len()];
        for acc in answer["accept"].as_array().into_iter().flatten() {
            let Some(a) = self.agents.iter().position(|x| acc["agent_id"] == json!(x.id)) else {
                bad.push(format!("unknown agent {}", acc["agent_id"]));
                continue;
            };
            for o in acc["offer_ids"].as_array().into_iter().flatten() {
                if *o != json!(format!("O{a}")) {
                    bad.push(format!("offer {o} accepted on agent {}", self.agents[a].id));
                }
                offers_seen.push(o.as_str().unwrap_or_default().to_string());
            }
            for pt in acc["tasks"].as_array().into_iter().flatten() {
                let id = pt["task_id"].as_str().unwrap_or_default().to_string();
                let Some(t) = self.tasks.iter().find(|t| t.id == id) else {
                    bad.push(format!("unknown task {id}"));
                    continue;
                };
                if placement.insert(id.clone(), a).is_some() {
                    bad.push(format!("task {id} placed twice"));
                }
                let (mut cpus, mut mem, mut ports) = (0u64, 0u64, Vec::new());
                for r in pt["resources"].as_array().into_iter().flatten() {
                    match r["name"].as_str() {
                        Some("cpus") => cpus += (r["scalar"]["value"].as_f64().unwrap_or(-1.0) * 1000.0).round() as u64,
                        Some("mem") => mem += r["scalar"]["value"].as_f64().unwrap_or(-1.0).round() as u64,
                        Some("ports") => {
                            for x in r["ranges"]["range"].as_array().into_iter().flatten() {
                                let (b, e) = (x["begin"].as_u64().unwrap_or(0), x["end"].as_u64().unwrap_or(0));
                                ports.extend(b..=e);
                            }
                        }
                        other => bad.push(format!("task {id} takes {other:?}")),
                    }
                }
                if cpus != t.cpus || mem != t.mem {
                    bad.push(format!("task {id} takes cpus {cpus}m mem {mem}, asks {}m {}", t.cpus, t.mem));
                }
                let mut listed: Vec<u64> =
                    pt["ports"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
                listed.sort_unstable();
                if ports.len() as u64 != t.nports || listed != ports {
                    bad.push(format!("task {id}: ports {listed:?} / resources {ports:?}, asks {}", t.nports));
                }
                for p in ports {
                    if !self.agents[a].ports.iter().any(|&(b, e)| (u64::from(b)..=u64::from(e)).contains(&p)) {
                        bad.push(format!("task {id}: port {p} not offered"));
                    }
                    if !ports_used[a].insert(p) {
                        bad.push(format!("port {p} of {} given twice", self.agents[a].id));
                    }
                }
                // Placed in the answer's order; the final counts are what matter (homogeneous
                // groups), and capacity is checked on the sums below.
                if !allowed(t, &self.agents[a]) {
                    bad.push(format!("task {id} on {} breaks a filter", self.agents[a].id));
                }
                for (f, _) in counting(t) {
                    *state.counts.entry((t.group.clone(), f, self.agents[a].value(f).to_string())).or_insert(0) += 1;
                }
                state.cpus[a] = state.cpus[a].wrapping_sub(cpus);
                state.mem[a] = state.mem[a].wrapping_sub(mem);
            }
        }
        for d in answer["decline"].as_array().into_iter().flatten() {
            offers_seen.push(d["offer_id"].as_str().unwrap_or_default().to_string());
        }
        offers_seen.sort();
        let mut offers: Vec<String> = (0..self.agents.len()).map(|i| format!("O{i}")).collect();
        offers.sort();
        if offers_seen != offers {
            bad.push(format!("offers accounted for: {offers_seen:?}"));
        }
        let mut tasks_seen: Vec<String> = placement.keys().cloned().collect();
        tasks_seen.extend(
            answer["unplaced"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| u["task_id"].as_str().unwrap_or_default().to_string()),
        );
        tasks_seen.sort();
        let mut ids: Vec<String> = self.tasks.iter().map(|t| t.id.clone()).collect();
        ids.sort();
        if tasks_seen != ids {
            bad.push(format!("tasks accounted for: {tasks_seen:?}"));
        }
        for (a, agent) in self.agents.iter().enumerate() {
            // A wrapped (negative) remainder is above the offered amount.
            if state.cpus[a] > agent.cpus || state.mem[a] > agent.mem {
                bad.push(format!("agent {} gives more than it offers", agent.id));
            }
            if ports_used[a].len() as u64 > agent.nports() {
                bad.push(format!("agent {} gives more ports than it offers", agent.id));
            }
        }
        for t in &self.tasks {
            for (f, k) in counting(t) {
                for agent in &self.agents {
                    let n = state.counts.get(&(t.group.clone(), f, agent.value(f).to_string())).copied().unwrap_or(0);
                    if n > k {
                        bad.push(format!(
                            "group {}: {n} tasks with {} {}, at most {k}",
                            t.group,
                            f.name(),
                            agent.value(f)
                        ));
                    }
                }
            }
        }
        if bad.is_empty() {
            Ok(placement)
        } else {
            bad.sort();
            bad.dedup();
            Err(bad)
        }
    }
}
