"""Backfill: every past PaymentIntent in a time range, published as the snapshot verify makes.

For the payments a merchant had before installing the bridge (reconcile reads Stripe's events,
which Stripe keeps for 30 days only). Each PaymentIntent created in [since, until) is listed
(pages of 100, newest first, `latest_charge` expanded: no call per payment), turned into the
verify snapshot with source `backfill` and the stable id `backfill_<pi>:<status>:<refunded>`,
and published keyed by its payment intent. The writer's merge makes it harmless beside live
traffic: a snapshot never overrides what an event already said, and a re-run publishes the same
messages, which change nothing.

Made for big accounts:
- Stripe's rate limits (https://docs.stripe.com/rate-limits: 100 read operations a second in
  live mode, 25 in test mode) are met with room to spare for ingest's own calls: the list is
  paced at half the limit for the key's mode. A 429 is answered as Stripe's "Handling limiting
  gracefully" asks: exponential backoff with jitter, and the pace is halved for the rest of
  the run.
- Publishing is paced too (`publish_per_second`), so that the writer's Wix traffic stays
  within the writer's share of the site's per-minute quota.
- A checkpoint file records the last page finished and which payments of the page in progress
  are already published, written after each one; `--resume` continues from there, so after
  Ctrl-C (which stops between two publishes) nothing is published twice. After a SIGKILL at
  most the one message in flight may go out again, with the same id, which the writer ignores.
- Messages whose publish failed are kept in the checkpoint and published first on `--resume`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from ingest.normalize import Ignored, MalformedEvent, normalize_snapshot
from ingest.ports import StripeFailure, publish_update
from payments.message import MessageError, PaymentUpdate, Source
from servicekit.publishing import Publisher, PublishError

log = logging.getLogger("ingest.backfill")

PAGE_SIZE = 100  # Stripe's maximum `limit` for a list
# Stripe's basic rate limiter, read operations per second, by the key's mode.
STRIPE_READS_PER_SECOND = {"live": 100.0, "test": 25.0}
# The share of it the backfill takes: ingest serves payments on the same account meanwhile.
STRIPE_SHARE = 0.5
# Wix Data allows a site 3,000 reads and 1,500 writes a minute, shared with the site's own
# pages, datasets and CMS ("About Data Feature Limitations", https://dev.wix.com/docs/
# develop-websites-sdk/maintain-your-site/scale-your-site/about-data-feature-limitations). A backfilled payment costs the writer one read and (new record) one write: 5 a second
# is 300 of each a minute, a fifth of the site's writes.
DEFAULT_PUBLISH_PER_SECOND = 5.0
MAX_STRIPE_ATTEMPTS = 8
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 32.0
CHECKPOINT_VERSION = 1


class InvalidRange(ValueError):
    pass


class CheckpointMismatch(ValueError):
    pass


def parse_date(text: str, name: str) -> int:
    """'2024-01-01' (midnight UTC) or an ISO 8601 time with a zone -> unix seconds."""
    value = (text or "").strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRange(
            f"{name} {text!r}: use a date (2024-01-01) or an ISO 8601 time"
        ) from None
    if moment.tzinfo is None:
        raise InvalidRange(f"{name} {text!r}: give the time zone (…Z or +02:00)")
    return int(moment.timestamp())


@dataclass(frozen=True)
class BackfillRange:
    since: int  # created[gte]
    until: int  # created[lt]

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise InvalidRange("--until must be after --since")

    def covered(self, oldest_created: int) -> float:
        """How much of the range is done once everything newer than `oldest_created` is."""
        return min(1.0, max(0.0, (self.until - oldest_created) / (self.until - self.since)))


class PaymentIntentPages(Protocol):
    def list_payment_intents(
        self, created_gte: int, created_lt: int, starting_after: str | None, limit: int
    ) -> dict[str, Any]:
        """One page of Stripe's list (`data`, `has_more`), newest first, with `latest_charge`
        expanded. Raises StripeFailure."""
        ...


@dataclass
class Checkpoint:
    since: int
    until: int
    cursor: str | None = None  # the last PaymentIntent of the last page finished
    page_done: list[str] = field(default_factory=list)  # of the page after the cursor
    pending: list[dict[str, Any]] = field(default_factory=list)  # messages not yet published
    pages: int = 0
    read: int = 0
    published: int = 0
    skipped: int = 0
    finished: bool = False
    version: int = CHECKPOINT_VERSION

    @property
    def complete(self) -> bool:
        return self.finished and not self.pending


class CheckpointFile:
    """The checkpoint on disk, replaced atomically: a crash leaves the old one or the new one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        try:
            body = json.loads(self.path.read_text())
            if body.get("version") != CHECKPOINT_VERSION:
                raise ValueError(f"version {body.get('version')!r}")
            return Checkpoint(**body)
        except (ValueError, TypeError) as exc:
            raise CheckpointMismatch(f"checkpoint {self.path} cannot be read: {exc}") from None

    def save(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(checkpoint), separators=(",", ":")))
        os.replace(temporary, self.path)


