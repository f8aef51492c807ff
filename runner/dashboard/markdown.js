// Markdown (GitHub's step-summary flavour) -> safe DOM.
//
// Two stages, like the usual "markdown + sanitizer" pair: markdownToHtml() turns the
// Markdown into an HTML string, escaping all text but letting raw HTML tags through (step
// summaries use <details>, <br>, tables...); sanitize() then parses that string with a
// DOMParser (which runs no script) and rebuilds it with fresh elements, keeping only the
// tags and attributes on an allowlist and links whose scheme is http(s), mailto or
// relative. Nothing parsed is ever inserted as is, so no markup can execute.

const ALLOWED = {
  a: ['href', 'title'], abbr: ['title'], b: [], blockquote: [], br: [], code: [], dd: [], del: [],
  details: ['open'], div: [], dl: [], dt: [], em: [], h1: [], h2: [], h3: [], h4: [], h5: [],
  h6: [], hr: [], i: [], ins: [], kbd: [], li: [], mark: [], ol: ['start'], p: [], pre: [],
  q: [], s: [], samp: [], small: [], span: [], strike: [], strong: [], sub: [], summary: [],
  sup: [], table: [], tbody: [], td: ['align', 'colspan', 'rowspan'], tfoot: [],
  th: ['align', 'colspan', 'rowspan'], thead: [], tr: [], tt: [], u: [], ul: [], var: [],
  input: ['type', 'checked', 'disabled'],
};
const DROP_WITH_CONTENT = new Set(['script', 'style', 'template', 'iframe', 'object', 'embed', 'noscript', 'textarea', 'select', 'title', 'svg', 'math']);

