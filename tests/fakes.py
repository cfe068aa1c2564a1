"""Hand-written fakes of the ports, for app factories (no patching)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from servicekit.oidc import OidcAuthError
from servicekit.pubsub import PublishError
from writer.wix import WixError


@dataclass
class Published:
    data: bytes
    ordering_key: str
    attributes: dict[str, str]


@dataclass
class FakePublisher:
    fail_with: Exception | None = None
    published: list[Published] = field(default_factory=list)

    def publish(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(Published(data, ordering_key, dict(attributes)))
        return str(len(self.published))


def failing_publisher() -> FakePublisher:
    return FakePublisher(fail_with=PublishError("publish to topic failed: DeadlineExceeded"))


@dataclass
class FakeCollection:
    """Wix's replace-on-save semantics, in memory; optional scripted failures."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_get: list[WixError] = field(default_factory=list)
    fail_save: list[WixError] = field(default_factory=list)
    reads: int = 0
    writes: int = 0

    def get(self, item_id: str) -> dict[str, Any] | None:
        self.reads += 1
        if self.fail_get:
            raise self.fail_get.pop(0)
        item = self.items.get(item_id)
        return copy.deepcopy(item) if item is not None else None

    def save(self, item_id: str, data: dict[str, Any]) -> str:
        if self.fail_save:
            raise self.fail_save.pop(0)
        self.writes += 1
        action = "UPDATED" if item_id in self.items else "INSERTED"
        self.items[item_id] = copy.deepcopy({**data, "_id": item_id})
        return action


@dataclass
class FakeAuthenticator:
    refuse: OidcAuthError | None = None
    seen: list[str | None] = field(default_factory=list)

    def verify(self, authorization: str | None) -> None:
        self.seen.append(authorization)
        if self.refuse:
            raise self.refuse
