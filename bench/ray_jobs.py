"""What running a job on a Ray node costs, against running it in the engine.

    python bench/ray_jobs.py [--jobs 20] [--reps 3]

Starts a loopback Ray cluster of two nodes (one CPU each; runner.executors.
ray_cluster), then runs one workflow of --jobs independent one-step jobs
(`echo`), half with runs-on label `one`, half `two`, through the engine in
this process: first with the local executor (parallel jobs = 2, the cluster's
CPUs; the labels run here), then with the ray executor, each half on the node
that offers its label. Prints the median wall time of --reps runs of each, the time per
job, and the overhead a job pays on Ray. The cluster's start is timed apart
and not counted. Needs `pip install -e '.[ray]'`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.config import ExecutorSettings, load_settings  # noqa: E402
from runner.engine import RunRequest, WorkflowRun  # noqa: E402
from runner.engine.scope import JobExecutor  # noqa: E402, TC001
from runner.events.sink import ListSink  # noqa: E402
from runner.executors import executor_for  # noqa: E402
from runner.executors.ray_cluster import LoopbackCluster  # noqa: E402
from runner.model import parse_workflow  # noqa: E402


def _workflow(jobs: int) -> str:
    body = "".join(
        f"  j{n}:\n    runs-on: [self-hosted, {('one', 'two')[n % 2]}]\n"
        f"    steps:\n      - run: echo job {n}\n"
        for n in range(jobs)
    )
    return f"on: push\njobs:\n{body}"


_executors: dict[ExecutorSettings, JobExecutor] = {}


def _executor(settings: ExecutorSettings) -> JobExecutor:
    """One executor per setting for the whole benchmark, as the daemon keeps one."""
    if settings not in _executors:
        _executors[settings] = executor_for(settings)
    return _executors[settings]


async def _run_once(workdir: Path, text: str, executor: ExecutorSettings) -> float:
    file = workdir / "jobs.yml"
    file.write_text(textwrap.dedent(text))
    settings = load_settings(start=workdir).with_overrides(max_parallel_jobs=2, executor=executor)
    run = WorkflowRun(
        RunRequest(workflow=parse_workflow(file.read_text(), str(file)), workdir=workdir),
        settings,
        ListSink(),
        job_executor=_executor(executor),
    )
    run.prepare()
    started = time.perf_counter()
    record = await run.run()
    elapsed = time.perf_counter() - started
    if str(record.conclusion) != "success":
        raise SystemExit(f"the run failed: {record.error or record.conclusion}")
    return elapsed


def _median(workdir: Path, text: str, executor: ExecutorSettings, reps: int) -> float:
    trio.run(_run_once, workdir, text, executor)  # warm: imports, the first connection
    return statistics.median(trio.run(_run_once, workdir, text, executor) for _ in range(reps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    text = _workflow(args.jobs)
    started = time.perf_counter()
    cluster = LoopbackCluster.start(
        {"one": {"label:one": 1000}, "two": {"label:two": 1000}},
        env={
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        },
    )
    cluster_s = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory(prefix="stax-bench-ray-") as scratch:
            workdir = Path(scratch)
            local = _median(workdir, text, ExecutorSettings(), args.reps)
            ray = _median(
                workdir, text, ExecutorSettings(kind="ray", address=cluster.address), args.reps
            )
    finally:
        import ray as ray_module

        if ray_module.is_initialized():
            ray_module.shutdown()
        cluster.stop()
    jobs = args.jobs
    print(f"cluster start (2 nodes, not counted): {cluster_s:.1f} s")
    print(f"{'executor':<10} {'run (median)':>14} {'per job':>10}")
    print(f"{'local':<10} {local:>12.2f} s {local / jobs * 1000:>7.0f} ms")
    print(f"{'ray':<10} {ray:>12.2f} s {ray / jobs * 1000:>7.0f} ms")
    print(f"overhead per job on ray: {(ray - local) / jobs * 1000:.0f} ms (2 jobs at a time)")


if __name__ == "__main__":
    main()
