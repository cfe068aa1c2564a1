"""`python -m writer redrive`: dead letters back to the main topic, acked only once republished.

One run drains what was dead-lettered before it started. A message that is still poison comes
straight back to the dead-letter topic; without that bound, a run without --max would republish
it forever. Newer letters are handed back (nacked) for a later run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from servicekit.publishing import Publisher, PublishError
from writer.deadletter import ADDED_ATTRIBUTES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    ack_id: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str
    # When it reached the dead-letter topic (Pub/Sub's publish time); None if unknown.
    dead_lettered: datetime | None = None


class DeadLetterSource(Protocol):
    def pull(self, max_messages: int) -> Sequence[DeadLetter]: ...

    def ack(self, ack_ids: Sequence[str]) -> None: ...

    def nack(self, ack_ids: Sequence[str]) -> None:
        """Hand the messages back at once, for a later run."""
        ...


@dataclass
class RedriveReport:
    republished: int = 0
    failed: int = 0
    left_for_later: int = 0


def redrive(
    source: DeadLetterSource,
    publisher: Publisher,
    max_messages: int | None,
) -> RedriveReport:
    started = datetime.now(UTC)
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
        newer = [b.ack_id for b in batch if b.dead_lettered and b.dead_lettered >= started]
        for letter in batch:
            if letter.ack_id in newer:
                continue
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
        if acked:
            source.ack(acked)
        if newer:
            source.nack(newer)
            report.left_for_later += len(newer)
        if (report.failed or newer) and not acked:
            break
    return report


class PubSubDeadLetterSource:
    """Synchronous pull on one subscription (the tests also read other subscriptions with it)."""

    def __init__(self, project: str, subscription: str, pull_timeout: float = 10.0) -> None:
        from google.cloud import pubsub_v1

        self._client = pubsub_v1.SubscriberClient()
        self._path = self._client.subscription_path(project, subscription)
        self.pull_timeout = pull_timeout

    def pull(self, max_messages: int) -> Sequence[DeadLetter]:
        from google.api_core import exceptions

        try:
            response = self._client.pull(
                request={"subscription": self._path, "max_messages": max_messages},
                timeout=self.pull_timeout,
            )
        except exceptions.DeadlineExceeded:
            # Pub/Sub holds a pull on an empty subscription open until the deadline: empty.
            return []
        return [
            DeadLetter(
                ack_id=m.ack_id,
                data=m.message.data,
                attributes=dict(m.message.attributes),
                ordering_key=m.message.ordering_key,
                dead_lettered=_publish_time(m.message),
            )
            for m in response.received_messages
        ]

    def ack(self, ack_ids: Sequence[str]) -> None:
        self._client.acknowledge(request={"subscription": self._path, "ack_ids": list(ack_ids)})

    def nack(self, ack_ids: Sequence[str]) -> None:
        self._client.modify_ack_deadline(
            request={
                "subscription": self._path,
                "ack_ids": list(ack_ids),
                "ack_deadline_seconds": 0,
            }
        )

    def close(self) -> None:
        self._client.close()


def _publish_time(message: Any) -> datetime | None:
    moment = getattr(message, "publish_time", None)
    if not isinstance(moment, datetime) or moment.timestamp() <= 0:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
