//! What a simulation is made of, read from the files operators already have. Every file kind
//! is recognised by its content, never by its name:
//!
//! - clusters: Mesos agent flags text (what `offerfit agent` reads), a Mesos master `/slaves`
//!   or `/state` JSON dump, the JSON list `offerfit agent` prints, or template lines
//!   (`20 × "cpus:16;mem:65536" rack=r1..r4`);
//! - workloads: Marathon app JSON (one app, a list, `{"apps": [...]}`, a group with nested
//!   `groups`), OpenWhisk-style action classes (`{"actions": [...]}`), offerfit Task JSON (one
//!   task, a list, or `{"tasks": [...]}`).
//!
//! Everything becomes plain values here ([`AgentSpec`], [`FixedTask`], [`ActionClass`]); the
//! master model and the runner never see a file.

use offerfit::mesos::{attributes_from_json, resources_from_json};
use offerfit::{parse_attributes, parse_resources, Attributes, Resources, Value};
use serde_json::{json, Map, Value as Json};

use crate::agent::read_agents;
use crate::UsageError;

/// One agent of the simulated cluster.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    /// The Mesos agent id (`S1`, … or the dump's).
    pub id: String,
    /// The agent's hostname.
    pub hostname: String,
    /// Everything the agent has (unreserved and reserved).
    pub resources: Resources,
    /// The agent's attributes.
    pub attributes: Attributes,
    /// `domain.fault_domain.region.name`.
    pub region: Option<String>,
    /// `domain.fault_domain.zone.name`.
    pub zone: Option<String>,
}

impl AgentSpec {
    /// The text of attribute `name` (`rack:r1` → `r1`), if the agent has it.
    pub fn attribute_text(&self, name: &str) -> Option<String> {
        self.attributes.value(name).map(|v| match v {
            Value::Text(t) => t.clone(),
            other => other.to_string(),
        })
    }
}

/// The cluster: agents in file order.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// The agents.
    pub agents: Vec<AgentSpec>,
    /// Agents made from templates so far (names `sim-00001`, …).
    made: usize,
    /// What reading left out, one line each, for the operator (printed on stderr).
    pub notes: Vec<String>,
}

/// A duration distribution, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always this long.
    Fixed(u64),
    /// Exponential with this mean.
    Exponential(u64),
    /// Uniform in `[lo, hi]`.
    Uniform(u64, u64),
    /// Log-normal with this median and sigma (of the underlying normal).
    LogNormal(u64, f64),
}

impl Dist {
    /// The mean (ms).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) | Dist::Exponential(v) => v as f64,
            Dist::Uniform(lo, hi) => (lo as f64 + hi as f64) / 2.0,
            Dist::LogNormal(median, sigma) => median as f64 * (sigma * sigma / 2.0).exp(),
        }
    }

    /// A sample, at least 1 ms.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let ms = match *self {
            Dist::Fixed(v) => v as f64,
            Dist::Exponential(mean) => rng.exponential(mean as f64),
            Dist::Uniform(lo, hi) => lo as f64 + rng.unit() * (hi.saturating_sub(lo)) as f64,
            Dist::LogNormal(median, sigma) => median as f64 * (sigma * rng.normal()).exp(),
        };
        if ms.is_finite() {
            (ms.round() as u64).clamp(1, 365 * DAY_MS)
        } else {
            365 * DAY_MS
        }
    }
}

/// One day in milliseconds.
pub const DAY_MS: u64 = 86_400_000;

/// A task submitted at a fixed time: a Marathon app instance or an offerfit Task.
#[derive(Debug, Clone)]
pub struct FixedTask {
    /// When the host submits it (ms from the start).
    pub at_ms: u64,
    /// The `place` Task JSON the session gets.
    pub task: Json,
    /// How long it runs once running; `None`: until the end of the run.
    pub duration: Option<Dist>,
    /// Resubmitted under a new id when it fails (Marathon keeps `instances` running).
    pub restart: bool,
    /// Where it was read: the JSON pointer of its app or task in its file.
    pub origin: String,
}

/// An OpenWhisk-style action class: activations arrive as a Poisson process, each one a
/// container (a task) that runs for a sampled duration.
#[derive(Debug, Clone)]
pub struct ActionClass {
    /// The class name (the tasks' group).
    pub name: String,
    /// Arrivals per second.
    pub rate: f64,
    /// How long an activation runs.
    pub duration: Dist,
    /// The Task JSON template (without `id`).
    pub task: Json,
    /// Probability that an activation fails (TASK_FAILED at its end).
    pub failure: f64,
    /// First arrival window start (ms from the start of the run).
    pub start_ms: u64,
    /// No arrivals after this (ms), if set.
    pub end_ms: Option<u64>,
    /// Where it was read: the JSON pointer of the class in its file.
    pub origin: String,
}

/// The workload: fixed tasks and action classes.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    /// Tasks submitted at fixed times.
    pub fixed: Vec<FixedTask>,
    /// Poisson-arriving action classes.
    pub classes: Vec<ActionClass>,
}

/// A small seeded generator (the core's SplitMix64): the same seed gives the same run on every
/// platform.
#[derive(Debug, Clone)]
pub struct Rng(offerfit::bench_gen::SplitMix64);

impl Rng {
    /// A generator for `seed`, split by `stream` so independent parts draw independent numbers.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(offerfit::bench_gen::SplitMix64::new(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponential with this mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Parses `1d`, `2h`, `30m`, `90s`, `250ms`, `1h30m` or a bare number of seconds into ms.
///
/// # Errors
/// A message naming the text.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("expected a duration such as `1h`, `30m`, `90s`, `250ms` or `1h30m`, found `{t}`");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return secs_to_ms(secs).ok_or_else(bad);
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, tail) = rest.split_at(n);
        let num: f64 = num.parse().map_err(|_| bad())?;
        let u = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(u);
        let factor = match unit.trim() {
            "ms" => 0.001,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            _ => return Err(bad()),
        };
        total += num * factor;
        rest = tail.trim_start();
    }
    secs_to_ms(total).ok_or_else(bad)
}

fn secs_to_ms(secs: f64) -> Option<u64> {
    (secs.is_finite() && (0.0..=3650.0 * 86_400.0).contains(&secs)).then(|| (secs * 1000.0).round() as u64)
}

