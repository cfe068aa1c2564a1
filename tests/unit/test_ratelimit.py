"""RateLimiter with a fake clock: burst, steady rate, giving up in time, Retry-After pauses."""

from __future__ import annotations

import pytest

from tests.fakes import FakeClock
from writer.ratelimit import RateLimiter


@pytest.fixture
def clock():
    return FakeClock(100.0)


def limiter(clock: FakeClock, per_second: float, burst: int | None = None) -> RateLimiter:
    return RateLimiter(per_second, burst=burst, clock=clock, sleep=clock.sleep)


def test_a_full_bucket_serves_its_burst_without_waiting(clock):
    bucket = limiter(clock, 10)
    assert all(bucket.acquire(max_wait=1) for _ in range(10))
    assert clock.slept == []


def test_beyond_the_burst_requests_are_spaced_at_the_rate(clock):
    bucket = limiter(clock, 10, burst=1)
    start = clock.now
    for _ in range(51):
        assert bucket.acquire(max_wait=1)
    assert clock.now - start == pytest.approx(5.0)


def test_sustained_demand_stays_within_burst_plus_rate_in_any_window(clock):
    bucket = limiter(clock, 20)
    times = []
    for _ in range(300):
        assert bucket.acquire(max_wait=5)
        times.append(clock.now)
    for window in (1.0, 5.0):
        busiest = max(sum(1 for u in times if t <= u < t + window) for t in times)
        assert busiest <= 20 + 20 * window + 1
    assert times[-1] - times[0] == pytest.approx((300 - 20) / 20)


def test_no_slot_within_max_wait_is_refused_without_sleeping_past_it(clock):
    bucket = limiter(clock, 1, burst=1)
    assert bucket.acquire(max_wait=0.5)
    assert not bucket.acquire(max_wait=0.5)
    assert sum(clock.slept) <= 0.5


def test_a_pause_holds_every_request_until_it_ends(clock):
    bucket = limiter(clock, 50)
    bucket.pause(2.0)
    start = clock.now
    assert bucket.acquire(max_wait=5)
    assert clock.now - start >= 2.0


def test_after_a_pause_the_bucket_starts_empty_instead_of_bursting(clock):
    bucket = limiter(clock, 10)
    bucket.pause(3.0)  # tokens that would accrue during the pause must not be spent at once
    start = clock.now
    for _ in range(10):
        assert bucket.acquire(max_wait=5)
    assert clock.now - start == pytest.approx(3.0 + 10 * 0.1)


def test_a_pause_longer_than_max_wait_fails_fast(clock):
    bucket = limiter(clock, 50)
    bucket.pause(60)
    assert not bucket.acquire(max_wait=4.5)
    assert clock.slept == []


def test_overlapping_pauses_keep_the_later_end(clock):
    bucket = limiter(clock, 50)
    bucket.pause(5)
    bucket.pause(1)
    start = clock.now
    assert bucket.acquire(max_wait=10)
    assert clock.now - start >= 5
