//! Shared checks for the fuzz targets, and a deliberately naive reference matcher
//! ([`reference`]) that `diff_reference` compares the engine against.

pub mod reference;
pub mod scenario;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use scenario::{Built, FieldSpec};

/// Asserts that `out` is one contract response: one JSON object on one line, `ok` a boolean,
/// and for `ok:false` a non-empty `errors` list whose items have a non-empty `code` and
/// `message`. Returns the parsed response.
///
/// # Panics
/// When any of that does not hold (that is the point: libFuzzer records the input).
pub fn check_response(out: &str) -> Json {
    assert!(!out.contains('\n'), "response spans several lines: {out}");
    let v: Json = match serde_json::from_str(out) {
        Ok(v) => v,
        Err(e) => panic!("response is not JSON ({e}): {out}"),
    };
    let Some(obj) = v.as_object() else { panic!("response is not an object: {out}") };
    match obj.get("ok") {
        Some(Json::Bool(true)) => {
            assert!(!obj.contains_key("errors"), "ok:true with errors: {out}");
        }
        Some(Json::Bool(false)) => {
            let Some(Json::Array(errors)) = obj.get("errors") else { panic!("ok:false without errors: {out}") };
            assert!(!errors.is_empty(), "ok:false with an empty error list: {out}");
            for e in errors {
                let code = e.get("code").and_then(Json::as_str).unwrap_or("");
                let message = e.get("message").and_then(Json::as_str).unwrap_or("");
                assert!(!code.is_empty() && !message.is_empty(), "error without code or message: {out}");
                assert_ne!(code, "internal", "an internal error is a bug: {out}");
                for field in ["message", "help"] {
                    let text = e.get(field).and_then(Json::as_str).unwrap_or("");
                    assert!(is_one_line(text), "error {field} is not one line: {text:?} in {out}");
                }
                if let Some(r) = e.get("rendered").and_then(Json::as_str) {
                    let (line, caret) = r.split_once('\n').unwrap_or((r, ""));
                    assert!(is_one_line(line) && is_one_line(caret), "rendered is not two lines: {r:?}");
                    assert!(line.chars().count() <= RENDERED_LINE_MAX, "rendered line not clipped: {r:?}");
                }
            }
        }
        _ => panic!("response without a boolean `ok`: {out}"),
    }
    v
}

/// Most characters of a rendered caret line: three windows of `offerfit::error::RENDER_CONTEXT`
/// characters (before, culprit, after), each escaped in at most 10 characters (`\u{10ffff}`),
/// plus the `…` marks.
pub const RENDERED_LINE_MAX: usize = (3 * offerfit::error::RENDER_CONTEXT + 3) * 10 + 2;

/// No control character (nor U+2028 / U+2029) anywhere: the contract's messages are one line.
pub fn is_one_line(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

/// Thousandths of a JSON number (as the contract prints scalars).
fn millis(v: &Json) -> i64 {
    (v.as_f64().unwrap_or(f64::NAN) * 1000.0).round() as i64
}

/// The scalar amounts (by name, in thousandths) and the ports of a list of Mesos resources.
fn totals(resources: &Json) -> (BTreeMap<String, i64>, Vec<u64>) {
    let mut scalars = BTreeMap::new();
    let mut ports = Vec::new();
    for r in resources.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let name = r["name"].as_str().unwrap_or("?").to_owned();
        if let Some(x) = r.get("scalar") {
            *scalars.entry(name).or_insert(0) += millis(&x["value"]);
        } else if let Some(rs) = r.pointer("/ranges/range").and_then(Json::as_array) {
            for range in rs {
                let (b, e) = (range["begin"].as_u64().unwrap_or(0), range["end"].as_u64().unwrap_or(0));
                assert!(b <= e && e - b < 100_000, "bad range in a task's resources: {range}");
                ports.extend(b..=e);
            }
        }
    }
    (scalars, ports)
}

