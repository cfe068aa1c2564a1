"""Push envelope -> PaymentUpdate, and every way it can be poison."""

import base64
import json

import pytest

from payments.message import PaymentUpdate, Source
from payments.status import PaymentStatus
from writer.envelope import Delivery, Poison, parse_envelope

UPDATE = PaymentUpdate(
    event_id="evt_1",
    event_type="charge.succeeded",
    event_created="2026-11-22T10:00:03Z",
    source=Source.WEBHOOK,
    livemode=False,
    payment_intent_id="pi_1",
    status=PaymentStatus.SUCCEEDED,
    amount=1999,
    amount_refunded=0,
    currency="usd",
    paid_on="2026-11-22T10:00:03Z",
    paid_with="card",
)


def envelope(
    data: bytes | str | None = None, attributes=None, id_key="messageId", **extra
) -> bytes:
    message = {
        "data": base64.b64encode(UPDATE.to_json() if data is None else data).decode()
        if not isinstance(data, str)
        else data,
        "attributes": UPDATE.attributes() if attributes is None else attributes,
        id_key: "m-1",
        "publishTime": "2026-11-22T10:00:04Z",
    }
    return json.dumps(
        {"message": message, "subscription": "projects/p/subscriptions/s", **extra}
    ).encode()


@pytest.mark.parametrize("id_key", ["messageId", "message_id"])
def test_both_message_id_spellings_are_read(id_key):
    parsed = parse_envelope(envelope(id_key=id_key))
    assert isinstance(parsed, Delivery)
    assert parsed.push.message_id == "m-1"
    assert parsed.update == UPDATE


def test_delivery_attempt_is_read_when_present_and_none_from_the_emulator():
    assert parse_envelope(envelope(deliveryAttempt=3)).push.delivery_attempt == 3
    assert parse_envelope(envelope()).push.delivery_attempt is None


def with_field(**changes) -> bytes:
    return json.dumps({**UPDATE.to_dict(), **changes}).encode()


@pytest.mark.parametrize(
    ("case", "body", "reason"),
    [
        ("not JSON", b"nope", "not JSON"),
        ("no message", b'{"subscription": "s"}', "no message"),
        ("no message id", json.dumps({"message": {"data": ""}}).encode(), "no messageId"),
        ("data not base64", envelope("***"), "not base64"),
        ("empty data", envelope(b""), "no data"),
        ("data not JSON", envelope(b"\xff\xfe"), "not JSON"),
        ("data not an object", envelope(b"[1]"), "not a JSON object"),
        (
            "unknown schema attribute",
            envelope(attributes={"schema_version": "2"}),
            "schema_version",
        ),
        (
            "unknown schema in body",
            envelope(with_field(schema_version=2), attributes={}),
            "schema_version",
        ),
        ("unknown status", envelope(with_field(status="paid")), "status"),
        ("negative amount", envelope(with_field(amount=-1)), "amount"),
        ("float amount", envelope(with_field(amount=19.99)), "amount"),
        ("bad currency", envelope(with_field(currency="dollars")), "currency"),
        ("bad time", envelope(with_field(event_created="yesterday")), "event_created"),
        (
            "missing payment intent",
            envelope(with_field(payment_intent_id=None), attributes={}),
            "payment_intent_id",
        ),
        (
            "attribute disagrees",
            envelope(attributes={**UPDATE.attributes(), "payment_intent_id": "pi_2"}),
            "does not match",
        ),
    ],
)
def test_malformed_messages_are_poison_with_a_reason(case, body, reason):
    parsed = parse_envelope(body)
    assert isinstance(parsed, Poison)
    assert reason in parsed.reason
