"""Canonical events: the one record of every state change of every run.

Seed 003's names are canonical; the others extend them. An event leaves the
engine without a `seq`; the store gives it one when it commits, and only then
may anyone else see it. Every stream stax serves is a projection of these.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.events.kinds import Conclusion, EventType, Status
from runner.events.payload_json import payload_from_json, payload_to_json
from runner.events.payloads import LogChunk

if TYPE_CHECKING:
    from collections.abc import Iterable

    from runner.events.payloads import Payload
    from runner.expressions.values import JSONValue

__all__ = ["Conclusion", "Event", "EventType", "Status", "now_ms", "weight"]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True, init=False, eq=False, repr=False)
class Event:
    """One state change. `seq` is 0 until the store has committed the event.

    The payload has two forms: typed (`payload`, runner.events.payloads), what the
    engine builds and every reader in the process sees, and JSON (`data`), what the
    store keeps and the wire sends. An event is built from either, `payload=` (the
    engine) or `data=` (the store's rows, a client's stream, tests); the other form is
    derived on first use and kept. The events are equal when their JSON forms are.

    step.log events carry a chunk of lines (LogChunk, one read's worth) rather than
    one line: a Python object per line would cap capture far below what a pipe
    delivers. Projections expand a chunk into one wire event per line; line i of the
    chunk is addressed as (seq, i).
    """

    type: EventType
    run_id: str
    job_id: str | None
    step_number: int | None
    ts: int
    seq: int
    _data: dict[str, JSONValue] | None
    _payload: Payload | None

    def __init__(
        self,
        *,
        type: EventType,
        run_id: str,
        job_id: str | None = None,
        step_number: int | None = None,
        data: dict[str, JSONValue] | None = None,
        payload: Payload | None = None,
        ts: int | None = None,
        seq: int = 0,
    ) -> None:
        if data is None and payload is None:
            data = {}
        put = object.__setattr__
        put(self, "type", type)
        put(self, "run_id", run_id)
        put(self, "job_id", job_id)
        put(self, "step_number", step_number)
        put(self, "ts", now_ms() if ts is None else ts)
        put(self, "seq", seq)
        put(self, "_data", data)
        put(self, "_payload", payload)

    @property
    def data(self) -> dict[str, JSONValue]:
        """The payload's JSON form (what the store keeps and the wire sends)."""
        data = self._data
        if data is None:
            assert self._payload is not None  # one of the two is always there
            data = payload_to_json(self._payload)
            object.__setattr__(self, "_data", data)
        return data

    @property
    def payload(self) -> Payload:
        """The typed payload (what every reader in the process uses)."""
        payload = self._payload
        if payload is None:
            payload = payload_from_json(self.type, self.data)
            object.__setattr__(self, "_payload", payload)
        return payload

    def replaced(self, **changes: Any) -> Event:
        """A copy with `changes` (as `dataclasses.replace`), keeping the payload's forms
        unless `data` or `payload` is among the changes."""
        fields: dict[str, Any] = {
            "type": self.type,
            "run_id": self.run_id,
            "job_id": self.job_id,
            "step_number": self.step_number,
            "ts": self.ts,
            "seq": self.seq,
        }
        if "data" not in changes and "payload" not in changes:
            fields["data"], fields["payload"] = self._data, self._payload
        return Event(**(fields | changes))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self._key() == other._key() and self.data == other.data

    __hash__ = None  # type: ignore[assignment]  # its data is a dict, as before

    def _key(self) -> tuple[object, ...]:
        return (self.type, self.run_id, self.job_id, self.step_number, self.ts, self.seq)

    def __repr__(self) -> str:
        return (
            f"Event(type={self.type!r}, run_id={self.run_id!r}, job_id={self.job_id!r}, "
            f"step_number={self.step_number!r}, data={self.data!r}, ts={self.ts!r}, "
            f"seq={self.seq!r})"
        )

    # Pickling (the engine process sends events to the daemon) carries one form of the
    # payload: the JSON if it has been made (the store has), else the typed one.
    def __getstate__(self) -> tuple[object, ...]:
        payload = None if self._data is not None else self._payload
        return (*self._key(), self._data, payload)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        names = ("type", "run_id", "job_id", "step_number", "ts", "seq", "_data", "_payload")
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    def to_json(self) -> dict[str, JSONValue]:
        """The event as one JSON object (what `stax run --json` prints)."""
        out: dict[str, JSONValue] = {
            "seq": self.seq,
            "ts": self.ts,
            "type": self.type.value,
            "run_id": self.run_id,
        }
        if self.job_id is not None:
            out["job_id"] = self.job_id
        if self.step_number is not None:
            out["step_number"] = self.step_number
        out["data"] = self.data
        return out


def weight(events: Iterable[Event]) -> int:
    """What events cost a queue bounded by what it holds: one each, a log chunk its lines.
    (Under load one log chunk holds thousands of lines; counting it as one event would
    let a queue of a few thousand events pin a whole run's log.)"""
    total = 0
    for event in events:
        if event.type is not EventType.STEP_LOG:
            total += 1
        elif isinstance(chunk := event.payload, LogChunk):
            total += len(chunk.lines)
        else:
            total += 1
    return total
