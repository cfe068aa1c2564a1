"""Real headless Chromium (Debian's /usr/bin/chromium) driving the local checkout page.

What is real: Chromium, the checkout page server (devstack.checkout_page under gunicorn), the
custom element and the Velo page code exactly as in wix/, HTTP between the page and "ingest"
(cross-origin, with CORS preflights).

What stands in, and why:
- Stripe.js: the real one cannot load offline, and it must come from js.stripe.com. Requests to
  https://js.stripe.com/v3/ are answered with tests/browser/stripe_standin.js; every other
  request off this machine is refused and recorded, so a test cannot reach the internet.
- ingest's /v1/payment-intents and /v1/payments/verify: a small test-only HTTP server
  (IngestStandIn) started and stopped here, counting requests and Idempotency-Keys. The real
  endpoints were being written at the same time, and these tests check the page, not ingest.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devstack import processes

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts" / "browser"
STRIPE_JS_URL = "https://js.stripe.com/v3/"
PUBLISHABLE_KEY = "pk_test_browser_tests"
# What Stripe.js's confirmPayment resolves with for a declined card (scripted via confirmResults).
DECLINED = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
    }
}


@dataclass
class IntentRequest:
    origin: str | None
    idempotency_key: str | None
    content_type: str | None
    body: dict[str, Any]


@dataclass
class IngestStandIn:
    """Answers like ingest's /v1/* for the page; scripted per test, reset between tests."""

    allowed_origin: str = ""
    delay_seconds: float = 0.0
    # Answers before succeeding: [503] fails the first attempt; (400, body) sets the body too.
    fail_with: list[int | tuple[int, dict[str, Any]]] = field(default_factory=list)
    verify_result: dict[str, Any] = field(
        default_factory=lambda: {
            "status": "succeeded",
            "paid_with": "card",
            "amount": 1999,
            "currency": "usd",
        }
    )
    intents: list[IntentRequest] = field(default_factory=list)
    sessions: list[IntentRequest] = field(default_factory=list)  # POST /v1/checkout-sessions
    verifies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.delay_seconds = 0.0
            self.fail_with = []
            self.intents.clear()
            self.sessions.clear()
            self.verifies.clear()

    @property
    def idempotency_keys(self) -> list[str | None]:
        return [r.idempotency_key for r in self.intents]


