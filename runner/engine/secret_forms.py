"""The forms a secret takes once a step encodes it, which the masker hides too.

GitHub's runner masks each secret through a set of value encoders; these are the same
forms, computed here:

* base64 — of the value, and of the value as it reads inside a longer text, so that
  `base64("user:" + password)` is caught. Base64 turns each 3 bytes into 4 digits, so
  how a value's bytes come out depends on where it starts in the encoded text: at a
  multiple of 3 bytes, or 1 or 2 bytes past one. For each of the three offsets, the
  value is encoded behind that many filler bytes, then cut at both ends: at the front,
  the digits that hold filler bits; at the back, the last digit when it holds only part
  of a byte (the bits after it belong to whatever follows the value), and the `=`
  padding. What is left is what the value always encodes to at that offset, whatever
  surrounds it. The URL-safe alphabet (`-_` for `+/`) too. Fragments shorter than
  4 digits are not masked: any base64 text holds them by chance.
* JSON-escaped (as `toJSON(secrets)` writes it; also with non-ASCII escaped as
  `\\uXXXX`, as Python writes it), URI-escaped (`%20` as in a URL, by .NET's,
  JavaScript's and Python's rules of what to keep, and `+` for a space as in a form
  body), XML-escaped (all five of `&<>"'`, as the runner
  escapes them, or `&<>` only, as an element's text is written);
* a command line's `\\"` and an expression's `''` escapes;
* the value without the double quotes around it (longer than 8 characters, as GitHub).

A multi-line secret is masked whole and line by line (the masker's concern); each of
those gets its forms.
"""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

from runner import json_text

MIN_BASE64_FRAGMENT = 4
# What URI escapes keep besides letters and digits: RFC 3986's unreserved marks (.NET's
# Uri.EscapeDataString, the runner's), JavaScript's encodeURIComponent, and a path's
# `/` too (Python's urllib.parse.quote by default).
_URI_KEPT = ("-_.~", "-_.!~*'()", "-_.~/")
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})  # an element's text
_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def secret_forms(value: str) -> set[str]:
    """`value` and every encoded form of it worth masking (blank ones left out)."""
    forms = {value, *_base64_fragments(value)}
    forms.add(json_text.dumps(value, ascii=False)[1:-1])
    forms.add(json_text.dumps(value)[1:-1])
    for safe in _URI_KEPT:
        forms.add(quote(value, safe=safe, errors="surrogatepass"))
    forms.add(quote_plus(value, safe=_URI_KEPT[0], errors="surrogatepass"))
    forms.add(value.translate(_XML))
    forms.add(value.translate(_XML_TEXT))
    forms.add(value.replace('"', '\\"'))
    forms.add(value.replace("'", "''"))
    if len(value) > 8 and value.startswith('"') and value.endswith('"'):
        forms.add(value[1:-1])
    return {form for form in forms if form.strip()}


def _base64_fragments(value: str) -> list[str]:
    data = value.encode("utf-8", "surrogatepass")
    fragments = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
        front = -(-offset * 8 // 6)  # digits holding filler bits
        back = (offset + len(data)) * 8 // 6  # digits made of whole bits only
        fragment = encoded[front:back]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            fragments.append(fragment)
            fragments.append(fragment.replace("+", "-").replace("/", "_"))
    return fragments
