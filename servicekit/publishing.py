"""The publish port both services use, without the Google client: cores and tests import this,
and only servicekit.pubsub (the adapter) loads google-cloud-pubsub."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PublishError(RuntimeError):
    """The message was not acknowledged by Pub/Sub in time; the caller must not claim success."""


class Publisher(Protocol):
    """A Pub/Sub topic (adapter: servicekit.pubsub.PubSubPublisher)."""

    def publish(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> str:
        """Return Pub/Sub's message id once acknowledged; raise PublishError otherwise."""
        ...
