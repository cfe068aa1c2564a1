"""The merge rules, over every pair of statuses in both orders."""

import itertools

import pytest

from payments.message import PaymentUpdate, Source, from_unix
from payments.status import PaymentStatus as S
from payments.status import is_settled, progress
from writer.merge import merge
from writer.record import PAID_ON_FROM_EVENT, PAID_ON_PROVISIONAL

T = 1_790_000_000
EVENT_TYPE = {
    S.FAILED: "payment_intent.payment_failed",
    S.PROCESSING: "payment_intent.processing",
    S.CANCELED: "payment_intent.canceled",
    S.SUCCEEDED: "charge.succeeded",
    S.PARTIALLY_REFUNDED: "charge.refunded",
    S.REFUNDED: "charge.refunded",
}
REFUNDED = {S.PARTIALLY_REFUNDED: 500, S.REFUNDED: 1999}


def update(status: S, at: int = T, event_id: str | None = None, **changes) -> PaymentUpdate:
    fields = dict(
        event_id=event_id or f"evt_{status.value}_{at}",
        event_type=EVENT_TYPE[status],
        event_created=from_unix(at),
        source=Source.WEBHOOK,
        livemode=False,
        payment_intent_id="pi_1",
        status=status,
        amount=1999,
        amount_refunded=REFUNDED.get(status, 0),
        currency="usd",
        customer_id="cus_1",
        first_name="Ada",
        paid_on=from_unix(at) if status is S.SUCCEEDED else None,
        paid_with="card",
        card_brand="visa",
        card_last4="4242",
        failure_message="Your card was declined." if status is S.FAILED else None,
    )
    fields.update(changes)
    return PaymentUpdate(**fields)


def apply(*updates: PaymentUpdate):
    record = None
    for u in updates:
        record = merge(record, u)
    return record


PAIRS = list(itertools.product(list(S), repeat=2))


@pytest.mark.parametrize(
    ("first", "second"), PAIRS, ids=[f"{a.value}-then-{b.value}" for a, b in PAIRS]
)
def test_every_pair_of_statuses_gives_the_same_record_in_either_order(first, second):
    older, newer = update(first, T), update(second, T + 5)
    forward, backward = apply(older, newer), apply(newer, older)
    assert forward == backward
    if is_settled(first) or is_settled(second):
        settled = [s for s in (first, second) if is_settled(s)]
        assert forward.status == max(settled, key=progress), "a settled state never regresses"
    else:
        assert forward.status == second, "among open states the newer event wins"


@pytest.mark.parametrize(
    ("first", "second"), PAIRS, ids=[f"{a.value}-and-{b.value}-same-second" for a, b in PAIRS]
)
def test_ties_in_the_same_second_are_broken_by_progress_then_event_id(first, second):
    a, b = update(first, T, "evt_a"), update(second, T, "evt_b")
    forward, backward = apply(a, b), apply(b, a)
    assert forward == backward
    if not (is_settled(first) or is_settled(second)):
        assert forward.status == max((first, second), key=lambda s: (progress(s), s == second))


@pytest.mark.parametrize("status", list(S))
def test_applying_the_same_message_twice_changes_nothing(status):
    once = apply(update(status))
    assert merge(once, update(status)) == once


def test_refunds_only_grow():
    partial, full = update(S.PARTIALLY_REFUNDED, T + 10), update(S.REFUNDED, T + 20)
    stale = update(S.PARTIALLY_REFUNDED, T + 30, amount_refunded=300)
    record = apply(full, partial, stale)
    assert (record.status, record.amount_refunded) == (S.REFUNDED, 1999)


def test_two_partial_refunds_keep_the_larger_amount():
    first, second = (
        update(S.PARTIALLY_REFUNDED, T, amount_refunded=500),
        update(S.PARTIALLY_REFUNDED, T + 60, amount_refunded=1200, event_id="evt_second"),
    )
    assert apply(second, first).amount_refunded == apply(first, second).amount_refunded == 1200


def test_a_known_field_is_never_overwritten_by_null():
    known = update(S.SUCCEEDED, T, first_name="Ada", customer_id="cus_1")
    later = update(S.PARTIALLY_REFUNDED, T + 60, first_name=None, customer_id=None, paid_with=None)
    record = apply(known, later)
    assert (record.first_name, record.customer_id, record.paid_with) == ("Ada", "cus_1", "card")


