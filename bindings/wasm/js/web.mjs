// offerfit for browsers without a bundler: the `web` build. Call `await init()` (or
// `initSync({ module })`) once before any other function; `init` fetches
// `pkg/web/offerfit_wasm_bg.wasm` next to this file unless given a URL, Response or module.
import * as module from '../pkg/web/offerfit_wasm.js';
import { guard, EXPORTS } from './guard.mjs';

export { default, initSync } from '../pkg/web/offerfit_wasm.js';

// Looked up at call time: the web build's exports exist before `init`, but each guarded
// function simply forwards to them.
const get = (name) => guard((...args) => module[name](...args), EXPORTS[name]);

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
