"""The real StripeApiGateway (stripe-python's StripeClient) against the Stripe stand-in over HTTP.

The stand-in follows Stripe's wire format (form bodies, Idempotency-Key, error objects, list
pagination), so these tests show what the adapter really sends and how it reads the answers.
"""

from __future__ import annotations

import pytest
import requests

from devstack.stripe_fixtures import Payment, event
from ingest.app import create_app
from ingest.config import IngestConfig, Product
from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.orders import parse_order
from ingest.ports import StripeFailure
from ingest.reconcile import reconcile
from ingest.registration import register_webhook
from ingest.stripe_client import STRIPE_API_VERSION, StripeApiGateway
from payments.message import PaymentUpdate, Source
from tests.fakes import FakePublisher, FakeSecretStore
from tests.stripe_standin_server import StandinControl

SITE = "https://shop.example.com"
KEY = "sk_test_standin"
# What README lists for a restricted key (ingest's service); register-webhook needs its own.
SERVICE_PERMISSIONS = [
    "rak_customer_write",
    "rak_payment_intent_write",
    "rak_charge_read",
    "rak_checkout_session_write",
    "rak_event_read",
]


@pytest.fixture
def gateway(stripe_standin: StandinControl) -> StripeApiGateway:
    # Short timeouts and one retry keep failure tests quick; the defaults are in stripe_client.
    return StripeApiGateway(KEY, api_base=stripe_standin.url, timeout=(2, 5), max_network_retries=1)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def client(gateway, publisher):
    config = IngestConfig(
        project="p",
        topic="t",
        webhook_secrets=("whsec_x",),
        stripe_secret_key=KEY,
        allowed_origins=(SITE,),
        catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
    )
    return create_app(config, publisher, stripe=gateway).test_client()


def pay(client, body=None, key=None, origin=SITE):
    headers = {"Origin": origin} if origin else {}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        "/v1/payment-intents",
        json=body or {"first_name": "Ada", "email": "ada@example.com", "product": "tee"},
        headers=headers,
    )


# --- payment intents ------------------------------------------------------------------------
def test_the_catalog_amount_is_charged_whatever_the_client_sends(client, stripe_standin):
    response = pay(
        client,
        {"first_name": "Ada", "product": "tee", "quantity": 2, "amount": 1, "currency": "eur"},
    )
    assert response.status_code == 200
    [intent] = stripe_standin.get("state")["payment_intents"]
    assert (intent["amount"], intent["currency"]) == (3998, "usd")
    assert response.json == {
        "client_secret": intent["client_secret"],
        "payment_intent_id": intent["id"],
        "amount": 3998,
        "currency": "usd",
    }
    [customer] = stripe_standin.get("state")["customers"]
    assert (customer["name"], customer["email"]) == ("Ada", None)
    assert intent["customer"] == customer["id"]
    assert intent["metadata"] == {"first_name": "Ada", "product": "tee", "quantity": "2"}
    assert intent["automatic_payment_methods"]["enabled"] is True
    [sent] = stripe_standin.requests("POST", "/v1/payment_intents")
    assert sent["stripe_version"] == STRIPE_API_VERSION
    assert sent["params"]["automatic_payment_methods"] == {"enabled": "true"}


def test_a_double_submit_makes_one_payment_intent(client, stripe_standin):
    first = pay(client, key="9b2f-double-click")
    second = pay(client, key="9b2f-double-click")
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    state = stripe_standin.get("state")
    assert (len(state["payment_intents"]), len(state["customers"])) == (1, 1)
    sent = stripe_standin.requests("POST", "/v1/payment_intents")
    assert [r["replayed"] for r in sent] == [False, True]
    assert sent[0]["idempotency_key"] == "wix-page:payment_intent:9b2f-double-click"


def test_the_same_key_for_a_different_payment_is_refused(client, stripe_standin):
    assert pay(client, key="k-reused").status_code == 200
    other = pay(client, {"first_name": "Grace", "product": "tee"}, key="k-reused")
    assert other.status_code == 409
    assert len(stripe_standin.get("state")["payment_intents"]) == 1


