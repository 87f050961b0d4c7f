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

const encoder = new TextEncoder();

/**
 * The package's `call` over a wasm-bindgen module: the same answer as the module's own `call`,
 * for the same text, with the text passed faster. wasm-bindgen copies a string argument into
 * the module one UTF-16 unit at a time in JavaScript (~8 ms per MB, as long as the rest of a
 * large `place` call); here `TextEncoder.encodeInto` writes its UTF-8 straight into a buffer
 * the module makes room for (`__requestBuffer`), which `__callRequest` then answers. The bytes
 * are the ones wasm-bindgen would pass (it encodes with `encodeInto` too: a lone surrogate
 * becomes U+FFFD). Anything but a string goes to the module's `call` as before.
 *
 * With `decodeAscii(buffer, ptr, len)` (Node's entry passes one over `Buffer`), the answer is
 * decoded where the module keeps it (`__callRequestKept`, `__response`): an all-ASCII answer
 * (`__responseAscii`) by `decodeAscii`, which must be exact for ASCII, any other by
 * `TextDecoder` as wasm-bindgen decodes it. Without it, `__callRequest` answers through
 * wasm-bindgen's `TextDecoder`.
 */
export function textCall(module, decodeAscii) {
  const call = function call(text) {
    if (typeof text !== 'string') return module.call(text);
    return answerText(module, text, decodeAscii, module.__callRequest, module.__callRequestKept);
  };
  return call;
}

/**
 * `text` written into the module's request buffer and answered by `answer(len)` (the answer
 * as a string) or, with `decodeAscii`, by `answerKept(len)` (the answer kept in the module,
 * decoded there): the fast path of `textCall`, also taken by `Session.stepText`.
 */
export function answerText(module, text, decodeAscii, answer, answerKept) {
  // One byte per UTF-16 unit first (exact for ASCII), then room for the rest at 3 bytes a unit.
  let ptr = module.__requestBuffer(text.length);
  let { read, written } = encoder.encodeInto(text, new Uint8Array(module.__memory().buffer, ptr, text.length));
  if (read < text.length) {
    const rest = text.slice(read);
    const len = written + rest.length * 3;
    ptr = module.__requestBuffer(len);
    written += encoder.encodeInto(rest, new Uint8Array(module.__memory().buffer, ptr + written, len - written)).written;
  }
  if (decodeAscii === undefined) return answer(written);
  const len = answerKept(written);
  const at = module.__response();
  const buffer = module.__memory().buffer;
  return module.__responseAscii() ? decodeAscii(buffer, at, len) : decoder.decode(new Uint8Array(buffer, at, len));
}

// wasm-bindgen's own decoder for the strings a module returns.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

/** The exports `textCall` needs besides `call`. */
const TEXT_CALL_EXPORTS = ['__requestBuffer', '__callRequest', '__callRequestKept', '__response', '__responseAscii', '__memory'];

/**
 * The guarded API over a wasm-bindgen module (`pkg/<target>/offerfit_wasm.js`); `decodeAscii`
 * as for `textCall`.
 */
export function guardAll(module, decodeAscii) {
  const api = {};
  for (const name of [...Object.keys(EXPORTS), ...TEXT_CALL_EXPORTS]) {
    if (typeof module[name] !== 'function') {
      throw new Error(`offerfit: the wasm module lacks the export \`${name}\``);
    }
  }
  for (const [name, text] of Object.entries(EXPORTS)) {
    api[name] = guard(name === 'call' ? textCall(module, decodeAscii) : module[name], text);
  }
  return api;
}
