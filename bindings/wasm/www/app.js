// The offerfit playground: edit offers, tasks and constraints, press Place, read the decisions.
// Everything offerfit decides comes from the WebAssembly package (the `web` build); this file
// only gathers the inputs into a `place` request and draws the answer.
import init, * as offerfit from '../js/web.mjs';

const EXAMPLE_URL = '../../../examples/place-request.json';

// Used when the page is served without the repository's examples/ next to it.
const BUILTIN_EXAMPLE = {
  offers: [
    offer('agent-1', 'cpus:4;mem:8192;disk:20000;ports:[31000-31100]', 'rack:r1;zone:a'),
    offer('agent-2', 'cpus:2;mem:4096;ports:[31000-31100]', 'rack:r2;zone:b'),
    offer('agent-3', 'cpus:1;mem:512', 'rack:r3;zone:c'),
  ],
  tasks: [
    { id: 'web-1', group: 'web', cpus: 1, mem: 1024, ports: [0], constraints: ['hostname UNIQUE'] },
    { id: 'web-2', group: 'web', cpus: 1, mem: 1024, ports: [0], constraints: ['hostname UNIQUE'] },
    { id: 'db-0', cpus: 2, mem: 4096, disk: 10000 },
    { id: 'batch-0', cpus: 8, mem: 1024 },
  ],
  options: { strategy: 'binpack' },
};

const AGENTS_HINT =
  'One agent per line: hostname | resources | attributes (Mesos text, as in the agent flags ' +
  '--resources and --attributes). Lines starting with # are comments.';
const JSON_HINT =
  'A list of Mesos v1 offers, a Mesos OFFERS event, or a whole place request (its tasks and ' +
  'options then fill the fields below). resources and attributes may also be Mesos text.';

const $ = (id) => document.getElementById(id);
const state = { format: 'json', buffers: { json: '', agents: '' } };

function offer(hostname, resources, attributes) {
  return { id: { value: `${hostname}-O1` }, agent_id: { value: hostname }, hostname, resources, attributes };
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Fills the fields from a `place` request. */
function load(request) {
  state.buffers.json = pretty(request.offers || []);
  state.buffers.agents = agentsText(request.offers || []);
  setFormat('json');
  $('tasks').value = pretty(request.tasks || []);
  $('constraints').value = '';
  $('options').value = pretty(request.options || {});
  clearResults();
}

function setFormat(format) {
  state.format = format;
  for (const radio of document.querySelectorAll('input[name="offers-format"]')) radio.checked = radio.value === format;
  $('offers').value = state.buffers[format];
  $('offers-hint').textContent = format === 'json' ? JSON_HINT : AGENTS_HINT;
}

/** Offers as agent text lines, through the core's own printer for the resources. Agent flags
 * know no allocation info (a master adds it to offers), so it is left out. */
function agentsText(offers) {
  const lines = ['# hostname | resources | attributes'];
  for (const o of offers) {
    const resources0 = Array.isArray(o.resources)
      ? o.resources.map(({ allocation_info: _, ...r }) => r)
      : o.resources ?? [];
    const printed = offerfit.formatResources({ resources: resources0 });
    const resources = printed.ok ? printed.text : '';
    lines.push([o.hostname, resources, attributesText(o.attributes)].filter((x) => x !== '').join(' | '));
  }
  return lines.join('\n');
}

function attributesText(attributes) {
  if (typeof attributes === 'string') return attributes;
  return (attributes || [])
    .map((a) => {
      if (a.type === 'TEXT') return `${a.name}:${a.text.value}`;
      if (a.type === 'SCALAR') return `${a.name}:${a.scalar.value}`;
      if (a.type === 'RANGES') return `${a.name}:[${a.ranges.range.map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
      if (a.type === 'SET') return `${a.name}:{${a.set.item.join(', ')}}`;
      return '';
    })
    .filter(Boolean)
    .join(';');
}

/** Offers from agent text; the core parses the resource and attribute texts. Every bad line
 * is reported (in `problems`), not only the first. */
function offersFromAgents(text, problems) {
  const offers = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [hostname, resources = '', attributes] = line.split('|').map((x) => x.trim());
    if (!hostname) {
      problems.push(new InputError('offers', `line ${i + 1}: expected \`hostname | resources | attributes\``));
      return;
    }
    const o = offer(hostname, resources, attributes);
    o.id.value = `${hostname}-O${offers.length + 1}`;
    if (attributes === undefined || attributes === '') delete o.attributes;
    offers.push(o);
  });
  return offers;
}

class InputError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/** A field's JSON; a syntax error is added to `problems` (and the field reads as empty), so
 * every bad field is reported at once. */
function parseJson(field, what, problems) {
  const text = $(field).value.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    problems.push(new InputError(field, `${what} is not valid JSON: ${e.message}`));
    return undefined;
  }
}

/** Every input problem found before the request could be built. */
class InputErrors extends Error {
  constructor(problems) {
    super(problems.map((p) => p.message).join('\n'));
    this.problems = problems;
  }
}

