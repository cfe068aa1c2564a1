"""OIDC bearer tokens from Google (Pub/Sub push, Cloud Scheduler), checked with google-auth.

Checks signature (Google's certs), expiry, audience and signer (a service account's email, with
email_verified). The writer uses it for push requests (PUSH_AUDIENCE, PUSH_SERVICE_ACCOUNT);
ingest for the scheduler's /tasks/reconcile. The local emulator sends no token, so the local
stack alone runs the writer with PUSH_AUTH=disabled, announced by a warning at start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


class OidcAuthError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Authenticator(Protocol):
    """Who may call: adapters GoogleOidcAuthenticator, and NoAuthentication for the local stack."""

    def verify(self, authorization: str | None) -> None:
        """Return if the Authorization header is acceptable; raise OidcAuthError if not."""
        ...


class GoogleOidcAuthenticator:
    """Raises OidcAuthError(401 or 403) unless the bearer token is from `service_account`."""

    def __init__(
        self,
        audience: str,
        service_account: str,
        certs_url: str | None = None,
    ) -> None:
        from google.auth.transport import requests as google_requests

        self._audience = audience
        self._service_account = service_account
        self._certs_url = certs_url
        # google-auth's Request caches nothing: without this, every push request would fetch
        # Google's certs again (latency, and a dependency on Google for every message).
        self._request: Any = CachingCertsRequest(google_requests.Request())

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


class CachingCertsRequest:
    """A google-auth transport Request that keeps successful GET responses (Google's signing
    certs) as long as their Cache-Control max-age says, and bounds each fetch in time."""

    def __init__(
        self,
        inner: Any,
        timeout: float = 5.0,
        default_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._timeout = timeout
        self._default_ttl = default_ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        if method != "GET":
            return self._inner(url, method, body, headers, timeout or self._timeout, **kwargs)
        with self._lock:
            cached = self._cache.get(url)
            if cached and cached[0] > self._clock():
                return cached[1]
        response = self._inner(url, method, body, headers, timeout or self._timeout, **kwargs)
        if response.status == 200:
            ttl = _max_age(response.headers.get("cache-control") or "")
            with self._lock:
                self._cache[url] = (self._clock() + (ttl or self._default_ttl), response)
        return response


def _max_age(cache_control: str) -> float | None:
    for part in cache_control.lower().split(","):
        name, _, value = part.strip().partition("=")
        if name == "max-age" and value.strip().isdigit():
            return float(value.strip())
    return None


class NoAuthentication:
    """Only for the local stack, where the Pub/Sub emulator attaches no token."""

    def verify(self, authorization: str | None) -> None:
        return None
