//! `offerfit bench`: the performance scenarios of `offerfit::bench_gen`, run in-process.
//!
//! For each scenario it measures the typed API (`Engine::place`), the whole contract call
//! from JSON text to JSON text (`offerfit::call`), and the floor that call is compared with:
//! `serde_json` parsing the same request into a `serde_json::Value`. Times are medians of
//! the measuring thread's CPU time (the machine may be shared: compare within one run). The
//! placed count of every sample is checked against the first, so a broken engine cannot look
//! fast.
//!
//! `--rounds N` measures every scenario N times, round-robin (fenzo, kube, constraints, ports,
//! fenzo, kube, …), so that load which comes and goes on a shared machine falls on every
//! scenario alike; each round's median is kept (`typed_rounds`, `json_rounds`: the median of
//! the rounds' medians with their min and max), and the ratios to the plain kube call are taken
//! within each round and their median reported with the spread.
//!
//! `--once` and `--once-text` run the work once, out-of-line, for `valgrind --tool=callgrind`
//! (`--toggle-collect='*measured_place*'`, `'*measured_call*'`, `'*measured_parse*'`): the
//! instruction counts the report quotes beside the times.
//!
//! `--scenario growth` runs one child process per cell (agents × tasks) so that each cell's
//! peak resident memory (`VmHWM` in `/proc/self/status`) is its own.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use offerfit::bench_gen::{self, Run, Scenario, Workload};
use offerfit::{Engine, Plan};
use serde_json::{json, Value as Json};

use crate::out::{errln, out, outln};
use crate::render::Table;
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// What `--scenario` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// fenzo, fenzo-distinct, fenzo-distinct-ports, kube, kube-hetero, constraints, ports
    /// and mantl
    All,
    /// Fenzo's TestLotsOfTasks: 10,000 agents × 8 cpus, calls of 200 tasks until full
    Fenzo,
    /// The same on 1,000 agents (the callgrind gate's scenario)
    FenzoSmall,
    /// kube-scheduler's SchedulingBasic shape: 10,000 tasks onto 5,000 agents in one call
    Kube,
    /// The kube shape with UNIQUE / GROUP_BY / MAX_PER / LIKE constraints and running tasks
    Constraints,
    /// The kube shape with 2 dynamic + 1 fixed port per task and mixed roles
    Ports,
    /// Fenzo's scenario, every agent with its own `node_id` attribute
    FenzoDistinct,
    /// The same on 1,000 agents (the callgrind gate's heterogeneous scenario)
    FenzoDistinctSmall,
    /// Fenzo's scenario, every agent with its own `node_id` and its own port range
    FenzoDistinctPorts,
    /// Agents as Mantl writes them: node_id, rack, default ports, some `slave_public`
    Mantl,
    /// The kube call on four machine sizes, 5% GPU agents, 2% in maintenance
    KubeHetero,
    /// The same on 1,000 agents and 2,000 pods
    KubeHeteroSmall,
    /// Time and peak memory for agents (1k, 10k, 100k) × tasks (100, 1k, 10k, 100k)
    Growth,
    /// Time, peak memory and answer size for each hostile request of issue 20
    /// (`offerfit::bench_gen::hostile`), one child process per case
    Hostile,
    /// Fenzo's scenario through an `offerfit::Session` (submit + offers per step) beside
    /// `Engine::place` and stateless `place` calls of the same batches (bench_session.rs)
    Session,
}

