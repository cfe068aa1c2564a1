"""The Stripe stand-in's `POST /v1/payment_intents/{id}/confirm` as Stripe.js calls it from the
browser (the local Stripe.js stand-in does): the publishable key (`key`, or a Bearer header) and
the intent's `client_secret`, the card in `payment_method_data[card][…]`, form-encoded,
answered with CORS like api.stripe.com. The server-side confirm (secret key, test
PaymentMethods) is devstack/stripe_payment_intent_confirm.py, which hands browser requests here.

Stripe's test cards decide the outcome (https://docs.stripe.com/testing): 4242 4242 4242 4242
and the other success cards pay; 4000 0000 0000 0002 is declined (generic_decline), 4000 0000
0000 9995 for insufficient funds; any other valid number is declined as a non-test card, as
test mode does. Paying or declining records the events Stripe would send (charge.*,
payment_intent.*), which the stand-in delivers to its webhook endpoints.

Not Stripe: no 3-D Secure, no saved payment methods, no idempotency on this path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Response, jsonify, request

from devstack.stripe_standin import StandinApi, _settle, decode_form

_PUBLISHABLE = re.compile(r"pk_(test|live)_[A-Za-z0-9_]+")
# number -> (brand, outcome, decline_code); from Stripe's testing page.
TEST_CARDS: dict[str, tuple[str, str, str | None]] = {
    "4242424242424242": ("visa", "succeeded", None),
    "4000056655665556": ("visa", "succeeded", None),
    "5555555555554444": ("mastercard", "succeeded", None),
    "2223003122003222": ("mastercard", "succeeded", None),
    "378282246310005": ("amex", "succeeded", None),
    "6011111111111117": ("discover", "succeeded", None),
    "4000000000000002": ("visa", "failed", "generic_decline"),
    "4000000000009995": ("visa", "failed", "insufficient_funds"),
}
_DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "test_mode_live_card": "Your card was declined. Your request was in test mode, but used a "
    "non test card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
}


class CardError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def _form() -> dict[str, Any]:
    return decode_form(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))


def is_browser_confirm() -> bool:
    """A publishable key, as Stripe.js sends it: in the form's `key` or a Bearer header."""
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip() if header else str(_form().get("key", ""))
    return bool(_PUBLISHABLE.fullmatch(key))


def _cors(response: Response) -> Response:
    # api.stripe.com answers browsers from any origin: the publishable key is public.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, kind: str, message: str, **fields: Any) -> Response:
    response = jsonify({"error": {"type": kind, "message": message, **fields}})
    response.status_code = status
    return _cors(response)


def confirm_from_browser(api: StandinApi, intent_id: str) -> Response:
    form = _form()
    state = api.state
    with state.lock:
        intent = state.intents.get(intent_id)
        if intent is None or form.get("client_secret") != intent.get("client_secret"):
            return _error(
                404,
                "invalid_request_error",
                f"No such payment_intent: '{intent_id}'",
                code="resource_missing",
                param="intent",
            )
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            return _error(
                400,
                "invalid_request_error",
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(intent),
            )
        try:
            brand, last4, outcome, decline = _card(form)
        except CardError as exc:
            return _error(exc.status, **exc.error)
        spec = {"method": "card", "brand": brand, "last4": last4}
        if outcome == "succeeded":
            _settle(state, intent, {**spec, "status": "succeeded"}, api.now())
            return _cors(jsonify(copy.deepcopy(intent)))
        message = _DECLINE_MESSAGES[decline]
        _settle(
            state,
            intent,
            {**spec, "status": "failed", "decline_code": decline, "failure_message": message},
            api.now(),
        )
        return _error(
            402,
            "card_error",
            message,
            code="card_declined",
            decline_code=decline,
            charge=intent["last_payment_error"]["charge"],
            payment_intent=copy.deepcopy(intent),
        )


def _card(form: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(brand, last4, outcome, decline_code) of the card in the form, or CardError as Stripe
    answers an invalid one."""
    data = form.get("payment_method_data") or {}
    card = data.get("card") if isinstance(data, dict) else None
    if not isinstance(card, dict) or data.get("type") != "card":
        raise CardError(
            400,
            {
                "kind": "invalid_request_error",
                "message": "Missing required param: payment_method_data[card].",
                "code": "parameter_missing",
                "param": "payment_method_data[card]",
            },
        )
    number = re.sub(r"\D", "", str(card.get("number", "")))
    if not _luhn(number):
        raise _invalid("incorrect_number", "Your card number is incorrect.", "number")
    try:
        month, year = int(card.get("exp_month", 0)), int(card.get("exp_year", 0))
    except ValueError:
        month = year = 0
    if not 1 <= month <= 12:
        raise _invalid(
            "invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month"
        )
    today = datetime.now(UTC)
    year = year + 2000 if year < 100 else year
    if (year, month) < (today.year, today.month):
        raise _invalid("invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year")
    if not re.fullmatch(r"\d{3,4}", str(card.get("cvc", ""))):
        raise _invalid("invalid_cvc", "Your card's security code is invalid.", "cvc")
    brand, outcome, decline = TEST_CARDS.get(number, ("visa", "failed", "test_mode_live_card"))
    return brand, number[-4:], outcome, decline or ""


def _invalid(code: str, message: str, param: str) -> CardError:
    return CardError(
        402,
        {"kind": "card_error", "message": message, "code": code, "param": param},
    )


def _luhn(number: str) -> bool:
    if not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(number)):
        n = int(digit) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0
