//! The session (SESSION.md, "Handles") for the npm package: internal exports under which the
//! package's JS class `Session` (`js/session.mjs`) keeps its sessions.
//!
//! wasm-bindgen could export a Rust struct as a JS class, but its generated `.d.ts` then
//! declares `[Symbol.dispose]`, which fails every consumer's `tsc` whose `lib` lacks
//! `esnext.disposable`; and its class would bypass the package's panic guard. So the module
//! only keeps a registry of sessions by handle, and the JS class (one per entry: node, web,
//! bundler) wraps these free functions with the guard and its own hand-written types.
//!
//! The JS side chooses the handles (a counter that survives a re-instantiated module), so a
//! handle is never reused: after a panic the module starts afresh with an empty registry, and a
//! session from before the panic is answered with `session.handle` instead of reaching a new
//! session that happens to have the same number.

use std::cell::RefCell;
use std::collections::BTreeMap;

use offerfit::session::Refused;
use offerfit::Session;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The live sessions by their JS-chosen handle.
    static SESSIONS: RefCell<BTreeMap<u32, Session>> = const { RefCell::new(BTreeMap::new()) };
}

/// Internal, for `js/session.mjs`: builds a session under `handle` from its config (JSON text,
/// or a JS object read as the typed functions read their requests). Answers `""` when the
/// session was made, else the one-line refusal `offerfit session` prints for that config
/// (`{"ok":false,"errors":[...]}`). A handle already in use is refused with `session.handle`
/// (the JS class never does that).
#[wasm_bindgen(js_name = __sessionNew, skip_typescript)]
pub fn session_new(handle: u32, config: JsValue) -> String {
    let built = match config.as_string() {
        Some(text) => Session::from_json(&text),
        None => match crate::js::to_json(config) {
            Ok(json) => offerfit::session::Config::from_value(json).and_then(Session::new),
            Err(failure) => return failure.to_string(),
        },
    };
    match built {
        Ok(session) => SESSIONS.with_borrow_mut(|map| {
            if map.contains_key(&handle) {
                return handle_error(format!("expected a new handle, found `{handle}`, which is in use"));
            }
            map.insert(handle, session);
            String::new()
        }),
        Err(errors) => Refused { errors }.to_json_text(),
    }
}

/// Internal, for `js/session.mjs`: answers one input line held in the request buffer (its
/// first `len` bytes, see [`crate::js::request_buffer`]) with one output line, exactly as
/// `offerfit session` answers that line.
#[wasm_bindgen(js_name = __sessionStepRequest, skip_typescript)]
pub fn session_step_request(handle: u32, len: usize) -> String {
    crate::js::answer_request(len, |line| step_text(handle, line))
}

/// Internal, for the JS class under Node: [`session_step_request`], the answer kept in the
/// module's memory for the entry to decode in place (see [`crate::js::call_request_kept`]).
#[wasm_bindgen(js_name = __sessionStepRequestKept, skip_typescript)]
pub fn session_step_request_kept(handle: u32, len: usize) -> usize {
    crate::js::answer_request_kept(len, |line| step_text(handle, line))
}

/// Internal, for `js/session.mjs`: answers one input given as a JS object (read as the typed
/// functions read their requests: a non-finite number is `request.json` with its path) with
/// one output line (JSON text; the class parses it).
#[wasm_bindgen(js_name = __sessionStepValue, skip_typescript)]
pub fn session_step_value(handle: u32, input: JsValue) -> String {
    let json = match crate::js::to_json(input) {
        Ok(json) => json,
        Err(failure) => return failure.to_string(),
    };
    step_json_value(handle, json)
}

/// Internal, for `js/session.mjs`: answers the input whose JSON text (`JSON.stringify` of the
/// object `step` was given) is in the request buffer (its first `len` bytes, see
/// [`crate::js::request_buffer`]) exactly as [`session_step_value`] answers that object: the
/// text is read as a JS object is read (the same reader, the default limits), then stepped.
/// Answers `""` when the text is not JSON (the class then passes the object itself).
#[wasm_bindgen(js_name = __sessionStepTyped, skip_typescript)]
pub fn session_step_typed(handle: u32, len: usize) -> String {
    crate::js::answer_request(len, |text| step_typed(handle, text))
}

/// Internal, for the JS class under Node: [`session_step_typed`], the answer kept in the
/// module's memory for the entry to decode in place (see [`crate::js::call_request_kept`]).
#[wasm_bindgen(js_name = __sessionStepTypedKept, skip_typescript)]
pub fn session_step_typed_kept(handle: u32, len: usize) -> usize {
    crate::js::answer_request_kept(len, |text| step_typed(handle, text))
}

/// One step on the JSON text of an object, answered as [`session_step_value`] answers the
/// object.
fn step_typed(handle: u32, text: &str) -> String {
    let json = match crate::js::read_text(text) {
        Ok(json) => json,
        Err(Some(failure)) => return failure.to_string(),
        Err(None) => return String::new(),
    };
    step_json_value(handle, json)
}

/// One step on an input already read as a JSON value.
fn step_json_value(handle: u32, json: serde_json::Value) -> String {
    with_session(handle, |session| {
        #[cfg(feature = "test-panic")]
        maybe_panic(json.get("op").and_then(serde_json::Value::as_str) == Some(crate::TEST_PANIC_OP));
        match session.step_value(json) {
            Ok(actions) => actions.to_json_text(),
            Err(refused) => refused.to_json_text(),
        }
    })
}

/// Internal, for `js/session.mjs`: drops the session under `handle`; a handle not in use is
/// ignored.
#[wasm_bindgen(js_name = __sessionFree, skip_typescript)]
pub fn session_free(handle: u32) {
    SESSIONS.with_borrow_mut(|map| map.remove(&handle));
}

/// One step on a line of text.
fn step_text(handle: u32, line: &str) -> String {
    with_session(handle, |session| {
        #[cfg(feature = "test-panic")]
        maybe_panic(line == r#"{"op":"__test_panic"}"#);
        session.step_json(line)
    })
}

/// Runs `f` on the session under `handle`, or answers `session.handle`.
fn with_session(handle: u32, f: impl FnOnce(&mut Session) -> String) -> String {
    SESSIONS.with_borrow_mut(|map| match map.get_mut(&handle) {
        Some(session) => f(session),
        None => handle_error(format!(
            "expected a live session, found handle `{handle}`, which this module does not hold: \
             it was lost when offerfit panicked and its module was started afresh; make a new Session"
        )),
    })
}

/// `{"ok":false,"errors":[{"code":"session.handle",...}]}`.
fn handle_error(message: String) -> String {
    crate::request_error("session.handle", &message, "").to_string()
}

/// Panics on request (`test-panic` builds only), as the C ABI's session does.
#[cfg(feature = "test-panic")]
fn maybe_panic(requested: bool) {
    if requested {
        #[allow(clippy::panic)]
        {
            panic!("__test_panic was requested");
        }
    }
}