/// Run the performance scenarios in-process.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which scenarios (comma-separated), measured in this order in each round
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    scenario: Vec<Which>,
    /// Print the results as one JSON document
    #[arg(long)]
    json: bool,
    /// Run the scenario's calls once through the typed API and print only what was placed
    /// (for instruction counting under callgrind; internal, hidden from --help)
    #[arg(long, hide = true)]
    once: bool,
    /// Samples of each single-call scenario per round (multi-call scenarios give one sample per
    /// call)
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=1000))]
    samples: u32,
    /// Measure every scenario this many times, round-robin; samples are pooled and the ratios
    /// to the plain kube call taken within each round
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Run the first call's request text once through `serde_json::from_str::<Value>`
    /// (`measured_parse`) and once through `offerfit::call` (`measured_call`), for callgrind
    /// (internal, hidden from --help)
    #[arg(long, conflicts_with = "once", hide = true)]
    once_text: bool,
    /// Seed of the generated workloads
    #[arg(long, default_value_t = bench_gen::DEFAULT_SEED)]
    seed: u64,
    /// Write each scenario's workload as JSON into DIR (for the Node benchmark) and exit
    /// (internal, hidden from --help)
    #[arg(long, value_name = "DIR", hide = true)]
    write_workloads: Option<PathBuf>,
    /// Largest growth cell, as AGENTSxTASKS (smaller cells only), e.g. 10000x10000
    #[arg(long, value_name = "AxT")]
    growth_max: Option<String>,
    /// Internal: run one growth cell (AGENTSxTASKS) and print its result as JSON
    #[arg(long, value_name = "AxT", hide = true)]
    growth_cell: Option<String>,
    /// With --scenario hostile: the cheap sizes (what CI runs) instead of the issue's
    #[arg(long)]
    cheap: bool,
    /// With --scenario hostile: give up on a case after this many seconds (it is reported as
    /// timed out)
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    case_timeout: u64,
    /// Write each hostile request (`--cheap` for the CI sizes) as DIR/NAME.json, with
    /// DIR/index.json listing name, item and what, for the host runs
    /// (scripts/hostile-hosts.py, the C and Node tests), and exit
    #[arg(long, value_name = "DIR")]
    write_hostile: Option<PathBuf>,
    /// Internal: run one hostile case and print its result as JSON
    #[arg(long, value_name = "NAME", hide = true)]
    hostile_case: Option<String>,
    /// With --once: the number of runs, with seeds SEED, SEED+1, ...
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    /// With --once: the number of runs, with seeds SEED, SEED+1, ... (internal, hidden)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100), hide = true)]
    passes: u32,
    /// With --once: run PERCENT % of the passes again, a deliberate regression to check the
    /// callgrind gate
    #[arg(long, value_name = "PERCENT", hide = true, default_value_t = 0)]
    extra_work: u32,
}

/// Growth table sizes.
const GROWTH_AGENTS: [usize; 3] = [1_000, 10_000, 100_000];
const GROWTH_TASKS: [usize; 4] = [100, 1_000, 10_000, 100_000];

/// Runs `offerfit bench`.
pub fn run(args: &Args) -> Outcome {
    if let Some(cell) = &args.growth_cell {
        let (agents, tasks) = parse_cell(cell)?;
        let result = growth_cell(agents, tasks, args.seed)?;
        outln!("{result}");
        return Ok(EXIT_OK);
    }
    if let Some(name) = &args.hostile_case {
        outln!("{}", hostile_case(name, size_of(args))?);
        return Ok(EXIT_OK);
    }
    if let Some(dir) = &args.write_hostile {
        return write_hostile(dir, size_of(args));
    }
    if let Some(dir) = &args.write_workloads {
        return write_workloads(dir, args.seed);
    }
    if args.scenario.contains(&Which::Growth) {
        return growth(args);
    }
    if args.scenario.contains(&Which::Hostile) {
        return hostile(args);
    }
    if args.scenario.contains(&Which::Session) {
        return crate::bench_session::run(args.seed, args.rounds, args.json);
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    for which in &args.scenario {
        let named: &[Scenario] = match which {
            Which::All => &[
                Scenario::Fenzo,
                Scenario::FenzoDistinct,
                Scenario::FenzoDistinctPorts,
                Scenario::Kube,
                Scenario::KubeHetero,
                Scenario::Constraints,
                Scenario::Ports,
                Scenario::Mantl,
            ],
            Which::Fenzo => &[Scenario::Fenzo],
            Which::FenzoSmall => &[Scenario::FenzoSmall],
            Which::Kube => &[Scenario::Kube],
            Which::Constraints => &[Scenario::Constraints],
            Which::Ports => &[Scenario::Ports],
            Which::FenzoDistinct => &[Scenario::FenzoDistinct],
            Which::FenzoDistinctSmall => &[Scenario::FenzoDistinctSmall],
            Which::FenzoDistinctPorts => &[Scenario::FenzoDistinctPorts],
            Which::Mantl => &[Scenario::Mantl],
            Which::KubeHetero => &[Scenario::KubeHetero],
            Which::KubeHeteroSmall => &[Scenario::KubeHeteroSmall],
            Which::Growth | Which::Hostile | Which::Session => &[],
        };
        for s in named {
            if !scenarios.contains(s) {
                scenarios.push(*s);
            }
        }
    }
    if args.once {
        for s in scenarios {
            once_passes(s, args.seed, args.passes, args.extra_work)?;
        }
        return Ok(EXIT_OK);
    }
    if args.once_text {
        for s in scenarios {
            once_text(&s.workload(args.seed))?;
        }
        return Ok(EXIT_OK);
    }
    let workloads: Vec<Workload> = scenarios.iter().map(|s| s.workload(args.seed)).collect();
    let mut rounds: Vec<Vec<Samples>> = workloads.iter().map(|_| Vec::new()).collect();
    for round in 0..args.rounds {
        for (w, done) in workloads.iter().zip(rounds.iter_mut()) {
            let label =
                if args.rounds > 1 { format!("{} {}/{}", w.name, round + 1, args.rounds) } else { w.name.clone() };
            done.push(measure(w, args.samples as usize, &label)?);
        }
    }
    let kube = workloads.iter().position(|w| w.name == Scenario::Kube.name()).and_then(|i| rounds.get(i));
    let results: Vec<Json> = workloads.iter().zip(&rounds).map(|(w, done)| summarise(w, done, kube)).collect();
    let doc = json!({
        "seed": args.seed,
        "clock": clock_name(),
        "rounds": args.rounds,
        "scenarios": results,
    });
    if args.json {
        outln!("{doc}");
    } else {
        out!("{}", scenario_table(&results));
        outln!("times: medians of {} time per call; json = offerfit::call from text to text", clock_name());
    }
    Ok(if results.iter().all(|r| r["checked"] == true) { EXIT_OK } else { EXIT_REFUSED })
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

fn parse_cell(cell: &str) -> Result<(usize, usize), UsageError> {
    let bad = || usage(format!("expected AGENTSxTASKS such as `1000x100`, found `{cell}`"));
    let (a, t) = cell.split_once('x').ok_or_else(bad)?;
    Ok((a.parse().map_err(|_| bad())?, t.parse().map_err(|_| bad())?))
}

fn engine_for(w: &Workload) -> Result<Engine, UsageError> {
    Engine::new(w.options.clone()).map_err(|e| usage(format!("the workload's options were refused: {e}")))
}

fn placed_of(plan: &Plan) -> usize {
    plan.accept.iter().map(|a| a.tasks.len()).sum()
}

/// The engine call the callgrind gate counts (`--toggle-collect=*measured_place*`): kept out
/// of line so that its name survives optimisation.
#[inline(never)]
fn measured_place<'r>(engine: &Engine, request: &'r offerfit::PlaceRequest) -> Result<Plan<'r>, UsageError> {
    engine.place(request).map_err(|e| usage(format!("place failed: {e}")))
}

