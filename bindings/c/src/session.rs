//! The session (docs/contract.md part 3, "Handles") over both ABIs: a framework's scheduler state machine
//! behind a handle, one JSON input line in, one JSON output line out, the same bytes as
//! `offerfit session` and `offerfit::Session::step_json`.
//!
//! - C (native): `offerfit_session_new`, `offerfit_session_step`, `offerfit_session_free`
//!   over an opaque `offerfit_session` pointer; every export catches panics.
//! - plain WASM: the same three names over a numeric handle (see `bindings/README.md`):
//!   `offerfit_session_new(ptr, len) -> u64` answers either the handle (high 32 bits zero)
//!   or a packed error response (high 32 bits the response pointer, never zero);
//!   `offerfit_session_step(handle, ptr, len) -> u64` packs like `offerfit_call`. Handles are
//!   numbers from a registry, never addresses, so a stale or made-up handle is answered with
//!   `session.handle` instead of touching freed memory.

use offerfit::host::{utf8_error, WireError};
use offerfit::session::Refused;
use offerfit::Session;

/// Builds a session from the config's bytes.
///
/// # Errors
/// The one-line refusal (`{"ok":false,"errors":[...]}`) `offerfit session` prints for the same
/// config: `request.utf8` for bytes that are not UTF-8, else the core's config errors.
pub fn session_new(config: &[u8]) -> Result<Session, String> {
    let text = std::str::from_utf8(config).map_err(|e| refusal(vec![utf8_error(config, &e)]))?;
    Session::from_json(text).map_err(refusal)
}

/// Answers one input line given as bytes, exactly as `offerfit session` answers that line
/// (bytes that are not UTF-8 are refused with `request.utf8` and change nothing).
pub fn session_step(session: &mut Session, line: &[u8]) -> String {
    #[cfg(feature = "test-panic")]
    if line == br#"{"op":"__test_panic"}"# {
        #[allow(clippy::panic)]
        {
            panic!("__test_panic was requested");
        }
    }
    match std::str::from_utf8(line) {
        Ok(text) => session.step_json(text),
        Err(e) => refusal(vec![utf8_error(line, &e)]),
    }
}

/// The session's refusal line for `errors`.
fn refusal(errors: Vec<WireError>) -> String {
    Refused { errors }.to_json_text()
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::ffi::c_char;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use offerfit::host::WireError;

    use super::{session_new, session_step};
    use crate::native::{guarded, request_bytes, to_c};
    use crate::{error_response, panic_response};

    /// An opaque session handle (docs/contract.md part 3): create it with `offerfit_session_new`, feed it
    /// with `offerfit_session_step`, release it with `offerfit_session_free`. It changes with
    /// every step, so it is not shared between threads without the host's own lock.
    pub struct OfferfitSession {
        session: offerfit::Session,
    }

    /// Creates a session from `len` bytes of its JSON config (docs/contract.md part 3, "Config").
    ///
    /// Returns NULL when the config is NULL, not UTF-8, not JSON or not a valid config; then,
    /// if `error` is not NULL, `*error` receives the error response
    /// (`{"ok":false,"errors":[...]}`, the line `offerfit session` prints for that config;
    /// free it with `offerfit_string_free`). On success `*error` is set to NULL. Free the
    /// session with `offerfit_session_free`.
    ///
    /// # Safety
    /// `json` is NULL or points to `len` readable bytes; `error` is NULL or valid for writing
    /// one pointer.
    #[no_mangle]
    pub unsafe extern "C" fn offerfit_session_new(
        json: *const c_char,
        len: usize,
        error: *mut *mut c_char,
    ) -> *mut OfferfitSession {
        if !error.is_null() {
            // SAFETY: `error` is non-NULL and valid for a write (caller's contract).
            unsafe { error.write(std::ptr::null_mut()) };
        }
        let built = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: forwarded from this function's contract on `json` and `len`.
            let bytes = unsafe { request_bytes(json, len) }?;
            session_new(bytes)
        }))
        .unwrap_or_else(|payload| Err(panic_response(&*payload)));
        match built {
            Ok(session) => Box::into_raw(Box::new(OfferfitSession { session })),
            Err(response) => {
                if !error.is_null() {
                    // SAFETY: `error` is valid for a write (caller's contract); `to_c` skips
                    // its NULL `out_len`.
                    unsafe { error.write(to_c(response, std::ptr::null_mut())) };
                }
                std::ptr::null_mut()
            }
        }
    }

    /// Answers one session input (`len` bytes of one JSON line, no NUL terminator needed) with
    /// one output line of `*out_len` bytes (`out_len` may be NULL), NUL-terminated, never
    /// NULL; free it with `offerfit_string_free`. A NULL `session` is answered with
    /// `request.null_pointer`; a panic inside offerfit with `internal` (the session is then
    /// unchanged or partly stepped: discard it).
    ///
    /// # Safety
    /// `session` is NULL or a live session from `offerfit_session_new` that no other thread
    /// is using; `json`, `len` and `out_len` as for `offerfit_call`.
    #[no_mangle]
    pub unsafe extern "C" fn offerfit_session_step(
        session: *mut OfferfitSession,
        json: *const c_char,
        len: usize,
        out_len: *mut usize,
    ) -> *mut c_char {
        let response = guarded(|| {
            // SAFETY: `session` is NULL or live and used by this thread only (caller's
            // contract).
            let Some(handle) = (unsafe { session.as_mut() }) else {
                return error_response(vec![WireError::new(
                    "request.null_pointer",
                    "expected a session from `offerfit_session_new`, found NULL",
                )]);
            };
            // SAFETY: forwarded from this function's contract on `json` and `len`.
            match unsafe { request_bytes(json, len) } {
                Ok(bytes) => session_step(&mut handle.session, bytes),
                Err(e) => e,
            }
        });
        // SAFETY: forwarded from this function's contract on `out_len`.
        unsafe { to_c(response, out_len) }
    }

    /// Frees a session. NULL is ignored.
    ///
    /// # Safety
    /// `session` is NULL or a session from `offerfit_session_new` that has not been freed yet
    /// and that no other thread is using.
    #[no_mangle]
    pub unsafe extern "C" fn offerfit_session_free(session: *mut OfferfitSession) {
        if session.is_null() {
            return;
        }
        // Nothing observes the session after this (it is being freed), so a panic while it
        // drops cannot expose a broken state: unwind-safe as asserted.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `session` came from `Box::into_raw` in `offerfit_session_new` and is
            // freed only once (caller's contract).
            drop(unsafe { Box::from_raw(session) });
        }));
    }
}

