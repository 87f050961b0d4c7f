// The typed functions' text route (js/guard.mjs `typedCall`): a request of plain JSON values
// goes to the module as text, anything else to the module's own function, and either way the
// answer is the one the module's own function gives.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import * as offerfit from '../js/node.mjs';
import { typedCall } from '../js/guard.mjs';
import { sessionClass } from '../js/session.mjs';
import { corpus, PACKAGE, ROOT, splitOp, TYPED } from './helpers.mjs';

const raw = createRequire(import.meta.url)(join(PACKAGE, 'pkg/node/offerfit_wasm.js'));
const decodeAscii = (buffer, at, len) => Buffer.from(buffer, at, len).toString('latin1');

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
  // Refusals go as text too, answered once, with the module function's own errors (the text
  // is read by the reader that reads the object: no text spans).
  assert.equal(routed({ text: '[4-1]' }), 'text');
  assert.equal(routed({ text: '1', extra: 1 }), 'text');
  // Values the two readings could differ on go to the module: undefined (dropped by
  // JSON.stringify, null to serde-wasm-bindgen), functions, symbols, BigInts, non-finite
  // numbers, integral doubles past 2^53, fractions with more digits than a double's integers
  // hold, lone surrogates, Maps, Dates, class instances, `toJSON`, holes.
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
  // Fractions a JSON parser reads back exactly go as text (here refused later, for the
  // unknown fields, by the text route itself).
  assert.equal(routed({ text: '1', n: 0.25, m: -1.5e-7, k: 123456.789 }), 'text');
});

test('a refused place is computed once, with the module function’s own errors', () => {
  const { module, calls } = spied();
  const place = typedCall(module, 'place', decodeAscii);
  const offers = [{ id: { value: 'o1' }, agent_id: { value: 'a1' }, hostname: 'h1', resources: 'cpus:1' }];
  for (const request of [
    { offers, tasks: [{ id: 't1', cpus: 1, constraints: [['rack', 'CLUSTER']] }], options: { strategy: 'nope' } },
    { offers, tasks: [{ id: 't1', cpus: -1 }] },
    { offers, tasks: [{ id: 't1', cpus: 1, constraints: [['rack', 'LIKE', '(']] }] },
    { offers: 'x', tasks: [] },
    { offers: Array.from({ length: 70 }, () => [[[]]]), tasks: [] },
  ]) {
    calls.length = 0;
    const out = place(request);
    assert.deepEqual(calls, [], `answered by the text route: ${JSON.stringify(request).slice(0, 120)}`);
    assert.equal(out.ok, false);
    const own = raw.place(request);
    assert.deepStrictEqual(out, own);
    assert.equal(JSON.stringify(out), JSON.stringify(own));
  }
});

test('Session.step of plain objects goes as text and answers as the module’s own step', () => {
  const dir = join(ROOT, 'tests/data/session');
  const lines = (text) => text.split('\n').filter((l) => l !== '');
  const names = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && !f.endsWith('.out.jsonl'));
  assert.ok(names.length > 5, `${names.length} transcripts`);
  const stepped = [];
  const module = { ...raw, __sessionStepValue: (...args) => (stepped.push(args[1]), raw.__sessionStepValue(...args)) };
  const Session = sessionClass(module, decodeAscii);
  let handle = 0x7000_0000;
  let compared = 0;
  for (const name of names.sort()) {
    const [head, ...inputs] = lines(readFileSync(join(dir, name), 'utf8'));
    const config = JSON.parse(head).config;
    const s = new Session(config);
    const own = ++handle;
    assert.equal(raw.__sessionNew(own, JSON.stringify(config)), '');
    try {
      for (const line of inputs) {
        let input;
        try {
          input = JSON.parse(line);
        } catch {
          continue; // bad JSON: no object stands for it (both sessions skip it)
        }
        stepped.length = 0;
        const got = s.step(input);
        // Objects go as text; other JSON (an array, a number) as itself, to be refused.
        const object = input !== null && typeof input === 'object' && !Array.isArray(input);
        assert.equal(stepped.length, object ? 0 : 1, `${name}: ${line.slice(0, 100)}: the route`);
        const want = JSON.parse(raw.__sessionStepValue(own, input));
        assert.deepStrictEqual(got, want, `${name}: ${line.slice(0, 100)}`);
        assert.equal(JSON.stringify(got), JSON.stringify(want));
        compared++;
      }
      // A value the text cannot carry goes as the object, with the module's own error.
      stepped.length = 0;
      const odd = { now: NaN, tick: {} };
      assert.deepStrictEqual(s.step(odd), JSON.parse(raw.__sessionStepValue(own, odd)));
      assert.equal(stepped.length, 1);
    } finally {
      s.free();
      raw.__sessionFree(own);
    }
  }
  assert.ok(compared > 50, `${compared} steps compared`);
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