def test_a_disallowed_origin_is_refused_before_stripe_is_called(client, stripe_standin):
    response = pay(client, origin="https://evil.example")
    assert response.status_code == 403
    assert stripe_standin.get("requests") == []


def test_a_card_error_gives_the_customer_stripes_message(client, stripe_standin):
    stripe_standin.fault(path="/v1/payment_intents", method="POST", status=402)
    response = pay(client)
    assert response.status_code == 402
    assert response.json == {
        "error": "Your card was declined.",
        "code": "card_declined",
        "type": "card_error",
    }


def test_stripe_5xx_after_the_clients_retries_is_a_503_to_retry_later(client, stripe_standin):
    stripe_standin.fault(path="/v1/customers", status=500, times=5)
    response = pay(client)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "unavailable" in response.json["error"]
    assert len(stripe_standin.requests("POST", "/v1/customers")) == 2  # first try + one retry
    assert stripe_standin.get("state")["payment_intents"] == []


def test_one_stripe_5xx_is_retried_by_the_client_with_the_same_key(client, stripe_standin):
    stripe_standin.fault(path="/v1/payment_intents", status=503, times=1)
    response = pay(client, key="k-retry")
    assert response.status_code == 200
    sent = stripe_standin.requests("POST", "/v1/payment_intents")
    assert [r["status"] for r in sent] == [503, 200]
    assert {r["idempotency_key"] for r in sent} == {"wix-page:payment_intent:k-retry"}
    assert len(stripe_standin.get("state")["payment_intents"]) == 1


def test_stripe_unreachable_is_a_503(publisher):
    from devstack.processes import free_port

    gateway = StripeApiGateway(
        KEY, api_base=f"http://127.0.0.1:{free_port()}", timeout=(0.5, 1), max_network_retries=0
    )
    with pytest.raises(StripeFailure) as caught:
        gateway.create_customer("Ada", None, None)
    assert caught.value.kind == "unavailable"


def test_a_wrong_key_is_an_authentication_failure(stripe_standin):
    gateway = StripeApiGateway("not-a-key", api_base=stripe_standin.url, max_network_retries=0)
    with pytest.raises(StripeFailure) as caught:
        gateway.create_customer("Ada", None, None)
    assert (caught.value.kind, caught.value.http_status) == ("authentication", 401)


# --- verify ---------------------------------------------------------------------------------
def new_intent(client) -> tuple[str, str]:
    """A new intent's id and the client secret the page got for it."""
    created = pay(client).json
    return str(created["payment_intent_id"]), str(created["client_secret"])


@pytest.mark.parametrize(
    ("outcome", "method", "status", "paid_with"),
    [
        ("succeeded", "apple_pay", "succeeded", "apple_pay"),
        ("failed", "card", "failed", "card"),
        ("processing", "us_bank_account", "processing", "us_bank_account"),
    ],
)
def test_verify_returns_and_publishes_the_payment(
    client, stripe_standin, publisher, outcome, method, status, paid_with
):
    intent_id, client_secret = new_intent(client)
    stripe_standin.settle(intent_id, status=outcome, method=method)
    response = client.post(
        "/v1/payments/verify",
        json={"payment_intent_id": intent_id, "client_secret": client_secret},
        headers={"Origin": SITE},
    )
    assert response.status_code == 200
    assert response.json == {
        "status": status,
        "paid_with": paid_with,
        "amount": 1999,
        "currency": "usd",
        "payment_intent_id": intent_id,
        "recorded": True,
    }
    [message] = publisher.published
    update = PaymentUpdate.from_json(message.data)
    customer_id = stripe_standin.get("state")["customers"][0]["id"]
    assert (update.source, update.status.value, update.payment_intent_id) == (
        Source.VERIFY,
        status,
        intent_id,
    )
    assert (update.first_name, update.customer_id) == ("Ada", customer_id)
    if status == "failed":
        assert update.failure_message == "Your card was declined."
    [sent] = stripe_standin.requests("GET", f"/v1/payment_intents/{intent_id}")
    assert sorted(sent["params"]["expand"]) == ["customer", "latest_charge"]


