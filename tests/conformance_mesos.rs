//! Every `mesos.*` case of `tests/data/conformance/vectors.json`, run through the public API:
//! the JSON contract (`offerfit::call`) where an op exists, the Rust API otherwise. Each case
//! checks every key of its `expect`; a failure names the case id and its source, and a
//! `mesos.*` kind this harness does not know fails the test too.

use serde_json::{json, Value as Json};

use offerfit::{parse_attributes, parse_resource, Range, Ranges, Scalar, Set};

const VECTORS: &str = include_str!("data/conformance/vectors.json");

fn call(req: Json) -> Json {
    serde_json::from_str(&offerfit::call(&req.to_string())).expect("call answers JSON")
}

/// Thousandths, so that `24` and `24.0` and `45.55` compare as Mesos compares them.
fn millis(x: &Json) -> Json {
    json!(x.as_f64().map(|v| (v * 1000.0).round() as i64))
}

/// A Mesos v1 `Value` (or resource / attribute) in the vectors' compact encoding:
/// `{"type", "scalar": millis | "ranges": [[b, e]] | "set": [...] | "text": "..."}`.
fn compact_value(v: &Json) -> Json {
    let mut out = serde_json::Map::new();
    out.insert("type".into(), v["type"].clone());
    match v["type"].as_str() {
        Some("SCALAR") => {
            out.insert("scalar".into(), millis(&v["scalar"]["value"]));
        }
        Some("RANGES") => {
            let list: Vec<Json> = v["ranges"]["range"]
                .as_array()
                .map(|l| l.iter().map(|r| json!([r["begin"], r["end"]])).collect())
                .unwrap_or_default();
            out.insert("ranges".into(), Json::Array(list));
        }
        Some("SET") => {
            out.insert("set".into(), v["set"]["item"].clone());
        }
        Some("TEXT") => {
            out.insert("text".into(), v["text"]["value"].clone());
        }
        _ => {}
    }
    Json::Object(out)
}

/// An expected value in the compact encoding, with scalars in thousandths.
fn expected_value(v: &Json) -> Json {
    let mut v = v.clone();
    if let Some(s) = v.get("scalar").cloned() {
        v["scalar"] = millis(&s);
    }
    v
}

fn compact_resource(r: &Json) -> Json {
    let mut out = compact_value(r);
    out["name"] = r["name"].clone();
    out["reservations"] = r.get("reservations").cloned().unwrap_or_else(|| json!([]));
    out
}

fn expected_resource(r: &Json) -> Json {
    let mut out = expected_value(r);
    if out.get("reservations").is_none() {
        out["reservations"] = json!([]);
    }
    out
}

fn compact_attribute(a: &Json) -> Json {
    let mut out = compact_value(a);
    out["name"] = a["name"].clone();
    out
}

/// Lists compared as multisets (canonical JSON text, sorted).
fn same_multiset(a: &[Json], b: &[Json]) -> bool {
    let key = |l: &[Json]| {
        let mut k: Vec<String> = l.iter().map(|x| canonical(x).to_string()).collect();
        k.sort();
        k
    };
    key(a) == key(b)
}

/// Objects with sorted keys, so that key order does not matter.
fn canonical(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k]));
            }
            Json::Object(out)
        }
        Json::Array(l) => Json::Array(l.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn ranges_of(v: &Json) -> Ranges {
    let pairs = v
        .as_array()
        .expect("ranges")
        .iter()
        .map(|p| Range { begin: p[0].as_u64().expect("begin"), end: p[1].as_u64().expect("end") });
    Ranges::from_ranges(pairs)
}

fn ranges_json(r: &Ranges) -> Json {
    Json::Array(r.iter().map(|x| json!([x.begin, x.end])).collect())
}

fn set_of(v: &Json) -> Set {
    Set::from_items(v.as_array().expect("set").iter().map(|s| s.as_str().expect("item").to_owned()))
}

/// Checks one expect key; `Err` describes the mismatch.
fn check(key: &str, got: &Json, want: &Json) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("`{key}`: expected {want}, got {got}"))
    }
}

