//! A session driven by arbitrary bytes: each byte picks the next input (connect, SUBSCRIBED,
//! offers from four agents, rescinds, task updates with and without uuids, submits with
//! constraints, kills, ticks, disconnects, inverse offers, an unknown event, or a raw line of
//! the input's own bytes), at most 64 steps. Every answer is one JSON line with a boolean
//! `ok`, well-formed errors and never `internal`; a refused input leaves the session exactly
//! as it was; the session contract's rules (docs/contract.md, part 3) hold on every accepted step (the checker of the golden and
//! property tests, `tests/common/session_check.rs`); and a replay of the same inputs on a
//! new session gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offerfit::Session;

#[path = "../../tests/common/session_check.rs"]
mod session_check;

const CONFIG: &str = r#"{"framework": {"name": "fuzz", "roles": ["r"]},
  "session": {"offer_hold_seconds": 3, "revive_min_interval": 2, "reconcile_backoff": [1, 4], "implicit_reconcile_seconds": 20}}"#;

fn input(data: &[u8], i: &mut usize, now: &mut f64, next: &mut u32) -> String {
    let mut byte = || {
        let b = data.get(*i).copied().unwrap_or(0);
        *i += 1;
        b
    };
    let op = byte();
    let p = byte();
    let q = byte();
    *now += f64::from(q % 8) * 0.5;
    let agent = p % 4;
    let task = format!("t{}", p % 8);
    let body = match op % 17 {
        0 => r#""connect": {}"#.to_owned(),
        1 | 2 => r#""event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}"#.to_owned(),
        3 | 4 => {
            *next += 1;
            format!(
                r#""event": {{"type": "OFFERS", "offers": {{"offers": [{{"id": {{"value": "O{}"}}, "agent_id": {{"value": "S{agent}"}},
                "hostname": "h{agent}", "resources": "cpus:{};mem:2048;ports:[31000-31003]", "attributes": "rack:r{}",
                "unavailability": {{"start": {{"nanoseconds": {}}}}}}}]}}}}"#,
                next,
                1 + q % 4,
                p % 2,
                if q % 5 == 0 { 0 } else { i64::MAX }
            )
        }
        5 => format!(r#""event": {{"type": "RESCIND", "rescind": {{"offer_id": {{"value": "O{}"}}}}}}"#, q % 16),
        6 | 7 => {
            let states = [
                "TASK_STAGING",
                "TASK_RUNNING",
                "TASK_FINISHED",
                "TASK_FAILED",
                "TASK_KILLED",
                "TASK_LOST",
                "TASK_DROPPED",
                "TASK_ERROR",
                "TASK_GONE",
                "TASK_UNKNOWN",
                "TASK_UNREACHABLE",
                "TASK_KILLING",
            ];
            let state = states[usize::from(q) % states.len()];
            let uuid = if q % 3 == 0 { String::new() } else { format!(r#", "uuid": "AA{:02}""#, q % 40) };
            let reason = match q % 4 {
                0 => r#", "reason": "REASON_RECONCILIATION""#,
                1 => r#", "reason": "REASON_INVALID_OFFERS""#,
                _ => "",
            };
            format!(
                r#""event": {{"type": "UPDATE", "update": {{"status": {{"task_id": {{"value": "{task}"}}, "state": "{state}",
                "agent_id": {{"value": "S{agent}"}}{uuid}{reason}}}}}}}"#
            )
        }
        8 | 9 => {
            let constraint = match q % 3 {
                0 => r#", "group": "g", "constraints": ["hostname UNIQUE"]"#,
                1 => r#", "constraints": ["rack LIKE r[01]"], "ports": [0]"#,
                _ => "",
            };
            format!(r#""submit": [{{"id": "{task}", "cpus": {}, "mem": 128{constraint}}}]"#, 1 + q % 3)
        }
        10 => format!(r#""kill": ["{task}"]"#),
        11 | 12 => r#""tick": {}"#.to_owned(),
        13 => r#""disconnected": {}"#.to_owned(),
        14 => format!(
            r#""event": {{"type": "INVERSE_OFFERS", "inverse_offers": {{"inverse_offers": [{{"id": {{"value": "I{q}"}},
            "agent_id": {{"value": "S{agent}"}}, "unavailability": {{"start": {{"nanoseconds": 0}}}}}}]}}}}"#
        ),
        15 => r#""event": {"type": "SOMETHING_NEW", "something_new": {}}"#.to_owned(),
        _ => {
            // A raw line made of the input's next bytes.
            let n = usize::from(p % 48);
            let start = (*i).min(data.len());
            let end = (start + n).min(data.len());
            *i = end;
            return String::from_utf8_lossy(&data[start..end]).replace('\n', " ");
        }
    };
    format!(r#"{{"now": {now}, {body}}}"#).replace('\n', " ")
}

fuzz_target!(|data: &[u8]| {
    let config: serde_json::Value = serde_json::from_str(CONFIG).expect("config");
    let mut s = Session::from_json(CONFIG).expect("config");
    let mut checker = session_check::Checker::new(&config);
    let (mut i, mut now, mut next) = (0usize, 0.0f64, 0u32);
    let mut lines = Vec::new();
    let mut answers = Vec::new();
    while i < data.len() && lines.len() < 64 {
        let line = input(data, &mut i, &mut now, &mut next);
        let before = format!("{s:?}");
        let out = s.step_json(&line);
        offerfit_fuzz::check_response(&out);
        if out.starts_with(r#"{"ok":false"#) {
            assert_eq!(before, format!("{s:?}"), "a refused input changed the session: {line}");
        } else {
            let bad = checker.step(&line, &out, &s);
            assert!(bad.is_empty(), "{line}\n-> {out}\n{bad:?}");
        }
        lines.push(line);
        answers.push(out);
    }
    let mut again = Session::from_json(CONFIG).expect("config");
    for (line, want) in lines.iter().zip(&answers) {
        assert_eq!(&again.step_json(line), want, "a replay answered differently");
    }
});
