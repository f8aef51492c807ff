"""`stax serve`: the daemon in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import resource
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from runner.cli.exit_codes import EXIT_OK
from runner.config import load_settings

if TYPE_CHECKING:
    import argparse


def serve_command(args: argparse.Namespace) -> int:
    from runner.daemon.serve import DaemonAddress, serve

    settings = load_settings(Path(args.config) if args.config else None)
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.data_dir:
        overrides["data_dir"] = Path(args.data_dir).resolve()
    settings = settings.with_overrides(**overrides)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            address: DaemonAddress = await nursery.start(
                lambda task_status: serve(settings, handle_signals=True, task_status=task_status)
            )
            sys.stderr.write(
                f"stax daemon listening on {address.url} "
                f"(data: {settings.data_dir})\n"
                f"  dashboard: {address.login_url()}\n"
                f"  events: curl -N {address.url}/api/events\n"
            )
            sys.stderr.flush()

    raise_open_file_limit()
    trio.run(main)
    sys.stderr.write("stax daemon stopped\n")
    return EXIT_OK


# Enough for a thousand clients at once beside the runs' pipes and the store's files.
OPEN_FILES_WANTED = 1 << 16


def raise_open_file_limit() -> None:
    """Lift the soft limit on open files (often 1,024) toward OPEN_FILES_WANTED, within the
    hard limit: every client connection holds a descriptor, and a flood of them must not
    leave a step without the pipes it needs. (Steps inherit it: GitHub's hosted runners
    give them 65,536 too.)"""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES_WANTED)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        # (macOS caps the soft limit lower than its hard limit says: keep what we have.)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