/// A duration from JSON: a number of seconds or a duration text.
fn json_duration(v: &Json, what: &str) -> Result<u64, String> {
    match v {
        Json::Number(n) => n.as_f64().and_then(secs_to_ms).ok_or_else(|| format!("{what}: `{n}` is not a duration")),
        Json::String(s) => parse_duration(s).map_err(|e| format!("{what}: {e}")),
        other => Err(format!("{what}: expected seconds or a duration text, found `{other}`")),
    }
}

/// A distribution from JSON: `"2s"`, `2`, or `{"dist": "fixed"|"exponential"|"uniform"|"lognormal", …}`.
///
/// # Errors
/// A message naming `what`.
pub fn parse_dist(v: &Json, what: &str) -> Result<Dist, String> {
    let Json::Object(m) = v else {
        return json_duration(v, what).map(Dist::Fixed);
    };
    let field = |k: &str| m.get(k).ok_or_else(|| format!("{what}: `{k}` is missing"));
    let kind = m.get("dist").and_then(Json::as_str).unwrap_or("fixed");
    Ok(match kind {
        "fixed" => Dist::Fixed(json_duration(field("value")?, what)?),
        "exponential" => Dist::Exponential(json_duration(field("mean")?, what)?),
        "uniform" => {
            let (lo, hi) = (json_duration(field("min")?, what)?, json_duration(field("max")?, what)?);
            if lo > hi {
                return Err(format!("{what}: `min` is larger than `max`"));
            }
            Dist::Uniform(lo, hi)
        }
        "lognormal" => {
            let sigma = field("sigma")?.as_f64().filter(|s| s.is_finite() && *s >= 0.0);
            let sigma = sigma.ok_or_else(|| format!("{what}: `sigma` must be a non-negative number"))?;
            Dist::LogNormal(json_duration(field("median")?, what)?, sigma)
        }
        other => {
            return Err(format!(
                "{what}: unknown distribution `{other}` (expected fixed, exponential, uniform or lognormal)"
            ))
        }
    })
}

// ---------------------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------------------

