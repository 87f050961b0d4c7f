//! `offerfit lint` and `offerfit check`: placement constraints from the command line, through
//! the contract ops `parse_constraints` and `check_constraints`.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};

use crate::contract::{ask, json_or_text, read_text, Answer};
use crate::out::{errln, outln};
use crate::render::{print_errors, problem, str_field, term};
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// The constraint dialects of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// Marathon's constraints plus offerfit's extra operators (the default)
    Marathon,
    /// OpenWhisk's `whisk.mesos.constraints` strings: LIKE and UNLIKE only
    Openwhisk,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Marathon => "marathon",
            Dialect::Openwhisk => "openwhisk",
        }
    }
}

/// The flags `lint` and `check` share.
#[derive(Debug, clap::Args)]
pub struct DialectArgs {
    /// How the constraints are written
    #[arg(long, value_enum, value_name = "DIALECT")]
    dialect: Option<Dialect>,
    /// The openwhisk dialect's field delimiter, a Java regular expression as in
    /// `whisk.mesos.constraint-delimiter` (default " ")
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    delimiter: Option<String>,
}

impl DialectArgs {
    fn add_to(&self, req: &mut Map<String, Json>) {
        if let Some(d) = self.dialect {
            req.insert("dialect".into(), json!(d.name()));
        }
        if let Some(d) = &self.delimiter {
            req.insert("delimiter".into(), json!(d));
        }
    }
}

/// Check placement constraints before deploying them.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Constraints, one per argument: text (`"rack LIKE r[12]"`), or a Marathon JSON array
    /// (`'["rack","GROUP_BY","3"]'`) or object
    #[arg(value_name = "CONSTRAINT", required = true)]
    constraints: Vec<String>,
    #[command(flatten)]
    dialect: DialectArgs,
    /// Treat warnings (constraints the dialect ignores) as errors: exit 1
    #[arg(long)]
    deny_warnings: bool,
}

/// Evaluate placement constraints against one candidate agent.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Constraints, one per argument (as for `lint`)
    #[arg(value_name = "CONSTRAINT", required = true)]
    constraints: Vec<String>,
    /// The candidate agent's hostname
    #[arg(long, value_name = "H")]
    hostname: String,
    /// The candidate's attributes, as Mesos attributes text (`rack:r1;zone:a`) or a JSON array
    #[arg(long, value_name = "TEXT")]
    attributes: Option<String>,
    /// The candidate's fault-domain region (`@region`)
    #[arg(long, value_name = "R")]
    region: Option<String>,
    /// The candidate's fault-domain zone (`@zone`)
    #[arg(long, value_name = "Z")]
    zone: Option<String>,
    /// A JSON file with the tasks of the group already placed (a list of running tasks:
    /// `{"id", "group", "hostname", "attributes"?, "region"?, "zone"?}`); `-` reads stdin
    #[arg(long, value_name = "FILE")]
    placed: Option<String>,
    /// The group's target number of instances (for GROUP_BY)
    #[arg(long, value_name = "N")]
    instances: Option<u64>,
    #[command(flatten)]
    dialect: DialectArgs,
}

/// Each constraint argument as JSON; the JSON errors of arguments that look like JSON but
/// are not are printed, and `None` returned.
fn constraint_values(args: &[String]) -> Option<Vec<Json>> {
    let mut out = Vec::with_capacity(args.len());
    let mut bad = false;
    for (i, arg) in args.iter().enumerate() {
        match json_or_text(arg) {
            Ok(v) => out.push(v),
            Err(e) => {
                errln!("{}", problem("error", &e, &|_| Some(format!("constraint {}", i + 1))));
                bad = true;
            }
        }
    }
    (!bad).then_some(out)
}

/// The 1-based constraint number of a pointer `/constraints/N/…`.
fn constraint_number(path: &str) -> Option<usize> {
    path.strip_prefix("/constraints/")?.split('/').next()?.parse::<usize>().ok().map(|i| i + 1)
}

/// Names request fields in the words of the command line.
fn label(args: &[String]) -> impl Fn(&str) -> Option<String> + '_ {
    move |path: &str| {
        if let Some(n) = constraint_number(path) {
            return Some(match args.get(n - 1) {
                Some(a) => format!("constraint {n} `{a}`"),
                None => format!("constraint {n}"),
            });
        }
        let flag = match path {
            "/dialect" => "--dialect",
            "/delimiter" => "--delimiter",
            "/candidate/hostname" => "--hostname",
            "/candidate/region" => "--region",
            "/candidate/zone" => "--zone",
            "/instances" => "--instances",
            p if p == "/candidate/attributes" || p.starts_with("/candidate/attributes/") => "--attributes",
            p if p == "/placed" || p.starts_with("/placed/") => return Some(format!("--placed {p}")),
            _ => return None,
        };
        Some(flag.to_owned())
    }
}

