//! Where in a JSON document a problem is, and what was found there: JSON pointers built from
//! serde's paths, the names of JSON types for "found …" messages, and serde's own messages
//! trimmed and given a contract code. Shared by the Mesos readers and the wire.

use serde_json::Value as Json;

/// A JSON pointer: `base` followed by the serde path (`tasks[3].cpus` → `/tasks/3/cpus`).
pub fn pointer(base: &str, path: &serde_path_to_error::Path) -> String {
    let mut out = base.to_owned();
    for seg in path.iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// `a string`, `a number`, … for messages about a wrong JSON type.
pub(crate) fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The contract code and the message of a serde error raised while decoding a value: the
/// message without serde_json's " at line L column C" (decoding from a value has no
/// position, and the JSON pointer already says where).
pub(crate) fn serde_error(e: &serde_json::Error) -> (&'static str, String) {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        // INVARIANT: `i` is where `rfind` saw the ASCII " at line ": a char boundary.
        Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
        None => msg,
    };
    let code = if msg.starts_with("unknown field") {
        "request.unknown_field"
    } else if msg.starts_with("missing field") {
        "request.missing_field"
    } else if msg.starts_with("invalid type") {
        "request.type"
    } else if msg.starts_with("unknown variant") {
        "request.unknown_variant"
    } else {
        "request.invalid"
    };
    (code, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_keys_and_number_indices() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            #[serde(rename = "a/b~c")]
            list: Vec<u8>,
        }
        let e = serde_path_to_error::deserialize::<_, T>(serde_json::json!({"a/b~c": [1, "x"]})).unwrap_err();
        assert_eq!(pointer("/base", e.path()), "/base/a~1b~0c/1");
        assert_eq!(serde_error(e.inner()), ("request.type", "invalid type: string \"x\", expected u8".to_owned()));
    }

    #[test]
    fn kinds_name_every_json_type() {
        let all = serde_json::json!([null, true, 1, "s", [], {}]);
        let names: Vec<_> = all.as_array().unwrap().iter().map(kind).collect();
        assert_eq!(names, ["null", "a boolean", "a number", "a string", "an array", "an object"]);
    }
}
