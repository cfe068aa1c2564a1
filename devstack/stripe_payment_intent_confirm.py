"""The Stripe stand-in's `POST /v1/payment_intents/{id}/confirm`, with Stripe's test payment methods.

As Stripe's API reference has it (https://docs.stripe.com/api/payment_intents/confirm): the
intent must await a payment method or confirmation; `payment_method` takes a test PaymentMethod
(`pm_card_visa`, `pm_card_mastercard`, `pm_card_amex`, `pm_card_chargeDeclined`,
`pm_card_chargeDeclinedInsufficientFunds`: https://docs.stripe.com/testing); an intent with
automatic payment methods that may redirect needs a `return_url`. A success or a decline emits
the events Stripe sends for it; a decline answers 402 `card_declined`, as Stripe does.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask, Response

from devstack.stripe_browser_confirm import confirm_from_browser, is_browser_confirm
from devstack.stripe_standin import (
    PERMISSIONS,
    StandinApi,
    StripeStandinError,
    _settle,
)

_CONFIRM_PARAMS = {
    "payment_method",
    "return_url",
    "receipt_email",
    "off_session",
    "error_on_requires_action",
    "use_stripe_sdk",
    "expand",
}
# Test PaymentMethod -> how the charge goes (brand, last4; a decline code when it fails).
TEST_METHODS: dict[str, dict[str, str]] = {
    "pm_card_visa": {"brand": "visa", "last4": "4242"},
    "pm_card_mastercard": {"brand": "mastercard", "last4": "4444"},
    "pm_card_amex": {"brand": "amex", "last4": "8431"},
    "pm_card_chargeDeclined": {
        "brand": "visa",
        "last4": "0002",
        "decline_code": "generic_decline",
    },
    "pm_card_chargeDeclinedInsufficientFunds": {
        "brand": "visa",
        "last4": "9995",
        "decline_code": "insufficient_funds",
    },
}
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def register(app: Flask, api: StandinApi) -> None:
    state = api.state

    @app.post("/v1/payment_intents/<intent_id>/confirm")
    def confirm_payment_intent(intent_id: str) -> Response:
        if is_browser_confirm():  # Stripe.js: publishable key, client secret, the card typed
            return confirm_from_browser(api, intent_id)

        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, PERMISSIONS["payment_intents_write"])
            intent = state.intents.get(intent_id)
            if intent is None:
                raise api.not_found("payment_intent", intent_id, "intent")
            if intent["status"] not in CONFIRMABLE:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    f"You cannot confirm this PaymentIntent because it has a status of "
                    f"{intent['status']}.",
                    code="payment_intent_unexpected_state",
                    extra={"payment_intent": copy.deepcopy(intent)},
                )
            method = p.get("payment_method")
            if not method:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    "You cannot confirm this PaymentIntent because it's missing a payment "
                    "method. You can either update the PaymentIntent with a payment method and "
                    "then confirm it again, or confirm it again directly with a payment method.",
                    code="payment_intent_unexpected_state",
                )
            test = TEST_METHODS.get(str(method))
            if test is None:
                raise api.not_found("PaymentMethod", str(method), "payment_method")
            automatic = intent.get("automatic_payment_methods") or {}
            if automatic.get("allow_redirects") == "always" and not p.get("return_url"):
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    "This PaymentIntent is configured to accept payment methods enabled in "
                    "your Dashboard. Because some of these payment methods might redirect your "
                    "customer off of your page, you must provide a `return_url`. If you don't "
                    "want to accept redirect-based payment methods, set "
                    "`automatic_payment_methods[enabled]` to `true` and "
                    "`automatic_payment_methods[allow_redirects]` to `never` when creating "
                    "Setup Intents and Payment Intents.",
                )
            decline = test.get("decline_code")
            spec = {"method": "card", "brand": test["brand"], "last4": test["last4"]}
            if decline:
                _settle(
                    state, intent, {**spec, "status": "failed", "decline_code": decline}, api.now()
                )
                raise StripeStandinError(
                    402,
                    "card_error",
                    "Your card was declined."
                    if decline == "generic_decline"
                    else "Your card has insufficient funds.",
                    code="card_declined",
                    extra={"decline_code": decline, "payment_intent": copy.deepcopy(intent)},
                    saved=True,
                )
            _settle(state, intent, {**spec, "status": "succeeded"}, api.now())
            return copy.deepcopy(intent)

        return api.handle(run, _CONFIRM_PARAMS)
