//! Arbitrary bytes into the contract dispatcher (`offerfit::host::call_bytes`, and
//! `offerfit::call` for UTF-8): the answer is always exactly one JSON object on one line with
//! a boolean `ok`; `ok:false` carries a non-empty list of errors with a code and a message,
//! never `internal`; `call` and `call_bytes` agree; the same request always gets the same
//! answer. Bytes that are JSON also go through the value entry point (`host::call_json`, used
//! by bindings that hold objects), whose answer must be a well-formed response too, and
//! byte-identical to `call`'s whenever `call` accepted the request (`place` answers through a
//! typed fast path from text and through the general `Value` path from objects: a
//! differential check of the two).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = offerfit::host::call_bytes(data);
    offerfit_fuzz::check_response(&out);
    if let Ok(text) = std::str::from_utf8(data) {
        let again = offerfit::call(text);
        assert_eq!(out, again, "call_bytes and call disagree, or call is not deterministic");
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let answer = offerfit::host::call_json(value).to_string();
        offerfit_fuzz::check_response(&answer);
        if out.starts_with(r#"{"ok":true"#) {
            assert_eq!(answer, out, "call (text) and call_json (value) answer an accepted request differently");
        }
    }
});
