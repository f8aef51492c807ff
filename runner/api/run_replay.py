"""A run's committed events, read back from the store page by page.

The thread dialects (executions, sessions, the Agent Protocol) number or link their
wire events from facts earlier in the run (a per-thread `sequence`; the `tool_use` a
`tool_result` answers; the jobs a run still has open). Those facts are folded from
the run's own events, read from the store, and never kept anywhere else: a stream
that resumes mid-run first folds the run up to its resume position with a RunReplay,
then follows from there with a Follower. Every client folds the same log, so every
client computes the same numbers and links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.follow import REPLAY_PAGE_BYTES

if TYPE_CHECKING:
    from runner.events.store_reader import StoreReader
    from runner.events.types import Event

_REPLAY_PAGE = 2000


class RunReplay:
    """A run's committed events with `after` < seq <= `until`, oldest first, page by page.

    (A class, not an async generator: readers stop early, and an abandoned generator
    would be finalized by the garbage collector.)
    """

    def __init__(
        self, store: StoreReader, run_id: str, *, after: int = 0, until: int | None = None
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.after = after
        self.until = until

    async def next_page(self) -> list[Event]:
        """The next page of events; empty at the end."""
        page = await self.store.read_after(
            self.after,
            limit=_REPLAY_PAGE,
            run_id=self.run_id,
            until=self.until,
            max_bytes=REPLAY_PAGE_BYTES,
        )
        if page:
            self.after = page[-1].seq
        return page
