"""The local checkout page: the Wix page's custom element and page code, outside Wix.

Serves checkout.html, the files of wix/ as the site owner pastes them, and small stand-ins for
the Velo modules the page code imports ($w, wix-location-frontend, wix-window-frontend,
wix-fetch) plus a generated
public/payment-config.js pointing at the local ingest. With STRIPE_PUBLISHABLE_KEY (pk_test_…)
and ingest on the matching sk_test_…, the page takes real Stripe test payments.

Not Wix: the stand-ins implement only what wix/page-code.js uses.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, jsonify, send_from_directory

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


@dataclass(frozen=True)
class CheckoutSettings:
    ingest_url: str
    publishable_key: str = ""
    product: str = "tee"
    wix_dir: Path = WIX_DIR

    @classmethod
    def from_env(cls) -> CheckoutSettings:
        env = Env()
        return cls(
            ingest_url=env.required("CHECKOUT_INGEST_URL", "URL of the local ingest").rstrip("/"),
            publishable_key=env.optional("STRIPE_PUBLISHABLE_KEY"),
            product=env.optional("CHECKOUT_PRODUCT", "tee"),
            wix_dir=Path(env.optional("CHECKOUT_WIX_DIR", str(WIX_DIR))),
        )


def payment_config_module(settings: CheckoutSettings) -> str:
    """What wix/public/payment-config.js holds on a real site, for the local stack."""
    config = {
        "ingestUrl": settings.ingest_url,
        "publishableKey": settings.publishable_key,
        "product": settings.product,
        "quantity": 1,
        "appearance": {"theme": "stripe", "variables": {"colorPrimary": "#635bff"}},
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
        notice = ""
        if not settings.publishable_key.startswith("pk_test_"):
            notice = (
                '<p class="notice">No Stripe test key: the form cannot load. Start the stack with '
                "<code>STRIPE_PUBLISHABLE_KEY=pk_test_… STRIPE_SECRET_KEY=sk_test_… make run</code> "
                "(both keys of the same test account).</p>"
            )
        page = page.replace("{{notice}}", notice).replace(
            "{{ingest_url}}", html.escape(settings.ingest_url)
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

    @app.get("/wix/<path:name>")
    def wix_file(name: str) -> Response:
        # Only what a page loads; send_from_directory refuses paths outside wix/.
        if not name.endswith(".js"):
            abort(404)
        return send_from_directory(settings.wix_dir, name, mimetype="text/javascript")

    return app


def create_checkout_page_from_env() -> Flask:
    return create_checkout_page(CheckoutSettings.from_env())
