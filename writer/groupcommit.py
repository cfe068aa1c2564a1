"""Group commit: the pushes one process handles at the same time share one read and one save.

Why: Wix's quota is per site and per minute, and a bulk call is one request whatever it carries.
One message at a time costs a read and a save each (2 requests a message); a batch of n costs 2.

How: the first push of a batch leads it. It waits for the batch's window (at most 50 ms: a lone
message waits no longer) or for the size cap, and for its turn: batches commit oldest first, one
at a time, so that while Wix answers one batch (or the budget holds it) the next one fills. Only
a full batch may commit beside another (up to `max_commits`): more is waiting than one batch
takes, and waiting would not make the next batch any bigger. Then it reads every item of the batch in one
consistent query, plans with the pure planner (writer/batch.py), saves the changed items in one
bulk save and hands each push its own item's outcome. Wix answers a bulk save 200 even when some
items fail, so each item's result is read: an item that failed alone is retried (transient) or
goes to the dead letters (validation), and the others are acknowledged.

A transient failure of the whole query or save, or of single items, is retried like the
per-message path (writer/apply.py's RetryPolicy): within a time budget, from the read again, for
the messages still pending only.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from payments.message import PaymentUpdate
from writer.apply import NO_RETRY, Applied, RetryPolicy, Timer, backoff
from writer.batch import NO_OP, UNREADABLE, plan_batch
from writer.ports import BatchCollection
from writer.record import UnreadableItem
from writer.wix import BULK_LIMIT, BulkResult, WixError, WixPermanentError, WixTransientError

# What a message comes out of its batch with: applied, or the error its push is answered by.
Result = Applied | WixError | UnreadableItem

_RNG = random.Random()


@dataclass(frozen=True)
class Committed:
    result: Result
    batch_size: int
    wix_ms: float  # time the batch spent waiting on Wix, all attempts together


def run_batch(
    collection: BatchCollection,
    updates: Sequence[PaymentUpdate],
    policy: RetryPolicy = NO_RETRY,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    timer: Timer | None = None,
) -> list[Result]:
    """Each update's result, in order. Never raises a Wix error: it becomes the messages'."""
    rng = rng or _RNG
    timer = timer or Timer(clock)
    results: list[Result | None] = [None] * len(updates)
    pending = list(range(len(updates)))
    started = clock()
    attempt = 0
    while pending:
        attempt += 1
        retry_after: float | None = None
        try:
            pending, retry_after = _attempt(collection, updates, pending, results, attempt, timer)
        except WixTransientError as exc:  # the whole query or save: every pending message again
            for index in pending:
                results[index] = exc
            retry_after = exc.retry_after
        except WixError as exc:  # configuration: retrying in this push cannot help
            for index in pending:
                results[index] = exc
            break
        if not pending:
            break
        pause = backoff(policy, attempt, rng)
        if retry_after is not None:
            pause = max(pause, retry_after)
        if attempt >= policy.attempts or clock() - started + pause > policy.budget:
            break  # the pending keep their transient error: answered 503, Pub/Sub redelivers
        sleep(pause)
    return [r if r is not None else WixTransientError("not applied") for r in results]


def _attempt(
    collection: BatchCollection,
    updates: Sequence[PaymentUpdate],
    pending: list[int],
    results: list[Result | None],
    attempt: int,
    timer: Timer,
) -> tuple[list[int], float | None]:
    """One read, one bulk save; returns the messages to try again and Wix's Retry-After."""
    batch = [updates[i] for i in pending]
    item_ids = list(dict.fromkeys(u.payment_intent_id for u in batch))
    with timer:
        current = collection.get_many(item_ids)
    plan = plan_batch(batch, current)
    saved = _save(collection, list(plan.saves), timer) if plan.saves else {}
    again: list[int] = []
    retry_after: float | None = None
    for index, message in zip(pending, plan.messages, strict=True):
        if message.action == UNREADABLE:
            results[index] = UnreadableItem(message.detail or "existing Wix item cannot be read")
            continue
        if message.item_id not in plan.saved_ids:
            results[index] = Applied(NO_OP, message.status or "", None, attempt)
            continue
        # Every message folded into an item shares its save: an earlier message's change that
        # failed to save means a later no-op is not durable either.
        outcome = saved.get(message.item_id)
        error: WixError
        if outcome is None:
            error = WixTransientError(f"Wix gave no result for item {message.item_id}")
        elif outcome.success:
            results[index] = Applied(message.action, message.status or "", outcome.action, attempt)
            continue
        else:
            error = outcome.error()
        results[index] = error
        if isinstance(error, WixTransientError):
            again.append(index)
            retry_after = error.retry_after if error.retry_after is not None else retry_after
    return again, retry_after


