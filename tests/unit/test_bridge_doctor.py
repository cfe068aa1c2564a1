"""doctor's run with hand-written fakes: an unreachable link fails once and skips what depends
on it; the exit code is 1 only when something failed; --json carries every result."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bridge.doctor import Links, Reporter, run_doctor
from bridge.settings import BridgeSettings
from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.ports import StripeFailure
from writer.collection_setup import load_schema
from writer.config import DEFAULT_SCHEMA_FILE
from writer.wix import WixConfigError, WixTransientError

ENV = {
    "INGEST_URL": "https://ingest.example.com",
    "WRITER_URL": "https://writer.example.com",
    "ALLOWED_ORIGINS": "https://shop.example.com",
    "CATALOG": '{"tee": {"name": "T-shirt", "amount": 1999, "currency": "usd"}}',
    "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STRIPE_MODE": "live",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_y",
    "WIX_API_KEY": "k",
    "WIX_SITE_ID": "s",
    "GOOGLE_CLOUD_PROJECT": "p",
    "PUSH_AUDIENCE": "aud",
    "PUSH_SERVICE_ACCOUNT": "push@p.iam",
}
NOW = 1_800_000_000.0


class FakeStripe:
    def __init__(self, refuse: bool = False, events_denied: bool = False) -> None:
        self.refuse = refuse
        self.events_denied = events_denied

    def recent_events(
        self, types: list[str], created_gte: int, undelivered: bool
    ) -> list[dict[str, Any]]:
        if self.refuse:
            raise StripeFailure("authentication", "Invalid API Key provided: sk_live_****x")
        if self.events_denied:
            raise StripeFailure("permission", "Having the 'rak_event_read' permission would allow")
        if undelivered:
            return []
        return [{"id": "evt_1", "type": "charge.succeeded", "created": NOW - 600, "livemode": True}]

    def webhook_endpoints(self) -> list[dict[str, Any]]:
        return [
            {
                "id": "we_1",
                "url": "https://ingest.example.com/webhooks/stripe",
                "status": "enabled",
                "enabled_events": list(HANDLED_EVENT_TYPES),
            }
        ]

    def payment_method_domains(self) -> list[dict[str, Any]]:
        return [{"domain_name": "shop.example.com", "enabled": True}]

    def probe_permissions(self) -> dict[str, str]:
        return {"list events": "needs rak_event_read"} if self.events_denied else {}


class FakeWix:
    def __init__(self, refuse: bool = False, unreachable: bool = False) -> None:
        self.refuse = refuse
        self.unreachable = unreachable

    def get_collection(self) -> dict[str, Any] | None:
        if self.refuse:
            raise WixConfigError("Wix GET … answered 401", 401, "UNAUTHENTICATED")
        if self.unreachable:
            raise WixTransientError("Wix GET /wix-data/v2/collections/Payments: connection failed")
        return load_schema(DEFAULT_SCHEMA_FILE, "Payments")


class FakePubSub:
    emulator = False

    def topic_exists(self, topic: str) -> bool:
        return True

    def subscription(self, subscription: str) -> dict[str, Any] | None:
        return {
            "push_config": {
                "push_endpoint": "https://writer.example.com/pubsub/push",
                "oidc_token": {"service_account_email": "push@p.iam", "audience": "aud"},
            },
            "dead_letter_policy": {
                "dead_letter_topic": "projects/p/topics/stripe-payments-dead-letter",
                "max_delivery_attempts": 10,
            },
        }

    def backlog(self, subscription: str) -> tuple[int, bool]:
        return 0, False


def doctor(env=None, stripe=None, wix=None, health=200, as_json=False):
    out = io.StringIO()
    links = Links(
        stripe=lambda _: stripe or FakeStripe(),
        wix=lambda _: wix or FakeWix(),
        pubsub=lambda _: FakePubSub(),
        ingest_health=lambda _: health,
    )
    report = Reporter(out, as_json=as_json)
    code = run_doctor(BridgeSettings.from_env(env or ENV), links, report, now=lambda: NOW)
    return code, {r.check: str(r.status) for r in report.results}, out.getvalue()


def test_a_healthy_setup_passes_every_check():
    code, results, _ = doctor()
    assert code == 0
    assert set(results.values()) == {"ok"}, results


@pytest.mark.parametrize(
    ("kwargs", "failed", "skipped"),
    [
        (
            {"stripe": FakeStripe(refuse=True)},
            {"stripe.key"},
            {"stripe.webhook.exists", "stripe.secret"},
        ),
        ({"wix": FakeWix(refuse=True)}, {"wix.auth"}, {"wix.collection"}),
        ({"health": 503}, {"ingest.health"}, set()),
        ({"env": ENV | {"STRIPE_SECRET_KEY": ""}}, {"stripe.key"}, {"stripe.webhook.exists"}),
        ({"env": ENV | {"STRIPE_MODE": "test"}}, {"stripe.key"}, set()),
        ({"env": ENV | {"GOOGLE_CLOUD_PROJECT": ""}}, {"pubsub.resources.topics"}, set()),
    ],
)
def test_an_unreachable_or_refused_link_fails_once_and_skips_what_depends_on_it(
    kwargs, failed, skipped
):
    code, results, _ = doctor(**kwargs)
    assert code == 1
    assert {k for k, s in results.items() if s == "fail"} == failed, results
    assert skipped <= {k for k, s in results.items() if s == "skipped"}


def test_json_goes_to_stdout_with_every_result_and_the_fix_of_each_failure():
    code, _, out = doctor(wix=FakeWix(refuse=True), as_json=True)
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    [auth] = [c for c in report["checks"] if c["check"] == "wix.auth"]
    assert (
        auth["status"] == "fail"
        and auth["fix"]
        and auth["docs"].endswith("#doctor-wix-key-and-site")
    )


def test_a_restricted_key_that_may_not_list_events_is_accepted_and_its_missing_permission_named():
    env = ENV | {"STRIPE_SECRET_KEY": "rk_live_x"}
    code, results, out = doctor(env=env, stripe=FakeStripe(events_denied=True))
    assert code == 1
    assert results["stripe.key"] == "ok"
    assert {k for k, s in results.items() if s == "fail"} == {"stripe.permissions"}
    assert "list events" in out


@pytest.mark.parametrize(
    ("wix", "said", "fix", "skip_reason"),
    [
        (FakeWix(refuse=True), "Wix refused them", "API key", "refused the credentials"),
        (FakeWix(unreachable=True), "cannot be reached", "WIX_API_BASE", "cannot be reached"),
    ],
)
def test_an_unreachable_wix_is_not_told_to_change_its_key(wix, said, fix, skip_reason):
    out = io.StringIO()
    links = Links(
        stripe=lambda _: FakeStripe(),
        wix=lambda _: wix,
        pubsub=lambda _: FakePubSub(),
        ingest_health=lambda _: 200,
    )
    report = Reporter(out, as_json=False)
    run_doctor(BridgeSettings.from_env(ENV), links, report, now=lambda: NOW)
    results = {r.check: r for r in report.results}
    assert said in results["wix.auth"].detail and fix in results["wix.auth"].fix
    assert skip_reason in results["wix.collection"].detail