def _handler(standin: IngestStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _cors(self) -> None:
            if self.headers.get("Origin") == standin.allowed_origin:
                self.send_header("Access-Control-Allow-Origin", standin.allowed_origin)
                self.send_header("Vary", "Origin")

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key")
            self.send_header("Access-Control-Max-Age", "0")
            self.end_headers()

        def do_GET(self) -> None:
            # "Stripe Checkout": the page a redirect lands on.
            data = b"<!doctype html><title>Stripe Checkout stand-in</title><h1>Checkout</h1>"
            self.send_response(200 if self.path.startswith("/c/pay/cs_test_") else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/v1/payment-intents":
                with standin.lock:
                    standin.intents.append(
                        IntentRequest(
                            self.headers.get("Origin"),
                            self.headers.get("Idempotency-Key"),
                            self.headers.get("Content-Type"),
                            body,
                        )
                    )
                    n = len(standin.intents)
                    failure = standin.fail_with.pop(0) if standin.fail_with else None
                    delay = standin.delay_seconds
                if delay:
                    time.sleep(delay)
                if isinstance(failure, tuple):
                    self._json(*failure)
                    return
                if failure:
                    self._json(failure, {"error": "scripted failure"})
                    return
                self._json(
                    200,
                    {
                        "client_secret": f"pi_test{n}_secret_abc{n}",
                        "payment_intent_id": f"pi_test{n}",
                        "amount": 1999 * int(body.get("quantity") or 1),
                        "currency": "usd",
                    },
                )
            elif self.path == "/v1/checkout-sessions":
                with standin.lock:
                    standin.sessions.append(
                        IntentRequest(
                            self.headers.get("Origin"),
                            self.headers.get("Idempotency-Key"),
                            self.headers.get("Content-Type"),
                            body,
                        )
                    )
                    n = len(standin.sessions)
                # Stripe's URL is checkout.stripe.com; here a local page plays Checkout.
                self._json(
                    200,
                    {
                        "url": f"{standin.url}/c/pay/cs_test_{n}",
                        "checkout_session_id": f"cs_test_{n}",
                    },
                )
            elif self.path == "/v1/payments/verify":
                with standin.lock:
                    standin.verifies.append(body)
                self._json(200, standin.verify_result)
            else:
                self._json(404, {"error": "not found"})

    return Handler


@pytest.fixture(scope="session")
def ingest_standin() -> Iterator[IngestStandIn]:
    standin = IngestStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def start_checkout_page(port: int, ingest_url: str, log_dir: Path) -> processes.Service:
    """The real local checkout page under gunicorn, as `make run` starts it."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")},
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "CHECKOUT_INGEST_URL": ingest_url,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "CHECKOUT_PRODUCT": "tee",
        "WEB_CONCURRENCY": "1",
    }
    return processes.start_gunicorn(
        "checkout-page",
        "devstack.checkout_page:create_checkout_page_from_env()",
        f"http://127.0.0.1:{port}",
        env,
        log_dir,
    )


@pytest.fixture(scope="session")
def checkout_url(
    ingest_standin: IngestStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The checkout page pointed at the ingest stand-in."""
    port = processes.free_port()
    ingest_standin.allowed_origin = f"http://127.0.0.1:{port}"
    service = start_checkout_page(
        port, ingest_standin.url, tmp_path_factory.mktemp("checkout-logs")
    )
    try:
        yield service.url
    finally:
        service.stop()


WAIT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import expect, sync_playwright

    # Playwright's 5 s default is tight for a cold Chromium on a loaded 2-core machine; the
    # waits still end as soon as their condition holds.
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


# Collected on the page before any script runs: the element's events as the page sees them.
RECORD_EVENTS = """
window.__events = [];
for (const name of ['ready', 'processing', 'succeeded', 'failed']) {
  document.addEventListener(name, (event) => {
    if (event.target && event.target.localName === 'stripe-payment-form') {
      window.__events.push({type: name, detail: event.detail});
    }
  }, true);
}
"""


@dataclass
class Checkout:
    """One browser page on the checkout page, with the Stripe.js stand-in in place."""

    page: Any
    url: str
    ingest: IngestStandIn
    blocked: list[str]
    errors: list[str]

    def open(self, query: str = "") -> None:
        self.page.goto(self.url + "/" + query)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.page.evaluate("window.__events")
        return [e for e in events if kind is None or e["type"] == kind]

    def stripe_calls(self, method: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.page.evaluate("window.__stripeCalls || []")
        return [c for c in calls if method is None or c["method"] == method]

    def wait_state(self, state: str) -> None:
        self.page.wait_for_selector(f"stripe-payment-form[data-state={state}]")

    def continue_as(self, first_name: str) -> None:
        self.page.get_by_label("First name").fill(first_name)
        self.page.get_by_role("button", name="Continue to payment").click()
        self.wait_state("ready")


@contextmanager
def browser_checkout(
    browser: Any,
    checkout_url: str,
    ingest_standin: IngestStandIn,
    width: int,
    stripe_script: dict[str, Any] | None = None,
    stripe_js_loads: bool = True,
) -> Iterator[Checkout]:
    """A fresh browser context on the checkout page, `width` px wide. When the block ends without
    an error, the page must have had no uncaught errors and no request off this machine; the
    context is closed either way."""
    blocked: list[str] = []
    errors: list[str] = []
    standin_js = (HERE / "stripe_standin.js").read_text(encoding="utf-8")

    def route(request_route: Any) -> None:
        url: str = request_route.request.url
        if url.startswith(STRIPE_JS_URL) and not stripe_js_loads:
            request_route.abort("internetdisconnected")
        elif url.startswith(STRIPE_JS_URL):
            request_route.fulfill(status=200, content_type="text/javascript", body=standin_js)
        else:
            blocked.append(url)
            request_route.abort()

    ingest_standin.reset()
    context = browser.new_context(
        viewport={"width": width, "height": 800 if width < 600 else 900},
        device_scale_factor=1,
        is_mobile=width < 600,
        has_touch=width < 600,
    )
    try:
        context.set_default_timeout(WAIT_MS)
        # Only requests leaving this machine are intercepted: local ones (and their CORS
        # preflights, which interception would hide) go over real HTTP.
        context.route(
            lambda url: not url.startswith(("http://127.0.0.1:", "http://localhost:")), route
        )
        context.add_init_script(f"window.__stripeScript = {json.dumps(stripe_script or {})};")
        context.add_init_script(RECORD_EVENTS)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield Checkout(page, checkout_url, ingest_standin, blocked, errors)
        assert errors == [], f"uncaught errors on the page: {errors}"
        assert blocked == [], f"the page tried to leave this machine: {blocked}"
    finally:
        context.close()


@pytest.fixture
def checkout(
    request: pytest.FixtureRequest,
    browser: Any,
    checkout_url: str,
    ingest_standin: IngestStandIn,
) -> Iterator[Checkout]:
    """A phone-width checkout page; `@pytest.mark.stripe(...)` scripts Stripe.js's answers
    (`loads=False`: Stripe.js cannot be fetched at all)."""
    marker = request.node.get_closest_marker("stripe")
    script = dict(marker.kwargs) if marker else {}
    loads = bool(script.pop("loads", True))
    with browser_checkout(browser, checkout_url, ingest_standin, 375, script, loads) as opened:
        yield opened
