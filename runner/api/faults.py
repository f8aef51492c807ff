"""Test-only: make a route raise on demand, to prove a crash stays in its request.

Off unless the daemon's environment has STAX_TEST_FAULTS=1, which only tests set.
Then a request carrying `X-Stax-Test-Fault: raise` raises RuntimeError inside its
route's view, after the guards, as a bug in that route would.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from quart import request

if TYPE_CHECKING:
    from collections.abc import Callable

    from quart_trio import QuartTrio

ENV = "STAX_TEST_FAULTS"
HEADER = "X-Stax-Test-Fault"


class InjectedFault(RuntimeError):
    """The error a test asked for."""


def enabled() -> bool:
    return os.environ.get(ENV) == "1"


def inject_faults(app: QuartTrio) -> None:
    """Wrap every view of `app` (its blueprints registered) to raise when asked."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _faulty(view)


def _faulty(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get(HEADER) == "raise":
            raise InjectedFault(f"injected fault in {request.path}")
        return await view(*args, **kwargs)

    return wrapper
