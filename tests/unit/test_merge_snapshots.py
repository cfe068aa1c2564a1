"""Snapshots (verify, backfill) beside Stripe's events: a snapshot never overrides what an event
already said, and still brings news the events have not (yet) brought.

Both sides are drawn from the same Stripe objects through the real normalizers, so the table
is of payments' histories, not of hand-set fields.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from devstack.stripe_fixtures import Payment, event
from ingest.normalize import normalize_event, normalize_snapshot
from payments.message import PaymentUpdate, Source
from payments.status import PaymentStatus as S
from writer.merge import merge
from writer.record import PAID_ON_FROM_EVENT, PaymentRecord

CREATED = 1_700_000_000
READ_AT = CREATED + 400 * 86400  # a backfill reads the payment long after it happened
DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "message": "Your card was declined.",
    "payment_method": {"id": "pm_1", "type": "card", "card": {"brand": "visa", "last4": "4242"}},
}


def updates(events: list[dict[str, Any]]) -> list[PaymentUpdate]:
    out = []
    for e in events:
        u = normalize_event(e)
        assert isinstance(u, PaymentUpdate)
        out.append(u)
    return out


def snapshot(intent: dict[str, Any], source: Source = Source.BACKFILL) -> PaymentUpdate:
    u = normalize_snapshot(intent, READ_AT, source)
    assert isinstance(u, PaymentUpdate)
    return u


def apply(messages: tuple[PaymentUpdate, ...] | list[PaymentUpdate]) -> PaymentRecord | None:
    record = None
    for m in messages:
        record = merge(record, m)
    return record


def succeeded(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    at = p.created + 3
    events = [
        event("charge.succeeded", p.charge(), at, "evt_ch_ok"),
        event("payment_intent.succeeded", p.intent("succeeded"), at, "evt_pi_ok"),
    ]
    return events, {**p.intent("succeeded"), "latest_charge": p.charge()}


def succeeded_same_second(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events carry the very second of the charge (as the Stripe stand-in sends them)."""
    at = p.created + 2
    events = [
        event("charge.succeeded", p.charge(), at, "evt_ch_ok"),
        event("payment_intent.succeeded", p.intent("succeeded"), at, "evt_pi_ok"),
    ]
    return events, {**p.intent("succeeded"), "latest_charge": p.charge()}


def refunded(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events, _ = succeeded(p)
    p.amount_refunded = p.amount
    events.append(event("charge.refunded", p.charge(), p.created + 900, "evt_refund"))
    return events, {**p.intent("succeeded"), "latest_charge": p.charge()}


def partially_refunded(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events, _ = succeeded(p)
    p.amount_refunded = 500
    events.append(event("charge.refunded", p.charge(), p.created + 900, "evt_refund"))
    return events, {**p.intent("succeeded"), "latest_charge": p.charge()}


def failed(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    charge = p.charge("failed", "Your card was declined.", "card_declined")
    intent = p.intent("requires_payment_method", last_error=DECLINE)
    at = p.created + 3
    events = [
        event("charge.failed", charge, at, "evt_ch_fail"),
        event("payment_intent.payment_failed", intent, at, "evt_pi_fail"),
    ]
    return events, {**intent, "latest_charge": charge}


def canceled(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    intent = {
        **p.intent("canceled"),
        "canceled_at": p.created + 60,
        "cancellation_reason": "abandoned",
    }
    return [event("payment_intent.canceled", intent, p.created + 60, "evt_cancel")], intent


def failed_then_succeeded(p: Payment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    declined, _ = failed(p)
    later = Payment(
        intent_id=p.intent_id,
        customer_id=p.customer_id,
        created=p.created + 120,
        method="apple_pay",
        last4="1111",
    )
    events, intent = succeeded(later)
    return declined + events, intent


HISTORIES = {
    "succeeded": (succeeded, S.SUCCEEDED),
    "succeeded_same_second": (succeeded_same_second, S.SUCCEEDED),
    "refunded": (refunded, S.REFUNDED),
    "partially_refunded": (partially_refunded, S.PARTIALLY_REFUNDED),
    "failed": (failed, S.FAILED),
    "canceled": (canceled, S.CANCELED),
    "failed_then_succeeded": (failed_then_succeeded, S.SUCCEEDED),
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_a_snapshot_beside_all_the_events_in_any_order_gives_the_record_of_the_events_alone(name):
    history, status = HISTORIES[name]
    events, intent = history(Payment(created=CREATED))
    from_events = updates(events)
    alone = apply(from_events)
    assert alone is not None and alone.status is status
    for source in (Source.BACKFILL, Source.VERIFY):
        for order in itertools.permutations([*from_events, snapshot(intent, source)]):
            assert apply(order) == alone, [m.event_id for m in order]


@pytest.mark.parametrize("name", list(HISTORIES))
def test_a_snapshot_alone_records_the_payment_as_stripe_has_it(name):
    history, status = HISTORIES[name]
    events, intent = history(Payment(created=CREATED))
    record = apply([snapshot(intent)])
    alone = apply(updates(events))
    assert record is not None and alone is not None
    assert record.status is status
    assert record.last_event_id.startswith("backfill_")
    same = ("amount", "amount_refunded", "currency", "customer_id", "first_name", "paid_with")
    assert {f: getattr(record, f) for f in same} == {f: getattr(alone, f) for f in same}
    assert (record.card_brand, record.card_last4) == (alone.card_brand, alone.card_last4)
    assert record.failure_message == alone.failure_message


def test_a_snapshot_brings_what_the_events_have_not_said_yet():
    p = Payment(created=CREATED)
    events, _ = succeeded(p)
    _, refunded_intent = refunded(p)
    record = apply([*updates(events), snapshot(refunded_intent)])
    assert record is not None
    assert (record.status, record.amount_refunded) == (S.REFUNDED, p.amount)
    # ...and the success time stays the event's, not the snapshot's guess.
    assert record.paid_on_source == PAID_ON_FROM_EVENT


def test_a_success_snapshot_wins_over_an_earlier_attempts_decline():
    p = Payment(created=CREATED)
    declined, _ = failed(p)
    _, paid = failed_then_succeeded(p)
    record = apply([*updates(declined), snapshot(paid)])
    assert record is not None
    assert (record.status, record.paid_with, record.failure_message) == (
        S.SUCCEEDED,
        "apple_pay",
        None,
    )


def test_an_open_snapshot_never_overrides_an_open_event_of_the_same_moment():
    p = Payment(created=CREATED)
    events, intent = failed(p)
    [only_intent_event] = updates(events[1:])
    for order in ((only_intent_event, snapshot(intent)), (snapshot(intent), only_intent_event)):
        record = apply(order)
        assert record is not None
        assert record.last_event_id == "evt_pi_fail"


def test_the_same_snapshot_read_again_later_is_the_same_message():
    p = Payment(created=CREATED)
    _, intent = refunded(p)
    first = normalize_snapshot(intent, READ_AT, Source.BACKFILL)
    again = normalize_snapshot(intent, READ_AT + 3600, Source.BACKFILL)
    assert first == again
    record = apply([first])
    assert record is not None and merge(record, again) == record
