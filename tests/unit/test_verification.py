"""Pulled PaymentIntents and Checkout Sessions -> page answer and PaymentUpdate (table)."""

import pytest

from devstack.stripe_fixtures import Payment
from ingest.verification import (
    holds_client_secret,
    plausible_client_secret,
    verify_checkout_session,
    verify_intent,
)
from payments.message import Source
from payments.status import PaymentStatus
from tests.fakes import DECLINE, expanded_intent

T = 1_800_000_000


@pytest.mark.parametrize(
    ("payment", "status", "kwargs", "answer_status", "paid_with"),
    [
        (Payment(method="apple_pay"), "succeeded", {}, "succeeded", "apple_pay"),
        (Payment(method="us_bank_account"), "processing", {}, "processing", "us_bank_account"),
        (Payment(), "requires_payment_method", {"last_error": DECLINE}, "failed", None),
        (Payment(), "canceled", {}, "canceled", None),
    ],
)
def test_an_outcome_is_answered_and_becomes_a_verify_update(
    payment, status, kwargs, answer_status, paid_with
):
    result = verify_intent(expanded_intent(payment, status, **kwargs), retrieved_at=T)
    assert result.answer() == {
        "status": answer_status,
        "paid_with": paid_with,
        "amount": 1999,
        "currency": "usd",
        "payment_intent_id": payment.intent_id,
    }
    assert result.update is not None
    assert result.update.source is Source.VERIFY
    assert result.update.status is PaymentStatus(answer_status)
    assert result.update.first_name == "Ada"


def test_an_intent_still_awaiting_payment_is_answered_but_not_recorded():
    payment = Payment()
    result = verify_intent(payment.intent("requires_payment_method"), retrieved_at=T)
    assert result.status == "requires_payment_method"
    assert result.update is None


def test_a_paid_checkout_session_fills_customer_and_first_name_from_the_session():
    payment = Payment(with_metadata=False)
    intent = expanded_intent(payment, "succeeded")
    intent["customer"] = None
    intent["latest_charge"]["customer"] = None
    intent["latest_charge"]["billing_details"]["name"] = None
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "customer": "cus_from_session",
        "customer_details": {"name": "Grace Hopper", "email": "g@example.com"},
        "payment_intent": intent,
        "payment_status": "paid",
        "status": "complete",
        "amount_total": 1999,
        "currency": "usd",
    }
    result = verify_checkout_session(session, retrieved_at=T)
    assert result.status == "succeeded"
    assert result.update is not None
    assert (result.update.customer_id, result.update.first_name) == ("cus_from_session", "Grace")


def test_the_intent_wins_over_the_session_when_both_say():
    payment = Payment()
    session = {
        "customer": "cus_other",
        "customer_details": {"name": "Grace Hopper"},
        "payment_intent": expanded_intent(payment, "succeeded"),
    }
    update = verify_checkout_session(session, retrieved_at=T).update
    assert update is not None
    assert (update.customer_id, update.first_name) == (payment.customer_id, "Ada")


def test_an_open_session_without_a_payment_intent_is_not_recorded():
    session = {"status": "open", "payment_intent": None, "amount_total": 500, "currency": "eur"}
    result = verify_checkout_session(session, retrieved_at=T)
    assert (result.status, result.amount, result.currency, result.update) == (
        "open",
        500,
        "eur",
        None,
    )


@pytest.mark.parametrize(
    ("secret", "plausible"),
    [
        ("pi_1_secret_abc", True),
        ("pi_1_secret_", True),
        ("pi_12_secret_abc", False),  # another intent's
        ("pi_1secret_abc", False),
        ("", False),
        (None, False),
        (7, False),
        ("pi_1_secret_é", False),
        ("pi_1_secret_" + "a" * 400, False),
    ],
)
def test_only_a_secret_shaped_like_the_intents_is_worth_asking_stripe_about(secret, plausible):
    assert plausible_client_secret("pi_1", secret) is plausible


@pytest.mark.parametrize(
    ("stored", "given", "holds"),
    [
        ("pi_1_secret_abc", "pi_1_secret_abc", True),
        ("pi_1_secret_abc", "pi_1_secret_abd", False),
        ("pi_1_secret_abc", "pi_1_secret_ab", False),
        (None, "pi_1_secret_abc", False),
        ("", "", False),
    ],
)
def test_the_capability_is_the_exact_client_secret_stripe_holds(stored, given, holds):
    assert holds_client_secret({"id": "pi_1", "client_secret": stored}, given) is holds
