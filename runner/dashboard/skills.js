// /skills and /skills/<id>: the skills the daemon knows (GET /v1/skills, GET
// /v1/skills/{id}), a form to execute one, and its events as they come
// (POST /v1/skills/{id}/execute/stream, read with fetch as seed 002 shows: EventSource
// cannot POST). Executions started here are remembered in this browser and reopened
// with GET /v1/skills/executions/{trace_id}. A daemon without the skills API answers
// 404: the page then says so instead of failing.

import { frameScheduler, h, patch, readOnlyNote } from './dom.js';
import { api, onSession, session } from './api.js';
import { statusIcon } from './graph.js';
import { clock, relative } from './format.js';
import { setTitle } from './shell.js';

const HISTORY_KEY = 'stax.skillExecutions';
const STEP_STATES = { step_start: 'in_progress', step_completed: 'success', step_skipped: 'skipped', step_degraded: 'degraded', step_failed: 'failure', skill_start: 'in_progress', skill_completed: 'success' };

function list(payload) {
  if (Array.isArray(payload)) return payload;
  for (const key of ['skills', 'data', 'items']) if (payload && Array.isArray(payload[key])) return payload[key];
  return [];
}

/** [{name, type, required, default, description, options}] from the shapes a skill may give. */
export function skillInputs(skill) {
  const raw = skill.inputs ?? skill.input_schema ?? skill.inputSchema ?? null;
  if (!raw) return [];
  if (Array.isArray(raw)) return raw.map((i) => ({ name: i.name, type: i.type || 'string', required: !!i.required, default: i.default, description: i.description || '', options: i.options || i.enum || [] }));
  if (raw.properties && typeof raw.properties === 'object') {
    const required = new Set(raw.required || []);
    return Object.entries(raw.properties).map(([name, spec]) => ({ name, type: spec.type || 'string', required: required.has(name), default: spec.default, description: spec.description || '', options: spec.enum || [] }));
  }
  return Object.entries(raw).map(([name, spec]) => {
    const s = spec && typeof spec === 'object' ? spec : { type: String(spec) };
    return { name, type: s.type || 'string', required: !!s.required, default: s.default, description: s.description || '', options: s.options || s.enum || [] };
  });
}

function history() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
  } catch {
    return [];
  }
}

function remember(entry) {
  const items = history().filter((e) => e.trace_id !== entry.trace_id);
  items.unshift(entry);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(items.slice(0, 30)));
}