impl Cluster {
    /// Reads one cluster file (its kind recognised by content) and appends its agents.
    ///
    /// # Errors
    /// A usage error naming the file (and line, for text).
    pub fn read(&mut self, name: &str, text: &str) -> Result<(), UsageError> {
        let err = |m: String| UsageError(format!("{name}: {m}"));
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let json: Json = serde_json::from_str(text).map_err(|e| err(format!("not valid JSON ({e})")))?;
            return self.read_json(&json).map_err(err);
        }
        let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
        if is_template(first) {
            for (i, line) in text.lines().enumerate() {
                let l = line.trim();
                if l.is_empty() || l.starts_with('#') {
                    continue;
                }
                self.add_template(l).map_err(|m| UsageError(format!("{name}:{}: {m}", i + 1)))?;
            }
            return Ok(());
        }
        self.read_flags(name, text)
    }

    fn next_ids(&mut self) -> (String, String) {
        self.made += 1;
        (format!("S{}", self.agents.len() + 1), format!("sim-{:05}", self.made))
    }

    /// Mesos agent flags, one agent per `--hostname` (the `offerfit agent` reader).
    fn read_flags(&mut self, name: &str, text: &str) -> Result<(), UsageError> {
        let agents = read_agents(text).map_err(|(line, m)| UsageError(format!("{name}:{line}: {m}")))?;
        if agents.is_empty() {
            return Err(UsageError(format!(
                "{name}: not a cluster: no agent flags (`--resources=…`), Mesos /slaves or /state JSON, or template line (`20 × \"cpus:16;mem:65536\" rack=r1..r4`)"
            )));
        }
        for a in agents {
            let role = a.default_role.as_ref().map_or("*", |f| f.value.as_str());
            let Some(res) = &a.resources else {
                let line = a.hostname.as_ref().map_or(1, |h| h.line);
                return Err(UsageError(format!("{name}:{line}: this agent has no `--resources`")));
            };
            let resources = parse_resources(&res.value, role).map_err(|e| text_error(name, res.line, &e))?;
            let attributes = match &a.attributes {
                Some(f) => parse_attributes(&f.value).map_err(|e| text_error(name, f.line, &e))?,
                None => Attributes::new(),
            };
            let (id, made) = self.next_ids();
            let hostname = a.hostname.map_or(made, |h| h.value);
            self.agents.push(AgentSpec { id, hostname, resources, attributes, region: None, zone: None });
        }
        Ok(())
    }

    /// `/slaves`, `/state`, or a list of agents (`offerfit agent`'s output).
    fn read_json(&mut self, json: &Json) -> Result<(), String> {
        let list = match json {
            Json::Object(m) if m.contains_key("slaves") || m.contains_key("agents") => {
                m.get("slaves").or_else(|| m.get("agents")).and_then(Json::as_array).ok_or("`slaves` is not a list")?
            }
            Json::Array(a) if a.iter().all(|x| x.get("resources").is_some() && x.get("cpus").is_none()) => a,
            _ => {
                let kind = workload_kind(json)
                    .unwrap_or("JSON that is neither a Mesos /slaves or /state dump nor a list of agents");
                return Err(format!("this is {kind}, not a cluster (pass workloads with --workload)"));
            }
        };
        let mut skipped = Vec::new();
        for (i, slave) in list.iter().enumerate() {
            let path = format!("/slaves/{i}");
            // A master offers only activated agents (`HierarchicalAllocatorProcess::allocate`
            // skips a slave whose `activated` is false: disconnected, or deactivated for
            // draining); its JSON model writes them `"active": false` / `"deactivated": true`.
            let off = |k: &str, v: bool| slave.get(k).and_then(Json::as_bool) == Some(v);
            if off("active", false) || off("deactivated", true) {
                skipped.push(slave.get("hostname").and_then(Json::as_str).unwrap_or(&path).to_owned());
                continue;
            }
            let agent = self.agent_from_json(slave).map_err(|m| format!("{path}: {m}"))?;
            self.agents.push(agent);
        }
        if !skipped.is_empty() {
            let shown: Vec<&str> = skipped.iter().take(5).map(String::as_str).collect();
            let more = if skipped.len() > 5 { format!(" and {} more", skipped.len() - 5) } else { String::new() };
            self.notes.push(format!(
                "{} agent(s) left out: not active or deactivated in the dump, so a master offers nothing of them ({}{more})",
                skipped.len(),
                shown.join(", ")
            ));
        }
        Ok(())
    }

    /// One agent of a `/slaves` dump. Its total is `unreserved_resources_full` plus every list
    /// of `reserved_resources_full` when present (they carry roles and disk info exactly), else
    /// `unreserved_resources` plus `reserved_resources` (maps), else `resources` (a map or a list).
    fn agent_from_json(&mut self, s: &Json) -> Result<AgentSpec, String> {
        let (id, made) = self.next_ids();
        let id = s.get("id").and_then(id_text).unwrap_or(id);
        let hostname = s.get("hostname").and_then(Json::as_str).map_or(made, str::to_owned);
        let mut total = Resources::new();
        let full_u = s.get("unreserved_resources_full");
        let full_r = s.get("reserved_resources_full");
        if full_u.is_some() || full_r.is_some() {
            if let Some(u) = full_u {
                total = total.add(&from_list(u, "/unreserved_resources_full")?);
            }
            if let Some(Json::Object(by_role)) = full_r {
                for (role, list) in by_role {
                    total = total.add(&from_list(list, &format!("/reserved_resources_full/{role}"))?);
                }
            }
        } else if let Some(u) = s.get("unreserved_resources") {
            total = total.add(&from_map(u, "*")?);
            if let Some(Json::Object(by_role)) = s.get("reserved_resources") {
                for (role, map) in by_role {
                    total = total.add(&from_map(map, role)?);
                }
            }
        } else if let Some(r) = s.get("resources") {
            total = match r {
                Json::Array(_) => from_list(r, "/resources")?,
                Json::String(t) => parse_resources(t, "*").map_err(|e| format!("/resources: {e}"))?,
                _ => from_map(r, "*")?,
            };
        } else {
            return Err("the agent has no `resources`".into());
        }
        let attributes = match s.get("attributes") {
            None | Some(Json::Null) => Attributes::new(),
            Some(Json::String(t)) => parse_attributes(t).map_err(|e| format!("/attributes: {e}"))?,
            Some(Json::Array(_)) => attributes_from_json(s.get("attributes").unwrap_or(&Json::Null), "/attributes")
                .map_err(|e| {
                    e.first().map_or_else(|| "/attributes: invalid".to_owned(), |w| format!("{}: {}", w.path, w.error))
                })?,
            Some(Json::Object(m)) => {
                // The master's JSON model writes attributes as a map: numbers for scalars,
                // Mesos' text form for ranges and sets, plain text otherwise.
                let text: Vec<String> = m
                    .iter()
                    .map(|(k, v)| match v {
                        Json::String(t) => format!("{k}:{t}"),
                        other => format!("{k}:{other}"),
                    })
                    .collect();
                parse_attributes(&text.join(";")).map_err(|e| format!("/attributes: {e}"))?
            }
            Some(other) => return Err(format!("/attributes: expected a map or a list, found `{other}`")),
        };
        let fd = s.pointer("/domain/fault_domain");
        let name_at = |p: &str| fd.and_then(|f| f.pointer(p)).and_then(Json::as_str).map(str::to_owned);
        Ok(AgentSpec {
            id,
            hostname,
            resources: total,
            attributes,
            region: name_at("/region/name"),
            zone: name_at("/zone/name"),
        })
    }

    /// One template line: `COUNT × "RESOURCES" [name=values …]`; `x` or `*` for `×`. Values
    /// are one value, a list `a,b,c`, or a range `r1..r4` (the same prefix, numbered suffixes,
    /// zero padding kept); agents take them in blocks (the first quarter `r1`, …). `@region`
    /// and `@zone` set the fault domain; `@role` is the default role of the resources.
    ///
    /// # Errors
    /// A message naming the part that is wrong.
    pub fn add_template(&mut self, line: &str) -> Result<usize, String> {
        let t = parse_template(line)?;
        for i in 0..t.count {
            let mut attrs = Vec::new();
            let (mut region, mut zone) = (None, None);
            for (key, values) in &t.labels {
                let v = values.get(i * values.len() / t.count.max(1)).cloned().unwrap_or_default();
                match key.as_str() {
                    "@region" => region = Some(v),
                    "@zone" => zone = Some(v),
                    "@role" => {}
                    _ => attrs.push(format!("{key}:{v}")),
                }
            }
            let attributes = parse_attributes(&attrs.join(";")).map_err(|e| format!("bad attribute: {e}"))?;
            let (id, hostname) = self.next_ids();
            self.agents.push(AgentSpec { id, hostname, resources: t.resources.clone(), attributes, region, zone });
        }
        Ok(t.count)
    }
}

/// A parsed template line.
#[derive(Debug)]
pub struct Template {
    /// How many agents.
    pub count: usize,
    /// Each agent's resources.
    pub resources: Resources,
    /// `name=values`, in order.
    pub labels: Vec<(String, Vec<String>)>,
}

/// True when `line` starts like a template (`20 × "…"`, `20 x '…'`, `20*"…"`).
pub fn is_template(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = line.get(digits..).unwrap_or("").trim_start();
    digits > 0
        && ["×", "x", "X", "*"]
            .iter()
            .any(|m| rest.strip_prefix(m).is_some_and(|r| r.trim_start().starts_with(['"', '\''])))
}

/// Parses a template line (see [`Cluster::add_template`]); the count may be left out
/// (`"cpus:16;mem:65536" rack=r1`: one agent) when `allow_no_count`.
///
/// # Errors
/// A message naming the part that is wrong.
pub fn parse_template(line: &str) -> Result<Template, String> {
    let line = line.trim();
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let (count, rest) = if digits == 0 {
        (1, line)
    } else {
        let count: usize = line.get(..digits).unwrap_or("").parse().map_err(|_| "the count is too large".to_owned())?;
        let rest = line.get(digits..).unwrap_or("").trim_start();
        let rest = ["×", "x", "X", "*"]
            .iter()
            .find_map(|m| rest.strip_prefix(m))
            .ok_or_else(|| format!("expected `×` (or `x`) after the count, found `{rest}`"))?;
        (count, rest.trim_start())
    };
    if count > 1_000_000 {
        return Err(format!("{count} agents is more than the 1,000,000 a template may make"));
    }
    let quote =
        rest.chars().next().filter(|c| *c == '"' || *c == '\'').ok_or_else(|| {
            format!("expected the agent's resources in quotes (`\"cpus:16;mem:65536\"`), found `{rest}`")
        })?;
    let body = rest.get(1..).unwrap_or("");
    let end = body.find(quote).ok_or_else(|| format!("the quoted resources never end: missing `{quote}`"))?;
    let res_text = body.get(..end).unwrap_or("");
    let mut labels = Vec::new();
    let mut role = "*".to_owned();
    for word in body.get(end + 1..).unwrap_or("").split_whitespace() {
        let (k, v) =
            word.split_once('=').ok_or_else(|| format!("expected `name=value` after the resources, found `{word}`"))?;
        if k.is_empty() || v.is_empty() {
            return Err(format!("expected `name=value` after the resources, found `{word}`"));
        }
        let values = expand_values(v)?;
        if k == "@role" {
            role = values.first().cloned().unwrap_or_default();
        }
        labels.push((k.to_owned(), values));
    }
    let resources = parse_resources(res_text, &role).map_err(|e| match e.as_parse() {
        Some(p) => format!("bad resources: {p}\n{}", p.render()),
        None => format!("bad resources: {e}"),
    })?;
    Ok(Template { count, resources, labels })
}

