"""The local checkout page: the Wix page's custom element and page code, outside Wix.

Serves checkout.html, the files of wix/ as the site owner pastes them, and small stand-ins for
the Velo modules the page code imports ($w, wix-location-frontend, wix-window-frontend,
wix-fetch) plus a generated
public/payment-config.js pointing at the local ingest. With STRIPE_PUBLISHABLE_KEY (pk_test_…)
and ingest on the matching sk_test_…, the page takes real Stripe test payments. Without a key
but with the local Stripe API stand-in (CHECKOUT_STRIPE_STANDIN_URL, which `make run` sets when
it has no Stripe account), the page loads a Stripe.js stand-in instead, clearly marked as a
local test with no real payment, that confirms through that stand-in.

Not Wix: the stand-ins implement only what wix/page-code.js uses.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, jsonify, send_from_directory

from devstack.request_log import install_request_log
from servicekit.settings import Env

TEMPLATES = Path(__file__).resolve().parent / "templates"
# devstack runs from a checkout of the repository (editable install); wix/ sits beside it.
WIX_DIR = Path(__file__).resolve().parent.parent / "wix"
VELO_STANDINS = {
    "velo-standin.js": "velo-standin.js",
    "wix-location-frontend.js": "wix-location-frontend.js",
    "wix-fetch.js": "wix-fetch.js",
    "wix-window-frontend.js": "wix-window-frontend.js",
}
# What the Stripe.js stand-in is given as the publishable key: a local test key, no account's.
LOCAL_PUBLISHABLE_KEY = "pk_test_local_devstack_only"


@dataclass(frozen=True)
class CheckoutSettings:
    ingest_url: str
    publishable_key: str = ""
    product: str = "tee"
    wix_dir: Path = WIX_DIR
    bot_check: str = ""  # turnstile | recaptcha, as ingest's BOT_CHECK
    bot_site_key: str = ""
    stripe_standin_url: str = ""
    collection_url: str = ""  # the Wix stand-in's collection view, linked from the local notice

    @property
    def local_stripe(self) -> bool:
        """No Stripe account: Stripe.js and Stripe's API are the local stand-ins."""
        return not self.publishable_key and bool(self.stripe_standin_url)

    @classmethod
    def from_env(cls) -> CheckoutSettings:
        env = Env()
        return cls(
            ingest_url=env.required("CHECKOUT_INGEST_URL", "URL of the local ingest").rstrip("/"),
            publishable_key=env.optional("STRIPE_PUBLISHABLE_KEY"),
            product=env.optional("CHECKOUT_PRODUCT", "tee"),
            bot_check=env.optional("CHECKOUT_BOT_CHECK"),
            bot_site_key=env.optional("CHECKOUT_BOT_SITE_KEY"),
            wix_dir=Path(env.optional("CHECKOUT_WIX_DIR", str(WIX_DIR))),
            stripe_standin_url=env.optional("CHECKOUT_STRIPE_STANDIN_URL").rstrip("/"),
            collection_url=env.optional("CHECKOUT_COLLECTION_URL"),
        )


def payment_config_module(settings: CheckoutSettings) -> str:
    """What wix/public/payment-config.js holds on a real site, for the local stack."""
    config = {
        "ingestUrl": settings.ingest_url,
        "publishableKey": LOCAL_PUBLISHABLE_KEY
        if settings.local_stripe
        else settings.publishable_key,
        "product": settings.product,
        "quantity": 1,
        "appearance": {"theme": "stripe", "variables": {"colorPrimary": "#635bff"}},
        "botCheck": settings.bot_check,
        "botSiteKey": settings.bot_site_key,
    }
    return f"export const PAYMENT_CONFIG = {json.dumps(config, indent=2)};\n"


def create_checkout_page(settings: CheckoutSettings) -> Flask:
    app = Flask("checkout_page")

    @app.after_request
    def no_cache(response: Response) -> Response:
        # Edits to wix/ show on the next reload.
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": "checkout-page"})

    @app.get("/")
    def checkout() -> Response:
        page = (TEMPLATES / "checkout.html").read_text(encoding="utf-8")
        notice, local_stripe = "", ""
        if settings.local_stripe:
            notice = (
                '<p class="notice local" role="note"><strong>Local test — no real payment.</strong> '
                "No Stripe account is set: Stripe's form and API are local stand-ins. Pay with "
                "the test card <code>4242 4242 4242 4242</code>, any future date, any CVC; the "
                "record appears in "
                + (
                    f'<a href="{html.escape(settings.collection_url)}">the collection view</a>'
                    if settings.collection_url
                    else "the collection view"
                )
                + ".</p>"
            )
            # Before the element's script: it uses window.Stripe when there is one.
            local_stripe = (
                "<script>window.__localStripe = "
                f"{json.dumps({'apiBase': settings.stripe_standin_url})};</script>\n"
                '  <script src="/local/stripe-standin.js"></script>'
            )
        elif not settings.publishable_key.startswith("pk_test_"):
            notice = (
                '<p class="notice">No Stripe test key: the form cannot load. Start the stack with '
                "<code>STRIPE_PUBLISHABLE_KEY=pk_test_… STRIPE_SECRET_KEY=sk_test_… make run</code> "
                "(both keys of the same test account).</p>"
            )
        page = (
            page.replace("{{notice}}", notice)
            .replace("{{local_stripe}}", local_stripe)
            .replace("{{ingest_url}}", html.escape(settings.ingest_url))
        )
        return Response(page, mimetype="text/html")

    @app.get("/velo/payment-config.js")
    def payment_config() -> Response:
        return Response(payment_config_module(settings), mimetype="text/javascript")

    @app.get("/velo/<name>")
    def velo_standin(name: str) -> Response:
        if name not in VELO_STANDINS:
            abort(404)
        return send_from_directory(TEMPLATES, VELO_STANDINS[name], mimetype="text/javascript")

    @app.get("/local/stripe-standin.js")
    def stripe_standin_js() -> Response:
        if not settings.local_stripe:
            abort(404)
        return send_from_directory(TEMPLATES, "stripe-standin.js", mimetype="text/javascript")

    @app.get("/wix/<path:name>")
    def wix_file(name: str) -> Response:
        # Only what a page loads; send_from_directory refuses paths outside wix/.
        if not name.endswith(".js"):
            abort(404)
        return send_from_directory(settings.wix_dir, name, mimetype="text/javascript")

    return app


def create_checkout_page_from_env() -> Flask:
    app = create_checkout_page(CheckoutSettings.from_env())
    install_request_log(app, "checkout-page")
    return app
