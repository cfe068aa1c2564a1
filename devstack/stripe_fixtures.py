"""Realistic Stripe objects and events, in the wire shape Stripe sends.

Used by the local stack's sample payments, the tests and the benchmarks. `api="current"`
gives PaymentIntents with `latest_charge` as an id (API 2022-11-15 and later);
`api="legacy"` embeds `charges.data[]` as older API versions do.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from ingest.signature import sign

API_VERSION = "2025-09-30.clover"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class Payment:
    """One customer's payment, from which its Stripe objects and events are drawn."""

    first_name: str = "Ada"
    last_name: str = "Lovelace"
    amount: int = 1999
    currency: str = "usd"
    method: str = (
        "card"  # card | apple_pay | google_pay | samsung_pay | link | us_bank_account | sepa_debit
    )
    brand: str = "visa"
    last4: str = "4242"
    created: int = field(default_factory=lambda: int(time.time()) - 60)
    livemode: bool = False
    with_metadata: bool = True
    intent_id: str = field(default_factory=lambda: new_id("pi"))
    charge_id: str = field(default_factory=lambda: new_id("ch"))
    customer_id: str = field(default_factory=lambda: new_id("cus"))
    amount_refunded: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def metadata(self) -> dict[str, str]:
        return {"first_name": self.first_name} if self.with_metadata else {}

    def method_details(self) -> dict[str, Any]:
        if self.method in ("us_bank_account",):
            return {
                "type": "us_bank_account",
                "us_bank_account": {
                    "account_holder_type": "individual",
                    "bank_name": "STRIPE TEST BANK",
                    "last4": "6789",
                    "routing_number": "110000000",
                },
            }
        if self.method == "sepa_debit":
            return {"type": "sepa_debit", "sepa_debit": {"country": "DE", "last4": "3000"}}
        if self.method == "link":
            return {"type": "link", "link": {"country": "US"}}
        wallet = None
        if self.method in ("apple_pay", "google_pay", "samsung_pay"):
            wallet = {"type": self.method, self.method: {}, "dynamic_last4": self.last4}
        return {
            "type": "card",
            "card": {
                "brand": self.brand,
                "country": "US",
                "exp_month": 12,
                "exp_year": 2030,
                "funding": "credit",
                "last4": self.last4,
                "network": self.brand,
                "wallet": wallet,
                "checks": {
                    "cvc_check": "pass",
                    "address_line1_check": None,
                    "address_postal_code_check": "pass",
                },
            },
        }

    def charge(
        self,
        status: str = "succeeded",
        failure_message: str | None = None,
        failure_code: str | None = None,
        charge_id: str | None = None,
    ) -> dict[str, Any]:
        succeeded = status == "succeeded"
        return {
            "id": charge_id or self.charge_id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount if succeeded else 0,
            "amount_refunded": self.amount_refunded,
            "balance_transaction": new_id("txn") if succeeded else None,
            "billing_details": {
                "address": {"country": "US", "postal_code": "42424"},
                "email": "ada@example.com",
                "name": self.full_name,
                "phone": None,
            },
            "captured": succeeded,
            "created": self.created + 2,
            "currency": self.currency,
            "customer": self.customer_id,
            "description": None,
            "failure_code": failure_code,
            "failure_message": failure_message,
            "livemode": self.livemode,
            "metadata": self.metadata(),
            "outcome": {
                "network_status": "approved_by_network" if succeeded else "declined_by_network",
                "type": "authorized" if succeeded else "issuer_declined",
            },
            "paid": succeeded,
            "payment_intent": self.intent_id,
            "payment_method": new_id("pm"),
            "payment_method_details": self.method_details(),
            "refunded": self.amount_refunded >= self.amount and self.amount_refunded > 0,
            "status": status,
        }

    def intent(
        self,
        status: str,
        api: str = "current",
        last_error: dict[str, Any] | None = None,
        charges: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.intent_id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_received": self.amount if status == "succeeded" else 0,
            "automatic_payment_methods": {"enabled": True},
            "canceled_at": None,
            "cancellation_reason": None,
            "client_secret": f"{self.intent_id}_secret_{secrets.token_hex(8)}",
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer_id,
            "last_payment_error": last_error,
            "latest_charge": self.charge_id
            if status in ("succeeded", "processing") or last_error
            else None,
            "livemode": self.livemode,
            "metadata": self.metadata(),
            "payment_method": new_id("pm"),
            "payment_method_types": ["card", "link"],
            "status": status,
        }
        if api == "legacy":
            data = (
                charges
                if charges is not None
                else ([self.charge()] if status == "succeeded" else [])
            )
            obj["charges"] = {
                "object": "list",
                "data": data,
                "has_more": False,
                "url": f"/v1/charges?payment_intent={self.intent_id}",
            }
        return obj

    def checkout_session(
        self, payment_status: str = "paid", metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The Checkout Session that took this payment (Checkout redirect or Payment Link)."""
        return {
            "id": f"cs_test_{self.intent_id.removeprefix('pi_')}",
            "object": "checkout.session",
            "amount_subtotal": self.amount,
            "amount_total": self.amount,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer_id,
            "customer_creation": "always",
            "customer_details": {
                "address": {"country": "US", "postal_code": "42424"},
                "email": "ada@example.com",
                "name": self.full_name,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
            "livemode": self.livemode,
            "metadata": self.metadata() if metadata is None else metadata,
            "mode": "payment",
            "payment_intent": self.intent_id,
            "payment_link": None,
            "payment_status": payment_status,
            "status": "complete",
            "ui_mode": "hosted",
            "url": None,
        }


def event(
    event_type: str,
    obj: dict[str, Any],
    created: int | None = None,
    event_id: str | None = None,
    livemode: bool = False,
) -> dict[str, Any]:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created if created is not None else int(time.time()),
        "data": {"object": obj},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def signed(
    event_body: dict[str, Any], secret: str, timestamp: int | None = None
) -> tuple[bytes, str]:
    """Body bytes and the Stripe-Signature header Stripe would send with them."""
    body = json.dumps(event_body).encode()
    return body, sign(body, secret, timestamp if timestamp is not None else int(time.time()))


def card_success_events(payment: Payment, at: int | None = None) -> list[dict[str, Any]]:
    """What Stripe sends for a card payment that succeeds: charge.succeeded, payment_intent.succeeded."""
    at = at if at is not None else payment.created + 3
    return [
        event("charge.succeeded", payment.charge(), created=at),
        event("payment_intent.succeeded", payment.intent("succeeded"), created=at),
    ]
