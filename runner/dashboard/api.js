// Talking to the daemon: JSON over fetch, the session (may this browser mutate?), one
// EventSource per page.

export class ApiError extends Error {
  constructor(status, message, type) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export async function api(path, { method = 'GET', body, headers, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal, credentials: 'same-origin' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'the daemon is not reachable', 'network');
  }
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = payload && payload.error;
    const message = (error && (error.message || error)) || payload?.detail || payload?.message || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, typeof message === 'string' ? message : JSON.stringify(message), error?.type);
  }
  return payload;
}

// -- the session ------------------------------------------------------------------
const listeners = new Set();
export const session = { known: false, authenticated: false, via: null };

export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setSession(value) {
  Object.assign(session, { known: true, authenticated: !!value.authenticated, via: value.via ?? null });
  for (const fn of listeners) fn(session);
}

export async function refreshSession() {
  try {
    setSession(await api('/api/session'));
  } catch {
    setSession({ authenticated: false, via: null });
  }
  return session;
}

export async function signIn(token) {
  setSession(await api('/api/session', { method: 'POST', headers: { 'x-api-key': token } }));
}

export async function signOut() {
  try {
    await api('/api/session', { method: 'DELETE' });
  } finally {
    setSession({ authenticated: false, via: null });
  }
}

export const READ_ONLY_REASON =
  'Read-only: to start, cancel or approve runs, open the login link that stax serve printed, or sign in with the daemon token.';

// -- the page's one EventSource ---------------------------------------------------
// Browsers cap connections per origin, so a page holds exactly one stream; opening a new
// one closes the previous. On a network error the browser reconnects by itself and sends
// Last-Event-ID; if it gives up (an HTTP error), we reopen with ?lastEventId= ourselves.
let current = null;
const stateListeners = new Set();
export const connection = { state: 'idle' };

export function onConnection(fn) {
  stateListeners.add(fn);
  return () => stateListeners.delete(fn);
}

function setConnection(state) {
  if (connection.state === state) return;
  connection.state = state;
  for (const fn of stateListeners) fn(state);
}

export function closeStream() {
  if (current) {
    current.close();
    current = null;
  }
  setConnection('idle');
}

/**
 * Open the page's stream. `handlers` maps event names to fn(data, id). `url(lastId)` builds
 * the URL for a (re)start after `lastId` (null on the first open).
 */
export function openStream(url, handlers, { firstId = null } = {}) {
  closeStream();
  const stream = { lastId: firstId, source: null, retry: null, closed: false, close };
  function close() {
    stream.closed = true;
    clearTimeout(stream.retry);
    if (stream.source) stream.source.close();
  }
  function start() {
    const source = new EventSource(url(stream.lastId));
    stream.source = source;
    setConnection('connecting');
    source.onopen = () => setConnection('live');
    source.onerror = () => {
      if (stream.closed) return;
      if (source.readyState === EventSource.CLOSED) {
        setConnection('offline');
        stream.retry = setTimeout(start, 2000);
      } else {
        setConnection('reconnecting');
      }
    };
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        if (stream.closed) return;
        if (event.lastEventId) stream.lastId = event.lastEventId;
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handler(data, event.lastEventId);
      });
    }
  }
  start();
  current = stream;
  return stream;
}
