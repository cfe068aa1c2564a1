"""Hand-written fakes of the ports, for app factories (no patching)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devstack.stripe_fixtures import Payment
from servicekit.oidc import OidcAuthError
from servicekit.publishing import PublishError
from writer.wix import BulkResult, WixError


@dataclass
class Published:
    data: bytes
    ordering_key: str
    attributes: dict[str, str]


@dataclass
class FakePublisher:
    fail_with: Exception | None = None
    published: list[Published] = field(default_factory=list)

    def publish(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(Published(data, ordering_key, dict(attributes)))
        return str(len(self.published))


def failing_publisher() -> FakePublisher:
    return FakePublisher(fail_with=PublishError("publish to topic failed: DeadlineExceeded"))


@dataclass
class FakeCollection:
    """Wix's replace-on-save semantics, in memory; optional scripted failures."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_get: list[WixError] = field(default_factory=list)
    fail_save: list[WixError] = field(default_factory=list)
    reads: int = 0
    writes: int = 0
    item_errors: dict[str, str] = field(default_factory=dict)
    item_errors_once: bool = False
    queries: list[list[str]] = field(default_factory=list)
    bulks: list[list[str]] = field(default_factory=list)

    def get(self, item_id: str) -> dict[str, Any] | None:
        self.reads += 1
        if self.fail_get:
            raise self.fail_get.pop(0)
        item = self.items.get(item_id)
        return copy.deepcopy(item) if item is not None else None

    def save(self, item_id: str, data: dict[str, Any]) -> str:
        if self.fail_save:
            raise self.fail_save.pop(0)
        self.writes += 1
        action = "UPDATED" if item_id in self.items else "INSERTED"
        self.items[item_id] = copy.deepcopy({**data, "_id": item_id})
        return action

    # many items a request (group commit) ---------------------------------------------------
    def get_many(self, item_ids: list[str]) -> dict[str, dict[str, Any]]:
        self.reads += 1
        self.queries.append(list(item_ids))
        if self.fail_get:
            raise self.fail_get.pop(0)
        return {i: copy.deepcopy(self.items[i]) for i in item_ids if i in self.items}

    def bulk_save(self, items: list[tuple[str, dict[str, Any]]]) -> list[BulkResult]:
        """As Wix: 200 with one result per item; `item_errors` fail single items (their code)."""
        if self.fail_save:
            raise self.fail_save.pop(0)
        self.writes += 1
        self.bulks.append([item_id for item_id, _ in items])
        results = []
        for index, (item_id, data) in enumerate(items):
            code = self.item_errors.get(item_id)
            if code:
                if self.item_errors_once:
                    del self.item_errors[item_id]
                results.append(BulkResult(item_id, None, False, code, "refused", index))
                continue
            action = "UPDATE" if item_id in self.items else "INSERT"
            self.items[item_id] = copy.deepcopy({**data, "_id": item_id})
            results.append(BulkResult(item_id, action, True, original_index=index))
        # Wix's order is not promised: answer in reverse, originalIndex says which is which.
        return results[::-1]


@dataclass
class FakeAuthenticator:
    refuse: OidcAuthError | None = None

    def verify(self, authorization: str | None) -> None:
        if self.refuse:
            raise self.refuse


