// The malformed-input suite for JavaScript hosts (README.md beside this file has the format).
//
//   import { load, judge } from "../../../tests/data/malformed/malformed.mjs";
//   for (const c of load()) {
//     if (!c.isText) continue;                 // a text-only API cannot send these bytes
//     const problem = judge(c, offerfit.call(c.text));
//     assert.equal(problem, null, `${c.id}: ${problem}`);
//   }
//
// `request` is a Uint8Array (the exact bytes), `text` the same as a string when it is UTF-8.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function indexOf(hay, needle) {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The request bytes of one line: `request` or `request_hex`, then each `expand` in order. */
export function buildRequest(line) {
  const enc = new TextEncoder();
  if (("request" in line) === ("request_hex" in line)) {
    throw new Error(`${line.id}: needs exactly one of request / request_hex`);
  }
  let bytes = "request_hex" in line ? hexBytes(line.request_hex) : enc.encode(line.request);
  for (const e of line.expand ?? []) {
    const marker = enc.encode(e.marker);
    const at = indexOf(bytes, marker);
    if (at < 0) throw new Error(`${line.id}: marker ${e.marker} not in the request`);
    const fill = enc.encode(e.repeat.repeat(e.times));
    const out = new Uint8Array(bytes.length - marker.length + fill.length);
    out.set(bytes.subarray(0, at), 0);
    out.set(fill, at);
    out.set(bytes.subarray(at + marker.length), at + fill.length);
    bytes = out;
  }
  return bytes;
}

/** Every case of every `*.jsonl` file, in file order. */
export function load(dir = HERE) {
  // `ignoreBOM`: keep a leading U+FEFF in `text` (by default TextDecoder drops it, and a
  // request starting with a BOM must be refused as it is).
  const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const cases = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort()) {
    for (const raw of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (!raw.trim()) continue;
      const line = JSON.parse(raw);
      const request = buildRequest(line);
      let text = null;
      try {
        text = dec.decode(request);
      } catch {
        text = null;
      }
      cases.push({
        file: name,
        id: line.id,
        op: line.op ?? null,
        request,
        text,
        isText: text !== null,
        code: line.code,
        messageContains: line.message_contains ?? "",
        path: line.path ?? null,
      });
    }
  }
  return cases;
}

/** null when `answer` (a string, or an already parsed object) correctly refuses `c`. */
export function judge(c, answer) {
  let v = answer;
  if (typeof answer === "string") {
    const s = answer.replace(/\n$/, "");
    if (s.includes("\n")) return "the answer spans several lines";
    try {
      v = JSON.parse(s);
    } catch (e) {
      return `the answer is not JSON (${e.message}): ${s.slice(0, 300)}`;
    }
  }
  if (v === null || typeof v !== "object" || v.ok !== false) {
    return `expected ok:false, got ${JSON.stringify(v).slice(0, 300)}`;
  }
  const first = (v.errors ?? [])[0] ?? {};
  if (first.code !== c.code) return `expected code ${c.code}, got ${first.code}: ${first.message}`;
  if (!(first.message ?? "").includes(c.messageContains)) {
    return `message ${JSON.stringify(first.message)} lacks ${JSON.stringify(c.messageContains)}`;
  }
  if (c.path !== null && first.path !== c.path) return `expected path ${c.path}, got ${first.path}`;
  return null;
}
