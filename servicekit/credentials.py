"""Google credentials, checked before a service or command starts work that needs them.

Without them the Google clients fail deep inside (gunicorn: in every worker, each with a long
DefaultCredentialsError traceback, then "Worker failed to boot"). This says it in one line, with
what to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

HOW_TO_FIX = (
    "on Cloud Run the service's account provides them; on a workstation run "
    "`gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS to a key file; "
    "against the local Pub/Sub emulator set PUBSUB_EMULATOR_HOST (make run does)"
)


class MissingCredentials(RuntimeError):
    pass


def check_google_credentials(
    environ: Mapping[str, str] | None = None, emulator_will_do: bool = True
) -> None:
    """Raise MissingCredentials (one line) when Application Default Credentials cannot be found
    and no emulator is set (`emulator_will_do=False`: the caller needs a Google API the
    emulator does not stand in for, Secret Manager). google.auth.default raises DefaultCredentialsError then:
    https://googleapis.dev/python/google-auth/latest/reference/google.auth.html"""
    env = os.environ if environ is None else environ
    emulator = env.get("PUBSUB_EMULATOR_HOST", "").strip()
    if emulator and emulator_will_do:
        return
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        google.auth.default()
    except DefaultCredentialsError as exc:
        reason = "none found"
        if env.get("GOOGLE_APPLICATION_CREDENTIALS"):
            reason = " ".join(str(exc).split())
        if not emulator_will_do:
            raise MissingCredentials(
                f"no Google credentials ({reason}): run `gcloud auth application-default login` "
                "or set GOOGLE_APPLICATION_CREDENTIALS to a key file"
            ) from None
        raise MissingCredentials(
            f"no Google credentials ({reason}) and PUBSUB_EMULATOR_HOST is not set: {HOW_TO_FIX}"
        ) from None
