"""The payment form on a phone (375 px) and a desktop (1280 px): nothing overflows, the button
and messages are visible and big enough to tap. Screenshots land in test-artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    DECLINED,
    Checkout,
    IngestStandIn,
    browser_checkout,
)

# Everything the form draws, checked against the viewport's edges.
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const offenders = [];
  for (const el of document.querySelectorAll('stripe-payment-form, stripe-payment-form *, #paymentStatus')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -0.5 || box.right > width + 0.5) {
      offenders.push(`${el.localName}.${el.className} ${box.left.toFixed(1)}..${box.right.toFixed(1)}`);
    }
  }
  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    offenders,
  };
}
"""


@pytest.fixture(params=[375, 1280], ids=["phone-375", "desktop-1280"])
def sized_checkout(
    request: pytest.FixtureRequest,
    browser: Any,
    checkout_url: str,
    ingest_standin: IngestStandIn,
) -> Iterator[tuple[int, Checkout]]:
    width: int = request.param
    with browser_checkout(
        browser, checkout_url, ingest_standin, width, {"confirmResults": [DECLINED]}
    ) as opened:
        yield width, opened


def assert_fits(checkout: Checkout, width: int) -> None:
    layout = checkout.page.evaluate(OVERFLOW)
    assert layout["width"] == width
    assert layout["scrollWidth"] <= width, f"the page scrolls sideways: {layout}"
    assert layout["offenders"] == [], f"drawn outside the viewport: {layout['offenders']}"


def assert_tappable(locator: Any) -> None:
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_in_viewport()
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 44, f"too small to tap: {box}"


def test_the_form_fits_and_its_button_and_messages_are_visible(
    sized_checkout: tuple[int, Checkout],
) -> None:
    width, checkout = sized_checkout
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = checkout.page
    checkout.open()
    checkout.wait_state("details")
    assert_fits(checkout, width)
    assert_tappable(page.get_by_role("button", name="Continue to payment"))
    assert_tappable(page.get_by_label("First name"))
    font_size = page.get_by_label("First name").evaluate("e => getComputedStyle(e).fontSize")
    assert font_size == "16px", "smaller text makes iOS Safari zoom into the field"
    page.screenshot(path=str(ARTIFACTS / f"checkout-{width}-name.png"), full_page=True)

    checkout.continue_as("Ada")
    assert_fits(checkout, width)
    assert_tappable(page.get_by_role("button", name="Pay $19.99"))
    page.screenshot(path=str(ARTIFACTS / f"checkout-{width}-ready.png"), full_page=True)

    page.get_by_role("button", name="Pay $19.99").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Your card was declined.")
    alert.scroll_into_view_if_needed()
    expect(alert).to_be_in_viewport()
    assert_fits(checkout, width)
    assert_tappable(page.get_by_role("button", name="Pay $19.99"))
    page.screenshot(path=str(ARTIFACTS / f"checkout-{width}-declined.png"), full_page=True)

    page.get_by_role("button", name="Pay $19.99").click()
    checkout.wait_state("succeeded")
    expect(page.locator("#paymentStatus")).to_have_text(
        "Thank you! We received $19.99 paid with card."
    )
    assert_fits(checkout, width)
    page.screenshot(path=str(ARTIFACTS / f"checkout-{width}-paid.png"), full_page=True)
