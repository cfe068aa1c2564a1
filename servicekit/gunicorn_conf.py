"""gunicorn settings for both services (the container's CMD and `python -m ingest|writer`).

gthread workers: a request mostly waits (Pub/Sub acknowledgement, Wix), so threads are cheap
concurrency; Pub/Sub and HTTP clients are built per worker, after fork, as gRPC requires.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 75
accesslog = None
errorlog = "-"
loglevel = "warning"
# Stripe bodies are small; anything far larger is refused by the app with 413 anyway.
limit_request_field_size = 16384


def _without_server_banner() -> None:
    """Drop gunicorn's `Server: gunicorn` response header: it tells a scanner what to try.

    gunicorn has no setting for it (benoitc/gunicorn#825) and ignores a Server header the app
    sets, so its Response.default_headers is wrapped here, once, in the master before it forks.
    """
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    if getattr(original, "without_server", False):
        return

    def default_headers(self: object) -> list[str]:
        return [h for h in original(self) if not h.lower().startswith("server:")]

    default_headers.without_server = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers


_without_server_banner()
