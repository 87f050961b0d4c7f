// The package's `call` writes the request's UTF-8 straight into the module's memory
// (js/guard.mjs `textCall`) instead of passing a `&str` through wasm-bindgen. These tests show
// that it answers exactly what the module's own `call` answers for the same text: ASCII, every
// UTF-8 length, lone surrogates, text whose multi-byte characters fall where the first,
// one-byte-per-unit buffer runs out, large text, and anything that is not a string.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import { guard, textCall } from '../js/guard.mjs';
import * as offerfit from '../js/node.mjs';
import { PACKAGE } from './helpers.mjs';

const raw = createRequire(import.meta.url)(join(PACKAGE, 'pkg/node/offerfit_wasm.js'));
// The module's own `call` (wasm-bindgen's `&str`), guarded as the package guards it.
const reference = guard(raw.call, true);

// The texts are put into the requests as they are, not through JSON.stringify (which would
// escape a lone surrogate as `\ud800`), so the module sees their own UTF-8.
/** A request whose answer repeats `text` (a Mesos TEXT value) or points into it (an error). */
const echo = (text) => `{"op":"parse_value","text":"${text}"}`;
const attributes = (text) => `{"op":"parse_attributes","text":"${text}"}`;

const TEXTS = [
  '',
  'plain',
  'é',
  'aé',
  'caf\u00e9 \u4e2d\u6587 \u{1F600} end',
  '\u{1F600}',
  'x\u{1F600}',
  'xy\u{1F600}',
  '\ud800',
  'a\ud800b',
  '\udfff',
  'a\udc00',
  'z\ud83d',
  '\ud83d\ud83d\ude00',
  '\u0000\uffff\ufeff',
  // Every printable ASCII character: the package decodes an all-ASCII answer with Buffer's
  // 'latin1' (js/node.mjs), which must agree with TextDecoder on each of them.
  Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''),
  'é'.repeat(1000),
  '\u{10FFFF}'.repeat(300),
  'a'.repeat(70000) + 'é',
  ('ab\u00e9\u4e2d\u{1F600}\ud800'.repeat(20000)),
];

test('call answers byte-identically to the module’s own call for every kind of text', () => {
  for (const t of TEXTS) {
    for (const request of [echo(t), attributes(`rack:${t};bad${t}:`), `{"op":"parse_value","text":"${t}"`, JSON.stringify({ op: 'parse_value', text: t })]) {
      const fast = offerfit.call(request);
      assert.equal(fast, reference(request), `text of ${request.length} units: ${JSON.stringify(request.slice(0, 80))}`);
    }
  }
  assert.equal(JSON.parse(offerfit.call(echo('caf\u00e9'))).value.text.value, 'caf\u00e9');
  assert.equal(JSON.parse(offerfit.call(echo('a\ud800b'))).value.text.value, 'a\ufffdb');
});

test('text whose multi-byte characters fill the first buffer exactly or overrun it', () => {
  // The first buffer holds one byte per UTF-16 unit of the request; each request below puts a
  // 2-, 3- or 4-byte character (or a lone surrogate, 3 bytes) at every position near its end.
  for (const ch of ['é', '\u4e2d', '\u{1F600}', '\ud800', '\udc00']) {
    for (let pad = 0; pad < 12; pad++) {
      const request = `{"op":"parse_value","text":"${'a'.repeat(pad)}${ch}${'b'.repeat(11 - pad)}"}`;
      for (const cut of [request.length, request.length - 1, request.length - 2, request.length - 5]) {
        const r = request.slice(0, cut);
        assert.equal(offerfit.call(r), reference(r), JSON.stringify(r));
      }
    }
  }
});

test('anything but a string answers as the module’s own call answers it', () => {
  for (const value of [undefined, null, 42, {}, ['{"op":"version"}'], true]) {
    assert.equal(offerfit.call(value), reference(value), String(value));
    assert.equal(JSON.parse(offerfit.call(value)).ok, false);
  }
});

test('a large request and its answer round-trip through the request buffer', () => {
  const offers = [];
  for (let i = 0; i < 2000; i++) {
    offers.push({
      id: { value: `o${i}` },
      agent_id: { value: `agent-\u00e9-${i}` },
      hostname: `h\u4e2d${i}`,
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 8 } },
        { name: 'mem', type: 'SCALAR', scalar: { value: 4096 } },
      ],
    });
  }
  const tasks = Array.from({ length: 500 }, (_, i) => ({ id: `web-\u00e9-${i}`, cpus: 1, mem: 64 }));
  const request = JSON.stringify({ op: 'place', offers, tasks });
  const answer = offerfit.call(request);
  assert.equal(answer, reference(request));
  assert.equal(JSON.parse(answer).ok, true, answer.slice(0, 300));
  assert.equal(JSON.parse(answer).accept.reduce((n, a) => n + a.tasks.length, 0), 500);
  // The buffer is emptied after each call: a short request after a long one is answered alone.
  assert.equal(offerfit.call('{"op":"parse_value","text":"5"}'), '{"ok":true,"value":{"type":"SCALAR","scalar":{"value":5}}}');
});

test('textCall over a module works like guardAll’s', () => {
  const call = guard(textCall(raw), true);
  for (const t of TEXTS.slice(0, 8)) assert.equal(call(echo(t)), reference(echo(t)));
});
