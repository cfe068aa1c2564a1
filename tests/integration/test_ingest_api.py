"""/v1/* and /tasks/reconcile through Flask's test client, with a fake Stripe and publisher."""

import json

import pytest

from devstack.stripe_fixtures import Payment, card_success_events
from ingest.app import create_app
from ingest.config import IngestConfig, Product
from ingest.ports import StripeFailure
from ingest.ratelimit import ClientRateLimiter
from payments.message import PaymentUpdate, Source
from servicekit.oidc import OidcAuthError
from tests.fakes import (
    DECLINE,
    FakeAuthenticator,
    FakePublisher,
    FakeStripe,
    expanded_intent,
    failing_publisher,
)

NOW = 1_800_000_000
SITE = "https://shop.example.com"
CATALOG = {"tee": Product("tee", "T-shirt", 1999, "usd")}


def config(**changes) -> IngestConfig:
    base = dict(
        project="p",
        topic="t",
        webhook_secrets=("whsec_x",),
        stripe_secret_key="sk_test_x",
        allowed_origins=(SITE,),
        catalog=CATALOG,
    )
    return IngestConfig(**{**base, **changes})


@pytest.fixture
def stripe():
    return FakeStripe()


@pytest.fixture
def publisher():
    return FakePublisher()


@pytest.fixture
def client(stripe, publisher):
    app = create_app(
        config(),
        publisher,
        clock=lambda: NOW,
        stripe=stripe,
        reconcile_authenticator=FakeAuthenticator(),
    )
    return app.test_client()


def create(client, body, key=None, origin=SITE, **headers):
    if key:
        headers["Idempotency-Key"] = key
    if origin:
        headers["Origin"] = origin
    return client.post("/v1/payment-intents", json=body, headers=headers)


# --- POST /v1/payment-intents --------------------------------------------------------------
def test_the_catalog_amount_is_charged_whatever_the_client_sends(client, stripe):
    response = create(
        client,
        {"first_name": "Ada", "product": "tee", "quantity": 2, "amount": 1, "currency": "jpy"},
    )
    assert response.status_code == 200
    assert response.json == {
        "client_secret": "pi_1_secret_x",
        "payment_intent_id": "pi_1",
        "amount": 3998,
        "currency": "usd",
    }
    intent = stripe.intents["pi_1"]
    assert (intent["amount"], intent["currency"], intent["customer"]) == (3998, "usd", "cus_1")
    assert intent["metadata"]["first_name"] == "Ada"
    assert intent["automatic_payment_methods"] == {"enabled": True}
    assert stripe.customers["cus_1"] == {"id": "cus_1", "name": "Ada", "email": None}