def test_paid_on_keeps_the_earliest_success_event_time():
    charge = update(S.SUCCEEDED, T + 1, event_id="evt_charge")
    intent = update(
        S.SUCCEEDED,
        T + 2,
        event_id="evt_intent",
        event_type="payment_intent.succeeded",
        paid_with=None,
    )
    for order in ((charge, intent), (intent, charge)):
        record = apply(*order)
        assert (record.paid_on, record.paid_on_source) == (from_unix(T + 1), PAID_ON_FROM_EVENT)
        assert record.paid_with == "card"


def test_a_verify_snapshots_paid_on_gives_way_to_an_events():
    snapshot = update(
        S.SUCCEEDED,
        T + 100,
        event_id="verify_pi_1",
        event_type="payment_intent.verified",
        source=Source.VERIFY,
        paid_on=from_unix(T - 50),
    )
    event = update(S.SUCCEEDED, T, event_id="evt_charge")
    assert apply(snapshot).paid_on_source == PAID_ON_PROVISIONAL
    for order in ((snapshot, event), (event, snapshot)):
        record = apply(*order)
        assert (record.paid_on, record.paid_on_source) == (from_unix(T), PAID_ON_FROM_EVENT)


def test_a_declined_cards_method_never_shows_as_how_a_settled_payment_was_paid():
    declined = update(S.FAILED, T, paid_with="card", card_last4="0002")
    intent_succeeded = update(
        S.SUCCEEDED, T + 5, event_id="evt_pi", paid_with=None, card_brand=None, card_last4=None
    )
    wallet = update(S.SUCCEEDED, T + 5, event_id="evt_ch", paid_with="apple_pay", card_last4="4444")
    for order in itertools.permutations((declined, intent_succeeded, wallet)):
        record = apply(*order)
        assert (record.status, record.paid_with, record.card_last4) == (
            S.SUCCEEDED,
            "apple_pay",
            "4444",
        ), order


def test_success_after_a_decline_clears_the_decline_message():
    for order in itertools.permutations((update(S.FAILED, T), update(S.SUCCEEDED, T + 30))):
        record = apply(*order)
        assert (record.status, record.failure_message, record.failure_at) == (
            S.SUCCEEDED,
            None,
            None,
        )


def test_a_new_attempt_in_progress_clears_the_previous_decline():
    record = apply(update(S.FAILED, T), update(S.PROCESSING, T + 30))
    assert (record.status, record.failure_message) == (S.PROCESSING, None)


def test_last_event_is_the_one_whose_status_the_record_shows():
    record = apply(
        update(S.SUCCEEDED, T + 5, "evt_success"),
        update(S.PROCESSING, T + 9, "evt_late_processing"),
    )
    assert (record.last_event_id, record.last_event_at) == ("evt_success", from_unix(T + 5))


def test_the_newest_failure_message_is_kept_whatever_the_order():
    declined = update(S.FAILED, T + 10, "evt_a", failure_message="Your card was declined.")
    funds = update(S.FAILED, T + 20, "evt_b", failure_message="Your card has insufficient funds.")
    canceled = update(S.CANCELED, T + 30, "evt_c", failure_message=None)
    records = {apply(*order) for order in itertools.permutations((declined, funds, canceled))}
    assert len(records) == 1
    [record] = records
    assert (record.status, record.failure_message) == (
        S.CANCELED,
        "Your card has insufficient funds.",
    )


def test_method_brand_and_last4_move_together_never_mixed_across_attempts():
    card = update(S.FAILED, T + 10, "evt_c", paid_with="card", card_brand="visa", card_last4="0002")
    processing = update(
        S.PROCESSING, T + 20, "evt_p", paid_with=None, card_brand=None, card_last4=None
    )
    bank = update(
        S.FAILED,
        T + 3 * 86400,
        "evt_f",
        paid_with="us_bank_account",
        card_brand=None,
        card_last4=None,
    )
    for order in itertools.permutations((card, processing, bank)):
        record = apply(*order)
        assert (record.status, record.paid_with, record.card_brand, record.card_last4) == (
            S.FAILED,
            "us_bank_account",
            None,
            None,
        ), order
