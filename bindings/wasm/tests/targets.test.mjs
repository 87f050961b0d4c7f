// The three builds of the package answer alike: `nodejs` (js/node.mjs), `web`
// (js/web.mjs, loaded here with initSync) and `bundler` (js/bundler.mjs, which imports the
// .wasm as an ES module: Node runs it with --experimental-wasm-modules).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import * as node from '../js/node.mjs';
import * as web from '../js/web.mjs';
import { PACKAGE } from './helpers.mjs';

const REQUESTS = [
  '{"op":"version"}',
  '{"op":"parse_resources","text":"cpus:2;ports:[1-5,6-9]"}',
  '{"op":"parse_constraints","constraints":["rack LIKEE x"]}',
  '{oops',
];

test('the web build needs init first, then answers like the node build', () => {
  assert.throws(() => web.call('{"op":"version"}'), /call `await init\(\)` before `call\(\)`/);
  web.initSync({ module: readFileSync(join(PACKAGE, 'pkg/offerfit_wasm_bg.wasm')) });
  for (const r of REQUESTS) assert.equal(web.call(r), node.call(r));
  assert.deepEqual(web.parseValue({ text: '[1-2]' }), node.parseValue({ text: '[1-2]' }));
});

test('the bundler build answers like the node build', () => {
  const script = `
    const m = await import(${JSON.stringify(join(PACKAGE, 'js/bundler.mjs'))});
    process.stdout.write(JSON.stringify(${JSON.stringify(REQUESTS)}.map((r) => m.call(r))));`;
  const out = execFileSync(process.execPath, ['--experimental-wasm-modules', '--no-warnings', '--input-type=module', '-e', script]);
  assert.deepEqual(JSON.parse(out.toString()), REQUESTS.map((r) => node.call(r)));
});

test('the three builds share one module, the optimised one', () => {
  const wasm = (dir) => readdirSync(join(PACKAGE, dir)).filter((f) => f.endsWith('.wasm'));
  assert.deepEqual(wasm('pkg'), ['offerfit_wasm_bg.wasm']);
  assert.deepEqual(wasm('pkg/node'), []);
  assert.deepEqual(wasm('pkg/web'), []);
  // The node and web glue load it from the package root; the bundler glue sits beside it.
  assert.match(readFileSync(join(PACKAGE, 'pkg/node/offerfit_wasm.js'), 'utf8'), /\.\.\/offerfit_wasm_bg\.wasm/);
  assert.match(readFileSync(join(PACKAGE, 'pkg/web/offerfit_wasm.js'), 'utf8'), /new URL\('\.\.\/offerfit_wasm_bg\.wasm', import\.meta\.url\)/);
  assert.match(readFileSync(join(PACKAGE, 'pkg/offerfit_wasm.js'), 'utf8'), /from "\.\/offerfit_wasm_bg\.wasm"/);
});

test('the generated types declare no start()', () => {
  for (const f of ['pkg/offerfit_wasm.d.ts', 'pkg/node/offerfit_wasm.d.ts', 'pkg/web/offerfit_wasm.d.ts']) {
    assert.doesNotMatch(readFileSync(join(PACKAGE, f), 'utf8'), /function start\b/, f);
  }
});
