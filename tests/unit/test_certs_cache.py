"""servicekit.oidc.CachingCertsRequest: Google's signing certs fetched once per max-age, not per
push request, and never cached when the fetch failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from servicekit.oidc import CachingCertsRequest
from tests.fakes import FakeClock


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeTransport:
    answers: list[Answer]
    calls: list[tuple[str, str, float | None]] = field(default_factory=list)

    def __call__(self, url: str, method: str, body: Any, headers: Any, timeout: Any, **_: Any):
        self.calls.append((url, method, timeout))
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


CERTS = "https://www.googleapis.com/oauth2/v1/certs"


@pytest.mark.parametrize(
    ("cache_control", "later", "fetches"),
    [
        ("public, max-age=19000, must-revalidate", 18_999, 1),
        ("public, max-age=19000, must-revalidate", 19_001, 2),
        ("no max-age here", 299, 1),  # the default time to live
        ("no max-age here", 301, 2),
    ],
)
def test_certs_are_kept_as_long_as_max_age_says(cache_control, later, fetches):
    clock = FakeClock(1000.0)
    transport = FakeTransport([Answer(200, {"cache-control": cache_control})])
    request = CachingCertsRequest(transport, default_ttl=300, clock=clock)
    request(CERTS)
    clock.sleep(later)
    request(CERTS)
    assert len(transport.calls) == fetches


def test_a_failed_fetch_is_not_kept():
    transport = FakeTransport([Answer(503), Answer(200, {"cache-control": "max-age=60"})])
    request = CachingCertsRequest(transport, clock=FakeClock(0.0))
    assert request(CERTS).status == 503
    assert request(CERTS).status == 200
    assert request(CERTS).status == 200
    assert len(transport.calls) == 2


def test_each_fetch_is_bounded_in_time_and_other_methods_pass_through():
    transport = FakeTransport([Answer(200)])
    request = CachingCertsRequest(transport, timeout=5.0, clock=FakeClock(0.0))
    request(CERTS)
    request(CERTS, method="POST")
    request(CERTS, method="POST")
    assert transport.calls == [(CERTS, "GET", 5.0), (CERTS, "POST", 5.0), (CERTS, "POST", 5.0)]
