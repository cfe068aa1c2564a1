"""Per-client token buckets for /v1/*. Pure: the clock is passed in.

Per instance and per worker: this is a brake on one abusive client (or a runaway page loop),
not a global quota; Cloud Run's max instances bound the rest. Memory is bounded: the least
recently seen clients are forgotten first, which only ever lets a forgotten client start afresh.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, as the Retry-After header wants


class ClientRateLimiter:
    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float],
        max_clients: int = 10_000,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> Decision:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self._burst, now))
            tokens = min(self._burst, tokens + max(0.0, now - last) * self._rate)
            if tokens >= 1.0:
                self._remember(client, tokens - 1.0, now)
                return Decision(True)
            self._remember(client, tokens, now)
            return Decision(False, max(1, math.ceil((1.0 - tokens) / self._rate)))

    def _remember(self, client: str, tokens: float, now: float) -> None:
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)


def client_address(forwarded_for: str | None, remote_addr: str | None) -> str:
    """Who is calling. Behind Cloud Run's front end the caller is the last X-Forwarded-For hop:
    Google appends the address it saw, and anything before it was sent by the client (spoofable).
    """
    if forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return remote_addr or "unknown"
