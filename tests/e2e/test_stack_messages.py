"""`make send` against a Wix that fails: it says what it waits for, then names the records still
missing and the log that says why, instead of a silent wait and a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_send_against_a_failing_wix_names_the_missing_records_and_the_log(stack, wix_faults):
    wix_faults(error_rate=1.0)
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "send"],
        env={
            **os.environ,
            "DEVSTACK_DIR": str(stack.config.state_dir),
            "DEVSTACK_SEND_TIMEOUT": "3",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "waiting for the 3 records in the Wix stand-in" in result.stdout
    assert "3 of 3 records not as expected after 3 s" in result.stderr
    assert result.stderr.count(": no record") == 3
    assert str(stack.config.state_dir / "logs" / "writer.log") in result.stderr


def logged_requests(path: Path) -> list[dict[str, object]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [entry for line in lines if line.startswith("{") for entry in [json.loads(line)]]


@pytest.mark.parametrize(
    ("service", "url_of", "path"),
    [
        ("wix-standin", lambda c: c.standin_url, "/"),
        ("stripe-standin", lambda c: c.stripe_standin_url, "/v1/customers"),
        ("checkout-page", lambda c: c.checkout_url, "/"),
    ],
)
def test_each_stand_in_logs_one_json_line_per_request(stack, service, url_of, path):
    marker = f"/{uuid.uuid4().hex}"
    log = stack.log_dir / f"{service}.log"
    # The stack is shared: earlier tests logged requests to the same paths (a POST to
    # /v1/customers, say), so only the lines written from here on are this test's.
    before = len(logged_requests(log))
    requests.get(url_of(stack.config) + marker, timeout=10)
    requests.get(url_of(stack.config) + path + "?client_secret=never_logged", timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = logged_requests(log)[before:]
        mine = [e for e in entries if e.get("path") in (marker, path)]
        if len(mine) >= 2:
            break
        time.sleep(0.1)
    assert {e["path"]: e["http_status"] for e in mine}[marker] == 404
    assert all(e["service"] == service and e["method"] == "GET" for e in mine)
    assert "never_logged" not in log.read_text()
