// ANSI escape sequences -> styled segments. Only SGR (colours, bold, ...) is drawn;
// other control sequences are dropped. Each log line is parsed on its own: a line is
// the unit of virtualised rendering, so no style state crosses lines (as in hosted CI).

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]?/g;

const PALETTE_256 = (() => {
  const out = [];
  const levels = [0, 95, 135, 175, 215, 255];
  for (let r = 0; r < 6; r++) for (let g = 0; g < 6; g++) for (let b = 0; b < 6; b++) out.push(rgb(levels[r], levels[g], levels[b]));
  for (let i = 0; i < 24; i++) {
    const v = 8 + i * 10;
    out.push(rgb(v, v, v));
  }
  return out;
})();

function rgb(r, g, b) {
  return `rgb(${r}, ${g}, ${b})`;
}

/** What a line shows when a terminal draws it: the text after its last carriage return. */
export function visibleText(line) {
  if (line.indexOf('\r') < 0) return line;
  const parts = line.split('\r');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '') return parts[i];
  return '';
}

/** The line without escape sequences (what search matches and copy gives). */
export function plain(line) {
  const text = visibleText(line);
  return text.indexOf('\x1b') < 0 ? text : text.replace(ESCAPES, '');
}

/**
 * [{text, fg, bg, bold, dim, italic, underline, strike}] for one line. fg/bg are a
 * palette index 0..15 (themed in CSS), a CSS colour string, or null.
 */
export function parse(line) {
  const text = visibleText(line);
  if (text.indexOf('\x1b') < 0) return [{ text, style: null }];
  const segments = [];
  let style = {};
  let last = 0;
  ESCAPES.lastIndex = 0;
  for (let m = ESCAPES.exec(text); m; m = ESCAPES.exec(text)) {
    if (m.index > last) segments.push({ text: text.slice(last, m.index), style });
    last = ESCAPES.lastIndex;
    if (m[2] === 'm') style = applySgr(style, m[1]);
    if (m[0] === '') ESCAPES.lastIndex++;
  }
  if (last < text.length) segments.push({ text: text.slice(last), style });
  return segments.map((s) => ({ text: s.text, style: isPlain(s.style) ? null : s.style }));
}

function isPlain(style) {
  for (const key in style) if (style[key] !== null && style[key] !== false && style[key] !== undefined) return false;
  return true;
}

function applySgr(previous, params) {
  const style = { ...previous };
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) for (const key of Object.keys(style)) delete style[key];
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 7) style.inverse = true;
    else if (code === 9) style.strike = true;
    else if (code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code === 27) style.inverse = false;
    else if (code === 29) style.strike = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 49) style.bg = null;
    else if (code === 38 || code === 48) {
      const key = code === 38 ? 'fg' : 'bg';
      if (codes[i + 1] === 5 && i + 2 < codes.length) {
        const n = codes[i + 2];
        style[key] = n < 16 ? n : PALETTE_256[n - 16] ?? null;
        i += 2;
      } else if (codes[i + 1] === 2 && i + 4 < codes.length) {
        const [r, g, b] = codes.slice(i + 2, i + 5).map((v) => Math.max(0, Math.min(255, v)));
        style[key] = rgb(r, g, b);
        i += 4;
      }
    }
  }
  return style;
}

/** Apply a segment's style to an element (classes for the 16 themed colours, CSSOM else). */
export function styleElement(el, style) {
  let fg = style.fg;
  let bg = style.bg;
  if (style.inverse) {
    [fg, bg] = [bg ?? 'inv-fg', fg ?? 'inv-bg'];
  }
  const classes = [];
  if (typeof fg === 'number') classes.push(`ansi-f${fg}`);
  else if (fg === 'inv-fg') classes.push('ansi-inv-fg');
  else if (fg) el.style.color = fg;
  if (typeof bg === 'number') classes.push(`ansi-b${bg}`);
  else if (bg === 'inv-bg') classes.push('ansi-inv-bg');
  else if (bg) el.style.backgroundColor = bg;
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  if (style.strike) classes.push('ansi-strike');
  if (classes.length) el.className = classes.join(' ');
}
