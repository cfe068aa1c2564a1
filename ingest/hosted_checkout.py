"""Apple Pay with the embedded element: ingest's own payment page on a domain the merchant controls.

Apple shows Apple Pay on the web only on a domain that serves Apple's association file at
/.well-known/apple-developer-merchantid-domain-association itself (no redirect), and Stripe
registers a domain for live Apple Pay only once that file is there
(https://docs.stripe.com/apple-pay?platform=web#verify-domain,
https://docs.stripe.com/payments/payment-methods/pmd-registration). A Wix-hosted site cannot
serve a file at that path, so the merchant maps a subdomain (terraform `checkout_domain`, e.g.
pay.example.com) to ingest, which serves:

GET /.well-known/apple-developer-merchantid-domain-association  the file, byte for byte, text/plain
                                                               (404 when not configured)
GET /checkout?product=…       the same <stripe-payment-form> as the Wix page, on a page of its
                              own with a strict Content-Security-Policy that allows Stripe.js
GET /checkout/assets/<name>   the element (from wix/custom-elements/) and the page's script
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_from_directory

from ingest.config import IngestConfig

APPLE_PAY_PATH = "/.well-known/apple-developer-merchantid-domain-association"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# The element as the site owner pastes it into Wix; the image copies wix/ (Dockerfile).
ELEMENT_DIR = Path(__file__).resolve().parent.parent / "wix" / "custom-elements"
ASSETS = {"stripe-payment-form.js": ELEMENT_DIR, "checkout.js": STATIC_DIR}
_PRODUCT = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# Stripe.js and Elements need these sources (https://docs.stripe.com/security/guide#content-security-policy):
# the script and its iframes from js.stripe.com, 3-D Secure and redirects via hooks.stripe.com,
# API calls to api.stripe.com. Everything else is this page's own: no inline script, no
# framing of this page by others. Inline styles stay allowed: the element injects its <style>.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://js.stripe.com https://*.js.stripe.com",
        "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com",
        "connect-src 'self' https://api.stripe.com",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https://*.stripe.com",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ margin: 0; background: #f6f8fa; color: #1a1f36;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
main {{ max-width: 640px; margin: 0 auto; padding: 24px 16px 48px; }}
.card {{ background: #fff; border: 1px solid #e3e8ee; border-radius: 12px; padding: 20px; }}
h1 {{ font-size: 22px; margin: 0 0 16px; }}
.status {{ margin: 16px 0 0; font-size: 16px; line-height: 1.4; }}
</style>
<script src="/checkout/assets/stripe-payment-form.js" defer></script>
<script src="/checkout/assets/checkout.js" defer></script>
</head>
<body>
<main>
<div class="card">
<h1>{title}</h1>
<stripe-payment-form id="paymentForm" data-product="{product}" data-publishable-key="{key}"
  data-quantity="{quantity}"></stripe-payment-form>
<p id="paymentStatus" class="status" role="status" aria-live="polite" hidden></p>
</div>
</main>
</body>
</html>
"""


def hosted_checkout_blueprint(config: IngestConfig) -> Blueprint:
    bp = Blueprint("hosted_checkout", __name__)

    @bp.get(APPLE_PAY_PATH)
    def apple_pay_domain_association() -> Response:
        if config.apple_pay_domain_association is None:
            abort(404, description="APPLE_PAY_DOMAIN_ASSOCIATION is not set")
        response = Response(config.apple_pay_domain_association, mimetype="text/plain")
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    @bp.get("/checkout")
    def checkout_page() -> Response:
        key = config.stripe_publishable_key
        if key is None:
            abort(404, description="STRIPE_PUBLISHABLE_KEY is not set: no checkout page")
        product_id = request.args.get("product", "")
        product = config.catalog.get(product_id) if _PRODUCT.fullmatch(product_id) else None
        if product is None:
            abort(404, description="no such product")
        quantity = request.args.get("quantity", "1")
        page = PAGE.format(
            title=html.escape(product.name),
            product=html.escape(product.product_id),
            key=html.escape(key),
            quantity=quantity if quantity.isdigit() and 1 <= int(quantity) <= 10 else "1",
        )
        response = Response(page, mimetype="text/html")
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "strict-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @bp.get("/checkout/assets/<name>")
    def checkout_asset(name: str) -> Response:
        directory = ASSETS.get(name)
        if directory is None or config.stripe_publishable_key is None:
            abort(404)
        response = send_from_directory(directory, name, mimetype="text/javascript", max_age=300)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return bp
