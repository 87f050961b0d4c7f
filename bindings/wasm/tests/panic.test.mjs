// Panic safety at the wasm-bindgen boundary, proven with the `test-panic` build
// (pkg/test-node, built by scripts/build-wasm.sh), whose op `__test_panic` (and, for the typed
// functions, a request field of that name) panics inside the module.
//
// Stable wasm32 is panic=abort: the module cannot unwind, so its panic hook schedules a fresh
// instance and throws; the package's guard (js/guard.mjs) turns that into the contract's
// `internal` error. These tests check the whole chain and that the module keeps working.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import { guardAll, PANIC_HELP } from '../js/guard.mjs';
import { PACKAGE } from './helpers.mjs';

const raw = createRequire(import.meta.url)(join(PACKAGE, 'pkg/test-node/offerfit_wasm.js'));
const offerfit = guardAll(raw);

const INTERNAL = {
  ok: false,
  errors: [{ code: 'internal', message: 'offerfit panicked: `__test_panic was requested`', help: PANIC_HELP }],
};
const FIVE = '{"ok":true,"value":{"type":"SCALAR","scalar":{"value":5}}}';

test('the raw module throws on a panic (no unwinding on wasm32) and starts afresh', () => {
  assert.equal(raw.call('{"op":"parse_value","text":"5"}'), FIVE);
  const fresh = raw.__testMemoryBytes(); // a new instance's memory once it has answered a call
  // Grow the instance's memory with one big request, then panic.
  assert.equal(raw.call(JSON.stringify({ op: 'parse_value', text: 'x'.repeat(8 << 20) })).startsWith('{"ok":false'), true);
  assert.ok(raw.__testMemoryBytes() > fresh + (8 << 20));
  assert.throws(() => raw.call('{"op":"__test_panic"}'), { message: 'offerfit panicked: `__test_panic was requested`' });
  assert.equal(raw.call('{"op":"parse_value","text":"5"}'), FIVE, 'a fresh instance answers the next call');
  assert.equal(raw.__testMemoryBytes(), fresh, 'the next call ran on a new instance with fresh memory');
});

test('a panic in call becomes the internal error object, as text', () => {
  assert.equal(offerfit.call('{"op":"__test_panic"}'), JSON.stringify(INTERNAL));
  assert.equal(offerfit.call('{"op":"parse_value","text":"5"}'), FIVE);
});

test('a panic in a typed function becomes the internal error object', () => {
  for (const fn of ['place', 'parseConstraints', 'checkConstraints', 'parseResources', 'parseValue']) {
    assert.deepEqual(offerfit[fn]({ __test_panic: true }), INTERNAL, fn);
  }
  assert.equal(offerfit.parseValue({ text: '5' }).value.scalar.value, 5);
});

test('the module survives many panics: each one gets a fresh instance, nothing leaks', () => {
  // An aborted call runs no destructors: what it allocated (here a ~4 MiB request, within the
  // limits: 64 strings of 60 KiB, each under `string_bytes`, so the conversion keeps it all)
  // stays allocated, and the shadow stack pointer stays where the panic left it. Without a
  // fresh instance 40 panics would grow memory by 150 MiB; with one it stays where it was.
  const big = { text: '5', pad: Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(60 << 10, 'x')) };
  assert.deepEqual(offerfit.parseValue({ ...big, __test_panic: true }), INTERNAL);
  assert.equal(offerfit.parseValue({ text: '5' }).ok, true);
  const baseline = raw.__testMemoryBytes();
  for (let i = 0; i < 40; i++) {
    assert.deepEqual(offerfit.parseValue({ ...big, __test_panic: true }), INTERNAL);
    assert.equal(offerfit.parseValue({ text: '[1-2]' }).value.ranges.range.length, 1);
  }
  const after = raw.__testMemoryBytes();
  assert.ok(after <= baseline, `memory grew from ${baseline} to ${after} bytes over 40 panics`);
});

test('the guard also answers a trap that is not a panic', () => {
  const trapping = guardAll({
    ...raw,
    call: () => {
      throw new WebAssembly.RuntimeError('unreachable');
    },
    // The package's `call` passes a string through these (js/guard.mjs `textCall`).
    __callRequest: () => {
      throw new WebAssembly.RuntimeError('unreachable');
    },
    __callRequestKept: () => {
      throw new WebAssembly.RuntimeError('unreachable');
    },
    // The typed functions pass a plain request through these (js/guard.mjs `typedCall`).
    __typedRequest: () => {
      throw new WebAssembly.RuntimeError('unreachable');
    },
    __typedRequestKept: () => {
      throw new WebAssembly.RuntimeError('unreachable');
    },
    place: () => {
      throw new RangeError('Maximum call stack size exceeded');
    },
  });
  for (const request of ['{}', undefined]) {
    assert.deepEqual(JSON.parse(trapping.call(request)), {
      ok: false,
      errors: [{ code: 'internal', message: 'offerfit trapped: `unreachable`', help: PANIC_HELP }],
    });
  }
  // A plain request goes as text (js/guard.mjs `typedCall`), anything else to the module's own
  // `place`: a trap on either route is answered.
  assert.equal(trapping.place({}).errors[0].message, 'offerfit trapped: `unreachable`');
  assert.equal(trapping.place({ x: undefined }).errors[0].message, 'offerfit trapped: `Maximum call stack size exceeded`');
});
