"""The engine process's request handling (runner.daemon.engine_host): a request that goes wrong
is that request's failure, never the engine's."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import trio

from runner.config import load_settings
from runner.daemon.channel import MessageChannel
from runner.daemon.engine_host import serve_engine
from runner.daemon.runs import RunManager


class Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("not today")


async def next_reply(channel: MessageChannel) -> tuple[Any, ...]:
    while True:
        message = await channel.receive()
        if message[0] == "reply":
            return tuple(message)


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
            await daemon.send(("settings", settings))
            assert (await daemon.receive())[0] == "ready"

            # Not even a request: dropped (there is no id to answer).
            await daemon.send("junk")
            await daemon.send(("start",))
            await daemon.send(42)
            # A request whose handling fails: an error reply.
            await daemon.send(("start", 1))  # no RunRequest
            assert (await next_reply(daemon))[:3] == ("reply", 1, False)
            await daemon.send(("start", 2, "not a request"))
            reply = await next_reply(daemon)
            assert reply[:3] == ("reply", 2, False)
            assert reply[3][:3] == ("api", 500, "internal_error")
            await daemon.send(("fly", 3))
            assert (await next_reply(daemon))[:3] == ("reply", 3, False)
            # A reply that cannot be sent becomes an error reply.
            await daemon.send(("approve", 4, "run", "job", True, "me"))
            assert (await next_reply(daemon))[:3] == ("reply", 4, False)
            # And the engine still answers.
            await daemon.send(("cancel", 5, "nope", "why"))
            assert await next_reply(daemon) == ("reply", 5, True, False)
            await daemon.send(("shutdown", "soon"))  # a grace that is no number: the default
            while (await daemon.receive())[0] != "stopped":
                pass
    await daemon.aclose()
    await engine.aclose()
