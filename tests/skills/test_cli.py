"""`stax skill list|show|run` in this process (no daemon up: runs are local)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from runner.cli.main import main
from tests.real_daemon import free_port
from tests.skills.conftest import EXAMPLES, write_skill

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def config(tmp_path: Path, skills_dir: Path) -> str:
    path = tmp_path / "stax.toml"
    path.write_text(
        f"port = {free_port()}\n"  # nothing listens there: `run` executes here
        f'skills_dirs = ["{EXAMPLES}", "{skills_dir}"]\n'
        f'data_dir = "{tmp_path / "data"}"\n'
    )
    return str(path)


def stax(config: str, *args: str) -> int:
    return main(["--config", config, "skill", *args])


def test_list_and_show(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert stax(config, "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["text.classify", "text.report", "text.summarize"]
    assert out[0].split(None, 2)[1:] == [
        "v1.0",
        "Label a text positive, negative or neutral with a word lexicon.",
    ]
    assert stax(config, "list", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listing["skills"]] == [
        "text.classify",
        "text.report",
        "text.summarize",
    ]
    assert stax(config, "show", "text.classify") == 0
    shown = capsys.readouterr().out
    assert "  text: string, required  The text to classify" in shown
    assert (
        "  1. score: Score with the lexicon  [gate: timeout-seconds 10; max-output-bytes 65536; "
        "exit codes 0; on-trip degrade]" in shown
    )
    assert stax(config, "show", "text.report", "--json") == 0
    assert json.loads(capsys.readouterr().out)["calls"] == ["text.summarize", "text.classify"]


def test_run_prints_progress_and_exits_with_the_verdict(
    config: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert stax(config, "run", "text.report", "-i", "text=fast and great") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("▶ text.report  trace ")
    assert out[1:5] == [
        "  ✓ summary  summary=fast and great, words=3",
        "  ✓ mood  label=positive, score=3, degraded=false",
        "  ✓ compose  report=fast and great [positive]",
        "  ○ no-report  skipped (if: failure())",
    ]
    assert out[5].startswith("✓ completed in ")
    assert out[6:] == [
        "outputs:",
        "  report: fast and great [positive]",
        "  label: positive",
        "  words: 3",
    ]
    # Degraded is still a success; --json prints only the result.
    assert stax(config, "run", "text.classify", "-i", "text=x", "-i", "lexicon=none", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"skill_id", "status", "outputs", "trace_id"}
    assert result["status"] == "degraded"


def test_run_failures_and_usage_errors(
    config: str, skills_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_skill(skills_dir, "fails", "id: test.fails\nsteps: [{run: exit 1}]\n")
    assert stax(config, "run", "test.fails", "--local", "--json") == 1
    assert json.loads(capsys.readouterr().out)["status"] == "failed"
    assert stax(config, "run", "text.summarize", "-i", "max_words=lots") == 2
    assert capsys.readouterr().err == (
        "stax: invalid inputs for skill 'text.summarize': input 'max_words': expected a whole "
        "number, got a string ('lots'); input 'text' is required\n"
    )
    assert stax(config, "run", "no.such") == 2
    assert "unknown skill 'no.such'" in capsys.readouterr().err
    write_skill(skills_dir, "bad", "id: test.bad\nsteps: [{run: echo, gate: {on-trip: x}}]\n")
    assert stax(config, "list") == 2
    captured = capsys.readouterr()
    assert "test.fails" in captured.out
    assert captured.err == (
        f'stax: {skills_dir / "bad.yml"}:2:37: steps[0].gate.on-trip: invalid on-trip "x": use '
        '"degrade" (fallback outputs stand in and the skill goes on) or "fail"\n'
    )
