"""devstack.samples.wait_for_records against the Wix stand-in over real HTTP: it waits for the
fields asked for, not only the status, and says what is missing when it gives up."""

from __future__ import annotations

import threading

import pytest

from devstack import samples
from tests.standin_server import running_standin, wix_client
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE


@pytest.fixture
def standin(tmp_path):
    """Unlike the shared `standin` (conftest.py): the Payments collection already exists."""
    with running_standin(tmp_path) as url:
        wix_client(url).create_collection(load_schema(DEFAULT_SCHEMA_FILE, "Payments"))
        yield url


def test_a_status_alone_is_met_by_the_first_write(standin):
    wix_client(standin).save("pi_1", {"status": "succeeded"})
    records = samples.wait_for_records(standin, "Payments", {"pi_1": "succeeded"}, timeout=5)
    assert records["pi_1"]["status"] == "succeeded"


def test_waits_for_a_field_that_a_later_write_brings(standin):
    collection = wix_client(standin)
    collection.save("pi_1", {"status": "succeeded"})
    wrote_method = threading.Event()

    def complete_later() -> None:
        # Written while the caller is already polling, as the charge's event would be.
        collection.save("pi_1", {"status": "succeeded", "paidWith": "Card"})
        wrote_method.set()

    timer = threading.Timer(0.5, complete_later)
    timer.start()
    try:
        records = samples.wait_for_records(
            standin, "Payments", {"pi_1": {"status": "succeeded", "paidWith": "Card"}}, timeout=10
        )
    finally:
        timer.cancel()
    assert wrote_method.is_set()
    assert records["pi_1"]["paidWith"] == "Card"


def test_gives_up_naming_the_fields_that_differ_and_the_records_missing(standin):
    wix_client(standin).save("pi_1", {"status": "succeeded"})
    with pytest.raises(TimeoutError) as raised:
        samples.wait_for_records(
            standin,
            "Payments",
            {"pi_1": {"status": "succeeded", "paidWith": "Card"}, "pi_2": "succeeded"},
            timeout=0.5,
        )
    assert "'pi_1': {'paidWith': None}" in str(raised.value)
    assert "'pi_2': {'record': None}" in str(raised.value)
