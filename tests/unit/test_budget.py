"""The Wix quota budget: reads and writes per minute apart, and a 429 pausing every sender."""

from __future__ import annotations

import pytest

from tests.fakes import FakeClock
from writer.budget import MAX_PAUSE, QuotaBudget, per_process


def budget(clock: FakeClock, reads: float = 120, writes: float = 60) -> QuotaBudget:
    return QuotaBudget(reads, writes, clock=clock, sleep=clock.sleep)


def test_in_any_minute_no_more_than_the_budget_plus_one_seconds_burst_goes_out():
    clock = FakeClock(0.0)
    quota = budget(clock, reads=120)
    times = []
    for _ in range(400):
        assert quota.acquire("read", max_wait=5)
        times.append(clock.now)
    busiest = max(sum(1 for u in times if t <= u < t + 60) for t in times)
    assert busiest <= 120 + 2


def test_reads_and_writes_are_budgeted_apart():
    clock = FakeClock(0.0)
    quota = budget(clock, reads=60, writes=60)  # one a second each, burst of one
    assert quota.acquire("read", max_wait=0)
    assert not quota.acquire("read", max_wait=0)
    assert quota.acquire("write", max_wait=0), "spent reads leave writes alone"


def test_a_429_with_retry_after_pauses_reads_and_writes_for_that_long():
    clock = FakeClock(0.0)
    quota = budget(clock)
    assert quota.refused(7.0) == 7.0
    assert quota.acquire("write", max_wait=10)
    assert clock.now >= 7.0


def test_a_429_without_retry_after_backs_off_doubling_until_a_request_goes_through():
    quota = budget(FakeClock(0.0))
    assert [quota.refused(None) for _ in range(3)] == [1.0, 2.0, 4.0]
    assert max(quota.refused(None) for _ in range(10)) == MAX_PAUSE
    quota.accepted()
    assert quota.refused(None) == 1.0


def test_an_instance_budget_is_shared_by_its_workers():
    assert per_process(200, 2) == 100
    assert per_process(200, 0) == 200


def test_a_budget_of_nothing_is_refused():
    with pytest.raises(ValueError):
        QuotaBudget(0, 10)
