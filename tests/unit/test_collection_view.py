"""The collection view's formatting (table) and its rows."""

from __future__ import annotations

import pytest

from devstack.collection_view import format_date, format_money, render_rows


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (19.99, "usd", "$19.99"),
        (45.0, "usd", "$45.00"),
        (0.0, "usd", "$0.00"),
        (1234.5, "eur", "€1,234.50"),
        (500, "jpy", "¥500"),
        (1.5, "bhd", "1.500 BHD"),
        (12.3, "chf", "12.30 CHF"),
        (-5.0, "gbp", "-£5.00"),
        (None, "usd", "—"),
        (True, "usd", "—"),
    ],
)
def test_money_is_shown_in_its_currency(amount, currency, shown):
    assert format_money(amount, currency) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"$date": "2026-12-04T21:40:05.000Z"}, "4 Dec 2026, 21:40 UTC"),
        (None, "—"),
        ({"$date": "yesterday"}, "yesterday"),
    ],
)
def test_dates_are_shown_for_people(value, shown):
    assert format_date(value) == shown


def test_rows_show_the_briefs_fields_first_and_escape_what_they_show():
    rows = render_rows(
        [
            {
                "_id": "pi_1",
                "firstName": "<Ada>",
                "stripeCustomerId": "cus_1",
                "paidWith": "Apple Pay",
                "status": "succeeded",
                "amount": 19.99,
                "currency": "usd",
                "livemode": False,
            }
        ]
    )
    labels = [part.split('"')[0] for part in rows.split('data-label="')[1:]]
    assert labels == [
        "First name",
        "Stripe customer ID",
        "Paid on",
        "Paid with",
        "Status",
        "Amount",
    ]
    assert "&lt;Ada&gt;" in rows and "<Ada>" not in rows
    assert "$19.99" in rows and "False" not in rows
