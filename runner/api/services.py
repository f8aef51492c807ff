"""Services: what the routes reach, one object per daemon.

Whoever hosts the API (runner.daemon) creates it with the store, the bus and the run
manager, and hands it to `create_app`, which gives it to every family's routes. The
state the API keeps between requests lives here or in an object created with the app
(a family's route group), never in a module global or the app's config: two daemons in
one process (the tests start many) share nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from runner.api.auth import presented_token, token_matches
from runner.api.login import LoginTokens
from runner.api.thread_streams import ThreadStreams
from runner.definitions import Definitions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from werkzeug.datastructures import Headers

    from runner.actions.services.app import RunnerServices
    from runner.api.streaming import StreamWatch
    from runner.config import Settings
    from runner.engine import RunRequest
    from runner.engine.records import RunRecord
    from runner.events.bus import Bus
    from runner.events.store_reader import StoreReader
    from runner.events.thread_store import ThreadStore
    from runner.expressions.values import JSONValue


class ActiveRun(Protocol):
    @property
    def record(self) -> RunRecord | None: ...


class Runs(Protocol):
    """What the routes ask of the daemon's runs (its engine process implements it).

    `start` raises RunError for a bad request and DaemonUnavailable (or
    StoreUnavailable) when no run may start now; `cancel` and `approve` return False when
    there is no such run or waiting job."""

    @property
    def active(self) -> Mapping[str, ActiveRun]: ...

    @property
    def accepting(self) -> bool: ...

    async def start(self, request: RunRequest) -> RunRecord: ...

    async def cancel(self, run_id: str, reason: str = "cancelled") -> bool: ...

    async def approve(self, run_id: str, job_id: str, *, approved: bool, by: str) -> bool: ...


@dataclass(slots=True, kw_only=True)
class Services:
    """Owned by the daemon, shared by every request."""

    settings: Settings
    store: StoreReader  # the event log, as the API reads it (runner.events.store_reader)
    bus: Bus
    manager: Runs
    token: str  # the daemon's own; stax.toml may accept more (`tokens`)
    agent_threads: ThreadStore  # the Agent Protocol's threads, beside the event log
    watch: StreamWatch  # every open stream's writes, timed
    runner_services: RunnerServices | None = None  # artifacts and cache, for the steps
    logins: LoginTokens = field(default_factory=LoginTokens)  # the dashboard's, one-time
    thread_streams: ThreadStreams = field(default_factory=ThreadStreams)
    definitions: Definitions = field(default_factory=Definitions)  # parsed, off the loop
    started_at: float = field(default_factory=time.time)

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token, *self.settings.auth.tokens)

    def token_of(self, headers: Headers) -> str | None:
        """The accepted token a request's headers present (`Authorization: Bearer` or
        `x-api-key`), else None."""
        given = presented_token(headers.get("Authorization"), headers.get("x-api-key"))
        return token_matches(given, self.tokens)

    async def find_run(self, run_id: str) -> dict[str, JSONValue] | None:
        """The run's snapshot with its jobs: the stored one, or, for a run started a
        moment ago whose first events are not committed yet, the live one."""
        run = await self.store.get_run(run_id)
        if run is not None:
            return run
        active = self.manager.active.get(run_id)
        if active is None or active.record is None:
            return None
        run = active.record.snapshot()
        run["jobs"] = [job.snapshot() for job in active.record.jobs.values()]
        return run