export function skillsPage() {
  let root = null;
  const { schedule, cancel: cancelRender } = frameScheduler(() => render());
  let unsubscribe = null;
  let skills = null;
  let unavailable = false;
  let loadError = null;
  const details = new Map(); // id -> skill detail | {error}
  let execution = null; // {skillId, events: [], done, error, controller}
  let openedTrace = null; // {trace_id, data|error}


  function selectedId() {
    const m = /^\/skills\/(.+)$/.exec(location.pathname);
    return m ? decodeURIComponent(m[1]) : null;
  }

  async function load() {
    try {
      skills = list(await api('/v1/skills'));
    } catch (err) {
      if (err.status === 404 || err.status === 405 || err.status === 501) unavailable = true;
      else loadError = err.message;
      skills = [];
    }
    schedule();
  }

  async function loadDetail(id) {
    if (!id || details.has(id)) return;
    details.set(id, null);
    try {
      details.set(id, await api(`/v1/skills/${encodeURIComponent(id)}`));
    } catch (err) {
      details.set(id, { error: err.status === 404 ? `No skill ${id}.` : err.message });
    }
    schedule();
  }

  async function execute(id, form) {
    const skill = details.get(id) || {};
    const inputs = {};
    for (const input of skillInputs(skill)) {
      const field = form.elements.namedItem(`skill-input-${input.name}`);
      if (!field) continue;
      if (input.type === 'boolean') inputs[input.name] = field.checked;
      else if (input.type === 'number' || input.type === 'integer') {
        if (field.value !== '') inputs[input.name] = Number(field.value);
      } else if (input.type === 'object' || input.type === 'array') {
        if (field.value !== '') {
          try {
            inputs[input.name] = JSON.parse(field.value);
          } catch {
            inputs[input.name] = field.value;
          }
        }
      } else if (field.value !== '' || input.required) inputs[input.name] = field.value;
    }
    if (execution && execution.controller) execution.controller.abort();
    const controller = new AbortController();
    execution = { skillId: id, events: [], done: null, error: null, controller, started: Date.now() };
    schedule();
    try {
      const response = await fetch(`/v1/skills/${encodeURIComponent(id)}/execute/stream`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify({ inputs }), signal: controller.signal, credentials: 'same-origin',
      });
      if (!response.ok) {
        let message = `${response.status} ${response.statusText}`;
        try {
          const payload = await response.json();
          message = payload?.error?.message || payload?.detail || payload?.message || message;
        } catch { /* not JSON */ }
        throw new Error(typeof message === 'string' ? message : JSON.stringify(message));
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let name = 'message';
      let data = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop();
        for (const line of lines) {
          if (line === '') {
            if (data.length) dispatch(name, data.join('\n'));
            name = 'message';
            data = [];
          } else if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') execution.error = err.message;
    }
    execution.controller = null;
    schedule();

    function dispatch(eventName, text) {
      let payload;
      try {
        payload = JSON.parse(text);
      } catch {
        payload = { message: text };
      }
      if (eventName === 'done') {
        execution.done = payload;
        if (payload.trace_id) remember({ trace_id: payload.trace_id, skill_id: id, status: payload.status, at: Date.now() });
      } else {
        execution.events.push({ type: payload.type || eventName, ...payload });
      }
      schedule();
    }
  }

  async function openTrace(traceId) {
    openedTrace = { trace_id: traceId, data: null, error: null };
    schedule();
    try {
      openedTrace.data = await api(`/v1/skills/executions/${encodeURIComponent(traceId)}`);
    } catch (err) {
      openedTrace.error = err.message;
    }
    schedule();
  }

  function render() {
    if (!root) return;
    const id = selectedId();
    setTitle(id ? `Skill ${id}` : 'Skills');
    if (id) loadDetail(id);
    patch(root,
      h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Skills')),
      skills === null ? h('p', { class: 'loading', role: 'status' }, 'Loading skills…')
        : unavailable ? h('div', { class: 'empty-state' }, h('h2', null, 'Skills are not available on this daemon'),
          h('p', null, 'This daemon does not serve the skills API (', h('code', null, 'GET /v1/skills'), ' answered 404). Skills appear here once it does.'))
          : loadError ? h('p', { class: 'error-box' }, `Could not load skills: ${loadError}`)
            : !skills.length ? h('div', { class: 'empty-state' }, h('h2', null, 'No skills yet'),
              h('p', null, 'Define skills in the skill directories (stax.toml ', h('code', null, 'skills_dirs'), ').'))
              : h('div', { class: 'skills-layout' },
                h('nav', { class: 'skills-nav', 'aria-label': 'Skills' }, h('ul', { class: 'jobs-list' }, skills.map((s) => {
                  const sid = s.id || s.skill_id || s.name;
                  return h('li', { 'data-key': sid }, h('a', { href: `/skills/${encodeURIComponent(sid)}`, class: ['jobs-item', sid === id && 'selected'], 'aria-current': sid === id ? 'page' : null },
                    h('span', { class: 'jobs-name' }, h('strong', null, sid), s.description ? h('span', { class: 'muted skill-desc' }, s.description) : null)));
                }))),
                h('section', { class: 'skills-main' }, id ? skillView(id) : h('p', { class: 'muted' }, 'Choose a skill to see its inputs and run it.'))),
      recentExecutions());
  }

  function skillView(id) {
    const skill = details.get(id);
    if (!skill) return h('p', { role: 'status' }, 'Loading…');
    if (skill.error) return h('p', { class: 'error-box' }, skill.error);
    const inputs = skillInputs(skill);
    const readOnly = !session.authenticated;
    const running = execution && execution.skillId === id && execution.controller;
    return [
      h('div', { class: 'card', 'data-key': `skill-${id}` },
        h('h2', null, skill.name || skill.id || id, skill.version ? h('span', { class: 'muted' }, ` v${skill.version}`) : null),
        skill.description ? h('p', null, skill.description) : null,
        h('form', { class: 'skill-form', 'data-skill': id },
          inputs.length ? h('fieldset', { class: 'inputs' }, h('legend', null, 'Inputs'), inputs.map(inputField)) : h('p', { class: 'muted' }, 'This skill takes no inputs.'),
          readOnly ? readOnlyNote() : null,
          h('button', { type: 'submit', class: 'btn btn-primary', disabled: readOnly || running, 'aria-describedby': readOnly ? 'ro-note' : null }, running ? 'Running…' : 'Execute'))),
      execution && execution.skillId === id ? executionView(execution) : null,
    ];
  }

  function inputField(input) {
    const id = `skill-input-${input.name}`;
    let control;
    if (input.type === 'boolean') {
      control = h('input', { type: 'checkbox', id, name: id, checked: input.default === true });
      return h('div', { class: 'field field-check', 'data-key': id }, control, h('label', { for: id }, input.name), input.description ? h('div', { class: 'muted' }, input.description) : null);
    }
    if (input.options && input.options.length) {
      control = h('select', { id, name: id, required: input.required, value: input.default ?? input.options[0] }, input.options.map((o) => h('option', { value: o, selected: o === input.default }, o)));
    } else if (input.type === 'object' || input.type === 'array' || input.type === 'text') {
      control = h('textarea', { id, name: id, rows: 3, required: input.required, value: input.default === undefined ? '' : typeof input.default === 'string' ? input.default : JSON.stringify(input.default) });
    } else {
      control = h('input', { type: input.type === 'number' || input.type === 'integer' ? 'number' : 'text', step: 'any', id, name: id, required: input.required, value: input.default === undefined || input.default === null ? '' : String(input.default) });
    }
    return h('div', { class: 'field', 'data-key': id }, h('label', { for: id }, input.name, input.required ? ' *' : '', h('span', { class: 'muted' }, ` ${input.type}`)), control,
      input.description ? h('div', { class: 'muted' }, input.description) : null);
  }

  function executionView(ex) {
    const status = ex.done ? (ex.done.status === 'completed' ? 'success' : ex.done.status === 'degraded' ? 'degraded' : 'failure') : ex.error ? 'failure' : 'in_progress';
    return h('section', { class: 'card', 'data-key': 'execution', 'aria-live': 'polite' },
      h('h3', null, statusIcon(status), ' Execution', ex.done?.trace_id ? h('code', { class: 'muted' }, ` ${ex.done.trace_id}`) : null),
      h('ol', { class: 'skill-events' }, ex.events.map((e, i) => h('li', { 'data-key': `e-${i}`, class: `state-${STEP_STATES[e.type] || 'pending'}` },
        statusIcon(STEP_STATES[e.type] || 'pending', e.type),
        h('span', { class: 'ln-ts muted' }, e.timestamp ? clock(Date.parse(e.timestamp)) : ''),
        h('code', null, e.type), ' ', e.message || '', e.step_id ? h('span', { class: 'muted' }, ` (${e.step_id})`) : null))),
      ex.error ? h('p', { class: 'error-box', role: 'alert' }, ex.error) : null,
      ex.done ? h('div', null, h('h4', null, `Result: ${ex.done.status}`), h('pre', { class: 'json' }, JSON.stringify(ex.done.outputs ?? ex.done, null, 2))) : null);
  }

  function recentExecutions() {
    const items = history();
    if (!items.length) return null;
    return h('section', { class: 'card', 'data-key': 'recent' }, h('h2', null, 'Recent executions (this browser)'),
      h('ul', { class: 'recent' }, items.map((e) => h('li', { 'data-key': e.trace_id },
        h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'data-trace': e.trace_id }, h('code', null, e.skill_id), ` ${e.status} · ${relative(e.at)}`)))),
      openedTrace ? h('div', { class: 'trace' }, h('h3', null, h('code', null, openedTrace.trace_id)),
        openedTrace.error ? h('p', { class: 'error-box' }, openedTrace.error) : openedTrace.data ? h('pre', { class: 'json' }, JSON.stringify(openedTrace.data, null, 2)) : h('p', { role: 'status' }, 'Loading…')) : null);
  }

  function onSubmit(event) {
    const form = event.target.closest('form[data-skill]');
    if (!form) return;
    event.preventDefault();
    execute(form.getAttribute('data-skill'), form);
  }

  function onClick(event) {
    const trace = event.target.closest('[data-trace]');
    if (trace) openTrace(trace.getAttribute('data-trace'));
  }

  return {
    key: 'skills',
    mount(el) {
      root = el;
      root.addEventListener('submit', onSubmit);
      root.addEventListener('click', onClick);
      unsubscribe = onSession(schedule);
      load();
      render();
    },
    update() {
      schedule();
    },
    focus() {
      root?.querySelector('h1')?.focus();
    },
    unmount() {
      cancelRender();
      if (execution && execution.controller) execution.controller.abort();
      if (unsubscribe) unsubscribe();
      root.removeEventListener('submit', onSubmit);
      root.removeEventListener('click', onClick);
      root = null;
    },
  };
}
