// The timing and summary helpers of the Node benches (bench.mjs, session-wasm.mjs): one copy,
// in a module that runs nothing when imported (bench.mjs runs its bench on import).

import { readFileSync } from 'node:fs';

// The CPU time of this process (getrusage, exact at every read). The wasm code runs on this
// thread; V8's helper threads count too (see bench.mjs's header).
export const CLOCK = 'process-cpu';

/** The main thread's CPU time in ms (Linux: the first field of its schedstat), or null. */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
export function mainThreadMs() {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ', 1)[0]) / 1e6;
  } catch {
    return null;
  }
}

/** Runs `f`, returning [its result, ms of process CPU time, ms of main-thread CPU time or null]. */
export function timed(f) {
  const main = mainThreadMs();
  const start = process.cpuUsage();
  const out = f();
  const d = process.cpuUsage(start);
  const mainEnd = main === null ? null : mainThreadMs();
  return [out, (d.user + d.system) / 1e3, main === null ? null : mainEnd - main];
}

/** The median of a list of numbers (0 for none). */
export function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  return n === 0 ? 0 : n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/** Rounded to three decimals. */
export const r3 = (x) => Math.round(x * 1000) / 1000;

/** `{median, min, max, n}` of a list of numbers (three decimals). */
export function spread(xs) {
  return { median: r3(median(xs)), min: r3(Math.min(...xs)), max: r3(Math.max(...xs)), n: xs.length };
}

/** `{median, min, mean, p95, samples}` of a list of samples (three decimals). */
export function stats(samples) {
  const ms = [...samples].sort((a, b) => a - b);
  const n = ms.length;
  const mean = n === 0 ? 0 : ms.reduce((a, b) => a + b, 0) / n;
  const p95 = n === 0 ? 0 : ms[Math.max(0, Math.ceil((n * 95) / 100) - 1)];
  return { median: r3(median(ms)), min: r3(n ? ms[0] : 0), mean: r3(mean), p95: r3(p95), samples: n };
}

/** The summed scalar `name` of Mesos resources JSON, in thousandths (the engine's fixed point). */
export function scalarMillis(resources, name) {
  let total = 0;
  for (const r of resources || []) {
    if (r.name === name && r.scalar) total += Math.round(r.scalar.value * 1000);
  }
  return total;
}
