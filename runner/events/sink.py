"""Where the engine puts events. The engine knows only this protocol.

In the daemon the sink is the store (which numbers, commits, then
publishes); in a plain `stax run` it is the store too, with the terminal
renderer subscribed. Tests use `ListSink`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runner.events.types import Event


class EventSink(Protocol):
    async def emit(self, event: Event) -> None:
        """Accept one event. May wait (backpressure) but never drops it."""
        ...


class ListSink:
    """Keeps every event in memory, numbered in arrival order (for tests and tools)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def emit(self, event: Event) -> None:
        self.events.append(event.replaced(seq=len(self.events) + 1))
