"""`python -m ingest backfill` on the real local stack (Stripe stand-in, emulator, writer, Wix
stand-in): past payments land exactly, a killed run resumes without publishing any payment
twice, and a backfill beside the live webhooks of the same payments changes nothing.

Each test seeds its own year, so the shared stack's other payments never enter its range.
"""

from __future__ import annotations

import random
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.backfill_run import (
    backfill_args,
    day,
    run_backfill,
    seed_payments,
    start_backfill,
    wait_for_published,
    wait_until_exact,
)
from devstack.samples import send_event
from ingest.normalize import HANDLED_EVENT_TYPES, normalize_event
from ingest.stripe_client import StripeApiGateway
from payments.message import PaymentUpdate
from payments.methods import label
from writer.merge import merge
from writer.record import OWNED_FIELDS, to_wix_data

pytestmark = pytest.mark.e2e


def published_per_payment(audit, payments) -> Counter[str]:
    return Counter(
        m["payment_intent_id"] for m in audit.drain() if m.get("payment_intent_id") in payments
    )


def event_ids(audit_seen, payments) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for m in audit_seen:
        if m.get("payment_intent_id") in payments:
            ids.setdefault(m["payment_intent_id"], set()).add(m["event_id"])
    return ids


@pytest.mark.parametrize(
    ("year", "kill"), [(2019, signal.SIGINT), (2018, signal.SIGKILL)], ids=["ctrl-c", "sigkill"]
)
def test_a_backfill_stopped_halfway_and_resumed_records_every_payment_once(
    stack, audit, tmp_path, year, kill
):
    since, until = f"{year}-01-01", f"{year + 1}-01-01"
    expected = seed_payments(
        stack.config.stripe_standin_url, 150, day(since), day(until), seed=year
    )
    with_outcome = {pi for pi, fields in expected.items() if fields is not None}
    audit.drain()  # what other tests published is not counted below
    checkpoint = tmp_path / "checkpoint.json"
    args = backfill_args(since, until, checkpoint, "--rate", "100")

    first = start_backfill(stack, args, tmp_path, "first")
    wait_for_published(checkpoint, len(with_outcome) // 2, timeout=30)
    first.send_signal(kill)
    first.wait(timeout=30)
    assert first.returncode == (130 if kill == signal.SIGINT else -signal.SIGKILL)

    refused = run_backfill(stack, args, timeout=30)
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = run_backfill(stack, [*args, "--resume"], timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert "failed 0" in resumed.stdout

    wrong = wait_until_exact(stack, expected, timeout=40)
    assert not wrong, dict(list(wrong.items())[:3])
    counts = published_per_payment(audit, with_outcome)
    assert set(counts) == with_outcome
    twice = {pi for pi, n in counts.items() if n > 1}
    if kill == signal.SIGINT:
        assert not twice, "Ctrl-C stops between publishes: nothing goes out twice"
    else:
        # SIGKILL can land after Pub/Sub took the one message in flight and before the
        # checkpoint said so: at most that one goes out again, with the same id.
        assert len(twice) <= 1 and max(counts.values()) <= 2
        assert all(len(ids) == 1 for ids in event_ids(audit.seen, twice).values())


def test_a_backfill_overlapping_the_live_webhooks_ends_as_the_webhooks_alone(
    stack, audit, tmp_path
):
    since, until = "2017-01-01", "2018-01-01"
    expected = seed_payments(
        stack.config.stripe_standin_url, 60, day(since), day(until), seed=2017, events=True
    )
    payments = set(expected)
    gateway = StripeApiGateway(
        stack.config.stripe_secret_key, api_base=stack.config.stripe_standin_url
    )
    events = [
        e
        for e in gateway.list_events(HANDLED_EVENT_TYPES, day(since))
        if e["created"] < day(until) + 31 * 86400 and _intent_of(e) in payments
    ]
    assert len(events) > len(payments)

    # What the webhooks alone make, by the writer's own rules, event by event.
    alone: dict[str, dict] = {}
    records: dict = {}
    for e in events:
        update = normalize_event(e)
        assert isinstance(update, PaymentUpdate)
        records[update.payment_intent_id] = merge(records.get(update.payment_intent_id), update)
    for pi, record in records.items():
        alone[pi] = to_wix_data(record, label(record.paid_with) if record.paid_with else None)

    # The webhooks, shuffled, delivered while the backfill of the same payments runs.
    random.Random(3).shuffle(events)
    checkpoint = tmp_path / "checkpoint.json"
    backfill = start_backfill(
        stack, backfill_args(since, until, checkpoint, "--rate", "40"), tmp_path, "overlap"
    )
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda e: (
                    send_event(stack.config.ingest_url, stack.config.webhook_secret, e).status_code
                ),
                events,
            )
        )
    assert set(answers) == {200}
    assert backfill.wait(timeout=60) == 0

    want = {
        pi: {k: v for k, v in fields.items() if k in OWNED_FIELDS} for pi, fields in alone.items()
    }
    wrong = wait_until_exact(stack, want, timeout=40)
    assert not wrong, dict(list(wrong.items())[:3])
    assert all(
        r["lastEventId"].startswith("evt_") for pi, r in stack.records().items() if pi in payments
    )


def _intent_of(event: dict) -> str | None:
    obj = event["data"]["object"]
    return obj["id"] if obj["object"] == "payment_intent" else obj.get("payment_intent")
