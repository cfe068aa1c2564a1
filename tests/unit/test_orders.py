"""The page's order, checked against the catalog: a table of bodies -> order or 400 reason."""

import pytest

from ingest.config import Product
from ingest.orders import Invalid, Order, idempotency_key, namespaced, parse_order

TEE = Product("tee", "T-shirt", 1999, "usd")
MUG = Product("mug", "Mug", 500, "jpy")
CATALOG = {"tee": TEE, "mug": MUG}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"first_name": "Ada", "product": "tee"}, Order("Ada", None, TEE, 1)),
        (
            {"first_name": "  Zoë  ", "email": "z@example.com", "product": "mug", "quantity": 3},
            Order("Zoë", "z@example.com", MUG, 3),
        ),
        (
            {"first_name": "Jean-Luc", "product": "tee", "email": ""},
            Order("Jean-Luc", None, TEE, 1),
        ),
        (
            {"first_name": "O'Neill", "product": "tee", "quantity": None},
            Order("O'Neill", None, TEE, 1),
        ),
        ({"first_name": "Mary  Ann", "product": "tee"}, Order("Mary Ann", None, TEE, 1)),
        # The client's price, amount and currency are not read at all.
        (
            {"first_name": "Ada", "product": "tee", "amount": 1, "currency": "jpy", "price": 0},
            Order("Ada", None, TEE, 1),
        ),
    ],
)
def test_valid_orders_take_amount_and_currency_from_the_catalog(body, expected):
    assert parse_order(body, CATALOG) == expected


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ([], "body", "JSON object"),
        (None, "body", "JSON object"),
        ({"product": "tee"}, "first_name", "required"),
        ({"first_name": "   ", "product": "tee"}, "first_name", "required"),
        ({"first_name": 42, "product": "tee"}, "first_name", "required"),
        ({"first_name": "A" * 51, "product": "tee"}, "first_name", "longer than 50"),
        ({"first_name": "<script>", "product": "tee"}, "first_name", "letters"),
        ({"first_name": "R2D2", "product": "tee"}, "first_name", "letters"),
        ({"first_name": "-Ada", "product": "tee"}, "first_name", "letters"),
        ({"first_name": "Ada", "product": "tee", "email": "not-an-email"}, "email", "valid"),
        ({"first_name": "Ada", "product": "tee", "email": 7}, "email", "valid"),
        ({"first_name": "Ada"}, "product", "required"),
        ({"first_name": "Ada", "product": "yacht"}, "product", "unknown product"),
        ({"first_name": "Ada", "product": "tee", "quantity": 0}, "quantity", "between 1 and 10"),
        ({"first_name": "Ada", "product": "tee", "quantity": 11}, "quantity", "between 1 and 10"),
        ({"first_name": "Ada", "product": "tee", "quantity": -1}, "quantity", "between"),
        ({"first_name": "Ada", "product": "tee", "quantity": 1.5}, "quantity", "whole number"),
        ({"first_name": "Ada", "product": "tee", "quantity": "2"}, "quantity", "whole number"),
        ({"first_name": "Ada", "product": "tee", "quantity": True}, "quantity", "whole number"),
    ],
)
def test_bad_orders_name_the_field_to_fix(body, field, words):
    result = parse_order(body, CATALOG)
    assert isinstance(result, Invalid)
    assert result.field == field
    assert words in result.message


def test_a_total_beyond_stripes_ceiling_is_refused():
    big = {"big": Product("big", "Big", 20_000_000, "usd")}
    result = parse_order({"first_name": "Ada", "product": "big", "quantity": 5}, big)
    assert isinstance(result, Invalid) and result.field == "quantity"


def test_order_amount_metadata_and_description():
    order = Order("Ada", None, TEE, 3)
    assert (order.amount, order.currency) == (5997, "usd")
    assert order.metadata() == {"first_name": "Ada", "product": "tee", "quantity": "3"}
    assert order.description == "T-shirt x 3"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3f6c2a9e-7d1b-4e0a-9a57-0c1d2e3f4a5b", "3f6c2a9e-7d1b-4e0a-9a57-0c1d2e3f4a5b"),
        ("has space", Invalid),
        ("x" * 201, Invalid),
        ("naïve", Invalid),
    ],
)
def test_idempotency_key_header(header, expected):
    result = idempotency_key(header)
    if expected is Invalid:
        assert isinstance(result, Invalid)
    else:
        assert result == expected


def test_one_page_key_becomes_distinct_keys_per_stripe_call():
    assert namespaced("customer", "k1") != namespaced("payment_intent", "k1")
    assert namespaced("payment_intent", "k1") == "wix-page:payment_intent:k1"
    assert namespaced("customer", None) is None
