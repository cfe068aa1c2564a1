"""ingest's own payment page (GET /checkout, for Apple Pay on a domain the merchant controls) in
real Chromium, which enforces its Content-Security-Policy: the element, its script and the
Stripe.js stand-in (served as https://js.stripe.com/v3/) must work under it, and nothing else may
run. ingest is the real app over HTTP with FakeStripe behind it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from ingest.app import create_app
from ingest.config import IngestConfig, Product
from tests.browser.conftest import PUBLISHABLE_KEY, IngestStandIn, browser_checkout
from tests.fakes import FakePublisher, FakeStripe
from tests.standin_server import serving

COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@pytest.fixture(scope="module")
def ingest_url() -> Iterator[str]:
    app: dict[str, Any] = {}

    def lazy(environ: Any, start_response: Any) -> Any:
        return app["ingest"](environ, start_response)

    # The page's origin is ingest's own, known once the server has its port.
    with serving(lazy) as url:
        config = IngestConfig(
            project="local-project",
            topic="stripe-payments",
            webhook_secrets=("whsec_browser",),
            stripe_secret_key="sk_test_browser",
            allowed_origins=(url,),
            catalog={"tee": Product("tee", "T-shirt", 1999, "usd")},
            stripe_publishable_key=PUBLISHABLE_KEY,
        )
        app["ingest"] = create_app(config, FakePublisher(), stripe=FakeStripe())
        yield url


def test_the_element_pays_on_ingests_page_under_its_strict_csp(
    browser: Any, ingest_url: str, ingest_standin: IngestStandIn
) -> None:
    with browser_checkout(browser, ingest_url, ingest_standin, 375) as checkout:
        checkout.page.add_init_script(COLLECT_VIOLATIONS)
        checkout.page.goto(f"{ingest_url}/checkout?product=tee")
        expect(checkout.page.locator("h1")).to_have_text("T-shirt")
        checkout.continue_as("Ada")
        checkout.page.get_by_role("button", name="Pay $19.99").click()
        expect(checkout.page.locator("#paymentStatus")).to_have_text(
            "Thank you! Your payment was received."
        )
        [elements] = checkout.stripe_calls("stripe.elements")
        assert elements["options"]["clientSecret"].startswith("pi_1_secret_")
        assert checkout.page.evaluate("window.__violations") == []

        # The policy is really enforced: an injected inline script does not run.
        ran = checkout.page.evaluate(
            """() => {
              const script = document.createElement('script');
              script.textContent = 'window.__injected = true';
              document.head.appendChild(script);
              return window.__injected === true;
            }"""
        )
        assert ran is False
        checkout.page.wait_for_function("window.__violations.length > 0")
        assert checkout.page.evaluate("window.__violations")[0].startswith("script-src")
