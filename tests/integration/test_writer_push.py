"""writer's push endpoint through Flask's test client, with hand-written fakes."""

import json
from pathlib import Path

import pytest

from devstack.stripe_fixtures import Payment, card_success_events, event
from ingest.normalize import normalize_event
from payments.message import PaymentUpdate
from servicekit.oidc import OidcAuthError
from tests.fakes import (
    FakeAuthenticator,
    FakeCollection,
    FakePublisher,
    failing_publisher,
    push_envelope,
)
from writer.app import create_app
from writer.apply import NO_RETRY, RetryPolicy
from writer.config import WriterConfig
from writer.wix import WixConfigError, WixPermanentError, WixTransientError

CONFIG = WriterConfig(
    project="p",
    topic="t",
    dead_letter_topic="dl",
    dead_letter_subscription="dls",
    wix_api_key="key",
    wix_site_id="site",
    push_auth_enabled=False,
    schema_file=Path("unused"),
)


class Harness:
    def __init__(
        self, collection=None, dead_letters=None, auth=None, policy: RetryPolicy = NO_RETRY
    ):
        self.collection = collection or FakeCollection()
        self.dead_letters = dead_letters or FakePublisher()
        self.auth = auth or FakeAuthenticator()
        self.client = create_app(
            CONFIG, self.collection, self.dead_letters, self.auth, policy
        ).test_client()
        self.count = 0

    def push_update(self, update: PaymentUpdate, **extra):
        return self.push_raw(update.to_json(), update.attributes(), **extra)

    def push_raw(self, data: bytes, attributes: dict, **extra):
        self.count += 1
        body = push_envelope(data, attributes, message_id=f"m-{self.count}", **extra)
        return self.client.post("/pubsub/push", json=body, headers={"Authorization": "Bearer t"})


def updates_for(events):
    return [normalize_event(e) for e in events]


@pytest.fixture
def harness():
    return Harness()


def test_a_message_becomes_a_wix_item_keyed_by_the_payment_intent(harness):
    payment = Payment(first_name="Ada", method="apple_pay")
    [charge, _] = updates_for(card_success_events(payment))
    assert harness.push_update(charge).status_code == 204
    item = harness.collection.items[payment.intent_id]
    assert (item["firstName"], item["stripeCustomerId"], item["paidWith"], item["status"]) == (
        "Ada",
        payment.customer_id,
        "Apple Pay",
        "succeeded",
    )
    assert item["paidOn"]["$date"].endswith("Z")


def test_the_same_message_twice_costs_no_second_write(harness):
    [charge, _] = updates_for(card_success_events(Payment()))
    harness.push_update(charge)
    harness.push_update(charge)
    assert harness.collection.writes == 1


def test_charge_then_intent_and_intent_then_charge_give_the_same_item():
    updates = updates_for(card_success_events(Payment()))
    results = []
    for order in (updates, updates[::-1]):
        harness = Harness()
        for update in order:
            assert harness.push_update(update).status_code == 204
        item = dict(harness.collection.items[updates[0].payment_intent_id])
        results.append(item)
    assert results[0] == results[1]


def test_wix_transient_failures_answer_503_so_pubsub_retries():
    for error in (WixTransientError("429", 429, "WDE0014"), WixTransientError("timeout")):
        harness = Harness(FakeCollection(fail_get=[error]))
        [charge, _] = updates_for(card_success_events(Payment()))
        assert harness.push_update(charge).status_code == 503
        assert harness.dead_letters.published == []


def test_wix_configuration_errors_are_retried_not_dropped():
    harness = Harness(FakeCollection(fail_save=[WixConfigError("no permission", 403, "WDE0027")]))
    [charge, _] = updates_for(card_success_events(Payment()))
    assert harness.push_update(charge).status_code == 503


def test_a_wix_validation_error_dead_letters_the_message_and_acks():
    harness = Harness(FakeCollection(fail_save=[WixPermanentError("invalid", 400, "WDE0075")]))
    [charge, _] = updates_for(card_success_events(Payment(intent_id="pi_bad")))
    assert harness.push_update(charge).status_code == 204
    [letter] = harness.dead_letters.published
    assert letter.attributes["payment_intent_id"] == "pi_bad"
    assert "WDE0075" in letter.attributes["dead_letter_reason"]
    assert PaymentUpdate.from_json(letter.data) == charge


