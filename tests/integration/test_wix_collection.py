"""WixCollection against the Wix Data stand-in over real HTTP: every call, every error class."""

from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from devstack.processes import free_port
from tests.standin_server import API_KEY, wix_client
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE
from writer.ratelimit import RateLimiter
from writer.wix import WixConfigError, WixPermanentError, WixTransientError


@pytest.fixture
def payments(standin):
    collection = wix_client(standin)
    collection.create_collection(load_schema(DEFAULT_SCHEMA_FILE, "Payments"))
    return collection


def faults(url, **plan):
    requests.post(f"{url}/_standin/faults", json=plan, timeout=5).raise_for_status()


def item(n: int, **changes):
    return {"paymentIntentId": f"pi_{n}", "status": "succeeded", "amount": 19.99, **changes}


def test_get_save_and_get_again_round_trips_an_item(payments):
    assert payments.get("pi_1") is None
    assert payments.save("pi_1", item(1, firstName="Ada")) == "INSERTED"
    assert payments.get("pi_1")["firstName"] == "Ada"
    assert payments.save("pi_1", item(1)) == "UPDATED"
    # Save replaces the whole item: the field left out is gone, as on Wix.
    assert "firstName" not in payments.get("pi_1")


def test_item_ids_with_reserved_characters_are_escaped_in_the_path(payments):
    payments.save("pi/1 ?x", item(1))
    assert payments.get("pi/1 ?x")["paymentIntentId"] == "pi_1"


def test_bulk_save_reads_partial_failures_from_results(payments):
    payments.save("pi_2", item(2))
    results = payments.bulk_save(
        [("pi_1", item(1)), ("pi_2", item(2)), ("pi_3", item(3, amount="not a number"))]
    )
    assert [(r.item_id, r.action, r.success, r.error_code) for r in results] == [
        ("pi_1", "INSERT", True, None),
        ("pi_2", "UPDATE", True, None),
        ("pi_3", None, False, "WDE0075"),
    ]
    assert "NUMBER" in results[2].error_message
    assert payments.get("pi_3") is None


def test_bulk_save_refuses_more_than_1000_items_before_calling_wix(payments):
    with pytest.raises(ValueError, match="1000"):
        payments.bulk_save([(f"pi_{n}", item(n)) for n in range(1001)])
    assert payments.requests_made == 1  # only the create_collection of the fixture


def test_query_pages_with_limit_and_offset_and_reports_the_total(payments):
    payments.bulk_save([(f"pi_{n}", item(n)) for n in range(230)])
    page, total = payments.query(limit=100, offset=200)
    assert (len(page), total) == (30, 230)
    assert page[0]["paymentIntentId"] == "pi_200"
    assert len(payments.all_items()) == 230


def test_create_collection_then_get_it_back_with_fields_and_admin_permissions(standin):
    collection = wix_client(standin)
    assert collection.get_collection() is None
    schema = load_schema(DEFAULT_SCHEMA_FILE, "Payments")
    collection.create_collection(schema)
    live = collection.get_collection()
    assert [f["key"] for f in live["fields"]] == [f["key"] for f in schema["fields"]]
    assert set(live["permissions"].values()) == {"ADMIN"}
    with pytest.raises(WixPermanentError) as exists:
        collection.create_collection(schema)
    assert exists.value.code == "WDE0074"


@pytest.mark.parametrize(
    ("plan", "status", "code"),
    [({"error_rate": 1.0}, 500, "INTERNAL"), ({"rate_limit_rate": 1.0}, 429, "WDE0014")],
)
def test_wix_outages_and_quota_are_transient(payments, standin, plan, status, code):
    faults(standin, **plan)
    with pytest.raises(WixTransientError) as error:
        payments.get("pi_1")
    assert (error.value.status, error.value.code) == (status, code)


def test_a_timeout_is_transient(payments, standin):
    faults(standin, latency_ms=500)
    slow = wix_client(standin, timeout=(1.0, 0.2))
    with pytest.raises(WixTransientError, match="timed out"):
        slow.get("pi_1")


def test_a_refused_connection_is_transient():
    closed = wix_client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(WixTransientError, match="connection failed"):
        closed.get("pi_1")


@pytest.mark.parametrize(
    ("options", "status", "code"),
    [
        ({"api_key": "wrong"}, 401, "UNAUTHENTICATED"),
        ({"api_key": f"Bearer {API_KEY}"}, 401, "UNAUTHENTICATED"),
        ({"site_id": "another-site"}, 403, "WDE0027"),
        ({"collection_id": "NoSuchCollection"}, 404, "WDE0025"),
    ],
)
def test_wrong_key_site_or_collection_are_configuration_errors(
    payments, standin, options, status, code
):
    with pytest.raises(WixConfigError) as error:
        wix_client(standin, **options).get("pi_1")
    assert (error.value.status, error.value.code) == (status, code)


def test_a_404_that_is_not_item_not_found_is_never_read_as_a_missing_item(payments, standin):
    # Reading "absent" here would let the next save replace a real item with one message's data.
    with pytest.raises(WixConfigError):
        wix_client(f"{standin}/not-the-api").get("pi_1")


def test_a_validation_error_is_permanent(payments):
    with pytest.raises(WixPermanentError) as error:
        payments.save("pi_1", item(1, paidOn="yesterday"))
    assert (error.value.status, error.value.code) == (400, "WDE0075")


def test_retry_after_pauses_every_request_of_the_instance(payments, standin):
    now = [1000.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(100, clock=lambda: now[0], sleep=sleep)
    limited = wix_client(standin, limiter=limiter)
    faults(standin, rate_limit_rate=1.0, retry_after=3)
    with pytest.raises(WixTransientError) as error:
        limited.get("pi_1")
    assert error.value.retry_after == 3.0
    faults(standin)
    assert limited.get("pi_1") is None
    assert sum(waits) >= 3.0, "the next request waited for Retry-After"


def test_a_retry_after_longer_than_a_request_may_wait_fails_fast(payments, standin):
    now = [0.0]
    limiter = RateLimiter(100, clock=lambda: now[0], sleep=lambda s: None)
    limited = wix_client(standin, limiter=limiter)
    faults(standin, rate_limit_rate=1.0, retry_after=60)
    with pytest.raises(WixTransientError):
        limited.get("pi_1")
    faults(standin)
    with pytest.raises(WixTransientError, match="client-side Wix rate limit"):
        limited.get("pi_1")


@pytest.mark.parametrize(
    "base",
    ["http://www.wixapis.com", "ftp://localhost", "http://localhost.evil.example", "wixapis"],
)
def test_only_https_is_accepted_except_for_localhost(base):
    with pytest.raises(ValueError, match="https"):
        wix_client(base)


@pytest.mark.parametrize(
    "base", ["https://www.wixapis.com", "http://127.0.0.1:8086", "http://localhost"]
)
def test_https_and_plain_http_to_localhost_are_accepted(base):
    wix_client(base)


def test_requests_carry_the_api_key_itself_and_the_site_id(payments, standin, tmp_path):
    payments.save("pi_1", item(1))
    # The stand-in refuses "Bearer <key>" and a wrong site; reaching it proves the headers.
    stored = sqlite3.connect(tmp_path / "wix.sqlite3").execute("SELECT data FROM items").fetchone()
    assert json.loads(stored[0])["paymentIntentId"] == "pi_1"
