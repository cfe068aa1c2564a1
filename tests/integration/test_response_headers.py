"""What every ingest answer carries: nosniff, no-store, a CSP; and gunicorn sends no banner."""

from __future__ import annotations

import os

import pytest
import requests

from devstack import processes
from devstack.stripe_fixtures import Payment
from ingest.app import create_app
from servicekit.headers import API_CSP
from tests.fakes import FakePublisher, FakeStripe, expanded_intent, ingest_config

SITE = "https://shop.example.com"


@pytest.fixture
def client():
    config = ingest_config(max_body_bytes=1024)
    stripe = FakeStripe()
    stripe.intents["pi_v"] = expanded_intent(Payment(intent_id="pi_v"), "succeeded")
    return create_app(config, FakePublisher(), stripe=stripe).test_client()


ORIGIN = {"Origin": SITE}
ANSWERS = [
    pytest.param(
        "post",
        "/v1/payment-intents",
        {"json": {"first_name": "Ada", "product": "tee"}, "headers": ORIGIN},
        200,
        id="created",
    ),
    pytest.param(
        "post",
        "/v1/payment-intents",
        {"json": {"product": "tee"}, "headers": ORIGIN},
        400,
        id="invalid",
    ),
    pytest.param(
        "post",
        "/v1/payment-intents",
        {"json": {}, "headers": {"Origin": "https://evil.example"}},
        403,
        id="origin-refused",
    ),
    pytest.param(
        "options",
        "/v1/payment-intents",
        {"headers": {**ORIGIN, "Access-Control-Request-Method": "POST"}},
        204,
        id="preflight",
    ),
    pytest.param(
        "post",
        "/v1/payments/verify",
        {"json": {"payment_intent_id": "pi_v"}},
        404,
        id="verify-refused",
    ),
    pytest.param("post", "/webhooks/stripe", {"data": "x" * 2048}, 413, id="too-large"),
    pytest.param("post", "/webhooks/stripe", {"data": "{}"}, 400, id="webhook-unsigned"),
    pytest.param("get", "/healthz", {}, 200, id="healthz"),
    pytest.param("get", "/nowhere", {}, 404, id="unknown-path"),
    pytest.param("get", "/v1/payment-intents", {}, 405, id="wrong-method"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), ANSWERS)
def test_every_answer_is_nosniff_uncached_and_under_a_policy_that_runs_nothing(
    client, method, path, kwargs, status
):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == API_CSP
    assert "Server" not in response.headers


def test_gunicorn_sends_no_server_banner(tmp_path):
    """The real server (the services' gunicorn settings) on a page app that needs no cloud."""
    port = processes.free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")},
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "CHECKOUT_INGEST_URL": "http://127.0.0.1:9",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_headers",
        "CHECKOUT_PRODUCT": "tee",
        "WEB_CONCURRENCY": "1",
    }
    service = processes.start_gunicorn(
        "checkout-page",
        "devstack.checkout_page:create_checkout_page_from_env()",
        f"http://127.0.0.1:{port}",
        env,
        tmp_path,
    )
    try:
        response = requests.get(f"{service.url}/healthz", timeout=10)
    finally:
        service.stop()
    assert response.status_code == 200
    assert "Server" not in response.headers, response.headers
