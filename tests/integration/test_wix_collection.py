"""WixCollection against the Wix Data stand-in over real HTTP: every call, every error class."""

from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from devstack.processes import free_port
from tests.standin_server import API_KEY, wix_client
from writer.budget import QuotaBudget
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE
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

    budget = QuotaBudget(6000, 6000, clock=lambda: now[0], sleep=sleep)
    limited = wix_client(standin, budget=budget)
    faults(standin, rate_limit_rate=1.0, retry_after=3)
    with pytest.raises(WixTransientError) as error:
        limited.get("pi_1")
    assert error.value.retry_after == 3.0
    faults(standin)
    assert limited.get("pi_1") is None
    assert sum(waits) >= 3.0, "the next request waited for Retry-After"


def test_a_retry_after_longer_than_a_request_may_wait_fails_fast(payments, standin):
    now = [0.0]
    budget = QuotaBudget(6000, 6000, clock=lambda: now[0], sleep=lambda s: None)
    limited = wix_client(standin, budget=budget)
    faults(standin, rate_limit_rate=1.0, retry_after=60)
    with pytest.raises(WixTransientError):
        limited.get("pi_1")
    faults(standin)
    with pytest.raises(WixTransientError, match="client-side Wix budget"):
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


def quota(url, **plan):
    requests.post(f"{url}/_standin/quota", json=plan, timeout=5).raise_for_status()


def stats(url):
    return requests.get(f"{url}/_standin/stats", timeout=5).json()


def test_get_many_reads_only_the_asked_items_in_one_consistent_query(payments, standin):
    for n in (1, 2, 3):
        payments.save(f"pi_{n}", item(n))
    before = stats(standin)["requests"]["read"]
    found = payments.get_many(["pi_1", "pi_3", "pi_404"])
    assert {k: v["paymentIntentId"] for k, v in found.items()} == {"pi_1": "pi_1", "pi_3": "pi_3"}
    assert stats(standin)["requests"]["read"] == before + 1


def test_the_query_filter_is_the_documented_one(payments, standin, tmp_path):
    payments.save("pi_1", item(1))
    body = {
        "dataCollectionId": "Payments",
        "query": {"filter": {"_id": {"$in": ["pi_1", "pi_2"]}}, "paging": {"limit": 2}},
        "consistentRead": True,
    }
    headers = {"Authorization": API_KEY, "wix-site-id": "test-wix-site"}
    answer = requests.post(
        f"{standin}/wix-data/v2/items/query", json=body, headers=headers, timeout=5
    )
    assert [i["id"] for i in answer.json()["dataItems"]] == ["pi_1"]
    body["query"]["filter"] = {"_id": {"$regex": "pi"}}
    refused = requests.post(
        f"{standin}/wix-data/v2/items/query", json=body, headers=headers, timeout=5
    )
    assert refused.status_code == 400, "an operator the stand-in does not know is never ignored"


def test_one_failing_item_in_a_bulk_save_does_not_fail_the_others(payments, standin):
    faults(standin, refuse_items=["pi_2"])
    results = payments.bulk_save([("pi_1", item(1)), ("pi_2", item(2)), ("pi_3", item(3))])
    assert [(r.item_id, r.success, r.original_index) for r in results] == [
        ("pi_1", True, 0),
        ("pi_2", False, 1),
        ("pi_3", True, 2),
    ]
    assert results[1].error_code == "WDE0075"
    assert isinstance(results[1].error(), WixPermanentError)
    assert payments.get("pi_1") and payments.get("pi_3") and payments.get("pi_2") is None


def test_the_quota_counts_reads_and_writes_apart_a_bulk_as_one_and_refuses_beyond(
    payments, standin
):
    quota(standin, reads_per_minute=2, writes_per_minute=1)
    payments.bulk_save([(f"pi_{n}", item(n)) for n in range(5)])  # one write, five items
    payments.get_many(["pi_1", "pi_2"])
    assert payments.get("pi_3")
    with pytest.raises(WixTransientError) as read_refused:
        payments.get("pi_4")
    with pytest.raises(WixTransientError) as write_refused:
        payments.save("pi_9", item(9))
    for refused in (read_refused.value, write_refused.value):
        assert (refused.status, refused.code, refused.retry_after) == (429, "WDE0014", None)
    assert stats(standin)["quota_refused"] == {"read": 1, "write": 1}
    quota(standin)  # off again
    assert payments.get("pi_4")


def test_a_429_without_retry_after_pauses_the_senders_by_a_backoff(payments, standin):
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    budgeted = wix_client(
        standin, budget=QuotaBudget(6000, 6000, clock=lambda: now[0], sleep=sleep)
    )
    quota(standin, reads_per_minute=1)
    budgeted.get("pi_1")
    with pytest.raises(WixTransientError):
        budgeted.get("pi_1")
    quota(standin)
    budgeted.save("pi_1", item(1))
    assert sum(waits) >= 1.0, "the write waited too: the pause is for every sender"
