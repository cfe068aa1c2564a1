"""Plan one batch of PaymentUpdates: the items to save and each message's outcome. Pure.

A batch is what the writer's pushes of one moment have in common: one read of all their items,
one bulk save of those that changed (writer/groupcommit.py does the I/O). The planner folds the
updates of one payment in their order through the same merge as a single message, so a batch
changes nothing that the messages applied one by one would not: exactly-once, no regression,
the owner's extra columns kept (design.md, merge rule 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from payments.message import PaymentUpdate
from payments.methods import label
from writer.merge import merge
from writer.record import PaymentRecord, UnreadableItem, from_wix_data, owner_fields, to_wix_data

INSERT = "insert"
UPDATE = "update"
NO_OP = "no-op"
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class MessagePlan:
    """What one message does to its item: insert | update | no-op, or unreadable (the existing
    item cannot be read, and the message goes to the dead letters with `detail`)."""

    item_id: str
    action: str
    status: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class BatchPlan:
    saves: tuple[tuple[str, dict[str, Any]], ...]  # (item id, whole item) of changed items only
    messages: tuple[MessagePlan, ...]  # one per update, in the batch's order

    @property
    def saved_ids(self) -> frozenset[str]:
        return frozenset(item_id for item_id, _ in self.saves)


def plan_batch(
    updates: Sequence[PaymentUpdate], current: Mapping[str, dict[str, Any]]
) -> BatchPlan:
    """`current`: the Wix data of the items that exist, by item id (absent: no item yet)."""
    plans: list[MessagePlan | None] = [None] * len(updates)
    by_item: dict[str, list[int]] = {}
    for index, update in enumerate(updates):
        by_item.setdefault(update.payment_intent_id, []).append(index)
    saves: list[tuple[str, dict[str, Any]]] = []
    for item_id, indexes in by_item.items():
        stored = current.get(item_id)
        try:
            existing = from_wix_data(stored) if stored is not None else None
        except UnreadableItem as exc:
            for index in indexes:
                plans[index] = MessagePlan(item_id, UNREADABLE, detail=str(exc))
            continue
        record: PaymentRecord | None = existing
        for index in indexes:
            merged = merge(record, updates[index])
            action = NO_OP if merged == record else INSERT if record is None else UPDATE
            plans[index] = MessagePlan(item_id, action, merged.status.value)
            record = merged
        if record is not None and record != existing:
            data = to_wix_data(record, label(record.paid_with) if record.paid_with else None)
            if stored is not None:
                data = {**owner_fields(stored), **data}
            saves.append((item_id, data))
    return BatchPlan(tuple(saves), tuple(p for p in plans if p is not None))