def test_a_double_submit_with_one_idempotency_key_makes_one_payment_intent(client, stripe):
    body = {"first_name": "Ada", "email": "ada@example.com", "product": "tee"}
    first = create(client, body, key="k-1")
    second = create(client, body, key="k-1")
    assert first.json == second.json
    assert len(stripe.intents) == 1 and len(stripe.customers) == 1
    assert "wix-page:payment_intent:k-1" in stripe.replies


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "R2D2", "product": "tee"}, "first_name"),
        ({"product": "tee"}, "first_name"),
        ({"first_name": "Ada", "product": "yacht"}, "product"),
        ({"first_name": "Ada", "product": "tee", "quantity": 99}, "quantity"),
        ({"first_name": "Ada", "product": "tee", "email": "nope"}, "email"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field_and_stripe_is_not_called(
    client, stripe, body, field
):
    response = create(client, body)
    assert response.status_code == 400
    assert response.json["field"] == field
    assert stripe.calls == []
    assert response.headers["Access-Control-Allow-Origin"] == SITE  # the page can read it


def test_a_body_that_is_not_json_is_a_400(client):
    response = client.post("/v1/payment-intents", data="x", headers={"Origin": SITE})
    assert (response.status_code, response.json["field"]) == (400, "body")


def test_a_bad_idempotency_key_is_a_400(client):
    response = create(client, {"first_name": "Ada", "product": "tee"}, key="has space")
    assert (response.status_code, response.json["field"]) == (400, "Idempotency-Key")


@pytest.mark.parametrize(
    ("failure", "status", "words"),
    [
        (StripeFailure("card", "Your card was declined.", 402, "card_declined"), 402, "declined"),
        (StripeFailure("unavailable", "An unknown error occurred", 500), 503, "unavailable"),
        (StripeFailure("rate_limit", "Too many", 429), 503, "unavailable"),
        (StripeFailure("idempotency", "Keys for idempotent…", 400), 409, "Idempotency-Key"),
        (StripeFailure("permission", "rk lacks rak_customer_write", 403), 502, "refused"),
        (StripeFailure("authentication", "Invalid API Key", 401), 502, "refused"),
    ],
)
def test_stripe_failures_get_clear_answers(client, stripe, failure, status, words):
    stripe.fail_next.append(failure)
    response = create(client, {"first_name": "Ada", "product": "tee"})
    assert response.status_code == status
    assert words in response.json["error"]
    if status == 503:
        assert response.headers["Retry-After"]
    # Configuration details (keys, permissions) never reach the page.
    assert "rk" not in response.json["error"] and "API Key" not in response.json["error"]


# --- CORS and rate limit ---------------------------------------------------------------------
def test_preflight_from_the_wix_site_is_allowed(client):
    response = client.options(
        "/v1/payment-intents",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("method", ["options", "post"])
def test_another_origin_is_refused_and_stripe_is_not_called(client, stripe, method):
    response = getattr(client, method)(
        "/v1/payment-intents",
        json={"first_name": "Ada", "product": "tee"},
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert stripe.calls == []


def test_cors_applies_to_v1_only(client):
    response = client.get("/healthz", headers={"Origin": SITE})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_client_over_its_rate_is_answered_429_with_retry_after(stripe, publisher):
    limiter = ClientRateLimiter(per_minute=60, burst=2, clock=lambda: 0.0)
    app = create_app(config(), publisher, stripe=stripe, rate_limiter=limiter)
    client = app.test_client()
    body = {"first_name": "Ada", "product": "tee"}
    env = {"REMOTE_ADDR": "198.51.100.7"}
    codes = [
        client.post(
            "/v1/payment-intents", json=body, headers={"Origin": SITE}, environ_base=env
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    refused = client.post(
        "/v1/payment-intents", json=body, headers={"Origin": SITE}, environ_base=env
    )
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Access-Control-Allow-Origin"] == SITE
    other = client.post(
        "/v1/payment-intents",
        json=body,
        headers={"Origin": SITE},
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    assert other.status_code == 200


# --- POST /v1/payments/verify ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "status", "kwargs", "answer"),
    [
        ("card", "succeeded", {}, "succeeded"),
        ("us_bank_account", "processing", {}, "processing"),
        ("card", "requires_payment_method", {"last_error": DECLINE}, "failed"),
    ],
)
def test_verify_answers_and_publishes_the_payment_as_stripe_has_it(
    client, stripe, publisher, method, status, kwargs, answer
):
    payment = Payment(intent_id="pi_v", method=method)
    stripe.intents["pi_v"] = expanded_intent(payment, status, **kwargs)
    response = client.post(
        "/v1/payments/verify", json=holding(stripe, "pi_v"), headers={"Origin": SITE}
    )
    assert response.status_code == 200
    assert response.json["status"] == answer
    assert response.json["recorded"] is True
    assert (response.json["amount"], response.json["currency"]) == (1999, "usd")
    [message] = publisher.published
    update = PaymentUpdate.from_json(message.data)
    assert (update.source, update.status.value, message.ordering_key) == (
        Source.VERIFY,
        answer,
        "pi_v",
    )
    assert message.attributes["event_id"] == update.event_id


def test_verify_of_a_checkout_session(client, stripe, publisher):
    payment = Payment(intent_id="pi_cs", method="link")
    stripe.sessions["cs_test_abc"] = {
        "id": "cs_test_abc",
        "customer": None,
        "customer_details": {"name": "Grace Hopper"},
        "payment_intent": expanded_intent(payment, "succeeded"),
        "status": "complete",
    }
    response = client.post("/v1/payments/verify", json={"checkout_session_id": "cs_test_abc"})
    assert response.json == {
        "status": "succeeded",
        "paid_with": "link",
        "amount": 1999,
        "currency": "usd",
        "payment_intent_id": "pi_cs",
        "recorded": True,
    }
    assert PaymentUpdate.from_json(publisher.published[0].data).payment_intent_id == "pi_cs"


def test_verify_of_an_unpaid_intent_answers_without_publishing(client, stripe, publisher):
    stripe.intents["pi_open"] = Payment(intent_id="pi_open").intent("requires_payment_method")
    response = client.post("/v1/payments/verify", json=holding(stripe, "pi_open"))
    assert (response.json["status"], response.json["recorded"]) == (
        "requires_payment_method",
        False,
    )
    assert publisher.published == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"payment_intent_id": "pi_1", "checkout_session_id": "cs_test_1"},
        {"payment_intent_id": "ch_1"},
        {"payment_intent_id": "pi_../../x"},
        {"checkout_session_id": "sess"},
        {"payment_intent_id": 7},
    ],
)
def test_verify_needs_exactly_one_well_formed_id(client, stripe, body):
    assert client.post("/v1/payments/verify", json=body).status_code == 400
    assert stripe.calls == []


def holding(stripe: FakeStripe, intent_id: str) -> dict[str, str]:
    """A verify body that holds the intent's capability: the client secret Stripe gave the page."""
    return {
        "payment_intent_id": intent_id,
        "client_secret": stripe.intents[intent_id]["client_secret"],
    }


def test_verify_of_an_unknown_payment_is_404(client, publisher):
    response = client.post(
        "/v1/payments/verify",
        json={"payment_intent_id": "pi_nope", "client_secret": "pi_nope_secret_abc"},
    )
    assert (response.status_code, response.json) == (404, {"error": "no such payment"})
    assert publisher.published == []


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(7, id="not-a-string"),
        pytest.param("pi_paid_secret_guess", id="wrong"),
        pytest.param("pi_other_secret_abc", id="another-intents"),
        pytest.param("pi_paid_secret_é", id="not-ascii"),
    ],
)
def test_verify_without_the_intents_own_client_secret_is_answered_as_an_unknown_id(
    client, stripe, publisher, secret
):
    stripe.intents["pi_paid"] = expanded_intent(Payment(intent_id="pi_paid"), "succeeded")
    other = Payment(intent_id="pi_other").intent("requires_payment_method")
    stripe.intents["pi_other"] = {**other, "client_secret": "pi_other_secret_abc"}
    body: dict[str, object] = {"payment_intent_id": "pi_paid"}
    if secret is not None:
        body["client_secret"] = secret
    unknown = client.post(
        "/v1/payments/verify",
        json={"payment_intent_id": "pi_nope", "client_secret": "pi_nope_secret_abc"},
        headers={"Origin": SITE},
    )
    refused = client.post("/v1/payments/verify", json=body, headers={"Origin": SITE})
    assert refused.status_code == unknown.status_code == 404
    assert refused.get_data() == unknown.get_data()
    assert dict(refused.headers) == dict(unknown.headers)
    assert publisher.published == []


