// Identical answers to the native CLI: every request of the cross-host corpus
// (scripts/gen-requests.py: the conformance vectors, the examples, malformed requests) through
// `call` must give byte for byte what `offerfit call --lines` prints, and the typed functions
// the same values.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as offerfit from '../js/node.mjs';
import { cliAnswers, corpus, splitOp, TYPED } from './helpers.mjs';

const lines = corpus();
const native = cliAnswers(lines);

test('the corpus is large and covers every op', () => {
  assert.ok(lines.length > 200, `${lines.length} requests`);
  assert.equal(native.length, lines.length, 'one CLI answer per request');
  const ops = new Set(lines.map(splitOp).filter(Boolean).map(([op]) => op));
  for (const op of Object.keys(TYPED)) assert.ok(ops.has(op), `no ${op} request`);
});

test('call answers byte-identically to the native CLI', () => {
  const differ = [];
  lines.forEach((line, i) => {
    const wasm = offerfit.call(line);
    if (wasm !== native[i]) differ.push(`#${i + 1} ${line.slice(0, 120)}\n  cli:  ${native[i].slice(0, 300)}\n  wasm: ${wasm.slice(0, 300)}`);
  });
  assert.equal(differ.length, 0, `${differ.length} of ${lines.length} differ:\n${differ.slice(0, 10).join('\n')}`);
});

const hasNonFinite = (v) =>
  typeof v === 'number' ? !Number.isFinite(v) : v !== null && typeof v === 'object' && Object.values(v).some(hasNonFinite);

// Errors about the request text itself (its syntax, duplicate keys, its size or nesting as
// read): the typed functions get no text, so they report such a problem differently or not at
// all (a JS object has no duplicate keys).
const TEXT_LEVEL = new Set(['request.json', 'request.duplicate_key', 'limit.json_depth', 'limit.request_bytes']);

test('the typed functions answer what call answers for the same value', (t) => {
  // A typed function receives the value JSON.parse makes of the line, which can differ from
  // the text (JSON.parse keeps the last of duplicate keys and reads `1e400` as Infinity), so
  // each typed answer is compared with the answer to that value's own text; where the two
  // texts are the same (most lines) this is the CLI's answer, which the test above compares.
  let compared = 0;
  let sameText = 0;
  const skipped = {};
  lines.forEach((line, i) => {
    const split = splitOp(line);
    const why = !split ? 'not an object with a string op' : !(split[0] in TYPED) ? 'op without a typed function' : null;
    if (why) {
      skipped[why] = (skipped[why] || 0) + 1;
      return;
    }
    const [op, request] = split;
    if (hasNonFinite(request)) {
      // JSON.parse reads `1e400` as Infinity, which JSON.stringify writes as null: the typed
      // function refuses it (request.json), the restrung text holds a null instead.
      skipped['non-finite number'] = (skipped['non-finite number'] || 0) + 1;
      assert.equal(offerfit[TYPED[op]](request).errors[0].code, 'request.json');
      return;
    }
    const restrung = JSON.stringify({ op, ...request });
    const expected = JSON.parse(offerfit.call(restrung));
    if (expected.ok === false && expected.errors.some((e) => TEXT_LEVEL.has(e.code))) {
      skipped['text-level error'] = (skipped['text-level error'] || 0) + 1;
      return;
    }
    const typed = offerfit[TYPED[op]](op === 'version' ? undefined : request);
    assert.deepEqual(typed, expected, `request #${i + 1}: ${line.slice(0, 200)}`);
    if (restrung === line) {
      assert.deepEqual(typed, JSON.parse(native[i]), `request #${i + 1} against the CLI`);
      sameText += 1;
    }
    compared += 1;
  });
  t.diagnostic(`compared ${compared} (${sameText} with the CLI's very answer); skipped ${JSON.stringify(skipped)}`);
  assert.ok(compared > 230, `only ${compared} compared; skipped ${JSON.stringify(skipped)}`);
  assert.ok(sameText > 150, `only ${sameText} lines survive JSON.parse/JSON.stringify unchanged`);
});
