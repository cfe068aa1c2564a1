"""What ingest needs from the outside world, as Protocols; adapters live beside them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from ingest.orders import Order
from payments.message import PaymentUpdate
from servicekit.publishing import Publisher


def publish_update(publisher: Publisher, update: PaymentUpdate) -> str:
    """Publish one PaymentUpdate, keyed by its payment intent (design.md: one payment's messages
    are delivered in order). Raises PublishError as the publisher does."""
    return publisher.publish(update.to_json(), update.payment_intent_id, update.attributes())


class StripeGateway(Protocol):
    """The Stripe calls ingest makes; objects come back as plain JSON dicts (Stripe's wire shape).

    Every failure is raised as `StripeFailure`, so callers never see the SDK's exceptions.
    """

    def create_customer(self, name: str, email: str | None, idempotency_key: str | None) -> str:
        """Create a Customer; return its id (`cus_…`)."""
        ...

    def create_payment_intent(
        self,
        amount: int,
        currency: str,
        customer_id: str,
        metadata: Mapping[str, str],
        description: str,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        """Create a PaymentIntent with automatic payment methods; return it."""
        ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent with `latest_charge` and `customer` expanded."""
        ...

    def create_checkout_session(
        self,
        order: Order,
        success_url: str,
        cancel_url: str,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        """Create a hosted Checkout Session in payment mode that always creates a Customer and
        carries `order.metadata` on the session and on its PaymentIntent; return it."""
        ...

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        """The Checkout Session with `payment_intent.latest_charge` expanded."""
        ...

    def list_events(self, types: Sequence[str], created_gte: int) -> Iterator[dict[str, Any]]:
        """Every event of `types` created at or after `created_gte`, all pages, newest first."""
        ...

    def create_webhook_endpoint(
        self, url: str, enabled_events: Sequence[str], description: str
    ) -> dict[str, Any]:
        """Create a webhook endpoint; the result carries `id` and, only now, `secret`."""
        ...


class StripeFailure(Exception):
    """A Stripe call that did not succeed, classified for what the caller should answer.

    kind: card (declined: show the message), invalid_request (our request was wrong),
    idempotency (a key reused with other parameters), not_found, authentication / permission
    (the key is wrong or lacks a permission: configuration), rate_limit, unavailable (Stripe
    5xx, timeout or connection error, after the client's own retries).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        http_status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.http_status = http_status
        self.code = code
        self.request_id = request_id

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate_limit", "unavailable")


class SecretStore(Protocol):
    def add_version(self, secret_id: str, payload: bytes) -> str:
        """Store `payload` as a new version of the secret; return the version's name."""
        ...
