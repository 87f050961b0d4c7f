// The npm package's API through its Node entry (js/node.mjs): every op, typed and as text,
// and the errors. Run: node --test bindings/wasm/tests/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import * as offerfit from '../js/node.mjs';
import { ROOT, TYPED } from './helpers.mjs';

const unreserved = (name, type, value) => ({ name, type, ...value, reservations: [] });

test('version names the crate version and every op', () => {
  const cargo = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const crateVersion = /^version = "([^"]+)"/m.exec(cargo)[1];
  const v = offerfit.version();
  assert.equal(v.ok, true);
  assert.equal(v.version, crateVersion);
  assert.deepEqual(v.ops, Object.keys(TYPED));
  assert.equal(offerfit.call('{"op":"version"}'), JSON.stringify(v));
});

test('parseValue coalesces ranges', () => {
  assert.deepEqual(offerfit.parseValue({ text: '[31000-32000, 32001-32005]' }), {
    ok: true,
    value: { type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32005 }] } },
  });
  assert.deepEqual(offerfit.parseValue({ text: '{a,b}' }), { ok: true, value: { type: 'SET', set: { item: ['a', 'b'] } } });
});

test('parseResources gives Mesos v1 resources with roles as reservations', () => {
  assert.deepEqual(offerfit.parseResources({ text: 'cpus:4;mem:1024;ports(*):[31000-32000];disk(web):100' }), {
    ok: true,
    resources: [
      unreserved('cpus', 'SCALAR', { scalar: { value: 4 } }),
      unreserved('mem', 'SCALAR', { scalar: { value: 1024 } }),
      unreserved('ports', 'RANGES', { ranges: { range: [{ begin: 31000, end: 32000 }] } }),
      { name: 'disk', type: 'SCALAR', scalar: { value: 100 }, reservations: [{ type: 'STATIC', role: 'web' }] },
    ],
  });
});

test('formatResources prints as Mesos does', () => {
  assert.deepEqual(offerfit.formatResources({ resources: 'cpus:45.55;ports:[10000-20000, 30000-50000]' }), {
    ok: true,
    text: 'cpus:45.55; ports:[10000-20000, 30000-50000]',
  });
  const json = offerfit.parseResources({ text: 'cpus:2;mem:512' }).resources;
  assert.deepEqual(offerfit.formatResources({ resources: json }), { ok: true, text: 'cpus:2; mem:512' });
});

test('resourceMath adds, subtracts and compares', () => {
  assert.deepEqual(offerfit.resourceMath({ operation: 'subtract', left: 'cpus:4;mem:1024', right: 'cpus:1.5' }), {
    ok: true,
    resources: [
      unreserved('cpus', 'SCALAR', { scalar: { value: 2.5 } }),
      unreserved('mem', 'SCALAR', { scalar: { value: 1024 } }),
    ],
  });
  assert.deepEqual(offerfit.resourceMath({ operation: 'contains', left: 'ports:[1-10]', right: 'ports:[3-4]' }), {
    ok: true,
    result: true,
  });
  assert.deepEqual(offerfit.resourceMath({ operation: 'contains', left: 'ports:[1-10]', right: 'ports:[9-11]' }), {
    ok: true,
    result: false,
  });
});

