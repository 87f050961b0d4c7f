//! `offerfit place REQUEST.json`: the contract op `place`, printed as JSON or as tables of
//! launches, declines and unplaced tasks.

use serde_json::{json, Map, Value as Json};

use crate::contract::{ask, read_text, Answer};
use crate::out::{out, outln};
use crate::render::{pretty, print_errors, short, str_field, term, Table};
use crate::{Outcome, EXIT_OK, EXIT_REFUSED};

/// How `place` prints its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The contract response, pretty-printed
    Json,
    /// Tables for people: launches per agent, declines, unplaced tasks with reasons
    Table,
}

/// Place tasks on offers.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request: `{"offers": [...], "tasks": [...], "running"?: [...], "options"?: {...}}`
    /// (`"op": "place"` may be left out; any other op is refused); `-` or nothing reads
    /// standard input
    #[arg(value_name = "REQUEST.json", default_value = "-")]
    file: String,
    /// Output format; `table` fits the terminal's width (or `$COLUMNS`)
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

/// Runs `offerfit place`.
pub fn run(args: &Args) -> Outcome {
    let text = read_text(&args.file)?;
    let file = args.file.clone();
    let answer = match offerfit::host::parse_strict(&text) {
        Ok(Json::Object(m)) => match with_op(m) {
            Ok(request) => ask(request),
            Err(e) => Answer::Refused(vec![e]),
        },
        Ok(_) => Answer::Refused(vec![json!({"code": "request.not_object",
            "message": "expected a JSON object with `offers` and `tasks`", "path": ""})]),
        // The file's own syntax errors point into the file.
        Err(e) => {
            let e = serde_json::to_value(&*e).unwrap_or(Json::Null);
            refuse(args.format, &[e], &|_| Some(file.clone()));
            return Ok(EXIT_REFUSED);
        }
    };
    match answer {
        Answer::Refused(errors) => {
            refuse(args.format, &errors, &|_| None);
            Ok(EXIT_REFUSED)
        }
        Answer::Ok(result) => {
            match args.format {
                Format::Json => {
                    let mut m = Map::with_capacity(result.len() + 1);
                    m.insert("ok".into(), Json::Bool(true));
                    m.extend(result);
                    outln!("{}", pretty(&Json::Object(m)));
                }
                Format::Table => out!("{}", table(&result, crate::render::output_width())),
            }
            Ok(EXIT_OK)
        }
    }
}

/// A refusal: the contract answer on stdout (json format, so a program reading it always
/// gets JSON) and the errors, with carets, on stderr.
fn refuse(format: Format, errors: &[Json], label: &dyn Fn(&str) -> Option<String>) {
    if format == Format::Json {
        outln!("{}", pretty(&json!({"ok": false, "errors": errors})));
    }
    print_errors(errors, label);
}

/// The request with `"op": "place"` first, unless it names its op already; a request for
/// another op is refused (`request.op`), since what `place` prints is a placement (the
/// other ops are `offerfit call`'s).
fn with_op(m: Map<String, Json>) -> Result<Json, Json> {
    match m.get("op") {
        Some(Json::String(op)) if op == "place" => return Ok(Json::Object(m)),
        Some(other) => {
            let shown = match other {
                Json::String(op) => format!("op `{op}`"),
                other => format!("`{other}`"),
            };
            return Err(json!({"code": "request.op",
                "message": format!("expected op `place`, found {shown}"),
                "path": "/op",
                "help": "`offerfit place` answers place requests; send other ops with `offerfit call`"}));
        }
        None => {}
    }
    let mut out = Map::with_capacity(m.len() + 1);
    out.insert("op".into(), json!("place"));
    out.extend(m);
    Ok(Json::Object(out))
}

fn list<'a>(v: &'a Map<String, Json>, key: &str) -> &'a [Json] {
    v.get(key).and_then(Json::as_array).map_or(&[][..], Vec::as_slice)
}

