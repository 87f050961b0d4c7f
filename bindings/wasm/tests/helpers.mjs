// Shared by the node tests: paths, the request corpus and the native CLI.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(PACKAGE, '../..');

/** The request corpus of every host (scripts/gen-requests.py), one request text per line. */
export function corpus() {
  const dir = mkdtempSync(join(tmpdir(), 'offerfit-node-'));
  try {
    const out = join(dir, 'requests.jsonl');
    execFileSync('python3', [join(ROOT, 'scripts/gen-requests.py'), '--out', out], { stdio: 'pipe' });
    const text = readFileSync(out, 'utf8');
    return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The native `offerfit` binary: $OFFERFIT_CLI, else the debug build in the cargo target dir. */
export function cliPath() {
  const path =
    process.env.OFFERFIT_CLI || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug', 'offerfit');
  if (!existsSync(path)) {
    throw new Error(`no native CLI at ${path}: run \`cargo build -p offerfit-cli\` or set OFFERFIT_CLI`);
  }
  return path;
}

/** The CLI's answers to `lines` (`offerfit call --lines`), one per request. */
export function cliAnswers(lines) {
  let stdout;
  try {
    stdout = execFileSync(cliPath(), ['call', '--lines'], {
      input: lines.join('\n') + '\n',
      maxBuffer: 1 << 30,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    // Exit status 1 means some request was refused, which the corpus does on purpose.
    if (e.status !== 1) throw e;
    stdout = e.stdout;
  }
  const text = stdout.toString('utf8');
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

/** `[op, request without op]` for a line that is a JSON object with a string `op`. */
export function splitOp(line) {
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof value.op !== 'string') return null;
  const { op, ...rest } = value;
  return [op, rest];
}

/** The typed function of each op. */
export const TYPED = {
  version: 'version',
  parse_value: 'parseValue',
  parse_resources: 'parseResources',
  format_resources: 'formatResources',
  resource_math: 'resourceMath',
  parse_attributes: 'parseAttributes',
  parse_constraints: 'parseConstraints',
  check_constraints: 'checkConstraints',
  place: 'place',
};
