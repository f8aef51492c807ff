"""Concurrency groups, GitHub's way: per group at most one running and one pending.

A newcomer replaces (cancels) the pending one; with `cancel-in-progress`
it also cancels the running one. When the running one finishes, the
pending one starts. Groups live in the daemon, so they span runs; a plain
`stax run` has its own (they then order the jobs of that one run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import trio

Canceller = Callable[[str], None]


@dataclass(slots=True, eq=False)
class Slot:
    """A place in a group. `acquire` returns it once it may run, or None when it was
    superseded while pending (its holder has then been cancelled)."""

    group: str
    cancel: Canceller
    admitted: trio.Event = field(default_factory=trio.Event)
    superseded: bool = False


@dataclass(slots=True)
class _Group:
    running: Slot | None = None
    pending: Slot | None = None


class ConcurrencyGroups:
    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}

    async def acquire(
        self, group: str, *, cancel_in_progress: bool, cancel: Canceller
    ) -> Slot | None:
        state = self._groups.setdefault(group, _Group())
        slot = Slot(group=group, cancel=cancel)
        if state.pending is not None:
            previous = state.pending
            state.pending = None
            previous.superseded = True
            previous.cancel(
                f"Canceling since a higher priority waiting request for '{group}' exists"
            )
            previous.admitted.set()
        if cancel_in_progress and state.running is not None:
            state.running.cancel(
                f"Canceling since a higher priority waiting request for '{group}' exists"
            )
        if state.running is None:
            state.running = slot
            return slot
        state.pending = slot
        try:
            await slot.admitted.wait()
        except BaseException:
            if state.pending is slot:
                state.pending = None
            self.release(slot)
            raise
        return None if slot.superseded else slot

    def release(self, slot: Slot) -> None:
        state = self._groups.get(slot.group)
        if state is None:
            return
        if state.running is slot:
            state.running = state.pending
            state.pending = None
            if state.running is not None:
                state.running.admitted.set()
        if state.running is None and state.pending is None:
            del self._groups[slot.group]

    def is_busy(self, group: str) -> bool:
        return group in self._groups
