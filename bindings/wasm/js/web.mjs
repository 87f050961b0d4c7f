// offerfit for browsers without a bundler: the `web` build. Call `await init()` (or
// `initSync({ module })`) once before any other function; `init` fetches
// `pkg/offerfit_wasm_bg.wasm` (the package's one module) unless given a URL, a Response
// or compiled bytes.
import * as module from '../pkg/web/offerfit_wasm.js';
import rawInit, { initSync as rawInitSync } from '../pkg/web/offerfit_wasm.js';
import { guard, textCall, typedCall, EXPORTS, OPS } from './guard.mjs';
import { sessionClass } from './session.mjs';

let ready = false;

/** Loads the module (asynchronously); the other functions work once it has resolved. */
export default async function init(input) {
  const exports = await rawInit(input);
  ready = true;
  return exports;
}

/** Loads the module from a `WebAssembly.Module` or bytes (synchronously). */
export function initSync(input) {
  const exports = rawInitSync(input);
  ready = true;
  return exports;
}

// Calling before `init` is a programming error, not a bad request: it throws rather than
// answering an `internal` error that would hide the mistake.
const get = (name) => {
  const raw = name === 'call' ? textCall(module) : name in OPS ? typedCall(module, name) : (...args) => module[name](...args);
  const guarded = guard(raw, EXPORTS[name]);
  const api = (...args) => {
    if (!ready) throw new Error(`offerfit: call \`await init()\` before \`${name}()\``);
    return guarded(...args);
  };
  Object.defineProperty(api, 'name', { value: name });
  return api;
};

export const call = get('call');
export const version = get('version');
export const parseValue = get('parseValue');
export const parseResources = get('parseResources');
export const formatResources = get('formatResources');
export const resourceMath = get('resourceMath');
export const parseAttributes = get('parseAttributes');
export const parseConstraints = get('parseConstraints');
export const checkConstraints = get('checkConstraints');
export const place = get('place');

/** A framework's scheduler state machine (SESSION.md): see js/session.d.ts. */
export const Session = sessionClass(module, undefined, (what) => {
  if (!ready) throw new Error(`offerfit: call \`await init()\` before \`${what}()\``);
});
export { OfferfitError } from './session.mjs';
