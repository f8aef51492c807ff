"""What a JavaScript action costs a job, against a `run:` step.

    python bench/actions.py [--reps 9]

Runs one-job, one-step workflows through the engine in this process (no
interpreter start, no store) and prints the median wall time of each:

* `run: true` (the baseline);
* a JavaScript action whose main is one `console.log`, from a
  --local-repository folder (no git), from the cache with its tag resolved
  by `git ls-remote` (what every run does online), from the cache in offline
  mode (no git), and fetched into an empty cache (`git fetch`, the first run);
* the same action importing @actions/core (what real actions bundle), when
  tests/node has it installed;
* `node -e ''` spawned alone, for scale.

Each rep measures every case once, in turn (the machine's load drifts).

The actions server is a file:// folder of bare repositories in a scratch
directory, and the cache a scratch XDG_CACHE_HOME: nothing touches the
network or the user's own cache. The machine is noisy: compare within a run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.config import ActionsSettings, load_settings  # noqa: E402
from runner.engine import RunRequest, WorkflowRun  # noqa: E402
from runner.events.sink import ListSink  # noqa: E402
from runner.model import parse_workflow  # noqa: E402
from tests.actions.git_server import NODE_MODULES, GitServer  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

RUN_JOB = "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n"
ACTION_JOB = (
    "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: bench/{name}@v1\n        with: {{who: bench}}\n"
)
ACTION_YML = "inputs:\n  who: {default: x}\nruns:\n  using: node20\n  main: main.js\n"
PLAIN_MAIN = "console.log(`hello ${process.env.INPUT_WHO}`);\n"
CORE_MAIN = (
    "import * as core from '@actions/core';\nconsole.log(`hello ${core.getInput('who')}`);\n"
)


async def engine_run(
    text: str, workdir: Path, actions: ActionsSettings, **request: object
) -> float:
    """Seconds the engine takes for the one-job workflow `text`."""
    workflow = parse_workflow(text, str(workdir / "wf.yml"))
    settings = load_settings(start=workdir).with_overrides(actions=actions)
    run = WorkflowRun(
        RunRequest(workflow=workflow, workdir=workdir, **request),  # type: ignore[arg-type]
        settings,
        ListSink(),
    )
    run.prepare()
    started = time.perf_counter()
    record = await run.run()
    elapsed = time.perf_counter() - started
    assert record.conclusion == "success", record.conclusion
    return elapsed


def node_alone() -> float:
    started = time.perf_counter()
    subprocess.run(["node", "-e", ""], check=True)
    return time.perf_counter() - started


async def main_async(reps: int) -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory(prefix="stax-bench-actions-") as scratch:
        root = Path(scratch)
        os.environ["XDG_CACHE_HOME"] = str(root / "cache")
        work = root / "work"
        work.mkdir()
        server = GitServer(root / "server")
        server.root.mkdir()
        plain = {"action.yml": ACTION_YML, "main.js": PLAIN_MAIN}
        server.publish("bench/plain", plain, tag="v1")
        folder = root / "plain-checkout"
        folder.mkdir()
        for name, text in plain.items():
            (folder / name).write_text(text)
        online = ActionsSettings(server=server.url)
        offline = ActionsSettings(server=server.url, offline_mode=True)
        plain_job = ACTION_JOB.format(name="plain")
        core_job = ACTION_JOB.format(name="core")
        has_core = (NODE_MODULES / "@actions" / "core").is_dir()
        if has_core:
            core = {"action.yml": ACTION_YML, "main.js": CORE_MAIN}
            core["package.json"] = '{"type": "module"}'
            server.publish("bench/core", core, tag="v1", node_modules=True)
        local = {"bench/plain@v1": str(folder)}
        cold_dirs = iter(range(10**6))

        async def cold() -> float:
            os.environ["XDG_CACHE_HOME"] = str(root / f"cold-{next(cold_dirs)}")
            try:
                return await engine_run(plain_job, work, online)
            finally:
                os.environ["XDG_CACHE_HOME"] = str(root / "cache")

        async def node() -> float:
            return node_alone()

        measures: list[tuple[str, Callable[[], Awaitable[float]]]] = [
            ("run: true", partial(engine_run, RUN_JOB, work, online)),
            (
                "JS action (console.log), --local-repository",
                partial(engine_run, plain_job, work, online, local_repositories=local),
            ),
            (
                "JS action (console.log), cached, tag resolved by ls-remote",
                partial(engine_run, plain_job, work, online),
            ),
            (
                "JS action (console.log), cached, offline mode",
                partial(engine_run, plain_job, work, offline),
            ),
            ("JS action (console.log), first run: git fetch", cold),
        ]
        if has_core:
            measures.append(
                (
                    "JS action importing @actions/core, cached, offline",
                    partial(engine_run, core_job, work, offline),
                )
            )
            await engine_run(core_job, work, online)  # into the cache
        measures.append(("node -e '' alone", node))
        for _, measure in measures:
            await measure()  # warm: imports, the cache, node's own files
        # Round robin: the machine's load drifts, and each rep sees every measure in it.
        samples: dict[str, list[float]] = {label: [] for label, _ in measures}
        for _ in range(reps):
            for label, measure in measures:
                samples[label].append(await measure())
        rows = [(label, statistics.median(values)) for label, values in samples.items()]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9, help="repetitions (median is shown)")
    args = parser.parse_args()
    if shutil.which("node") is None:
        sys.exit("bench/actions.py: no node on PATH")
    rows = trio.run(main_async, args.reps)
    baseline = rows[0][1]
    width = max(len(label) for label, _ in rows)
    print(f"{'one job, one step':<{width}}  {'wall':>9}  {'vs run:':>9}")
    for label, seconds in rows:
        extra = (
            f"{(seconds - baseline) * 1e3:+8.1f} ms"
            if label != rows[0][0] and "alone" not in label
            else ""
        )
        print(f"{label:<{width}}  {seconds * 1e3:7.1f} ms  {extra:>9}")


if __name__ == "__main__":
    main()
