//! The wasm-bindgen exports: `call` plus one typed function per contract op.

use std::cell::RefCell;

use offerfit::Limits;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use wasm_bindgen::prelude::*;

/// Installs the panic hook: on `panic=abort` wasm no unwinding exists, so the hook schedules a
/// fresh instance for the next call and throws `offerfit panicked: …` to the JS entry, which
/// answers the contract's `internal` error (see the crate docs).
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(target_arch = "wasm32")]
    std::panic::set_hook(Box::new(|info| {
        wasm_bindgen::handler::schedule_reinit();
        let what = match info.payload().downcast_ref::<&str>() {
            Some(s) => (*s).to_owned(),
            None => info.payload().downcast_ref::<String>().cloned().unwrap_or_else(|| info.to_string()),
        };
        wasm_bindgen::throw_str(&format!("offerfit panicked: `{}`", what.lines().next().unwrap_or_default()));
    }));
}

/// Answers one contract request given as JSON text with one response as JSON text, exactly as
/// `offerfit call` does. Never throws for bad input.
#[wasm_bindgen]
pub fn call(json: &str) -> String {
    crate::call_text(json)
}

thread_local! {
    /// The request text of the JS entry's `call`, which the entry encodes (UTF-8) straight into
    /// the module's memory: see [`request_buffer`] and [`call_request`].
    static REQUEST: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The last answer of [`call_request_kept`], kept for the JS entry to decode in place.
    static RESPONSE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Internal, for the package's JS entry (`js/guard.mjs`): makes the request buffer `len` bytes
/// long, keeping what it holds, and returns where it starts in the module's memory (see
/// [`memory`]). The entry writes the request text into it with `TextEncoder.encodeInto`: with
/// no copy through a JS `Uint8Array` and no character-by-character loop, this is ~40× faster
/// than passing the string as `&str` (wasm-bindgen's loop costs ~8 ms per MB). The pointer is
/// valid until the next call into the module. The buffer is kept between calls (so its bytes
/// are zeroed once, not per call): it holds as much as the longest request so far, which the
/// module's memory (it never shrinks) had to hold anyway.
#[wasm_bindgen(js_name = __requestBuffer, skip_typescript)]
pub fn request_buffer(len: usize) -> usize {
    REQUEST.with_borrow_mut(|buffer| {
        buffer.resize(len, 0);
        buffer.as_ptr() as usize
    })
}

/// Internal, for the package's JS entry: answers the request whose UTF-8 text is the first
/// `len` bytes of the request buffer (see [`request_buffer`]) exactly as [`call`] answers the
/// same text. `TextEncoder` only writes UTF-8 (a lone surrogate becomes U+FFFD, as it does
/// for a `&str` argument); should the bytes not be UTF-8 anyway, they are read as lossily as
/// `TextDecoder` would.
#[wasm_bindgen(js_name = __callRequest, skip_typescript)]
pub fn call_request(len: usize) -> String {
    answer_request(len, crate::call_text)
}

/// Answers the text whose UTF-8 is the first `len` bytes of the request buffer (see
/// [`request_buffer`]) with `answer`, reading it in place (also the session's steps,
/// `crate::session`).
pub(crate) fn answer_request(len: usize, answer: impl FnOnce(&str) -> String) -> String {
    let mut bytes = REQUEST.take();
    let size = bytes.len();
    bytes.truncate(len);
    // Read in place. (`from_utf8_unchecked` after an 8-byte ASCII check would save ~1% of a
    // 2.5 MB call; this crate keeps to safe code, the guide's rule outside the C ABI.)
    let response = match std::str::from_utf8(&bytes) {
        Ok(text) => answer(text),
        Err(_) => answer(&String::from_utf8_lossy(&bytes)),
    };
    // Back to its full length (the bytes past `len` are still the zeros or old text they were).
    bytes.resize(size, 0);
    REQUEST.set(bytes);
    response
}

/// Internal, for the package's JS entry under Node (`js/node.mjs`): answers exactly as
/// [`call_request`] does, but keeps the answer in the module's memory and returns its length
/// in bytes; [`response`] says where it starts and [`response_ascii`] whether it is all ASCII.
/// The entry decodes it there: ASCII with Node's `Buffer` (`toString('ascii')`, exact for
/// ASCII and ~5× faster than the `TextDecoder` wasm-bindgen uses: ~2.2 ms of a 2.4 MB `place`
/// answer), anything else with `TextDecoder` as wasm-bindgen would. The answer stays until
/// the next call of this function, which drops it before answering (so the module never holds
/// two answers).
#[wasm_bindgen(js_name = __callRequestKept, skip_typescript)]
pub fn call_request_kept(len: usize) -> usize {
    answer_request_kept(len, crate::call_text)
}

/// [`answer_request`] with the answer kept as [`call_request_kept`] keeps it.
pub(crate) fn answer_request_kept(len: usize, answer: impl FnOnce(&str) -> String) -> usize {
    drop(RESPONSE.take());
    let response = answer_request(len, answer);
    let n = response.len();
    RESPONSE.set(response);
    n
}

/// Internal, for the package's JS entry (`js/guard.mjs` `typedCall`): answers the text in the
/// request buffer (its first `len` bytes: `JSON.stringify` of a typed function's request, its
/// `op` added) with the answer of that typed function, as JSON text ([`typed_text`]), or `""`
/// when the text cannot be read as the function reads a JS object (the entry then calls the
/// function itself).
#[wasm_bindgen(js_name = __typedRequest, skip_typescript)]
pub fn typed_request(len: usize) -> String {
    answer_request(len, typed_text)
}

/// Internal, for the package's JS entry under Node: [`typed_request`], the answer kept in the
/// module's memory as [`call_request_kept`] keeps it.
#[wasm_bindgen(js_name = __typedRequestKept, skip_typescript)]
pub fn typed_request_kept(len: usize) -> usize {
    answer_request_kept(len, typed_text)
}

/// The answer of a typed function (`place()`, `parseValue()`, ...) to the request whose JSON
/// text (with its `op`) is `text`, as JSON text, computed once: a `place` request the core's
/// fast path reads straight to its typed form is answered there (an `ok` answer or the
/// engine's refusal: the bytes of [`crate::call_text`], the same value as the typed answer);
/// any other text is read as [`to_json`] reads a JS object (the same reader with the default
/// limits, so the same limit errors) and answered by [`crate::call_op`], errors included. A
/// text that reader refuses otherwise (not JSON) answers `""`. A panic becomes the `internal`
/// error.
pub fn typed_text(text: &str) -> String {
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Some(answer) = offerfit::host::call_place_fast(text) {
            return answer;
        }
        match read_text(text) {
            Ok(Json::Object(request)) => match request.get("op").and_then(Json::as_str).map(str::to_owned) {
                Some(op) => crate::call_op(&op, Json::Object(request)).to_string(),
                None => String::new(),
            },
            Ok(_) => String::new(),
            Err(Some(failure)) => failure.to_string(),
            Err(None) => String::new(),
        }
    }));
    answer.unwrap_or_else(|payload| crate::internal_error(&crate::panic_message(payload.as_ref())).to_string())
}

