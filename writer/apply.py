"""Apply one PaymentUpdate to its Wix item: read, merge, save only what changed.

Transient Wix failures (5xx, 429, timeouts) are retried here a few times, within a time budget
well under the push subscription's ack deadline, before the push is answered 503. Why both this
and Pub/Sub's redelivery: Pub/Sub gives up after the subscription's max_delivery_attempts. In
Google Cloud the message then goes to the dead-letter topic (and `redrive` brings it back), but
the local emulator simply drops it. A few quick retries make an exhausted message rare enough
(15 % of Wix requests failing: about 1 in 10^11 instead of 1 in 600) without holding a request
for long; Pub/Sub's backoff stays the answer to longer Wix outages.

Each retry starts again from the read: a save that timed out may have been applied, and the
fresh read then shows it, so the retry costs no second write.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from payments.message import PaymentUpdate
from payments.methods import label
from writer.merge import merge
from writer.ports import Collection
from writer.record import from_wix_data, owner_fields, to_wix_data
from writer.wix import WixTransientError


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    # Seconds from the first Wix call after which no new attempt starts; a push subscription's
    # ack deadline (30 s locally, 60 s recommended in Cloud) must stay above budget + one attempt.
    budget: float = 10.0
    first_backoff: float = 0.1
    max_backoff: float = 2.0


NO_RETRY = RetryPolicy(attempts=1)


# Jitter only; one generator for the process rather than one per push.
_RNG = random.Random()


@dataclass(frozen=True)
class Applied:
    action: str  # insert | update | no-op
    status: str
    wix_action: str | None
    attempts: int


class Timer:
    """Milliseconds spent waiting on Wix, across attempts (the log line's wix_latency_ms)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.ms = 0.0

    def __enter__(self) -> Timer:
        self._started = self._clock()
        return self

    def __exit__(self, *_: object) -> None:
        self.ms += (self._clock() - self._started) * 1000


def apply_update(
    collection: Collection,
    update: PaymentUpdate,
    policy: RetryPolicy = NO_RETRY,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    timer: Timer | None = None,
) -> Applied:
    """Raises the last Wix error when the attempts or the budget run out (and non-transient
    errors, and UnreadableItem, at once)."""
    rng = rng or _RNG
    timer = timer or Timer(clock)
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return _attempt(collection, update, attempt, timer)
        except WixTransientError as exc:
            pause = backoff(policy, attempt, rng)
            if exc.retry_after is not None:
                # Wix said when: waiting less would only meet the same quota.
                pause = max(pause, exc.retry_after)
            out_of_time = clock() - started + pause > policy.budget
            if attempt >= policy.attempts or out_of_time:
                raise
            sleep(pause)


def _attempt(collection: Collection, update: PaymentUpdate, attempt: int, timer: Timer) -> Applied:
    with timer:
        current = collection.get(update.payment_intent_id)
    existing = from_wix_data(current) if current is not None else None
    merged = merge(existing, update)
    if merged == existing:
        return Applied("no-op", merged.status.value, None, attempt)
    data = to_wix_data(merged, label(merged.paid_with) if merged.paid_with else None)
    if current is not None:
        # Save replaces the whole item: keep the columns the site owner added (notes, "shipped").
        data = {**owner_fields(current), **data}
    with timer:
        wix_action = collection.save(update.payment_intent_id, data)
    action = "insert" if existing is None else "update"
    return Applied(action, merged.status.value, wix_action, attempt)


def backoff(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    # Exponential with jitter, so that the threads that failed together do not retry together.
    ceiling = min(policy.max_backoff, policy.first_backoff * 2.0 ** (attempt - 1))
    return ceiling * (0.5 + rng.random() / 2)
