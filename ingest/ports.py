"""What ingest needs from the outside world, as Protocols; adapters live beside them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Publisher(Protocol):
    def publish(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> str:
        """Return Pub/Sub's message id once acknowledged; raise PublishError otherwise."""
        ...


class Clock(Protocol):
    def __call__(self) -> float: ...