/// `r1..r4` → r1 r2 r3 r4; `a,b` → a b; `x` → x.
fn expand_values(v: &str) -> Result<Vec<String>, String> {
    if let Some((a, b)) = v.split_once("..") {
        let split = |s: &str| {
            let n = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let (p, d) = s.split_at(s.len() - n);
            (p.to_owned(), d.to_owned())
        };
        let ((pa, da), (pb, db)) = (split(a), split(b));
        let bad = || format!("expected a range such as `r1..r4` (same prefix, numbers that rise), found `{v}`");
        if pa != pb.as_str() && !pb.is_empty() {
            return Err(bad());
        }
        let (lo, hi): (u64, u64) = (da.parse().map_err(|_| bad())?, db.parse().map_err(|_| bad())?);
        if lo > hi || hi - lo >= 100_000 {
            return Err(bad());
        }
        let width = if da.starts_with('0') { da.len() } else { 0 };
        return Ok((lo..=hi).map(|n| format!("{pa}{n:0width$}")).collect());
    }
    Ok(v.split(',').map(str::to_owned).collect())
}

fn id_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Object(m) => m.get("value").and_then(Json::as_str).map(str::to_owned),
        _ => None,
    }
}

fn from_list(v: &Json, path: &str) -> Result<Resources, String> {
    resources_from_json(v, path).map_err(|e| {
        e.first().map_or_else(|| format!("{path}: invalid resources"), |w| format!("{}: {}", w.path, w.error))
    })
}

/// The master's map form: `{"cpus": 4, "mem": 1024, "ports": "[31000-32000]"}`.
fn from_map(v: &Json, role: &str) -> Result<Resources, String> {
    let Json::Object(m) = v else { return Err(format!("expected a map of resources, found `{v}`")) };
    let parts: Vec<String> = m
        .iter()
        .filter(|(_, x)| !matches!(x, Json::Number(n) if n.as_f64() == Some(0.0)))
        .map(|(k, x)| match x {
            Json::String(t) => format!("{k}:{t}"),
            other => format!("{k}:{other}"),
        })
        .collect();
    parse_resources(&parts.join(";"), role).map_err(|e| format!("resources: {e}"))
}

fn text_error(file: &str, line: usize, e: &offerfit::Error) -> UsageError {
    match e.as_parse() {
        Some(p) => UsageError(format!("{file}:{line}: {p}\n{}", p.render())),
        None => UsageError(format!("{file}:{line}: {e}")),
    }
}

// ---------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------

/// Fields only Marathon apps have (a Task has none of them).
const MARATHON_FIELDS: &[&str] = &[
    "cmd",
    "args",
    "container",
    "portDefinitions",
    "requirePorts",
    "residency",
    "env",
    "labels",
    "healthChecks",
    "upgradeStrategy",
    "fetch",
    "user",
    "backoffSeconds",
    "networks",
    "ports",
    "acceptedResourceRoles",
    "killSelection",
    "unreachableStrategy",
    "executor",
    "dependencies",
];

fn is_marathon_app(v: &Json) -> bool {
    let Json::Object(m) = v else { return false };
    m.get("id").and_then(Json::as_str).is_some_and(|id| id.starts_with('/'))
        || MARATHON_FIELDS.iter().any(|f| {
            m.contains_key(*f)
                && !(*f == "executor" && m["executor"].is_object())
                && !(*f == "ports" && m.contains_key("group"))
        })
}

/// What kind of workload JSON this is, for messages (`None`: not a workload).
pub fn workload_kind(v: &Json) -> Option<&'static str> {
    match v {
        Json::Object(m) if m.contains_key("actions") => Some("an OpenWhisk action class file"),
        Json::Object(m) if m.contains_key("apps") || m.contains_key("groups") || m.contains_key("app") => {
            Some("a Marathon app file")
        }
        Json::Object(m) if m.contains_key("tasks") => Some("an offerfit Task file"),
        Json::Array(a) if a.iter().any(|x| x.get("rate").is_some()) => Some("an OpenWhisk action class file"),
        Json::Array(a) if !a.is_empty() && a.iter().all(is_marathon_app) => Some("a Marathon app file"),
        Json::Array(a) if !a.is_empty() && a.iter().all(|x| x.get("id").is_some()) => Some("an offerfit Task file"),
        Json::Object(_) if is_marathon_app(v) => Some("a Marathon app file"),
        Json::Object(m) if m.contains_key("id") => Some("an offerfit Task file"),
        _ => None,
    }
}