/// The parse floor `--once-text` counts (`--toggle-collect=*measured_parse*`).
#[inline(never)]
fn measured_parse(text: &str) -> Result<Json, UsageError> {
    serde_json::from_str::<Json>(text).map_err(|e| usage(format!("bad request text: {e}")))
}

/// The contract call `--once-text` counts (`--toggle-collect=*measured_call*`).
#[inline(never)]
fn measured_call(text: &str) -> String {
    offerfit::call(text)
}

/// `--once-text`: the first call's request text through the parse floor and through
/// `offerfit::call`, once each; prints the request's size and what the call placed.
fn once_text(w: &Workload) -> Outcome {
    let mut run = Run::new(w);
    let Some(text) = run.next_request_text() else {
        return Err(usage(format!("{}: the workload has no calls", w.name)));
    };
    let parsed = measured_parse(&text)?;
    drop(parsed);
    let out = measured_call(&text);
    let response: Json = serde_json::from_str(&out).map_err(|e| usage(format!("the response is not JSON: {e}")))?;
    let placed: usize = response["accept"]
        .as_array()
        .map(|a| a.iter().map(|acc| acc["tasks"].as_array().map_or(0, Vec::len)).sum())
        .unwrap_or(0);
    if response["ok"] != true {
        return Err(usage(format!("{}: the call was refused: {out}", w.name)));
    }
    outln!("{} first call: {} bytes of request text, placed {placed} tasks", w.name, text.len());
    Ok(EXIT_OK)
}

/// Runs every call of the workload once through the typed API.
fn once(w: &Workload) -> Result<(usize, f64), UsageError> {
    let engine = engine_for(w)?;
    let mut run = Run::new(w);
    while let Some(req) = run.next_request() {
        let plan = measured_place(&engine, &req)?;
        run.apply(&plan);
    }
    Ok((run.placed(), run.utilisation()))
}

