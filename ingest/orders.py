"""What the Wix page may ask for, checked against the server-side catalog. Pure.

The amount charged comes from the catalog and the quantity only: whatever amount, price or
currency the client sends is ignored, so a tampered page cannot choose its price.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ingest.config import Product

MAX_QUANTITY = 10
MAX_FIRST_NAME = 50
MAX_EMAIL = 254
# Stripe's own ceiling for one payment is 99999999 minor units (eight digits).
MAX_AMOUNT = 99_999_999
# Stripe allows 255 characters; our namespace prefix takes some of them.
MAX_IDEMPOTENCY_KEY = 200

# Letters of any script, then letters, spaces, apostrophes, hyphens and periods ("Jean-Luc",
# "O'Neill", "Zoë", "J. R."). Digits and markup are refused: the name lands in Wix and Stripe.
_FIRST_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '\u2019.\-])*", re.UNICODE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_KEY = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class Order:
    first_name: str
    email: str | None
    product: Product
    quantity: int

    @property
    def amount(self) -> int:
        return self.product.amount * self.quantity

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def description(self) -> str:
        return self.product.name if self.quantity == 1 else f"{self.product.name} x {self.quantity}"

    def metadata(self) -> dict[str, str]:
        return {
            "first_name": self.first_name,
            "product": self.product.product_id,
            "quantity": str(self.quantity),
        }


@dataclass(frozen=True)
class Invalid:
    """A 400 for the page: `field` names what to fix, `message` says how."""

    field: str
    message: str


def parse_order(body: Any, catalog: Mapping[str, Product]) -> Order | Invalid:
    if not isinstance(body, dict):
        return Invalid("body", "send a JSON object: {first_name, email?, product, quantity?}")
    first_name = _first_name(body.get("first_name"))
    if isinstance(first_name, Invalid):
        return first_name
    email = body.get("email")
    if email is not None and email != "":
        if not isinstance(email, str) or len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
            return Invalid("email", "email is not a valid address")
        email = email.strip()
    else:
        email = None
    product_id = body.get("product")
    if not isinstance(product_id, str) or not product_id:
        return Invalid("product", "product is required")
    product = catalog.get(product_id)
    if product is None:
        return Invalid("product", f"unknown product {product_id[:40]!r}")
    quantity = body.get("quantity", 1)
    if quantity is None:
        quantity = 1
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return Invalid("quantity", "quantity must be a whole number")
    if not 1 <= quantity <= MAX_QUANTITY:
        return Invalid("quantity", f"quantity must be between 1 and {MAX_QUANTITY}")
    if product.amount * quantity > MAX_AMOUNT:
        return Invalid("quantity", "the total is larger than one payment may be")
    return Order(first_name, email, product, quantity)


def _first_name(raw: Any) -> str | Invalid:
    if not isinstance(raw, str) or not raw.strip():
        return Invalid("first_name", "first_name is required")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if len(name) > MAX_FIRST_NAME:
        return Invalid("first_name", f"first_name is longer than {MAX_FIRST_NAME} characters")
    if not _FIRST_NAME.fullmatch(name):
        return Invalid(
            "first_name",
            "first_name may contain letters, spaces, apostrophes, hyphens and periods only",
        )
    return name


def idempotency_key(raw: str | None) -> str | Invalid | None:
    """The page's Idempotency-Key header, checked; None when the page sent none."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_IDEMPOTENCY_KEY or not _KEY.fullmatch(raw):
        return Invalid(
            "Idempotency-Key",
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters",
        )
    return raw


def namespaced(kind: str, key: str | None) -> str | None:
    """One page key becomes one key per Stripe call, so the two calls never collide.

    The namespace also keeps the page's keys apart from keys the SDK or other tools send.
    """
    return f"wix-page:{kind}:{key}" if key else None
