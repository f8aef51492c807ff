"""Secrets and ::add-mask:: values never appear in any event, in any field."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from runner.engine.masking import MASK, Masker
from runner.events.types import EventType
from runner.process.lines import LineSplitter

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine import WorkflowRun
    from tests.engine.conftest import Runner, WatchingSink

SECRET = "s3cr3tV4lue"
MULTI = "firstLineXyz\nsecondLineQwe\nthirdLineAbc"
SPLIT = "splitAcrossReadsValue"


async def test_secrets_appear_in_no_event(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          leak:
            name: Job s3cr3tV4lue
            runs-on: ubuntu-latest
            outputs:
              dropped: ${{ steps.s.outputs.token }}
              kept: fine
            steps:
              - id: s
                name: Step ${{ secrets.TOKEN }}
                env:
                  TOKEN: ${{ secrets.TOKEN }}
                  CERT: ${{ secrets.CERT }}
                run: |
                  echo "plain: $TOKEN"
                  echo "inline ${{ secrets.TOKEN }}"
                  echo "twice $TOKEN$TOKEN"
                  echo "$TOKEN" >&2
                  echo "$CERT"
                  printf '%s' "$CERT" | tr '\\n' ' '; echo
                  echo "::warning title=$TOKEN::warned $TOKEN"
                  echo "::group::$TOKEN"
                  echo "::endgroup::"
                  echo "token=$TOKEN" >> "$GITHUB_OUTPUT"
                  echo "# $TOKEN" >> "$GITHUB_STEP_SUMMARY"
                  python3 -c "import os,sys; v=os.environ['SPLIT']; \\
                    os.write(1, v[:8].encode()); sys.stdout.flush(); \\
                    os.write(1, (v[8:] + chr(10)).encode())"
                  exit 3
              - if: always()
                run: echo "${{ steps.s.outputs.token }}"
              - if: always()
                run: echo "error in ${{ fromJSON(secrets.TOKEN) }}"
          other:
            needs: leak
            if: always()
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ needs.leak.outputs.dropped }} ${{ needs.leak.outputs.kept }}"
        """,
        secrets={"TOKEN": SECRET, "CERT": MULTI, "SPLIT": SPLIT},
        env={"SPLIT": SPLIT},
    )
    text = result.all_json()
    for value in (SECRET, SPLIT, *MULTI.split("\n")):
        assert value not in text
    assert "***" in text
    out = result.output("leak", 1)
    assert "plain: ***" in out
    assert "inline ***" in out
    assert "twice ******" in out
    assert out.count("***") >= 3
    final = result.first(EventType.JOB_COMPLETED, "leak").data["job"]
    assert final["name"] == "Job ***"  # type: ignore[index]
    assert final["steps"][0]["name"] == "Step ***"  # type: ignore[index]
    assert "  TOKEN: ***" in result.logs("leak", 1)
    assert final["outputs"] == {"kept": "fine"}  # type: ignore[index]
    assert result.output("other", 1) == [" fine"]
    assert "***" in final["summary"]  # type: ignore[index]


async def test_the_split_env_value_is_only_masked_when_secret(run_steps: Runner) -> None:
    # The same value printed in two writes is one line: masked as a whole.
    result = await run_steps(
        """
        - run: |
            python3 -c "import os; v=os.environ['V']; \\
              os.write(1, v[:5].encode()); os.write(1, (v[5:] + chr(10)).encode())"
        """,
        secrets={"V": SPLIT},
        env={"V": SPLIT},
    )
    assert result.output("j", 1) == ["***"]
    assert SPLIT not in result.all_json()


