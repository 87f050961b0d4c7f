//! `offerfit agent FILE`: Mesos agent flags (as a configuration tool such as Mantl's `mesos`
//! role writes them) turned into the Mesos JSON a master would put in that agent's offers.
//!
//! The file holds one flag per line, as `--name=value` (the agent's command line) or
//! `MESOS_NAME=value` (its environment, optionally after `export`). Blank lines and `#`
//! comments are skipped, one pair of surrounding quotes is removed, and flags other than
//! `--hostname`, `--resources`, `--attributes` and `--default_role` are ignored, so a real
//! flags file can be used as it is. A `--hostname` line starts the next agent when the
//! current one already has a hostname, so one file can describe a cluster.

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
        let mut obj = Map::new();
        if let Some(h) = &agent.hostname {
            obj.insert("hostname".into(), Json::String(h.value.clone()));
        }
        if let Some(r) = &agent.resources {
            let mut req = json!({"op": "parse_resources", "text": r.value});
            if let (Some(role), Some(m)) = (&agent.default_role, req.as_object_mut()) {
                m.insert("default_role".into(), Json::String(role.value.clone()));
            }
            refused |= !take(&ask(req), "resources", &args.file, r, "--resources", &mut obj);
        }
        if let Some(a) = &agent.attributes {
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
