"""`python -m writer redrive`: dead letters back to the main topic, acked only once republished."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from servicekit.pubsub import PublishError
from writer.deadletter import ADDED_ATTRIBUTES
from writer.ports import Publisher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    ack_id: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str


class DeadLetterSource(Protocol):
    def pull(self, max_messages: int) -> Sequence[DeadLetter]: ...

    def ack(self, ack_ids: Sequence[str]) -> None: ...


@dataclass
class RedriveReport:
    republished: int = 0
    failed: int = 0


def redrive(
    source: DeadLetterSource,
    publisher: Publisher,
    max_messages: int | None,
    on_message: Callable[[DeadLetter], None] = lambda _: None,
) -> RedriveReport:
    report = RedriveReport()
    while max_messages is None or report.republished + report.failed < max_messages:
        want = (
            100
            if max_messages is None
            else min(100, max_messages - report.republished - report.failed)
        )
        batch = source.pull(want)
        if not batch:
            break
        acked: list[str] = []
        for letter in batch:
            attributes = {k: v for k, v in letter.attributes.items() if k not in ADDED_ATTRIBUTES}
            key = letter.ordering_key or attributes.get("payment_intent_id", "")
            try:
                publisher.publish(letter.data, key, attributes)
            except PublishError as exc:
                # Left unacked: it stays in the dead-letter subscription for the next redrive.
                log.error(
                    "redrive publish failed", extra={"payment_intent_id": key, "error": str(exc)}
                )
                report.failed += 1
                continue
            acked.append(letter.ack_id)
            report.republished += 1
            on_message(letter)
        if acked:
            source.ack(acked)
        if report.failed and not acked:
            break
    return report


class PubSubDeadLetterSource:
    def __init__(self, project: str, subscription: str) -> None:
        from google.cloud import pubsub_v1

        self._client = pubsub_v1.SubscriberClient()
        self._path = self._client.subscription_path(project, subscription)

    def pull(self, max_messages: int) -> Sequence[DeadLetter]:
        from google.api_core import exceptions

        try:
            response = self._client.pull(
                request={"subscription": self._path, "max_messages": max_messages}, timeout=10
            )
        except exceptions.DeadlineExceeded:
            return []
        return [
            DeadLetter(
                ack_id=m.ack_id,
                data=m.message.data,
                attributes=dict(m.message.attributes),
                ordering_key=m.message.ordering_key,
            )
            for m in response.received_messages
        ]

    def ack(self, ack_ids: Sequence[str]) -> None:
        self._client.acknowledge(request={"subscription": self._path, "ack_ids": list(ack_ids)})
