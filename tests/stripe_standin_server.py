"""The Stripe stand-in under gunicorn on a free port, as the local stack runs it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from devstack import processes


@contextmanager
def running_stripe_standin() -> Iterator[str]:
    port = processes.free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",  # state is in memory: one worker, many threads
        "GUNICORN_THREADS": "8",
    }
    service = processes.start_gunicorn(
        "stripe-standin",
        "devstack.stripe_standin:create_stripe_standin_from_env()",
        f"http://127.0.0.1:{port}",
        env,
    )
    try:
        yield service.url
    finally:
        service.stop()


class StandinControl:
    """The stand-in's /_standin/ controls, for tests."""

    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, path: str, body: Any = None) -> Any:
        response = requests.post(f"{self.url}/_standin/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> Any:
        response = requests.get(f"{self.url}/_standin/{path}", timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.post("reset")

    def settle(self, intent_id: str, **spec: Any) -> Any:
        return self.post(f"payment_intents/{intent_id}/outcome", spec)

    def fault(self, **spec: Any) -> None:
        self.post("faults", spec)

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.get("requests")
            if (method is None or r["method"] == method) and (path is None or r["path"] == path)
        ]
