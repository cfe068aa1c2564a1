"""Group commit: one read and one bulk save per batch, each message answered from its own item."""

from __future__ import annotations

import random
import threading
import time

import pytest

from payments.status import PaymentStatus as S
from tests.fakes import FakeClock, FakeCollection
from tests.unit.test_merge import T, update
from writer.apply import RetryPolicy
from writer.budget import QuotaBudget
from writer.groupcommit import GroupCommit, run_batch
from writer.record import UnreadableItem
from writer.wix import WixConfigError, WixPermanentError, WixTransientError


def pay(n: int, status: S = S.SUCCEEDED, at: int = T):
    return update(status, at=at, payment_intent_id=f"pi_{n}", event_id=f"evt_{n}_{status}_{at}")


def run(collection, updates, policy=None, clock=None):
    clock = clock or FakeClock(0.0)
    return run_batch(
        collection,
        updates,
        policy or RetryPolicy(),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )


def test_a_batch_costs_one_read_and_one_bulk_save_of_the_changed_items_only():
    collection = FakeCollection()
    run(collection, [pay(1)])
    results = run(collection, [pay(1), pay(2), pay(3, S.PROCESSING), pay(3, S.SUCCEEDED, T + 1)])
    assert [(r.action, r.status) for r in results] == [
        ("no-op", "succeeded"),
        ("insert", "succeeded"),
        ("insert", "processing"),
        ("update", "succeeded"),
    ]
    assert collection.queries[-1] == ["pi_1", "pi_2", "pi_3"]
    assert collection.bulks[-1] == ["pi_2", "pi_3"]
    assert (collection.reads, collection.writes) == (2, 2)
    assert collection.items["pi_3"]["status"] == "succeeded"


def test_a_batch_of_no_ops_saves_nothing():
    collection = FakeCollection()
    run(collection, [pay(1)])
    assert [r.action for r in run(collection, [pay(1), pay(1)])] == ["no-op", "no-op"]
    assert collection.writes == 1


def test_one_refused_item_is_dead_lettered_and_the_others_are_applied():
    collection = FakeCollection(item_errors={"pi_2": "WDE0075"})
    results = run(collection, [pay(1), pay(2), pay(3)])
    assert isinstance(results[1], WixPermanentError) and results[1].code == "WDE0075"
    assert [results[0].action, results[2].action] == ["insert", "insert"]
    assert set(collection.items) == {"pi_1", "pi_3"}
    assert collection.writes == 1, "a validation failure is not retried"


def test_one_item_failing_transiently_is_retried_alone_from_the_read():
    collection = FakeCollection(item_errors={"pi_2": "INTERNAL"}, item_errors_once=True)
    results = run(collection, [pay(1), pay(2)])
    assert [(r.action, r.attempts) for r in results] == [("insert", 1), ("insert", 2)]
    assert collection.queries == [["pi_1", "pi_2"], ["pi_2"]]
    assert collection.bulks[-1] == ["pi_2"]


def test_an_item_failing_every_attempt_stays_transient_for_pubsub_and_the_others_land():
    collection = FakeCollection(item_errors={"pi_2": "INTERNAL"})
    results = run(collection, [pay(1), pay(2)], RetryPolicy(attempts=3))
    assert results[0].action == "insert"
    assert isinstance(results[1], WixTransientError)
    assert len(collection.bulks) == 3


def test_a_failed_query_is_retried_for_the_whole_batch_with_retry_after():
    clock = FakeClock(0.0)
    collection = FakeCollection(fail_get=[WixTransientError("429", 429, "WDE0014", 2.0)])
    results = run(collection, [pay(1), pay(2)], clock=clock)
    assert [r.action for r in results] == ["insert", "insert"]
    assert clock.slept[0] >= 2.0


def test_a_configuration_error_answers_every_message_without_retrying():
    collection = FakeCollection(fail_get=[WixConfigError("403", 403, "WDE0027")])
    results = run(collection, [pay(1), pay(2)])
    assert all(isinstance(r, WixConfigError) for r in results)
    assert collection.reads == 1


def test_a_whole_bulk_refused_as_invalid_is_split_to_find_the_one_bad_item():
    class RefusesBulksWithPi2(FakeCollection):
        def bulk_save(self, items):
            if len(items) > 1 and any(i == "pi_2" for i, _ in items):
                self.writes += 1
                raise WixPermanentError("400 WDE0075", 400, "WDE0075")
            if [i for i, _ in items] == ["pi_2"]:
                raise WixPermanentError("400 WDE0075", 400, "WDE0075")
            return super().bulk_save(items)

    collection = RefusesBulksWithPi2()
    results = run(collection, [pay(1), pay(2), pay(3)])
    assert isinstance(results[1], WixPermanentError)
    assert [results[0].action, results[2].action] == ["insert", "insert"]


def test_an_unreadable_item_dead_letters_its_messages_only():
    collection = FakeCollection(items={"pi_1": {"_id": "pi_1", "status": "shipped?"}})
    results = run(collection, [pay(1), pay(2)])
    assert isinstance(results[0], UnreadableItem)
    assert results[1].action == "insert"
    assert collection.items["pi_1"] == {"_id": "pi_1", "status": "shipped?"}


# GroupCommit: threads ------------------------------------------------------------------------
def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


