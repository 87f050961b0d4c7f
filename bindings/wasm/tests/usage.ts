// Type-checked by `tsc --noEmit -p bindings/wasm/tests/tsconfig.json` (never run): the `.d.ts`
// that tsify and wasm-bindgen generate must accept real requests and describe real answers,
// and must reject requests the contract refuses. Imports the package by name through the
// package.json `exports` map, as a user would.
import {
  call,
  checkConstraints,
  formatResources,
  parseAttributes,
  parseConstraints,
  parseResources,
  parseValue,
  place,
  resourceMath,
  version,
  type Constraint,
  type ErrorObject,
  type Offer,
  type PlaceOptions,
  type PlaceRequest,
  type PlaceResponse,
  type Resource,
  type Task,
} from 'offerfit';

const text: string = call('{"op":"version"}');

const v = version();
if (v.ok) {
  const ops: string[] = v.ops;
  const ver: string = v.version;
  console.log(ops, ver, text);
}

const value = parseValue({ text: '[31000-32000]' });
if (value.ok && value.value.type === 'RANGES') {
  const begin: number = value.value.ranges.range[0].begin;
  console.log(begin);
}

const resources = parseResources({ text: 'cpus:4;mem:1024', default_role: '*' });
if (resources.ok) {
  const first: Resource = resources.resources[0];
  const role: string | undefined = first.reservations?.[0]?.role;
  const printed = formatResources({ resources: resources.resources });
  if (printed.ok) console.log(printed.text.toUpperCase(), role);
}

const math = resourceMath({ operation: 'allocatable_to', left: 'cpus(a):1', role: 'a' });
if (math.ok) console.log(math.resources ?? math.result);

const attrs = parseAttributes({ text: 'rack:r1' });
if (attrs.ok) console.log(attrs.attributes.map((a) => a.name));

const forms: Constraint[] = ['rack LIKE r1', ['hostname', 'UNIQUE'], { field: 'zone', operator: 'GROUP_BY', value: '2' }];
const parsed = parseConstraints({ constraints: forms, dialect: 'marathon' });
if (parsed.ok) {
  for (const c of parsed.constraints) console.log(c.field, c.operator, c.value, c.text);
} else {
  // The error object: code and message always; caret fields when inside a text.
  const e: ErrorObject = parsed.errors[0];
  const where: string = `${e.path ?? ''}:${e.line ?? 0}:${e.column ?? 0}`;
  console.log(e.code, e.message, e.help, e.span?.start, e.rendered, where);
}

const check = checkConstraints({
  constraints: ['hostname UNIQUE'],
  candidate: { hostname: 'h1', attributes: 'rack:r1' },
  placed: [{ id: 't1', group: 'web', hostname: 'h2' }],
  instances: 3,
});
if (check.ok) console.log(check.satisfied, check.results.map((r) => r.satisfied));

const offer: Offer = {
  id: { value: 'o1' },
  agent_id: { value: 'a1' },
  hostname: 'h1',
  resources: 'cpus:4;mem:4096;ports:[31000-32000]',
  attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }],
  domain: { fault_domain: { region: { name: 'us-east-1' }, zone: { name: 'us-east-1a' } } },
};
const task: Task = {
  id: 'web-1',
  group: 'web',
  cpus: 0.5,
  mem: 256,
  ports: [0],
  constraints: ['rack LIKE r[12]'],
  preferences: [{ constraint: 'zone IS us-east-1a', weight: 2 }],
  volumes: [{ size: 100, type: 'MOUNT', require: ['storage_type IS ssd'] }],
  task_info: { command: { value: 'serve' } },
};
const options: PlaceOptions = { strategy: 'spread', profile: 'marathon', framework_id: 'fw', port_blacklist: { h1: [31000] } };
const request: PlaceRequest = { offers: [offer], tasks: [task], running: [], options };
const out: PlaceResponse = place(request);
if (out.ok) {
  for (const a of out.accept) {
    for (const t of a.tasks) console.log(a.hostname, a.offer_ids, t.task_id, t.ports, t.score, t.resources.length);
  }
  for (const d of out.decline) console.log(d.offer_id, d.refuse_seconds, d.reason);
  for (const u of out.unplaced) {
    console.log(u.task_id, u.reasons.map((r) => `${r.code} ${r.message} (${r.offers})`), u.nearest?.lacking);
  }
  console.log(out.stats.placed, out.calls?.length);
} else {
  console.log(out.errors.map((e) => e.code));
}

// Requests the contract refuses do not type-check either.
// @ts-expect-error a typo in a field name
parseValue({ txet: '1' });
// @ts-expect-error `hostname` is required (an offer without `resources` offers nothing, which is valid)
place({ offers: [{ id: { value: 'o' }, agent_id: { value: 'a' }, resources: [] }], tasks: [] });
// @ts-expect-error unknown strategy
place({ offers: [], tasks: [], options: { strategy: 'random' } });
// @ts-expect-error dialect is an enum
parseConstraints({ constraints: [], dialect: 'mesos' });
// @ts-expect-error a result narrows on `ok`: `accept` is not there before checking
console.log(out.accept);

// The Session class and its types (js/session.d.ts), through the same entry.
import { OfferfitError, Session, type SessionConfig, type SessionInput, type SessionOutput } from 'offerfit';

export function sessionLoop(config: SessionConfig, inputs: SessionInput[], post: (call: object) => void): string[] {
  let session: Session;
  try {
    session = new Session(config);
  } catch (e) {
    if (e instanceof OfferfitError) return [e.code, e.path ?? '', ...e.errors.map((x) => x.message)];
    throw e;
  }
  const store: string[] = [];
  for (const input of inputs) {
    const out: SessionOutput = session.step(input);
    if (!out.ok) return out.errors.map((e) => e.code);
    for (const n of out.notices) {
      if (n.kind === 'subscribed') store.push(n.framework_id);
      else if (n.kind === 'launching') store.push(`${n.task_id}@${n.agent_id}:${n.attributes.length}`);
      else if (n.kind === 'task_state' && n.terminal) store.push(`-${n.task_id}`);
    }
    for (const call of out.calls) post(call);
    if (out.wake_at !== null) session.stepText(JSON.stringify({ now: out.wake_at, tick: {} }));
  }
  session.free();
  // @ts-expect-error a notice's fields depend on its kind
  const wrong: SessionOutput = { ok: true, calls: [], notices: [{ kind: 'subscribed' }], wake_at: null };
  void wrong;
  // @ts-expect-error stepText takes the line as text
  session.stepText({ now: 1, tick: {} });
  return store;
}
