//! `offerfit simulate`: capacity and strategy planning. A workload is run on a cluster over
//! simulated time: a simulated Mesos master ([`master`]) makes offers and runs tasks, a
//! framework scheduler ([`scheduler`]) decides, and the host loop ([`runner`]) connects them
//! and measures. Answers: a summary ([`summary`]), strategies and what-ifs side by side, the
//! fewest agents of a kind that hold the workload, and an HTML report ([`report`]).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value as Json};

use crate::contract::read_text;
use crate::out::outln;
use crate::{Outcome, UsageError, EXIT_OK};

pub mod inputs;
pub mod master;
pub mod report;
pub mod runner;
pub mod scheduler;
pub mod summary;

use inputs::{parse_duration, parse_template, Cluster, Workload};
use master::MasterConfig;
use runner::{Run, RunConfig};
use summary::Asks;

/// Run a workload on a cluster over simulated time, against a simulated Mesos master.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A cluster: Mesos agent flags, a master's /slaves or /state JSON, or template lines
    /// (`20 × "cpus:16;mem:65536;ports:[31000-32000]" rack=r1..r4`); repeatable
    #[arg(long = "cluster", value_name = "FILE")]
    clusters: Vec<String>,
    /// A workload: Marathon app JSON, OpenWhisk action classes or offerfit Task JSON; repeatable
    #[arg(long = "workload", value_name = "FILE", required = true)]
    workloads: Vec<String>,
    /// The placement strategy: binpack, spread or first_fit
    #[arg(long, default_value = "binpack", conflicts_with = "compare")]
    strategy: String,
    /// Run each strategy and show them side by side (`binpack,spread,first_fit`)
    #[arg(long, value_name = "S,S,…", value_delimiter = ',')]
    compare: Vec<String>,
    /// Simulated time to run (`1h`, `30m`, `1d`)
    #[arg(long, default_value = "1h", value_parser = duration_arg)]
    duration: u64,
    /// Seed of arrivals, durations and failures (same seed, same run)
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A change to compare with the cluster as it is: `add 5 × "cpus:16;mem:65536" rack=r5`,
    /// `remove rack=r3`, `remove HOST`, `drain HOST` (or `drain rack=r3`); repeatable, one
    /// column each
    #[arg(long = "what-if", value_name = "CHANGE", conflicts_with_all = ["compare", "min_agents"])]
    what_if: Vec<String>,
    /// The fewest agents of this kind (`"cpus:16;mem:65536" rack=r1..r4`) on which the whole
    /// workload is placed (added to --cluster when given), by binary search
    #[arg(long = "min-agents", value_name = "TEMPLATE")]
    min_agents: Option<String>,
    /// With --min-agents: the longest a task may wait to be placed for the workload to fit
    #[arg(long = "max-wait", default_value = "60s", value_parser = duration_arg)]
    max_wait: u64,
    /// Write an HTML report (one self-contained file with SVG plots)
    #[arg(long, value_name = "FILE")]
    report: Option<String>,
    /// Print the summaries as JSON
    #[arg(long)]
    json: bool,
    /// The master's --allocation_interval
    #[arg(long = "allocation-interval", default_value = "1s", value_parser = duration_arg)]
    allocation_interval: u64,
    /// The master's --offer_timeout (default: offers never time out)
    #[arg(long = "offer-timeout", value_parser = duration_arg)]
    offer_timeout: Option<u64>,
    /// Failures of long-running tasks per task and hour (Marathon apps are restarted)
    #[arg(long = "failures-per-hour", default_value_t = 0.0)]
    failures_per_hour: f64,
    /// Agents lost for good per day, over the whole cluster (seeded); their tasks are gone
    /// (Marathon apps are restarted elsewhere)
    #[arg(long = "agent-losses-per-day", default_value_t = 0.0)]
    agent_losses_per_day: f64,
    /// The framework's role
    #[arg(long, default_value = "*")]
    role: String,
    /// The scheduler holds offers this long (its `session.offer_hold_seconds`) instead of
    /// declining what it cannot use at once
    #[arg(long = "offer-hold", default_value = "0s", value_parser = duration_arg)]
    offer_hold: u64,
    /// Print where the wall-clock time went (scheduler, master, host) on stderr
    #[arg(long)]
    timing: bool,
    /// The scheduler: `session` (the real `offerfit::Session`, the default), or a benchmark aid
    /// never to plan with: `greedy-bench` (measures the simulator alone: no constraints, no
    /// ports) or `place-stand-in` (the old adapter over the stateless `place` op)
    #[arg(long, hide = true, default_value = "session")]
    scheduler: String,
    /// How the simulator talks to the session: `typed` (its typed API, `Session::step`: offers
    /// and tasks handed over as values) or `json` (`Session::step_json`: the contract's JSON
    /// text both ways, as an outside host would; slower, same answers)
    #[arg(long, default_value = "typed", value_parser = ["typed", "json"])]
    wire: String,
}

