"""The push envelope parser: any bytes are a delivery or poison (dead letter), never an
exception; through the writer, any push is acked (204, poison dead-lettered) or retried."""

import base64
import json

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fakes import FakeAuthenticator, FakeCollection, FakePublisher
from tests.integration.test_writer_push import CONFIG
from tests.property.strategies import json_values
from writer.app import create_app
from writer.envelope import Delivery, Poison, parse_envelope

messages = st.fixed_dictionaries(
    {},
    optional={
        "data": st.one_of(
            st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
            json_values.map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
            json_values,
        ),
        "attributes": st.one_of(
            st.dictionaries(
                st.sampled_from(["schema_version", "payment_intent_id", "event_id", "x"]),
                st.one_of(st.text(max_size=12), json_values),
            ),
            json_values,
        ),
        "messageId": st.one_of(st.text(max_size=12), json_values),
        "message_id": st.one_of(st.text(max_size=12), json_values),
        "publishTime": json_values,
    },
)
envelopes = st.one_of(
    st.fixed_dictionaries(
        {"message": st.one_of(messages, json_values)},
        optional={"subscription": json_values, "deliveryAttempt": json_values},
    ),
    json_values,
)


@given(body=st.one_of(st.binary(max_size=300), envelopes.map(lambda e: json.dumps(e).encode())))
@example(body=b'{"message": {"messageId": "m", "data": "////"}}')
@example(body=b'{"message": {"messageId": "m", "data": "e30=", "attributes": {"1": 2}}}')
def test_any_push_body_is_a_delivery_or_poison(body):
    assert isinstance(parse_envelope(body), Delivery | Poison)


DEAD_LETTERS = FakePublisher()
CLIENT = create_app(CONFIG, FakeCollection(), DEAD_LETTERS, FakeAuthenticator()).test_client()


@given(envelope=envelopes)
def test_any_push_is_acked_or_retried_never_a_500(envelope):
    before = len(DEAD_LETTERS.published)
    response = CLIENT.post("/pubsub/push", json=envelope)
    assert response.status_code in (204, 503), response.get_data(as_text=True)
    if response.status_code == 204 and len(DEAD_LETTERS.published) > before:
        assert DEAD_LETTERS.published[-1].attributes  # dead letters say why
