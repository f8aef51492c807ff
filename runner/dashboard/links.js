// The app's URLs, built in one place: every id in them is encoded (a run or job id may
// hold characters a URL gives meaning to, such as `/`, `?`, `#` or `%`).

/** A run's page: /runs/<id>, or one of its jobs (?job=), a step's log (&step=) and a
 * line of it (#L<n>, 0-based `line`). */
export function runHref(runId, { job = null, step = null, line = -1 } = {}) {
  let href = `/runs/${encodeURIComponent(runId)}`;
  if (job !== null) href += `?job=${encodeURIComponent(job)}`;
  if (job !== null && step !== null) href += `&step=${encodeURIComponent(step)}`;
  if (line >= 0) href += `#L${line + 1}`;
  return href;
}

/** A run's REST path: runApi(id) is /api/runs/<id>; runApi(id, 'jobs', job, 'approve')
 * is /api/runs/<id>/jobs/<job>/approve. */
export function runApi(runId, ...below) {
  return ['/api/runs', runId, ...below].map((part, i) => (i ? encodeURIComponent(part) : part)).join('/');
}
