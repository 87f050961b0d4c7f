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

/** The contract op of each typed function (the `op` its request gets). */
export const OPS = {
  parseValue: 'parse_value',
  parseResources: 'parse_resources',
  formatResources: 'format_resources',
  resourceMath: 'resource_math',
  parseAttributes: 'parse_attributes',
  parseConstraints: 'parse_constraints',
  checkConstraints: 'check_constraints',
  place: 'place',
};

/**
 * A typed function (`place`, `parseValue`, ...) over a wasm-bindgen module: the same answer as
 * the module's own function, faster for large requests. The module's function reads the JS
 * object through serde-wasm-bindgen, one property at a time across the WebAssembly boundary,
 * and builds the answer object the same way: ~10x the time of `call` on the same request's
 * text (a 10,000-offer Fenzo `place`: seconds against ~0.2 s). Here a request that is a tree
 * of plain JSON values (`jsonTree`) goes as text instead: `JSON.stringify` with the op added
 * (where the module adds it: replacing an `op` in place, else last), the text path of
 * `textCall`, and `JSON.parse` of the answer. For such a tree, serde-wasm-bindgen and
 * `JSON.stringify` give the module the same JSON value, and the module's typed and text paths
 * answer the same value (`JSON.parse` reads each answer number to the double the module's
 * object encoding gives). The module answers that text as its typed function answers the
 * object (`__typedRequest`, bindings/wasm/src/js.rs `typed_text`): a `place` the core's fast
 * path reads is answered there (`ok`, or the engine's refusal), anything else is read from the
 * text by the reader that reads the object (the same limits) and answered by the typed path,
 * errors included, so every request is computed once. Requests with other values (those the
 * two readings could differ on) go to the module's own function.
 */
export function typedCall(module, name, decodeAscii) {
  const op = OPS[name];
  const raw = module[name];
  const typed = function (...args) {
    const request = args[0];
    if (op !== undefined && args.length === 1) {
      const text = jsonText(request, op);
      if (text !== undefined) {
        const answer = answerText(module, text, decodeAscii, module.__typedRequest, module.__typedRequestKept);
        if (answer !== '') return JSON.parse(answer);
      }
    }
    return raw(...args);
  };
  Object.defineProperty(typed, 'name', { value: name });
  return typed;
}

/**
 * `JSON.stringify` of the object `request` (with `op` set, where the module sets it: replacing
 * an `op` in place, else last, when given) when it is a plain tree (`jsonTree`) whose text has
 * no lone surrogate: then serde-wasm-bindgen reading the object and a JSON reader reading the
 * text give the module the same value. Else `undefined`.
 */
export function jsonText(request, op) {
  if (!isPlainObject(request) || !jsonTree(request, 1)) return undefined;
  const text = JSON.stringify(op === undefined ? request : { ...request, op });
  return loneSurrogate(text) ? undefined : text;
}

/** How deep `jsonTree` looks (the default `json_depth` limit): deeper goes to the module. */
const MAX_DEPTH = 64;

/** Whether `v` is an object `JSON.stringify` and serde-wasm-bindgen both read as its own
 * enumerable properties: prototype `Object.prototype` or none, no `toJSON`. */
function isPlainObject(v) {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && !('toJSON' in v);
}

/**
 * Whether `v` (at nesting `depth`) is a tree that `JSON.stringify` writes as exactly the JSON
 * value serde-wasm-bindgen reads (bindings/wasm/src/js.rs `to_json`): null, booleans,
 * strings (lone surrogates are caught in the text: `loneSurrogate`), numbers `jsonNumber`
 * accepts, plain arrays without holes and plain objects. Anything else (undefined, which one
 * drops and the other reads as null; functions, symbols, BigInts, non-finite numbers, `Map`s,
 * class instances, `toJSON`, cycles, nesting past `MAX_DEPTH`) is left to the module's own
 * reading, with its own answers and errors. (`for ... in` also visits inherited enumerable
 * properties, which only makes the check stricter.)
 */
function jsonTree(v, depth) {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isSafeInteger(v) || jsonFraction(v);
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || 'toJSON' in v) return false;
    for (let i = 0; i < v.length; i++) {
      if (!(i in v) || !jsonTree(v[i], depth + 1)) return false;
    }
    return true;
  }
  if (!isPlainObject(v)) return false;
  for (const key in v) {
    if (!jsonTree(v[key], depth + 1)) return false;
  }
  return true;
}

/** Whether JSON text holds an escaped lone surrogate (`JSON.stringify` writes one as
 * `\udXXX`; serde-wasm-bindgen reads it as U+FFFD, a JSON parser refuses it). A backslash
 * written as `\\` before `ud8..` also matches: that request merely takes the slower route. */
function loneSurrogate(text) {
  return text.indexOf('\\ud') >= 0 && /\\ud[89a-f]/.test(text);
}

/**
 * Whether the number `x`, not a safe integer, reaches the module as the same JSON number both
 * ways: a fraction whose shortest digits (`String(x)`, what `JSON.stringify` writes) are at
 * most 15 significant digits times a power of ten within 10^±22, which any JSON parser,
 * serde_json's included, reads back to exactly `x` (both factors exact doubles, one
 * rounding). Integral doubles past 2^53 (a double to serde-wasm-bindgen, an integer in text)
 * and non-finite numbers are not.
 */
function jsonFraction(x) {
  if (!Number.isFinite(x) || Number.isInteger(x)) return false;
  const s = String(x);
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const exponent = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  let digits = 0;
  let leading = true;
  for (let i = 0; i < mantissa.length; i++) {
    const c = mantissa.charCodeAt(i);
    if (c < 48 || c > 57) continue; // '-', '.'
    if (leading && c === 48) continue;
    leading = false;
    digits++;
  }
  const power = exponent - fraction;
  return digits <= 15 && power >= -22 && power <= 22;
}

/** The exports `textCall` and `typedCall` need besides `call`. */
const TEXT_CALL_EXPORTS = [
  '__requestBuffer',
  '__callRequest',
  '__callRequestKept',
  '__typedRequest',
  '__typedRequestKept',
  '__response',
  '__responseAscii',
  '__memory',
];

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
    const fn = name === 'call' ? textCall(module, decodeAscii) : name in OPS ? typedCall(module, name, decodeAscii) : module[name];
    api[name] = guard(fn, text);
  }
  return api;
}
