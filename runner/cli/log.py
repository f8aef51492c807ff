"""`stax log`: the events of runs, rendered like `stax run` (or raw with --json).

    stax log -f            every run, live
    stax log -f RUN_ID     one run, from its start, until it completes
    stax log RUN_ID        a run as recorded so far (the whole story once it finished)

With a daemon up, this follows its stream (resuming with Last-Event-ID when
the connection drops); without one, it reads the store, and `-f` tails it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from runner.cli.exit_codes import EXIT_OK
from runner.cli.render import JsonRenderer, TerminalRenderer
from runner.config import Settings, load_settings
from runner.errors import StaxError
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    import argparse
    from collections.abc import AsyncIterator

_TAIL_POLL_S = 0.2


def log_command(args: argparse.Namespace) -> int:
    from runner.cli.client import daemon_listening

    settings = load_settings(Path(args.config) if args.config else None)
    renderer = (
        JsonRenderer()
        if args.json
        else TerminalRenderer(fold=False if args.verbose else None, show_run_header=True)
    )
    source = _from_daemon if daemon_listening(settings) else _from_store

    async def main() -> None:
        async for event in source(settings, args.run_id, follow=args.follow):
            renderer.handle(event)
            if args.run_id and event.type is EventType.RUN_COMPLETED:
                return

    with contextlib.suppress(KeyboardInterrupt):
        trio.run(main)
    return EXIT_OK


async def _from_daemon(
    settings: Settings, run_id: str | None, *, follow: bool
) -> AsyncIterator[Event]:
    from runner.cli.client import DaemonClient

    async with DaemonClient(settings) as client:
        if run_id is not None:
            run = await client.request("GET", f"/api/runs/{run_id}")
            async for event in client.events(run_id=run_id, after=0):
                yield event
                if not follow and event.seq >= int(run.get("last_seq", 0)):
                    return
            return
        if not follow:
            raise StaxError("stax log without -f needs a RUN_ID (see `stax runs`)")
        async for event in client.events():
            yield event


async def _from_store(
    settings: Settings, run_id: str | None, *, follow: bool
) -> AsyncIterator[Event]:
    from runner.events.store import EventStore

    store = EventStore(settings.data_dir)
    store.open_readonly()
    try:
        if run_id is not None and await store.get_run(run_id) is None:
            raise StaxError(f"no run {run_id!r} in {settings.data_dir}")
        if run_id is None and not follow:
            raise StaxError("stax log without -f needs a RUN_ID (see `stax runs`)")
        last = 0 if run_id is not None else store.last_seq
        while True:
            events = await store.read_after(last, run_id=run_id, limit=5000, max_bytes=4 << 20)
            for event in events:
                yield event
            if events:
                last = events[-1].seq
                continue
            if not follow:
                return
            await trio.sleep(_TAIL_POLL_S)
    finally:
        store.close()
