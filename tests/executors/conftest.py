"""A real Ray cluster on loopback, started once per session, for the ray executor's tests.

Two nodes on this machine, one CPU each: `alpha` (the head, resource label:alpha)
and `beta` (label:beta). The cluster stops only the processes it started.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import run_yaml, settings, workspace

__all__ = ["run_yaml", "settings", "workspace"]

HAS_RAY = importlib.util.find_spec("ray") is not None
requires_ray = pytest.mark.skipif(
    not HAS_RAY, reason="ray is not installed (pip install -e '.[ray]')"
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[object]:
    from runner.executors.ray_cluster import LoopbackCluster

    # The nodes' workers import this checkout's runner, as the test process does.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    nodes: dict[str, dict[str, float]] = {
        "alpha": {"label:alpha": 1000},
        "beta": {"label:beta": 1000},
    }
    running = os.environ.get("STAX_TEST_RAY_CLUSTER")  # a cluster left running, to iterate
    if running:
        yield LoopbackCluster.attach(Path(running), nodes)
        return
    cluster = LoopbackCluster.start(
        nodes,
        env={
            "PYTHONPATH": path,
            # A lost node is noticed within a second or two, not the default ~30 s.
            "RAY_health_check_period_ms": "500",
            "RAY_health_check_failure_threshold": "3",
        },
    )
    try:
        yield cluster
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        cluster.stop()
