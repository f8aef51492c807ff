"""Hosting: the daemon that serves the API and keeps the runs.

    serve.py            serve(): the one top-level nursery (the engine process, then Hypercorn)
    engine_process.py   the daemon's handle on its engine process (start, relay, publish)
    engine_host.py      what runs inside that process (`python -m runner.daemon.engine_host`)
    channel.py, wire.py the socket between them and the messages it carries
    runs.py             the run manager: runs as children of one nursery, approvals
    recovery.py         closing the runs a crash left open

`serve` and `DaemonAddress` load on first use: the engine process imports this package
too, and needs nothing of HTTP.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.daemon.serve import DaemonAddress, serve

_LAZY = {"DaemonAddress": "runner.daemon.serve", "serve": "runner.daemon.serve"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner.daemon' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = ["DaemonAddress", "serve"]
