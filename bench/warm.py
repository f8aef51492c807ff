"""A warm process for a benchmark's `stax run`s (runner/cli/warm_start.py): in a
runtime folder of the benchmark's own, up before timing starts, ended after."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def warm_stax(
    env: dict[str, str], runtime: Path, first_run: list[str], cwd: Path
) -> Iterator[dict[str, str]]:
    """The environment for warm runs: `first_run` (a `stax run`) starts the warm
    process; this waits until it listens, and ends it on the way out."""
    runtime.mkdir(parents=True, exist_ok=True)
    warm_env = {**env, "STAX_WARM": "1", "XDG_RUNTIME_DIR": str(runtime)}
    subprocess.run(first_run, cwd=cwd, env=warm_env, check=True, stdout=subprocess.DEVNULL)
    folder = runtime / f"stax-{os.getuid()}"
    deadline = time.monotonic() + 60
    pid = None
    while pid is None:
        for lock in folder.glob("warm-*.sock.lock"):
            text = lock.read_text().strip()
            if text and Path(str(lock).removesuffix(".lock")).exists():
                pid = int(text)
        if time.monotonic() > deadline:
            raise RuntimeError("no warm process came up")
        time.sleep(0.05)
    try:
        yield warm_env
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
