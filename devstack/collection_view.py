"""The Wix stand-in's view of the collection, the page a merchant keeps open (GET /).

The brief's four fields first (first name, Stripe customer id, paid on, paid with), then status
and amount, the amount in its currency. A table at desk width, one card per payment on a phone.
It refreshes in place every few seconds (the rows only, fetched from /view/rows), so the reader
keeps their scroll position; the raw table of every field is one click away (/raw).

Not Wix: the real collection is read in the Wix dashboard (CMS). This is the local stand-in's.
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, Response

from payments.currency import exponent

TEMPLATE = Path(__file__).resolve().parent / "templates" / "collection.html"
REFRESH_MS = 3000
# The fields the view shows, in order: the brief's four, then status and amount.
COLUMNS = (
    ("firstName", "First name"),
    ("stripeCustomerId", "Stripe customer ID"),
    ("paidOn", "Paid on"),
    ("paidWith", "Paid with"),
    ("status", "Status"),
    ("amount", "Amount"),
)
VIEWED = frozenset(key for key, _ in COLUMNS)
# Symbols where one is unambiguous; other currencies show their code after the number.
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def format_money(amount: Any, currency: Any) -> str:
    """19.99 usd -> "$19.99"; 500 jpy -> "¥500"; 1.5 bhd -> "1.500 BHD"; 0 usd -> "$0.00".

    Wix stores major units (to_major); digits come from the currency's exponent."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return "—"
    code = currency.lower() if isinstance(currency, str) and len(currency) == 3 else ""
    digits = exponent(code) if code else 2
    number = f"{Decimal(str(amount)):,.{digits}f}"
    if code in SYMBOLS:
        sign, number = ("-", number[1:]) if number.startswith("-") else ("", number)
        return f"{sign}{SYMBOLS[code]}{number}"
    return f"{number} {code.upper()}".strip()


def format_date(value: Any) -> str:
    """Wix's {"$date": "2026-12-04T21:40:00.000Z"} -> "4 Dec 2026, 21:40 UTC"."""
    raw = value.get("$date") if isinstance(value, dict) else None
    if not isinstance(raw, str):
        return "—"
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def _text(value: Any) -> str:
    return html.escape(str(value)) if value not in (None, "") else "—"


def render_rows(items: list[dict[str, Any]]) -> str:
    """One <tr> per payment, newest first (the caller's order)."""
    rows = []
    for item in items:
        status = str(item.get("status") or "unknown")
        cells = {
            "firstName": _text(item.get("firstName")),
            "stripeCustomerId": f"<code>{_text(item.get('stripeCustomerId'))}</code>",
            "paidOn": format_date(item.get("paidOn")),
            "paidWith": _text(item.get("paidWith")),
            "status": f'<span class="badge {html.escape(_status_class(status))}">'
            f"{html.escape(status)}</span>",
            "amount": html.escape(format_money(item.get("amount"), item.get("currency"))),
        }
        tds = "".join(
            f'<td data-label="{html.escape(label)}" class="c-{key}">{cells[key]}</td>'
            for key, label in COLUMNS
        )
        rows.append(f'<tr data-id="{html.escape(str(item.get("_id", "")))}">{tds}</tr>')
    return "".join(rows)


def _status_class(status: str) -> str:
    if status == "succeeded":
        return "ok"
    if status in ("failed", "canceled", "requires_payment_method"):
        return "bad"
    return "wait"


def payment_collections(conn: sqlite3.Connection) -> list[str]:
    """Collections whose schema has the view's fields (Payments, under any id)."""
    found = []
    for collection_id, body in conn.execute("SELECT id, body FROM collections ORDER BY id"):
        keys = {f.get("key") for f in json.loads(body).get("fields") or []}
        if keys >= VIEWED:
            found.append(collection_id)
    return found


def items_of(conn: sqlite3.Connection, collection_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT data FROM items WHERE collection = ? ORDER BY rowid DESC", (collection_id,)
    ).fetchall()
    return [json.loads(data) for (data,) in rows]


def rows_payload(conn: sqlite3.Connection) -> dict[str, Any]:
    collections = payment_collections(conn)
    if not collections:
        return {"collection": None, "count": 0, "rows": ""}
    items = items_of(conn, collections[0])
    return {"collection": collections[0], "count": len(items), "rows": render_rows(items)}


def render_page(conn: sqlite3.Connection) -> str:
    payload = rows_payload(conn)
    page = TEMPLATE.read_text(encoding="utf-8")
    head = "".join(f'<th scope="col" class="c-{k}">{html.escape(t)}</th>' for k, t in COLUMNS)
    replacements: Mapping[str, str] = {
        "{{collection}}": html.escape(payload["collection"] or "Payments"),
        "{{count_text}}": f"{payload['count']} payment{'' if payload['count'] == 1 else 's'}",
        "{{head}}": head,
        "{{rows}}": payload["rows"],
        "{{empty_hidden}}": "hidden" if payload["count"] else "",
        "{{no_collection_hidden}}": "" if payload["collection"] is None else "hidden",
        "{{refresh_ms}}": str(REFRESH_MS),
    }
    for marker, value in replacements.items():
        page = page.replace(marker, value)
    return page


def install_collection_view(app: Flask, db: Callable[[], sqlite3.Connection]) -> None:
    @app.get("/")
    def collection_view() -> Response:
        return Response(render_page(db()), mimetype="text/html")

    @app.get("/view/rows")
    def collection_rows() -> Response:
        response = Response(json.dumps(rows_payload(db())), mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response
