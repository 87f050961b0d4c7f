//! The answers of a run: one JSON summary (what `--json` prints, stable for scripts and
//! golden tests: no wall-clock time in it) and its text rendering, one column per run when
//! strategies or what-ifs are compared.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::master::KINDS;
use super::runner::Run;
use crate::render::Table;

/// Rounds to 3 decimals (so summaries print the same everywhere).
pub fn r3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

fn pct(x: f64) -> f64 {
    r3(x * 100.0)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

/// The smallest task asks, against which free capacity counts as stranded.
#[derive(Debug, Clone, Copy)]
pub struct Asks {
    /// Smallest cpus any task asks for.
    pub cpus: f64,
    /// Smallest mem.
    pub mem: f64,
    /// Fewest ports (0: some task needs none).
    pub ports: usize,
}

/// The summary of one run as JSON.
pub fn summarize(run: &Run, asks: Asks) -> Json {
    let m = &run.master;
    let s = &m.stats;
    let mut util = Map::new();
    for (k, name) in KINDS.iter().enumerate() {
        if m.size[k] <= 0.0 {
            continue;
        }
        util.insert(
            (*name).into(),
            json!({"used": r3(m.used[k]), "total": r3(m.size[k]),
                   "end_pct": pct(m.used[k] / m.size[k]), "mean_pct": pct(run.mean_util[k]), "peak_pct": pct(run.peak_util[k])}),
        );
    }
    // Stranded: free cpus on agents where no task can fit any more because their memory (or,
    // when every task needs ports, their ports) is gone; and the converse for memory.
    let (mut s_cpus, mut s_cpu_agents, mut s_mem, mut s_mem_agents) = (0.0, 0u64, 0.0, 0u64);
    for a in m.agents.iter().filter(|a| !a.gone) {
        let free: Vec<f64> = (0..5).map(|k| a.size[k] - a.used[k]).collect();
        let (fc, fm, fp) = (free[0], free[1], free[4]);
        let mem_gone = fm < asks.mem.max(1e-9) || (asks.ports > 0 && fp < asks.ports as f64);
        if fc >= asks.cpus.max(0.001) && mem_gone {
            s_cpus += fc;
            s_cpu_agents += 1;
        }
        if fm >= asks.mem.max(1.0) && fc < asks.cpus.max(1e-9) {
            s_mem += fm;
            s_mem_agents += 1;
        }
    }
    let mut spread = Map::new();
    for (key, get) in [("rack", 0), ("zone", 1)] {
        let mut groups: BTreeMap<String, (u64, usize, f64, f64)> = BTreeMap::new();
        for a in m.agents.iter().filter(|a| !a.gone) {
            let v = if get == 0 {
                a.spec.attribute_text("rack")
            } else {
                a.spec.zone.clone().or_else(|| a.spec.attribute_text("zone"))
            };
            let Some(v) = v else { continue };
            let g = groups.entry(v).or_insert((0, 0, 0.0, 0.0));
            g.0 += 1;
            g.1 += a.tasks;
            g.2 += a.used[0];
            g.3 += a.size[0];
        }
        if !groups.is_empty() {
            let rows: Vec<Json> = groups
                .into_iter()
                .map(|(v, (n, t, u, sz))| json!({"value": v, "agents": n, "tasks": t, "cpus_pct": pct(if sz > 0.0 { u / sz } else { 0.0 })}))
                .collect();
            spread.insert(key.into(), Json::Array(rows));
        }
    }
    let unplaced: Vec<Json> = {
        let mut v: Vec<(&(String, String), &usize)> = run.unplaced.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter().map(|((code, msg), n)| json!({"reason": code, "blame": msg, "tasks": n})).collect()
    };
    let w = &run.waits;
    let mean = if w.is_empty() { 0.0 } else { w.iter().sum::<f64>() / w.len() as f64 };
    json!({
        "strategy": run.strategy,
        "agents": m.agents.len(),
        "duration_s": r3(run.duration_s),
        "tasks": {"submitted": run.submitted, "placed": run.placed, "pending": run.pending,
                  "running": m.live_tasks(), "finished": s.finished, "failed": s.failed, "killed": s.killed,
                  "refused": s.refused, "restarted": run.restarts, "peak_pending": run.peak_pending},
        "unplaced": unplaced,
        "utilisation": util,
        "stranded": {"cpus": r3(s_cpus), "cpus_agents": s_cpu_agents, "mem": r3(s_mem), "mem_agents": s_mem_agents,
                     "min_ask": {"cpus": r3(asks.cpus), "mem": r3(asks.mem), "ports": asks.ports}},
        "spread": spread,
        "time_to_place_s": {"p50": r3(quantile(w, 0.5)), "p90": r3(quantile(w, 0.9)), "p99": r3(quantile(w, 0.99)),
                            "max": r3(w.last().copied().unwrap_or(0.0)), "mean": r3(mean), "oldest_pending": r3(run.oldest_pending)},
        "offers": {"sent": s.offers, "rounds": s.offer_events, "accepted": s.accepted, "declined": s.declined, "rescinded": s.rescinded, "outstanding": m.outstanding_offers()},
        "revives": s.revives,
        "suppresses": s.suppresses,
        "updates": {"sent": s.updates, "acknowledged": s.acks, "retried": s.retries},
        "inverse_offers": s.inverse_offers,
        "agents_lost": {"agents": s.agents_lost, "tasks": s.lost},
        "violations": m.violations,
        "scheduler_errors": {"count": run.scheduler_errors.0, "first": run.scheduler_errors.1},
        "steps": run.steps,
    })
}

fn num(v: &Json, p: &str) -> String {
    match v.pointer(p) {
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::String(s)) => s.clone(),
        _ => "-".into(),
    }
}