/// `--once`: `passes` runs of the scenario with the seeds `seed`, `seed + 1`, ...; then, for
/// `--extra-work PERCENT`, PERCENT × passes / 100 of those runs again (a deliberate, exactly
/// sized regression for the gate's self-test).
fn once_passes(s: Scenario, seed: u64, passes: u32, extra: u32) -> Outcome {
    if !(extra * passes).is_multiple_of(100) {
        return Err(usage(format!(
            "--extra-work {extra} with --passes {passes} is not a whole number of runs: \
             choose PERCENT × passes as a multiple of 100"
        )));
    }
    let seeds = (0..u64::from(passes)).map(|p| seed.wrapping_add(p));
    let again = (0..u64::from(extra * passes / 100)).map(|p| seed.wrapping_add(p % u64::from(passes)));
    for (i, seed) in seeds.chain(again).enumerate() {
        let w = s.workload(seed);
        let (placed, utilisation) = once(&w)?;
        let extra = if i >= passes as usize { " (extra work)" } else { "" };
        outln!(
            "{} seed {seed}: placed {placed} of {} tasks, utilisation {:.2}%{extra}",
            w.name,
            w.tasks.len(),
            utilisation * 100.0
        );
    }
    Ok(EXIT_OK)
}

/// The clock samples are taken with: the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, exact
/// at every read) where the system has it, else wall time. On a shared machine, time spent
/// waiting for a core is not the engine's.
pub(crate) fn clock_name() -> &'static str {
    if cpu_time::ThreadTime::try_now().is_ok() {
        "thread-cpu"
    } else {
        "wall"
    }
}

/// Runs `f` and returns its result and its time in milliseconds (see [`clock_name`]).
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let (cpu0, wall0) = (cpu_time::ThreadTime::try_now(), Instant::now());
    let out = f();
    let elapsed = match cpu0.and_then(|c| c.try_elapsed()) {
        Ok(d) => d,
        Err(_) => wall0.elapsed(),
    };
    (out, elapsed.as_secs_f64() * 1e3)
}

/// Median, min, max, mean and 95th percentile of samples (milliseconds, or ratios).
fn stats(mut ms: Vec<f64>) -> Json {
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let median = match n {
        0 => 0.0,
        _ if n % 2 == 1 => ms.get(n / 2).copied().unwrap_or(0.0),
        _ => (ms.get(n / 2 - 1).copied().unwrap_or(0.0) + ms.get(n / 2).copied().unwrap_or(0.0)) / 2.0,
    };
    let mean = if n == 0 { 0.0 } else { ms.iter().sum::<f64>() / n as f64 };
    let p95 = ms.get((n * 95).div_ceil(100).saturating_sub(1)).copied().unwrap_or(0.0);
    json!({
        "median": round3(median),
        "min": round3(ms.first().copied().unwrap_or(0.0)),
        "max": round3(ms.last().copied().unwrap_or(0.0)),
        "mean": round3(mean),
        "p95": round3(p95),
        "samples": n,
    })
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn progress(len: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_owned());
    bar
}

/// One round of one scenario: the raw samples (milliseconds) and what they placed.
struct Samples {
    typed: Vec<f64>,
    json: Vec<f64>,
    parse: Vec<f64>,
    /// `json / parse` of each call (both timed back to back on the same text).
    ratios: Vec<f64>,
    placed: usize,
    utilisation: f64,
    bytes: usize,
    checked: bool,
}

/// Times one round of one scenario: the typed API, the JSON call and the parse floor, per call.
fn measure(w: &Workload, samples: usize, label: &str) -> Result<Samples, UsageError> {
    let engine = engine_for(w)?;
    let calls = w.calls();
    let reps = if calls == 1 { samples } else { 1 };
    let bar = progress((calls * reps * 2) as u64, label);

    // Typed API.
    let mut typed = Vec::new();
    let mut checked = true;
    let mut run = Run::new(w);
    let mut utilisation = 0.0;
    let mut placed = 0;
    while let Some(req) = run.next_request() {
        let mut first: Option<Plan> = None;
        for _ in 0..reps {
            let (plan, t) = timed(|| engine.place(&req));
            let plan = plan.map_err(|e| usage(format!("place failed: {e}")))?;
            typed.push(t);
            bar.inc(1);
            match &first {
                Some(f) => checked &= placed_of(f) == placed_of(&plan),
                None => first = Some(plan),
            }
        }
        if let Some(plan) = first {
            run.apply(&plan);
        }
        placed = run.placed();
        utilisation = run.utilisation();
    }

    // JSON text to JSON text, and the parse floor on the same text.
    let mut text_run = Run::new(w);
    let mut json_samples = Vec::new();
    let mut parse_samples = Vec::new();
    let mut ratios = Vec::new();
    let mut bytes = 0;
    while let Some(text) = text_run.next_request_text() {
        bytes = bytes.max(text.len());
        let mut first: Option<Json> = None;
        for _ in 0..reps {
            let (parsed, parse) = timed(|| serde_json::from_str::<Json>(&text));
            parsed.map_err(|e| usage(format!("bad request text: {e}")))?;
            let (out, call) = timed(|| offerfit::call(&text));
            bar.inc(1);
            parse_samples.push(parse);
            json_samples.push(call);
            ratios.push(call / parse.max(1e-6));
            let response: Json =
                serde_json::from_str(&out).map_err(|e| usage(format!("the response is not JSON: {e}")))?;
            match &first {
                Some(f) => checked &= f == &response,
                None => first = Some(response),
            }
        }
        if let Some(response) = first {
            text_run.apply_json(&response).map_err(usage)?;
        }
    }
    bar.finish_and_clear();
    checked &= text_run.placed() == placed;
    Ok(Samples { typed, json: json_samples, parse: parse_samples, ratios, placed, utilisation, bytes, checked })
}

