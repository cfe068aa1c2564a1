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
