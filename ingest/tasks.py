"""POST /tasks/reconcile: Cloud Scheduler's call, authenticated by its OIDC token.

Body (optional): {"since": "24h"}. 200 with the report when every event was published; 503
when some publish failed or Stripe could not be listed, so the scheduler's retry runs it again
(safe: reconcile is idempotent). Refused with 403 unless RECONCILE_AUDIENCE and
RECONCILE_SERVICE_ACCOUNT are configured: an unauthenticated reconcile would let anyone make
ingest call Stripe in a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request

from ingest.ports import StripeFailure, StripeGateway
from ingest.reconcile import DEFAULT_SINCE, InvalidSince, parse_since, reconcile
from servicekit.oidc import Authenticator, OidcAuthError
from servicekit.publishing import Publisher

log = logging.getLogger("ingest.tasks")


def tasks_blueprint(
    stripe: StripeGateway,
    publisher: Publisher,
    authenticator: Authenticator | None,
    clock: Callable[[], float],
) -> Blueprint:
    bp = Blueprint("tasks", __name__, url_prefix="/tasks")

    @bp.post("/reconcile")
    def reconcile_task() -> tuple[Response, int]:
        if authenticator is None:
            log.error(
                "reconcile refused: RECONCILE_AUDIENCE / RECONCILE_SERVICE_ACCOUNT not configured"
            )
            return jsonify({"error": "reconcile endpoint is not configured"}), 403
        try:
            authenticator.verify(request.headers.get("Authorization"))
        except OidcAuthError as exc:
            log.warning(
                "reconcile refused", extra={"http_status": exc.status, "detail": exc.reason}
            )
            return jsonify({"error": exc.reason}), exc.status
        body = request.get_json(silent=True)
        since_text = body.get("since") if isinstance(body, dict) else None
        since_text = since_text or request.args.get("since") or DEFAULT_SINCE
        try:
            since = parse_since(str(since_text))
        except InvalidSince as exc:
            return jsonify({"error": str(exc)}), 400
        try:
            report = reconcile(stripe, publisher, int(clock()) - since)
        except StripeFailure as exc:
            log.error(
                "reconcile could not list Stripe events",
                extra={
                    "stripe_error": exc.kind,
                    "stripe_status": exc.http_status,
                    "detail": exc.message,
                },
            )
            return jsonify({"error": f"Stripe events could not be listed ({exc.kind})"}), 503
        return jsonify({"since": since_text, **report.as_dict()}), 200 if report.ok else 503

    return bp
