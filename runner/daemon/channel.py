"""Messages between the daemon and its engine process, over a socket pair.

Each message (one of wire.py's classes) is pickled and prefixed by its length.
Pickle is safe here because both ends are stax processes and the socket pair is
theirs alone (it is inherited, never bound to an address). A receiver still
checks what it got, by its class, and drops anything else.
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

import trio

_LENGTH = struct.Struct("!I")
_READ_SIZE = 1 << 20
SEND_TIMEOUT_S = 30.0  # a peer that takes nothing for this long is not coming back


class MessageChannel:
    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self._send_lock = trio.Lock()  # a message is never interleaved with another
        self._buffer = bytearray()
        self._cut = False  # a send was cut short: what follows could not be read

    async def send(self, message: Any) -> None:
        """Send `message` whole. Once its turn comes, the write is shielded from
        cancellation (half a message would make every later one unreadable) and bounded
        by SEND_TIMEOUT_S; a write cut short by that ends the channel
        (trio.BrokenResourceError, now and for every later send)."""
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        async with self._send_lock:
            if self._cut:
                raise trio.BrokenResourceError("a message to the peer was cut short")
            with trio.CancelScope(shield=True) as scope:
                scope.deadline = trio.current_time() + SEND_TIMEOUT_S
                await self.stream.send_all(_LENGTH.pack(len(payload)) + payload)
            if scope.cancelled_caught:
                self._cut = True
                raise trio.BrokenResourceError("the peer took nothing for too long")

    async def receive(self) -> object:
        """The next message; trio.EndOfChannel once the other end closed."""
        header = await self._read_exactly(_LENGTH.size)
        (length,) = _LENGTH.unpack(header)
        return pickle.loads(await self._read_exactly(length))

    async def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            data = await self.stream.receive_some(max(_READ_SIZE, size - len(self._buffer)))
            if not data:
                raise trio.EndOfChannel
            self._buffer += data
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    async def aclose(self) -> None:
        await self.stream.aclose()
