//! Constraint ops: `parse_constraints` and `check_constraints` (docs/contract.md).
//!
//! Additions to the contract's fixed fields (documented in the README): `check_constraints`
//! also takes `preferences: [{constraint, weight}]` and answers `preferences: [{text,
//! weight, satisfied}]` with their summed `score`; both ops answer `warnings` (constraints
//! the dialect ignores, each with its `path`).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::constraint::{
    parse_constraint, Candidate, CompiledConstraints, Constraint, ConstraintInput, GroupState, Operator, ParseOptions,
    Parsed, Preference,
};
use crate::error::ParseError;
use crate::limits::{LimitKind, Limits};
use crate::model::Attributes;

use super::errors::kind;
use super::mesos::{attributes_from_json, offer_from_json};
use super::{decode, fail, Errors, WireError};
use crate::dto::place::{ConstraintObject, DialectDto};

/// `parse_constraints`: `constraints`, `dialect`?, `delimiter`?.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct ParseConstraintsRequest {
    /// The constraints, each read by `constraint_from_json` (for per-element paths).
    #[cfg_attr(feature = "tsify", tsify(type = "Constraint[]"))]
    constraints: Vec<Json>,
    /// How to read them (default `marathon`).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    #[cfg_attr(feature = "tsify", tsify(type = "Dialect"))]
    dialect: DialectDto,
    /// The openwhisk dialect's delimiter (default `" "`).
    #[serde(default)]
    delimiter: Option<String>,
}

/// A parsed constraint: the object form plus its canonical text.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ParsedConstraint"))]
struct ConstraintOut {
    /// The field.
    field: String,
    /// The operator, canonical spelling.
    operator: &'static str,
    /// The operator's argument, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// The canonical text, which parses back to the same constraint.
    text: String,
}

impl From<&Constraint> for ConstraintOut {
    fn from(c: &Constraint) -> ConstraintOut {
        ConstraintOut {
            field: c.field().name().to_owned(),
            operator: c.operator().name(),
            value: c.value().map(str::to_owned),
            text: c.to_string(),
        }
    }
}

/// `parse_constraints` result.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ParseConstraintsResult"))]
pub struct ParseConstraintsResponse {
    /// The constraints (one the dialect ignores is left out).
    #[cfg_attr(feature = "tsify", tsify(type = "ParsedConstraint[]"))]
    constraints: Vec<ConstraintOut>,
    /// One per ignored constraint, with its `path`.
    #[cfg_attr(feature = "tsify", tsify(type = "WireError[]"))]
    warnings: Vec<WireError>,
}

/// One constraint of a request, owned.
enum Owned {
    Text(String),
    Array(Vec<String>),
    Object(String, String, Option<String>),
}

impl Owned {
    fn input(&self) -> ConstraintInput<'_> {
        match self {
            Owned::Text(t) => ConstraintInput::Text(t),
            Owned::Array(a) => ConstraintInput::Array(a),
            Owned::Object(f, o, v) => ConstraintInput::Object { field: f, operator: o, value: v.as_deref() },
        }
    }
}

/// Reads a constraint in any of its three forms.
fn constraint_from_json(json: &Json, path: &str) -> Result<Owned, Errors> {
    match json {
        Json::String(s) => Ok(Owned::Text(s.clone())),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut errors = Errors::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::String(s) => out.push(s.clone()),
                    other => errors.push(
                        WireError::new("request.type", format!("expected a string, found {}", kind(other)))
                            .with_path(format!("{path}/{i}")),
                    ),
                }
            }
            if errors.is_empty() {
                Ok(Owned::Array(out))
            } else {
                Err(errors)
            }
        }
        Json::Object(_) => {
            let o: ConstraintObject = decode(json.clone(), path)?;
            Ok(Owned::Object(o.field, o.operator, o.value))
        }
        other => Err(vec![WireError::new(
            "request.type",
            format!("expected a constraint (a string, an array or an object), found {}", kind(other)),
        )
        .with_path(path)]),
    }
}

fn options(dialect: DialectDto, delimiter: Option<&str>) -> Result<ParseOptions, Errors> {
    ParseOptions::new(dialect.into(), delimiter, &Limits::DEFAULT).map_err(|e| fail(e, "/delimiter"))
}

