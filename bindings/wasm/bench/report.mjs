#!/usr/bin/env node
// Renders benches/REPORT.md from the JSON that scripts/bench-report.sh collects:
//
//   node report.mjs DIR > benches/REPORT.md
//
// DIR holds native.json (`offerfit bench --json`), growth.json (`offerfit bench --scenario
// growth --json`), wasm.json (bench.mjs --json) or wasm-1.json, wasm-2.json, … (one Node
// process each: merged below), optionally wasm-size.json / wasm-size-1.json, … (the same through
// the size build, opt-level z), instructions.json (callgrind counts per scenario: engine,
// call, parse) and callgrind.txt, machine.txt (the machine's description), optionally
// session-wasm.json (session-wasm.mjs --json: the npm Session against the npm `place`),
// optionally wasmtime-fuel.json (wasmtime_bench.py --fuel --json: WebAssembly operations of each
// scenario's first call, beside callgrind's native `call` instructions), and the
// hand-kept sections notes.md, notes-1.md, notes-2.md, … (rendered verbatim, in that order).

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: report.mjs DIR');
  process.exit(2);
}
const load = (name) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), 'utf8')) : null);
const text = (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').trim() : '');
const native = load('native.json');
const growth = load('growth.json');
// One process's medians can sit far from another's (V8 places and tiers the module's code anew
// in each process: on the shared VM, the same package gave the constraint-heavy call 95-105 ms
// in some processes and 140-170 ms in others), so the WASM side runs in several processes, as
// the native side runs in rounds: a scenario's figure is the median of the processes' medians,
// and `processes` keeps each one's.
const loadProcesses = (base) => {
  const docs = [];
  for (let i = 1; existsSync(join(dir, `${base}-${i}.json`)); i++) docs.push(load(`${base}-${i}.json`));
  if (docs.length === 0) return load(`${base}.json`);
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const n = v.length;
    return n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  const scenarios = docs[0].scenarios.map((first) => {
    const all = docs.map((d) => d.scenarios.find((s) => s.name === first.name)).filter(Boolean);
    const merged = { ...first, processes: all.map((s) => s.wasm_ms.median) };
    merged.wasm_ms = { ...first.wasm_ms, median: median(merged.processes), samples: all.reduce((a, s) => a + s.wasm_ms.samples, 0) };
    merged.checked = all.every((s) => s.checked && s.placed === first.placed);
    if (all.every((s) => s.main_thread_ms)) merged.main_thread_ms = { median: median(all.map((s) => s.main_thread_ms.median)) };
    return merged;
  });
  return { ...docs[0], processes: docs.length, scenarios };
};
const wasm = loadProcesses('wasm');
const wasmSize = loadProcesses('wasm-size');
// The plain-WASM module driven from Python through the `wasmtime` package (wasmtime.py).
const wasmtime = loadProcesses('wasmtime');
// WebAssembly operations (wasmtime's fuel) of each scenario's first call: a count the machine's
// load does not move, to read beside callgrind's native instructions for the same call.
const wasmtimeFuel = load('wasmtime-fuel.json');
const machine = text('machine.txt');
const callgrind = text('callgrind.txt');
const instructions = load('instructions.json');
// Fenzo's scenario through the npm `Session` beside the npm `place` (session-wasm.mjs --json).
const sessionWasm = load('session-wasm.json');

const byName = (doc) => new Map((doc ? doc.scenarios : []).map((s) => [s.name, s]));
const N = byName(native);
const W = byName(wasm);
const WS = byName(wasmSize);
const WT = byName(wasmtime);
const WF = byName(wasmtimeFuel);
const med = (s, key) => (s && s[key] ? s[key].median : NaN);
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const verdict = (ok) => (ok === null ? '—' : ok ? '**met**' : '**not met**');
const mega = (x) => (Number.isFinite(x) ? `${(x / 1e6).toFixed(1)} M` : 'n/a');
// Callgrind instruction counts (null when valgrind was not run): `engine` = every typed call
// of the scenario, `call` / `parse` = the first call's text through offerfit::call / the floor.
const I = (name) => (instructions && instructions[name]) || null;
const engineIr = (name) => {
  const i = I(name);
  const s = N.get(name);
  return i && Number.isFinite(i.engine) && s ? i.engine / s.calls : NaN;
};
const callToParse = (name) => {
  const i = I(name);
  return i && Number.isFinite(i.call) && Number.isFinite(i.parse) ? i.call / i.parse : NaN;
};
const byIr = (ratio, goal) => (Number.isFinite(ratio) ? `${f(ratio)}× ${ratio <= goal ? '(within)' : '(over)'}` : '—');

function table(headers, rows) {
  const out = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

const lines = [];
const say = (s = '') => lines.push(s);

say('# offerfit performance report');
say();
say('Produced by `scripts/bench-report.sh` (do not edit by hand). Workloads are generated');
say('deterministically by `offerfit::bench_gen` (seed ' + (native ? native.seed : '?') + ') and shared by');
say('`offerfit bench`, the criterion benches (`benches/`) and the Node benchmark');
say('(`bindings/wasm/bench/bench.mjs`). Times are medians of **on-CPU time** (clock: native');
say(`\`${native ? native.clock : '?'}\`, the measuring thread's; WASM \`${wasm ? wasm.clock : '?'}\`, the whole Node process's, which also`);
say('counts V8\'s background compiler and GC threads, so it never flatters WASM), single core, release builds;');
say('the machine is shared with other jobs, so wall-clock times would be noisier: compare');
say('numbers within this report. Every sample checks what it placed.' + (native && native.rounds > 1 ? ` The native scenarios ran ${native.rounds} times round-robin; their samples are pooled.` : ''));
say();

// ---------------------------------------------------------------------------------------
say('## Targets');
say();
// Every verdict reads the median over all rounds (each round's median, then their median;
// `typed_rounds` / `json_rounds` from `offerfit bench --rounds N`), never a chosen run, and
// shows the spread (min–max of the rounds' medians). Ratios to the plain kube call are taken
// within each round (load that comes and goes falls on both alike): their median and spread.
const kube = N.get('kube');
const rounds = (s, key) => (s && s[`${key}_rounds`]) || (s && s[`${key}_ms`]) || null;
const spread = (r, d) => (r && Number.isFinite(r.min) ? `${f(r.min, d)}–${f(Number.isFinite(r.max) ? r.max : r.p95, d)}` : 'n/a');
const nRounds = (r) => (r ? r.samples : 0);
const targets = [];
const msTarget = (name, label, goal) => {
  const s = N.get(name);
  if (!s) return;
  const r = rounds(s, 'typed');
  targets.push([
    label,
    `≤ ${goal} ms`,
    `${f(r.median, 3)} ms (rounds ${spread(r, 3)}, ${nRounds(r)} rounds)`,
    verdict(r.median <= goal),
    Number.isFinite(engineIr(name)) ? `${mega(engineIr(name))} instructions per call` : '—',
  ]);
};
const utilTarget = (name, label) => {
  const s = N.get(name);
  if (!s) return;
  targets.push([
    label,
    '≥ 97.2%',
    `${f(s.utilisation * 100)}% (${int(s.placed)} of ${int(s.tasks)} tasks placed)`,
    verdict(s.utilisation >= 0.972),
    '—',
  ]);
};
const ratioTarget = (name, label, goal) => {
  const s = N.get(name);
  if (!s || !kube) return;
  const r = s.typed_to_kube;
  const ratio = r ? r.median : med(s, 'typed_ms') / med(kube, 'typed_ms');
  const reported = !Number.isFinite(goal);
  targets.push([
    label,
    reported ? 'report' : `≤ ${goal}×`,
    `${f(ratio)}× (within-round ratios ${spread(r, 2)}, ${nRounds(r)} rounds; ${f(rounds(s, 'typed').median, 1)} ms vs ${f(rounds(kube, 'typed').median, 1)} ms)`,
    reported ? '—' : verdict(ratio <= goal),
    reported ? `${f(engineIr(name) / engineIr('kube'))}×` : byIr(engineIr(name) / engineIr('kube'), goal),
  ]);
};
msTarget('fenzo', 'Fenzo TestLotsOfTasks: ms per 200-task call, typed (10,000 agents × 8 cpus)', 1.5);
utilTarget('fenzo', 'Fenzo: cpu utilisation when full');
msTarget('fenzo-distinct', 'fenzo-distinct (a per-agent `node_id` on every agent): ms per 200-task call, typed', 1.5);
utilTarget('fenzo-distinct', 'fenzo-distinct: cpu utilisation when full');
msTarget('fenzo-distinct-ports', 'fenzo-distinct-ports (per-agent `node_id` and port range; the tasks ask for a port): ms per call, typed', 1.5);
utilTarget('fenzo-distinct-ports', 'fenzo-distinct-ports: cpu utilisation when full');
msTarget('kube', 'Kubernetes SchedulingBasic shape: 10,000 tasks onto 5,000 agents, one call, typed', 15);
ratioTarget('kube-hetero', 'kube-hetero (4 machine sizes, 5% GPU agents, 2% in maintenance, per-agent `node_id`) vs plain kube, typed', 2);
ratioTarget('constraints', 'Constraint-heavy variant vs plain kube, typed', 1.5);
ratioTarget('ports', 'Port-heavy, mixed roles variant vs plain kube, typed', 1.5);
ratioTarget('mantl', 'mantl (agents as Mantl writes them) vs plain kube, typed (no target: reported)', Infinity);
if (kube) {
  targets.push([
    'Whole request JSON → JSON vs serde_json parse into `Value` (same 5,000-offer, 10,000-task text)',
    '≤ 2×',
    `${f(kube.json_to_parse)}× (${f(med(kube, 'json_ms'), 1)} ms vs ${f(med(kube, 'parse_ms'), 1)} ms, ${f(kube.request_bytes / 1e6, 1)} MB)`,
    verdict(kube.json_to_parse <= 2),
    byIr(callToParse('kube'), 2),
  ]);
}
// WASM against native, scenario by scenario (the JSON call both sides make): the worst
// scenario decides.
const wasmTarget = (label, goal, map, key) => {
  const ratios = [...map.values()]
    .filter((w) => N.get(w.name))
    .map((w) => [w.name, med(w, key) / rounds(N.get(w.name), 'json').median])
    .filter(([, x]) => Number.isFinite(x));
  if (ratios.length === 0) return;
  const worst = ratios.reduce((a, b) => (b[1] > a[1] ? b : a));
  const best = ratios.reduce((a, b) => (b[1] < a[1] ? b : a));
  targets.push([
    label,
    `≤ ${goal}× on every scenario`,
    `${f(best[1])}× (${best[0]}) – ${f(worst[1])}× (${worst[0]}), ${ratios.length} scenarios`,
    verdict(worst[1] <= goal),
    '—',
  ]);
};
if (wasm) wasmTarget('WASM in Node (npm package `call`) vs native `offerfit::call`, same request text', 1.3, W, 'wasm_ms');
if (wasmtime) wasmTarget('WASM under wasmtime (plain-WASM ABI from Python) vs native `offerfit::call`', 1.5, WT, 'wasm_ms');
if (sessionWasm) {
  const sw = sessionWasm;
  const r = sw.step_over_place_rounds || [];
  targets.push([
    'Session step in WASM (npm `Session.step`: submit + offers) vs npm `place` of the same batch, Fenzo (issue 15)',
    '≤ 1.5×',
    `${f(sw.step_over_place)}× (rounds ${r.length ? `${f(Math.min(...r))}–${f(Math.max(...r))}` : 'n/a'}, ${sw.rounds} rounds; ` +
      `${f(sw.step_ms.median, 3)} vs ${f(sw.place_ms.median, 3)} ms)`,
    verdict(sw.checked ? sw.step_over_place <= 1.5 : false),
    '—',
  ]);
}
if (growth) {
  const big = growth.growth.find((g) => g.agents === 100000 && g.tasks === 100000) ||
    growth.growth.filter((g) => g.agents === 100000).pop();
  if (big) {
    targets.push([
      'Growth: 100,000 agents fit in memory comfortably (peak RSS)',
      'report',
      `${f(big.peak_rss_kib / 1024, 0)} MiB peak at ${int(big.agents)} agents × ${int(big.tasks)} tasks`,
      '—',
      '—',
    ]);
  }
}
say(table(['target', 'goal', 'measured', 'verdict', 'by instructions (callgrind)'], targets));
say();
say('The verdict is the time\'s, from the median over all rounds (never a chosen run); the spread is the');
say('min–max of the rounds\' medians (of the within-round ratios for ratios). The last column gives the same');
say('ratio in instructions (stable where');
say('times are not); instructions and time differ by how fast the work runs (memory traffic, allocation).');
say();

// ---------------------------------------------------------------------------------------
say('## Scenarios (native, in-process)');
say();
say('`typed` = `Engine::new(options)?.place(&request)` (the request built beforehand);');
say('`json` = `offerfit::call(text)`, request text to response text; `parse` = `serde_json::from_str::<Value>`');
say('of the same text (the floor); multi-call scenarios give one sample per call.');
say();
say(
  table(
    ['scenario', 'agents', 'tasks', 'calls', 'placed', 'util %', 'typed ms/call', 'tasks/s', 'json ms/call', 'parse ms/call', 'json / parse'],
    [...N.values()].map((s) => [
      s.name,
      int(s.agents),
      int(s.tasks),
      s.calls,
      int(s.placed),
      f(s.utilisation * 100),
      f(med(s, 'typed_ms'), 3),
      int(s.tasks_per_s),
      f(med(s, 'json_ms'), 3),
      f(med(s, 'parse_ms'), 3),
      `${f(s.json_to_parse)}×`,
    ]),
  ),
);
say();

// ---------------------------------------------------------------------------------------
if (wasm) {
  say('## WASM beside native (JSON text to JSON text)');
  say();
  say(`Node ${wasm.node}, the npm package's \`call\` (\`pkg/node\`, the shipped build: cargo profile`);
  say('`wasm-release` = opt-level 3 + `wasm-opt -O3 -ocimfs 0` (no inlining of big single-caller functions), built for speed)' + (wasmSize ? ', and the same code built for size (opt-level "z", `wasm-opt -Oz`), what the package would cost in time if it shipped the smaller build.' : '.'));
  say('Both sides place the same workload with the same driver. The Node side samples after');
say(`${wasm.warmup ?? '?'} warm-up calls of each scenario's first request (V8 compiles the module in tiers in the background;`);
say('a long-running host reaches that steady state) on request text already flat in memory (a fresh');
say('`JSON.stringify` result is a rope that V8 flattens on first read: ~1 ms per MB, paid by the caller');
say('whatever the API). `main thread` is the Node main thread\'s own CPU time (from `/proc`), beside the');
say('process time the ratio uses.' + (wasm.processes ? ` The Node side ran in ${wasm.processes} processes, one after another: \`wasm ms/call\` is the median of` : ''));
if (wasm.processes) {
  say('the processes\' medians, `per process` gives each process\'s median (V8 lays out and tiers up the module anew');
  say('in each process, and one process can run a scenario markedly faster or slower than the next).');
}
  say();
  const headers = ['scenario', 'native ms/call', 'wasm ms/call', 'wasm / native'];
  if (wasm.processes) headers.push('wasm per process ms/call');
  headers.push('wasm main thread ms/call');
  if (wasmSize) headers.push('wasm (size build) ms/call', 'size build / native');
  headers.push('same placements');
  const rows = [];
  for (const w of W.values()) {
    const n = N.get(w.name);
    const nm = med(n, 'json_ms');
    const wm = med(w, 'wasm_ms');
    const row = [w.name, f(nm, 3), f(wm, 3), `${f(wm / nm)}×`];
    if (wasm.processes) row.push((w.processes || []).map((x) => f(x, 1)).join(', '));
    row.push(w.main_thread_ms ? f(w.main_thread_ms.median, 3) : 'n/a');
    if (wasmSize) {
      const ws = WS.get(w.name);
      const sm = med(ws, 'wasm_ms');
      row.push(f(sm, 3), `${f(sm / nm)}×`);
    }
    // `checked` (bench.mjs): every sample answered the same text; merged, every process also
    // placed as many tasks.
    const same = n && n.placed === w.placed && Math.abs(n.utilisation - w.utilisation) < 1e-9;
    row.push(!same ? `no (${w.placed} vs ${n ? n.placed : '?'})` : w.checked === false ? 'no (answers differ between samples or processes)' : 'yes');
    rows.push(row);
  }
  say(table(headers, rows));
  say();
}

// ---------------------------------------------------------------------------------------
if (wasmtime) {
  say('## WASM under wasmtime (the plain-WASM ABI, from Python)');
  say();
  say('`bindings/wasm/bench/wasmtime_bench.py`: the plain-WASM module (no JS glue: the ABI that Python,');
  say('Go and Java hosts use) instantiated with the `wasmtime` PyPI package, the same workloads and driver');
  say('as Node; process CPU time around each call, after warm-up calls.' + (wasmtime.processes ? ` ${wasmtime.processes} processes: the median of their medians.` : ''));
  if (wasmtimeFuel) {
    say('The last columns count instead of timing, so the load does not move them: the WebAssembly operations');
    say("of each scenario's first call (`--fuel`: wasmtime's fuel, one unit per operator, a `memory.copy`");
    say('of any length counting 1) beside the x86 instructions callgrind counts for the same call natively.');
  }
  say();
  say(
    table(
      ['scenario', 'native ms/call (median of rounds)', 'wasmtime ms/call', 'wasmtime / native', 'same placements'].concat(
        wasmtimeFuel ? ['first call: wasm operations (fuel)', 'native instructions (callgrind)', 'operations / instructions'] : [],
      ),
      [...WT.values()].map((w) => {
        const n = N.get(w.name);
        const nm = rounds(n, 'json') ? rounds(n, 'json').median : NaN;
        const wm = med(w, 'wasm_ms');
        const same = n && n.placed === w.placed;
        const row = [w.name, f(nm, 3), f(wm, 3), `${f(wm / nm)}×`, same ? 'yes' : `no (${w.placed} vs ${n ? n.placed : '?'})`];
        if (!wasmtimeFuel) return row;
        const ops = WF.get(w.name) ? WF.get(w.name).fuel : NaN;
        const ir = I(w.name) && Number.isFinite(I(w.name).call) ? I(w.name).call : NaN;
        return row.concat([mega(ops), mega(ir), Number.isFinite(ops / ir) ? `${f(ops / ir)}×` : 'n/a']);
      }),
    ),
  );
  say();
}

// ---------------------------------------------------------------------------------------
if (sessionWasm) {
  const sw = sessionWasm;
  const cell = (x) => `${f(x.median, 3)} (${f(x.min, 3)}–${f(x.max, 3)})`;
  say('## Sessions over WASM (the npm `Session`)');
  say();
  say(`\`bindings/wasm/bench/session-wasm.mjs\`: ${sw.scenario} (${int(sw.agents)} agents, ${int(sw.tasks)} tasks, ${sw.steps} steps of`);
  say('one batch each) through the npm package\'s `Session` (each step: the batch submitted, then an `OFFERS`');
  say('event with every agent that still has room, fresh offer ids), beside the npm `place` / `call` of the');
  say('same batch on the same offers; the native counterpart is `offerfit bench --scenario session`.');
  say(`Process CPU time; median over all steps of ${sw.rounds} rounds (after one warm-up round), min–max;`);
  say('the ratios are the median of the rounds\' median ratios. Every step checks that the session launched');
  say(`exactly what \`place\` placed: ${sw.checked ? 'it did' : '**it did not**'}.`);
  say();
  say(
    table(
      ['what', 'ms per step / batch', 'ratio'],
      [
        ['npm `place(request)` per batch', cell(sw.place_ms), '1'],
        ['`Session.step(submit) + step(offers)` (objects)', cell(sw.step_ms), `${f(sw.step_over_place)}× place`],
        ['npm `call(text)` per batch', cell(sw.call_ms), '1'],
        ['`Session.stepText` × 2 (the two input lines)', cell(sw.step_text_ms), `${f(sw.step_text_over_call)}× call`],
        ['whole run through `call`', cell(sw.call_total_ms), '—'],
        ['whole run through `stepText`', cell(sw.step_text_total_ms), `${f(sw.call_total_ms.median / sw.step_text_total_ms.median)}× faster`],
      ],
    ),
  );
  say();
}

// ---------------------------------------------------------------------------------------
if (instructions) {
  say('## Instruction counts (callgrind)');
  say();
  say('`valgrind --tool=callgrind`, release build, counting only inside the measured function:');
  say("engine = every typed call of the scenario (`offerfit bench --scenario S --once`,");
  say("`--toggle-collect='*measured_place*'`), per call; call and parse = the first call's request");
  say("text through `offerfit::call` and through `serde_json::from_str::<Value>` (`--once-text`,");
  say("`'*measured_call*'`, `'*measured_parse*'`).");
  say();
  say(
    table(
      ['scenario', 'engine per call', 'engine / kube', 'call', 'parse (floor)', 'call / parse'],
      Object.keys(instructions).filter((n) => I(n)).map((n) => [
        n,
        mega(engineIr(n)),
        n.startsWith('fenzo') || n === 'kube' ? '—' : `${f(engineIr(n) / engineIr('kube'))}×`,
        mega(I(n).call),
        mega(I(n).parse),
        `${f(callToParse(n))}×`,
      ]),
    ),
  );
  say();
}

// ---------------------------------------------------------------------------------------
if (growth) {
  say('## Growth');
  say();
  say('One call of the growth workload (agents of 8/16/32/64 cpus; tasks of 1, 4 and 6 cpus),');
  say('typed API, median of up to 7 samples. Each cell runs in its own process: `input RSS` is the');
  say('peak before the call (the generated request), `peak RSS` the peak after it (VmHWM).');
  say();
  say(
    table(
      ['agents', 'tasks', 'placed', 'ms/call', 'µs/task', 'input RSS MiB', 'peak RSS MiB'],
      growth.growth.map((g) => [
        int(g.agents),
        int(g.tasks),
        int(g.placed),
        f(g.ms.median, 3),
        f((g.ms.median * 1e3) / Math.max(1, g.tasks)),
        f(g.input_rss_kib / 1024, 1),
        f(g.peak_rss_kib / 1024, 1),
      ]),
    ),
  );
  say();
}

if (callgrind) {
  say('## Callgrind gate');
  say();
  say('```');
  say(callgrind);
  say('```');
  say();
}

// The hand-kept sections, in order: notes.md, then notes-1.md, notes-2.md, … (bench-report.sh
// copies them from benches/REPORT-notes*.md, see NOTES there), each verbatim.
const noteFiles = ['notes.md'];
for (let i = 1; existsSync(join(dir, `notes-${i}.md`)); i++) noteFiles.push(`notes-${i}.md`);
for (const name of noteFiles) {
  const notes = text(name);
  if (notes) {
    say(notes);
    say();
  }
}

say('## Machine');
say();
say('```');
say(machine);
say('```');
console.log(lines.join('\n'));
