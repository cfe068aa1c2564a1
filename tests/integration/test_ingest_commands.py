"""`python -m ingest reconcile` and `register-webhook`: help, and refusals before any call."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "GOOGLE_", "PUBSUB_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ingest_help_lists_both_commands():
    result = run("--help")
    assert result.returncode == 0
    assert "reconcile" in result.stdout and "register-webhook" in result.stdout


@pytest.mark.parametrize(
    ("command", "words"),
    [("reconcile", ["--since", "24h", "30d"]), ("register-webhook", ["--url", "--secret-id"])],
)
def test_command_help(command, words):
    result = run(command, "--help")
    assert result.returncode == 0
    for word in words:
        assert word in result.stdout


def test_reconcile_refuses_a_bad_since_before_calling_anything():
    result = run("reconcile", "--since", "forever")
    assert result.returncode == 2
    assert "90m, 24h, 7d" in result.stderr


def test_reconcile_names_a_missing_setting():
    result = run("reconcile", "--since", "1h", GOOGLE_CLOUD_PROJECT="p")
    assert result.returncode == 2
    assert "STRIPE_SECRET_KEY" in result.stderr


def test_reconcile_does_not_need_the_webhook_secret():
    # Stripe unreachable: the command gets as far as listing events, then says why it failed.
    result = run(
        "reconcile",
        "--since",
        "1h",
        GOOGLE_CLOUD_PROJECT="p",
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_API_BASE="http://127.0.0.1:9",
        PUBSUB_EMULATOR_HOST="127.0.0.1:9",
    )
    assert result.returncode == 1
    assert "Stripe events could not be listed (unavailable)" in result.stderr
    assert "STRIPE_WEBHOOK_SECRET" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://ingest.example.com/webhooks/stripe",
        "https://ingest.example.com/somewhere-else",
        "ingest.example.com",
    ],
)
def test_register_webhook_refuses_a_url_stripe_cannot_or_should_not_call(url):
    result = run("register-webhook", "--url", url, STRIPE_SECRET_KEY="sk_test_x")
    assert result.returncode == 2
    assert "error:" in result.stderr


def test_register_webhook_requires_the_url():
    result = run("register-webhook")
    assert result.returncode == 2
    assert "--url" in result.stderr
