//! The C ABI (native targets). Every export catches panics; every pointer may be NULL
//! without crashing (a NULL request is answered with an error object).
#![cfg(not(target_arch = "wasm32"))]

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use offerfit::host::WireError;

use crate::{error_response, panic_response, respond, Engine};

/// An opaque handle that stores `place` options for repeated calls. Create it with
/// `offerfit_engine_new`, use it with `offerfit_engine_call` (from any number of threads at
/// once: it is never modified after creation), and release it with `offerfit_engine_free`.
pub struct OfferfitEngine {
    engine: Engine,
}

/// The version as a NUL-terminated constant, built at compile time from the core's version so
/// `offerfit_version()` and the `version` op always agree.
const VERSION_LEN: usize = offerfit::host::VERSION.len();
static VERSION_NUL: [u8; VERSION_LEN + 1] = {
    let src = offerfit::host::VERSION.as_bytes();
    let mut out = [0_u8; VERSION_LEN + 1];
    let mut i = 0;
    while i < VERSION_LEN {
        // Const evaluation: an out-of-bounds index here is a compile error, not a panic.
        #[allow(clippy::indexing_slicing)]
        {
            out[i] = src[i];
        }
        i += 1;
    }
    out
};

/// Runs `f`, turning a panic into the contract's `internal` error response.
pub(crate) fn guarded(f: impl FnOnce() -> String) -> String {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| panic_response(&*payload))
}

/// The request bytes behind `(json, len)`, or the error response for a NULL pointer or an
/// impossible length.
///
/// # Safety
/// When `json` is not NULL it must point to `len` readable bytes that stay unchanged for the
/// lifetime `'a`.
pub(crate) unsafe fn request_bytes<'a>(json: *const c_char, len: usize) -> Result<&'a [u8], String> {
    if json.is_null() {
        return Err(error_response(vec![WireError::new(
            "request.null_pointer",
            "expected a pointer to the request, found NULL",
        )
        .with_path("")]));
    }
    if len > isize::MAX as usize {
        return Err(error_response(vec![WireError::new(
            "request.length",
            format!("expected a request length of at most {}, found `{len}`", isize::MAX),
        )
        .with_path("")]));
    }
    // SAFETY: `json` is non-NULL, `len <= isize::MAX`, and the caller guarantees that `len`
    // bytes at `json` are readable and unchanged while we use them; u8 has alignment 1.
    Ok(unsafe { std::slice::from_raw_parts(json.cast::<u8>(), len) })
}

/// Hands `response` to C as a NUL-terminated string that `offerfit_string_free` releases,
/// storing its length (without the NUL) in `*out_len` when `out_len` is not NULL.
///
/// # Safety
/// `out_len` is NULL or valid for one `size_t` write.
pub(crate) unsafe fn to_c(response: String, out_len: *mut usize) -> *mut c_char {
    // serde_json escapes every control character, so a response never contains a NUL byte.
    let c = CString::new(response).unwrap_or_else(|_| {
        CString::new(error_response(vec![WireError::internal("the response contained a NUL byte")])).unwrap_or_default()
    });
    if !out_len.is_null() {
        // SAFETY: `out_len` is non-NULL and, per the caller's contract, valid for a write.
        unsafe { out_len.write(c.as_bytes().len()) };
    }
    c.into_raw()
}

/// Answers one JSON contract request.
///
/// `json` points to `len` bytes of UTF-8 JSON (no NUL terminator needed; NUL bytes inside are
/// just bytes). The result is a newly allocated, NUL-terminated UTF-8 JSON response of
/// `*out_len` bytes (not counting the NUL): `{"ok":true,...}` or `{"ok":false,"errors":[...]}`.
/// It is never NULL; free it with `offerfit_string_free`. `out_len` may be NULL.
///
/// Malformed input is answered, never crashed on: a NULL `json` gives
/// `request.null_pointer`, bytes that are not UTF-8 give `request.utf8` with the byte offset,
/// and a panic inside offerfit gives `internal`. The function is thread-safe.
///
/// # Safety
/// `json` is NULL or points to `len` readable bytes that are not modified during the call;
/// `out_len` is NULL or valid for writing one `size_t`.
#[no_mangle]
pub unsafe extern "C" fn offerfit_call(json: *const c_char, len: usize, out_len: *mut usize) -> *mut c_char {
    let response = guarded(|| {
        // SAFETY: forwarded from this function's contract on `json` and `len`.
        match unsafe { request_bytes(json, len) } {
            Ok(bytes) => respond(bytes),
            Err(e) => e,
        }
    });
    // SAFETY: forwarded from this function's contract on `out_len`.
    unsafe { to_c(response, out_len) }
}

