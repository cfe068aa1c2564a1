"""PubSubPublisher over a fake Publish API that enforces what real Pub/Sub enforces.

Real Pub/Sub answers FAILED_PRECONDITION to a Publish request whose messages carry different
ordering keys ("all messages must have no ordering key or they must all have the same ordering
key"); the emulator accepts it, so only this fake can catch a publisher that mixes keys.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from google.api_core import exceptions

from servicekit.pubsub import PublishError, PubSubPublisher


@dataclass
class Answer:
    message_ids: list[str]


class StrictPublishApi:
    def __init__(self, delay: float = 0.02, fail: Exception | None = None) -> None:
        self.delay = delay
        self.fail = fail
        self.calls: list[list[tuple[str, bytes]]] = []
        self._lock = threading.Lock()
        self._next = 0

    class transport:
        @staticmethod
        def close() -> None:
            return None

    def topic_path(self, project: str, topic: str) -> str:
        return f"projects/{project}/topics/{topic}"

    def publish(self, topic, messages, retry=None, timeout=None):
        keys = {m.ordering_key for m in messages}
        if len(keys) > 1:
            raise exceptions.FailedPrecondition(
                "In a single publish request, all messages must have no ordering key or they "
                "must all have the same ordering key."
            )
        time.sleep(self.delay)  # one RPC's round trip, so that concurrent publishes queue up
        if self.fail is not None:
            raise self.fail
        with self._lock:
            self.calls.append([(m.ordering_key, m.data) for m in messages])
            ids = [str(self._next + i) for i in range(len(messages))]
            self._next += len(messages)
        return Answer(ids)


def publish_concurrently(
    publisher: PubSubPublisher, messages: list[tuple[str, bytes]]
) -> list[object]:
    results: list[object] = [None] * len(messages)

    def one(index: int, key: str, data: bytes) -> None:
        try:
            results[index] = publisher.publish(data, key, {"payment_intent_id": key})
        except PublishError as exc:
            results[index] = exc

    threads = [threading.Thread(target=one, args=(i, k, d)) for i, (k, d) in enumerate(messages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_concurrent_publishes_of_different_payments_all_succeed():
    api = StrictPublishApi()
    publisher = PubSubPublisher("p", "t", timeout=5, api=api)
    messages = [(f"pi_{i % 8}", f"m{i}".encode()) for i in range(40)]
    results = publish_concurrently(publisher, messages)
    assert all(isinstance(r, str) for r in results), results
    assert all(len({key for key, _ in call}) == 1 for call in api.calls)
    publisher.close()


def test_one_payments_messages_reach_pubsub_in_publish_order():
    api = StrictPublishApi(delay=0.01)
    publisher = PubSubPublisher("p", "t", timeout=5, api=api)
    for i in range(20):
        publisher.publish(f"{i}".encode(), "pi_same", {})
    sent = [data for call in api.calls for key, data in call if key == "pi_same"]
    assert sent == [f"{i}".encode() for i in range(20)]
    publisher.close()


def test_a_refused_publish_is_an_error_not_a_success():
    publisher = PubSubPublisher(
        "p", "t", timeout=2, api=StrictPublishApi(fail=exceptions.PermissionDenied("no"))
    )
    with pytest.raises(PublishError, match="PermissionDenied"):
        publisher.publish(b"x", "pi_1", {})
    publisher.close()


def test_no_acknowledgement_within_the_timeout_is_an_error():
    publisher = PubSubPublisher("p", "t", timeout=0.2, api=StrictPublishApi(delay=1.0))
    with pytest.raises(PublishError, match="not acknowledged"):
        publisher.publish(b"x", "pi_1", {})
    publisher.close()
