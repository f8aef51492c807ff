// A step's log: the lines (LogData) and a virtualised view of them (LogView).
//
// Only the rows on screen (plus a margin) exist in the DOM, each absolutely positioned at
// row * lineHeight inside a spacer as tall as all visible rows, so a 100,000-line log
// scrolls as smoothly as a 10-line one. Rows never reorder (a row that stays on screen
// keeps its element), so a focused fold button keeps its focus while lines stream in.
//
// Lines arrive as chunks (one pipe read each, with the time it was read). `##[group]Title`
// ... `##[endgroup]` sections fold (collapsed by default, like hosted CI); `##[error]`,
// `##[warning]`, `##[notice]` and `##[debug]` lines are labelled and coloured.

import { frameScheduler, h } from './dom.js';
import { clock } from './format.js';
import { parse, plain, styleElement } from './ansi.js';

export const KIND = { plain: 0, group: 1, endgroup: 2, error: 3, warning: 4, notice: 5, debug: 6, command: 7 };
const KIND_NAMES = ['', 'group', 'endgroup', 'error', 'warning', 'notice', 'debug', 'command'];
const MARKERS = [
  ['##[group]', KIND.group],
  ['##[endgroup]', KIND.endgroup],
  ['##[error]', KIND.error],
  ['##[warning]', KIND.warning],
  ['##[notice]', KIND.notice],
  ['##[debug]', KIND.debug],
  ['##[command]', KIND.command],
];
const LABELS = { [KIND.error]: 'Error: ', [KIND.warning]: 'Warning: ', [KIND.notice]: 'Notice: ', [KIND.debug]: 'Debug: ' };
const OVERSCAN = 30;

/** The lines of one step, with what folding, timestamps and search need. */
export class LogData {
  constructor() {
    this.lines = [];
    this.kinds = new Uint8Array(1024);
    this.owner = new Int32Array(1024); // the group header a line belongs to, or -1
    this.chunks = []; // [{start, ts, stream}]
    this.groups = new Map(); // header line -> {open, end}
    this.openGroup = -1;
    this.listeners = new Set();
  }

  get length() {
    return this.lines.length;
  }

  append(lines, ts, stream) {
    const start = this.lines.length;
    if (!lines.length) return;
    this.chunks.push({ start, ts, stream });
    this.grow(start + lines.length);
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k];
      const i = start + k;
      this.lines.push(line);
      let kind = KIND.plain;
      if (line.charCodeAt(0) === 35 && line.startsWith('##[')) {
        for (const [marker, value] of MARKERS) {
          if (line.startsWith(marker)) {
            kind = value;
            break;
          }
        }
      }
      this.kinds[i] = kind;
      if (kind === KIND.group) {
        if (this.openGroup >= 0) this.groups.get(this.openGroup).end = i - 1; // groups don't nest
        this.groups.set(i, { open: false, end: null });
        this.openGroup = i;
        this.owner[i] = -1;
      } else if (kind === KIND.endgroup) {
        this.owner[i] = this.openGroup;
        if (this.openGroup >= 0) this.groups.get(this.openGroup).end = i;
        this.openGroup = -1;
      } else {
        this.owner[i] = this.openGroup;
      }
    }
    for (const fn of this.listeners) fn(start);
  }

  grow(size) {
    if (size <= this.kinds.length) return;
    let capacity = this.kinds.length;
    while (capacity < size) capacity *= 2;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds);
    const owner = new Int32Array(capacity);
    owner.set(this.owner);
    this.kinds = kinds;
    this.owner = owner;
  }

  /** Whether line i is on screen (not inside a folded group, not an endgroup marker). */
  shown(i) {
    if (this.kinds[i] === KIND.endgroup) return false;
    const owner = this.owner[i];
    return owner < 0 || this.groups.get(owner).open;
  }

  /** The chunk line i arrived in. */
  chunkOf(i) {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid].start <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo];
  }

  /** What line i reads as on screen (markers replaced by their meaning, escapes removed). */
  display(i) {
    const line = this.lines[i];
    const kind = this.kinds[i];
    if (kind === KIND.plain) return plain(line);
    return (LABELS[kind] || '') + plain(line.slice(MARKERS[kind - 1][0].length));
  }
}

