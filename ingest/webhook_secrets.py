"""The webhook signing secrets in force: STRIPE_WEBHOOK_SECRET plus, optionally, every enabled
version of a Secret Manager secret (STRIPE_WEBHOOK_SECRET_ID), re-read every few minutes.

Rotation without a redeploy: add the new signing secret as a new version (register-webhook does),
both verify while Stripe signs with either, then disable the old version. A Secret Manager outage
keeps the last secrets read: verification never stops because Google is briefly unreachable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

REFRESH_SECONDS = 300.0


class SecretVersionReader(Protocol):
    def enabled_values(self, secret_id: str) -> list[str]:
        """The payloads of every ENABLED version of the secret."""
        ...


class WebhookSecrets:
    def __init__(
        self,
        static: Sequence[str],
        reader: SecretVersionReader | None = None,
        secret_id: str | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._static = tuple(static)
        self._reader = reader if secret_id else None
        self._secret_id = secret_id or ""
        self._refresh = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # Static secrets first, then the managed ones; rebuilt on refresh, not per webhook.
        self._in_force: tuple[str, ...] = self._static
        self._read_at: float | None = None

    def __call__(self) -> Sequence[str]:
        if self._reader is not None and self._due():
            self._read()
        return self._in_force

    def _due(self) -> bool:
        return self._read_at is None or self._clock() - self._read_at >= self._refresh

    def _read(self) -> None:
        # One thread refreshes; the others keep verifying with what was read last.
        if not self._lock.acquire(blocking=self._read_at is None):
            return
        try:
            if not self._due():
                return
            assert self._reader is not None
            try:
                values = self._reader.enabled_values(self._secret_id)
            except Exception as exc:
                log.warning(
                    "webhook secrets not refreshed; keeping the last ones read",
                    extra={
                        "secret_id": self._secret_id,
                        "error": type(exc).__name__,
                        "secrets_in_force": len(self._in_force),
                    },
                )
                # Try again soon rather than hammering Secret Manager on every request.
                self._read_at = self._clock() - self._refresh + min(30.0, self._refresh)
                return
            managed = tuple(v.strip() for v in values if v.strip())
            self._in_force = self._static + tuple(s for s in managed if s not in self._static)
            self._read_at = self._clock()
            log.info(
                "webhook secrets refreshed",
                extra={"secret_id": self._secret_id, "enabled_versions": len(managed)},
            )
        finally:
            self._lock.release()