def test_verify_of_a_checkout_session(client, stripe_standin, publisher):
    session = stripe_standin.post(
        "checkout_sessions",
        {
            "amount": 4500,
            "currency": "eur",
            "outcome": "succeeded",
            "method": "card",
            "customer": None,
            "customer_details": {"name": "Grace Hopper", "email": "grace@example.com"},
        },
    )
    response = client.post("/v1/payments/verify", json={"checkout_session_id": session["id"]})
    assert response.json == {
        "status": "succeeded",
        "paid_with": "card",
        "amount": 4500,
        "currency": "eur",
        "payment_intent_id": session["payment_intent"],
        "recorded": True,
    }
    update = PaymentUpdate.from_json(publisher.published[0].data)
    assert (update.first_name, update.payment_intent_id) == ("Grace", session["payment_intent"])
    [sent] = stripe_standin.requests("GET", f"/v1/checkout/sessions/{session['id']}")
    assert sent["params"]["expand"] == ["payment_intent.latest_charge"]


def test_verify_of_an_unknown_payment_is_404(client, stripe_standin):
    body = {"payment_intent_id": "pi_unknown1", "client_secret": "pi_unknown1_secret_x"}
    response = client.post("/v1/payments/verify", json=body)
    assert response.status_code == 404


def test_verify_with_a_wrong_client_secret_is_the_same_404_and_publishes_nothing(
    client, stripe_standin, publisher
):
    intent_id, client_secret = new_intent(client)
    stripe_standin.settle(intent_id, status="succeeded", method="card")
    body = {"payment_intent_id": intent_id, "client_secret": client_secret + "x"}
    response = client.post("/v1/payments/verify", json=body)
    assert (response.status_code, response.json) == (404, {"error": "no such payment"})
    assert publisher.published == []


# --- reconcile ------------------------------------------------------------------------------
def test_reconcile_over_several_pages_publishes_each_event_once(gateway, stripe_standin, publisher):
    now = 1_800_000_000

    def payload(event_type: str, payment: Payment) -> dict:
        if event_type.startswith("checkout.session."):
            return payment.checkout_session()
        if event_type.startswith("payment_intent."):
            return payment.intent("succeeded")
        return payment.charge()

    handled = [
        event(
            HANDLED_EVENT_TYPES[i % len(HANDLED_EVENT_TYPES)],
            payload(
                HANDLED_EVENT_TYPES[i % len(HANDLED_EVENT_TYPES)], Payment(intent_id=f"pi_{i:04d}")
            ),
            created=now - 1000 + i,
            event_id=f"evt_{i:04d}",
        )
        for i in range(230)
    ]
    noise = [event("customer.created", {"id": "cus_1"}, created=now - 10, event_id="evt_noise")]
    too_old = [
        event("charge.succeeded", Payment().charge(), created=now - 5000, event_id="evt_old")
    ]
    stripe_standin.post("events", {"events": [*handled, *noise, *too_old]})

    report = reconcile(gateway, publisher, created_gte=now - 3600)

    assert (report.listed, report.published, report.failed) == (230, 230, 0)
    published_ids = [m.attributes["event_id"] for m in publisher.published]
    assert sorted(published_ids) == sorted(e["id"] for e in handled)  # each once, no noise
    pages = stripe_standin.requests("GET", "/v1/events")
    assert len(pages) == 3
    assert sorted(pages[0]["params"]["types"]) == sorted(HANDLED_EVENT_TYPES)
    assert pages[0]["params"]["created"] == {"gte": str(now - 3600)}
    assert "starting_after" not in pages[0]["params"]
    assert pages[1]["params"]["starting_after"] == published_ids[99]
    assert {PaymentUpdate.from_json(m.data).source for m in publisher.published} == {
        Source.RECONCILE
    }