/** The `place` request the fields describe, and where each added constraint came from. */
function gather() {
  let offers;
  let tasks;
  let options;
  const problems = [];
  if (state.format === 'agents') {
    offers = offersFromAgents($('offers').value, problems);
  } else {
    offers = parseJson('offers', 'Offers', problems) ?? [];
    // A Mesos OFFERS event, or a whole place request pasted into the offers field.
    if (offers && offers.type === 'OFFERS' && offers.offers) offers = offers.offers.offers;
    else if (offers && !Array.isArray(offers) && Array.isArray(offers.offers)) {
      if (offers.tasks) $('tasks').value = pretty(offers.tasks);
      if (offers.options) $('options').value = pretty(offers.options);
      offers = offers.offers;
      state.buffers.json = pretty(offers);
      $('offers').value = state.buffers.json;
    }
  }
  tasks = parseJson('tasks', 'Tasks', problems) ?? [];
  options = parseJson('options', 'Options', problems);
  if (problems.length > 0) throw new InputErrors(problems);
  const extra = $('constraints')
    .value.split('\n')
    .map((x) => x.trim())
    .filter((x) => x !== '' && !x.startsWith('#'));
  // Added constraints go after each task's own: `/tasks/i/constraints/j` with j at or past
  // `own[i]` points into the constraints field.
  const own = [];
  if (Array.isArray(tasks) && extra.length > 0) {
    tasks = tasks.map((t, i) => {
      if (t === null || typeof t !== 'object' || Array.isArray(t)) return t;
      const mine = Array.isArray(t.constraints) ? t.constraints : [];
      own[i] = mine.length;
      return { ...t, constraints: [...mine, ...extra] };
    });
  }
  const request = { offers, tasks };
  if (options !== undefined) request.options = options;
  return { request, own, extra };
}

// ---------------------------------------------------------------------------------------------
// Results

