"""The Wix stand-in's collection changes: Update Data Collection and Delete Data Collection.

As Wix's Data Collections API has them (https://dev.wix.com/docs/rest/business-solutions/cms/
data-collections/update-data-collection): `PUT /wix-data/v2/collections` with `{"collection"}`
replaces the whole collection (id, `revision`, `permissions` and at least one field are
required; the revision must be the current one; it is then incremented), and
`DELETE /wix-data/v2/collections/{id}` removes it with its items. The collection's
`permissions` (`insert`, `update`, `remove`, `read`: ADMIN, SITE_MEMBER_AUTHOR, SITE_MEMBER or
ANYONE) are what `GET /wix-data/v2/collections/{id}` shows. A stale revision is refused with
409; Wix documents no code of its own for it. Also Remove Data Item:
`DELETE /wix-data/v2/items/{id}?dataCollectionId=…` answers the removed item, or 404 WDE0073.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request

ROLES = ("ADMIN", "SITE_MEMBER_AUTHOR", "SITE_MEMBER", "ANYONE")
ACTIONS = ("insert", "update", "remove", "read")

WixError = Callable[[int, str, str], tuple[Response, int]]


def register(
    app: Flask,
    db: Callable[[], sqlite3.Connection],
    collection_of: Callable[[Any], dict[str, Any] | None],
    item_data: Callable[[str, str], dict[str, Any] | None],
    wix_error: WixError,
) -> None:
    @app.put("/wix-data/v2/collections")
    def update_collection() -> tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        collection = body.get("collection")
        if not isinstance(collection, dict) or not isinstance(collection.get("id"), str):
            return wix_error(400, "WDE0001", "collection.id is required")
        current = collection_of(collection["id"])
        if current is None:
            return wix_error(404, "WDE0025", f"The {collection['id']} collection does not exist")
        permissions = collection.get("permissions")
        if not isinstance(permissions, dict) or any(
            permissions.get(action) not in ROLES for action in ACTIONS
        ):
            return wix_error(400, "WDE0075", "permissions for insert, update, remove and read")
        if not collection.get("fields"):
            return wix_error(400, "WDE0075", "at least one field is required")
        if str(collection.get("revision")) != str(current.get("revision")):
            return wix_error(
                409,
                "CONFLICT",
                f"revision {collection.get('revision')} is not the current "
                f"{current.get('revision')}",
            )
        stored = {
            **collection,
            "collectionType": current.get("collectionType", "NATIVE"),
            "revision": str(int(current.get("revision") or 0) + 1),
        }
        db().execute(
            "UPDATE collections SET body = ? WHERE id = ?", (json.dumps(stored), stored["id"])
        )
        return jsonify({"collection": stored}), 200

    @app.delete("/wix-data/v2/collections/<collection_id>")
    def delete_collection(collection_id: str) -> tuple[Response, int]:
        if collection_of(collection_id) is None:
            return wix_error(404, "WDE0025", f"The {collection_id} collection does not exist")
        db().execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        db().execute("DELETE FROM items WHERE collection = ?", (collection_id,))
        return jsonify({}), 200

    @app.delete("/wix-data/v2/items/<path:item_id>")
    def remove_item(item_id: str) -> tuple[Response, int]:
        collection_id = request.args.get("dataCollectionId")
        if not collection_id:
            return wix_error(400, "WDE0001", "dataCollectionId is required")
        if collection_of(collection_id) is None:
            return wix_error(404, "WDE0025", f"The {collection_id} collection does not exist")
        data = item_data(collection_id, item_id)
        if data is None:
            return wix_error(404, "WDE0073", f"Item {item_id} not found in {collection_id}")
        db().execute("DELETE FROM items WHERE collection = ? AND id = ?", (collection_id, item_id))
        return jsonify(
            {"dataItem": {"id": item_id, "dataCollectionId": collection_id, "data": data}}
        ), 200