def _save(
    collection: BatchCollection, items: list[tuple[str, dict[str, Any]]], timer: Timer
) -> dict[str, BulkResult]:
    """Each item's result by id, matched through originalIndex (Wix's order is not promised)."""
    try:
        with timer:
            answers = collection.bulk_save(items)
    except WixPermanentError:
        if len(items) == 1:
            raise
        # Wix refused the whole request (an item it will not take at all): one item a request
        # finds which, so that the others still land.
        found: dict[str, BulkResult] = {}
        for item in items:
            try:
                found.update(_save(collection, [item], timer))
            except WixPermanentError as exc:
                found[item[0]] = BulkResult(item[0], None, False, exc.code, str(exc))
        return found
    by_id: dict[str, BulkResult] = {}
    for position, answer in enumerate(answers):
        index = answer.original_index if answer.original_index is not None else position
        if 0 <= index < len(items):
            by_id[items[index][0]] = answer
    return by_id


@dataclass
class _Entry:
    update: PaymentUpdate
    done: threading.Event = field(default_factory=threading.Event)
    committed: Committed | None = None


@dataclass
class _Batch:
    opened: float
    entries: list[_Entry] = field(default_factory=list)
    closed: bool = False


class GroupCommit:
    """Joins concurrent submits into batches and commits them one at a time, oldest first."""

    def __init__(
        self,
        run: Callable[[list[PaymentUpdate], Timer], list[Result]],
        window: float,
        max_items: int = 100,
        max_commits: int = 2,
        clock: Callable[[], float] = time.monotonic,
        ready: Callable[[], None] | None = None,
    ) -> None:
        """`ready`: waits until the batch's requests could go out (the Wix budget); the batch
        stays open meanwhile, so that a budget-bound writer makes fewer, bigger batches."""
        self._ready = ready
        if not 0 < max_items <= BULK_LIMIT:
            raise ValueError(f"a batch holds 1 to {BULK_LIMIT} messages")
        if max_commits < 1:
            raise ValueError("at least one batch must be able to commit")
        self._max_commits = max_commits
        self._run = run
        self._window = window
        self._max = max_items
        self._clock = clock
        self._cond = threading.Condition()
        self._batches: deque[_Batch] = deque()
        self._committing = 0

    @property
    def waiting(self) -> int:
        """Messages in batches not yet committed (for tests and logs)."""
        with self._cond:
            return sum(len(b.entries) for b in self._batches)

    def submit(self, update: PaymentUpdate) -> Committed:
        entry = _Entry(update)
        with self._cond:
            if self._batches and not self._batches[-1].closed:
                batch, leader = self._batches[-1], False
            else:
                batch, leader = _Batch(self._clock()), True
                self._batches.append(batch)
            batch.entries.append(entry)
            if len(batch.entries) >= self._max:
                batch.closed = True
                self._cond.notify_all()
            if leader:
                self._wait_for_turn(batch)
        if leader:
            try:
                if self._ready is not None:
                    self._ready()  # outside the lock: new pushes keep joining this batch
            finally:
                with self._cond:
                    self._close(batch)
        if not leader:
            entry.done.wait()
            assert entry.committed is not None
            return entry.committed
        self._commit(batch)
        assert entry.committed is not None
        return entry.committed

    def _wait_for_turn(self, batch: _Batch) -> None:
        """Under the lock: until this batch is the oldest and may commit (nothing else commits,
        or it is full and a slot is free), and it is full or its window is over. It takes new
        messages all the while."""
        while True:
            slot = self._committing == 0 or (batch.closed and self._committing < self._max_commits)
            first = self._batches[0] is batch and slot
            remaining = batch.opened + self._window - self._clock()
            if first and (batch.closed or remaining <= 0):
                break
            self._cond.wait(timeout=remaining if first else None)
        self._committing += 1

    def _close(self, batch: _Batch) -> None:
        """Under the lock: the batch takes no more messages and leaves the queue."""
        batch.closed = True
        self._batches.popleft()
        self._cond.notify_all()

    def _commit(self, batch: _Batch) -> None:
        timer = Timer(time.perf_counter)
        updates = [e.update for e in batch.entries]
        try:
            results = self._run(updates, timer)
        except Exception as exc:  # no follower may be left waiting
            results = [WixTransientError(f"batch failed: {type(exc).__name__}: {exc}")] * len(
                updates
            )
        finally:
            with self._cond:
                self._committing -= 1
                self._cond.notify_all()
        for entry, result in zip(batch.entries, results, strict=True):
            entry.committed = Committed(result, len(updates), timer.ms)
            entry.done.set()
