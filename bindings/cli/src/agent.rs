//! `offerfit agent FILE`: Mesos agent flags (as a configuration tool such as Mantl's `mesos`
//! role writes them) turned into the Mesos JSON a master would put in that agent's offers.
//!
//! The file holds one flag per line, as `--name=value` (the agent's command line) or
//! `MESOS_NAME=value` (its environment, optionally after `export`). Blank lines and `#`
//! comments are skipped, one pair of surrounding quotes is removed, and flags other than
//! `--hostname`, `--resources`, `--attributes` and `--default_role` are ignored, so a real
//! flags file can be used as it is. A `--hostname` line starts the next agent when the
//! current one already has a hostname, so one file can describe a cluster.
//!
//! As the agent reads its flags: a value `file://PATH` is the content of that file (stout's
//! flag fetcher, `3rdparty/stout/include/stout/flags/fetch.hpp`; a relative path is taken
//! from the current directory, as the agent would); and the resources the agent adds when
//! `--resources` leaves them out (`Containerizer::resources`, src/slave/containerizer/
//! containerizer.cpp): `ports:[31000-32000]` (DEFAULT_PORTS, for the default role) is added,
//! while `cpus`, `mem` and `disk` are detected on the agent's machine at start-up, which this
//! command cannot see: they are listed in the agent's `detected_by_agent` and a note says so.

use serde_json::{json, Map, Value as Json};

use crate::contract::{ask, read_text, Answer};
use crate::out::{errln, outln};
use crate::render::{pretty, problem};
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// Turn Mesos agent flags into Mesos JSON.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flags file (`--resources=…`, `--attributes=…`, `--hostname=…`, `--default_role=…`,
    /// or `MESOS_RESOURCES=…` style); `-` reads standard input
    #[arg(value_name = "FILE")]
    file: String,
}

/// One flag read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    /// 1-based line in the file.
    pub(crate) line: usize,
    pub(crate) value: String,
}

/// One agent's flags.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Agent {
    pub(crate) hostname: Option<Flag>,
    pub(crate) resources: Option<Flag>,
    pub(crate) attributes: Option<Flag>,
    pub(crate) default_role: Option<Flag>,
}

impl Agent {
    fn is_empty(&self) -> bool {
        *self == Agent::default()
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<Flag>> {
        match name {
            "hostname" => Some(&mut self.hostname),
            "resources" => Some(&mut self.resources),
            "attributes" => Some(&mut self.attributes),
            "default_role" => Some(&mut self.default_role),
            _ => None,
        }
    }
}

/// Splits the file into agents.
///
/// # Errors
/// The 1-based line and a message, for a flag given twice for one agent or a line that is
/// not a flag.
pub(crate) fn read_agents(text: &str) -> Result<Vec<Agent>, (usize, String)> {
    let mut agents = vec![Agent::default()];
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("export ").map_or(l, str::trim_start);
        let Some((key, value)) = l.split_once('=') else {
            return Err((line, format!("expected `--flag=value` or `MESOS_FLAG=value`, found `{l}`")));
        };
        let name = if let Some(n) = key.strip_prefix("--") {
            n.to_owned()
        } else if let Some(n) = key.strip_prefix("MESOS_") {
            n.to_ascii_lowercase()
        } else {
            return Err((line, format!("expected `--flag=value` or `MESOS_FLAG=value`, found `{l}`")));
        };
        let flag = Flag { line, value: unquote(value.trim()).to_owned() };
        let starts_next = name == "hostname" && agents.last().is_some_and(|a| a.hostname.is_some());
        if starts_next {
            agents.push(Agent::default());
        }
        let Some(agent) = agents.last_mut() else { continue };
        if let Some(slot) = agent.slot(&name) {
            if let Some(first) = slot {
                return Err((line, format!("`--{name}` is given twice for one agent (first on line {})", first.line)));
            }
            *slot = Some(flag);
        }
    }
    agents.retain(|a| !a.is_empty());
    Ok(agents)
}

