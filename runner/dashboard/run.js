// /runs/<id>: one run, live. Its state is rebuilt from the run's own events: the page's
// one EventSource replays the run from its first event (?runId=<id>&lastEventId=0), then
// stays live; after a network blip the browser resumes with Last-Event-ID. The stream is
// /api/events in its canonical form (?format=canonical): the same events, but a log chunk
// stays one event (100,000 lines replay as a few dozen events instead of 100,000) and
// every event has its timestamp.
//
// URL: /runs/<id>                       the summary (graph, annotations, step summaries)
//      /runs/<id>?job=<job>             a job: its steps, the running one opened
//      /runs/<id>?job=<job>&step=<n>    ... with step n's log open (step=0: none)
//      ...#L<line>                      ... scrolled to that line

import { frameScheduler, h, patch, readOnlyNote } from './dom.js';
import { api, onSession, openStream, closeStream, READ_ONLY_REASON, session } from './api.js';
import { LogData, LogView } from './logview.js';
import { aggregateState, graphNodes, instanceLabel, isGroup, renderGraph, statusIcon, timer } from './graph.js';
import { renderMarkdown } from './markdown.js';
import { absolute, bytes, relative, stateGlyph, stateLabel, stateOf } from './format.js';
import { navigate, notify, setTitle } from './shell.js';
import { runApi, runHref } from './links.js';

const LEVEL_ICONS = { error: '✕', warning: '!', notice: 'i' };

class RunState {
  constructor(runId) {
    this.runId = runId;
    this.run = null;
    this.jobs = new Map(); // id -> job snapshot + {steps: Map, blocked, statusLine, messages}
    this.logs = new Map(); // `${job}#${step}` -> LogData
    this.annotations = [];
    this.artifacts = []; // GET /api/runs/<id>/artifacts: refreshed as jobs finish
    this.lastSeq = 0;
    this.targetSeq = null; // the run's last seq when the page opened: replay is done past it
    this.caughtUp = false;
    this.missing = false;
    this.cancelling = false;
  }

  job(id) {
    let job = this.jobs.get(id);
    if (!job) {
      job = { id, key: id, name: id, status: 'queued', conclusion: null, needs: [], steps: new Map(), blocked: null, statusLine: '', messages: [] };
      this.jobs.set(id, job);
    }
    return job;
  }

  mergeJob(snapshot) {
    const job = this.job(snapshot.id);
    const { steps, ...fields } = snapshot;
    Object.assign(job, fields);
    if (Array.isArray(steps)) for (const step of steps) this.mergeStep(job, step);
    return job;
  }

  mergeStep(job, snapshot) {
    const step = job.steps.get(snapshot.number) || {};
    Object.assign(step, snapshot);
    job.steps.set(snapshot.number, step);
    return step;
  }

  log(jobId, number) {
    const key = `${jobId}#${number}`;
    let log = this.logs.get(key);
    if (!log) {
      log = new LogData();
      this.logs.set(key, log);
    }
    return log;
  }

