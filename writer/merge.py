"""Merge one PaymentUpdate into the payment's record. Pure; it makes redelivery and disorder harmless.

Rules (design.md):
1. The same message twice changes nothing.
2. A settled state (succeeded, refunds) is never replaced by an open one (processing, failed,
   canceled); refunds only grow. Among open states the newer event wins; a tie in the same
   second goes to the state further along, then to the larger event id, so that duplicates
   never flip a record back and forth.
   A snapshot (verify, backfill: a PaymentIntent pulled from Stripe, not an event it sent) never
   overrides what an event already said: of the same settled state, and among open states of
   the same moment and progress, the event wins. A snapshot still wins with news: a settled
   state over an open one, a larger refund, a later open state.
3. A known field is never overwritten by null. `paid_on` keeps the earliest success time seen
   in a success event; any other paid_on (verify snapshot, refund) is provisional and gives way
   to an event's. The failure message is the newest one said, shown only while the payment
   is failed or canceled (a later attempt in progress, or success, clears it).
The winning message's fields win; the other side only fills what the winner leaves null.
Method, brand and last 4 describe one attempt, so they move together, and are filled only from
the same side (open or settled): a declined card never shows as how a settled payment was paid.
"""

from __future__ import annotations

from payments.message import PaymentUpdate, is_snapshot_event_id, parse_time
from payments.status import PaymentStatus, is_settled, progress, refund_status
from writer.record import PAID_ON_FROM_EVENT, PAID_ON_PROVISIONAL, PaymentRecord

_Key = tuple[int, int, bool, float, str] | tuple[int, float, int, bool, str]


def _key(status: PaymentStatus, at: str, event_id: str) -> _Key:
    moment = parse_time(at).timestamp()
    from_event = not is_snapshot_event_id(event_id)
    if is_settled(status):
        return (1, progress(status), from_event, moment, event_id)
    return (0, moment, progress(status), from_event, event_id)


def record_from(update: PaymentUpdate) -> PaymentRecord:
    return PaymentRecord(
        payment_intent_id=update.payment_intent_id,
        status=update.status,
        amount=update.amount,
        amount_refunded=update.amount_refunded,
        currency=update.currency,
        last_event_id=update.event_id,
        last_event_at=update.event_created,
        customer_id=update.customer_id,
        first_name=update.first_name,
        paid_on=update.paid_on,
        paid_on_source=_paid_on_source(update),
        paid_with=update.paid_with,
        card_brand=update.card_brand,
        card_last4=update.card_last4,
        failure_message=update.failure_message,
        failure_at=update.event_created if update.failure_message else None,
        livemode=update.livemode,
    )


def merge(existing: PaymentRecord | None, update: PaymentUpdate) -> PaymentRecord:
    incoming = record_from(update)
    if existing is None:
        return incoming
    incoming_wins = _key(incoming.status, incoming.last_event_at, incoming.last_event_id) > _key(
        existing.status, existing.last_event_at, existing.last_event_id
    )
    winner, other = (incoming, existing) if incoming_wins else (existing, incoming)
    same_side = is_settled(winner.status) == is_settled(other.status)

    amount_refunded = max(existing.amount_refunded, incoming.amount_refunded)
    status = winner.status
    if is_settled(status):
        amount = winner.amount or other.amount
        status = max(status, refund_status(amount, amount_refunded), key=progress)
    paid_on, paid_on_source = _merge_paid_on(existing, incoming)
    method = winner if winner.paid_with or not same_side else other
    newest_failure = max((existing, incoming), key=_failure_key)
    # A failure message describes a failed state: once a later attempt is processing or the
    # payment settled, a decline shown beside it would only mislead the merchant.
    failed = status in (PaymentStatus.FAILED, PaymentStatus.CANCELED)
    return PaymentRecord(
        payment_intent_id=existing.payment_intent_id,
        status=status,
        amount=winner.amount or other.amount,
        amount_refunded=amount_refunded,
        currency=winner.currency,
        last_event_id=winner.last_event_id,
        last_event_at=winner.last_event_at,
        customer_id=winner.customer_id or other.customer_id,
        first_name=winner.first_name or other.first_name,
        paid_on=paid_on,
        paid_on_source=paid_on_source,
        # Method, brand and last 4 describe one attempt: taken together, never mixed.
        paid_with=method.paid_with,
        card_brand=method.card_brand,
        card_last4=method.card_last4,
        failure_message=newest_failure.failure_message if failed else None,
        failure_at=newest_failure.failure_at if failed else None,
        livemode=winner.livemode or other.livemode,
    )


def _failure_key(record: PaymentRecord) -> tuple[bool, float, str]:
    """The newest failure said wins, whatever order the messages came in."""
    if record.failure_message is None:
        return (False, 0.0, "")
    at = parse_time(record.failure_at).timestamp() if record.failure_at else 0.0
    return (True, at, record.failure_message)


def _paid_on_source(update: PaymentUpdate) -> str | None:
    if update.paid_on is None:
        return None
    return PAID_ON_PROVISIONAL if update.paid_on_is_provisional else PAID_ON_FROM_EVENT


def _merge_paid_on(
    existing: PaymentRecord, incoming: PaymentRecord
) -> tuple[str | None, str | None]:
    candidates = [
        (
            r.paid_on_source != PAID_ON_FROM_EVENT,
            parse_time(r.paid_on).timestamp(),
            r.paid_on,
            r.paid_on_source,
        )
        for r in (existing, incoming)
        if r.paid_on is not None
    ]
    if not candidates:
        return None, None
    # Event times before provisional ones; among equals, the earliest.
    _, _, paid_on, source = min(candidates)
    return paid_on, source
