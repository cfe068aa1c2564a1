"""smoke's hops with hand-written fakes: each failure names its hop; live keys are refused."""

from __future__ import annotations

import io
from typing import Any

import pytest

from bridge.settings import BridgeSettings
from bridge.smoke import SmokeLinks, missing_record_fields, refusal, run_smoke
from ingest.ports import StripeFailure

ENV = {
    "INGEST_URL": "https://ingest.example.com",
    "ALLOWED_ORIGINS": "https://shop.example.com",
    "CATALOG": '{"tee": {"name": "T-shirt", "amount": 1999, "currency": "usd"}}',
    "STRIPE_SECRET_KEY": "sk_test_x",
    "WIX_API_KEY": "k",
    "WIX_SITE_ID": "s",
}
COMPLETE = {
    "firstName": "Smoke",
    "stripeCustomerId": "cus_1",
    "paidOn": {"$date": "2026-12-04T10:00:00.000Z"},
    "paidWith": "Card",
    "status": "succeeded",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeIngest:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def create_payment(self, origin: str, body: Any, key: str) -> tuple[int, Any]:
        self.calls.append((origin, dict(body)))
        if self.status != 200:
            return self.status, {"error": "origin not allowed"}
        return 200, {"payment_intent_id": "pi_1", "client_secret": "pi_1_secret_x"}


class FakeStripe:
    def __init__(self, fail: bool = False, pending: int = 0) -> None:
        self.fail = fail
        self.pending = pending

    def recent_events(
        self, types: list[str], created_gte: int, undelivered: bool
    ) -> list[dict[str, Any]]:
        intent = {"object": "payment_intent", "id": "pi_1"}
        charge = {"object": "charge", "id": "ch_1", "payment_intent": "pi_1"}
        other = {"object": "charge", "id": "ch_2", "payment_intent": "pi_2"}
        return [
            {"id": "evt_1", "data": {"object": intent}, "pending_webhooks": self.pending},
            {"id": "evt_2", "data": {"object": charge}, "pending_webhooks": 0},
            {"id": "evt_3", "data": {"object": other}, "pending_webhooks": 1},
        ]

    def confirm(
        self, payment_intent_id: str, payment_method: str, return_url: str
    ) -> dict[str, Any]:
        if self.fail:
            raise StripeFailure("not_found", "No such payment_intent: 'pi_1'")
        assert payment_method == "pm_card_visa"
        return {"id": payment_intent_id, "status": "succeeded", "customer": "cus_1"}


class FakeWix:
    """Answers the reads in `script` in turn (the last one thereafter)."""

    def __init__(self, *script: dict[str, Any] | None) -> None:
        self.script = list(script)
        self.removed: list[str] = []

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def remove(self, item_id: str) -> bool:
        self.removed.append(item_id)
        return True


def smoke(ingest=None, stripe=None, wix=None, keep=False) -> tuple[int, str, FakeWix]:
    wix = wix or FakeWix(None, {"status": "succeeded"}, COMPLETE)
    clock = Clock()
    out = io.StringIO()
    code = run_smoke(
        BridgeSettings.from_env(ENV),
        SmokeLinks(ingest or FakeIngest(), stripe or FakeStripe(), wix),
        out,
        keep=keep,
        timeout=10,
        clock=clock,
        sleep=clock.sleep,
    )
    return code, out.getvalue(), wix


def test_a_complete_record_passes_printing_every_hop_and_removes_the_record():
    code, out, wix = smoke()
    assert code == 0
    for hop in ("intent created", "payment succeeded", "record first written", "record complete"):
        assert f"✓ {hop}" in out
    assert wix.removed == ["pi_1"]


def test_keep_leaves_the_record():
    code, out, wix = smoke(keep=True)
    assert code == 0 and wix.removed == [] and "--keep" in out


@pytest.mark.parametrize(
    ("links", "hop"),
    [
        ({"ingest": FakeIngest(status=403)}, "intent created"),
        ({"stripe": FakeStripe(fail=True)}, "payment succeeded"),
        ({"wix": FakeWix(None)}, "record first written"),
        ({"wix": FakeWix(COMPLETE | {"paidWith": None})}, "record complete"),
    ],
)
def test_a_failure_names_its_hop_and_its_likely_causes(links, hop):
    code, out, _ = smoke(**links)
    assert code == 1
    assert f'smoke FAILED at "{hop}"' in out
    assert "Likely causes:" in out and "python -m bridge doctor" in out


def test_the_payment_is_started_as_the_page_does_with_an_allowed_origin():
    ingest = FakeIngest()
    smoke(ingest=ingest)
    assert ingest.calls == [("https://shop.example.com", {"first_name": "Smoke", "product": "tee"})]


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({}, None),
        ({"STRIPE_SECRET_KEY": "sk_live_x"}, "test mode only"),
        ({"STRIPE_SECRET_KEY": "rk_live_x"}, "test mode only"),
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY"),
        ({"INGEST_URL": ""}, "INGEST_URL"),
        ({"ALLOWED_ORIGINS": ""}, "Origin"),
    ],
)
def test_live_keys_and_missing_settings_are_refused(overrides, refused):
    why = refusal(BridgeSettings.from_env(ENV | overrides))
    assert (why is None) if refused is None else (refused in (why or ""))


@pytest.mark.parametrize(
    ("record", "customer", "missing"),
    [
        (COMPLETE, "cus_1", []),
        (COMPLETE, "cus_2", ["stripeCustomerId"]),
        (COMPLETE | {"firstName": "Ada"}, "cus_1", ["firstName"]),
        (COMPLETE | {"paidOn": None}, "cus_1", ["paidOn"]),
        (COMPLETE | {"paidWith": "Link"}, "cus_1", ["paidWith"]),
        (COMPLETE | {"status": "processing"}, "cus_1", ["status"]),
    ],
)
def test_a_record_is_complete_only_with_every_field_right(record, customer, missing):
    found = missing_record_fields(record, customer)
    assert [m.split(" ")[0] for m in found] == missing


@pytest.mark.parametrize(
    ("pending", "said"),
    [(0, "the stop is after ingest"), (1, "the stop is at the webhook")],
)
def test_a_missing_record_says_whether_stripe_delivered_the_payments_webhooks(pending, said):
    code, out, _ = smoke(stripe=FakeStripe(pending=pending), wix=FakeWix(None))
    assert code == 1 and said in out
