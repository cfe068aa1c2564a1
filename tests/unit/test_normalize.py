"""Stripe event -> PaymentUpdate, as a table over realistic events of both API shapes."""

import pytest

from devstack.stripe_fixtures import Payment, event
from ingest.normalize import Ignored, MalformedEvent, normalize_event, normalize_snapshot
from payments.message import PaymentUpdate, Source, from_unix
from payments.status import PaymentStatus

T = 1_790_000_000  # event time
P = Payment(intent_id="pi_1", charge_id="ch_1", customer_id="cus_1", created=T - 10)
DECLINE = {
    "code": "card_declined",
    "decline_code": "insufficient_funds",
    "message": "Your card has insufficient funds.",
    "type": "card_error",
    "payment_method": {
        "id": "pm_1",
        "type": "card",
        "card": {"brand": "visa", "last4": "9995", "wallet": None},
    },
}


def pay(**changes):
    fields = {**P.__dict__, **changes}
    return Payment(**fields)


def expected(**changes):
    base = dict(
        event_id="evt_1",
        event_type="charge.succeeded",
        event_created=from_unix(T),
        source=Source.WEBHOOK,
        livemode=False,
        payment_intent_id="pi_1",
        status=PaymentStatus.SUCCEEDED,
        amount=1999,
        amount_refunded=0,
        currency="usd",
        customer_id="cus_1",
        first_name="Ada",
        paid_on=from_unix(T),
        paid_with="card",
        card_brand="visa",
        card_last4="4242",
        failure_message=None,
    )
    return PaymentUpdate(**{**base, **changes})


INTENT_ONLY = dict(paid_with=None, card_brand=None, card_last4=None)

CASES = [
    ("card charge.succeeded", event("charge.succeeded", P.charge(), T, "evt_1"), expected()),
    (
        "card payment_intent.succeeded, current API (latest_charge is an id)",
        event("payment_intent.succeeded", P.intent("succeeded"), T, "evt_1"),
        expected(event_type="payment_intent.succeeded", **INTENT_ONLY),
    ),
    (
        "card payment_intent.succeeded, legacy API (charges embedded)",
        event("payment_intent.succeeded", P.intent("succeeded", api="legacy"), T, "evt_1"),
        expected(event_type="payment_intent.succeeded"),
    ),
    (
        "Apple Pay",
        event(
            "charge.succeeded",
            pay(method="apple_pay", brand="mastercard", last4="4444").charge(),
            T,
            "evt_1",
        ),
        expected(paid_with="apple_pay", card_brand="mastercard", card_last4="4444"),
    ),
    (
        "Google Pay, legacy API",
        event(
            "payment_intent.succeeded",
            pay(method="google_pay").intent("succeeded", api="legacy"),
            T,
            "evt_1",
        ),
        expected(event_type="payment_intent.succeeded", paid_with="google_pay"),
    ),
    (
        "Samsung Pay",
        event("charge.succeeded", pay(method="samsung_pay").charge(), T, "evt_1"),
        expected(paid_with="samsung_pay"),
    ),
    (
        "Link as its own payment method type",
        event("charge.succeeded", pay(method="link").charge(), T, "evt_1"),
        expected(paid_with="link", card_brand=None, card_last4=None),
    ),
    (
        "no metadata: first word of the billing name",
        event(
            "charge.succeeded",
            pay(with_metadata=False, first_name="Grace", last_name="B. Hopper").charge(),
            T,
            "evt_1",
        ),
        expected(first_name="Grace"),
    ),
    (
        "no metadata and no charge: first name unknown",
        event("payment_intent.succeeded", pay(with_metadata=False).intent("succeeded"), T, "evt_1"),
        expected(event_type="payment_intent.succeeded", first_name=None, **INTENT_ONLY),
    ),
    (
        "decline: payment_intent.payment_failed",
        event(
            "payment_intent.payment_failed",
            P.intent("requires_payment_method", last_error=DECLINE),
            T,
            "evt_1",
        ),
        expected(
            event_type="payment_intent.payment_failed",
            status=PaymentStatus.FAILED,
            paid_on=None,
            card_last4="9995",
            failure_message="Your card has insufficient funds.",
        ),
    ),
    (
        "decline: charge.failed",
        event(
            "charge.failed",
            pay(last4="0002").charge(
                status="failed",
                failure_message="Your card was declined.",
                failure_code="card_declined",
            ),
            T,
            "evt_1",
        ),
        expected(
            event_type="charge.failed",
            status=PaymentStatus.FAILED,
            paid_on=None,
            card_last4="0002",
            failure_message="Your card was declined.",
        ),
    ),
    (
        "bank debit: payment_intent.processing",
        event(
            "payment_intent.processing",
            pay(method="us_bank_account").intent("processing"),
            T,
            "evt_1",
        ),
        expected(
            event_type="payment_intent.processing",
            status=PaymentStatus.PROCESSING,
            paid_on=None,
            **INTENT_ONLY,
        ),
    ),
    (
        "bank debit: charge.succeeded days later",
        event("charge.succeeded", pay(method="us_bank_account").charge(), T, "evt_1"),
        expected(paid_with="us_bank_account", card_brand=None, card_last4=None),
    ),
    (
        "SEPA Direct Debit",
        event("charge.succeeded", pay(method="sepa_debit", currency="eur").charge(), T, "evt_1"),
        expected(paid_with="sepa_debit", card_brand=None, card_last4=None, currency="eur"),
    ),
    (
        "partial refund: charge.refunded",
        event("charge.refunded", pay(amount_refunded=500).charge(), T, "evt_1"),
        expected(
            event_type="charge.refunded",
            status=PaymentStatus.PARTIALLY_REFUNDED,
            amount_refunded=500,
            paid_on=from_unix(P.created + 2),
        ),
    ),
    (
        "full refund: charge.refunded",
        event("charge.refunded", pay(amount_refunded=1999).charge(), T, "evt_1"),
        expected(
            event_type="charge.refunded",
            status=PaymentStatus.REFUNDED,
            amount_refunded=1999,
            paid_on=from_unix(P.created + 2),
        ),
    ),
    (
        "JPY, zero-decimal",
        event("charge.succeeded", pay(amount=500, currency="jpy").charge(), T, "evt_1"),
        expected(amount=500, currency="jpy"),
    ),
    (
        "KWD, three-decimal",
        event("charge.succeeded", pay(amount=12345, currency="kwd").charge(), T, "evt_1"),
        expected(amount=12345, currency="kwd"),
    ),
    (
        "canceled",
        event(
            "payment_intent.canceled",
            {**P.intent("canceled"), "cancellation_reason": "abandoned"},
            T,
            "evt_1",
        ),
        expected(
            event_type="payment_intent.canceled",
            status=PaymentStatus.CANCELED,
            paid_on=None,
            failure_message="canceled: abandoned",
            **INTENT_ONLY,
        ),
    ),
    (
        "livemode is carried",
        {**event("charge.succeeded", P.charge(), T, "evt_1"), "livemode": True},
        expected(livemode=True),
    ),
]


