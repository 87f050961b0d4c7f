// offerfit for Node: the `nodejs` build of the wasm module, loaded synchronously.
import { createRequire } from 'node:module';
import { guardAll } from './guard.mjs';

const require = createRequire(import.meta.url);
const api = guardAll(require('../pkg/node/offerfit_wasm.js'));

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
