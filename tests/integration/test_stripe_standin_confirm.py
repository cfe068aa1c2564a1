"""The Stripe stand-in's browser-side confirm (what the local Stripe.js stand-in calls) and its
signed webhook delivery to a real HTTP endpoint that verifies as ingest does."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask, request

from devstack.stripe_standin import create_stripe_standin
from devstack.stripe_webhook_delivery import WebhookDelivery
from ingest.signature import SignatureError, verify
from tests.standin_server import serving

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


def webhook_endpoint(secret: str, fail_first: int) -> tuple[Flask, list[dict[str, Any]]]:
    """A webhook that verifies signatures as ingest does and fails its first answers."""
    app = Flask("endpoint")
    received: list[dict[str, Any]] = []
    calls = {"n": 0}
    lock = threading.Lock()

    @app.post("/webhooks/stripe")
    def webhook() -> tuple[str, int]:
        with lock:
            calls["n"] += 1
            if calls["n"] <= fail_first:
                return "", 503
        try:
            verify(
                request.get_data(), request.headers.get("Stripe-Signature"), [secret], time.time()
            )
        except SignatureError:
            return "", 400
        received.append(request.get_json())
        return "", 200

    return app, received


def test_events_are_delivered_signed_and_retried_until_the_endpoint_takes_them(stripe):
    secret = "whsec_delivery_test"
    endpoint, received = webhook_endpoint(secret, fail_first=1)
    with serving(endpoint) as url:
        delivery = WebhookDelivery(
            stripe.extensions["stripe_standin_state"],
            f"{url}/webhooks/stripe",
            secret,
            max_pause=0.2,
        )
        delivery.start()
        try:
            intent = new_intent(stripe)
            confirm(stripe, intent, "4242424242424242")
            deadline = time.monotonic() + 10
            while len(received) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            delivery.stop()
    assert sorted(e["type"] for e in received) == ["charge.succeeded", "payment_intent.succeeded"]
    assert {
        e["data"]["object"].get("payment_intent", e["data"]["object"]["id"]) for e in received
    } == {intent["id"]}


def test_a_wrong_signing_secret_is_refused_by_the_endpoint_and_retried_not_dropped(stripe):
    endpoint, received = webhook_endpoint("whsec_right", fail_first=0)
    with serving(endpoint) as url:
        delivery = WebhookDelivery(
            stripe.extensions["stripe_standin_state"], f"{url}/webhooks/stripe", "whsec_wrong"
        )
        delivery.start()
        try:
            confirm(stripe, new_intent(stripe), "4242424242424242")
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and not delivery.retrying:
                time.sleep(0.05)
        finally:
            delivery.stop()
    assert received == []
    assert delivery.retrying, "refused events must stay pending for another attempt"
