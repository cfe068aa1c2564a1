"""This process's share of the site's Wix Data quota: reads and writes per minute, counted apart.

Wix counts data requests per site and per minute, reads and writes apart, and the merchant's own
pages, datasets and CMS draw on the same quota ("About Data Feature Limitations",
https://dev.wix.com/docs/develop-websites-sdk/maintain-your-site/scale-your-site/about-data-feature-limitations).
So the writer spends a budget it was given (WIX_READS_PER_MINUTE / WIX_WRITES_PER_MINUTE per
instance, split between the instance's gunicorn workers) and waits for it, rather than sending
requests for Wix to refuse. A bulk call is one request, whatever it carries.

Each budget is a token bucket whose burst is one second's worth: in any minute it lets through at
most the rate plus that burst, so a budget set a little under a quota never meets the quota, even
one Wix counts in whole calendar minutes.

A 429 pauses every sender of the process (both buckets): every request would meet the same quota.
For Wix's Retry-After when it gives one, else for a backoff that doubles with each 429 in a row
and starts again after a request goes through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from writer.ratelimit import RateLimiter

Kind = Literal["read", "write"]

FIRST_PAUSE = 1.0
MAX_PAUSE = 30.0


class QuotaBudget:
    def __init__(
        self,
        reads_per_minute: float,
        writes_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if reads_per_minute <= 0 or writes_per_minute <= 0:
            raise ValueError("a Wix budget must be above 0 requests a minute")
        self.reads_per_minute = reads_per_minute
        self.writes_per_minute = writes_per_minute
        self._buckets = {
            "read": RateLimiter(
                reads_per_minute / 60, burst=_burst(reads_per_minute), clock=clock, sleep=sleep
            ),
            "write": RateLimiter(
                writes_per_minute / 60, burst=_burst(writes_per_minute), clock=clock, sleep=sleep
            ),
        }
        self._lock = threading.Lock()
        self._refusals_in_a_row = 0

    def acquire(self, kind: Kind, max_wait: float) -> bool:
        """One request of this kind, waiting at most max_wait seconds; False if none came."""
        return self._buckets[kind].acquire(max_wait)

    def wait_ready(self, max_wait: float) -> None:
        """Wait (at most max_wait) until a read and a write could go out, without taking them:
        a batch waits here still open, so that what arrives meanwhile joins it."""
        for bucket in self._buckets.values():
            bucket.acquire(max_wait, take=False)

    def refused(self, retry_after: float | None) -> float:
        """Wix answered 429: pause every sender; returns the pause in seconds."""
        with self._lock:
            self._refusals_in_a_row += 1
            backoff = min(MAX_PAUSE, FIRST_PAUSE * 2.0 ** (self._refusals_in_a_row - 1))
        pause = retry_after if retry_after is not None else backoff
        for bucket in self._buckets.values():
            bucket.pause(pause)
        return pause

    def accepted(self) -> None:
        """A request went through: the next 429 starts the backoff afresh."""
        with self._lock:
            self._refusals_in_a_row = 0


def _burst(per_minute: float) -> int:
    return max(1, int(per_minute / 60))


def per_process(per_instance: float, workers: int) -> float:
    """An instance's budget shared by its gunicorn workers (each has its own buckets)."""
    return per_instance / max(1, workers)
