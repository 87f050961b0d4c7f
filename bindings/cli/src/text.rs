//! `offerfit resources parse|fmt` and `offerfit attributes parse`: the Mesos text formats.

use clap::Subcommand;
use serde_json::{json, Map, Value as Json};

use crate::contract::{ask, json_or_text, text_arg, Answer};
use crate::out::outln;
use crate::render::{pretty, print_errors};
use crate::{Outcome, EXIT_OK, EXIT_REFUSED};

/// `offerfit resources …`.
#[derive(Debug, Subcommand)]
pub enum ResourcesCommand {
    /// Parse resources text into Mesos v1 Resource JSON (pretty-printed)
    ///
    /// TEXT is what a Mesos agent takes as `--resources`, e.g.
    /// `cpus(*):8; mem:15360; ports(*):[31000-32000]`. Bad text prints the caret rendering on
    /// stderr and exits 1.
    Parse {
        /// The resources text; `-` reads it from standard input
        #[arg(value_name = "TEXT")]
        text: String,
        /// The role of resources written without one (Mesos' `--default_role`; default `*`)
        #[arg(long, value_name = "ROLE")]
        default_role: Option<String>,
    },
    /// Print resources in Mesos' own printed form (`cpus:8; ports:[31000-32000]`)
    ///
    /// TEXT is resources text or a JSON array of Mesos v1 Resource objects.
    Fmt {
        /// The resources, as text or a JSON array; `-` reads them from standard input
        #[arg(value_name = "TEXT")]
        text: String,
    },
}

/// `offerfit attributes …`.
#[derive(Debug, Subcommand)]
pub enum AttributesCommand {
    /// Parse attributes text into Mesos v1 Attribute JSON, in input order (pretty-printed)
    ///
    /// TEXT is what a Mesos agent takes as `--attributes`, e.g. `rack:r1;zone:a;level:2`.
    Parse {
        /// The attributes text; `-` reads it from standard input
        #[arg(value_name = "TEXT")]
        text: String,
    },
}

/// Names the request fields in the words of the command line.
fn label(path: &str) -> Option<String> {
    match path {
        "/text" | "/resources" => Some("TEXT".to_owned()),
        "/default_role" => Some("--default-role".to_owned()),
        p if p.starts_with("/resources/") => Some(format!("TEXT (resource {})", index_after(p, "/resources/")?)),
        _ => None,
    }
}

/// The 1-based element number in a pointer such as `/resources/2/name`.
fn index_after(path: &str, prefix: &str) -> Option<usize> {
    path.strip_prefix(prefix)?.split('/').next()?.parse::<usize>().ok().map(|i| i + 1)
}

/// Runs `offerfit resources …`.
pub fn run_resources(cmd: &ResourcesCommand) -> Outcome {
    match cmd {
        ResourcesCommand::Parse { text, default_role } => {
            let mut req = Map::new();
            req.insert("op".into(), json!("parse_resources"));
            req.insert("text".into(), Json::String(text_arg(text)?));
            if let Some(role) = default_role {
                req.insert("default_role".into(), Json::String(role.clone()));
            }
            Ok(print_field(&ask(Json::Object(req)), "resources", false))
        }
        ResourcesCommand::Fmt { text } => {
            let resources = match json_or_text(&text_arg(text)?) {
                Ok(v) => v,
                Err(e) => {
                    print_errors(&[e], &|_| Some("TEXT".to_owned()));
                    return Ok(EXIT_REFUSED);
                }
            };
            Ok(print_field(&ask(json!({"op": "format_resources", "resources": resources})), "text", true))
        }
    }
}

/// Runs `offerfit attributes …`.
pub fn run_attributes(cmd: &AttributesCommand) -> Outcome {
    match cmd {
        AttributesCommand::Parse { text } => {
            Ok(print_field(&ask(json!({"op": "parse_attributes", "text": text_arg(text)?})), "attributes", false))
        }
    }
}

/// Prints one result field (pretty JSON, or a bare string with `bare`) and returns 0, or
/// prints the errors on stderr and returns 1.
fn print_field(answer: &Answer, field: &str, bare: bool) -> u8 {
    match answer {
        Answer::Ok(result) => {
            let v = result.get(field).cloned().unwrap_or(Json::Null);
            match (&v, bare) {
                (Json::String(s), true) => outln!("{}", crate::render::term(s)),
                _ => outln!("{}", pretty(&v)),
            }
            EXIT_OK
        }
        Answer::Refused(errors) => {
            print_errors(errors, &label);
            EXIT_REFUSED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_speak_the_command_line() {
        assert_eq!(label("/text").as_deref(), Some("TEXT"));
        assert_eq!(label("/default_role").as_deref(), Some("--default-role"));
        assert_eq!(label("/resources/0/scalar").as_deref(), Some("TEXT (resource 1)"));
        assert_eq!(label("/other"), None);
    }
}
