//! Talking to the core: build a contract request, send it through [`offerfit::call`], decode
//! the answer; read the files and arguments the requests are made of.

use std::io::Read;

use serde_json::{json, Map, Value as Json};

use crate::UsageError;

/// The decoded answer to one contract request.
#[derive(Debug)]
pub enum Answer {
    /// `ok: true`: the result fields (without `ok`).
    Ok(Map<String, Json>),
    /// `ok: false`: the contract error objects.
    Refused(Vec<Json>),
}

/// Sends `request` (a JSON object with an `op`) to the core and decodes the answer.
pub fn ask(request: Json) -> Answer {
    decode_value(offerfit::host::call_json(request))
}

/// Decodes a contract response given as text.
#[cfg(test)]
pub fn decode(response: &str) -> Answer {
    decode_value(serde_json::from_str::<Json>(response).unwrap_or(Json::Null))
}

/// Decodes a contract response.
pub fn decode_value(response: Json) -> Answer {
    match response {
        Json::Object(mut m) => match m.remove("ok") {
            Some(Json::Bool(true)) => Answer::Ok(m),
            _ => match m.remove("errors") {
                Some(Json::Array(errors)) if !errors.is_empty() => Answer::Refused(errors),
                _ => Answer::Refused(vec![internal("the core refused the request without saying why")]),
            },
        },
        _ => Answer::Refused(vec![internal("the core answered with something that is not a contract response")]),
    }
}

/// Whether a response line of [`offerfit::call`] is `ok: true`. The core always writes `ok`
/// first, so the prefix decides without parsing the (possibly large) response again.
pub fn is_ok(response: &str) -> bool {
    response.starts_with(r#"{"ok":true"#)
}

fn internal(message: &str) -> Json {
    json!({"code": "internal", "message": message})
}

/// Reads the file at `path`, or standard input for `-`, as bytes.
///
/// # Errors
/// A usage error naming the file when it cannot be read.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, UsageError> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| UsageError(format!("cannot read standard input: {e}")))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| UsageError(format!("cannot read `{path}`: {}", io_reason(&e))))
    }
}

/// Reads the file at `path` (or standard input for `-`) as UTF-8 text.
///
/// # Errors
/// A usage error when the file cannot be read or is not UTF-8.
pub fn read_text(path: &str) -> Result<String, UsageError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        UsageError(format!("`{path}` is not UTF-8 text: invalid byte at offset {}", e.utf8_error().valid_up_to()))
    })
}

/// A text argument, or standard input when the argument is `-`.
pub fn text_arg(arg: &str) -> Result<String, UsageError> {
    if arg == "-" {
        let text = read_text("-")?;
        Ok(text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text).to_owned())
    } else {
        Ok(arg.to_owned())
    }
}

/// An argument that may be written as JSON (`["rack", "GROUP_BY", "3"]`, `[{"name": …}]`) or as
/// text: JSON when it starts with `[` or `{` (no Mesos or constraint text does), else the text
/// as a JSON string.
///
/// # Errors
/// The contract error (with a caret) when it starts like JSON but is not valid JSON.
pub fn json_or_text(arg: &str) -> Result<Json, Json> {
    let trimmed = arg.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        offerfit::host::parse_strict(arg)
            .map_err(|e| serde_json::to_value(&*e).unwrap_or_else(|_| internal("bad json")))
    } else {
        Ok(Json::String(arg.to_owned()))
    }
}

/// An I/O error's reason, lowercase and without the OS error number, for one-line messages.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => {
            let s = e.to_string();
            let s = s.split(" (os error").next().unwrap_or(&s).to_owned();
            s.to_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_splits_ok_and_refused() {
        match decode(r#"{"ok":true,"text":"cpus:1"}"#) {
            Answer::Ok(m) => assert_eq!(m.get("text"), Some(&json!("cpus:1"))),
            Answer::Refused(e) => panic!("refused: {e:?}"),
        }
        match decode(r#"{"ok":false,"errors":[{"code":"x","message":"m"}]}"#) {
            Answer::Refused(e) => assert_eq!(e, vec![json!({"code":"x","message":"m"})]),
            Answer::Ok(m) => panic!("ok: {m:?}"),
        }
        match decode("not json") {
            Answer::Refused(e) => assert_eq!(e[0]["code"], "internal"),
            Answer::Ok(m) => panic!("ok: {m:?}"),
        }
    }

    #[test]
    fn ok_prefix() {
        assert!(is_ok(&offerfit::call(r#"{"op":"version"}"#)));
        assert!(!is_ok(&offerfit::call("{oops")));
    }

    #[test]
    fn json_or_text_only_takes_json_when_it_looks_like_json() {
        assert_eq!(json_or_text("rack LIKE r1"), Ok(json!("rack LIKE r1")));
        assert_eq!(json_or_text(r#"["rack","GROUP_BY","3"]"#), Ok(json!(["rack", "GROUP_BY", "3"])));
        let e = json_or_text(r#"["rack","#).unwrap_err();
        assert_eq!(e["code"], "request.json");
        assert!(e["rendered"].as_str().unwrap().contains('^'));
    }
}