/// `'x'` or `"x"` → `x`.
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Runs `offerfit agent FILE`.
pub fn run(args: &Args) -> Outcome {
    let text = read_text(&args.file)?;
    let agents =
        read_agents(&text).map_err(|(line, message)| UsageError(format!("{}:{line}: {message}", args.file)))?;
    if agents.is_empty() {
        return Err(UsageError(format!("{}: no `--resources` or `--attributes` flag found", args.file)));
    }
    let mut out = Vec::new();
    let mut refused = false;
    for agent in &agents {
        let fetch = |flag: &Option<Flag>| -> Result<Option<Flag>, UsageError> {
            let Some(f) = flag else { return Ok(None) };
            let Some(path) = f.value.strip_prefix("file://") else { return Ok(Some(f.clone())) };
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("{}:{}: cannot read `{path}`: {e}", args.file, f.line)))?;
            Ok(Some(Flag { line: f.line, value: text.trim().to_owned() }))
        };
        let resources = fetch(&agent.resources)?;
        let attributes = fetch(&agent.attributes)?;
        let mut obj = Map::new();
        if let Some(h) = &agent.hostname {
            obj.insert("hostname".into(), Json::String(h.value.clone()));
        }
        let with_role = |mut req: Json| {
            if let (Some(role), Some(m)) = (&agent.default_role, req.as_object_mut()) {
                m.insert("default_role".into(), Json::String(role.value.clone()));
            }
            req
        };
        let text = resources.as_ref().map_or("", |r| r.value.as_str());
        let named = resource_names(text);
        if let Some(r) = &resources {
            let req = with_role(json!({"op": "parse_resources", "text": r.value}));
            refused |= !take(&ask(req), "resources", &args.file, r, "--resources", &mut obj);
        }
        if !named.iter().any(|n| n == "ports") && !refused {
            // Containerizer::resources: "No ports specified so resort to DEFAULT_PORTS".
            let req = with_role(json!({"op": "parse_resources", "text": "ports:[31000-32000]"}));
            if let Answer::Ok(result) = ask(req) {
                let list = obj.entry("resources").or_insert_with(|| Json::Array(Vec::new()));
                if let (Json::Array(list), Some(Json::Array(ports))) = (list, result.get("resources")) {
                    list.extend(ports.iter().cloned());
                }
            }
        }
        let detected: Vec<&str> =
            ["cpus", "mem", "disk"].into_iter().filter(|d| !named.iter().any(|n| n == d)).collect();
        if !detected.is_empty() {
            let at = resources.as_ref().map_or_else(|| args.file.clone(), |r| format!("{}:{}", args.file, r.line));
            let host = agent.hostname.as_ref().map_or("the agent", |h| h.value.as_str());
            errln!(
                "note: {at}: `{}` not in --resources: {host} detects {} on its machine at start-up (not known here)",
                detected.join("`, `"),
                if detected.len() == 1 { "it" } else { "them" }
            );
            obj.insert("detected_by_agent".into(), json!(detected));
        }
        if let Some(a) = &attributes {
            let req = json!({"op": "parse_attributes", "text": a.value});
            refused |= !take(&ask(req), "attributes", &args.file, a, "--attributes", &mut obj);
        }
        out.push(Json::Object(obj));
    }
    if refused {
        return Ok(EXIT_REFUSED);
    }
    outln!("{}", pretty(&Json::Array(out)));
    Ok(EXIT_OK)
}

/// The resource names a `--resources` text names, as `Containerizer::resources` sees them
/// (before empty resources are dropped: `cpus:0` names cpus): the JSON array form's `name`s,
/// else each `;` item's part before `:` and before a `(`.
fn resource_names(text: &str) -> Vec<String> {
    if let Ok(Json::Array(list)) = serde_json::from_str::<Json>(text) {
        return list.iter().filter_map(|r| r.get("name").and_then(Json::as_str)).map(str::to_owned).collect();
    }
    text.split(';')
        .filter_map(|item| item.split(':').next())
        .map(|head| head.split('(').next().unwrap_or("").trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Moves the answer's `field` into `obj`, or prints its errors with the file and line of the
/// flag; `false` when refused.
fn take(answer: &Answer, field: &str, file: &str, flag: &Flag, flag_name: &str, obj: &mut Map<String, Json>) -> bool {
    match answer {
        Answer::Ok(result) => {
            obj.insert(field.into(), result.get(field).cloned().unwrap_or(Json::Null));
            true
        }
        Answer::Refused(errors) => {
            let label = |path: &str| match path {
                "/default_role" => Some(format!("{file}:{} (--default_role)", flag.line)),
                _ => Some(format!("{file}:{} ({flag_name})", flag.line)),
            };
            for e in errors {
                errln!("{}", problem("error", e, &label));
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(line: usize, value: &str) -> Option<Flag> {
        Some(Flag { line, value: value.to_owned() })
    }

    #[test]
    fn flags_and_environment_forms() {
        let agents = read_agents(
            "# comment\n--hostname=w1\nMESOS_RESOURCES='cpus:8;mem:1024'\n\nexport MESOS_ATTRIBUTES=\"rack:r1\"\n--work_dir=/var/lib/mesos\n",
        )
        .unwrap();
        assert_eq!(
            agents,
            vec![Agent {
                hostname: flag(2, "w1"),
                resources: flag(3, "cpus:8;mem:1024"),
                attributes: flag(5, "rack:r1"),
                default_role: None
            }]
        );
    }

    #[test]
    fn a_second_hostname_starts_the_next_agent() {
        let agents =
            read_agents("--hostname=a\n--resources=cpus:1\n--hostname=b\n--default_role=r\n--resources=cpus:2\n")
                .unwrap();
        assert_eq!(agents.len(), 2);
        assert_eq!(agents[1].hostname, flag(3, "b"));
        assert_eq!(agents[1].default_role, flag(4, "r"));
        assert_eq!(agents[1].resources, flag(5, "cpus:2"));
    }

    #[test]
    fn values_keep_their_equals_signs_and_spaces() {
        let agents = read_agents("--attributes=os:linux=5; arch : x86\n").unwrap();
        assert_eq!(agents[0].attributes, flag(1, "os:linux=5; arch : x86"));
    }

    #[test]
    fn resource_names_as_the_agent_sees_them() {
        assert_eq!(resource_names("cpus(r):0; mem:1;ports(*)x:[1-2]"), ["cpus", "mem", "ports"]);
        assert_eq!(resource_names(r#"[{"name":"disk","type":"SCALAR","scalar":{"value":1}}]"#), ["disk"]);
        assert!(resource_names("").is_empty());
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            read_agents("--resources=cpus:1\n--resources=cpus:2\n").unwrap_err(),
            (2, "`--resources` is given twice for one agent (first on line 1)".to_owned())
        );
        assert_eq!(
            read_agents("\nresources cpus:1\n").unwrap_err(),
            (2, "expected `--flag=value` or `MESOS_FLAG=value`, found `resources cpus:1`".to_owned())
        );
        assert_eq!(read_agents("# nothing\n\n").unwrap(), vec![]);
    }
}
