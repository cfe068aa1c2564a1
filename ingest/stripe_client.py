"""`StripeApiGateway`: the StripeGateway port over stripe-python's `StripeClient`.

Pinned API version (objects and events keep the shape normalize.py reads, whatever the account's
default is), explicit connect/read timeouts, and the SDK's network retries (connection errors,
409, 5xx; POSTs carry an idempotency key, ours or the SDK's, so a retry never doubles a payment).
`api_base` points it at the local stand-in (STRIPE_API_BASE).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import stripe

from ingest.orders import Order
from ingest.ports import StripeFailure

# The version webhook endpoints are registered with, so that pushed and pulled objects agree.
STRIPE_API_VERSION = "2025-09-30.clover"
CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 20.0
MAX_NETWORK_RETRIES = 2
EVENTS_PAGE_SIZE = 100


class StripeApiGateway:
    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        max_network_retries: int = MAX_NETWORK_RETRIES,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base.rstrip("/")} if api_base else {},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    # The SDK's TypedDict params are spelled as plain dicts (Any): they are Stripe's wire names.
    def create_customer(self, name: str, email: str | None, idempotency_key: str | None) -> str:
        params: Any = {"name": name}
        if email:
            params["email"] = email
        customer = self._call(
            lambda: self._client.v1.customers.create(
                params=params, options=_options(idempotency_key)
            )
        )
        return str(customer["id"])

    def create_payment_intent(
        self,
        amount: int,
        currency: str,
        customer_id: str,
        metadata: Mapping[str, str],
        description: str,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        params: Any = {
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "automatic_payment_methods": {"enabled": True},
            "metadata": dict(metadata),
            "description": description,
        }
        return self._call(
            lambda: self._client.v1.payment_intents.create(
                params=params,
                options=_options(idempotency_key),
            )
        )

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        return self._call(
            lambda: self._client.v1.payment_intents.retrieve(
                payment_intent_id, params={"expand": ["latest_charge", "customer"]}
            )
        )

    def create_checkout_session(
        self,
        order: Order,
        success_url: str,
        cancel_url: str,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        # https://docs.stripe.com/api/checkout/sessions/create: price_data instead of a Price
        # object, so that the catalog stays the one source of amounts.
        params: Any = {
            "mode": "payment",
            "customer_creation": "always",
            "line_items": [
                {
                    "price_data": {
                        "currency": order.currency,
                        "unit_amount": order.product.amount,
                        "product_data": {"name": order.product.name},
                    },
                    "quantity": order.quantity,
                }
            ],
            "metadata": order.metadata(),
            "payment_intent_data": {
                "metadata": order.metadata(),
                "description": order.description,
            },
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if order.email:
            params["customer_email"] = order.email
        return self._call(
            lambda: self._client.v1.checkout.sessions.create(
                params=params, options=_options(idempotency_key)
            )
        )

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        return self._call(
            lambda: self._client.v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["payment_intent.latest_charge"]}
            )
        )

    def list_events(self, types: Sequence[str], created_gte: int) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "types": list(types),
            "created": {"gte": created_gte},
            "limit": EVENTS_PAGE_SIZE,
        }
        while True:
            page = self._call(lambda query=params: self._client.v1.events.list(params=query))
            data = page.get("data") or []
            yield from data
            if not page.get("has_more") or not data:
                return
            params = {**params, "starting_after": data[-1]["id"]}

    def list_payment_intents(
        self, created_gte: int, created_lt: int, starting_after: str | None, limit: int
    ) -> dict[str, Any]:
        """One page, newest first, with each intent's latest charge expanded (a list's
        expansions start with `data.`): what the verify snapshot reads, in one call per page."""
        params: Any = {
            "created": {"gte": created_gte, "lt": created_lt},
            "limit": limit,
            "expand": ["data.latest_charge"],
        }
        if starting_after:
            params["starting_after"] = starting_after
        return self._call(lambda: self._client.v1.payment_intents.list(params=params))

    def create_webhook_endpoint(
        self, url: str, enabled_events: Sequence[str], description: str
    ) -> dict[str, Any]:
        params: Any = {
            "url": url,
            "enabled_events": list(enabled_events),
            "api_version": STRIPE_API_VERSION,
            "description": description,
        }
        return self._call(lambda: self._client.v1.webhook_endpoints.create(params=params))

    @staticmethod
    def _call(request: Any) -> dict[str, Any]:
        try:
            result = request()
        except stripe.StripeError as exc:
            raise _failure(exc) from exc
        as_dict: dict[str, Any] = result.to_dict()
        return as_dict


def _options(idempotency_key: str | None) -> Any:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def _failure(exc: stripe.StripeError) -> StripeFailure:
    status = exc.http_status
    error = exc.error
    code = getattr(error, "code", None) if error is not None else exc.code
    message = exc.user_message or str(exc) or type(exc).__name__
    kind: str
    if isinstance(exc, stripe.CardError):
        kind = "card"
    elif isinstance(exc, stripe.IdempotencyError):
        kind = "idempotency"
    elif isinstance(exc, stripe.AuthenticationError):
        kind = "authentication"
    elif isinstance(exc, stripe.PermissionError):
        kind = "permission"
    elif isinstance(exc, stripe.RateLimitError):
        kind = "rate_limit"
    elif isinstance(exc, stripe.InvalidRequestError):
        kind = "not_found" if status == 404 or code == "resource_missing" else "invalid_request"
    else:  # APIConnectionError (timeouts, refused), APIError (5xx), anything unforeseen
        kind = "unavailable"
    return StripeFailure(
        kind,
        message,
        http_status=status,
        code=code if isinstance(code, str) else None,
        request_id=exc.request_id if isinstance(exc.request_id, str) else None,
    )
