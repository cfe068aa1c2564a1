"""A local stand-in for Wix Data REST v2, stored in SQLite, for the local stack and tests.

Follows the documented API the writer uses (https://dev.wix.com/docs/rest/business-solutions/cms):
paths, `Authorization` (the API key itself, no Bearer) and `wix-site-id` headers, save that
replaces the whole item, bulk save that answers 200 with per-item results, and Wix's error body
{"message", "details": {"applicationError": {"code", "description", "data"}}} with WDE codes.

Not Wix: everything under /_standin/ (fault injection and request counts for tests and
benchmarks) and the page at / that shows the collection as a table. POST /_standin/faults takes
{"error_rate": 0.1 (500s), "rate_limit_rate": 0.05 (429 WDE0014), "retry_after": 1 (seconds),
"latency_ms": 0, "refuse_items": ["<item id>", …] (saves answered 400 WDE0075, and in a bulk save
that item alone fails)}; {} clears it. POST /_standin/quota sets the per-minute quota (below).

The quota, as Wix's "About Data Feature Limitations" describes it
(https://dev.wix.com/docs/develop-websites-sdk/maintain-your-site/scale-your-site/about-data-feature-limitations):
data requests per site and per minute, reads and writes counted apart, a bulk call one request;
beyond it, 429 with WDE0014 ("Requests per minute quota exceeded") for the rest of the minute.
Off unless set: WIX_STANDIN_READS_PER_MINUTE / WIX_STANDIN_WRITES_PER_MINUTE, or
POST /_standin/quota {"reads_per_minute": 300, "writes_per_minute": 150} ({} turns it off).
Minutes count from when the quota was set. Wix documents no Retry-After for it, so none is sent.
"""

from __future__ import annotations

import html
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, request

from devstack.collection_view import install_collection_view
from devstack.request_log import install_request_log

