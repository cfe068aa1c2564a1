"""A page's next try at the same purchase reuses what its open attempt already made. Pure.

Each try used to make a new Customer and PaymentIntent: a customer who reloads, or comes back
from a bank redirect that failed, ended up as several Customers with one open intent each. The
page now passes back the intent it already has (`payment_intent_id` + `client_secret`, the same
capability verify asks for). If that intent is still open and asks for the same order, it is
answered again as it is: nothing new at Stripe. If the order changed (quantity, name), a new
intent is made for the same Customer. Anything else (closed, another's, unknown) starts afresh,
and says nothing about why. One Customer per buyer also gives Radar's per-customer rules
(cards per customer) something to count (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.normalize import id_of
from ingest.orders import Order
from ingest.verification import holds_client_secret, plausible_client_secret

# A PaymentIntent that can still be paid (Stripe's lifecycle); the others are done or in flight.
OPEN = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


@dataclass(frozen=True)
class Previous:
    payment_intent_id: str
    client_secret: str


@dataclass(frozen=True)
class Reuse:
    intent: dict[str, Any] | None  # answer this one again as it is
    customer_id: str  # else make a new intent for this Customer


def previous_attempt(body: Any) -> Previous | None:
    """The attempt the page passed back, if it is shaped like one."""
    if not isinstance(body, dict):
        return None
    intent_id, secret = body.get("payment_intent_id"), body.get("client_secret")
    if not isinstance(intent_id, str) or not intent_id.startswith("pi_") or len(intent_id) > 255:
        return None
    if not plausible_client_secret(intent_id, secret):
        return None
    return Previous(intent_id, str(secret))


def reuse(previous: dict[str, Any], client_secret: str, order: Order) -> Reuse | None:
    if not holds_client_secret(previous, client_secret) or previous.get("status") not in OPEN:
        return None
    customer_id = id_of(previous.get("customer"))
    if not customer_id:
        return None
    same_order = (
        previous.get("amount") == order.amount
        and previous.get("currency") == order.currency
        and previous.get("metadata") == order.metadata()
    )
    return Reuse(previous if same_order else None, customer_id)
