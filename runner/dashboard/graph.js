// The job graph: the run's `needs` DAG, laid out in columns by depth, with matrix
// instances (and the jobs of a called workflow) grouped in their node.

import { h } from './dom.js';
import { duration, span, stateGlyph, stateLabel, stateOf } from './format.js';
import { runHref } from './links.js';

const WIDTH = 232;
const COL_GAP = 56;
const ROW_GAP = 18;
const PAD = 12;
const SINGLE = 46;
const HEADER = 40;
const ITEM = 32;
const MAX_ITEMS = 8;

/** The graph node a job belongs to: `key` for a plain job, `key.N` for matrix
 * instance N, `caller.key` for a job of a called workflow. */
export function nodeIdOf(jobId) {
  const dot = jobId.indexOf('.');
  return dot < 0 ? jobId : jobId.slice(0, dot);
}

/** Nodes [{id, name, needs, jobs}] from the planned graph and the jobs seen so far. */
export function graphNodes(graph, jobs) {
  const nodes = new Map();
  for (const node of graph || []) nodes.set(node.id, { id: node.id, name: node.name || node.id, needs: node.needs || [], jobs: [] });
  for (const job of jobs) {
    const id = nodeIdOf(job.id);
    if (!nodes.has(id)) nodes.set(id, { id, name: id, needs: job.needs || [], jobs: [] });
    nodes.get(id).jobs.push(job);
  }
  return [...nodes.values()];
}

/** Whether a node shows as a group (matrix instances, a called workflow's jobs). */
export function isGroup(node) {
  return node.jobs.length > 1 || (node.jobs.length === 1 && node.jobs[0].id !== node.id);
}

/** One state for a group of jobs. */
export function aggregateState(jobs) {
  if (!jobs.length) return 'pending';
  const states = jobs.map(stateOf);
  const any = (s) => states.includes(s);
  if (any('failure')) return 'failure';
  if (any('in_progress')) return 'in_progress';
  if (any('waiting')) return 'waiting';
  if (any('queued') || any('pending')) return states.some((s) => !['queued', 'pending'].includes(s)) ? 'in_progress' : 'queued';
  if (states.every((s) => s === 'skipped')) return 'skipped';
  if (any('cancelled')) return 'cancelled';
  if (any('degraded')) return 'degraded';
  return 'success';
}

function layers(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map();
  const visiting = new Set();
  const visit = (node) => {
    if (depth.has(node.id)) return depth.get(node.id);
    if (visiting.has(node.id)) return 0; // a cycle (validation refuses them): draw anyway
    visiting.add(node.id);
    let d = 0;
    for (const need of node.needs) if (byId.has(need)) d = Math.max(d, visit(byId.get(need)) + 1);
    visiting.delete(node.id);
    depth.set(node.id, d);
    return d;
  };
  nodes.forEach(visit);
  const columns = [];
  for (const node of nodes) (columns[depth.get(node.id)] ||= []).push(node);
  return columns.filter(Boolean);
}

function heightOf(node) {
  if (!isGroup(node)) return SINGLE;
  const shown = Math.min(node.jobs.length, MAX_ITEMS);
  return HEADER + shown * ITEM + (node.jobs.length > MAX_ITEMS ? 24 : 0) + 6;
}

