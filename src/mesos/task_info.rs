//! Keys of a task's `task_info` that Mesos would drop.
//!
//! A master reads JSON into protobuf with stout's `protobuf::parse`
//! (3rdparty/stout/include/stout/protobuf.hpp): each key is looked up by its exact proto
//! field name (`FindFieldByName`) and a key that names no field is skipped without a word. So a
//! camelCase `portMappings` (protobuf's JSON name, which Mesos does not read) or a typo in a
//! `task_info` reaches no agent. [`unknown_fields`] finds them, against the field names of
//! Mesos 1.11.0's `TaskInfo` and the messages it reaches ([`super::task_info_fields`],
//! generated from the vendored proto by scripts/gen-task-info-fields.py).

use serde_json::Value as Json;

use super::task_info_fields::{FIELDS, LEAF, MAP, MESSAGES};

/// At most this many unknown keys are told per `task_info` (the rest are as likely typos of
/// the same kind, and an answer stays small).
pub(crate) const MOST: usize = 16;

/// One key Mesos would drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownField {
    /// The JSON pointer of the key inside the `task_info` (`/container/docker/portMappings`).
    pub(crate) pointer: String,
    /// The key as written.
    pub(crate) key: String,
    /// The message it is in, short (`ContainerInfo.DockerInfo`).
    pub(crate) message: &'static str,
    /// The field meant, when one is near: the snake_case form, else the closest name.
    pub(crate) suggestion: Option<&'static str>,
}

impl UnknownField {
    /// The warning that tells it (`task_info.unknown_field`, with a "did you mean" help).
    pub(crate) fn warning(&self) -> crate::error::Error {
        let message = format!(
            "expected a field of Mesos' `{}`, found `{}`: a master drops it without a word (Mesos reads JSON keys \
             by their proto field names)",
            self.message, self.key
        );
        let help = match self.suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("Mesos 1.11's `{}` has no field of this name", self.message),
        };
        crate::error::Error::invalid("task_info.unknown_field", message).with_help(help)
    }
}

/// The keys of `info` (a `TaskInfo` object) and of its nested messages that name no field of
/// their message, in document order, at most [`MOST`].
pub(crate) fn unknown_fields(info: &Json) -> Vec<UnknownField> {
    let mut out = Vec::new();
    let mut pointer = String::new();
    walk(info, 0, &mut pointer, &mut out);
    out
}

fn walk(value: &Json, message: usize, pointer: &mut String, out: &mut Vec<UnknownField>) {
    let Json::Object(map) = value else { return };
    let fields = FIELDS.get(message).copied().unwrap_or(&[]);
    for (key, v) in map {
        if out.len() >= MOST {
            return;
        }
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
        match fields.binary_search_by(|(name, _)| (*name).cmp(key.as_str())) {
            Ok(i) => {
                let kind = fields.get(i).map_or(LEAF, |f| f.1);
                if kind != LEAF && kind != MAP {
                    match v {
                        Json::Array(items) => {
                            for (j, item) in items.iter().enumerate() {
                                let at = pointer.len();
                                pointer.push_str(&format!("/{j}"));
                                walk(item, kind as usize, pointer, out);
                                pointer.truncate(at);
                            }
                        }
                        _ => walk(v, kind as usize, pointer, out),
                    }
                }
            }
            Err(_) => out.push(UnknownField {
                pointer: pointer.clone(),
                key: key.clone(),
                message: short_name(message),
                suggestion: suggest(key, fields),
            }),
        }
        pointer.truncate(len);
    }
}

/// `mesos.v1.ContainerInfo.DockerInfo` → `ContainerInfo.DockerInfo`.
fn short_name(message: usize) -> &'static str {
    let full = MESSAGES.get(message).copied().unwrap_or("");
    full.strip_prefix("mesos.v1.").unwrap_or(full)
}

/// The field `key` likely means: its snake_case form when that is a field (`taskId` →
/// `task_id`), else the closest name ([`crate::suggest::closest`]).
fn suggest(key: &str, fields: &[(&'static str, u16)]) -> Option<&'static str> {
    let mut snake = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if !snake.is_empty() {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    if let Ok(i) = fields.binary_search_by(|(name, _)| (*name).cmp(snake.as_str())) {
        return fields.get(i).map(|f| f.0);
    }
    let names: Vec<&'static str> = fields.iter().map(|f| f.0).collect();
    crate::suggest::closest(key, &names)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn camel_case_keys_are_found_with_their_snake_case_field() {
        let info = json!({
            "name": "web",
            "taskId": {"value": "t"},
            "container": {"type": "DOCKER", "docker": {"image": "nginx", "network": "BRIDGE",
                "portMappings": [{"host_port": 0, "container_port": 80}]},
                "network_infos": [{"port_mappings": [{"host_port": 0, "container_port": 80, "protocl": "tcp"}]}]},
            "labels": {"labels": [{"key": "a", "value": "b"}]},
            "limits": {"cpus": {"value": 2}}
        });
        let found = unknown_fields(&info);
        let got: Vec<(&str, &str, Option<&str>)> =
            found.iter().map(|u| (u.pointer.as_str(), u.message, u.suggestion)).collect();
        assert_eq!(
            got,
            [
                ("/taskId", "TaskInfo", Some("task_id")),
                ("/container/docker/portMappings", "ContainerInfo.DockerInfo", Some("port_mappings")),
                ("/container/network_infos/0/port_mappings/0/protocl", "NetworkInfo.PortMapping", Some("protocol")),
            ]
        );
    }

    #[test]
    fn a_task_info_of_known_fields_has_none_and_the_count_is_bounded() {
        let info = json!({"name": "x", "command": {"value": "sleep 1", "shell": true, "environment":
            {"variables": [{"name": "A", "value": "1"}]}}, "kill_policy": {"grace_period": {"nanoseconds": 1}}});
        assert!(unknown_fields(&info).is_empty());
        let many: serde_json::Map<String, Json> = (0..100).map(|i| (format!("k{i}"), json!(1))).collect();
        assert_eq!(unknown_fields(&Json::Object(many)).len(), MOST);
    }
}