def test_verify_with_the_right_secret_after_wrong_ones_still_answers(client, stripe, publisher):
    stripe.intents["pi_paid"] = expanded_intent(Payment(intent_id="pi_paid"), "succeeded")
    wrong = {"payment_intent_id": "pi_paid", "client_secret": "pi_paid_secret_nope"}
    assert client.post("/v1/payments/verify", json=wrong).status_code == 404
    right = client.post("/v1/payments/verify", json=holding(stripe, "pi_paid"))
    assert (right.status_code, right.json["status"]) == (200, "succeeded")
    assert len(publisher.published) == 1


def test_a_secret_that_cannot_be_the_intents_costs_no_stripe_call(client, stripe):
    body = {"payment_intent_id": "pi_paid", "client_secret": "pi_other_secret_abc"}
    assert client.post("/v1/payments/verify", json=body).status_code == 404
    assert stripe.calls == []


def test_verify_still_answers_the_page_when_the_publish_fails(stripe):
    stripe.intents["pi_v"] = expanded_intent(Payment(intent_id="pi_v"), "succeeded")
    app = create_app(config(), failing_publisher(), stripe=stripe)
    response = app.test_client().post("/v1/payments/verify", json=holding(stripe, "pi_v"))
    assert (response.status_code, response.json["status"], response.json["recorded"]) == (
        200,
        "succeeded",
        False,
    )


# --- POST /tasks/reconcile -------------------------------------------------------------------
def test_reconcile_task_publishes_listed_events(client, stripe, publisher):
    stripe.events = card_success_events(Payment(intent_id="pi_t"), at=NOW - 60)
    response = client.post(
        "/tasks/reconcile", json={"since": "1h"}, headers={"Authorization": "Bearer t"}
    )
    assert response.status_code == 200
    assert (response.json["published"], response.json["listed"]) == (2, 2)
    assert {PaymentUpdate.from_json(m.data).source for m in publisher.published} == {
        Source.RECONCILE
    }