/** The graph as an element: positioned node cards over an SVG of edges. */
export function renderGraph(nodes, { runId, selectedJob }) {
  const columns = layers(nodes);
  const place = new Map();
  let height = 0;
  columns.forEach((column, c) => {
    // Order each column by where its needs sit, to keep edges short and uncrossed.
    if (c > 0) {
      const mid = (n) => {
        const ys = n.needs.filter((id) => place.has(id)).map((id) => place.get(id).y + place.get(id).h / 2);
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
      };
      column.sort((a, b) => mid(a) - mid(b));
    }
    let y = PAD;
    for (const node of column) {
      const hgt = heightOf(node);
      place.set(node.id, { x: PAD + c * (WIDTH + COL_GAP), y, h: hgt });
      y += hgt + ROW_GAP;
    }
    height = Math.max(height, y - ROW_GAP + PAD);
  });
  const width = PAD * 2 + columns.length * WIDTH + Math.max(0, columns.length - 1) * COL_GAP;
  const edges = [];
  for (const node of nodes) {
    const to = place.get(node.id);
    for (const need of node.needs) {
      const from = place.get(need);
      if (!from || !to) continue;
      const x1 = from.x + WIDTH;
      const y1 = from.y + Math.min(from.h / 2, 23);
      const x2 = to.x;
      const y2 = to.y + Math.min(to.h / 2, 23);
      const dx = Math.max(20, (x2 - x1) / 2);
      const state = aggregateState(nodes.find((n) => n.id === need)?.jobs || []);
      edges.push(h('svg:path', { d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`, class: `edge edge-${state}` }));
    }
  }
  const cards = nodes.map((node) => {
    const at = place.get(node.id);
    const style = { left: `${at.x}px`, top: `${at.y}px`, width: `${WIDTH}px` };
    if (!isGroup(node)) {
      const job = node.jobs[0];
      const state = stateOf(job);
      const href = job ? runHref(runId, { job: job.id }) : null;
      const tag = href ? 'a' : 'div';
      return h(tag, {
        class: ['gnode', `state-${state}`, job && job.id === selectedJob && 'selected'],
        href, style, 'data-key': `node-${node.id}`, 'data-job': job ? job.id : null,
      },
      statusIcon(state), h('span', { class: 'gnode-name' }, job ? job.name : node.name),
      job ? timer(job) : null);
    }
    const state = aggregateState(node.jobs);
    const shown = node.jobs.slice(0, MAX_ITEMS);
    return h('div', { class: ['gnode', 'gnode-group', `state-${state}`], style, 'data-key': `node-${node.id}`, role: 'group', 'aria-label': `${node.name}: ${node.jobs.length} jobs, ${stateLabel(state)}` },
      h('div', { class: 'gnode-head' }, statusIcon(state), h('span', { class: 'gnode-name' }, node.name), h('span', { class: 'gnode-count' }, `${node.jobs.length} job${node.jobs.length === 1 ? '' : 's'}`)),
      h('ul', { class: 'gnode-items' }, shown.map((job) => h('li', { 'data-key': job.id },
        h('a', { href: runHref(runId, { job: job.id }), class: ['gitem', `state-${stateOf(job)}`, job.id === selectedJob && 'selected'], 'data-job': job.id },
          statusIcon(stateOf(job)), h('span', { class: 'gnode-name' }, instanceLabel(job, node)), timer(job))))),
      node.jobs.length > MAX_ITEMS ? h('div', { class: 'gnode-more' }, `+ ${node.jobs.length - MAX_ITEMS} more (see the job list)`) : null);
  });
  return h('div', { class: 'graph-scroll' },
    h('div', { class: 'graph', style: { width: `${width}px`, height: `${height}px` } },
      h('svg:svg', { class: 'graph-edges', width, height, viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' }, edges),
      cards));
}

/** How an instance reads inside its group: its matrix values, else its name. */
export function instanceLabel(job, node) {
  if (job.matrix && typeof job.matrix === 'object') {
    const values = Object.values(job.matrix).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
    if (values.length) return values.join(', ');
  }
  const prefix = `${node.name} `;
  return job.name && job.name.startsWith(prefix) ? job.name.slice(prefix.length) : job.name || job.id;
}

export function statusIcon(state, label = stateLabel(state)) {
  return h('span', { class: ['icon', `icon-${state}`], role: 'img', 'aria-label': label, title: label }, stateGlyph(state));
}

export function timer(thing) {
  if (!thing || !thing.started_at) return h('span', { class: 'dur' });
  if (thing.status === 'completed' || thing.completed_at) {
    const ms = thing.duration_ms ?? (thing.completed_at - thing.started_at);
    return h('span', { class: 'dur' }, duration(ms));
  }
  return h('span', { class: 'dur', 'data-tick': thing.started_at }, span(thing.started_at));
}
