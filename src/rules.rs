//! The seam between the placement engine and the constraint language: compiles a task's
//! constraints, preferences and volume requirements once, evaluates them against a candidate
//! agent (or disk) and the placements of the task's group, and keeps the group counters live
//! as the batch places tasks.
//!
//! INTERIM: a small evaluator of Marathon's seven operators and OpenWhisk's LIKE / UNLIKE,
//! until the engine is switched to `crate::constraint`.

use std::collections::HashMap;

use regex::Regex;

use crate::engine::PlaceError;
use crate::error::Error;
use crate::model::{Attributes, ConstraintInput, Dialect, RunningTask, TaskRequest, Value};

/// What a constraint reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Hostname,
    Region,
    Zone,
    Attribute(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Unique,
    Cluster,
    GroupBy,
    Like,
    Unlike,
    MaxPer,
    Is,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    field: Field,
    op: Op,
    value: String,
    regex: Option<Regex>,
    number: i64,
    openwhisk: bool,
}

/// One agent as constraints see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub hostname: &'a str,
    pub attributes: &'a Attributes,
    pub region: Option<&'a str>,
    pub zone: Option<&'a str>,
}

/// A task's compiled constraints and preferences.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    hard: Vec<Rule>,
    soft: Vec<(Rule, i64)>,
    /// Some rule reads the hostname, so agents of one class may differ.
    pub per_agent: bool,
    /// Some rule names `@region` or `@zone` (such tasks may use offers of other regions).
    pub names_region: bool,
}

/// Compiled volume requirements (on disk capabilities).
#[derive(Debug, Clone, Default)]
pub(crate) struct DiskRules {
    hard: Vec<Rule>,
}

