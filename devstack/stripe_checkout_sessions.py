"""The Stripe stand-in's Checkout Sessions: create one as Stripe does, and pay it as a customer would.

`POST /v1/checkout/sessions` takes the documented form parameters ingest sends (mode,
customer_creation, line_items[n][price_data][currency|unit_amount|product_data][name],
line_items[n][quantity], metadata, payment_intent_data[metadata|description|receipt_email],
customer_email, success_url, cancel_url, client_reference_id, …) and answers the Session object
of API 2025-09-30.clover: `cs_test_…`, `url` on checkout.stripe.com while the session is open,
`payment_intent: null` (since API 2022-08-01 the PaymentIntent is created when the customer
confirms, not with the session), `customer: null` until the session completes, `ui_mode:
"hosted"` (renamed `hosted_page` only in 2026-03-25.dahlia).

Controls (not Stripe), under /_standin/:
- `checkout_sessions/{id}/pay` {outcome: succeeded | processing | failed, method?, customer_details?
  {name, email}, billing_name?}: what Checkout does when the customer pays: Customer (when
  `customer_creation=always`), PaymentIntent with `payment_intent_data[metadata]`, Charge, and the
  events in Stripe's order (customer.created, payment_intent.created, charge.*, payment_intent.*,
  checkout.session.completed). A declined card leaves the session open (the customer retries);
  `processing` (a bank debit) completes the session `unpaid`.
- `checkout_sessions/{id}/async_outcome` {status: succeeded | failed, at?}: the bank's answer days
  later: payment_intent.* and checkout.session.async_payment_succeeded / _failed.
- `payment_links/sessions` {amount?, currency?, customer_creation?}: an open session as a Payment
  Link made in the Dashboard starts it: no metadata, `payment_link: plink_…`.

Sources: https://docs.stripe.com/api/checkout/sessions/object,
https://docs.stripe.com/api/checkout/sessions/create,
https://docs.stripe.com/changelog/2022-08-01/deferred-paymentintent-checkout-session,
https://docs.stripe.com/checkout/fulfillment (checkout.session.* events, payment_status).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, jsonify, request

from devstack.stripe_fixtures import new_id
from devstack.stripe_standin import (
    StripeStandinError,
    _customer,
    _intent,
    _missing,
    _required_int,
    _settle,
    _State,
)

WRITE_PERMISSION = "rak_checkout_session_write"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/"
EXPIRES_AFTER = 24 * 3600  # Stripe's default: a session expires 24 hours after creation

_SESSION_PARAMS = {
    "mode",
    "customer",
    "customer_creation",
    "customer_email",
    "line_items",
    "metadata",
    "payment_intent_data",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "expires_at",
    "locale",
    "payment_method_types",
    "billing_address_collection",
    "submit_type",
    "ui_mode",
    "expand",
}
_LINE_ITEM_PARAMS = {
    "price",
    "price_data",
    "quantity",
    "adjustable_quantity",
    "tax_rates",
    "metadata",
}
_PRICE_DATA_PARAMS = {
    "currency",
    "product",
    "product_data",
    "recurring",
    "tax_behavior",
    "unit_amount",
    "unit_amount_decimal",
}
_PRODUCT_DATA_PARAMS = {"name", "description", "images", "metadata", "tax_code", "unit_label"}
_INTENT_DATA_PARAMS = {
    "capture_method",
    "description",
    "metadata",
    "receipt_email",
    "setup_future_usage",
    "statement_descriptor",
    "statement_descriptor_suffix",
}

Handle = Callable[[Callable[[str, dict[str, Any]], dict[str, Any]], set[str]], Response]


def register_checkout_sessions(
    app: Flask,
    state: _State,
    handle: Handle,
    require: Callable[..., None],
    now: Callable[[], int],
) -> None:
    # payment_intent_data is not part of the Session object: kept aside for the PaymentIntent.
    intent_data: dict[str, dict[str, Any]] = {}

    @app.post("/v1/checkout/sessions")
    def create_checkout_session() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, WRITE_PERMISSION)
            session, data = _new_session(p, now(), state)
            state.sessions[session["id"]] = session
            intent_data[session["id"]] = data
            return copy.deepcopy(session)

        return handle(run, _SESSION_PARAMS)

    @app.post("/_standin/checkout_sessions/<session_id>/pay")
    def pay(session_id: str) -> Response | tuple[Response, int]:
        spec = request.get_json(silent=True) or {}
        with state.lock:
            session = state.sessions.get(session_id)
            if session is None:
                return jsonify({"error": f"no checkout session {session_id}"}), 404
            if session["status"] != "open":
                return jsonify(
                    {"error": f"checkout session {session_id} is {session['status']}"}
                ), 409
            _pay(state, session, intent_data.get(session_id, {}), spec, now())
            return jsonify(copy.deepcopy(session))

    @app.post("/_standin/checkout_sessions/<session_id>/async_outcome")
    def async_outcome(session_id: str) -> Response | tuple[Response, int]:
        spec = request.get_json(silent=True) or {}
        with state.lock:
            session = state.sessions.get(session_id)
            intent = state.intents.get(str((session or {}).get("payment_intent")))
            if session is None or intent is None or intent["status"] != "processing":
                return jsonify({"error": f"checkout session {session_id} awaits no payment"}), 409
            status = spec.get("status", "succeeded")
            if status not in ("succeeded", "failed"):
                return jsonify({"error": "status is succeeded or failed"}), 400
            at = int(spec.get("at") or now())
            # The bank answers for the method the customer chose on Checkout.
            pending = state.charges.get(str(intent.get("latest_charge"))) or {}
            method = (pending.get("payment_method_details") or {}).get("type", "card")
            settle = {"method": method, **spec, "status": status, "billing_name": _name(session)}
            _settle(state, intent, settle, at)
            if status == "succeeded":
                session["payment_status"] = "paid"
                state.emit("checkout.session.async_payment_succeeded", session, at)
            else:
                state.emit("checkout.session.async_payment_failed", session, at)
            return jsonify(copy.deepcopy(session))

    @app.post("/_standin/payment_links/sessions")
    def payment_link_session() -> Response:
        spec = request.get_json(silent=True) or {}
        with state.lock:
            created = now()
            amount = int(spec.get("amount", 1999))
            session = _session_object(
                created,
                amount=amount,
                currency=str(spec.get("currency", "usd")),
                mode="payment",
                metadata={},
                customer_creation=str(spec.get("customer_creation", "if_required")),
                extra={"payment_link": new_id("plink")},
            )
            state.sessions[session["id"]] = session
            return jsonify(copy.deepcopy(session))


def _new_session(
    p: Mapping[str, Any], created: int, state: _State
) -> tuple[dict[str, Any], dict[str, Any]]:
    mode = p.get("mode")
    if not mode:
        raise _missing("mode")
    if mode not in ("payment", "setup", "subscription"):
        raise _invalid("Invalid mode: must be one of payment, setup, or subscription", "mode")
    if mode != "payment":
        raise _invalid("The stand-in creates Checkout Sessions in payment mode only.", "mode")
    customer = p.get("customer")
    creation = p.get("customer_creation")
    if customer is not None and creation is not None:
        raise _invalid(
            "You may only specify one of these parameters: customer, customer_creation.",
            "customer_creation",
        )
    if creation is not None and creation not in ("always", "if_required"):
        raise _invalid(
            "Invalid customer_creation: must be one of always or if_required", "customer_creation"
        )
    if customer is not None and customer not in state.customers:
        raise StripeStandinError(
            400,
            "invalid_request_error",
            f"No such customer: '{customer}'",
            code="resource_missing",
            param="customer",
        )
    items = p.get("line_items")
    if not items:
        raise _invalid(
            "You must specify either `line_items` or `price` in `payment` mode.", "line_items"
        )
    amount, currency = _line_items_total(items)
    metadata = _hash(p.get("metadata"), "metadata")
    intent_data = _hash(p.get("payment_intent_data"), "payment_intent_data")
    _known(intent_data, _INTENT_DATA_PARAMS, "payment_intent_data")
    _hash(intent_data.get("metadata"), "payment_intent_data[metadata]")
    ui_mode = p.get("ui_mode", "hosted")
    if ui_mode != "hosted":
        raise _invalid("The stand-in creates hosted Checkout Sessions only.", "ui_mode")
    session = _session_object(
        created,
        amount=amount,
        currency=currency,
        mode=mode,
        metadata=metadata,
        customer_creation=creation or "if_required",
        extra={
            "cancel_url": p.get("cancel_url"),
            "client_reference_id": p.get("client_reference_id"),
            "customer": customer,
            "customer_email": p.get("customer_email"),
            "locale": p.get("locale"),
            "success_url": p.get("success_url"),
        },
    )
    return session, intent_data


def _session_object(
    created: int,
    amount: int,
    currency: str,
    mode: str,
    metadata: dict[str, Any],
    customer_creation: str,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    session_id = f"cs_test_{secrets.token_hex(24)}"
    session: dict[str, Any] = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "cancel_url": None,
        "client_reference_id": None,
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_creation": customer_creation,
        "customer_details": None,
        "customer_email": None,
        "expires_at": created + EXPIRES_AFTER,
        "livemode": False,
        "locale": None,
        "metadata": metadata,
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_types": ["card", "link"],
        "payment_status": "unpaid",
        "status": "open",
        "success_url": None,
        "ui_mode": "hosted",
        "url": f"{CHECKOUT_URL}{session_id}",
    }
    session.update(extra)
    return session


def _pay(
    state: _State,
    session: dict[str, Any],
    intent_data: Mapping[str, Any],
    spec: Mapping[str, Any],
    at: int,
) -> None:
    outcome = spec.get("outcome", "succeeded")
    if outcome not in ("succeeded", "processing", "failed"):
        raise ValueError(f"unknown outcome {outcome!r}")
    given = spec.get("customer_details") or {}
    details = {
        "address": None,
        "email": given.get("email", session.get("customer_email") or "ada@example.com"),
        "name": given.get("name", "Ada Lovelace"),
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    customer_id = session.get("customer")
    if customer_id is None and session["customer_creation"] == "always":
        customer = _customer(at, email=details["email"], name=details["name"])
        state.customers[customer["id"]] = customer
        state.emit("customer.created", customer, at)
        customer_id = customer["id"]
    intent = state.intents.get(str(session.get("payment_intent")))
    if intent is None:
        intent = _intent(
            session["amount_total"],
            session["currency"],
            customer_id,
            dict(intent_data.get("metadata") or {}),
            intent_data.get("description"),
            True,
            at,
        )
        state.intents[intent["id"]] = intent
        state.emit("payment_intent.created", intent, at)
        session["payment_intent"] = intent["id"]
    # Checkout collects the cardholder's name with the card: the charge carries it.
    billing_name = spec["billing_name"] if "billing_name" in spec else details["name"]
    _settle(
        state,
        intent,
        {**spec, "status": outcome, "billing_name": billing_name},
        at,
    )
    if outcome == "failed":
        return  # a decline: the customer is still on the Checkout page, the session stays open
    session.update(
        customer=customer_id,
        customer_details=details,
        payment_status="paid" if outcome == "succeeded" else "unpaid",
        status="complete",
        url=None,  # only present while the session is open
    )
    state.emit("checkout.session.completed", session, at)


def _name(session: Mapping[str, Any]) -> str | None:
    details = session.get("customer_details") or {}
    name = details.get("name")
    return name if isinstance(name, str) else None


def _line_items_total(items: Any) -> tuple[int, str]:
    if not isinstance(items, list):
        raise _invalid("Invalid array", "line_items")
    total = 0
    currencies: set[str] = set()
    for index, raw_item in enumerate(items):
        where = f"line_items[{index}]"
        item = _hash(raw_item, where)
        _known(item, _LINE_ITEM_PARAMS, where)
        price_data = item.get("price_data")
        if item.get("price") is not None or price_data is None:
            raise _invalid(
                "The stand-in prices line items with price_data only.", f"{where}[price_data]"
            )
        price_data = _hash(price_data, f"{where}[price_data]")
        _known(price_data, _PRICE_DATA_PARAMS, f"{where}[price_data]")
        currency = price_data.get("currency")
        if not isinstance(currency, str) or len(currency) != 3:
            raise _missing(f"{where}[price_data][currency]")
        product_data = price_data.get("product_data")
        if price_data.get("product") is None:
            product_data = _hash(product_data, f"{where}[price_data][product_data]")
            _known(product_data, _PRODUCT_DATA_PARAMS, f"{where}[price_data][product_data]")
            if not product_data.get("name"):
                raise _missing(f"{where}[price_data][product_data][name]")
        # Errors name the full parameter, as Stripe's do (line_items[0][quantity]).
        unit_param, quantity_param = f"{where}[price_data][unit_amount]", f"{where}[quantity]"
        unit = _required_int({unit_param: price_data.get("unit_amount")}, unit_param)
        quantity = _required_int({quantity_param: item.get("quantity")}, quantity_param)
        if quantity < 1:
            raise _invalid("Quantity must be at least 1.", f"{where}[quantity]")
        total += unit * quantity
        currencies.add(currency.lower())
    if len(currencies) != 1:
        raise _invalid("All line items must use the same currency.", "line_items")
    return total, currencies.pop()


def _hash(raw: Any, param: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise _invalid("Invalid hash", param)
    return raw


def _known(given: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for name in given:
        if name not in allowed:
            raise StripeStandinError(
                400,
                "invalid_request_error",
                f"Received unknown parameter: {where}[{name}]",
                code="parameter_unknown",
                param=f"{where}[{name}]",
            )


def _invalid(message: str, param: str) -> StripeStandinError:
    return StripeStandinError(400, "invalid_request_error", message, param=param)
