//! `offerfit bench --scenario session`: Fenzo's scenario (10,000 agents × 8 cpus, calls of 200
//! tasks until full, `offerfit::bench_gen`) through an [`offerfit::Session`], beside the
//! stateless `place` of the same batches.
//!
//! The session runs as a framework would run it: `offer_hold_seconds` 3600 (an hour; docs/contract.md
//! part 3, rule 2 lets a session hold offers that long, pending work or not). A scripted master offers
//! every agent once (step 0); then each step submits the next 200 tasks, which the session
//! places at once on the offers it holds, and the master offers again what is left of each
//! agent that received tasks (fresh offer ids). Tasks the offers cannot take are killed by the
//! host before those offers come (a stateless framework drops them too), so that every batch
//! meets the same offers both ways. The stateless side is a framework that keeps its offers
//! the same way, in arrival order, and sends all of them with each batch:
//!
//! - typed: `Engine::place` per batch vs `Session::step` (submit, kill of the unplaced, the
//!   re-offers) per step (target: a step ≤ 1.5× the place);
//! - JSON: `offerfit::call` with the `place` request text per batch vs `Session::step_json`
//!   with the same inputs as lines, step 0 included (target: the whole run ≥ 5× faster
//!   through the session, which reads each offer once instead of once per batch).
//!
//! Times are thread CPU time when the platform has it (the machine is shared). Every step
//! checks that the session launched exactly the tasks `place` placed, on the same agents;
//! the first step that differs is reported.

use offerfit::bench_gen::{self, Scenario, Workload};
use offerfit::session::{Config, Event, Input, InputKind, Notice, Timers};
use offerfit::{Engine, Offer, Session, TaskRequest};
use serde_json::{json, Value as Json};

use crate::out::outln;
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// How long the bench's session holds offers (`offer_hold_seconds`): longer than the run.
const HOLD_SECONDS: f64 = 3600.0;

/// One batch: the offers the framework holds when it comes (in arrival order), the tasks, what
/// `place` does with them, and the session's inputs for the step.
struct Step {
    tasks: Vec<TaskRequest>,
    /// Every offer held when the batch comes, in arrival order (the stateless request's).
    held: Vec<Offer>,
    /// `task id → agent id` as `place` placed them.
    placed: Vec<(String, String)>,
    /// The tasks `place` left unplaced: the host kills them before the re-offers come.
    unplaced: Vec<String>,
    /// What the master offers again after the batch: the rest of each agent that got tasks.
    reoffers: Vec<Offer>,
    submit_line: String,
    kill_line: Option<String>,
    offers_line: String,
    /// The stateless request text of the same batch.
    place_text: String,
}

fn usage(m: impl Into<String>) -> UsageError {
    UsageError(m.into())
}

fn offers_line(now: usize, offers: &[Offer], w: &Workload) -> String {
    let body = bench_gen::request_json(offers, &[], &[], &w.options);
    json!({"now": now, "event": {"type": "OFFERS", "offers": {"offers": body["offers"]}}}).to_string()
}

