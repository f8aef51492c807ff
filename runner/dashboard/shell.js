// What every page shares with the app shell: navigation, notices, the document title.

let router = () => {};

export function setRouter(fn) {
  router = fn;
}

/** Go to `url` inside the app (pushState, or replaceState with replace: true). */
export function navigate(url, { replace = false } = {}) {
  const target = new URL(url, location.href);
  if (target.href === location.href && !replace) return;
  if (replace) history.replaceState(null, '', target.href);
  else history.pushState(null, '', target.href);
  router();
}

let noticeTimer = 0;

/** A short message in the notice area (announced to screen readers). */
export function notify(message, kind = 'error') {
  const area = document.getElementById('notice');
  if (!area) return;
  area.replaceChildren();
  const box = document.createElement('div');
  box.className = `notice notice-${kind}`;
  const text = document.createElement('span');
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'btn btn-small btn-quiet';
  close.textContent = 'Dismiss';
  close.addEventListener('click', () => area.replaceChildren());
  box.append(text, close);
  area.appendChild(box);
  clearTimeout(noticeTimer);
  if (kind !== 'error') noticeTimer = setTimeout(() => area.replaceChildren(), 6000);
}

export function setTitle(text) {
  const title = text ? `${text} · stax` : 'stax';
  if (document.title !== title) document.title = title;
}
