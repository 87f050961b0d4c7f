// offerfit for Node: the `nodejs` build of the wasm module, loaded synchronously.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { guardAll } from './guard.mjs';
import { sessionClass } from './session.mjs';

const require = createRequire(import.meta.url);
// An all-ASCII answer of `call` is decoded by Buffer (its 'ascii' decoding is exact for ASCII
// and several times faster than TextDecoder's UTF-8); see guard.mjs `textCall`.
const decodeAscii = (buffer, at, len) => Buffer.from(buffer, at, len).toString('ascii');
const module = require('../pkg/node/offerfit_wasm.js');
const api = guardAll(module, decodeAscii);

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
export const Session = sessionClass(module, decodeAscii);
export { OfferfitError } from './session.mjs';
