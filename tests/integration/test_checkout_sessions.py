"""POST /v1/checkout-sessions: ingest with the real StripeApiGateway against the Stripe stand-in
(wire format, idempotency) and with a fake Stripe (failure answers, CORS, rate limit)."""

from __future__ import annotations

import pytest
import requests

from ingest.app import create_app
from ingest.config import IngestConfig, Product
from ingest.normalize import normalize_event
from ingest.ports import StripeFailure
from ingest.ratelimit import ClientRateLimiter
from ingest.stripe_client import STRIPE_API_VERSION, StripeApiGateway
from payments.status import PaymentStatus
from tests.fakes import FakePublisher, FakeStripe
from tests.stripe_standin_server import StandinControl

SITE = "https://shop.example.com"
KEY = "sk_test_standin"
PAGE = f"{SITE}/pay?ref=summer"
ORDER = {"first_name": "Ada", "email": "ada@example.com", "product": "tee", "return_url": PAGE}


def config() -> IngestConfig:
    return IngestConfig(
        project="p",
        topic="t",
        webhook_secrets=("whsec_x",),
        stripe_secret_key=KEY,
        allowed_origins=(SITE,),
        catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
    )


@pytest.fixture
def client(stripe_standin):
    gateway = StripeApiGateway(
        KEY, api_base=stripe_standin.url, timeout=(2, 5), max_network_retries=1
    )
    return create_app(config(), FakePublisher(), stripe=gateway).test_client()


def start(client, body=None, key=None, origin=SITE):
    headers = {"Origin": origin} if origin else {}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/v1/checkout-sessions", json=body or ORDER, headers=headers)


def events_of(stripe_standin: StandinControl) -> list[dict]:
    """Every event the stand-in emitted, oldest first (GET /v1/events lists newest first)."""
    answer = requests.get(
        f"{stripe_standin.url}/v1/events",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    return list(reversed(answer.json()["data"]))


# --- through the real gateway and the stand-in ------------------------------------------------
def test_a_session_carries_the_catalog_price_the_first_name_and_the_return_url(
    client, stripe_standin
):
    response = start(client, {**ORDER, "quantity": 2, "amount": 1, "currency": "eur"})
    assert response.status_code == 200, response.json
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    [session] = stripe_standin.get("state")["checkout_sessions"]
    assert response.json == {"url": session["url"], "checkout_session_id": session["id"]}
    assert session["url"].startswith("https://checkout.stripe.com/")
    assert (session["amount_total"], session["currency"]) == (3998, "usd")
    assert session["payment_intent"] is None  # created on payment since API 2022-08-01
    assert session["metadata"] == {"first_name": "Ada", "product": "tee", "quantity": "2"}
    assert session["success_url"] == (
        f"{SITE}/pay?ref=summer&checkout_session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert session["cancel_url"] == PAGE
    [sent] = stripe_standin.requests("POST", "/v1/checkout/sessions")
    assert sent["stripe_version"] == STRIPE_API_VERSION
    assert sent["params"]["mode"] == "payment"
    assert sent["params"]["customer_creation"] == "always"
    assert sent["params"]["customer_email"] == "ada@example.com"
    assert sent["params"]["line_items"] == [
        {
            "price_data": {
                "currency": "usd",
                "unit_amount": "1999",
                "product_data": {"name": "T-shirt"},
            },
            "quantity": "2",
        }
    ]
    assert sent["params"]["payment_intent_data"]["metadata"] == session["metadata"]


def test_a_paid_session_makes_a_customer_and_an_intent_with_the_first_name(client, stripe_standin):
    session_id = start(client).json["checkout_session_id"]
    paid = stripe_standin.post(
        f"checkout_sessions/{session_id}/pay",
        {"outcome": "succeeded", "customer_details": {"name": "Ada Lovelace"}},
    )
    state = stripe_standin.get("state")
    [intent] = state["payment_intents"]
    [customer] = state["customers"]
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert (paid["payment_intent"], paid["customer"]) == (intent["id"], customer["id"])
    assert paid["url"] is None
    assert intent["metadata"]["first_name"] == "Ada"
    assert (intent["amount"], intent["customer"]) == (1999, customer["id"])
    response = client.post("/v1/payments/verify", json={"checkout_session_id": session_id})
    assert (response.json["status"], response.json["payment_intent_id"]) == (
        "succeeded",
        intent["id"],
    )


def test_a_double_submit_makes_one_session(client, stripe_standin):
    first = start(client, key="k-double")
    second = start(client, key="k-double")
    assert first.json == second.json
    assert len(stripe_standin.get("state")["checkout_sessions"]) == 1
    sent = stripe_standin.requests("POST", "/v1/checkout/sessions")
    assert [r["replayed"] for r in sent] == [False, True]
    assert sent[0]["idempotency_key"] == "wix-page:checkout_session:k-double"


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/pay",
        "https://shop.example.com.evil.example/pay",
        "http://shop.example.com/pay",  # another scheme is another origin
        "https://shop.example.com:8443/pay",
        "https://user:pw@shop.example.com/pay",
        "javascript:alert(1)",
        "/pay",
        "",
        None,
    ],
)
def test_a_return_url_off_the_sites_origins_is_a_400_and_creates_nothing(
    client, stripe_standin, return_url
):
    response = start(client, {**ORDER, "return_url": return_url})
    assert (response.status_code, response.json["field"]) == (400, "return_url")
    assert stripe_standin.get("requests") == []


