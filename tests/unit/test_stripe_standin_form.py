"""The stand-in reads Stripe's bracket notation as Stripe does (table)."""

import pytest

from devstack.stripe_standin import decode_form


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("amount", "1999")], {"amount": "1999"}),
        ([("metadata[first_name]", "Ada")], {"metadata": {"first_name": "Ada"}}),
        (
            [("automatic_payment_methods[enabled]", "true")],
            {"automatic_payment_methods": {"enabled": "true"}},
        ),
        (
            [("expand[]", "latest_charge"), ("expand[]", "customer")],
            {"expand": ["latest_charge", "customer"]},
        ),
        ([("types[0]", "a.b"), ("types[1]", "c.d")], {"types": ["a.b", "c.d"]}),
        ([("created[gte]", "10"), ("created[lt]", "20")], {"created": {"gte": "10", "lt": "20"}}),
        ([("a[b][c]", "1"), ("a[b][d]", "2")], {"a": {"b": {"c": "1", "d": "2"}}}),
        (
            [("items[0][price]", "p1"), ("items[0][quantity]", "2"), ("items[1][price]", "p2")],
            {"items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}]},
        ),
        ([("description", "")], {"description": ""}),
    ],
)
def test_bracket_notation(pairs, expected):
    assert decode_form(pairs) == expected