/// cbindgen:ignore
#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use offerfit::host::WireError;
    use offerfit::Session;

    use super::{session_new, session_step};
    use crate::error_response;
    use crate::wasm::{into_host, request_in_memory};

    /// The live sessions by handle, and the next handle (handles are never reused).
    static SESSIONS: Mutex<(u32, BTreeMap<u32, Session>)> = Mutex::new((0, BTreeMap::new()));

    fn with_sessions<T>(f: impl FnOnce(&mut (u32, BTreeMap<u32, Session>)) -> T) -> T {
        // wasm32-unknown-unknown is single-threaded: a poisoned lock cannot happen (a panic
        // traps), and taking the data back keeps this path free of `unwrap`.
        let mut guard = SESSIONS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Creates a session from the config in the `len` bytes at `ptr` (a buffer from
    /// `offerfit_alloc`, still the host's to free). Returns the handle (a non-zero number
    /// below 2^32, so the high 32 bits are zero) or, when the config is refused, the error
    /// response packed as by `offerfit_call` (`(ptr << 32) | len`; its pointer is never 0, so
    /// the high 32 bits tell the two apart); 0 only when memory ran out.
    ///
    /// # Safety
    /// As `offerfit_call`'s request.
    #[no_mangle]
    pub unsafe extern "C" fn offerfit_session_new(ptr: u32, len: u32) -> u64 {
        // SAFETY: forwarded from this function's contract.
        let built = unsafe { request_in_memory(ptr, len) }.and_then(session_new);
        match built {
            Ok(session) => with_sessions(|(next, map)| {
                let Some(handle) = next.checked_add(1) else {
                    return into_host(error_response(vec![WireError::new(
                        "session.handle",
                        "expected fewer than 4294967295 sessions in one instance, found more",
                    )]));
                };
                *next = handle;
                map.insert(handle, session);
                u64::from(handle)
            }),
            Err(response) => into_host(response),
        }
    }

    /// Answers one session input in the `len` bytes at `ptr` with one output line, packed as
    /// by `offerfit_call` (free it with `offerfit_free`). A handle that is not live (never
    /// made, or freed) is answered with `session.handle`.
    ///
    /// # Safety
    /// As `offerfit_call`'s request.
    #[no_mangle]
    pub unsafe extern "C" fn offerfit_session_step(handle: u32, ptr: u32, len: u32) -> u64 {
        let response = with_sessions(|(_, map)| match map.get_mut(&handle) {
            None => error_response(vec![WireError::new(
                "session.handle",
                format!("expected a live handle from `offerfit_session_new`, found `{handle}`"),
            )]),
            // SAFETY: forwarded from this function's contract.
            Some(session) => match unsafe { request_in_memory(ptr, len) } {
                Ok(bytes) => session_step(session, bytes),
                Err(e) => e,
            },
        });
        into_host(response)
    }

    /// Frees a session; a handle that is not live is ignored.
    #[no_mangle]
    pub extern "C" fn offerfit_session_free(handle: u32) {
        with_sessions(|(_, map)| map.remove(&handle));
    }
}