/// Checks the contract's invariants of a `place` response for a scenario: `ok:true`; every
/// offer answered exactly once (accepted by its own agent or declined); every task exactly
/// once (accepted or unplaced); each accepted task takes exactly what it asked for, on the
/// ports it asked for; what an agent's tasks take, summed, fits in its accepted offers, with
/// no port twice; the group constraints hold for the final placement; `stats` add up.
/// Returns, per task id, the agent index it was placed on.
///
/// # Panics
/// On any violation, with the request and the response in the message.
pub fn check_plan(built: &Built, out: &str) -> BTreeMap<String, usize> {
    let v = check_response(out);
    let ctx = || format!("\nrequest: {}\nresponse: {out}", built.request);
    assert_eq!(v["ok"], Json::Bool(true), "a valid scenario was refused{}", ctx());
    let mut offers_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut tasks_seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut placed_on: BTreeMap<String, usize> = BTreeMap::new();
    let empty = Vec::new();
    for acc in v["accept"].as_array().unwrap_or(&empty) {
        let agent_id = acc["agent_id"].as_str().unwrap_or("");
        let Some(agent) = built.agents.iter().position(|a| a.id == agent_id) else {
            panic!("accept for an unknown agent `{agent_id}`{}", ctx())
        };
        let mut offered: BTreeMap<String, i64> = BTreeMap::new();
        let mut offered_ports: BTreeSet<u64> = BTreeSet::new();
        for id in acc["offer_ids"].as_array().unwrap_or(&empty) {
            let id = id.as_str().unwrap_or("");
            let Some(o) = built.offers.iter().find(|o| o.id == id) else { panic!("unknown offer `{id}`{}", ctx()) };
            assert_eq!(o.agent, agent, "offer `{id}` accepted for another agent{}", ctx());
            *offers_seen.entry(&o.id).or_insert(0) += 1;
            for (name, x) in [("cpus", o.cpus), ("mem", o.mem), ("disk", o.disk), ("gpus", o.gpus)] {
                *offered.entry(name.to_owned()).or_insert(0) += x;
            }
            for &(b, e) in &o.ports {
                offered_ports.extend(b..=e);
            }
        }
        let tasks = acc["tasks"].as_array().unwrap_or(&empty);
        assert!(!tasks.is_empty(), "an accept without tasks{}", ctx());
        let mut used: BTreeMap<String, i64> = BTreeMap::new();
        let mut used_ports: BTreeSet<u64> = BTreeSet::new();
        for t in tasks {
            let id = t["task_id"].as_str().unwrap_or("").to_owned();
            let Some(task) = built.tasks.iter().find(|x| x.id == id) else { panic!("unknown task `{id}`{}", ctx()) };
            *tasks_seen.entry(id.clone()).or_insert(0) += 1;
            placed_on.insert(id.clone(), agent);
            let (scalars, ports) = totals(&t["resources"]);
            for (name, want) in [("cpus", task.cpus), ("mem", task.mem), ("disk", task.disk), ("gpus", task.gpus)] {
                let got = scalars.get(name).copied().unwrap_or(0);
                assert_eq!(got, want, "task `{id}` took {got} thousandths of {name}, asked {want}{}", ctx());
            }
            for (name, x) in scalars {
                *used.entry(name).or_insert(0) += x;
            }
            let chosen: Vec<u64> = t["ports"].as_array().unwrap_or(&empty).iter().filter_map(Json::as_u64).collect();
            assert_eq!(chosen.len(), task.ports.len(), "task `{id}` got the wrong number of ports{}", ctx());
            for (want, got) in task.ports.iter().zip(&chosen) {
                assert!(*want == 0 || want == got, "task `{id}` asked port {want}, got {got}{}", ctx());
            }
            let mut sorted = chosen.clone();
            sorted.sort_unstable();
            let mut from_resources = ports.clone();
            from_resources.sort_unstable();
            assert_eq!(sorted, from_resources, "task `{id}`: `ports` and its port resources differ{}", ctx());
            for p in ports {
                assert!(offered_ports.contains(&p), "task `{id}` took port {p}, not offered{}", ctx());
                assert!(used_ports.insert(p), "port {p} given twice on agent `{agent_id}`{}", ctx());
            }
        }
        for (name, x) in &used {
            let have = offered.get(name).copied().unwrap_or(0);
            assert!(*x <= have, "agent `{agent_id}` over-allocated: {x} > {have} thousandths of {name}{}", ctx());
        }
    }
    for d in v["decline"].as_array().unwrap_or(&empty) {
        let id = d["offer_id"].as_str().unwrap_or("");
        let Some(o) = built.offers.iter().find(|o| o.id == id) else {
            panic!("declined unknown offer `{id}`{}", ctx())
        };
        *offers_seen.entry(&o.id).or_insert(0) += 1;
    }
    for u in v["unplaced"].as_array().unwrap_or(&empty) {
        let id = u["task_id"].as_str().unwrap_or("").to_owned();
        assert!(built.tasks.iter().any(|t| t.id == id), "unknown unplaced task `{id}`{}", ctx());
        let reasons = u["reasons"].as_array().unwrap_or(&empty);
        assert!(!reasons.is_empty(), "unplaced task `{id}` without reasons{}", ctx());
        *tasks_seen.entry(id).or_insert(0) += 1;
    }
    for o in &built.offers {
        assert_eq!(offers_seen.get(o.id.as_str()), Some(&1), "offer `{}` not answered exactly once{}", o.id, ctx());
    }
    for t in &built.tasks {
        assert_eq!(tasks_seen.get(&t.id), Some(&1), "task `{}` not answered exactly once{}", t.id, ctx());
    }
    assert_eq!(v["stats"]["offers"].as_u64(), Some(built.offers.len() as u64), "stats.offers{}", ctx());
    assert_eq!(v["stats"]["tasks"].as_u64(), Some(built.tasks.len() as u64), "stats.tasks{}", ctx());
    assert_eq!(v["stats"]["placed"].as_u64(), Some(placed_on.len() as u64), "stats.placed{}", ctx());
    check_constraints_hold(built, &placed_on, &ctx());
    placed_on
}

