#!/usr/bin/env node
// Fenzo's scenario through the npm package's `Session`, beside the npm `place` of the same
// batches: the WASM side of `offerfit bench --scenario session` (bindings/cli/src/bench_session.rs).
//
//   offerfit bench --write-workloads DIR          # the native CLI writes the workloads
//   node bindings/wasm/bench/session-wasm.mjs --workloads DIR [--rounds 5] [--module PATH] [--json]
//
// The steps are those of the native bench: each step submits the next 200 tasks of
// `DIR/fenzo.json` and then feeds an `OFFERS` event with every agent that still has room (the
// first step: all 10,000; later, the agents that received tasks offered again with what is
// left, the untouched ones again as new offers: a session declines the offers it holds at once
// when nothing is pending, SESSION.md rule 2). Offer ids are fresh in every step (`ID-k`). The
// steps are built once, untimed, from npm `place` answers; then each round times, per step:
//
// - objects: `place(request)` per batch vs `session.step(submit) + session.step(offers)`;
// - text: `call(place request text)` per batch vs `session.stepText(submit line) +
//   session.stepText(offers line)` (the text the native `step_json` run reads).
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

const HERE = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { workloads: null, rounds: 5, module: join(HERE, '..', 'js', 'node.mjs'), json: false, scenario: 'fenzo' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--workloads') args.workloads = value();
    else if (a === '--rounds') args.rounds = Number.parseInt(value(), 10);
    else if (a === '--module') args.module = resolve(value());
    else if (a === '--scenario') args.scenario = value();
    else if (a === '--json') args.json = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: session-wasm.mjs --workloads DIR [--rounds N] [--scenario fenzo] [--module PATH] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument \`${a}\``);
  }
  if (!args.workloads) throw new Error('--workloads DIR is required (write it with `offerfit bench --write-workloads DIR`)');
  if (!(args.rounds >= 1)) throw new Error('--rounds must be at least 1');
  return args;
}

const CLOCK = 'process-cpu';

/** Runs `f`, returning [its result, ms of process CPU time]. */
function timed(f) {
  const start = process.cpuUsage();
  const out = f();
  const d = process.cpuUsage(start);
  return [out, (d.user + d.system) / 1e3];
}

function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  return n === 0 ? 0 : n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const r3 = (x) => Math.round(x * 1000) / 1000;
function spread(xs) {
  return { median: r3(median(xs)), min: r3(Math.min(...xs)), max: r3(Math.max(...xs)), n: xs.length };
}

function scalarMillis(resources, name) {
  let total = 0;
  for (const r of resources || []) {
    if (r.name === name && r.scalar) total += Math.round(r.scalar.value * 1000);
  }
  return total;
}

/** `task id → agent id`, sorted, of a list of [task, agent] pairs. */
const key = (pairs) => pairs.map(([t, a]) => `${t}\u0000${a}`).sort().join('\n');

/** The steps, built from npm `place` answers (untimed), as bench_session.rs `steps` does. */
function buildSteps(api, work) {
  const request = work.request;
  const batch = Math.max(1, work.batch);
  const live = request.offers.map((o) => o);
  const byAgent = new Map(request.offers.map((o, i) => [o.agent_id.value, i]));
  const steps = [];
  for (let k = 0; k * batch < request.tasks.length; k++) {
    const tasks = request.tasks.slice(k * batch, (k + 1) * batch);
    const offers = live.filter((o) => o !== null).map((o) => ({ ...o, id: { value: `${o.id.value}-${k}` } }));
    const placeRequest = { offers, tasks, options: request.options };
    const answer = api.place(placeRequest);
    if (answer.ok !== true) throw new Error(`place failed: ${JSON.stringify(answer).slice(0, 500)}`);
    const placed = [];
    for (const a of answer.accept) {
      for (const t of a.tasks) placed.push([t.task_id, a.agent_id]);
      const i = byAgent.get(a.agent_id);
      if (i === undefined) continue;
      const cpus = scalarMillis(a.remaining, 'cpus');
      const mem = scalarMillis(a.remaining, 'mem');
      if (live[i] !== null && cpus > 0 && mem > 0) live[i] = { ...live[i], resources: a.remaining };
      else live[i] = null;
    }
    const placeText = JSON.stringify({ ...placeRequest, op: 'place' });
    const submit = { now: k + 1, submit: tasks };
    const offersInput = { now: k + 1, event: { type: 'OFFERS', offers: { offers } } };
    const submitLine = JSON.stringify(submit);
    const offersLine = JSON.stringify(offersInput);
    // Flatten V8's ropes outside the timed region (bench.mjs `requestText`).
    for (const s of [placeText, submitLine, offersLine]) Buffer.byteLength(s, 'utf8');
    steps.push({ placeRequest, placeText, submit, offersInput, submitLine, offersLine, placed: key(placed) });
    if (placed.length === 0) break;
  }
  return steps;
}

/** A subscribed session with nothing held, configured as the workload (bench_session.rs `session`). */
function newSession(api, work) {
  const { roles, framework_id: _f, principal: _p, ...options } = work.request.options || {};
  const config = { framework: { name: 'bench', roles: roles || [] }, options, session: { offer_hold_seconds: 1e9 } };
  const s = new api.Session(config);
  const a = s.step({ now: 0, connect: {} });
  const b = s.step({ now: 0, event: { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'F1' } } } });
  if (a.ok !== true || b.ok !== true) throw new Error(`session setup failed: ${JSON.stringify([a, b]).slice(0, 500)}`);
  return s;
}

const launched = (output) =>
  (output.notices || []).filter((n) => n.kind === 'launching').map((n) => [n.task_id, n.agent_id]);

function round(api, work, steps) {
  const r = { place: [], step: [], call: [], stepText: [], checked: true };
  for (const st of steps) {
    const [answer, ms] = timed(() => api.place(st.placeRequest));
    r.place.push(ms);
    r.checked &&= answer.ok === true;
  }
  let s = newSession(api, work);
  for (const st of steps) {
    const [[a, b], ms] = timed(() => [s.step(st.submit), s.step(st.offersInput)]);
    r.step.push(ms);
    r.checked &&= a.ok === true && b.ok === true && key([...launched(a), ...launched(b)]) === st.placed;
  }
  s.free();
  for (const st of steps) {
    const [out, ms] = timed(() => api.call(st.placeText));
    r.call.push(ms);
    r.checked &&= out.startsWith('{"ok":true');
  }
  s = newSession(api, work);
  for (const st of steps) {
    const [[a, b], ms] = timed(() => [s.stepText(st.submitLine), s.stepText(st.offersLine)]);
    r.stepText.push(ms);
    const [ja, jb] = [JSON.parse(a), JSON.parse(b)];
    r.checked &&= ja.ok === true && jb.ok === true && key([...launched(ja), ...launched(jb)]) === st.placed;
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
  const steps = buildSteps(api, work);
  round(api, work, steps); // warm-up, not counted
  const rounds = [];
  for (let k = 0; k < args.rounds; k++) {
    if (!args.json) process.stderr.write(`session-wasm: round ${k + 1}/${args.rounds}\n`);
    rounds.push(round(api, work, steps));
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
    step_text_total_ms: spread(rounds.map((r) => r.stepText.reduce((a, b) => a + b, 0))),
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
