"""The Wix item of one payment, and its translation to and from Wix Data's JSON.

Wix stores amounts in major units (19.99) and times as {"$date": "…Z"}; the merge works on
minor units and ISO strings, so both directions live here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payments.currency import to_major, to_minor
from payments.message import format_time, parse_time
from payments.status import PaymentStatus

PAID_ON_FROM_EVENT = "event"
PAID_ON_PROVISIONAL = "provisional"


@dataclass(frozen=True)
class PaymentRecord:
    payment_intent_id: str
    status: PaymentStatus
    amount: int
    amount_refunded: int
    currency: str
    last_event_id: str
    last_event_at: str
    customer_id: str | None = None
    first_name: str | None = None
    paid_on: str | None = None
    # Whether paid_on is a success event's own time, or a guess an event may still correct.
    paid_on_source: str | None = None
    paid_with: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    failure_message: str | None = None
    # When the failure_message was said: the newest failure is shown, whatever the arrival order.
    failure_at: str | None = None
    livemode: bool = False


def to_wix_data(record: PaymentRecord, paid_with_label: str | None) -> dict[str, Any]:
    return {
        "_id": record.payment_intent_id,
        "paymentIntentId": record.payment_intent_id,
        "firstName": record.first_name,
        "stripeCustomerId": record.customer_id,
        "paidOn": _wix_date(record.paid_on),
        "paidOnSource": record.paid_on_source,
        "paidWith": paid_with_label,
        "paidWithCode": record.paid_with,
        "cardBrand": record.card_brand,
        "cardLast4": record.card_last4,
        "status": record.status.value,
        "amount": to_major(record.amount, record.currency),
        "amountRefunded": to_major(record.amount_refunded, record.currency),
        "currency": record.currency,
        "lastEventId": record.last_event_id,
        "lastEventAt": _wix_date(record.last_event_at),
        "failureMessage": record.failure_message,
        "failureMessageAt": _wix_date(record.failure_at),
        "livemode": record.livemode,
    }


class UnreadableItem(ValueError):
    """The Wix item exists but is not one this writer wrote (edited by hand, or another app)."""


def from_wix_data(data: dict[str, Any]) -> PaymentRecord:
    try:
        currency = str(data["currency"])
        return PaymentRecord(
            payment_intent_id=str(data.get("paymentIntentId") or data["_id"]),
            status=PaymentStatus(data["status"]),
            amount=to_minor(data.get("amount") or 0, currency),
            amount_refunded=to_minor(data.get("amountRefunded") or 0, currency),
            currency=currency,
            last_event_id=str(data.get("lastEventId") or ""),
            last_event_at=_from_wix_date(data.get("lastEventAt")) or "1970-01-01T00:00:00Z",
            customer_id=data.get("stripeCustomerId") or None,
            first_name=data.get("firstName") or None,
            paid_on=_from_wix_date(data.get("paidOn")),
            paid_on_source=data.get("paidOnSource") or None,
            paid_with=data.get("paidWithCode") or None,
            card_brand=data.get("cardBrand") or None,
            card_last4=data.get("cardLast4") or None,
            failure_message=data.get("failureMessage") or None,
            failure_at=_from_wix_date(data.get("failureMessageAt")),
            livemode=bool(data.get("livemode", False)),
        )
    except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
        raise UnreadableItem(f"existing Wix item cannot be read: {exc!r}") from None


def _wix_date(iso: str | None) -> dict[str, str] | None:
    if iso is None:
        return None
    moment = parse_time(iso)
    return {"$date": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _from_wix_date(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("$date")
    if not isinstance(value, str) or not value:
        return None
    return format_time(parse_time(value))


# Every field to_wix_data writes (a save replaces the item; any other field is the owner's).
OWNED_FIELDS = frozenset(
    to_wix_data(
        PaymentRecord(
            "pi_x", PaymentStatus.SUCCEEDED, 0, 0, "usd", "evt_x", "1970-01-01T00:00:00Z"
        ),
        None,
    )
)


def owner_fields(current: dict[str, Any]) -> dict[str, Any]:
    """Fields of the item that are neither ours nor Wix's system fields (which Wix sets itself).

    Save replaces the whole item: these are the columns the site owner added (notes, "shipped"),
    carried into every save so that they survive."""
    return {k: v for k, v in current.items() if k not in OWNED_FIELDS and not k.startswith("_")}
