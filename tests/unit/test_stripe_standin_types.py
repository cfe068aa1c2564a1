"""The Stripe stand-in and the fixtures against stripe-python's own types for the pinned API
version (tests/stripe_sdk.py): parameters, object keys, literal values, event types.

The checks walk what the stand-in has, not a list of today's endpoints: every `/v1/` route the
app registers, every object in its answers, its event list and its state dump, found by the
object's `object` field. A Stripe resource added to the stand-in later is checked the moment it
is registered (a route) or emitted (an object).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from devstack import scenarios
from devstack.stripe_fixtures import Payment, event
from devstack.stripe_standin import create_stripe_standin
from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.registration import register_webhook
from tests import stripe_sdk
from tests.fakes import FakeSecretStore, FakeStripe

KEY = "sk_test_sdk_types"
AUTH = {"Authorization": f"Bearer {KEY}", "Stripe-Version": "2025-09-30.clover"}
METHODS = ("card", "apple_pay", "google_pay", "link", "us_bank_account", "sepa_debit")
OUTCOMES = ("succeeded", "failed", "processing", "canceled")


def v1_routes(app: Flask) -> list[tuple[str, str]]:
    """(HTTP method, Flask rule) of every Stripe endpoint the stand-in serves."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/") or "<path:" in rule.rule:
            continue  # the catch-all answers Stripe's 404 for everything else
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule))
    return sorted(routes)


def param_problems(
    accepted: dict[tuple[str, str], set[str]], sdk: dict[tuple[str, str], frozenset[str]]
) -> list[str]:
    found = []
    for (method, rule), names in sorted(accepted.items()):
        call = (method, stripe_sdk.normalized_path(rule))
        if call not in sdk:
            found.append(f"{method} {rule}: stripe-python has no such call")
            continue
        for name in sorted(names - sdk[call]):
            found.append(f"{method} {rule}: accepts {name!r}, which the SDK's params do not have")
    return found


def accepted_params(app: Flask) -> dict[tuple[str, str], set[str]]:
    """What each route accepts, as the stand-in itself records it for one request each."""
    client = app.test_client()
    accepted: dict[tuple[str, str], set[str]] = {}
    for method, rule in v1_routes(app):
        path = re.sub(r"<[^>]*>", "x_not_there", rule)
        before = len(client.get("/_standin/requests").get_json())
        client.open(path, method=method, headers=AUTH)
        records = client.get("/_standin/requests").get_json()[before:]
        assert len(records) == 1 and "accepts" in records[0], (
            f"{method} {rule} does not go through the stand-in's handle(): no auth, no "
            "parameter check, nothing to compare with the SDK"
        )
        accepted[(method, rule)] = set(records[0]["accepts"])
    return accepted


def test_every_parameter_the_stand_in_accepts_exists_in_the_sdks_params_for_that_call() -> None:
    accepted = accepted_params(create_stripe_standin())
    assert ("POST", "/v1/payment_intents") in accepted
    found = param_problems(accepted, stripe_sdk.call_params())
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        ({("POST", "/v1/payment_intents"): {"amount", "amout"}}, "accepts 'amout'"),
        ({("POST", "/v1/payment_intents/<intent_id>/refund"): set()}, "has no such call"),
        ({("GET", "/v1/events"): {"types", "api_key"}}, "accepts 'api_key'"),  # a header option
        ({("GET", "/v1/checkout/sessions/<session_id>"): {"expand"}}, None),
    ],
)
def test_a_parameter_or_call_stripe_does_not_have_is_reported(
    accepted: dict[tuple[str, str], set[str]], expected: str | None
) -> None:
    found = param_problems(accepted, stripe_sdk.call_params())
    if expected is None:
        assert found == []
    else:
        assert any(expected in problem for problem in found), found


