"""The Wix Data stand-in served over real HTTP from a thread, for client-level tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from devstack.wix_standin import create_standin
from writer.wix import WixCollection

API_KEY = "test-wix-api-key"
SITE_ID = "test-wix-site"


@contextmanager
def serving(app: object) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 (a port the OS picks) until the block ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    # A short poll interval: shutdown() waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@contextmanager
def running_standin(state_dir: Path) -> Iterator[str]:
    with serving(create_standin(state_dir / "wix.sqlite3", API_KEY, SITE_ID)) as url:
        yield url


def wix_client(url: str, **kwargs: Any) -> WixCollection:
    """The writer's Wix client for the stand-in at `url`: its key, site and Payments, unless
    `kwargs` say otherwise (any other WixCollection option too)."""
    options = {"api_key": API_KEY, "site_id": SITE_ID, "collection_id": "Payments"} | kwargs
    return WixCollection(
        options.pop("api_key"),
        options.pop("site_id"),
        options.pop("collection_id"),
        base_url=url,
        **options,
    )
