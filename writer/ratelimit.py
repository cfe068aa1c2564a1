"""A token bucket shared by one process's threads, so one instance stays under Wix's quota.

Wix counts requests per site per minute; with several instances, set the rate per instance.
A 429 with Retry-After pauses the whole bucket, since every request would meet the same quota.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        per_second: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = per_second
        self._capacity = float(burst or max(1, int(per_second)))
        self._tokens = self._capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self, max_wait: float, take: bool = True) -> bool:
        """Take one token, waiting at most max_wait seconds; False if none came in time.
        With take=False only wait until one is there, and leave it."""
        deadline = self._clock() + max_wait
        while True:
            with self._lock:
                now = self._clock()
                # Tokens accrue only from the end of a pause (_updated may lie in the future).
                if now > self._updated:
                    self._tokens = min(
                        self._capacity, self._tokens + (now - self._updated) * self._rate
                    )
                    self._updated = now
                wait = max(self._paused_until - now, 0.0)
                # The epsilon: refills are float sums, and 0.9999999 tokens is a whole one.
                if wait == 0.0 and self._tokens >= 1 - 1e-9:
                    if take:
                        self._tokens = max(self._tokens - 1, 0.0)
                    return True
                if wait == 0.0:
                    wait = max((1 - self._tokens) / self._rate, 1e-4)
            if now + wait > deadline:
                return False
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """No request for `seconds` (Wix's Retry-After); then start again from an empty bucket.

        Emptying the bucket matters: tokens saved up during the pause would otherwise all be
        spent at once when it ends, and meet the same quota again.
        """
        with self._lock:
            now = self._clock()
            self._paused_until = max(self._paused_until, now + seconds)
            self._tokens = 0.0
            self._updated = max(self._updated, self._paused_until)
