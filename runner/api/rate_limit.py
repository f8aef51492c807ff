"""Per-key request limits: at most N requests in any window of W seconds.

A sliding log per key (the times of its last N requests), so a burst at the
end of one window and the start of the next cannot double the rate. Keys are
accepted tokens (requests are authenticated first), so the table stays small.

Every answer carries the usual headers: `X-RateLimit-Limit` (N),
`X-RateLimit-Remaining` (after this request), `X-RateLimit-Reset` (Unix time,
in seconds, when a request is next allowed to be counted afresh: the oldest
counted request leaves the window); a refused one adds `Retry-After` (seconds).
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True, slots=True, kw_only=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # Unix time
    retry_after_s: int  # 0 when allowed

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimiterStatistics:
    keys: int
    refused: int


class RateLimiter:
    """Counts requests per key; `hit(key)` counts one (if allowed) and says what happened."""

    def __init__(
        self,
        requests: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.requests = requests
        self.window_s = window_s
        self._clock = clock
        self._wall = wall
        self._log: dict[str, deque[float]] = {}
        self._refused = 0

    def hit(self, key: str) -> RateDecision:
        now = self._clock()
        log = self._log.setdefault(key, deque())
        while log and log[0] <= now - self.window_s:
            log.popleft()
        allowed = len(log) < self.requests
        if allowed:
            log.append(now)
        else:
            self._refused += 1
        oldest = log[0] if log else now
        wait = max(oldest + self.window_s - now, 0.0)
        self._forget_idle(now)
        return RateDecision(
            allowed=allowed,
            limit=self.requests,
            remaining=max(self.requests - len(log), 0),
            reset_at=self._wall() + wait,
            retry_after_s=0 if allowed else max(math.ceil(wait), 1),
        )

    def _forget_idle(self, now: float) -> None:
        if len(self._log) > 1024:  # only keys with requests in the window matter
            for key in [
                k for k, log in self._log.items() if not log or log[-1] <= now - self.window_s
            ]:
                del self._log[key]

    def statistics(self) -> RateLimiterStatistics:
        return RateLimiterStatistics(keys=len(self._log), refused=self._refused)
