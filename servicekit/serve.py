"""`python -m ingest` / `python -m writer`: run the service under gunicorn, as in production."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from servicekit.credentials import MissingCredentials, check_google_credentials
from servicekit.settings import SettingsError


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
    """Check the settings and Google credentials here, before gunicorn boots workers that would
    each crash on them; report every problem at once; then serve. Returns 2 (and does not
    serve) when a setting is missing or invalid or there are no credentials."""
    problems: list[str] = []
    try:
        load_config()
    except SettingsError as exc:
        problems.append(f"error: {exc}")
    try:
        check_google_credentials()
    except MissingCredentials as exc:
        problems.append(f"error: {exc}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    serve(app_factory)
    return 0