fn duration_arg(s: &str) -> Result<u64, String> {
    parse_duration(s)
}

const STRATEGIES: [&str; 3] = ["binpack", "spread", "first_fit"];

/// One simulation to run: a label, its cluster and its settings.
struct Scenario {
    label: String,
    cluster: Cluster,
    cfg: RunConfig,
}

/// Runs `offerfit simulate`.
pub fn run(args: &Args) -> Outcome {
    let mut cluster = Cluster::default();
    for f in &args.clusters {
        cluster.read(f, &read_text(f)?)?;
        for note in std::mem::take(&mut cluster.notes) {
            crate::out::errln!("{f}: {note}");
        }
    }
    let mut workload = Workload::default();
    // Which file each task and class came from, for messages.
    let mut files: Vec<(usize, usize, &str)> = Vec::new();
    for f in &args.workloads {
        workload.read(f, &read_text(f)?)?;
        files.push((workload.fixed.len(), workload.classes.len(), f.as_str()));
    }
    let file_of = |i: usize, class: bool| -> String {
        let hit = files.iter().find(|(nf, nc, _)| if class { i < *nc } else { i < *nf });
        hit.map_or_else(String::new, |(_, _, f)| (*f).to_owned())
    };
    workload.validate(&file_of, &args.role)?;
    check_ids(&workload)?;
    if cluster.agents.is_empty() && args.min_agents.is_none() {
        return Err(UsageError("no agents: give --cluster FILE (or --min-agents TEMPLATE)".into()));
    }
    for s in args.compare.iter().chain(std::iter::once(&args.strategy)) {
        if !STRATEGIES.contains(&s.as_str()) {
            return Err(UsageError(format!("unknown strategy `{s}` (expected one of {})", STRATEGIES.join(", "))));
        }
    }
    if !(args.agent_losses_per_day.is_finite() && (0.0..=1e6).contains(&args.agent_losses_per_day)) {
        return Err(UsageError("--agent-losses-per-day must be a number from 0 to 1,000,000".into()));
    }
    if !(args.failures_per_hour.is_finite() && args.failures_per_hour >= 0.0) {
        return Err(UsageError("--failures-per-hour must be a non-negative number".into()));
    }
    let base = RunConfig {
        duration_ms: args.duration,
        seed: args.seed,
        strategy: args.strategy.clone(),
        master: MasterConfig {
            allocation_interval_ms: args.allocation_interval.max(1),
            offer_timeout_ms: args.offer_timeout,
            ..MasterConfig::default()
        },
        failures_per_hour: args.failures_per_hour,
        sample_ms: (args.duration / 240).max(1000),
        drain: Vec::new(),
        role: args.role.clone(),
        offer_hold_s: args.offer_hold as f64 / 1000.0,
        agent_losses_per_day: args.agent_losses_per_day,
        scheduler: match args.scheduler.as_str() {
            "session" => scheduler::Kind::Session,
            "greedy-bench" => scheduler::Kind::GreedyBench,
            "place-stand-in" => scheduler::Kind::PlaceStandIn,
            other => {
                return Err(UsageError(format!(
                    "unknown scheduler `{other}` (expected session, greedy-bench or place-stand-in)"
                )))
            }
        },
        wire: if args.wire == "json" { scheduler::Wire::Json } else { scheduler::Wire::Typed },
    };
    let (ask_cpus, ask_mem, ask_ports) = workload.smallest_ask();
    let asks = Asks {
        cpus: if ask_cpus.is_finite() { ask_cpus } else { 0.0 },
        mem: if ask_mem.is_finite() { ask_mem } else { 0.0 },
        ports: if ask_ports == usize::MAX { 0 } else { ask_ports },
    };
    let mut out = json!({});
    let mut results: Vec<(String, Json, Run)> = Vec::new();
    if let Some(t) = &args.min_agents {
        let (found, tried, run) = min_agents(&cluster, &workload, &base, t, args.max_wait)?;
        let s = summary::summarize(&run, asks);
        out["min_agents"] = json!({"template": t, "agents": found, "max_wait_s": summary::r3(args.max_wait as f64 / 1000.0), "tried": tried});
        results.push((format!("{} × template", found.map_or("none".into(), |n| n.to_string())), s, run));
    } else {
        let mut scenarios = Vec::new();
        let strategies: Vec<String> =
            if args.compare.is_empty() { vec![args.strategy.clone()] } else { args.compare.clone() };
        for s in &strategies {
            let label = if args.what_if.is_empty() { s.clone() } else { "as is".to_owned() };
            scenarios.push(Scenario {
                label,
                cluster: cluster.clone(),
                cfg: RunConfig { strategy: s.clone(), ..base.clone() },
            });
            if !args.what_if.is_empty() {
                break;
            }
        }
        for w in &args.what_if {
            let mut c = cluster.clone();
            let mut cfg = base.clone();
            apply_what_if(&mut c, &mut cfg, w)?;
            scenarios.push(Scenario { label: w.clone(), cluster: c, cfg });
        }
        for sc in scenarios {
            let run = simulate(&sc.cluster, &workload, &sc.cfg, &sc.label)?;
            results.push((sc.label, summary::summarize(&run, asks), run));
        }
    }
    if args.timing {
        for (label, _, run) in &results {
            let t = run.timing;
            let host = t.total.saturating_sub(t.scheduler).saturating_sub(t.master);
            crate::out::errln!(
                "timing {label}: {:.3} s CPU, {:.3} s wall for {} simulated s ({} queue items, {} scheduler steps, {} offers); wall shares: scheduler {:.0}% (with the {} wire), master {:.0}%, host loop {:.0}%",
                t.cpu.as_secs_f64(),
                t.total.as_secs_f64(),
                run.duration_s,
                t.items,
                run.steps,
                run.master.stats.offers,
                share(t.scheduler, t.total),
                args.wire,
                share(t.master, t.total),
                share(host, t.total)
            );
        }
    }
    out["runs"] = Json::Array(results.iter().map(|(l, s, _)| json!({"label": l, "summary": s})).collect());
    if let Some(path) = &args.report {
        let html = report::html(&results, out.get("min_agents"));
        std::fs::write(path, html).map_err(|e| UsageError(format!("cannot write {path}: {e}")))?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        if let Some(m) = out.get("min_agents") {
            match m["agents"].as_u64() {
                Some(n) => outln!(
                    "fewest agents of {}: {n} (no task waited more than {} s)\n",
                    m["template"].as_str().unwrap_or(""),
                    m["max_wait_s"]
                ),
                None => {
                    let mut why = m["tried"].as_array().and_then(|t| t.last()).map_or_else(
                        || "some task is larger than one such agent".to_owned(),
                        |t| format!("tried up to {} agents", t["n"]),
                    );
                    // What held the last run back, so the operator knows what to change.
                    let top = results.first().and_then(|(_, _, run)| {
                        run.unplaced.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    });
                    if let Some(((code, message), n)) = top {
                        let what = if message.is_empty() { code } else { message };
                        why.push_str(&format!("; {n} task(s) left unplaced: {what}"));
                    }
                    outln!(
                        "the workload does not fit on any number of agents of {} ({why})\n",
                        m["template"].as_str().unwrap_or("")
                    );
                }
            }
        }
        let cols: Vec<(String, Json)> = results.iter().map(|(l, s, _)| (l.clone(), s.clone())).collect();
        crate::out::out!("{}", summary::render(&cols));
        if let Some(p) = &args.report {
            outln!("\nreport: {p}");
        }
    }
    Ok(EXIT_OK)
}

