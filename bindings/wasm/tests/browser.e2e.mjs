// End-to-end test of the playground (bindings/wasm/www) in headless Chromium, driven by
// playwright-core with Debian's chromium (/usr/bin/chromium, or $OFFERFIT_CHROMIUM): load the
// example, press Place, check the accept / decline / unplaced rows against the engine's own
// answer, edit the offers as a person would, switch to agent text, and see a caret error
// inline. Screenshots go to artifacts/ (playground.png and friends).
//
//   node --test bindings/wasm/tests/browser.e2e.mjs
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import * as offerfit from '../js/node.mjs';
import { ROOT } from './helpers.mjs';
import { serve } from './serve.mjs';

const CHROMIUM = process.env.OFFERFIT_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'artifacts');
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples/place-request.json'), 'utf8'));
delete EXAMPLE.op;

let server;
let context;
let page;
let profile;
const problems = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serve(ROOT);
  profile = mkdtempSync(join(tmpdir(), 'offerfit-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  // The page must never reach beyond the test server.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    problems.push(`blocked request to ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(`${server.url}/bindings/wasm/www/`);
  await page.waitForSelector('body[data-ready="true"]');
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The decision table as `[kind, id, agent]` rows. */
async function rows() {
  return page.$$eval('#decisions tbody tr', (trs) =>
    trs.map((tr) => [tr.dataset.kind, tr.dataset.id, tr.querySelector('td.agent').firstChild.textContent]),
  );
}

/** What the table should show for `request`, from the engine itself (the node build). */
function expectedRows(request) {
  const answer = offerfit.place(request);
  assert.equal(answer.ok, true, JSON.stringify(answer.errors));
  const hostOf = new Map(request.offers.map((o) => [o.id.value, o.hostname]));
  return [
    ...answer.accept.flatMap((a) => a.tasks.map((t) => ['accept', t.task_id, a.hostname])),
    ...answer.decline.map((d) => ['decline', d.offer_id, hostOf.get(d.offer_id)]),
    ...answer.unplaced.map((u) => ['unplaced', u.task_id, u.nearest ? `nearest: ${u.nearest.hostname}` : '—']),
  ];
}

async function place() {
  await page.click('#place');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('answered'));
}

test('the example loads and places: accept and unplaced rows as the engine decides', { timeout: 120_000 }, async () => {
  assert.match(await page.inputValue('#offers'), /mesos-agent-01\.dc1\.example/);
  assert.match(await page.textContent('#footer'), /^offerfit \d+\.\d+\.\d+ · ops: version, /);
  // Before the first run, the results pane says what to do.
  assert.ok(await page.isVisible('#first-hint'));
  assert.match(await page.textContent('#first-hint'), /press Place/);
  await place();
  assert.equal(await page.isVisible('#first-hint'), false);
  const shown = await rows();
  assert.deepEqual(shown, expectedRows(EXAMPLE));
  // What the example is about, independently of the engine's answer above.
  const kinds = shown.map(([k]) => k);
  assert.equal(kinds.filter((k) => k === 'accept').length, 8);
  assert.deepEqual(
    shown.filter(([k]) => k === 'unplaced').map(([, id]) => id),
    ['whisk-action-hello-2', 'whisk-blackbox-1'],
  );
  const reasons = await page.textContent('tr[data-id="whisk-blackbox-1"] td.details');
  assert.match(reasons, /constraint not satisfied: `att2 LIKE blackbox` \(2 offers\)/);
  assert.doesNotMatch(reasons, /constraint constraint/);
  assert.match(await page.textContent('#summary'), /^Placed 8 of 10 tasks on 3 agents; 0 of 3 offers declined; 2 unplaced/);
  await page.screenshot({ path: join(ARTIFACTS, 'playground-example.png'), fullPage: true });
});

test('an added offer nobody needs is declined', { timeout: 120_000 }, async () => {
  const spare = {
    id: { value: 'spare-O1' },
    agent_id: { value: 'spare-S1' },
    hostname: 'spare.dc1.example',
    resources: 'cpus:0.2;mem:64',
    attributes: 'rack:r9',
  };
  const request = { ...EXAMPLE, offers: [...EXAMPLE.offers, spare] };
  await page.fill('#offers', JSON.stringify(request.offers, null, 2));
  await place();
  const shown = await rows();
  assert.deepEqual(shown, expectedRows(request));
  assert.deepEqual(
    shown.filter(([k]) => k === 'decline'),
    [['decline', 'spare-O1', 'spare.dc1.example']],
  );
  assert.ok(shown.some(([k]) => k === 'accept') && shown.some(([k]) => k === 'unplaced'));
  await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true });
});

