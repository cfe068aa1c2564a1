"""A Wix outage longer than any retry budget: once Wix is back, the record still arrives.

Guards the local stack's push subscription: with a dead-letter policy the emulator, on the
first exhausted message, stops pushing the ordered subscription altogether.
"""

from __future__ import annotations

import time

import pytest

from devstack import samples
from devstack.stripe_fixtures import Payment, card_success_events

pytestmark = pytest.mark.e2e

# Four Wix calls per delivery at most (the writer's inline retries): this many failed calls
# span more deliveries than a five-attempt dead-letter policy would have allowed.
FAILED_CALLS = 4 * 6 + 1


def faults_injected(stack) -> int:
    return sum(stack.wix_stats().get("faults_injected", {}).values())


def test_a_long_wix_outage_delays_records_but_loses_none(stack, wix_faults):
    payment = Payment(first_name="Patience")
    before = faults_injected(stack)
    wix_faults(error_rate=1.0)
    try:
        for evt in card_success_events(payment):
            assert (
                samples.send_event(
                    stack.config.ingest_url, stack.config.webhook_secret, evt
                ).status_code
                == 200
            )
        deadline = time.monotonic() + 120
        while faults_injected(stack) - before < FAILED_CALLS:
            assert time.monotonic() < deadline, "the writer stopped trying while Wix was down"
            time.sleep(0.2)
        assert payment.intent_id not in stack.records()
    finally:
        wix_faults()
    record = stack.wait_for_records(
        {payment.intent_id: {"status": "succeeded", "paidWith": "Card"}},
        timeout=60,
    )[payment.intent_id]
    assert (record["firstName"], record["paidWith"]) == ("Patience", "Card")
