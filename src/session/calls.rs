//! Mesos v1 scheduler `Call` JSON (scheduler.proto, `Call`), in the field names protobuf's
//! JSON parser reads: snake_case, ids as `{"value": ...}`, `bytes` as the base64 text the
//! master sent. Every call after `SUBSCRIBED` names the framework id (rule 1).

use serde_json::{json, Map, Value as Json};

use super::config::FrameworkConfig;
use super::mesos_io as io;

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
) -> Json {
    let mut body = Map::new();
    body.insert("framework_info".into(), framework_info(f, framework_id));
    if suppressed {
        body.insert("suppressed_roles".into(), json!(f.effective_roles()));
    }
    if let Some(c) = offer_constraints {
        body.insert("offer_constraints".into(), c.clone());
    }
    call(framework_id, "SUBSCRIBE", "subscribe", Some(Json::Object(body)))
}

/// `UPDATE_FRAMEWORK` (new offer constraints).
pub(crate) fn update_framework(f: &FrameworkConfig, fid: &str, suppressed: bool, offer_constraints: &Json) -> Json {
    let mut body = Map::new();
    body.insert("framework_info".into(), framework_info(f, Some(fid)));
    if suppressed {
        body.insert("suppressed_roles".into(), json!(f.effective_roles()));
    }
    body.insert("offer_constraints".into(), offer_constraints.clone());
    call(Some(fid), "UPDATE_FRAMEWORK", "update_framework", Some(Json::Object(body)))
}

/// `DECLINE` of `offers` with `filters.refuse_seconds`.
pub(crate) fn decline<'a>(fid: &str, offers: impl IntoIterator<Item = &'a str>, refuse_seconds: f64) -> Json {
    let body = json!({"offer_ids": ids(offers), "filters": {"refuse_seconds": io::scalar_json(refuse_seconds)}});
    call(Some(fid), "DECLINE", "decline", Some(body))
}

/// `REVIVE` or `SUPPRESS` of the framework's roles.
pub(crate) fn revive_or_suppress(f: &FrameworkConfig, fid: &str, revive: bool) -> Json {
    let (kind, key) = if revive { ("REVIVE", "revive") } else { ("SUPPRESS", "suppress") };
    call(Some(fid), kind, key, Some(json!({ "roles": f.effective_roles() })))
}

/// `KILL` of a task (with its agent when known).
pub(crate) fn kill(fid: &str, task_id: &str, agent_id: Option<&str>) -> Json {
    let mut body = Map::new();
    body.insert("task_id".into(), id(task_id));
    if let Some(a) = agent_id {
        body.insert("agent_id".into(), id(a));
    }
    call(Some(fid), "KILL", "kill", Some(Json::Object(body)))
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

/// `ACKNOWLEDGE` of a status update.
pub(crate) fn acknowledge(fid: &str, agent_id: &str, task_id: &str, uuid: &str) -> Json {
    let body = json!({"agent_id": id(agent_id), "task_id": id(task_id), "uuid": uuid});
    call(Some(fid), "ACKNOWLEDGE", "acknowledge", Some(body))
}

/// `ACKNOWLEDGE_OPERATION_STATUS`.
pub(crate) fn acknowledge_operation(
    fid: &str,
    agent_id: Option<&str>,
    resource_provider_id: Option<&str>,
    uuid: &str,
    operation_id: &str,
) -> Json {
    let mut body = Map::new();
    if let Some(a) = agent_id {
        body.insert("agent_id".into(), id(a));
    }
    if let Some(r) = resource_provider_id {
        body.insert("resource_provider_id".into(), id(r));
    }
    body.insert("uuid".into(), uuid.into());
    body.insert("operation_id".into(), id(operation_id));
    call(Some(fid), "ACKNOWLEDGE_OPERATION_STATUS", "acknowledge_operation_status", Some(Json::Object(body)))
}

/// `RECONCILE` of these (task id, agent id) pairs; none = implicit reconciliation.
pub(crate) fn reconcile<'a>(fid: &str, tasks: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Json {
    let list: Vec<Json> = tasks
        .into_iter()
        .map(|(t, a)| match a {
            Some(a) => json!({"task_id": id(t), "agent_id": id(a)}),
            None => json!({ "task_id": id(t) }),
        })
        .collect();
    call(Some(fid), "RECONCILE", "reconcile", Some(json!({ "tasks": list })))
}

/// `ACCEPT_INVERSE_OFFERS` or `DECLINE_INVERSE_OFFERS`.
pub(crate) fn answer_inverse<'a>(fid: &str, accept: bool, offers: impl IntoIterator<Item = &'a str>) -> Json {
    let (kind, key) = if accept {
        ("ACCEPT_INVERSE_OFFERS", "accept_inverse_offers")
    } else {
        ("DECLINE_INVERSE_OFFERS", "decline_inverse_offers")
    };
    call(Some(fid), kind, key, Some(json!({ "inverse_offer_ids": ids(offers) })))
}

#[cfg(test)]
mod tests {
    use super::*;

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