/** A virtualised, searchable, foldable view of one LogData. */
export class LogView {
  constructor({ onSelectLine } = {}) {
    this.data = null;
    this.rows = [];
    this.onSelectLine = onSelectLine || (() => {});
    this.follow = true;
    this.timestamps = false;
    this.selected = -1;
    this.query = '';
    this.matches = [];
    this.current = -1;
    this.rendered = new Map(); // line -> {el, row, key}
    this.scheduler = frameScheduler(() => this.render());
    this.lineHeight = 20;
    this.status = '';
    this.build();
  }

  build() {
    this.searchInput = h('input', {
      type: 'search', class: 'log-search', placeholder: 'Search log', 'aria-label': 'Search this log',
      onkeydown: (e) => this.searchKey(e), oninput: () => this.searchSoon(),
    });
    this.matchCount = h('span', { class: 'log-matches', 'aria-live': 'polite' });
    this.lineCount = h('span', { class: 'log-count' });
    this.rawLink = h('a', { class: 'btn btn-small', target: '_blank', rel: 'noopener', href: '#' }, 'Raw log');
    this.timestampBox = h('input', { type: 'checkbox', onchange: (e) => this.setTimestamps(e.target.checked) });
    this.foldButton = h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.toggleAll() }, 'Expand all');
    this.endButton = h('button', { type: 'button', class: 'btn btn-small', title: 'Jump to the last line (End)', onclick: () => this.scrollToEnd() }, 'End ↓');
    this.toolbar = h('div', { class: 'log-toolbar' },
      h('div', { class: 'log-find' },
        this.searchInput,
        h('button', { type: 'button', class: 'btn btn-small btn-icon', 'aria-label': 'Previous match', title: 'Previous match (Shift+Enter)', onclick: () => this.step(-1) }, '↑'),
        h('button', { type: 'button', class: 'btn btn-small btn-icon', 'aria-label': 'Next match', title: 'Next match (Enter)', onclick: () => this.step(1) }, '↓'),
        this.matchCount),
      h('div', { class: 'log-tools' },
        h('label', { class: 'log-check' }, this.timestampBox, ' Timestamps'),
        this.foldButton, this.rawLink, this.endButton, this.lineCount));
    this.spacer = h('div', { class: 'log-spacer' });
    this.empty = h('div', { class: 'log-empty' });
    this.scroller = h('div', {
      class: 'log-scroller', tabindex: '0', role: 'region', 'aria-label': 'Log',
      onscroll: () => this.onScroll(),
    }, this.spacer, this.empty);
    this.scroller.addEventListener('click', (e) => this.onClick(e));
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.el = h('div', { class: 'log', 'data-morph': 'skip' }, this.toolbar, this.scroller);
    this.appendListener = (start) => this.appended(start);
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(this.scroller);
  }

  /** Show `data` (a step's lines); `label` names the log for assistive tech. */
  show(data, { label = 'Log', raw = '#', line = -1, follow = true } = {}) {
    if (this.data !== data) {
      if (this.data) this.data.listeners.delete(this.appendListener);
      this.data = data;
      data.listeners.add(this.appendListener);
      this.clearRows();
      this.selected = line;
      this.follow = line < 0 && follow;
      this.rebuildRows();
      this.recomputeMatches();
      this.scroller.scrollTop = 0;
      if (line >= 0) this.reveal(line, { select: true });
      else if (this.follow) this.stickToEnd();
    }
    this.scroller.setAttribute('aria-label', label);
    this.rawLink.setAttribute('href', raw);
    this.schedule();
  }

  setStatus(text) {
    this.status = text;
    this.schedule();
  }

  destroy() {
    if (this.data) this.data.listeners.delete(this.appendListener);
    this.resizeObserver.disconnect();
    this.scheduler.cancel();
  }

  // -- rows ---------------------------------------------------------------------
  rebuildRows() {
    const data = this.data;
    const rows = [];
    for (let i = 0; i < data.length; i++) if (data.shown(i)) rows.push(i);
    this.rows = rows;
    this.updateFoldButton();
  }

  appended(start) {
    const data = this.data;
    const atEnd = this.follow;
    for (let i = start; i < data.length; i++) if (data.shown(i)) this.rows.push(i);
    if (this.query) {
      const q = this.query;
      for (let i = start; i < data.length; i++) if (data.display(i).toLowerCase().includes(q)) this.matches.push(i);
      this.updateMatchCount();
    }
    if (data.groups.size) this.updateFoldButton();
    if (atEnd) this.stickToEnd();
    this.schedule();
  }

  rowOf(line) {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid] === line) return mid;
      if (rows[mid] < line) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  clearRows() {
    for (const { el } of this.rendered.values()) el.remove();
    this.rendered.clear();
  }

  // -- rendering ------------------------------------------------------------------
  schedule() {
    this.scheduler.schedule();
  }

  measure() {
    const value = parseFloat(getComputedStyle(this.el).getPropertyValue('--log-line'));
    if (value > 0) this.lineHeight = value;
  }

  render() {
    if (!this.data || !this.el.isConnected) return;
    this.measure();
    const lh = this.lineHeight;
    const total = this.rows.length;
    this.spacer.style.height = `${total * lh}px`;
    // As tall as the lines (up to the CSS max-height): a short log takes little room.
    const tall = `${Math.max(total, 2) * lh + 8}px`;
    if (this.scroller.style.height !== tall) this.scroller.style.height = tall;
    if (this.follow) this.scroller.scrollTop = this.scroller.scrollHeight;
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / lh) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / lh) + OVERSCAN);
    const wanted = new Set();
    for (let row = first; row < last; row++) wanted.add(this.rows[row]);
    for (const [line, entry] of this.rendered) {
      if (!wanted.has(line)) {
        entry.el.remove();
        this.rendered.delete(line);
      }
    }
    const currentLine = this.current >= 0 ? this.matches[this.current] : -1;
    for (let row = first; row < last; row++) {
      const line = this.rows[row];
      const data = this.data;
      const group = data.kinds[line] === KIND.group ? data.groups.get(line) : null;
      const key = `${this.timestamps}|${this.query}|${line === this.selected}|${line === currentLine}|${group ? group.open : ''}`;
      let entry = this.rendered.get(line);
      if (entry && entry.key !== key) {
        const fresh = this.renderLine(line, group, line === currentLine);
        entry.el.replaceWith(fresh);
        entry.el = fresh;
        entry.key = key;
        entry.row = -1;
      } else if (!entry) {
        entry = { el: this.renderLine(line, group, line === currentLine), key, row: -1 };
        this.rendered.set(line, entry);
        this.spacer.appendChild(entry.el);
      }
      if (entry.row !== row) {
        entry.row = row;
        entry.el.style.transform = `translateY(${row * lh}px)`;
      }
    }
    this.lineCount.textContent = `${this.data.length.toLocaleString()} line${this.data.length === 1 ? '' : 's'}`;
    const empty = total === 0 ? this.status || (this.data.length ? 'All lines are folded.' : 'No output') : '';
    this.empty.textContent = empty;
    this.empty.hidden = !empty;
  }

  renderLine(line, group, isCurrent) {
    const data = this.data;
    const kind = data.kinds[line];
    const number = line + 1;
    const el = h('div', {
      class: ['ln', KIND_NAMES[kind] && `ln-${KIND_NAMES[kind]}`, line === this.selected && 'ln-selected', isCurrent && 'ln-current', data.chunkOf(line).stream === 'stderr' && 'ln-stderr'],
      'data-line': line,
    });
    el.appendChild(h('a', { class: 'ln-no', href: `#L${number}`, tabindex: '-1', 'data-line-link': line, 'aria-label': `Line ${number}` }, String(number)));
    if (this.timestamps) el.appendChild(h('span', { class: 'ln-ts' }, clock(data.chunkOf(line).ts)));
    const body = h('span', { class: 'ln-text' });
    if (group) {
      body.appendChild(h('button', {
        type: 'button', class: 'fold', 'aria-expanded': String(group.open), 'data-fold': line,
        'aria-label': `${group.open ? 'Collapse' : 'Expand'} section`,
      }, group.open ? '▾' : '▸'));
      const title = h('span', { class: 'ln-title' });
      this.fillText(title, data.lines[line].slice('##[group]'.length));
      body.appendChild(title);
    } else if (LABELS[kind]) {
      body.appendChild(h('span', { class: 'ln-label' }, LABELS[kind]));
      this.fillText(body, data.lines[line].slice(MARKERS[kind - 1][0].length));
    } else if (kind === KIND.command) {
      this.fillText(body, data.lines[line].slice('##[command]'.length));
    } else {
      this.fillText(body, data.lines[line]);
    }
    el.appendChild(body);
    return el;
  }

  fillText(into, line) {
    const segments = parse(line);
    const q = this.query;
    if (!q) {
      for (const seg of segments) into.appendChild(styled(seg.text, seg.style));
      return;
    }
    const full = segments.map((s) => s.text).join('');
    const lower = full.toLowerCase();
    const ranges = [];
    for (let at = lower.indexOf(q); at >= 0; at = lower.indexOf(q, at + q.length)) ranges.push([at, at + q.length]);
    if (!ranges.length) {
      for (const seg of segments) into.appendChild(styled(seg.text, seg.style));
      return;
    }
    let offset = 0;
    let r = 0;
    for (const seg of segments) {
      const end = offset + seg.text.length;
      let pos = offset;
      while (pos < end) {
        while (r < ranges.length && ranges[r][1] <= pos) r++;
        const range = ranges[r];
        if (!range || range[0] >= end) {
          into.appendChild(styled(seg.text.slice(pos - offset), seg.style));
          pos = end;
        } else if (range[0] > pos) {
          into.appendChild(styled(seg.text.slice(pos - offset, range[0] - offset), seg.style));
          pos = range[0];
        } else {
          const stop = Math.min(range[1], end);
          const mark = h('mark');
          mark.appendChild(styled(seg.text.slice(pos - offset, stop - offset), seg.style));
          into.appendChild(mark);
          pos = stop;
        }
      }
      offset = end;
    }
  }

  // -- interaction ---------------------------------------------------------------
  onScroll() {
    const s = this.scroller;
    this.follow = s.scrollTop + s.clientHeight >= s.scrollHeight - this.lineHeight;
    this.schedule();
  }

  onClick(event) {
    const fold = event.target.closest('[data-fold]');
    const row = event.target.closest('.ln');
    if (fold || (row && row.classList.contains('ln-group') && !event.target.closest('.ln-no'))) {
      const line = Number((fold || row).getAttribute(fold ? 'data-fold' : 'data-line'));
      this.toggleGroup(line);
      return;
    }
    const link = event.target.closest('[data-line-link]');
    if (link) {
      event.preventDefault();
      this.select(Number(link.getAttribute('data-line-link')));
    }
  }

  onKey(event) {
    if (event.key === 'End' && !event.ctrlKey) {
      event.preventDefault();
      this.scrollToEnd();
    } else if (event.key === 'Home' && !event.ctrlKey) {
      event.preventDefault();
      this.follow = false;
      this.scroller.scrollTop = 0;
    } else if ((event.key === 'f' && (event.ctrlKey || event.metaKey)) || event.key === '/') {
      event.preventDefault();
      this.searchInput.focus();
    }
  }

  select(line) {
    this.selected = line;
    this.onSelectLine(line);
    this.schedule();
  }

  toggleGroup(line) {
    const group = this.data.groups.get(line);
    if (!group) return;
    group.open = !group.open;
    this.rebuildRows();
    this.schedule();
  }

  toggleAll() {
    const open = [...this.data.groups.values()].some((g) => !g.open);
    for (const group of this.data.groups.values()) group.open = open;
    this.rebuildRows();
    this.schedule();
  }

  updateFoldButton() {
    const groups = this.data ? [...this.data.groups.values()] : [];
    this.foldButton.hidden = groups.length === 0;
    this.foldButton.textContent = groups.some((g) => !g.open) ? 'Expand all' : 'Collapse all';
  }

  setTimestamps(on) {
    this.timestamps = on;
    this.timestampBox.checked = on;
    this.el.classList.toggle('with-ts', on);
    this.schedule();
  }

  scrollToEnd() {
    this.follow = true;
    this.stickToEnd();
    this.schedule();
  }

  stickToEnd() {
    this.spacer.style.height = `${this.rows.length * this.lineHeight}px`;
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Make line visible (unfolding its group) and scroll it to the middle. */
  reveal(line, { select = false } = {}) {
    const data = this.data;
    if (!data || line < 0 || line >= data.length) return false;
    const owner = data.kinds[line] === KIND.group ? -1 : data.owner[line];
    if (owner >= 0 && !data.groups.get(owner).open) {
      data.groups.get(owner).open = true;
      this.rebuildRows();
    }
    let row = this.rowOf(line);
    if (row < 0) row = this.rowOf(owner);
    if (row < 0) return false;
    this.follow = false;
    this.spacer.style.height = `${this.rows.length * this.lineHeight}px`;
    const height = this.scroller.clientHeight || 400;
    this.scroller.scrollTop = Math.max(0, row * this.lineHeight - height / 2 + this.lineHeight);
    if (select) this.selected = line;
    this.schedule();
    return true;
  }

  // -- search ---------------------------------------------------------------------
  searchSoon() {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.search(this.searchInput.value), 120);
  }

  searchKey(event) {
    if (event.key === 'Enter') {
      event.preventDefault();
      clearTimeout(this.searchTimer);
      if (this.searchInput.value.toLowerCase() !== this.query) this.search(this.searchInput.value);
      else this.step(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape') {
      this.searchInput.value = '';
      this.search('');
    }
  }

  search(text) {
    this.query = text.toLowerCase();
    this.recomputeMatches();
    if (this.matches.length) {
      this.current = 0;
      this.reveal(this.matches[0]);
    }
    this.updateMatchCount();
    this.schedule();
  }

  recomputeMatches() {
    this.matches = [];
    this.current = -1;
    const q = this.query;
    if (q && this.data) {
      const data = this.data;
      for (let i = 0; i < data.length; i++) {
        if (data.kinds[i] !== KIND.endgroup && data.display(i).toLowerCase().includes(q)) this.matches.push(i);
      }
    }
    this.updateMatchCount();
  }

  step(direction) {
    if (!this.matches.length) return;
    this.current = (this.current + direction + this.matches.length) % this.matches.length;
    this.reveal(this.matches[this.current]);
    this.updateMatchCount();
  }

  updateMatchCount() {
    if (!this.query) this.matchCount.textContent = '';
    else if (!this.matches.length) this.matchCount.textContent = 'No matches';
    else this.matchCount.textContent = `${this.current + 1} / ${this.matches.length}`;
  }
}

function styled(text, style) {
  if (!style) return document.createTextNode(text);
  const span = document.createElement('span');
  styleElement(span, style);
  span.textContent = text;
  return span;
}