@dataclass
class FakeStripe:
    """The StripeGateway port in memory: idempotency keys replay, scripted StripeFailures."""

    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: list[Exception] = field(default_factory=list)
    replies: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def _maybe_fail(self, call: str) -> None:
        self.calls.append(call)
        if self.fail_next:
            raise self.fail_next.pop(0)

    def create_customer(self, name: str, email: str | None, idempotency_key: str | None) -> str:
        self._maybe_fail("create_customer")
        if idempotency_key and idempotency_key in self.replies:
            return str(self.replies[idempotency_key])
        customer_id = f"cus_{len(self.customers) + 1}"
        self.customers[customer_id] = {"id": customer_id, "name": name, "email": email}
        if idempotency_key:
            self.replies[idempotency_key] = customer_id
        return customer_id

    def create_payment_intent(
        self,
        amount: int,
        currency: str,
        customer_id: str,
        metadata: Mapping[str, str],
        description: str,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        self._maybe_fail("create_payment_intent")
        if idempotency_key and idempotency_key in self.replies:
            return copy.deepcopy(self.replies[idempotency_key])
        intent_id = f"pi_{len(self.intents) + 1}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "metadata": dict(metadata),
            "description": description,
            "automatic_payment_methods": {"enabled": True},
            "client_secret": f"{intent_id}_secret_x",
            "status": "requires_payment_method",
            "latest_charge": None,
        }
        self.intents[intent_id] = intent
        if idempotency_key:
            self.replies[idempotency_key] = copy.deepcopy(intent)
        return copy.deepcopy(intent)

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        from ingest.ports import StripeFailure

        self._maybe_fail("retrieve_payment_intent")
        if payment_intent_id not in self.intents:
            raise StripeFailure("not_found", f"No such payment_intent: '{payment_intent_id}'", 404)
        return copy.deepcopy(self.intents[payment_intent_id])

    def create_checkout_session(
        self, order: Any, success_url: str, cancel_url: str, idempotency_key: str | None
    ) -> dict[str, Any]:
        self._maybe_fail("create_checkout_session")
        if idempotency_key and idempotency_key in self.replies:
            return copy.deepcopy(self.replies[idempotency_key])
        session_id = f"cs_test_{len(self.sessions) + 1}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": order.amount,
            "currency": order.currency,
            "customer_creation": "always",
            "customer_email": order.email,
            "metadata": order.metadata(),
            "payment_intent_data": {"metadata": order.metadata()},
            "mode": "payment",
            "payment_intent": None,
            "status": "open",
            "success_url": success_url,
            "cancel_url": cancel_url,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        if idempotency_key:
            self.replies[idempotency_key] = copy.deepcopy(session)
        return copy.deepcopy(session)

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        from ingest.ports import StripeFailure

        self._maybe_fail("retrieve_checkout_session")
        if session_id not in self.sessions:
            raise StripeFailure("not_found", f"No such checkout.session: '{session_id}'", 404)
        return copy.deepcopy(self.sessions[session_id])

    def list_events(self, types: Any, created_gte: int) -> Any:
        self._maybe_fail("list_events")
        for event in sorted(self.events, key=lambda e: -int(e["created"])):
            if event["type"] in types and event["created"] >= created_gte:
                yield copy.deepcopy(event)

    def create_webhook_endpoint(self, url: str, enabled_events: Any, description: str) -> Any:
        self._maybe_fail("create_webhook_endpoint")
        return {
            "id": "we_1",
            "url": url,
            "enabled_events": list(enabled_events),
            "secret": "whsec_new",
        }


@dataclass
class FakeSecretStore:
    fail_with: Exception | None = None
    versions: dict[str, list[bytes]] = field(default_factory=dict)

    def add_version(self, secret_id: str, payload: bytes) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.versions.setdefault(secret_id, []).append(payload)
        return f"projects/p/secrets/{secret_id}/versions/{len(self.versions[secret_id])}"


@dataclass
class FakeVersions:
    """Secret Manager's enabled versions of stripe-webhook-secret; `fail` makes it unreachable."""

    values: list[str] = field(default_factory=list)
    fail: bool = False
    calls: int = 0

    def enabled_values(self, secret_id: str) -> list[str]:
        self.calls += 1
        assert secret_id == "stripe-webhook-secret"
        if self.fail:
            raise ConnectionError("secret manager unreachable")
        return list(self.values)


class FakeClock:
    """A clock tests move by hand; `sleep` advances it and records the pause."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


DECLINE = {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}


def expanded_intent(payment: Payment, status: str, **kwargs: Any) -> dict[str, Any]:
    """The PaymentIntent as retrieved with latest_charge expanded (verify asks for it)."""
    intent = payment.intent(status, **kwargs)
    if status in ("succeeded", "processing"):
        intent["latest_charge"] = payment.charge(
            status="succeeded" if status == "succeeded" else "pending"
        )
    return intent


def push_envelope(
    data: bytes,
    attributes: Mapping[str, str],
    message_id: str = "m-1",
    subscription: str = "projects/p/subscriptions/s",
    **extra: Any,
) -> dict[str, Any]:
    """The JSON body a Pub/Sub push subscription POSTs; `extra` adds e.g. deliveryAttempt."""
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": dict(attributes),
            "messageId": message_id,
            "publishTime": "2026-11-22T10:00:00Z",
        },
        "subscription": subscription,
        **extra,
    }


def ingest_config(**changes: Any) -> Any:
    """An IngestConfig for app tests: one site origin, a one-product catalog; `changes` override."""
    from ingest.config import IngestConfig, Product

    base: dict[str, Any] = dict(
        project="p",
        topic="t",
        webhook_secrets=("whsec_x",),
        stripe_secret_key="sk_test_x",
        allowed_origins=("https://shop.example.com",),
        catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
    )
    return IngestConfig(**{**base, **changes})