/// Mesos resources in Mesos' printed form, through the contract's `format_resources`,
/// without their `allocation_info` (the ROLE column shows it once instead of on every
/// resource).
fn resources_text(resources: &Json) -> String {
    let Some(list) = resources.as_array() else { return short(resources) };
    if list.is_empty() {
        return String::new();
    }
    let bare: Vec<Json> = list
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(m) = r.as_object_mut() {
                m.remove("allocation_info");
            }
            r
        })
        .collect();
    match ask(json!({"op": "format_resources", "resources": bare})) {
        Answer::Ok(r) => r.get("text").map(short).unwrap_or_default(),
        Answer::Refused(_) => resources.to_string(),
    }
}

/// The distinct roles the resources are allocated to (`allocation_info.role`), in order.
fn allocation_roles(resources: &Json) -> String {
    let mut roles: Vec<&str> = Vec::new();
    for r in resources.as_array().map_or(&[][..], Vec::as_slice) {
        if let Some(role) = r.get("allocation_info").and_then(|a| a.get("role")).and_then(Json::as_str) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    roles.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The `place` result as text tables: launches per agent (with what remains of its offers),
/// declines, unplaced tasks with their reasons in check order and the nearest fit, and stats;
/// wrapped to `width` columns when given.
pub fn table(result: &Map<String, Json>, width: Option<u16>) -> String {
    let mut out = String::new();
    let accept = list(result, "accept");
    let tasks: usize = accept.iter().map(|a| a.get("tasks").and_then(Json::as_array).map_or(0, Vec::len)).sum();
    out.push_str(&format!(
        "LAUNCH: {} on {}\n",
        plural(tasks, "task", "tasks"),
        plural(accept.len(), "agent", "agents")
    ));
    for a in accept {
        let parts = [
            term(str_field(a, "hostname").unwrap_or("")).into_owned(),
            format!("agent {}", term(str_field(a, "agent_id").unwrap_or(""))),
            format!("offers {}", term(&a.get("offer_ids").map(short).unwrap_or_default())),
        ];
        let line = parts.join("  ");
        // Too wide for the terminal: one part a line (ids are not broken).
        if width.is_some_and(|w| line.chars().count() > usize::from(w)) {
            out.push_str(&format!("\n{}\n  {}\n  {}\n", parts[0], parts[1], parts[2]));
        } else {
            out.push_str(&format!("\n{line}\n"));
        }
        let mut t = Table::new(&["TASK", "ROLE", "RESOURCES", "PORTS"]);
        for task in a.get("tasks").and_then(Json::as_array).map_or(&[][..], Vec::as_slice) {
            let resources = task.get("resources").unwrap_or(&Json::Null);
            t.row(vec![
                str_field(task, "task_id").unwrap_or("").to_owned(),
                allocation_roles(resources),
                resources_text(resources),
                task.get("ports").map(short).unwrap_or_default(),
            ]);
        }
        if let Some(rem) = a.get("remaining") {
            let text = resources_text(rem);
            if !text.is_empty() {
                t.row(vec!["(left)".into(), String::new(), text]);
            }
        }
        for line in t.render(width.map(|w| w.saturating_sub(2))).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }

    let decline = list(result, "decline");
    out.push_str(&format!("\nDECLINE: {}\n", plural(decline.len(), "offer", "offers")));
    if !decline.is_empty() {
        let mut t = Table::new(&["OFFER", "REFUSE", "REASON"]);
        for d in decline {
            let refuse = d.get("refuse_seconds").map(|s| format!("{}s", short(s))).unwrap_or_default();
            t.row(vec![str_field(d, "offer_id").unwrap_or("").to_owned(), refuse, reason_text(d.get("reason"))]);
        }
        out.push_str(&t.render(width));
    }

    let unplaced = list(result, "unplaced");
    out.push_str(&format!("\nUNPLACED: {}\n", plural(unplaced.len(), "task", "tasks")));
    if !unplaced.is_empty() {
        let mut t = Table::new(&["TASK", "REASON", "OFFERS", "DETAIL"]);
        for u in unplaced {
            let mut id = str_field(u, "task_id").unwrap_or("").to_owned();
            for r in u.get("reasons").and_then(Json::as_array).map_or(&[][..], Vec::as_slice) {
                t.row(vec![
                    std::mem::take(&mut id),
                    str_field(r, "code").unwrap_or("").to_owned(),
                    r.get("offers").map(short).unwrap_or_default(),
                    str_field(r, "message").unwrap_or("").to_owned(),
                ]);
            }
            if let Some(n) = u.get("nearest").filter(|n| !n.is_null()) {
                t.row(vec![std::mem::take(&mut id), "nearest".into(), String::new(), nearest_text(n)]);
            }
            if !id.is_empty() {
                t.row(vec![id]);
            }
        }
        out.push_str(&t.render(width));
    }

    if let Some(stats) = result.get("stats").and_then(Json::as_object) {
        let own = ["objective", "objective_value", "repair_passes"];
        let parts: Vec<String> = stats
            .iter()
            .filter(|(k, _)| !own.contains(&k.as_str()))
            .map(|(k, v)| format!("{} {}", term(&short(v)), term(k)))
            .collect();
        out.push_str(&format!("\nstats: {}\n", parts.join(", ")));
        if let (Some(name), Some(value)) = (stats.get("objective"), stats.get("objective_value")) {
            let passes = stats.get("repair_passes").map(short).unwrap_or_else(|| "0".into());
            out.push_str(&format!(
                "objective: {} {} ({} repair passes)\n",
                term(&short(name)),
                term(&short(value)),
                term(&passes)
            ));
        }
    }
    let calls = list(result, "calls");
    if !calls.is_empty() {
        out.push_str(&format!(
            "calls: {} ready to send (see --format json)\n",
            plural(calls.len(), "Mesos call", "Mesos calls")
        ));
    }
    out
}

/// A decline reason: a string, or an object with a code and a message.
fn reason_text(reason: Option<&Json>) -> String {
    match reason {
        Some(Json::Object(m)) => {
            let code = m.get("code").map(short).unwrap_or_default();
            match m.get("message").map(short) {
                Some(msg) if !code.is_empty() => format!("{code}: {msg}"),
                Some(msg) => msg,
                None => code,
            }
        }
        Some(other) => short(other),
        None => String::new(),
    }
}

/// The nearest fit: the agent first (`hostname (agent_id)`), the scalar shortfalls of
/// `missing` as `short of mem 96160`, then every other field as `key: value` (resource lists
/// in Mesos' printed form).
fn nearest_text(n: &Json) -> String {
    let Some(m) = n.as_object() else { return short(n) };
    let mut parts = Vec::new();
    let who = match (m.get("hostname").map(short), m.get("agent_id").map(short)) {
        (Some(h), Some(a)) => format!("{h} ({a})"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => String::new(),
    };
    if !who.is_empty() {
        parts.push(who);
    }
    for (k, v) in m {
        if k == "hostname" || k == "agent_id" {
            continue;
        }
        if let (true, Some(shortfalls)) = (k == "missing", v.as_object()) {
            if shortfalls.is_empty() {
                continue;
            }
            let items: Vec<String> =
                shortfalls.iter().map(|(name, amount)| format!("{name} {}", short(amount))).collect();
            parts.push(format!("short of {}", items.join(", ")));
            continue;
        }
        let looks_like_resources = v
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|r| r.get("name").is_some() && r.get("type").is_some()));
        let text = if looks_like_resources { resources_text(v) } else { short(v) };
        parts.push(format!("{k}: {text}"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_is_added_only_when_missing() {
        let m = json!({"offers": [], "tasks": []}).as_object().cloned().unwrap();
        assert_eq!(with_op(m).unwrap().to_string(), r#"{"op":"place","offers":[],"tasks":[]}"#);
        let m = json!({"op": "place", "offers": []}).as_object().cloned().unwrap();
        assert_eq!(with_op(m).unwrap(), json!({"op": "place", "offers": []}));
        let m = json!({"op": "version"}).as_object().cloned().unwrap();
        let e = with_op(m).unwrap_err();
        assert_eq!(
            (e["code"].as_str(), e["message"].as_str()),
            (Some("request.op"), Some("expected op `place`, found op `version`"))
        );
        let m = json!({"op": 3}).as_object().cloned().unwrap();
        assert_eq!(with_op(m).unwrap_err()["message"], "expected op `place`, found `3`");
    }

    #[test]
    fn user_text_in_tables_is_escaped() {
        let r = json!({"accept": [{"agent_id": "A\u{1b}[2J", "hostname": "w\n1", "offer_ids": ["O\u{202e}1"], "tasks": [
                {"task_id": "t\u{7}1", "resources": [], "ports": [], "score": 0.5}]}],
            "decline": [{"offer_id": "O\r3", "refuse_seconds": 5, "reason": "unused"}],
            "unplaced": [{"task_id": "u\u{2067}", "reasons": [{"code": "constraint", "message": "`a\u{85}` fails", "offers": 1}]}]});
        let text = table(r.as_object().unwrap(), None);
        assert!(!text.chars().any(|c| crate::render::is_unsafe(c) && c != '\n'), "{text:?}");
        assert!(text.contains("w\\n1  agent A\\u{1b}[2J  offers O\\u{202e}1\n"), "{text}");
        assert!(text.contains("t\\u{7}1"), "{text}");
        assert!(text.contains("O\\r3"), "{text}");
        assert!(text.contains("u\\u{2067}  constraint  1       `a\\u{85}` fails"), "{text}");
    }

    #[test]
    fn table_of_an_empty_decision() {
        let r = json!({"accept": [], "decline": [], "unplaced": [],
            "stats": {"offers": 0, "tasks": 0, "placed": 0, "evaluations": 0}});
        assert_eq!(
            table(r.as_object().unwrap(), None),
            "LAUNCH: 0 tasks on 0 agents\n\nDECLINE: 0 offers\n\nUNPLACED: 0 tasks\n\nstats: 0 offers, 0 tasks, 0 placed, 0 evaluations\n"
        );
    }

    #[test]
    fn table_lists_declines_unplaced_and_nearest() {
        let r = json!({
            "accept": [{"agent_id": "A1", "hostname": "w1", "offer_ids": ["O1", "O2"], "tasks": [
                {"task_id": "t1", "resources": [], "ports": [31000, 31001], "score": 0.5},
                {"task_id": "t2", "resources": [], "ports": [], "score": 0.5}], "remaining": []}],
            "decline": [{"offer_id": "O3", "refuse_seconds": 5, "reason": "unused"},
                        {"offer_id": "O4", "refuse_seconds": 3600, "reason": {"code": "maintenance", "message": "drains soon"}}],
            "unplaced": [{"task_id": "big", "reasons": [
                {"code": "constraint", "message": "`rack LIKE r9` fails", "offers": 2},
                {"code": "insufficient_mem", "message": "needs 9000 mem", "offers": 1}],
                "nearest": {"agent_id": "A1", "hostname": "w1", "lacking": ["insufficient_mem"], "missing": {"mem": 8000}}},
                {"task_id": "odd", "reasons": []}],
            "stats": {"offers": 4, "tasks": 4, "placed": 2, "evaluations": 8},
            "calls": [{"type": "ACCEPT"}, {"type": "DECLINE"}]
        });
        let expected = "\
LAUNCH: 2 tasks on 1 agent

w1  agent A1  offers O1, O2
  TASK  ROLE  RESOURCES  PORTS
  t1                     31000, 31001
  t2

DECLINE: 2 offers
OFFER  REFUSE  REASON
O3     5s      unused
O4     3600s   maintenance: drains soon

UNPLACED: 2 tasks
TASK  REASON            OFFERS  DETAIL
big   constraint        2       `rack LIKE r9` fails
      insufficient_mem  1       needs 9000 mem
      nearest                   w1 (A1); lacking: insufficient_mem; short of mem 8000
odd

stats: 4 offers, 4 tasks, 2 placed, 8 evaluations
calls: 2 Mesos calls ready to send (see --format json)
";
        assert_eq!(table(r.as_object().unwrap(), None), expected);
    }
}
