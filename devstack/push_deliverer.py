"""Push delivery for the local stack the way Cloud Pub/Sub does it: many messages at once.

Why: the emulator's own push sends one message at a time per subscription (it pulls one, POSTs
it, waits for the answer), so locally the writer would never see two pushes at once and never
form a batch. Cloud Pub/Sub push sends many at once, one at a time per ordering key, retrying
any answer but 2xx with backoff, and after the dead-letter policy's attempts forwards the
message to the dead-letter topic.

This process plays that part for a pull subscription on the emulator. It streaming-pulls the
subscription, POSTs each message to the endpoint as Cloud's push envelope (with
`deliveryAttempt` and `orderingKey`, which the emulator's push leaves out), with up to
`--concurrency` requests in flight and one per ordering key, in order. The emulator's facts
(design.md, "Local stack") shape it:
- a streaming pull gets every message at once, whatever the flow control, and a message read
  after the stream's ack deadline has an expired ack id: the stream's deadline is set to the
  maximum (600 s) and messages wait here, queued by key, rather than in the client;
- a nack comes back at once, with no backoff, and a message nacked up to a dead-letter policy's
  limit wedges the subscription: so this process never relies on nacks. It retries a message
  itself, with backoff, holding back the later messages of its key (as Cloud does for ordered
  delivery), and after `--max-attempts` publishes it to the dead-letter topic with the reason
  (the attributes the writer's own dead letters carry, so `redrive` handles both) and acks it.
On SIGTERM or SIGINT it stops pulling and nacks what it has not delivered, so that the next
deliverer (or the emulator's own push) gets it at once.

Run: `python -m devstack.push_deliverer PROJECT SUBSCRIPTION ENDPOINT --dead-letter-topic T`.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import random
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import requests

from writer.apply import RetryPolicy, backoff
from writer.deadletter import DEAD_LETTERED_AT, DELIVERY_ATTEMPT, ORIGINAL_MESSAGE_ID, REASON

log = logging.getLogger("devstack.push_deliverer")

# The emulator's (and Pub/Sub's) longest stream ack deadline.
STREAM_ACK_DEADLINE = 600


@dataclass(frozen=True)
class DeliveryPolicy:
    concurrency: int = 64
    # Pub/Sub's highest max_delivery_attempts: with the local backoff below about 16 minutes of
    # failures before a message is dead-lettered (Cloud's 20 attempts at 10-600 s: about 2 h).
    max_attempts: int = 100
    # The local subscription's retry policy (devstack/emulator.py): 1 s doubling up to 10 s.
    first_backoff: float = 1.0
    max_backoff: float = 10.0
    # Cloud Run's request timeout for the writer, and the push subscription's ack deadline.
    timeout: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        # The writer's jittered exponential backoff, with Pub/Sub's local bounds.
        bounds = RetryPolicy(first_backoff=self.first_backoff, max_backoff=self.max_backoff)
        return backoff(bounds, attempt, rng)


class Message(Protocol):
    """What the deliverer uses of a pulled message (google.cloud.pubsub_v1's Message)."""

    data: bytes
    attributes: Any
    message_id: str
    ordering_key: str
    publish_time: Any

    def ack(self) -> None: ...

    def nack(self) -> None: ...


def envelope(message: Message, subscription: str, attempt: int) -> dict[str, Any]:
    """The JSON body Cloud Pub/Sub push POSTs (deliveryAttempt is set with a dead-letter policy)."""
    published = message.publish_time
    return {
        "message": {
            "data": base64.b64encode(message.data).decode(),
            "attributes": dict(message.attributes),
            "messageId": message.message_id,
            "message_id": message.message_id,
            "publishTime": published.isoformat().replace("+00:00", "Z"),
            "orderingKey": message.ordering_key,
        },
        "subscription": subscription,
        "deliveryAttempt": attempt,
    }


class Deliverer:
    """Per ordering key a queue, one delivery in flight per key, `concurrency` in all."""

    def __init__(
        self,
        post: Callable[[dict[str, Any]], int],
        dead_letter: Callable[[Message, str, int], None],
        subscription: str,
        policy: DeliveryPolicy,
    ) -> None:
        self._post = post
        self._dead_letter = dead_letter
        self._subscription = subscription
        self._policy = policy
        self._rng = random.Random()
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Message]] = {}
        self._active: set[int] = set()  # messages being delivered (by id())
        self._pool = ThreadPoolExecutor(policy.concurrency, thread_name_prefix="deliver")
        self._stopping = threading.Event()
        self.delivered = 0
        self.dead_lettered = 0

    def add(self, message: Message) -> None:
        """Called by the streaming pull for each message; returns at once."""
        # A message without ordering key is ordered with nothing: a queue of its own.
        key = message.ordering_key or f"\0{message.message_id}"
        with self._lock:
            if self._stopping.is_set():
                message.nack()
                return
            queue = self._queues.setdefault(key, deque())
            queue.append(message)
            if len(queue) == 1:
                self._pool.submit(self._drain, key)

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues.get(key)
                if self._stopping.is_set() or not queue:
                    return
                message = queue[0]
                self._active.add(id(message))
            try:
                self._deliver(message)
            except Exception:  # a bug must not wedge the key: log, and let the stream redeliver
                log.exception("delivery of %s failed", message.message_id)
                message.nack()
            with self._lock:
                self._active.discard(id(message))
                if self._stopping.is_set():
                    return
                queue.popleft()
                if not queue:
                    del self._queues[key]
                    return

    def _deliver(self, message: Message) -> None:
        attempt = 0
        while not self._stopping.is_set():
            attempt += 1
            status = self._post(envelope(message, self._subscription, attempt))
            if 200 <= status < 300 or status == 102:
                message.ack()
                self.delivered += 1
                return
            if attempt >= self._policy.max_attempts:
                self._dead_letter(message, f"push answered {status or 'nothing'}", attempt)
                message.ack()
                self.dead_lettered += 1
                return
            self._stopping.wait(self._policy.backoff(attempt, self._rng))
        message.nack()

    def stop(self) -> None:
        """Deliver nothing more; what is not delivered goes back to the subscription at once
        (the message in delivery is nacked when its attempt ends)."""
        with self._lock:
            self._stopping.set()
            waiting = [m for q in self._queues.values() for m in q if id(m) not in self._active]
        for message in waiting:
            message.nack()
        self._pool.shutdown(wait=True, cancel_futures=True)


