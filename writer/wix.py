"""`WixCollection`: Wix Data REST v2 over one requests session.

Endpoints (https://dev.wix.com/docs/rest/business-solutions/cms):
  GET  /wix-data/v2/items/{id}?dataCollectionId=…&consistentRead=true   -> {"dataItem": …}
  POST /wix-data/v2/items/save        {"dataCollectionId", "dataItem": {"id", "data"}}
  POST /wix-data/v2/bulk/items/save   {"dataCollectionId", "dataItems": [...]} (≤ 1000)
  POST /wix-data/v2/items/query       {"dataCollectionId", "query": {...}}
  GET  /wix-data/v2/collections/{id},  POST /wix-data/v2/collections {"collection": …}
Headers: `Authorization: <API key>` (no Bearer) and `wix-site-id`.
Errors: {"message", "details": {"applicationError": {"code": "WDE…", "description"}}}.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from writer.budget import Kind, QuotaBudget
from writer.config import WriterConfig

# Wix gives up on a request after 5 s; stop waiting a little before, and let Pub/Sub retry.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 4.5
BULK_LIMIT = 1000


# How Wix says "no such item" (WDE0073; the SDK's names for it; the generic application code).
ITEM_NOT_FOUND_CODES = frozenset(
    {"WDE0073", "ITEM_NOT_FOUND", "WIXDATA.ITEM.NOT_FOUND", "NOT_FOUND"}
)


class WixError(RuntimeError):
    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class WixTransientError(WixError):
    """Quota, Wix outage, timeout, connection: try again later."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status, code)
        self.retry_after = retry_after


class WixConfigError(WixError):
    """Wrong key, site, permission or collection: retrying helps only once someone fixes it."""


class WixPermanentError(WixError):
    """Wix refused this item (validation): retrying the same item cannot succeed."""


@dataclass(frozen=True)
class BulkResult:
    item_id: str
    action: str | None
    success: bool
    error_code: str | None = None
    error_message: str | None = None
    original_index: int | None = None

    def error(self) -> WixError:
        """This item's failure as the error its message is answered by."""
        message = f"Wix refused item {self.item_id} in a bulk save ({self.error_code}): " + (
            self.error_message or ""
        )
        return item_error(message, self.error_code)


# Codes that say "this item can never be saved as it is" (Wix Data error codes:
# https://dev.wix.com/docs/api-reference/business-solutions/cms/wix-data-error-codes).
VALIDATION_CODES = frozenset(
    {"WDE0004", "WDE0005", "WDE0007", "WDE0075", "WDE0074", "INVALID_ARGUMENT"}
)
CONFIG_CODES = frozenset({"WDE0025", "WDE0027", "PERMISSION_DENIED", "UNAUTHENTICATED"})


def item_error(message: str, code: str | None) -> WixError:
    """One item's failure inside a 200 answer: validation is permanent, a missing collection
    or permission is configuration, anything else (quota, an internal error) is worth retrying."""
    if code in VALIDATION_CODES:
        return WixPermanentError(message, 400, code)
    if code in CONFIG_CODES:
        return WixConfigError(message, 403, code)
    return WixTransientError(message, None, code)