def test_reconcile_task_is_refused_when_not_configured(stripe, publisher):
    app = create_app(config(), publisher, stripe=stripe)  # no authenticator
    response = app.test_client().post("/tasks/reconcile", headers={"Authorization": "Bearer t"})
    assert response.status_code == 403
    assert stripe.calls == []


@pytest.mark.parametrize("status", [401, 403])
def test_reconcile_task_refuses_a_bad_token(stripe, publisher, status):
    auth = FakeAuthenticator(refuse=OidcAuthError(status, "invalid token"))
    app = create_app(config(), publisher, stripe=stripe, reconcile_authenticator=auth)
    response = app.test_client().post("/tasks/reconcile")
    assert response.status_code == status
    assert stripe.calls == []


def test_reconcile_task_answers_503_when_stripe_cannot_be_listed(client, stripe):
    stripe.fail_next.append(StripeFailure("unavailable", "boom", 503))
    response = client.post("/tasks/reconcile", headers={"Authorization": "Bearer t"})
    assert response.status_code == 503


def test_reconcile_task_refuses_a_bad_since(client, stripe):
    response = client.post(
        "/tasks/reconcile", json={"since": "forever"}, headers={"Authorization": "Bearer t"}
    )
    assert response.status_code == 400


def test_reconcile_task_answers_503_when_a_publish_fails(stripe):
    stripe.events = card_success_events(Payment(), at=NOW - 60)
    app = create_app(
        config(),
        failing_publisher(),
        clock=lambda: NOW,
        stripe=stripe,
        reconcile_authenticator=FakeAuthenticator(),
    )
    response = app.test_client().post("/tasks/reconcile", headers={"Authorization": "Bearer t"})
    assert (response.status_code, response.json["failed"]) == (503, 2)


def test_no_client_secret_or_name_in_the_logs(client, caplog):
    with caplog.at_level("INFO", logger="ingest.api"):
        create(client, {"first_name": "Ada", "email": "ada@example.com", "product": "tee"})
    text = json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert "pi_1" in text
    assert "secret_x" not in text and "Ada" not in text and "ada@example.com" not in text


# --- the next try of an open attempt -----------------------------------------------------------
def test_the_next_try_gets_its_open_attempt_again_and_nothing_new_at_stripe(client, stripe):
    body = {"first_name": "Ada", "product": "tee"}
    first = create(client, body).json
    again = create(client, {**body, **pick(first)})
    assert again.status_code == 200
    assert again.json == first
    assert (len(stripe.customers), len(stripe.intents)) == (1, 1)


def test_a_changed_order_gets_a_new_intent_for_the_same_customer(client, stripe):
    first = create(client, {"first_name": "Ada", "product": "tee"}).json
    second = create(client, {"first_name": "Ada", "product": "tee", "quantity": 2, **pick(first)})
    assert second.json["payment_intent_id"] != first["payment_intent_id"]
    assert second.json["amount"] == 3998
    assert len(stripe.customers) == 1
    assert stripe.intents[second.json["payment_intent_id"]]["customer"] == "cus_1"


@pytest.mark.parametrize(
    "previous",
    [
        pytest.param({"client_secret": "pi_1_secret_guess"}, id="wrong-secret"),
        pytest.param({"status": "succeeded"}, id="already-paid"),
        pytest.param({"status": "processing"}, id="in-flight"),
        pytest.param(
            {"payment_intent_id": "pi_404", "client_secret": "pi_404_secret_x"}, id="unknown"
        ),
    ],
)
def test_an_attempt_that_is_not_open_or_not_theirs_starts_afresh(client, stripe, previous):
    body = {"first_name": "Ada", "product": "tee"}
    first = create(client, body).json
    if "status" in previous:
        stripe.intents["pi_1"]["status"] = previous.pop("status")
    second = create(client, {**body, **pick(first), **previous})
    assert second.status_code == 200
    assert second.json["payment_intent_id"] == "pi_2"
    assert len(stripe.customers) == 2


def pick(created: dict[str, str]) -> dict[str, str]:
    return {k: created[k] for k in ("payment_intent_id", "client_secret")}


def test_when_stripe_cannot_look_up_the_open_attempt_nothing_new_is_made(client, stripe):
    first = create(client, {"first_name": "Ada", "product": "tee"}).json
    stripe.fail_next.append(StripeFailure("unavailable", "boom", 503))
    again = create(client, {"first_name": "Ada", "product": "tee", **pick(first)})
    assert (again.status_code, again.headers["Retry-After"]) == (503, "5")
    assert (len(stripe.customers), len(stripe.intents)) == (1, 1)