/// Parses one constraint at `path`; `Ok(None)` when the dialect ignores it (its warning is
/// pushed).
fn parse_one(
    json: &Json,
    path: &str,
    opts: &ParseOptions,
    warnings: &mut Vec<WireError>,
) -> Result<Option<Constraint>, Errors> {
    let owned = constraint_from_json(json, path)?;
    let input = owned.input();
    match parse_constraint(input, opts) {
        Ok(Parsed::Constraint(c)) => {
            warnings.extend(unsatisfiable(&c, path));
            Ok(Some(c))
        }
        Ok(Parsed::Ignored(w)) => {
            let wpath = format!("{path}{}", w.part.pointer_suffix(&input));
            let mut we = match (&owned, w.span) {
                (Owned::Text(t), Some(span)) => {
                    WireError::from_parse(&ParseError::new(w.code, w.message.clone(), t, span), &wpath)
                }
                _ => WireError::new(w.code, w.message.clone()).with_path(wpath),
            };
            we.help = w.help;
            warnings.push(we);
            Ok(None)
        }
        Err(e) => Err(vec![WireError::from_error(&e.error, &format!("{path}{}", e.part.pointer_suffix(&input)))]),
    }
}

/// The warning for a constraint nothing can ever satisfy: `MAX_PER` with a bound of 0 or
/// less (a value must have been used fewer than `n` times), `GROUP_BY` with 0 or fewer
/// groups. Valid in every dialect (Marathon's `Constraints.scala` parses any integer), so not
/// an error; `lint` says so rather than let the tasks wait forever.
fn unsatisfiable(c: &Constraint, path: &str) -> Option<WireError> {
    let n = match (c.operator(), c.int_arg()) {
        (Operator::MaxPer | Operator::GroupBy, Some(n)) if n <= 0 => n,
        _ => return None,
    };
    let op = c.operator().name();
    let why = if c.operator() == Operator::MaxPer {
        "no value can be used fewer than that many times"
    } else {
        "the tasks cannot be spread over that many groups"
    };
    let mut w =
        WireError::new("constraint.unsatisfiable", format!("`{op} {n}` can never be satisfied: {why}")).with_path(path);
    w.help = Some(format!("write a positive number, as in `hostname {op} 2`"));
    Some(w)
}

/// Parses a list of constraints, reporting every bad one; ignored ones are left out (each
/// kept one comes with its index in `list`).
fn parse_list(
    list: &[Json],
    base: &str,
    opts: &ParseOptions,
    warnings: &mut Vec<WireError>,
) -> Result<Vec<(usize, Constraint)>, Errors> {
    let mut out = Vec::with_capacity(list.len());
    let mut errors = Errors::new();
    for (i, json) in list.iter().enumerate() {
        match parse_one(json, &format!("{base}/{i}"), opts, warnings) {
            Ok(c) => out.extend(c.map(|c| (i, c))),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub fn parse_constraints(req: ParseConstraintsRequest) -> Result<ParseConstraintsResponse, Errors> {
    let opts = options(req.dialect, req.delimiter.as_deref())?;
    let mut warnings = Vec::new();
    let list = parse_list(&req.constraints, "/constraints", &opts, &mut warnings)?;
    let constraints = list.iter().map(|(_, c)| ConstraintOut::from(c)).collect();
    Ok(ParseConstraintsResponse { constraints, warnings })
}

/// A preference of `check_constraints`: a constraint and its weight (required here).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "WeightedConstraint"))]
struct PreferenceDto {
    /// What is preferred, read by `constraint_from_json`.
    #[cfg_attr(feature = "tsify", tsify(type = "Constraint"))]
    constraint: Json,
    /// How much.
    weight: i64,
}

/// `check_constraints`: `constraints`, `preferences`?, `dialect`?, `delimiter`?, `candidate`,
/// `placed`?, `instances`?.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct CheckConstraintsRequest {
    /// The constraints, each read by `constraint_from_json`.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "Constraint[]"))]
    constraints: Vec<Json>,
    /// Soft preferences to score the candidate by.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "WeightedConstraint[]"))]
    preferences: Vec<PreferenceDto>,
    /// How to read them (default `marathon`).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    #[cfg_attr(feature = "tsify", tsify(type = "Dialect"))]
    dialect: DialectDto,
    /// The openwhisk dialect's delimiter.
    #[serde(default)]
    delimiter: Option<String>,
    /// The host (or a whole Mesos offer) to check, read by `candidate_from_json`.
    #[cfg_attr(feature = "tsify", tsify(type = "Candidate"))]
    candidate: Json,
    /// Where the candidate's group already runs, each read by `placed_from_json`.
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "GroupPlacement[]"))]
    placed: Vec<Json>,
    /// The group's target instance count (for GROUP_BY).
    #[serde(default)]
    instances: Option<u32>,
}