def drive(client: FlaskClient) -> list[Any]:
    """Every kind of object the stand-in makes today, through its API and its controls; returns
    every answer, the whole event list and the state dump."""
    seen: list[Any] = []

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.open(path, method=method, headers=AUTH, **kwargs)
        assert response.status_code == 200, (path, response.get_json())
        body = response.get_json()
        seen.append(body)
        return body

    customer = call(
        "POST",
        "/v1/customers",
        data={"name": "Ada Lovelace", "email": "ada@example.com", "metadata[first_name]": "Ada"},
    )
    for index, (method, outcome) in enumerate(
        (m, o) for m in METHODS for o in OUTCOMES if o == "succeeded" or m == "card"
    ):
        intent = call(
            "POST",
            "/v1/payment_intents",
            data={
                "amount": str(1999 + index),
                "currency": "usd",
                "customer": customer["id"],
                "automatic_payment_methods[enabled]": "true",
                "metadata[first_name]": "Ada",
            },
        )
        settle = client.post(
            f"/_standin/payment_intents/{intent['id']}/outcome",
            json={"status": outcome, "method": method},
        )
        assert settle.status_code == 200
        seen.append(settle.get_json())
        call(
            "GET",
            f"/v1/payment_intents/{intent['id']}",
            query_string=[("expand[]", p) for p in ("latest_charge", "customer", "payment_method")],
        )
    for outcome in ("succeeded", "failed"):
        session = client.post("/_standin/checkout_sessions", json={"outcome": outcome}).get_json()
        seen.append(session)
        call(
            "GET",
            f"/v1/checkout/sessions/{session['id']}",
            query_string=[("expand[]", "payment_intent.latest_charge"), ("expand[]", "customer")],
        )
    for payment_method in ("pm_card_visa", "pm_card_chargeDeclined"):
        intent = call("POST", "/v1/payment_intents", data={"amount": "1999", "currency": "usd"})
        confirmed = client.open(
            f"/v1/payment_intents/{intent['id']}/confirm",
            method="POST",
            headers=AUTH,
            data={"payment_method": payment_method, "return_url": "https://example.com/done"},
        )
        # a decline answers 402, its error carrying the intent: walked like any answer
        assert confirmed.status_code in (200, 402), confirmed.get_json()
        seen.append(confirmed.get_json())
        seen.append(call("GET", f"/v1/payment_intents/{intent['id']}"))
    for outcome in ("succeeded", "processing", "failed"):
        hosted = call(
            "POST",
            "/v1/checkout/sessions",
            data={
                "mode": "payment",
                "success_url": "https://example.com/done?session={CHECKOUT_SESSION_ID}",
                "cancel_url": "https://example.com/shop",
                "line_items[0][price_data][currency]": "usd",
                "line_items[0][price_data][unit_amount]": "1999",
                "line_items[0][price_data][product_data][name]": "Book",
                "line_items[0][quantity]": "1",
                "payment_intent_data[metadata][first_name]": "Ada",
            },
        )
        paid = client.post(
            f"/_standin/checkout_sessions/{hosted['id']}/pay", json={"outcome": outcome}
        )
        assert paid.status_code == 200, paid.get_json()
        seen.append(paid.get_json())
    call("POST", "/v1/payment_method_domains", data={"domain_name": "pay.example.com"})
    call(
        "POST",
        "/v1/webhook_endpoints",
        data={
            "url": "https://example.com/webhooks/stripe",
            "api_version": "2025-09-30.clover",
            "description": "types",
            **{f"enabled_events[{i}]": t for i, t in enumerate(HANDLED_EVENT_TYPES)},
        },
    )
    # every list the stand-in serves, whatever resources it has by then
    app = client.application
    for method, rule in v1_routes(app):
        if method == "GET" and "<" not in rule and rule != "/v1/events":
            seen.append(call("GET", rule, query_string={"limit": "100"}))
    after: str | None = None
    while True:
        page = call(
            "GET",
            "/v1/events",
            query_string={"limit": "100", **({"starting_after": after} if after else {})},
        )
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    state = client.get("/_standin/state").get_json()
    seen.append(state)
    return seen


@pytest.fixture(scope="module")
def standin_output() -> list[Any]:
    return drive(create_stripe_standin().test_client())


