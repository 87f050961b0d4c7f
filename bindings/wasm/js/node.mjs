// offerfit for Node: the `nodejs` build of the wasm module, loaded synchronously.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { guardAll } from './guard.mjs';
import { sessionClass } from './session.mjs';

const require = createRequire(import.meta.url);
// An all-ASCII answer of `call` is decoded by Buffer, several times faster than TextDecoder's
// UTF-8; see guard.mjs `textCall`. The module has already checked that every byte is ASCII
// (`__responseAscii`), so Buffer's 'latin1' decoding, which maps each byte to the character of
// that code, gives exactly the string 'ascii' or UTF-8 would, without 'ascii''s second scan of
// the bytes for a high bit (a plain copy: ~0.3 against ~1.2 ms, medians, for a 2.5 MB answer).
const decodeAscii = (buffer, at, len) => Buffer.from(buffer, at, len).toString('latin1');
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
