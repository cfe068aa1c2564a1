"""The form with the bot check on: the element gets a Turnstile token and the real ingest
verifies it with the siteverify stand-in before it creates anything (FakeStripe behind it).
Turnstile's api.js is a stand-in too: it cannot load offline, and it would ask a person."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from devstack import processes
from devstack.botcheck_standin import create_botcheck_standin
from ingest.app import create_app
from ingest.botcheck import BotCheckConfig, SiteverifyBotCheck
from ingest.config import IngestConfig, Product
from tests.browser.conftest import IngestStandIn, browser_checkout, start_checkout_page
from tests.fakes import FakePublisher, FakeStripe
from tests.standin_server import serving

TURNSTILE_JS = "https://challenges.cloudflare.com/turnstile/v0/api.js"
SITE_KEY = "1x00000000000000000000AA"
SECRET = "0x4AAAAAAAbrowser-botcheck-secret"


def turnstile_standin(token: str) -> str:
    """window.turnstile as the widget offers it: render() answers through `callback`."""
    return f"""
window.turnstile = {{
  rendered: [],
  render(container, options) {{
    this.rendered.push({{sitekey: options.sitekey, action: options.action}});
    setTimeout(() => options.callback({json.dumps(token)}), 0);
    return 'widget-' + this.rendered.length;
  }},
  remove() {{}},
}};
"""


@dataclass
class BotCheckedIngest:
    checkout_url: str
    siteverify_url: str
    stripe: FakeStripe


@pytest.fixture(scope="module")
def bot_checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotCheckedIngest]:
    port = processes.free_port()
    origin = f"http://127.0.0.1:{port}"
    stripe = FakeStripe()
    with serving(create_botcheck_standin(SECRET, hostname="127.0.0.1")) as siteverify:
        check = SiteverifyBotCheck(
            BotCheckConfig("turnstile", SECRET, siteverify + "/turnstile/v0/siteverify")
        )
        config = IngestConfig(
            project="local-project",
            topic="stripe-payments",
            webhook_secrets=("whsec_browser",),
            stripe_secret_key="sk_test_browser",
            allowed_origins=(origin,),
            catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
        )
        app = create_app(config, FakePublisher(), stripe=stripe, bot_check=check)
        with serving(app) as ingest_url:
            page = start_checkout_page(
                port,
                ingest_url,
                tmp_path_factory.mktemp("checkout-bot-check-logs"),
                CHECKOUT_BOT_CHECK="turnstile",
                CHECKOUT_BOT_SITE_KEY=SITE_KEY,
            )
            try:
                yield BotCheckedIngest(page.url, siteverify, stripe)
            finally:
                page.stop()


def test_a_person_with_a_valid_token_gets_the_payment_form(
    browser: Any, bot_checked: BotCheckedIngest, ingest_standin: IngestStandIn
) -> None:
    token = requests.post(f"{bot_checked.siteverify_url}/_standin/tokens", json={}, timeout=5)
    scripts = {TURNSTILE_JS: turnstile_standin(token.json()["token"])}
    before = len(bot_checked.stripe.intents)
    with browser_checkout(
        browser, bot_checked.checkout_url, ingest_standin, 375, scripts=scripts
    ) as checkout:
        checkout.open()
        checkout.continue_as("Ada")
        rendered = checkout.page.evaluate("window.turnstile.rendered")
    assert rendered == [{"sitekey": SITE_KEY, "action": "payment"}]
    assert len(bot_checked.stripe.intents) == before + 1


def test_a_forged_token_is_refused_and_nothing_is_made_at_stripe(
    browser: Any, bot_checked: BotCheckedIngest, ingest_standin: IngestStandIn
) -> None:
    scripts = {TURNSTILE_JS: turnstile_standin("forged-token")}
    calls = len(bot_checked.stripe.calls)
    with browser_checkout(
        browser, bot_checked.checkout_url, ingest_standin, 375, scripts=scripts
    ) as checkout:
        checkout.open()
        checkout.page.get_by_label("First name").fill("Ada")
        checkout.page.get_by_role("button", name="Continue to payment").click()
        expect(checkout.page.get_by_role("alert")).to_have_text(
            "We could not confirm this request came from a person. Please try again."
        )
    assert len(bot_checked.stripe.calls) == calls
