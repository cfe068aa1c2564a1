"""The Wix payment form (wix/custom-elements + wix/page-code.js) in real headless Chromium.

Stripe.js is a stand-in (the real one cannot load offline) and so is ingest's /v1/* (a test-only
HTTP server, see conftest.py); the checkout page server, the element and the page code are real.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DECLINED, PUBLISHABLE_KEY, Checkout

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_the_form_asks_ingest_for_an_intent_and_mounts_the_payment_element(
    checkout: Checkout,
) -> None:
    checkout.open()
    checkout.continue_as("Ada")

    [intent] = checkout.ingest.intents
    assert intent.body == {"first_name": "Ada", "product": "tee", "quantity": 1}
    assert intent.origin == checkout.url
    assert intent.content_type == "application/json"
    assert intent.idempotency_key and UUID.match(intent.idempotency_key)

    [stripe] = checkout.stripe_calls("Stripe")
    assert stripe["key"] == PUBLISHABLE_KEY
    [elements] = checkout.stripe_calls("stripe.elements")
    assert elements["options"]["clientSecret"] == "pi_test1_secret_abc1"
    assert elements["options"]["appearance"]["theme"] == "stripe"
    [create] = checkout.stripe_calls("elements.create")
    assert create["type"] == "payment"
    assert create["options"]["layout"] == {"type": "accordion", "defaultCollapsed": False}
    assert create["options"]["wallets"] == {"applePay": "auto", "googlePay": "auto"}
    [mount] = checkout.stripe_calls("element.mount")
    assert mount["insideForm"] is True

    [ready] = checkout.events("ready")
    assert ready["detail"] == {"payment_intent_id": "pi_test1", "amount": 1999, "currency": "usd"}
    expect(checkout.page.get_by_role("button", name="Pay $19.99")).to_be_enabled()


@pytest.mark.stripe(confirmResults=[DECLINED])
def test_a_declined_card_shows_stripes_message_and_the_customer_can_retry(
    checkout: Checkout,
) -> None:
    checkout.open()
    checkout.continue_as("Ada")
    pay = checkout.page.get_by_role("button", name="Pay $19.99")

    pay.click()
    alert = checkout.page.get_by_role("alert")
    expect(alert).to_have_text("Your card was declined.")
    expect(checkout.page.locator("#paymentStatus")).to_be_hidden()  # no echo of the alert
    [failed] = checkout.events("failed")
    assert failed["detail"] == {
        "message": "Your card was declined.",
        "code": "generic_decline",
        "retryable": True,
        "payment_intent_id": "pi_test1",
    }
    expect(pay).to_be_enabled()

    pay.click()
    checkout.wait_state("succeeded")
    assert len(checkout.ingest.intents) == 1, "a retry confirms the same PaymentIntent"
    assert len(checkout.stripe_calls("stripe.confirmPayment")) == 2
    expect(alert).to_have_count(0)


def test_success_emits_succeeded_and_the_page_shows_the_verified_outcome(
    checkout: Checkout,
) -> None:
    checkout.open()
    checkout.continue_as("Ada")
    checkout.page.get_by_role("button", name="Pay $19.99").click()
    checkout.wait_state("succeeded")

    [succeeded] = checkout.events("succeeded")
    assert succeeded["detail"] == {
        "payment_intent_id": "pi_test1",
        "client_secret": "pi_test1_secret_abc1",
        "amount": 1999,
        "currency": "usd",
    }
    [confirm] = checkout.stripe_calls("stripe.confirmPayment")
    assert confirm["hasElements"] is True
    assert confirm["redirect"] == "if_required"
    assert confirm["return_url"] == checkout.url + "/"
    [processing] = checkout.events("processing")
    assert processing["detail"]["payment_intent_id"] == "pi_test1"
    assert processing["detail"]["stage"] == "confirming"
    expect(checkout.page.locator("#paymentStatus")).to_have_text(
        "Thank you! We received $19.99 paid with card."
    )
    assert checkout.ingest.verifies == [
        {"payment_intent_id": "pi_test1", "client_secret": "pi_test1_secret_abc1"}
    ]
    expect(checkout.page.get_by_role("button", name="Paid ✓")).to_be_disabled()


@pytest.mark.stripe(confirmResults=[{"error": {"type": "api_error", "message": "Internal: x"}}])
def test_an_error_that_is_not_the_customers_shows_a_plain_message(checkout: Checkout) -> None:
    checkout.open()
    checkout.continue_as("Ada")
    checkout.page.get_by_role("button", name="Pay $19.99").click()
    expect(checkout.page.get_by_role("alert")).to_have_text(
        "Something went wrong with your payment. You have not been charged; please try again."
    )


@pytest.mark.stripe(confirmDelayMs=600)
def test_a_double_click_creates_one_intent_and_confirms_once(checkout: Checkout) -> None:
    checkout.ingest.delay_seconds = 0.6
    checkout.open()
    checkout.page.get_by_label("First name").fill("Ada")
    checkout.page.get_by_role("button", name="Continue to payment").dblclick()
    checkout.wait_state("ready")
    assert len(checkout.ingest.intents) == 1

    checkout.page.get_by_role("button", name="Pay $19.99").dblclick()
    checkout.wait_state("succeeded")
    assert len(checkout.stripe_calls("stripe.confirmPayment")) == 1
    assert len(checkout.events("succeeded")) == 1
    assert len(checkout.ingest.intents) == 1


def test_a_failed_intent_request_says_so_and_a_retry_uses_a_fresh_idempotency_key(
    checkout: Checkout,
) -> None:
    checkout.ingest.fail_with = [503]
    checkout.open()
    checkout.page.get_by_label("First name").fill("Ada")
    checkout.page.get_by_role("button", name="Continue to payment").click()
    expect(checkout.page.get_by_role("alert")).to_have_text(
        "Payments are unavailable right now. Please try again in a minute."
    )
    [failed] = checkout.events("failed")
    assert failed["detail"]["code"] == "ingest_503"
    assert failed["detail"]["retryable"] is True

    checkout.page.get_by_role("button", name="Try again").click()
    checkout.wait_state("ready")
    keys = checkout.ingest.idempotency_keys
    assert len(keys) == 2
    assert len(set(keys)) == 2, "each attempt carries its own Idempotency-Key"


def test_a_first_name_ingest_refuses_is_asked_for_again_in_a_customers_words(
    checkout: Checkout,
) -> None:
    # ingest's own 400 (ingest/api.py): {"error": <for developers>, "field": "first_name"}
    refusal = {
        "error": "first_name may contain letters, spaces, apostrophes, hyphens and periods only",
        "field": "first_name",
    }
    checkout.ingest.fail_with = [(400, refusal)]
    checkout.open()
    checkout.page.get_by_label("First name").fill("R2D2")
    checkout.page.get_by_role("button", name="Continue to payment").click()
    expect(checkout.page.get_by_role("alert")).to_have_text(
        "Please enter your first name using letters only "
        "(spaces, hyphens and apostrophes are fine)."
    )
    checkout.continue_as("Artoo")
    assert [i.body["first_name"] for i in checkout.ingest.intents] == ["R2D2", "Artoo"]


def test_a_missing_first_name_is_asked_for_before_any_intent(checkout: Checkout) -> None:
    checkout.open()
    checkout.page.get_by_role("button", name="Continue to payment").click()
    expect(checkout.page.get_by_role("alert")).to_have_text("Please enter your first name.")
    expect(checkout.page.get_by_label("First name")).to_be_focused()
    assert checkout.ingest.intents == []


def test_coming_back_from_a_redirect_shows_the_verified_outcome_and_charges_nothing_new(
    checkout: Checkout,
) -> None:
    checkout.ingest.verify_result = {
        "status": "succeeded",
        "paid_with": "apple_pay",
        "amount": 1999,
        "currency": "usd",
    }
    try:
        checkout.open(
            "?payment_intent=pi_back&payment_intent_client_secret=pi_back_secret_x"
            "&redirect_status=succeeded"
        )
        expect(checkout.page.locator("#paymentStatus")).to_have_text(
            "Thank you! We received $19.99 paid with Apple Pay."
        )
    finally:
        checkout.ingest.verify_result["paid_with"] = "card"
    assert checkout.ingest.verifies == [
        {"payment_intent_id": "pi_back", "client_secret": "pi_back_secret_x"}
    ]
    expect(checkout.page.locator("stripe-payment-form")).to_be_hidden()
    assert checkout.ingest.intents == []
    assert "payment_intent" not in checkout.page.url, "a reload must not verify again"


def test_a_site_origin_ingest_does_not_allow_is_refused_by_the_browser(checkout: Checkout) -> None:
    # What the site owner sees when ALLOWED_ORIGINS lacks the site's origin. (Playwright answers
    # CORS preflights itself while it intercepts requests, but the POST's own response must
    # still carry Access-Control-Allow-Origin, and here it does not.)
    allowed = checkout.ingest.allowed_origin
    checkout.ingest.allowed_origin = "https://www.example.com"
    try:
        checkout.open()
        checkout.page.get_by_label("First name").fill("Ada")
        checkout.page.get_by_role("button", name="Continue to payment").click()
        expect(checkout.page.get_by_role("alert")).to_have_text(
            "We could not reach the payment service. Check your connection and try again."
        )
    finally:
        checkout.ingest.allowed_origin = allowed
    assert checkout.stripe_calls("elements.create") == []


@pytest.mark.stripe(confirmResults=[{"paymentIntent": {"status": "processing"}}])
def test_a_pending_bank_payment_is_called_processing_not_paid(checkout: Checkout) -> None:
    checkout.ingest.verify_result = {"status": "processing", "paid_with": "us_bank_account"}
    checkout.ingest.verify_result.update(amount=1999, currency="usd")
    try:
        checkout.open()
        checkout.continue_as("Ada")
        checkout.page.get_by_role("button", name="Pay $19.99").click()
        expect(checkout.page.locator("#paymentStatus")).to_have_text(
            "Your payment is processing. We will confirm it as soon as your bank does."
        )
    finally:
        checkout.ingest.verify_result = {
            "status": "succeeded",
            "paid_with": "card",
            "amount": 1999,
            "currency": "usd",
        }
    assert checkout.events("succeeded") == []
    assert [e["detail"]["stage"] for e in checkout.events("processing")] == [
        "confirming",
        "pending",
    ]


@pytest.mark.stripe(loads=False)
def test_when_stripe_js_cannot_load_the_customer_is_told_what_to_do(checkout: Checkout) -> None:
    checkout.open()
    checkout.page.get_by_label("First name").fill("Ada")
    checkout.page.get_by_role("button", name="Continue to payment").click()
    expect(checkout.page.get_by_role("alert")).to_contain_text("The payment form could not load.")
    [failed] = checkout.events("failed")
    assert failed["detail"]["code"] == "stripe_js_unavailable"
    expect(checkout.page.get_by_role("button", name="Try again")).to_be_enabled()
