//! Every `marathon.resources.match`, `marathon.ports.match`, `marathon.volume_*` and
//! `mesos_actor.match` case of the conformance data, run through the public engine API under
//! the matching profile. A failing case is named with its id and source test.

use std::collections::{BTreeMap, BTreeSet};

use offerfit::constraint::Dialect;
use offerfit::{
    Attribute, Attributes, ConstraintSpec, DiskInfo, DiskSource, DiskSourceType, Engine, GpuScheduling, Label, Offer,
    Options, PlaceRequest, Plan, Profile, Range, Ranges, Reservation, ReservationType, Resource, ResourceValue,
    Resources, Scalar, TaskRequest, Value, VolumeRequest,
};
use serde_json::Value as Json;

const NOW: f64 = 1_000_000.0;

fn vectors() -> Vec<Json> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance/vectors.json"))
        .expect("vectors.json");
    let v: Json = serde_json::from_str(&text).expect("json");
    v["cases"].as_array().expect("cases").clone()
}

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn scalar(v: &Json) -> Scalar {
    Scalar::from_f64(f(v)).expect("scalar")
}

fn ranges(v: &Json) -> Ranges {
    Ranges::from_pairs(
        v.as_array().expect("ranges").iter().map(|p| (p[0].as_u64().expect("begin"), p[1].as_u64().expect("end"))),
    )
    .expect("ranges")
}

/// A legacy-role resource of the conformance schema as a model resource.
fn resource(r: &Json) -> Resource {
    let value = if r.get("ranges").is_some() {
        ResourceValue::Ranges(ranges(&r["ranges"]))
    } else {
        ResourceValue::Scalar(scalar(&r["scalar"]))
    };
    let mut res = Resource::new(r["name"].as_str().expect("name"), value);
    let role = r["role"].as_str().unwrap_or("*");
    if role != "*" {
        match r.get("reservation") {
            Some(resv) => res.reservations.push(Reservation {
                kind: ReservationType::Dynamic,
                role: role.into(),
                principal: resv["principal"].as_str().map(Into::into),
                labels: resv["labels"]
                    .as_object()
                    .map(|m| {
                        m.iter().map(|(k, v)| Label { key: k.clone(), value: v.as_str().map(Into::into) }).collect()
                    })
                    .unwrap_or_default(),
            }),
            None => res.reservations.push(Reservation::static_for(role)),
        }
    }
    if let Some(src) = r.get("disk_source") {
        let kind = match src["type"].as_str().expect("type") {
            "PATH" => DiskSourceType::Path,
            "MOUNT" => DiskSourceType::Mount,
            "RAW" => DiskSourceType::Raw,
            "BLOCK" => DiskSourceType::Block,
            other => panic!("disk source {other}"),
        };
        res.disk = Some(Box::new(DiskInfo {
            persistence: None,
            volume: None,
            source: Some(DiskSource {
                kind,
                root: src["root"].as_str().map(Into::into),
                profile: src["profile"].as_str().map(Into::into),
                vendor: None,
                id: None,
                metadata: Vec::new(),
            }),
        }));
    }
    res
}

fn resources(list: &Json) -> Resources {
    let mut out = Resources::new();
    for r in list.as_array().expect("resources") {
        out.push(resource(r));
    }
    out
}

fn attributes(list: &Json) -> Attributes {
    let mut out = Vec::new();
    for a in list.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let value = match a["type"].as_str().expect("type") {
            "TEXT" => Value::Text(a["text"].as_str().expect("text").into()),
            "SCALAR" => Value::Scalar(f(&a["scalar"])),
            "RANGES" => Value::Ranges(ranges(&a["ranges"])),
            other => panic!("attribute type {other}"),
        };
        out.push(Attribute { name: a["name"].as_str().expect("name").into(), value });
    }
    Attributes(out)
}

