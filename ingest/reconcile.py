"""Reconcile: list Stripe's events of the handled types and publish them as the webhook would.

For payments Stripe could not deliver while ingest was down (or whose delivery failed for
good). Safe to run any time and as often as wanted: an event already applied is a no-op in
the writer (merge rule 1), and one run publishes each event id at most once.

Events are published page by page as Stripe lists them (newest first) rather than collected and
sorted: memory stays bounded over 30 days of events, a run that fails half-way has still
published what it read, and the writer's merge makes the order of one payment's events
irrelevant.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ingest.normalize import HANDLED_EVENT_TYPES, Ignored, MalformedEvent, normalize_event
from ingest.ports import StripeGateway, publish_update
from payments.message import Source
from servicekit.publishing import Publisher, PublishError

log = logging.getLogger("ingest.reconcile")

DEFAULT_SINCE = "24h"
# Stripe keeps events for 30 days; asking for more would silently return less.
MAX_SINCE_SECONDS = 30 * 24 * 3600
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*")


class InvalidSince(ValueError):
    pass


def parse_since(text: str) -> int:
    """'90m', '24h', '7d', '3600s' -> seconds; at most 30 days."""
    match = _DURATION.fullmatch(text or "")
    if not match:
        raise InvalidSince(f"--since {text!r}: use a number and a unit, e.g. 90m, 24h, 7d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise InvalidSince("--since must be more than zero")
    if seconds > MAX_SINCE_SECONDS:
        raise InvalidSince("--since may be at most 30d (Stripe keeps events for 30 days)")
    return seconds


@dataclass
class ReconcileReport:
    listed: int = 0
    published: int = 0
    duplicates: int = 0
    ignored: int = 0
    malformed: int = 0
    failed: int = 0
    failed_event_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "listed": self.listed,
            "published": self.published,
            "duplicates": self.duplicates,
            "ignored": self.ignored,
            "malformed": self.malformed,
            "failed": self.failed,
        }


def reconcile(gateway: StripeGateway, publisher: Publisher, created_gte: int) -> ReconcileReport:
    """Raises StripeFailure if Stripe cannot be listed; publish failures are counted, not raised,
    so that one unlucky publish does not hide the rest (the report says the run failed)."""
    report = ReconcileReport()
    seen: set[str] = set()
    for event in gateway.list_events(HANDLED_EVENT_TYPES, created_gte):
        report.listed += 1
        event_id = event.get("id")
        if isinstance(event_id, str):
            if event_id in seen:
                # Pages shift when events arrive during the listing; the same event can show twice.
                report.duplicates += 1
                continue
            seen.add(event_id)
        try:
            result = normalize_event(event, Source.RECONCILE)
        except MalformedEvent as exc:
            report.malformed += 1
            log.warning(
                "reconcile skipped a malformed event",
                extra={"event_id": event_id, "detail": str(exc)},
            )
            continue
        if isinstance(result, Ignored):
            report.ignored += 1
            continue
        try:
            publish_update(publisher, result)
        except PublishError as exc:
            report.failed += 1
            report.failed_event_ids.append(result.event_id)
            log.error(
                "reconcile publish failed",
                extra={
                    "event_id": result.event_id,
                    "payment_intent_id": result.payment_intent_id,
                    "detail": str(exc),
                },
            )
            continue
        report.published += 1
    log.info("reconcile finished", extra={"created_gte": created_gte, **report.as_dict()})
    return report