/// The text rendering of one or more summaries (one column each, labelled).
pub fn render(runs: &[(String, Json)]) -> String {
    let mut heads = vec![""];
    heads.extend(runs.iter().map(|(l, _)| l.as_str()));
    let mut t = Table::new(&heads);
    let mut row = |name: &str, f: &dyn Fn(&Json) -> String| {
        let mut cells = vec![name.to_owned()];
        cells.extend(runs.iter().map(|(_, s)| f(s)));
        t.row(cells);
    };
    row("agents", &|s| num(s, "/agents"));
    row("tasks submitted", &|s| num(s, "/tasks/submitted"));
    row("placed", &|s| num(s, "/tasks/placed"));
    row("pending at end", &|s| num(s, "/tasks/pending"));
    row("peak pending", &|s| num(s, "/tasks/peak_pending"));
    row("running at end", &|s| num(s, "/tasks/running"));
    row("finished / failed", &|s| format!("{} / {}", num(s, "/tasks/finished"), num(s, "/tasks/failed")));
    for k in KINDS {
        if runs.iter().any(|(_, s)| s.pointer(&format!("/utilisation/{k}")).is_some()) {
            row(&format!("{k} used: end / mean / peak %"), &|s| {
                let p = |f: &str| num(s, &format!("/utilisation/{k}/{f}"));
                format!("{} / {} / {}", p("end_pct"), p("mean_pct"), p("peak_pct"))
            });
        }
    }
    row("stranded cpus (agents)", &|s| format!("{} ({})", num(s, "/stranded/cpus"), num(s, "/stranded/cpus_agents")));
    row("stranded mem (agents)", &|s| format!("{} ({})", num(s, "/stranded/mem"), num(s, "/stranded/mem_agents")));
    row("time to place p50 / p99 / max s", &|s| {
        format!(
            "{} / {} / {}",
            num(s, "/time_to_place_s/p50"),
            num(s, "/time_to_place_s/p99"),
            num(s, "/time_to_place_s/max")
        )
    });
    row("offers sent / declined", &|s| format!("{} / {}", num(s, "/offers/sent"), num(s, "/offers/declined")));
    row("revives / suppresses", &|s| format!("{} / {}", num(s, "/revives"), num(s, "/suppresses")));
    row("protocol violations", &|s| {
        s["violations"].as_object().map_or(0, |m| m.values().filter_map(Json::as_u64).sum::<u64>()).to_string()
    });
    let mut out = t.render(None);
    for (label, s) in runs {
        let prefix = if runs.len() > 1 { format!(" ({label})") } else { String::new() };
        if let Some(list) = s["unplaced"].as_array().filter(|l| !l.is_empty()) {
            let mut u = Table::new(&["tasks", "reason", "to blame"]);
            for r in list {
                u.row(vec![num(r, "/tasks"), num(r, "/reason"), num(r, "/blame")]);
            }
            out.push_str(&format!("\nunplaced at the end{prefix}:\n{}", u.render(None)));
        }
        if runs.len() == 1 {
            for key in ["rack", "zone"] {
                if let Some(rows) = s.pointer(&format!("/spread/{key}")).and_then(Json::as_array) {
                    let mut u = Table::new(&[key, "agents", "tasks", "cpus used %"]);
                    for r in rows {
                        u.row(vec![num(r, "/value"), num(r, "/agents"), num(r, "/tasks"), num(r, "/cpus_pct")]);
                    }
                    out.push_str(&format!("\nspread per {key}:\n{}", u.render(None)));
                }
            }
        }
        if let Some(v) = s["violations"].as_object().filter(|v| !v.is_empty()) {
            out.push_str(&format!("\nprotocol violations{prefix} (the master refused these calls):\n"));
            for (k, n) in v {
                out.push_str(&format!("  {n} × {k}\n"));
            }
        }
        if let Some(first) = s.pointer("/scheduler_errors/first").and_then(Json::as_array).filter(|f| !f.is_empty()) {
            out.push_str(&format!("\nscheduler errors{prefix}: {}\n", num(s, "/scheduler_errors/count")));
            for e in first {
                out.push_str(&format!("  {}\n", e.as_str().unwrap_or("")));
            }
        }
    }
    out
}
