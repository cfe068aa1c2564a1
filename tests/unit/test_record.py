"""PaymentRecord <-> Wix data: major units, {"$date"} values, labels; and the round trip."""

import pytest

from payments.currency import to_major, to_minor
from payments.methods import label
from payments.status import PaymentStatus
from writer.record import PaymentRecord, UnreadableItem, from_wix_data, to_wix_data

RECORD = PaymentRecord(
    payment_intent_id="pi_1",
    status=PaymentStatus.PARTIALLY_REFUNDED,
    amount=1999,
    amount_refunded=500,
    currency="usd",
    last_event_id="evt_9",
    last_event_at="2026-11-22T10:05:00Z",
    customer_id="cus_1",
    first_name="Ada",
    paid_on="2026-11-22T10:00:03Z",
    paid_on_source="event",
    paid_with="apple_pay",
    card_brand="visa",
    card_last4="4242",
)


def test_the_wix_item_has_the_fields_a_merchant_reads():
    data = to_wix_data(RECORD, label("apple_pay"))
    assert data["firstName"] == "Ada"
    assert data["stripeCustomerId"] == "cus_1"
    assert data["paidOn"] == {"$date": "2026-11-22T10:00:03.000Z"}
    assert data["paidWith"] == "Apple Pay"
    assert data["status"] == "partially_refunded"
    assert (data["amount"], data["amountRefunded"], data["currency"]) == (19.99, 5.0, "usd")
    assert data["lastEventAt"] == {"$date": "2026-11-22T10:05:00.000Z"}


def test_a_record_survives_the_round_trip_through_wix():
    assert from_wix_data(to_wix_data(RECORD, "Apple Pay")) == RECORD


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (1999, "usd", 19.99),
        (500, "jpy", 500),
        (12345, "kwd", 12.345),
        (1, "eur", 0.01),
        (0, "usd", 0.0),
    ],
)
def test_amounts_respect_zero_and_three_decimal_currencies(minor, currency, major):
    assert to_major(minor, currency) == major
    assert to_minor(major, currency) == minor


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("card", "Card"),
        ("apple_pay", "Apple Pay"),
        ("google_pay", "Google Pay"),
        ("link", "Link"),
        ("us_bank_account", "US bank account"),
        ("brand_new_pay", "Brand new pay"),
    ],
)
def test_payment_methods_read_as_words(code, text):
    assert label(code) == text


def test_an_item_this_writer_did_not_write_is_reported_not_guessed():
    with pytest.raises(UnreadableItem):
        from_wix_data({"_id": "pi_1", "title": "hand made"})


def test_an_item_whose_amount_is_not_a_number_is_reported_not_a_crash():
    data = to_wix_data(RECORD, "Apple Pay")
    data["amount"] = "19,99"
    with pytest.raises(UnreadableItem):
        from_wix_data(data)
