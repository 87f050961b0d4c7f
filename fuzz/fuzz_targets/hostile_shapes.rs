//! Structured hostile requests (issue 20): the shapes that once cost minutes or gigabytes,
//! built large from a few `arbitrary` bytes, through `offerfit::call`. Byte-level fuzzing
//! rarely writes a 100,000-key object or 300 distinct regexes; this generator does, with the
//! sizes, key spellings and nesting chosen by the input:
//!
//! - a wide object (up to 200,000 keys, sometimes one repeated far apart) at the top, in an
//!   offer or in a task's `scalars`;
//! - many offers of one agent (up to 2,000) with distinct scalars and single-port ranges, and
//!   tasks of tiny amounts and dynamic ports;
//! - many distinct `LIKE` / `UNLIKE` patterns over the tasks;
//! - long flat or nested arrays (`[1,1,…]`, arrays of arrays) in any field.
//!
//! Checked: the answer is one JSON object on one line (`check_response`), no larger than
//! `answer_bound` allows (a refusal: the request plus `ANSWER_SLACK`; a plan: that plus a
//! bounded size per launched task, the agents' remaining and the metadata its launches copy,
//! which stays within `Limits::repeat_budget`).
//! Time and memory are bounded by the stage's `-timeout=10` and `-rss_limit_mb=2048`.
#![no_main]

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use offerfit::bench_gen::hostile::{answer_bound, REMAINING_FACTOR};

#[derive(Debug, Arbitrary)]
enum Shape {
    /// `keys` × 64 keys (at most 200,000); `repeat` repeats key 0 at the end.
    WideObject { keys: u16, at: u8, repeat: bool },
    /// One agent with `offers` × 8 offers (at most 2,000), each with `ranges` single ports,
    /// and `tasks` × 8 tasks with `ports` dynamic ports each.
    ManyOffers { offers: u8, ranges: u8, tasks: u8, ports: u8 },
    /// `tasks` tasks with `per` distinct patterns each.
    ManyRegexes { tasks: u8, per: u8, unlike: bool },
    /// An array of `len` × 1,024 ones, or of `len` arrays of 1,000, under a field.
    LongArray { len: u16, nested: bool, at: u8 },
}

/// Where a wide object or a long array goes.
fn field(at: u8) -> &'static str {
    match at % 5 {
        0 => "x",
        1 => "offers",
        2 => "tasks",
        3 => "options",
        _ => "running",
    }
}

fn build(shape: &Shape) -> String {
    let mut s = String::new();
    match shape {
        Shape::WideObject { keys, at, repeat } => {
            let n = (usize::from(*keys) * 64).clamp(1, 200_000);
            let members = {
                let mut m = String::with_capacity(n * 10);
                for i in 0..n {
                    let _ = write!(m, "{}\"k{i}\":1", if i > 0 { "," } else { "" });
                }
                if *repeat {
                    m.push_str(",\"k0\":2");
                }
                m
            };
            match at % 3 {
                0 => {
                    let _ = write!(s, r#"{{"op":"version","{}":{{{members}}}}}"#, field(*at / 3));
                }
                1 => {
                    let _ = write!(
                        s,
                        r#"{{"op":"place","offers":[{{"id":"o","agent_id":"a","hostname":"h",{members}}}],"tasks":[]}}"#
                    );
                }
                _ => {
                    let _ = write!(s, r#"{{"op":"place","offers":[],"tasks":[{{"id":"t","scalars":{{{members}}}}}]}}"#);
                }
            }
        }
        Shape::ManyOffers { offers, ranges, tasks, ports } => {
            let offers = usize::from(*offers) * 8;
            s.push_str(r#"{"op":"place","offers":["#);
            for i in 0..offers {
                let _ = write!(
                    s,
                    r#"{}{{"id":"o{i}","agent_id":"a","hostname":"h","resources":"cpus:1;mem:64;x{i}:1;ports:["#,
                    if i > 0 { "," } else { "" }
                );
                for r in 0..usize::from(*ranges) {
                    let p = 1 + 2 * (i * 256 + r);
                    let _ = write!(s, "{}{p}-{p}", if r > 0 { "," } else { "" });
                }
                s.push_str("]\"}");
            }
            s.push_str(r#"],"tasks":["#);
            let zeros = vec!["0"; usize::from(*ports % 16)].join(",");
            for i in 0..usize::from(*tasks) * 8 {
                let _ = write!(s, r#"{}{{"id":"t{i}","cpus":0.001,"ports":[{zeros}]}}"#, if i > 0 { "," } else { "" });
            }
            s.push_str("]}");
        }
        Shape::ManyRegexes { tasks, per, unlike } => {
            let op = if *unlike { "UNLIKE" } else { "LIKE" };
            s.push_str(r#"{"op":"place","offers":[{"id":"o","agent_id":"a","hostname":"h","resources":"cpus:64;mem:65536","attributes":"rack:r1"}],"tasks":["#);
            for t in 0..usize::from(*tasks) {
                let _ = write!(s, r#"{}{{"id":"t{t}","cpus":0.001,"constraints":["#, if t > 0 { "," } else { "" });
                for c in 0..usize::from(*per % 65) {
                    let _ = write!(s, r#"{}["rack","{op}","r{t}x{c}|[a-z]+\\w{{2,9}}"]"#, if c > 0 { "," } else { "" });
                }
                s.push_str("]}");
            }
            s.push_str("]}");
        }
        Shape::LongArray { len, nested, at } => {
            let items = if *nested {
                let inner = format!("[{}]", vec!["1"; 1000].join(","));
                vec![inner; usize::from(*len % 512)].join(",")
            } else {
                vec!["1"; usize::from(*len) * 16].join(",")
            };
            let _ = write!(s, r#"{{"op":"place","offers":[],"tasks":[],"{}":[{items}]}}"#, field(*at));
        }
    }
    s
}

fuzz_target!(|shape: Shape| {
    let request = build(&shape);
    let out = offerfit::call(&request);
    offerfit_fuzz::check_response(&out);
    let answer: serde_json::Value = serde_json::from_str(&out).expect("check_response parsed it");
    let b = answer_bound(&request, &answer);
    assert!(out.len() <= b.bound, "answer of {} bytes to a request of {}: {b:?}", out.len(), request.len());
    assert!(b.remaining <= REMAINING_FACTOR * request.len(), "{b:?}");
    assert!(b.copied <= offerfit::Limits::default().repeat_budget(), "{b:?}");
});