/// Runs one case; every key of `expect` must be checked, or the case fails.
fn run_case(kind: &str, input: &Json, expect: &Json) -> Result<(), String> {
    let keys: Vec<&str> = expect.as_object().ok_or("expect is not an object")?.keys().map(String::as_str).collect();
    let mut checked: Vec<&str> = Vec::new();
    let mut ok = |k: &'static str| checked.push(k);
    match kind {
        "mesos.value.parse" => {
            let out = call(json!({"op": "parse_value", "text": input["text"]}));
            check("ok", &out["ok"], &expect["ok"])?;
            ok("ok");
            if let Some(v) = expect.get("value") {
                check("value", &compact_value(&out["value"]), &expected_value(v))?;
                ok("value");
            }
            if let Some(n) = expect.get("exact_range_count") {
                check("exact_range_count", &json!(out["value"]["ranges"]["range"].as_array().map(Vec::len)), n)?;
                ok("exact_range_count");
            }
        }
        "mesos.resources.parse" => {
            let mut req = json!({"op": "parse_resources", "text": input["text"]});
            if let Some(role) = input.get("default_role") {
                req["default_role"] = role.clone();
            }
            let out = call(req);
            check("ok", &out["ok"], &expect["ok"])?;
            ok("ok");
            let got: Vec<Json> = out["resources"].as_array().cloned().unwrap_or_default();
            if let Some(want) = expect.get("resources") {
                let got_c: Vec<Json> = got.iter().map(compact_resource).collect();
                let want_c: Vec<Json> = want.as_array().ok_or("resources")?.iter().map(expected_resource).collect();
                if !same_multiset(&got_c, &want_c) {
                    return Err(format!("`resources`: expected {}, got {}", json!(want_c), json!(got_c)));
                }
                // And through the contract's own equality, on the Mesos JSON it printed.
                let eq = call(
                    json!({"op": "resource_math", "operation": "equal", "left": out["resources"], "right": input["text"]}),
                );
                check("resources (equal)", &eq["result"], &json!(true))?;
                ok("resources");
            }
            if let Some(n) = expect.get("count") {
                check("count", &json!(got.len()), n)?;
                ok("count");
            }
            if let Some(names) = expect.get("names") {
                let mut seen: Vec<Json> = Vec::new();
                for r in &got {
                    if !seen.contains(&r["name"]) {
                        seen.push(r["name"].clone());
                    }
                }
                check("names", &Json::Array(seen), names)?;
                ok("names");
            }
            if let Some(types) = expect.get("types") {
                check("types", &Json::Array(got.iter().map(|r| r["type"].clone()).collect()), types)?;
                ok("types");
            }
        }
        "mesos.resource.parse_one" => {
            let s = |k: &str| input[k].as_str().unwrap_or_default().to_owned();
            let r = parse_resource(&s("name"), &s("value"), &s("role"));
            check("ok", &json!(r.is_ok()), &expect["ok"])?;
            ok("ok");
            if let Some(want) = expect.get("resource") {
                let r = r.map_err(|e| e.to_string())?;
                let got = compact_resource(&offerfit::host::mesos::resource_to_json(&r));
                check("resource", &canonical(&got), &canonical(&expected_resource(want)))?;
                ok("resource");
            }
        }
        "mesos.attributes.parse" => {
            let out = call(json!({"op": "parse_attributes", "text": input["text"]}));
            check("ok", &out["ok"], &expect["ok"])?;
            ok("ok");
            if let Some(want) = expect.get("attributes") {
                let got: Vec<Json> = out["attributes"]
                    .as_array()
                    .ok_or("attributes")?
                    .iter()
                    .map(|a| canonical(&compact_attribute(a)))
                    .collect();
                let want: Vec<Json> =
                    want.as_array().ok_or("attributes")?.iter().map(|a| canonical(&expected_value(a))).collect();
                check("attributes", &Json::Array(got), &Json::Array(want))?;
                ok("attributes");
            }
        }
        "mesos.attributes.equal" => {
            let a = parse_attributes(input["a"].as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
            let b = parse_attributes(input["b"].as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
            check("equal", &json!(a == b), &expect["equal"])?;
            ok("equal");
        }
        "mesos.ranges.op" => {
            let (l, r) = (ranges_of(&input["left"]), ranges_of(&input["right"]));
            let got = match input["op"].as_str() {
                Some("add") => ranges_json(&l.add(&r)),
                Some("subtract") => ranges_json(&l.subtract(&r)),
                Some("contains") => json!(l.contains(&r)),
                Some("equal") => json!(l == r),
                Some("coalesce") => ranges_json(&l),
                other => return Err(format!("unknown ranges op {other:?}")),
            };
            check("result", &got, &expect["result"])?;
            ok("result");
        }
        "mesos.set.op" => {
            let (l, r) = (set_of(&input["left"]), set_of(&input["right"]));
            let got = match input["op"].as_str() {
                Some("add") => json!(l.add(&r).items()),
                Some("subtract") => json!(l.subtract(&r).items()),
                Some("contains") => json!(l.contains(&r)),
                Some("equal") => json!(l == r),
                other => return Err(format!("unknown set op {other:?}")),
            };
            check("result", &got, &expect["result"])?;
            ok("result");
        }
        "mesos.resources.op" => {
            let mut req = json!({"op": "resource_math", "operation": input["op"], "left": input["left"], "right": input["right"]});
            if let Some(role) = input.get("role") {
                req["role"] = role.clone();
            }
            let out = call(req);
            check("ok", &out["ok"], &json!(true))?;
            if let Some(want) = expect.get("result_text") {
                let eq =
                    call(json!({"op": "resource_math", "operation": "equal", "left": out["resources"], "right": want}));
                if eq["result"] != json!(true) {
                    let got = call(json!({"op": "format_resources", "resources": out["resources"]}));
                    return Err(format!(
                        "`result_text`: expected `{}`, got `{}`",
                        want.as_str().unwrap_or(""),
                        got["text"]
                    ));
                }
                // The Rust API agrees.
                let l =
                    offerfit::parse_resources(input["left"].as_str().unwrap_or(""), "*").map_err(|e| e.to_string())?;
                let r =
                    offerfit::parse_resources(input["right"].as_str().unwrap_or(""), "*").map_err(|e| e.to_string())?;
                let w = offerfit::parse_resources(want.as_str().unwrap_or(""), "*").map_err(|e| e.to_string())?;
                let got = match input["op"].as_str() {
                    Some("add") => l.add(&r),
                    Some("subtract") => l.subtract(&r).map_err(|e| e.to_string())?,
                    Some("allocatable_to") => l.allocatable_to(input["role"].as_str().unwrap_or("*")),
                    other => return Err(format!("`result_text` with op {other:?}")),
                };
                check("result_text (rust)", &json!(got == w), &json!(true))?;
                ok("result_text");
            }
            if let Some(want) = expect.get("result") {
                check("result", &out["result"], want)?;
                ok("result");
            }
        }
        "mesos.scalar.format" => {
            let v = input["value"].as_f64().ok_or("value")?;
            let s = Scalar::from_f64(v).map_err(|e| e.to_string())?;
            check("text", &json!(s.to_string()), &expect["text"])?;
            ok("text");
        }
        "mesos.resources.format" => {
            let out = call(json!({"op": "format_resources", "resources": input["text"]}));
            check("formatted", &out["text"], &expect["formatted"])?;
            ok("formatted");
        }
        other => return Err(format!("kind `{other}` is not handled by this harness")),
    }
    let unchecked: Vec<&&str> = keys.iter().filter(|k| !checked.contains(k)).collect();
    if !unchecked.is_empty() {
        return Err(format!("expect keys not checked: {unchecked:?}"));
    }
    Ok(())
}

#[test]
fn every_mesos_case_passes() {
    let doc: Json = serde_json::from_str(VECTORS).expect("vectors.json is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases {
        let kind = case["kind"].as_str().unwrap_or_default();
        if !kind.starts_with("mesos.") {
            continue;
        }
        ran += 1;
        if let Err(why) = run_case(kind, &case["input"], &case["expect"]) {
            let src = &case["source"];
            failures.push(format!(
                "{} ({kind}) from {} {} `{}`: {why}",
                case["id"].as_str().unwrap_or("?"),
                src["repo"].as_str().unwrap_or("?"),
                src["path"].as_str().unwrap_or("?"),
                src["test"].as_str().unwrap_or("?"),
            ));
        }
    }
    assert!(ran >= 98, "expected the 98 mesos.* cases of vectors.json, found {ran}");
    assert!(failures.is_empty(), "{} of {ran} mesos.* cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_harness_catches_a_wrong_expectation() {
    // A deliberately wrong expectation must fail, so a broken harness cannot pass silently.
    let wrong = run_case("mesos.resources.format", &json!({"text": "cpus:1"}), &json!({"formatted": "cpus:2"}));
    assert_eq!(wrong, Err("`formatted`: expected \"cpus:2\", got \"cpus:1\"".to_owned()));
    let unknown = run_case("mesos.unknown", &json!({}), &json!({}));
    assert!(unknown.unwrap_err().contains("not handled"));
    let unchecked = run_case("mesos.attributes.equal", &json!({"a": "", "b": ""}), &json!({"equal": true, "extra": 1}));
    assert!(unchecked.unwrap_err().contains("not checked"));
}

#[test]
fn the_offers_event_fixture_parses() {
    let event: Json =
        serde_json::from_str(include_str!("../examples/mesos-offers-event.json")).expect("fixture is JSON");
    let offers = offerfit::host::mesos::offers_from_json(&event, "").expect("every offer parses");
    assert_eq!(offers.len(), 3);
    let hosts: Vec<&str> = offers.iter().map(|o| o.hostname.as_str()).collect();
    assert_eq!(hosts, ["mesos-agent-01.dc1.example", "mesos-agent-02.dc1.example", "mesos-agent-03.dc1.example"]);
    let zones: Vec<Option<&str>> = offers.iter().map(|o| o.zone.as_deref()).collect();
    assert_eq!(zones, [Some("us-east-1a"), Some("us-east-1b"), Some("us-east-1c")]);
    assert!(offers.iter().all(|o| o.region.as_deref() == Some("us-east-1")));
    assert!(offers.iter().all(|o| o.allocation_role.as_deref() == Some("openwhisk")));
    assert!(offers.iter().all(|o| o.framework_id.as_deref() == Some("5b7e2f3a-1c44-4d1e-9a0b-7f3c2d1e0a9b-0007")));

    let first = &offers[0];
    assert_eq!(
        (first.id.as_str(), first.agent_id.as_str()),
        ("5b7e2f3a-1c44-4d1e-9a0b-7f3c2d1e0a9b-O101", "5b7e2f3a-1c44-4d1e-9a0b-7f3c2d1e0a9b-S1")
    );
    assert_eq!(
        first.resources.to_string(),
        "cpus(allocated: openwhisk):8; mem(allocated: openwhisk):15360; disk(allocated: openwhisk):51200; \
         ports(allocated: openwhisk):[4000-5000, 7000-8000, 9000-10000, 25000-26000, 31000-32000]"
    );
    assert_eq!(first.attributes.to_string(), "node_id:mesos-agent-01;rack:r1;att1:v1;level:2.5");
    assert_eq!(first.attributes.value("level"), Some(&offerfit::Value::Scalar(2.5)));

    // Unreserved and reserved cpus stay apart; the PATH and MOUNT disks stay apart.
    let second = &offers[1];
    assert_eq!(second.resources.len(), 7);
    assert_eq!(second.resources.scalar("cpus"), Scalar::from_units(6));
    assert_eq!(second.resources.reserved_for("openwhisk").scalar("mem"), Scalar::from_units(2048));
    assert_eq!(second.resources.allocatable_to("*").scalar("cpus"), Scalar::from_units(4));
    let mount = second.resources.iter().find(|r| r.disk_source_type() == offerfit::DiskSourceType::Mount).unwrap();
    let source = mount.disk.as_ref().and_then(|d| d.source.as_ref()).unwrap();
    assert_eq!((source.root.as_deref(), source.profile.as_deref()), (Some("/mnt/flocker/ds-7f1c"), Some("fast-ssd")));
    assert_eq!(source.metadata.len(), 4);
    assert!(mount.is_exclusive());

    let third = &offers[2];
    assert_eq!(third.resources.scalar("gpus"), Scalar::from_units(2));
    assert_eq!(third.resources.ranges("ports").to_string(), "[31000-32000]");
    assert_eq!(third.attributes.value("att2"), Some(&offerfit::Value::Text("blackbox".into())));

    // What we read, written back as Mesos JSON, reads the same again.
    for o in &offers {
        let again = offerfit::host::mesos::offer_from_json(&offerfit::host::mesos::offer_to_json(o), "").unwrap();
        assert_eq!(&again, o);
    }
    // The plain array form and `{"offers": [...]}` read the same offers.
    let list = event["offers"]["offers"].clone();
    assert_eq!(offerfit::host::mesos::offers_from_json(&list, "").unwrap(), offers);
    let e = offerfit::host::mesos::offers_from_json(&json!({"offers": 3}), "/x").unwrap_err();
    assert_eq!((e[0].code.as_str(), e[0].path.as_deref()), ("request.type", Some("/x")));
}
