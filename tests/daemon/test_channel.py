"""MessageChannel: whole messages, in order, of any size; the end of the other side."""

from __future__ import annotations

import pytest
import trio

from runner.daemon.channel import MessageChannel


async def test_messages_arrive_whole_and_in_order_whatever_their_size() -> None:
    left, right = trio.socket.socketpair()
    sender = MessageChannel(trio.SocketStream(left))
    receiver = MessageChannel(trio.SocketStream(right))
    messages = [
        ("small", 1),
        ("big", "x" * (5 << 20)),
        ("empty", b""),
        *[("n", i) for i in range(500)],
    ]
    async with trio.open_nursery() as nursery:

        async def send_all() -> None:
            for message in messages:
                await sender.send(message)
            await sender.aclose()

        nursery.start_soon(send_all)
        received = [await receiver.receive() for _ in messages]
    assert received == messages
    with pytest.raises(trio.EndOfChannel):
        await receiver.receive()
    await receiver.aclose()


async def test_a_message_cut_short_by_the_other_end_is_the_end() -> None:
    left, right = trio.socket.socketpair()
    receiver = MessageChannel(trio.SocketStream(right))
    await left.send(b"\x00\x00\x01\x00partial")
    left.close()
    with pytest.raises(trio.EndOfChannel):
        await receiver.receive()
    await receiver.aclose()