/// Prints the errors and, for `lint`, how many constraints are bad.
fn refuse(errors: &[Json], args: &[String], summary: bool) -> u8 {
    print_errors(errors, &label(args));
    if summary {
        let bad: BTreeSet<usize> =
            errors.iter().filter_map(|e| str_field(e, "path").and_then(constraint_number)).collect();
        if !bad.is_empty() {
            let n = bad.len();
            let verb = if n == 1 { "is" } else { "are" };
            errln!("{n} of {} constraints {verb} invalid", args.len());
        }
    }
    EXIT_REFUSED
}

/// Runs `offerfit lint`.
pub fn run_lint(args: &LintArgs) -> Outcome {
    let Some(constraints) = constraint_values(&args.constraints) else { return Ok(EXIT_REFUSED) };
    let mut req = Map::new();
    req.insert("op".into(), json!("parse_constraints"));
    req.insert("constraints".into(), Json::Array(constraints));
    args.dialect.add_to(&mut req);
    match ask(Json::Object(req)) {
        Answer::Refused(errors) => Ok(refuse(&errors, &args.constraints, true)),
        Answer::Ok(result) => {
            let warnings = result.get("warnings").and_then(Json::as_array).map_or(&[][..], Vec::as_slice);
            for w in warnings {
                let text = match w {
                    Json::String(s) => format!("warning: {}", term(s)),
                    other => problem("warning", other, &label(&args.constraints)),
                };
                errln!("{text}");
            }
            for c in result.get("constraints").and_then(Json::as_array).map_or(&[][..], Vec::as_slice) {
                match str_field(c, "text") {
                    Some(t) => outln!("{}", term(t)),
                    None => outln!("{}", term(&c.to_string())),
                }
            }
            Ok(if args.deny_warnings && !warnings.is_empty() { EXIT_REFUSED } else { EXIT_OK })
        }
    }
}

/// Runs `offerfit check`.
pub fn run_check(args: &CheckArgs) -> Outcome {
    let Some(constraints) = constraint_values(&args.constraints) else { return Ok(EXIT_REFUSED) };
    let mut candidate = Map::new();
    candidate.insert("hostname".into(), json!(args.hostname));
    if let Some(a) = &args.attributes {
        match json_or_text(a) {
            Ok(v) => candidate.insert("attributes".into(), v),
            Err(e) => {
                errln!("{}", problem("error", &e, &|_| Some("--attributes".to_owned())));
                return Ok(EXIT_REFUSED);
            }
        };
    }
    if let Some(r) = &args.region {
        candidate.insert("region".into(), json!(r));
    }
    if let Some(z) = &args.zone {
        candidate.insert("zone".into(), json!(z));
    }
    let placed = match &args.placed {
        Some(file) => {
            let text = read_text(file)?;
            offerfit::host::parse_strict(&text).map_err(|e| {
                UsageError(format!(
                    "--placed `{file}` is not valid JSON: {}",
                    e.rendered.as_deref().unwrap_or(&e.message)
                ))
            })?
        }
        None => json!([]),
    };
    let mut req = Map::new();
    req.insert("op".into(), json!("check_constraints"));
    req.insert("constraints".into(), Json::Array(constraints));
    args.dialect.add_to(&mut req);
    req.insert("candidate".into(), Json::Object(candidate));
    req.insert("placed".into(), placed);
    if let Some(n) = args.instances {
        req.insert("instances".into(), json!(n));
    }
    match ask(Json::Object(req)) {
        Answer::Refused(errors) => Ok(refuse(&errors, &args.constraints, false)),
        Answer::Ok(result) => {
            for r in result.get("results").and_then(Json::as_array).map_or(&[][..], Vec::as_slice) {
                let verdict = if r.get("satisfied") == Some(&Json::Bool(true)) { "satisfied" } else { "unsatisfied" };
                outln!("{verdict:<11}  {}", term(str_field(r, "text").unwrap_or("")));
            }
            let satisfied = result.get("satisfied") == Some(&Json::Bool(true));
            Ok(if satisfied { EXIT_OK } else { EXIT_REFUSED })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_argument_names() {
        let args = vec!["hostname UNIQUE".to_owned(), "rack LIKE [".to_owned()];
        let l = label(&args);
        assert_eq!(l("/constraints/1").as_deref(), Some("constraint 2 `rack LIKE [`"));
        assert_eq!(l("/constraints/0/operator").as_deref(), Some("constraint 1 `hostname UNIQUE`"));
        assert_eq!(l("/constraints/7").as_deref(), Some("constraint 8"));
        assert_eq!(l("/delimiter").as_deref(), Some("--delimiter"));
        assert_eq!(l("/candidate/attributes").as_deref(), Some("--attributes"));
        assert_eq!(l("/placed/0/hostname").as_deref(), Some("--placed /placed/0/hostname"));
        assert_eq!(l("/elsewhere"), None);
    }

    #[test]
    fn json_looking_arguments_are_json() {
        let v = constraint_values(&[r#"["rack","GROUP_BY","3"]"#.to_owned(), "hostname UNIQUE".to_owned()]).unwrap();
        assert_eq!(v, vec![json!(["rack", "GROUP_BY", "3"]), json!("hostname UNIQUE")]);
        assert_eq!(constraint_values(&["[\"rack\",".to_owned()]), None);
    }
}