/// The median of some samples (0 for none).
fn median(samples: &[f64]) -> f64 {
    stats(samples.to_vec())["median"].as_f64().unwrap_or(0.0)
}

/// One scenario's result over all rounds; `kube`, the plain scenario's rounds when it was
/// measured too, gives the within-round ratios `typed_to_kube` (median typed time of this
/// scenario over kube's, per round).
fn summarise(w: &Workload, rounds: &[Samples], kube: Option<&Vec<Samples>>) -> Json {
    let pooled = |f: fn(&Samples) -> &Vec<f64>| rounds.iter().flat_map(|r| f(r).iter().copied()).collect::<Vec<f64>>();
    let typed = pooled(|r| &r.typed);
    let single = w.calls() == 1;
    let tasks_per_s = if single {
        w.tasks.len() as f64 / (median(&typed) / 1e3).max(1e-9)
    } else {
        // One pass places every task once: the tasks over the mean time of a pass.
        let pass_ms = typed.iter().sum::<f64>() / rounds.len().max(1) as f64;
        w.tasks.len() as f64 / (pass_ms / 1e3).max(1e-9)
    };
    let first = rounds.first();
    let checked = rounds.iter().all(|r| r.checked && Some(r.placed) == first.map(|f| f.placed));
    let mut doc = json!({
        "name": w.name,
        "agents": w.offers.len(),
        "tasks": w.tasks.len(),
        "batch": w.batch,
        "calls": w.calls(),
        "running": w.running.len(),
        "rounds": rounds.len(),
        "placed": first.map_or(0, |f| f.placed),
        "utilisation": (first.map_or(0.0, |f| f.utilisation) * 1e4).round() / 1e4,
        "request_bytes": rounds.iter().map(|r| r.bytes).max().unwrap_or(0),
        "typed_ms": stats(typed),
        // Per round, its median; then the median and the spread of those: what the report's
        // verdicts read (every round counts, none is chosen).
        "typed_rounds": stats(rounds.iter().map(|r| median(&r.typed)).collect()),
        "json_rounds": stats(rounds.iter().map(|r| median(&r.json)).collect()),
        "json_ms": stats(pooled(|r| &r.json)),
        "parse_ms": stats(pooled(|r| &r.parse)),
        "json_to_parse": round3(median(&pooled(|r| &r.ratios))),
        "tasks_per_s": tasks_per_s.round(),
        "checked": checked,
    });
    // The kube-shaped variants (one call, the same cluster size) against the plain kube call.
    if let Some(kube) = kube.filter(|_| single && w.name != Scenario::Kube.name()) {
        let per_round: Vec<f64> =
            rounds.iter().zip(kube).map(|(r, k)| median(&r.typed) / median(&k.typed).max(1e-9)).collect();
        doc["typed_to_kube"] = stats(per_round);
    }
    doc
}

fn f(v: &Json, key: &str) -> f64 {
    v[key]["median"].as_f64().unwrap_or(f64::NAN)
}

