//! The simulation loop: the host of the scheduler (it submits the workload, keeps the
//! scheduler's timers, posts its calls to the master and feeds it the master's events) over
//! one queue of things to do, keyed by simulated time. Nothing loops over the clock or over
//! the agents: each item costs what it touches.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use serde_json::{json, Value as Json};

use super::inputs::{Cluster, Rng, Workload};
use super::master::{Amounts, Fate, Master, MasterConfig, MasterEvent, Timer};
use super::scheduler::{In, Scheduler, Seen, Sub, Wire};

/// How one run is set up.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Simulated time to run (ms).
    pub duration_ms: u64,
    /// Seed of every random draw (arrivals, durations, failures).
    pub seed: u64,
    /// The `place` strategy the scheduler uses.
    pub strategy: String,
    /// The master's flags.
    pub master: MasterConfig,
    /// Failures of long-running tasks, per task and hour (exponential time to failure).
    pub failures_per_hour: f64,
    /// The time series' sampling step (ms).
    pub sample_ms: u64,
    /// Agents (by hostname) put under maintenance from the start.
    pub drain: Vec<String>,
    /// The framework's role.
    pub role: String,
    /// `session.offer_hold_seconds` of the scheduler's config.
    pub offer_hold_s: f64,
    /// Agents lost per day over the whole cluster (seeded, exponential times between losses).
    pub agent_losses_per_day: f64,
    /// The scheduler driven: the real session unless `--scheduler` names a benchmark aid.
    pub scheduler: super::scheduler::Kind,
    /// How the session is driven: typed values (the default) or the contract's JSON text.
    pub wire: Wire,
}

/// One point of the time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Simulated seconds from the start.
    pub t: f64,
    /// Used / total per resource kind ([`KINDS`]), 0..1.
    pub util: [f64; 5],
    /// Tasks submitted and not yet launched.
    pub pending: usize,
    /// Tasks launched and not ended.
    pub running: usize,
    /// Pending tasks by the reason that blames them, by reason code.
    pub reasons: BTreeMap<String, usize>,
}

/// Everything a run found.
#[derive(Debug)]
pub struct Run {
    /// The strategy.
    pub strategy: String,
    /// Tasks submitted (restarts included).
    pub submitted: u64,
    /// Tasks launched.
    pub placed: u64,
    /// Tasks pending at the end.
    pub pending: usize,
    /// Pending at the end, by blamed reason: (code, message) → tasks.
    pub unplaced: BTreeMap<(String, String), usize>,
    /// The most tasks pending at one time.
    pub peak_pending: usize,
    /// Seconds from submit to launch, sorted.
    pub waits: Vec<f64>,
    /// The longest a task still pending at the end has waited (s).
    pub oldest_pending: f64,
    /// The master (agents, counters, violations) at the end.
    pub master: Master,
    /// Time-weighted mean utilisation per kind over the run.
    pub mean_util: [f64; 5],
    /// The highest utilisation per kind seen.
    pub peak_util: [f64; 5],
    /// Scheduler steps taken.
    pub steps: u64,
    /// Scheduler answers that were `ok: false` or `error` notices, counted, with the first few.
    pub scheduler_errors: (u64, Vec<String>),
    /// Tasks resubmitted after failing (Marathon keeps instances up).
    pub restarts: u64,
    /// The time series.
    pub samples: Vec<Sample>,
    /// Simulated seconds run.
    pub duration_s: f64,
    /// Where the wall-clock time went (not part of any summary: it differs run to run).
    pub timing: Timing,
}

/// Wall-clock time of one run, by part.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The whole run.
    pub total: std::time::Duration,
    /// CPU time of the process over the run (what a loaded machine does not inflate).
    pub cpu: std::time::Duration,
    /// In the scheduler's steps (with whatever the wire costs: typed values or JSON text).
    pub scheduler: std::time::Duration,
    /// In the master (calls, timers, building offers).
    pub master: std::time::Duration,
    /// Queue items handled.
    pub items: u64,
}

/// What the queue holds.
#[derive(Debug)]
enum Item {
    Master(Timer),
    Deliver(MasterEvent),
    Submit(usize),
    Arrival(usize),
    Restart(String),
    Wake,
}

/// One queue entry: ordered by time, then by the order it was queued (never equal to
/// another: the order is unique).
#[derive(Debug)]
struct Entry(u64, u64, Item);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

