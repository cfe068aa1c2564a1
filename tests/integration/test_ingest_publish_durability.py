"""ingest against the real Pub/Sub emulator: 200 only after an acknowledged publish.

The emulator is stopped mid-test to make publishing fail; the webhook must answer 503 (Stripe
retries), and once Pub/Sub is back the same payment's ordering key must not be stuck.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devstack import emulator
from devstack.processes import Service, free_port
from devstack.stripe_fixtures import Payment, event, signed
from ingest.app import create_app
from ingest.config import IngestConfig
from servicekit.pubsub import PubSubPublisher

SECRET = "whsec_durability"
PROJECT = "durability-test"
AUDIT = "durability-audit"


class Emulator:
    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.log_dir = tmp_path
        self.service: Service | None = None

    def start(self) -> None:
        self.service = emulator.start_emulator(self.port, self.log_dir)
        emulator.create_topology(
            f"127.0.0.1:{self.port}", emulator.Topology(PROJECT), "http://127.0.0.1:9/none"
        )
        # A pull subscription on the main topic shows what was really published. A restarted
        # emulator starts empty, so every start makes it again.
        from google.cloud import pubsub_v1

        subscriber = pubsub_v1.SubscriberClient()
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(PROJECT, AUDIT),
                "topic": f"projects/{PROJECT}/topics/stripe-payments",
                "enable_message_ordering": True,
            }
        )
        subscriber.close()

    def stop(self) -> None:
        if self.service:
            self.service.stop()
            self.service = None


@pytest.fixture
def pubsub(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    running = Emulator(tmp_path)
    # Set before start (create_topology sets it too): monkeypatch restores the value from before
    # the test, not the address of this emulator, once it has stopped.
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{running.port}")
    try:
        running.start()
        yield running
    finally:
        running.stop()


def pull_all(project: str, subscription: str) -> list[dict[str, str]]:
    from google.cloud import pubsub_v1

    client = pubsub_v1.SubscriberClient()
    path = client.subscription_path(project, subscription)
    response = client.pull(request={"subscription": path, "max_messages": 100}, timeout=10)
    client.close()
    return [dict(m.message.attributes) for m in response.received_messages]


def test_publish_failure_answers_503_and_the_key_recovers_when_pubsub_returns(pubsub):
    publisher = PubSubPublisher(PROJECT, "stripe-payments", timeout=2.0)
    config = IngestConfig(
        project=PROJECT, topic="stripe-payments", webhook_secrets=(SECRET,), stripe_secret_key="sk"
    )
    client = create_app(config, publisher).test_client()
    payment = Payment(intent_id="pi_durable")

    def deliver(event_id: str):
        body, header = signed(
            event("charge.succeeded", payment.charge(), event_id=event_id), SECRET
        )
        return client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": header})

    assert deliver("evt_before").status_code == 200

    pubsub.stop()
    answers = [deliver(f"evt_down_{i}").status_code for i in range(2)]
    assert answers == [503, 503], "no 200 without an acknowledged publish"

    pubsub.start()
    # Stripe retries the same event, and so do we, for a while: the client may need a moment to
    # reconnect to the restarted emulator. A key left paused would never answer 200 again.
    deadline = time.monotonic() + 30
    while (answer := deliver("evt_down_0").status_code) != 200:
        assert answer == 503
        assert time.monotonic() < deadline, "the ordering key never recovered"
        time.sleep(0.2)  # a retry interval, as Stripe's back-off, not a wait for an event
    assert deliver("evt_after").status_code == 200
    published = [m["event_id"] for m in pull_all(PROJECT, AUDIT)]
    # Every 200 is backed by a publish. A publish answered 503 may still land later (the client
    # was retrying when Pub/Sub came back): a duplicate the writer's merge makes harmless.
    assert (
        {"evt_down_0", "evt_after"} <= set(published) <= {"evt_down_0", "evt_down_1", "evt_after"}
    )
    assert published[-1] == "evt_after", "one payment's events stay in publish order"
    publisher.close()
