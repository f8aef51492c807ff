// Markdown (GitHub's step-summary flavour) -> safe DOM, by two maintained libraries,
// vendored as ES modules from npm with their licenses (vendor/README.md), so the
// dashboard needs no network: marked turns GFM (tables, task lists, strikethrough, raw
// HTML such as <details>) into HTML, and DOMPurify sanitizes that HTML into a
// DocumentFragment, which is inserted as is (never serialized and parsed again).
//
// On top of DOMPurify's defaults: only the tags and attributes below; links keep
// http(s), mailto and relative targets (DOMPurify's URI rules) and open external pages
// with rel="noopener noreferrer nofollow"; an image becomes a link to it (a summary
// must not make the browser fetch anything); an <input> is a disabled checkbox.

import { Marked } from './vendor/marked.esm.js';
import createDOMPurify from './vendor/purify.es.mjs';

const TAGS = [
  'a', 'abbr', 'b', 'blockquote', 'br', 'code', 'dd', 'del', 'details', 'div', 'dl', 'dt',
  'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'input', 'ins', 'kbd', 'li', 'mark',
  'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'summary',
  'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul', 'var',
];
const ATTRIBUTES = ['href', 'title', 'open', 'start', 'align', 'colspan', 'rowspan', 'type', 'checked', 'disabled'];

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    image({ href, text }) {
      return `<a href="${escapeAttribute(href)}">${escapeText(text || href)}</a>`;
    },
  },
});

const purify = createDOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    if (/^https?:/i.test(node.getAttribute('href') || '')) node.setAttribute('target', '_blank');
  } else if (node.nodeName === 'INPUT') {
    if (node.getAttribute('type') !== 'checkbox') node.remove();
    else node.setAttribute('disabled', '');
  }
});

const PURIFY_CONFIG = {
  ALLOWED_TAGS: TAGS,
  ALLOWED_ATTR: ATTRIBUTES,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

function escapeText(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text) {
  return escapeText(text).replace(/"/g, '&quot;');
}

/** Markdown -> a DocumentFragment that is safe to insert. */
export function renderMarkdown(source) {
  return purify.sanitize(marked.parse(source || ''), PURIFY_CONFIG);
}
