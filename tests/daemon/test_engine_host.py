"""The engine process's request handling (runner.daemon.engine_host): a request that goes wrong
is that request's failure, never the engine's."""

from __future__ import annotations

import pickle
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trio

from runner.config import load_settings
from runner.daemon.channel import MessageChannel
from runner.daemon.engine_host import serve_engine
from runner.daemon.runs import RunManager
from runner.daemon.wire import (
    Answer,
    ApproveJob,
    CancelRun,
    Configure,
    Failure,
    Ready,
    Refused,
    Shutdown,
    StartRun,
    Stopped,
    refusal,
    refused_error,
)
from runner.errors import EngineFailure, RunError, StoreUnavailable, Unavailable


class Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("not today")


async def next_reply(channel: MessageChannel) -> Answer | Refused:
    while True:
        match await channel.receive():
            case Answer() | Refused() as reply:
                return reply


async def test_malformed_requests_are_answered_or_dropped_and_the_engine_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def approve_badly(*args: object, **kwargs: object) -> object:
        return Unpicklable()

    monkeypatch.setattr(RunManager, "approve", approve_badly)
    (tmp_path / "stax.toml").write_text("port = 0\n")
    settings = load_settings(start=tmp_path)
    ours, theirs = socket.socketpair()
    daemon = MessageChannel(trio.SocketStream(trio.socket.from_stdlib_socket(ours)))
    engine = MessageChannel(trio.SocketStream(trio.socket.from_stdlib_socket(theirs)))
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve_engine, engine)
            await daemon.send(Configure(settings=settings))
            assert isinstance(await daemon.receive(), Ready)

            # Not even a request: dropped (there is no id to answer).
            await daemon.send("junk")
            await daemon.send(("start", 1))
            await daemon.send(42)
            # A request whose handling fails: a refusal, the engine's failure.
            await daemon.send(StartRun(request_id=2, request="not a request"))  # type: ignore[arg-type]
            reply = await next_reply(daemon)
            assert isinstance(reply, Refused)
            assert (reply.request_id, reply.failure) == (2, Failure.ENGINE)
            # An answer that cannot be sent becomes a refusal.
            await daemon.send(
                ApproveJob(request_id=4, run_id="run", job_id="job", approved=True, by="me")
            )
            reply = await next_reply(daemon)
            assert isinstance(reply, Refused)
            assert reply.request_id == 4
            # And the engine still answers.
            await daemon.send(CancelRun(request_id=5, run_id="nope", reason="why"))
            assert await next_reply(daemon) == Answer(request_id=5, value=False)
            await daemon.send(Shutdown(grace_s="soon"))  # type: ignore[arg-type]  # the default grace
            while not isinstance(await daemon.receive(), Stopped):
                pass
    await daemon.aclose()
    await engine.aclose()


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (RunError("no job 'x'"), Failure.RUN),
        (Unavailable("the daemon is shutting down"), Failure.UNAVAILABLE),
        (StoreUnavailable("not starting runs: degraded"), Failure.STORE_UNAVAILABLE),
        (sqlite3.OperationalError("disk I/O error"), Failure.ENGINE),
    ],
)
def test_a_refusal_carries_its_domain_error_across(error: Exception, failure: Failure) -> None:
    refused = refusal(7, error)
    assert refused == Refused(request_id=7, failure=failure, message=str(error))
    again = pickle.loads(pickle.dumps(refused))  # as the channel sends it
    raised = refused_error(again)
    assert str(raised) == str(error)
    expected = EngineFailure if failure is Failure.ENGINE else type(error)
    assert type(raised) is expected


def test_the_engine_process_loads_nothing_of_http() -> None:
    """The engine process imports runner.daemon too (for its host, runs and wire): the
    package must not pull the HTTP side in with it."""
    probe = (
        "import sys, runner.daemon.engine_host; "
        "print(sorted({m.split('.')[0] if not m.startswith('runner.') else m "
        "for m in sys.modules if m.startswith(('quart', 'hypercorn', 'httpx', 'runner.api', "
        "'runner.daemon.serve'))}))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "[]", result.stdout