/// The group constraints, checked on the final placement (valid because every task of a
/// group carries the same constraints, so the order of placement does not matter):
/// LIKE / UNLIKE / IS / CLUSTER with a value per task; UNIQUE: no placed task shares its value
/// with another member; MAX_PER n: no value gets placements beyond n counting the running
/// ones (none when the running ones already reach n); CLUSTER without a value: every placed
/// task on the value of the group's first placement.
fn check_constraints_hold(built: &Built, placed_on: &BTreeMap<String, usize>, ctx: &str) {
    use scenario::ConstraintSpec as C;
    for group in ["g0", "g1"] {
        let members: Vec<(&str, usize)> = built
            .tasks
            .iter()
            .filter(|t| t.group == group)
            .filter_map(|t| placed_on.get(&t.id).map(|a| (t.id.as_str(), *a)))
            .collect();
        let Some(first) = built.tasks.iter().find(|t| t.group == group) else { continue };
        for c in &first.constraints {
            let f: FieldSpec = c.field();
            let running = reference::placed_values(&built.running, group, f);
            let value = |a: usize| built.agents.get(a).and_then(|x| x.field(f));
            match c {
                C::Unique(_) => {
                    for (i, (id, a)) in members.iter().enumerate() {
                        let v = value(*a);
                        assert!(v.is_some(), "`{id}` placed with UNIQUE on a missing field{ctx}");
                        let clash_running = running.contains(&v);
                        let clash_placed = members.iter().enumerate().any(|(j, (_, b))| j != i && value(*b) == v);
                        assert!(!clash_running && !clash_placed, "`{id}` breaks `{}`{ctx}", c.text());
                    }
                }
                C::MaxPer(_, n) => {
                    let n = scenario::max_per(*n) as usize;
                    let mut per: BTreeMap<Option<&str>, usize> = BTreeMap::new();
                    for (_, a) in &members {
                        *per.entry(value(*a)).or_insert(0) += 1;
                    }
                    for (v, placed) in per {
                        let before = running.iter().filter(|r| **r == v).count();
                        assert!(v.is_some(), "placed with MAX_PER on a missing field{ctx}");
                        let ok = if before >= n { placed == 0 } else { placed + before <= n };
                        assert!(ok, "`{}` broken on {v:?}: {before} running, {placed} placed{ctx}", c.text());
                    }
                }
                C::ClusterEmpty(_) => {
                    let target = match running.first() {
                        Some(r) => *r,
                        None => members.first().and_then(|(_, a)| value(*a)),
                    };
                    for (id, a) in &members {
                        assert!(value(*a).is_some() && value(*a) == target, "`{id}` breaks `{}`{ctx}", c.text());
                    }
                }
                _ => {
                    for (id, a) in &members {
                        assert!(
                            reference::constraint_holds(*c, value(*a), &running),
                            "`{id}` breaks `{}`{ctx}",
                            c.text()
                        );
                    }
                }
            }
        }
    }
}

/// Asserts that a core error is well formed (`input`: all the user text the error may quote):
/// a dotted code; a message without a final period that is one line (quoted user text
/// escaped), and so is the help; for a text error a span inside its text on character boundaries whose caret
/// rendering works.
///
/// # Panics
/// When it is not.
pub fn check_error(e: &offerfit::Error, input: &str) {
    let code = e.code();
    assert!(!code.is_empty() && code.contains('.'), "bad code `{code}` for {input:?}");
    let m = e.message();
    // Every message is one line: user text quoted in it has its control characters escaped
    // (`offerfit::error::one_line`), so no newline, carriage return, U+2028 / U+2029 or other
    // control character may appear anywhere in it, nor in the help.
    let one_line = is_one_line;
    assert!(!m.is_empty() && one_line(m), "message is empty or not one line: {m:?} for {input:?}");
    if let Some(h) = e.help() {
        assert!(one_line(h), "help is not one line: {h:?} for {input:?}");
    }
    assert_eq!(e.to_string().lines().count(), 1, "Display spans lines: {e} for {input:?}");
    assert!(!m.ends_with('.'), "message ends with a period: {m:?}");
    if let Some(p) = e.as_parse() {
        assert!(p.span.start <= p.span.end && p.span.end <= p.input.len(), "span {:?} outside {:?}", p.span, p.input);
        assert!(
            p.input.is_char_boundary(p.span.start) && p.input.is_char_boundary(p.span.end),
            "span off a char boundary"
        );
        let r = p.render();
        assert!(r.contains('^'), "render without a caret: {r}");
        let (line, caret) = r.split_once('\n').unwrap_or((&r, ""));
        assert!(is_one_line(line) && is_one_line(caret), "render is not two lines: {r:?}");
        assert!(line.chars().count() <= RENDERED_LINE_MAX, "render not clipped: {r:?}");
        let _ = (p.line(), p.column(), e.to_string());
    }
}