fn scenario_table(results: &[Json]) -> String {
    let mut t = Table::new(&[
        "scenario",
        "agents",
        "tasks",
        "calls",
        "placed",
        "util %",
        "typed ms/call",
        "tasks/s",
        "json ms/call",
        "parse ms/call",
        "json/parse",
        "typed/kube",
    ]);
    for r in results {
        t.row(vec![
            r["name"].as_str().unwrap_or("?").to_owned(),
            r["agents"].to_string(),
            r["tasks"].to_string(),
            r["calls"].to_string(),
            r["placed"].to_string(),
            format!("{:.2}", r["utilisation"].as_f64().unwrap_or(0.0) * 100.0),
            format!("{:.3}", f(r, "typed_ms")),
            format!("{:.0}", r["tasks_per_s"].as_f64().unwrap_or(0.0)),
            format!("{:.3}", f(r, "json_ms")),
            format!("{:.3}", f(r, "parse_ms")),
            format!("{:.2}", r["json_to_parse"].as_f64().unwrap_or(0.0)),
            r["typed_to_kube"]["median"].as_f64().map_or_else(|| "-".to_owned(), |x| format!("{x:.2}")),
        ]);
    }
    let mut out = t.render(None);
    for r in results {
        if r["checked"] != true {
            let _ = writeln!(out, "warning: {}: samples disagreed on what was placed", r["name"]);
        }
    }
    out
}

fn write_workloads(dir: &PathBuf, seed: u64) -> Outcome {
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("cannot create `{}`: {e}", dir.display())))?;
    for s in Scenario::ALL {
        let w = s.workload(seed);
        let path = dir.join(format!("{}.json", s.name()));
        let mut file =
            std::fs::File::create(&path).map_err(|e| usage(format!("cannot write `{}`: {e}", path.display())))?;
        serde_json::to_writer(&mut file, &w.to_json())
            .map_err(|e| usage(format!("cannot write `{}`: {e}", path.display())))?;
        file.flush().map_err(|e| usage(format!("cannot write `{}`: {e}", path.display())))?;
        errln!("wrote {}", path.display());
    }
    Ok(EXIT_OK)
}

/// `--write-hostile DIR`: each hostile case's request as DIR/NAME.json (the request text
/// exactly, no newline added), and DIR/index.json.
fn write_hostile(dir: &PathBuf, size: bench_gen::hostile::Size) -> Outcome {
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("cannot create `{}`: {e}", dir.display())))?;
    let mut index = Vec::new();
    for name in bench_gen::hostile::names() {
        let Some(case) = bench_gen::hostile::case(name, size) else { continue };
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, case.request.as_bytes())
            .map_err(|e| usage(format!("cannot write `{}`: {e}", path.display())))?;
        index.push(json!({"name": name, "item": case.item, "what": case.what, "bytes": case.request.len()}));
    }
    let path = dir.join("index.json");
    std::fs::write(&path, Json::Array(index).to_string())
        .map_err(|e| usage(format!("cannot write `{}`: {e}", path.display())))?;
    errln!("wrote {} hostile requests into {}", bench_gen::hostile::names().len(), dir.display());
    Ok(EXIT_OK)
}

/// `VmHWM` and `VmRSS` of this process in KiB (Linux; `None` elsewhere).
fn memory_kib() -> (Option<u64>, Option<u64>) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// One growth cell in this process: generate, place once (more samples while cheap), report
/// time and memory.
fn growth_cell(agents: usize, tasks: usize, seed: u64) -> Result<Json, UsageError> {
    let w = bench_gen::growth(agents, tasks, seed);
    let engine = engine_for(&w)?;
    let mut run = Run::new(&w);
    let req = run.next_request().ok_or_else(|| usage("the growth workload has no tasks"))?;
    let (before, _) = memory_kib();
    let mut samples = Vec::new();
    let mut placed = None;
    let started = Instant::now();
    // At least one sample; more while the total stays under a second (at most 7).
    while samples.is_empty() || (samples.len() < 7 && started.elapsed() < Duration::from_secs(1)) {
        let (plan, t) = timed(|| engine.place(&req));
        let plan = plan.map_err(|e| usage(format!("place failed: {e}")))?;
        samples.push(t);
        let n = placed_of(&plan);
        if placed.is_some_and(|p| p != n) {
            return Err(usage("samples disagreed on what was placed"));
        }
        placed = Some(n);
    }
    let (peak, _) = memory_kib();
    Ok(json!({
        "agents": agents,
        "tasks": tasks,
        "placed": placed.unwrap_or(0),
        "ms": stats(samples),
        "input_rss_kib": before,
        "peak_rss_kib": peak,
    }))
}

fn size_of(args: &Args) -> bench_gen::hostile::Size {
    if args.cheap {
        bench_gen::hostile::Size::Cheap
    } else {
        bench_gen::hostile::Size::Full
    }
}

