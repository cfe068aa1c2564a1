"""A newcomer with no Stripe account: `python -m devstack run` (what `make run` calls), then the
local checkout page in real Chromium, a name and the test card 4242 4242 4242 4242, and the
payment in the collection view.

Everything is the real local stack: gunicorn services, the Pub/Sub emulator, the writer, the Wix
stand-in, the Stripe API stand-in (which confirms the card and sends its events to ingest's
webhook, signed) and the page's Stripe.js stand-in from devstack/templates/. No request leaves
this machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from devstack.processes import descendants, free_ports
from devstack.stack import PORT_NAMES
from tests.browser.conftest import ARTIFACTS, WAIT_MS

SHOTS = ARTIFACTS.parent / "local-flow"


def alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@dataclass
class LocalStack:
    checkout_url: str
    standin_url: str
    log_dir: Path
    ports: dict[str, int]


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir = tmp_path_factory.mktemp("local-flow")
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    env = {
        # A fresh clone: no Stripe key of any kind.
        **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DEVSTACK_"))},
        "DEVSTACK_DIR": str(state_dir),
        **{f"DEVSTACK_{name.upper()}": str(port) for name, port in ports.items()},
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        while not output or "Ctrl-C stops everything" not in output[-1]:
            line = run.stdout.readline()
            assert line, "devstack run exited early:\n" + "".join(output)
            output.append(line)
        assert "4242 4242 4242 4242" in "".join(output)
        yield LocalStack(
            f"http://127.0.0.1:{ports['checkout_port']}",
            f"http://127.0.0.1:{ports['standin_port']}",
            state_dir / "logs",
            ports,
        )
        state = json.loads((state_dir / "stack.json").read_text())
        started = {entry["pid"] for entry in state["processes"].values()}
        started |= {pid for leader in started for pid in descendants(leader)}
    finally:
        # Ctrl-C, as a newcomer stops it: every process goes (the SIGINT path of `run`).
        run.send_signal(signal.SIGINT)
        try:
            rest, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            raise
    assert run.returncode == 0, rest
    assert "no process of the stack is left running" in rest
    deadline = time.monotonic() + 10
    while (left := [p for p in started if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"still running after Ctrl-C: {left}"


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    """A fresh page `width` px wide that may not leave this machine."""
    contexts: list[Any] = []
    blocked: list[str] = []
    errors: list[str] = []

    def open_page(width: int) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": 800 if width < 600 else 900},
            device_scale_factor=1,
            is_mobile=width < 600,
            has_touch=width < 600,
        )
        context.set_default_timeout(WAIT_MS)
        context.route(
            lambda url: not url.startswith(("http://127.0.0.1:", "http://localhost:")),
            lambda route: (blocked.append(route.request.url), route.abort()),
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert blocked == [], f"the page tried to leave this machine: {blocked}"
    assert errors == [], f"uncaught errors on the page: {errors}"


def pay(page: Any, first_name: str, card: str) -> None:
    page.get_by_label("First name").fill(first_name)
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_selector("stripe-payment-form[data-state=ready]")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiration date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay $19.99").click()


def test_a_newcomer_pays_with_the_test_card_and_sees_the_record(local_stack, page_at):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Letters only, as the form asks; unique, so a rerun finds this payment's row.
    name = "Ada" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:6])
    page = page_at(375)
    page.goto(local_stack.checkout_url + "/")
    expect(page.locator(".notice")).to_contain_text("Local test — no real payment")
    page.get_by_label("First name").fill(name)
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_selector("stripe-payment-form[data-state=ready]")
    expect(page.locator(".lsj-banner")).to_contain_text("Local test — no real payment")
    page.screenshot(path=str(SHOTS / "checkout-375.png"), full_page=True)
    page.get_by_label("Card number").fill("4242424242424242")
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    page.get_by_label("Expiration date").fill("1234")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay $19.99").click()
    expect(page.locator("#paymentStatus")).to_have_text(
        "Thank you! We received $19.99 paid with card."
    )
    page.screenshot(path=str(SHOTS / "checkout-paid-375.png"), full_page=True)

    for width in (375, 1280):
        view = page_at(width)
        view.goto(local_stack.standin_url + "/")
        row = view.locator("#rows tr", has_text=name)
        expect(row).to_contain_text("succeeded")
        expect(row.locator(".c-paidWith")).to_have_text("Card")
        expect(row.locator(".c-amount")).to_have_text("$19.99")
        expect(row.locator(".c-stripeCustomerId")).to_contain_text("cus_")
        assert view.evaluate("document.documentElement.scrollWidth") <= width
        view.screenshot(path=str(SHOTS / f"collection-{width}.png"), full_page=True)
        expect(view.get_by_role("link", name="Raw table (every field)")).to_be_visible()

    # The record came (also) by the webhook: the Stripe stand-in's events reached ingest, signed
    # with the secret of the endpoint the stack registered, and were published.
    intent_id = view.locator("#rows tr", has_text=name).get_attribute("data-id")
    assert intent_id and intent_id.startswith("pi_")
    webhook_lines = [
        json.loads(line)
        for line in (local_stack.log_dir / "ingest.log").read_text().splitlines()
        if line.startswith("{") and '"ingest.webhook"' in line
    ]
    published = {
        e["event_type"]
        for e in webhook_lines
        if e.get("payment_intent_id") == intent_id and e.get("outcome") == "published"
    }
    assert {"charge.succeeded", "payment_intent.succeeded"} <= published


def test_a_declined_test_card_shows_stripes_message_and_can_be_retried(local_stack, page_at):
    page = page_at(1280)
    page.goto(local_stack.checkout_url + "/")
    expect(page.locator(".notice")).to_contain_text("Local test — no real payment")
    page.screenshot(path=str(SHOTS / "checkout-1280.png"), full_page=True)
    pay(page, "Grace", "4000 0000 0000 0002")
    expect(page.locator("stripe-payment-form")).to_contain_text("Your card was declined.")
    page.screenshot(path=str(SHOTS / "checkout-declined-1280.png"), full_page=True)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $19.99").click()
    expect(page.locator("#paymentStatus")).to_have_text(
        "Thank you! We received $19.99 paid with card."
    )


def save(stack: LocalStack, item_id: str, first_name: str) -> None:
    """A record written through the Wix stand-in's API, as the writer writes one."""
    response = requests.post(
        f"{stack.standin_url}/wix-data/v2/items/save",
        json={
            "dataCollectionId": "Payments",
            "dataItem": {
                "id": item_id,
                "data": {
                    "firstName": first_name,
                    "stripeCustomerId": "cus_view",
                    "paidOn": {"$date": "2026-12-04T21:40:00.000Z"},
                    "paidWith": "Card",
                    "status": "succeeded",
                    "amount": 500,
                    "currency": "jpy",
                },
            },
        },
        headers={"Authorization": "local-wix-api-key", "wix-site-id": "local-wix-site"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_the_view_refreshes_in_place_and_keeps_the_readers_place(local_stack, page_at):
    for n in range(25):
        save(local_stack, f"view-{n:02d}", f"Reader{n:02d}")
    page = page_at(375)
    page.goto(local_stack.standin_url + "/")
    expect(page.locator("#rows tr", has_text="Reader00").locator(".c-amount")).to_have_text("¥500")
    page.evaluate("window.scrollTo(0, 1500)")
    anchor = page.evaluate(
        """() => { const r = [...document.querySelectorAll('#rows tr')]
                     .find(tr => tr.getBoundingClientRect().top >= 0);
                   return {id: r.dataset.id, top: r.getBoundingClientRect().top}; }"""
    )
    refreshes = int(page.locator("body").get_attribute("data-refreshes") or 0)
    save(local_stack, "view-new", "Newcomer")  # arrives at the top, above the reader's place
    page.wait_for_function(
        f"document.body.dataset.refreshes > {refreshes} && "
        "document.querySelector('#rows tr[data-id=\"view-new\"]') !== null"
    )
    top = page.evaluate(
        f"document.querySelector('#rows tr[data-id=\"{anchor['id']}\"]').getBoundingClientRect().top"
    )
    assert abs(top - anchor["top"]) <= 2, "the row being read moved on refresh"
    assert page.evaluate("window.scrollY") > 1500
