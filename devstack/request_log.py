"""One JSON line per request for the local stand-ins and the checkout page, as ingest and writer
log theirs: method, path (never the query, which may carry a client secret), status, latency."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from servicekit import logs


def install_request_log(app: Flask, service: str) -> None:
    logs.configure()
    log = logging.getLogger(service)

    @app.before_request
    def started() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        if request.path != "/healthz":  # polled while the stack starts
            began = g.get("request_started", time.perf_counter())
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "service": service,
                    "method": request.method,
                    "path": request.path,
                    "http_status": response.status_code,
                    "latency_ms": round((time.perf_counter() - began) * 1000, 2),
                },
            )
        return response
