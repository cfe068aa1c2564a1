"""The Stripe stand-in's resources the bridge needs, driven with stripe-python over HTTP: webhook
endpoint list/update/delete, payment method domains, confirming with `pm_card_visa`, and signed
delivery of its events to a webhook endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from flask import Flask, request

from bridge.stripe_admin import StripeAdmin
from ingest.signature import SignatureError, verify
from tests.polling import poll
from tests.standin_server import serving
from tests.stripe_standin_server import StandinControl

KEY = "sk_test_bridge"


@pytest.fixture
def client(stripe_standin: StandinControl) -> stripe.StripeClient:
    return stripe.StripeClient(
        KEY, base_addresses={"api": stripe_standin.url}, max_network_retries=0
    )


class Receiver:
    """A webhook endpoint that checks Stripe-Signature with the secret it is given."""

    def __init__(self) -> None:
        self.secret = ""
        self.answer = 200
        self.received: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.app = Flask("receiver")
        self.app.add_url_rule("/webhooks/stripe", view_func=self.receive, methods=["POST"])

    def receive(self) -> tuple[str, int]:
        try:
            verify(
                request.get_data(),
                request.headers.get("Stripe-Signature"),
                [self.secret],
                time.time(),
            )
        except SignatureError as exc:
            self.refused.append(str(exc))
            return "bad signature", 400
        self.received.append(request.get_json())
        return "", self.answer


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with serving(hook.app) as url:
        yield hook, f"{url}/webhooks/stripe"


def new_intent(client: stripe.StripeClient, **extra: Any) -> Any:
    customer = client.v1.customers.create(params={"name": "Ada"})
    params: Any = {
        "amount": 1999,
        "currency": "usd",
        "customer": customer.id,
        "automatic_payment_methods": {"enabled": True},
        "metadata": {"first_name": "Ada"},
        **extra,
    }
    return client.v1.payment_intents.create(params=params)


def test_webhook_endpoints_are_listed_updated_and_deleted_without_their_secret(client):
    params: Any = {"url": "https://a.example/webhooks/stripe", "enabled_events": ["charge.failed"]}
    created = client.v1.webhook_endpoints.create(params=params)
    assert created.secret.startswith("whsec_")

    [listed] = client.v1.webhook_endpoints.list().data
    assert (listed.id, listed.status, listed.enabled_events) == (
        created.id,
        "enabled",
        ["charge.failed"],
    )
    assert "secret" not in listed

    update: Any = {"disabled": True, "enabled_events": ["charge.failed", "charge.succeeded"]}
    updated = client.v1.webhook_endpoints.update(created.id, params=update)
    assert updated.status == "disabled"
    assert updated.enabled_events == ["charge.failed", "charge.succeeded"]
    assert client.v1.webhook_endpoints.retrieve(created.id).status == "disabled"

    assert client.v1.webhook_endpoints.delete(created.id).deleted is True
    assert client.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.webhook_endpoints.retrieve(created.id)
    assert missing.value.http_status == 404


def test_payment_method_domains_are_created_and_listed_by_name(client):
    client.v1.payment_method_domains.create(params={"domain_name": "Shop.Example.com"})
    client.v1.payment_method_domains.create(
        params={"domain_name": "old.example.com", "enabled": False}
    )

    everything = client.v1.payment_method_domains.list().data
    assert {d.domain_name for d in everything} == {"shop.example.com", "old.example.com"}
    [shop] = client.v1.payment_method_domains.list(params={"domain_name": "shop.example.com"}).data
    assert shop.enabled is True and shop.apple_pay.status == "active"
    [old] = client.v1.payment_method_domains.list(params={"enabled": False}).data
    assert old.domain_name == "old.example.com"


def test_confirming_with_pm_card_visa_succeeds_and_emits_the_charge_and_intent_events(
    client, stripe_standin
):
    intent = new_intent(client)
    confirmed = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "return_url": "https://a.example/"}
    )
    assert confirmed.status == "succeeded"
    assert confirmed.latest_charge.startswith("ch_")
    types = [e.type for e in client.v1.events.list(params={"limit": 5}).data]
    assert types[:2] == ["payment_intent.succeeded", "charge.succeeded"]

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa", "return_url": "https://a/"}
        )
    assert again.value.code == "payment_intent_unexpected_state"


def test_confirming_without_return_url_when_methods_may_redirect_is_refused_as_stripe_does(client):
    intent = new_intent(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert "return_url" in str(refused.value)
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_a_declined_test_card_answers_402_and_leaves_the_intent_awaiting_a_method(client):
    intent = new_intent(client)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(
            intent.id,
            params={"payment_method": "pm_card_chargeDeclined", "return_url": "https://a/"},
        )
    assert declined.value.code == "card_declined"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_events_are_delivered_signed_with_the_endpoint_secret_to_enabled_endpoints_only(
    client, stripe_standin, receiver
):
    hook, url = receiver
    params: Any = {"url": url, "enabled_events": ["charge.succeeded", "payment_intent.succeeded"]}
    hook.secret = client.v1.webhook_endpoints.create(params=params).secret
    intent = new_intent(client)
    client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "return_url": "https://a/"}
    )

    poll(lambda: len(hook.received) == 2)
    assert sorted(e["type"] for e in hook.received) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    assert hook.refused == []
    # customer.created and payment_intent.created were not subscribed to: never sent. The two
    # that were are no longer pending once the stand-in has read the endpoint's 200.

    def pending() -> dict[str, int]:
        return {e.type: e.pending_webhooks for e in client.v1.events.list().data}

    poll(
        lambda: (
            pending().get("charge.succeeded") == 0
            and pending().get("payment_intent.succeeded") == 0
        ),
        what="both deliveries counted",
    )
    assert pending()["customer.created"] == 0
    assert client.v1.events.list(params={"delivery_success": False}).data == []


def test_a_refused_delivery_stays_pending_and_is_listed_as_undelivered(
    client, stripe_standin, receiver
):
    hook, url = receiver
    params: Any = {"url": url, "enabled_events": ["payment_intent.succeeded"]}
    client.v1.webhook_endpoints.create(params=params)
    hook.secret = "whsec_not_the_endpoints_secret"
    intent = new_intent(client)
    client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "return_url": "https://a/"}
    )

    poll(lambda: hook.refused)
    [undelivered] = poll(lambda: client.v1.events.list(params={"delivery_success": False}).data)
    assert undelivered.type == "payment_intent.succeeded"
    assert undelivered.pending_webhooks == 1
    attempts = [
        a for a in stripe_standin.get("webhook_deliveries") if a["event_id"] == undelivered.id
    ]
    assert attempts[0]["status"] == 400 and attempts[0]["delivered"] is False


def test_doctors_permission_probes_name_exactly_the_calls_a_restricted_key_may_not_make(
    stripe_standin,
):
    full = [
        "rak_customer_write",
        "rak_payment_intent_write",
        "rak_charge_read",
        "rak_checkout_session_write",
        "rak_event_read",
    ]
    stripe_standin.post(
        "restricted_keys",
        {"rk_test_full": full, "rk_test_no_customers": [p for p in full if "customer" not in p]},
    )
    assert StripeAdmin("rk_test_full", api_base=stripe_standin.url).probe_permissions() == {}
    denied = StripeAdmin("rk_test_no_customers", api_base=stripe_standin.url).probe_permissions()
    assert list(denied) == ["create customers"]
    assert "rak_customer_write" in denied["create customers"]
    # The probes created nothing.
    assert stripe_standin.get("state")["customers"] == []
    assert stripe_standin.get("state")["payment_intents"] == []
