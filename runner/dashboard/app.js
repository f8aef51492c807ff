// The dashboard's shell: the router (History API; every route is a deep link the daemon
// answers with index.html), the header (connection state, sign-in), and the clock that
// makes running durations tick.

import { h, patch } from './dom.js';
import { connection, onConnection, onSession, refreshSession, session, signIn, signOut } from './api.js';
import { runPage } from './run.js';
import { runsPage } from './runs.js';
import { skillsPage } from './skills.js';
import { span } from './format.js';
import { notify, setRouter } from './shell.js';

const main = document.getElementById('main');
let page = null;

// Every page the app draws: its path, the key that names it (the same key: the page is
// updated, not drawn anew) and the page.
const ROUTES = [
  { path: /^\/runs\/([^/]+)\/?$/, key: (id) => `run:${id}`, page: (id) => runPage(id) },
  { path: /^\/skills(?:\/.*)?$/, key: () => 'skills', page: () => skillsPage() },
  { path: /^\/?$/, key: () => 'runs', page: () => runsPage() },
];

/** The page `path` shows: {key, open()}; open() gives null for a path no route has. */
function resolve(path) {
  for (const entry of ROUTES) {
    const match = entry.path.exec(path);
    if (match) {
      const args = match.slice(1).map(decodeURIComponent);
      return { key: entry.key(...args), open: () => entry.page(...args) };
    }
  }
  return { key: `missing:${path}`, open: () => null };
}

function route() {
  const { key, open } = resolve(location.pathname);
  if (page && page.key === key) {
    page.update();
    return;
  }
  if (page) page.unmount();
  main.replaceChildren();
  page = open();
  const section = key.split(':')[0];
  for (const link of document.querySelectorAll('[data-nav]')) {
    const current = link.getAttribute('data-nav') === (section === 'run' ? 'runs' : section);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!page) {
    patch(main, h('div', { class: 'empty-state' }, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, '← All runs'))));
    return;
  }
  page.mount(main);
  if (document.activeElement && document.activeElement !== document.body && !main.contains(document.activeElement)) page.focus();
}

setRouter(route);

// Same-origin links navigate inside the app (new tab / modified clicks keep browser behaviour).
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/v1/') || url.pathname.startsWith('/login')) return;
  event.preventDefault();
  const samePage = url.pathname === location.pathname && url.search === location.search;
  history[samePage ? 'replaceState' : 'pushState'](null, '', url.href);
  route();
  if (!samePage) window.scrollTo(0, 0);
});

window.addEventListener('popstate', route);

// -- header: connection and session ----------------------------------------------------
const connEl = document.getElementById('conn');
const CONN_TEXT = { idle: '', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };
function showConnection(state) {
  connEl.textContent = CONN_TEXT[state] || '';
  connEl.className = `conn conn-${state}`;
  connEl.hidden = !CONN_TEXT[state];
}
onConnection(showConnection);
showConnection(connection.state);

const authEl = document.getElementById('auth');
function showSession() {
  if (!session.known) return;
  patch(authEl, session.authenticated
    ? h('span', { class: 'auth-state' }, h('span', { class: 'auth-dot', 'aria-hidden': 'true' }), 'Signed in ', h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-auth': 'out' }, 'Sign out'))
    : h('span', { class: 'auth-state' }, h('span', { class: 'muted' }, 'Read-only '), h('button', { type: 'button', class: 'btn btn-small', 'data-auth': 'in' }, 'Sign in')));
}
onSession(showSession);
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-auth]');
  if (!button) return;
  if (button.getAttribute('data-auth') === 'out') signOut();
  else signInDialog();
});

function signInDialog() {
  const input = h('input', { type: 'password', id: 'token-input', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const error = h('p', { class: 'error-box', role: 'alert', hidden: true });
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'signin-title' },
    h('form', { class: 'dialog-form' },
      h('header', { class: 'dialog-head' }, h('h2', { id: 'signin-title' }, 'Sign in'),
        h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'data-close': '', 'aria-label': 'Close' }, '✕')),
      h('div', { class: 'dialog-body' },
        h('p', null, 'The easiest way: open the login link ', h('code', null, 'stax serve'), ' printed. It works once, in one browser.'),
        h('p', null, 'Or paste the daemon token (the file ', h('code', null, 'token'), ' in the data directory, ', h('code', null, '.stax/token'), ' by default):'),
        h('div', { class: 'field' }, h('label', { for: 'token-input' }, 'Daemon token'), input),
        error,
        h('div', { class: 'dialog-foot' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in')))));
  document.body.appendChild(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog || event.target.closest('[data-close]')) dialog.close();
  });
  dialog.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await signIn(input.value.trim());
      dialog.close();
      notify('Signed in: this browser may now start, cancel and approve runs.', 'info');
    } catch (err) {
      error.hidden = false;
      error.textContent = err.status === 401 ? 'That is not the daemon token.' : err.message;
    }
  });
  dialog.showModal();
}

// -- ticking durations -------------------------------------------------------------------
setInterval(() => {
  for (const el of document.querySelectorAll('[data-tick]')) {
    const text = span(Number(el.getAttribute('data-tick')));
    if (el.textContent !== text) el.textContent = text;
  }
}, 1000);

// -- start -----------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
if (params.get('login') === 'invalid') {
  params.delete('login');
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  notify('That login link is not valid any more (each link works once). Use the newest link `stax serve` printed, or sign in with the daemon token.');
}
refreshSession();
route();
