// The package's `Session` (js/session.mjs) against every golden transcript in
// tests/data/session (whatever goldens are there): `stepText` must answer each input line with
// the golden's bytes (the bytes of `offerfit session`, the C ABI and the plain-WASM ABI), and
// `step` the same values for the same input objects; the types of js/session.d.ts must accept
// every golden config, input and output; misuse is a clear error, never a trap.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { OfferfitError, Session } from '../js/node.mjs';
import * as web from '../js/web.mjs';
import { PANIC_HELP } from '../js/guard.mjs';
import { sessionClass } from '../js/session.mjs';
import { PACKAGE, ROOT } from './helpers.mjs';

const DIR = join(ROOT, 'tests/data/session');
const lines = (text) => text.split('\n').filter((l) => l !== '');

/** Every golden transcript: name, config (object), input lines, expected output lines. */
const TRANSCRIPTS = readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl') && !f.endsWith('.out.jsonl'))
  .sort()
  .map((f) => {
    const [head, ...inputs] = lines(readFileSync(join(DIR, f), 'utf8'));
    const want = lines(readFileSync(join(DIR, f.replace(/\.jsonl$/, '.out.jsonl')), 'utf8'));
    return { name: f, config: JSON.parse(head).config, inputs, want };
  });

/** The line as an object, or undefined when it is not JSON. */
function asObject(line) {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

test('there are golden transcripts, each with one output per input', () => {
  assert.ok(TRANSCRIPTS.length > 0, `no transcript in ${DIR}`);
  for (const t of TRANSCRIPTS) assert.equal(t.want.length, t.inputs.length, t.name);
});

for (const t of TRANSCRIPTS) {
  test(`stepText replays ${t.name} byte for byte`, () => {
    const s = new Session(t.config);
    try {
      t.inputs.forEach((line, i) => assert.equal(s.stepText(line), t.want[i], `${t.name} input ${i + 1}: ${line}`));
    } finally {
      s.free();
    }
  });

  test(`step replays ${t.name} as objects (config given as text)`, () => {
    const s = new Session(JSON.stringify(t.config));
    try {
      t.inputs.forEach((line, i) => {
        const input = asObject(line);
        // A line an object cannot stand for (bad JSON) still goes in, as text, so the
        // session's state stays that of the transcript.
        const got = input === undefined ? JSON.parse(s.stepText(line)) : s.step(input);
        assert.deepEqual(got, JSON.parse(t.want[i]), `${t.name} input ${i + 1}: ${line}`);
      });
    } finally {
      s.free();
    }
  });
}

test('the types accept every golden config, accepted input and output (tsc --strict)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'offerfit-session-types-'));
  try {
    const configs = TRANSCRIPTS.map((t) => t.config);
    const inputs = TRANSCRIPTS.flatMap((t) => t.inputs.filter((_, i) => JSON.parse(t.want[i]).ok).map(JSON.parse));
    const outputs = TRANSCRIPTS.flatMap((t) => t.want.map(JSON.parse));
    const entry = JSON.stringify(join(PACKAGE, 'js/index.js'));
    writeFileSync(
      join(dir, 'goldens.ts'),
      `import type { SessionConfig, SessionInput, SessionOutput, SessionNotice } from ${entry};
export const configs: SessionConfig[] = ${JSON.stringify(configs)};
export const inputs: SessionInput[] = ${JSON.stringify(inputs)};
export const outputs: SessionOutput[] = ${JSON.stringify(outputs)};
export function persisted(o: SessionOutput): string[] {
  if (!o.ok) return o.errors.map((e) => e.code);
  return o.notices.map((n: SessionNotice) => (n.kind === 'launching' ? n.agent_id : n.kind === 'task_state' ? n.state : n.kind));
}
// @ts-expect-error an input needs \`now\`
export const noNow: SessionInput = { tick: {} };
// @ts-expect-error no such input kind
export const dance: SessionInput = { now: 1, dance: {} };
// @ts-expect-error \`roles\` comes from \`framework\`, not the options
export const roles: SessionConfig = { framework: { name: 'fw' }, options: { roles: ['web'] } };
`,
    );
    // The consumer's settings of the pack test: strict, ES2022's lib (no esnext.disposable).
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] },
        files: ['goldens.ts'],
      }),
    );
    const run = spawnSync(join(PACKAGE, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.ok(inputs.length > TRANSCRIPTS.length && outputs.length >= inputs.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a refused config throws OfferfitError with the CLI refusal errors', () => {
  assert.throws(() => new Session({ framework: {} }), (e) => {
    assert.ok(e instanceof OfferfitError && e instanceof Error);
    assert.equal(e.name, 'OfferfitError');
    assert.equal(e.errors.length >= 1, true);
    assert.equal(e.code, e.errors[0].code);
    assert.match(e.path, /^\/framework/);
    assert.match(e.message, new RegExp(`^${e.code}: `));
    return true;
  });
  assert.throws(() => new Session('{oops'), (e) => e instanceof OfferfitError && e.code === 'request.json');
  assert.throws(() => new Session({ framework: { name: 'fw', failover_timeout: NaN } }), (e) => {
    assert.equal(e.code, 'request.json');
    assert.equal(e.path, '/framework/failover_timeout');
    return true;
  });
  // The same errors as `offerfit session` and the C ABI print for the text.
  const text = '{"framework": {"name": "fw"}, "options": {"roles": ["x"]}}';
  assert.throws(() => new Session(text), (e) => e.code === 'session.config' && e.path === '/options/roles');
});

test('free is idempotent; a step after free throws a clear error; bad arguments are errors', () => {
  const s = new Session({ framework: { name: 'fw' } });
  assert.equal(s.freed, false);
  assert.deepEqual(s.step({ now: 5, tick: {} }), { ok: true, calls: [], notices: [], wake_at: null });
  assert.equal(s.stepText('{"now": 6, "tick": {}}'), '{"ok":true,"calls":[],"notices":[],"wake_at":null}');
  // Refusals are values, and change nothing.
  assert.equal(s.step({ now: 4, tick: {} }).errors[0].code, 'session.now');
  assert.deepEqual(s.step({ now: NaN, tick: {} }).errors[0], { code: 'request.json', message: 'expected a finite number, found `NaN`', path: '/now' });
  assert.equal(s.step('{"now": 7, "tick": {}}').ok, false, 'step takes objects; text goes to stepText');
  assert.equal(s.stepText('\ud800').startsWith('{"ok":false,"errors":[{"code":"request.json"'), true);
  assert.throws(() => s.stepText({ now: 7, tick: {} }), TypeError);
  s.free();
  s.free();
  assert.equal(s.freed, true);
  assert.throws(() => s.step({ now: 7, tick: {} }), /Session\.step\(\) after free\(\)/);
  assert.throws(() => s.stepText('{"now": 7, "tick": {}}'), /Session\.stepText\(\) after free\(\)/);
});

test('sessions are independent, and `using` frees one where the runtime has Symbol.dispose', () => {
  const a = new Session({ framework: { name: 'a' } });
  const b = new Session({ framework: { name: 'b' } });
  assert.equal(a.step({ now: 10, tick: {} }).ok, true);
  assert.equal(b.step({ now: 1, tick: {} }).ok, true, "b's clock is its own");
  a.free();
  assert.equal(b.step({ now: 2, connect: {} }).calls[0].subscribe.framework_info.name, 'b');
  b.free();
  if (typeof Symbol.dispose === 'symbol') {
    const c = new Session({ framework: { name: 'c' } });
    c[Symbol.dispose]();
    assert.equal(c.freed, true);
  }
});

test('the web entry exports Session, usable after init', () => {
  assert.throws(() => new web.Session({ framework: { name: 'fw' } }), /call `await init\(\)` before `new Session\(\)`/);
  web.initSync({ module: readFileSync(join(PACKAGE, 'pkg/offerfit_wasm_bg.wasm')) });
  const t = TRANSCRIPTS[0];
  const s = new web.Session(t.config);
  t.inputs.forEach((line, i) => assert.equal(s.stepText(line), t.want[i]));
  s.free();
  assert.throws(() => new web.Session({ framework: {} }), web.OfferfitError);
});

test('the bundler entry exports Session', () => {
  const t = TRANSCRIPTS[0];
  const script = `
    const m = await import(${JSON.stringify(join(PACKAGE, 'js/bundler.mjs'))});
    const s = new m.Session(${JSON.stringify(t.config)});
    process.stdout.write(JSON.stringify(${JSON.stringify(t.inputs)}.map((l) => s.stepText(l))));
    s.free();`;
  const out = execFileSync(process.execPath, ['--experimental-wasm-modules', '--no-warnings', '--input-type=module', '-e', script]);
  assert.deepEqual(JSON.parse(out.toString()), t.want);
});

test('a panic inside a step is the internal error; the lost session says so; new ones work', () => {
  const raw = createRequire(import.meta.url)(join(PACKAGE, 'pkg/test-node/offerfit_wasm.js'));
  const PanicSession = sessionClass(raw);
  const internal = { ok: false, errors: [{ code: 'internal', message: 'offerfit panicked: `__test_panic was requested`', help: PANIC_HELP }] };
  const s = new PanicSession({ framework: { name: 'fw' } });
  assert.equal(s.step({ now: 1, tick: {} }).ok, true);
  assert.equal(s.stepText('{"op":"__test_panic"}'), JSON.stringify(internal));
  // The module started afresh: this session is gone, and says so instead of trapping.
  const lost = s.step({ now: 2, tick: {} });
  assert.equal(lost.errors[0].code, 'session.handle');
  assert.match(lost.errors[0].message, /lost when offerfit panicked/);
  const fresh = new PanicSession({ framework: { name: 'fw' } });
  assert.deepEqual(fresh.step({ now: 0, tick: {} }), { ok: true, calls: [], notices: [], wake_at: null });
  assert.deepEqual(fresh.step({ now: 1, op: '__test_panic' }), internal);
  assert.equal(fresh.stepText('{"now": 2, "tick": {}}').includes('session.handle'), true);
  s.free();
  fresh.free();
});
