// DOM helpers: h() builds elements, morph() patches a live tree into the shape of a new one.
//
// Pages render their whole view with h() into a detached element and morph() it into the
// document: only what differs is touched, so focus, scroll positions and text selections
// survive the many re-renders a live run causes. Handlers are delegated (data-action
// attributes) because morph copies attributes, never listeners. An element marked
// data-morph="skip" is left alone below itself (the log view owns its own DOM).

const SVG_NS = 'http://www.w3.org/2000/svg';

export function h(tag, props, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  let value_ = null;
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'value' && !svg) { value_ = String(value); continue; }
      if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
      else if (key === 'style') Object.assign(el.style, value);
      else if (key === 'checked' && !svg) { el.checked = !!value; el.setAttribute('checked', ''); }
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  if (value_ !== null) {
    el.value = value_;
    if (tag !== 'select' && tag !== 'textarea') el.setAttribute('value', value_);
  }
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function text(value) {
  return document.createTextNode(String(value));
}

// -- morph ----------------------------------------------------------------------
export function morph(live, next) {
  if (live.nodeType !== next.nodeType || live.nodeName !== next.nodeName) {
    live.replaceWith(next);
    return next;
  }
  if (live.nodeType === Node.TEXT_NODE || live.nodeType === Node.COMMENT_NODE) {
    if (live.data !== next.data) live.data = next.data;
    return live;
  }
  syncAttributes(live, next);
  syncFormState(live, next);
  if (live.getAttribute('data-morph') !== 'skip') morphChildren(live, next);
  return live;
}

/** Replace the children of `container` by `children`, morphing what is already there. */
export function patch(container, ...children) {
  const next = container.cloneNode(false);
  append(next, children);
  morphChildren(container, next);
}

function syncAttributes(live, next) {
  for (const { name } of [...live.attributes]) {
    if (!next.hasAttribute(name)) live.removeAttribute(name);
  }
  for (const { name, value } of next.attributes) {
    if (live.getAttribute(name) === value) continue;
    // The Content-Security-Policy forbids style attributes; CSSOM writes are allowed.
    if (name === 'style') live.style.cssText = next.style.cssText;
    else live.setAttribute(name, value);
  }
}

function syncFormState(live, next) {
  const tag = live.nodeName;
  if (tag !== 'INPUT' && tag !== 'SELECT' && tag !== 'TEXTAREA') return;
  if (live === document.activeElement) return; // never fight the user's typing
  if (live.type === 'checkbox' || live.type === 'radio') live.checked = next.checked;
  else if (live.value !== next.value) live.value = next.value;
}

function sameKind(a, b) {
  if (a.nodeType !== b.nodeType) return false;
  if (a.nodeType !== Node.ELEMENT_NODE) return true;
  return a.nodeName === b.nodeName && !a.hasAttribute('data-key');
}

function morphChildren(live, next) {
  const keyed = new Map();
  for (const child of live.children) {
    const key = child.getAttribute('data-key');
    if (key !== null) keyed.set(key, child);
  }
  let cursor = live.firstChild;
  for (const wanted of [...next.childNodes]) {
    const key = wanted.nodeType === Node.ELEMENT_NODE ? wanted.getAttribute('data-key') : null;
    let match = null;
    if (key !== null) {
      match = keyed.get(key) ?? null;
      if (match && match.nodeName !== wanted.nodeName) match = null;
      if (match) keyed.delete(key);
    } else if (cursor && sameKind(cursor, wanted)) {
      match = cursor;
    }
    if (match === null) {
      live.insertBefore(wanted, cursor);
      continue;
    }
    if (match === cursor) cursor = cursor.nextSibling;
    else live.insertBefore(match, cursor);
    morph(match, wanted);
  }
  while (cursor) {
    const following = cursor.nextSibling;
    live.removeChild(cursor);
    cursor = following;
  }
}

/** Rendering at most once per animation frame: `schedule()` asks for a render (many
 * calls before the next frame give one), `cancel()` drops the one asked for. */
export function frameScheduler(render) {
  let frame = 0;
  return {
    schedule() {
      if (!frame) frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
    },
    cancel() {
      cancelAnimationFrame(frame);
      frame = 0;
    },
  };
}

/** The read-only explanation, referenced by every disabled action (aria-describedby). */
export function readOnlyNote() {
  return h('p', { class: 'ro-note', id: 'ro-note' },
    h('strong', null, 'Read-only. '), 'To start, cancel or approve runs, open the login link ',
    h('code', null, 'stax serve'), ' printed, or ', h('button', { type: 'button', class: 'linklike', 'data-auth': 'in' }, 'sign in'),
    ' with the daemon token.');
}
