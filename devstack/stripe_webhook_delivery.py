"""The Stripe stand-in sends its events to a webhook, signed, as Stripe does for an endpoint.

For the local stack (`make run` with no Stripe account): a payment confirmed on the local
checkout page reaches ingest's `/webhooks/stripe` the way a real one would, with a
`Stripe-Signature` header made with the endpoint's signing secret
(https://docs.stripe.com/webhooks#verify-events: `t=<unix time>,v1=<HMAC-SHA256 of "t.body">`).
Like Stripe, each event is retried, with growing pauses, until the endpoint answers 2xx; one
event that keeps failing does not hold back the others (Stripe does not promise an order
either).

Set STRIPE_STANDIN_WEBHOOK_URL and STRIPE_STANDIN_WEBHOOK_SECRET to turn it on (devstack's
`run` does); without them the stand-in only records events (GET /v1/events), as the tests that
play the webhook themselves need.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from flask import Flask

from devstack.stripe_fixtures import signed
from servicekit.settings import Env

log = logging.getLogger("stripe-standin.webhooks")


class WebhookDelivery:
    def __init__(
        self,
        state: Any,
        url: str,
        secret: str,
        session: requests.Session | None = None,
        max_pause: float = 5.0,
    ) -> None:
        self._state = state
        self._url = url
        self._secret = secret
        self._session = session or requests.Session()
        self._max_pause = max_pause
        self._sent: set[str] = set()
        # event id -> (attempts so far, monotonic time of the next attempt)
        self._retry: dict[str, tuple[int, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)

    @property
    def retrying(self) -> set[str]:
        """Events that failed at least once and wait for another attempt."""
        return set(self._retry)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _pending(self) -> list[dict[str, Any]]:
        with self._state.lock:
            events: list[dict[str, Any]] = list(self._state.events)
        return [e for e in events if e["id"] not in self._sent]

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for event in self._pending():
                if self._stop.is_set():
                    return
                attempts, due = self._retry.get(event["id"], (0, 0.0))
                if time.monotonic() < due:
                    continue
                if self._deliver(event):
                    self._sent.add(event["id"])
                    self._retry.pop(event["id"], None)
                else:
                    pause = min(self._max_pause, 0.5 * 2**attempts)
                    self._retry[event["id"]] = (attempts + 1, time.monotonic() + pause)

    def _deliver(self, event: dict[str, Any]) -> bool:
        body, header = signed(event, self._secret)
        fields = {"event_id": event["id"], "event_type": event["type"], "url": self._url}
        try:
            response = self._session.post(
                self._url,
                data=body,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                timeout=10,
            )
        except requests.RequestException as exc:
            log.warning("webhook not delivered", extra={**fields, "error": type(exc).__name__})
            return False
        ok = 200 <= response.status_code < 300
        log.log(
            logging.INFO if ok else logging.WARNING,
            "webhook delivered" if ok else "webhook refused; will retry",
            extra={**fields, "http_status": response.status_code},
        )
        return ok


def start_webhook_delivery_from_env(app: Flask) -> WebhookDelivery | None:
    env = Env()
    url = env.optional("STRIPE_STANDIN_WEBHOOK_URL")
    if not url:
        return None
    delivery = WebhookDelivery(
        app.extensions["stripe_standin_state"],
        url,
        env.required("STRIPE_STANDIN_WEBHOOK_SECRET", "signing secret of the webhook endpoint"),
    )
    delivery.start()
    return delivery
