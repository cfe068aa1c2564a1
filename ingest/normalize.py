"""Stripe event (or PaymentIntent snapshot) -> PaymentUpdate. Pure: dicts in, message out.

Reads both payload shapes: API versions since 2022-11-15 (`latest_charge`, an id or, when
expanded, an object) and older ones (`charges.data[]` embedded in the PaymentIntent).
No Stripe call is made here: what the event does not say stays null, and the writer's merge
fills it in from the other events of the same payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payments.message import PaymentUpdate, Source, from_unix
from payments.status import PaymentStatus, is_settled, refund_status

HANDLED_EVENT_TYPES = (
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.succeeded",
    "charge.failed",
    "charge.refunded",
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)

_INTENT_STATUS = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.processing": PaymentStatus.PROCESSING,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.CANCELED,
}


class MalformedEvent(ValueError):
    """A handled event type whose object lacks what every such Stripe object has."""


@dataclass(frozen=True)
class Ignored:
    reason: str


def normalize_event(
    event: dict[str, Any], source: Source = Source.WEBHOOK
) -> PaymentUpdate | Ignored:
    event_type = event.get("type")
    if not isinstance(event_type, str):
        raise MalformedEvent("event has no type")
    if event_type not in HANDLED_EVENT_TYPES:
        return Ignored(f"event type {event_type} is not handled")
    event_id = event.get("id")
    created = event.get("created")
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(event_id, str) or not event_id:
        raise MalformedEvent("event has no id")
    created = _unix(created)
    if created is None:
        raise MalformedEvent("event has no created time")
    if not isinstance(obj, dict):
        raise MalformedEvent("event has no data.object")
    common = {
        "event_id": event_id,
        "event_type": event_type,
        "event_created": from_unix(created),
        "source": source,
        "livemode": bool(event.get("livemode", obj.get("livemode", False))),
    }
    if event_type.startswith("payment_intent."):
        return _from_intent(obj, _INTENT_STATUS[event_type], common, success_time=created)
    if event_type.startswith("checkout.session."):
        return _from_session(obj, event_type, common, created)
    return _from_charge(obj, event_type, common, success_time=created)


def normalize_snapshot(
    intent: dict[str, Any], retrieved_at: int, source: Source = Source.VERIFY
) -> PaymentUpdate | Ignored:
    """A PaymentIntent pulled from Stripe (latest_charge expanded), as verify and backfill read it.

    Its id is stable for one state of the payment (`verify_pi…:succeeded:0`), and so is its time:
    the moment of the state it shows (the latest charge, the cancellation), not the moment it was
    read. A re-read of an unchanged payment is then the same message, which the writer ignores;
    and next to the events of the same state, which carry that moment or a later one, the
    snapshot never wins (the merge ranks an event above a snapshot of the same state).
    """
    status = _snapshot_status(intent)
    if status is None:
        return Ignored(f"payment intent status {intent.get('status')!r} is not a payment outcome")
    charge = _latest_charge(intent)
    refunded = _int(charge.get("amount_refunded")) if charge else 0
    key = f"{intent.get('id')}:{status.value}:{refunded}"
    common = {
        "event_id": f"{source.value}_{key}",
        "event_type": _SNAPSHOT_EVENT_TYPE[source],
        "event_created": from_unix(_state_time(intent, status, charge, retrieved_at)),
        "source": source,
        "livemode": bool(intent.get("livemode")),
    }
    paid_at = (
        _unix(charge.get("created")) if charge and status is not PaymentStatus.FAILED else None
    )
    return _from_intent(intent, status, common, success_time=paid_at)


_SNAPSHOT_EVENT_TYPE = {
    Source.VERIFY: "payment_intent.verified",
    Source.BACKFILL: "payment_intent.backfilled",
}


def _state_time(
    intent: dict[str, Any], status: PaymentStatus, charge: dict[str, Any] | None, fallback: int
) -> int:
    """When the payment reached the state a snapshot shows, as far as the object tells."""
    if status is PaymentStatus.CANCELED and _int(intent.get("canceled_at")):
        return _int(intent.get("canceled_at"))
    if charge and _int(charge.get("created")):
        return _int(charge.get("created"))
    # No charge (a failure before any was made): the intent's creation, which every event of
    # the payment follows, so that an event always outranks this guess.
    return _int(intent.get("created")) or fallback


def _snapshot_status(intent: dict[str, Any]) -> PaymentStatus | None:
    raw = intent.get("status")
    if raw == "succeeded":
        return PaymentStatus.SUCCEEDED
    if raw == "processing":
        return PaymentStatus.PROCESSING
    if raw == "canceled":
        return PaymentStatus.CANCELED
    if raw == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentStatus.FAILED
    return None


def _from_intent(
    intent: dict[str, Any],
    status: PaymentStatus,
    common: dict[str, Any],
    success_time: int | float | None,
) -> PaymentUpdate:
    intent_id = intent.get("id")
    if not isinstance(intent_id, str) or not intent_id:
        raise MalformedEvent("payment intent has no id")
    amount = _int(intent.get("amount"))
    charge = _latest_charge(intent)
    method = _method(charge.get("payment_method_details")) if charge else _Method()
    amount_refunded = _int(charge.get("amount_refunded")) if charge else 0
    failure: str | None = None
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        error = intent.get("last_payment_error") or {}
        failure = _text(error.get("message")) if isinstance(error, dict) else None
        if method.paid_with is None and isinstance(error, dict):
            # last_payment_error.payment_method: a PaymentMethod, same sub-object layout.
            method = _method(error.get("payment_method"))
        if (
            status is PaymentStatus.CANCELED
            and failure is None
            and intent.get("cancellation_reason")
        ):
            failure = f"canceled: {intent['cancellation_reason']}"
    if status is PaymentStatus.SUCCEEDED:
        status = refund_status(amount, amount_refunded)
    settled = is_settled(status)
    return PaymentUpdate(
        **common,
        payment_intent_id=intent_id,
        status=status,
        amount=amount,
        amount_refunded=amount_refunded,
        currency=_currency(intent.get("currency")),
        customer_id=id_of(intent.get("customer"))
        or (id_of(charge.get("customer")) if charge else None),
        first_name=_first_name(intent.get("metadata"), charge),
        paid_on=from_unix(success_time) if settled and success_time else None,
        paid_with=method.paid_with,
        card_brand=method.card_brand,
        card_last4=method.card_last4,
        failure_message=failure,
    )


def _from_charge(
    charge: dict[str, Any], event_type: str, common: dict[str, Any], success_time: int | float
) -> PaymentUpdate | Ignored:
    intent_id = id_of(charge.get("payment_intent"))
    if not intent_id:
        # A charge made without a PaymentIntent (legacy Charges API) is not a page payment.
        return Ignored("charge has no payment_intent")
    amount = _int(charge.get("amount"))
    amount_refunded = _int(charge.get("amount_refunded"))
    method = _method(charge.get("payment_method_details"))
    paid_on: str | None = None
    failure: str | None = None
    if event_type == "charge.succeeded":
        if charge.get("captured") is False:
            # Authorized only (manual capture, another integration on the account): no money
            # moved yet, and a succeeded record could never go back if it is canceled.
            return Ignored("charge authorized but not captured")
        status = refund_status(amount, amount_refunded)
        paid_on = from_unix(success_time)
    elif event_type == "charge.failed":
        status = PaymentStatus.FAILED
        failure = _text(charge.get("failure_message"))
    else:  # charge.refunded
        status = (
            PaymentStatus.REFUNDED
            if charge.get("refunded")
            else refund_status(amount, amount_refunded)
        )
        # The refund's time is not the payment's; the charge's creation is a provisional one.
        created = _unix(charge.get("created"))
        paid_on = from_unix(created) if created else None
    return PaymentUpdate(
        **common,
        payment_intent_id=intent_id,
        status=status,
        amount=amount,
        amount_refunded=amount_refunded,
        currency=_currency(charge.get("currency")),
        customer_id=id_of(charge.get("customer")),
        first_name=_first_name(charge.get("metadata"), charge),
        paid_on=paid_on,
        paid_with=method.paid_with,
        card_brand=method.card_brand,
        card_last4=method.card_last4,
        failure_message=failure,
    )


def _from_session(
    session: dict[str, Any], event_type: str, common: dict[str, Any], created: int | float
) -> PaymentUpdate | Ignored:
    """A Checkout Session (Checkout redirect or Payment Link), keyed by its PaymentIntent.

    It says who paid (the name typed on Checkout, the Customer it created) but not how: paid
    with stays with the charge's events. `checkout.session.completed` with payment_status
    `unpaid` is a delayed method (a bank debit) still on its way, never a success
    (https://docs.stripe.com/checkout/fulfillment).
    """
    intent_id = id_of(session.get("payment_intent"))
    if not intent_id:
        # setup or subscription mode, or a session with nothing to pay: no payment to record.
        return Ignored(f"checkout session in mode {session.get('mode')!r} has no payment intent")
    payment_status = session.get("payment_status")
    if event_type == "checkout.session.async_payment_failed":
        status = PaymentStatus.FAILED
    elif event_type == "checkout.session.async_payment_succeeded" or payment_status == "paid":
        status = PaymentStatus.SUCCEEDED
    elif payment_status == "unpaid":
        status = PaymentStatus.PROCESSING
    else:
        return Ignored(f"checkout session payment_status {payment_status!r} is not a payment")
    details = session.get("customer_details")
    metadata = session.get("metadata")
    first_name = _text(metadata.get("first_name")) if isinstance(metadata, dict) else None
    return PaymentUpdate(
        **common,
        payment_intent_id=intent_id,
        status=status,
        amount=_int(session.get("amount_total")),
        amount_refunded=0,
        currency=_currency(session.get("currency")),
        customer_id=id_of(session.get("customer")),
        first_name=first_name
        or (first_word(details.get("name")) if isinstance(details, dict) else None),
        # Provisional (not a charge's or intent's success event): the charge's time wins.
        paid_on=from_unix(created) if status is PaymentStatus.SUCCEEDED else None,
        # The reason is the PaymentIntent's (last_payment_error), said by its own event.
    )


@dataclass(frozen=True)
class _Method:
    paid_with: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None


def _method(details: Any) -> _Method:
    if not isinstance(details, dict):
        return _Method()
    kind = _text(details.get("type"))
    if kind is None:
        return _Method()
    sub = details.get(kind)
    card: dict[str, Any] = sub if isinstance(sub, dict) else {}
    if kind in ("card", "card_present"):
        raw_wallet = card.get("wallet")
        wallet = raw_wallet if isinstance(raw_wallet, dict) else None
        paid_with = _text(wallet.get("type")) if wallet else None
        return _Method(
            paid_with=paid_with or kind,
            card_brand=_text(card.get("brand")),
            card_last4=_text(card.get("last4")),
        )
    return _Method(paid_with=kind)


def _latest_charge(intent: dict[str, Any]) -> dict[str, Any] | None:
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        return latest
    embedded = intent.get("charges")
    data = embedded.get("data") if isinstance(embedded, dict) else None
    if not isinstance(data, list) or not data:
        return None
    charges = [c for c in data if isinstance(c, dict)]
    if isinstance(latest, str):
        for charge in charges:
            if charge.get("id") == latest:
                return charge
    # Old API versions list newest first; pick the newest by creation to be sure.
    return max(charges, key=lambda c: _int(c.get("created")), default=None)


def _first_name(metadata: Any, charge: dict[str, Any] | None) -> str | None:
    if isinstance(metadata, dict):
        name = _text(metadata.get("first_name"))
        if name:
            return name
    if charge:
        charge_meta = charge.get("metadata")
        if isinstance(charge_meta, dict) and _text(charge_meta.get("first_name")):
            return _text(charge_meta.get("first_name"))
        billing = charge.get("billing_details")
        if isinstance(billing, dict):
            return first_word(billing.get("name"))
    return None


def first_word(name: Any) -> str | None:
    """A full name's first word, the first name a billing or Checkout name gives."""
    text = _text(name)
    return text.split()[0] if text else None


def id_of(value: Any) -> str | None:
    """An expandable field's id: the object's, or the field itself when not expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


# 9999-12-31T23:59:59Z: datetime's last second. A `created` beyond it (or NaN, or infinite) is no
# time at all, and datetime would raise on it (a 500 found by fuzz/, kept in fuzz/crashes/).
MAX_UNIX = 253_402_300_799


def _unix(value: Any) -> int | float | None:
    """A Unix time Stripe could have written, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if 0 <= value <= MAX_UNIX else None  # NaN fails both comparisons


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _currency(value: Any) -> str:
    # Three ASCII letters, as the message contract requires: anything else published would only
    # be dead-lettered by the writer (found by fuzz/, kept in fuzz/crashes/).
    if not isinstance(value, str) or len(value) != 3 or not (value.isascii() and value.isalpha()):
        raise MalformedEvent("object has no currency")
    return value.lower()