/// JSON text read as [`to_json`] reads a JS value (the default limits counted while reading):
/// the value, the limit error, or `None` for text that is not JSON.
pub(crate) fn read_text(text: &str) -> Result<Json, Option<Json>> {
    let mut de = serde_json::Deserializer::from_str(text);
    match offerfit::json::read_value(&mut de, &Limits::DEFAULT) {
        Ok(json) => de.end().map(|()| json).map_err(|_| None),
        Err(offerfit::json::ValueError::Limit(error, path)) => Err(Some(failure(offerfit::host::fail(error, &path)))),
        Err(offerfit::json::ValueError::Source(_)) => Err(None),
    }
}

/// Internal, for the package's JS entry: where the answer [`call_request_kept`] keeps starts
/// in the module's memory (valid until the next call into the module).
#[wasm_bindgen(js_name = __response, skip_typescript)]
pub fn response() -> usize {
    RESPONSE.with_borrow(|r| r.as_ptr() as usize)
}

/// Internal, for the package's JS entry: whether the answer [`call_request_kept`] keeps is
/// all ASCII (tested eight bytes at a time: wasm32's `usize` is four bytes, which is what
/// `str::is_ascii` steps by).
#[wasm_bindgen(js_name = __responseAscii, skip_typescript)]
pub fn response_ascii() -> bool {
    RESPONSE.with_borrow(|r| is_ascii(r.as_bytes()))
}

