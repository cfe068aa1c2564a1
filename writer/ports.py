"""What the writer needs from the outside world, as Protocols."""

from __future__ import annotations

from typing import Any, Protocol


class Collection(Protocol):
    """The Wix collection of payments (adapter: writer.wix.WixCollection)."""

    def get(self, item_id: str) -> dict[str, Any] | None: ...

    def save(self, item_id: str, data: dict[str, Any]) -> str: ...


class PushAuthenticator(Protocol):
    def verify(self, authorization: str | None) -> None:
        """Return if the push request is from our subscription; raise OidcAuthError if not."""
        ...
