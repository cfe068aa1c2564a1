"""`python -m writer setup-collection`: create the collection from wix/collection-schema.json.

Run again, it changes nothing and reports how the live collection differs from the schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol


class CollectionAdmin(Protocol):
    collection_id: str

    def get_collection(self) -> dict[str, Any] | None: ...

    def create_collection(self, collection: dict[str, Any]) -> dict[str, Any]: ...


def load_schema(path: Path, collection_id: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    schema["id"] = collection_id
    return schema


def differences(schema: dict[str, Any], live: dict[str, Any]) -> list[str]:
    found: list[str] = []
    live_fields = {f.get("key"): f for f in live.get("fields") or [] if isinstance(f, dict)}
    for wanted in schema["fields"]:
        actual = live_fields.get(wanted["key"])
        if actual is None:
            found.append(f"field {wanted['key']} is missing")
        elif actual.get("type") != wanted["type"]:
            found.append(
                f"field {wanted['key']} is {actual.get('type')}, schema says {wanted['type']}"
            )
    live_permissions = live.get("permissions") or {}
    for action, role in schema.get("permissions", {}).items():
        if live_permissions.get(action) != role:
            found.append(
                f"permission {action} is {live_permissions.get(action)}, schema says {role}"
            )
    return found


def setup_collection(admin: CollectionAdmin, schema: dict[str, Any]) -> tuple[str, list[str]]:
    """Returns ("created" | "exists", differences)."""
    live = admin.get_collection()
    if live is None:
        admin.create_collection(schema)
        return "created", []
    return "exists", differences(schema, live)
