"""`python -m bridge smoke`: one real test-mode payment through a deployment, hop by hop.

1. intent created: POST {INGEST_URL}/v1/payment-intents with an allowed Origin, as the page does;
2. payment succeeded: Stripe confirms it with its test card `pm_card_visa`
   (https://docs.stripe.com/testing#cards), as the Payment Element would;
3. record first written / record complete: the Wix item (id = the payment intent) appears,
   then carries firstName, stripeCustomerId, paidOn, paidWith "Card" and status "succeeded".
Each hop prints its time since the start. A failure names the hop and what usually causes it.
The test record is removed at the end unless --keep; the test-mode payment stays in Stripe, so a
later reconcile or backfill over its day writes the record again (docs/deploy.md says so).
Live keys are refused.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from bridge.checks import key_mode
from bridge.settings import BridgeSettings
from ingest.config import parse_catalog
from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.ports import StripeFailure
from servicekit.settings import InvalidSetting
from writer.wix import WixError

FIRST_NAME = "Smoke"
TEST_CARD = "pm_card_visa"
POLL_SECONDS = 0.25

CAUSES = {
    "intent created": [
        "INGEST_URL is wrong or ingest is down (GET /healthz)",
        "the Origin is not in ingest's ALLOWED_ORIGINS (403)",
        "ingest's STRIPE_SECRET_KEY is refused or lacks a permission (502; doctor checks it)",
        "the product is not in ingest's CATALOG (400)",
    ],
    "payment succeeded": [
        "STRIPE_SECRET_KEY here is not the account ingest uses (No such payment_intent)",
        "the key may not write PaymentIntents",
    ],
    "record first written": [
        "no enabled webhook endpoint for INGEST_URL/webhooks/stripe, or it lacks the events",
        "ingest's STRIPE_WEBHOOK_SECRET is not the endpoint's signing secret (400s in Stripe)",
        "ingest cannot publish (503s in Stripe; its logs say why)",
        "the push subscription or the writer is down, or its OIDC settings refuse pushes "
        "(the writer's logs; the dead-letter subscription)",
        "the writer's Wix key, site or collection is wrong (python -m bridge doctor)",
    ],
    "record complete": [
        "the endpoint lacks charge.succeeded (no paidWith) or payment_intent.succeeded",
        "the writer is failing on later updates (its logs; the dead-letter subscription)",
    ],
}


class Failed(Exception):
    def __init__(self, hop: str, detail: str) -> None:
        super().__init__(detail)
        self.hop = hop
        self.detail = detail


class IngestPort(Protocol):
    def create_payment(self, origin: str, body: Mapping[str, Any], key: str) -> tuple[int, Any]: ...


class StripePort(Protocol):
    def confirm(
        self, payment_intent_id: str, payment_method: str, return_url: str
    ) -> dict[str, Any]: ...
    def recent_events(
        self, types: list[str], created_gte: int, undelivered: bool
    ) -> list[dict[str, Any]]: ...


class WixPort(Protocol):
    def get(self, item_id: str) -> dict[str, Any] | None: ...
    def remove(self, item_id: str) -> bool: ...


@dataclass
class SmokeLinks:
    ingest: IngestPort
    stripe: StripePort
    wix: WixPort


def missing_record_fields(record: Mapping[str, Any], customer_id: str | None) -> list[str]:
    """What a complete smoke record still lacks (pure; empty: complete)."""
    missing = []
    if record.get("firstName") != FIRST_NAME:
        missing.append(f"firstName is {record.get('firstName')!r}, not {FIRST_NAME!r}")
    if not customer_id or record.get("stripeCustomerId") != customer_id:
        missing.append(
            f"stripeCustomerId is {record.get('stripeCustomerId')!r}, not {customer_id!r}"
        )
    paid_on = record.get("paidOn")
    if not (isinstance(paid_on, dict) and isinstance(paid_on.get("$date"), str)):
        missing.append("paidOn is not set")
    if record.get("paidWith") != "Card":
        missing.append(f"paidWith is {record.get('paidWith')!r}, not 'Card'")
    if record.get("status") != "succeeded":
        missing.append(f"status is {record.get('status')!r}, not 'succeeded'")
    return missing


def refusal(settings: BridgeSettings) -> str | None:
    """Why smoke will not run with these settings, or None."""
    mode = key_mode(settings.stripe_secret_key)
    if mode == "live":
        return "refused: smoke makes real payments and runs in Stripe test mode only (sk_test_/rk_test_ key)"
    if mode is None:
        return "STRIPE_SECRET_KEY is not set (or not a Stripe key): smoke confirms the payment through Stripe"
    lacking = settings.missing("INGEST_URL", "WIX_API_KEY", "WIX_SITE_ID")
    if lacking:
        return f"{', '.join(lacking)} not set"
    if not settings.smoke_origin:
        return "no Origin to send: set ALLOWED_ORIGINS (or SMOKE_ORIGIN) to one the page uses"
    return None


def run_smoke(
    settings: BridgeSettings,
    links: SmokeLinks,
    out: TextIO,
    keep: bool = False,
    timeout: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    started = clock()

    def hop(name: str, detail: str) -> None:
        print(f"  ✓ {name:<22} {clock() - started:6.2f} s   {detail}", file=out, flush=True)

    try:
        catalog = parse_catalog(settings.catalog)
    except InvalidSetting as exc:
        print(f"error: {exc}", file=out)
        return 1
    if not catalog:
        print("error: CATALOG is empty: smoke buys its first product", file=out)
        return 1
    product = next(iter(catalog.values()))
    print(
        f"smoke: one {product.amount / 100:.2f} {product.currency} payment through "
        f"{settings.ingest_url} (Origin {settings.smoke_origin}), test card {TEST_CARD}",
        file=out,
        flush=True,
    )
    intent_id: str | None = None
    try:
        intent_id, customer_id = _create_and_pay(settings, links, product.product_id, hop)
        record = _wait_for_record(
            links.wix, intent_id, customer_id, started, timeout, clock, sleep, hop
        )
        del record
    except Failed as failure:
        print(f"  ✗ {failure.hop:<22} {clock() - started:6.2f} s   {failure.detail}", file=out)
        print(f'\nsmoke FAILED at "{failure.hop}". Likely causes:', file=out)
        for cause in CAUSES[failure.hop]:
            print(f"  - {cause}", file=out)
        if intent_id and failure.hop in ("record first written", "record complete"):
            print(webhook_evidence(links.stripe, intent_id), file=out)
        print("Run `python -m bridge doctor` to check each link.", file=out, flush=True)
        _clean_up(links.wix, intent_id, keep, out)
        return 1
    print(f"\nsmoke passed in {clock() - started:.2f} s: {intent_id}", file=out, flush=True)
    _clean_up(links.wix, intent_id, keep, out)
    return 0


def deliveries(events: list[dict[str, Any]], intent_id: str) -> tuple[int, int]:
    """(events of this payment, how many Stripe still owes a webhook endpoint) (pure)."""
    mine = [e for e in events if _payment_of(e) == intent_id]
    return len(mine), sum(1 for e in mine if int(e.get("pending_webhooks") or 0) > 0)


def _payment_of(event: Mapping[str, Any]) -> str | None:
    obj = (event.get("data") or {}).get("object") or {}
    found = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    return found if isinstance(found, str) else None


def webhook_evidence(stripe: StripePort, intent_id: str) -> str:
    """Where the stop is, from Stripe's side: were this payment's events delivered?"""
    try:
        events = stripe.recent_events(list(HANDLED_EVENT_TYPES), int(time.time()) - 3600, False)
    except StripeFailure as exc:
        return f"(Stripe's delivery state could not be read: {exc.message})"
    count, pending = deliveries(events, intent_id)
    if not count:
        return "Stripe shows no payment event for it: check the account and mode of the keys."
    if pending:
        return (
            f"Stripe has not delivered {pending} of its {count} event(s) to the webhook endpoint: "
            "the stop is at the webhook (endpoint, signing secret, ingest)."
        )
    return (
        f"Stripe delivered all {count} of its event(s) and ingest accepted them: the stop is "
        "after ingest (Pub/Sub push subscription, writer, Wix)."
    )


def _create_and_pay(
    settings: BridgeSettings,
    links: SmokeLinks,
    product_id: str,
    hop: Callable[[str, str], None],
) -> tuple[str, str | None]:
    try:
        status, body = links.ingest.create_payment(
            settings.smoke_origin,
            {"first_name": FIRST_NAME, "product": product_id},
            f"bridge-smoke-{uuid.uuid4()}",
        )
    except Exception as exc:  # connection refused, DNS, TLS: the first hop failed
        raise Failed("intent created", f"{type(exc).__name__}: {exc}") from None
    if status != 200 or not isinstance(body, dict) or not body.get("payment_intent_id"):
        raise Failed("intent created", f"ingest answered {status}: {body}")
    intent_id = str(body["payment_intent_id"])
    hop("intent created", intent_id)
    try:
        confirmed = links.stripe.confirm(
            intent_id, TEST_CARD, settings.smoke_origin.rstrip("/") + "/"
        )
    except StripeFailure as exc:
        raise Failed("payment succeeded", f"Stripe answered {exc.kind}: {exc.message}") from None
    if confirmed.get("status") != "succeeded":
        raise Failed("payment succeeded", f"the payment intent is {confirmed.get('status')}")
    customer = confirmed.get("customer")
    customer_id = customer.get("id") if isinstance(customer, dict) else customer
    hop("payment succeeded", f"customer {customer_id}")
    return intent_id, customer_id if isinstance(customer_id, str) else None


def _wait_for_record(
    wix: WixPort,
    intent_id: str,
    customer_id: str | None,
    started: float,
    timeout: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    hop: Callable[[str, str], None],
) -> dict[str, Any]:
    deadline = started + timeout
    seen = False
    last_problem = ""
    record: dict[str, Any] | None = None
    while clock() < deadline:
        try:
            record = wix.get(intent_id)
        except WixError as exc:
            last_problem = f"Wix: {exc}"
            record = None
        if record is not None:
            if not seen:
                seen = True
                hop("record first written", f"status {record.get('status')!r}")
            missing = missing_record_fields(record, customer_id)
            if not missing:
                hop(
                    "record complete",
                    f"{record.get('firstName')}, {record.get('stripeCustomerId')}, "
                    f"{record['paidOn']['$date']}, {record.get('paidWith')}, {record.get('status')}",
                )
                return record
            last_problem = "; ".join(missing)
        sleep(POLL_SECONDS)
    if not seen:
        raise Failed(
            "record first written",
            f"no Wix item {intent_id} after {timeout:.0f} s"
            + (f" ({last_problem})" if last_problem else ""),
        )
    raise Failed("record complete", f"after {timeout:.0f} s: {last_problem}")


def _clean_up(wix: WixPort, intent_id: str | None, keep: bool, out: TextIO) -> None:
    if intent_id is None:
        return
    if keep:
        print(f"kept the test record {intent_id} (--keep)", file=out)
        return
    try:
        removed = wix.remove(intent_id)
    except WixError as exc:
        print(f"could not remove the test record {intent_id}: {exc}", file=out)
        return
    if removed:
        print(f"removed the test record {intent_id} from Wix", file=out, flush=True)