/// One hostile case in this process: generate it, answer it once through `offerfit::call`,
/// report time, peak memory and the answer.
fn hostile_case(name: &str, size: bench_gen::hostile::Size) -> Result<Json, UsageError> {
    let case = bench_gen::hostile::case(name, size).ok_or_else(|| usage(format!("no hostile case `{name}`")))?;
    let (_, before) = memory_kib();
    let (answer, t) = timed(|| offerfit::call(&case.request));
    let (peak, _) = memory_kib();
    let v: Json = serde_json::from_str(&answer).unwrap_or(Json::Null);
    let outcome = match v.get("ok") {
        Some(Json::Bool(true)) => "ok".to_owned(),
        _ => v["errors"][0]["code"].as_str().unwrap_or("not JSON").to_owned(),
    };
    Ok(json!({
        "name": case.name,
        "item": case.item,
        "request_bytes": case.request.len(),
        "answer_bytes": answer.len(),
        "one_line": !answer.contains('\n'),
        "outcome": outcome,
        "ms": t,
        "input_rss_kib": before,
        "peak_rss_kib": peak,
    }))
}

/// Runs a child and waits at most `timeout`; `None` when it was killed for taking longer.
fn output_within(mut cmd: Command, timeout: Duration) -> Result<Option<std::process::Output>, UsageError> {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| usage(format!("cannot run a child: {e}")))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(usage(format!("cannot wait for a child: {e}"))),
        }
    }
    child.wait_with_output().map(Some).map_err(|e| usage(format!("cannot read a child's output: {e}")))
}

/// `--scenario hostile`: one child process per case, so that each case's peak resident
/// memory is its own.
fn hostile(args: &Args) -> Outcome {
    let exe = std::env::current_exe().map_err(|e| usage(format!("cannot find this program: {e}")))?;
    let size = size_of(args);
    let names = bench_gen::hostile::names();
    let bar = progress(names.len() as u64, "hostile");
    let mut results = Vec::new();
    for name in names {
        // Generated here only for its size and item (the child generates its own).
        let Some(case) = bench_gen::hostile::case(name, size) else { continue };
        bar.set_message(case.name);
        let mut cmd = Command::new(&exe);
        cmd.args(["bench", "--hostile-case", case.name]);
        if args.cheap {
            cmd.arg("--cheap");
        }
        let result = match output_within(cmd, Duration::from_secs(args.case_timeout))? {
            None => json!({"name": case.name, "item": case.item, "request_bytes": case.request.len(),
                "outcome": format!("timed out after {} s", args.case_timeout)}),
            Some(out) if !out.status.success() => json!({"name": case.name, "item": case.item,
                "request_bytes": case.request.len(),
                "outcome": format!("failed: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").trim())}),
            Some(out) => serde_json::from_slice(&out.stdout)
                .map_err(|e| usage(format!("hostile case {} printed no JSON: {e}", case.name)))?,
        };
        results.push(result);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if args.json {
        outln!("{}", json!({ "size": if args.cheap { "cheap" } else { "full" }, "hostile": results }));
        return Ok(EXIT_OK);
    }
    let mut t = Table::new(&["item", "case", "request KiB", "answer KiB", "outcome", "ms", "peak RSS MiB"]);
    for r in &results {
        let kib = |k: &str| r[k].as_f64().map_or("?".to_owned(), |v| format!("{:.1}", v / 1024.0));
        let mib = r["peak_rss_kib"].as_f64().map_or("?".to_owned(), |v| format!("{:.1}", v / 1024.0));
        t.row(vec![
            r["item"].to_string(),
            r["name"].as_str().unwrap_or("").to_owned(),
            kib("request_bytes"),
            kib("answer_bytes"),
            r["outcome"].as_str().unwrap_or("").to_owned(),
            r["ms"].as_f64().map_or("?".to_owned(), |v| format!("{v:.1}")),
            mib,
        ]);
    }
    out!("{}", t.render(None));
    Ok(EXIT_OK)
}

