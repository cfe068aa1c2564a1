"""`python -m ingest` / `python -m writer`: run the service under gunicorn, as in production."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from servicekit.settings import InvalidSetting, MissingSetting


def gunicorn_argv(app_factory: str) -> list[str]:
    """The command that serves `module:factory()` under gunicorn with the services' settings
    (the container's ENTRYPOINT says the same)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:servicekit.gunicorn_conf",
        app_factory,
    ]


def serve(app_factory: str) -> None:
    """Replace this process with gunicorn serving `module:factory()` on $PORT."""
    os.execv(sys.executable, gunicorn_argv(app_factory))


def serve_checked(load_config: Callable[[], object], app_factory: str) -> int:
    """Check the settings here, naming a missing one, rather than crash in every worker; then
    serve. Returns 2 (and does not serve) when a setting is missing or invalid."""
    try:
        load_config()
    except (MissingSetting, InvalidSetting) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    serve(app_factory)
    return 0
