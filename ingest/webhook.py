"""POST /webhooks/stripe: verify, normalize, publish, and only then answer 200.

Stripe retries anything but a 2xx for days, so every answer here is chosen for what Stripe
will do next: 400 for what a retry cannot fix, 503 for what it can (publish not acknowledged).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence

from flask import Blueprint, Response, jsonify, request

from ingest.normalize import Ignored, MalformedEvent, normalize_event
from ingest.ports import publish_update
from ingest.signature import SignatureError, verify
from servicekit.publishing import Publisher, PublishError

log = logging.getLogger("ingest.webhook")


def webhook_blueprint(
    publisher: Publisher,
    secrets: Callable[[], Sequence[str]],
    clock: Callable[[], float],
) -> Blueprint:
    bp = Blueprint("webhook", __name__)

    @bp.post("/webhooks/stripe")
    def stripe_webhook() -> tuple[Response, int]:
        started = time.perf_counter()
        fields: dict[str, object] = {
            "event_id": None,
            "event_type": None,
            "payment_intent_id": None,
        }

        def answer(status: int, outcome: str, detail: str | None = None) -> tuple[Response, int]:
            fields["outcome"] = outcome
            fields["http_status"] = status
            fields["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
            if detail:
                fields["detail"] = detail
            level = logging.WARNING if status >= 400 else logging.INFO
            log.log(level, "stripe webhook %s", outcome, extra=fields)
            body: dict[str, object] = {"outcome": outcome}
            if status >= 400:
                body["error"] = detail or outcome
            return jsonify(body), status

        body = request.get_data(cache=False)
        if not body:
            return answer(400, "rejected", "empty body")
        in_force = secrets()
        if not in_force:
            # Only with STRIPE_WEBHOOK_SECRET_ID and Secret Manager unreadable since start: our
            # fault, not Stripe's, so ask for a retry rather than refuse.
            return answer(503, "secrets_unavailable", "no webhook signing secret could be read")
        try:
            verify(body, request.headers.get("Stripe-Signature"), in_force, clock())
        except SignatureError as exc:
            return answer(400, "rejected", str(exc))
        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return answer(400, "rejected", "body is not JSON")
        if not isinstance(event, dict):
            return answer(400, "rejected", "body is not a JSON object")
        fields["event_id"] = event.get("id")
        fields["event_type"] = event.get("type")
        try:
            result = normalize_event(event)
        except MalformedEvent as exc:
            return answer(400, "rejected", str(exc))
        if isinstance(result, Ignored):
            return answer(200, "ignored", result.reason)
        fields["payment_intent_id"] = result.payment_intent_id
        try:
            fields["message_id"] = publish_update(publisher, result)
        except PublishError as exc:
            return answer(503, "publish_failed", str(exc))
        return answer(200, "published")

    return bp
