"""`PubSubPublisher`: publish and wait for Pub/Sub's acknowledgement, bounded in time.

Messages from all request threads share one publish stream: a background thread takes
whatever has queued up while the previous round was in flight, splits it by ordering key (Pub/Sub
refuses a Publish request whose messages have different ordering keys, FAILED_PRECONDITION; the
emulator does not check this) and sends one Publish call per key, the calls of one round in
parallel. The client library's per-key sequencers made one gRPC call and one thread per webhook
and cost as much CPU as everything else the webhook does (profile in docs/performance.md).

One round is in flight at a time, so messages reach Pub/Sub in the order `publish` was called:
a payment's events keep their order without the client library's per-key sequencers (and so
without its "paused ordering key" state after a failure). A lone message goes out at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.pubsub_v1 import PublisherClient, PubsubMessage

from servicekit.publishing import PublishError

__all__ = ["PubSubPublisher", "PublishError"]

log = logging.getLogger(__name__)

# Pub/Sub's limits for one Publish request are 1000 messages and 10 MB.
MAX_BATCH_MESSAGES = 1000
# Publish calls of one round sent at once (one per ordering key in the round).
MAX_PARALLEL_CALLS = 32
MAX_BATCH_BYTES = 9 * 1024 * 1024

# The codes the client library retries a publish on.
_TRANSIENT = api_retry.if_exception_type(
    api_exceptions.Aborted,
    api_exceptions.Cancelled,
    api_exceptions.DeadlineExceeded,
    api_exceptions.InternalServerError,
    api_exceptions.ResourceExhausted,
    api_exceptions.ServiceUnavailable,
    api_exceptions.Unknown,
)


class _Pending:
    __slots__ = ("abandoned", "done", "error", "message", "message_id", "size")

    def __init__(self, message: PubsubMessage, size: int) -> None:
        self.message = message
        self.size = size
        self.done = threading.Event()
        self.message_id: str | None = None
        self.error: BaseException | None = None
        self.abandoned = False  # the caller stopped waiting: no need to send it any more


class PubSubPublisher:
    def __init__(self, project: str, topic: str, timeout: float = 10.0, api: Any = None) -> None:
        self._timeout = timeout
        self._api = api if api is not None else _gapic_client()
        self.topic_path = self._api.topic_path(project, topic)
        self._retry = api_retry.Retry(
            predicate=_TRANSIENT, initial=0.05, maximum=1.0, timeout=timeout
        )
        self._queue: deque[_Pending] = deque()
        self._lock = threading.Condition()
        self._closed = False
        # Started on first use, in the process that publishes (gunicorn builds the app in
        # each worker after fork, and a thread does not survive a fork).
        self._sender: threading.Thread | None = None
        self._calls: ThreadPoolExecutor | None = None

    def publish(self, data: bytes, ordering_key: str, attributes: Mapping[str, str]) -> str:
        pending = _Pending(
            PubsubMessage(data=data, ordering_key=ordering_key, attributes=dict(attributes)),
            len(data) + len(ordering_key) + sum(len(k) + len(v) for k, v in attributes.items()),
        )
        with self._lock:
            if self._closed:
                raise PublishError(f"publish to {self.topic_path}: publisher closed")
            if self._sender is None:
                self._sender = threading.Thread(
                    target=self._send_forever, name="pubsub-publisher", daemon=True
                )
                self._sender.start()
            self._queue.append(pending)
            self._lock.notify()
        if not pending.done.wait(self._timeout):
            pending.abandoned = True
            raise PublishError(
                f"publish to {self.topic_path} not acknowledged within {self._timeout:g} s"
            )
        if pending.error is not None:
            raise PublishError(
                f"publish to {self.topic_path} failed: {type(pending.error).__name__}"
            ) from pending.error
        assert pending.message_id is not None
        return pending.message_id

    def _send_forever(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if not self._queue:
                    return
                batch = self._take()
            if batch:
                self._send(batch)

    def _take(self) -> list[_Pending]:
        batch: list[_Pending] = []
        size = 0
        while self._queue and len(batch) < MAX_BATCH_MESSAGES:
            head = self._queue[0]
            if batch and size + head.size > MAX_BATCH_BYTES:
                break
            self._queue.popleft()
            if not head.abandoned:
                batch.append(head)
                size += head.size
        return batch

    def _send(self, batch: list[_Pending]) -> None:
        """One Publish call per ordering key, in parallel; returns when all have answered, so
        that the next round cannot overtake this one on any key."""
        by_key: dict[str, list[_Pending]] = {}
        for pending in batch:
            by_key.setdefault(pending.message.ordering_key, []).append(pending)
        groups = list(by_key.values())
        if len(groups) == 1:
            self._send_group(groups[0])
            return
        if self._calls is None:
            self._calls = ThreadPoolExecutor(MAX_PARALLEL_CALLS, thread_name_prefix="pubsub-call")
        for call in [self._calls.submit(self._send_group, group) for group in groups]:
            call.result()

    def _send_group(self, group: list[_Pending]) -> None:
        try:
            response: Any = self._api.publish(
                topic=self.topic_path,
                messages=[p.message for p in group],
                retry=self._retry,
                timeout=self._timeout,
            )
            ids = list(response.message_ids)
            if len(ids) != len(group):
                raise RuntimeError(f"{len(ids)} message ids for {len(group)} messages")
        except Exception as exc:
            log.warning(
                "publish failed",
                extra={"topic": self.topic_path, "messages": len(group), "error": repr(exc)},
            )
            for pending in group:
                pending.error = exc
                pending.done.set()
            return
        for pending, message_id in zip(group, ids, strict=True):
            pending.message_id = message_id
            pending.done.set()

    def close(self) -> None:
        """Send what is queued, then stop."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        if self._sender is not None:
            self._sender.join(timeout=self._timeout + 1)
        if self._calls is not None:
            self._calls.shutdown(wait=False)
        self._api.transport.close()


def _gapic_client() -> PublisherClient:
    if os.environ.get("PUBSUB_EMULATOR_HOST"):
        # The emulator needs no credentials (the client connects to it without TLS by itself).
        from google.auth.credentials import AnonymousCredentials

        return PublisherClient(credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return PublisherClient()
