"""The Agent Protocol's wire: a protocol event, its seq, and the ids the protocol names.

seq: `canonical seq * STRIDE + index`, index counting every protocol event the
canonical event gives, before any filter (projection.py explains why it is absolute,
monotonic and durable). An interrupt id names the job whose approval it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.api.sse import dumps

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue

STRIDE = 1_000_000  # wire seq = canonical seq * STRIDE + index (index < STRIDE)

Namespace = tuple[str, ...]


def applied_through(canonical_seq: int) -> int:
    """The last wire seq canonical event `canonical_seq` could give."""
    return canonical_seq * STRIDE + STRIDE - 1


def interrupt_id(run_id: str, job_id: str) -> str:
    return f"{run_id}:{job_id}:approval"


def parse_interrupt_id(value: str) -> tuple[str, str] | None:
    """(run_id, job_id) of an interrupt id, or None if it is not one of ours."""
    run_id, _, rest = value.partition(":")
    job_id, _, kind = rest.rpartition(":")
    if not run_id or not job_id or kind != "approval":
        return None
    return run_id, job_id


@dataclass(frozen=True, slots=True)
class ProtocolEvent:
    """One protocol event: `method`, `params` {namespace, timestamp, data}, and its seq."""

    seq: int
    method: str
    namespace: Namespace
    timestamp: int  # UTC ms
    data: dict[str, JSONValue]

    @property
    def event_id(self) -> str:
        """Unique per event: the canonical seq and the index, like `/api/events`'s `seq.i`."""
        return f"{self.seq // STRIDE}.{self.seq % STRIDE}"

    @property
    def channel(self) -> str:
        """The channel that carries it (`input.requested` is on `input`; custom events on
        `custom:<name>`, and on `custom`)."""
        if self.method == "input.requested":
            return "input"
        if self.method == "custom":
            name = self.data.get("name")
            return f"custom:{name}" if isinstance(name, str) and name else "custom"
        return self.method

    def envelope(self) -> dict[str, JSONValue]:
        return {
            "type": "event",
            "seq": self.seq,
            "event_id": self.event_id,
            "method": self.method,
            "params": {
                "data": self.data,
                "namespace": list(self.namespace),
                "timestamp": self.timestamp,
            },
        }

    def encode(self) -> str:
        """The SSE frame: `event: <method>`, `data: <envelope>`, `id: <seq>`."""
        return f"event: {self.method}\ndata: {dumps(self.envelope())}\nid: {self.seq}\n\n"