/// Frees a string returned by `offerfit_call`, `offerfit_engine_call` or the `error_out` of
/// `offerfit_engine_new`. NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string returned by one of those functions that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn offerfit_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = catch_unwind(|| {
        // SAFETY: `s` came from `CString::into_raw` in `to_c` and is freed only once (caller's
        // contract).
        drop(unsafe { CString::from_raw(s) });
    });
}

/// The library version (e.g. `0.1.0`), the same as the `version` op reports. A static string:
/// do not free it.
#[no_mangle]
pub extern "C" fn offerfit_version() -> *const c_char {
    VERSION_NUL.as_ptr().cast()
}

/// Creates an engine that stores `place` options: `options_json` points to `len` bytes of a
/// JSON object, the same as a `place` request's `options` (`{"strategy":"spread"}`). A NULL
/// `options_json` means no stored options.
///
/// Each `offerfit_engine_call` with a `place` request that has no `options` field uses the
/// stored options; a request with its own `options` keeps them (no deep merge); other ops are
/// answered exactly as by `offerfit_call`. The options are checked once, here, by the core
/// (as a `place` request with no offers and no tasks would be).
///
/// Returns NULL when the options are not UTF-8, not a JSON object, or not valid `place`
/// options (errors carry paths under `/options`, e.g. `/options/strategy`); then, if `error_out`
/// is not NULL, `*error_out` receives the error response (free it with
/// `offerfit_string_free`). On success `*error_out` is set to NULL. Free the engine with
/// `offerfit_engine_free`.
///
/// # Safety
/// `options_json` is NULL or points to `len` readable bytes; `error_out` is NULL or valid for
/// writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn offerfit_engine_new(
    options_json: *const c_char,
    len: usize,
    error_out: *mut *mut c_char,
) -> *mut OfferfitEngine {
    if !error_out.is_null() {
        // SAFETY: `error_out` is non-NULL and valid for a write (caller's contract).
        unsafe { error_out.write(std::ptr::null_mut()) };
    }
    let built = catch_unwind(AssertUnwindSafe(|| {
        if options_json.is_null() {
            return Ok(Engine::without_options());
        }
        // SAFETY: forwarded from this function's contract on `options_json` and `len`.
        let bytes = unsafe { request_bytes(options_json, len) }?;
        Engine::new(bytes)
    }))
    .unwrap_or_else(|payload| Err(panic_response(&*payload)));
    match built {
        Ok(engine) => Box::into_raw(Box::new(OfferfitEngine { engine })),
        Err(response) => {
            if !error_out.is_null() {
                // SAFETY: `error_out` is valid for a write (caller's contract); `to_c` gets a
                // NULL `out_len`, which it skips.
                unsafe { error_out.write(to_c(response, std::ptr::null_mut())) };
            }
            std::ptr::null_mut()
        }
    }
}

/// Answers one request like `offerfit_call`, with the engine's stored options used by a
/// `place` request that has none. A NULL `engine` is answered with `request.null_pointer`.
/// Thread-safe: many threads may use one engine at once.
///
/// # Safety
/// `engine` is NULL or a live engine from `offerfit_engine_new`; `json`, `len` and `out_len`
/// as for `offerfit_call`.
#[no_mangle]
pub unsafe extern "C" fn offerfit_engine_call(
    engine: *const OfferfitEngine,
    json: *const c_char,
    len: usize,
    out_len: *mut usize,
) -> *mut c_char {
    let response = guarded(|| {
        // SAFETY: `engine` is NULL or a live engine (caller's contract); it is only read.
        let Some(engine) = (unsafe { engine.as_ref() }) else {
            return error_response(vec![WireError::new(
                "request.null_pointer",
                "expected an engine from `offerfit_engine_new`, found NULL",
            )]);
        };
        // SAFETY: forwarded from this function's contract on `json` and `len`.
        match unsafe { request_bytes(json, len) } {
            Ok(bytes) => engine.engine.respond(bytes),
            Err(e) => e,
        }
    });
    // SAFETY: forwarded from this function's contract on `out_len`.
    unsafe { to_c(response, out_len) }
}

