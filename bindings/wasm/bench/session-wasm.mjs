#!/usr/bin/env node
// Fenzo's scenario through the npm package's `Session`, beside the npm `place` of the same
// batches: the WASM side of `offerfit bench --scenario session` (bindings/cli/src/bench_session.rs).
//
//   offerfit bench --write-workloads DIR          # the native CLI writes the workloads
//   node bindings/wasm/bench/session-wasm.mjs --workloads DIR [--rounds 5] [--module PATH] [--json]
//
// The steps are those of the native bench: a scripted master offers every agent once (step 0,
// ids `ID-0`) and the session holds them (`offer_hold_seconds` 3600, as a framework runs it);
// each step submits the next 200 tasks of `DIR/fenzo.json`, which the session places at once
// on the offers it holds; the host kills what `place` left unplaced; then the master offers
// again what is left of each agent that received tasks (fresh ids `ID-k`). The stateless side
// sends the same held offers, in arrival order, with each batch. The steps are built once,
// untimed, from npm `place` answers; then each round times, per step:
//
// - objects: `place(request)` per batch vs `session.step(submit) + session.step(offers)`;
// - text: `call(place request text)` per batch vs `session.stepText(submit line) +
//   session.stepText(offers line)` (the text the native `step_json` run reads; the whole run's
//   text total includes step 0).
//
// Issue 15's target: a step ≤ 1.5× the place of the same batch. Each step checks that the
// session launched exactly the tasks `place` placed, on the same agents (else exit 1). Times are
// the CPU time of this process (process.cpuUsage; V8's helper threads count too, as in
// bench.mjs); each figure is the median over all steps of all rounds with min–max, and the
// ratio is the median of the rounds' median ratios. One warm-up round runs first (V8 tiers the
// module's hot functions up in the background: bench.mjs's header).

import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Buffer } from 'node:buffer';
import { CLOCK, timed, median, r3, spread, scalarMillis } from './stats.mjs';
import { parseFlags, int } from './args.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = parseFlags(argv, {
    defaults: { workloads: null, rounds: 5, module: join(HERE, '..', 'js', 'node.mjs'), json: false, scenario: 'fenzo' },
    flags: {
      '--workloads': ['workloads', String],
      '--rounds': ['rounds', int],
      '--module': ['module', resolve],
      '--scenario': ['scenario', String],
    },
    switches: { '--json': 'json' },
    usage: 'usage: session-wasm.mjs --workloads DIR [--rounds N] [--scenario fenzo] [--module PATH] [--json]',
  });
  if (!(args.rounds >= 1)) throw new Error('--rounds must be at least 1');
  return args;
}

/** `task id → agent id`, sorted, of a list of [task, agent] pairs. */
const key = (pairs) => pairs.map(([t, a]) => `${t}\u0000${a}`).sort().join('\n');

/** The steps, built from npm `place` answers (untimed), as bench_session.rs `steps` does: a
 * scripted master that keeps the offers a framework holds in arrival order. */
