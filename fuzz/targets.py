"""One function per parser that faces the internet: it takes raw bytes and raises AssertionError
(or lets an unexpected exception escape) only when the bytes found a bug. Anything the design's
error table allows (a 4xx, an ignore, a dead letter) returns quietly.

atheris drives these (`python -m fuzz`); tests/property/test_fuzz_corpus.py replays the kept
corpus and every crash found through them in `make test`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ingest.app import create_app as create_ingest
from ingest.config import IngestConfig, Product
from ingest.normalize import Ignored, MalformedEvent, normalize_event
from ingest.ports import StripeFailure
from ingest.signature import SignatureError, sign, verify
from payments.message import PaymentUpdate
from servicekit.publishing import Publisher
from writer.envelope import Delivery, Poison, parse_envelope

NOW = 1_800_000_000
SECRET = "whsec_fuzz"
SITE = "https://shop.example.com"


def signature(data: bytes) -> None:
    """First line: the Stripe-Signature header; the rest: the body."""
    header_bytes, _, body = data.partition(b"\n")
    header = header_bytes.decode("utf-8", "surrogateescape")
    try:
        timestamp = verify(body, header, [SECRET, "whsec_other"], NOW)
    except SignatureError:
        return
    assert abs(timestamp - NOW) <= 300
    assert verify(body, sign(body, SECRET, timestamp), [SECRET], NOW) == timestamp


def normalizer(data: bytes) -> None:
    try:
        event = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return  # the webhook answers 400 before the normalizer
    if not isinstance(event, dict):
        return
    normalizer_contract(event)


def normalizer_contract(event: dict[str, Any]) -> None:
    """Any event is an update, an ignore or malformed; what is published reads back as itself
    (the writer parses it). Shared with tests/property's hypothesis test."""
    try:
        result = normalize_event(event)
    except MalformedEvent:
        return
    assert isinstance(result, PaymentUpdate | Ignored)
    if isinstance(result, PaymentUpdate):
        assert PaymentUpdate.from_json(result.to_json()) == result


def envelope(data: bytes) -> None:
    assert isinstance(parse_envelope(data), Delivery | Poison)


class _Publisher:
    def publish(self, data: bytes, ordering_key: str, attributes: Any) -> str:
        return "1"


class _Stripe:
    """Just enough Stripe for the page API: creations succeed, every lookup is unknown."""

    def create_customer(self, name: str, email: str | None, idempotency_key: str | None) -> str:
        return "cus_fuzz"

    def create_payment_intent(self, **kwargs: Any) -> dict[str, Any]:
        return {"id": "pi_fuzz", "client_secret": "pi_fuzz_secret_x", **kwargs}

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        raise StripeFailure("not_found", "no such payment_intent", 404)

    def create_checkout_session(
        self, order: Any, success_url: str, cancel_url: str, idempotency_key: str | None
    ) -> dict[str, Any]:
        return {"id": "cs_test_fuzz", "url": "https://checkout.stripe.com/c/pay/cs_test_fuzz"}

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        raise StripeFailure("not_found", "no such checkout session", 404)

    def list_events(self, types: Any, created_gte: int) -> Any:
        return iter(())

    def create_webhook_endpoint(self, url: str, enabled_events: Any, description: str) -> Any:
        raise StripeFailure("permission", "not in fuzzing", 403)


def _page_client() -> Any:
    config = IngestConfig(
        project="p",
        topic="t",
        webhook_secrets=(SECRET,),
        stripe_secret_key="sk_fuzz",
        allowed_origins=(SITE,),
        catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
        rate_limit_per_minute=1e12,
        rate_limit_burst=10**12,
        creations_per_minute=1e12,
        creations_burst=10**12,
    )
    publisher: Publisher = _Publisher()
    return create_ingest(config, publisher, clock=lambda: NOW, stripe=_Stripe()).test_client()  # type: ignore[arg-type]


_PAGE = _page_client()
_PATHS = ("/v1/payment-intents", "/v1/payments/verify", "/webhooks/stripe", "/v1/checkout-sessions")


def page_api(data: bytes) -> None:
    """First byte picks the endpoint (the webhook's body is signed, to get past the signature)."""
    if not data:
        return
    path, body = _PATHS[data[0] % len(_PATHS)], data[1:]
    headers = {"Origin": SITE, "Content-Type": "application/json"}
    if path == "/webhooks/stripe":
        headers = {"Stripe-Signature": sign(body, SECRET, NOW)}
    response = _PAGE.post(path, data=body, headers=headers)
    assert response.status_code < 500, (path, response.status_code, response.get_data())


TARGETS: dict[str, Callable[[bytes], None]] = {
    "signature": signature,
    "normalizer": normalizer,
    "envelope": envelope,
    "page_api": page_api,
}