def events_in(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        own = [value] if value.get("object") == "event" else []
        return own + [e for v in value.values() for e in events_in(v)]
    if isinstance(value, list):
        return [e for v in value for e in events_in(v)]
    return []


def test_every_object_and_event_the_stand_in_emits_has_only_the_sdks_keys_and_values(
    standin_output: list[Any],
) -> None:
    kinds = {
        o["object"]
        for body in standin_output
        for o in objects_in(body)
        if isinstance(o.get("object"), str)
    }
    expected = {"customer", "payment_intent", "charge", "event", "checkout.session"}
    expected |= {"payment_method", "webhook_endpoint", "payment_method_domain"}
    assert expected <= kinds, kinds
    found = [
        p
        for index, body in enumerate(standin_output)
        for p in stripe_sdk.problems_in(body, f"answer[{index}]")
    ]
    assert not found, "\n".join(found)


def objects_in(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value] + [o for v in value.values() for o in objects_in(v)]
    if isinstance(value, list):
        return [o for v in value for o in objects_in(v)]
    return []


INTENT_EVENTS = {
    "succeeded": "succeeded",
    "processing": "processing",
    "requires_payment_method": "payment_failed",
    "canceled": "canceled",
}


def fixture_objects() -> list[dict[str, Any]]:
    """What the tests and the local stack send as Stripe's (current API shape: `api="legacy"`
    is the pre-2022-11-15 PaymentIntent with embedded `charges`, kept on purpose to test the
    normalizer against old events, and outside the pinned version by definition)."""
    found: list[dict[str, Any]] = []
    for method in (*METHODS, "samsung_pay"):
        payment = Payment(method=method, amount_refunded=500)
        for status in ("succeeded", "failed", "pending"):
            found.append(event(f"charge.{status}", payment.charge(status=status)))
        for status, event_type in INTENT_EVENTS.items():
            found.append(event(f"payment_intent.{event_type}", payment.intent(status)))
    for scenario in scenarios.generate(2 * len(scenarios.KINDS), seed=14):
        found.extend(scenario.events)
    return found


def test_every_fixture_object_and_event_has_only_the_sdks_keys_and_values() -> None:
    found = [
        p
        for index, obj in enumerate(fixture_objects())
        for p in stripe_sdk.problems_in(obj, f"fixture[{index}]")
    ]
    assert not found, "\n".join(found)


def test_every_event_type_handled_registered_or_emitted_is_one_stripe_can_send(
    standin_output: list[Any],
) -> None:
    # what register-webhook asks Stripe for, whatever list it is built from
    registered = register_webhook(
        FakeStripe(), FakeSecretStore(), "https://example.com/webhooks/stripe", "secret-id"
    ).enabled_events
    used = set(HANDLED_EVENT_TYPES) | set(registered)
    used |= {e["type"] for body in standin_output for e in events_in(body)}
    used |= {e["type"] for e in fixture_objects() if e.get("object") == "event"}
    assert "customer.created" in used and "charge.failed" in used
    unknown = used - stripe_sdk.enabled_events()
    assert not unknown, f"not in WebhookEndpointCreateParams.enabled_events: {sorted(unknown)}"


def charge() -> dict[str, Any]:
    return Payment(method="apple_pay").charge()


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ({**charge(), "paid_at": 1}, "Charge has no key 'paid_at'"),
        ({**charge(), "status": "paid"}, "$.status: 'paid' is not one of the SDK's values"),
        (
            {**charge(), "payment_method_details": {"type": "cash", "cash": {}}},
            "'cash' is no payment method type the SDK knows",
        ),
        (
            {**charge(), "billing_details": {"address": {"zip": "42424"}}},
            "Charge.BillingDetails.Address has no key 'zip'",  # Stripe calls it postal_code
        ),
        (
            {**Payment().intent("canceled"), "cancellation_reason": "customer_left"},
            "$.cancellation_reason: 'customer_left' is not one of the SDK's values",
        ),
        (
            event("payment_intent.settled", Payment().intent("succeeded")),
            "$.type: 'payment_intent.settled' is not one of the SDK's",
        ),
        (
            event("payment_intent.succeeded", {**Payment().intent("succeeded"), "status": "paid"}),
            "$.data.object.status: 'paid' is not one of",
        ),
        ({**event("charge.succeeded", charge()), "account_id": "acct_1"}, "Event has no key"),
        ({"object": "payment_link_intent", "id": "x"}, "no Stripe object the SDK knows"),
        (
            {
                "error": {
                    "type": "card_error",
                    "payment_intent": {"object": "payment_intent", "x": 1},
                }
            },
            "$.error.payment_intent: PaymentIntent has no key 'x'",
        ),
        ({"customers": [{"object": "customer", "nickname": "A"}]}, "Customer has no key"),
        (Payment().intent("succeeded", api="legacy"), "PaymentIntent has no key 'charges'"),
    ],
)
def test_a_key_or_value_stripe_does_not_have_is_reported(
    planted: dict[str, Any], expected: str
) -> None:
    found = stripe_sdk.problems_in(planted)
    assert any(expected in problem for problem in found), found


def test_a_wallet_type_is_checked_deep_inside_the_charge() -> None:
    planted = charge()
    planted["payment_method_details"]["card"]["wallet"]["type"] = "apple_wallet"
    found = stripe_sdk.problems_in(planted)
    assert any(".card.wallet.type: 'apple_wallet' is not one of" in p for p in found), found
