//! Hostile requests: each a small, generated request inside the documented limits (or just
//! over one) that once cost minutes or gigabytes (issue 20), for the battery in
//! `tests/hostile.rs`, `offerfit bench --scenario hostile` and the fuzz seeds.
//!
//! Every case comes in two sizes: [`Size::Cheap`] (what CI runs: a few hundred KB at most,
//! still past the point where the old cost showed) and [`Size::Full`] (the sizes the issue
//! reproduced). What an answer may cost is in `docs/limits.md`; the battery asserts that each
//! answer is one JSON object on one line, no larger than [`answer_bound`]: a refusal the
//! request plus [`ANSWER_SLACK`] bytes, a plan that plus a bounded size per launched task.
//!
//! ```
//! use offerfit::bench_gen::hostile::{cases, Size};
//! let all = cases(Size::Cheap);
//! assert!(all.iter().any(|c| c.name == "wide_object"));
//! for c in all.iter().filter(|c| c.name == "wide_object") {
//!     let answer = offerfit::call(&c.request);
//!     assert!(answer.len() <= c.request.len() + offerfit::bench_gen::hostile::ANSWER_SLACK);
//! }
//! ```

use std::fmt::Write as _;

/// How much larger than its request a refusal (`ok: false`, or any answer of an op other
/// than `place`) may be, in bytes: one error with its clipped message, help and rendering.
pub const ANSWER_SLACK: usize = 4096;

/// Bytes a `place` answer may add per launched task, beyond [`LAUNCH_FACTOR`] times the
/// task's own JSON: `{"task_id":…,"resources":[…],"ports":[…],"score":…}` and its TaskInfo in
/// `calls` (`name`, `task_id`, `agent_id` objects), each resource's `type` and value.
pub const LAUNCH_SLACK: usize = 512;

/// How many times its own JSON text a launched task may be written back: its id (in the
/// launch, and twice in its TaskInfo), each scalar it asks for and each port (a dynamic port,
/// `0,` in the request, comes back as a number in `ports` and, at worst, a range of its own
/// in `resources`, both twice with `calls`).
pub const LAUNCH_FACTOR: usize = 24;

/// How many times the request the accepted agents' `remaining` may be: an offer's resources
/// text (`a:1;b:2`) written as Mesos JSON (`{"name":"a","type":"SCALAR","scalar":{"value":1},
/// "reservations":[]}`), ~13× at worst.
pub const REMAINING_FACTOR: usize = 16;

