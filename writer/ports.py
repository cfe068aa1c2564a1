"""What the writer needs from the outside world, as Protocols."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from writer.wix import BulkResult


class Collection(Protocol):
    """The Wix collection of payments (adapter: writer.wix.WixCollection)."""

    def get(self, item_id: str) -> dict[str, Any] | None: ...

    def save(self, item_id: str, data: dict[str, Any]) -> str: ...


class BatchCollection(Protocol):
    """The same collection, many items a request (group commit: writer.groupcommit)."""

    def get_many(self, item_ids: list[str]) -> dict[str, dict[str, Any]]: ...

    def bulk_save(self, items: list[tuple[str, dict[str, Any]]]) -> list[BulkResult]: ...
