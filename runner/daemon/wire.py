"""The messages between the daemon and its engine process: one frozen class each.

    daemon -> engine   Configure  (the first message: the settings)
                       StartRun  CancelRun  ApproveJob   requests, each with an id
                       Shutdown                          stop accepting, end the runs, stop
    engine -> daemon   Ready | OpenFailed               the answer to Configure
                       Progress                         the writer's statistics: the log is
                                                        committed through their last_seq
                       Answer | Refused                 the reply to a request, by its id
                       RunEnded                         a run is over
                       Stopped                          the last message

Both ends handle them with `match` on the class; anything else that arrives (which a
stax process does not send) is logged and dropped. The channel (channel.py) pickles
them: both ends are the same stax, on a socket pair no one else holds.

A request that fails is Refused with the failure's kind, and the daemon raises the
matching domain error (runner.errors), which the API turns into its status: the
engine knows nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from runner.errors import EngineFailure, RunError, StoreUnavailable, Unavailable

if TYPE_CHECKING:
    from runner.config import Settings
    from runner.engine import RunRequest
    from runner.engine.records import RunRecord
    from runner.events.store import StoreStatistics


# -- daemon -> engine -------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Configure:
    settings: Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRun:
    request_id: int
    request: RunRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelRun:
    request_id: int
    run_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproveJob:
    request_id: int
    run_id: str
    job_id: str
    approved: bool
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown:
    grace_s: float  # how long the runs get to end once cancelled


Request = StartRun | CancelRun | ApproveJob


# -- engine -> daemon -------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Ready:
    stats: StoreStatistics


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenFailed:
    message: str  # why the engine cannot open the store


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    stats: StoreStatistics


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    request_id: int
    value: RunRecord | bool  # StartRun: the run's record; CancelRun, ApproveJob: done


class Failure(StrEnum):
    """Why a request was refused: each kind is one domain error."""

    RUN = "run"  # RunError: the request itself is wrong
    UNAVAILABLE = "unavailable"  # Unavailable: no run may start now
    STORE_UNAVAILABLE = "store_unavailable"  # StoreUnavailable: the store cannot take one
    ENGINE = "engine"  # EngineFailure: the engine could not answer


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    request_id: int
    failure: Failure
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEnded:
    run_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Stopped:
    pass


ToDaemon = Ready | OpenFailed | Progress | Answer | Refused | RunEnded | Stopped


def refusal(request_id: int, exc: Exception) -> Refused:
    """The reply for a request that raised `exc`."""
    match exc:
        case RunError():
            failure = Failure.RUN
        case StoreUnavailable():
            failure = Failure.STORE_UNAVAILABLE
        case Unavailable():
            failure = Failure.UNAVAILABLE
        case _:
            failure = Failure.ENGINE
    return Refused(request_id=request_id, failure=failure, message=str(exc))


def refused_error(refused: Refused) -> Exception:
    """The domain error a Refused reply stands for (for the daemon to raise)."""
    match refused.failure:
        case Failure.RUN:
            return RunError(refused.message)
        case Failure.STORE_UNAVAILABLE:
            return StoreUnavailable(refused.message)
        case Failure.UNAVAILABLE:
            return Unavailable(refused.message)
        case _:
            return EngineFailure(refused.message)