function escape(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// -- inline --------------------------------------------------------------------
const RAW_TAG = /^<\/?[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>/;

function inline(source) {
  let out = '';
  let i = 0;
  let buffer = '';
  const flush = () => {
    out += emphasis(escape(buffer));
    buffer = '';
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\\' && i + 1 < source.length && /[\\`*_{}[\]()#+\-.!|~<>]/.test(source[i + 1])) {
      flush();
      out += escape(source[i + 1]);
      i += 2;
      continue;
    }
    if (ch === '`') {
      const ticks = /^`+/.exec(source.slice(i))[0];
      const end = source.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        flush();
        out += `<code>${escape(source.slice(i + ticks.length, end).replace(/^ (.*) $/, '$1'))}</code>`;
        i = end + ticks.length;
        continue;
      }
    }
    if (ch === '<') {
      const auto = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/.exec(source.slice(i));
      if (auto) {
        flush();
        out += `<a href="${escape(auto[1])}">${escape(auto[1])}</a>`;
        i += auto[0].length;
        continue;
      }
      const tag = RAW_TAG.exec(source.slice(i));
      if (tag) {
        flush();
        out += cleanTag(tag[0]); // and sanitize() checks it again
        i += tag[0].length;
        continue;
      }
    }
    if (ch === '!' || ch === '[') {
      const link = /^(!?)\[((?:[^\[\]\\]|\\.)*)\]\(\s*<?([^\s()<>]*(?:\([^\s()]*\))?[^\s()<>]*)>?(?:\s+"([^"]*)")?\s*\)/.exec(source.slice(i));
      if (link) {
        flush();
        const [whole, bang, label, href, title] = link;
        const titleAttr = title ? ` title="${escape(title)}"` : '';
        // Images would load from anywhere: show them as links instead.
        const body = bang ? `🖼 ${inline(label || href)}` : inline(label);
        out += `<a href="${escape(href)}"${titleAttr}>${body}</a>`;
        i += whole.length;
        continue;
      }
    }
    buffer += ch;
    i += 1;
  }
  flush();
  return out;
}

const TAG_PARTS = /^<(\/?)([A-Za-z][A-Za-z0-9-]*)([\s\S]*?)\/?>$/;
const ATTRIBUTE = /([A-Za-z_:][\w:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** A raw tag rebuilt with only its allowed attributes (so no style or on* attribute ever
 * reaches the parser, whose CSP check would complain even though nothing would run). */
function cleanTag(raw) {
  const [, closing, name, rest] = TAG_PARTS.exec(raw);
  const tag = name.toLowerCase();
  if (closing) return `</${tag}>`;
  const allowed = Object.hasOwn(ALLOWED, tag) ? ALLOWED[tag] : [];
  let attributes = '';
  for (const m of rest.matchAll(ATTRIBUTE)) {
    const attribute = m[1].toLowerCase();
    if (!allowed.includes(attribute)) continue;
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    attributes += ` ${attribute}="${escape(value)}"`;
  }
  return `<${tag}${attributes}>`;
}

function emphasis(html) {
  return html
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '<strong>$2</strong>')
    .replace(/(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?!\*)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, '$1<em>$2</em>')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>')
    .replace(/(^|[\s(])((?:https?:\/\/)[^\s<>"']*[^\s<>"'.,;:!?)])/g, '$1<a href="$2">$2</a>')
    .replace(/ {2,}\n/g, '<br>\n');
}

// -- blocks --------------------------------------------------------------------
function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

const TABLE_SEP = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

export function markdownToHtml(source) {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  return blocks(lines);
}

function blocks(lines) {
  let out = '';
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      out += `<pre><code>${escape(body.join('\n'))}</code></pre>\n`;
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      out += `<h${level}>${inline(heading[2])}</h${level}>\n`;
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out += '<hr>\n';
      i++;
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s{0,3}> ?/, ''));
      out += `<blockquote>${blocks(quoted)}</blockquote>\n`;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const head = splitRow(line);
      const aligns = splitRow(lines[i + 1]).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : ''));
      i += 2;
      const cell = (tag, text, k) => `<${tag}${aligns[k] ? ` align="${aligns[k]}"` : ''}>${inline(text ?? '')}</${tag}>`;
      let table = `<table><thead><tr>${head.map((c, k) => cell('th', c, k)).join('')}</tr></thead><tbody>`;
      while (i < lines.length && lines[i].trim() !== '' && lines[i].includes('|')) {
        const cells = splitRow(lines[i++]);
        table += `<tr>${head.map((_, k) => cell('td', cells[k], k)).join('')}</tr>`;
      }
      out += `${table}</tbody></table>\n`;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const indent = item[1].length;
      const ordered = /\d/.test(item[2]);
      const start = ordered ? parseInt(item[2], 10) : 1;
      let html = '';
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]);
        if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
        const body = [m[3]];
        i++;
        while (i < lines.length && lines[i].trim() !== '' && !(LIST_ITEM.exec(lines[i]) && LIST_ITEM.exec(lines[i])[1].length <= indent)) {
          body.push(lines[i++].replace(new RegExp(`^\\s{0,${indent + 4}}`), ''));
        }
        const task = /^\[([ xX])\]\s+(.*)$/.exec(body[0]);
        let first = body[0];
        let box = '';
        if (task) {
          box = `<input type="checkbox" disabled${task[1] === ' ' ? '' : ' checked'}> `;
          first = task[2];
        }
        const rest = body.slice(1);
        const nested = rest.length ? blocks(rest) : '';
        html += `<li>${box}${inline(first)}${nested}</li>`;
        while (i < lines.length && lines[i].trim() === '' && i + 1 < lines.length && LIST_ITEM.exec(lines[i + 1])?.[1].length === indent) i++;
      }
      out += ordered ? `<ol${start !== 1 ? ` start="${start}"` : ''}>${html}</ol>\n` : `<ul>${html}</ul>\n`;
      continue;
    }
    if (/^\s*<\/?[A-Za-z][\w-]*[\s>/]/.test(line) || /^\s*<\/?[A-Za-z][\w-]*$/.test(line)) {
      // An HTML block runs to the next blank line; its text still goes through inline().
      const raw = [];
      while (i < lines.length && lines[i].trim() !== '') raw.push(lines[i++]);
      out += `${inline(raw.join('\n'))}\n`;
      continue;
    }
    const para = [];
    while (
      i < lines.length && lines[i].trim() !== '' && !/^\s*(`{3,}|~{3,}|#{1,6}\s|>)/.test(lines[i]) &&
      !(para.length && LIST_ITEM.test(lines[i]))
    ) para.push(lines[i++]);
    out += `<p>${inline(para.join('\n'))}</p>\n`;
  }
  return out;
}

// -- sanitize ------------------------------------------------------------------
function safeHref(value) {
  const href = value.trim();
  if (/^(https?:|mailto:)/i.test(href)) return href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return null; // javascript:, data:, ...
  return href; // relative: stays on this origin
}

function rebuild(node, into) {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      into.appendChild(document.createTextNode(child.data));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = child.localName;
    if (DROP_WITH_CONTENT.has(tag)) continue;
    const allowed = Object.hasOwn(ALLOWED, tag) ? ALLOWED[tag] : null;
    if (allowed === null) {
      rebuild(child, into); // unknown tag: keep its text
      continue;
    }
    if (tag === 'input' && child.getAttribute('type') !== 'checkbox') continue;
    const el = document.createElement(tag);
    for (const name of allowed) {
      if (!child.hasAttribute(name)) continue;
      let value = child.getAttribute(name);
      if (name === 'href') {
        value = safeHref(value);
        if (value === null) continue;
      }
      el.setAttribute(name, value);
    }
    if (tag === 'a') {
      el.setAttribute('rel', 'noopener noreferrer nofollow');
      if (/^https?:/i.test(el.getAttribute('href') || '')) el.setAttribute('target', '_blank');
    }
    if (tag === 'input') el.setAttribute('disabled', '');
    rebuild(child, el);
    into.appendChild(el);
  }
}

export function sanitize(html) {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  const fragment = document.createDocumentFragment();
  rebuild(doc.body, fragment);
  return fragment;
}

/** Markdown -> a DocumentFragment that is safe to insert. */
export function renderMarkdown(source) {
  return sanitize(markdownToHtml(source || ''));
}