@pytest.mark.parametrize(("case", "stripe_event", "update"), CASES, ids=[c[0] for c in CASES])
def test_handled_events_become_the_expected_payment_update(case, stripe_event, update):
    assert normalize_event(stripe_event) == update


def test_paid_on_is_the_success_time_not_the_intent_creation():
    update = normalize_event(event("payment_intent.succeeded", P.intent("succeeded"), T, "evt_1"))
    assert update.paid_on == from_unix(T) != from_unix(P.created)


@pytest.mark.parametrize(
    "event_type",
    [
        "customer.created",
        "payment_intent.created",
        "charge.captured",
        "invoice.paid",
        "charge.dispute.created",
    ],
)
def test_other_event_types_are_ignored(event_type):
    assert isinstance(normalize_event(event(event_type, {"id": "x"}, T)), Ignored)


def test_a_charge_without_payment_intent_is_ignored():
    charge = {**P.charge(), "payment_intent": None}
    assert isinstance(normalize_event(event("charge.succeeded", charge, T)), Ignored)


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("no type", {"id": "evt_1"}),
        ("no data.object", {"id": "evt_1", "type": "charge.succeeded", "created": T, "data": {}}),
        ("no created", {"id": "evt_1", "type": "charge.succeeded", "data": {"object": P.charge()}}),
        ("no id", {"type": "charge.succeeded", "created": T, "data": {"object": P.charge()}}),
        ("no currency", event("charge.succeeded", {**P.charge(), "currency": None}, T)),
    ],
)
def test_malformed_handled_events_are_refused(case, body):
    with pytest.raises(MalformedEvent):
        normalize_event(body)


def test_a_verify_snapshot_has_a_stable_synthetic_id_and_a_provisional_paid_on():
    intent = {**P.intent("succeeded"), "latest_charge": P.charge()}
    first = normalize_snapshot(intent, retrieved_at=T)
    again = normalize_snapshot(intent, retrieved_at=T + 60)
    assert first.event_id == again.event_id
    assert first.source is Source.VERIFY
    assert first.paid_on == from_unix(P.created + 2)
    assert first.paid_on_is_provisional
    assert first.paid_with == "card"


