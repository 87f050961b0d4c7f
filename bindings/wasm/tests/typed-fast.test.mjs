// The typed functions' text route (js/guard.mjs `typedCall`): a request of plain JSON values
// goes to the module as text, anything else to the module's own function, and either way the
// answer is the one the module's own function gives.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import * as offerfit from '../js/node.mjs';
import { typedCall } from '../js/guard.mjs';
import { corpus, PACKAGE, ROOT, splitOp, TYPED } from './helpers.mjs';

const raw = createRequire(import.meta.url)(join(PACKAGE, 'pkg/node/offerfit_wasm.js'));
const decodeAscii = (buffer, at, len) => Buffer.from(buffer, at, len).toString('ascii');

/** The package's answer and the module's own (serde-wasm-bindgen) answer: the same value,
 * with the same keys in the same order. */
function same(fn, request, label) {
  const fast = offerfit[fn](request);
  const own = raw[fn](request);
  assert.deepStrictEqual(fast, own, label);
  assert.equal(JSON.stringify(fast), JSON.stringify(own), `${label}: same key order`);
  return fast;
}

test('every typed request of the corpus gets the module function’s own answer', () => {
  let n = 0;
  let ok = 0;
  for (const line of corpus()) {
    const split = splitOp(line);
    if (split === null) continue;
    const [op, request] = split;
    const fn = TYPED[op];
    if (fn === undefined || op === 'version') continue;
    const out = same(fn, request, `${fn} ${line.slice(0, 160)}`);
    n++;
    if (out.ok === true) ok++;
  }
  assert.ok(n > 150 && ok > 50, `${n} typed requests, ${ok} answered ok`);
});

/** A copy of the module whose own `place` / `parseValue` say that they answered. */
function spied() {
  const calls = [];
  const module = { ...raw };
  for (const name of ['place', 'parseValue']) {
    module[name] = (...args) => {
      calls.push(name);
      return raw[name](...args);
    };
  }
  return { module, calls };
}

test('plain JSON requests go as text; odd values, errors and extra arguments to the module', () => {
  const { module, calls } = spied();
  const parseValue = typedCall(module, 'parseValue', decodeAscii);
  const routed = (request, ...more) => {
    calls.length = 0;
    const out = parseValue(request, ...more);
    assert.deepStrictEqual(out, raw.parseValue(request, ...more));
    return calls.length === 0 ? 'text' : 'module';
  };
  // Plain values, a null-prototype object, an `op` of its own (replaced, as the module does).
  assert.equal(routed({ text: '[1-4, 6-9]' }), 'text');
  assert.equal(routed(Object.assign(Object.create(null), { text: 'a' })), 'text');
  assert.equal(routed({ op: 'place', text: '5' }), 'text');
  assert.equal(routed({ text: 'x\u{1F600}' }), 'text');
  // Errors are the module's own (no text spans), so are values the two readings could differ
  // on: undefined (dropped by JSON.stringify, null to serde-wasm-bindgen), functions, symbols,
  // BigInts, non-finite numbers, integral doubles past 2^53, fractions with more digits than
  // a double's integers hold, lone surrogates, Maps, Dates, class instances, `toJSON`, holes.
  assert.equal(routed({ text: '[4-1]' }), 'module');
  assert.equal(routed({ text: '1', extra: 1 }), 'module');
  for (const odd of [
    undefined,
    () => 1,
    Symbol('s'),
    5n,
    NaN,
    Infinity,
    2 ** 60,
    0.1 + 0.2,
    1e-30,
    'x\ud800',
    new Map([['a', 1]]),
    new Date(0),
    new (class Thing {})(),
    { toJSON: () => 'x' },
    [1, , 3], // eslint-disable-line no-sparse-arrays
  ]) {
    assert.equal(routed({ text: '1', odd }), 'module', `odd value ${String(typeof odd)}`);
  }
  assert.equal(routed({ text: '1' }, 'more'), 'module');
  assert.equal(routed([{ text: '1' }]), 'module');
  assert.equal(routed(null), 'module');
  // Fractions a JSON parser reads back exactly go as text (even when the request is refused
  // later for another reason, the reading itself is the same).
  calls.length = 0;
  parseValue({ text: '1', n: 0.25, m: -1.5e-7, k: 123456.789 });
  assert.deepEqual(calls, ['parseValue'], 'refused (unknown fields): answered by the module');
});

test('a cycle or nesting past the json_depth limit goes to the module, which refuses it', () => {
  const cyclic = { text: '1' };
  cyclic.self = cyclic;
  const out = same('parseValue', cyclic, 'cycle');
  assert.equal(out.errors[0].code, 'limit.json_depth');
  let deep = { text: '1' };
  for (let i = 0; i < 70; i++) deep = { a: deep };
  assert.equal(same('parseValue', deep, 'deep').errors[0].code, 'limit.json_depth');
});

test('a place request with fractions, large integers and every field answers as the module does', () => {
  const request = JSON.parse(readFileSync(join(ROOT, 'examples/place-request.json'), 'utf8'));
  const { op: _, ...rest } = request;
  const out = same('place', rest, 'examples/place-request.json');
  assert.equal(out.ok, true);
  const { module, calls } = spied();
  const place = typedCall(module, 'place', decodeAscii);
  assert.deepStrictEqual(place(rest), out);
  assert.deepEqual(calls, [], 'answered through the text route');
  // Fractional scalars (0.1 cpus each), a range ending at 2^53 - 1.
  const tasks = Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, cpus: 0.1, mem: 32.5 }));
  const offers = [
    {
      id: { value: 'o1' },
      framework_id: { value: 'f' },
      agent_id: { value: 'a1' },
      hostname: 'h1',
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.35 } },
        { name: 'mem', type: 'SCALAR', scalar: { value: 1000.125 } },
        { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: Number.MAX_SAFE_INTEGER }] } },
      ],
    },
  ];
  const placed = same('place', { offers, tasks }, 'fractions');
  assert.equal(placed.ok, true);
  calls.length = 0;
  assert.deepStrictEqual(place({ offers, tasks }), placed);
  assert.deepEqual(calls, [], 'fractions with few digits and safe integers go as text');
  assert.equal(placed.unplaced.length, 2, '0.35 cpus hold three tasks of 0.1');
});