# --- register-webhook -----------------------------------------------------------------------
def test_register_webhook_creates_the_endpoint_and_stores_its_secret(gateway, stripe_standin):
    store = FakeSecretStore()
    registration = register_webhook(
        gateway, store, "https://ingest.example.com/webhooks/stripe", "stripe-webhook-secret"
    )
    [endpoint] = stripe_standin.get("state")["webhook_endpoints"]
    assert endpoint["id"] == registration.endpoint_id
    assert endpoint["enabled_events"] == list(HANDLED_EVENT_TYPES)
    assert endpoint["api_version"] == STRIPE_API_VERSION
    assert store.versions["stripe-webhook-secret"] == [endpoint["secret"].encode()]


# --- restricted key -------------------------------------------------------------------------
def test_a_restricted_key_with_the_readme_permissions_does_everything_the_service_does(
    stripe_standin, publisher
):
    restricted = "rk_test_ingest"
    stripe_standin.post("restricted_keys", {restricted: SERVICE_PERMISSIONS})
    gateway = StripeApiGateway(restricted, api_base=stripe_standin.url, max_network_retries=0)
    customer = gateway.create_customer("Ada", None, None)
    intent = gateway.create_payment_intent(1999, "usd", customer, {"first_name": "Ada"}, "T", None)
    stripe_standin.settle(intent["id"], status="succeeded")
    assert gateway.retrieve_payment_intent(intent["id"])["latest_charge"]["status"] == "succeeded"
    session = stripe_standin.post("checkout_sessions", {"outcome": "succeeded"})
    assert (
        gateway.retrieve_checkout_session(session["id"])["payment_intent"]["status"] == "succeeded"
    )
    order = parse_order(
        {"first_name": "Ada", "product": "tee"}, {"tee": Product("tee", "T-shirt", 1999, "usd")}
    )
    created = gateway.create_checkout_session(
        order, "https://x.example/?id=1", "https://x.example/", None
    )
    assert created["id"].startswith("cs_test_")
    assert reconcile(gateway, publisher, created_gte=0).published >= 2
    with pytest.raises(StripeFailure) as caught:  # register-webhook needs its own permission
        gateway.create_webhook_endpoint("https://x.example/webhooks/stripe", ["charge.failed"], "d")
    assert caught.value.kind == "permission"


def test_a_restricted_key_without_charge_read_cannot_verify(stripe_standin):
    restricted = "rk_test_no_charges"
    permissions = [p for p in SERVICE_PERMISSIONS if p != "rak_charge_read"]
    stripe_standin.post("restricted_keys", {restricted: permissions})
    gateway = StripeApiGateway(restricted, api_base=stripe_standin.url, max_network_retries=0)
    with pytest.raises(StripeFailure) as caught:
        gateway.retrieve_payment_intent("pi_any")
    assert (caught.value.kind, caught.value.http_status) == ("permission", 403)


# --- the stand-in itself follows Stripe's wire format -----------------------------------------
def test_standin_refuses_unknown_parameters_and_missing_keys_like_stripe(stripe_standin):
    auth = {"Authorization": f"Bearer {KEY}"}
    unknown = requests.post(
        f"{stripe_standin.url}/v1/payment_intents",
        data={"amount": "100", "currency": "usd", "x": "1"},
        headers=auth,
        timeout=5,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "parameter_unknown"
    missing = requests.post(
        f"{stripe_standin.url}/v1/payment_intents",
        data={"currency": "usd"},
        headers=auth,
        timeout=5,
    )
    assert missing.json()["error"] == {
        "type": "invalid_request_error",
        "code": "parameter_missing",
        "param": "amount",
        "message": "Missing required param: amount.",
        "doc_url": "https://docs.stripe.com/error-codes/parameter-missing",
    }
    no_key = requests.get(f"{stripe_standin.url}/v1/events", timeout=5)
    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "invalid_request_error"


def test_standin_replay_names_the_request_that_was_answered_first(stripe_standin):
    headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "replay-names-original"}
    first, again = (
        requests.post(
            f"{stripe_standin.url}/v1/customers", data={"name": "Ada"}, headers=headers, timeout=5
        )
        for _ in range(2)
    )
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Original-Request"] == first.headers["Request-Id"]
    assert again.headers["Request-Id"] != first.headers["Request-Id"]
