//! Every `marathon.constraint.validate`, `marathon.constraint.eval`,
//! `marathon.volume_constraint.eval`, `marathon.volume_profile.match` and
//! `openwhisk.constraint.parse` case of the conformance data (tests/data/conformance), run
//! through the public constraint API. A failing case is named with its id and source test;
//! each test fails if any of its cases fails.

use offerfit::constraint::{
    marathon_volume_constraint_matches, parse_constraint, volume_profile_matches, Candidate, CompiledConstraints,
    Constraint, ConstraintInput, Dialect, DiskCandidate, Field, GroupState, Operator, ParseOptions, Parsed,
};
use offerfit::{Attribute, Attributes, DiskSourceType, Limits, Ranges, Set, Value};
use serde_json::Value as Json;

fn cases(kind: &str) -> Vec<Json> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance/vectors.json"))
        .expect("vectors.json");
    let v: Json = serde_json::from_str(&text).expect("vectors.json is JSON");
    let all: Vec<Json> = v["cases"].as_array().expect("cases").iter().filter(|c| c["kind"] == kind).cloned().collect();
    assert!(!all.is_empty(), "no `{kind}` cases in the conformance data");
    all
}

/// Runs `check` on every case; panics listing every failure with its id and source.
fn run(kind: &str, check: impl Fn(&Json) -> Result<(), String>) -> usize {
    let all = cases(kind);
    let failures: Vec<String> = all
        .iter()
        .filter_map(|c| {
            check(c).err().map(|why| {
                format!(
                    "{} ({} {} — {}): {why}",
                    c["id"].as_str().unwrap_or("?"),
                    c["source"]["repo"].as_str().unwrap_or("?"),
                    c["source"]["path"].as_str().unwrap_or("?"),
                    c["source"]["test"].as_str().unwrap_or("?"),
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} `{kind}` cases fail:\n{}", failures.len(), all.len(), failures.join("\n"));
    all.len()
}

fn s(v: &Json) -> &str {
    v.as_str().unwrap_or("")
}

/// A typed attribute of the conformance schema.
fn attribute(a: &Json) -> Attribute {
    let value = match s(&a["type"]) {
        "TEXT" => Value::Text(s(&a["text"]).to_owned()),
        "SCALAR" => Value::Scalar(a["scalar"].as_f64().expect("scalar")),
        "RANGES" => Value::Ranges(
            Ranges::from_pairs(
                a["ranges"]
                    .as_array()
                    .expect("ranges")
                    .iter()
                    .map(|p| (p[0].as_u64().expect("begin"), p[1].as_u64().expect("end"))),
            )
            .expect("valid ranges"),
        ),
        "SET" => Value::Set(Set::from_items(a["set"].as_array().expect("set").iter().map(|i| s(i).to_owned()))),
        other => panic!("unknown attribute type {other}"),
    };
    Attribute { name: s(&a["name"]).to_owned(), value }
}

fn attributes(list: &Json) -> Attributes {
    Attributes(list.as_array().map(|l| l.iter().map(attribute).collect()).unwrap_or_default())
}

struct Agent {
    hostname: String,
    attributes: Attributes,
    region: Option<String>,
    zone: Option<String>,
}

impl Agent {
    fn from(j: &Json) -> Agent {
        Agent {
            hostname: s(&j["hostname"]).to_owned(),
            attributes: attributes(&j["attributes"]),
            region: j["region"].as_str().map(Into::into),
            zone: j["zone"].as_str().map(Into::into),
        }
    }

    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            hostname: &self.hostname,
            attributes: &self.attributes,
            region: self.region.as_deref(),
            zone: self.zone.as_deref(),
        }
    }
}

/// The object form of the eval cases. `value: ""` is Marathon's protobuf value left unset,
/// which evaluation reads as `""`: no value, or an explicit empty one for the operators that
/// require a value (`UNLIKE` with `""`).
fn object_constraint(c: &Json) -> Result<Constraint, String> {
    let value = c["value"].as_str().filter(|v| !v.is_empty());
    let parse = |value| {
        let input = ConstraintInput::Object { field: s(&c["field"]), operator: s(&c["operator"]), value };
        parse_constraint(input, &ParseOptions::default())
    };
    let parsed = match parse(value) {
        Err(e) if value.is_none() && e.error.code() == "constraint.missing_value" => parse(Some("")),
        other => other,
    };
    match parsed {
        Ok(Parsed::Constraint(c)) => Ok(c),
        Ok(Parsed::Ignored(w)) => Err(format!("ignored: {}", w.message)),
        Err(e) => Err(format!("refused: {}", e.error)),
    }
}

/// The error codes that carry the meaning of each Marathon validation message.
fn codes_for(marathon_message: &str) -> &'static [&'static str] {
    match marathon_message {
        "Each constraint must have either 2 or 3 fields" => &["constraint.fields"],
        "illegal constraint specification" => &["constraint.empty_field"],
        "UNIQUE does not accept a value" => &["constraint.unexpected_value"],
        "GROUP BY must define an integer value or else no value at all" => &["constraint.number"],
        "MAX_PER requires an integer value" => &["constraint.missing_value", "constraint.number"],
        "LIKE and UNLIKE require a non-empty, regular expression value" => &["constraint.missing_value"],
        "is not a valid regular expression" => &["constraint.regex"],
        m if m.starts_with("IS only supports Mesos text and float values") => &["constraint.is_value"],
        m if m.starts_with("operator must be one of") => &["constraint.unknown_operator"],
        _ => &[],
    }
}

#[test]
fn marathon_constraint_validate() {
    let n = run("marathon.constraint.validate", |case| {
        let items: Vec<String> =
            case["input"]["constraint"].as_array().expect("array").iter().map(|i| s(i).to_owned()).collect();
        let expect = &case["expect"];
        let got = parse_constraint(ConstraintInput::Array(&items), &ParseOptions::default());
        let valid = expect["valid"].as_bool().expect("valid");
        match (valid, got) {
            (true, Ok(Parsed::Constraint(c))) => {
                if let Some(p) = expect.get("parsed") {
                    let field = Field::from_name(s(&p["field"]), Dialect::Marathon);
                    let op = Operator::from_name(s(&p["operator"]));
                    if *c.field() != field || Some(c.operator()) != op || c.value().unwrap_or("") != s(&p["value"]) {
                        return Err(format!("parsed as `{c}`, expected {p}"));
                    }
                }
                // The canonical text parses back to the same constraint.
                let back: Constraint = c.to_string().parse().map_err(|e| format!("`{c}` does not parse back: {e}"))?;
                if back != c {
                    return Err(format!("`{c}` parses back as `{back}`"));
                }
                Ok(())
            }
            (true, Ok(Parsed::Ignored(w))) => Err(format!("ignored: {}", w.message)),
            (true, Err(e)) => Err(format!("refused: {} ({})", e.error, e.error.code())),
            (false, Ok(_)) => Err("accepted, expected invalid".into()),
            (false, Err(e)) => match expect.get("error").and_then(Json::as_str) {
                None => Ok(()),
                Some(msg) => {
                    let codes = codes_for(msg);
                    if codes.is_empty() {
                        Err(format!("no error code known for Marathon's message `{msg}`"))
                    } else if codes.contains(&e.error.code()) {
                        Ok(())
                    } else {
                        Err(format!(
                            "refused with `{}` ({}), expected one of {codes:?} for `{msg}`",
                            e.error.code(),
                            e.error
                        ))
                    }
                }
            },
        }
    });
    assert!(n >= 20);
}

#[test]
fn marathon_constraint_eval() {
    run("marathon.constraint.eval", |case| {
        let input = &case["input"];
        let c = object_constraint(&input["constraint"])?;
        let text = c.to_string();
        let cc = CompiledConstraints::new(vec![c], vec![]);
        let instances = input["target_instances"].as_u64().map(|n| u32::try_from(n).expect("u32"));
        let mut group = GroupState::for_constraints(&cc, instances);
        let placed: Vec<Agent> = input["placed"].as_array().expect("placed").iter().map(Agent::from).collect();
        for p in &placed {
            group.record(&p.candidate());
        }
        let offer = Agent::from(&input["offer"]);
        let got = cc.check(&offer.candidate(), &group).is_ok();
        // The per-agent cached path agrees with the direct one.
        let cached = cc.check_values(&cc.read(&offer.candidate()), &group).is_ok();
        let want = case["expect"]["matches"].as_bool().expect("matches");
        if got != want || cached != want {
            return Err(format!("`{text}` gave {got} (cached {cached}), expected {want}"));
        }
        Ok(())
    });
}

#[test]
fn marathon_volume_constraint_eval() {
    run("marathon.volume_constraint.eval", |case| {
        let input = &case["input"];
        let c = object_constraint(&input["constraint"])?;
        let kind = match s(&input["disk_source_type"]) {
            "PATH" => DiskSourceType::Path,
            "MOUNT" => DiskSourceType::Mount,
            "ROOT" => DiskSourceType::Root,
            other => return Err(format!("unknown disk source type {other}")),
        };
        let disk =
            DiskCandidate { kind, root: input["disk_path"].as_str(), profile: None, vendor: None, metadata: &[] };
        let got = marathon_volume_constraint_matches(&c, &disk);
        // The general disk evaluation agrees for `path` LIKE / UNLIKE.
        let general = CompiledConstraints::new(vec![c.clone()], vec![]).check_disk(&disk).is_ok();
        let want = case["expect"]["matches"].as_bool().expect("matches");
        if got != want || general != want {
            return Err(format!("`{c}` gave {got} (general {general}), expected {want}"));
        }
        Ok(())
    });
}

#[test]
fn marathon_volume_profile_match() {
    run("marathon.volume_profile.match", |case| {
        let input = &case["input"];
        let got = volume_profile_matches(input["disk_profile"].as_str(), input["required_profile"].as_str());
        let want = case["expect"]["matches"].as_bool().expect("matches");
        if got != want {
            return Err(format!("gave {got}, expected {want}"));
        }
        Ok(())
    });
}

#[test]
fn openwhisk_constraint_parse() {
    run("openwhisk.constraint.parse", |case| {
        let input = &case["input"];
        let expect = &case["expect"];
        let opts = ParseOptions::new(Dialect::OpenWhisk, input["delimiter"].as_str(), &Limits::default())
            .map_err(|e| format!("delimiter refused: {e}"))?;
        let mut parsed = Vec::new();
        let mut error = None;
        for t in input["strings"].as_array().expect("strings") {
            match parse_constraint(ConstraintInput::Text(s(t)), &opts) {
                Ok(Parsed::Constraint(c)) => parsed.push((
                    c.field().name().to_owned(),
                    c.operator().name().to_owned(),
                    c.value().unwrap_or("").to_owned(),
                )),
                Ok(Parsed::Ignored(_)) => {}
                Err(e) => error = Some(e),
            }
        }
        let ok = expect["ok"].as_bool().expect("ok");
        match (ok, error) {
            (true, Some(e)) => return Err(format!("refused: {}", e.error)),
            (false, None) => return Err(format!("accepted as {parsed:?}, expected an error")),
            (false, Some(_)) => return Ok(()),
            (true, None) => {}
        }
        if let Some(want) = expect.get("constraints").and_then(Json::as_array) {
            let mut want: Vec<(String, String, String)> = want
                .iter()
                .map(|c| (s(&c["attribute"]).to_owned(), s(&c["operator"]).to_owned(), s(&c["value"]).to_owned()))
                .collect();
            let mut got = parsed.clone();
            if expect["unordered"].as_bool().unwrap_or(false) {
                want.sort();
                got.sort();
            }
            if got != want {
                return Err(format!("parsed {got:?}, expected {want:?}"));
            }
        }
        Ok(())
    });
}
