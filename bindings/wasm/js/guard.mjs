// The package's safety net at the WebAssembly boundary.
//
// The Rust side answers every bad request with the contract's error object and never throws.
// A panic is a bug: natively and in `panic=unwind` builds the Rust guard catches it, but stable
// `wasm32-unknown-unknown` is `panic=abort`, so there the panic hook schedules a fresh wasm
// instance for the next call and throws `offerfit panicked: ...`. Any exception out of the
// module (that one, or a trap such as running out of memory) is turned here into the same
// `internal` error object, so callers never see a thrown error from offerfit.

/** The `help` of an `internal` error (the same text as the Rust guard's `PANIC_HELP`). */
export const PANIC_HELP = 'this is a bug in offerfit, not in the request: please report it with the request';

/** Every function the module exports, by JS name: true for the ones that answer JSON text. */
export const EXPORTS = {
  call: true,
  version: false,
  parseValue: false,
  parseResources: false,
  formatResources: false,
  resourceMath: false,
  parseAttributes: false,
  parseConstraints: false,
  checkConstraints: false,
  place: false,
};

/** The contract's `internal` error for an exception thrown by the wasm module. */
export function internalError(error) {
  const raw = String(error && error.message !== undefined ? error.message : error);
  const line = raw.split('\n', 1)[0];
  const message = line.startsWith('offerfit panicked: ') ? line : `offerfit trapped: \`${line}\``;
  return { ok: false, errors: [{ code: 'internal', message, help: PANIC_HELP }] };
}

/** Wraps one export so that an exception becomes the contract's `internal` error. */
export function guard(fn, text) {
  const guarded = function (...args) {
    try {
      return fn(...args);
    } catch (error) {
      const failure = internalError(error);
      return text ? JSON.stringify(failure) : failure;
    }
  };
  Object.defineProperty(guarded, 'name', { value: fn.name });
  return guarded;
}

/** The guarded API over a wasm-bindgen module (`pkg/<target>/offerfit_wasm.js`). */
export function guardAll(module) {
  const api = {};
  for (const [name, text] of Object.entries(EXPORTS)) {
    if (typeof module[name] !== 'function') {
      throw new Error(`offerfit: the wasm module lacks the export \`${name}\``);
    }
    api[name] = guard(module[name], text);
  }
  return api;
}
