"""A secret is masked in the forms a step may encode it in, as GitHub's runner masks it:
base64 (also inside a longer text: `base64("user:" + pass)`), JSON, URI, XML, command
line and expression escapes, without its quotes, line by line."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from hypothesis import given
from hypothesis import strategies as st

from runner.engine.masking import MASK, Masker
from runner.engine.secret_forms import MIN_BASE64_FRAGMENT, secret_forms

if TYPE_CHECKING:
    from tests.engine.conftest import Runner

SECRET = 'p@ss "w0rd" & <más>'


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_each_encoded_form_is_masked() -> None:
    masker = Masker([SECRET])
    raw = SECRET.encode()
    encoded = {
        "base64": b64(raw),
        "base64 of user:pass": b64(b"user:" + raw),
        "base64 behind 1 byte": b64(b"u" + raw),
        "base64 with echo's newline": b64(raw + b"\n"),
        "url-safe base64": base64.urlsafe_b64encode(b"ab" + raw).decode(),
        "JSON": json.dumps({"pass": SECRET}, ensure_ascii=False),
        "JSON, ASCII": json.dumps({"pass": SECRET}),
        "URI": "https://x/?p=" + quote(SECRET, safe="-_.~"),
        "form body": "p=" + quote_plus(SECRET, safe="-_.~"),
        "XML text": "<p>" + xml_escape(SECRET) + "</p>",
        "XML attribute": "<p v=" + quoteattr(SECRET) + "/>",
        "command line": 'docker run -e "P=' + SECRET.replace('"', '\\"') + '"',
        "expression": "format('" + SECRET.replace("'", "''") + "')",
    }
    for name, text in encoded.items():
        masked = masker.mask(text)
        assert MASK in masked, name
        for form in secret_forms(SECRET):
            assert form not in masked, (name, form)


def test_quotes_around_a_secret_are_trimmed_and_lines_masked_one_by_one() -> None:
    masker = Masker(['"quoted-secret-value"', "first-line\nsecond-line"])
    assert masker.mask("v=quoted-secret-value;") == f"v={MASK};"
    assert masker.mask("[first-line]") == f"[{MASK}]"
    assert masker.mask(json.dumps("first-line\nsecond-line")) == f'"{MASK}"'
    assert masker.mask(b64(b"second-line\n")) != b64(b"second-line\n")


@given(
    secret=st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s),
    before=st.binary(max_size=8),
    after=st.binary(max_size=8),
)
def test_base64_of_a_secret_inside_any_bytes_is_masked(
    secret: str, before: bytes, after: bytes
) -> None:
    """Whatever comes before and after it, the base64 of a text holding the secret holds
    the fragment for its offset, and masking takes it away."""
    raw = secret.encode("utf-8", "surrogatepass")
    encoded = b64(before + raw + after)
    offset = len(before) % 3
    fragment = b64(bytes(offset) + raw)[-(-offset * 8 // 6) : (offset + len(raw)) * 8 // 6]
    assert fragment in encoded
    if len(fragment) >= MIN_BASE64_FRAGMENT:
        assert fragment not in Masker([secret]).mask(encoded)


def test_a_short_secret_masks_correctly_and_fast() -> None:
    """GitHub has no minimum length: a one-character secret is masked wherever it is, and
    its base64 fragments (too short to tell from chance) are not added."""
    masker = Masker(["u"])
    assert masker.mask("user run") == "***ser r***n"
    assert masker.mask("dQ== d") == "dQ== d"
    lines = [f"line {i} of output, quite usual" for i in range(20_000)]
    started = time.perf_counter()
    masked = masker.mask_lines(lines)
    assert time.perf_counter() - started < 1.0
    assert masked[3] == "line 3 of o***tp***t, q***ite ***s***al"


def test_a_lone_surrogate_in_a_secret_or_a_text_is_masked_all_the_same() -> None:
    masker = Masker(["sec\ud800ret"])
    assert masker.mask("a sec\ud800ret b") == f"a {MASK} b"
    assert Masker(["secret"]).mask("\udfff secret") == f"\udfff {MASK}"


async def test_encoded_secrets_appear_in_no_event(run_steps: Runner) -> None:
    result = await run_steps(
        """
        - run: |
            printf '%s' "user:$PASS" | base64
            echo "$PASS" | base64
            echo '${{ toJSON(secrets) }}'
            python3 -c "import os, urllib.parse as u; print(u.quote(os.environ['PASS']))"
            python3 -c "import os, urllib.parse as u; print(u.quote_plus(os.environ['PASS']))"
          env:
            PASS: ${{ secrets.PASS }}
        """,
        secrets={"PASS": "hunter2 & co/ñ"},
    )
    text = result.all_json()
    for form in secret_forms("hunter2 & co/ñ"):
        assert form not in text, form
    out = result.output("j", 1)
    assert out[0].startswith("dXNlcjp")  # "user:" stays readable
    assert MASK in out[0]
    assert MASK in out[1]
    assert '  "PASS": "***"' in out
    assert out[-2:] == [MASK, MASK]


PARTS = st.lists(st.sampled_from(["a", "b", "YWJ", "\n", " ", "é", "S0", "S1"]), max_size=80)


def check_alike(secrets: list[str], parts: list[str]) -> Masker:
    text = "".join(secrets[int(p[1]) % len(secrets)] if p.startswith("S") else p for p in parts)
    text = (text + "|") * 40  # past the length from which RE2 searches
    both, alone = Masker(secrets), Masker(secrets)
    alone.mask("compile")
    alone._re2, alone._re2_replaces = None, False
    assert both.mask(text) == alone.mask(text)
    assert both.mask_lines(text.split("\n")) == alone.mask_lines(text.split("\n"))
    return both


@given(secrets=st.lists(st.text("ab\"'&", min_size=1, max_size=8), min_size=1), parts=PARTS)
def test_re2_searching_masks_as_pythons_regex_does(secrets: list[str], parts: list[str]) -> None:
    """Where RE2 searches (long texts), the result is what Python's regex alone gives."""
    check_alike(secrets, parts)


