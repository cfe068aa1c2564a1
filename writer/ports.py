"""What the writer needs from the outside world, as Protocols."""

from __future__ import annotations

from typing import Any, Protocol


class Collection(Protocol):
    """The Wix collection of payments (adapter: writer.wix.WixCollection)."""

    def get(self, item_id: str) -> dict[str, Any] | None: ...

    def save(self, item_id: str, data: dict[str, Any]) -> str: ...