impl Workload {
    /// Checks every task shape the scheduler will get with the core's own `place` reader (no
    /// offers, the framework's `role`), so a malformed task is refused up front with its file
    /// and JSON pointer rather than answered `ok: false` at every step of the run.
    ///
    /// # Errors
    /// The first refusal: where the task came from, and the core's error.
    pub fn validate(&self, file_of: &dyn Fn(usize, bool) -> String, role: &str) -> Result<(), UsageError> {
        let shapes = self.fixed.iter().enumerate().map(|(i, f)| (f.task.clone(), file_of(i, false), f.origin.clone()));
        let classes = self.classes.iter().enumerate().map(|(i, c)| {
            let mut t = c.task.clone();
            t["id"] = json!(format!("{}-1", c.name));
            (t, file_of(i, true), c.origin.clone())
        });
        let mut seen = std::collections::HashSet::new();
        for (task, file, origin) in shapes.chain(classes) {
            // Instances of one app share a shape: check each shape once.
            let mut key = task.clone();
            key["id"] = Json::Null;
            if !seen.insert(key.to_string()) {
                continue;
            }
            // Under the framework's role, as the session will place it (a task's role defaults
            // to it: a resident app without a `role` reserves for it).
            let answer = offerfit::host::call_json(
                json!({"op": "place", "offers": [], "tasks": [task], "options": {"roles": [role]}}),
            );
            if answer.get("ok") != Some(&Json::Bool(true)) {
                let e = answer.pointer("/errors/0").cloned().unwrap_or(Json::Null);
                let inner = e.get("path").and_then(Json::as_str).unwrap_or("").trim_start_matches("/tasks/0");
                let mut msg = e.get("message").and_then(Json::as_str).unwrap_or("invalid task").to_owned();
                if msg.contains("expected a role to reserve") {
                    msg.push_str(" (give the app a `role`, or the framework one with --role)");
                }
                let rendered = e.get("rendered").and_then(Json::as_str).map(|r| format!("\n{r}")).unwrap_or_default();
                return Err(UsageError(format!("{file}: {origin}{inner}: {msg}{rendered}")));
            }
        }
        Ok(())
    }

