"""A signed Stripe event becomes a Wix record through the real emulator, gunicorn and HTTP."""

from __future__ import annotations

import re
import time

import pytest
import requests

from devstack import samples
from devstack.stripe_fixtures import Payment, event, signed
from ingest.signature import sign

pytestmark = pytest.mark.e2e


def poll(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.1)


def send(stack, evt):
    return samples.send_event(stack.config.ingest_url, stack.config.webhook_secret, evt)


def success_events(payment: Payment, prefix: str):
    at = payment.created + 3
    return [
        event("charge.succeeded", payment.charge(), at, f"evt_{prefix}_1"),
        event("payment_intent.succeeded", payment.intent("succeeded"), at, f"evt_{prefix}_2"),
    ]


def test_a_sample_payment_appears_with_the_fields_a_merchant_reads(stack):
    payment = Payment(
        first_name="Ada", last_name="Lovelace", method="apple_pay", brand="visa", last4="4242"
    )
    for evt in success_events(payment, "sample"):
        assert send(stack, evt).status_code == 200
    record = stack.wait_for_records(
        {payment.intent_id: {"status": "succeeded", "paidWith": "Apple Pay"}}
    )[payment.intent_id]
    assert record["firstName"] == "Ada"
    assert record["stripeCustomerId"] == payment.customer_id
    assert record["paidWith"] == "Apple Pay"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", record["paidOn"]["$date"])
    assert (record["amount"], record["currency"], record["paymentIntentId"]) == (
        19.99,
        "usd",
        payment.intent_id,
    )


def test_the_same_event_delivered_twice_leaves_one_record_and_one_write(stack):
    payment = Payment(first_name="Twice")
    [charge, _] = success_events(payment, "twice")
    assert send(stack, charge).status_code == 200
    assert send(stack, charge).status_code == 200
    stack.wait_for_records({payment.intent_id: "succeeded"})
    marker = Payment(
        first_name="Marker"
    )  # same key order is not promised across keys; wait on our own
    [marker_charge, _] = success_events(marker, "marker")
    send(stack, marker_charge)
    stack.wait_for_records({marker.intent_id: "succeeded"})
    counts = stack.wix_stats()["items"][payment.intent_id]
    # The second delivery reads and sees nothing to change: one write in all.
    assert counts["write"] == 1


def normalized(record: dict, payment: Payment, prefix: str) -> dict:
    drop = {"_createdDate", "_updatedDate", "_owner"}
    text = repr({k: v for k, v in record.items() if k not in drop})
    for real, placeholder in (
        (payment.intent_id, "PI"),
        (payment.customer_id, "CUS"),
        (f"evt_{prefix}_", "EVT_"),
    ):
        text = text.replace(real, placeholder)
    return eval(text)  # noqa: S307 - our own repr of plain data


def test_charge_before_intent_gives_the_same_record_as_the_other_order(stack):
    template = Payment(first_name="Order", method="google_pay")
    first = Payment(
        **{**template.__dict__, "intent_id": "pi_order_a", "customer_id": "cus_order_a"}
    )
    second = Payment(
        **{**template.__dict__, "intent_id": "pi_order_b", "customer_id": "cus_order_b"}
    )
    for evt in success_events(first, "ordera"):
        assert send(stack, evt).status_code == 200
    for evt in reversed(success_events(second, "orderb")):
        assert send(stack, evt).status_code == 200
    # Compare only once both messages of each payment have been applied: the intent's event
    # wins the tie on `created` (merge rule 2: then the event id), the charge's brings the method.
    final = {"status": "succeeded", "paidWith": "Google Pay"}
    stack.wait_for_records(
        {
            "pi_order_a": {**final, "lastEventId": "evt_ordera_2"},
            "pi_order_b": {**final, "lastEventId": "evt_orderb_2"},
        },
    )
    a, b = stack.records()["pi_order_a"], stack.records()["pi_order_b"]
    assert normalized(a, first, "ordera") == normalized(b, second, "orderb")
    assert a["paidWith"] == "Google Pay"


def test_a_bad_signature_gets_400_and_publishes_nothing(stack, audit):
    payment = Payment(first_name="Forged")
    evt = event("charge.succeeded", payment.charge(), payment.created, "evt_forged")
    body, _ = signed(evt, stack.config.webhook_secret)
    forged = sign(body, "whsec_attacker", int(time.time()))
    response = requests.post(
        f"{stack.config.ingest_url}/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": forged},
        timeout=5,
    )
    assert response.status_code == 400
    genuine = event(
        "charge.succeeded", Payment().charge(), payment.created, "evt_genuine_after_forged"
    )
    assert send(stack, genuine).status_code == 200
    poll(
        lambda: any(
            m.get("event_id") == "evt_genuine_after_forged" for m in audit.drain(settle=0.2)
        )
    )
    assert all(m.get("event_id") != "evt_forged" for m in audit.seen)
    assert payment.intent_id not in stack.records()
