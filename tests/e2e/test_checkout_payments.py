"""Stripe Checkout and Payment Links through the real stack (gunicorn, emulator, writer, Wix
stand-in), with the Stripe stand-in playing Stripe: a session started by the page through
/v1/checkout-sessions, paid on "Checkout", and its events delivered signed to the webhook in
any order, duplicated, must make exactly the record a merchant expects."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import requests

from devstack import samples
from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.stripe_client import StripeApiGateway
from tests.stripe_standin_server import StandinControl

pytestmark = pytest.mark.e2e

# What Stripe also sends around a Checkout payment; ingest answers them 200 `ignored`.
ALSO_SENT = ("customer.created", "payment_intent.created")


def origin(stack) -> str:
    return stack.config.page_origins.split(",")[0]


def start_checkout(stack, first_name: str, key: str) -> dict[str, str]:
    response = requests.post(
        f"{stack.config.ingest_url}/v1/checkout-sessions",
        json={"first_name": first_name, "product": "tee", "return_url": f"{origin(stack)}/pay"},
        headers={"Origin": origin(stack), "Idempotency-Key": key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def events_of(stack, session: dict[str, Any], since: int) -> list[dict[str, Any]]:
    """The events Stripe emitted for this session's payment, oldest first."""
    gateway = StripeApiGateway(
        stack.config.stripe_secret_key, api_base=stack.config.stripe_standin_url
    )
    intent_id, session_id = session["payment_intent"], session["id"]
    customer_id = session.get("customer")
    mine = []
    for event in gateway.list_events([*HANDLED_EVENT_TYPES, *ALSO_SENT], since):
        obj = event["data"]["object"]
        if (
            obj.get("id") in (intent_id, session_id)
            or obj.get("payment_intent") == intent_id
            or (customer_id and obj.get("id") == customer_id)
        ):
            mine.append(event)
    return list(reversed(mine))


def deliver(stack, events: list[dict[str, Any]]) -> None:
    with requests.Session() as http:
        for event in events:
            response = samples.send_event(
                stack.config.ingest_url, stack.config.webhook_secret, event, session=http
            )
            assert response.status_code == 200, response.text


def winner(events: list[dict[str, Any]], types: tuple[str, ...]) -> str:
    """The event the merge keeps as the record's last: the newest success, then the largest id."""
    settled = [e for e in events if e["type"] in types]
    return max(settled, key=lambda e: (e["created"], e["id"]))["id"]


def wix_date(seconds: int) -> dict[str, str]:
    return {"$date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))}


ORDERS = {
    "as-sent": lambda events: events,
    "reversed": lambda events: list(reversed(events)),
    "shuffled-and-duplicated": lambda events: random.Random(12).sample(events * 2, len(events) * 2),
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_a_checkout_session_paid_on_stripe_becomes_the_right_record(stack, order):
    stripe = StandinControl(stack.config.stripe_standin_url)
    since = int(time.time()) - 1
    started = start_checkout(stack, "Ada", f"e2e-checkout-{order}")
    assert started["url"].startswith("https://checkout.stripe.com/")
    session = stripe.post(
        f"checkout_sessions/{started['checkout_session_id']}/pay",
        {"outcome": "succeeded", "method": "apple_pay", "customer_details": {"name": "Ada King"}},
    )
    events = events_of(stack, session, since)
    types = sorted(e["type"] for e in events)
    assert types == sorted(
        [
            "customer.created",
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
            "checkout.session.completed",
        ]
    )
    charge = next(e["data"]["object"] for e in events if e["type"] == "charge.succeeded")

    deliver(stack, ORDERS[order](events))

    intent_id = session["payment_intent"]
    last = winner(
        events, ("charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
    )
    record = stack.wait_for_records(
        {
            intent_id: {
                "status": "succeeded",
                "lastEventId": last,
                "paidWith": "Apple Pay",
                "firstName": "Ada",  # the form's, from metadata: not "Ada King" typed on Checkout
                "stripeCustomerId": session["customer"],
                "paidOn": wix_date(charge["created"]),
                "paidOnSource": "event",
            }
        },
        timeout=30,
    )[intent_id]
    assert record["amount"] == 19.99
    assert session["customer"].startswith("cus_")


@pytest.mark.parametrize("customer_creation", ["always", "if_required"])
def test_a_payment_link_payment_takes_the_name_typed_on_checkout(stack, customer_creation):
    stripe = StandinControl(stack.config.stripe_standin_url)
    since = int(time.time()) - 1
    link = stripe.post("payment_links/sessions", {"customer_creation": customer_creation})
    assert link["metadata"] == {}
    # The name only in customer_details: no metadata, and a wallet that gives no billing name.
    session = stripe.post(
        f"checkout_sessions/{link['id']}/pay",
        {
            "outcome": "succeeded",
            "method": "google_pay",
            "billing_name": None,
            "customer_details": {"name": "Grace Brewster Hopper", "email": "grace@example.com"},
        },
    )
    events = events_of(stack, session, since)
    deliver(stack, [*reversed(events), events[-1]])

    intent_id = session["payment_intent"]
    expected: dict[str, Any] = {
        "status": "succeeded",
        "paidWith": "Google Pay",
        "firstName": "Grace",
        "lastEventId": winner(
            events, ("charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
        ),
    }
    if customer_creation == "always":
        assert session["customer"].startswith("cus_")
        expected["stripeCustomerId"] = session["customer"]
    record = stack.wait_for_records({intent_id: expected}, timeout=30)[intent_id]
    if customer_creation == "if_required":
        assert record.get("stripeCustomerId") is None  # a guest payment: no customer to name


def test_a_delayed_payment_is_processing_after_checkout_then_succeeds(stack):
    stripe = StandinControl(stack.config.stripe_standin_url)
    since = int(time.time()) - 1
    started = start_checkout(stack, "Edsger", "e2e-checkout-async")
    session_id = started["checkout_session_id"]
    session = stripe.post(
        f"checkout_sessions/{session_id}/pay",
        {"outcome": "processing", "method": "us_bank_account"},
    )
    completed = events_of(stack, session, since)
    deliver(stack, completed)
    intent_id = session["payment_intent"]
    # completed + unpaid: the money is on its way, and the record must not say it arrived.
    stack.wait_for_records({intent_id: {"status": "processing", "firstName": "Edsger"}}, timeout=30)

    later = int(time.time()) + 2
    stripe.post(
        f"checkout_sessions/{session_id}/async_outcome", {"status": "succeeded", "at": later}
    )
    events = [e for e in events_of(stack, session, since) if e["created"] >= later]
    assert sorted(e["type"] for e in events) == [
        "charge.succeeded",
        "checkout.session.async_payment_succeeded",
        "payment_intent.succeeded",
    ]
    deliver(stack, [*reversed(events), *completed])  # and the old ones again, late
    stack.wait_for_records(
        {
            intent_id: {
                "status": "succeeded",
                "paidWithCode": "us_bank_account",
                "firstName": "Edsger",
                "stripeCustomerId": session["customer"],
                "lastEventId": winner(
                    events,
                    (
                        "charge.succeeded",
                        "payment_intent.succeeded",
                        "checkout.session.async_payment_succeeded",
                    ),
                ),
            }
        },
        timeout=30,
    )