fn growth(args: &Args) -> Outcome {
    let max = match &args.growth_max {
        Some(c) => Some(parse_cell(c)?),
        None => None,
    };
    let exe = std::env::current_exe().map_err(|e| usage(format!("cannot find this program: {e}")))?;
    let cells: Vec<(usize, usize)> = GROWTH_AGENTS
        .iter()
        .flat_map(|&a| GROWTH_TASKS.iter().map(move |&t| (a, t)))
        .filter(|&(a, t)| max.is_none_or(|(ma, mt)| a <= ma && t <= mt))
        .collect();
    let bar = progress(cells.len() as u64, "growth");
    let mut results = Vec::new();
    for (a, t) in cells {
        bar.set_message(format!("{a} agents × {t} tasks"));
        let out = Command::new(&exe)
            .args(["bench", "--seed", &args.seed.to_string(), "--growth-cell", &format!("{a}x{t}")])
            .output()
            .map_err(|e| usage(format!("cannot run `{}`: {e}", exe.display())))?;
        if !out.status.success() {
            return Err(usage(format!("growth cell {a}x{t} failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        let cell: Json = serde_json::from_slice(&out.stdout)
            .map_err(|e| usage(format!("growth cell {a}x{t} printed no JSON: {e}")))?;
        results.push(cell);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if args.json {
        outln!("{}", json!({ "seed": args.seed, "clock": clock_name(), "growth": results }));
    } else {
        let mut t = Table::new(&["agents", "tasks", "placed", "ms/call", "µs/task", "input RSS MiB", "peak RSS MiB"]);
        for r in &results {
            let ms = r["ms"]["median"].as_f64().unwrap_or(0.0);
            let tasks = r["tasks"].as_f64().unwrap_or(1.0);
            let mib = |k: &str| r[k].as_f64().map_or("?".to_owned(), |v| format!("{:.1}", v / 1024.0));
            t.row(vec![
                r["agents"].to_string(),
                r["tasks"].to_string(),
                r["placed"].to_string(),
                format!("{ms:.3}"),
                format!("{:.2}", ms * 1e3 / tasks),
                mib("input_rss_kib"),
                mib("peak_rss_kib"),
            ]);
        }
        out!("{}", t.render(None));
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse() {
        assert_eq!(parse_cell("1000x100").unwrap(), (1000, 100));
        assert!(parse_cell("1000").is_err());
        assert!(parse_cell("ax1").is_err());
    }

    #[test]
    fn stats_are_medians() {
        let s = stats(vec![5.0, 1.0, 3.0]);
        assert_eq!((s["median"].as_f64(), s["min"].as_f64(), s["samples"].as_u64()), (Some(3.0), Some(1.0), Some(3)));
        let s = stats(vec![4.0, 2.0]);
        assert_eq!(s["median"].as_f64(), Some(3.0));
    }

    fn round(typed: &[f64], placed: usize) -> Samples {
        Samples {
            typed: typed.to_vec(),
            json: vec![2.0],
            parse: vec![1.0],
            ratios: vec![2.0],
            placed,
            utilisation: 0.5,
            bytes: 10,
            checked: true,
        }
    }

    #[test]
    fn rounds_pool_samples_and_compare_with_kube_within_each_round() {
        let w = bench_gen::growth(20, 30, 1);
        let kube = vec![round(&[2.0], 30), round(&[3.0], 30)];
        let doc = summarise(&w, &[round(&[4.0, 4.0], 30), round(&[9.0], 30)], Some(&kube));
        assert_eq!(doc["rounds"], 2);
        assert_eq!(doc["typed_ms"]["samples"], 3);
        assert_eq!(doc["typed_ms"]["median"], 4.0);
        // The rounds' medians, 4 and 9: their median and spread.
        let r = &doc["typed_rounds"];
        assert_eq!((r["median"].as_f64(), r["min"].as_f64(), r["max"].as_f64()), (Some(6.5), Some(4.0), Some(9.0)));
        // Round 1: 4 / 2 = 2; round 2: 9 / 3 = 3.
        assert_eq!(doc["typed_to_kube"]["samples"], 2);
        assert_eq!(doc["typed_to_kube"]["median"], 2.5);
        assert_eq!(doc["checked"], true);
        // Rounds that placed differently are not a valid measurement.
        let doc = summarise(&w, &[round(&[4.0], 30), round(&[4.0], 29)], None);
        assert_eq!(doc["checked"], false);
        assert!(doc.get("typed_to_kube").is_none());
    }

    #[test]
    fn once_text_places_the_first_call() {
        let w = bench_gen::growth(20, 30, 1);
        assert_eq!(once_text(&w).unwrap(), EXIT_OK);
    }

    #[test]
    fn once_runs_the_small_fenzo_scenario() {
        let w = bench_gen::growth(20, 30, 1);
        let (placed, utilisation) = once(&w).unwrap();
        assert!(placed > 0 && placed <= 30);
        assert!(utilisation > 0.0);
    }
}
