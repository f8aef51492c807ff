"""Test-only fault injection: make one named point of the engine raise, to prove that an
unexpected error stays inside its run.

Nothing sets this outside tests. A test puts `STAX_TEST_FAULT=POINT:TEXT` in the
environment of the process that runs the engine (`stax serve` hands its environment to
its engine process; `stax run --local` runs the engine itself), and the engine raises
InjectedFault at POINT whenever TEXT is part of what that point is handling:

    job     a job's key, as the scheduler takes the job up
    step    a step's name, as the step starts
    log     a chunk of a step's output lines, as they are handled (masking, commands)
    emit    an event's job id, as the event is emitted (every event of that job fails)

Unset, each point costs one comparison with None.
"""

from __future__ import annotations

import os

ENV_VAR = "STAX_TEST_FAULT"
POINTS = ("job", "step", "log", "emit")


class InjectedFault(RuntimeError):
    """The error an armed point raises: an unexpected error, as far as the engine knows."""


def _armed(spec: str | None) -> tuple[str, str] | None:
    if not spec:
        return None
    point, sep, text = spec.partition(":")
    if not sep or point not in POINTS or not text:
        return None
    return point, text


ARMED: tuple[str, str] | None = None


def arm_from_environment() -> None:
    """Read STAX_TEST_FAULT (at import, and again in a warm start's fork, which takes
    on its caller's environment after the import)."""
    global ARMED
    ARMED = _armed(os.environ.get(ENV_VAR))


arm_from_environment()


def inject(point: str, subject: str) -> None:
    """Raise InjectedFault if `point` is armed and its text is in `subject`."""
    armed = ARMED
    if armed is not None and armed[0] == point and armed[1] in subject:
        raise InjectedFault(f"fault injected at {point!r} ({ENV_VAR})")
