"""The backfill through the real StripeApiGateway (stripe-python) against the Stripe stand-in's
PaymentIntent list over HTTP: what the adapter sends, how the list pages, 429 back-off; and
`python -m ingest backfill` as a process: refusals, a dry run, failed publishes."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bench.backfill_run import day
from devstack import processes
from ingest.__main__ import main as ingest_main
from ingest.backfill import Backfill, BackfillRange, Options
from ingest.ports import StripeFailure
from ingest.stripe_client import StripeApiGateway
from payments.message import PaymentUpdate, Source
from tests.fakes import FakePublisher
from tests.stripe_standin_server import StandinControl

KEY = "sk_test_standin"
SINCE, UNTIL = 1_640_995_200, 1_735_689_600  # 2022-01-01 .. 2025-01-01
CMD_SINCE, CMD_UNTIL = "2022-01-01", "2023-01-01"
FAST = Options(publish_per_second=10_000, stripe_per_second=1_000)


@pytest.fixture
def standin(stripe_standin: StandinControl) -> StandinControl:
    return stripe_standin


@pytest.fixture
def gateway(standin: StandinControl) -> StripeApiGateway:
    return StripeApiGateway(KEY, api_base=standin.url, timeout=(2, 10), max_network_retries=0)


def seed(standin: StandinControl, count: int, since: int = SINCE, until: int = UNTIL) -> dict:
    body = {"count": count, "since": since, "until": until, "seed": 7}
    expected: dict = standin.post("payment_intents/seed", body)["payment_intents"]
    return expected


def test_the_list_pages_newest_first_within_the_range_with_the_latest_charge_expanded(
    standin, gateway
):
    expected = seed(standin, 250)
    seed(standin, 20, since=UNTIL, until=UNTIL + 86400)  # after the range: never listed
    seen, cursor = [], None
    while True:
        page = gateway.list_payment_intents(SINCE, UNTIL, cursor, 100)
        seen.extend(page["data"])
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert sorted(i["id"] for i in seen) == sorted(expected)
    created = [i["created"] for i in seen]
    assert created == sorted(created, reverse=True)
    charged = [i for i in seen if i["latest_charge"] is not None]
    assert charged and all(isinstance(i["latest_charge"], dict) for i in charged)
    lists = standin.requests("GET", "/v1/payment_intents")
    assert len(lists) == 3
    assert lists[0]["params"] == {
        "created": {"gte": str(SINCE), "lt": str(UNTIL)},
        "limit": "100",
        "expand": ["data.latest_charge"],
    }


def test_the_backfill_publishes_every_payment_with_an_outcome_as_stripe_has_it(standin, gateway):
    expected = seed(standin, 120)
    publisher = FakePublisher()
    report = Backfill(gateway, publisher, BackfillRange(SINCE, UNTIL), FAST).run()
    sent = {
        m.payment_intent_id: m
        for m in map(PaymentUpdate.from_json, (p.data for p in publisher.published))
    }
    with_outcome = {pi: fields for pi, fields in expected.items() if fields is not None}
    assert set(sent) == set(with_outcome)
    assert report.ok and report.stripe_calls == 2 and report.skipped == len(expected) - len(sent)
    for pi, fields in with_outcome.items():
        message = sent[pi]
        assert message.source is Source.BACKFILL
        assert (message.status.value, message.first_name, message.customer_id) == (
            fields["status"],
            fields["firstName"],
            fields["stripeCustomerId"],
        )


@pytest.fixture
def stripe_env(standin: StandinControl) -> dict[str, str]:
    seed(standin, 150, since=day(CMD_SINCE), until=day(CMD_UNTIL))
    return {
        "STRIPE_API_BASE": standin.url,
        "STRIPE_SECRET_KEY": KEY,
        "GOOGLE_CLOUD_PROJECT": "local-project",
    }


def backfill_command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
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


def test_a_dry_run_prints_counts_by_status_and_method_and_publishes_nothing(stripe_env, tmp_path):
    checkpoint = tmp_path / "cp.json"
    result = backfill_command(
        "--since",
        CMD_SINCE,
        "--until",
        CMD_UNTIL,
        "--dry-run",
        "--checkpoint",
        str(checkpoint),
        **stripe_env,
    )
    assert result.returncode == 0, result.stderr
    assert "read 150 payment intent(s) in 2 page(s)" in result.stdout
    assert "by status:" in result.stdout and "by payment method:" in result.stdout
    assert "apple_pay" in result.stdout and "refunded" in result.stdout
    assert "pages 2  read 150" in result.stderr
    pages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [p["message"] for p in pages] == ["backfill page", "backfill page"]
    assert not checkpoint.exists()


def test_failed_publishes_exit_1_naming_how_many_and_are_kept_for_resume(stripe_env, tmp_path):
    checkpoint: Path = tmp_path / "cp.json"
    closed = processes.free_port()  # nothing listens: every publish times out
    result = backfill_command(
        "--since",
        "2022-12-20",
        "--until",
        CMD_UNTIL,
        "--rate",
        "1000",
        "--checkpoint",
        str(checkpoint),
        PUBSUB_EMULATOR_HOST=f"127.0.0.1:{closed}",
        PUBLISH_TIMEOUT_SECONDS="0.3",
        **stripe_env,
    )
    assert result.returncode == 1
    saved = json.loads(checkpoint.read_text())
    failed = len(saved["pending"])
    assert failed > 0 and saved["finished"]
    assert f"error: {failed} publish(es) failed" in result.stderr


def test_a_429_from_stripe_is_backed_off_and_the_listing_carries_on(standin, gateway):
    seed(standin, 30)
    standin.fault(status=429, method="GET", path="/v1/payment_intents", times=2)
    pauses: list[float] = []
    job = Backfill(
        gateway,
        FakePublisher(),
        BackfillRange(SINCE, UNTIL),
        FAST,
        sleep=pauses.append,
        rng=random.Random(1),
    )
    report = job.run()
    assert report.ok and report.published > 0
    assert (report.rate_limited, report.stripe_calls) == (2, 3)
    assert len([p for p in pauses if p >= 0.5]) == 2


def test_a_key_without_the_read_permission_is_refused_by_name(standin, gateway):
    seed(standin, 3)
    restricted = "rk_test_backfill"
    standin.post("restricted_keys", {restricted: ["rak_payment_intent_read"]})
    gateway = StripeApiGateway(restricted, api_base=standin.url, max_network_retries=0)
    with pytest.raises(StripeFailure) as refused:
        gateway.list_payment_intents(SINCE, UNTIL, None, 100)
    assert refused.value.kind == "permission"
    assert "rak_charge_read" in refused.value.message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=101", "less than or equal to 100"),
        ("expand[]=latest_charge", "start with the data property"),
        ("expand[]=data.latest_charge.customer.invoice.subscription", "more than 4 levels"),
        ("starting_after=pi_nope", "No such payment_intent"),
        ("colour=blue", "unknown parameter"),
    ],
)
def test_the_list_refuses_what_stripe_refuses(standin, query, message):
    response = requests.get(
        f"{standin.url}/v1/payment_intents?{query}",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert response.status_code in (400, 404)
    assert message in response.json()["error"]["message"]


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., int]]:
    """`python -m ingest backfill …` in this process, for the refusals that happen before any
    client is built (no interpreter start per case); the root logger is put back after."""
    for name in [k for k in os.environ if k.startswith(("STRIPE_", "GOOGLE_", "PUBSUB_"))]:
        monkeypatch.delenv(name)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield lambda *args: ingest_main(["backfill", *args])
    root.handlers[:] = handlers
    root.setLevel(level)


def test_help_names_every_option(in_process, capsys):
    with pytest.raises(SystemExit) as done:
        in_process("--help")
    assert done.value.code == 0
    out = capsys.readouterr().out
    for word in ("--since", "--until", "--dry-run", "--resume", "--checkpoint", "--rate"):
        assert word in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last year"], "--since 'last year'"),
        (["--since", "2024-01-01", "--until", "2023-01-01"], "--until must be after --since"),
        (["--since", "2024-01-01", "--rate", "0"], "--rate must be more than zero"),
        (["--since", "2024-01-01", "--resume"], "nothing to resume"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(in_process, capsys, tmp_path, args, message):
    assert in_process(*args, "--checkpoint", str(tmp_path / "cp.json")) == 2
    assert message in capsys.readouterr().err


def test_an_unfinished_checkpoint_is_not_started_over(in_process, capsys, tmp_path):
    checkpoint = tmp_path / "cp.json"
    checkpoint.write_text(
        json.dumps({"since": SINCE, "until": UNTIL, "cursor": "pi_1", "version": 1})
    )
    code = in_process(
        "--since", "2022-01-01", "--until", "2025-01-01", "--checkpoint", str(checkpoint)
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "delete the file" in err


def test_a_key_that_may_not_read_charges_exits_1_naming_the_permission(standin, tmp_path):
    seed(standin, 3)
    standin.post("restricted_keys", {"rk_test_nocharges": ["rak_payment_intent_read"]})
    result = backfill_command(
        "--since",
        "2022-01-01",
        "--until",
        "2025-01-01",
        "--dry-run",
        STRIPE_API_BASE=standin.url,
        STRIPE_SECRET_KEY="rk_test_nocharges",
        GOOGLE_CLOUD_PROJECT="local-project",
    )
    assert result.returncode == 1
    assert "could not be listed (permission)" in result.stderr
    assert "rak_charge_read" in result.stderr