struct Loop<'a> {
    queue: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    now: u64,
    master: Master,
    sched: Box<dyn Scheduler + 'a>,
    pending: HashMap<String, u64>,
    blame: HashMap<String, (String, String)>,
    tasks: HashMap<String, (Sub, bool)>,
    restarts_of: HashMap<String, u32>,
    waits: Vec<f64>,
    submitted: u64,
    placed: u64,
    peak_pending: usize,
    steps: u64,
    errors: (u64, Vec<String>),
    restarts: u64,
    next_wake: Option<u64>,
    rng: Rng,
    failures_per_hour: f64,
    sched_time: std::time::Duration,
    master_time: std::time::Duration,
}

impl Loop<'_> {
    fn push(&mut self, t: u64, item: Item) {
        self.seq += 1;
        self.queue.push(Reverse(Entry(t, self.seq, item)));
    }

    /// Moves the master's new timers and events into the queue.
    fn drain_master(&mut self) {
        let t0 = std::time::Instant::now();
        for (t, timer) in self.master.take_timers() {
            self.push(t.max(self.now), Item::Master(timer));
        }
        for ev in self.master.take_events() {
            self.push(self.now, Item::Deliver(ev));
        }
        self.master_time += t0.elapsed();
    }

    /// One scheduler step: the input at the master's Unix time, the answer's calls to the
    /// master, its notices to the books.
    fn step(&mut self, input: In) {
        self.steps += 1;
        let what = match &input {
            In::Connect => "connect",
            In::Tick => "tick",
            In::Event(_) => "event",
            In::Submit(_) => "submit",
        };
        let t0 = std::time::Instant::now();
        let out = self.sched.step(self.master.unix(self.now), input);
        self.sched_time += t0.elapsed();
        if let Some(why) = out.refused {
            self.error(format!("the scheduler refused {what}: {why}"));
            return;
        }
        let t1 = std::time::Instant::now();
        for call in &out.calls {
            self.master.call(self.now, call);
        }
        self.master_time += t1.elapsed();
        for n in out.notices {
            self.notice(n);
        }
        if let Some(w) = out.wake_at {
            let ms = ((w - self.master.unix(0)) * 1000.0).ceil().max(self.now as f64) as u64;
            if self.next_wake.is_none_or(|t| ms < t) {
                self.next_wake = Some(ms);
                self.push(ms, Item::Wake);
            }
        }
        self.drain_master();
    }

    fn error(&mut self, m: String) {
        self.errors.0 += 1;
        if self.errors.1.len() < 5 {
            self.errors.1.push(m);
        }
    }

    fn notice(&mut self, n: Seen) {
        match n {
            Seen::Launching(id) => {
                if let Some(at) = self.pending.remove(&id) {
                    self.placed += 1;
                    self.waits.push((self.now - at) as f64 / 1000.0);
                }
                self.blame.remove(&id);
            }
            Seen::Unplaced(id, blame) => {
                if self.pending.contains_key(&id) {
                    self.blame.insert(id, blame);
                }
            }
            Seen::TaskState(id, state, terminal) => {
                if terminal
                    && matches!(
                        state,
                        "TASK_FAILED" | "TASK_LOST" | "TASK_GONE" | "TASK_GONE_BY_OPERATOR" | "TASK_ERROR"
                    )
                {
                    if let Some((_, true)) = self.tasks.get(&id) {
                        // Marathon replaces a failed instance (after its backoff, 1 s first).
                        self.push(self.now + 1000, Item::Restart(id));
                    }
                }
            }
            Seen::Error(message) => self.error(message),
        }
    }

    /// The fate of a task: how long it runs and whether it fails.
    fn fate(&mut self, duration: Option<u64>, fails: bool) -> Fate {
        if self.failures_per_hour > 0.0 {
            let ttf = self.rng.exponential(3_600_000.0 / self.failures_per_hour).max(1.0) as u64;
            if duration.is_none_or(|d| ttf < d) {
                return Fate { runs_ms: Some(ttf), fails: true };
            }
        }
        Fate { runs_ms: duration, fails }
    }

    fn submit(&mut self, tasks: Vec<(Sub, Fate, bool)>) {
        let mut list = Vec::with_capacity(tasks.len());
        for (task, fate, restart) in tasks {
            let id = task.id().to_owned();
            self.master.expect(&id, fate);
            self.pending.insert(id.clone(), self.now);
            if restart {
                self.tasks.insert(id, (task.clone(), true));
            }
            list.push(task);
        }
        self.submitted += list.len() as u64;
        self.peak_pending = self.peak_pending.max(self.pending.len());
        self.step(In::Submit(list));
    }
}

