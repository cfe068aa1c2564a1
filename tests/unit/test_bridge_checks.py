"""doctor's pure checks: facts in, ✓ / ✗ / skipped out, each ✗ with its fix and its section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge import checks
from bridge.checks import Status
from ingest.normalize import HANDLED_EVENT_TYPES
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE

HANDLED = list(HANDLED_EVENT_TYPES)
INGEST = "https://ingest.example.com"
URL = f"{INGEST}/webhooks/stripe"
SCHEMA = load_schema(DEFAULT_SCHEMA_FILE, "Payments")
ADMIN = {"read": "ADMIN", "insert": "ADMIN", "update": "ADMIN", "remove": "ADMIN"}
NOW = 1_800_000_000.0


def endpoint(**overrides):
    return {"id": "we_1", "url": URL, "status": "enabled", "enabled_events": HANDLED} | overrides


def by_id(results):
    return {r.check: r for r in results}


@pytest.mark.parametrize(
    ("endpoints", "expected"),
    [
        ([endpoint()], {"exists": "ok", "enabled": "ok", "events": "ok"}),
        ([endpoint(url=URL + "/")], {"exists": "ok", "enabled": "ok", "events": "ok"}),
        ([], {"exists": "fail", "enabled": "skipped", "events": "skipped"}),
        ([endpoint(url="https://other/webhooks/stripe")], {"exists": "fail"}),
        ([endpoint(status="disabled")], {"exists": "ok", "enabled": "fail"}),
        ([endpoint(enabled_events=HANDLED[1:])], {"events": "fail"}),
        ([endpoint(enabled_events=[*HANDLED, "customer.created"])], {"events": "fail"}),
        ([endpoint(enabled_events=["*"])], {"events": "fail"}),
        # Of two endpoints for the URL, the enabled one is the one that counts.
        ([endpoint(status="disabled", id="we_0"), endpoint()], {"enabled": "ok"}),
    ],
)
def test_webhook_endpoint_checks(endpoints, expected):
    results = by_id(checks.check_webhook_endpoint(endpoints, INGEST, HANDLED))
    for name, status in expected.items():
        assert results[f"stripe.webhook.{name}"].status == status, results


def test_a_missing_event_type_is_named_with_the_exact_list_to_set():
    [_, _, events] = checks.check_webhook_endpoint(
        [endpoint(enabled_events=[e for e in HANDLED if e != "charge.refunded"])], INGEST, HANDLED
    )
    assert "missing charge.refunded" in events.detail
    assert ", ".join(HANDLED) in events.fix


def test_no_endpoint_says_how_to_register_one():
    [exists, *_] = checks.check_webhook_endpoint([], INGEST, HANDLED)
    assert exists.fix == f"python -m ingest register-webhook --url {URL}"


def event(created, pending=0, event_id="evt_1"):
    return {
        "id": event_id,
        "type": "charge.succeeded",
        "created": created,
        "pending_webhooks": pending,
    }


@pytest.mark.parametrize(
    ("secrets", "found", "recent", "undelivered", "status"),
    [
        ((), True, [], [], "fail"),
        (("sk_test_oops",), True, [], [], "fail"),
        (("whsec_a",), False, [], [], "skipped"),
        (("whsec_a",), True, [], [], "skipped"),  # nothing to judge by
        (("whsec_a",), True, [event(NOW - 5)], [], "skipped"),  # too young to judge
        (("whsec_a",), True, [event(NOW - 600)], [], "ok"),
        (("whsec_a",), True, [event(NOW - 600, 1)], [event(NOW - 600, 1)], "fail"),
        # Failed once, delivered since (Stripe's retry got through): fine now.
        (("whsec_a",), True, [event(NOW - 600)], [event(NOW - 600, 0)], "ok"),
        (("whsec_a",), True, [event(NOW - 5, 1)], [event(NOW - 5, 1)], "skipped"),
    ],
)
def test_signing_secret_is_judged_by_recent_deliveries(secrets, found, recent, undelivered, status):
    result = checks.check_signing_secret(secrets, found, recent, undelivered, NOW, grace=60)
    assert result.status == status, result


def test_events_too_young_to_judge_say_so_and_to_look_again():
    young = checks.check_signing_secret(("whsec_a",), True, [event(NOW - 5)], [], NOW, grace=60)
    assert "younger than 60 s" in young.detail
    none = checks.check_signing_secret(("whsec_a",), True, [], [], NOW, grace=60)
    assert "no payment event was sent recently" in none.detail


def test_an_undelivered_event_names_itself_and_the_secret_fix():
    result = checks.check_signing_secret(
        ("whsec_a",), True, [], [event(NOW - 600, 1, "evt_lost")], NOW, grace=60
    )
    assert "evt_lost" in result.detail
    assert "STRIPE_WEBHOOK_SECRET" in result.fix


@pytest.mark.parametrize(
    ("key", "expected", "livemode", "status"),
    [
        ("sk_test_x", None, None, "ok"),
        ("rk_live_x", "live", True, "ok"),
        ("sk_test_x", "live", None, "fail"),
        ("sk_live_x", "test", None, "fail"),
        ("sk_test_x", None, True, "fail"),  # Stripe answered in live mode
        ("pk_test_x", None, None, "fail"),
        ("whatever", None, None, "fail"),
    ],
)
def test_key_and_mode(key, expected, livemode, status):
    assert checks.check_key_mode(key, expected, livemode).status == status


@pytest.mark.parametrize(
    ("key", "denied", "status"),
    [
        ("sk_test_x", {}, "ok"),
        ("rk_test_x", {}, "ok"),
        ("rk_test_x", {"create customers": "needs rak_customer_write"}, "fail"),
    ],
)
def test_restricted_key_permissions(key, denied, status):
    result = checks.check_permissions(key, denied)
    assert result.status == status
    for call in denied:
        assert call in result.detail


@pytest.mark.parametrize(
    ("secret", "publishable", "status"),
    [
        ("sk_test_x", "", "skipped"),
        ("", "pk_test_y", "skipped"),
        ("sk_test_x", "pk_test_y", "ok"),
        ("rk_live_x", "pk_live_y", "ok"),
        ("sk_test_x", "pk_live_y", "fail"),
        ("sk_live_x", "pk_test_y", "fail"),
        ("sk_test_x", "sk_test_y", "fail"),
    ],
)
def test_publishable_key_mode(secret, publishable, status):
    assert checks.check_publishable_key(secret, publishable).status == status


@pytest.mark.parametrize(
    ("origins", "status"),
    [
        (("https://www.example.com",), "ok"),
        (("http://127.0.0.1:8080", "http://localhost:8080"), "ok"),
        ((), "fail"),
        (("https://www.example.com/",), "fail"),
        (("http://www.example.com",), "fail"),
        (("www.example.com",), "fail"),
    ],
)
def test_allowed_origins(origins, status):
    assert checks.check_origins(origins).status == status


@pytest.mark.parametrize(
    ("problem", "products", "status"),
    [(None, 2, "ok"), (None, 0, "fail"), ("CATALOG is invalid: not JSON", 0, "fail")],
)
def test_catalog(problem, products, status):
    assert checks.check_catalog(problem, products).status == status


@pytest.mark.parametrize(
    ("origins", "domains", "status"),
    [
        (("http://127.0.0.1:8080",), [], "skipped"),
        (
            ("https://shop.example.com",),
            [{"domain_name": "shop.example.com", "enabled": True}],
            "ok",
        ),
        (("https://shop.example.com",), [], "fail"),
        (
            ("https://shop.example.com",),
            [{"domain_name": "shop.example.com", "enabled": False}],
            "fail",
        ),
        (
            ("https://a.example.com", "https://b.example.com"),
            [{"domain_name": "a.example.com", "enabled": True}],
            "fail",
        ),
    ],
)
def test_payment_method_domains(origins, domains, status):
    assert checks.check_domains(origins, domains).status == status


def collection(**overrides):
    return {"id": "Payments", "fields": SCHEMA["fields"], "permissions": ADMIN} | overrides


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (collection(), {"wix.collection": "ok", "wix.permissions": "ok"}),
        (None, {"wix.collection": "fail", "wix.permissions": "skipped"}),
        (collection(fields=SCHEMA["fields"][1:]), {"wix.collection": "fail"}),
        (
            collection(fields=[{**SCHEMA["fields"][0], "type": "NUMBER"}, *SCHEMA["fields"][1:]]),
            {"wix.collection": "fail"},
        ),
        (collection(permissions=ADMIN | {"read": "ANYONE"}), {"wix.permissions": "fail"}),
        (collection(permissions=ADMIN | {"insert": "SITE_MEMBER"}), {"wix.permissions": "fail"}),
    ],
)
def test_collection_checks(live, expected):
    results = by_id(checks.check_collection("Payments", live, SCHEMA))
    for check, status in expected.items():
        assert results[check].status == status, results[check]


SUB = {
    "push_config": {
        "push_endpoint": "https://writer.run.app/pubsub/push",
        "oidc_token": {"service_account_email": "push@p.iam", "audience": "aud"},
    },
    "dead_letter_policy": {
        "dead_letter_topic": "projects/p/topics/stripe-payments-dead-letter",
        "max_delivery_attempts": 10,
    },
}


@pytest.mark.parametrize(
    ("subscription", "writer", "emulator", "expected"),
    [
        (
            SUB,
            "https://writer.run.app",
            False,
            {"endpoint": "ok", "oidc": "ok", "dead_letter_policy": "ok"},
        ),
        (SUB, None, False, {"endpoint": "skipped"}),
        (SUB, "https://other.run.app", False, {"endpoint": "fail"}),
        (
            {},
            "https://writer.run.app",
            False,
            {"endpoint": "fail", "oidc": "fail", "dead_letter_policy": "fail"},
        ),
        (
            SUB | {"dead_letter_policy": {}},
            "https://writer.run.app",
            False,
            {"dead_letter_policy": "fail"},
        ),
        (
            {"push_config": {"push_endpoint": "http://w/pubsub/push"}},
            "http://w",
            True,
            {"endpoint": "ok", "oidc": "skipped", "dead_letter_policy": "skipped"},
        ),
        # The local stack's subscription is a pull one: devstack's deliverer pushes for Cloud.
        ({}, "http://w", True, {"endpoint": "skipped"}),
    ],
)
def test_push_subscription(subscription, writer, emulator, expected):
    results = by_id(
        checks.check_push(
            subscription, writer, "aud", "push@p.iam", "stripe-payments-dead-letter", emulator
        )
    )
    for name, status in expected.items():
        assert results[f"pubsub.push.{name}"].status == status, results[f"pubsub.push.{name}"]


def test_push_token_for_another_audience_or_signer_fails_naming_both():
    wrong = SUB | {
        "push_config": SUB["push_config"]
        | {"oidc_token": {"service_account_email": "x@p.iam", "audience": "other"}}
    }
    result = by_id(
        checks.check_push(wrong, None, "aud", "push@p.iam", "stripe-payments-dead-letter", False)
    )["pubsub.push.oidc"]
    assert result.status == "fail" and "x@p.iam" in result.detail and "other" in result.detail


@pytest.mark.parametrize(
    ("topics", "subscriptions", "expected"),
    [(["t"], [], ("fail", "ok")), ([], ["s"], ("ok", "fail")), ([], [], ("ok", "ok"))],
)
def test_topics_and_subscriptions(topics, subscriptions, expected):
    assert tuple(r.status for r in checks.check_resources(topics, subscriptions)) == expected


@pytest.mark.parametrize(
    ("backlog", "capped", "status", "shown"),
    [(0, False, "ok", ": 0"), (3, False, "fail", "3 message"), (100, True, "fail", "at least 100")],
)
def test_dead_letter_backlog(backlog, capped, status, shown):
    result = checks.check_dead_letters("dl-sub", backlog, capped)
    assert result.status == status and shown in result.detail


def test_every_failure_points_at_a_section_that_exists_in_troubleshooting():
    text = (Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in text.splitlines()
        if line.startswith("#")
    }
    for anchor in set(checks.SECTIONS.values()):
        assert anchor in anchors, anchor
    failure = checks.check_dead_letters("dl", 1, False)
    assert failure.status is Status.FAIL
    assert failure.section == "docs/troubleshooting.md#doctor-pubsub-dead-letters"
    assert failure.as_dict()["docs"] == failure.section
