// The malformed-input suite (tests/data/malformed/*.jsonl, format in its README) through the
// npm package, case by case with the suite's own runner (malformed.mjs: load + judge): every
// case is refused with the code, message and path the suite expects, through the text entry
// point `call` and, for requests that are JSON objects naming an op, the typed function of
// that op. Run: node --test bindings/wasm/tests/
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import * as offerfit from '../js/node.mjs';
import { judge, load } from '../../../tests/data/malformed/malformed.mjs';
import { ROOT, TYPED } from './helpers.mjs';

const DIR = join(ROOT, 'tests/data/malformed');
const CASES = load(DIR);

/** The suite's lines read straight from the files (independently of `load`). */
function rawLines() {
  const lines = [];
  for (const name of readdirSync(DIR).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const raw of readFileSync(join(DIR, name), 'utf8').split('\n')) {
      if (raw.trim()) lines.push(JSON.parse(raw));
    }
  }
  return lines;
}

// A text-only API cannot send bytes that are not UTF-8: those cases (the `request_hex` ones
// of utf8.jsonl) are skipped here, and said so. The C ABI, the plain-WASM ABI and the CLI
// run them (bindings/c/tests, scripts/test.sh cli).
const SKIPPED = CASES.filter((c) => !c.isText);
const TEXT = CASES.filter((c) => c.isText);

test('the whole suite is loaded, and only raw non-UTF-8 cases are skipped', (t) => {
  const lines = rawLines();
  assert.equal(CASES.length, lines.length);
  assert.ok(CASES.length >= 190, `only ${CASES.length} cases`);
  // Exactly the `request_hex` cases are skipped: every one of them is invalid UTF-8.
  const hex = lines.filter((l) => 'request_hex' in l).map((l) => l.id);
  assert.deepEqual(
    SKIPPED.map((c) => c.id),
    hex,
  );
  assert.equal(SKIPPED.length, 8);
  assert.ok(SKIPPED.every((c) => c.code === 'request.utf8' || c.code === 'limit.request_bytes'));
  t.diagnostic(
    `${TEXT.length} of ${CASES.length} cases run through call(); ${SKIPPED.length} skipped ` +
      `(raw bytes that are not UTF-8: ${SKIPPED.map((c) => c.id).join(', ')})`,
  );
});

test('every text case is refused by call() as the suite expects', async (t) => {
  let failed = 0;
  for (const c of TEXT) {
    await t.test(c.id, () => {
      const answer = offerfit.call(c.text);
      assert.equal(typeof answer, 'string');
      const problem = judge(c, answer);
      if (problem !== null) failed++;
      assert.equal(problem, null, `${c.id}: ${problem}`);
      // The same request gives the same bytes.
      assert.equal(offerfit.call(c.text), answer, `${c.id}: a second call answers differently`);
    });
  }
  t.diagnostic(`${TEXT.length - failed} of ${TEXT.length} text cases refused as expected`);
});

/** `[function, request without op]` when the case is a JSON object naming a known op. */
function typedCall(c) {
  let value;
  try {
    value = JSON.parse(c.text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  // `version()` takes no request at all: nothing in one can be refused.
  const name = typeof value.op === 'string' && value.op !== 'version' ? TYPED[value.op] : undefined;
  if (name === undefined) return null;
  const { op: _op, ...rest } = value;
  return [offerfit[name], rest];
}

test('cases that are JSON objects are refused by the typed functions too', async (t) => {
  // A parsed value has no size and no duplicate keys (README: object entry points).
  const objectCases = TEXT.filter((c) => c.code !== 'limit.request_bytes' && c.code !== 'request.duplicate_key')
    .map((c) => [c, typedCall(c)])
    .filter(([, call]) => call !== null);
  assert.ok(objectCases.length >= 100, `only ${objectCases.length} typed cases`);
  for (const [c, [fn, request]] of objectCases) {
    await t.test(c.id, () => {
      const answer = fn(request);
      const problem = judge(c, answer);
      assert.equal(problem, null, `${c.id} (typed): ${problem}`);
    });
  }
  t.diagnostic(`${objectCases.length} cases through the typed functions`);
});
