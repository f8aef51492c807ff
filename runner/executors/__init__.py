"""Executors: where a job the scheduler decided on runs.

    local   in the engine's process, on this machine (the default)
    ray     on a node of a Ray cluster that offers the job's runs-on labels

Both run the job with the engine's own job code (runner.engine.job) and bring
every event back, masked, into the run's one log. The engine picks one by name
(runner/engine/executor.py).
"""

from __future__ import annotations

from runner.executors.local import LocalExecutor

__all__ = ["LocalExecutor"]
