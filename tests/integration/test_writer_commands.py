"""`python -m writer setup-collection` against the Wix stand-in, and every command's --help."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.standin_server import API_KEY, SITE_ID
from writer.__main__ import main
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE


def writer_command(standin_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("WIX_", "PUSH_", "PUBSUB_"))
    }
    environ.update(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "WIX_API_KEY": API_KEY,
            "WIX_SITE_ID": SITE_ID,
            "WIX_API_BASE": standin_url,
        }
        | env
    )
    return subprocess.run(
        [sys.executable, "-m", "writer", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def stored_collection(tmp_path) -> dict:
    with sqlite3.connect(tmp_path / "wix.sqlite3") as db:
        row = db.execute("SELECT body FROM collections WHERE id = 'Payments'").fetchone()
    return json.loads(row[0])


def test_setup_creates_the_collection_from_the_schema_file(standin, tmp_path):
    result = writer_command(standin, "setup-collection")
    assert result.returncode == 0, result.stderr
    schema = load_schema(DEFAULT_SCHEMA_FILE, "Payments")
    assert f"created collection Payments ({len(schema['fields'])} fields)" in result.stdout
    live = stored_collection(tmp_path)
    assert [(f["key"], f["type"]) for f in live["fields"]] == [
        (f["key"], f["type"]) for f in schema["fields"]
    ]
    assert live["permissions"] == {
        "read": "ADMIN",
        "insert": "ADMIN",
        "update": "ADMIN",
        "remove": "ADMIN",
    }


def test_a_second_run_changes_nothing(standin, tmp_path):
    writer_command(standin, "setup-collection")
    before = stored_collection(tmp_path)
    again = writer_command(standin, "setup-collection")
    assert again.returncode == 0, again.stderr
    assert "matches the schema; nothing changed" in again.stdout
    assert stored_collection(tmp_path) == before


def test_a_run_against_a_hand_edited_collection_reports_each_difference_and_changes_nothing(
    standin, tmp_path
):
    writer_command(standin, "setup-collection")
    edited = stored_collection(tmp_path)
    for field in edited["fields"]:
        if field["key"] == "amount":
            field["type"] = "TEXT"
    edited["fields"] = [f for f in edited["fields"] if f["key"] != "cardLast4"]
    edited["permissions"]["read"] = "ANYONE"
    with sqlite3.connect(tmp_path / "wix.sqlite3") as db:
        db.execute("UPDATE collections SET body = ? WHERE id = 'Payments'", (json.dumps(edited),))
    result = writer_command(standin, "setup-collection")
    assert result.returncode == 1
    assert "field amount is TEXT, schema says NUMBER" in result.stdout
    assert "field cardLast4 is missing" in result.stdout
    assert "permission read is ANYONE, schema says ADMIN" in result.stdout
    assert stored_collection(tmp_path) == edited


def test_setup_with_a_wrong_api_key_fails_with_the_wix_error(standin):
    result = writer_command(standin, "setup-collection", WIX_API_KEY="wrong")
    assert result.returncode == 1
    assert "401" in result.stderr


def test_a_missing_setting_is_named(standin):
    result = writer_command(standin, "setup-collection", WIX_SITE_ID="")
    assert result.returncode == 2
    assert "WIX_SITE_ID" in result.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], "setup-collection"),
        (["setup-collection", "--help"], "setup-collection"),
        (["redrive", "--help"], "--max N"),
        (["serve", "--help"], "serve"),
    ],
)
def test_every_command_has_help(capsys, argv, expected):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    assert expected in capsys.readouterr().out
