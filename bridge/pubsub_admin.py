"""`PubSubAdmin`: what doctor reads from Pub/Sub, through Google's admin clients.

The clients honour PUBSUB_EMULATOR_HOST (the local stack) by themselves. The dead-letter backlog
is counted by pulling and at once releasing (nack) up to `PEEK_LIMIT` messages: the emulator has
no Cloud Monitoring, and on Cloud the count is the same one the dead-letter alert reads, only
capped. Released messages are redelivered at once; `writer redrive` still finds them all.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

PEEK_LIMIT = 100
CLOUD_PULL_TIMEOUT = 5.0


class PubSubAdmin:
    def __init__(self, project: str) -> None:
        from google.cloud import pubsub_v1

        self.project = project
        self.emulator = bool(os.environ.get("PUBSUB_EMULATOR_HOST"))
        self._publisher = pubsub_v1.PublisherClient()
        self._subscriber = pubsub_v1.SubscriberClient()

    def topic_exists(self, topic: str) -> bool:
        from google.api_core import exceptions

        try:
            self._publisher.get_topic(
                request={"topic": self._publisher.topic_path(self.project, topic)}
            )
        except exceptions.NotFound:
            return False
        return True

    def subscription(self, subscription: str) -> dict[str, Any] | None:
        """The subscription as a dict of the API's fields (snake_case), or None."""
        from google.api_core import exceptions

        path = self._subscriber.subscription_path(self.project, subscription)
        try:
            found = self._subscriber.get_subscription(request={"subscription": path})
        except exceptions.NotFound:
            return None
        as_dict: dict[str, Any] = type(found).to_dict(found)
        return as_dict

    def backlog(self, subscription: str) -> tuple[int, bool]:
        """(messages seen, whether there may be more than that)."""
        from google.api_core import exceptions

        path = self._subscriber.subscription_path(self.project, subscription)
        request: dict[str, Any] = {"subscription": path, "max_messages": PEEK_LIMIT}
        if self.emulator:
            # The emulator answers an empty subscription at once when asked to.
            request["return_immediately"] = True
        try:
            with warnings.catch_warnings():
                # Deprecated for Cloud, where it is not sent; the emulator still honours it.
                warnings.simplefilter("ignore", DeprecationWarning)
                response = self._subscriber.pull(request=request, timeout=CLOUD_PULL_TIMEOUT)
        except exceptions.DeadlineExceeded:
            return 0, False
        ack_ids = [m.ack_id for m in response.received_messages]
        if ack_ids:
            self._subscriber.modify_ack_deadline(
                request={"subscription": path, "ack_ids": ack_ids, "ack_deadline_seconds": 0}
            )
        return len(ack_ids), len(ack_ids) >= PEEK_LIMIT

    def close(self) -> None:
        self._subscriber.close()
