"""`stax run` through the daemon: start the run there, follow it here.

The terminal shows the same live view as a local run (the renderer reads
the same canonical events, from the daemon's stream). Ctrl-C asks the
daemon to cancel; a second Ctrl-C asks again, which kills. A job waiting
for approval is asked about on the terminal, if there is one.
"""

from __future__ import annotations

import signal
import sys
from functools import partial
from typing import TYPE_CHECKING

import trio

from runner.cli.approval import ask_approval, no_terminal_message
from runner.cli.client import DaemonClient
from runner.cli.exit_codes import exit_code
from runner.events.payloads import JobBlocked, RunPayload
from runner.events.types import EventType

if TYPE_CHECKING:
    from runner.cli.render import Renderer
    from runner.cli.run_args import RunArgs
    from runner.config import Settings


async def run_in_daemon(
    settings: Settings, run_args: RunArgs, render: Renderer, interactive: bool
) -> int:
    async with DaemonClient(settings) as client:
        created = await client.request("POST", "/api/runs", json=run_args.body())
        run_id = str(created["runId"])
        interrupted = False
        conclusion: object = None
        async with trio.open_nursery() as nursery:

            async def watch_signals() -> None:
                nonlocal interrupted
                with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        sys.stderr.write(
                            "\nstax: killing\n"
                            if interrupted
                            else "\nstax: cancelling (Ctrl-C again to kill)\n"
                        )
                        interrupted = True
                        nursery.start_soon(client.request, "POST", f"/api/runs/{run_id}/cancel")

            async def approve(job_id: str, environment: str) -> None:
                approved = await ask_approval(job_id, environment)
                await client.request(
                    "POST", f"/api/runs/{run_id}/jobs/{job_id}/approve", json={"approve": approved}
                )

            nursery.start_soon(watch_signals)
            async for event in client.events(run_id=run_id, after=0):
                render(event)
                payload = event.payload
                if isinstance(payload, JobBlocked) and not run_args.approve:
                    environment = payload.environment
                    if interactive:
                        nursery.start_soon(approve, event.job_id or "", environment)
                    else:
                        sys.stderr.write(no_terminal_message(event.job_id or "", environment))
                        reject = partial(
                            client.request,
                            "POST",
                            f"/api/runs/{run_id}/jobs/{event.job_id}/approve",
                            json={"approve": False, "comment": "no terminal"},
                        )
                        nursery.start_soon(reject)
                if event.type is EventType.RUN_COMPLETED and isinstance(payload, RunPayload):
                    conclusion = payload.run.conclusion
                    break
            nursery.cancel_scope.cancel()
    return exit_code(conclusion, interrupted=interrupted)