fn share(part: std::time::Duration, all: std::time::Duration) -> f64 {
    100.0 * part.as_secs_f64() / all.as_secs_f64().max(1e-9)
}

/// Task ids must be unique over all workload files (the session refuses a live id twice).
fn check_ids(w: &Workload) -> Result<(), UsageError> {
    let mut seen = std::collections::HashSet::new();
    for f in &w.fixed {
        let id = f.task["id"].as_str().unwrap_or("");
        if !seen.insert(id.to_owned()) {
            return Err(UsageError(format!("task id `{id}` is given twice in the workload")));
        }
    }
    Ok(())
}

/// One run, with a progress bar on a terminal.
fn simulate(cluster: &Cluster, workload: &Workload, cfg: &RunConfig, label: &str) -> Result<Run, UsageError> {
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(Some(cfg.duration_ms / 1000), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} simulated s ({elapsed})") {
            b.set_style(style.progress_chars("=> "));
        }
        b.set_prefix(label.chars().take(12).collect::<String>());
        b
    } else {
        ProgressBar::hidden()
    };
    let make = |c: &Json| scheduler::make(cfg.scheduler, cfg.wire, c);
    let run = runner::run(cluster, workload, cfg, &make, &mut |ms| bar.set_position(ms / 1000))
        .map_err(|e| UsageError(format!("the scheduler refused its config: {e}")))?;
    bar.finish_and_clear();
    Ok(run)
}