/// One constraint's verdict.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ConstraintResult"))]
struct ResultOut {
    /// The constraint's canonical text.
    text: String,
    /// Whether the candidate satisfies it.
    satisfied: bool,
}

/// One preference's verdict.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "PreferenceResult"))]
struct PreferenceOut {
    /// The preference's canonical text.
    text: String,
    /// Its weight.
    weight: i32,
    /// Whether the candidate satisfies it.
    satisfied: bool,
}

/// `check_constraints` result.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "CheckConstraintsResult"))]
pub struct CheckConstraintsResponse {
    /// Whether every constraint is satisfied.
    satisfied: bool,
    /// Each constraint's verdict, in order.
    #[cfg_attr(feature = "tsify", tsify(type = "ConstraintResult[]"))]
    results: Vec<ResultOut>,
    /// Each preference's verdict, in order (when the request has preferences).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(type = "PreferenceResult[]"))]
    preferences: Option<Vec<PreferenceOut>>,
    /// The summed weight of the satisfied preferences (when the request has preferences).
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<i64>,
    /// One per ignored constraint (and per undecided regex), with its `path`.
    #[cfg_attr(feature = "tsify", tsify(type = "WireError[]"))]
    warnings: Vec<WireError>,
}

/// An agent as constraints see it (owned).
struct Agent {
    hostname: String,
    attributes: Attributes,
    region: Option<String>,
    zone: Option<String>,
}

impl Agent {
    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            hostname: &self.hostname,
            attributes: &self.attributes,
            region: self.region.as_deref(),
            zone: self.zone.as_deref(),
        }
    }
}

/// A host to check constraints against.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "Host"))]
struct CandidateDto {
    /// The hostname.
    hostname: String,
    /// Its attributes (Mesos JSON or text).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "AttributesInput | null"))]
    attributes: Option<Json>,
    /// Its region.
    #[serde(default)]
    region: Option<String>,
    /// Its zone.
    #[serde(default)]
    zone: Option<String>,
}

/// Where the candidate's group already runs: a running task whose `id` and `group` may be
/// left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "GroupPlacement"))]
struct PlacedDto {
    /// The task's id (not read).
    #[serde(default)]
    #[allow(dead_code)]
    id: Option<String>,
    /// Its group (not read: every placed task counts as the candidate's group).
    #[serde(default)]
    #[allow(dead_code)]
    group: Option<String>,
    /// The host it runs on.
    hostname: String,
    /// The agent it runs on (not read).
    #[serde(default)]
    #[allow(dead_code)]
    agent_id: Option<String>,
    /// The host's attributes (Mesos JSON or text).
    #[serde(default)]
    #[cfg_attr(feature = "tsify", tsify(type = "AttributesInput | null"))]
    attributes: Option<Json>,
    /// The host's region.
    #[serde(default)]
    region: Option<String>,
    /// The host's zone.
    #[serde(default)]
    zone: Option<String>,
}

// The candidate is read by hand (an offer is told apart by its ids): its declaration.
#[cfg(feature = "tsify")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const CANDIDATE_TS: &'static str = r#"
/** A `check_constraints` candidate: a host, or a whole Mesos offer (told apart by `id` / `agent_id`). */
export type Candidate = Host | Offer;
"#;

/// The candidate: `{hostname, attributes?, region?, zone?}`, or a Mesos Offer (recognized by
/// its `id` / `agent_id`).
fn candidate_from_json(json: &Json, path: &str) -> Result<Agent, Errors> {
    let Json::Object(m) = json else {
        return Err(vec![WireError::new(
            "request.type",
            format!("expected a candidate object or a Mesos offer, found {}", kind(json)),
        )
        .with_path(path)]);
    };
    if ["id", "agent_id", "agentId"].iter().any(|k| m.contains_key(*k)) {
        let o = offer_from_json(json, path)?;
        return Ok(Agent { hostname: o.hostname, attributes: o.attributes, region: o.region, zone: o.zone });
    }
    let d: CandidateDto = decode(json.clone(), path)?;
    agent(d.hostname, d.attributes.as_ref(), d.region, d.zone, path)
}

fn agent(
    hostname: String,
    attributes: Option<&Json>,
    region: Option<String>,
    zone: Option<String>,
    path: &str,
) -> Result<Agent, Errors> {
    let attributes = match attributes {
        None | Some(Json::Null) => Attributes::new(),
        Some(a) => attributes_from_json(a, &format!("{path}/attributes"))?,
    };
    Ok(Agent { hostname, attributes, region, zone })
}