function clearResults() {
  $('summary').textContent = '';
  $('errors').hidden = true;
  $('error-list').replaceChildren();
  $('decisions').hidden = true;
  $('decisions').tBodies[0].replaceChildren();
  for (const field of ['offers', 'tasks', 'constraints', 'options']) {
    $(`${field}-error`).hidden = true;
    $(`${field}-error`).textContent = '';
    $(field).classList.remove('invalid');
  }
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

/** The input field an error's JSON pointer falls in. */
function fieldOf(path, own) {
  const m = /^\/tasks\/(\d+)\/constraints\/(\d+)/.exec(path || '');
  if (m && own[Number(m[1])] !== undefined && Number(m[2]) >= own[Number(m[1])]) return 'constraints';
  const top = /^\/(offers|tasks|options)\b/.exec(path || '');
  return top ? top[1] : null;
}

function showInputError(field, text) {
  const box = $(`${field}-error`);
  box.textContent = box.textContent ? `${box.textContent}\n\n${text}` : text;
  box.hidden = false;
  $(field).classList.add('invalid');
}

/** Errors found before the request was sent: under their fields and in the list. */
function showInputErrors(problems) {
  $('errors').hidden = false;
  $('errors-title').textContent = 'Fix the input first';
  for (const p of problems) {
    showInputError(p.field, p.message);
    $('error-list').append(
      el('li', { className: 'error' }, el('code', { className: 'code' }, p.field), ' ', el('span', { className: 'message' }, p.message)),
    );
  }
  $('summary').textContent =
    `${problems.length} input error${problems.length === 1 ? '' : 's'}: nothing was placed.`;
}

function showErrors(errors, own) {
  $('errors').hidden = false;
  $('errors-title').textContent = 'The request was refused';
  for (const e of errors) {
    const item = el(
      'li',
      { className: 'error' },
      el('code', { className: 'code' }, e.code),
      ' ',
      el('span', { className: 'message' }, e.message),
    );
    if (e.path !== undefined && e.path !== '') item.append(' ', el('span', { className: 'path' }, `at ${e.path}`));
    if (e.rendered) item.append(el('pre', { className: 'rendered' }, e.rendered));
    if (e.help) item.append(el('p', { className: 'help' }, `help: ${e.help}`));
    $('error-list').append(item);
    const field = fieldOf(e.path, own);
    if (field) showInputError(field, e.rendered ? `${e.rendered}${e.help ? `\nhelp: ${e.help}` : ''}` : e.message);
  }
  $('summary').textContent = `${errors.length} error${errors.length === 1 ? '' : 's'}: nothing was placed.`;
}

function row(kind, id, agent, details) {
  const tr = el('tr', { className: `row-${kind}` });
  tr.dataset.kind = kind;
  tr.dataset.id = id;
  tr.append(
    el('td', {}, el('span', { className: `badge ${kind}` }, kind)),
    el('td', { className: 'id' }, id),
    el('td', { className: 'agent' }, agent),
    el('td', { className: 'details' }, details),
  );
  return tr;
}

/** Resources as Mesos text for the table; the allocation role (the same on every resource of
 * an offer) is shown once in the agent column instead. */
function resourcesText(resources) {
  const printed = offerfit.formatResources({ resources: resources.map(({ allocation_info: _, ...r }) => r) });
  return printed.ok ? printed.text : '';
}

function allocationRole(resources) {
  const roles = new Set(resources.map((r) => r.allocation_info?.role).filter(Boolean));
  return roles.size === 1 ? [...roles][0] : null;
}

function showDecisions(answer, request) {
  const body = $('decisions').tBodies[0];
  const hostOf = new Map((request.offers || []).map((o) => [o?.id?.value, o?.hostname]));
  for (const a of answer.accept) {
    for (const t of a.tasks) {
      const details = el('div');
      details.append(el('div', {}, resourcesText(t.resources)));
      const facts = [`offers ${a.offer_ids.join(', ')}`, `score ${t.score}`];
      if (t.ports.length > 0) facts.unshift(`ports ${t.ports.join(', ')}`);
      if (t.executor_resources) facts.push(`executor ${resourcesText(t.executor_resources)}`);
      details.append(el('div', { className: 'muted' }, facts.join(' · ')));
      const tr = row('accept', t.task_id, a.hostname, details);
      const role = allocationRole(t.resources);
      if (role) tr.querySelector('td.agent').append(el('div', { className: 'muted role' }, `role ${role}`));
      body.append(tr);
    }
  }
  for (const d of answer.decline) {
    const details = el('div', {}, `${d.reason}`, el('span', { className: 'muted' }, ` · refuse ${d.refuse_seconds} s`));
    body.append(row('decline', d.offer_id, hostOf.get(d.offer_id) ?? '', details));
  }
  for (const u of answer.unplaced) {
    const details = el('div');
    const list = el('ul', { className: 'reasons' });
    for (const r of u.reasons) {
      // The code is shown unless the message already starts with it ("constraint not
      // satisfied: ..." read "constraint constraint not satisfied").
      const code = r.message.startsWith(r.code.replace(/_/g, ' ')) ? [] : [el('code', {}, r.code), ' '];
      list.append(
        el('li', { title: r.code }, ...code, r.message, el('span', { className: 'muted' }, ` (${r.offers} offer${r.offers === 1 ? '' : 's'})`)),
      );
    }
    details.append(list);
    let agent = '—';
    if (u.nearest) {
      agent = `nearest: ${u.nearest.hostname}`;
      const missing = Object.entries(u.nearest.missing).map(([name, v]) => `${name} +${v}`);
      details.append(el('div', { className: 'muted' }, `lacking ${[...u.nearest.lacking, ...missing].join(', ')}`));
    }
    body.append(row('unplaced', u.task_id, agent, details));
  }
  $('decisions').hidden = body.rows.length === 0;
  const s = answer.stats;
  $('summary').textContent =
    `Placed ${s.placed} of ${s.tasks} tasks on ${answer.accept.length} agent${answer.accept.length === 1 ? '' : 's'}; ` +
    `${answer.decline.length} of ${s.offers} offers declined; ${answer.unplaced.length} unplaced ` +
    `(${s.evaluations} evaluations).`;
}

function placeNow() {
  clearResults();
  $('first-hint').hidden = true;
  let gathered;
  try {
    gathered = gather();
  } catch (e) {
    if (!(e instanceof InputErrors)) throw e;
    showInputErrors(e.problems);
    return;
  }
  const started = performance.now();
  const answer = offerfit.place(gathered.request);
  const ms = performance.now() - started;
  if (answer.ok) showDecisions(answer, gathered.request);
  else showErrors(answer.errors, gathered.own);
  $('status').textContent = `answered in ${ms.toFixed(1)} ms`;
}

// ---------------------------------------------------------------------------------------------
// Start

async function example() {
  try {
    const response = await fetch(EXAMPLE_URL);
    if (!response.ok) throw new Error(`${response.status}`);
    const request = await response.json();
    delete request.op;
    return request;
  } catch {
    return BUILTIN_EXAMPLE;
  }
}

async function main() {
  $('status').textContent = 'loading…';
  await init();
  const v = offerfit.version();
  $('footer').textContent = v.ok ? `offerfit ${v.version} · ops: ${v.ops.join(', ')}` : '';
  const request = await example();
  load(request);
  for (const radio of document.querySelectorAll('input[name="offers-format"]')) {
    radio.addEventListener('change', () => {
      state.buffers[state.format] = $('offers').value;
      if (radio.value === 'agents' && state.format === 'json') {
        // Derive the agent text from the JSON being edited, when it parses.
        try {
          const offers = JSON.parse(state.buffers.json);
          if (Array.isArray(offers)) state.buffers.agents = agentsText(offers);
        } catch {
          // keep the previous agent text
        }
      }
      setFormat(radio.value);
    });
  }
  $('place').addEventListener('click', placeNow);
  $('reset').addEventListener('click', async () => load(await example()));
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') placeNow();
  });
  $('place').disabled = false;
  $('status').textContent = 'ready';
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  $('status').textContent = `could not start: ${e.message}`;
});
