"""`stax runs`, `stax cancel RUN_ID`, `stax approve RUN_ID JOB_ID`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from runner import json_text
from runner.cli.exit_codes import EXIT_OK
from runner.cli.render import Palette, format_duration, wants_color
from runner.config import Settings, load_settings
from runner.errors import StaxError

if TYPE_CHECKING:
    import argparse


def runs_command(args: argparse.Namespace) -> int:
    from runner.cli.client import daemon_listening

    settings = load_settings(Path(args.config) if args.config else None)
    if daemon_listening(settings):
        runs = trio.run(_runs_from_daemon, settings, args)
    else:
        runs = trio.run(_runs_from_store, settings, args)
    if args.json:
        sys.stdout.write(json_text.dumps(runs, indent=2) + "\n")
        return EXIT_OK
    _print_table(runs)
    return EXIT_OK


async def _runs_from_daemon(settings: Settings, args: argparse.Namespace) -> list[Any]:
    from runner.cli.client import DaemonClient

    params: dict[str, Any] = {"limit": args.limit}
    if args.status:
        params["status"] = args.status
    if args.workflow:
        params["workflow"] = args.workflow
    async with DaemonClient(settings) as client:
        page = await client.request("GET", "/api/runs", params=params)
        health = await client.request("GET", "/api/health")
    if health.get("status") == "degraded":  # the list may be incomplete, and no run starts
        sys.stderr.write(f"stax: the daemon is degraded: {health.get('store_error')}\n")
    return list(page["runs"])


async def _runs_from_store(settings: Settings, args: argparse.Namespace) -> list[Any]:
    from runner.events.store import EventStore

    store = EventStore(settings.data_dir)
    try:
        store.open_readonly()
    except StaxError:
        return []
    try:
        return await store.list_runs(limit=args.limit, status=args.status, workflow=args.workflow)
    finally:
        store.close()


def _print_table(runs: list[Any]) -> None:
    p = Palette(wants_color(sys.stdout))
    if not runs:
        sys.stdout.write("no runs yet\n")
        return
    rows = [("ID", "WORKFLOW", "STATUS", "CONCLUSION", "STARTED", "DURATION")]
    for run in runs:
        started = run.get("started_at") or run.get("created_at")
        when = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started / 1000))
            if isinstance(started, (int, float))
            else ""
        )
        rows.append(
            (
                str(run.get("id")),
                str(run.get("name") or run.get("workflow")),
                str(run.get("status")),
                str(run.get("conclusion") or ""),
                when,
                format_duration(run.get("duration_ms")),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        sys.stdout.write((p.bold(line) if index == 0 else line).rstrip() + "\n")


def cancel_command(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    result = trio.run(_post, settings, f"/api/runs/{args.run_id}/cancel", None)
    sys.stdout.write(f"run {args.run_id}: {result.get('status', 'cancelling')}\n")
    return EXIT_OK


def approve_command(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    trio.run(
        _post,
        settings,
        f"/api/runs/{args.run_id}/jobs/{args.job_id}/approve",
        {"approve": not args.reject},
    )
    verdict = "rejected" if args.reject else "approved"
    sys.stdout.write(f"run {args.run_id}: job {args.job_id} {verdict}\n")
    return EXIT_OK


async def _post(settings: Settings, path: str, body: Any) -> Any:
    from runner.cli.client import DaemonClient, base_url, daemon_listening

    if not daemon_listening(settings):
        raise StaxError(f"no daemon at {base_url(settings)} (start one with `stax serve`)")
    async with DaemonClient(settings) as client:
        return await client.request("POST", path, json=body)
