"""The Wix page's calls through the real stack (gunicorn, emulator, writer, Wix stand-in) with
the Stripe stand-in playing Stripe: a page payment, its verify, and reconcile's catch-up."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.stripe_standin_server import StandinControl

pytestmark = pytest.mark.e2e


def origin(stack) -> str:
    return stack.config.page_origins.split(",")[0]


def start_payment(stack, first_name: str, key: str) -> dict:
    response = requests.post(
        f"{stack.config.ingest_url}/v1/payment-intents",
        json={"first_name": first_name, "product": "tee", "amount": 1},
        headers={"Origin": origin(stack), "Idempotency-Key": key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == origin(stack)
    return response.json()


@contextmanager
def webhooks_disabled(stack) -> Iterator[None]:
    headers = {"Authorization": f"Bearer {stack.config.stripe_secret_key}"}
    base = f"{stack.config.stripe_standin_url}/v1/webhook_endpoints"
    endpoints = requests.get(base, headers=headers, timeout=10).json()["data"]
    for endpoint in endpoints:
        requests.post(
            f"{base}/{endpoint['id']}", data={"disabled": "true"}, headers=headers, timeout=10
        )
    try:
        yield
    finally:
        for endpoint in endpoints:
            requests.post(
                f"{base}/{endpoint['id']}", data={"disabled": "false"}, headers=headers, timeout=10
            )


def test_a_page_payment_verified_by_the_page_lands_in_wix(stack):
    stripe = StandinControl(stack.config.stripe_standin_url)
    started = start_payment(stack, "Ada", "e2e-verify-1")
    assert (started["amount"], started["currency"]) == (1999, "usd")
    stripe.settle(started["payment_intent_id"], status="succeeded", method="apple_pay")

    response = requests.post(
        f"{stack.config.ingest_url}/v1/payments/verify",
        json={
            "payment_intent_id": started["payment_intent_id"],
            "client_secret": started["client_secret"],
        },
        headers={"Origin": origin(stack)},
        timeout=30,
    )
    assert response.json()["status"] == "succeeded"
    record = stack.wait_for_records(
        {started["payment_intent_id"]: {"status": "succeeded", "paidWith": "Apple Pay"}},
        timeout=30,
    )[started["payment_intent_id"]]
    assert (record["firstName"], record["paidWith"], record["amount"]) == (
        "Ada",
        "Apple Pay",
        19.99,
    )
    assert record["stripeCustomerId"].startswith("cus_")


def test_reconcile_command_records_a_payment_whose_webhooks_never_came(stack):
    stripe = StandinControl(stack.config.stripe_standin_url)
    # The stand-in delivers webhooks to ingest's endpoint: disabled, it sends these none.
    with webhooks_disabled(stack):
        started = start_payment(stack, "Grace", "e2e-reconcile-1")
        stripe.settle(started["payment_intent_id"], status="succeeded", method="card")

    result = subprocess.run(
        [sys.executable, "-m", "ingest", "reconcile", "--since", "1h"],
        env=stack.ingest_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "failed 0" in result.stdout
    record = stack.wait_for_records(
        # Reconcile publishes newest first: the intent's event can land before the charge's.
        {started["payment_intent_id"]: {"status": "succeeded", "paidWith": "Card"}},
        timeout=30,
    )[started["payment_intent_id"]]
    assert record["firstName"] == "Grace"
