// How times, durations and statuses read on screen.

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 1000) return ms <= 0 ? '0s' : `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hours = Math.floor(m / 60);
  return `${hours}h ${m % 60}m`;
}

/** The duration of something that started at `start` and ends at `end` (or is running). */
export function span(start, end) {
  if (!start) return '';
  return duration((end ?? Date.now()) - start);
}

/** A byte count as people read it: 512 B, 3.4 kB, 41 MB (powers of 1000, like GitHub). */
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${units[unit]}`;
}

export function relative(ms) {
  if (!ms) return '';
  const delta = Date.now() - ms;
  if (delta < 45_000) return 'just now';
  if (delta < 3_600_000) return `${Math.round(delta / 60_000)} min ago`;
  if (delta < 86_400_000) return `${Math.round(delta / 3_600_000)} h ago`;
  const date = new Date(ms);
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: sameYear ? undefined : 'numeric' });
}

export function absolute(ms) {
  return ms ? new Date(ms).toLocaleString() : '';
}

export function clock(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// One word per state, shown with its glyph and colour (never colour alone).
const STATES = {
  success: ['✓', 'Success'],
  failure: ['✕', 'Failed'],
  cancelled: ['⊘', 'Cancelled'],
  skipped: ['↷', 'Skipped'],
  degraded: ['◐', 'Degraded'],
  in_progress: ['', 'In progress'],
  queued: ['○', 'Queued'],
  waiting: ['❙❙', 'Waiting'],
  pending: ['○', 'Pending'],
  cancelling: ['', 'Cancelling'],
};

/** The state a run/job/step shows: its conclusion once completed, else its status. */
export function stateOf(thing) {
  if (!thing) return 'pending';
  if (thing.status === 'completed') return thing.conclusion || 'success';
  return thing.status || 'pending';
}

export function stateLabel(state) {
  return (STATES[state] || ['?', state])[1];
}

export function stateGlyph(state) {
  return (STATES[state] || ['?'])[0];
}

export function isActive(state) {
  return state === 'in_progress' || state === 'queued' || state === 'waiting' || state === 'cancelling';
}