function buildSteps(api, work) {
  const request = work.request;
  const batch = Math.max(1, work.batch);
  const baseId = (id) => id.replace(/-\d+$/, '');
  // Step 0: every agent offered once (ids `ID-0`), held by the framework (and by the session).
  let held = request.offers.map((o) => ({ ...o, id: { value: `${o.id.value}-0` } }));
  const first = { now: 0, event: { type: 'OFFERS', offers: { offers: held } } };
  const firstLine = JSON.stringify(first);
  const steps = [];
  for (let k = 0; k * batch < request.tasks.length; k++) {
    const now = k + 1;
    const tasks = request.tasks.slice(k * batch, (k + 1) * batch);
    const placeRequest = { offers: held, tasks, options: request.options };
    const answer = api.place(placeRequest);
    if (answer.ok !== true) throw new Error(`place failed: ${JSON.stringify(answer).slice(0, 500)}`);
    // Plain loops and maps here and in `round`: node 20's V8 hit a fatal deoptimizer error
    // ("unreachable code", in an array builtin's callback continuation) on this path.
    const byAgent = new Map();
    for (const o of held) if (!byAgent.has(o.agent_id.value)) byAgent.set(o.agent_id.value, o);
    const placed = [];
    const used = new Set();
    const reoffers = [];
    for (const a of answer.accept) {
      for (const t of a.tasks) placed.push([t.task_id, a.agent_id]);
      for (const id of a.offer_ids) used.add(id);
      // What is left of an agent that received tasks comes again with a fresh id (dropped once
      // it has no cpus or no mem left), after every offer still held.
      const o = byAgent.get(a.agent_id);
      if (o && scalarMillis(a.remaining, 'cpus') > 0 && scalarMillis(a.remaining, 'mem') > 0) {
        reoffers.push({ ...o, id: { value: `${baseId(o.id.value)}-${now}` }, resources: a.remaining });
      }
    }
    const unplaced = [];
    for (const u of answer.unplaced) unplaced.push(u.task_id);
    const placeText = JSON.stringify({ ...placeRequest, op: 'place' });
    const submit = { now, submit: tasks };
    // The host kills what `place` left unplaced (a stateless framework drops it too), so both
    // sides meet the same offers in the next batch.
    const kill = unplaced.length > 0 ? { now, kill: unplaced } : null;
    const offersInput = { now, event: { type: 'OFFERS', offers: { offers: reoffers } } };
    const submitLine = JSON.stringify(submit);
    const killLine = kill && JSON.stringify(kill);
    const offersLine = JSON.stringify(offersInput);
    // Flatten V8's ropes outside the timed region (bench.mjs `requestText`).
    for (const t of [placeText, submitLine, killLine || '', offersLine]) Buffer.byteLength(t, 'utf8');
    steps.push({ placeRequest, placeText, submit, kill, offersInput, submitLine, killLine, offersLine, placed: key(placed) });
    const next = [];
    for (const o of held) if (!used.has(o.id.value)) next.push(o);
    for (const o of reoffers) next.push(o);
    held = next;
    if (placed.length === 0) break;
  }
  return { first, firstLine, steps };
}

/** A subscribed session with nothing held, configured as the workload (bench_session.rs
 * `session`): offers are held for an hour, as a framework would run it. */
function newSession(api, work) {
  const { roles, framework_id: _f, principal: _p, ...options } = work.request.options || {};
  const config = { framework: { name: 'bench', roles: roles || [] }, options, session: { offer_hold_seconds: 3600 } };
  const s = new api.Session(config);
  const a = s.step({ now: 0, connect: {} });
  const b = s.step({ now: 0, event: { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'F1' } } } });
  if (a.ok !== true || b.ok !== true) throw new Error(`session setup failed: ${JSON.stringify([a, b]).slice(0, 500)}`);
  return s;
}

/** Whether every output is `ok`, and the `launching` notices' [task, agent] pairs as a `key`. */
function checkOutputs(outputs) {
  let ok = true;
  const pairs = [];
  for (const o of outputs) {
    if (o.ok !== true) ok = false;
    for (const n of o.notices || []) {
      if (n.kind === 'launching') pairs.push([n.task_id, n.agent_id]);
    }
  }
  return [ok, key(pairs)];
}

