"""One real local stack for the end-to-end tests: emulator, Wix stand-in, writer, ingest."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from devstack.stack import Stack, StackConfig

from .pulling import pull


class Audit:
    """A pull subscription on the main topic: what ingest really published."""

    def __init__(self, emulator_host: str, project: str) -> None:
        os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host
        from google.cloud import pubsub_v1

        self._client = pubsub_v1.SubscriberClient()
        self.path = self._client.subscription_path(project, "e2e-audit")
        topic = f"projects/{project}/topics/stripe-payments"
        self._client.create_subscription(request={"name": self.path, "topic": topic})
        self.seen: list[dict[str, str]] = []

    def drain(self, settle: float = 1.0) -> list[dict[str, str]]:
        """Pull until the subscription has been empty for `settle` seconds."""
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle:
            received = pull(self._client, self.path, 100)
            if received:
                quiet_since = time.monotonic()
                self.seen.extend(dict(m.message.attributes) for m in received)
                self._client.acknowledge(
                    request={"subscription": self.path, "ack_ids": [m.ack_id for m in received]}
                )
        return self.seen

    def close(self) -> None:
        self._client.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig.on_free_ports(tmp_path_factory.mktemp("stack"))
    running = Stack(config)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def audit(stack: Stack) -> Iterator[Audit]:
    subscription = Audit(stack.config.emulator_host, stack.config.project)
    yield subscription
    subscription.close()
