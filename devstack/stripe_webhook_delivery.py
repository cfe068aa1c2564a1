"""The Stripe stand-in delivers the events it emits to its webhook endpoints, signed, as Stripe does.

Each new event goes to every enabled endpoint whose `enabled_events` name its type (or `*`): a
POST of the event's JSON with `Content-Type: application/json; charset=utf-8` and
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body" under the endpoint's secret>`
(https://docs.stripe.com/webhooks#verify-manually). A 2xx is a delivery; anything else, or no
answer within the timeout, is retried with exponential back-off (Stripe retries for up to three
days; the stand-in gives up after `MAX_ATTEMPTS`). Deliveries run in the background, in no
guaranteed order, as Stripe's do. The event's `pending_webhooks` counts endpoints still owed a
delivery; an event whose delivery failed once is listed by `GET /v1/events?delivery_success=false`.

Not Stripe: `GET /_standin/webhook_deliveries` lists every attempt (event, endpoint, status).
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, Response, jsonify

from devstack.stripe_standin import StandinApi
from ingest.signature import sign

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 1.0
TIMEOUT_SECONDS = 10.0
SENDERS = 4


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    url: str = field(compare=False)
    secret: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(default=1, compare=False)


def wants(endpoint: dict[str, Any], event_type: str) -> bool:
    events = endpoint.get("enabled_events") or []
    return endpoint.get("status") == "enabled" and ("*" in events or event_type in events)


class WebhookDelivery:
    """A scheduler thread hands due deliveries to a few sender threads."""

    def __init__(
        self,
        api: StandinApi,
        post: Callable[..., Any] = requests.post,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = api
        self._post = post
        self._clock = clock
        self._due: list[_Job] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-delivery")
        self.attempts: list[dict[str, Any]] = []
        threading.Thread(target=self._schedule, name="webhook-scheduler", daemon=True).start()

    def on_event(self, event: dict[str, Any]) -> None:
        """Called under the stand-in's lock with each new event."""
        endpoints = [
            e for e in self._api.state.webhook_endpoints.values() if wants(e, event["type"])
        ]
        event["pending_webhooks"] = len(endpoints)
        if not endpoints:
            return
        body = json.dumps(event, indent=2).encode()
        with self._wake:
            for endpoint in endpoints:
                heapq.heappush(
                    self._due,
                    _Job(
                        time.monotonic(),
                        next(self._seq),
                        event["id"],
                        endpoint["id"],
                        endpoint["url"],
                        endpoint["secret"],
                        body,
                    ),
                )
            self._wake.notify()

    def _schedule(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0].due > time.monotonic():
                    self._wake.wait(
                        timeout=None if not self._due else self._due[0].due - time.monotonic()
                    )
                job = heapq.heappop(self._due)
            self._senders.submit(self._send, job)

    def _send(self, job: _Job) -> None:
        state = self._api.state
        with state.lock:
            endpoint = state.webhook_endpoints.get(job.endpoint_id)
            # A deleted or disabled endpoint is sent nothing more.
            live = endpoint is not None and endpoint.get("status") == "enabled"
        status: int | None = None
        error: str | None = None
        if live:
            timestamp = int(self._clock())
            try:
                response = self._post(
                    job.url,
                    data=job.body,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Stripe-Signature": sign(job.body, job.secret, timestamp),
                        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    },
                    timeout=TIMEOUT_SECONDS,
                )
                status = int(response.status_code)
            except requests.RequestException as exc:
                error = type(exc).__name__
        delivered = status is not None and 200 <= status < 300
        with state.lock:
            self.attempts.append(
                {
                    "event_id": job.event_id,
                    "endpoint_id": job.endpoint_id,
                    "url": job.url,
                    "attempt": job.attempt,
                    "status": status,
                    "error": error if live else "endpoint disabled or deleted",
                    "delivered": delivered,
                }
            )
            event = next((e for e in state.events if e["id"] == job.event_id), None)
            finished = delivered or not live or job.attempt >= MAX_ATTEMPTS
            if finished and event is not None:
                event["pending_webhooks"] = max(0, int(event["pending_webhooks"]) - 1)
            if not delivered and live:
                state.undelivered.add(job.event_id)
        if live and not delivered and job.attempt < MAX_ATTEMPTS:
            retry = _Job(
                time.monotonic() + FIRST_RETRY_SECONDS * 2 ** (job.attempt - 1),
                next(self._seq),
                job.event_id,
                job.endpoint_id,
                job.url,
                job.secret,
                job.body,
                job.attempt + 1,
            )
            with self._wake:
                heapq.heappush(self._due, retry)
                self._wake.notify()


def register(app: Flask, api: StandinApi) -> None:
    delivery = WebhookDelivery(api)
    api.state.listeners.append(delivery.on_event)

    @app.get("/_standin/webhook_deliveries")
    def webhook_deliveries() -> Response:
        with api.state.lock:
            return jsonify(list(delivery.attempts))
