"""The batch planner as tables: updates and current items in, items to save and outcomes out."""

from __future__ import annotations

import pytest

from payments.methods import label
from payments.status import PaymentStatus as S
from tests.unit.test_merge import T, apply, update
from writer.batch import BatchPlan, plan_batch
from writer.record import to_wix_data

SUCCEEDED = update(S.SUCCEEDED, at=T + 10)
PROCESSING = update(S.PROCESSING, at=T)
FAILED = update(S.FAILED, at=T - 5)
REFUNDED = update(S.REFUNDED, at=T + 20)
OTHER = update(S.SUCCEEDED, at=T + 10, payment_intent_id="pi_2", event_id="evt_other")


def stored(*updates):
    record = apply(*updates)
    return to_wix_data(record, label(record.paid_with) if record.paid_with else None)


def outcomes(plan: BatchPlan) -> list[tuple[str, str, str | None]]:
    return [(m.item_id, m.action, m.status) for m in plan.messages]


@pytest.mark.parametrize(
    ("name", "updates", "current", "want_outcomes", "want_saved"),
    [
        (
            "one new payment: inserted",
            [SUCCEEDED],
            {},
            [("pi_1", "insert", "succeeded")],
            {"pi_1": [SUCCEEDED]},
        ),
        (
            "two updates of one payment fold in order into one save",
            [PROCESSING, SUCCEEDED],
            {},
            [("pi_1", "insert", "processing"), ("pi_1", "update", "succeeded")],
            {"pi_1": [PROCESSING, SUCCEEDED]},
        ),
        (
            "a late open state after success is a no-op inside the batch",
            [SUCCEEDED, FAILED],
            {},
            [("pi_1", "insert", "succeeded"), ("pi_1", "no-op", "succeeded")],
            {"pi_1": [SUCCEEDED]},
        ),
        (
            "the same message twice in a batch: the second changes nothing",
            [SUCCEEDED, SUCCEEDED],
            {},
            [("pi_1", "insert", "succeeded"), ("pi_1", "no-op", "succeeded")],
            {"pi_1": [SUCCEEDED]},
        ),
        (
            "an update already stored is not saved again",
            [SUCCEEDED],
            {"pi_1": stored(SUCCEEDED)},
            [("pi_1", "no-op", "succeeded")],
            {},
        ),
        (
            "a refund on a stored payment updates it",
            [REFUNDED],
            {"pi_1": stored(SUCCEEDED)},
            [("pi_1", "update", "refunded")],
            {"pi_1": [SUCCEEDED, REFUNDED]},
        ),
        (
            "two payments: two items, only the changed one saved",
            [OTHER, SUCCEEDED],
            {"pi_1": stored(SUCCEEDED)},
            [("pi_2", "insert", "succeeded"), ("pi_1", "no-op", "succeeded")],
            {"pi_2": [OTHER]},
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_plan(name, updates, current, want_outcomes, want_saved):
    plan = plan_batch(updates, current)
    assert outcomes(plan) == want_outcomes
    assert {i: d for i, d in plan.saves} == {i: stored(*us) for i, us in want_saved.items()}


def test_the_owners_extra_columns_are_carried_into_the_save():
    current = {"pi_1": {**stored(PROCESSING), "shipped": True, "_createdDate": {"$date": "x"}}}
    [(item_id, data)] = plan_batch([SUCCEEDED], current).saves
    assert (item_id, data["shipped"], data["status"]) == ("pi_1", True, "succeeded")
    assert "_createdDate" not in data, "Wix sets its system fields itself"


def test_an_unreadable_item_marks_its_messages_and_leaves_the_others_alone():
    plan = plan_batch([SUCCEEDED, OTHER, REFUNDED], {"pi_1": {"_id": "pi_1", "status": "??"}})
    assert [(m.item_id, m.action) for m in plan.messages] == [
        ("pi_1", "unreadable"),
        ("pi_2", "insert"),
        ("pi_1", "unreadable"),
    ]
    assert "cannot be read" in (plan.messages[0].detail or "")
    assert [i for i, _ in plan.saves] == ["pi_2"]


def test_a_batch_gives_the_record_that_one_message_at_a_time_gives():
    messages = [PROCESSING, FAILED, SUCCEEDED, REFUNDED, SUCCEEDED]
    [(_, data)] = plan_batch(messages, {}).saves
    assert data == stored(*messages)
