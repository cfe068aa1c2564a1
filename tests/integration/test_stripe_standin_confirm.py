"""The Stripe stand-in's browser-side confirm: what the local Stripe.js stand-in calls, with a
publishable key, the client secret and the card typed (devstack/stripe_browser_confirm.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from devstack.stripe_standin import create_stripe_standin

SECRET_KEY = "sk_test_confirm"
AUTH = {"Authorization": f"Bearer {SECRET_KEY}"}


@pytest.fixture
def stripe() -> Flask:
    return create_stripe_standin(api_keys=[SECRET_KEY])


def new_intent(app: Flask) -> dict[str, Any]:
    client = app.test_client()
    response = client.post(
        "/v1/payment_intents",
        data={"amount": "1999", "currency": "usd", "metadata[first_name]": "Ada"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    intent: dict[str, Any] = response.get_json()
    return intent


def confirm(app: Flask, intent: dict[str, Any], number: str, **overrides: str) -> Any:
    form = {
        "key": "pk_test_local_devstack_only",
        "client_secret": intent["client_secret"],
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "34",
        "payment_method_data[card][cvc]": "123",
        **overrides,
    }
    return app.test_client().post(
        f"/v1/payment_intents/{intent['id']}/confirm",
        data=form,
        headers={"Origin": "http://127.0.0.1:8087"},
    )


def events(app: Flask) -> list[str]:
    """The events recorded since the intents were created, oldest first."""
    response = app.test_client().get("/v1/events", headers=AUTH)
    types = [e["type"] for e in reversed(response.get_json()["data"])]
    return [t for t in types if t != "payment_intent.created"]


def test_the_test_card_pays_and_records_stripes_events(stripe):
    intent = new_intent(stripe)
    response = confirm(stripe, intent, "4242424242424242")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    paid = response.get_json()
    assert paid["status"] == "succeeded" and paid["latest_charge"].startswith("ch_")
    assert events(stripe) == ["charge.succeeded", "payment_intent.succeeded"]


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [
        ("4000000000000002", "generic_decline"),
        ("4000000000009995", "insufficient_funds"),
        ("4111111111111111", "test_mode_live_card"),  # valid, but not one of Stripe's test cards
    ],
)
def test_declining_cards_answer_402_and_record_the_failure(stripe, number, decline_code):
    intent = new_intent(stripe)
    response = confirm(stripe, intent, number)
    assert response.status_code == 402
    error = response.get_json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        decline_code,
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert events(stripe) == ["charge.failed", "payment_intent.payment_failed"]
    # Declined, the intent can be paid again with another card.
    assert confirm(stripe, intent, "4242424242424242").status_code == 200


@pytest.mark.parametrize(
    ("number", "overrides", "code"),
    [
        ("4242424242424241", {}, "incorrect_number"),
        (
            "4242424242424242",
            {"payment_method_data[card][exp_month]": "13"},
            "invalid_expiry_month",
        ),
        ("4242424242424242", {"payment_method_data[card][exp_year]": "20"}, "invalid_expiry_year"),
        ("4242424242424242", {"payment_method_data[card][cvc]": "1"}, "invalid_cvc"),
    ],
)
def test_invalid_card_details_are_refused_without_a_charge(stripe, number, overrides, code):
    intent = new_intent(stripe)
    response = confirm(stripe, intent, number, **overrides)
    assert response.status_code == 402
    assert response.get_json()["error"]["code"] == code
    assert events(stripe) == []


def test_the_client_secret_and_a_publishable_key_are_required(stripe):
    intent = new_intent(stripe)
    wrong_secret = confirm(stripe, intent, "4242424242424242", client_secret="pi_x_secret_y")
    assert wrong_secret.status_code == 404
    secret_key = confirm(stripe, intent, "4242424242424242", key=SECRET_KEY)
    assert secret_key.status_code == 401
    assert events(stripe) == []


def test_a_paid_intent_cannot_be_confirmed_again(stripe):
    intent = new_intent(stripe)
    assert confirm(stripe, intent, "4242424242424242").status_code == 200
    again = confirm(stripe, intent, "4242424242424242")
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "payment_intent_unexpected_state"
    assert events(stripe) == ["charge.succeeded", "payment_intent.succeeded"]
