"""The writer's group commit over real HTTP: concurrent pushes into the writer, the writer's
Wix client against the Wix stand-in, one item of a batch refused by Wix."""

from __future__ import annotations

import threading

import requests

from devstack.stripe_fixtures import Payment, card_success_events
from ingest.normalize import normalize_event
from tests.fakes import FakeAuthenticator, FakePublisher, push_envelope
from tests.integration.test_writer_push import CONFIG
from tests.standin_server import serving, wix_client
from writer.app import create_app
from writer.apply import RetryPolicy
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE
from writer.deadletter import REASON
from writer.groupcommit import GroupCommit, run_batch


def test_concurrent_pushes_share_batches_and_one_refused_item_fails_alone(standin):
    collection = wix_client(standin)
    collection.create_collection(load_schema(DEFAULT_SCHEMA_FILE, "Payments"))
    payments = [Payment(first_name=f"P{n}") for n in range(8)]
    refused = payments[3].intent_id
    # Wix answers slowly, so that pushes arriving during a commit join the next batch.
    requests.post(
        f"{standin}/_standin/faults", json={"latency_ms": 150, "refuse_items": [refused]}, timeout=5
    ).raise_for_status()
    dead_letters = FakePublisher()
    policy = RetryPolicy()
    commit = GroupCommit(
        lambda updates, timer: run_batch(collection, updates, policy, timer=timer), window=0.05
    )
    app = create_app(CONFIG, collection, dead_letters, FakeAuthenticator(), policy, commit)
    updates = [normalize_event(card_success_events(p)[0]) for p in payments]
    answers: dict[str, int] = {}

    with serving(app) as writer:

        def push(n: int) -> None:
            update = updates[n]
            body = push_envelope(update.to_json(), update.attributes(), message_id=f"m-{n}")
            answer = requests.post(f"{writer}/pubsub/push", json=body, timeout=30)
            answers[update.payment_intent_id] = answer.status_code

        threads = [threading.Thread(target=push, args=(n,)) for n in range(len(updates))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    assert answers == {p.intent_id: 204 for p in payments}
    [letter] = dead_letters.published
    assert letter.ordering_key == refused
    assert "WDE0075" in letter.attributes[REASON]
    stats = requests.get(f"{standin}/_standin/stats", timeout=5).json()
    items = stats["items"]
    assert all(items[p.intent_id]["write"] == 1 for p in payments if p.intent_id != refused)
    assert refused not in items or items[refused]["write"] == 0
    # Eight messages, fewer Wix requests than one read and one save each would take.
    assert stats["requests"]["read"] + stats["requests"]["write"] < 8