/// Applies one `--what-if` change.
fn apply_what_if(c: &mut Cluster, cfg: &mut RunConfig, w: &str) -> Result<(), UsageError> {
    let bad = |m: &str| UsageError(format!("--what-if `{w}`: {m}"));
    let w = w.trim();
    let (verb, rest) = w.split_once(char::is_whitespace).unwrap_or((w, ""));
    let rest = rest.trim();
    match verb {
        "add" => {
            c.add_template(rest).map_err(|m| bad(&m))?;
        }
        "remove" | "drain" => {
            let matches = |a: &inputs::AgentSpec| match rest.split_once('=') {
                Some(("hostname", v)) => a.hostname == v,
                Some(("@zone", v)) => a.zone.as_deref() == Some(v),
                Some(("@region", v)) => a.region.as_deref() == Some(v),
                Some((k, v)) => a.attribute_text(k).as_deref() == Some(v),
                None => a.hostname == rest || a.id == rest,
            };
            let hit: Vec<String> = c.agents.iter().filter(|a| matches(a)).map(|a| a.hostname.clone()).collect();
            if rest.is_empty() || hit.is_empty() {
                return Err(bad(&format!(
                    "no agent matches `{rest}` (give a hostname, an agent id, or name=value of an attribute)"
                )));
            }
            if verb == "remove" {
                c.agents.retain(|a| !matches(a));
            } else {
                cfg.drain.extend(hit);
            }
        }
        _ => {
            return Err(bad(
                "expected `add N × \"RESOURCES\" [name=value…]`, `remove name=value|HOST` or `drain name=value|HOST`",
            ))
        }
    }
    Ok(())
}

/// The fewest agents of the template's kind on which the whole workload is placed, none
/// waiting longer than `max_wait`: doubling until it fits, then a binary search (the
/// "compaction" measure of Verma, Korupolu and Wilkes, IEEE CLUSTER 2014). Returns the count
/// (`None`: no count up to the cap fits), every count tried, and the run at the answer.
fn min_agents(
    base: &Cluster,
    workload: &Workload,
    cfg: &RunConfig,
    template: &str,
    max_wait: u64,
) -> Result<(Option<usize>, Vec<Json>, Run), UsageError> {
    let body = template.trim();
    let body = if inputs::is_template(body) {
        body.split_once(['×', 'x', 'X', '*']).map_or(body, |x| x.1).trim()
    } else {
        body
    };
    let kind = parse_template(body).map_err(|m| UsageError(format!("--min-agents `{template}`: {m}")))?;
    // A task bigger than an empty agent of the kind never fits, however many are added.
    let size = master::amounts(&kind.resources);
    let too_big = workload.task_shapes().any(|t| {
        let ask = |k: &str| t.get(k).and_then(Json::as_f64).unwrap_or(0.0);
        let ports = t.get("ports").and_then(Json::as_array).map_or(0, Vec::len) as f64;
        ask("cpus") > size[0]
            || ask("mem") > size[1]
            || ask("disk") > size[2]
            || ask("gpus") > size[3]
            || ports > size[4]
    });
    if too_big && base.agents.is_empty() {
        let run = simulate(base, workload, cfg, "0 agents")?;
        return Ok((None, Vec::new(), run));
    }
    // Never more agents than tasks that can run at once (one each).
    let cap: usize = workload.concurrency_bound().clamp(1, 100_000);
    let mut tried = Vec::new();
    let mut fits = |n: usize| -> Result<(bool, Run), UsageError> {
        let mut c = base.clone();
        if n > 0 {
            c.add_template(&format!("{n} × {body}")).map_err(|m| UsageError(format!("--min-agents: {m}")))?;
        }
        let run = simulate(&c, workload, cfg, &format!("{n} agents"))?;
        let wait = run.waits.last().copied().unwrap_or(0.0);
        let ok = run.pending == 0 && wait * 1000.0 <= max_wait as f64 && run.master.stats.refused == 0;
        tried.push(json!({"n": n, "fits": ok, "pending": run.pending, "max_wait_s": summary::r3(wait)}));
        Ok((ok, run))
    };
    let (mut lo, mut hi);
    let mut best: Option<(usize, Run)>;
    let (ok0, run0) = fits(0)?;
    if ok0 && !base.agents.is_empty() {
        return Ok((Some(0), tried, run0));
    }
    let mut last = run0;
    lo = 0;
    hi = 1;
    loop {
        let (ok, run) = fits(hi)?;
        if ok {
            best = Some((hi, run));
            break;
        }
        last = run;
        if hi >= cap {
            return Ok((None, tried, last));
        }
        lo = hi;
        hi = (hi * 2).min(cap);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let (ok, run) = fits(mid)?;
        if ok {
            hi = mid;
            best = Some((mid, run));
        } else {
            lo = mid;
        }
    }
    let (n, run) = best.map_or((None, last), |(n, r)| (Some(n), r));
    Ok((n, tried, run))
}
