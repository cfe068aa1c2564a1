"""The writer's subscription delivered both ways: concurrently as Cloud does (the stack's
default, devstack/push_deliverer.py, where batches form) and by the emulator's own push."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from devstack import samples
from devstack.stack import Stack
from devstack.stripe_fixtures import Payment, card_success_events
from tests.e2e.test_writer_faults import peek_dead_letters

pytestmark = pytest.mark.e2e


def send_all(stack, events) -> list[int]:
    answers: list[int] = []

    def send(evt) -> None:
        answers.append(
            samples.send_event(
                stack.config.ingest_url, stack.config.webhook_secret, evt
            ).status_code
        )

    threads = [threading.Thread(target=send, args=(evt,)) for evt in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def writer_log(stack) -> list[dict]:
    lines = (stack.log_dir / "writer.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.fixture
def emulator_push(stack: Stack) -> Iterator[None]:
    """A second subscription on the topic that the emulator itself pushes to the writer (the
    stack's own is the deliverer's). Every message then reaches the writer twice, which the
    merge makes harmless. A new subscription: the emulator does not push one a streaming pull
    has been attached to, even with a push config set later."""
    os.environ["PUBSUB_EMULATOR_HOST"] = stack.config.emulator_host
    from google.cloud import pubsub_v1

    with pubsub_v1.SubscriberClient() as admin:
        path = admin.subscription_path(stack.config.project, "e2e-emulator-push")
        admin.create_subscription(
            request={
                "name": path,
                "topic": f"projects/{stack.config.project}/topics/{stack.topology.topic}",
                "push_config": {"push_endpoint": stack.push_endpoint},
                "enable_message_ordering": True,
            }
        )
        try:
            yield
        finally:
            admin.delete_subscription(request={"subscription": path})


def test_the_emulators_own_push_still_delivers_a_payment(stack, emulator_push):
    payment = Payment(first_name="Emma")
    assert send_all(stack, card_success_events(payment)) == [200, 200]
    stack.wait_for_records({payment.intent_id: {"status": "succeeded", "paidWith": "Card"}})

    def emulator_pushes() -> list[dict]:
        # The emulator's envelopes carry no deliveryAttempt; the deliverer's always do.
        return [
            e
            for e in writer_log(stack)
            if e.get("payment_intent_id") == payment.intent_id and e.get("delivery_attempt") is None
        ]

    deadline = time.monotonic() + 30
    while len(emulator_pushes()) < 2:
        assert time.monotonic() < deadline, "the emulator did not push both messages"
        time.sleep(0.2)
    assert [e["http_status"] for e in emulator_pushes()] == [204, 204]


def test_a_refused_item_in_a_batch_is_dead_lettered_and_the_others_acked_once(stack, wix_faults):
    payments = [Payment(first_name=f"Batch{n}") for n in range(12)]
    refused = payments[5]
    # Wix answers slowly, so that concurrent pushes meet in batches, and refuses one item.
    wix_faults(latency_ms=100, refuse_items=[refused.intent_id])
    sent = {p.intent_id: card_success_events(p) for p in payments}
    events = [evt for evts in sent.values() for evt in evts]
    assert send_all(stack, events) == [200] * len(events)

    stack.wait_for_records(
        {p.intent_id: {"status": "succeeded", "paidWith": "Card"} for p in payments if p != refused}
    )
    letters = peek_dead_letters(stack, {refused.intent_id})
    assert "WDE0075" in letters[refused.intent_id]["dead_letter_reason"]
    assert refused.intent_id not in stack.records()

    ours = {p.intent_id for p in payments}
    pushes = [e for e in writer_log(stack) if e.get("payment_intent_id") in ours]
    answered = Counter((e["payment_intent_id"], e["event_id"], e["http_status"]) for e in pushes)
    for intent_id, evts in sent.items():
        for evt in evts:
            # Each message answered once, 204: applied, or (the refused item) dead-lettered.
            assert answered[(intent_id, evt["id"], 204)] == 1, (intent_id, evt["id"])
    assert not [e for e in pushes if e["http_status"] != 204]
    assert max(e.get("batch_size", 1) for e in pushes) > 1, "concurrent pushes formed batches"
    writes = stack.wix_stats()["items"]
    assert all(writes[p.intent_id]["write"] <= 2 for p in payments if p != refused)