class Recorder:
    """A batch runner that records each batch and can hold the first one until released."""

    def __init__(self, hold_first: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.hold_first = hold_first

    def __call__(self, updates, timer):
        self.batches.append([u.payment_intent_id for u in updates])
        self.started.set()
        if self.hold_first and len(self.batches) == 1:
            assert self.release.wait(10)
        return run(FakeCollection(), updates)


def submit_all(commit, updates):
    results = {}
    threads = [
        threading.Thread(
            target=lambda u=u: results.__setitem__(u.payment_intent_id, commit.submit(u))
        )
        for u in updates
    ]
    for t in threads:
        t.start()
    return threads, results


def test_pushes_arriving_while_a_batch_commits_join_the_next_batch():
    recorder = Recorder(hold_first=True)
    commit = GroupCommit(recorder, window=0.0, max_items=100, max_commits=1)
    first, _ = submit_all(commit, [pay(0)])
    assert recorder.started.wait(10)
    others, results = submit_all(commit, [pay(n) for n in range(1, 8)])
    wait_for(lambda: commit.waiting == 7)
    recorder.release.set()
    for t in first + others:
        t.join(10)
    assert recorder.batches[0] == ["pi_0"]
    assert sorted(recorder.batches[1]) == [f"pi_{n}" for n in range(1, 8)]
    assert len(recorder.batches) == 2
    assert all(c.batch_size == 7 and c.result.action == "insert" for c in results.values())


def test_a_batch_closes_at_its_size_cap_and_batches_commit_oldest_first():
    recorder = Recorder(hold_first=True)
    commit = GroupCommit(recorder, window=0.0, max_items=3, max_commits=1)
    first, _ = submit_all(commit, [pay(0)])
    assert recorder.started.wait(10)
    threads = []
    for n in range(1, 8):  # one at a time, so that the order of arrival is known
        more, _ = submit_all(commit, [pay(n)])
        threads += more
        wait_for(lambda n=n: commit.waiting == n)
    recorder.release.set()
    for t in first + threads:
        t.join(10)
    assert recorder.batches == [
        ["pi_0"],
        ["pi_1", "pi_2", "pi_3"],
        ["pi_4", "pi_5", "pi_6"],
        ["pi_7"],
    ]


def test_a_batch_that_is_not_full_waits_for_the_commit_before_it():
    recorder = Recorder(hold_first=True)
    commit = GroupCommit(recorder, window=0.0, max_items=10, max_commits=2)
    first, _ = submit_all(commit, [pay(0)])
    assert recorder.started.wait(10)
    more, _ = submit_all(commit, [pay(1), pay(2)])
    wait_for(lambda: commit.waiting == 2)
    assert len(recorder.batches) == 1, "a second commit only for a full batch"
    recorder.release.set()
    for t in first + more:
        t.join(10)
    assert sorted(recorder.batches[1]) == ["pi_1", "pi_2"]


def test_full_batches_commit_two_at_once_and_a_third_waits_for_a_free_slot():
    release = threading.Event()
    started: list[list[str]] = []
    lock = threading.Lock()

    def slow(updates, timer):
        with lock:
            started.append([u.payment_intent_id for u in updates])
        assert release.wait(10)
        return run(FakeCollection(), updates)

    commit = GroupCommit(slow, window=0.0, max_items=1, max_commits=2)
    threads = []
    for n in range(3):
        more, _ = submit_all(commit, [pay(n)])
        threads += more
        if n < 2:
            wait_for(lambda n=n: len(started) == n + 1)
    wait_for(lambda: commit.waiting == 1)
    assert started == [["pi_0"], ["pi_1"]], "the third waits while two commit"
    release.set()
    for t in threads:
        t.join(10)
    assert started[2] == ["pi_2"]


def test_while_the_leader_waits_for_budget_its_batch_stays_open_to_new_pushes():
    budget_free = threading.Event()
    waiting_for_budget = threading.Event()

    def ready():
        waiting_for_budget.set()
        assert budget_free.wait(10)

    recorder = Recorder()
    commit = GroupCommit(recorder, window=0.0, ready=ready)
    first, _ = submit_all(commit, [pay(0)])
    assert waiting_for_budget.wait(10)
    more, _ = submit_all(commit, [pay(n) for n in range(1, 6)])
    wait_for(lambda: commit.waiting == 6)
    budget_free.set()
    for t in first + more:
        t.join(10)
    assert [sorted(b) for b in recorder.batches] == [[f"pi_{n}" for n in range(6)]]


def test_waiting_for_a_read_and_a_write_takes_neither():
    clock = FakeClock(0.0)
    quota = QuotaBudget(60, 60, clock=clock, sleep=clock.sleep)
    quota.wait_ready(max_wait=5)
    quota.wait_ready(max_wait=5)
    assert quota.acquire("read", 0) and quota.acquire("write", 0)
    assert clock.slept == []


def test_a_lone_message_is_committed_when_its_window_ends():
    recorder = Recorder()
    commit = GroupCommit(recorder, window=0.02)
    started = time.monotonic()
    committed = commit.submit(pay(1))
    assert time.monotonic() - started >= 0.02
    assert (committed.batch_size, committed.result.action) == (1, "insert")


def test_a_runner_that_crashes_answers_every_message_as_transient():
    def crash(updates, timer):
        raise RuntimeError("boom")

    committed = GroupCommit(crash, window=0.0).submit(pay(1))
    assert isinstance(committed.result, WixTransientError)
    assert "boom" in str(committed.result)


def test_the_size_cap_is_wix_bulk_limit_at_most():
    with pytest.raises(ValueError, match="1000"):
        GroupCommit(Recorder(), window=0.0, max_items=1001)
