"""The Wix stand-in's Update and Delete Data Collection, as Wix's Data Collections API has them."""

from __future__ import annotations

import requests

from tests.standin_server import API_KEY, SITE_ID, running_standin, wix_client
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE

HEADERS = {"Authorization": API_KEY, "wix-site-id": SITE_ID}


def test_update_replaces_the_permissions_on_the_current_revision_only(tmp_path):
    with running_standin(tmp_path) as url:
        wix = wix_client(url)
        wix.create_collection(load_schema(DEFAULT_SCHEMA_FILE, "Payments"))
        live = wix.get_collection()
        assert live is not None and live["permissions"]["read"] == "ADMIN"

        public = {**live, "permissions": {**live["permissions"], "read": "ANYONE"}}
        answer = requests.put(
            f"{url}/wix-data/v2/collections",
            json={"collection": public},
            headers=HEADERS,
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        after = wix.get_collection()
        assert after is not None
        assert after["permissions"]["read"] == "ANYONE"
        assert int(after["revision"]) == int(live["revision"]) + 1

        stale = requests.put(
            f"{url}/wix-data/v2/collections",
            json={"collection": public},
            headers=HEADERS,
            timeout=5,
        )
        assert stale.status_code == 409


def test_delete_removes_the_collection_so_it_reads_as_missing(tmp_path):
    with running_standin(tmp_path) as url:
        wix = wix_client(url)
        wix.create_collection(load_schema(DEFAULT_SCHEMA_FILE, "Payments"))
        answer = requests.delete(
            f"{url}/wix-data/v2/collections/Payments", headers=HEADERS, timeout=5
        )
        assert answer.status_code == 200
        assert wix.get_collection() is None
        again = requests.delete(
            f"{url}/wix-data/v2/collections/Payments", headers=HEADERS, timeout=5
        )
        assert again.json()["details"]["applicationError"]["code"] == "WDE0025"
