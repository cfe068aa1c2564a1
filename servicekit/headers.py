"""Response headers every answer of a service carries: no sniffing, no caching of API answers,
a Content-Security-Policy on everything, and (with gunicorn_conf) no server banner.

A JSON answer is never a document: if a browser is tricked into rendering one, the policy lets
it load and run nothing. An HTML page that sets no policy of its own gets one that allows its
own files, its own inline scripts by hash (computed from the page, so nothing else inline runs)
and Stripe.js, and may not be framed (clickjacking a payment page is the classic attack).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from flask import Flask, Response, request

NOSNIFF = "nosniff"
NO_STORE = "no-store"
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Stripe.js and its iframes (Payment Element, 3-D Secure, wallets) come from these hosts.
STRIPE_SCRIPT = "https://js.stripe.com https://*.js.stripe.com"
STRIPE_FRAMES = "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
STRIPE_CONNECT = "https://api.stripe.com"

_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)


def page_csp(html: str) -> str:
    """The policy of an HTML page: 'self', its inline scripts by hash, Stripe.js; nothing else."""
    hashes = " ".join(f"'{digest}'" for digest in inline_script_hashes(html))
    script_src = " ".join(part for part in ("'self'", hashes, STRIPE_SCRIPT) if part)
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {script_src}",
            # The element injects its own <style>; styles cannot run code, scripts are the point.
            "style-src 'self' 'unsafe-inline'",
            f"frame-src {STRIPE_FRAMES}",
            f"connect-src 'self' {STRIPE_CONNECT}",
            "img-src 'self' data: https:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def inline_script_hashes(html: str) -> Iterable[str]:
    for match in _INLINE_SCRIPT.finditer(html):
        digest = hashlib.sha256(match.group(1).encode()).digest()
        yield "sha256-" + base64.b64encode(digest).decode()


def install_security_headers(app: Flask, no_store_prefixes: tuple[str, ...] = ("/",)) -> None:
    """nosniff and a CSP on every answer (a view's own CSP is kept); `Cache-Control: no-store`
    on paths under `no_store_prefixes` unless the view chose its own caching."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = NOSNIFF
        if "Content-Security-Policy" not in response.headers:
            page = response.mimetype == "text/html" and not response.direct_passthrough
            html = response.get_data(as_text=True) if page else ""
            if html:
                response.headers["Content-Security-Policy"] = page_csp(html)
            else:
                response.headers["Content-Security-Policy"] = API_CSP
        if request.path.startswith(no_store_prefixes) and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = NO_STORE
        return response