/// Builds the steps from a typed run of the workload (not timed): the scripted master.
fn steps(w: &Workload) -> Result<Vec<Step>, UsageError> {
    let engine = Engine::new(w.options.clone()).map_err(|e| usage(format!("{e:?}")))?;
    let mut held: Vec<Offer> = w.offers.iter().map(|o| Offer { id: format!("{}-0", o.id), ..o.clone() }).collect();
    let mut out = Vec::new();
    for (k, batch) in w.tasks.chunks(w.batch.max(1)).enumerate() {
        let now = k + 1;
        let req = offerfit::PlaceRequest { offers: held.clone(), tasks: batch.to_vec(), running: vec![] };
        let plan = engine.place(&req).map_err(|e| usage(format!("place failed: {e:?}")))?;
        let placed: Vec<(String, String)> = plan
            .accept
            .iter()
            .flat_map(|a| a.tasks.iter().map(move |t| (t.task_id.to_string(), a.agent_id.to_string())))
            .collect();
        let unplaced: Vec<String> = plan.unplaced.iter().map(|u| u.task_id.to_string()).collect();
        // The used offers end; what is left of their agents comes again (as `Run` does:
        // dropped once it has no cpus or no mem left).
        let used: std::collections::HashSet<&str> =
            plan.accept.iter().flat_map(|a| a.offer_ids.iter().copied()).collect();
        let mut reoffers = Vec::new();
        for a in &plan.accept {
            let left = &a.remaining;
            if left.scalar("cpus").millis() > 0 && left.scalar("mem").millis() > 0 {
                let first = req.offers.iter().find(|o| o.agent_id == a.agent_id).ok_or_else(|| usage("no offer"))?;
                let base = first.id.rsplit_once('-').map_or(first.id.as_str(), |(b, _)| b);
                reoffers.push(Offer { id: format!("{base}-{now}"), resources: left.clone(), ..first.clone() });
            }
        }
        let mut next: Vec<Offer> = held.iter().filter(|o| !used.contains(o.id.as_str())).cloned().collect();
        next.extend(reoffers.iter().cloned());
        let body = bench_gen::request_json(&held, batch, &[], &w.options);
        let mut request = body.clone();
        if let Json::Object(m) = &mut request {
            m.insert("op".into(), "place".into());
        }
        let submit_line = json!({"now": now, "submit": body["tasks"]}).to_string();
        let kill_line = (!unplaced.is_empty()).then(|| json!({"now": now, "kill": unplaced}).to_string());
        out.push(Step {
            tasks: batch.to_vec(),
            held: std::mem::replace(&mut held, next),
            placed,
            unplaced,
            offers_line: offers_line(now, &reoffers, w),
            reoffers,
            submit_line,
            kill_line,
            place_text: request.to_string(),
        });
    }
    Ok(out)
}

