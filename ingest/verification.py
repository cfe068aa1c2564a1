"""A payment pulled from Stripe -> the PaymentUpdate to publish and the answer for the page. Pure.

The page asks after a redirect or a timeout whether its payment went through; the answer comes
from Stripe itself (not from our records), and the same snapshot is published so that a late or
lost webhook does not leave the Wix record behind.

Only a caller that holds the payment's capability learns anything: a PaymentIntent's
`client_secret` (which Stripe gives the paying page, and appends to its return URL as
`payment_intent_client_secret`), or a Checkout Session's id (unguessable, carried by its success
URL). Anyone else gets the answer an unknown id gets.
"""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import dataclass
from typing import Any

from ingest.normalize import Ignored, first_word, id_of, normalize_snapshot
from payments.message import PaymentUpdate


@dataclass(frozen=True)
class Verification:
    status: str
    paid_with: str | None
    amount: int | None
    currency: str | None
    payment_intent_id: str | None
    update: PaymentUpdate | None  # None: nothing to record yet (no outcome)

    def answer(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "paid_with": self.paid_with,
            "amount": self.amount,
            "currency": self.currency,
            "payment_intent_id": self.payment_intent_id,
        }


# Stripe's client secrets read `<intent id>_secret_<random>`; far shorter than this bound.
MAX_CLIENT_SECRET = 300


def plausible_client_secret(payment_intent_id: str, client_secret: object) -> bool:
    """Whether `client_secret` could be this intent's at all (no Stripe call is worth making
    otherwise). Compares only what the caller sent with itself: nothing secret is involved."""
    return (
        isinstance(client_secret, str)
        and len(client_secret) <= MAX_CLIENT_SECRET
        and client_secret.isascii()
        and client_secret.startswith(f"{payment_intent_id}_secret_")
    )


def holds_client_secret(intent: dict[str, Any], client_secret: str) -> bool:
    """The capability check: the caller knows the secret Stripe gave the page for this intent.

    Constant time, so the answer's timing does not reveal how much of a guess was right.
    """
    expected = intent.get("client_secret")
    if not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), client_secret.encode())


def verify_intent(intent: dict[str, Any], retrieved_at: int) -> Verification:
    """A PaymentIntent with latest_charge (and customer) expanded."""
    result = normalize_snapshot(intent, retrieved_at)
    if isinstance(result, Ignored):
        # requires_payment_method without an error, requires_action, …: not an outcome yet.
        return Verification(
            status=str(intent.get("status") or "unknown"),
            paid_with=None,
            amount=_int_or_none(intent.get("amount")),
            currency=_text(intent.get("currency")),
            payment_intent_id=_text(intent.get("id")),
            update=None,
        )
    return _from_update(result)


def verify_checkout_session(session: dict[str, Any], retrieved_at: int) -> Verification:
    """A Checkout Session (Payment Link) with payment_intent.latest_charge expanded."""
    intent = session.get("payment_intent")
    if not isinstance(intent, dict):
        # No PaymentIntent yet: the customer has not paid (open) or never will (expired).
        return Verification(
            status=str(session.get("status") or "open"),
            paid_with=None,
            amount=_int_or_none(session.get("amount_total")),
            currency=_text(session.get("currency")),
            payment_intent_id=None,
            update=None,
        )
    verification = verify_intent(intent, retrieved_at)
    update = verification.update
    if update is None:
        return verification
    # Payment Links create the Customer (if at all) on the session, and collect the name there;
    # fill what the intent leaves empty, never overriding what it says.
    changes: dict[str, Any] = {}
    customer_id = id_of(session.get("customer"))
    if update.customer_id is None and customer_id:
        changes["customer_id"] = customer_id
    details = session.get("customer_details")
    first_name = first_word(details.get("name")) if isinstance(details, dict) else None
    if update.first_name is None and first_name:
        changes["first_name"] = first_name
    if changes:
        update = dataclasses.replace(update, **changes)
    return _from_update(update)


def _from_update(update: PaymentUpdate) -> Verification:
    return Verification(
        status=update.status.value,
        paid_with=update.paid_with,
        amount=update.amount,
        currency=update.currency,
        payment_intent_id=update.payment_intent_id,
        update=update,
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
