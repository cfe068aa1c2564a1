"""mode=redirect (Stripe Checkout), the server pass of Wix's page code, and intents that reached a
final state, in real headless Chromium with the Stripe.js stand-in and the ingest stand-in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Checkout

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def in_redirect_mode(checkout: Checkout) -> None:
    """payment-config.js as a site owner who chose mode 'redirect' would have it."""

    def config(route: Any) -> None:
        served = route.fetch().text()
        body = served.replace('"quantity": 1,', '"quantity": 1,\n  "mode": "redirect",')
        assert body != served
        route.fulfill(body=body, content_type="text/javascript")

    checkout.page.route("**/velo/payment-config.js", config)


def test_redirect_mode_sends_the_customer_to_the_sessions_url(checkout: Checkout) -> None:
    in_redirect_mode(checkout)
    checkout.open("?ref=summer")
    checkout.wait_state("details")
    checkout.page.get_by_label("First name").fill("Ada")
    with checkout.page.expect_navigation(url=re.compile(r"/c/pay/cs_test_1$")):
        checkout.page.get_by_role("button", name="Continue to secure checkout").click()

    [session] = checkout.ingest.sessions
    assert session.body == {
        "first_name": "Ada",
        "product": "tee",
        "quantity": 1,
        # Back to this very page (its own query kept), where the page code verifies.
        "return_url": f"{checkout.url}/?ref=summer",
    }
    assert session.origin == checkout.url
    assert session.idempotency_key and UUID.match(session.idempotency_key)
    assert checkout.ingest.intents == []  # no PaymentIntent of our own: Checkout makes it
    expect(checkout.page.locator("h1")).to_have_text("Checkout")


def test_back_from_checkout_the_page_verifies_the_session_and_shows_the_outcome(
    checkout: Checkout,
) -> None:
    checkout.ingest.verify_result = {
        "status": "succeeded",
        "paid_with": "google_pay",
        "amount": 3998,
        "currency": "usd",
    }
    try:
        checkout.open("?ref=summer&checkout_session_id=cs_test_a1")
        expect(checkout.page.locator("#paymentStatus")).to_have_text(
            "Thank you! We received $39.98 paid with Google Pay."
        )
    finally:
        checkout.ingest.verify_result["paid_with"] = "card"
        checkout.ingest.verify_result["amount"] = 1999
    assert checkout.ingest.verifies == [{"checkout_session_id": "cs_test_a1"}]
    expect(checkout.page.locator("stripe-payment-form")).to_be_hidden()
    assert checkout.ingest.intents == checkout.ingest.sessions == []
    assert checkout.page.url == f"{checkout.url}/?ref=summer", "a reload must not verify again"


def test_the_page_code_does_nothing_on_wixs_server_pass(checkout: Checkout) -> None:
    checkout.page.add_init_script("window.__veloRenderingEnv = 'backend';")
    checkout.open("?checkout_session_id=cs_test_a1")
    checkout.page.wait_for_function("window.__veloOnReadyDone === true")

    # No verify, no payment, no form started: the browser pass does all of it.
    assert checkout.ingest.verifies == []
    assert checkout.ingest.intents == checkout.ingest.sessions == []
    expect(checkout.page.locator("stripe-payment-form")).to_have_attribute("data-state", "idle")
    assert (
        checkout.page.evaluate("document.querySelector('stripe-payment-form').attributes.length")
        == 2
    )
    assert checkout.stripe_calls() == []


@pytest.mark.stripe(finishedSecrets=["pi_test1_secret_abc1"])
def test_an_intent_stripe_js_refuses_as_finished_is_never_mounted_again(checkout: Checkout) -> None:
    checkout.open()
    checkout.page.get_by_label("First name").fill("Ada")
    checkout.page.get_by_role("button", name="Continue to payment").click()
    checkout.wait_state("error")
    checkout.page.get_by_role("button", name="Try again").click()
    checkout.wait_state("ready")

    secrets = [c["options"]["clientSecret"] for c in checkout.stripe_calls("stripe.elements")]
    assert secrets == ["pi_test1_secret_abc1", "pi_test2_secret_abc2"]
    assert [i.body["first_name"] for i in checkout.ingest.intents] == ["Ada", "Ada"]
    [ready] = checkout.events("ready")
    assert ready["detail"]["payment_intent_id"] == "pi_test2"


@pytest.mark.stripe(
    confirmResults=[
        {
            "error": {
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": "We are unable to authenticate your payment method.",
                "payment_intent": {"id": "pi_test1", "status": "canceled"},
            }
        }
    ]
)
def test_an_intent_that_ended_during_confirm_is_dropped_for_a_new_one(checkout: Checkout) -> None:
    checkout.open()
    checkout.continue_as("Ada")
    checkout.page.get_by_role("button", name="Pay $19.99").click()
    checkout.wait_state("error")
    checkout.page.get_by_role("button", name="Try again").click()
    checkout.wait_state("ready")

    secrets = [c["options"]["clientSecret"] for c in checkout.stripe_calls("stripe.elements")]
    assert secrets == ["pi_test1_secret_abc1", "pi_test2_secret_abc2"]
    [failed] = checkout.events("failed")
    assert (
        failed["detail"]["message"]
        == "Something went wrong with your payment. You have not been charged; please try again."
    )
