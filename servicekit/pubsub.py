"""`PubSubPublisher`: publish and wait for Pub/Sub's acknowledgement, bounded in time.

Ordering is on, so one payment's messages reach the writer in publish order. When a publish on
an ordering key fails, the client pauses that key; `resume_publish` unpauses it so that the
next delivery of the same event (Stripe retries) can go through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from google.api_core import retry as api_retry
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.publisher.exceptions import PublishToPausedOrderingKeyException
from google.cloud.pubsub_v1.types import BatchSettings, PublisherOptions

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """The message was not acknowledged by Pub/Sub in time; the caller must not claim success."""


class PubSubPublisher:
    def __init__(self, project: str, topic: str, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._client = pubsub_v1.PublisherClient(
            # A webhook waits for its own message; a short batch window keeps that wait low.
            batch_settings=BatchSettings(max_messages=100, max_latency=0.002),
            publisher_options=PublisherOptions(
                enable_message_ordering=True,
                retry=api_retry.Retry(initial=0.05, maximum=1.0, timeout=timeout),
                timeout=timeout,
            ),
        )
        self.topic_path = self._client.topic_path(project, topic)

    def publish(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> str:
        for attempt in (1, 2):
            try:
                message_id: str = self._submit(data, ordering_key, attributes).result(
                    timeout=self._timeout
                )
            except PublishToPausedOrderingKeyException:
                # An earlier publish on this key failed after we had stopped waiting for it, and
                # the client paused the key. Unpause and submit again, once, so that one lost
                # acknowledgement never blocks a payment's later events.
                self._resume(ordering_key)
                if attempt == 2:
                    raise PublishError(
                        f"publish to {self.topic_path}: ordering key paused"
                    ) from None
            except Exception as exc:
                self._resume(ordering_key)
                raise PublishError(
                    f"publish to {self.topic_path} failed: {type(exc).__name__}"
                ) from exc
            else:
                return message_id
        raise AssertionError("unreachable")

    def _submit(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> Any:
        return self._client.publish(
            self.topic_path, data, ordering_key=ordering_key, **dict(attributes)
        )

    def _resume(self, ordering_key: str) -> None:
        if not ordering_key:
            return
        try:
            self._client.resume_publish(self.topic_path, ordering_key)
        except RuntimeError:
            pass  # not paused (still in flight, or already resumed): nothing to undo

    def close(self) -> None:
        self._client.stop()
