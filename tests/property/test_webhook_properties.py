"""The webhook over any correctly signed body: 200 (published or ignored) or 400, never a 500;
the event normalizer alone: an update, an ignore, or MalformedEvent."""

import json

from hypothesis import example, given
from hypothesis import strategies as st

from fuzz.targets import normalizer_contract
from ingest.app import create_app
from ingest.config import IngestConfig
from ingest.signature import sign
from tests.fakes import FakePublisher
from tests.property.strategies import events, json_values

NOW = 1_800_000_000
SECRET = "whsec_property"
CONFIG = IngestConfig(project="p", topic="t", webhook_secrets=(SECRET,), stripe_secret_key="sk_x")
PUBLISHER = FakePublisher()
CLIENT = create_app(CONFIG, PUBLISHER, clock=lambda: NOW).test_client()


@given(event=st.one_of(events, json_values.filter(lambda v: isinstance(v, dict))))
@example(event={"type": "charge.succeeded", "id": "evt_1", "created": 1, "data": {"object": {}}})
# Times datetime cannot hold (500s atheris found; fuzz/crashes/normalizer-crash-2986…).
@example(event={"type": "charge.failed", "id": "evt_1", "created": 10**70, "data": {"object": {}}})
@example(
    event={"type": "charge.failed", "id": "evt_1", "created": float("nan"), "data": {"object": {}}}
)
@example(
    event={
        "type": "charge.refunded",
        "id": "evt_1",
        "created": 1,
        "data": {
            "object": {
                "payment_intent": "pi_1",
                "amount": 5,
                "currency": "usd",
                "amount_refunded": 1,
                "created": 10**70,
            }
        },
    }
)
def test_any_event_is_an_update_an_ignore_or_malformed(event):
    normalizer_contract(event)


def post_signed(body: bytes):
    headers = {"Stripe-Signature": sign(body, SECRET, NOW), "Content-Type": "application/json"}
    return CLIENT.post("/webhooks/stripe", data=body, headers=headers)


@given(event=st.one_of(events, json_values))
def test_any_signed_json_is_answered_200_or_400(event):
    response = post_signed(json.dumps(event).encode())
    assert response.status_code in (200, 400), response.get_data(as_text=True)


@given(body=st.binary(max_size=300))
@example(body=b"\xff\xfe")
@example(body=b"[1, 2]")
@example(body=b'{"type": "charge.succeeded", "data": {"object": []}}')
def test_any_signed_bytes_are_answered_200_or_400(body):
    response = post_signed(body)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