/// Whether `bytes` are all ASCII, eight at a time (wasm32's `usize` is four bytes, which is
/// what `str::is_ascii` steps by).
fn is_ascii(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let mut high = 0u64;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        high |= u64::from_le_bytes(w);
    }
    high & 0x8080_8080_8080_8080 == 0 && chunks.remainder().is_ascii()
}

/// Internal, for the package's JS entry: the module's `WebAssembly.Memory`.
#[wasm_bindgen(js_name = __memory, skip_typescript)]
pub fn memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The library's version and the list of ops.
#[wasm_bindgen(unchecked_return_type = "VersionResponse")]
pub fn version() -> JsValue {
    typed("version", Ok(Json::Object(Map::new())))
}

/// Parses a Mesos value (scalar, ranges, set or text).
#[wasm_bindgen(js_name = parseValue, unchecked_return_type = "ParseValueResponse")]
pub fn parse_value(#[wasm_bindgen(unchecked_param_type = "ParseValueRequest")] request: JsValue) -> JsValue {
    typed("parse_value", to_json(request))
}

/// Parses Mesos resource text into Mesos v1 resources.
#[wasm_bindgen(js_name = parseResources, unchecked_return_type = "ParseResourcesResponse")]
pub fn parse_resources(#[wasm_bindgen(unchecked_param_type = "ParseResourcesRequest")] request: JsValue) -> JsValue {
    typed("parse_resources", to_json(request))
}

/// Prints resources as Mesos does.
#[wasm_bindgen(js_name = formatResources, unchecked_return_type = "FormatResourcesResponse")]
pub fn format_resources(#[wasm_bindgen(unchecked_param_type = "FormatResourcesRequest")] request: JsValue) -> JsValue {
    typed("format_resources", to_json(request))
}

/// Adds, subtracts, compares resources, or keeps those allocatable to a role.
#[wasm_bindgen(js_name = resourceMath, unchecked_return_type = "ResourceMathResponse")]
pub fn resource_math(#[wasm_bindgen(unchecked_param_type = "ResourceMathRequest")] request: JsValue) -> JsValue {
    typed("resource_math", to_json(request))
}

/// Parses Mesos attribute text.
#[wasm_bindgen(js_name = parseAttributes, unchecked_return_type = "ParseAttributesResponse")]
pub fn parse_attributes(#[wasm_bindgen(unchecked_param_type = "ParseAttributesRequest")] request: JsValue) -> JsValue {
    typed("parse_attributes", to_json(request))
}

/// Parses and validates constraints, answering their canonical form.
#[wasm_bindgen(js_name = parseConstraints, unchecked_return_type = "ParseConstraintsResponse")]
pub fn parse_constraints(
    #[wasm_bindgen(unchecked_param_type = "ParseConstraintsRequest")] request: JsValue,
) -> JsValue {
    typed("parse_constraints", to_json(request))
}

/// Checks constraints against one candidate host and the group's existing placements.
#[wasm_bindgen(js_name = checkConstraints, unchecked_return_type = "CheckConstraintsResponse")]
pub fn check_constraints(
    #[wasm_bindgen(unchecked_param_type = "CheckConstraintsRequest")] request: JsValue,
) -> JsValue {
    typed("check_constraints", to_json(request))
}

/// Places tasks on offers: accepts, declines and unplaced tasks with reasons.
#[wasm_bindgen(unchecked_return_type = "PlaceResponse")]
pub fn place(#[wasm_bindgen(unchecked_param_type = "PlaceRequest")] request: JsValue) -> JsValue {
    typed("place", to_json(request))
}

