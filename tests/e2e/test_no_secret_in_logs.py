"""Every log line of every process of the stack (ingest, writer, the stand-ins, the emulator)
and of the commands holds no secret after the flows that handle them: payments from the page
(client secrets), signed and wrongly signed webhooks (the signing secret), a Wix auth failure
(the Wix key), reconcile (the Stripe key), redrive, and requests carrying OIDC tokens.
The test of the test: a value the service does log (a refused Origin), planted as a secret,
is found."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devstack import samples
from devstack.stripe_fixtures import Payment, card_success_events
from tests.secret_scan import scan
from tests.stripe_standin_server import StandinControl

pytestmark = pytest.mark.e2e


def fake_oidc_token() -> str:
    """Shaped like a Google-signed ID token (header.payload.signature), unique per run."""

    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"iss": "https://accounts.google.com", "aud": "x", "nonce": secrets.token_hex(16)}
    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.{secrets.token_urlsafe(64)}"


def run(command: list[str], env: dict[str, str], outputs: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    name = "-".join(command[1:3])
    (outputs / f"command-{name}.log").write_text(result.stdout + result.stderr)
    return result


def test_no_secret_is_logged_by_any_flow_and_a_planted_one_is_found(stack, tmp_path):
    c = stack.config
    origin = c.page_origins.split(",")[0]
    stripe = StandinControl(c.stripe_standin_url)
    wrong_wix_key = f"wix-wrong-key-{secrets.token_hex(8)}"
    tokens = [fake_oidc_token(), fake_oidc_token()]
    client_secrets = []

    # Payments from the page: create, pay, verify with the client secret (right and wrong).
    for n, status in enumerate(["succeeded", "failed"]):
        created = requests.post(
            f"{c.ingest_url}/v1/payment-intents",
            json={"first_name": "Ada", "product": "tee"},
            headers={"Origin": origin, "Idempotency-Key": f"scan-{secrets.token_hex(4)}-{n}"},
            timeout=30,
        ).json()
        client_secrets.append(created["client_secret"])
        stripe.settle(created["payment_intent_id"], status=status, method="card")
        for secret in (created["client_secret"], created["client_secret"] + "x"):
            requests.post(
                f"{c.ingest_url}/v1/payments/verify",
                json={"payment_intent_id": created["payment_intent_id"], "client_secret": secret},
                headers={"Origin": origin},
                timeout=30,
            )
    # The next try of an open attempt, passed back with its client secret.
    reused = requests.post(
        f"{c.ingest_url}/v1/payment-intents",
        json={
            "first_name": "Ada",
            "product": "tee",
            "client_secret": client_secrets[1],
            "payment_intent_id": client_secrets[1].split("_secret_")[0],
        },
        headers={"Origin": origin},
        timeout=30,
    )
    assert reused.status_code == 200

    # Webhooks: signed, and signed with a wrong secret.
    payment = Payment(first_name="Grace")
    for evt in card_success_events(payment):
        assert samples.send_event(c.ingest_url, c.webhook_secret, evt).status_code == 200
    wrong = samples.send_event(c.ingest_url, "whsec_" + secrets.token_hex(16), evt)
    assert wrong.status_code == 400
    stack.wait_for_records({payment.intent_id: {"status": "succeeded"}}, timeout=60)

    # OIDC tokens where ingest and the writer read them.
    for token in tokens:
        requests.post(
            f"{c.ingest_url}/tasks/reconcile",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        requests.post(
            f"{c.writer_url}/pubsub/push",
            data=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=30,
        )

    # A Wix auth failure, reconcile and redrive, as an operator runs them.
    wix_env = {**stack.writer_env(), "WIX_API_KEY": wrong_wix_key}
    refused_key = run(["-m", "writer", "setup-collection"], wix_env, tmp_path)
    assert refused_key.returncode != 0
    assert "401" in refused_key.stderr or "API key" in refused_key.stderr, refused_key.stderr
    reconciled = run(["-m", "ingest", "reconcile", "--since", "1h"], stack.ingest_env(), tmp_path)
    assert reconciled.returncode == 0, reconciled.stderr
    redriven = run(["-m", "writer", "redrive", "--max", "5"], stack.writer_env(), tmp_path)
    assert redriven.returncode == 0, redriven.stderr

    # The test of the test: ingest logs a refused Origin; planted as a secret, it must be found.
    planted = f"planted{secrets.token_hex(12)}"
    refused = requests.post(
        f"{c.ingest_url}/v1/payment-intents",
        json={},
        headers={"Origin": f"https://{planted}.example"},
        timeout=30,
    )
    assert refused.status_code == 403

    known = {
        "STRIPE_WEBHOOK_SECRET": c.webhook_secret,
        "STRIPE_SECRET_KEY": c.stripe_secret_key,
        "WIX_API_KEY": c.wix_api_key,
        "wrong WIX_API_KEY": wrong_wix_key,
        **{f"client_secret {n}": s for n, s in enumerate(client_secrets)},
        **{f"OIDC token {n}": t for n, t in enumerate(tokens)},
    }
    files = sorted(
        p for p in [*stack.log_dir.glob("*.log"), *tmp_path.glob("*.log")] if p.is_file()
    )
    names = {p.name for p in files}
    assert {"ingest.log", "writer.log"} <= names, names
    findings = scan(files, {**known, "planted": planted})
    assert [f.secret for f in findings if f.secret == "planted"], "the scan missed a planted value"
    leaks = [f for f in findings if f.secret != "planted"]
    assert leaks == [], "\n".join(f"{f.secret} in {f.where}: {f.line}" for f in leaks)
    # The flows ran where the scan looked: ingest logged the wrong signature and the verifies.
    ingest_log = (stack.log_dir / "ingest.log").read_text()
    assert "No signatures found matching" in ingest_log
    assert "client secret does not match" in ingest_log
    print(f"\nscanned {len(files)} log files ({', '.join(sorted(names))}) for {len(known)} secrets")
