//! Talking to the core: build a contract request, send it through [`offerfit::call`], decode
//! the answer; read the files and arguments the requests are made of.

use std::io::{BufRead, Read};

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

/// The most bytes the CLI reads as one request (file, standard input or one JSON line): the
/// core's `request_bytes` limit, so a larger input is refused while it is read, never held.
pub const MAX_REQUEST_BYTES: usize = offerfit::Limits::DEFAULT.request_bytes;

/// Input over [`MAX_REQUEST_BYTES`]: how many bytes it had in all (counted, not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge(pub usize);

impl TooLarge {
    /// The usage error for a command other than `call` reading `path`.
    pub fn usage(self, path: &str) -> UsageError {
        let what = if path == "-" { "standard input".to_owned() } else { format!("`{path}`") };
        UsageError(format!(
            "{what} is too large: found {} bytes, the limit `request_bytes` is {MAX_REQUEST_BYTES}",
            self.0
        ))
    }
}

/// Reads all of `input`, keeping at most `cap` bytes: past that, the rest is only counted
/// (so a huge input costs time, not memory) and `Ok(Err(TooLarge(total)))` says how big it
/// was.
///
/// # Errors
/// An I/O error of `input`.
pub fn read_capped(mut input: impl Read, cap: usize) -> std::io::Result<Result<Vec<u8>, TooLarge>> {
    let mut buf = Vec::new();
    let kept = input.by_ref().take(cap as u64 + 1).read_to_end(&mut buf)?;
    if kept <= cap {
        return Ok(Ok(buf));
    }
    drop(buf);
    let rest = std::io::copy(&mut input, &mut std::io::sink())?;
    Ok(Err(TooLarge(kept.saturating_add(usize::try_from(rest).unwrap_or(usize::MAX)))))
}

/// Reads one line of `input` (through `\n`, kept) into `line`, keeping at most `cap` bytes
/// of it; a longer line is read to its end, counted, and reported as `Err(TooLarge(len))`
/// (its length without the `\n`). `Ok(0)` at the end of the input.
///
/// # Errors
/// An I/O error of `input`.
pub fn read_line_capped(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Result<usize, TooLarge>> {
    let n = input.by_ref().take(cap as u64 + 2).read_until(b'\n', line)?;
    if n == 0 || line.ends_with(b"\n") || n <= cap {
        return Ok(Ok(n));
    }
    // Over the cap without a newline yet: count the rest of the line.
    let mut total = line.len();
    let mut last = line.last().copied();
    line.clear();
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => {
                if at > 0 {
                    last = chunk.get(at - 1).copied();
                }
                total = total.saturating_add(at);
                input.consume(at + 1);
                break;
            }
            None => {
                let len = chunk.len();
                last = chunk.last().copied();
                total = total.saturating_add(len);
                input.consume(len);
            }
        }
    }
    Ok(Err(TooLarge(total - usize::from(last == Some(b'\r')))))
}

/// Reads the file at `path`, or standard input for `-`, as bytes, at most
/// [`MAX_REQUEST_BYTES`] of them.
///
/// # Errors
/// A usage error naming the file when it cannot be read; `Ok(Err(TooLarge))` when it is too
/// large.
pub fn read_bytes_capped(path: &str) -> Result<Result<Vec<u8>, TooLarge>, UsageError> {
    if path == "-" {
        read_capped(std::io::stdin().lock(), MAX_REQUEST_BYTES)
            .map_err(|e| UsageError(format!("cannot read standard input: {e}")))
    } else {
        let f =
            std::fs::File::open(path).map_err(|e| UsageError(format!("cannot read `{path}`: {}", io_reason(&e))))?;
        read_capped(f, MAX_REQUEST_BYTES).map_err(|e| UsageError(format!("cannot read `{path}`: {}", io_reason(&e))))
    }
}

/// Reads the file at `path`, or standard input for `-`, as bytes.
///
/// # Errors
/// A usage error naming the file when it cannot be read or is larger than
/// [`MAX_REQUEST_BYTES`].
pub fn read_bytes(path: &str) -> Result<Vec<u8>, UsageError> {
    read_bytes_capped(path)?.map_err(|t| t.usage(path))
}

/// Reads the file at `path` (or standard input for `-`) as UTF-8 text.
///
/// # Errors
/// A usage error when the file cannot be read, is too large or is not UTF-8.
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
    fn input_over_the_cap_is_counted_not_kept() {
        assert_eq!(read_capped(&b"abcd"[..], 4).unwrap(), Ok(b"abcd".to_vec()));
        assert_eq!(read_capped(&b"abcde"[..], 4).unwrap(), Err(TooLarge(5)));
        let big = vec![b'x'; 1 << 20];
        assert_eq!(read_capped(&big[..], 10).unwrap(), Err(TooLarge(1 << 20)));
        let mut input = &b"ab\nabcdefgh\nxyz"[..];
        let mut line = Vec::new();
        assert_eq!(read_line_capped(&mut input, &mut line, 4).unwrap(), Ok(3));
        assert_eq!(line, b"ab\n");
        line.clear();
        assert_eq!(read_line_capped(&mut input, &mut line, 4).unwrap(), Err(TooLarge(8)));
        line.clear();
        assert_eq!(read_line_capped(&mut input, &mut line, 4).unwrap(), Ok(3));
        assert_eq!(line, b"xyz");
        line.clear();
        assert_eq!(read_line_capped(&mut input, &mut line, 4).unwrap(), Ok(0));
        // A line of exactly the cap, with and without its newline.
        let mut input = &b"abcd\nabcd"[..];
        assert_eq!(read_line_capped(&mut input, &mut line, 4).unwrap(), Ok(5));
        line.clear();
        assert_eq!(read_line_capped(&mut input, &mut line, 4).unwrap(), Ok(4));
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