ROLES = ("ADMIN", "SITE_MEMBER_AUTHOR", "SITE_MEMBER", "ANYONE")
FIELD_TYPES = (
    "TEXT",
    "NUMBER",
    "DATETIME",
    "DATE",
    "BOOLEAN",
    "RICH_TEXT",
    "URL",
    "ARRAY",
    "OBJECT",
)
MAX_ITEM_BYTES = 500 * 1024
# The counts row under which injected faults are tallied (not an item id Wix would accept).
FAULTS = "/faults"
# The counts row of every Wix request served, by kind (read | write): a bulk call counts once.
REQUESTS = "/requests"
SYSTEM_FIELDS = ("_id", "_createdDate", "_updatedDate", "_owner")

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  collection TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, created TEXT NOT NULL,
  PRIMARY KEY (collection, id));
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quota (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quota_usage (
  minute INTEGER NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (minute, kind));
CREATE TABLE IF NOT EXISTS counts (
  item TEXT NOT NULL, op TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (item, op));
"""


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def wix_error(
    status: int, code: str, message: str, data: dict[str, Any] | None = None
) -> tuple[Response, int]:
    return jsonify(
        {
            "message": message,
            "details": {
                "applicationError": {"code": code, "description": message, "data": data or {}}
            },
        }
    ), status


def now_date() -> dict[str, str]:
    return {"$date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def create_standin(
    db_path: str | Path,
    api_key: str,
    site_id: str,
    reads_per_minute: int | None = None,
    writes_per_minute: int | None = None,
) -> Flask:
    app = Flask("wix_standin")
    db_file = str(db_path)
    rng = random.Random()

    def db() -> sqlite3.Connection:
        if "db" not in g:
            conn = sqlite3.connect(db_file, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            g.db = conn
        conn_: sqlite3.Connection = g.db
        return conn_

    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.executescript(SCHEMA)
    if reads_per_minute or writes_per_minute:
        conn.execute(
            "INSERT OR REPLACE INTO quota (id, body) VALUES (1, ?)",
            (json.dumps(_quota_plan(reads_per_minute, writes_per_minute)),),
        )
    conn.close()

    @app.teardown_appcontext
    def close_db(_: BaseException | None) -> None:
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    def faults() -> dict[str, Any]:
        """The fault plan, read once per request (a bulk save asks for it per item)."""
        if "faults" not in g:
            row = db().execute("SELECT body FROM faults WHERE id = 1").fetchone()
            g.faults = json.loads(row[0]) if row else {}
        plan: dict[str, Any] = g.faults
        return plan

    def count(item: str, op: str) -> None:
        db().execute(
            "INSERT INTO counts (item, op, n) VALUES (?, ?, 1) "
            "ON CONFLICT (item, op) DO UPDATE SET n = n + 1",
            (item, op),
        )

    def collection_of(collection_id: Any) -> dict[str, Any] | None:
        if not isinstance(collection_id, str):
            return None
        row = db().execute("SELECT body FROM collections WHERE id = ?", (collection_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def item_data(collection_id: str, item_id: str) -> dict[str, Any] | None:
        row = (
            db()
            .execute(
                "SELECT data FROM items WHERE collection = ? AND id = ?", (collection_id, item_id)
            )
            .fetchone()
        )
        return json.loads(row[0]) if row else None

    @app.before_request
    def gate() -> tuple[Response, int] | None:
        if not request.path.startswith("/wix-data/"):
            return None
        plan = faults()
        latency = float(plan.get("latency_ms") or 0)
        if latency:
            time.sleep(latency / 1000)
        roll = rng.random()
        if roll < float(plan.get("error_rate") or 0):
            count(FAULTS, "500")
            return wix_error(500, "INTERNAL", "injected failure (stand-in fault plan)")
        if roll < float(plan.get("error_rate") or 0) + float(plan.get("rate_limit_rate") or 0):
            count(FAULTS, "429")
            response, status = wix_error(429, "WDE0014", "Requests per minute quota exceeded")
            response.headers["Retry-After"] = str(plan.get("retry_after") or 1)
            return response, status
        key = request.headers.get("Authorization")
        if not key:
            return wix_error(401, "UNAUTHENTICATED", "Missing Authorization header")
        if key != api_key or key.startswith("Bearer "):
            return wix_error(401, "UNAUTHENTICATED", "Invalid API key")
        if request.headers.get("wix-site-id") != site_id:
            return wix_error(
                403, "WDE0027", "The current user does not have permissions on this site"
            )
        kind = "read" if request.method == "GET" or request.path.endswith("/query") else "write"
        if not within_quota(kind):
            count(FAULTS, f"quota-{kind}")
            return wix_error(429, "WDE0014", "Requests per minute quota exceeded")
        count(REQUESTS, kind)
        return None

    def within_quota(kind: str) -> bool:
        """Count one request of this kind in the current minute, unless the quota is spent."""
        row = db().execute("SELECT body FROM quota WHERE id = 1").fetchone()
        plan = json.loads(row[0]) if row else {}
        limit = plan.get(f"{kind}s_per_minute")
        if not limit:
            return True
        minute = int((time.time() - float(plan["started"])) // 60)
        conn = db()
        conn.execute("BEGIN IMMEDIATE")  # check and count as one step across threads
        try:
            used = conn.execute(
                "SELECT n FROM quota_usage WHERE minute = ? AND kind = ?", (minute, kind)
            ).fetchone()
            if used and used[0] >= int(limit):
                return False
            conn.execute(
                "INSERT INTO quota_usage (minute, kind, n) VALUES (?, ?, 1) "
                "ON CONFLICT (minute, kind) DO UPDATE SET n = n + 1",
                (minute, kind),
            )
            return True
        finally:
            conn.execute("COMMIT")

    # --- items ----------------------------------------------------------------------------
    @app.get("/wix-data/v2/items/<path:item_id>")
    def get_item(item_id: str) -> tuple[Response, int]:
        collection_id = request.args.get("dataCollectionId")
        if not collection_id:
            return wix_error(400, "WDE0001", "dataCollectionId is required")
        if collection_of(collection_id) is None:
            return wix_error(404, "WDE0025", f"The {collection_id} collection does not exist")
        count(item_id, "read")
        data = item_data(collection_id, item_id)
        if data is None:
            return wix_error(404, "WDE0073", f"Item {item_id} not found in {collection_id}")
        return jsonify({"dataItem": _item(collection_id, item_id, data)}), 200

    def save_one(collection: dict[str, Any], item: Any) -> tuple[str, dict[str, Any]]:
        """Returns (INSERTED | UPDATED, stored data); raises Refused for an invalid item."""
        if not isinstance(item, dict) or not isinstance(item.get("data", {}), dict):
            raise Refused(400, "WDE0004", "dataItem.data must be an object")
        data = dict(item.get("data") or {})
        item_id = item.get("id") or data.get("_id") or os.urandom(16).hex()
        if not isinstance(item_id, str):
            raise Refused(400, "WDE0002", "Item ID must be a string")
        problem = _validate(collection, data)
        if item_id in (faults().get("refuse_items") or []):
            problem = "injected validation failure (stand-in fault plan: refuse_items)"
        if problem:
            raise Refused(400, "WDE0075", problem)
        if len(json.dumps(data)) > MAX_ITEM_BYTES:
            raise Refused(400, "WDE0075", "Item is larger than 500 kb")
        existing = (
            db()
            .execute(
                "SELECT created FROM items WHERE collection = ? AND id = ?",
                (collection["id"], item_id),
            )
            .fetchone()
        )
        stamp = now_date()
        data = {k: v for k, v in data.items() if k not in SYSTEM_FIELDS}
        data.update(
            _id=item_id,
            _createdDate=json.loads(existing[0]) if existing else stamp,
            _updatedDate=stamp,
            _owner="standin-owner",
        )
        # Save replaces the whole item: fields left out are gone, as on Wix.
        db().execute(
            "INSERT INTO items (collection, id, data, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data",
            (collection["id"], item_id, json.dumps(data), json.dumps(data["_createdDate"])),
        )
        count(item_id, "write")
        return ("UPDATED" if existing else "INSERTED"), data

    @app.post("/wix-data/v2/items/save")
    def save_item() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return wix_error(400, "WDE0004", "Request body must be a JSON object")
        collection = collection_of(body.get("dataCollectionId"))
        if collection is None:
            return wix_error(
                404, "WDE0025", f"The {body.get('dataCollectionId')} collection does not exist"
            )
        if not isinstance(body.get("dataItem"), dict):
            return wix_error(400, "WDE0004", "dataItem is required")
        try:
            action, result = save_one(collection, body["dataItem"])
        except Refused as refused:
            return wix_error(refused.status, refused.code, refused.message)
        return jsonify(
            {"action": action, "dataItem": _item(collection["id"], result["_id"], result)}
        ), 200

    @app.post("/wix-data/v2/bulk/items/save")
    def bulk_save() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("dataItems"), list):
            return wix_error(400, "WDE0005", "dataItems must be an array of items")
        collection = collection_of(body.get("dataCollectionId"))
        if collection is None:
            return wix_error(
                404, "WDE0025", f"The {body.get('dataCollectionId')} collection does not exist"
            )
        items = body["dataItems"]
        if len(items) > 1000:
            return wix_error(400, "WDE0006", "Cannot insert more than 1000 items in one request")
        results, ok, failed = [], 0, 0
        for index, item in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            try:
                action, result = save_one(collection, item)
            except Refused as refused:
                code, message = refused.code, refused.message
                failed += 1
                results.append(
                    {
                        "itemMetadata": {
                            "id": item_id,
                            "originalIndex": index,
                            "success": False,
                            "error": {"code": code, "description": message, "data": {}},
                        }
                    }
                )
            else:
                ok += 1
                entry: dict[str, Any] = {
                    "action": "UPDATE" if action == "UPDATED" else "INSERT",
                    "itemMetadata": {"id": result["_id"], "originalIndex": index, "success": True},
                }
                if body.get("returnEntity"):
                    entry["dataItem"] = _item(collection["id"], result["_id"], result)
                results.append(entry)
        return jsonify(
            {
                "results": results,
                "bulkActionMetadata": {
                    "totalSuccesses": ok,
                    "totalFailures": failed,
                    "undetailedFailures": 0,
                },
            }
        ), 200

    @app.post("/wix-data/v2/items/query")
    def query_items() -> tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        collection = collection_of(body.get("dataCollectionId"))
        if collection is None:
            return wix_error(
                404, "WDE0025", f"The {body.get('dataCollectionId')} collection does not exist"
            )
        query = body.get("query") or {}
        paging = query.get("paging") or {}
        limit = min(int(paging.get("limit") or 50), 1000)
        offset = int(paging.get("offset") or 0)
        try:
            matches = _filter(query.get("filter") or {})
        except Refused as refused:
            return wix_error(refused.status, refused.code, refused.message)
        rows = (
            db()
            .execute(
                "SELECT id, data FROM items WHERE collection = ? ORDER BY rowid",
                (collection["id"],),
            )
            .fetchall()
        )
        found = [(r[0], data) for r in rows if matches(data := json.loads(r[1]))]
        total = len(found)
        items = [_item(collection["id"], i, d) for i, d in found[offset : offset + limit]]
        paging_meta: dict[str, Any] = {
            "count": len(items),
            "offset": offset,
            "tooManyToCount": False,
        }
        if body.get("returnTotalCount"):
            paging_meta["total"] = total
        return jsonify({"dataItems": items, "pagingMetadata": paging_meta}), 200

    # --- collections ----------------------------------------------------------------------
    @app.get("/wix-data/v2/collections/<collection_id>")
    def get_collection(collection_id: str) -> tuple[Response, int]:
        collection = collection_of(collection_id)
        if collection is None:
            return wix_error(404, "WDE0025", f"The {collection_id} collection does not exist")
        return jsonify({"collection": collection}), 200

    @app.post("/wix-data/v2/collections")
    def create_collection() -> tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        collection = body.get("collection")
        if not isinstance(collection, dict) or not isinstance(collection.get("id"), str):
            return wix_error(400, "WDE0001", "collection.id is required")
        for field in collection.get("fields") or []:
            if (
                not isinstance(field, dict)
                or field.get("type") not in FIELD_TYPES
                or not field.get("key")
            ):
                return wix_error(400, "WDE0075", f"invalid field {field!r}")
        for action, role in (collection.get("permissions") or {}).items():
            if role not in ROLES:
                return wix_error(400, "WDE0075", f"invalid role {role!r} for {action}")
        if collection_of(collection["id"]) is not None:
            return wix_error(409, "WDE0074", f"Collection {collection['id']} already exists")
        stored = {**collection, "collectionType": "NATIVE", "revision": "1"}
        db().execute(
            "INSERT INTO collections (id, body) VALUES (?, ?)",
            (collection["id"], json.dumps(stored)),
        )
        return jsonify({"collection": stored}), 200

    from devstack import wix_collections

    wix_collections.register(app, db, collection_of, item_data, wix_error)

    # --- stand-in controls (not Wix) ------------------------------------------------------
    @app.post("/_standin/faults")
    def set_faults() -> Response:
        plan = request.get_json(silent=True) or {}
        db().execute("INSERT OR REPLACE INTO faults (id, body) VALUES (1, ?)", (json.dumps(plan),))
        return jsonify(plan)

    @app.post("/_standin/quota")
    def set_quota() -> Response:
        body = request.get_json(silent=True) or {}
        plan = _quota_plan(body.get("reads_per_minute"), body.get("writes_per_minute"))
        db().execute("INSERT OR REPLACE INTO quota (id, body) VALUES (1, ?)", (json.dumps(plan),))
        db().execute("DELETE FROM quota_usage")
        return jsonify(plan)

    @app.get("/_standin/stats")
    def stats() -> Response:
        rows = db().execute("SELECT item, op, n FROM counts").fetchall()
        per_item: dict[str, dict[str, int]] = {}
        injected = {op: n for item, op, n in rows if item == FAULTS}
        served = {op: n for item, op, n in rows if item == REQUESTS}
        for item, op, n in rows:
            if item not in (FAULTS, REQUESTS):
                per_item.setdefault(item, {"read": 0, "write": 0})[op] = n
        return jsonify(
            {
                "quota_refused": {
                    "read": injected.pop("quota-read", 0),
                    "write": injected.pop("quota-write", 0),
                },
                "requests": {"read": served.get("read", 0), "write": served.get("write", 0)},
                "faults_injected": injected,
                "reads": sum(v["read"] for v in per_item.values()),
                "writes": sum(v["write"] for v in per_item.values()),
                "items": per_item,
            }
        )

    @app.get("/_standin/items/<collection_id>")
    def dump(collection_id: str) -> Response:
        rows = (
            db()
            .execute(
                "SELECT id, data FROM items WHERE collection = ? ORDER BY rowid", (collection_id,)
            )
            .fetchall()
        )
        return jsonify({r[0]: json.loads(r[1]) for r in rows})

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": "wix-standin"})

    @app.get("/raw")
    def page() -> Response:
        return Response(_render_page(db()), mimetype="text/html")

    install_collection_view(app, db)  # GET /: the view a merchant keeps open

    return app


def _quota_plan(reads: Any, writes: Any) -> dict[str, Any]:
    return {
        "reads_per_minute": int(reads) if reads else None,
        "writes_per_minute": int(writes) if writes else None,
        "started": time.time(),
    }


Match = Callable[[dict[str, Any]], bool]


def _filter(spec: Any) -> Match:
    """The part of Wix's query filter the writer uses: field equality, `$eq`, `$in`, `$and`
    (https://dev.wix.com/docs/rest/articles/getting-started/api-query-language)."""
    if not isinstance(spec, dict):
        raise Refused(400, "WDE0001", "filter must be an object")
    tests: list[Match] = []
    for key, condition in spec.items():
        if key == "$and" and isinstance(condition, list):
            tests.extend(_filter(part) for part in condition)
        elif key.startswith("$"):
            raise Refused(400, "WDE0001", f"unsupported filter operator {key} (stand-in)")
        elif isinstance(condition, dict):
            for op, value in condition.items():
                if op == "$eq":
                    tests.append(_equals(key, value))
                elif op == "$in" and isinstance(value, list):
                    tests.append(_one_of(key, value))
                else:
                    raise Refused(400, "WDE0001", f"unsupported filter {op} (stand-in)")
        else:
            tests.append(_equals(key, condition))
    return lambda data: all(test(data) for test in tests)


def _equals(key: str, value: Any) -> Match:
    return lambda data: data.get(key) == value


def _one_of(key: str, values: list[Any]) -> Match:
    return lambda data: data.get(key) in values


def _item(collection_id: str, item_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": item_id, "dataCollectionId": collection_id, "data": data}


def _validate(collection: dict[str, Any], data: dict[str, Any]) -> str | None:
    for field in collection.get("fields") or []:
        key, kind = field.get("key"), field.get("type")
        value = data.get(key)
        if value is None:
            continue
        ok = {
            "TEXT": isinstance(value, str),
            "NUMBER": isinstance(value, int | float) and not isinstance(value, bool),
            "BOOLEAN": isinstance(value, bool),
            "DATETIME": isinstance(value, dict) and isinstance(value.get("$date"), str),
        }.get(kind, True)
        if not ok:
            return f"Field {key} must be of type {kind}"
    return None


def _render_page(conn: sqlite3.Connection) -> str:
    sections = []
    for collection_id, body in conn.execute("SELECT id, body FROM collections ORDER BY id"):
        fields = [f["key"] for f in json.loads(body).get("fields") or []]
        rows = conn.execute(
            "SELECT data FROM items WHERE collection = ? ORDER BY rowid DESC", (collection_id,)
        ).fetchall()
        head = "".join(f"<th>{html.escape(k)}</th>" for k in ["_id", *fields])
        lines = []
        for (data_json,) in rows:
            data = json.loads(data_json)
            cells = []
            for key in ["_id", *fields]:
                value = data.get(key)
                if isinstance(value, dict) and "$date" in value:
                    value = value["$date"]
                cells.append(f"<td>{html.escape('' if value is None else str(value))}</td>")
            lines.append(f"<tr>{''.join(cells)}</tr>")
        sections.append(
            f"<h2>{html.escape(collection_id)} <small>({len(rows)} items)</small></h2>"
            f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table></div>"
        )
    content = (
        "".join(sections)
        or "<p>No collection yet: run <code>python -m writer setup-collection</code>.</p>"
    )
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Wix Data stand-in</title>"
        "<meta http-equiv=refresh content=3>"
        "<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;white-space:nowrap}th{background:#f4f4f4}"
        ".scroll{overflow-x:auto}</style></head><body>"
        "<h1>Wix Data stand-in</h1><p>Local only; refreshes every 3 s. "
        "<a href=/>Back to the collection view</a></p>"
        f"{content}</body></html>"
    )


def create_standin_from_env() -> Flask:
    """For gunicorn: WIX_STANDIN_DB, WIX_API_KEY, WIX_SITE_ID, optional quota (see top)."""
    app = create_standin(
        os.environ.get("WIX_STANDIN_DB", ".devstack/wix.sqlite3"),
        os.environ["WIX_API_KEY"],
        os.environ["WIX_SITE_ID"],
        int(os.environ.get("WIX_STANDIN_READS_PER_MINUTE") or 0) or None,
        int(os.environ.get("WIX_STANDIN_WRITES_PER_MINUTE") or 0) or None,
    )
    install_request_log(app, "wix-standin")
    return app