@given(
    secrets=st.lists(
        st.text("ab\"'&", min_size=4, max_size=8), min_size=3, max_size=6, unique=True
    ),
    parts=PARTS,
)
def test_re2_replacing_masks_as_pythons_regex_does(secrets: list[str], parts: list[str]) -> None:
    """Where RE2 replaces too (many values, none short), the same."""
    assert check_alike(secrets, parts)._re2_replaces


def test_thousands_of_masks_added_one_line_after_another_stay_cheap() -> None:
    """A step may add a mask on every line: compiling the regexes for each (a few hundred
    ms once the values are thousands) froze the engine for minutes. Values added since
    the last compile are looked for with `in` until there are many of them."""
    masker = Masker(["first-secret"])
    started = time.perf_counter()
    for i in range(1500):
        masker.add(f"secret-{i}-of-many")
        assert masker.mask_line(f"line {i}") == f"line {i}"
        assert masker.mask_line(f"[secret-{i}-of-many]") == f"[{MASK}]"
    assert time.perf_counter() - started < 15


def test_a_value_added_since_the_compile_is_masked_with_the_others() -> None:
    masker = Masker(["abcdef"])
    masker.mask("compile")
    masker.add("defghi")  # overlaps the first where both are
    assert masker.mask("xx abcdefghi yy") == f"xx {MASK} yy"
    assert masker.mask("defghi abcdef") == f"{MASK} {MASK}"
    assert masker.mask_lines(["a defghi", "##[group]defghi"]) == [f"a {MASK}", f"##[group]{MASK}"]


@given(
    first=st.lists(st.text("abc", min_size=2, max_size=5), min_size=1, max_size=4),
    later=st.lists(st.text("abc", min_size=2, max_size=5), min_size=1, max_size=4),
    text=st.text("abc ", max_size=60),
)
def test_values_added_since_the_compile_hide_at_least_what_a_compile_would(
    first: list[str], later: list[str], text: str
) -> None:
    recent = Masker(first)
    recent.mask("compile")
    built = Masker([*first, *later])
    for value in later:
        recent.add(value)
    for value in [*first, *later]:
        if value not in built.mask(text):
            assert value not in recent.mask(text)
