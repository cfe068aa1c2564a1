"""OIDC bearer tokens from Google (Pub/Sub push, Cloud Scheduler), checked with google-auth.

Checks signature (Google's certs), expiry, audience and signer (a service account's email, with
email_verified). The writer uses it for push requests (PUSH_AUDIENCE, PUSH_SERVICE_ACCOUNT);
ingest for the scheduler's /tasks/reconcile. The local emulator sends no token, so the local
stack alone runs the writer with PUSH_AUTH=disabled, announced by a warning at start.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


class OidcAuthError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class GoogleOidcAuthenticator:
    """Raises OidcAuthError(401 or 403) unless the bearer token is from `service_account`."""

    def __init__(
        self,
        audience: str,
        service_account: str,
        certs_url: str | None = None,
        request: Any = None,
    ) -> None:
        from google.auth.transport import requests as google_requests

        self._audience = audience
        self._service_account = service_account
        self._certs_url = certs_url
        # A cached session: Google's certs are fetched once and reused per their Cache-Control.
        self._request = request or google_requests.Request()

    def verify(self, authorization: str | None) -> None:
        from google.auth import exceptions as google_exceptions
        from google.oauth2 import id_token

        if not authorization or not authorization.startswith("Bearer "):
            raise OidcAuthError(401, "missing bearer token")
        token = authorization.removeprefix("Bearer ").strip()
        kwargs: dict[str, Any] = {"audience": self._audience}
        if self._certs_url:
            kwargs["certs_url"] = self._certs_url
        try:
            claims = id_token.verify_token(token, self._request, **kwargs)
        except google_exceptions.TransportError as exc:
            raise OidcAuthError(
                401, "token cannot be verified right now (certs unavailable)"
            ) from exc
        except (ValueError, google_exceptions.GoogleAuthError) as exc:
            raise OidcAuthError(401, f"invalid token: {type(exc).__name__}") from exc
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise OidcAuthError(403, "token not issued by Google")
        if claims.get("email") != self._service_account or not claims.get("email_verified"):
            raise OidcAuthError(403, "token not signed by the push service account")


class NoAuthentication:
    """Only for the local stack, where the Pub/Sub emulator attaches no token."""

    def verify(self, authorization: str | None) -> None:
        return None