class WixCollection:
    def __init__(
        self,
        api_key: str,
        site_id: str,
        collection_id: str,
        base_url: str = "https://www.wixapis.com",
        budget: QuotaBudget | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> None:
        parts = urlsplit(base_url)
        local = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
        if not (parts.scheme == "https" and parts.hostname) and not local:
            # The API key travels in every request's Authorization header.
            raise ValueError("WIX_API_BASE must use https (plain http only for localhost)")
        self.collection_id = collection_id
        self._base = base_url.rstrip("/")
        self._budget = budget
        self._timeout = timeout
        self._session = session or requests.Session()
        self._session.headers.update(
            {"Authorization": api_key, "wix-site-id": site_id, "Content-Type": "application/json"}
        )
        self.requests_made = 0
        # How long one request may wait for budget before it gives up (the push answers 503).
        self.budget_wait = self._timeout[1]

    # items ------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: WriterConfig, budget: QuotaBudget | None = None) -> WixCollection:
        return cls(
            config.wix_api_key,
            config.wix_site_id,
            config.collection_id,
            base_url=config.wix_api_base,
            budget=budget,
        )

    def get(self, item_id: str) -> dict[str, Any] | None:
        """The item's data, or None when it does not exist (WDE0073).

        Only WDE0073 means "no such item": any other 404 (a wrong WIX_API_BASE, a proxy) must
        not read as absent, or the next save would replace a real item with this message alone.
        """
        path = f"/wix-data/v2/items/{quote(item_id, safe='')}"
        params = {"dataCollectionId": self.collection_id, "consistentRead": "true"}
        try:
            body = self._call("GET", path, "read", params=params)
        except WixConfigError as exc:
            if exc.status == 404 and exc.code in ITEM_NOT_FOUND_CODES:
                return None
            raise
        item = body.get("dataItem")
        if item is None:
            return None  # an explicit "no item", as Velo's get() answers null
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(data, dict):
            # Only WDE0073 says "absent"; treating an odd answer as absent would let the next
            # save replace a real item with one message's worth of data.
            raise WixTransientError("Wix answered the item read without dataItem.data")
        return data

    def save(self, item_id: str, data: dict[str, Any]) -> str:
        """Insert or replace the whole item; returns Wix's action (INSERTED / UPDATED)."""
        body = self._call(
            "POST",
            "/wix-data/v2/items/save",
            "write",
            json={
                "dataCollectionId": self.collection_id,
                "dataItem": {"id": item_id, "data": data},
            },
        )
        return str(body.get("action") or "SAVED")

    def bulk_save(self, items: list[tuple[str, dict[str, Any]]]) -> list[BulkResult]:
        """Save up to 1000 items; Wix answers 200 even when some fail, so read every result."""
        if len(items) > BULK_LIMIT:
            raise ValueError(f"bulk save takes at most {BULK_LIMIT} items")
        body = self._call(
            "POST",
            "/wix-data/v2/bulk/items/save",
            "write",
            json={
                "dataCollectionId": self.collection_id,
                "dataItems": [{"id": item_id, "data": data} for item_id, data in items],
                "returnEntity": False,
            },
        )
        results = []
        for result in body.get("results") or []:
            meta = result.get("itemMetadata") or {}
            error = meta.get("error") or {}
            results.append(
                BulkResult(
                    item_id=str(meta.get("id") or ""),
                    action=result.get("action"),
                    success=bool(meta.get("success", not error)),
                    error_code=_error_code(error) if error else None,
                    error_message=error.get("description") or error.get("message")
                    if error
                    else None,
                    original_index=meta.get("originalIndex")
                    if isinstance(meta.get("originalIndex"), int)
                    else None,
                )
            )
        return results

    def get_many(self, item_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The data of those items that exist, by id, in one consistent query (one read).

        Query Data Items with `_id` `$in` the ids and `consistentRead`, so that a save made just
        before is seen (https://dev.wix.com/docs/rest/business-solutions/cms/data-items/query-data-items).
        """
        if not item_ids:
            return {}
        if len(item_ids) > BULK_LIMIT:
            raise ValueError(f"a query reads at most {BULK_LIMIT} items")
        body = self._call(
            "POST",
            "/wix-data/v2/items/query",
            "read",
            json={
                "dataCollectionId": self.collection_id,
                "query": {
                    "filter": {"_id": {"$in": list(item_ids)}},
                    "paging": {"limit": len(item_ids)},
                },
                "consistentRead": True,
            },
        )
        found: dict[str, dict[str, Any]] = {}
        for entry in body.get("dataItems") or []:
            data = entry.get("data") if isinstance(entry, dict) else None
            if not isinstance(data, dict):
                raise WixTransientError("Wix answered the query with an item without data")
            item_id = data.get("_id") or entry.get("id")
            if isinstance(item_id, str):
                found[item_id] = data
        return found

    def query(self, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int | None]:
        body = self._call(
            "POST",
            "/wix-data/v2/items/query",
            "read",
            json={
                "dataCollectionId": self.collection_id,
                "query": {"paging": {"limit": limit, "offset": offset}},
                "returnTotalCount": True,
                "consistentRead": True,
            },
        )
        items = [i.get("data") or {} for i in body.get("dataItems") or []]
        total = (body.get("pagingMetadata") or {}).get("total")
        return items, total if isinstance(total, int) else None

    def all_items(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page, _ = self.query(limit=100, offset=len(found))
            found.extend(page)
            if len(page) < 100:
                return found

    # collections -----------------------------------------------------------------------
    def get_collection(self) -> dict[str, Any] | None:
        try:
            body = self._call(
                "GET", f"/wix-data/v2/collections/{quote(self.collection_id, safe='')}", "read"
            )
        except WixConfigError as exc:
            if exc.code == "WDE0025":
                return None
            raise
        collection = body.get("collection")
        return collection if isinstance(collection, dict) else None

    def create_collection(self, collection: dict[str, Any]) -> dict[str, Any]:
        body = self._call(
            "POST", "/wix-data/v2/collections", "write", json={"collection": collection}
        )
        created = body.get("collection")
        return created if isinstance(created, dict) else {}

    # transport -------------------------------------------------------------------------
    def _call(self, method: str, path: str, kind: Kind, **kwargs: Any) -> dict[str, Any]:
        if self._budget and not self._budget.acquire(kind, max_wait=self.budget_wait):
            raise WixTransientError(f"client-side Wix budget: no {kind} slot in time")
        self.requests_made += 1
        try:
            response = self._session.request(
                method, self._base + path, timeout=self._timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise WixTransientError(f"Wix {method} {path} timed out") from exc
        except requests.ConnectionError as exc:
            raise WixTransientError(f"Wix {method} {path}: connection failed") from exc
        except requests.RequestException as exc:  # broken body, bad encoding: retry, never 500
            raise WixTransientError(f"Wix {method} {path}: {type(exc).__name__}") from exc
        if response.status_code < 300:
            if self._budget:
                self._budget.accepted()
            try:
                body = response.json()
            except ValueError:
                raise WixTransientError(
                    f"Wix answered {response.status_code} with no JSON"
                ) from None
            return body if isinstance(body, dict) else {}
        raise self._classify(response, method, path)

    def _classify(self, response: requests.Response, method: str, path: str) -> WixError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = _error_code(body)
        message = f"Wix {method} {path} answered {status}" + (f" {code}" if code else "")
        detail = body.get("message")
        if isinstance(detail, str) and detail:
            message += f": {detail[:200]}"
        if status == 429 or code == "WDE0014":
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if self._budget:
                self._budget.refused(retry_after)
            return WixTransientError(message, status, code, retry_after)
        if status >= 500 or status == 408:
            return WixTransientError(message, status, code)
        if status in (401, 403, 404) or code in ("WDE0025", "WDE0027", "WDE0073"):
            return WixConfigError(message, status, code)
        return WixPermanentError(message, status, code)


def _error_code(body: dict[str, Any]) -> str | None:
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    app_error = details.get("applicationError") if isinstance(details, dict) else None
    if isinstance(app_error, dict) and isinstance(app_error.get("code"), str):
        return str(app_error["code"])
    if isinstance(body.get("code"), str):
        return str(body["code"])
    # Some answers carry the code only in the text: "WDE0073: Item [pi_…] does not exist …".
    message = body.get("message")
    if isinstance(message, str):
        found = re.search(r"\bWDE\d{4}\b", message)
        if found:
            return found.group(0)
    return None


def _retry_after(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
