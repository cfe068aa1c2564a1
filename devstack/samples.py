"""Signed sample payments sent through a running stack, and the records they became."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests

from devstack.stripe_fixtures import Payment, card_success_events, signed
from payments.currency import exponent


def sample_payments() -> list[tuple[Payment, list[dict[str, Any]]]]:
    """A card, an Apple Pay and a Link payment; the second's events arrive in reverse and twice."""
    card = Payment(first_name="Ada", last_name="Lovelace", method="card")
    apple = Payment(
        first_name="Grace", last_name="Hopper", method="apple_pay", brand="mastercard", last4="4444"
    )
    link = Payment(first_name="Alan", last_name="Turing", method="link", amount=4500)
    apple_events = card_success_events(apple)
    return [
        (card, card_success_events(card)),
        (apple, [*reversed(apple_events), *apple_events]),
        (link, card_success_events(link)),
    ]


def send_event(
    ingest_url: str,
    secret: str,
    event: dict[str, Any],
    timeout: float = 10,
    session: requests.Session | None = None,
) -> requests.Response:
    """POST one event to ingest's webhook as Stripe does, signed at the moment of sending."""
    body, header = signed(event, secret)
    return (session or requests).post(
        f"{ingest_url}/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=timeout,
    )


def fetch_records(
    standin_url: str, collection_id: str, timeout: float = 10
) -> dict[str, dict[str, Any]]:
    response = requests.get(f"{standin_url}/_standin/items/{collection_id}", timeout=timeout)
    response.raise_for_status()
    records: dict[str, dict[str, Any]] = response.json()
    return records


def set_wix_faults(standin_url: str, **plan: Any) -> None:
    """The Wix stand-in's fault plan (latency_ms, error_rate, rate_limit_rate, refuse_items…);
    no arguments: Wix healthy again."""
    requests.post(f"{standin_url}/_standin/faults", json=plan, timeout=10).raise_for_status()


def wix_stats(standin_url: str, timeout: float = 10) -> dict[str, Any]:
    """The stand-in's counters: reads and writes per item, faults injected by kind."""
    response = requests.get(f"{standin_url}/_standin/stats", timeout=timeout)
    response.raise_for_status()
    stats: dict[str, Any] = response.json()
    return stats


Expectation = str | Mapping[str, Any]


def wait_for_records(
    standin_url: str,
    collection_id: str,
    expected: Mapping[str, Expectation],
    timeout: float = 30,
) -> dict[str, dict[str, Any]]:
    """Poll until every payment intent id in `expected` has its expected fields.

    An expectation is a status, or the fields a record must hold. A payment's events can land
    one after another (the intent's event brings the status, the charge's the method), so a
    caller that reads more than the status says which fields it waits for."""
    wanted = {pi: _fields(expectation) for pi, expectation in expected.items()}
    deadline = time.monotonic() + timeout
    records: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        records = fetch_records(standin_url, collection_id)
        if not _unmet(records, wanted):
            return records
        time.sleep(0.2)
    unmet = _unmet(records, wanted)
    raise TimeoutError(f"records not as expected after {timeout} s: {unmet}")


def unmet(
    records: dict[str, dict[str, Any]], expected: Mapping[str, Expectation]
) -> dict[str, dict[str, Any]]:
    """The payment intents of `expected` whose record is missing (`{"record": None}`) or not yet
    as expected (the fields that differ)."""
    return _unmet(records, {pi: _fields(e) for pi, e in expected.items()})


def _fields(expectation: Expectation) -> Mapping[str, Any]:
    return {"status": expectation} if isinstance(expectation, str) else expectation


def _unmet(
    records: dict[str, dict[str, Any]], wanted: dict[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """For each record not yet as wanted, the fields it has where they differ."""
    unmet: dict[str, dict[str, Any]] = {}
    for pi, fields in wanted.items():
        record = records.get(pi)
        if record is None:
            unmet[pi] = {"record": None}
            continue
        differing = {
            name: record.get(name) for name, value in fields.items() if record.get(name) != value
        }
        if differing:
            unmet[pi] = differing
    return unmet


def format_record(record: dict[str, Any]) -> str:
    paid_on = (record.get("paidOn") or {}).get("$date")
    return (
        f"{record['_id']}  {record.get('firstName') or '-':<8} {record.get('stripeCustomerId') or '-':<30} "
        f"{paid_on or '-':<25} {record.get('paidWith') or '-':<12} {record.get('status'):<10} "
        f"{_amount(record)} {record.get('currency')}"
    )


def _amount(record: dict[str, Any]) -> str:
    amount, currency = record.get("amount"), record.get("currency")
    if not isinstance(amount, int | float) or not isinstance(currency, str):
        return str(amount)
    return f"{amount:.{exponent(currency)}f}"
