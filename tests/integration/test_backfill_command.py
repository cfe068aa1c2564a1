"""`python -m ingest backfill` as a process: refusals before any call (the runs against the
Stripe stand-in are in test_backfill_standin.py, beside its server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.backfill_run import day

SINCE, UNTIL = "2022-01-01", "2023-01-01"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "GOOGLE_", "PUBSUB_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "ingest", "backfill", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_names_every_option():
    result = run("--help")
    assert result.returncode == 0
    for word in ("--since", "--until", "--dry-run", "--resume", "--checkpoint", "--rate"):
        assert word in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last year"], "--since 'last year'"),
        (["--since", "2024-01-01", "--until", "2023-01-01"], "--until must be after --since"),
        (["--since", "2024-01-01", "--rate", "0"], "--rate must be more than zero"),
        (["--since", "2024-01-01", "--resume"], "nothing to resume"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(tmp_path, args, message):
    result = run(*args, "--checkpoint", str(tmp_path / "cp.json"))
    assert result.returncode == 2
    assert message in result.stderr


def test_an_unfinished_checkpoint_is_not_started_over(tmp_path):
    checkpoint = tmp_path / "cp.json"
    checkpoint.write_text(
        json.dumps({"since": day(SINCE), "until": day(UNTIL), "cursor": "pi_1", "version": 1})
    )
    result = run("--since", SINCE, "--until", UNTIL, "--checkpoint", str(checkpoint))
    assert result.returncode == 2
    assert "--resume" in result.stderr and "delete the file" in result.stderr
