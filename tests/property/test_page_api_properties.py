"""The page API's bodies: whatever a page (or a bot) sends to /v1/*, the answer is a 2xx or a
4xx with a JSON error, never a 500; the order parser alone is an Order or Invalid."""

import json

from hypothesis import example, given
from hypothesis import strategies as st

from ingest.app import create_app
from ingest.config import Product
from ingest.orders import Invalid, Order, parse_order
from tests.fakes import FakePublisher, FakeStripe, ingest_config
from tests.property.strategies import json_values, maybe

CATALOG = {
    "tee": Product("tee", "T-shirt", 1999, "usd"),
    "big": Product("big", "Big", 10**8, "jpy"),
}
SITE = "https://shop.example.com"
CONFIG = ingest_config(
    catalog=CATALOG,
    rate_limit_per_minute=10**9,
    rate_limit_burst=10**9,
    creations_per_minute=10**9,
    creations_burst=10**9,
)
STRIPE = FakeStripe()
CLIENT = create_app(CONFIG, FakePublisher(), stripe=STRIPE).test_client()

orders = st.fixed_dictionaries(
    {},
    optional={
        "first_name": maybe(st.text(max_size=60)),
        "email": maybe(st.emails()),
        "product": maybe(st.sampled_from(["tee", "big", "nope", ""])),
        "quantity": maybe(st.integers(-5, 20)),
        "payment_intent_id": maybe(st.sampled_from(["pi_1", "pi_x", "pi_"])),
        "client_secret": maybe(st.sampled_from(["pi_1_secret_x", "pi_1_secret_y", "x"])),
        "bot_token": json_values,
        "checkout_session_id": maybe(st.sampled_from(["cs_test_1", "cs_"])),
        "amount": json_values,
        "return_url": maybe(
            st.sampled_from(["https://shop.example.com/pay", "https://evil.example/", "x"])
        ),
    },
)
bodies = st.one_of(
    orders.map(lambda b: json.dumps(b).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)
keys = st.one_of(st.none(), st.text(max_size=40).filter(lambda k: "\n" not in k and "\r" not in k))


@given(body=st.one_of(orders, json_values))
@example(body={"first_name": "Ada", "product": "big", "quantity": 2})
@example(body={"first_name": "\u0301", "product": "tee"})
def test_any_order_body_is_an_order_or_invalid(body):
    assert isinstance(parse_order(body, CATALOG), Order | Invalid)


@given(
    path=st.sampled_from(["/v1/payment-intents", "/v1/payments/verify", "/v1/checkout-sessions"]),
    body=bodies,
    key=keys,
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/json; charset=latin-1"]
    ),
)
@example(
    path="/v1/payment-intents",
    body=b'{"first_name": "Ada", "product": "tee"}',
    key=None,
    content_type="application/json",
)
def test_any_body_to_the_page_api_is_answered_without_a_500(path, body, key, content_type):
    headers = {"Origin": SITE, "Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = CLIENT.post(path, data=body, headers=headers)
    assert response.status_code in (200, 400, 402, 404, 409), response.get_data(as_text=True)
    assert isinstance(response.json, dict)