test('parseAttributes keeps input order and types', () => {
  assert.deepEqual(offerfit.parseAttributes({ text: 'rack:r1;level:2.5;p:[1-3]' }), {
    ok: true,
    attributes: [
      { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
      { name: 'level', type: 'SCALAR', scalar: { value: 2.5 } },
      { name: 'p', type: 'RANGES', ranges: { range: [{ begin: 1, end: 3 }] } },
    ],
  });
});

test('parseConstraints answers the canonical object form of every input form', () => {
  const out = offerfit.parseConstraints({
    constraints: ['rack LIKE r[12]', ['hostname', 'UNIQUE'], { field: 'zone', operator: 'GROUP_BY', value: '3' }],
  });
  assert.deepEqual(out, {
    ok: true,
    constraints: [
      { field: 'rack', operator: 'LIKE', value: 'r[12]', text: 'rack LIKE r[12]' },
      { field: 'hostname', operator: 'UNIQUE', text: 'hostname UNIQUE' },
      { field: 'zone', operator: 'GROUP_BY', value: '3', text: 'zone GROUP_BY 3' },
    ],
    warnings: [],
  });
});

test('checkConstraints says which constraint a host fails', () => {
  const request = {
    constraints: ['rack LIKE r[12]', 'hostname UNIQUE'],
    candidate: { hostname: 'h1', attributes: 'rack:r2' },
    placed: [{ id: 'web-1', group: 'web', hostname: 'h1' }],
  };
  assert.deepEqual(offerfit.checkConstraints(request), {
    ok: true,
    satisfied: false,
    results: [
      { text: 'rack LIKE r[12]', satisfied: true },
      { text: 'hostname UNIQUE', satisfied: false },
    ],
    warnings: [],
  });
  assert.equal(offerfit.checkConstraints({ ...request, placed: [] }).satisfied, true);
});

test('place accepts, declines and leaves unplaced with reasons', () => {
  const out = offerfit.place({
    offers: [
      { id: { value: 'o1' }, agent_id: { value: 'a1' }, hostname: 'h1', resources: 'cpus:4;mem:1024;ports:[31000-31010]' },
      { id: { value: 'o2' }, agent_id: { value: 'a2' }, hostname: 'h2', resources: 'cpus:1;mem:256' },
    ],
    tasks: [
      { id: 't1', cpus: 1, mem: 128, ports: [0] },
      { id: 't2', cpus: 8, mem: 128 },
    ],
  });
  assert.equal(out.ok, true);
  assert.deepEqual(
    out.accept.map((a) => [a.agent_id, a.offer_ids, a.tasks.map((t) => [t.task_id, t.ports])]),
    [['a1', ['o1'], [['t1', [31000]]]]],
  );
  assert.deepEqual(out.accept[0].tasks[0].resources, [
    unreserved('cpus', 'SCALAR', { scalar: { value: 1 } }),
    unreserved('mem', 'SCALAR', { scalar: { value: 128 } }),
    unreserved('ports', 'RANGES', { ranges: { range: [{ begin: 31000, end: 31000 }] } }),
  ]);
  assert.deepEqual(
    out.decline.map((d) => d.offer_id),
    ['o2'],
  );
  assert.equal(out.unplaced.length, 1);
  assert.equal(out.unplaced[0].task_id, 't2');
  assert.deepEqual(
    out.unplaced[0].reasons.map((r) => [r.code, r.offers]),
    [['insufficient_cpus', 2]],
  );
  assert.deepEqual(out.stats, {
    offers: 2,
    tasks: 2,
    placed: 1,
    evaluations: out.stats.evaluations,
    objective: 'tasks',
    objective_value: 1,
    repair_passes: 0,
  });
});

test('malformed JSON text gets request.json with a caret', () => {
  const out = JSON.parse(offerfit.call('{oops'));
  assert.equal(out.ok, false);
  const [e] = out.errors;
  assert.equal(e.code, 'request.json');
  assert.deepEqual([e.line, e.column, e.span], [1, 2, { start: 1, end: 2 }]);
  assert.equal(e.rendered.split('\n')[0], '{oops');
  assert.equal(e.rendered.split('\n')[1].indexOf('^'), 1);
});

test('an unknown op gets request.unknown_op with a suggestion', () => {
  const out = JSON.parse(offerfit.call('{"op":"parse_valeu","text":"1"}'));
  assert.equal(out.ok, false);
  assert.equal(out.errors[0].code, 'request.unknown_op');
  assert.equal(out.errors[0].path, '/op');
  assert.match(out.errors[0].help, /^did you mean `parse_value`\?/);
});

test('a bad constraint gets its code, path, span, line, column and a rendered caret', () => {
  const out = offerfit.parseConstraints({ constraints: ['hostname UNIQUE', 'rack LIKEE r1'] });
  assert.equal(out.ok, false);
  const [e] = out.errors;
  assert.equal(e.code, 'constraint.unknown_operator');
  assert.equal(e.message, 'unknown operator `LIKEE`');
  assert.equal(e.path, '/constraints/1');
  assert.deepEqual(e.span, { start: 5, end: 10 });
  assert.deepEqual([e.line, e.column], [1, 6]);
  assert.equal(e.rendered, 'rack LIKEE r1\n     ^^^^^ unknown operator `LIKEE`');
  assert.match(e.help, /did you mean `LIKE`\?/);
});

test('a bad resource text gets a caret at the culprit', () => {
  const out = offerfit.parseResources({ text: 'cpus:4;mem:lots' });
  assert.equal(out.ok, false);
  assert.equal(out.errors[0].path, '/text');
  assert.equal(out.errors[0].rendered.split('\n')[0], 'cpus:4;mem:lots');
  assert.ok(out.errors[0].column >= 8, `column ${out.errors[0].column}`);
});

test('unknown request fields are refused, as the contract says', () => {
  const out = offerfit.parseValue({ text: '1', txet: '2' });
  assert.equal(out.ok, false);
  assert.equal(out.errors[0].code, 'request.unknown_field');
});

test('values JSON cannot hold are refused with request.json and a path', () => {
  assert.deepEqual(offerfit.place({ offers: [], tasks: [{ id: 't', cpus: NaN }] }), {
    ok: false,
    errors: [{ code: 'request.json', message: 'expected a finite number, found `NaN`', path: '/tasks/0/cpus' }],
  });
  assert.equal(offerfit.place({ offers: [], tasks: [{ id: 't', mem: -Infinity }] }).errors[0].message,
    'expected a finite number, found `-Infinity`');
  const fn = offerfit.parseValue({ text: () => 1 });
  assert.equal(fn.ok, false);
  assert.equal(fn.errors[0].code, 'request.json');
  assert.equal(fn.errors[0].path, '/text');
  const sym = offerfit.parseValue({ text: Symbol('x') });
  assert.equal(sym.ok, false);
  assert.equal(sym.errors[0].code, 'request.json');
});

test('nesting deeper than the json_depth limit gets limit.json_depth, as through call', () => {
  let deep = {};
  for (let i = 0; i < 100000; i++) deep = { a: deep };
  const typed = offerfit.parseValue(deep);
  assert.equal(typed.ok, false);
  assert.equal(typed.errors[0].code, 'limit.json_depth');
  assert.equal(typed.errors[0].path, '/a'.repeat(64));
  const text = JSON.parse(offerfit.call(`{"op":"parse_value","a":${'{"a":'.repeat(100000)}1${'}'.repeat(100000)}}`));
  assert.equal(text.errors[0].code, 'limit.json_depth');
  // 64 levels are fine (the default limit), 65 are not.
  let ok = { text: '1' };
  let nested = [];
  for (let i = 0; i < 62; i++) nested = [nested];
  assert.equal(offerfit.parseValue({ ...ok, x: nested }).errors[0].code, 'request.unknown_field');
  assert.equal(offerfit.parseValue({ ...ok, x: [nested] }).errors[0].code, 'limit.json_depth');
});

test('a request that is not an object gets request.not_object', () => {
  for (const bad of [42, 'text', null, undefined, [1, 2], true]) {
    const out = offerfit.place(bad);
    assert.equal(out.ok, false, `for ${String(bad)}`);
    assert.equal(out.errors[0].code, 'request.not_object', `for ${String(bad)}`);
  }
});

test('the typed functions answer exactly what call answers', () => {
  const requests = {
    parseValue: { text: '[1-2, 4-8]' },
    parseResources: { text: 'cpus(web):2;mem:1024', default_role: 'web' },
    formatResources: { resources: 'cpus:1;cpus:2' },
    resourceMath: { operation: 'allocatable_to', left: 'cpus(a/b):1;cpus(c):1;mem:10', role: 'a/b/c' },
    parseAttributes: { text: 'zone:a;rack:r9' },
    parseConstraints: { constraints: ['rack:LIKE:r.*'], dialect: 'openwhisk', delimiter: ':' },
    checkConstraints: { constraints: [['rack', 'CLUSTER', 'r1']], candidate: { hostname: 'h', attributes: 'rack:r2' } },
    place: JSON.parse(readFileSync(join(ROOT, 'examples/place-request.json'), 'utf8')),
  };
  for (const [op, fn] of Object.entries(TYPED)) {
    if (op === 'version') continue;
    const { op: _, ...request } = requests[fn];
    const typed = offerfit[fn](request);
    const text = offerfit.call(JSON.stringify({ op, ...request }));
    assert.deepEqual(typed, JSON.parse(text), fn);
    assert.equal(JSON.stringify(typed), text, `${fn}: byte-identical once stringified`);
  }
});

test('no input makes any function throw', () => {
  const odd = [
    undefined, null, 0, -1, 1.5, NaN, 2n ** 70n, 'x', '', [], [null], {}, { op: 'place' }, { text: 42 },
    { constraints: 'rack LIKE x' }, { offers: {}, tasks: null }, { offers: [{}], tasks: [{}] },
    { resources: [{ name: 'cpus' }] }, new Map([['text', '1']]), Symbol('s'), () => {},
    { text: '\u0000\uffff\ud800' }, { text: 'x'.repeat(1 << 20) },
  ];
  for (const [op, fn] of Object.entries(TYPED)) {
    for (const value of odd) {
      const out = offerfit[fn](value);
      assert.equal(typeof out, 'object', `${fn}(${String(value)})`);
      assert.equal(typeof out.ok, 'boolean', `${fn}(${String(value)})`);
      if (!out.ok) assert.ok(out.errors.length > 0 && out.errors.every((e) => e.code && e.message));
    }
  }
  for (const text of ['', ' ', '{', '[]', 'null', '{"op":1}', '\u0000', '{"op":"place","offers":[],"tasks":[]}x']) {
    const out = JSON.parse(offerfit.call(text));
    assert.equal(out.ok, false, JSON.stringify(text));
  }
  assert.equal(JSON.parse(offerfit.call(undefined)).ok, false);
});
