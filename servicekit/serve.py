"""`python -m ingest` / `python -m writer`: run the service under gunicorn, as in production."""

from __future__ import annotations

import os
import sys


def serve(app_factory: str) -> None:
    """Replace this process with gunicorn serving `module:factory()` on $PORT."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:servicekit.gunicorn_conf",
        app_factory,
    ]
    os.execv(sys.executable, argv)
