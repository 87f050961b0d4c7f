//! `offerfit bench --scenario session`: Fenzo's scenario (10,000 agents × 8 cpus, calls of 200
//! tasks until full, `offerfit::bench_gen`) through an [`offerfit::Session`], beside the
//! stateless `place` of the same batches.
//!
//! Each step submits the next 200 tasks and then feeds an `OFFERS` event with every agent that
//! still has room (the first step: all 10,000; later, what `Run` re-offers: the agents that
//! received tasks are offered again with what is left, the untouched ones again as new offers,
//! since a session declines the offers it holds at once when nothing is pending — docs/contract.md part 3
//! rule 2 — so they cannot stay held between steps). That is exactly the offer set the
//! stateless `place` of the same batch gets, so the two are compared on equal input:
//!
//! - typed: `Engine::place` per batch vs `Session::step` (submit + offers) per step
//!   (target: a step ≤ 1.5× the place);
//! - JSON: `offerfit::call` with the `place` request text per batch vs `Session::step_json`
//!   with the two input lines per step (target: the whole run ≥ 5× faster through the
//!   session, which does not re-read the tasks already placed nor the options each time).
//!
//! Times are thread CPU time when the platform has it (the machine is shared). Each step
//! checks that the session launched exactly the tasks `place` placed, on the same agents.

use offerfit::bench_gen::{self, Run, Scenario, Workload};
use offerfit::session::{Config, Event, Input, InputKind, Notice, Timers};
use offerfit::{Engine, Offer, Session, TaskRequest};
use serde_json::{json, Value as Json};

use crate::out::outln;
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// One step's input: the batch and the offers (fresh ids), typed and as session input lines.
struct Step {
    tasks: Vec<TaskRequest>,
    offers: Vec<Offer>,
    submit_line: String,
    offers_line: String,
    /// `task id → agent id` as `place` placed them.
    placed: Vec<(String, String)>,
    /// The stateless request text of the same batch.
    place_text: String,
}

fn usage(m: impl Into<String>) -> UsageError {
    UsageError(m.into())
}

/// Builds the steps from a typed run of the workload (not timed).
fn steps(w: &Workload) -> Result<Vec<Step>, UsageError> {
    let engine = Engine::new(w.options.clone()).map_err(|e| usage(format!("{e:?}")))?;
    let mut run = Run::new(w);
    let mut text_run = Run::new(w);
    let mut out = Vec::new();
    while let Some(req) = run.next_request() {
        let place_text = text_run.next_request_text().ok_or_else(|| usage("runs disagree"))?;
        let k = out.len();
        let offers: Vec<Offer> =
            req.offers.iter().map(|o| Offer { id: format!("{}-{k}", o.id), ..o.clone() }).collect();
        let renamed = offerfit::PlaceRequest { offers: offers.clone(), tasks: req.tasks.clone(), running: vec![] };
        let plan = engine.place(&renamed).map_err(|e| usage(format!("place failed: {e:?}")))?;
        let placed: Vec<(String, String)> = plan
            .accept
            .iter()
            .flat_map(|a| a.tasks.iter().map(move |t| (t.task_id.to_string(), a.agent_id.to_string())))
            .collect();
        run.apply(&plan);
        let body = bench_gen::request_json(&offers, &req.tasks, &[], &w.options);
        let submit_line = json!({"now": k + 1, "submit": body["tasks"]}).to_string();
        let offers_line =
            json!({"now": k + 1, "event": {"type": "OFFERS", "offers": {"offers": body["offers"]}}}).to_string();
        text_run
            .apply_json(&serde_json::from_str(&offerfit::call(&place_text)).unwrap_or(Json::Null))
            .map_err(usage)?;
        out.push(Step { tasks: req.tasks, offers, submit_line, offers_line, placed, place_text });
    }
    Ok(out)
}

/// A subscribed session with nothing held, configured as the workload.
fn session(w: &Workload) -> Result<Session, UsageError> {
    let mut config = Config::new("bench");
    config.framework.roles = w.options.roles.clone();
    config.options = offerfit::Options { roles: vec![], framework_id: None, principal: None, ..w.options.clone() };
    config.session = Timers { offer_hold_seconds: 1e9, ..Timers::default() };
    let mut s = Session::new(config).map_err(|e| usage(format!("session config: {e:?}")))?;
    s.step(Input { now: 0.0, kind: InputKind::Connect }).map_err(|e| usage(format!("{e:?}")))?;
    let subscribed = Event::Subscribed { framework_id: "F1".into() };
    s.step(Input { now: 0.0, kind: InputKind::Event(subscribed) }).map_err(|e| usage(format!("{e:?}")))?;
    Ok(s)
}