fn reason_name(code: &str) -> &'static str {
    match code {
        "role" => "UnfulfilledRole",
        "constraint" => "UnfulfilledConstraint",
        "maintenance" => "AgentMaintenance",
        "scarce_resources" => "DeclinedScarceResources",
        "insufficient_cpus" => "InsufficientCpus",
        "insufficient_mem" => "InsufficientMemory",
        "insufficient_disk" => "InsufficientDisk",
        "insufficient_gpus" => "InsufficientGpus",
        "insufficient_ports" => "InsufficientPorts",
        "insufficient_volume" => "InsufficientDisk",
        "region" => "UnfulfilledRegion",
        "reservation" => "UnfulfilledReservation",
        _ => "Other",
    }
}

fn run(options: Options, request: &PlaceRequest) -> Plan<'_> {
    Engine::new(options).expect("options").place(request).expect("place")
}

/// Checks that every key of `expect` was handled.
fn known_keys(expect: &Json, known: &[&str]) -> Result<(), String> {
    for k in expect.as_object().expect("expect").keys() {
        if !known.contains(&k.as_str()) {
            return Err(format!("unhandled expect key `{k}`"));
        }
    }
    Ok(())
}

fn marathon_resources(input: &Json, expect: &Json) -> Result<(), String> {
    let offer_in = &input["offer"];
    let app = &input["app"];
    let mut offer = Offer::new("O1", "S1", offer_in["hostname"].as_str().unwrap_or("localhost"));
    offer.resources = resources(&offer_in["resources"]);
    offer.region = offer_in["region"].as_str().map(Into::into);
    offer.zone = offer_in["zone"].as_str().map(Into::into);
    if let Some(u) = offer_in.get("unavailability") {
        offer.unavailability = Some(offerfit::Unavailability {
            start_ns: ((NOW + f(&u["start_offset_seconds"])) * 1e9) as i64,
            duration_ns: u.get("duration_seconds").map(|d| (f(d) * 1e9) as i64),
        });
    }
    let mut task = TaskRequest::new("app");
    task.cpus = scalar(&app["cpus"]);
    task.mem = scalar(&app["mem"]);
    task.disk = scalar(&app["disk"]);
    task.gpus = scalar(&app["gpus"]);
    let mut slots = 0;
    if let Some(maps) = app.get("port_mappings").and_then(Json::as_array) {
        slots = maps.len();
        task.ports = maps.iter().filter_map(|m| m["host_port"].as_u64()).collect();
    } else {
        let defs = app["port_definitions"].as_array().expect("port_definitions");
        task.ports = if app["require_ports"].as_bool() == Some(true) {
            defs.iter().map(|p| p.as_u64().expect("port")).collect()
        } else {
            vec![0; defs.len()]
        };
    }
    match input["selector"]["kind"].as_str() {
        Some("any") => {
            let roles: Vec<String> = input["selector"]["roles"]
                .as_array()
                .expect("roles")
                .iter()
                .map(|r| r.as_str().unwrap().into())
                .collect();
            task.accepted_roles = Some(match app.get("accepted_resource_roles").and_then(Json::as_array) {
                Some(list) => list.iter().map(|r| r.as_str().unwrap().into()).collect(),
                None => roles,
            });
        }
        Some("reservable") => task.accepted_roles = Some(vec!["*".into()]),
        other => return Err(format!("selector {other:?}")),
    }
    if let Some(c) = app.get("constraints").and_then(Json::as_array) {
        task.constraints = c
            .iter()
            .map(|x| ConstraintSpec::Fields(x.as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect()))
            .collect();
    }
    if let Some(g) = app.get("labels").and_then(|l| l.get("GPU_SCHEDULING_BEHAVIOR")).and_then(Json::as_str) {
        task.gpu_scheduling =
            Some(if g == "restricted" { GpuScheduling::Restricted } else { GpuScheduling::Unrestricted });
    }
    for (i, v) in
        app.get("persistent_volumes").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]).iter().enumerate()
    {
        let mut vol = VolumeRequest::new(scalar(&v["size"]));
        vol.kind = match v["type"].as_str().unwrap_or("ROOT") {
            "PATH" => DiskSourceType::Path,
            "MOUNT" => DiskSourceType::Mount,
            _ => DiskSourceType::Root,
        };
        vol.max_size = v.get("max_size").map(scalar);
        vol.persistence_id = Some(format!("pv-{i}"));
        // A resident app reserves for Marathon's role (`--mesos_role`), never for `*`.
        task.role.get_or_insert_with(|| "marathon".into());
        vol.require = v
            .get("constraints")
            .and_then(Json::as_array)
            .map(|c| {
                c.iter()
                    .map(|x| {
                        ConstraintSpec::Fields(
                            x.as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        task.volumes.push(vol);
    }
    let cfg = input.get("config").cloned().unwrap_or(Json::Null);
    let mut options = Options { profile: Profile::Marathon, roles: vec!["*".into()], ..Options::default() };
    options.local_region = cfg.get("local_region").and_then(Json::as_str).map(Into::into);
    if cfg.get("gpu_scheduling_behavior").and_then(Json::as_str) == Some("unrestricted") {
        options.gpu_scheduling = GpuScheduling::Unrestricted;
    }
    // Marathon's maintenance check is on unless `maintenance_mode` is false.
    if cfg.get("maintenance_mode").and_then(Json::as_bool) != Some(false) {
        options.now = Some(NOW);
        options.drain_seconds = cfg.get("draining_seconds").map_or(0.0, f);
    }
    let request = PlaceRequest { offers: vec![offer], tasks: vec![task], running: vec![] };
    let plan = run(options, &request);
    let launch = plan.accept.first().and_then(|a| a.tasks.first());
    let reasons: Vec<&str> = plan
        .unplaced
        .first()
        .map(|u| u.reasons.iter().map(|r| reason_name(r.code.as_str())).collect())
        .unwrap_or_default();
    known_keys(
        expect,
        &[
            "matched",
            "reasons",
            "reasons_exact",
            "reasons_contain",
            "reasons_not_contain",
            "first_reason",
            "consumed_roles",
            "disk_consumed",
            "host_port_count",
            "host_port_slots",
            "host_ports_defined",
        ],
    )?;
    if let Some(m) = expect["matched"].as_bool() {
        if m != launch.is_some() {
            return Err(format!("matched: expected {m}, reasons {reasons:?}"));
        }
    }
    if let Some(list) = expect.get("reasons").and_then(Json::as_array) {
        let want: BTreeSet<&str> = list.iter().filter_map(Json::as_str).collect();
        let got: BTreeSet<&str> = reasons.iter().copied().collect();
        let exact = expect.get("reasons_exact").and_then(Json::as_bool) == Some(true);
        if (exact && want != got) || (!exact && !want.is_subset(&got)) {
            return Err(format!("reasons: expected {want:?}, got {got:?}"));
        }
    }
    for r in expect.get("reasons_contain").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]) {
        if !reasons.contains(&r.as_str().unwrap_or("")) {
            return Err(format!("reasons {reasons:?} lack {r}"));
        }
    }
    for r in expect.get("reasons_not_contain").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]) {
        if reasons.contains(&r.as_str().unwrap_or("")) {
            return Err(format!("reasons {reasons:?} contain {r}"));
        }
    }
    if let Some(r) = expect.get("first_reason").and_then(Json::as_str) {
        if reasons.first() != Some(&r) {
            return Err(format!("first reason: expected {r}, got {reasons:?}"));
        }
    }
    if let Some(roles) = expect.get("consumed_roles").and_then(Json::as_object) {
        let l = launch.ok_or("no launch")?;
        for (name, want) in roles {
            let got: Vec<&str> = l.resources.iter().filter(|r| r.name == *name).map(|r| r.role()).collect();
            let want: Vec<&str> = want.as_array().unwrap().iter().filter_map(Json::as_str).collect();
            if got != want {
                return Err(format!("consumed roles of {name}: expected {want:?}, got {got:?}"));
            }
        }
    }
    if let Some(d) = expect.get("disk_consumed").and_then(Json::as_bool) {
        let got = launch.is_some_and(|l| l.resources.iter().any(|r| r.name == "disk"));
        if got != d {
            return Err(format!("disk_consumed: expected {d}"));
        }
    }
    let ports = launch.map_or(0, |l| l.ports.len());
    if let Some(n) = expect.get("host_port_count").and_then(Json::as_u64) {
        if ports as u64 != n {
            return Err(format!("host_port_count: expected {n}, got {ports}"));
        }
    }
    if let Some(n) = expect.get("host_port_slots").and_then(Json::as_u64) {
        if slots as u64 != n || launch.is_none() {
            return Err(format!("host_port_slots: expected {n}, got {slots}"));
        }
    }
    if let Some(n) = expect.get("host_ports_defined").and_then(Json::as_u64) {
        if ports as u64 != n {
            return Err(format!("host_ports_defined: expected {n}, got {ports}"));
        }
    }
    Ok(())
}