/// The session config the simulator gives the scheduler.
pub fn session_config(cfg: &RunConfig) -> Json {
    json!({
        "framework": {"name": "offerfit-simulate", "roles": [cfg.role], "user": "root",
                      "capabilities": ["MULTI_ROLE", "PARTITION_AWARE"]},
        "options": {"strategy": cfg.strategy, "refuse_seconds": 5,
                    "drain_seconds": (cfg.duration_ms / 1000).max(1)},
        "session": {"offer_hold_seconds": cfg.offer_hold_s, "idle_refuse_seconds": 3600, "revive_min_interval": 5}
    })
}

/// Makes the scheduler for a session config.
pub type MakeScheduler<'a> = dyn Fn(&Json) -> Result<Box<dyn Scheduler>, String> + 'a;

/// Runs one simulation. `progress` is called with the simulated ms now and then.
///
/// # Errors
/// The scheduler's refusal of its config.
pub fn run(
    cluster: &Cluster,
    workload: &Workload,
    cfg: &RunConfig,
    make: &MakeScheduler<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Run, String> {
    let config = session_config(cfg);
    let sched = make(&config)?;
    // The workload's tasks in the form the scheduler takes, read once per task or class.
    let wire = sched.wire();
    let fixed: Vec<Sub> = workload.fixed.iter().map(|f| Sub::from_json(&f.task, wire)).collect();
    // A class's task has no id until it arrives (`NAME-N`): read it under a stand-in id.
    let classes: Vec<Sub> = workload
        .classes
        .iter()
        .map(|c| {
            let mut t = c.task.clone();
            t["id"] = json!(format!("{}-0", c.name));
            Sub::from_json(&t, wire)
        })
        .collect();
    let mut master = Master::new(cfg.master.clone(), &cluster.agents);
    for host in &cfg.drain {
        for i in 0..master.agents.len() {
            if master.agents.get(i).is_some_and(|a| &a.spec.hostname == host) {
                master.schedule_maintenance(i, 0, None);
            }
        }
    }
    let mut lp = Loop {
        queue: BinaryHeap::new(),
        seq: 0,
        now: 0,
        master,
        sched,
        pending: HashMap::new(),
        blame: HashMap::new(),
        tasks: HashMap::new(),
        restarts_of: HashMap::new(),
        waits: Vec::new(),
        submitted: 0,
        placed: 0,
        peak_pending: 0,
        steps: 0,
        errors: (0, Vec::new()),
        restarts: 0,
        next_wake: None,
        rng: Rng::new(cfg.seed, 0),
        failures_per_hour: cfg.failures_per_hour,
        sched_time: std::time::Duration::ZERO,
        master_time: std::time::Duration::ZERO,
    };
    let started = std::time::Instant::now();
    let cpu_started = cpu_time::ProcessTime::now();
    // Fixed tasks: one submit per distinct time, in file order.
    let mut batches: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, f) in workload.fixed.iter().enumerate() {
        if f.at_ms <= cfg.duration_ms {
            batches.entry(f.at_ms).or_default().push(i);
        }
    }
    let batch_list: Vec<Vec<usize>> = batches.values().cloned().collect();
    for (b, (at, _)) in batches.iter().enumerate() {
        lp.push(*at, Item::Submit(b));
    }
    let mut class_rng: Vec<Rng> = (0..workload.classes.len()).map(|i| Rng::new(cfg.seed, 1 + i as u64)).collect();
    let mut class_count = vec![0u64; workload.classes.len()];
    for (i, c) in workload.classes.iter().enumerate() {
        let first = c.start_ms + class_rng[i].exponential(1000.0 / c.rate) as u64;
        lp.push(first, Item::Arrival(i));
    }
    if cfg.agent_losses_per_day > 0.0 && !cluster.agents.is_empty() {
        let mut r = Rng::new(cfg.seed, u64::MAX);
        let mean = 86_400_000.0 / cfg.agent_losses_per_day;
        let mut t = 0.0;
        loop {
            t += r.exponential(mean).max(1.0);
            if t > cfg.duration_ms as f64 {
                break;
            }
            let i = (r.next_u64() % cluster.agents.len() as u64) as usize;
            lp.master.schedule_loss(i, t as u64);
        }
        lp.drain_master();
    }
    lp.step(In::Connect);

    let mut samples = Vec::new();
    let mut next_sample = 0u64;
    let mut last_t = 0u64;
    let mut area = [0.0f64; 5];
    let mut peak = [0.0f64; 5];
    let util = |m: &Master| -> [f64; 5] {
        let mut u = [0.0; 5];
        for (k, x) in u.iter_mut().enumerate() {
            *x = if m.size[k] > 0.0 { m.used[k] / m.size[k] } else { 0.0 };
        }
        u
    };
    let mut handled = 0u64;
    while let Some(Reverse(Entry(t, _, item))) = lp.queue.pop() {
        if t > cfg.duration_ms {
            break;
        }
        let u = util(&lp.master);
        for k in 0..5 {
            area[k] += u[k] * (t - last_t) as f64;
            peak[k] = peak[k].max(u[k]);
        }
        last_t = t;
        while next_sample <= t {
            samples.push(sample(&lp, next_sample, u));
            next_sample += cfg.sample_ms.max(1);
        }
        lp.now = t;
        handled += 1;
        if handled.is_multiple_of(4096) {
            progress(t);
        }
        match item {
            Item::Master(timer) => {
                let t0 = std::time::Instant::now();
                lp.master.on_timer(t, timer);
                lp.master_time += t0.elapsed();
                lp.drain_master();
            }
            Item::Deliver(ev) => lp.step(In::Event(ev)),
            Item::Wake => {
                if lp.next_wake == Some(t) {
                    lp.next_wake = None;
                    lp.step(In::Tick);
                }
            }
            Item::Submit(b) => {
                let mut list = Vec::new();
                for &i in batch_list.get(b).into_iter().flatten() {
                    let Some(f) = workload.fixed.get(i) else { continue };
                    let d = f.duration.as_ref().map(|d| d.sample(&mut lp.rng));
                    let fate = lp.fate(d, false);
                    list.push((fixed[i].clone(), fate, f.restart));
                }
                lp.submit(list);
            }
            Item::Arrival(i) => {
                let Some(c) = workload.classes.get(i) else { continue };
                let r = &mut class_rng[i];
                class_count[i] += 1;
                let d = c.duration.sample(r);
                let fails = r.unit() < c.failure;
                let mut task = classes[i].clone();
                task.set_id(format!("{}-{}", c.name, class_count[i]));
                let next = t + (r.exponential(1000.0 / c.rate).max(1.0) as u64);
                if c.end_ms.is_none_or(|e| next <= e) && next <= cfg.duration_ms {
                    lp.push(next, Item::Arrival(i));
                }
                lp.submit(vec![(task, Fate { runs_ms: Some(d), fails }, false)]);
            }
            Item::Restart(id) => {
                let Some((task, _)) = lp.tasks.remove(&id) else { continue };
                let base = id.split("-r").next().unwrap_or(&id).to_owned();
                let n = lp.restarts_of.entry(base.clone()).or_insert(0);
                *n += 1;
                let mut task = task;
                task.set_id(format!("{base}-r{n}"));
                lp.restarts += 1;
                let fate = lp.fate(None, false);
                lp.submit(vec![(task, fate, true)]);
            }
        }
    }
    let end = cfg.duration_ms;
    let u = util(&lp.master);
    for k in 0..5 {
        area[k] += u[k] * end.saturating_sub(last_t) as f64;
        peak[k] = peak[k].max(u[k]);
    }
    while next_sample <= end {
        samples.push(sample(&lp, next_sample, u));
        next_sample += cfg.sample_ms.max(1);
    }
    let mut unplaced: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut oldest = 0u64;
    for (id, at) in &lp.pending {
        let b = lp
            .blame
            .get(id)
            .cloned()
            .unwrap_or_else(|| ("waiting".into(), "no offer has come since it was submitted".into()));
        *unplaced.entry(b).or_insert(0) += 1;
        oldest = oldest.max(end.saturating_sub(*at));
    }
    let mut waits = lp.waits;
    waits.sort_by(f64::total_cmp);
    let mean_util = area.map(|a| if end > 0 { a / end as f64 } else { 0.0 });
    Ok(Run {
        strategy: cfg.strategy.clone(),
        submitted: lp.submitted,
        placed: lp.placed,
        pending: lp.pending.len(),
        unplaced,
        peak_pending: lp.peak_pending,
        waits,
        oldest_pending: oldest as f64 / 1000.0,
        master: lp.master,
        mean_util,
        peak_util: peak,
        steps: lp.steps,
        scheduler_errors: lp.errors,
        restarts: lp.restarts,
        samples,
        duration_s: end as f64 / 1000.0,
        timing: Timing {
            total: started.elapsed(),
            cpu: cpu_started.elapsed(),
            scheduler: lp.sched_time,
            master: lp.master_time,
            items: handled,
        },
    })
}

fn sample(lp: &Loop<'_>, t: u64, util: Amounts) -> Sample {
    let mut reasons = BTreeMap::new();
    for id in lp.pending.keys() {
        let code = lp.blame.get(id).map_or("waiting", |b| b.0.as_str());
        *reasons.entry(code.to_owned()).or_insert(0) += 1;
    }
    Sample { t: t as f64 / 1000.0, util, pending: lp.pending.len(), running: lp.master.live_tasks(), reasons }
}