async def test_add_mask_hides_a_value_from_the_next_line_on(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "before generatedPw123"
                  echo "::add-mask::generatedPw123"
                  echo "after generatedPw123"
                  echo "::add-mask::multiOne%0AmultiTwo"
                  printf 'multiOne\\nmultiTwo\\n'
              - run: echo "later step generatedPw123 multiTwo"
          b:
            needs: a
            runs-on: ubuntu-latest
            steps:
              - run: echo "other job generatedPw123"
    """)
    assert result.output("a", 1) == ["before generatedPw123", "after ***", "***", "***"]
    assert result.output("a", 2) == ["later step *** ***"]
    assert result.output("b", 1) == ["other job ***"]
    masked_at = result.events.index(
        next(e for e in result.events if "after ***" in e.data.get("lines", []))
    )  # type: ignore[operator]
    later = "\n".join(json.dumps(e.to_json()) for e in result.events[masked_at:])
    assert "generatedPw123" not in later
    assert "multiOne" not in later


def test_masker_longest_value_wins_and_blank_values_are_ignored() -> None:
    masker = Masker(["abc", "abcdef", "", "  "])
    assert masker.mask("xabcdefx abc") == "x***x ***"
    assert masker.mask_lines(["abc", "none", "abcdef"]) == ["***", "none", "***"]
    assert Masker([]).mask("anything") == "anything"
    assert not Masker(["", " "])


def test_masker_multi_line_values_mask_each_line() -> None:
    masker = Masker(["one\ntwo"])
    assert masker.mask_lines(["one", "two", "x"]) == ["***", "***", "x"]
    assert masker.mask("a one\ntwo b") == "a *** b"


async def test_a_value_across_the_cut_of_an_over_long_line_stays_masked(
    run_steps: Runner, workspace: Path
) -> None:
    """A line over 64 KiB is cut into pieces; the cut must not split a hidden value into two
    halves that each escape the mask — whether the line arrives whole or the value's end
    has not been written yet when the cut is made (the step writes it once the engine
    has logged the piece before it)."""

    async def write_the_rest_once_cut(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for(
            lambda e: (
                e.type is EventType.STEP_LOG
                and any(line.startswith("yyy") for line in e.data["lines"])
            )  # type: ignore[union-attr]
        )
        (workspace / "cut").touch()

    result = await run_steps(
        """
        - run: |
            python3 -c "import os, sys; v = os.environ['V']; \\
              sys.stdout.write('x' * 65530 + v + chr(10)); sys.stdout.flush(); \\
              os.write(1, b'y' * 65533 + v[:4].encode())"
            while [ ! -e cut ]; do sleep 0.01; done
            python3 -c "import os; os.write(1, (os.environ['V'][4:] + chr(10)).encode())"
        """,
        secrets={"V": SECRET},
        env={"V": SECRET},
        control=write_the_rest_once_cut,
    )
    out = result.output("j", 1)
    text = "".join(out)
    assert text == "x" * 65530 + "***" + "y" * 65533 + "***"
    assert all(len(piece) <= 64 * 1024 for piece in out)
    for fragment in (SECRET[:4], SECRET[4:], SECRET[:6], SECRET[6:]):
        assert fragment not in result.all_json()


@settings(max_examples=300)
@given(
    # Few letters, so that values overlap themselves and each other ("aa" in "aaaa").
    secrets=st.lists(st.text("ab", min_size=1, max_size=6), min_size=1, max_size=3),
    parts=st.lists(
        st.sampled_from(["a", "aaaaaaa", "b", "é", "\udcff", "\n", "S0", "S1", "S2"]),
        max_size=120,
    ),
    reads=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=30),
    limit=st.integers(min_value=16, max_value=40),
)
def test_no_cut_splits_a_hidden_value(
    secrets: list[str], parts: list[str], reads: list[int], limit: int
) -> None:
    """Whatever the reads and however long the lines, masking the pieces hides what
    masking the whole lines hides."""
    text = "".join(secrets[int(p[1]) % len(secrets)] if p.startswith("S") else p for p in parts)
    data = text.encode("utf-8", "surrogateescape")  # "\udcff" is the invalid byte 0xFF
    text = data.decode("utf-8", "replace")  # what the lines hold: U+FFFD for it
    masker = Masker(secrets)
    splitter = LineSplitter(max_line_bytes=limit, safe_cut=masker.safe_cut)
    pieces: list[str] = []
    position, turn = 0, 0
    while position < len(data):
        size = reads[turn % len(reads)]
        pieces.extend(splitter.feed(data[position : position + size]))
        position, turn = position + size, turn + 1
    pieces.extend(splitter.flush())
    assert all(len(piece.encode()) <= limit for piece in pieces)
    masked = "".join(masker.mask(piece) for piece in pieces)
    whole = "".join(masker.mask(line) for line in text.split("\n"))
    assert masked.replace(MASK, "") == whole.replace(MASK, "")


async def test_a_value_masked_in_the_same_read_as_an_over_long_line_is_masked_in_it(
    run_steps: Runner,
) -> None:
    """The cut of a long line waits until the lines before it — here an ::add-mask:: in
    the same read — have been handled. (One read can hold both only from a pipe enlarged
    past 64 KiB, F_SETPIPE_SZ = 1031, as a step may do.)"""
    result = await run_steps(
        """
        - run: |
            python3 -c "import fcntl, os; v = 'maskedInTheSameRead'; \\
              fcntl.fcntl(1, 1031, 1 << 20); \\
              os.write(1, ('::add-mask::' + v + chr(10) + 'x' * 65530 + v + chr(10)).encode())"
        """
    )
    # (The script itself, logged before it ran, shows the value: as on GitHub.)
    assert "".join(result.output("j", 1)) == "x" * 65530 + "***"


def test_a_huge_multi_line_value_does_not_switch_off_safe_cuts() -> None:
    bundle = "\n".join(f"line {i} of a certificate bundle " * 40 for i in range(60))  # ~70k
    masker = Masker([bundle, "shortSecret"])
    splitter = LineSplitter(safe_cut=masker.safe_cut)
    pieces = splitter.feed(("x" * 65530 + "shortSecret\n").encode())
    assert [masker.mask(piece)[-3:] for piece in pieces][-1] == MASK
    assert not any("short" in masker.mask(piece) for piece in pieces)


def test_a_value_that_overlaps_itself_is_not_cut() -> None:
    masker = Masker(["aa"])
    pieces = LineSplitter(max_line_bytes=16, safe_cut=masker.safe_cut).feed(b"a" * 18 + b"\n")
    assert "".join(masker.mask(piece) for piece in pieces) == MASK * 9


USER_TEXT = {"name", "error", "summary", "message", "title", "runs_on", "lines"}


def structure(value: object) -> object:
    """An event's data with every user text blanked: what a mask may never change."""
    if isinstance(value, dict):
        return {
            key: "<text>" if key in USER_TEXT else structure(v)
            for key, v in value.items()
            if key != "duration_ms"
        }
    if isinstance(value, list):
        return [structure(v) for v in value]
    return "<ts>" if isinstance(value, int) and value > 10**12 else value


HOSTILE_MASKS = """
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        outputs:
          out: ok
        steps:
          - run: |
              echo "::add-mask::run"
              echo "::add-mask::e"
              echo "::add-mask::success"
              echo "::add-mask::completed"
              echo "::add-mask::step"
              echo "::add-mask::{"
              echo "::add-mask::\\""
              echo "the run is completed"
              echo "::warning title=e::careful"
      after:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - run: echo "use the output ${{ needs.build.outputs.out }}"
"""


async def test_masks_never_touch_the_events_structure(run_yaml: Runner) -> None:
    """`::add-mask::run` took the key `run` away (the store's writer asserted, and the
    daemon died); `::add-mask::e` turned `completed` into `compl***t***d`. Only user text
    is masked: names, messages, errors, summaries, inputs and outputs."""
    masked = await run_yaml(HOSTILE_MASKS, secrets={"ONE": "u"}, run_id="r1")
    clear = await run_yaml(HOSTILE_MASKS.replace("::add-mask::", "::debug::"), run_id="r1")
    assert masked.conclusion == "success"
    assert [e.type for e in masked.events] == [e.type for e in clear.events]
    assert [structure(e.data) for e in masked.events] == [structure(e.data) for e in clear.events]
    # ... while the text is masked (a one-character secret too).
    assert "th*** *** is ***" in masked.logs("build", 1)
    final = masked.first(EventType.RUN_COMPLETED).data["run"]
    assert final["status"] == "completed"  # type: ignore[index]
    assert final["conclusion"] == "success"  # type: ignore[index]
    jobs = {job["id"]: job for job in final["jobs"]}  # type: ignore[index]
    assert jobs["build"]["name"] == "b***ild"
    assert jobs["build"]["outputs"] == {"out": "ok"}  # no secret in it: kept
    annotation = next(e for e in masked.events if e.type is EventType.STEP_ANNOTATION)
    assert annotation.data["level"] == "warning"
    assert annotation.data["title"] == "***"
