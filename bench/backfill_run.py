"""Backfill on the local stack: N past payments seeded in the Stripe stand-in over years, then
`python -m ingest backfill` as an operator runs it, checked record by record against what the
seed says each record must show. Reports the time, the Stripe calls and the Wix requests.

    make backfill-bench                       # 10,000 payments over 3 years
    python -m bench.backfill_run --payments 2000 --rate 100

The e2e tests (tests/e2e/test_backfill.py) use the same pieces on a few hundred payments.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from devstack.stack import Stack, StackConfig

RESULTS = Path(__file__).resolve().parent / "results"
DAY = 86400


def day(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def seed_payments(
    stripe_url: str, count: int, since: int, until: int, seed: int = 0, events: bool = False
) -> dict[str, dict[str, Any] | None]:
    """Past payments in the Stripe stand-in; per PaymentIntent, the record it must become
    (None: no outcome, no record)."""
    expected: dict[str, dict[str, Any] | None] = {}
    for start in range(0, count, 2000):  # in slices: one request per slice, not one huge one
        response = requests.post(
            f"{stripe_url}/_standin/payment_intents/seed",
            json={
                "count": min(2000, count - start),
                "since": since,
                "until": until,
                "seed": seed * 1_000_003 + start,
                "events": events,
            },
            timeout=120,
        )
        response.raise_for_status()
        expected.update(response.json()["payment_intents"])
    return expected


def backfill_args(since: str, until: str, checkpoint: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ingest",
        "backfill",
        "--since",
        since,
        "--until",
        until,
        "--checkpoint",
        str(checkpoint),
        *extra,
    ]


def start_backfill(
    stack: Stack, args: list[str], log_dir: Path, name: str
) -> subprocess.Popen[str]:
    log_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        args,
        env=stack.ingest_env(),
        stdout=(log_dir / f"{name}.out").open("w"),
        stderr=(log_dir / f"{name}.err").open("w"),
        text=True,
    )


def run_backfill(
    stack: Stack, args: list[str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=stack.ingest_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_for_published(checkpoint: Path, at_least: int, timeout: float) -> int:
    """Poll the checkpoint until it counts `at_least` published messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            published = int(json.loads(checkpoint.read_text())["published"])
        except (FileNotFoundError, ValueError, KeyError):
            published = 0
        if published >= at_least:
            return published
        time.sleep(0.05)
    raise TimeoutError(f"the backfill did not publish {at_least} messages in {timeout} s")


def differences(
    records: Mapping[str, Mapping[str, Any]], expected: Mapping[str, Mapping[str, Any] | None]
) -> dict[str, Any]:
    """Per PaymentIntent whose record is not as expected: what differs (or that it is missing,
    or that a payment without an outcome got a record)."""
    wrong: dict[str, Any] = {}
    for pi, fields in expected.items():
        record = records.get(pi)
        if fields is None:
            if record is not None:
                wrong[pi] = {"unexpected record": record.get("status")}
            continue
        if record is None:
            wrong[pi] = {"record": None}
            continue
        diff = {k: (record.get(k), v) for k, v in fields.items() if record.get(k) != v}
        if diff:
            wrong[pi] = diff
    return wrong


def wait_until_exact(
    stack: Stack, expected: Mapping[str, Mapping[str, Any] | None], timeout: float
) -> dict[str, Any]:
    """Poll the Wix stand-in until every record is exactly as expected; answer what still
    differs at the deadline (empty: exact)."""
    deadline = time.monotonic() + timeout
    # Reading every record costs the Wix stand-in (which the writer is using) about a
    # millisecond per 20 records: poll the more rarely the more there are.
    interval = max(0.25, len(expected) / 4000)
    while True:
        wrong = differences(stack.records(), expected)
        if not wrong or time.monotonic() > deadline:
            return wrong
        time.sleep(interval)


def stripe_list_calls(stripe_url: str) -> int:
    response = requests.get(f"{stripe_url}/_standin/requests", timeout=60)
    response.raise_for_status()
    return sum(
        1 for r in response.json() if r["method"] == "GET" and r["path"] == "/v1/payment_intents"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill_run", description=__doc__)
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="the backfill's --rate (the local Wix stand-in has no quota); default 200",
    )
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)

    since, until = "2022-01-01", f"{2022 + args.years}-01-01"
    work = Path(tempfile.mkdtemp(prefix="backfill-bench-"))
    stack = Stack(StackConfig.on_free_ports(work / "stack"))
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    stack.start()
    try:
        seeded_at = time.monotonic()
        expected = seed_payments(
            stack.config.stripe_standin_url, args.payments, day(since), day(until), seed=1
        )
        print(
            f"seeded {len(expected)} payments from {since} to {until} in "
            f"{time.monotonic() - seeded_at:.1f} s",
            flush=True,
        )
        wix_before = stack.wix_stats()
        started = time.monotonic()
        result = run_backfill(
            stack,
            backfill_args(since, until, work / "checkpoint.json", "--rate", str(args.rate)),
            timeout=args.timeout,
        )
        published_in = time.monotonic() - started
        if result.returncode != 0:
            print(result.stdout[-2000:], result.stderr[-4000:], sep="\n")
            return 1
        wrong = wait_until_exact(stack, expected, timeout=args.timeout)
        exact_in = time.monotonic() - started
        wix = stack.wix_stats()
        # HTTP requests, as the site's quota counts them: a batched query or bulk save is one.
        reads = wix["requests"]["read"] - wix_before["requests"]["read"]
        writes = wix["requests"]["write"] - wix_before["requests"]["write"]
        items_written = wix["writes"] - wix_before["writes"]
        calls = stripe_list_calls(stack.config.stripe_standin_url)
        with_outcome = sum(1 for v in expected.values() if v is not None)
        report = {
            "payments": len(expected),
            "with_outcome": with_outcome,
            "rate": args.rate,
            "backfill_seconds": round(published_in, 1),
            "all_exact_seconds": round(exact_in, 1),
            "records_wrong": len(wrong),
            "stripe_list_calls": calls,
            "stripe_calls_per_payment": round(calls / len(expected), 4),
            "wix_read_requests": reads,
            "wix_write_requests": writes,
            "wix_items_written": items_written,
            "wix_quota_refused": sum(wix["quota_refused"].values())
            - sum(wix_before["quota_refused"].values()),
            "wix_requests_per_payment": round((reads + writes) / with_outcome, 3),
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "summary": result.stdout.strip().splitlines()[-1:],
        }
        print(json.dumps(report, indent=2))
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "backfill.json").write_text(json.dumps(report, indent=2) + "\n")
        if wrong:
            print("not exact:", json.dumps(dict(list(wrong.items())[:5]), indent=2))
            return 1
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