def deliver_forever(
    project: str, subscription: str, endpoint: str, dead_letter_topic: str, policy: DeliveryPolicy
) -> None:
    from google.cloud import pubsub_v1
    from google.cloud.pubsub_v1.types import FlowControl

    from servicekit.pubsub import PubSubPublisher

    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(project, subscription)
    dead_letters = PubSubPublisher(project, dead_letter_topic)
    local = threading.local()

    def post(body: dict[str, Any]) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        session: requests.Session = local.session
        try:
            return session.post(endpoint, json=body, timeout=policy.timeout).status_code
        except requests.RequestException:
            return 0

    def dead_letter(message: Message, reason: str, attempts: int) -> None:
        attributes = dict(message.attributes)
        attributes.update(
            {
                REASON: f"{reason} after {attempts} delivery attempts (local push deliverer)",
                ORIGINAL_MESSAGE_ID: message.message_id,
                DEAD_LETTERED_AT: datetime.now(UTC).isoformat(timespec="seconds"),
                DELIVERY_ATTEMPT: str(attempts),
            }
        )
        dead_letters.publish(message.data, message.ordering_key, attributes)
        log.warning("dead-lettered %s: %s", message.message_id, reason)

    deliverer = Deliverer(post, dead_letter, path, policy)

    def open_stream() -> Any:
        return subscriber.subscribe(
            path,
            deliverer.add,
            # Everything the emulator sends is taken and queued here (it ignores flow control anyway);
            # leases of 600 s so that a queued message's ack id is still good when its turn comes.
            flow_control=FlowControl(
                max_messages=1_000_000,
                max_bytes=1 << 40,
                min_duration_per_lease_extension=STREAM_ACK_DEADLINE,
                max_duration_per_lease_extension=STREAM_ACK_DEADLINE,
            ),
            await_callbacks_on_shutdown=False,
        )

    future = open_stream()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"delivering {path} -> {endpoint}, up to {policy.concurrency} at once, one per "
        f"ordering key; dead letters to {dead_letter_topic} after {policy.max_attempts} attempts",
        flush=True,
    )
    while not stop.wait(1.0):
        if future.done():
            # The stream ended: the subscription was deleted (an operator or a test re-creating
            # it) or the emulator restarted. Cloud's push resumes once the subscription is back,
            # so this subscribes again, once a second, until it is.
            try:
                future.result()
            except Exception as exc:  # any end of the stream is retried alike
                log.warning("stream on %s ended (%s); subscribing again", path, exc)
            future = open_stream()
    deliverer.stop()
    future.cancel()
    subscriber.close()
    dead_letters.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.push_deliverer", description=__doc__)
    parser.add_argument("project")
    parser.add_argument("subscription")
    parser.add_argument("endpoint")
    parser.add_argument("--dead-letter-topic", default="stripe-payments-dead-letter")
    parser.add_argument("--concurrency", type=int, default=DeliveryPolicy.concurrency)
    parser.add_argument("--max-attempts", type=int, default=DeliveryPolicy.max_attempts)
    args = parser.parse_args(argv)
    if not os.environ.get("PUBSUB_EMULATOR_HOST"):
        parser.error("the deliverer is for the local emulator: set PUBSUB_EMULATOR_HOST")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    policy = DeliveryPolicy(concurrency=args.concurrency, max_attempts=args.max_attempts)
    deliver_forever(args.project, args.subscription, args.endpoint, args.dead_letter_topic, policy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
