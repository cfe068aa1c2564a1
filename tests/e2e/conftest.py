"""One real local stack for the end-to-end tests: emulator, Wix stand-in, writer, ingest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest

from devstack.stack import Stack, StackConfig
from writer.redrive import PubSubDeadLetterSource


class Audit:
    """A pull subscription on the main topic: what ingest really published.

    Not only ingest publishes there: `redrive` sends dead letters back, poison messages with
    no attributes among them, so readers of `seen` use .get for the attributes they match.
    """

    def __init__(self, emulator_host: str, project: str) -> None:
        os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host
        from google.cloud import pubsub_v1

        with pubsub_v1.SubscriberClient() as admin:
            admin.create_subscription(
                request={
                    "name": admin.subscription_path(project, "e2e-audit"),
                    "topic": f"projects/{project}/topics/stripe-payments",
                }
            )
        # A short pull: each empty answer costs drain() the whole pull timeout.
        self._source = PubSubDeadLetterSource(project, "e2e-audit", pull_timeout=5)
        self.seen: list[dict[str, str]] = []

    def drain(self, settle: float = 1.0) -> list[dict[str, str]]:
        """Pull until the subscription has been empty for `settle` seconds."""
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle:
            received = self._source.pull(100)
            if received:
                quiet_since = time.monotonic()
                self.seen.extend(dict(m.attributes) for m in received)
                self._source.ack([m.ack_id for m in received])
        return self.seen

    def close(self) -> None:
        self._source.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig.on_free_ports(tmp_path_factory.mktemp("stack"))
    running = Stack(config)
    # Starting the stack points PUBSUB_EMULATOR_HOST at its emulator (create_topology sets it);
    # set here first so that the value from before the session comes back, not a stopped
    # emulator's address.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PUBSUB_EMULATOR_HOST", config.emulator_host)
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


@pytest.fixture
def wix_faults(stack: Stack) -> Iterator[Callable[..., None]]:
    """Sets the Wix stand-in's fault plan; the stack is shared, so Wix is healthy again after."""
    yield stack.set_wix_faults
    stack.set_wix_faults()
