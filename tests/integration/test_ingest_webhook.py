"""ingest's webhook through Flask's test client, with a hand-written publisher."""

import json
import logging

import pytest

from devstack.stripe_fixtures import Payment, event, signed
from ingest.app import create_app
from ingest.config import IngestConfig
from ingest.signature import sign
from payments.message import PaymentUpdate
from tests.fakes import FakePublisher, failing_publisher

SECRET = "whsec_test"
NOW = 1_800_000_000


def config(**changes) -> IngestConfig:
    base = dict(project="p", topic="t", webhook_secrets=(SECRET,), stripe_secret_key="sk_test_x")
    return IngestConfig(**{**base, **changes})


@pytest.fixture
def publisher():
    return FakePublisher()


@pytest.fixture
def client(publisher):
    return create_app(config(), publisher, clock=lambda: NOW).test_client()


def post(client, body: bytes, header: str | None, **kwargs):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post("/webhooks/stripe", data=body, headers=headers, **kwargs)


def charge_event(**kwargs):
    return event("charge.succeeded", Payment(intent_id="pi_1").charge(), created=NOW - 5, **kwargs)


def test_a_signed_event_is_published_with_the_intent_as_ordering_key(client, publisher):
    body, header = signed(charge_event(event_id="evt_1"), SECRET, NOW)
    response = post(client, body, header)
    assert response.status_code == 200
    assert response.json == {"outcome": "published"}
    [message] = publisher.published
    assert message.ordering_key == "pi_1"
    assert message.attributes == {
        "event_id": "evt_1",
        "event_type": "charge.succeeded",
        "payment_intent_id": "pi_1",
        "schema_version": "1",
    }
    assert PaymentUpdate.from_json(message.data).payment_intent_id == "pi_1"


def test_an_unhandled_event_type_is_answered_200_and_not_published(client, publisher):
    body, header = signed(event("customer.created", {"id": "cus_1"}, NOW), SECRET, NOW)
    response = post(client, body, header)
    assert (response.status_code, response.json["outcome"]) == (200, "ignored")
    assert publisher.published == []


def test_publish_failure_answers_503_so_stripe_retries():
    app = create_app(config(), failing_publisher(), clock=lambda: NOW)
    body, header = signed(charge_event(), SECRET, NOW)
    response = post(app.test_client(), body, header)
    assert response.status_code == 503


def test_any_configured_secret_verifies_during_rotation(publisher):
    app = create_app(config(webhook_secrets=("whsec_old", SECRET)), publisher, clock=lambda: NOW)
    body, header = signed(charge_event(), SECRET, NOW)
    assert post(app.test_client(), body, header).status_code == 200


NO_OBJECT = json.dumps({"id": "evt_x", "type": "charge.succeeded", "created": NOW}).encode()
GOOD_BODY, GOOD_HEADER = signed(charge_event(event_id="evt_good"), SECRET, NOW)


@pytest.mark.parametrize(
    ("case", "body", "header", "error"),
    [
        ("missing header", GOOD_BODY, None, "missing Stripe-Signature"),
        ("malformed header", GOOD_BODY, "nonsense", "malformed"),
        (
            "wrong secret",
            *signed(charge_event(), "whsec_wrong", NOW),
            "No signatures found matching",
        ),
        (
            "tampered body",
            GOOD_BODY.replace(b"1999", b"1"),
            GOOD_HEADER,
            "No signatures found matching",
        ),
        ("timestamp too old", *signed(charge_event(), SECRET, NOW - 301), "old"),
        ("timestamp ahead", *signed(charge_event(), SECRET, NOW + 301), "future"),
        ("empty body", b"", GOOD_HEADER, "empty body"),
        ("invalid JSON", b"{not json", sign(b"{not json", SECRET, NOW), "not JSON"),
        ("JSON but not an object", b"[1,2]", sign(b"[1,2]", SECRET, NOW), "not a JSON object"),
        ("handled type without an object", NO_OBJECT, sign(NO_OBJECT, SECRET, NOW), "data.object"),
    ],
)
def test_bad_input_is_refused_with_400_and_nothing_is_published(
    client, publisher, case, body, header, error
):
    response = post(client, body, header)
    assert response.status_code == 400
    assert error in response.json["error"]
    assert publisher.published == []


def test_a_body_over_1_mib_gets_413_and_nothing_is_published(client, publisher):
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = post(client, body, sign(body, SECRET, NOW))
    assert response.status_code == 413
    assert publisher.published == []


def test_get_on_the_webhook_is_405(client):
    assert client.get("/webhooks/stripe").status_code == 405


def test_one_log_line_per_webhook_with_ids_and_never_the_body_or_secret(client, caplog):
    body, header = signed(charge_event(event_id="evt_logged"), SECRET, NOW)
    with caplog.at_level(logging.INFO, logger="ingest.webhook"):
        post(client, body, header)
    [record] = [r for r in caplog.records if r.name == "ingest.webhook"]
    assert (record.event_id, record.payment_intent_id, record.outcome) == (
        "evt_logged",
        "pi_1",
        "published",
    )
    assert isinstance(record.latency_ms, float)
    text = json.dumps(record.__dict__, default=str)
    assert SECRET not in text and header not in text and "billing_details" not in text


def test_healthz_answers(client):
    assert client.get("/healthz").json["status"] == "ok"


def test_no_readable_signing_secret_answers_503_so_stripe_retries(publisher):
    app = create_app(
        config(webhook_secrets=()), publisher, clock=lambda: NOW, webhook_secrets=lambda: ()
    )
    body, header = signed(charge_event(), SECRET, NOW)
    response = post(app.test_client(), body, header)
    assert response.status_code == 503
    assert publisher.published == []


def test_a_secret_added_in_secret_manager_verifies_without_a_restart(publisher):
    from ingest.webhook_secrets import WebhookSecrets
    from tests.fakes import FakeClock, FakeVersions

    clock, versions = FakeClock(1000.0), FakeVersions([])
    secrets = WebhookSecrets(
        ["whsec_old"], versions, "stripe-webhook-secret", refresh_seconds=300, clock=clock
    )
    app = create_app(
        config(webhook_secrets=("whsec_old",)),
        publisher,
        clock=lambda: NOW,
        webhook_secrets=secrets,
    )
    body, header = signed(charge_event(), "whsec_rotated", NOW)
    assert post(app.test_client(), body, header).status_code == 400
    versions.values = ["whsec_rotated"]
    clock.now += 300
    assert post(app.test_client(), body, header).status_code == 200


def test_a_chunked_body_over_1_mib_gets_413_not_a_truncated_signature_check(client, publisher):
    import io

    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        "/webhooks/stripe",
        input_stream=io.BytesIO(body),
        headers={"Stripe-Signature": sign(body, SECRET, NOW), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert publisher.published == []


def test_a_chunked_body_under_the_limit_is_read_whole(client, publisher):
    import io

    body, header = signed(charge_event(event_id="evt_chunked"), SECRET, NOW)
    response = client.post(
        "/webhooks/stripe",
        input_stream=io.BytesIO(body),
        headers={"Stripe-Signature": header, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200
    assert len(publisher.published) == 1
