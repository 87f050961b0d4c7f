//! Mesos v1 scheduler `Call` JSON (scheduler.proto, `Call`), in the field names protobuf's
//! JSON parser reads: snake_case, ids as `{"value": ...}`, `bytes` as the base64 text the
//! master sent. Every call after `SUBSCRIBED` names the framework id (rule 1).
//!
//! Each call is held as its JSON text ([`Call`]). The `ACCEPT`s, most of a step's bytes, are
//! written straight to text (no `serde_json::Value` tree), in the bytes the engine's
//! `accept_calls` builds as values (engine/output.rs); the other calls are small and built as
//! values first.

use serde_json::{json, Map, Value as Json};

use super::config::FrameworkConfig;
use super::mesos_io as io;
use super::output::Call;
use crate::decision::AgentAccept;
use crate::mesos::write_text::{put, Num};
use crate::model::TaskRequest;

fn id(v: &str) -> Json {
    json!({ "value": v })
}

fn ids<'a>(list: impl IntoIterator<Item = &'a str>) -> Json {
    Json::Array(list.into_iter().map(id).collect())
}

/// A call of `kind` with its body under `key` (omitted when `None`).
fn call(framework_id: Option<&str>, kind: &str, key: &str, body: Option<Json>) -> Json {
    let mut m = Map::new();
    if let Some(f) = framework_id {
        m.insert("framework_id".into(), id(f));
    }
    m.insert("type".into(), kind.into());
    if let Some(b) = body {
        m.insert(key.into(), b);
    }
    Json::Object(m)
}

/// The `FrameworkInfo` of `SUBSCRIBE` and `UPDATE_FRAMEWORK` (mesos.proto, `FrameworkInfo`):
/// `roles` with the `MULTI_ROLE` capability (the field is read only with it).
pub(crate) fn framework_info(f: &FrameworkConfig, framework_id: Option<&str>) -> Json {
    let mut m = Map::new();
    m.insert("user".into(), f.user.clone().into());
    m.insert("name".into(), f.name.clone().into());
    if let Some(fid) = framework_id {
        m.insert("id".into(), id(fid));
    }
    if let Some(t) = f.failover_timeout {
        m.insert("failover_timeout".into(), io::scalar_json(t));
    }
    if let Some(c) = f.checkpoint {
        m.insert("checkpoint".into(), c.into());
    }
    m.insert("roles".into(), json!(f.effective_roles()));
    if let Some(h) = &f.hostname {
        m.insert("hostname".into(), h.clone().into());
    }
    if let Some(p) = &f.principal {
        m.insert("principal".into(), p.clone().into());
    }
    if let Some(u) = &f.webui_url {
        m.insert("webui_url".into(), u.clone().into());
    }
    let mut caps = vec!["MULTI_ROLE".to_owned()];
    for c in &f.capabilities {
        if !caps.contains(c) {
            caps.push(c.clone());
        }
    }
    let caps: Vec<Json> = caps.into_iter().map(|c| json!({ "type": c })).collect();
    m.insert("capabilities".into(), Json::Array(caps));
    Json::Object(m)
}

/// `SUBSCRIBE`, with `framework_id` at the top and in the `FrameworkInfo` on a failover
/// (the master checks that they agree: master/validation.cpp, `call::validate`).
pub(crate) fn subscribe(
    f: &FrameworkConfig,
    framework_id: Option<&str>,
    suppressed: bool,
    offer_constraints: Option<&Json>,
) -> Call {
    let mut body = Map::new();
    body.insert("framework_info".into(), framework_info(f, framework_id));
    if suppressed {
        body.insert("suppressed_roles".into(), json!(f.effective_roles()));
    }
    if let Some(c) = offer_constraints {
        body.insert("offer_constraints".into(), c.clone());
    }
    Call::from_json("SUBSCRIBE", &call(framework_id, "SUBSCRIBE", "subscribe", Some(Json::Object(body))))
}

