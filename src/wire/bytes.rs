//! Requests that arrive as raw bytes (the C and plain-WASM ABIs, the CLI's standard input).
//! Bytes that are not UTF-8 are answered with a `request.utf8` error naming the byte offset,
//! rather than being replaced with U+FFFD (which would silently change the request) or
//! crashing.

use std::str::Utf8Error;

use super::{call, errors, WireError};
use crate::error::{ParseError, Span};
use crate::limits::{LimitKind, Limits};

/// Answers one contract request given as bytes: UTF-8 text is answered by [`call`]; anything
/// else gets `{"ok":false,"errors":[{"code":"request.utf8",...}]}` with the byte span of the
/// first invalid sequence. Never panics.
///
/// ```
/// let out = offerfit::host::call_bytes(b"{\"op\":\"version\",\"x\":\"\xff\"}");
/// assert!(out.starts_with(r#"{"ok":false,"errors":[{"code":"request.utf8","message":"invalid UTF-8 at byte 21"#));
/// assert_eq!(offerfit::host::call_bytes(br#"{"op":"parse_value","text":"1"}"#), offerfit::call(r#"{"op":"parse_value","text":"1"}"#));
/// ```
pub fn call_bytes(request: &[u8]) -> String {
    // The size limit comes first: the UTF-8 error below copies the request.
    if request.len() > Limits::DEFAULT.request_bytes {
        return too_large(request.len());
    }
    match std::str::from_utf8(request) {
        Ok(text) => call(text),
        Err(e) => refusal(utf8_error(request, &e)),
    }
}

/// What [`call_bytes`] answers to a request of `bytes` bytes when that is over the default
/// `request_bytes` limit, for a host that counts an input's bytes rather than hold them (the
/// CLI reading standard input); `None` when `bytes` is within the limit.
///
/// ```
/// let big = 16 * 1024 * 1024 + 1;
/// assert_eq!(offerfit::host::refusal_for_size(big), Some(offerfit::host::call_bytes(&vec![b' '; big])));
/// assert_eq!(offerfit::host::refusal_for_size(10), None);
/// ```
pub fn refusal_for_size(bytes: usize) -> Option<String> {
    (bytes > Limits::DEFAULT.request_bytes).then(|| too_large(bytes))
}

fn too_large(bytes: usize) -> String {
    refusal(WireError::from_error(&Limits::DEFAULT.exceeded(LimitKind::RequestBytes, bytes), ""))
}

/// `{"ok":false,"errors":[error]}` as text.
fn refusal(error: WireError) -> String {
    let response = serde_json::Value::Object(errors::response(vec![error]));
    serde_json::to_string(&response).unwrap_or_else(|_| {
        r#"{"ok":false,"errors":[{"code":"internal","message":"could not encode the response"}]}"#.to_owned()
    })
}

/// The contract error for `bytes` that failed UTF-8 validation with `e`: code `request.utf8`,
/// path `""`, `span` in bytes of the request, `line` / `column` counted in the valid text
/// before it, and `rendered` drawing that line (invalid bytes shown as U+FFFD).
pub fn utf8_error(bytes: &[u8], e: &Utf8Error) -> WireError {
    let at = e.valid_up_to();
    // `error_len` is `None` when the input ends in the middle of a sequence.
    let bad_len = e.error_len().unwrap_or(bytes.len().saturating_sub(at)).max(1);
    let bad = bytes.get(at..at.saturating_add(bad_len).min(bytes.len())).unwrap_or(&[]);
    let found: String = bad.iter().map(|b| format!("\\x{b:02x}")).collect();
    let message = format!("invalid UTF-8 at byte {at}: expected a UTF-8 encoded character, found `{found}`");
    // The valid prefix is unchanged by the lossy conversion, so offsets before `at` agree;
    // the culprit becomes one U+FFFD (3 bytes) in the text used for the caret.
    let lossy = String::from_utf8_lossy(bytes);
    let p = ParseError::new("request.utf8", message, &lossy, Span::new(at, at.saturating_add(3)))
        .with_help("a request is JSON text encoded as UTF-8");
    let mut w = WireError::from_parse(&p, "");
    w.span = Some(Span::new(at, at.saturating_add(bad.len())));
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_byte_is_located() {
        let out = call_bytes(b"{\"op\":\"version\",\n \"x\":\"a\xffb\"}");
        assert_eq!(
            out,
            concat!(
                r#"{"ok":false,"errors":[{"code":"request.utf8","message":"invalid UTF-8 at byte 24: "#,
                r#"expected a UTF-8 encoded character, found `\\xff`","help":"a request is JSON text encoded as UTF-8","#,
                r#""path":"","span":{"start":24,"end":25},"line":2,"column":8,"#,
                r#""rendered":" \"x\":\"a\ufffdb\"}\n       ^ invalid UTF-8 at byte 24: expected a UTF-8 encoded character, found `\\xff`"}]}"#
            )
            .replace("\\ufffd", "\u{fffd}")
        );
    }

    #[test]
    fn truncated_sequence_at_the_end() {
        // "é" is C3 A9; the request stops after C3.
        let bytes: Vec<u8> = b"ab\xc3".to_vec();
        let e = std::str::from_utf8(&bytes).unwrap_err();
        let w = utf8_error(&bytes, &e);
        assert_eq!(w.code, "request.utf8");
        assert_eq!(w.span, Some(Span::new(2, 3)));
        assert_eq!(w.message, "invalid UTF-8 at byte 2: expected a UTF-8 encoded character, found `\\xc3`");
    }

    #[test]
    fn the_size_limit_is_checked_before_utf8() {
        let mut big = vec![b'a'; Limits::DEFAULT.request_bytes + 1];
        big[0] = 0xff;
        let out = call_bytes(&big);
        assert!(out.starts_with(r#"{"ok":false,"errors":[{"code":"limit.request_bytes","message":"request is too large: found 16777217 bytes"#), "{out}");
    }

    #[test]
    fn utf8_text_is_answered_as_usual() {
        let req = r#"{"op":"parse_value","text":"é"}"#;
        assert_eq!(call_bytes(req.as_bytes()), call(req));
    }
}
