"""The payment form against the real ingest app (/v1/payment-intents, /v1/payments/verify, its
CORS and origin check, its catalog), served over real HTTP; Stripe is the hand-written
FakeStripe gateway behind ingest and the Stripe.js stand-in in the browser, and Pub/Sub the
FakePublisher. The other browser tests use a smaller ingest stand-in (conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from devstack import processes
from devstack.stripe_fixtures import Payment
from ingest.app import create_app
from ingest.config import IngestConfig, Product
from payments.message import PaymentUpdate
from tests.browser.conftest import IngestStandIn, browser_checkout, start_checkout_page
from tests.fakes import FakePublisher, FakeStripe, expanded_intent
from tests.standin_server import serving


@dataclass
class RealIngest:
    checkout_url: str
    stripe: FakeStripe
    publisher: FakePublisher
    url: str = ""


@pytest.fixture(scope="module")
def real_ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealIngest]:
    checkout_port = processes.free_port()
    checkout_origin = f"http://127.0.0.1:{checkout_port}"
    stripe, publisher = FakeStripe(), FakePublisher()
    config = IngestConfig(
        project="local-project",
        topic="stripe-payments",
        webhook_secrets=("whsec_browser",),
        stripe_secret_key="sk_test_browser",
        allowed_origins=(checkout_origin,),
        catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
    )
    with serving(create_app(config, publisher, stripe=stripe)) as ingest_url:
        page_server = start_checkout_page(
            checkout_port, ingest_url, tmp_path_factory.mktemp("checkout-real-ingest-logs")
        )
        try:
            yield RealIngest(page_server.url, stripe, publisher, ingest_url)
        finally:
            page_server.stop()


def test_a_customer_pays_through_the_real_ingest_and_sees_how_they_paid(
    browser: Any, real_ingest: RealIngest, ingest_standin: IngestStandIn
) -> None:
    stripe = real_ingest.stripe

    def stripe_records_the_payment(intent_id: str, status: str) -> None:
        # What Stripe's servers hold once Stripe.js confirmed: a succeeded intent whose latest
        # charge was paid with Google Pay (verify reads it with latest_charge expanded).
        created = stripe.intents[intent_id]
        payment = Payment(
            first_name="Ada",
            amount=created["amount"],
            method="google_pay",
            intent_id=intent_id,
            customer_id=created["customer"],
        )
        stripe.intents[intent_id] = {
            **payment.intent(status),
            "latest_charge": payment.charge(),
            "metadata": created["metadata"],
            "client_secret": created["client_secret"],
        }

    with browser_checkout(browser, real_ingest.checkout_url, ingest_standin, 375) as checkout:
        checkout.page.expose_function("__stripeConfirmHook", stripe_records_the_payment)
        checkout.open()
        checkout.continue_as("Ada")
        checkout.page.get_by_role("button", name="Pay $19.99").click()
        expect(checkout.page.locator("#paymentStatus")).to_have_text(
            "Thank you! We received $19.99 paid with Google Pay."
        )

    [intent] = stripe.intents.values()
    assert intent["amount"] == 1999 and intent["currency"] == "usd"
    assert intent["metadata"]["first_name"] == "Ada"
    [update] = [PaymentUpdate.from_json(p.data) for p in real_ingest.publisher.published]
    assert update.payment_intent_id == intent["id"]
    assert update.status == "succeeded"
    assert update.paid_with == "google_pay"
    assert update.first_name == "Ada"


@pytest.mark.parametrize(
    ("secret", "status"),
    [
        pytest.param(
            "right", "Thank you! We received $19.99 paid with Apple Pay.", id="own-secret"
        ),
        pytest.param(
            "pi_back_wrong_secret_guess",
            "We could not check your payment just now.",
            id="another-intents-secret",
        ),
        pytest.param(None, "We could not check your payment just now.", id="no-secret"),
    ],
)
def test_back_from_a_redirect_only_the_intents_own_client_secret_gets_an_answer(
    browser: Any,
    real_ingest: RealIngest,
    ingest_standin: IngestStandIn,
    secret: str | None,
    status: str,
) -> None:
    stripe, publisher = real_ingest.stripe, real_ingest.publisher
    paid = Payment(intent_id="pi_back", method="apple_pay")
    stripe.intents["pi_back"] = expanded_intent(paid, "succeeded")
    other = Payment(intent_id="pi_back_wrong").intent("requires_payment_method")
    stripe.intents["pi_back_wrong"] = {**other, "client_secret": "pi_back_wrong_secret_guess"}
    if secret == "right":
        secret = stripe.intents["pi_back"]["client_secret"]
    query = "?payment_intent=pi_back&redirect_status=succeeded"
    if secret is not None:
        query += f"&payment_intent_client_secret={secret}"
    before = len(publisher.published)

    with browser_checkout(browser, real_ingest.checkout_url, ingest_standin, 375) as checkout:
        checkout.open(query)
        expect(checkout.page.locator("#paymentStatus")).to_contain_text(status)

    published = [PaymentUpdate.from_json(p.data) for p in publisher.published[before:]]
    if secret == stripe.intents["pi_back"]["client_secret"]:
        assert [(u.payment_intent_id, u.status) for u in published] == [("pi_back", "succeeded")]
    else:
        assert published == [], "a verify without the capability must publish nothing"


def test_after_a_failed_redirect_the_retry_reuses_the_attempt_and_its_customer(
    browser: Any, real_ingest: RealIngest, ingest_standin: IngestStandIn
) -> None:
    stripe = real_ingest.stripe
    origin = real_ingest.checkout_url
    created = requests.post(
        f"{real_ingest.url}/v1/payment-intents",
        json={"first_name": "Ada", "product": "tee", "quantity": 1},
        headers={"Origin": origin},
        timeout=10,
    ).json()
    intent_id, secret = created["payment_intent_id"], created["client_secret"]
    # The bank said no: Stripe puts the intent back to requires_payment_method with the error.
    stripe.intents[intent_id]["last_payment_error"] = {"message": "The bank declined."}
    customers, intents = len(stripe.customers), len(stripe.intents)

    with browser_checkout(browser, real_ingest.checkout_url, ingest_standin, 375) as checkout:
        checkout.open(
            f"?payment_intent={intent_id}&payment_intent_client_secret={secret}"
            "&redirect_status=failed"
        )
        expect(checkout.page.locator("#paymentStatus")).to_contain_text("did not go through")
        checkout.continue_as("Ada")
        [elements] = checkout.stripe_calls("stripe.elements")
        assert elements["options"]["clientSecret"] == secret, "the same attempt is paid"

    assert (len(stripe.customers), len(stripe.intents)) == (customers, intents)