/// The largest answer the cost model allows for `request` answered by `answer` (see
/// `docs/limits.md`, "Answer size"):
///
/// - a refusal: the request + [`ANSWER_SLACK`];
/// - a `place` plan: the request + [`ANSWER_SLACK`] + for each task, launched or unplaced,
///   [`LAUNCH_SLACK`] + [`LAUNCH_FACTOR`] × its JSON in the request + for each decline
///   [`DECLINE_SLACK`] + its offer id (twice with `calls`) + the accepted agents'
///   `remaining` (at most [`REMAINING_FACTOR`] × the request) + what the launches copy of
///   the offers' resource metadata (each launched resource's JSON but its value, twice with
///   `calls`; at most [`crate::Limits::repeat_budget`], 16 MiB by default: a plan whose
///   launches would copy more is refused) + the nearest agents' ids and hostnames quoted by
///   unplaced tasks (a budget of their own, the same size: `nearest` is left out past it).
///
/// Returns the bound and the two measured parts that are not per launched task (remaining,
/// copied), which the caller may hold to their own bounds.
pub fn answer_bound(request: &str, answer: &serde_json::Value) -> AnswerBound {
    use serde_json::Value as J;
    let n = request.len();
    let mut out = AnswerBound { bound: n + ANSWER_SLACK, remaining: 0, copied: 0 };
    if answer.get("ok") != Some(&J::Bool(true)) || answer.get("accept").is_none() {
        return out;
    }
    let req: J = serde_json::from_str(request).unwrap_or(J::Null);
    let mut task_bytes: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for t in req.get("tasks").and_then(J::as_array).into_iter().flatten() {
        if let Some(id) = t.get("id").and_then(J::as_str) {
            task_bytes.insert(id, t.to_string().len());
        }
    }
    let times = if answer.get("calls").is_some_and(|c| !c.is_null()) { 2 } else { 1 };
    for acc in answer["accept"].as_array().into_iter().flatten() {
        out.remaining += acc["remaining"].to_string().len();
        for l in acc["tasks"].as_array().into_iter().flatten() {
            let own = l["task_id"].as_str().and_then(|id| task_bytes.get(id)).copied().unwrap_or(0);
            out.bound += LAUNCH_SLACK + LAUNCH_FACTOR * own;
            for r in l["resources"].as_array().into_iter().flatten() {
                let mut bare = r.clone();
                if let Some(m) = bare.as_object_mut() {
                    for k in ["scalar", "ranges", "set"] {
                        m.remove(k);
                    }
                }
                out.copied += times * bare.to_string().len();
            }
            if times == 2 {
                out.copied += acc["agent_id"].as_str().map_or(0, str::len);
            }
        }
    }
    // Every task gets an answer: an unplaced one its reasons (messages clipped, quoting the
    // task's own text) and, at most once, the nearest agent's id and hostname, which come from
    // the offers and count as copied; every unused offer one decline (its id, twice with
    // `calls`).
    for u in answer["unplaced"].as_array().into_iter().flatten() {
        let own = u["task_id"].as_str().and_then(|id| task_bytes.get(id)).copied().unwrap_or(0);
        out.bound += LAUNCH_SLACK + LAUNCH_FACTOR * own;
        // The nearest agent's quoted id and hostname (the engine stops quoting past
        // `repeat_budget`, a budget of their own, apart from the launches' copies).
        let near = &u["nearest"];
        out.bound += ["agent_id", "hostname"].iter().map(|k| near[*k].as_str().map_or(0, str::len)).sum::<usize>();
    }
    for d in answer["decline"].as_array().into_iter().flatten() {
        out.bound += times * (DECLINE_SLACK + d["offer_id"].as_str().map_or(0, str::len));
    }
    out.bound += out.remaining + out.copied;
    out
}

/// The bytes of one decline besides its offer id (`{"offer_id":…,"refuse_seconds":…,
/// "reason":…}`, and with `calls` the DECLINE call's entry).
pub const DECLINE_SLACK: usize = 96;

/// What [`answer_bound`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerBound {
    /// The largest answer allowed, in bytes.
    pub bound: usize,
    /// The bytes of the accepted agents' `remaining` (at most [`REMAINING_FACTOR`] × the
    /// request).
    pub remaining: usize,
    /// The bytes the launches copy of the offers' resource metadata (at most
    /// [`crate::Limits::repeat_budget`]).
    pub copied: usize,
}

/// Which sizes to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Small enough for every CI run.
    Cheap,
    /// The sizes issue 20 reproduced (up to the 16 MiB request limit).
    Full,
}

/// One hostile request.
#[derive(Debug, Clone)]
pub struct Case {
    /// A short name, unique in [`cases`].
    pub name: &'static str,
    /// The issue's item it reproduces (1-9).
    pub item: u8,
    /// What it is, in words.
    pub what: &'static str,
    /// The request text.
    pub request: String,
}

fn pick(size: Size, cheap: usize, full: usize) -> usize {
    match size {
        Size::Cheap => cheap,
        Size::Full => full,
    }
}

/// `{"op":"version","x":{"k0":0,…}}` with `n` distinct keys.
fn wide_object(n: usize) -> String {
    let mut s = String::with_capacity(n * 12 + 32);
    s.push_str(r#"{"op":"version","x":{"#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""k{i}":0"#);
    }
    s.push_str("}}");
    s
}

