"""Payment scenarios for fault runs: the Stripe events of each payment and the exact Wix record
it must end up as.

The expected record is written down from the scenario itself and the design's rules (settled
states win, refunds only grow, the earliest success event's time is paid_on, a tie between events
of the same state and second goes to the larger event id, a known field is never replaced by
null). It is deliberately not computed by the writer's merge, so that a fault run checks the merge
rather than repeating it. Used by the end-to-end fault test (200 payments) and the benchmarks.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, replace
from typing import Any

from devstack.stripe_fixtures import Payment, event

KINDS = (
    "card",
    "apple_pay",
    "google_pay",
    "link",
    "decline_then_success",
    "processing_then_success",
    "partial_refund",
    "full_refund",
    "partial_then_full_refund",
    "zero_decimal_card",
)
LABELS = {
    "card": "Card",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
    "link": "Link",
    "us_bank_account": "US bank account",
}
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia")
DECLINED = "Your card was declined."
# Fields the stand-in adds to every item; they are not the writer's to get right.
SYSTEM_FIELDS = ("_createdDate", "_updatedDate", "_owner")


@dataclass(frozen=True)
class Scenario:
    kind: str
    payment: Payment
    events: list[dict[str, Any]]
    expected: dict[str, Any]

    @property
    def intent_id(self) -> str:
        return self.payment.intent_id


def wix_date(unix: int) -> dict[str, str]:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(unix, tz=UTC)
    return {"$date": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def major(amount: int, currency: str) -> float | int:
    return amount if currency == "jpy" else amount / 100


def generate(count: int, seed: int = 0, run: str | None = None) -> list[Scenario]:
    """`count` payments cycling through KINDS in a seeded random order; ids unique per `run`."""
    rng = random.Random(seed)
    run = run or secrets.token_hex(4)
    kinds = [KINDS[i % len(KINDS)] for i in range(count)]
    rng.shuffle(kinds)
    return [_scenario(kind, n, run, rng) for n, kind in enumerate(kinds)]


def deliveries(
    scenarios: list[Scenario], duplicate_rate: float, seed: int = 0
) -> list[dict[str, Any]]:
    """Every event of every scenario, plus `duplicate_rate` of them again, in random order."""
    rng = random.Random(seed)
    events = [e for s in scenarios for e in s.events]
    extra = [rng.choice(events) for _ in range(round(len(events) * duplicate_rate))]
    shuffled = events + extra
    rng.shuffle(shuffled)
    return shuffled


def record_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in SYSTEM_FIELDS}


def _scenario(kind: str, n: int, run: str, rng: random.Random) -> Scenario:
    method = {"apple_pay": "apple_pay", "google_pay": "google_pay", "link": "link"}.get(
        kind, "us_bank_account" if kind == "processing_then_success" else "card"
    )
    currency = "jpy" if kind == "zero_decimal_card" else "usd"
    payment = Payment(
        first_name=rng.choice(FIRST_NAMES),
        last_name="Tester",
        amount=rng.randrange(300, 90000),
        currency=currency,
        method=method,
        brand=rng.choice(("visa", "mastercard", "amex")),
        last4=f"{rng.randrange(10000):04d}",
        intent_id=f"pi_{run}_{n:04d}",
        charge_id=f"ch_{run}_{n:04d}",
        customer_id=f"cus_{run}_{n:04d}",
    )
    t0 = payment.created

    def eid(k: int) -> str:
        return f"evt_{run}_{n:04d}_{k}"

    is_card = method == "card" or method in ("apple_pay", "google_pay")
    expected: dict[str, Any] = {
        "_id": payment.intent_id,
        "paymentIntentId": payment.intent_id,
        "firstName": payment.first_name,
        "stripeCustomerId": payment.customer_id,
        "paidWith": LABELS[method],
        "paidWithCode": method,
        "cardBrand": payment.brand if is_card else None,
        "cardLast4": payment.last4 if is_card else None,
        "status": "succeeded",
        "amount": major(payment.amount, currency),
        "amountRefunded": major(0, currency),
        "currency": currency,
        "failureMessage": None,
        "failureMessageAt": None,
        "paidOnSource": "event",
        "livemode": False,
    }
    paid_at = t0 + 3

    def success(at: int, first: int, charge_of: Payment = payment) -> list[dict[str, Any]]:
        # Stripe sends both in the same second; the intent's carries no method (latest_charge
        # is an id), so the record's method comes from the charge whichever arrives first.
        return [
            event("charge.succeeded", charge_of.charge(), at, eid(first)),
            event("payment_intent.succeeded", payment.intent("succeeded"), at, eid(first + 1)),
        ]

    if kind == "decline_then_success":
        declined = replace(payment, brand="visa", last4="0002", charge_id=f"{payment.charge_id}_a")
        error = {"code": "card_declined", "message": DECLINED, "type": "card_error"}
        paid_at = t0 + 30
        events = [
            event(
                "charge.failed",
                declined.charge("failed", DECLINED, "card_declined"),
                t0 + 2,
                eid(1),
            ),
            event(
                "payment_intent.payment_failed",
                payment.intent("requires_payment_method", last_error=error),
                t0 + 2,
                eid(2),
            ),
            *success(paid_at, 3),
        ]
        # The method shown is the card that paid; the success clears the decline message.
        expected.update(lastEventId=eid(4))
    elif kind == "processing_then_success":
        paid_at = t0 + 120
        events = [
            event("payment_intent.processing", payment.intent("processing"), t0 + 1, eid(1)),
            *success(paid_at, 2),
        ]
        expected.update(lastEventId=eid(3))
    elif kind in ("partial_refund", "full_refund", "partial_then_full_refund"):
        part = payment.amount // 3
        events = success(paid_at, 1)
        refunds = {"partial_refund": [part], "full_refund": [payment.amount]}.get(
            kind, [part, payment.amount]
        )
        for k, refunded in enumerate(refunds, start=3):
            refunded_charge = replace(payment, amount_refunded=refunded).charge()
            events.append(event("charge.refunded", refunded_charge, t0 + 600 * (k - 2), eid(k)))
        final = refunds[-1]
        expected.update(
            status="refunded" if final == payment.amount else "partially_refunded",
            amountRefunded=major(final, currency),
            lastEventId=eid(2 + len(refunds)),
        )
        expected["lastEventAt"] = wix_date(t0 + 600 * len(refunds))
    else:
        events = success(paid_at, 1)
        expected.update(lastEventId=eid(2))
    expected["paidOn"] = wix_date(paid_at)
    expected.setdefault("lastEventAt", wix_date(paid_at))
    return Scenario(kind, payment, events, expected)