def test_stripe_refusing_a_parameter_is_a_502_not_the_customers_problem(client, stripe_standin):
    stripe_standin.fault(
        status=400, path="/v1/checkout/sessions", error={"code": "parameter_unknown"}
    )
    response = start(client)
    assert response.status_code == 502
    assert stripe_standin.get("state")["checkout_sessions"] == []


# --- the stand-in's Checkout flow, as Stripe documents it ---------------------------------------
def test_an_async_payment_completes_unpaid_and_then_succeeds(client, stripe_standin):
    session_id = start(client).json["checkout_session_id"]
    stripe_standin.post(f"checkout_sessions/{session_id}/pay", {"outcome": "processing"})
    stripe_standin.post(f"checkout_sessions/{session_id}/async_outcome", {"status": "succeeded"})
    types = [e["type"] for e in events_of(stripe_standin)]
    assert types == [
        "customer.created",
        "payment_intent.created",
        "payment_intent.processing",
        "checkout.session.completed",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]
    statuses = {
        e["type"]: normalize_event(e).status  # type: ignore[union-attr]
        for e in events_of(stripe_standin)
        if e["type"].startswith("checkout.session.")
    }
    assert statuses == {
        "checkout.session.completed": PaymentStatus.PROCESSING,
        "checkout.session.async_payment_succeeded": PaymentStatus.SUCCEEDED,
    }


def test_a_declined_card_leaves_the_session_open_for_another_try(client, stripe_standin):
    session_id = start(client).json["checkout_session_id"]
    declined = stripe_standin.post(f"checkout_sessions/{session_id}/pay", {"outcome": "failed"})
    assert (declined["status"], declined["payment_status"]) == ("open", "unpaid")
    paid = stripe_standin.post(f"checkout_sessions/{session_id}/pay", {"outcome": "succeeded"})
    assert paid["payment_intent"] == declined["payment_intent"]
    assert paid["payment_status"] == "paid"


def test_the_standin_refuses_unknown_line_item_parameters_like_stripe(stripe_standin):
    response = requests.post(
        f"{stripe_standin.url}/v1/checkout/sessions",
        data={
            "mode": "payment",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": "100",
            "line_items[0][price_data][product_data][name]": "T",
            "line_items[0][price_data][amount]": "1",
            "line_items[0][quantity]": "1",
        },
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "line_items[0][price_data][amount]"


# --- failures, CORS and rate limit with a fake Stripe -----------------------------------------
@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (StripeFailure("unavailable", "An unknown error occurred", 500), 503),
        (StripeFailure("idempotency", "Keys for idempotent…", 400), 409),
        (StripeFailure("permission", "rk lacks rak_checkout_session_write", 403), 502),
    ],
)
def test_stripe_failures_get_the_same_answers_as_payment_intents(failure, status):
    stripe = FakeStripe(fail_next=[failure])
    client = create_app(config(), FakePublisher(), stripe=stripe).test_client()
    response = start(client)
    assert response.status_code == status
    assert "rak_" not in response.json["error"]


def test_a_session_answer_without_a_url_is_a_502():
    stripe = FakeStripe()
    stripe.replies["wix-page:checkout_session:k1"] = {"id": "cs_test_1", "url": None}
    client = create_app(config(), FakePublisher(), stripe=stripe).test_client()
    assert start(client, key="k1").status_code == 502


def test_another_origin_and_too_many_requests_are_refused_as_for_payment_intents():
    stripe = FakeStripe()
    limiter = ClientRateLimiter(per_minute=60, burst=1, clock=lambda: 0.0)
    client = create_app(config(), FakePublisher(), stripe=stripe, rate_limiter=limiter)
    test_client = client.test_client()
    assert start(test_client, origin="https://evil.example").status_code == 403
    assert start(test_client).status_code == 200
    refused = start(test_client)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    assert stripe.calls == ["create_checkout_session"]