/// A `place` request with one task whose `scalars` has `n` entries.
fn wide_scalars(n: usize) -> String {
    let mut s = String::with_capacity(n * 14 + 128);
    s.push_str(r#"{"op":"place","offers":[{"id":"o1","agent_id":"a1","hostname":"h1","resources":"cpus:4;mem:1024"}],"tasks":[{"id":"t1","cpus":1,"scalars":{"#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""s{i}":1"#);
    }
    s.push_str("}}]}");
    s
}

/// One agent with `offers` offers of distinct custom scalars, and `tasks` tasks of 0.001 cpu.
fn one_agent_many_offers(offers: usize, tasks: usize) -> String {
    let mut s = String::with_capacity(offers * 100 + tasks * 40 + 64);
    s.push_str(r#"{"op":"place","offers":["#);
    for i in 0..offers {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"o{i}","agent_id":"a1","hostname":"h1","resources":"cpus:1;x{i}:1"}}"#);
    }
    s.push_str(r#"],"tasks":["#);
    for i in 0..tasks {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"t{i}","cpus":0.001}}"#);
    }
    s.push_str("]}");
    s
}

/// One agent with `offers` offers of distinct custom scalars, and `tasks` tasks each asking
/// for 0.001 cpu and one unit of another of those scalars: each placement changes an entry no
/// earlier one changed, so the agent's states differ from the pool as offered more and more.
fn one_agent_distinct_asks(offers: usize, tasks: usize) -> String {
    let mut s = String::with_capacity(offers * 100 + tasks * 60 + 64);
    s.push_str(r#"{"op":"place","offers":["#);
    for i in 0..offers {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"o{i}","agent_id":"a1","hostname":"h1","resources":"cpus:1;x{i}:1"}}"#);
    }
    s.push_str(r#"],"tasks":["#);
    for i in 0..tasks {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"t{i}","cpus":0.001,"scalars":{{"x{}":1}}}}"#, i % offers.max(1));
    }
    s.push_str("]}");
    s
}

/// One agent with `offers` offers of `ranges` single-port ranges each, and `tasks` tasks of
/// `ports` dynamic ports.
fn pooled_ranges(offers: usize, ranges: usize, tasks: usize, ports: usize) -> String {
    let mut s = String::new();
    s.push_str(r#"{"op":"place","offers":["#);
    for i in 0..offers {
        if i > 0 {
            s.push(',');
        }
        // Mesos JSON resources: a resources text of 10,000 ranges would pass `string_bytes`.
        let _ = write!(
            s,
            r#"{{"id":"o{i}","agent_id":"a1","hostname":"h1","resources":[{{"name":"cpus","type":"SCALAR","scalar":{{"value":64}}}},{{"name":"mem","type":"SCALAR","scalar":{{"value":65536}}}},{{"name":"ports","type":"RANGES","ranges":{{"range":["#
        );
        for r in 0..ranges {
            if r > 0 {
                s.push(',');
            }
            let p = 1 + 2 * (i * ranges + r);
            let _ = write!(s, r#"{{"begin":{p},"end":{p}}}"#);
        }
        s.push_str("]}}]}");
    }
    s.push_str(r#"],"tasks":["#);
    let zeros = vec!["0"; ports].join(",");
    for i in 0..tasks {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"t{i}","cpus":0.01,"ports":[{zeros}]}}"#);
    }
    s.push_str("]}");
    s
}

/// `{"op":"version","a":1,"<key>":1,"<key>":2}` with a key of `n` bytes, twice.
fn duplicated_long_key(n: usize) -> String {
    let key = "k".repeat(n);
    format!(r#"{{"op":"version","{key}":1,"{key}":2}}"#)
}

/// `offers` offers whose attributes text is `n` bytes of bad text.
fn bad_attribute_text(offers: usize, n: usize) -> String {
    let bad = format!("rack:{}", "[".repeat(n));
    let mut s = String::from(r#"{"op":"place","offers":["#);
    for i in 0..offers {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"o{i}","agent_id":"a{i}","hostname":"h{i}","resources":"cpus:1","attributes":"{bad}"}}"#
        );
    }
    s.push_str(r#"],"tasks":[]}"#);
    s
}

/// One agent whose `cpus` is reserved (dynamically, for role `r`) with one label of `label`
/// bytes, and `tasks` tasks of 0.001 cpu of role `r`, with `calls`: each launch repeats the
/// reservation and its label, twice (issue 20, item 4's variant: 104 KB answered 120 MB).
fn repeated_labels(label: usize, tasks: usize) -> String {
    let value = "v".repeat(label);
    let mut s = format!(
        r#"{{"op":"place","options":{{"roles":["r"],"framework_id":"f"}},"offers":[{{"id":"o1","agent_id":"a1","hostname":"h1","resources":[{{"name":"cpus","type":"SCALAR","scalar":{{"value":100}},"reservations":[{{"type":"DYNAMIC","role":"r","principal":"p","labels":{{"labels":[{{"key":"k","value":"{value}"}}]}}}}]}}]}}],"tasks":["#
    );
    for i in 0..tasks {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"t{i}","cpus":0.001,"role":"r"}}"#);
    }
    s.push_str("]}");
    s
}

