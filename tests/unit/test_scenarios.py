"""The fault runs' expected records (written from each scenario) agree with what the writer does
with the scenario's events, in any order and with duplicates. If they ever disagree, one of the
two is wrong: this is where that shows first, in milliseconds rather than in a fault run."""

from __future__ import annotations

import random

import pytest

from devstack import scenarios
from ingest.normalize import normalize_event
from tests.fakes import FakeCollection
from writer.apply import apply_update


@pytest.mark.parametrize("kind", scenarios.KINDS)
def test_every_order_of_a_scenarios_events_with_duplicates_ends_at_its_expected_record(kind):
    rng = random.Random(kind)
    for scenario in [s for s in scenarios.generate(60, seed=3) if s.kind == kind]:
        for _ in range(8):
            events = [*scenario.events, rng.choice(scenario.events)]
            rng.shuffle(events)
            collection = FakeCollection()
            for event in events:
                apply_update(collection, normalize_event(event))
            got = scenarios.record_fields(collection.items[scenario.intent_id])
            assert got == scenario.expected, (kind, [e["type"] for e in events])


def test_deliveries_hold_every_event_plus_the_duplicate_share_shuffled():
    made = scenarios.generate(50, seed=1)
    events = [e for s in made for e in s.events]
    delivered = scenarios.deliveries(made, 0.2, seed=1)
    assert len(delivered) == len(events) + round(len(events) * 0.2)
    assert {e["id"] for e in delivered} == {e["id"] for e in events}
    assert [e["id"] for e in delivered] != [e["id"] for e in events]


def test_ids_are_unique_per_run_so_runs_can_share_one_stand_in():
    first, second = scenarios.generate(3), scenarios.generate(3)
    assert {s.intent_id for s in first}.isdisjoint(s.intent_id for s in second)