function round(api, work, built) {
  const { first, firstLine, steps } = built;
  const r = { place: [], step: [], call: [], stepText: [], stepTextFirst: 0, checked: true };
  for (const st of steps) {
    const [answer, ms] = timed(() => api.place(st.placeRequest));
    r.place.push(ms);
    if (answer.ok !== true) r.checked = false;
  }
  let s = newSession(api, work);
  if (s.step(first).ok !== true) r.checked = false;
  for (const st of steps) {
    const [outs, ms] = timed(() => [s.step(st.submit), ...(st.kill ? [s.step(st.kill)] : []), s.step(st.offersInput)]);
    r.step.push(ms);
    const [ok, got] = checkOutputs(outs);
    if (!ok || got !== st.placed) r.checked = false;
  }
  s.free();
  for (const st of steps) {
    const [out, ms] = timed(() => api.call(st.placeText));
    r.call.push(ms);
    if (!out.startsWith('{"ok":true')) r.checked = false;
  }
  s = newSession(api, work);
  const [firstOut, firstMs] = timed(() => s.stepText(firstLine));
  r.stepTextFirst = firstMs;
  if (!firstOut.startsWith('{"ok":true')) r.checked = false;
  for (const st of steps) {
    const [lines, ms] = timed(() => [
      s.stepText(st.submitLine),
      ...(st.killLine ? [s.stepText(st.killLine)] : []),
      s.stepText(st.offersLine),
    ]);
    r.stepText.push(ms);
    const [ok, got] = checkOutputs(lines.map((l) => JSON.parse(l)));
    if (!ok || got !== st.placed) r.checked = false;
  }
  s.free();
  return r;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const api = await import(pathToFileURL(args.module).href);
  for (const name of ['place', 'call', 'Session']) {
    if (typeof api[name] !== 'function') throw new Error(`${args.module} exports no \`${name}\``);
  }
  const work = JSON.parse(readFileSync(join(args.workloads, `${args.scenario}.json`), 'utf8'));
  const built = buildSteps(api, work);
  const steps = built.steps;
  round(api, work, built); // warm-up, not counted
  const rounds = [];
  for (let k = 0; k < args.rounds; k++) {
    if (!args.json) process.stderr.write(`session-wasm: round ${k + 1}/${args.rounds}\n`);
    rounds.push(round(api, work, built));
  }
  const all = (f) => rounds.flatMap(f);
  const ratio = (num, den) => r3(median(rounds.map((r) => median(r[num]) / median(r[den]))));
  const doc = {
    clock: CLOCK,
    node: process.version,
    module: args.module,
    scenario: work.name,
    agents: work.request.offers.length,
    tasks: work.request.tasks.length,
    steps: steps.length,
    rounds: rounds.length,
    place_ms: spread(all((r) => r.place)),
    step_ms: spread(all((r) => r.step)),
    step_over_place: ratio('step', 'place'),
    step_over_place_rounds: rounds.map((r) => r3(median(r.step) / median(r.place))),
    call_ms: spread(all((r) => r.call)),
    step_text_ms: spread(all((r) => r.stepText)),
    step_text_over_call: ratio('stepText', 'call'),
    call_total_ms: spread(rounds.map((r) => r.call.reduce((a, b) => a + b, 0))),
    step_text_total_ms: spread(rounds.map((r) => r.stepTextFirst + r.stepText.reduce((a, b) => a + b, 0))),
    checked: rounds.every((r) => r.checked),
  };
  if (args.json) {
    console.log(JSON.stringify(doc));
  } else {
    const line = (label, s) => `${label.padEnd(34)} ${s.median.toFixed(3)} ms (min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)}, n ${s.n})`;
    console.log(`${doc.scenario}: ${doc.agents} agents, ${doc.tasks} tasks, ${doc.steps} steps, ${doc.rounds} rounds (${CLOCK})`);
    console.log(line('npm place per batch', doc.place_ms));
    console.log(line('Session.step per step (objects)', doc.step_ms));
    console.log(`  step / place: ${doc.step_over_place}× (rounds: ${doc.step_over_place_rounds.join(', ')}); target ≤ 1.5×`);
    console.log(line('npm call per batch (text)', doc.call_ms));
    console.log(line('Session.stepText per step (text)', doc.step_text_ms));
    console.log(`  stepText / call: ${doc.step_text_over_call}×`);
    console.log(line('whole run, call', doc.call_total_ms));
    console.log(line('whole run, stepText', doc.step_text_total_ms));
  }
  if (!doc.checked) {
    console.error('session-wasm: the session launched other tasks than place placed');
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(`session-wasm.mjs: ${e.stack || e.message}`);
  process.exitCode = 2;
});