/// A running task of the candidate's group (`id` and `group` may be left out here).
fn placed_from_json(json: &Json, path: &str) -> Result<Agent, Errors> {
    let d: PlacedDto = decode(json.clone(), path)?;
    agent(d.hostname, d.attributes.as_ref(), d.region, d.zone, path)
}

/// The warning for a constraint whose regex ran out of backtracking steps on the candidate:
/// the match is undecided and counts as not satisfied (for `LIKE` and `UNLIKE` alike).
fn regex_limit_warning(c: &Constraint, path: &str) -> WireError {
    let limit = Limits::DEFAULT.regex_backtrack;
    let mut w = WireError::new(
        LimitKind::RegexBacktrack.code(),
        format!(
            "the regex of `{c}` needed more than {limit} backtracking steps on the candidate's `{}`, the limit \
             `regex_backtrack` is {limit}; the constraint counts as not satisfied",
            c.field().name()
        ),
    )
    .with_path(path);
    w.help = Some(
        "a pattern that needs backtracking (look-around, backreferences) can take exponential time: simplify it"
            .to_owned(),
    );
    w
}

pub fn check_constraints(req: CheckConstraintsRequest) -> Result<CheckConstraintsResponse, Errors> {
    let opts = options(req.dialect, req.delimiter.as_deref())?;
    let mut warnings = Vec::new();
    let mut errors = Errors::new();
    let hard = parse_list(&req.constraints, "/constraints", &opts, &mut warnings).unwrap_or_else(|e| {
        errors.extend(e);
        Vec::new()
    });
    let (hard_at, hard): (Vec<usize>, Vec<Constraint>) = hard.into_iter().unzip();
    let mut soft = Vec::new();
    let mut soft_at = Vec::new();
    for (i, p) in req.preferences.iter().enumerate() {
        let base = format!("/preferences/{i}");
        match parse_one(&p.constraint, &format!("{base}/constraint"), &opts, &mut warnings) {
            Ok(Some(c)) => match Preference::new(c, p.weight) {
                Ok(p) => {
                    soft.push(p);
                    soft_at.push(i);
                }
                Err(e) => errors.extend(fail(e, &format!("{base}/weight"))),
            },
            Ok(None) => {}
            Err(e) => errors.extend(e),
        }
    }
    let candidate = candidate_from_json(&req.candidate, "/candidate").map_err(|e| errors.extend(e)).ok();
    let mut placed = Vec::with_capacity(req.placed.len());
    for (i, p) in req.placed.iter().enumerate() {
        match placed_from_json(p, &format!("/placed/{i}")) {
            Ok(a) => placed.push(a),
            Err(e) => errors.extend(e),
        }
    }
    let Some(candidate) = candidate.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let has_preferences = !req.preferences.is_empty();
    let cc = CompiledConstraints::new(hard, soft);
    let mut group = GroupState::for_constraints(&cc, req.instances);
    for p in &placed {
        group.record(&p.candidate());
    }
    let cand = candidate.candidate();
    let values = cc.read(&cand);
    let results: Vec<ResultOut> = cc
        .hard()
        .iter()
        .zip(cc.results(&values, &group))
        .map(|(c, satisfied)| ResultOut { text: c.to_string(), satisfied })
        .collect();
    let (preferences, score) = if has_preferences {
        let prefs: Vec<PreferenceOut> = cc
            .preferences()
            .iter()
            .zip(cc.preference_results(&values, &group))
            .map(|(p, satisfied)| PreferenceOut { text: p.constraint().to_string(), weight: p.weight(), satisfied })
            .collect();
        (Some(prefs), Some(cc.preference_score_values(&values, &group)))
    } else {
        (None, None)
    };
    // A regex that ran out of backtracking steps fails closed (not satisfied), and says so.
    let unsatisfied_hard = cc.hard().iter().zip(&results).zip(&hard_at).filter(|((_, r), _)| !r.satisfied);
    for ((c, _), i) in unsatisfied_hard {
        if c.regex_limit_hit(&cand) {
            warnings.push(regex_limit_warning(c, &format!("/constraints/{i}")));
        }
    }
    let unsatisfied_soft =
        cc.preferences().iter().zip(preferences.iter().flatten()).zip(&soft_at).filter(|((_, out), _)| !out.satisfied);
    for ((p, _), i) in unsatisfied_soft {
        if p.constraint().regex_limit_hit(&cand) {
            warnings.push(regex_limit_warning(p.constraint(), &format!("/preferences/{i}/constraint")));
        }
    }
    Ok(CheckConstraintsResponse {
        satisfied: results.iter().all(|r| r.satisfied),
        results,
        preferences,
        score,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    fn call(req: Json) -> Json {
        serde_json::from_str(&crate::call(&req.to_string())).unwrap()
    }

    #[test]
    fn parse_constraints_answers_object_form_and_text() {
        let out = call(json!({"op": "parse_constraints", "constraints": [
            "rack LIKE r[12]", ["rack", "group_by", "3"], {"field": "@hostname", "operator": "UNIQUE"},
            {"field": "rack", "operator": "IS", "value": null}, "  rack  LIKE   a  b "
        ]}));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(
            out["constraints"][0],
            json!({"field": "rack", "operator": "LIKE", "value": "r[12]", "text": "rack LIKE r[12]"})
        );
        assert_eq!(out["constraints"][1]["text"], "rack GROUP_BY 3");
        assert_eq!(
            out["constraints"][2],
            json!({"field": "hostname", "operator": "UNIQUE", "text": "hostname UNIQUE"})
        );
        assert_eq!(out["constraints"][3], json!({"field": "rack", "operator": "IS", "text": "rack IS"}));
        assert_eq!(out["constraints"][4]["value"], "a  b");
        assert_eq!(out["constraints"][4]["text"], "rack LIKE a  b");
        assert_eq!(out["warnings"], json!([]));
    }

    #[test]
    fn parse_constraints_reports_every_bad_constraint_with_its_path() {
        let out = call(json!({"op": "parse_constraints", "constraints": [
            "rack UNIQE", "ok EXISTS", ["rack", "LIKE", "("], {"field": "x", "operator": "MAX_PER"}, [1, "LIKE"], 7,
            {"field": "x", "operator": "IS", "extra": 1}
        ]}));
        assert_eq!(out["ok"], false);
        let errors = out["errors"].as_array().unwrap();
        let got: Vec<(&str, &str)> =
            errors.iter().map(|e| (e["code"].as_str().unwrap(), e["path"].as_str().unwrap())).collect();
        assert_eq!(
            got,
            [
                ("constraint.unknown_operator", "/constraints/0"),
                ("constraint.regex", "/constraints/2/2"),
                ("constraint.missing_value", "/constraints/3"),
                ("request.type", "/constraints/4/0"),
                ("request.type", "/constraints/5"),
                ("request.unknown_field", "/constraints/6/extra"),
            ]
        );
        assert_eq!(errors[1]["rendered"], "(\n^ invalid regular expression: unclosed group");
    }

    #[test]
    fn openwhisk_dialect_warns_for_ignored_operators() {
        let out = call(json!({"op": "parse_constraints", "dialect": "openwhisk", "delimiter": "\\|",
            "constraints": ["att1|LIKE|v.*", "att2|EQUALS|v2", ["att3", "like", "x"]]}));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["constraints"].as_array().unwrap().len(), 1);
        assert_eq!(out["constraints"][0]["text"], "att1 LIKE v.*");
        let w = &out["warnings"];
        assert_eq!(w[0]["path"], "/constraints/1");
        assert_eq!(
            w[0]["rendered"],
            "att2|EQUALS|v2\n     ^^^^^^ operator `EQUALS` is ignored: OpenWhisk understands only `LIKE` and `UNLIKE`"
        );
        assert_eq!(w[1]["path"], "/constraints/2/1");
        assert_eq!(w[1]["help"], "OpenWhisk compares operator names case-sensitively: write `LIKE`");
        let bad = call(json!({"op": "parse_constraints", "dialect": "openwhisk", "delimiter": "(", "constraints": []}));
        assert_eq!(bad["errors"][0]["path"], "/delimiter");
        let bad = call(json!({"op": "parse_constraints", "dialect": "nomad", "constraints": []}));
        assert_eq!(bad["errors"][0]["path"], "/dialect");
    }

    #[test]
    fn check_constraints_counts_placements_and_scores_preferences() {
        let out = call(json!({"op": "check_constraints",
            "constraints": ["rack GROUP_BY 2", "hostname UNIQUE", "level >= 2"],
            "preferences": [{"constraint": "rack IS r2", "weight": 30}, {"constraint": ["zone", "LIKE", "a"], "weight": -5}],
            "candidate": {"hostname": "h1", "attributes": "rack:r1;level:2.5;zone:a"},
            "placed": [{"id": "t1", "group": "g", "hostname": "h1", "attributes": "rack:r1"},
                       {"hostname": "h2", "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]}],
            "instances": 4}));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["satisfied"], false);
        assert_eq!(
            out["results"],
            json!([
                {"text": "rack GROUP_BY 2", "satisfied": false},
                {"text": "hostname UNIQUE", "satisfied": false},
                {"text": "level >= 2", "satisfied": true}
            ])
        );
        assert_eq!(out["preferences"][1], json!({"text": "zone LIKE a", "weight": -5, "satisfied": true}));
        assert_eq!(out["score"], -5);
    }

    #[test]
    fn check_constraints_takes_a_mesos_offer() {
        let out = call(json!({"op": "check_constraints",
            "constraints": ["@region IS us-east-1", "@zone UNIQUE", "rack LIKE r[12]"],
            "candidate": {"id": {"value": "O1"}, "agent_id": {"value": "S1"}, "hostname": "a1",
                "resources": "cpus:1", "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r2"}}],
                "domain": {"fault_domain": {"region": {"name": "us-east-1"}, "zone": {"name": "b"}}}},
            "placed": [{"hostname": "x", "region": "us-east-1", "zone": "a"}]}));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["satisfied"], true);
        assert!(out.get("score").is_none());
    }

    #[test]
    fn check_constraints_reports_bad_parts() {
        let out = call(json!({"op": "check_constraints", "constraints": ["rack LIKE"],
            "preferences": [{"constraint": "rack IS a", "weight": 200}],
            "candidate": {"hostname": "h", "attributes": "rack"}, "placed": [{"attributes": "a:b"}]}));
        assert_eq!(out["ok"], false);
        let paths: Vec<&str> = out["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["/constraints/0", "/preferences/0/weight", "/candidate/attributes", "/placed/0"]);
    }

    #[test]
    fn a_regex_out_of_backtracking_steps_fails_closed_with_a_warning() {
        // `(a+)+\1b` needs the backtracking engine (a backreference); against 30 `a`s it runs
        // out of steps: the match is undecided, LIKE and UNLIKE both count as not satisfied,
        // and each says why.
        let long = "a".repeat(30);
        let out = call(json!({"op": "check_constraints",
            "constraints": ["rack UNIQUE", "rack LIKE (a+)+\\1b", "rack UNLIKE (a+)+\\1b", "rack LIKE a+"],
            "preferences": [{"constraint": "rack UNLIKE (a+)+\\1b", "weight": 5}],
            "candidate": {"hostname": "h", "attributes": format!("rack:{long}")}, "placed": []}));
        assert_eq!(out["satisfied"], false);
        let sat: Vec<&Json> = out["results"].as_array().unwrap().iter().map(|r| &r["satisfied"]).collect();
        assert_eq!(sat, [&json!(true), &json!(false), &json!(false), &json!(true)]);
        assert_eq!(out["preferences"][0]["satisfied"], false);
        assert_eq!(out["score"], 0);
        let w = out["warnings"].as_array().unwrap();
        let codes_paths: Vec<(&str, &str)> =
            w.iter().map(|w| (w["code"].as_str().unwrap(), w["path"].as_str().unwrap())).collect();
        assert_eq!(
            codes_paths,
            [
                ("limit.regex_backtrack", "/constraints/1"),
                ("limit.regex_backtrack", "/constraints/2"),
                ("limit.regex_backtrack", "/preferences/0/constraint")
            ]
        );
        let limit = crate::Limits::DEFAULT.regex_backtrack;
        assert_eq!(
            w[0]["message"],
            format!(
                "the regex of `rack LIKE (a+)+\\1b` needed more than {limit} backtracking steps on the candidate's \
                 `rack`, the limit `regex_backtrack` is {limit}; the constraint counts as not satisfied"
            )
        );
        // A short value is decided: no warning.
        let out = call(json!({"op": "check_constraints", "constraints": ["rack LIKE (a+)+\\1b"],
            "candidate": {"hostname": "h", "attributes": "rack:ab"}, "placed": []}));
        assert_eq!((&out["satisfied"], &out["warnings"]), (&json!(false), &json!([])));
        let out = call(json!({"op": "check_constraints", "constraints": ["rack LIKE (a+)+\\1b"],
            "candidate": {"hostname": "h", "attributes": "rack:aaaab"}, "placed": []}));
        assert_eq!((&out["satisfied"], &out["warnings"]), (&json!(true), &json!([])));
    }
}