fn marathon_ports(input: &Json, expect: &Json) -> Result<(), String> {
    let mut offer = Offer::new("O1", "S1", "localhost");
    let mut list = Resources::new();
    for p in input["offer_ports"].as_array().expect("offer_ports") {
        let mut r = Resource::new("ports", ResourceValue::Ranges(ranges(&p["ranges"])));
        let role = p["role"].as_str().unwrap_or("*");
        if role != "*" {
            r.reservations.push(Reservation::static_for(role));
        }
        list.push(r);
    }
    offer.resources = list;
    let mut task = TaskRequest::new("app");
    task.accepted_roles =
        Some(input["accepted_roles"].as_array().expect("roles").iter().map(|r| r.as_str().unwrap().into()).collect());
    let req = &input["request"];
    task.ports = match req["mode"].as_str() {
        Some("port_definitions") => {
            let ports = req["ports"].as_array().expect("ports");
            if req["require_ports"].as_bool() == Some(true) {
                ports.iter().map(|p| p.as_u64().unwrap()).collect()
            } else {
                vec![0; ports.len()]
            }
        }
        Some("port_mappings") => req["host_ports"].as_array().unwrap().iter().filter_map(Json::as_u64).collect(),
        other => return Err(format!("mode {other:?}")),
    };
    if task.ports.is_empty() {
        // A PortsMatcher case that asks for no port: Mesos refuses a task without resources
        // (validation.cpp, "Task uses no resources"), so the task asks for a sliver of cpus
        // the offer holds (under its first accepted role), which leaves the port match as it is.
        let role = task.accepted_roles.as_ref().and_then(|r| r.first()).cloned().unwrap_or_else(|| "*".into());
        let mut cpus = Resource::new("cpus", ResourceValue::Scalar(Scalar::from_units(1)));
        if role != "*" {
            cpus.reservations.push(Reservation::static_for(&role));
        }
        offer.resources.push(cpus);
        task.cpus = Scalar::from_millis(1);
    }
    let options = Options { profile: Profile::Marathon, seed: 7, ..Options::default() };
    let request = PlaceRequest { offers: vec![offer], tasks: vec![task], running: vec![] };
    let plan = run(options, &request);
    let launch = plan.accept.first().and_then(|a| a.tasks.first());
    known_keys(
        expect,
        &[
            "matched",
            "host_ports",
            "host_ports_set",
            "count",
            "each_port_within",
            "roles",
            "roles_set",
            "ports_with_role_set",
        ],
    )?;
    if let Some(m) = expect["matched"].as_bool() {
        if m != launch.is_some() {
            return Err(format!("matched: expected {m}"));
        }
    }
    let Some(l) = launch else { return Ok(()) };
    let got_ports: Vec<u64> = l.ports.clone();
    if let Some(h) = expect.get("host_ports").and_then(Json::as_array) {
        let want: Vec<u64> = h.iter().filter_map(Json::as_u64).collect();
        if want != got_ports {
            return Err(format!("host_ports: expected {want:?}, got {got_ports:?}"));
        }
    }
    if let Some(h) = expect.get("host_ports_set").and_then(Json::as_array) {
        let want: BTreeSet<u64> = h.iter().filter_map(Json::as_u64).collect();
        let got: BTreeSet<u64> = got_ports.iter().copied().collect();
        if want != got {
            return Err(format!("host_ports_set: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(n) = expect.get("count").and_then(Json::as_u64) {
        if got_ports.len() as u64 != n {
            return Err(format!("count: expected {n}, got {}", got_ports.len()));
        }
    }
    if let Some(w) = expect.get("each_port_within") {
        let within = ranges(w);
        if let Some(p) = got_ports.iter().find(|p| !within.contains_value(**p)) {
            return Err(format!("port {p} outside {within}"));
        }
    }
    let role_of = |port: u64| -> Option<String> {
        l.resources
            .iter()
            .find(|r| r.name == "ports" && r.ranges().is_some_and(|x| x.contains_value(port)))
            .map(|r| r.role().to_owned())
    };
    let roles: Vec<String> = l.resources.iter().filter(|r| r.name == "ports").map(|r| r.role().to_owned()).collect();
    if let Some(want) = expect.get("roles").and_then(Json::as_array) {
        let want: Vec<String> = want.iter().filter_map(|r| r.as_str().map(Into::into)).collect();
        if want != roles {
            return Err(format!("roles: expected {want:?}, got {roles:?}"));
        }
    }
    if let Some(want) = expect.get("roles_set").and_then(Json::as_array) {
        let want: BTreeSet<String> = want.iter().filter_map(|r| r.as_str().map(Into::into)).collect();
        let got: BTreeSet<String> = roles.iter().cloned().collect();
        if want != got {
            return Err(format!("roles_set: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(want) = expect.get("ports_with_role_set").and_then(Json::as_array) {
        let want: BTreeSet<(u64, String)> =
            want.iter().map(|p| (p[0].as_u64().unwrap(), p[1].as_str().unwrap().to_owned())).collect();
        let got: BTreeSet<(u64, String)> = got_ports.iter().map(|p| (*p, role_of(*p).unwrap_or_default())).collect();
        if want != got {
            return Err(format!("ports_with_role_set: expected {want:?}, got {got:?}"));
        }
    }
    Ok(())
}

/// A PATH or MOUNT disk with the case's source, and a task with one volume on it.
fn volume_case(kind: DiskSourceType, root: Option<&str>, profile: Option<&str>, vol: VolumeRequest) -> bool {
    let mut offer = Offer::new("O1", "S1", "host");
    let mut disk = Resource::new("disk", ResourceValue::Scalar(Scalar::from_units(1024)));
    disk.disk = Some(Box::new(DiskInfo {
        persistence: None,
        volume: None,
        source: Some(DiskSource {
            kind,
            root: root.map(Into::into),
            profile: profile.map(Into::into),
            vendor: None,
            id: None,
            metadata: Vec::new(),
        }),
    }));
    let mut list = Resources::new();
    list.push(disk);
    offer.resources = list;
    let mut task = TaskRequest::new("app");
    task.volumes.push(vol);
    let options = Options { profile: Profile::Marathon, ..Options::default() };
    let request = PlaceRequest { offers: vec![offer], tasks: vec![task], running: vec![] };
    let plan = run(options, &request);
    !plan.accept.is_empty()
}

fn volume_constraint(input: &Json, expect: &Json) -> Result<(), String> {
    known_keys(expect, &["matches"])?;
    let kind = match input["disk_source_type"].as_str() {
        Some("MOUNT") => DiskSourceType::Mount,
        _ => DiskSourceType::Path,
    };
    let c = &input["constraint"];
    let mut vol = VolumeRequest::new(Scalar::from_units(1));
    vol.kind = kind;
    vol.require = vec![ConstraintSpec::Object {
        field: c["field"].as_str().unwrap().into(),
        operator: c["operator"].as_str().unwrap().into(),
        value: c["value"].as_str().filter(|v| !v.is_empty()).map(Into::into),
    }];
    let got = volume_case(kind, input["disk_path"].as_str(), None, vol);
    let want = expect["matches"].as_bool().unwrap();
    if got != want {
        return Err(format!("matches: expected {want}, got {got}"));
    }
    Ok(())
}

fn volume_profile(input: &Json, expect: &Json) -> Result<(), String> {
    known_keys(expect, &["matches"])?;
    let mut vol = VolumeRequest::new(Scalar::from_units(1));
    vol.kind = DiskSourceType::Mount;
    vol.profile = input["required_profile"].as_str().map(Into::into);
    let got = volume_case(DiskSourceType::Mount, Some("/mnt/a"), input["disk_profile"].as_str(), vol);
    let want = expect["matches"].as_bool().unwrap();
    if got != want {
        return Err(format!("matches: expected {want}, got {got}"));
    }
    Ok(())
}

fn mesos_actor(input: &Json, expect: &Json) -> Result<(), String> {
    let role = input["role"].as_str().unwrap_or("*").to_owned();
    let mut offers = Vec::new();
    for o in input["offers"].as_array().expect("offers") {
        let id = o["id"].as_str().unwrap();
        let mut offer = Offer::new(id, format!("agent-{id}"), o["hostname"].as_str().unwrap());
        // Like resources merge (the fixture's two unreserved cpus of O59 become one; Mesos
        // never sends them split).
        offer.resources = resources(&o["resources"]);
        offer.attributes = attributes(&o["attributes"]);
        offers.push(offer);
    }
    let mut tasks = Vec::new();
    for t in input["tasks"].as_array().expect("tasks") {
        let mut task = TaskRequest::new(t["task_id"].as_str().unwrap());
        task.cpus = scalar(&t["cpus"]);
        task.mem = scalar(&t["mem"]);
        task.ports = vec![0; t["ports"].as_array().map_or(0, Vec::len)];
        task.dialect = Dialect::OpenWhisk;
        task.constraints = t["constraints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let c: Vec<&str> = c.as_array().unwrap().iter().filter_map(Json::as_str).collect();
                ConstraintSpec::Text(c.join(" "))
            })
            .collect();
        tasks.push(task);
    }
    let mut blacklist = BTreeMap::new();
    for (host, ports) in input["port_blacklist"].as_object().unwrap() {
        blacklist.insert(host.clone(), ports.as_array().unwrap().iter().filter_map(Json::as_u64).collect());
    }
    let options = Options {
        profile: Profile::MesosActor,
        roles: vec![role.clone()],
        port_blacklist: blacklist,
        ..Options::default()
    };
    let request = PlaceRequest { offers: offers.clone(), tasks: tasks.clone(), running: vec![] };
    let plan = run(options, &request);
    known_keys(
        expect,
        &[
            "matched_offer_count",
            "matched_task_ids",
            "matched_task_ids_in_order",
            "unmatched_task_ids",
            "matched",
            "host_port_sequence",
            "remaining_mem_cpus_ports",
        ],
    )?;
    let placed: Vec<&str> = plan.accept.iter().flat_map(|a| a.tasks.iter().map(|t| t.task_id)).collect();
    if let Some(n) = expect.get("matched_offer_count").and_then(Json::as_u64) {
        if plan.accept.len() as u64 != n {
            return Err(format!("matched_offer_count: expected {n}, got {}", plan.accept.len()));
        }
    }
    if let Some(ids) = expect.get("matched_task_ids").and_then(Json::as_array) {
        let want: BTreeSet<&str> = ids.iter().filter_map(Json::as_str).collect();
        let got: BTreeSet<&str> = placed.iter().copied().collect();
        if want != got {
            return Err(format!("matched_task_ids: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(ids) = expect.get("matched_task_ids_in_order").and_then(Json::as_array) {
        let want: Vec<&str> = ids.iter().filter_map(Json::as_str).collect();
        if want != placed {
            return Err(format!("matched_task_ids_in_order: expected {want:?}, got {placed:?}"));
        }
    }
    if let Some(ids) = expect.get("unmatched_task_ids").and_then(Json::as_array) {
        let want: BTreeSet<&str> = ids.iter().filter_map(Json::as_str).collect();
        let got: BTreeSet<&str> = plan.unplaced.iter().map(|u| u.task_id).collect();
        if want != got {
            return Err(format!("unmatched_task_ids: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(m) = expect.get("matched").and_then(Json::as_object) {
        let mut got: BTreeMap<String, Vec<(String, Vec<u64>)>> = BTreeMap::new();
        for a in &plan.accept {
            let [offer] = a.offer_ids.as_slice() else { return Err("one offer per accept".into()) };
            got.insert(offer.to_string(), a.tasks.iter().map(|t| (t.task_id.to_owned(), t.ports.clone())).collect());
        }
        let want: BTreeMap<String, Vec<(String, Vec<u64>)>> = m
            .iter()
            .map(|(k, v)| {
                let list = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap().to_owned(),
                            p[1].as_array().unwrap().iter().filter_map(Json::as_u64).collect(),
                        )
                    })
                    .collect();
                (k.clone(), list)
            })
            .collect();
        if want != got {
            return Err(format!("matched: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(seq) = expect.get("host_port_sequence").and_then(Json::as_array) {
        let want: Vec<u64> = seq.iter().filter_map(Json::as_u64).collect();
        let got: Vec<u64> = plan.accept.iter().flat_map(|a| a.tasks.iter().flat_map(|t| t.ports.clone())).collect();
        if want != got {
            return Err(format!("host_port_sequence: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(rem) = expect.get("remaining_mem_cpus_ports").and_then(Json::as_object) {
        for (offer_id, want) in rem {
            let resources = match plan.accept.iter().find(|a| a.offer_ids.contains(&offer_id.as_str())) {
                Some(a) => a.remaining.clone(),
                None => offers.iter().find(|o| o.id == *offer_id).ok_or("unknown offer")?.resources.clone(),
            };
            let first = |name: &str| resources.iter().find(|r| r.name == name && r.role() == role);
            let mem = first("mem").and_then(Resource::scalar).map_or(0.0, Scalar::to_f64) as f32;
            let cpus = first("cpus").and_then(Resource::scalar).map_or(0.0, Scalar::to_f64) as f32;
            // Blacklisted ports are not subtracted from mesos-actor's count.
            let taken: u64 = plan
                .accept
                .iter()
                .filter(|a| a.offer_ids.contains(&offer_id.as_str()))
                .flat_map(|a| a.tasks.iter().map(|t| t.ports.len() as u64))
                .sum();
            let original = offers.iter().find(|o| o.id == *offer_id).ok_or("unknown offer")?;
            let ports = original
                .resources
                .iter()
                .find(|r| r.name == "ports" && r.role() == role)
                .and_then(Resource::ranges)
                .map_or(0, Ranges::value_count)
                - taken;
            let w = want.as_array().unwrap();
            let got = (mem, cpus, ports);
            let want = (f(&w[0]) as f32, f(&w[1]) as f32, w[2].as_u64().unwrap());
            if got != want {
                return Err(format!("remaining of {offer_id}: expected {want:?}, got {got:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_placement_case_passes() {
    let mut failures = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for case in vectors() {
        let kind = case["kind"].as_str().unwrap_or("");
        let result = match kind {
            "marathon.resources.match" => marathon_resources(&case["input"], &case["expect"]),
            "marathon.ports.match" => marathon_ports(&case["input"], &case["expect"]),
            "marathon.volume_constraint.eval" => volume_constraint(&case["input"], &case["expect"]),
            "marathon.volume_profile.match" => volume_profile(&case["input"], &case["expect"]),
            "mesos_actor.match" => mesos_actor(&case["input"], &case["expect"]),
            _ => continue,
        };
        *counts.entry(kind.to_owned()).or_default() += 1;
        if let Err(e) = result {
            failures.push(format!(
                "{} ({} :: {}): {e}",
                case["id"].as_str().unwrap_or("?"),
                case["source"]["path"].as_str().unwrap_or("?"),
                case["source"]["test"].as_str().unwrap_or("?")
            ));
        }
    }
    for kind in [
        "marathon.resources.match",
        "marathon.ports.match",
        "marathon.volume_constraint.eval",
        "marathon.volume_profile.match",
        "mesos_actor.match",
    ] {
        assert!(counts.get(kind).copied().unwrap_or(0) > 0, "no `{kind}` case ran");
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn range_helper_reads_pairs() {
    assert_eq!(ranges(&serde_json::json!([[1, 2], [3, 4]])), Ranges::from_ranges([Range { begin: 1, end: 4 }]));
}