class Pacer:
    """At most `per_second` calls a second, evenly spaced; slow_down() halves the pace."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("the pace must be more than zero a second")
        self.per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    def wait(self) -> None:
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + 1.0 / self.per_second

    def slow_down(self, floor: float = 1.0) -> None:
        self.per_second = max(floor, self.per_second / 2)


@dataclass(frozen=True)
class Progress:
    pages: int
    read: int
    published: int
    skipped: int
    failed: int
    per_second: float
    eta_seconds: float | None

    def line(self) -> str:
        eta = "-" if self.eta_seconds is None else _duration(self.eta_seconds)
        return (
            f"pages {self.pages}  read {self.read}  published {self.published}  "
            f"skipped {self.skipped}  failed {self.failed}  {self.per_second:.1f}/s  ETA {eta}"
        )


@dataclass
class BackfillReport:
    pages: int = 0
    read: int = 0
    published: int = 0
    skipped: int = 0  # no outcome yet (requires_payment_method without an error, …)
    malformed: int = 0
    failed: int = 0  # publishes that failed in this run (kept in the checkpoint)
    pending: int = 0  # messages still not published at the end (failed, in any run)
    stripe_calls: int = 0
    rate_limited: int = 0
    interrupted: bool = False
    finished: bool = False
    by_status: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    failed_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pending == 0 and self.failed == 0 and not self.interrupted


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    publish_per_second: float = DEFAULT_PUBLISH_PER_SECOND
    stripe_per_second: float = STRIPE_READS_PER_SECOND["test"] * STRIPE_SHARE


def stripe_pace(api_key: str) -> float:
    """Half of Stripe's read limit for the key's mode (`sk_live_…`/`rk_live_…`: live)."""
    mode = "live" if "_live_" in api_key[:8] else "test"
    return STRIPE_READS_PER_SECOND[mode] * STRIPE_SHARE


class Backfill:
    def __init__(
        self,
        stripe: PaymentIntentPages,
        publisher: Publisher | None,
        span: BackfillRange,
        options: Options,
        checkpoint: CheckpointFile | None = None,
        resume: Checkpoint | None = None,
        progress: Callable[[Progress], None] = lambda _: None,
        stop_requested: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if publisher is None and not options.dry_run:
            raise ValueError("a publisher is needed unless dry_run")
        self.stripe = stripe
        self.publisher = publisher
        self.span = span
        self.options = options
        self.file = None if options.dry_run else checkpoint
        self.state = resume or Checkpoint(span.since, span.until)
        self.progress = progress
        self.stop_requested = stop_requested
        self.clock = clock
        self.sleep = sleep
        self.wall_clock = wall_clock
        self.rng = rng or random.Random()
        self.stripe_pacer = Pacer(options.stripe_per_second, clock, sleep)
        self.publish_pacer = Pacer(options.publish_per_second, clock, sleep)
        self.report = BackfillReport()
        self._started = clock()
        self._published_at_start = self.state.published

    def run(self) -> BackfillReport:
        """Raises StripeFailure when Stripe cannot be listed (after backing off); the checkpoint
        then holds everything done, for --resume."""
        try:
            self._publish_pending()
            while not self.state.finished and not self.report.interrupted:
                self._page()
        finally:
            self._save()
            self.report.pages, self.report.read = self.state.pages, self.state.read
            self.report.published, self.report.skipped = self.state.published, self.state.skipped
            self.report.finished = self.state.finished
            self.report.pending = len(self.state.pending)
        return self.report

    # --- one page ---------------------------------------------------------------------------
    def _page(self) -> None:
        page = self._list(self.state.cursor)
        if page is None:
            self.report.interrupted = True
            return
        intents = [i for i in page.get("data") or [] if isinstance(i, dict)]
        done = set(self.state.page_done)
        retrieved_at = int(self.wall_clock())
        for intent in intents:
            intent_id = intent.get("id")
            if not isinstance(intent_id, str) or intent_id in done:
                continue
            if self.stop_requested():
                self.report.interrupted = True
                return
            self._one(intent, intent_id, retrieved_at)
        if not intents or not page.get("has_more"):
            self.state.finished = True
        else:
            self.state.cursor = str(intents[-1]["id"])
        self.state.page_done = []
        self.state.pages += 1
        self._save()
        oldest = intents[-1].get("created") if intents else None
        covered = (
            1.0
            if self.state.finished
            else self.span.covered(oldest if isinstance(oldest, int) else self.span.until)
        )
        self._tell(covered)

    def _one(self, intent: dict[str, Any], intent_id: str, retrieved_at: int) -> None:
        self.state.read += 1
        try:
            result = normalize_snapshot(intent, retrieved_at, Source.BACKFILL)
        except MalformedEvent as exc:
            self.report.malformed += 1
            self.state.skipped += 1
            log.warning(
                "backfill skipped a malformed payment intent",
                extra={"payment_intent_id": intent_id, "detail": str(exc)},
            )
            self._done(intent_id)
            return
        if isinstance(result, Ignored):
            self.state.skipped += 1
            self.report.by_status[f"no outcome ({intent.get('status')})"] += 1
            self._done(intent_id)
            return
        self.report.by_status[result.status.value] += 1
        self.report.by_method[result.paid_with or "none"] += 1
        if not self.options.dry_run:
            self._publish(result)
        self._done(intent_id)

    def _publish(self, update: PaymentUpdate) -> bool:
        assert self.publisher is not None
        self.publish_pacer.wait()
        try:
            publish_update(self.publisher, update)
        except PublishError as exc:
            self.report.failed += 1
            self.report.failed_ids.append(update.payment_intent_id)
            self.state.pending.append(update.to_dict())
            log.error(
                "backfill publish failed",
                extra={
                    "event_id": update.event_id,
                    "payment_intent_id": update.payment_intent_id,
                    "detail": str(exc),
                },
            )
            return False
        self.state.published += 1
        return True

    def _done(self, intent_id: str) -> None:
        self.state.page_done.append(intent_id)
        self._save()

    def _publish_pending(self) -> None:
        """Messages whose publish failed in an earlier run, first (no Stripe call needed)."""
        if self.options.dry_run or not self.state.pending:
            return
        waiting, self.state.pending = self.state.pending, []
        for index, body in enumerate(waiting):
            if self.stop_requested():
                self.report.interrupted = True
                self.state.pending = [*self.state.pending, *waiting[index:]]
                return
            try:
                update = PaymentUpdate.from_dict(body)
            except MessageError as exc:
                log.error(
                    "backfill dropped an unreadable pending message", extra={"detail": str(exc)}
                )
                continue
            self._publish(update)
            self._save()

    # --- Stripe -----------------------------------------------------------------------------
    def _list(self, cursor: str | None) -> dict[str, Any] | None:
        """The page after `cursor`; None when a stop was asked for while waiting for Stripe."""
        attempt = 0
        while True:
            attempt += 1
            if self.stop_requested():
                return None
            self.stripe_pacer.wait()
            self.report.stripe_calls += 1
            try:
                return self.stripe.list_payment_intents(
                    self.span.since, self.span.until, cursor, PAGE_SIZE
                )
            except StripeFailure as exc:
                if not exc.retryable or attempt >= MAX_STRIPE_ATTEMPTS:
                    raise
                if exc.kind == "rate_limit":
                    self.report.rate_limited += 1
                    self.stripe_pacer.slow_down()
                pause = self._backoff(attempt)
                log.warning(
                    "backfill backing off from Stripe",
                    extra={"kind": exc.kind, "attempt": attempt, "pause_s": round(pause, 2)},
                )
                self.sleep(pause)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + self.rng.random() / 2)

    # --- bookkeeping ------------------------------------------------------------------------
    def _save(self) -> None:
        if self.file is not None:
            self.file.save(self.state)

    def _tell(self, covered: float) -> None:
        elapsed = max(self.clock() - self._started, 1e-9)
        done_now = self.state.read if self.options.dry_run else self.state.published
        rate = (done_now - (0 if self.options.dry_run else self._published_at_start)) / elapsed
        eta = elapsed * (1 - covered) / covered if 0 < covered < 1 else (0.0 if covered else None)
        progress = Progress(
            pages=self.state.pages,
            read=self.state.read,
            published=self.state.published,
            skipped=self.state.skipped,
            failed=self.report.failed,
            per_second=rate,
            eta_seconds=eta,
        )
        log.info(
            "backfill page",
            extra={
                "page": self.state.pages,
                "read": self.state.read,
                "published": self.state.published,
                "skipped": self.state.skipped,
                "failed": self.report.failed,
                "cursor": self.state.cursor,
                "per_second": round(rate, 2),
                "eta_s": None if eta is None else round(eta),
                "dry_run": self.options.dry_run,
            },
        )
        self.progress(progress)


def start_state(
    file: CheckpointFile, span: BackfillRange, resume: bool, dry_run: bool
) -> Checkpoint | None:
    """The checkpoint to continue from (None: start afresh). Refuses to start over an unfinished
    backfill without --resume, and to resume another range than the one checkpointed."""
    if dry_run:
        return None
    saved = file.load()
    if not resume:
        if saved is not None and not saved.complete:
            raise CheckpointMismatch(
                f"an unfinished backfill is checkpointed in {file.path}: add --resume to "
                "continue it, or delete the file to start afresh"
            )
        return None
    if saved is None:
        raise CheckpointMismatch(f"nothing to resume: no checkpoint at {file.path}")
    if (saved.since, saved.until) != (span.since, span.until):
        raise CheckpointMismatch(
            f"the checkpoint in {file.path} is of another range "
            f"({_day(saved.since)} to {_day(saved.until)}); resume with the same --since/--until"
        )
    return saved


def _day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
