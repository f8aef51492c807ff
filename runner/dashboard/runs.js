// `/`: the runs, newest first, live. The list comes from GET /api/runs; the page's one
// EventSource (seed 003's /api/events, run and job events only) keeps it current. The
// stream resumes after the store's last seq as read just before the list, so a run that
// starts while the list loads is neither lost nor shown twice.
//
// URL: /?workflow=<name>&status=<status>   filters (they survive a reload)

import { frameScheduler, h, patch, readOnlyNote } from './dom.js';
import { api, onSession, openStream, closeStream, READ_ONLY_REASON, session } from './api.js';
import { statusIcon, timer } from './graph.js';
import { absolute, relative, stateLabel, stateOf } from './format.js';
import { navigate, notify, setTitle } from './shell.js';
import { runApi, runHref } from './links.js';

const STATUS_FILTERS = [
  ['', 'Any status'],
  ['in_progress', 'In progress'],
  ['queued', 'Queued'],
  ['completed', 'Completed'],
  ['success', 'Succeeded'],
  ['failure', 'Failed'],
  ['cancelled', 'Cancelled'],
];
const TYPES = 'run.started,run.completed,job.blocked,job.unblocked,job.completed';
const PAGE = 50;

export function runsPage() {
  let root = null;
  const { schedule, cancel: cancelRender } = frameScheduler(() => render());
  let unsubscribe = null;
  const runs = new Map(); // id -> run snapshot (newest first by first seq)
  const order = []; // ids, newest first
  const blocked = new Map(); // run id -> Set of job ids waiting for approval
  let workflows = null; // from /api/workflows
  let workflowsError = null;
  let next = null;
  let loading = true;
  let loadError = null;
  let storeProblem = null; // the daemon's health says its store is degraded, and why
  let filtersKey = '';
  let dialog = null;

  function filters() {
    const url = new URL(location.href);
    return { workflow: url.searchParams.get('workflow') || '', status: url.searchParams.get('status') || '' };
  }

  function matches(run, f) {
    if (f.workflow && run.name !== f.workflow && run.workflow !== f.workflow) return false;
    if (f.status && run.status !== f.status && run.conclusion !== f.status) return false;
    return true;
  }


  function upsert(run, { front }) {
    if (!run || !run.id) return;
    const known = runs.get(run.id);
    runs.set(run.id, { ...(known || {}), ...run, jobs: undefined });
    if (!known) {
      if (front) order.unshift(run.id);
      else order.push(run.id);
    }
  }

  async function load() {
    const f = filters();
    filtersKey = JSON.stringify(f);
    loading = true;
    loadError = null;
    runs.clear();
    order.length = 0;
    schedule();
    try {
      const health = await api('/api/health');
      storeProblem = health.status === 'degraded' ? health.store_error : null;
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (f.workflow) query.set('workflow', f.workflow);
      if (f.status) query.set('status', f.status);
      const page = await api(`/api/runs?${query}`);
      for (const run of page.runs) upsert(run, { front: false });
      next = page.next;
      openStream((last) => `/api/events?types=${TYPES}&lastEventId=${last ?? health.last_seq}`, {
        'run.started': ({ run }) => {
          upsert(run, { front: true });
          schedule();
        },
        'run.completed': ({ run }) => {
          if (!runs.has(run.id) && !matches(run, filters())) return;
          upsert(run, { front: true });
          blocked.delete(run.id);
          schedule();
        },
        'job.blocked': ({ runId, jobId }) => {
          if (!blocked.has(runId)) blocked.set(runId, new Set());
          blocked.get(runId).add(jobId);
          schedule();
        },
        'job.unblocked': ({ runId, jobId }) => {
          blocked.get(runId)?.delete(jobId);
          schedule();
        },
        'job.completed': ({ runId, jobId }) => {
          blocked.get(runId)?.delete(jobId);
          schedule();
        },
      });
      // A run already waiting when the page opened: its jobs say so.
      for (const run of page.runs.filter((r) => r.status !== 'completed').slice(0, 10)) {
        api(runApi(run.id)).then((full) => {
          for (const job of full.jobs || []) {
            if (job.status === 'waiting') {
              if (!blocked.has(run.id)) blocked.set(run.id, new Set());
              blocked.get(run.id).add(job.id);
            }
          }
          schedule();
        }, () => {});
      }
    } catch (err) {
      loadError = err.message;
    }
    loading = false;
    schedule();
  }

  async function loadMore() {
    if (!next) return;
    const f = filters();
    const query = new URLSearchParams({ limit: String(PAGE), before: String(next) });
    if (f.workflow) query.set('workflow', f.workflow);
    if (f.status) query.set('status', f.status);
    try {
      const page = await api(`/api/runs?${query}`);
      for (const run of page.runs) upsert(run, { front: false });
      next = page.next;
    } catch (err) {
      notify(err.message);
    }
    schedule();
  }

  async function loadWorkflows() {
    try {
      workflows = (await api('/api/workflows')).workflows;
      workflowsError = null;
    } catch (err) {
      workflowsError = err.message;
    }
    schedule();
  }

  function setFilter(name, value) {
    const url = new URL(location.href);
    if (value) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
    navigate(url.href, { replace: true });
  }

  // -- rendering ------------------------------------------------------------------
  function render() {
    if (!root) return;
    const f = filters();
    const visible = order.map((id) => runs.get(id)).filter((run) => matches(run, f));
    const active = visible.filter((r) => r.status !== 'completed').length;
    setTitle(active ? `Runs (${active} running)` : 'Runs');
    const names = new Set();
    for (const w of workflows || []) if (w.valid) names.add(w.title || w.name);
    for (const run of runs.values()) names.add(run.name);
    if (f.workflow) names.add(f.workflow);
    const readOnly = !session.authenticated;
    patch(root,
      h('div', { class: 'page-head' },
        h('h1', { tabindex: '-1' }, 'Runs'),
        h('div', { class: 'page-actions' },
          h('button', {
            type: 'button', class: 'btn btn-primary', 'data-action': 'open-dialog', disabled: readOnly,
            'aria-describedby': readOnly ? 'ro-note' : null, title: readOnly ? READ_ONLY_REASON : null, 'aria-haspopup': 'dialog',
          }, 'Run workflow'))),
      readOnly ? readOnlyNote() : null,
      h('div', { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
        h('label', null, 'Workflow ',
          h('select', { 'data-filter': 'workflow', value: f.workflow },
            h('option', { value: '' }, 'All workflows'),
            [...names].sort((a, b) => a.localeCompare(b)).map((name) => h('option', { value: name, selected: name === f.workflow }, name)))),
        h('label', null, 'Status ',
          h('select', { 'data-filter': 'status', value: f.status },
            STATUS_FILTERS.map(([value, label]) => h('option', { value, selected: value === f.status }, label)))),
        f.workflow || f.status ? h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-action': 'clear-filters' }, 'Clear filters') : null),
      loadError ? h('p', { class: 'error-box' }, `Could not load runs: ${loadError}`) : null,
      storeProblem ? h('p', { class: 'error-box', role: 'alert' }, `The daemon starts no run: ${storeProblem}`) : null,
      visible.length
        ? h('ul', { class: 'runs', 'aria-label': 'Runs' }, visible.map((run) => runRow(run)))
        : h('div', { class: 'empty-state' }, loading ? h('p', { role: 'status' }, 'Loading runs…')
          : [h('h2', null, f.workflow || f.status ? 'No runs match these filters' : 'No runs yet'),
            h('p', null, 'Start one with ', h('strong', null, 'Run workflow'), ', or from a terminal: ', h('code', null, 'stax run <workflow>'), '.')]),
      next ? h('div', { class: 'more' }, h('button', { type: 'button', class: 'btn', 'data-action': 'more' }, 'Load older runs')) : null);
    if (dialog) dialog.render();
  }

  function runRow(run) {
    const waiting = blocked.get(run.id)?.size && run.status !== 'completed';
    const s = waiting ? 'waiting' : stateOf(run);
    const started = run.started_at || run.created_at;
    return h('li', { 'data-key': run.id, class: ['run-row', `state-${s}`] },
      h('a', { href: runHref(run.id), class: 'run-link', 'aria-label': `${run.name} #${run.run_number}: ${stateLabel(s)}` },
        statusIcon(s),
        h('span', { class: 'run-name' }, h('strong', null, run.name), ' ', h('span', { class: 'muted' }, `#${run.run_number}`)),
        h('span', { class: 'run-sub muted' }, h('span', { class: 'chip' }, run.event), ' ', run.workflow),
        h('span', { class: 'run-when muted' }, h('time', { datetime: new Date(started).toISOString(), title: absolute(started) }, relative(started))),
        h('span', { class: 'run-dur' }, timer(run)),
        h('span', { class: ['badge', `state-${s}`] }, waiting ? 'Waiting for approval' : stateLabel(s))));
  }

  function onClick(event) {
    const el = event.target.closest('[data-action]');
    if (!el || el.disabled) return;
    const action = el.getAttribute('data-action');
    if (action === 'open-dialog') {
      dialog = runDialog({ workflows: () => workflows, error: () => workflowsError, reload: loadWorkflows, onClose: () => { dialog = null; } });
      loadWorkflows();
    } else if (action === 'more') {
      loadMore();
    } else if (action === 'clear-filters') {
      navigate('/', { replace: true });
    }
  }

  function onChange(event) {
    const select = event.target.closest('[data-filter]');
    if (select) setFilter(select.getAttribute('data-filter'), select.value);
  }

  return {
    key: 'runs',
    mount(el) {
      root = el;
      root.addEventListener('click', onClick);
      root.addEventListener('change', onChange);
      unsubscribe = onSession(schedule);
      load();
      loadWorkflows();
      render();
    },
    update() {
      if (JSON.stringify(filters()) !== filtersKey) load();
      schedule();
    },
    focus() {
      root?.querySelector('h1')?.focus();
    },
    unmount() {
      cancelRender();
      closeStream();
      if (dialog) dialog.close();
      if (unsubscribe) unsubscribe();
      root.removeEventListener('click', onClick);
      root.removeEventListener('change', onChange);
      root = null;
    },
  };
}

// -- the "Run workflow" dialog ------------------------------------------------------
function runDialog({ workflows, error, reload, onClose }) {
  let chosen = null;
  let submitting = false;
  let failure = null;
  const body = h('div', { class: 'dialog-body' });
  const el = h('dialog', { class: 'dialog', 'aria-labelledby': 'run-dialog-title' },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('header', { class: 'dialog-head' }, h('h2', { id: 'run-dialog-title' }, 'Run workflow'),
        h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'data-close': '', 'aria-label': 'Close' }, '✕')),
      body));
  document.body.appendChild(el);
  el.addEventListener('close', () => {
    el.remove();
    onClose();
  });
  el.addEventListener('click', (event) => {
    if (event.target === el || event.target.closest('[data-close]')) {
      event.preventDefault();
      el.close();
      return;
    }
    const pick = event.target.closest('[data-pick]');
    if (pick && !pick.disabled) {
      event.preventDefault();
      chosen = pick.getAttribute('data-pick');
      failure = null;
      render();
      el.querySelector('.dispatch-form input, .dispatch-form select, .dispatch-form button[type=submit]')?.focus();
    }
    if (event.target.closest('[data-back]')) {
      event.preventDefault();
      chosen = null;
      render();
    }
    if (event.target.closest('[data-reload]')) {
      event.preventDefault();
      reload();
    }
  });
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(event.target);
  });
  el.showModal();

  async function submit(form) {
    const wf = (workflows() || []).find((w) => w.path === chosen);
    if (!wf || submitting) return;
    const inputs = {};
    for (const input of wf.inputs || []) {
      const field = form.elements.namedItem(`input-${input.name}`);
      if (!field) continue;
      if (input.type === 'boolean') inputs[input.name] = field.checked;
      else if (input.type === 'number') {
        if (field.value !== '') inputs[input.name] = Number(field.value);
      } else if (field.value !== '' || input.required) inputs[input.name] = field.value;
    }
    const request = { workflow: wf.path };
    if ((wf.on || []).includes('workflow_dispatch')) {
      request.event = 'workflow_dispatch';
      request.inputs = inputs;
    }
    submitting = true;
    failure = null;
    render();
    try {
      const started = await api('/api/runs', { method: 'POST', body: request });
      el.close();
      navigate(runHref(started.runId));
    } catch (err) {
      failure = err.message;
      submitting = false;
      render();
    }
  }

  function render() {
    const list = workflows();
    if (!list) {
      patch(body, error() ? h('p', { class: 'error-box' }, `Could not list workflows: ${error()}`) : h('p', { role: 'status' }, 'Loading workflows…'));
      return;
    }
    const wf = chosen ? list.find((w) => w.path === chosen) : null;
    if (!wf) {
      patch(body,
        list.length ? h('ul', { class: 'wf-list' }, list.map((w) => h('li', { 'data-key': w.path, class: ['wf', !w.valid && 'wf-invalid'] },
          h('button', { type: 'button', class: 'wf-pick', 'data-pick': w.path, disabled: !w.valid, 'aria-describedby': w.valid ? null : `err-${w.name}` },
            h('span', { class: 'wf-title' }, w.title || w.name),
            h('span', { class: 'wf-path muted' }, w.path),
            w.valid ? h('span', { class: 'wf-on' }, (w.on || []).map((t) => h('span', { class: 'chip' }, t))) : h('span', { class: 'badge state-failure' }, 'Invalid')),
          w.valid ? null : h('ul', { class: 'wf-errors', id: `err-${w.name}` }, w.errors.map((e) => h('li', null, h('code', null, e)))))))
          : h('p', null, 'No workflows found in the workflow directories (stax.toml ', h('code', null, 'workflow_dirs'), ').'),
        h('div', { class: 'dialog-foot' }, h('button', { type: 'button', class: 'btn btn-quiet', 'data-reload': '' }, 'Refresh list')));
      return;
    }
    const dispatch = (wf.on || []).includes('workflow_dispatch');
    patch(body,
      h('div', { class: 'dispatch-form' },
        h('p', null, h('strong', null, wf.title || wf.name), ' ', h('span', { class: 'muted' }, wf.path)),
        dispatch ? null : h('p', { class: 'muted' }, `This workflow has no workflow_dispatch trigger; it runs as "${(wf.on || [])[0] || 'push'}".`),
        dispatch && (wf.inputs || []).length ? h('fieldset', { class: 'inputs' }, h('legend', null, 'Inputs'), wf.inputs.map(inputField)) : null,
        failure ? h('p', { class: 'error-box', role: 'alert' }, failure) : null,
        h('div', { class: 'dialog-foot' },
          h('button', { type: 'button', class: 'btn btn-quiet', 'data-back': '' }, '← Back'),
          h('button', { type: 'submit', class: 'btn btn-primary', disabled: submitting }, submitting ? 'Starting…' : 'Run'))));
  }

  function inputField(input) {
    const id = `input-${input.name}`;
    const describe = input.description ? `${id}-desc` : null;
    let control;
    if (input.type === 'boolean') {
      control = h('input', { type: 'checkbox', id, name: id, checked: input.default === true || input.default === 'true', 'aria-describedby': describe });
      return h('div', { class: 'field field-check', 'data-key': id }, control, h('label', { for: id }, input.name, input.required ? ' *' : ''),
        input.description ? h('div', { class: 'muted', id: describe }, input.description) : null);
    }
    if (input.type === 'choice' && input.options && input.options.length) {
      control = h('select', { id, name: id, required: input.required, 'aria-describedby': describe, value: input.default ?? input.options[0] },
        input.options.map((o) => h('option', { value: o, selected: o === input.default }, o)));
    } else {
      control = h('input', {
        type: input.type === 'number' ? 'number' : 'text', id, name: id, required: input.required,
        value: input.default === null || input.default === undefined ? '' : String(input.default), 'aria-describedby': describe, step: input.type === 'number' ? 'any' : null,
      });
    }
    return h('div', { class: 'field', 'data-key': id }, h('label', { for: id }, input.name, input.required ? ' *' : ''), control,
      input.description ? h('div', { class: 'muted', id: describe }, input.description) : null);
  }

  render();
  return { render, close: () => el.open && el.close() };
}
