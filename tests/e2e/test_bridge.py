"""`python -m bridge smoke` and `doctor` against the real local stack (the session's one).

smoke pays through ingest, Stripe's stand-in delivers the signed webhooks, the writer records
the payment in the Wix stand-in. doctor is run on the healthy stack, then on the same stack
broken on purpose one way at a time (and mended after each): each break shows its ✗ and fix.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from bridge.__main__ import real_links
from bridge.doctor import Reporter, run_doctor
from bridge.settings import BridgeSettings
from devstack.bridge_env import bridge_env
from devstack.stack import Stack
from ingest.normalize import HANDLED_EVENT_TYPES
from tests.polling import poll
from tests.stripe_standin_server import StandinControl

pytestmark = pytest.mark.e2e

HONEST_SKIPS = {
    "config.publishable_key",  # the local stack is given none
    "stripe.domains",  # local origins only
    "pubsub.push.endpoint",  # a pull subscription: devstack's deliverer pushes as Cloud does
    "pubsub.push.oidc",  # the emulator sends no token
    "pubsub.push.dead_letter_policy",  # the emulator's subscription has none on purpose
}


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        env={**os.environ, **bridge_env(stack)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def doctor(stack: Stack, grace: float = 60, **overrides: str) -> tuple[int, dict[str, Any], str]:
    out = io.StringIO()
    report = Reporter(out, as_json=False)
    settings = BridgeSettings.from_env(bridge_env(stack) | overrides)
    code = run_doctor(settings, real_links(), report, delivery_grace=grace)
    return code, {r.check: r for r in report.results}, out.getvalue()


def stripe_client(stack: Stack) -> stripe.StripeClient:
    return stripe.StripeClient(
        stack.config.stripe_secret_key,
        base_addresses={"api": stack.config.stripe_standin_url},
        max_network_retries=0,
    )


def ingest_endpoint(stack: Stack) -> Any:
    url = f"{stack.config.ingest_url}/webhooks/stripe"
    [found] = [e for e in stripe_client(stack).v1.webhook_endpoints.list().data if e.url == url]
    return found


def wix(stack: Stack, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": stack.config.wix_api_key, "wix-site-id": stack.config.wix_site_id}
    return requests.request(
        method, f"{stack.config.standin_url}{path}", headers=headers, timeout=10, **kwargs
    )


def set_read_permission(stack: Stack, role: str) -> None:
    live = wix(stack, "GET", "/wix-data/v2/collections/Payments").json()["collection"]
    live["permissions"]["read"] = role
    wix(stack, "PUT", "/wix-data/v2/collections", json={"collection": live}).raise_for_status()


def pubsub_clients(stack: Stack) -> tuple[Any, Any]:
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()


def dead_letters(stack: Stack, ack: bool) -> int:
    """Pull what the dead-letter subscription holds; acknowledge it, or release it at once."""
    _, subscriber = pubsub_clients(stack)
    path = subscriber.subscription_path(
        stack.config.project, stack.topology.dead_letter_subscription
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the emulator honours it
        response = subscriber.pull(
            request={"subscription": path, "max_messages": 100, "return_immediately": True}
        )
    ids = [m.ack_id for m in response.received_messages]
    if ids and ack:
        subscriber.acknowledge(request={"subscription": path, "ack_ids": ids})
    elif ids:
        subscriber.modify_ack_deadline(
            request={"subscription": path, "ack_ids": ids, "ack_deadline_seconds": 0}
        )
    return len(ids)


def test_smoke_on_the_local_stack_exits_0_printing_each_hop_with_its_time(stack):
    result = cli(stack, "smoke")
    assert result.returncode == 0, result.stdout + result.stderr
    for hop in ("intent created", "payment succeeded", "record first written", "record complete"):
        assert re.search(rf"✓ {hop}\s+\d+\.\d\d s", result.stdout), result.stdout
    intent_id = re.search(r"(pi_\w+)", result.stdout).group(1)
    assert f"removed the test record {intent_id}" in result.stdout
    assert intent_id not in stack.records()


def test_doctor_on_the_healthy_stack_passes_with_only_honest_skips(stack):
    # After the smoke payment the signing secret is judged by its delivered events.
    result = cli(stack, "doctor", "--json", "--delivery-grace", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    statuses = {c["check"]: c for c in report["checks"]}
    assert report["ok"] is True
    assert {k for k, c in statuses.items() if c["status"] == "skipped"} == HONEST_SKIPS
    assert all(c["status"] == "ok" for k, c in statuses.items() if k not in HONEST_SKIPS)
    assert "the stand-in cannot tell" in statuses["pubsub.push.oidc"]["detail"]
    assert statuses["stripe.secret"]["status"] == "ok"
    assert "✓ the webhook endpoint is enabled" in result.stderr  # progress, as it goes


# --- broken stacks: break, see the matching ✗ and its fix, mend -------------------------------
def break_event_type(stack: Stack) -> Iterator[dict[str, str]]:
    endpoint = ingest_endpoint(stack)
    fewer: Any = {"enabled_events": [e for e in HANDLED_EVENT_TYPES if e != "charge.refunded"]}
    stripe_client(stack).v1.webhook_endpoints.update(endpoint.id, params=fewer)
    yield {}
    every: Any = {"enabled_events": list(HANDLED_EVENT_TYPES)}
    stripe_client(stack).v1.webhook_endpoints.update(endpoint.id, params=every)


def break_disabled_endpoint(stack: Stack) -> Iterator[dict[str, str]]:
    endpoint = ingest_endpoint(stack)
    stripe_client(stack).v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    yield {}
    stripe_client(stack).v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})


def break_wix_key(stack: Stack) -> Iterator[dict[str, str]]:
    yield {"WIX_API_KEY": "not-the-sites-key"}


def break_collection(stack: Stack) -> Iterator[dict[str, str]]:
    wix(stack, "DELETE", "/wix-data/v2/collections/Payments").raise_for_status()
    yield {}
    stack.setup_collection()


def break_permissions(stack: Stack) -> Iterator[dict[str, str]]:
    set_read_permission(stack, "ANYONE")
    yield {}
    set_read_permission(stack, "ADMIN")


def break_subscription(stack: Stack) -> Iterator[dict[str, str]]:
    _, subscriber = pubsub_clients(stack)
    path = subscriber.subscription_path(stack.config.project, stack.topology.push_subscription)
    subscriber.delete_subscription(request={"subscription": path})
    yield {}
    stack.create_topology()


def break_dead_letters(stack: Stack) -> Iterator[dict[str, str]]:
    publisher, _ = pubsub_clients(stack)
    topic = publisher.topic_path(stack.config.project, stack.topology.dead_letter_topic)
    publisher.publish(topic, b'{"broken": true}', reason="e2e").result(timeout=10)
    # Seen (and released at once) before doctor looks: the emulator stored it.
    poll(lambda: dead_letters(stack, ack=False), what="the dead letter in its subscription")
    yield {}
    poll(lambda: dead_letters(stack, ack=True), what="the dead letter taken back")
    poll(lambda: dead_letters(stack, ack=True) == 0, what="the dead-letter subscription empty")


def break_webhook_secret(stack: Stack) -> Iterator[dict[str, str]]:
    """Someone re-created the endpoint in Stripe (a new secret) and ingest kept the old one."""
    client = stripe_client(stack)
    original = ingest_endpoint(stack)
    client.v1.webhook_endpoints.update(original.id, params={"disabled": True})
    params: Any = {"url": original.url, "enabled_events": list(HANDLED_EVENT_TYPES)}
    recreated = client.v1.webhook_endpoints.create(params=params)
    started = requests.post(
        f"{stack.config.ingest_url}/v1/payment-intents",
        json={"first_name": "Eve", "product": "tee"},
        headers={"Origin": stack.config.page_origins.split(",")[0]},
        timeout=30,
    ).json()
    params = {"payment_method": "pm_card_visa", "return_url": "https://a.example/"}
    client.v1.payment_intents.confirm(started["payment_intent_id"], params=params)
    control = StandinControl(stack.config.stripe_standin_url)
    poll(
        lambda: any(
            a["endpoint_id"] == recreated.id and a["status"] == 400
            for a in control.get("webhook_deliveries")
        ),
        what="ingest refused a delivery",
    )
    yield {}
    client.v1.webhook_endpoints.delete(recreated.id)
    client.v1.webhook_endpoints.update(original.id, params={"disabled": False})
    poll(
        lambda: all(
            e.pending_webhooks == 0
            for e in client.v1.events.list(params={"delivery_success": False}).data
        ),
        what="the deleted endpoint's deliveries given up",
    )


BROKEN = [
    (break_event_type, "stripe.webhook.events", "missing charge.refunded"),
    (break_disabled_endpoint, "stripe.webhook.enabled", "is disabled"),
    (break_wix_key, "wix.auth", "Wix refused them"),
    (break_collection, "wix.collection", "no collection Payments"),
    (break_permissions, "wix.permissions", "read is ANYONE"),
    (break_subscription, "pubsub.resources.subscriptions", "stripe-payments-writer"),
    (break_dead_letters, "pubsub.dead_letters", "1 message(s)"),
    (break_webhook_secret, "stripe.secret", "not accepted by the endpoint"),
]


@pytest.mark.parametrize(("breaker", "check", "found"), BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_doctor_on_a_broken_stack_shows_the_matching_failure_and_its_fix(
    stack, breaker, check, found
):
    steps = breaker(stack)
    overrides = next(steps)
    try:
        code, results, printed = doctor(stack, grace=0, **overrides)
    finally:
        for _ in steps:  # mend, so the next case starts from a healthy stack
            pass
    failed = {k for k, r in results.items() if r.status == "fail"}
    assert code == 1
    assert failed == {check}, printed
    assert found in results[check].detail
    lines = printed.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"  ✗ {results[check].title}"))
    assert lines[at + 1].startswith("      fix: ") and len(lines[at + 1]) > 20
    assert lines[at + 2] == f"      see: {results[check].section}"


def test_smoke_with_the_writer_stopped_exits_1_naming_the_hop(stack):
    stack.services.pop("writer").stop()
    try:
        result = cli(stack, "smoke", "--timeout", "4")
    finally:
        stack.start_writer()
    assert result.returncode == 1, result.stdout
    assert 'smoke FAILED at "record first written"' in result.stdout
    assert "the push subscription or the writer is down" in result.stdout
    assert "the stop is after ingest" in result.stdout  # Stripe delivered, ingest accepted
    # The payment was not lost: once the writer is back, Pub/Sub delivers it.
    intent_id = re.search(r"(pi_\w+)", result.stdout).group(1)
    stack.wait_for_records({intent_id: {"status": "succeeded", "paidWith": "Card"}}, timeout=30)