/// A subscribed session holding nothing yet, configured as the workload.
fn session(w: &Workload) -> Result<Session, UsageError> {
    let mut config = Config::new("bench");
    config.framework.roles = w.options.roles.clone();
    config.options = offerfit::Options { roles: vec![], framework_id: None, principal: None, ..w.options.clone() };
    config.session = Timers { offer_hold_seconds: HOLD_SECONDS, ..Timers::default() };
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
    /// Step 0 (every agent offered once), typed.
    first: f64,
    call_total: f64,
    json_total: f64,
    /// The first step (1-based; 0: step 0) whose launches differ from `place`'s, per path.
    mismatch: Option<(&'static str, usize)>,
}

impl Round {
    fn check(&mut self, path: &'static str, step: usize, ok: bool) {
        if !ok && self.mismatch.is_none() {
            self.mismatch = Some((path, step));
        }
    }
}

fn round(w: &Workload, steps: &[Step]) -> Result<Round, UsageError> {
    let engine = Engine::new(w.options.clone()).map_err(|e| usage(format!("{e:?}")))?;
    let mut r = Round::default();
    let err = |e: offerfit::session::Refused| usage(format!("{e:?}"));
    // Typed place per batch, on the offers the framework holds.
    for (k, st) in steps.iter().enumerate() {
        let req = offerfit::PlaceRequest { offers: st.held.clone(), tasks: st.tasks.clone(), running: vec![] };
        let (plan, t) = crate::bench::timed(|| engine.place(&req));
        let plan = plan.map_err(|e| usage(format!("place failed: {e:?}")))?;
        r.place.push(t);
        r.check("place", k + 1, plan.accept.iter().map(|a| a.tasks.len()).sum::<usize>() == st.placed.len());
    }
    // Typed session steps.
    let mut s = session(w)?;
    let first = Event::Offers { offers: steps.first().map(|s| s.held.clone()).unwrap_or_default(), unreadable: vec![] };
    let (out, t) = crate::bench::timed(|| s.step(Input { now: 0.0, kind: InputKind::Event(first) }));
    r.first = t;
    r.check("session", 0, out.map_err(err)?.notices.is_empty());
    for (k, st) in steps.iter().enumerate() {
        let now = (k + 1) as f64;
        let (tasks, kill, offers) = (st.tasks.clone(), st.unplaced.clone(), st.reoffers.clone());
        let (outs, t) = crate::bench::timed(|| {
            let a = s.step(Input { now, kind: InputKind::Submit(tasks) });
            let k = (!kill.is_empty()).then(|| s.step(Input { now, kind: InputKind::Kill(kill) }));
            let b = s.step(Input { now, kind: InputKind::Event(Event::Offers { offers, unreadable: vec![] }) });
            (a, k, b)
        });
        r.step.push(t);
        let (a, _, b) = (outs.0.map_err(err)?, outs.1.transpose().map_err(err)?, outs.2.map_err(err)?);
        let mut got = launched(&a.notices);
        got.extend(launched(&b.notices));
        r.check("session", k + 1, sorted(got) == sorted(st.placed.clone()));
    }
    // Stateless JSON calls, whole run.
    for (k, st) in steps.iter().enumerate() {
        let (out, t) = crate::bench::timed(|| offerfit::call(&st.place_text));
        r.call_total += t;
        r.check("call", k + 1, out.starts_with(r#"{"ok":true"#));
    }
    // Session through step_json, whole run (step 0 included).
    let mut s = session(w)?;
    let first = offers_line(0, steps.first().map_or(&[][..], |s| s.held.as_slice()), w);
    let (out, t) = crate::bench::timed(|| s.step_json(&first));
    r.json_total += t;
    r.check("step_json", 0, out.starts_with(r#"{"ok":true,"calls":[],"notices":[]"#));
    for (k, st) in steps.iter().enumerate() {
        let ((a, kill, b), t) = crate::bench::timed(|| {
            let a = s.step_json(&st.submit_line);
            let kill = st.kill_line.as_ref().map(|l| s.step_json(l));
            (a, kill, s.step_json(&st.offers_line))
        });
        r.json_total += t;
        let mut got = launched_json(&a);
        got.extend(launched_json(&b));
        let ok = [Some(&a), kill.as_ref(), Some(&b)].into_iter().flatten().all(|o| o.starts_with(r#"{"ok":true"#));
        r.check("step_json", k + 1, ok && sorted(got) == sorted(st.placed.clone()));
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
    let first: Vec<f64> = all.iter().map(|r| r.first).collect();
    let step_tot: Vec<f64> = all.iter().map(|r| r.first + r.step.iter().sum::<f64>()).collect();
    let place_tot: Vec<f64> = all.iter().map(|r| r.place.iter().sum()).collect();
    let call_tot: Vec<f64> = all.iter().map(|r| r.call_total).collect();
    let json_tot: Vec<f64> = all.iter().map(|r| r.json_total).collect();
    let speedup: Vec<f64> = all.iter().map(|r| r.call_total / r.json_total.max(1e-9)).collect();
    let mismatch = all.iter().find_map(|r| r.mismatch);
    let checked = mismatch.is_none();
    let result = json!({
        "scenario": "session",
        "clock": crate::bench::clock_name(),
        "steps": steps.len(),
        "placed": steps.iter().map(|s| s.placed.len()).sum::<usize>(),
        "unplaced": steps.iter().map(|s| s.unplaced.len()).sum::<usize>(),
        "offer_hold_seconds": HOLD_SECONDS,
        "rounds": rounds,
        "place_per_batch_ms": spread(&place_med),
        "session_step_ms": spread(&step_med),
        "step_over_place": spread(&ratio),
        "session_first_offers_ms": spread(&first),
        "place_run_ms": spread(&place_tot),
        "session_run_ms": spread(&step_tot),
        "call_run_ms": spread(&call_tot),
        "step_json_run_ms": spread(&json_tot),
        "call_over_step_json": spread(&speedup),
        "checked": checked,
        "first_mismatch": mismatch.map(|(path, step)| json!({"path": path, "step": step})),
    });
    if as_json {
        outln!("{result}");
    } else {
        let line = |name: &str, v: &Json| {
            format!("{name:<34} median {:>10.3}  min {:>10.3}  max {:>10.3}", f(v, "median"), f(v, "min"), f(v, "max"))
        };
        outln!(
            "session: Fenzo {} steps, {} placed, {} rounds, offers held {} s, {} time (ms; ratios)",
            steps.len(),
            result["placed"],
            rounds,
            HOLD_SECONDS,
            crate::bench::clock_name()
        );
        for key in [
            "place_per_batch_ms",
            "session_step_ms",
            "step_over_place",
            "session_first_offers_ms",
            "place_run_ms",
            "session_run_ms",
            "call_run_ms",
            "step_json_run_ms",
            "call_over_step_json",
        ] {
            outln!("{}", line(key, &result[key]));
        }
        match mismatch {
            None => outln!("checked (session launched exactly what place placed): true"),
            Some((path, step)) => outln!("checked: false ({path} differs from place first at step {step})"),
        }
    }
    Ok(if checked { EXIT_OK } else { EXIT_REFUSED })
}

fn f(v: &Json, key: &str) -> f64 {
    v.get(key).and_then(Json::as_f64).unwrap_or(0.0)
}
