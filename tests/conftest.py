"""Shared test configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path


@pytest.fixture(scope="session")
def _tool_cache_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the runs' tool caches share (the host's tool versions, unpacked pip): asked
    for and unpacked once per session, not once per test."""
    return tmp_path_factory.mktemp("tool-cache-state")


@pytest.fixture(autouse=True)
def _own_action_cache(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    _tool_cache_state: Path,
) -> None:
    """Every test (and every stax it starts) caches actions in a folder of its own,
    never in the user's ~/.cache."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    (cache / "stax").mkdir()
    (cache / "stax" / "tool-cache").symlink_to(_tool_cache_state)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))


@pytest.fixture(autouse=True)
def _cold_stax(monkeypatch: pytest.MonkeyPatch) -> None:
    """No stax a test starts hands its run to a warm process, nor leaves one behind
    (tests/cli/test_warm_start.py turns them on for itself)."""
    monkeypatch.setenv("STAX_WARM", "0")


pytest_plugins = ["tests.real_daemon"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A skip without a reason is a failure. pytest-trio re-raises a `pytest.skip()` made
    inside an async test without its message, so -ra would say only "Skipped"."""
    report = yield
    skip = call.excinfo.value if call.excinfo else None
    if report.skipped and isinstance(skip, pytest.skip.Exception) and not skip.msg:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} skipped without a reason: a pytest.skip() inside an async test "
            "loses it; mark the test with a skipif marker (see tests/requires.py) instead"
        )
    return report