/// One agent whose `cpus` comes in `entries` offers, each reserved for its own role `r{i}`,
/// and `tasks` tasks of 0.001 cpu that may use every role (`accepted_roles`): a fit reads
/// every entry of the name the task may use.
fn many_reservations(entries: usize, tasks: usize) -> String {
    let mut s = String::from(r#"{"op":"place","offers":["#);
    for i in 0..entries {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"o{i}","agent_id":"a1","hostname":"h1","resources":"cpus(r{i}):0.001;mem:1"}}"#);
    }
    s.push_str(r#"],"options":{"roles":["r0"]},"tasks":["#);
    for i in 0..tasks {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"t{i}","cpus":0.001,"role":"r{}"}}"#, i % entries.max(1));
    }
    s.push_str("]}");
    s
}

/// One agent offering `n` distinct scalars (Mesos JSON) and one task asking for every one
/// of them: its launch merges `n` resources (`Resources::push`).
fn wide_launch(n: usize) -> String {
    let mut s = String::from(r#"{"op":"place","offers":[{"id":"o1","agent_id":"a1","hostname":"h1","resources":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"name":"s{i}","type":"SCALAR","scalar":{{"value":2}}}}"#);
    }
    s.push_str(r#"]}],"tasks":[{"id":"t1","scalars":{"#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""s{i}":1"#);
    }
    s.push_str("}}]}");
    s
}

/// A task asking for `n` ports.
fn many_ports(n: usize) -> String {
    let zeros = vec!["0"; n].join(",");
    format!(
        r#"{{"op":"place","offers":[{{"id":"o1","agent_id":"a1","hostname":"h1","resources":"cpus:4;mem:1024;ports:[1-65535]"}}],"tasks":[{{"id":"t1","cpus":1,"ports":[{zeros}]}}]}}"#
    )
}

/// Constraint and scalar names holding a newline and control characters.
fn newline_names() -> String {
    r#"{"op":"place","offers":[{"id":"o1","agent_id":"a1","hostname":"h\n1","resources":"cpus:1","attributes":"rack:r1"}],"tasks":[{"id":"t\u001b1","cpus":1,"scalars":{"gp\nus":2},"constraints":[["ra\nck","LIKE","x\u202ey"]]}]}"#.to_owned()
}

