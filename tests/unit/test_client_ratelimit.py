"""Per-client token buckets and who the client is, with a hand-driven clock."""

import pytest

from ingest.ratelimit import ClientRateLimiter, client_address
from tests.fakes import FakeClock


def test_a_client_gets_its_burst_then_429_with_a_retry_after_until_refilled():
    clock = FakeClock(1000.0)
    limiter = ClientRateLimiter(per_minute=6, burst=3, clock=clock)  # one token per 10 s
    assert [limiter.check("a").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.check("a")
    assert (refused.allowed, refused.retry_after) == (False, 10)
    clock.now += 4
    assert limiter.check("a").retry_after == 6
    clock.now += 6
    assert limiter.check("a").allowed
    assert not limiter.check("a").allowed


def test_clients_are_limited_separately():
    limiter = ClientRateLimiter(per_minute=60, burst=1, clock=FakeClock(1000.0))
    assert limiter.check("a").allowed
    assert not limiter.check("a").allowed
    assert limiter.check("b").allowed


def test_memory_is_bounded_by_forgetting_the_least_recent_client():
    limiter = ClientRateLimiter(per_minute=60, burst=1, clock=FakeClock(1000.0), max_clients=2)
    limiter.check("a")
    limiter.check("b")
    limiter.check("c")  # forgets "a", which starts afresh
    assert limiter.check("a").allowed
    assert not limiter.check("c").allowed


@pytest.mark.parametrize(
    ("forwarded", "remote", "expected"),
    [
        (None, "10.0.0.1", "10.0.0.1"),
        ("203.0.113.9", "169.254.1.1", "203.0.113.9"),
        # A client-sent (spoofed) hop comes first; Google's front end appends the real one.
        ("1.2.3.4, 203.0.113.9", "169.254.1.1", "203.0.113.9"),
        (" , ", None, "unknown"),
    ],
)
def test_client_address(forwarded, remote, expected):
    assert client_address(forwarded, remote) == expected