  apply(event) {
    if (event.seq <= this.lastSeq) return; // never twice (a resume is exact, but be sure)
    this.lastSeq = event.seq;
    const d = event.data || {};
    switch (event.type) {
      case 'run.started':
      case 'run.completed': {
        const { jobs, ...run } = d.run || {};
        this.run = { ...(this.run || {}), ...run };
        if (Array.isArray(jobs)) for (const job of jobs) this.mergeJob(job);
        if (event.type === 'run.completed') this.cancelling = false;
        break;
      }
      case 'job.queued':
      case 'job.started':
      case 'job.completed': {
        const job = this.mergeJob(d.job || { id: event.job_id });
        if (event.type === 'job.completed') job.blocked = null;
        break;
      }
      case 'job.blocked': {
        const job = this.job(event.job_id);
        job.blocked = { reason: d.reason, environment: d.environment, since: event.ts };
        job.status = 'waiting';
        break;
      }
      case 'job.unblocked': {
        const job = this.job(event.job_id);
        job.blocked = null;
        job.unblocked = { approved: d.approved, by: d.by };
        break;
      }
      case 'job.status':
        this.job(event.job_id).statusLine = d.summary || '';
        break;
      case 'job.message':
        this.job(event.job_id).messages.push({ fromJob: d.from_job, outputs: d.outputs || {}, result: d.result });
        break;
      case 'step.started':
      case 'step.completed': {
        const step = this.mergeStep(this.job(event.job_id), d.step || { number: event.step_number });
        if (d.outputs) step.outputs = d.outputs;
        break;
      }
      case 'step.log':
        this.log(event.job_id, event.step_number).append(d.lines || [], event.ts, d.stream || 'stdout');
        break;
      case 'step.annotation': {
        const line = event.step_number ? this.log(event.job_id, event.step_number).length : -1;
        this.annotations.push({ ...d, jobId: event.job_id, stepNumber: event.step_number ?? null, logLine: line, ts: event.ts });
        break;
      }
      case 'skill.started':
      case 'skill.completed':
        if (event.step_number) this.mergeStep(this.job(event.job_id), { number: event.step_number, skill: d.skill ?? d });
        break;
      default:
        break;
    }
  }

  /** Where an annotation's `##[level]` line really is (it follows the event). */
  annotationLine(a) {
    if (a.logLine < 0 || !a.stepNumber) return -1;
    const log = this.logs.get(`${a.jobId}#${a.stepNumber}`);
    if (!log) return -1;
    const marker = `##[${a.level}]`;
    for (let i = a.logLine; i < Math.min(log.length, a.logLine + 50); i++) if (log.lines[i].startsWith(marker)) return i;
    return a.logLine < log.length ? a.logLine : -1;
  }

  orderedJobs() {
    return [...this.jobs.values()];
  }
}

