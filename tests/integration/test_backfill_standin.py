"""The backfill through the real StripeApiGateway (stripe-python) against the Stripe stand-in's
PaymentIntent list over HTTP: what the adapter sends, how the list pages, 429 back-off."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import requests

from ingest.backfill import Backfill, BackfillRange, Options
from ingest.ports import StripeFailure
from ingest.stripe_client import StripeApiGateway
from payments.message import PaymentUpdate, Source
from tests.fakes import FakePublisher
from tests.stripe_standin_server import StandinControl, running_stripe_standin

KEY = "sk_test_standin"
SINCE, UNTIL = 1_640_995_200, 1_735_689_600  # 2022-01-01 .. 2025-01-01
FAST = Options(publish_per_second=10_000, stripe_per_second=1_000)


@pytest.fixture(scope="module")
def standin_url() -> Iterator[str]:
    with running_stripe_standin() as url:
        yield url


@pytest.fixture
def standin(standin_url: str) -> StandinControl:
    control = StandinControl(standin_url)
    control.reset()
    return control


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
