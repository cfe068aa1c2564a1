"""`PaymentUpdate`, schema version 1: the one message ingest publishes and writer consumes.

One per Stripe event (or per pulled snapshot). The JSON body is the contract; the attributes
repeat the ids so that a consumer can route or dead-letter a message it cannot parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from payments.status import PaymentStatus

SCHEMA_VERSION = 1

E = TypeVar("E", bound=StrEnum)


class Source(StrEnum):
    WEBHOOK = "webhook"
    VERIFY = "verify"
    RECONCILE = "reconcile"
    BACKFILL = "backfill"


# Sources whose message is a PaymentIntent pulled from Stripe rather than an event Stripe sent:
# their synthetic event id starts with the source's name (`verify_…`, `backfill_…`).
SNAPSHOT_SOURCES = frozenset({Source.VERIFY, Source.BACKFILL})


def is_snapshot_event_id(event_id: str) -> bool:
    """Whether a message (or a record's last message) was a snapshot, not one of Stripe's events.

    The merge ranks an event above a snapshot of the same state: a snapshot never overrides what
    an event already said."""
    return event_id.startswith(tuple(f"{source.value}_" for source in SNAPSHOT_SOURCES))


# Events whose creation time is the moment the money moved; every other paid_on is provisional.
SUCCESS_EVENT_TYPES = frozenset({"payment_intent.succeeded", "charge.succeeded"})


class MessageError(ValueError):
    """The bytes are not a valid PaymentUpdate; `reason` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PaymentUpdate:
    event_id: str
    event_type: str
    event_created: str
    source: Source
    livemode: bool
    payment_intent_id: str
    status: PaymentStatus
    amount: int
    amount_refunded: int
    currency: str
    customer_id: str | None = None
    first_name: str | None = None
    paid_on: str | None = None
    paid_with: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    failure_message: str | None = None

    @property
    def paid_on_is_provisional(self) -> bool:
        """Only a success event's own time is the payment time; others are best guesses."""
        return self.source in SNAPSHOT_SOURCES or self.event_type not in SUCCESS_EVENT_TYPES

    def attributes(self) -> dict[str, str]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "payment_intent_id": self.payment_intent_id,
            "schema_version": str(SCHEMA_VERSION),
        }

    def to_dict(self) -> dict[str, Any]:
        # Every field is a scalar: a shallow copy gives what asdict's deep copy gave, at a
        # fifth of the cost (it was the largest item of the webhook's own work when profiled).
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        body["source"] = self.source.value
        body["status"] = self.status.value
        body["schema_version"] = SCHEMA_VERSION
        return body

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> PaymentUpdate:
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MessageError("message data is not JSON") from exc
        if not isinstance(body, dict):
            raise MessageError("message data is not a JSON object")
        return cls.from_dict(body)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> PaymentUpdate:
        version = body.get("schema_version", SCHEMA_VERSION)
        if str(version) != str(SCHEMA_VERSION):
            raise MessageError(f"unknown schema_version {version!r}")
        values: dict[str, Any] = {}
        for field in fields(cls):
            values[field.name] = body.get(field.name)
        _require_text(values, "event_id", "event_type", "payment_intent_id")
        values["event_created"] = _require_time(values["event_created"], "event_created")
        values["paid_on"] = (
            None if values["paid_on"] is None else _require_time(values["paid_on"], "paid_on")
        )
        values["source"] = _require_enum(Source, values["source"], "source")
        values["status"] = _require_enum(PaymentStatus, values["status"], "status")
        if not isinstance(values["livemode"], bool):
            raise MessageError("livemode must be true or false")
        for name in ("amount", "amount_refunded"):
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise MessageError(f"{name} must be a non-negative integer (minor units)")
        currency = values["currency"]
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise MessageError("currency must be a three-letter ISO code")
        values["currency"] = currency.lower()
        for name in (
            "customer_id",
            "first_name",
            "paid_with",
            "card_brand",
            "card_last4",
            "failure_message",
        ):
            if values[name] is not None and not isinstance(values[name], str):
                raise MessageError(f"{name} must be a string or null")
            if values[name] == "":
                values[name] = None
        return cls(**values)


def _require_text(values: dict[str, Any], *names: str) -> None:
    for name in names:
        if not isinstance(values[name], str) or not values[name]:
            raise MessageError(f"{name} is missing")


def _require_enum(enum: type[E], value: Any, name: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise MessageError(f"{name} {value!r} is not one of {[e.value for e in enum]}") from None


def _require_time(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise MessageError(f"{name} must be an ISO 8601 time")
    try:
        parsed = parse_time(value)
    except ValueError:
        raise MessageError(f"{name} {value!r} is not an ISO 8601 time") from None
    return format_time(parsed)


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("time without a zone")
    return parsed.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """UTC, seconds precision unless there is a fraction: `2026-11-22T10:00:03Z`."""
    # Milliseconds at most, decided after truncating: 1.0005 s is written `…01Z`, as it reads
    # back, not `…01.000Z` (a round trip that changed the time, found by fuzz/).
    moment = moment.astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if moment.microsecond:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def from_unix(seconds: int | float) -> str:
    return format_time(datetime.fromtimestamp(seconds, tz=UTC))