# Both API shapes: what a PaymentIntent event says about the charge depends on the version.
SHAPES = ["current", "legacy"]


def intent_event(payment: Payment, status: str, api: str, event_type: str, at: int = T, **kwargs):
    return event(
        event_type, payment.intent(status, api=api, **kwargs), at, f"evt_{event_type}_{at}"
    )


def summary(update):
    return (
        update.event_type,
        update.status.value,
        update.paid_with,
        update.amount,
        update.currency,
        update.paid_on,
    )


@pytest.mark.parametrize("api", SHAPES)
@pytest.mark.parametrize(
    ("method", "currency", "amount"),
    [
        ("card", "usd", 1999),
        ("apple_pay", "usd", 1999),
        ("google_pay", "eur", 2500),
        ("link", "usd", 1000),
        ("card", "jpy", 500),
    ],
)
def test_a_succeeded_intent_reads_the_same_in_both_shapes_except_what_only_the_charge_says(
    api, method, currency, amount
):
    payment = pay(method=method, currency=currency, amount=amount)
    update = normalize_event(intent_event(payment, "succeeded", api, "payment_intent.succeeded"))
    # Since 2022-11-15 the intent no longer embeds its charges: the method comes from charge.succeeded.
    assert summary(update) == (
        "payment_intent.succeeded",
        "succeeded",
        method if api == "legacy" else None,
        amount,
        currency,
        from_unix(T),
    )
    charge = normalize_event(event("charge.succeeded", payment.charge(), T, "evt_charge"))
    assert summary(charge) == (
        "charge.succeeded",
        "succeeded",
        method,
        amount,
        currency,
        from_unix(T),
    )


@pytest.mark.parametrize("api", SHAPES)
def test_decline_then_success_reads_as_failed_then_succeeded(api):
    payment = pay(last4="0002")
    failed_charge = payment.charge(
        status="failed", failure_message="Your card was declined.", charge_id="ch_declined"
    )
    events = [
        event("charge.failed", failed_charge, T, "evt_a"),
        intent_event(
            payment,
            "requires_payment_method",
            api,
            "payment_intent.payment_failed",
            T,
            last_error={**DECLINE, "message": "Your card was declined."},
            charges=[failed_charge],
        ),
        event("charge.succeeded", pay(method="apple_pay").charge(), T + 60, "evt_c"),
        intent_event(pay(method="apple_pay"), "succeeded", api, "payment_intent.succeeded", T + 60),
    ]
    got = [summary(normalize_event(e)) for e in events]
    assert [g[1] for g in got] == ["failed", "failed", "succeeded", "succeeded"]
    assert got[0][2] == "card" and got[2][2] == "apple_pay"
    assert [normalize_event(e).failure_message for e in events[:2]] == [
        "Your card was declined."
    ] * 2
    assert got[3][5] == from_unix(T + 60)


@pytest.mark.parametrize("api", SHAPES)
def test_processing_then_success_pays_on_the_success_not_the_processing(api):
    payment = pay(method="us_bank_account")
    processing = normalize_event(
        intent_event(
            payment,
            "processing",
            api,
            "payment_intent.processing",
            T,
            charges=[payment.charge(status="pending")],
        )
    )
    succeeded = normalize_event(
        intent_event(payment, "succeeded", api, "payment_intent.succeeded", T + 86400 * 3)
    )
    assert (processing.status.value, processing.paid_on) == ("processing", None)
    assert (succeeded.status.value, succeeded.paid_on) == ("succeeded", from_unix(T + 86400 * 3))
    if api == "legacy":
        assert processing.paid_with == succeeded.paid_with == "us_bank_account"


@pytest.mark.parametrize(("refunded", "status"), [(700, "partially_refunded"), (1999, "refunded")])
def test_refunds_read_from_charge_refunded_with_the_amount_refunded(refunded, status):
    update = normalize_event(
        event("charge.refunded", pay(amount_refunded=refunded).charge(), T, "evt_r")
    )
    assert (update.status.value, update.amount_refunded, update.paid_with) == (
        status,
        refunded,
        "card",
    )


def test_a_legacy_intent_with_a_refunded_embedded_charge_reads_as_refunded():
    payment = pay(amount_refunded=500)
    update = normalize_event(
        intent_event(payment, "succeeded", "legacy", "payment_intent.succeeded")
    )
    assert (update.status.value, update.amount_refunded) == ("partially_refunded", 500)


def test_an_authorized_but_uncaptured_charge_is_not_a_payment_yet():
    charge = {**P.charge(), "captured": False}
    assert isinstance(normalize_event(event("charge.succeeded", charge, T)), Ignored)
