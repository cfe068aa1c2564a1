"""Bench only: Pub/Sub push delivery with Cloud Pub/Sub's concurrency, for the local stack.

The emulator pushes one message at a time per subscription (its PushLoop pulls one message,
POSTs it, waits for the answer, then takes the next), so the writer never sees more than one
request at once and the end-to-end rate is 1 / (writer's answer time): with Wix answering in
500 ms, one message a second. Cloud Pub/Sub pushes many messages at once (and more as the
endpoint keeps up). This relay plays that part: it streaming-pulls the same subscription (with
its ordering, ack deadline and delivery attempts kept by the emulator), POSTs each message to
the writer as the push envelope Cloud sends, acks on 2xx and nacks otherwise after a pause (the
subscription's minimum backoff). One payment's messages still go one at a time, in order: the
emulator does not hand out a key's next message before the previous one is acked.

Run as its own process: `python -m bench.push_relay PROJECT SUBSCRIPTION ENDPOINT`.
"""

from __future__ import annotations

import argparse
import base64
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

NACK_PAUSE_SECONDS = 1.0


def envelope(message: Any, subscription: str) -> dict[str, Any]:
    publish_time = message.publish_time
    return {
        "message": {
            "data": base64.b64encode(message.data).decode(),
            "attributes": dict(message.attributes),
            "messageId": message.message_id,
            "message_id": message.message_id,
            "publishTime": publish_time.isoformat().replace("+00:00", "Z"),
            "orderingKey": message.ordering_key,
        },
        "subscription": subscription,
        "deliveryAttempt": message.delivery_attempt,
    }


def relay(project: str, subscription: str, endpoint: str, concurrency: int) -> None:
    from google.cloud import pubsub_v1
    from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler
    from google.cloud.pubsub_v1.types import FlowControl

    local = threading.local()
    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(project, subscription)

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        s: requests.Session = local.session
        return s

    def deliver(message: Any) -> None:
        try:
            status = session().post(endpoint, json=envelope(message, path), timeout=60).status_code
        except requests.RequestException:
            status = 0
        if 200 <= status < 300 or status == 102:
            message.ack()
        else:
            time.sleep(NACK_PAUSE_SECONDS)
            message.nack()

    future = subscriber.subscribe(
        path,
        deliver,
        flow_control=FlowControl(max_messages=concurrency),
        scheduler=ThreadScheduler(ThreadPoolExecutor(max_workers=concurrency)),
        await_callbacks_on_shutdown=False,
    )
    print(f"relaying {path} -> {endpoint} with {concurrency} at once", flush=True)
    future.result()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push_relay", description=__doc__)
    parser.add_argument("project")
    parser.add_argument("subscription")
    parser.add_argument("endpoint")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    assert os.environ.get("PUBSUB_EMULATOR_HOST"), "the relay is for the local emulator only"
    relay(args.project, args.subscription, args.endpoint, args.concurrency)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
