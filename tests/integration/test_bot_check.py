"""The bot check and the creation cap on POST /v1/payment-intents, with the real siteverify
client against the local stand-in of Turnstile's and reCAPTCHA's endpoints (over HTTP)."""

from __future__ import annotations

import pytest
import requests

from devstack.botcheck_standin import create_botcheck_standin
from ingest.app import create_app
from ingest.botcheck import BotCheckConfig, SiteverifyBotCheck
from tests.fakes import FakePublisher, FakeStripe, ingest_config
from tests.standin_server import serving

SITE = "https://shop.example.com"
SECRET = "0x4AAAAAAAlocal-botcheck-secret"
ORDER = {"first_name": "Ada", "product": "tee"}


@pytest.fixture(scope="module")
def siteverify():
    with serving(create_botcheck_standin(SECRET, hostname="shop.example.com")) as url:
        yield url


def token(siteverify: str, provider: str = "turnstile", **extra) -> str:
    reply = requests.post(
        f"{siteverify}/_standin/tokens", json={"provider": provider, **extra}, timeout=5
    )
    return str(reply.json()["token"])


def app_with(siteverify: str, stripe: FakeStripe, provider="turnstile", secret=SECRET, **kw):
    path = {"turnstile": "/turnstile/v0/siteverify", "recaptcha": "/recaptcha/api/siteverify"}
    check = SiteverifyBotCheck(BotCheckConfig(provider, secret, siteverify + path[provider], **kw))
    return create_app(
        ingest_config(), FakePublisher(), stripe=stripe, bot_check=check
    ).test_client()


def create(client, body, address="203.0.113.7"):
    return client.post(
        "/v1/payment-intents",
        json=body,
        headers={"Origin": SITE},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_creation_with_a_valid_token_goes_through(siteverify):
    stripe = FakeStripe()
    response = create(app_with(siteverify, stripe), {**ORDER, "bot_token": token(siteverify)})
    assert response.status_code == 200
    assert stripe.calls == ["create_customer", "create_payment_intent"]


@pytest.mark.parametrize(
    "bot_token",
    [None, "", "made-up", 12, "x" * 5000],
    ids=["missing", "empty", "forged", "not-a-string", "too-long"],
)
def test_without_a_valid_token_the_answer_is_403_and_nothing_is_made_at_stripe(
    siteverify, bot_token
):
    stripe = FakeStripe()
    body = {**ORDER} if bot_token is None else {**ORDER, "bot_token": bot_token}
    response = create(app_with(siteverify, stripe), body)
    assert response.status_code == 403
    assert response.json["field"] == "bot_token"
    assert response.headers["Access-Control-Allow-Origin"] == SITE  # the page can say so
    assert stripe.calls == []


def test_a_token_is_good_once(siteverify):
    stripe = FakeStripe()
    client = app_with(siteverify, stripe)
    once = token(siteverify)
    assert create(client, {**ORDER, "bot_token": once}).status_code == 200
    assert create(client, {**ORDER, "bot_token": once}).status_code == 403
    assert len(stripe.customers) == 1


def test_a_token_solved_on_another_site_is_refused(siteverify):
    stripe = FakeStripe()
    client = app_with(siteverify, stripe, hostnames=("shop.example.com",))
    elsewhere = token(siteverify, hostname="evil.example")
    assert create(client, {**ORDER, "bot_token": elsewhere}).status_code == 403
    assert stripe.calls == []


def test_recaptcha_v3_refuses_a_low_score(siteverify):
    stripe = FakeStripe()
    client = app_with(siteverify, stripe, provider="recaptcha", min_score=0.5)
    low = token(siteverify, provider="recaptcha", score=0.1)
    high = token(siteverify, provider="recaptcha", score=0.9)
    assert create(client, {**ORDER, "bot_token": low}).status_code == 403
    assert create(client, {**ORDER, "bot_token": high}).status_code == 200
    assert len(stripe.customers) == 1


def test_a_wrong_secret_of_ours_is_503_not_the_visitors_fault(siteverify):
    stripe = FakeStripe()
    client = app_with(siteverify, stripe, secret="0x4-not-ours")
    response = create(client, {**ORDER, "bot_token": token(siteverify)})
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert stripe.calls == []


def test_an_unreachable_siteverify_refuses_with_503_and_creates_nothing():
    stripe = FakeStripe()
    client = app_with("http://127.0.0.1:9", stripe)
    response = create(client, {**ORDER, "bot_token": "anything"})
    assert response.status_code == 503
    assert stripe.calls == []


def test_off_by_default_a_token_is_neither_needed_nor_checked():
    stripe = FakeStripe()
    client = create_app(ingest_config(), FakePublisher(), stripe=stripe).test_client()
    assert create(client, ORDER).status_code == 200
    assert create(client, {**ORDER, "bot_token": "ignored"}).status_code == 200


def test_the_creation_cap_holds_across_client_addresses():
    stripe = FakeStripe()
    capped = ingest_config(creations_per_minute=1, creations_burst=2)
    client = create_app(capped, FakePublisher(), stripe=stripe).test_client()
    answers = [create(client, ORDER, address=f"198.51.100.{n}") for n in range(1, 5)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert len(stripe.customers) == 2


def test_refused_bots_do_not_use_up_the_cap(siteverify):
    stripe = FakeStripe()
    check = SiteverifyBotCheck(
        BotCheckConfig("turnstile", SECRET, siteverify + "/turnstile/v0/siteverify")
    )
    capped = ingest_config(creations_per_minute=1, creations_burst=1)
    client = create_app(capped, FakePublisher(), stripe=stripe, bot_check=check).test_client()
    for n in range(5):
        assert create(client, {**ORDER, "bot_token": "forged"}, f"192.0.2.{n}").status_code == 403
    assert create(client, {**ORDER, "bot_token": token(siteverify)}).status_code == 200


def test_a_checkout_session_is_gated_the_same_way(siteverify):
    stripe = FakeStripe()
    client = app_with(siteverify, stripe)
    body = {**ORDER, "return_url": "https://shop.example.com/pay"}

    def session(extra):
        return client.post(
            "/v1/checkout-sessions", json={**body, **extra}, headers={"Origin": SITE}
        )

    assert session({"bot_token": "forged"}).status_code == 403
    assert stripe.calls == []
    assert session({"bot_token": token(siteverify)}).status_code == 200
    assert stripe.calls == ["create_checkout_session"]