export function runPage(runId) {
  const state = new RunState(runId);
  let root = null;
  const { schedule, cancel: cancelRender } = frameScheduler(() => render());
  let revealed = '';
  let unsubscribe = null;
  const mdCache = new WeakMap();
  const followed = new Map(); // job id -> the step opened because it was running
  const logView = new LogView({
    onSelectLine: (line) => {
      const url = new URL(location.href);
      url.hash = `L${line + 1}`;
      history.replaceState(null, '', url.href);
      revealed = currentRevealKey();
    },
  });


  function params() {
    const url = new URL(location.href);
    const job = url.searchParams.get('job');
    const step = url.searchParams.get('step');
    const match = /^#L(\d+)$/.exec(url.hash);
    return { job, step: step === null ? null : Number(step) || 0, line: match ? Number(match[1]) - 1 : -1 };
  }

  function currentRevealKey() {
    const p = params();
    return `${p.job}#${p.step}#${p.line}`;
  }

  /** The step whose log is open: the URL's, else the running one (which stays open once
   * it is done, until another starts), else the first failure. */
  function openStep(job, p) {
    if (!job) return null;
    if (p.step !== null) return p.step || null;
    const steps = [...job.steps.values()];
    const running = steps.find((s) => s.status === 'in_progress');
    if (running) {
      followed.set(job.id, running.number);
      return running.number;
    }
    const failed = steps.find((s) => s.conclusion === 'failure');
    if (failed) return failed.number;
    return followed.get(job.id) ?? null;
  }

  // -- loading ------------------------------------------------------------------------
  async function load() {
    try {
      const snapshot = await api(runApi(runId));
      state.targetSeq = snapshot.last_seq ?? null;
      if (!state.run) {
        const { jobs, ...run } = snapshot;
        state.run = run;
        for (const job of jobs || []) if (!state.jobs.has(job.id)) state.mergeJob(job);
      }
      if (state.targetSeq === null || state.lastSeq >= state.targetSeq) state.caughtUp = true;
    } catch (err) {
      if (err.status === 404) {
        state.missing = true;
        closeStream();
      } else {
        notify(`Could not load run ${runId}: ${err.message}`);
      }
    }
    schedule();
  }

  // Artifacts are finished inside jobs, so the list is asked for again as jobs end. A job
  // that ends while a request is out asks once more after it: that request may have
  // been answered before the job's artifact was finished.
  let artifactsAsked = null;
  let artifactsAgain = false;
  async function loadArtifacts() {
    if (artifactsAsked) {
      artifactsAgain = true;
      return;
    }
    artifactsAsked = (async () => {
      try {
        const listed = await api(runApi(runId, 'artifacts'));
        state.artifacts = listed.artifacts || [];
        schedule();
      } catch {
        // The summary just shows none; the run itself is what matters here.
      } finally {
        artifactsAsked = null;
        if (artifactsAgain) {
          artifactsAgain = false;
          loadArtifacts();
        }
      }
    })();
  }

  function connect() {
    const handlers = {};
    for (const type of ['run.started', 'run.completed', 'job.queued', 'job.started', 'job.blocked', 'job.unblocked', 'job.status', 'job.message', 'job.completed', 'step.started', 'step.log', 'step.annotation', 'step.completed', 'skill.started', 'skill.completed']) {
      handlers[type] = (event) => {
        state.apply(event);
        if (!state.caughtUp && state.targetSeq !== null && state.lastSeq >= state.targetSeq) state.caughtUp = true;
        if ((type === 'job.completed' || type === 'run.completed') && state.caughtUp) loadArtifacts();
        schedule();
      };
    }
    openStream((last) => `/api/events?runId=${encodeURIComponent(runId)}&format=canonical&lastEventId=${last ?? 0}`, handlers);
  }

  // -- actions ------------------------------------------------------------------------
  async function act(action, el) {
    const jobId = el.getAttribute('data-job');
    try {
      if (action === 'cancel') {
        state.cancelling = true;
        schedule();
        await api(runApi(runId, 'cancel'), { method: 'POST' });
        notify('Cancelling the run…', 'info');
      } else if (action === 'approve' || action === 'reject') {
        const approve = action === 'approve';
        await api(runApi(runId, 'jobs', jobId, 'approve'), { method: 'POST', body: { approve } });
        notify(approve ? `Approved ${jobId}.` : `Rejected ${jobId}.`, 'info');
      } else if (action === 'rerun') {
        const run = state.run;
        const body = { workflow: run.workflow, workdir: run.workdir, event: run.event };
        if (run.inputs && Object.keys(run.inputs).length) body.inputs = run.inputs;
        const started = await api('/api/runs', { method: 'POST', body });
        navigate(runHref(started.runId));
      } else if (action === 'toggle-step') {
        const number = Number(el.getAttribute('data-step'));
        const p = params();
        const job = state.jobs.get(p.job);
        const open = openStep(job, p) === number;
        const url = new URL(location.href);
        url.searchParams.set('step', open ? '0' : String(number));
        url.hash = '';
        navigate(url.href, { replace: true });
      }
    } catch (err) {
      if (action === 'cancel') state.cancelling = false;
      notify(err.message || String(err));
      schedule();
    }
  }

  function onClick(event) {
    const el = event.target.closest('[data-action]');
    if (!el || !root.contains(el) || el.disabled) return;
    event.preventDefault();
    act(el.getAttribute('data-action'), el);
  }

  // -- rendering ------------------------------------------------------------------------
  function render() {
    if (!root) return;
    if (state.missing) {
      setTitle('Run not found');
      patch(root, h('div', { class: 'empty-state' }, h('h1', null, 'Run not found'),
        h('p', null, `There is no run ${runId} on this daemon (it may have been pruned).`),
        h('p', null, h('a', { href: '/' }, '← All runs'))));
      return;
    }
    const run = state.run;
    if (!run) {
      patch(root, h('p', { class: 'loading', role: 'status' }, 'Loading run…'));
      return;
    }
    const p = params();
    const jobs = state.orderedJobs();
    const nodes = graphNodes(run.graph, jobs);
    const selected = p.job ? state.jobs.get(p.job) || null : null;
    const runState = state.cancelling && run.status !== 'completed' ? 'cancelling' : stateOf(run);
    setTitle(`${stateGlyph(runState) || '●'} ${run.name} #${run.run_number}`);
    const readOnly = !session.authenticated;
    const roNote = readOnly ? readOnlyNote() : null;
    const guarded = (props) => ({ ...props, disabled: readOnly || props.disabled, 'aria-describedby': readOnly ? 'ro-note' : null, title: readOnly ? READ_ONLY_REASON : props.title });
    const blocked = jobs.filter((j) => j.blocked);

    patch(root,
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/' }, 'Runs'), ' / ', h('span', null, `${run.name} #${run.run_number}`)),
      h('header', { class: 'run-head' },
        h('div', { class: 'run-title' },
          statusIcon(runState, `Run ${stateLabel(runState)}`),
          h('h1', { tabindex: '-1' }, run.name, ' ', h('span', { class: 'muted' }, `#${run.run_number}`)),
          h('span', { class: ['badge', `state-${runState}`] }, stateLabel(runState))),
        h('div', { class: 'run-actions' },
          run.status !== 'completed'
            ? h('button', guarded({ type: 'button', class: 'btn btn-danger', 'data-action': 'cancel', disabled: state.cancelling }), state.cancelling ? 'Cancelling…' : 'Cancel run')
            : h('button', guarded({ type: 'button', class: 'btn', 'data-action': 'rerun' }), 'Re-run')),
        h('dl', { class: 'meta' },
          meta('Trigger', run.event),
          meta('Workflow', run.workflow),
          meta('Started', h('time', { datetime: new Date(run.started_at || run.created_at).toISOString(), title: absolute(run.started_at || run.created_at) }, relative(run.started_at || run.created_at))),
          meta('Duration', timer(run)),
          meta('Run', h('code', null, run.id))),
        run.error ? h('p', { class: 'error-box' }, run.error) : null,
        roNote),
      blocked.length ? h('section', { class: 'approvals', 'aria-label': 'Waiting for approval' }, blocked.map((job) => approvalBox(job, guarded))) : null,
      h('div', { class: 'run-body' },
        jobsNav(nodes, selected, p),
        h('section', { class: 'run-main', 'aria-label': selected ? `Job ${selected.name}` : 'Summary' },
          selected ? jobView(selected, p, guarded) : p.job ? h('p', { class: 'muted' }, `No job ${p.job} in this run (yet).`) : summaryView(nodes, p))));
    fillSlots(p, selected);
  }

  function meta(label, value) {
    return h('div', null, h('dt', null, label), h('dd', null, value));
  }

  function approvalBox(job, guarded) {
    return h('div', { class: 'approval', 'data-key': `approval-${job.id}` },
      h('span', { class: 'icon icon-waiting', 'aria-hidden': 'true' }, stateGlyph('waiting')),
      h('div', { class: 'approval-text' },
        h('strong', null, job.name), ` is waiting for approval`,
        job.blocked.environment ? [' to deploy to ', h('code', null, job.blocked.environment)] : null,
        job.blocked.reason ? h('div', { class: 'muted' }, job.blocked.reason) : null),
      h('div', { class: 'approval-actions' },
        h('button', guarded({ type: 'button', class: 'btn btn-primary', 'data-action': 'approve', 'data-job': job.id }), 'Approve'),
        h('button', guarded({ type: 'button', class: 'btn', 'data-action': 'reject', 'data-job': job.id }), 'Reject')));
  }

  function jobsNav(nodes, selected, p) {
    const link = (job, label) => h('a', {
      href: runHref(runId, { job: job.id }), class: ['jobs-item', selected && selected.id === job.id && 'selected'],
      'aria-current': selected && selected.id === job.id ? 'page' : null, 'data-key': `j-${job.id}`,
    }, statusIcon(stateOf(job)), h('span', { class: 'jobs-name' }, label), timer(job));
    return h('nav', { class: 'jobs-nav', 'aria-label': 'Jobs' },
      h('a', { href: runHref(runId), class: ['jobs-item', 'jobs-summary', !p.job && 'selected'], 'aria-current': !p.job ? 'page' : null }, h('span', { class: 'icon icon-summary', 'aria-hidden': 'true' }, '≡'), h('span', { class: 'jobs-name' }, 'Summary')),
      h('h2', { class: 'jobs-title' }, 'Jobs'),
      h('ul', { class: 'jobs-list' }, nodes.map((node) => {
        if (!node.jobs.length) {
          return h('li', { 'data-key': `n-${node.id}` }, h('span', { class: 'jobs-item pending' }, statusIcon('pending'), h('span', { class: 'jobs-name' }, node.name)));
        }
        if (!isGroup(node)) return h('li', { 'data-key': `n-${node.id}` }, link(node.jobs[0], node.jobs[0].name));
        return h('li', { 'data-key': `n-${node.id}` },
          h('div', { class: 'jobs-group' }, statusIcon(aggregateState(node.jobs)), h('span', { class: 'jobs-name' }, node.name), h('span', { class: 'muted' }, String(node.jobs.length))),
          h('ul', { class: 'jobs-sublist' }, node.jobs.map((job) => h('li', { 'data-key': `i-${job.id}` }, link(job, instanceLabel(job, node))))));
      })));
  }

  function summaryView(nodes, p) {
    const run = state.run;
    const withSummary = state.orderedJobs().filter((j) => j.summary);
    const withOutputs = state.orderedJobs().filter((j) => j.outputs && Object.keys(j.outputs).length);
    const inputs = run.inputs && Object.keys(run.inputs).length ? run.inputs : null;
    return [
      h('section', { class: 'card', 'data-key': 'graph' }, h('h2', null, 'Job graph'),
        nodes.length ? renderGraph(nodes, { runId, selectedJob: p.job }) : h('p', { class: 'muted' }, 'No jobs.')),
      state.annotations.length ? h('section', { class: 'card', 'data-key': 'annotations' }, h('h2', null, `Annotations (${state.annotations.length})`), annotationList(state.annotations)) : null,
      inputs ? h('section', { class: 'card', 'data-key': 'inputs' }, h('h2', null, 'Inputs'), keyValues(inputs)) : null,
      state.artifacts.length ? h('section', { class: 'card', 'data-key': 'artifacts', 'aria-label': 'Artifacts' }, h('h2', null, `Artifacts (${state.artifacts.length})`),
        artifactList(state.artifacts)) : null,
      withOutputs.length ? h('section', { class: 'card', 'data-key': 'outputs' }, h('h2', null, 'Job outputs'),
        withOutputs.map((job) => h('div', { class: 'outputs-block', 'data-key': `o-${job.id}` }, h('h3', null, job.name), keyValues(job.outputs)))) : null,
      withSummary.map((job) => h('section', { class: 'card', 'data-key': `summary-${job.id}` }, h('h2', null, `${job.name} summary`),
        h('div', { class: 'markdown', 'data-slot': 'markdown', 'data-job': job.id, 'data-morph': 'skip' }))),
    ];
  }

  function annotationList(annotations) {
    return h('ul', { class: 'annotations' }, annotations.map((a, index) => {
      const line = state.annotationLine(a);
      const job = state.jobs.get(a.jobId);
      const where = [a.file, a.line, a.col].filter((v) => v !== undefined && v !== null).join(':');
      const stepName = a.stepNumber && job && job.steps.get(a.stepNumber) ? job.steps.get(a.stepNumber).name : null;
      const href = line >= 0 ? runHref(runId, { job: a.jobId, step: a.stepNumber, line }) : runHref(runId, { job: a.jobId });
      return h('li', { class: ['annotation', `level-${a.level}`], 'data-key': `a-${index}` },
        h('span', { class: ['icon', `icon-${a.level}`], role: 'img', 'aria-label': a.level, title: a.level }, LEVEL_ICONS[a.level] || '•'),
        h('div', { class: 'annotation-body' },
          a.title ? h('strong', null, a.title, ' ') : null,
          h('span', { class: 'annotation-message' }, a.message),
          h('div', { class: 'annotation-where' },
            h('a', { href }, job ? job.name : a.jobId, stepName ? ` › ${stepName}` : '', line >= 0 ? ` › line ${line + 1}` : ''),
            where ? [' · ', h('code', null, where)] : null)));
    }));
  }

  function artifactList(artifacts) {
    return h('table', { class: 'kv artifacts' }, h('tbody', null, artifacts.map((a) => h('tr', { 'data-key': `art-${a.id}` },
      h('th', { scope: 'row' }, h('a', { href: a.download_url, download: a.file_name, class: 'artifact-link' }, a.name)),
      h('td', null, bytes(a.size_in_bytes)),
      h('td', { class: 'muted' }, a.job_id ? ['from ', h('code', null, a.job_id)] : null),
      h('td', { class: 'muted', title: a.digest || '' }, a.kind === 'v3' ? 'v3' : a.file_name.endsWith('.zip') ? 'zip' : 'file')))));
  }

  function keyValues(values) {
    return h('table', { class: 'kv' }, h('tbody', null, Object.entries(values).map(([key, value]) => h('tr', { 'data-key': key },
      h('th', { scope: 'row' }, h('code', null, key)),
      h('td', null, h('code', null, typeof value === 'string' ? value : JSON.stringify(value)))))));
  }

  function jobView(job, p, guarded) {
    const jobState = stateOf(job);
    const open = openStep(job, p);
    const steps = [...job.steps.values()].sort((a, b) => a.number - b.number);
    const annotations = state.annotations.filter((a) => a.jobId === job.id);
    const chips = [];
    if (job.runs_on) chips.push(h('span', { class: 'chip', title: 'runs-on' }, Array.isArray(job.runs_on) ? job.runs_on.join(', ') : String(job.runs_on)));
    if (job.environment) chips.push(h('span', { class: 'chip', title: 'environment' }, `env: ${job.environment}`));
    if (job.matrix) for (const [k, v] of Object.entries(job.matrix)) chips.push(h('span', { class: 'chip', title: 'matrix' }, `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`));
    return [
      h('div', { class: 'job-head', 'data-key': `head-${job.id}` },
        h('h2', null, statusIcon(jobState, `Job ${stateLabel(jobState)}`), ' ', job.name),
        h('span', { class: ['badge', `state-${jobState}`] }, stateLabel(jobState)),
        timer(job),
        h('div', { class: 'chips' }, chips)),
      job.blocked ? approvalBox(job, guarded) : null,
      job.unblocked && job.unblocked.approved === false ? h('p', { class: 'muted' }, `Rejected by ${job.unblocked.by}.`) : null,
      job.status === 'in_progress' && job.statusLine ? h('p', { class: 'status-line', role: 'status' }, job.statusLine) : null,
      job.error ? h('p', { class: 'error-box' }, job.error) : null,
      job.messages.length ? h('div', { class: 'messages' }, job.messages.map((m, i) => h('p', { class: 'muted', 'data-key': `m-${i}` },
        'From ', h('code', null, m.fromJob), ` (${m.result})`, Object.keys(m.outputs).length ? [': ', Object.entries(m.outputs).map(([k, v]) => `${k}=${v}`).join(', ')] : ''))) : null,
      annotations.length ? h('section', { class: 'card card-tight', 'data-key': 'job-annotations' }, h('h3', null, `Annotations (${annotations.length})`), annotationList(annotations)) : null,
      h('ol', { class: 'steps', 'aria-label': 'Steps', 'data-key': `steps-${job.id}` },
        steps.length ? steps.map((step) => stepItem(job, step, open === step.number))
          : h('li', { class: 'muted step-none' }, job.status === 'completed' ? 'No steps ran.' : jobState === 'waiting' ? 'Waiting for approval…' : 'Waiting to start…')),
      job.outputs && Object.keys(job.outputs).length ? h('section', { class: 'card card-tight', 'data-key': 'job-outputs' }, h('h3', null, 'Outputs'), keyValues(job.outputs)) : null,
      job.summary ? h('section', { class: 'card', 'data-key': `summary-${job.id}` }, h('h3', null, 'Step summary'),
        h('div', { class: 'markdown', 'data-slot': 'markdown', 'data-job': job.id, 'data-morph': 'skip' })) : null,
    ];
  }

  function stepItem(job, step, isOpen) {
    const s = stateOf(step);
    const log = state.logs.get(`${job.id}#${step.number}`);
    return h('li', { class: ['step', `state-${s}`, isOpen && 'open'], 'data-key': `s-${step.number}` },
      h('button', { type: 'button', class: 'step-row', 'data-action': 'toggle-step', 'data-step': step.number, 'aria-expanded': String(isOpen), 'aria-controls': isOpen ? 'step-log' : null },
        h('span', { class: 'caret', 'aria-hidden': 'true' }, isOpen ? '▾' : '▸'),
        statusIcon(s),
        h('span', { class: 'step-name' }, step.name),
        log && log.length ? h('span', { class: 'step-lines muted' }, `${log.length.toLocaleString()} line${log.length === 1 ? '' : 's'}`) : null,
        step.outcome && step.outcome !== step.conclusion ? h('span', { class: 'chip', title: 'outcome before continue-on-error' }, `outcome: ${step.outcome}`) : null,
        timer(step)),
      step.error ? h('p', { class: 'error-box step-error' }, step.error) : null,
      isOpen ? h('div', { class: 'step-log', id: 'step-log', 'data-slot': 'log', 'data-morph': 'skip', 'data-key': 'log-slot' }) : null,
      isOpen && step.outputs && Object.keys(step.outputs).length ? h('div', { class: 'step-outputs' }, h('h4', null, 'Step outputs'), keyValues(step.outputs)) : null);
  }

  function fillSlots(p, job) {
    for (const el of root.querySelectorAll('[data-slot="markdown"]')) {
      const source = state.jobs.get(el.getAttribute('data-job'))?.summary || '';
      if (mdCache.get(el) !== source) {
        el.replaceChildren(renderMarkdown(source));
        mdCache.set(el, source);
      }
    }
    const slot = root.querySelector('[data-slot="log"]');
    if (!slot || !job) return;
    const number = openStep(job, p);
    const step = job.steps.get(number);
    const data = state.log(job.id, number);
    if (logView.el.parentNode !== slot) slot.appendChild(logView.el);
    const running = step && step.status !== 'completed';
    logView.show(data, {
      label: `Log of step ${number}: ${step ? step.name : ''}`,
      raw: runApi(runId, 'jobs', job.id, 'steps', number, 'log'),
      line: p.line,
      follow: running,
    });
    logView.setStatus(!state.caughtUp ? 'Loading…' : running ? 'Waiting for output…' : step && step.conclusion === 'skipped' ? 'This step was skipped.' : 'No output');
    const key = currentRevealKey();
    if (p.line >= 0 && revealed !== key && p.line < data.length) {
      if (logView.reveal(p.line, { select: true })) revealed = key;
    }
  }

  return {
    key: `run:${runId}`,
    mount(el) {
      root = el;
      root.addEventListener('click', onClick);
      unsubscribe = onSession(schedule);
      connect();
      load();
      loadArtifacts();
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
      closeStream();
      logView.destroy();
      if (unsubscribe) unsubscribe();
      root.removeEventListener('click', onClick);
      root = null;
    },
  };
}