@pytest.mark.parametrize(
    ("case", "data", "attributes"),
    [
        ("not JSON", b"garbage", {"payment_intent_id": "pi_1"}),
        ("unknown schema", json.dumps({"schema_version": 9}).encode(), {"schema_version": "9"}),
        ("missing fields", b"{}", {}),
    ],
)
def test_a_poison_message_goes_to_the_dead_letter_topic_with_its_reason(
    harness, case, data, attributes
):
    assert harness.push_raw(data, attributes).status_code == 204
    [letter] = harness.dead_letters.published
    assert letter.data == data
    assert letter.attributes["dead_letter_reason"]
    assert letter.attributes["original_message_id"] == "m-1"
    assert harness.collection.writes == 0


def test_a_malformed_envelope_is_dead_lettered_too(harness):
    response = harness.client.post("/pubsub/push", data=b"not an envelope")
    assert response.status_code == 204
    assert (
        harness.dead_letters.published[0].attributes["dead_letter_reason"]
        == "push body is not JSON"
    )


def test_when_dead_lettering_fails_the_message_is_not_acked():
    harness = Harness(dead_letters=failing_publisher())
    assert harness.push_raw(b"garbage", {}).status_code == 503


def test_a_refused_token_is_answered_with_its_status_and_nothing_is_written():
    harness = Harness(auth=FakeAuthenticator(refuse=OidcAuthError(403, "wrong signer")))
    [charge, _] = updates_for(card_success_events(Payment()))
    assert harness.push_update(charge).status_code == 403
    assert harness.collection.reads == harness.collection.writes == 0


def test_a_hand_edited_item_that_cannot_be_read_is_dead_lettered_not_overwritten():
    payment = Payment()
    collection = FakeCollection(
        items={payment.intent_id: {"_id": payment.intent_id, "title": "by hand"}}
    )
    harness = Harness(collection)
    [charge, _] = updates_for(card_success_events(payment))
    assert harness.push_update(charge).status_code == 204
    assert collection.items[payment.intent_id]["title"] == "by hand"
    assert "cannot be read" in harness.dead_letters.published[0].attributes["dead_letter_reason"]


def test_a_late_processing_event_never_regresses_a_succeeded_payment(harness):
    payment = Payment(method="us_bank_account")
    processing = normalize_event(
        event("payment_intent.processing", payment.intent("processing"), payment.created + 1)
    )
    [charge, intent] = updates_for(card_success_events(payment, at=payment.created + 100))
    for update in (charge, intent, processing):
        harness.push_update(update)
    assert harness.collection.items[payment.intent_id]["status"] == "succeeded"


def test_each_message_gives_one_json_log_line_with_its_ids_action_and_wix_latency(caplog):
    import logging

    from servicekit.logs import CloudLoggingFormatter

    harness = Harness()
    [charge, _] = updates_for(card_success_events(Payment()))
    with caplog.at_level(logging.INFO, logger="writer.push"):
        harness.push_update(charge, deliveryAttempt=2)
        harness.push_update(charge, deliveryAttempt=3)
        harness.push_raw(b"garbage", {"payment_intent_id": "pi_poison"})
    lines = [json.loads(CloudLoggingFormatter().format(r)) for r in caplog.records]
    assert [line["action"] for line in lines] == ["insert", "no-op", "dead-letter"]
    first = lines[0]
    assert (first["message_id"], first["delivery_attempt"], first["payment_intent_id"]) == (
        "m-1",
        2,
        charge.payment_intent_id,
    )
    assert first["wix_latency_ms"] >= 0 and first["severity"] == "INFO"
    assert lines[2]["payment_intent_id"] == "pi_poison" and lines[2]["severity"] == "WARNING"
    assert all("data" not in line for line in lines), "never the payload"


def test_with_a_retry_policy_a_passing_wix_hiccup_is_absorbed_without_a_503():
    collection = FakeCollection(fail_get=[WixTransientError("500", 500)] * 2)
    harness = Harness(collection, policy=RetryPolicy(attempts=3, first_backoff=0.001))
    [charge, _] = updates_for(card_success_events(Payment()))
    assert harness.push_update(charge).status_code == 204
    assert collection.writes == 1


def test_columns_the_site_owner_added_survive_the_writers_saves(harness):
    payment = Payment()
    [charge, _] = updates_for(card_success_events(payment))
    harness.push_update(charge)
    item = harness.collection.items[payment.intent_id]
    item.update(shipped=True, notes="sent 2 Dec")
    refund = normalize_event(
        event(
            "charge.refunded", {**payment.charge(), "amount_refunded": 500}, payment.created + 600
        )
    )
    assert harness.push_update(refund).status_code == 204
    saved = harness.collection.items[payment.intent_id]
    assert (saved["status"], saved["shipped"], saved["notes"]) == (
        "partially_refunded",
        True,
        "sent 2 Dec",
    )
