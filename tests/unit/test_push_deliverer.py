"""The local push deliverer: many keys at once, one at a time per key, retries, dead letters."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from devstack.push_deliverer import Deliverer, DeliveryPolicy

FAST = DeliveryPolicy(concurrency=8, max_attempts=3, first_backoff=0.001, max_backoff=0.002)


@dataclass
class FakeMessage:
    message_id: str
    ordering_key: str
    data: bytes = b"{}"
    attributes: dict = field(default_factory=dict)
    publish_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    acked: int = 0
    nacked: int = 0

    def ack(self) -> None:
        self.acked += 1

    def nack(self) -> None:
        self.nacked += 1


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


class Endpoint:
    """Answers from a script per message id (default 204); records what it saw and when."""

    def __init__(self, answers=None, hold=None):
        self.answers = answers or {}
        self.hold = hold
        self.seen: list[tuple[str, int]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def __call__(self, body):
        message_id = body["message"]["messageId"]
        with self.lock:
            self.seen.append((message_id, body["deliveryAttempt"]))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.hold is not None:
            assert self.hold.wait(10)
        with self.lock:
            self.in_flight -= 1
        script = self.answers.get(message_id, [])
        return script.pop(0) if script else 204


def deliverer(endpoint, dead=None, policy=FAST):
    dead = dead if dead is not None else []
    return Deliverer(
        endpoint, lambda m, reason, n: dead.append((m.message_id, reason, n)), "s", policy
    )


def test_messages_of_different_keys_are_in_flight_at_once():
    hold = threading.Event()
    endpoint = Endpoint(hold=hold)
    d = deliverer(endpoint)
    messages = [FakeMessage(f"m{n}", f"pi_{n}") for n in range(5)]
    for m in messages:
        d.add(m)
    wait_for(lambda: endpoint.in_flight == 5)
    hold.set()
    wait_for(lambda: all(m.acked == 1 for m in messages))
    d.stop()


def test_one_key_is_delivered_one_at_a_time_in_order_and_a_failure_holds_the_rest():
    endpoint = Endpoint(answers={"a1": [503, 500]})
    d = deliverer(endpoint)
    messages = [FakeMessage(f"a{n}", "pi_a") for n in range(1, 4)]
    for m in messages:
        d.add(m)
    wait_for(lambda: all(m.acked == 1 for m in messages))
    assert endpoint.seen == [("a1", 1), ("a1", 2), ("a1", 3), ("a2", 1), ("a3", 1)]
    assert endpoint.most_in_flight == 1
    assert all(m.nacked == 0 for m in messages), (
        "never a nack: the emulator would redeliver at once"
    )
    d.stop()


def test_after_the_last_attempt_the_message_is_dead_lettered_and_acked_and_the_key_goes_on():
    dead: list = []
    endpoint = Endpoint(answers={"b1": [500, 500, 400]})
    d = deliverer(endpoint, dead)
    first, second = FakeMessage("b1", "pi_b"), FakeMessage("b2", "pi_b")
    d.add(first)
    d.add(second)
    wait_for(lambda: second.acked == 1)
    assert dead == [("b1", "push answered 400", 3)]
    assert first.acked == 1 and d.dead_lettered == 1


def test_a_connection_refused_counts_as_a_failed_attempt():
    endpoint = Endpoint(answers={"c1": [0]})
    d = deliverer(endpoint)
    message = FakeMessage("c1", "pi_c")
    d.add(message)
    wait_for(lambda: message.acked == 1)
    assert [n for _, n in endpoint.seen] == [1, 2]


def test_stopping_gives_back_what_was_not_delivered_at_once():
    hold = threading.Event()
    endpoint = Endpoint(hold=hold)
    d = deliverer(endpoint)
    in_delivery, queued = FakeMessage("d1", "pi_d"), FakeMessage("d2", "pi_d")
    d.add(in_delivery)
    d.add(queued)
    wait_for(lambda: endpoint.in_flight == 1)
    stopper = threading.Thread(target=d.stop)
    stopper.start()
    wait_for(lambda: queued.nacked == 1)
    hold.set()
    stopper.join(10)
    assert in_delivery.acked == 1, "the delivery under way ended normally"
    late = FakeMessage("d3", "pi_e")
    d.add(late)
    assert late.nacked == 1
