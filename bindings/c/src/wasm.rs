//! The plain-WASM ABI (`wasm32-unknown-unknown`): three exports over linear memory and no
//! imports, so any WebAssembly runtime (wasmtime, wazero, Chicory, Wasmer, browsers) can host
//! it without glue code.
//!
//! Protocol: the host calls `offerfit_alloc(n)`, writes the n request bytes there, calls
//! `offerfit_call(ptr, n)`, splits the returned u64 into the response pointer (high 32 bits)
//! and length (low 32 bits), reads the response, then frees both buffers with
//! `offerfit_free(ptr, len)`.
//!
//! Panics: this target aborts on panic (the host sees a trap) and `catch_unwind` cannot catch
//! anything, so this path is panic-free by construction: no indexing, `unwrap` or arithmetic
//! that can overflow here, out-of-bounds and NULL requests answered with error objects, and
//! allocation failure reported as 0 rather than through the aborting `handle_alloc_error`.
//! The core (`offerfit::host::call_bytes`) forbids panicking operations on input-derived data
//! (clippy `unwrap_used`, `expect_used`, `indexing_slicing`, `panic`) and is fuzzed. If a bug
//! panics anyway, the host gets a trap: it should answer with the contract's `internal` error
//! and discard the instance (see `bindings/README.md`).

use std::alloc::{alloc, dealloc, realloc, Layout};

use offerfit::host::WireError;

use crate::{error_response, respond};

/// Bytes in one WebAssembly page.
const PAGE: u64 = 65_536;

/// Allocates `len` bytes for a request and returns their address, or 0 when memory cannot
/// grow. For `len == 0` it returns a non-zero address that must not be read or written
/// (freeing it is a no-op).
#[no_mangle]
pub extern "C" fn offerfit_alloc(len: u32) -> u32 {
    if len == 0 {
        return std::ptr::NonNull::<u8>::dangling().as_ptr() as usize as u32;
    }
    let Ok(layout) = Layout::from_size_align(len as usize, 1) else {
        return 0;
    };
    // SAFETY: `layout` has a non-zero size; a NULL result (out of memory) is returned as 0.
    let p = unsafe { alloc(layout) };
    p as usize as u32
}

/// Frees `len` bytes at `ptr`, a buffer from `offerfit_alloc(len)` or a response from
/// `offerfit_call` (with its length). `ptr == 0` or `len == 0` is a no-op.
///
/// # Safety
/// `ptr` and `len` describe a live buffer from this module that is freed only once.
#[no_mangle]
pub unsafe extern "C" fn offerfit_free(ptr: u32, len: u32) {
    if ptr == 0 || len == 0 {
        return;
    }
    let Ok(layout) = Layout::from_size_align(len as usize, 1) else {
        return;
    };
    // SAFETY: by the caller's contract the buffer was allocated by the global allocator with
    // exactly this layout (size `len`, alignment 1), in `offerfit_alloc` or `into_host`, and
    // is live.
    unsafe { dealloc(ptr as usize as *mut u8, layout) };
}

/// Answers the JSON contract request in the `len` bytes at `ptr` and returns the response as
/// `(response_ptr << 32) | response_len`, a UTF-8 JSON object the host frees with
/// `offerfit_free(response_ptr, response_len)`. The request buffer stays the host's (free it
/// too). Returns 0 only when memory for the response could not be allocated.
///
/// A request outside linear memory or at address 0 is answered with an error object, bytes
/// that are not UTF-8 with `request.utf8`.
///
/// # Safety
/// The `len` bytes at `ptr` are not modified during the call and do not overlap memory that
/// offerfit is using (a buffer from `offerfit_alloc` satisfies both).
#[no_mangle]
pub unsafe extern "C" fn offerfit_call(ptr: u32, len: u32) -> u64 {
    // SAFETY: forwarded from this function's contract.
    let response = match unsafe { request_in_memory(ptr, len) } {
        Ok(bytes) => respond(bytes),
        Err(e) => e,
    };
    into_host(response)
}

/// The `len` request bytes at `ptr`, or the error response for address 0 or bytes outside
/// linear memory (`len == 0` is the empty request, wherever it points).
///
/// # Safety
/// The `len` bytes at `ptr` are not modified while the slice lives and do not overlap memory
/// that offerfit is using.
pub(crate) unsafe fn request_in_memory<'a>(ptr: u32, len: u32) -> Result<&'a [u8], String> {
    let memory_bytes = (core::arch::wasm32::memory_size::<0>() as u64).saturating_mul(PAGE);
    if len == 0 {
        Ok(&[])
    } else if ptr == 0 {
        Err(error_response(vec![
            WireError::new("request.null_pointer", "expected a request address, found 0").with_path("")
        ]))
    } else if u64::from(ptr).saturating_add(u64::from(len)) > memory_bytes {
        Err(error_response(vec![WireError::new(
            "request.out_of_bounds",
            format!("expected a request inside linear memory ({memory_bytes} bytes), found `{ptr}+{len}`"),
        )
        .with_path("")]))
    } else {
        // SAFETY: `ptr` is non-zero and `ptr + len` lies inside linear memory, so the bytes
        // are readable; the caller guarantees nothing modifies them while they are used.
        Ok(unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) })
    }
}

/// Hands `response`'s own buffer to the host, trimmed to its length (dlmalloc shrinks in
/// place: no copy of the answer), packed as `(ptr << 32) | len` for `offerfit_free(ptr, len)`;
/// 0 when the answer is empty or longer than 4 GiB, or when the trim fails (memory is freed).
pub(crate) fn into_host(response: String) -> u64 {
    let len = response.len();
    let Ok(len32) = u32::try_from(len) else {
        return 0;
    };
    if len == 0 {
        return 0;
    }
    // The String's buffer, owned by hand from here: by `Vec`'s guarantees it was allocated by
    // the global allocator with the layout of `[u8; capacity]`, i.e. (capacity, 1).
    let mut bytes = std::mem::ManuallyDrop::new(response.into_bytes());
    let (ptr, capacity) = (bytes.as_mut_ptr(), bytes.capacity());
    let Ok(layout) = Layout::from_size_align(capacity, 1) else {
        return 0; // Cannot happen (the buffer exists with this layout); leaks rather than trap.
    };
    let p = if capacity == len {
        ptr
    } else {
        // SAFETY: `ptr` was allocated by the global allocator with `layout` and is owned here
        // (the `Vec` will not free it); `len` is non-zero and below `isize::MAX` once rounded
        // to alignment 1. After the call `ptr` is not used again unless the result is NULL.
        let q = unsafe { realloc(ptr, layout, len) };
        if q.is_null() {
            // SAFETY: on failure `realloc` leaves the block as it was: still ours, `layout`.
            unsafe { dealloc(ptr, layout) };
            return 0;
        }
        q
    };
    // The host frees `len` bytes at `p` with `offerfit_free(p, len)`: layout (len, 1), the
    // block's layout now.
    (u64::from(p as usize as u32) << 32) | u64::from(len32)
}