fn render(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Scalar(s) => s.to_string(),
        Value::Ranges(r) => {
            let parts: Vec<String> = r.iter().map(|x| format!("{}-{}", x.begin, x.end)).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Set(s) => {
            let mut items: Vec<&String> = s.items().iter().collect();
            items.sort();
            let parts: Vec<&str> = items.iter().map(|x| x.as_str()).collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

impl Rule {
    fn read(&self, c: &Candidate<'_>) -> Option<String> {
        match &self.field {
            Field::Hostname => Some(c.hostname.to_owned()),
            Field::Region => c.region.map(str::to_owned),
            Field::Zone => c.zone.map(str::to_owned),
            Field::Attribute(name) => {
                let a = c.attributes.get(name)?;
                if self.openwhisk {
                    match &a.value {
                        Value::Text(t) => Some(t.clone()),
                        _ => Some(String::new()),
                    }
                } else {
                    Some(render(&a.value))
                }
            }
        }
    }

    fn matches(&self, v: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(v))
    }

    fn check(&self, c: &Candidate<'_>, placed: &[Placed]) -> bool {
        let Some(v) = self.read(c) else {
            return self.op == Op::Unlike && !self.openwhisk;
        };
        let read_placed = |p: &Placed| -> Option<String> {
            let cand = Candidate {
                hostname: &p.hostname,
                attributes: &p.attributes,
                region: p.region.as_deref(),
                zone: p.zone.as_deref(),
            };
            self.read(&cand)
        };
        match self.op {
            Op::Like => !self.value.is_empty() && self.matches(&v),
            Op::Unlike => !self.value.is_empty() && !self.matches(&v),
            Op::Is => v == self.value,
            Op::Unique => !placed.iter().any(|p| read_placed(p).as_deref() == Some(v.as_str())),
            Op::Cluster => {
                if self.value.is_empty() {
                    placed.first().is_none_or(|p| read_placed(p).as_deref() == Some(v.as_str()))
                } else {
                    v == self.value
                }
            }
            Op::MaxPer => {
                (placed.iter().filter(|p| read_placed(p).as_deref() == Some(v.as_str())).count() as i64) < self.number
            }
            Op::GroupBy => {
                // Balance over the values seen so far (Marathon before PR #7206).
                let mut counts: HashMap<Option<String>, usize> = HashMap::new();
                for p in placed {
                    *counts.entry(read_placed(p)).or_default() += 1;
                }
                let mine = counts.get(&Some(v.clone())).copied().unwrap_or(0);
                if mine == 0 {
                    return true;
                }
                let min = counts.values().copied().min().unwrap_or(0);
                let groups = counts.len() as i64;
                groups >= self.number && mine == min
            }
        }
    }
}

fn compile_one(input: &ConstraintInput, dialect: Dialect, path: &str, disk: bool) -> Result<Option<Rule>, PlaceError> {
    let bad = |m: String| PlaceError::new(path, Error::invalid("constraint.invalid", m));
    let (field, op, value): (String, String, Option<String>) = match input {
        ConstraintInput::Text(t) => {
            if dialect == Dialect::Openwhisk {
                let parts: Vec<&str> = t.split(' ').collect();
                let mut parts = parts;
                while parts.last() == Some(&"") {
                    parts.pop();
                }
                if parts.len() != 3 {
                    return Err(bad(format!("expected `<attribute> <operator> <value>`, found `{t}`")));
                }
                let (a, o, v) = (parts[0], parts[1], parts[2]);
                if o != "LIKE" && o != "UNLIKE" {
                    return Ok(None);
                }
                (a.to_owned(), o.to_owned(), Some(v.to_owned()))
            } else {
                let t = t.trim();
                let mut it = t.splitn(2, char::is_whitespace);
                let f = it.next().unwrap_or("").to_owned();
                let rest = it.next().unwrap_or("").trim_start();
                let mut it2 = rest.splitn(2, char::is_whitespace);
                let o = it2.next().unwrap_or("").to_owned();
                let v = it2.next().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
                (f, o, v)
            }
        }
        ConstraintInput::Fields(f) => match f.as_slice() {
            [a, b] => (a.clone(), b.clone(), None),
            [a, b, c] => (a.clone(), b.clone(), Some(c.clone())),
            _ => return Err(bad("expected 2 or 3 fields in a constraint array".into())),
        },
        ConstraintInput::Object { field, operator, value } => (field.clone(), operator.clone(), value.clone()),
    };
    if field.is_empty() {
        return Err(bad("expected a field name, found an empty string".into()));
    }
    let op = match op.to_ascii_uppercase().as_str() {
        "UNIQUE" => Op::Unique,
        "CLUSTER" => Op::Cluster,
        "GROUP_BY" => Op::GroupBy,
        "LIKE" => Op::Like,
        "UNLIKE" => Op::Unlike,
        "MAX_PER" => Op::MaxPer,
        "IS" => Op::Is,
        _ => return Err(bad(format!("expected an operator such as `LIKE` or `UNIQUE`, found `{op}`"))),
    };
    let value = value.unwrap_or_default();
    let regex = if matches!(op, Op::Like | Op::Unlike) {
        Some(
            Regex::new(&format!("^(?:{value})$"))
                .map_err(|_| bad(format!("expected a regular expression, found `{value}`")))?,
        )
    } else {
        None
    };
    let number = match op {
        Op::MaxPer => value.parse::<i64>().map_err(|_| bad(format!("expected an integer, found `{value}`")))?,
        Op::GroupBy if value.is_empty() => 0,
        Op::GroupBy => value.parse::<i64>().map_err(|_| bad(format!("expected an integer, found `{value}`")))?,
        _ => 0,
    };
    let field = if disk {
        Field::Attribute(field)
    } else {
        match field.as_str() {
            "hostname" | "@hostname" => Field::Hostname,
            "@region" => Field::Region,
            "@zone" => Field::Zone,
            _ => Field::Attribute(field),
        }
    };
    Ok(Some(Rule { field, op, value, regex, number, openwhisk: dialect == Dialect::Openwhisk }))
}

impl Rules {
    /// Compiles a task's constraints and preferences; errors carry `base` + the path inside.
    pub(crate) fn compile(task: &TaskRequest, base: &str) -> Result<Rules, PlaceError> {
        let mut rules = Rules::default();
        for (i, c) in task.constraints.iter().enumerate() {
            if let Some(r) = compile_one(c, task.dialect, &format!("{base}/constraints/{i}"), false)? {
                rules.hard.push(r);
            }
        }
        for (i, p) in task.preferences.iter().enumerate() {
            let path = format!("{base}/preferences/{i}");
            if !p.weight.is_finite() || p.weight.abs() > 100.0 {
                return Err(PlaceError::new(
                    format!("{path}/weight"),
                    Error::invalid(
                        "constraint.weight",
                        format!("expected a weight from -100 to 100, found `{}`", p.weight),
                    ),
                ));
            }
            if let Some(r) = compile_one(&p.constraint, task.dialect, &format!("{path}/constraint"), false)? {
                rules.soft.push((r, (p.weight * crate::engine::WEIGHT_ONE as f64).round() as i64));
            }
        }
        let all = rules.hard.iter().chain(rules.soft.iter().map(|(r, _)| r));
        for r in all {
            if r.field == Field::Hostname {
                rules.per_agent = true;
            }
            if matches!(r.field, Field::Region | Field::Zone) {
                rules.names_region = true;
            }
        }
        Ok(rules)
    }

    /// True when there are hard constraints.
    pub(crate) fn has_hard(&self) -> bool {
        !self.hard.is_empty()
    }

    /// True when every hard constraint holds for `c` given the group's placements.
    pub(crate) fn check(&self, c: &Candidate<'_>, groups: &Groups, group: u32) -> bool {
        let placed = groups.placed(group);
        self.hard.iter().all(|r| r.check(c, placed))
    }

    /// The summed weights of the satisfied preferences, in millionths.
    pub(crate) fn preference(&self, c: &Candidate<'_>, groups: &Groups, group: u32) -> i64 {
        let placed = groups.placed(group);
        self.soft.iter().filter(|(r, _)| r.check(c, placed)).map(|(_, w)| *w).sum()
    }

    /// True when there are preferences.
    pub(crate) fn has_soft(&self) -> bool {
        !self.soft.is_empty()
    }
}

impl DiskRules {
    /// Compiles a volume's `require` list.
    pub(crate) fn compile(require: &[ConstraintInput], base: &str) -> Result<DiskRules, PlaceError> {
        let mut hard = Vec::new();
        for (i, c) in require.iter().enumerate() {
            if let Some(r) = compile_one(c, Dialect::Marathon, &format!("{base}/require/{i}"), true)? {
                hard.push(r);
            }
        }
        Ok(DiskRules { hard })
    }

    /// True when every requirement holds for a disk with these capabilities.
    pub(crate) fn check(&self, caps: &Attributes) -> bool {
        let c = Candidate { hostname: "", attributes: caps, region: None, zone: None };
        self.hard.iter().all(|r| r.check(&c, &[]))
    }

    /// True when there are no requirements.
    pub(crate) fn is_empty(&self) -> bool {
        self.hard.is_empty()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Placed {
    hostname: String,
    attributes: Attributes,
    region: Option<String>,
    zone: Option<String>,
}

/// The placements of every group: running tasks, then those placed in this batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Groups {
    ids: HashMap<String, u32>,
    placed: Vec<Vec<Placed>>,
}

impl Groups {
    pub(crate) fn new(running: &[RunningTask]) -> Groups {
        let mut g = Groups::default();
        for r in running {
            let id = g.id(&r.group);
            let c = Candidate {
                hostname: &r.hostname,
                attributes: &r.attributes,
                region: r.region.as_deref(),
                zone: r.zone.as_deref(),
            };
            g.record(id, &c);
        }
        g
    }

    pub(crate) fn id(&mut self, name: &str) -> u32 {
        if let Some(i) = self.ids.get(name) {
            return *i;
        }
        let i = self.placed.len() as u32;
        self.ids.insert(name.to_owned(), i);
        self.placed.push(Vec::new());
        i
    }

    fn placed(&self, group: u32) -> &[Placed] {
        self.placed.get(group as usize).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn record(&mut self, group: u32, c: &Candidate<'_>) {
        if let Some(list) = self.placed.get_mut(group as usize) {
            list.push(Placed {
                hostname: c.hostname.to_owned(),
                attributes: c.attributes.clone(),
                region: c.region.map(str::to_owned),
                zone: c.zone.map(str::to_owned),
            });
        }
    }

    /// Undoes the latest `record` of `group` (gang roll-back).
    pub(crate) fn unrecord(&mut self, group: u32) {
        if let Some(list) = self.placed.get_mut(group as usize) {
            list.pop();
        }
    }
}