    /// Reads one workload file (its kind recognised by content) and appends its tasks.
    ///
    /// # Errors
    /// A usage error naming the file and the JSON pointer of the bad part.
    pub fn read(&mut self, name: &str, text: &str) -> Result<(), UsageError> {
        let err = |m: String| UsageError(format!("{name}: {m}"));
        let trimmed = text.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
            let kind = if is_template(first) { "a cluster template" } else { "text (agent flags?)" };
            return Err(err(format!("this is {kind}, not a workload: expected Marathon app JSON, OpenWhisk action classes or offerfit Task JSON (pass clusters with --cluster)")));
        }
        let json: Json = serde_json::from_str(text).map_err(|e| err(format!("not valid JSON ({e})")))?;
        match &json {
            Json::Object(m) if m.contains_key("actions") => self.read_actions(&json).map_err(err),
            Json::Array(a) if a.iter().any(|x| x.get("rate").is_some()) => {
                self.read_actions(&json!({ "actions": a })).map_err(err)
            }
            Json::Object(m) if m.contains_key("slaves") || m.contains_key("agents") => {
                Err(err("this is a Mesos /slaves or /state dump, not a workload (pass clusters with --cluster)".into()))
            }
            Json::Object(m) if m.contains_key("tasks") && !m.contains_key("apps") => {
                let list = m["tasks"].as_array().ok_or_else(|| err("`tasks` is not a list".into()))?;
                list.iter().enumerate().try_for_each(|(i, t)| self.add_task(t, &format!("/tasks/{i}")).map_err(err))
            }
            Json::Object(m) if m.contains_key("app") => self.add_app(&m["app"], "/app").map_err(err),
            Json::Object(m) if m.contains_key("apps") || m.contains_key("groups") => {
                self.read_group(&json, "").map_err(err)
            }
            Json::Array(a) if !a.is_empty() && a.iter().all(is_marathon_app) => {
                a.iter().enumerate().try_for_each(|(i, app)| self.add_app(app, &format!("/{i}")).map_err(err))
            }
            Json::Array(a) => {
                a.iter().enumerate().try_for_each(|(i, t)| self.add_task(t, &format!("/{i}")).map_err(err))
            }
            Json::Object(_) if is_marathon_app(&json) => self.add_app(&json, "").map_err(err),
            Json::Object(_) => self.add_task(&json, "").map_err(err),
            _ => Err(err("expected a JSON object or list".into())),
        }
    }

    /// A Marathon group: its `apps`, then its `groups`, recursively.
    fn read_group(&mut self, g: &Json, path: &str) -> Result<(), String> {
        if let Some(apps) = g.get("apps") {
            let apps = apps.as_array().ok_or_else(|| format!("{path}/apps: not a list"))?;
            for (i, app) in apps.iter().enumerate() {
                self.add_app(app, &format!("{path}/apps/{i}"))?;
            }
        }
        if let Some(groups) = g.get("groups").and_then(Json::as_array) {
            for (i, sub) in groups.iter().enumerate() {
                self.read_group(sub, &format!("{path}/groups/{i}"))?;
            }
        }
        Ok(())
    }

    /// A Marathon app: `instances` tasks of its size, in its group, with its constraints
    /// (Marathon dialect), ports (`portDefinitions` / `portMappings`, fixed only with
    /// `requirePorts`, as Marathon's `PortsMatcher` does) and persistent volumes
    /// (`residency`: a `persistent` container volume is created and reserved on first launch).
    fn add_app(&mut self, app: &Json, path: &str) -> Result<(), String> {
        let Json::Object(m) = app else { return Err(format!("{path}: an app must be an object")) };
        let id = m.get("id").and_then(Json::as_str).ok_or_else(|| format!("{path}/id: every app needs an `id`"))?;
        let name = id.trim_matches('/').replace('/', ".");
        if name.is_empty() {
            return Err(format!("{path}/id: `{id}` names no app"));
        }
        let num = |k: &str, default: f64| -> Result<f64, String> {
            match m.get(k) {
                None | Some(Json::Null) => Ok(default),
                Some(v) => v
                    .as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("{path}/{k}: expected a non-negative number, found `{v}`")),
            }
        };
        // Marathon's AppDefinition defaults: cpus 1, mem 128, disk 0, gpus 0, instances 1.
        let (cpus, mem, disk, gpus) = (num("cpus", 1.0)?, num("mem", 128.0)?, num("disk", 0.0)?, num("gpus", 0.0)?);
        let instances = num("instances", 1.0)?;
        if instances.fract() != 0.0 || instances > 1_000_000.0 {
            return Err(format!("{path}/instances: expected a whole number of at most 1,000,000, found `{instances}`"));
        }
        let instances = instances as usize;
        let require_ports = m.get("requirePorts").and_then(Json::as_bool).unwrap_or(false);
        let mut ports: Vec<u64> = Vec::new();
        let port_of = |p: &Json, key: &str| p.get(key).and_then(Json::as_u64).unwrap_or(0);
        if let Some(defs) = m.get("portDefinitions").and_then(Json::as_array) {
            ports.extend(defs.iter().map(|p| if require_ports { port_of(p, "port") } else { 0 }));
        } else if let Some(list) = m.get("ports").and_then(Json::as_array) {
            ports.extend(list.iter().map(|p| if require_ports { p.as_u64().unwrap_or(0) } else { 0 }));
        }
        let container = m.get("container");
        let mappings = container
            .and_then(|c| c.get("portMappings").or_else(|| c.pointer("/docker/portMappings")))
            .and_then(Json::as_array);
        if let Some(maps) = mappings {
            // Only mappings with a hostPort take a host port (0 = any, as Marathon assigns).
            ports.extend(maps.iter().filter(|p| p.get("hostPort").is_some()).map(|p| {
                if require_ports {
                    port_of(p, "hostPort")
                } else {
                    0
                }
            }));
        }
        let mut volumes = Vec::new();
        if let Some(vols) = container.and_then(|c| c.get("volumes")).and_then(Json::as_array) {
            for (vi, v) in vols.iter().enumerate() {
                let Some(p) = v.get("persistent") else { continue };
                let size = p.get("size").and_then(Json::as_f64).ok_or_else(|| {
                    format!("{path}/container/volumes/{vi}/persistent/size: a persistent volume needs a size")
                })?;
                let kind = p.get("type").and_then(Json::as_str).unwrap_or("root").to_ascii_uppercase();
                let cpath = v.get("containerPath").and_then(Json::as_str).unwrap_or("data");
                volumes.push((size, kind, cpath.to_owned()));
            }
        }
        let constraints = m.get("constraints").cloned().unwrap_or(Json::Array(vec![]));
        // Marathon's `role` (the role the app's resources, and a resident app's reservations
        // and volumes, are for; else the framework's) and `acceptedResourceRoles` (the roles
        // of resources it may use).
        let role = match m.get("role") {
            None | Some(Json::Null) => None,
            Some(Json::String(r)) if !r.is_empty() => Some(r.clone()),
            Some(v) => return Err(format!("{path}/role: expected a role name, found `{v}`")),
        };
        let accepted = match m.get("acceptedResourceRoles") {
            None | Some(Json::Null) => None,
            Some(Json::Array(list)) if list.iter().all(Json::is_string) => Some(Json::Array(list.clone())),
            Some(v) => return Err(format!("{path}/acceptedResourceRoles: expected a list of roles, found `{v}`")),
        };
        for k in 0..instances {
            let mut t = Map::new();
            t.insert("id".into(), format!("{name}.{k}").into());
            t.insert("group".into(), name.clone().into());
            t.insert("instances".into(), instances.into());
            if let Some(r) = &role {
                t.insert("role".into(), r.clone().into());
            }
            if let Some(a) = &accepted {
                t.insert("accepted_roles".into(), a.clone());
            }
            t.insert("cpus".into(), json!(cpus));
            t.insert("mem".into(), json!(mem));
            if disk > 0.0 {
                t.insert("disk".into(), json!(disk));
            }
            if gpus > 0.0 {
                t.insert("gpus".into(), json!(gpus));
            }
            if !ports.is_empty() {
                t.insert("ports".into(), json!(ports));
            }
            if !volumes.is_empty() {
                let v: Vec<Json> = volumes
                    .iter()
                    .map(|(size, kind, cpath)| json!({"size": size, "type": kind, "persistence_id": format!("{name}#{cpath}#{k}")}))
                    .collect();
                t.insert("volumes".into(), Json::Array(v));
            }
            if constraints.as_array().is_some_and(|c| !c.is_empty()) {
                t.insert("constraints".into(), constraints.clone());
            }
            self.fixed.push(FixedTask {
                at_ms: 0,
                task: Json::Object(t),
                duration: None,
                restart: true,
                origin: path.to_owned(),
            });
        }
        Ok(())
    }

    /// An offerfit Task, with an optional `sim` object (`at`, `duration`, `restart`) that is
    /// taken off before the session sees it.
    fn add_task(&mut self, t: &Json, path: &str) -> Result<(), String> {
        let Json::Object(m) = t else { return Err(format!("{path}: a task must be an object")) };
        if m.get("id").and_then(Json::as_str).is_none() {
            return Err(format!("{path}/id: every task needs a string `id`"));
        }
        let mut task = m.clone();
        let mut at_ms = 0;
        let mut duration = None;
        let mut restart = false;
        if let Some(sim) = task.remove("sim") {
            let Json::Object(s) = sim else { return Err(format!("{path}/sim: expected an object")) };
            for (k, v) in &s {
                let at = format!("{path}/sim/{k}");
                match k.as_str() {
                    "at" => at_ms = json_duration(v, &at)?,
                    "duration" => duration = Some(parse_dist(v, &at)?),
                    "restart" => restart = v.as_bool().ok_or_else(|| format!("{at}: expected true or false"))?,
                    _ => return Err(format!("{at}: unknown field (expected at, duration, restart)")),
                }
            }
        }
        self.fixed.push(FixedTask { at_ms, task: Json::Object(task), duration, restart, origin: path.to_owned() });
        Ok(())
    }

    /// Action classes. Each: `name`, `rate` (per second) or `per_minute`, `duration`,
    /// `memory` (MB, the OpenWhisk action limit), `cpus`? (default 0.1), `constraints`?
    /// (OpenWhisk `whisk.mesos.constraints` strings), `blackbox`?, `failure`? (0..1), `start`?,
    /// `end`?. File-level `whisk.mesos.constraints` and `whisk.mesos.blackbox-constraints` apply
    /// to every (blackbox) class, as OpenWhisk's MesosContainerFactory adds them to each task.
    fn read_actions(&mut self, file: &Json) -> Result<(), String> {
        let list = file.get("actions").and_then(Json::as_array).ok_or("`actions` is not a list")?;
        let strings = |k: &str| -> Result<Vec<Json>, String> {
            match file.get(k) {
                None => Ok(vec![]),
                Some(Json::Array(a)) if a.iter().all(Json::is_string) => Ok(a.clone()),
                Some(other) => Err(format!("/{k}: expected a list of constraint strings, found `{other}`")),
            }
        };
        let common = strings("whisk.mesos.constraints")?;
        let blackbox = strings("whisk.mesos.blackbox-constraints")?;
        let delimiter = file.get("constraint-delimiter").and_then(Json::as_str).map(str::to_owned);
        for (i, a) in list.iter().enumerate() {
            let path = format!("/actions/{i}");
            let name = a
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| format!("{path}/name: every action class needs a `name`"))?;
            let rate = match (a.get("rate"), a.get("per_minute")) {
                (Some(r), _) => r.as_f64(),
                (None, Some(r)) => r.as_f64().map(|x| x / 60.0),
                (None, None) => None,
            }
            .filter(|r| r.is_finite() && *r > 0.0 && *r <= 1_000_000.0)
            .ok_or_else(|| format!("{path}/rate: expected arrivals per second (a positive number)"))?;
            let duration = parse_dist(a.get("duration").unwrap_or(&json!("1s")), &format!("{path}/duration"))?;
            let mem = a.get("memory").or_else(|| a.get("mem")).and_then(Json::as_f64).unwrap_or(256.0);
            let cpus = a.get("cpus").and_then(Json::as_f64).unwrap_or(0.1);
            let failure = a.get("failure").and_then(Json::as_f64).unwrap_or(0.0);
            if !(0.0..=1.0).contains(&failure) {
                return Err(format!("{path}/failure: expected a probability between 0 and 1"));
            }
            let mut constraints = common.clone();
            if a.get("blackbox").and_then(Json::as_bool).unwrap_or(false) {
                constraints.extend(blackbox.iter().cloned());
            }
            match a.get("constraints") {
                None => {}
                Some(Json::Array(c)) if c.iter().all(Json::is_string) => constraints.extend(c.iter().cloned()),
                Some(other) => return Err(format!("{path}/constraints: expected a list of strings, found `{other}`")),
            }
            let mut task = json!({"group": name, "cpus": cpus, "mem": mem, "dialect": "openwhisk"});
            if !constraints.is_empty() {
                task["constraints"] = Json::Array(constraints);
            }
            if let Some(d) = &delimiter {
                task["delimiter"] = Json::String(d.clone());
            }
            let at = |k: &str| a.get(k).map(|v| json_duration(v, &format!("{path}/{k}"))).transpose();
            self.classes.push(ActionClass {
                origin: path.clone(),
                name: name.to_owned(),
                rate,
                duration,
                task,
                failure,
                start_ms: at("start")?.unwrap_or(0),
                end_ms: at("end")?,
            });
        }
        Ok(())
    }

    /// An upper bound on how many tasks run at once: every fixed task, plus three times each
    /// class's mean concurrency (arrival rate × mean duration, Little's law).
    pub fn concurrency_bound(&self) -> usize {
        let classes: f64 = self.classes.iter().map(|c| 3.0 * c.rate * c.duration.mean() / 1000.0 + 1.0).sum();
        self.fixed.len().saturating_add(classes.ceil().min(1e9) as usize)
    }

    /// The tasks' JSON (fixed tasks and class templates).
    pub fn task_shapes(&self) -> impl Iterator<Item = &Json> {
        self.fixed.iter().map(|f| &f.task).chain(self.classes.iter().map(|c| &c.task))
    }

    /// The smallest cpus, mem and port count any task of the workload asks for (what
    /// "stranded" measures against).
    pub fn smallest_ask(&self) -> (f64, f64, usize) {
        let tasks = self.fixed.iter().map(|f| &f.task).chain(self.classes.iter().map(|c| &c.task));
        let mut out = (f64::INFINITY, f64::INFINITY, usize::MAX);
        for t in tasks {
            out.0 = out.0.min(t.get("cpus").and_then(Json::as_f64).unwrap_or(0.0));
            out.1 = out.1.min(t.get("mem").and_then(Json::as_f64).unwrap_or(0.0));
            out.2 = out.2.min(t.get("ports").and_then(Json::as_array).map_or(0, Vec::len));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("2.5"), Ok(2500));
        assert_eq!(parse_duration("1d"), Ok(DAY_MS));
        assert!(parse_duration("1 fortnight").unwrap_err().contains("`1 fortnight`"));
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn templates_spread_labels_in_blocks() {
        let mut c = Cluster::default();
        assert_eq!(c.add_template(r#"4 × "cpus:16;mem:65536;ports:[31000-32000]" rack=r1..r2 @zone=a"#), Ok(4));
        let racks: Vec<_> = c.agents.iter().map(|a| a.attribute_text("rack").unwrap()).collect();
        assert_eq!(racks, ["r1", "r1", "r2", "r2"]);
        assert_eq!(c.agents[3].zone.as_deref(), Some("a"));
        assert_eq!(c.agents[3].hostname, "sim-00004");
        assert_eq!(c.agents[0].resources.to_string(), "cpus:16; mem:65536; ports:[31000-32000]");
        c.add_template("2 x 'cpus:1' rack=r01..r02").unwrap();
        assert_eq!(c.agents[5].attribute_text("rack").as_deref(), Some("r02"));
        assert!(is_template("3*\"cpus:1\""));
        assert!(!is_template("--resources=cpus:1"));
        assert!(c.add_template("2 × cpus:1").unwrap_err().contains("in quotes"));
        assert!(c.add_template("2 × \"cpus:x\"").unwrap_err().starts_with("bad resources"));
        assert!(c.add_template("2 × \"cpus:1\" rack").unwrap_err().contains("name=value"));
    }

    #[test]
    fn inactive_and_deactivated_agents_of_a_dump_are_left_out() {
        // A `/state` dump: agents under `slaves`, beside frameworks and the rest.
        let dump = json!({"frameworks": [], "slaves": [
            {"id": "S1", "hostname": "up", "resources": {"cpus": 4, "mem": 1024}, "active": true},
            {"id": "S2", "hostname": "gone", "resources": {"cpus": 4, "mem": 1024}, "active": false},
            {"id": "S3", "hostname": "draining", "resources": {"cpus": 4, "mem": 1024}, "active": true, "deactivated": true}
        ]});
        let mut c = Cluster::default();
        c.read("state.json", &dump.to_string()).unwrap();
        assert_eq!(c.agents.iter().map(|a| a.hostname.as_str()).collect::<Vec<_>>(), ["up"]);
        assert_eq!(c.notes.len(), 1);
        assert!(
            c.notes[0].starts_with("2 agent(s) left out") && c.notes[0].contains("gone, draining"),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn slaves_dump_uses_full_resources() {
        let dump = json!({"slaves": [{
            "id": "abc-S0", "hostname": "h0",
            "resources": {"cpus": 8, "mem": 1024, "ports": "[31000-31009]"},
            "unreserved_resources_full": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 6}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024}}],
            "reserved_resources_full": {"web": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "reservations": [{"type": "STATIC", "role": "web"}]}]},
            "attributes": {"rack": "r1", "level": 3},
            "domain": {"fault_domain": {"region": {"name": "eu"}, "zone": {"name": "eu-1"}}}
        }, {"hostname": "h1", "resources": {"cpus": 2, "mem": 512, "disk": 0}}]});
        let mut c = Cluster::default();
        c.read("slaves.json", &dump.to_string()).unwrap();
        assert_eq!(c.agents[0].id, "abc-S0");
        assert_eq!(c.agents[0].resources.to_string(), "cpus:6; mem:1024; cpus(web):2");
        assert_eq!(c.agents[0].attribute_text("level").as_deref(), Some("3"));
        assert_eq!((c.agents[0].region.as_deref(), c.agents[0].zone.as_deref()), (Some("eu"), Some("eu-1")));
        assert_eq!(c.agents[1].resources.to_string(), "cpus:2; mem:512");
        assert_eq!(c.agents[1].id, "S2");
    }

    #[test]
    fn flags_files_and_misplaced_files() {
        let mut c = Cluster::default();
        c.read("f.txt", "--hostname=w1\n--resources=cpus:4;mem:2048\n--attributes=rack:r9\n").unwrap();
        assert_eq!(c.agents[0].hostname, "w1");
        let e = c.read("f.txt", "--hostname=w2\n--resources=cpus:x\n").unwrap_err().0;
        assert!(e.starts_with("f.txt:2: "), "{e}");
        let e = c.read("apps.json", r#"{"apps": []}"#).unwrap_err().0;
        assert!(e.contains("Marathon app file"), "{e}");
        let mut w = Workload::default();
        let e = w.read("c.txt", "3 × \"cpus:1\"").unwrap_err().0;
        assert!(e.contains("cluster template"), "{e}");
    }

    #[test]
    fn marathon_apps_become_tasks() {
        let mut w = Workload::default();
        let apps = json!({"apps": [{"id": "/web/api", "cpus": 0.5, "mem": 256, "instances": 2,
            "constraints": [["hostname", "UNIQUE"]], "requirePorts": true,
            "portDefinitions": [{"port": 8080}, {"port": 0}]},
            {"id": "/db", "instances": 1, "residency": {}, "container": {"volumes": [
                {"containerPath": "data", "mode": "RW", "persistent": {"size": 100}}]}}]});
        w.read("apps.json", &apps.to_string()).unwrap();
        assert_eq!(w.fixed.len(), 3);
        assert_eq!(
            w.fixed[1].task,
            json!({"id": "web.api.1", "group": "web.api", "instances": 2, "cpus": 0.5, "mem": 256.0,
                   "ports": [8080, 0], "constraints": [["hostname", "UNIQUE"]]})
        );
        assert!(w.fixed[0].restart && w.fixed[0].duration.is_none());
        assert_eq!(w.fixed[2].task["volumes"], json!([{"size": 100.0, "type": "ROOT", "persistence_id": "db#data#0"}]));
        assert_eq!(w.fixed[2].task["cpus"], json!(1.0));
        let e = Workload::default().read("a.json", r#"[{"id": "/x", "cpus": -1}]"#).unwrap_err().0;
        assert!(e.contains("/0/cpus"), "{e}");
        // A resident app without a role reserves for the framework's: refused under `*`, with
        // what to do; taken under a role, or with its own `role`.
        let none = |_: usize, _: bool| "apps.json".to_owned();
        let e = w.validate(&none, "*").unwrap_err().0;
        assert!(e.contains("expected a role to reserve") && e.contains("--role"), "{e}");
        w.validate(&none, "db").unwrap();
        let mut r = Workload::default();
        r.read(
            "r.json",
            r#"[{"id": "/db", "role": "db", "acceptedResourceRoles": ["db", "*"], "container": {"volumes": [
            {"containerPath": "data", "mode": "RW", "persistent": {"size": 100}}]}}]"#,
        )
        .unwrap();
        assert_eq!((&r.fixed[0].task["role"], &r.fixed[0].task["accepted_roles"]), (&json!("db"), &json!(["db", "*"])));
        r.validate(&none, "*").unwrap();
        let e = Workload::default().read("a.json", r#"[{"id": "/x", "role": 5}]"#).unwrap_err().0;
        assert!(e.contains("/0/role"), "{e}");
    }

    #[test]
    fn tasks_and_actions() {
        let mut w = Workload::default();
        w.read(
            "t.json",
            r#"[{"id": "a", "cpus": 1, "sim": {"at": "5m", "duration": {"dist": "exponential", "mean": "10s"}}}]"#,
        )
        .unwrap();
        assert_eq!(w.fixed[0].at_ms, 300_000);
        assert_eq!(w.fixed[0].duration, Some(Dist::Exponential(10_000)));
        assert!(w.fixed[0].task.get("sim").is_none());
        w.read(
            "a.json",
            r#"{"whisk.mesos.constraints": ["zone LIKE a"], "actions": [{"name": "thumb", "rate": 2, "memory": 256, "duration": "2s", "constraints": ["rack UNLIKE r3"]}]}"#,
        )
        .unwrap();
        let c = &w.classes[0];
        assert_eq!((c.rate, c.duration.clone()), (2.0, Dist::Fixed(2000)));
        assert_eq!(c.task["constraints"], json!(["zone LIKE a", "rack UNLIKE r3"]));
        assert_eq!(c.task["dialect"], json!("openwhisk"));
        let e = Workload::default().read("a.json", r#"{"actions": [{"name": "x", "rate": 0}]}"#).unwrap_err().0;
        assert!(e.contains("/actions/0/rate"), "{e}");
    }

    #[test]
    fn rng_is_seeded_and_dists_sample_in_range() {
        let mut a = Rng::new(7, 1);
        let mut b = Rng::new(7, 1);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(Rng::new(7, 2).next_u64(), Rng::new(7, 1).next_u64());
        for _ in 0..1000 {
            let x = Dist::Uniform(10, 20).sample(&mut a);
            assert!((10..=20).contains(&x));
        }
        let mean = (0..20_000).map(|_| Dist::Exponential(1000).sample(&mut a) as f64).sum::<f64>() / 20_000.0;
        assert!((950.0..1050.0).contains(&mean), "{mean}");
    }
}