/// The wasm instance's linear memory in bytes (`test-panic` builds only), so the tests can
/// show that a panic's fresh instance gives back what the aborted call leaked.
#[cfg(all(feature = "test-panic", target_arch = "wasm32"))]
#[wasm_bindgen(js_name = __testMemoryBytes)]
pub fn test_memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

/// Runs `op` on the decoded request (or answers the decoding error) and encodes the response
/// as a plain JS object. The functions' TypeScript types (`unchecked_*_type`) name the
/// declarations the core derives from its own request and result types (feature `tsify`).
fn typed(op: &str, request: Result<Json, Json>) -> JsValue {
    let response = match request {
        Ok(json) => crate::call_op(op, json),
        Err(failure) => failure,
    };
    to_js(&response)
}

/// A JSON value as a plain JS object (maps as objects, not `Map`s), numbers as JS numbers.
fn to_js(response: &Json) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    AsJsNumbers(response)
        .serialize(&serializer)
        .or_else(|e| crate::internal_error(&format!("could not encode the response: {e}")).serialize(&serializer))
        .unwrap_or(JsValue::NULL)
}

/// Serializes a JSON value with every number as a JS number: an integer beyond 2^53 (a Mesos
/// range can end at u64::MAX) becomes the nearest double, as `JSON.parse` of `call`'s text
/// would make it, rather than an encoding error (serde-wasm-bindgen refuses such an integer
/// unless it turns it into a BigInt, which the `number` of the TypeScript types is not).
struct AsJsNumbers<'a>(&'a Json);

impl Serialize for AsJsNumbers<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Json::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) if i.unsigned_abs() <= MAX_SAFE_INTEGER => s.serialize_i64(i),
                (_, Some(u)) if u <= MAX_SAFE_INTEGER => s.serialize_u64(u),
                _ => s.serialize_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&AsJsNumbers(item))?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &AsJsNumbers(v))?;
                }
                map.end()
            }
            other => other.serialize(s),
        }
    }
}

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JS value as JSON, or the contract's error: a limit exceeded (counted while the value is
/// converted, with the same codes, messages and JSON pointers as a request text: a host that
/// passes objects never makes the module build more of a request than the limits allow), or a
/// value JSON cannot hold (a non-finite number, a function, a symbol, a BigInt beyond 64 bits:
/// `request.json`).
pub(crate) fn to_json(value: JsValue) -> Result<Json, Json> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(serde_wasm_bindgen::Deserializer::from(value), &mut track);
    offerfit::json::read_value(de, &Limits::DEFAULT).map_err(|e| match e {
        offerfit::json::ValueError::Limit(error, path) => failure(offerfit::host::fail(error, &path)),
        offerfit::json::ValueError::Source(e) => {
            let path = offerfit::host::json_pointer("", &track.path());
            // A serde-wasm-bindgen error prints as a JS `Error`: `Error: <message>`.
            let message = e.to_string();
            let message = message.strip_prefix("Error: ").unwrap_or(&message);
            crate::request_error("request.json", message, &path)
        }
    })
}

/// `{"ok": false, "errors": [...]}` from the core's error objects.
fn failure(errors: offerfit::host::Errors) -> Json {
    let list = errors.iter().map(|e| serde_json::to_value(e).unwrap_or_else(|_| Json::from(e.message.clone())));
    serde_json::json!({"ok": false, "errors": list.collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::is_ascii;

    #[test]
    fn is_ascii_checks_every_byte() {
        let text = "0123456789abcdefghij";
        for n in 0..=text.len() {
            assert!(is_ascii(&text.as_bytes()[..n]));
        }
        for at in 0..20 {
            let mut bytes = text.as_bytes().to_vec();
            bytes[at] = 0x80;
            assert!(!is_ascii(&bytes), "{at}");
            bytes[at] = 0xff;
            assert!(!is_ascii(&bytes[at..]), "{at}");
        }
        assert!(!is_ascii("é".as_bytes()));
    }
}
