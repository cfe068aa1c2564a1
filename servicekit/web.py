"""What the Flask services install the same way: /healthz and the Cloud trace on log lines
(both), and a body limit that also holds for chunked requests (ingest, which faces the internet)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from servicekit import logs

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def install_common(app: Flask, service: str, project: str) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": service})

    @app.before_request
    def bind_trace() -> None:
        logs.current_trace.set(
            logs.trace_from_header(request.headers.get("X-Cloud-Trace-Context"), project)
        )


def install_body_limit(app: Flask, limit: int) -> None:
    """Refuse bodies over `limit` bytes with 413, sized or chunked, before any handler reads them."""
    app.config["MAX_CONTENT_LENGTH"] = limit
    app.wsgi_app = SizedChunkedBody(app.wsgi_app, limit)  # type: ignore[method-assign]
    readable = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit} bytes"

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> tuple[Response, int]:
        log.warning("request body too large", extra={"path": request.path, "limit": limit})
        return jsonify({"error": f"request body larger than {readable}"}), 413


class SizedChunkedBody:
    """WSGI middleware: give a chunked body (no Content-Length) a length, reading at most one
    byte past `limit`.

    Werkzeug's MAX_CONTENT_LENGTH only refuses a body whose Content-Length says it is too big;
    a chunked one it cuts short silently, so the handler would see a truncated body (a webhook's
    signature then fails with a misleading 400). Sized here, the usual limit answers 413.
    """

    def __init__(self, app: WSGIApplication, limit: int) -> None:
        self._app = app
        self._limit = limit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if get_content_length(environ) is None and environ.get("wsgi.input_terminated"):
            body: Any = environ["wsgi.input"].read(self._limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # Now a sized body, no longer a stream: Werkzeug checks the length against the limit.
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self._app(environ, start_response)
