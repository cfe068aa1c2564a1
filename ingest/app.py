"""ingest's app factory. `create_app` takes its collaborators; `create_app_from_env` builds them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ingest.config import IngestConfig
from ingest.ports import Publisher
from ingest.webhook import request_too_large, webhook_blueprint
from servicekit import logs

log = logging.getLogger("ingest")


def create_app(
    config: IngestConfig,
    publisher: Publisher,
    clock: Callable[[], float] = time.time,
    webhook_secrets: Callable[[], Sequence[str]] | None = None,
) -> Flask:
    app = Flask("ingest")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.register_blueprint(
        webhook_blueprint(publisher, webhook_secrets or (lambda: config.webhook_secrets), clock)
    )

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": "ingest"})

    @app.before_request
    def bind_trace() -> None:
        logs.current_trace.set(
            logs.trace_from_header(request.headers.get("X-Cloud-Trace-Context"), config.project)
        )

    app.register_error_handler(RequestEntityTooLarge, request_too_large)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        return jsonify({"error": exc.description or exc.name}), code

    return app


def create_app_from_env() -> Flask:
    """The one place real clients are built (gunicorn calls this once per worker)."""
    from servicekit.pubsub import PubSubPublisher

    logs.configure()
    config = IngestConfig.from_env()
    publisher = PubSubPublisher(config.project, config.topic, timeout=config.publish_timeout)
    log.info("ingest started", extra={"topic": publisher.topic_path})
    return create_app(config, publisher)
