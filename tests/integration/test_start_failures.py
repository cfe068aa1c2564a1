"""A service or command started without what it needs says everything that is wrong at once,
in plain lines, and exits 2: no traceback, no gunicorn worker booting only to crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

INGEST_SETTINGS = {
    "GOOGLE_CLOUD_PROJECT": "p",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


def run(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`env -i PATH=… python -m …`: nothing set but what is given; HOME empty, so no gcloud
    login of this machine's user is found either."""
    return subprocess.run(
        ["env", "-i", f"PATH={os.environ['PATH']}", f"HOME={tmp_path}"]
        + [f"{k}={v}" for k, v in env.items()]
        + [sys.executable, "-m", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )


def assert_plain_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Worker failed to boot" not in result.stderr


def test_ingest_with_nothing_set_names_every_missing_variable_in_one_message(tmp_path):
    result = run(tmp_path, "ingest")
    assert_plain_failure(result)
    assert "3 settings are missing or invalid" in result.stderr
    for name in INGEST_SETTINGS:
        assert f"missing required environment variable {name}" in result.stderr
    # And the credentials, in the same run.
    assert "no Google credentials" in result.stderr


def test_ingest_without_google_credentials_or_emulator_says_so_in_one_line(tmp_path):
    result = run(tmp_path, "ingest", **INGEST_SETTINGS)
    assert_plain_failure(result)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: no Google credentials")
    assert "gcloud auth application-default login" in line and "PUBSUB_EMULATOR_HOST" in line


def test_a_credentials_file_that_is_not_there_is_named(tmp_path):
    result = run(
        tmp_path,
        "ingest",
        **INGEST_SETTINGS,
        GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "no-such-key.json"),
    )
    assert_plain_failure(result)
    [line] = result.stderr.strip().splitlines()
    assert "no-such-key.json" in line


def test_writer_lists_missing_and_invalid_settings_together(tmp_path):
    result = run(
        tmp_path,
        "writer",
        PUSH_AUTH="off",
        WIX_READS_PER_MINUTE="fast",
        PUBSUB_EMULATOR_HOST="x",
    )
    assert_plain_failure(result)
    for problem in (
        "GOOGLE_CLOUD_PROJECT",
        "WIX_API_KEY",
        "WIX_SITE_ID",
        "PUSH_AUTH is invalid",
        "WIX_READS_PER_MINUTE is invalid: 'fast' is not a number",
    ):
        assert problem in result.stderr
    assert "no Google credentials" not in result.stderr  # the emulator is set


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["writer", "redrive"], {"GOOGLE_CLOUD_PROJECT": "p"}),
        (["ingest", "reconcile"], {"GOOGLE_CLOUD_PROJECT": "p", "STRIPE_SECRET_KEY": "sk_test_x"}),
        (
            ["ingest", "backfill", "--since", "2024-01-01"],  # its checkpoint: in tmp_path
            {"GOOGLE_CLOUD_PROJECT": "p", "STRIPE_SECRET_KEY": "sk_test_x"},
        ),
    ],
)
def test_pubsub_commands_without_credentials_stop_before_any_client_is_built(tmp_path, argv, env):
    result = run(tmp_path, *argv, **env)
    assert_plain_failure(result)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: no Google credentials")


def test_register_webhook_needs_real_credentials_even_beside_the_emulator(tmp_path):
    result = run(
        tmp_path,
        "ingest",
        "register-webhook",
        "--url",
        "https://ingest.example.com/webhooks/stripe",
        GOOGLE_CLOUD_PROJECT="p",
        STRIPE_SECRET_KEY="sk_test_x",
        PUBSUB_EMULATOR_HOST="127.0.0.1:1",
    )
    assert_plain_failure(result)
    assert "no Google credentials" in result.stderr