/// `UPDATE_FRAMEWORK` (new offer constraints).
pub(crate) fn update_framework(f: &FrameworkConfig, fid: &str, suppressed: bool, offer_constraints: &Json) -> Call {
    let mut body = Map::new();
    body.insert("framework_info".into(), framework_info(f, Some(fid)));
    if suppressed {
        body.insert("suppressed_roles".into(), json!(f.effective_roles()));
    }
    body.insert("offer_constraints".into(), offer_constraints.clone());
    Call::from_json(
        "UPDATE_FRAMEWORK",
        &call(Some(fid), "UPDATE_FRAMEWORK", "update_framework", Some(Json::Object(body))),
    )
}

/// `DECLINE` of `offers` with `filters.refuse_seconds` (written as text: it may name every
/// held offer).
pub(crate) fn decline<'a>(fid: &str, offers: impl IntoIterator<Item = &'a str>, refuse_seconds: f64) -> Call {
    let mut out = Vec::with_capacity(128);
    // Writing strings and numbers to a `Vec` cannot fail.
    let _ = (|| -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"framework_id":{"value":"#);
        put(&mut out, fid)?;
        out.extend_from_slice(br#"},"type":"DECLINE","decline":{"offer_ids":["#);
        write_ids(&mut out, offers)?;
        out.extend_from_slice(br#"],"filters":{"refuse_seconds":"#);
        put(&mut out, &Num(refuse_seconds))?;
        out.extend_from_slice(b"}}}");
        Ok(())
    })();
    Call::from_text("DECLINE", out)
}

/// `{"value":id},...` of `ids`.
fn write_ids<'a>(out: &mut Vec<u8>, ids: impl IntoIterator<Item = &'a str>) -> Result<(), serde_json::Error> {
    for (i, id) in ids.into_iter().enumerate() {
        out.extend_from_slice(if i == 0 { br#"{"value":"# } else { br#",{"value":"# });
        put(out, id)?;
        out.push(b'}');
    }
    Ok(())
}

/// The `ACCEPT` of one agent's accept (`RESERVE` / `CREATE` operations, then one `LAUNCH`,
/// `filters.refuse_seconds`), written straight to text by the engine's own writer of a
/// plan's calls ([`crate::engine::AcceptOut`]). `tasks` are the request's tasks the plan was
/// made from.
pub(crate) fn accept(tasks: &[TaskRequest], fid: &str, refuse_seconds: f64, acc: &AgentAccept<'_>) -> Call {
    let mut out = Vec::with_capacity(256 + 320 * acc.tasks.len());
    let view = crate::engine::AcceptOut { tasks, framework_id: fid, refuse_seconds, acc };
    // Writing strings, numbers and values to a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut out, &view);
    Call::from_text("ACCEPT", out)
}

/// `REVIVE` or `SUPPRESS` of the framework's roles.
pub(crate) fn revive_or_suppress(f: &FrameworkConfig, fid: &str, revive: bool) -> Call {
    let (kind, key) = if revive { ("REVIVE", "revive") } else { ("SUPPRESS", "suppress") };
    Call::from_json(kind, &call(Some(fid), kind, key, Some(json!({ "roles": f.effective_roles() }))))
}

/// `KILL` of a task (with its agent when known).
pub(crate) fn kill(fid: &str, task_id: &str, agent_id: Option<&str>) -> Call {
    let mut body = Map::new();
    body.insert("task_id".into(), id(task_id));
    if let Some(a) = agent_id {
        body.insert("agent_id".into(), id(a));
    }
    Call::from_json("KILL", &call(Some(fid), "KILL", "kill", Some(Json::Object(body))))
}

/// Whether `uuid` is the base64 text (standard or URL-safe alphabet, padded or not: what
/// protobuf's JSON parser reads into `bytes`) of exactly 16 bytes. A master refuses any other
/// acknowledgement: `scheduler::call::validate` (src/master/validation.cpp) reads the uuid of
/// `ACKNOWLEDGE` and of `ACKNOWLEDGE_OPERATION_STATUS` with `id::UUID::fromBytes`, which
/// takes 16 bytes only.
pub(crate) fn is_uuid_base64(uuid: &str) -> bool {
    let body = uuid.strip_suffix("==").unwrap_or(uuid);
    let standard = body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let url_safe = body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    // 16 bytes are 22 base64 digits (128 bits and 4 spare), `==` padding them to 24.
    body.len() == 22 && (standard || url_safe)
}

/// The error notice's text for a status whose uuid a master would refuse in an
/// acknowledgement ([`is_uuid_base64`]); `what` names the status.
pub(crate) fn unacknowledged(what: &str, uuid: &str) -> String {
    let shown: String = uuid.chars().take(64).collect();
    format!(
        "{what} carries the uuid `{shown}`, not the base64 of a 16-byte UUID: a master refuses an acknowledgement \
         of it (scheduler call validation), so none is sent"
    )
}

/// `ACKNOWLEDGE` of a status update (written as text: one per update, the most frequent
/// call after `ACCEPT`).
pub(crate) fn acknowledge(fid: &str, agent_id: &str, task_id: &str, uuid: &str) -> Call {
    let mut out = Vec::with_capacity(112 + fid.len() + agent_id.len() + task_id.len() + uuid.len());
    // Writing strings to a `Vec` cannot fail.
    let _ = (|| -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"framework_id":{"value":"#);
        put(&mut out, fid)?;
        out.extend_from_slice(br#"},"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"#);
        put(&mut out, agent_id)?;
        out.extend_from_slice(br#"},"task_id":{"value":"#);
        put(&mut out, task_id)?;
        out.extend_from_slice(br#"},"uuid":"#);
        put(&mut out, uuid)?;
        out.extend_from_slice(b"}}");
        Ok(())
    })();
    Call::from_text("ACKNOWLEDGE", out)
}

/// `ACKNOWLEDGE_OPERATION_STATUS`.
pub(crate) fn acknowledge_operation(
    fid: &str,
    agent_id: Option<&str>,
    resource_provider_id: Option<&str>,
    uuid: &str,
    operation_id: &str,
) -> Call {
    let mut body = Map::new();
    if let Some(a) = agent_id {
        body.insert("agent_id".into(), id(a));
    }
    if let Some(r) = resource_provider_id {
        body.insert("resource_provider_id".into(), id(r));
    }
    body.insert("uuid".into(), uuid.into());
    body.insert("operation_id".into(), id(operation_id));
    let kind = "ACKNOWLEDGE_OPERATION_STATUS";
    Call::from_json(kind, &call(Some(fid), kind, "acknowledge_operation_status", Some(Json::Object(body))))
}

/// `RECONCILE` of these (task id, agent id) pairs; none = implicit reconciliation.
pub(crate) fn reconcile<'a>(fid: &str, tasks: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Call {
    let list: Vec<Json> = tasks
        .into_iter()
        .map(|(t, a)| match a {
            Some(a) => json!({"task_id": id(t), "agent_id": id(a)}),
            None => json!({ "task_id": id(t) }),
        })
        .collect();
    Call::from_json("RECONCILE", &call(Some(fid), "RECONCILE", "reconcile", Some(json!({ "tasks": list }))))
}

/// `ACCEPT_INVERSE_OFFERS` or `DECLINE_INVERSE_OFFERS`.
pub(crate) fn answer_inverse<'a>(fid: &str, accept: bool, offers: impl IntoIterator<Item = &'a str>) -> Call {
    let (kind, key) = if accept {
        ("ACCEPT_INVERSE_OFFERS", "accept_inverse_offers")
    } else {
        ("DECLINE_INVERSE_OFFERS", "decline_inverse_offers")
    };
    Call::from_json(kind, &call(Some(fid), kind, key, Some(json!({ "inverse_offer_ids": ids(offers) }))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Options};

    /// The `ACCEPT` text is the bytes of the engine's value calls (`place` with a framework
    /// id), over the golden requests (disks, persistent volumes with `RESERVE` / `CREATE`,
    /// executors, ports, every profile) and a task with its own `TaskInfo` fields.
    #[test]
    fn accept_text_is_the_engines_calls() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/place");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".request.json"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        texts.sort();
        texts.push(
            r#"{"offers": [{"id": {"value": "o\"1"}, "agent_id": {"value": "a1"}, "hostname": "h1",
              "resources": "cpus:8;mem:4096;ports:[31000-31010]"}],
             "tasks": [{"id": "t\u00e91", "cpus": 1, "mem": 64, "ports": [0, 0],
                        "task_info": {"command": {"value": "x"}, "task_id": {"value": "old"},
                                      "container": {"type": "DOCKER", "docker": {"image": "i",
                                        "port_mappings": [{"container_port": 80}, {"container_port": 81, "host_port": 0}]}}}},
                       {"id": "t2", "cpus": 0.5, "mem": 1.25, "ports": [31005]}]}"#
                .into(),
        );
        let mut checked = 0;
        for text in texts {
            let mut json: Json = serde_json::from_str(&text).unwrap();
            json.as_object_mut().unwrap().remove("op");
            let dto = crate::dto::decode(json, "").unwrap();
            let (options, req) = crate::dto::place::request_from_json(dto).unwrap();
            let options = Options { framework_id: Some("F\"1".into()), ..options };
            let plan = Engine::new(options).unwrap().place(&req).unwrap();
            let calls = plan.calls_json().unwrap();
            for (k, a) in plan.accept.iter().enumerate() {
                let refuse = calls[k]["accept"]["filters"]["refuse_seconds"].as_f64().unwrap();
                let call = accept(&req.tasks, "F\"1", refuse, a);
                assert_eq!(call.as_str(), calls[k].to_string());
                assert_eq!((call.kind(), &call.to_json()), ("ACCEPT", &calls[k]));
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked}");
    }

    #[test]
    fn decline_text_is_the_value_calls() {
        let list = ["o1", "o\\2", "ö"];
        for refuse in [0.0, 5.0, 2.5, 1e300, f64::NAN] {
            let value = call(
                Some("F1"),
                "DECLINE",
                "decline",
                Some(json!({"offer_ids": ids(list), "filters": {"refuse_seconds": io::scalar_json(refuse)}})),
            );
            assert_eq!(decline("F1", list, refuse).as_str(), value.to_string());
        }
        assert_eq!(
            decline("F1", [], 5.0).as_str(),
            r#"{"framework_id":{"value":"F1"},"type":"DECLINE","decline":{"offer_ids":[],"filters":{"refuse_seconds":5}}}"#
        );
    }

    #[test]
    fn acknowledge_text_is_the_value_call() {
        for (fid, agent, task, uuid) in
            [("F1", "S1", "t1", "AAECAAAAAAAAAAAAAAAAAA=="), ("F\"1", "a\\b", "t\u{e9}\n", ""), ("", "", "", "x\u{1}y")]
        {
            let body = json!({"agent_id": id(agent), "task_id": id(task), "uuid": uuid});
            let value = call(Some(fid), "ACKNOWLEDGE", "acknowledge", Some(body));
            let text = acknowledge(fid, agent, task, uuid);
            assert_eq!(text.as_str(), value.to_string());
            assert_eq!((text.kind(), text.to_json()), ("ACKNOWLEDGE", value));
        }
        assert_eq!(
            acknowledge("F1", "S1", "t1", "U").as_str(),
            r#"{"framework_id":{"value":"F1"},"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"S1"},"task_id":{"value":"t1"},"uuid":"U"}}"#
        );
    }

    #[test]
    fn only_the_base64_of_16_bytes_is_a_uuid() {
        for ok in ["AAECAAAAAAAAAAAAAAAAAA==", "AAECAAAAAAAAAAAAAAAAAA", "-_8AAAAAAAAAAAAAAAAAAA"] {
            assert!(is_uuid_base64(ok), "{ok}");
        }
        for bad in [
            "",
            "AAEC",
            "AAECAAAAAAAAAAAAAAAAAAAA",
            "AAECAAAAAAAAAAAAAAAA!A==",
            "+_8AAAAAAAAAAAAAAAAAAA",
            "AAECAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(!is_uuid_base64(bad), "{bad}");
        }
    }
}
