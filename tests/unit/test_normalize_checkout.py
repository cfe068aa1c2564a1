"""checkout.session.* -> PaymentUpdate, and the record the merge makes of a Checkout payment's
events in every order: a table over realistic Checkout Sessions (redirect and Payment Link)."""

import itertools

import pytest

from devstack.stripe_fixtures import Payment, event
from ingest.normalize import HANDLED_EVENT_TYPES, Ignored, normalize_event
from payments.message import from_unix
from payments.status import PaymentStatus as S
from writer.merge import merge
from writer.record import PAID_ON_FROM_EVENT

T = 1_790_000_000
P = Payment(
    first_name="Grace",
    last_name="Hopper",
    intent_id="pi_1",
    charge_id="ch_1",
    customer_id="cus_1",
    created=T - 10,
)
LINK = Payment(**{**P.__dict__, "with_metadata": False})


def session(payment: Payment = P, **changes):
    return {**payment.checkout_session(), **changes}


@pytest.mark.parametrize(
    ("event_type", "obj", "status", "first_name", "customer", "paid_on"),
    [
        ("checkout.session.completed", session(), S.SUCCEEDED, "Grace", "cus_1", T),
        # A delayed method (bank debit): completed, but the money has not moved.
        (
            "checkout.session.completed",
            session(payment_status="unpaid"),
            S.PROCESSING,
            "Grace",
            "cus_1",
            None,
        ),
        (
            "checkout.session.async_payment_succeeded",
            session(payment_status="paid"),
            S.SUCCEEDED,
            "Grace",
            "cus_1",
            T,
        ),
        (
            "checkout.session.async_payment_failed",
            session(payment_status="unpaid"),
            S.FAILED,
            "Grace",
            "cus_1",
            None,
        ),
        # Metadata wins over the name typed on Checkout.
        (
            "checkout.session.completed",
            session(metadata={"first_name": "Gracie"}),
            S.SUCCEEDED,
            "Gracie",
            "cus_1",
            T,
        ),
        # A Payment Link made in the Dashboard: no metadata; a link that creates no customer.
        (
            "checkout.session.completed",
            session(LINK, customer=None, payment_link="plink_1"),
            S.SUCCEEDED,
            "Grace",
            None,
            T,
        ),
        # customer expanded, customer_details without a name.
        (
            "checkout.session.completed",
            session(LINK, customer={"id": "cus_9"}, customer_details={"email": "g@example.com"}),
            S.SUCCEEDED,
            None,
            "cus_9",
            T,
        ),
    ],
)
def test_a_checkout_session_event_becomes_an_update_keyed_by_its_payment_intent(
    event_type, obj, status, first_name, customer, paid_on
):
    update = normalize_event(event(event_type, obj, created=T, event_id="evt_1"))
    assert not isinstance(update, Ignored)
    assert update.payment_intent_id == "pi_1"
    assert (update.status, update.first_name, update.customer_id) == (status, first_name, customer)
    assert (update.amount, update.currency) == (1999, "usd")
    assert update.paid_on == (from_unix(paid_on) if paid_on else None)
    assert update.paid_on_is_provisional  # the charge's own success time wins
    assert update.paid_with is None  # how it was paid is the charge's to say


@pytest.mark.parametrize(
    "obj",
    [
        session(mode="setup", payment_intent=None),
        session(mode="subscription", payment_intent=None, payment_status="paid"),
        session(payment_status="no_payment_required"),
    ],
)
def test_a_session_without_a_payment_is_ignored(obj):
    assert isinstance(normalize_event(event("checkout.session.completed", obj)), Ignored)


def test_the_checkout_session_events_are_handled_and_expired_is_not():
    assert {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
    } <= set(HANDLED_EVENT_TYPES)
    expired = event("checkout.session.expired", session(status="expired", payment_intent=None))
    assert isinstance(normalize_event(expired), Ignored)


def record_of(events):
    record = None
    for e in events:
        update = normalize_event(e)
        assert not isinstance(update, Ignored)
        record = merge(record, update)
    return record


def card_checkout_events(payment: Payment, session_obj: dict, billing_name: str | None):
    charge = payment.charge()
    charge["billing_details"]["name"] = billing_name
    return [
        event("charge.succeeded", charge, created=T, event_id="evt_a"),
        event("payment_intent.succeeded", payment.intent("succeeded"), created=T, event_id="evt_b"),
        event("checkout.session.completed", session_obj, created=T, event_id="evt_c"),
    ]


@pytest.mark.parametrize(
    ("name", "payment", "session_obj", "billing_name", "customer", "first_name"),
    [
        ("redirect", P, session(), "Grace Hopper", "cus_1", "Grace"),
        # Payment Link: no metadata anywhere, the name only in customer_details, and the
        # Customer only on the session (the intent and charge never name it).
        (
            "payment-link",
            Payment(**{**LINK.__dict__, "customer_id": None}),
            session(LINK, customer="cus_1"),
            None,
            "cus_1",
            "Grace",
        ),
    ],
)
def test_a_checkout_payment_gives_one_record_whatever_the_order_and_duplicates(
    name, payment, session_obj, billing_name, customer, first_name
):
    events = card_checkout_events(payment, session_obj, billing_name)
    records = set()
    for order in itertools.permutations([*events, events[2], events[0]]):
        record = record_of(order)
        records.add(record)
        assert (record.status, record.first_name, record.customer_id) == (
            S.SUCCEEDED,
            first_name,
            customer,
        )
        assert (record.paid_with, record.card_last4) == ("card", "4242")
        assert (record.paid_on, record.paid_on_source) == (from_unix(T), PAID_ON_FROM_EVENT)
    # Beyond the fields above, the record's bookkeeping agrees too (last event by the merge's
    # tie-break, never by arrival order).
    assert len(records) == 1, name


def test_a_delayed_payment_that_fails_after_checkout_ends_failed_in_either_order():
    completed = event(
        "checkout.session.completed", session(payment_status="unpaid"), created=T, event_id="evt_1"
    )
    failed = event(
        "checkout.session.async_payment_failed",
        session(payment_status="unpaid"),
        created=T + 3 * 86400,
        event_id="evt_2",
    )
    for order in ([completed, failed], [failed, completed]):
        record = record_of(order)
        assert (record.status, record.first_name) == (S.FAILED, "Grace")


def test_an_unpaid_completed_session_never_takes_a_succeeded_payment_back():
    succeeded = event(
        "checkout.session.async_payment_succeeded", session(), created=T + 60, event_id="evt_2"
    )
    completed = event(
        "checkout.session.completed", session(payment_status="unpaid"), created=T, event_id="evt_1"
    )
    for order in ([completed, succeeded], [succeeded, completed]):
        assert record_of(order).status is S.SUCCEEDED
