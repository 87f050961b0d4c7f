// The package as a new user gets it: `npm pack`, then `npm install` of the tarball (with
// typescript, from the npm registry or npm's cache) into an empty project, a TypeScript check
// of a consumer (`tsc --strict`: the functions and the Session class), and the consumer run
// by Node. The tarball holds README, LICENSE and one shared .wasm module; its types declare
// only what the JS exports.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { PACKAGE, ROOT } from './helpers.mjs';

const TYPESCRIPT = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).devDependencies.typescript;
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let dir;
let packed;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'offerfit-pack-'));
  [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], PACKAGE));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the tarball: README, LICENSE, repository, one .wasm, no test builds', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const f of ['README.md', 'LICENSE', 'package.json', 'js/node.mjs', 'js/web.mjs', 'js/bundler.mjs',
    'js/session.mjs', 'js/index.d.ts', 'js/web.d.ts', 'js/session.d.ts', 'pkg/offerfit_wasm.js', 'pkg/offerfit_wasm_bg.js', 'pkg/offerfit_wasm_bg.wasm',
    'pkg/node/offerfit_wasm.js', 'pkg/web/offerfit_wasm.js']) {
    assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
  }
  assert.deepEqual(files.filter((f) => f.endsWith('.wasm')), ['pkg/offerfit_wasm_bg.wasm']);
  assert.deepEqual(files.filter((f) => /test-node|wasm-opt-cache|\.bindgen|tests\//.test(f)), []);
  assert.equal(readFileSync(join(PACKAGE, 'LICENSE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
  assert.match(manifest.repository.url, /^git\+https:\/\//);
  assert.equal(manifest.repository.directory, 'bindings/wasm');
  // One module: the tarball is a little over the module's size, not three times it.
  const wasm = packed.files.find((f) => f.path.endsWith('.wasm')).size;
  assert.ok(packed.unpackedSize < wasm * 1.5, `unpacked ${packed.unpackedSize} bytes for a ${wasm}-byte module`);
});

test('a consumer installs the tarball, type-checks and runs', () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  npm(['install', '--no-audit', '--no-fund', '--no-save', join(dir, packed.filename), `typescript@${TYPESCRIPT}`], dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, types: [] } }),
  );
  writeFileSync(
    join(dir, 'main.ts'),
    `import { call, parseValue, place, version, Session, OfferfitError, type SessionOutput } from 'offerfit';
import type { ErrorObject, Limits, MesosValue, PlaceOptions, PlaceRequest, PlaceResult, Reason, Task } from 'offerfit';
// The declarations come from the core's own request and result types (its tsify feature):
// every option the core reads is there, with its value set.
const limits: Limits = { tasks: 100, regex_backtrack: 10000 };
const options: PlaceOptions = {
  strategy: { binpack: 1, spread: 2 }, profile: 'mesos-actor', roles: ['*'], refuse_seconds: 5,
  port_selection: 'random', seed: 7, port_blacklist: { '*': [31000] }, gpu_scheduling: 'unrestricted',
  framework_id: 'fw', principal: 'p', explain: true, now: 0, drain_seconds: 60, local_region: 'r',
  limits, tie_break: 'agent_id', delimiter: ';',
};
const task: Task = { id: 't1', cpus: 1, mem: 256, constraints: [['hostname', 'UNIQUE']], dialect: 'marathon' };
const request: PlaceRequest = {
  offers: [{ id: { value: 'O1' }, agent_id: { value: 'S1' }, hostname: 'w1', resources: 'cpus:2;mem:1024' }],
  tasks: [task],
};
const answer = place(request);
const v = version();
if (!answer.ok || !v.ok) throw new Error('refused');
const result: PlaceResult = answer;
const reasons: Reason[] = result.unplaced.flatMap((u) => u.reasons);
const value = parseValue({ text: '[1-3]' });
const ranges = value.ok && value.value.type === 'RANGES' ? value.value.ranges.range.length : 0;
const refused = place({ ...request, options });
const errors: ErrorObject[] = refused.ok ? [] : refused.errors;
const kind: MesosValue['type'] = 'SCALAR';
const session = new Session({ framework: { name: 'fw', roles: ['web'] } });
const out: SessionOutput = session.step({ now: 0, connect: {} });
if (!out.ok) throw new Error('refused');
const tick = session.stepText('{"now": 1, "tick": {}}');
session.free();
let code = '';
try {
  new Session('{"framework": {}}');
} catch (e) {
  if (e instanceof OfferfitError) code = e.code;
}
console.log(JSON.stringify([answer.accept[0].tasks[0].task_id, JSON.parse(call('{"op":"version"}')).ok, reasons.length, ranges, errors.length >= 0, kind, out.calls[0].type, tick, code]));
`,
  );
  const tsc = join(dir, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['-p', dir], { cwd: dir, stdio: 'pipe' });
  // Compiled by tsc and run: the types and the runtime agree on what exists.
  execFileSync(tsc, ['-p', dir, '--noEmit', 'false', '--outDir', join(dir, 'out')], { cwd: dir, stdio: 'pipe' });
  const out = execFileSync(process.execPath, [join(dir, 'out/main.js')], { cwd: dir, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), ['t1', true, 0, 1, true, 'SCALAR', 'SUBSCRIBE', '{"ok":true,"calls":[],"notices":[],"wake_at":null}', 'request.missing_field']);

  // `start` is not part of the API: the types must say so, as the JS does.
  writeFileSync(join(dir, 'start.ts'), "import { start } from 'offerfit';\nstart();\n");
  const bad = spawnSync(tsc, ['--noEmit', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--strict', join(dir, 'start.ts')], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'tsc accepted an import of start()');
  assert.match(bad.stdout, /has no exported member (named )?'start'/);
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', "import * as m from 'offerfit'; console.log(typeof m.start, typeof m.place);"], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.stdout.trim(), 'undefined function');
});