fn launched(notices: &[Notice]) -> Vec<(String, String)> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::Launching { task_id, agent_id, .. } => Some((task_id.clone(), agent_id.clone())),
            _ => None,
        })
        .collect()
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// The launches of one `step_json` answer.
fn launched_json(line: &str) -> Vec<(String, String)> {
    let v: Json = serde_json::from_str(line).unwrap_or(Json::Null);
    v["notices"]
        .as_array()
        .map(|ns| {
            ns.iter()
                .filter(|n| n["kind"] == "launching")
                .map(|n| {
                    (n["task_id"].as_str().unwrap_or("").to_owned(), n["agent_id"].as_str().unwrap_or("").to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One round's samples (milliseconds).
#[derive(Default)]
struct Round {
    place: Vec<f64>,
    step: Vec<f64>,
    call_total: f64,
    json_total: f64,
    checked: bool,
}

fn round(w: &Workload, steps: &[Step]) -> Result<Round, UsageError> {
    let engine = Engine::new(w.options.clone()).map_err(|e| usage(format!("{e:?}")))?;
    let mut r = Round { checked: true, ..Round::default() };
    // Typed place per batch, on the same offers.
    for st in steps {
        let req = offerfit::PlaceRequest { offers: st.offers.clone(), tasks: st.tasks.clone(), running: vec![] };
        let (plan, t) = crate::bench::timed(|| engine.place(&req));
        let plan = plan.map_err(|e| usage(format!("place failed: {e:?}")))?;
        r.place.push(t);
        r.checked &= plan.accept.iter().map(|a| a.tasks.len()).sum::<usize>() == st.placed.len();
    }
    // Typed session steps.
    let mut s = session(w)?;
    for (k, st) in steps.iter().enumerate() {
        let now = (k + 1) as f64;
        let (tasks, offers) = (st.tasks.clone(), st.offers.clone());
        let (outs, t) = crate::bench::timed(|| {
            let a = s.step(Input { now, kind: InputKind::Submit(tasks) });
            let b = s.step(Input { now, kind: InputKind::Event(Event::Offers { offers, unreadable: vec![] }) });
            (a, b)
        });
        r.step.push(t);
        let (a, b) = (outs.0.map_err(|e| usage(format!("{e:?}")))?, outs.1.map_err(|e| usage(format!("{e:?}")))?);
        let mut got = launched(&a.notices);
        got.extend(launched(&b.notices));
        r.checked &= sorted(got) == sorted(st.placed.clone());
    }
    // Stateless JSON calls, whole run.
    for st in steps {
        let (out, t) = crate::bench::timed(|| offerfit::call(&st.place_text));
        r.call_total += t;
        r.checked &= out.starts_with(r#"{"ok":true"#);
    }
    // Session through step_json, whole run.
    let mut s = session(w)?;
    for st in steps {
        let ((a, b), t) = crate::bench::timed(|| (s.step_json(&st.submit_line), s.step_json(&st.offers_line)));
        r.json_total += t;
        let mut got = launched_json(&a);
        got.extend(launched_json(&b));
        r.checked &= a.starts_with(r#"{"ok":true"#) && b.starts_with(r#"{"ok":true"#);
        r.checked &= sorted(got) == sorted(st.placed.clone());
    }
    Ok(r)
}

fn med(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn spread(v: &[f64]) -> Json {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    json!({"median": crate::bench::round3(med(v)), "min": crate::bench::round3(min), "max": crate::bench::round3(max), "n": v.len()})
}

/// `--scenario session`: `rounds` rounds (at least 5) of the whole Fenzo run both ways.
pub fn run(seed: u64, rounds: u32, as_json: bool) -> Outcome {
    let rounds = rounds.max(5);
    let w = Scenario::Fenzo.workload(seed);
    let steps = steps(&w)?;
    let mut all = Vec::new();
    for k in 0..rounds {
        eprintln!("session bench: round {}/{rounds}", k + 1);
        all.push(round(&w, &steps)?);
    }
    // Per round: the median step and place, their ratio; and the whole-run totals.
    let step_med: Vec<f64> = all.iter().map(|r| med(&r.step)).collect();
    let place_med: Vec<f64> = all.iter().map(|r| med(&r.place)).collect();
    let ratio: Vec<f64> = all.iter().map(|r| med(&r.step) / med(&r.place).max(1e-9)).collect();
    let step_tot: Vec<f64> = all.iter().map(|r| r.step.iter().sum()).collect();
    let place_tot: Vec<f64> = all.iter().map(|r| r.place.iter().sum()).collect();
    let call_tot: Vec<f64> = all.iter().map(|r| r.call_total).collect();
    let json_tot: Vec<f64> = all.iter().map(|r| r.json_total).collect();
    let speedup: Vec<f64> = all.iter().map(|r| r.call_total / r.json_total.max(1e-9)).collect();
    let checked = all.iter().all(|r| r.checked);
    let result = json!({
        "scenario": "session",
        "clock": crate::bench::clock_name(),
        "steps": steps.len(),
        "placed": steps.iter().map(|s| s.placed.len()).sum::<usize>(),
        "rounds": rounds,
        "place_per_batch_ms": spread(&place_med),
        "session_step_ms": spread(&step_med),
        "step_over_place": spread(&ratio),
        "place_run_ms": spread(&place_tot),
        "session_run_ms": spread(&step_tot),
        "call_run_ms": spread(&call_tot),
        "step_json_run_ms": spread(&json_tot),
        "call_over_step_json": spread(&speedup),
        "checked": checked,
    });
    if as_json {
        outln!("{result}");
    } else {
        let line = |name: &str, v: &Json| {
            format!("{name:<34} median {:>10.3}  min {:>10.3}  max {:>10.3}", f(v, "median"), f(v, "min"), f(v, "max"))
        };
        outln!(
            "session: Fenzo {} steps, {} placed, {} rounds, {} time (ms; ratios)",
            steps.len(),
            result["placed"],
            rounds,
            crate::bench::clock_name()
        );
        for key in [
            "place_per_batch_ms",
            "session_step_ms",
            "step_over_place",
            "place_run_ms",
            "session_run_ms",
            "call_run_ms",
            "step_json_run_ms",
            "call_over_step_json",
        ] {
            outln!("{}", line(key, &result[key]));
        }
        outln!("checked (session launched exactly what place placed): {checked}");
    }
    Ok(if checked { EXIT_OK } else { EXIT_REFUSED })
}

fn f(v: &Json, key: &str) -> f64 {
    v.get(key).and_then(Json::as_f64).unwrap_or(0.0)
}