/// Frees an engine. NULL is ignored.
///
/// # Safety
/// `engine` is NULL or an engine from `offerfit_engine_new` that has not been freed yet and
/// that no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn offerfit_engine_free(engine: *mut OfferfitEngine) {
    if engine.is_null() {
        return;
    }
    let _ = catch_unwind(|| {
        // SAFETY: `engine` came from `Box::into_raw` in `offerfit_engine_new` and is freed
        // only once (caller's contract).
        drop(unsafe { Box::from_raw(engine) });
    });
}

#[cfg(test)]
// The tests call the ABI exactly as a C host would, always with live buffers and lengths.
#[allow(clippy::undocumented_unsafe_blocks)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    /// Calls `f` and takes its response back as a Rust string, checking `out_len` and freeing.
    fn take(f: impl FnOnce(*mut usize) -> *mut c_char) -> String {
        let mut len = usize::MAX;
        let p = f(&mut len);
        assert!(!p.is_null());
        let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
        assert_eq!(s.len(), len);
        unsafe { offerfit_string_free(p) };
        s
    }

    fn call(bytes: &[u8]) -> String {
        take(|out| unsafe { offerfit_call(bytes.as_ptr().cast(), bytes.len(), out) })
    }

    #[test]
    fn call_matches_the_core() {
        let req = r#"{"op":"parse_resources","text":"cpus:2;mem:1024"}"#;
        assert_eq!(call(req.as_bytes()), offerfit::call(req));
        assert!(call(b"{\"op\":\"version\"}").starts_with(r#"{"ok":true,"version":"#));
    }

    #[test]
    fn request_need_not_be_nul_terminated() {
        let buf = br#"{"op":"parse_value","text":"5"}GARBAGE"#;
        assert_eq!(call(&buf[..buf.len() - 7]), offerfit::call(r#"{"op":"parse_value","text":"5"}"#));
    }

    #[test]
    fn null_request_is_an_error_object() {
        let out = take(|out| unsafe { offerfit_call(std::ptr::null(), 10, out) });
        assert_eq!(
            out,
            r#"{"ok":false,"errors":[{"code":"request.null_pointer","message":"expected a pointer to the request, found NULL","path":""}]}"#
        );
        // out_len may be NULL.
        let p = unsafe { offerfit_call(std::ptr::null(), 0, std::ptr::null_mut()) };
        assert!(!p.is_null());
        unsafe { offerfit_string_free(p) };
    }

    #[test]
    fn invalid_utf8_is_an_error_object() {
        let out = call(b"{\"op\":\"parse_value\",\"text\":\"\xe2\x28\xa1\"}");
        assert!(
            out.starts_with(
                r#"{"ok":false,"errors":[{"code":"request.utf8","message":"invalid UTF-8 at byte 28: expected a UTF-8 encoded character, found `\\xe2`""#
            ),
            "{out}"
        );
        assert!(out.contains(r#""span":{"start":28,"end":29}"#), "{out}");
    }

    #[test]
    fn embedded_nul_is_escaped_in_the_response() {
        // A NUL inside the request is just a byte: the JSON parser refuses it as a control
        // character, and the error's rendered line escapes nothing, yet the C string must end
        // at the real end.
        let req = b"{\"op\":\"parse_value\",\"text\":\"a\0b\"}";
        let mut len = 0;
        let p = unsafe { offerfit_call(req.as_ptr().cast(), req.len(), &mut len) };
        let s = unsafe { CStr::from_ptr(p) }.to_bytes();
        assert_eq!(s.len(), len, "the response must not contain a NUL byte");
        assert!(s.starts_with(br#"{"ok":false,"errors":[{"code":"request.json""#));
        unsafe { offerfit_string_free(p) };
    }

    #[test]
    fn version_is_static_and_matches_the_op() {
        let v = unsafe { CStr::from_ptr(offerfit_version()) }.to_str().unwrap();
        assert_eq!(v, offerfit::host::VERSION);
        assert!(call(br#"{"op":"version"}"#).starts_with(&format!(r#"{{"ok":true,"version":"{v}""#)));
    }

    #[test]
    fn free_ignores_null() {
        unsafe { offerfit_string_free(std::ptr::null_mut()) };
        unsafe { offerfit_engine_free(std::ptr::null_mut()) };
    }

    #[test]
    fn engine_round_trip() {
        let opts = br#"{"strategy":"spread"}"#;
        let mut marker = 0_i8;
        let mut err: *mut c_char = std::ptr::addr_of_mut!(marker).cast();
        let e = unsafe { offerfit_engine_new(opts.as_ptr().cast(), opts.len(), &mut err) };
        assert!(!e.is_null());
        assert!(err.is_null());
        let req = br#"{"op":"place","offers":[],"tasks":[]}"#;
        let out = take(|out| unsafe { offerfit_engine_call(e, req.as_ptr().cast(), req.len(), out) });
        assert_eq!(out, call(br#"{"op":"place","offers":[],"tasks":[],"options":{"strategy":"spread"}}"#));
        let other = br#"{"op":"parse_value","text":"[1-2]"}"#;
        let out = take(|out| unsafe { offerfit_engine_call(e, other.as_ptr().cast(), other.len(), out) });
        assert_eq!(out, call(other));
        unsafe { offerfit_engine_free(e) };
    }

    #[test]
    fn engine_with_null_options_passes_through() {
        let e = unsafe { offerfit_engine_new(std::ptr::null(), 0, std::ptr::null_mut()) };
        assert!(!e.is_null());
        let req = br#"{"op":"place","offers":[],"tasks":[]}"#;
        let out = take(|out| unsafe { offerfit_engine_call(e, req.as_ptr().cast(), req.len(), out) });
        assert_eq!(out, call(req));
        unsafe { offerfit_engine_free(e) };
    }

    #[test]
    fn engine_errors() {
        let bad = b"42";
        let mut err: *mut c_char = std::ptr::null_mut();
        let e = unsafe { offerfit_engine_new(bad.as_ptr().cast(), bad.len(), &mut err) };
        assert!(e.is_null());
        assert!(!err.is_null());
        let msg = unsafe { CStr::from_ptr(err) }.to_str().unwrap().to_owned();
        unsafe { offerfit_string_free(err) };
        assert_eq!(
            msg,
            r#"{"ok":false,"errors":[{"code":"request.type","message":"invalid type: number, expected the `place` options object","path":"/options"}]}"#
        );
        // error_out may be NULL.
        assert!(unsafe { offerfit_engine_new(bad.as_ptr().cast(), bad.len(), std::ptr::null_mut()) }.is_null());
        let req = br#"{"op":"version"}"#;
        let out = take(|out| unsafe { offerfit_engine_call(std::ptr::null(), req.as_ptr().cast(), req.len(), out) });
        assert_eq!(
            out,
            r#"{"ok":false,"errors":[{"code":"request.null_pointer","message":"expected an engine from `offerfit_engine_new`, found NULL"}]}"#
        );
    }

    #[cfg(feature = "test-panic")]
    #[test]
    fn panics_become_internal_errors() {
        let req = br#"{"op":"__test_panic"}"#;
        let out = call(req);
        assert_eq!(
            out,
            r#"{"ok":false,"errors":[{"code":"internal","message":"offerfit panicked: `__test_panic was requested`","help":"this is a bug in offerfit, not in the request: please report it with the request"}]}"#
        );
        let e = unsafe { offerfit_engine_new(b"{}".as_ptr().cast(), 2, std::ptr::null_mut()) };
        let out2 = take(|o| unsafe { offerfit_engine_call(e, req.as_ptr().cast(), req.len(), o) });
        assert_eq!(out2, out);
        unsafe { offerfit_engine_free(e) };
        // The library keeps working after a caught panic.
        assert!(call(br#"{"op":"version"}"#).starts_with(r#"{"ok":true"#));
    }
}