test('agent text: offers written as Mesos agent flags place as expected', { timeout: 120_000 }, async () => {
  await page.click('#reset');
  await page.waitForFunction(() => document.getElementById('offers').value.includes('mesos-agent-01'));
  await page.check('input[name="offers-format"][value="agents"]');
  // The JSON offers are shown as agent lines, resources printed by the core.
  assert.match(await page.inputValue('#offers'), /^mesos-agent-01\.dc1\.example \| cpus:8; mem:15360; disk:51200; ports:\[4000-5000, /m);
  await page.fill(
    '#offers',
    [
      '# hostname | resources | attributes',
      'big.example | cpus:8;mem:16384;ports:[31000-31009] | rack:r1',
      'small.example | cpus:1;mem:1024 | rack:r2',
      'idle.example | cpus:0.5;mem:128 | rack:r3',
    ].join('\n'),
  );
  await page.fill(
    '#tasks',
    JSON.stringify([
      { id: 'api-1', cpus: 2, mem: 2048, ports: [0] },
      { id: 'api-2', cpus: 2, mem: 2048, ports: [0] },
      { id: 'huge', cpus: 64, mem: 1024 },
    ]),
  );
  await page.fill('#constraints', 'rack LIKE r[12]');
  await page.fill('#options', '{"strategy": "binpack"}');
  await place();
  assert.deepEqual(await rows(), [
    ['accept', 'api-1', 'big.example'],
    ['accept', 'api-2', 'big.example'],
    ['decline', 'small.example-O2', 'small.example'],
    ['decline', 'idle.example-O3', 'idle.example'],
    ['unplaced', 'huge', 'nearest: big.example'],
  ]);
  assert.match(await page.textContent('tr[data-id="api-1"] td.details'), /cpus:2; mem:2048; ports:\[31000-31000\]/);
  assert.match(await page.textContent('tr[data-id="huge"] td.details'), /insufficient_cpus/);
  assert.match(await page.textContent('tr[data-id="huge"] td.details'), /constraint .*rack LIKE r\[12\].*\(1 offer\)/);
});

test('a bad constraint is shown inline with its caret', { timeout: 120_000 }, async () => {
  await page.fill('#constraints', 'rack LIKEE r1');
  await place();
  const inline = await page.textContent('#constraints-error');
  assert.ok(await page.isVisible('#constraints-error'));
  assert.equal(inline.split('\n').slice(0, 2).join('\n'), 'rack LIKEE r1\n     ^^^^^ unknown operator `LIKEE`');
  assert.match(inline, /help: did you mean `LIKE`\?/);
  assert.match(await page.textContent('#error-list'), /constraint\.unknown_operator unknown operator `LIKEE` at \/tasks\/0\/constraints\/0/);
  assert.equal(await page.isVisible('#decisions'), false);
  await page.screenshot({ path: join(ARTIFACTS, 'playground-error.png'), fullPage: true });
});

test('malformed JSON in a field is reported under that field', { timeout: 60_000 }, async () => {
  await page.fill('#constraints', '');
  await page.fill('#tasks', '[{"id": "x",]');
  await place().catch(() => {});
  await page.waitForSelector('#tasks-error:not([hidden])');
  assert.match(await page.textContent('#tasks-error'), /^Tasks is not valid JSON: /);
  assert.match(await page.textContent('#summary'), /nothing was placed/);
});

test('every input error is shown, in each field and in the list, not only the first', { timeout: 60_000 }, async () => {
  await page.click('#reset');
  await page.waitForFunction(() => document.getElementById('offers').value.includes('mesos-agent-01'));
  await page.check('input[name="offers-format"][value="agents"]');
  await page.fill('#offers', 'good.example | cpus:1;mem:64\n | cpus:1\nok.example | cpus:2\n   | mem:3');
  await page.fill('#tasks', '[{"id": "x",]');
  await page.fill('#options', '{strategy}');
  await page.click('#place');
  await page.waitForFunction(() => /input errors?: nothing was placed/.test(document.getElementById('summary').textContent));
  assert.match(await page.textContent('#summary'), /^4 input errors: nothing was placed\.$/);
  assert.equal(await page.$$eval('#error-list li', (li) => li.length), 4);
  const offers = await page.textContent('#offers-error');
  assert.match(offers, /line 2: expected `hostname \| resources \| attributes`/);
  assert.match(offers, /line 4: expected/);
  assert.match(await page.textContent('#tasks-error'), /^Tasks is not valid JSON: /);
  assert.match(await page.textContent('#options-error'), /^Options is not valid JSON: /);
  await page.check('input[name="offers-format"][value="json"]');
});

test('every error the engine reports is listed', { timeout: 60_000 }, async () => {
  await page.click('#reset');
  await page.waitForFunction(() => document.getElementById('offers').value.includes('mesos-agent-01'));
  // Each task's decoding error is reported (the engine collects them over the tasks).
  await page.fill('#tasks', JSON.stringify([
    { id: 'a', cpu: 1 },
    { id: 'b', memory: 1 },
    { id: 'c', cpus: 'x' },
  ]));
  const request = { offers: JSON.parse(await page.inputValue('#offers')), tasks: JSON.parse(await page.inputValue('#tasks')),
    options: JSON.parse(await page.inputValue('#options')) };
  const expected = offerfit.place(request);
  assert.equal(expected.ok, false);
  assert.ok(expected.errors.length >= 3, JSON.stringify(expected.errors));
  await place();
  const listed = await page.$$eval('#error-list li code.code', (codes) => codes.map((c) => c.textContent));
  assert.deepEqual(listed, expected.errors.map((e) => e.code));
  assert.match(await page.textContent('#summary'), new RegExp(`^${expected.errors.length} errors: nothing was placed`));
});

test('usable at phone width (390 px): no horizontal overflow, decisions and errors readable', { timeout: 120_000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const overflow = () =>
      page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')]
          .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > width + 0.5)
          .filter((e) => !e.closest('pre, textarea'))
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`);
        return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
      });
    await page.click('#reset');
    await page.waitForFunction(() => document.getElementById('offers').value.includes('mesos-agent-01'));
    let o = await overflow();
    assert.ok(o.scroll <= o.width, `page ${o.scroll} px wide at ${o.width} px before placing: ${o.wide}`);
    await place();
    assert.deepEqual(await rows(), expectedRows(EXAMPLE));
    o = await overflow();
    assert.deepEqual(o.wide, []);
    assert.ok(o.scroll <= o.width, `page ${o.scroll} px wide at ${o.width} px with decisions`);
    // Decision cards: the id, agent and details stacked within the width.
    const card = await page.$eval('#decisions tbody tr', (tr) => tr.getBoundingClientRect().width);
    assert.ok(card <= 390, `a decision is ${card} px wide`);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-phone.png'), fullPage: true });
    await page.fill('#constraints', 'rack LIKEE r1');
    await place();
    assert.ok(await page.isVisible('#error-list'));
    o = await overflow();
    assert.deepEqual(o.wide, []);
    assert.ok(o.scroll <= o.width, `page ${o.scroll} px wide at ${o.width} px with errors`);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-phone-error.png'), fullPage: true });
    await page.fill('#constraints', '');
  } finally {
    await page.setViewportSize({ width: 1400, height: 1000 });
  }
});

test('no page errors, console errors or requests beyond the test server', () => {
  assert.deepEqual(problems, []);
});
