// offerfit for bundlers (webpack, Vite, Rollup with a wasm plugin): the `bundler` build.
import * as module from '../pkg/offerfit_wasm.js';
import { guardAll } from './guard.mjs';
import { sessionClass } from './session.mjs';

const api = guardAll(module);

export const {
  call,
  version,
  parseValue,
  parseResources,
  formatResources,
  resourceMath,
  parseAttributes,
  parseConstraints,
  checkConstraints,
  place,
} = api;

/** A framework's scheduler state machine (SESSION.md): see js/session.d.ts. */
export const Session = sessionClass(module);
export { OfferfitError } from './session.mjs';