/// `{"op":"version","x":[1,1,…]}` of about `bytes` bytes.
fn flat_array(bytes: usize) -> String {
    let n = bytes / 2;
    let mut s = String::with_capacity(bytes + 32);
    s.push_str(r#"{"op":"version","x":["#);
    for i in 0..n {
        s.push_str(if i == 0 { "1" } else { ",1" });
    }
    s.push_str("]}");
    s
}

/// `{"op":"version","x":[[1,…],[1,…],…]}`: arrays within the item count, many values.
fn nested_arrays(bytes: usize, per: usize) -> String {
    let inner = format!("[{}]", vec!["1"; per].join(","));
    let n = bytes / (inner.len() + 1);
    let mut s = String::with_capacity(bytes + 32);
    s.push_str(r#"{"op":"version","x":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&inner);
    }
    s.push_str("]}");
    s
}

/// A `place` request with `n` empty offers.
fn empty_offers(n: usize) -> String {
    let mut s = String::with_capacity(n * 3 + 48);
    s.push_str(r#"{"op":"place","offers":["#);
    for i in 0..n {
        s.push_str(if i == 0 { "{}" } else { ",{}" });
    }
    s.push_str(r#"],"tasks":[]}"#);
    s
}

/// `tasks` tasks with `per` distinct `LIKE` patterns each, on `offers` agents.
fn many_regexes(tasks: usize, per: usize, offers: usize) -> String {
    regex_request(tasks, per, offers, |t, c| format!(r#"["rack","LIKE","r{t}x{c}|[a-z]+\\w{{2,9}}"]"#))
}

/// `tasks` tasks of `per` `LIKE` constraints each, drawn in turn from `patterns` distinct
/// heavy patterns (`r{k}x|[a-z]+\w{2,9}`: half a MiB compiled each, Unicode `\w` nine times),
/// on `offers` agents: just under the request's regex budget, every regex compiled and
/// matched (the worst of `many_regexes` inside the limits).
fn heavy_regexes(tasks: usize, per: usize, patterns: usize, offers: usize) -> String {
    regex_request(tasks, per, offers, |t, c| {
        let k = (t + c) % patterns.max(1);
        format!(r#"["rack","UNLIKE","r{k}x|[a-z]+\\w{{2,9}}"]"#)
    })
}

/// `tasks` tasks of `per` `UNLIKE` constraints each, drawn in turn from `patterns` distinct
/// small patterns (`r{k}x`, 2.3–2.4 KB charged each) on `offers` agents: as many distinct
/// regexes as the budget takes, each matched by every agent for every task.
fn small_regexes(tasks: usize, per: usize, patterns: usize, offers: usize) -> String {
    regex_request(tasks, per, offers, |t, c| {
        let k = (t * per + c) % patterns.max(1);
        format!(r#"["rack","UNLIKE","r{k}x"]"#)
    })
}

/// `offers` agents of 64 cpus (attribute `rack:r{i}`) and `tasks` tasks of 0.01 cpu with
/// `per` constraints each, `constraint(task, index)`.
fn regex_request(tasks: usize, per: usize, offers: usize, constraint: impl Fn(usize, usize) -> String) -> String {
    let mut s = String::from(r#"{"op":"place","offers":["#);
    for i in 0..offers {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"o{i}","agent_id":"a{i}","hostname":"h{i}","resources":"cpus:64;mem:65536","attributes":"rack:r{i}"}}"#
        );
    }
    s.push_str(r#"],"tasks":["#);
    for t in 0..tasks {
        if t > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"id":"t{t}","cpus":0.01,"constraints":["#);
        for c in 0..per {
            if c > 0 {
                s.push(',');
            }
            s.push_str(&constraint(t, c));
        }
        s.push_str("]}");
    }
    s.push_str("]}");
    s
}

/// The `LIKE` pattern of the `regex_at_size` / `regex_over_size` cases: Unicode `\w` sixteen
/// times, near the default `regex_size`.
pub const AT_SIZE_PATTERN: &str = r"\w{2,17}";

/// What [`AT_SIZE_PATTERN`] is charged (`JavaRegex::compiled_bytes`, the same on every
/// platform): `regex_at_size` lowers `regex_size` to exactly this and is answered,
/// `regex_over_size` to one byte less and is refused with `limit.regex_size`, on every host.
pub const AT_SIZE_CHARGE: usize = 972_323;

/// One task whose one constraint is [`AT_SIZE_PATTERN`], the request's `regex_size` lowered
/// to `regex_size`.
fn regex_at_size(regex_size: usize) -> String {
    let pattern = AT_SIZE_PATTERN.replace('\\', "\\\\");
    format!(
        r#"{{"op":"place","options":{{"limits":{{"regex_size":{regex_size}}}}},"offers":[{{"id":"o1","agent_id":"a1","hostname":"h1","resources":"cpus:4;mem:1024","attributes":"rack:r1"}}],"tasks":[{{"id":"t0","cpus":0.5,"constraints":[["rack","LIKE","{pattern}"]]}}]}}"#
    )
}

/// Numbers that once came back rounded or with hundreds of digits.
fn numbers() -> Vec<(&'static str, String)> {
    vec![
        ("huge_scalar", r#"{"op":"parse_resources","text":"cpus:1e308"}"#.to_owned()),
        ("huge_value", r#"{"op":"parse_value","text":"1e308"}"#.to_owned()),
        ("huge_hex_value", r#"{"op":"parse_value","text":"0xFFFFFFFFFFFFFFFF"}"#.to_owned()),
        ("huge_task_cpus", r#"{"op":"place","offers":[],"tasks":[{"id":"t","cpus":1e308}]}"#.to_owned()),
    ]
}

/// Every hostile case, in the order of the issue's items.
pub fn cases(size: Size) -> Vec<Case> {
    names().iter().filter_map(|n| case(n, size)).collect()
}

/// The names of the cases, in the order of [`cases`].
pub fn names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = LAZY.iter().map(|(n, _, _, _)| *n).collect();
    out.extend(numbers().into_iter().map(|(n, _)| n));
    out
}

/// One case, generating only its request (the full sizes take up to 16 MiB each).
pub fn case(name: &str, size: Size) -> Option<Case> {
    if let Some((name, item, what, make)) = LAZY.iter().find(|(n, _, _, _)| *n == name) {
        return Some(Case { name, item: *item, what, request: make(size) });
    }
    numbers().into_iter().find(|(n, _)| *n == name).map(|(name, request)| Case {
        name,
        item: 9,
        what: "numbers in messages",
        request,
    })
}

/// Name, item, what, and the request's generator.
type Lazy = (&'static str, u8, &'static str, fn(Size) -> String);

const LAZY: &[Lazy] = &[
    ("wide_object", 1, "a version request with an object of 10,000 distinct keys (at `list_items`)", |_| {
        wide_object(10_000)
    }),
    ("wide_object_over", 1, "an object of 200,000 distinct keys (2.6 MB; 140 s before)", |size| {
        wide_object(pick(size, 20_000, 200_000))
    }),
    ("wide_scalars", 1, "a task whose scalars map has 100,000 entries (43 s before)", |size| {
        wide_scalars(pick(size, 20_000, 100_000))
    }),
    ("wide_scalars_in_limit", 1, "a task whose scalars map has 10,000 entries (at `list_items`)", |size| {
        wide_scalars(pick(size, 2_000, 10_000))
    }),
    (
        "one_agent_many_offers",
        2,
        "one agent, 10,000 offers of distinct scalars, 10,000 tasks of 0.001 cpu (aborted before)",
        |size| one_agent_many_offers(pick(size, 500, 10_000), pick(size, 500, 10_000)),
    ),
    (
        "one_agent_distinct_asks",
        2,
        "one agent, 10,000 offers of distinct scalars, 10,000 tasks each asking for another of them",
        |size| one_agent_distinct_asks(pick(size, 500, 10_000), pick(size, 500, 10_000)),
    ),
    (
        "pooled_ranges",
        2,
        "40 offers of one agent × 10,000 single-port ranges, 1,000 tasks × 10 dynamic ports (93 s, 6 GB before)",
        |size| pooled_ranges(pick(size, 12, 40), pick(size, 1_000, 10_000), pick(size, 100, 1_000), 10),
    ),
    (
        "pooled_ranges_in_values",
        2,
        "32 offers of one agent × 10,000 single-port ranges (~975,000 values, under `json_values`; refused as 320,000 pooled ranges), 1,000 tasks × 10 dynamic ports",
        |size| pooled_ranges(pick(size, 12, 32), pick(size, 1_000, 10_000), pick(size, 100, 1_000), 10),
    ),
    (
        "many_port_ranges",
        2,
        "one agent whose ports are 9,900 single-port ranges, 9,000 tasks of one dynamic port (1.6 s, tasks × ranges before)",
        |size| pooled_ranges(1, pick(size, 2_000, 9_900), pick(size, 1_500, 9_000), 1),
    ),
    ("duplicated_long_key", 4, "a 7 MB key, twice (a 14.7 MB answer before)", |size| {
        duplicated_long_key(pick(size, 200_000, 7_000_000))
    }),
    ("bad_attribute_text", 4, "200 offers with 60 KB of bad attribute text (a 24 MB answer before)", |size| {
        bad_attribute_text(pick(size, 50, 200), pick(size, 20_000, 60_000))
    }),
    (
        "repeated_labels",
        4,
        "one reserved cpus with a 60 KB label, 10,000 tasks of 0.001 cpu with calls (120 MB from 104 KB before)",
        |size| repeated_labels(60_000, pick(size, 300, 10_000)),
    ),
    (
        "repeated_labels_in_limit",
        4,
        "one reserved cpus with a 1 KB label, 1,000 tasks of 0.001 cpu with calls (within `repeat_budget`)",
        |size| repeated_labels(1_000, pick(size, 300, 1_000)),
    ),
    (
        "many_reservations",
        2,
        "one agent, 10,000 offers of cpus each reserved for its own role, 10,000 tasks of one of the roles",
        |size| many_reservations(pick(size, 1_000, 10_000), pick(size, 1_000, 10_000)),
    ),
    ("wide_launch", 2, "one task taking 10,000 distinct scalars of one agent (its launch merges them)", |size| {
        wide_launch(pick(size, 2_000, 10_000))
    }),
    ("newline_names", 5, "names with newlines and escapes", |_| newline_names()),
    ("flat_array", 6, "16 MiB of [1,1,…] (596 MB before)", |size| flat_array(pick(size, 1 << 20, (16 << 20) - 64))),
    ("nested_arrays", 6, "16 MiB of arrays of 1,000 ones (within `list_items`, over `json_values`)", |size| {
        nested_arrays(pick(size, 1 << 20, (16 << 20) - 64), 1_000)
    }),
    ("empty_offers", 6, "5.6 M empty offers (404 MB before)", |size| empty_offers(pick(size, 200_000, 5_500_000))),
    ("many_regexes", 7, "3,000 tasks × 64 distinct LIKE patterns (78 s, 2.1 GB before)", |size| {
        many_regexes(pick(size, 100, 3_000), pick(size, 64, 64), pick(size, 20, 20))
    }),
    (
        "many_regexes_in_limit",
        7,
        "3,000 tasks × 64 UNLIKE constraints from 15 distinct heavy patterns (just under the regex budget), 20 agents",
        |size| heavy_regexes(pick(size, 100, 3_000), 64, pick(size, 3, 15), 20),
    ),
    (
        "many_small_regexes",
        7,
        "3,000 tasks × 64 UNLIKE constraints from 2,500 distinct small patterns (just under the regex budget), 20 agents",
        |size| small_regexes(pick(size, 100, 3_000), 64, pick(size, 300, 2_500), 20),
    ),
    ("regex_at_size", 7, "one LIKE pattern whose charge is exactly the request's `regex_size` (every host agrees)", |_| {
        regex_at_size(AT_SIZE_CHARGE)
    }),
    ("regex_over_size", 7, "one LIKE pattern whose charge is one byte over the request's `regex_size`", |_| {
        regex_at_size(AT_SIZE_CHARGE - 1)
    }),
    (
        "regex_size_gap",
        7,
        "the same pattern under a `regex_size` of 600,000 (refused natively and accepted in WASM before the charge)",
        |_| regex_at_size(600_000),
    ),
    ("many_ports", 7, "a task asking for 1,000,000 dynamic ports", |size| many_ports(pick(size, 100_000, 1_000_000))),
    ("many_ports_in_limit", 7, "a task asking for 10,000 dynamic ports (at `list_items`)", |_| many_ports(10_000)),
];
