"""POST /v1/checkout-sessions: the page's redirect to Stripe Checkout. Pure parts: return URL, answer.

Checkout's hosted page shows Apple Pay and Google Pay without any domain of ours being
registered (https://docs.stripe.com/payments/checkout, https://docs.stripe.com/apple-pay), so
this route is how a site on a Wix domain offers every wallet. The amount comes from the catalog,
as for /v1/payment-intents; the return URL must be on one of the site's origins, or ingest would
be an open redirect that sends customers wherever a forged request says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.orders import Invalid

MAX_RETURN_URL = 2000
# Stripe replaces this template with the session's id when it redirects to success_url
# (https://docs.stripe.com/payments/checkout/custom-success-page). It must stay unencoded.
SESSION_ID_TEMPLATE = "{CHECKOUT_SESSION_ID}"
SESSION_ID_PARAM = "checkout_session_id"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` as a browser's Origin header spells it; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def parse_return_url(raw: Any, allowed_origins: Iterable[str]) -> str | Invalid:
    """The page's return_url, accepted only on an allowed origin and without credentials."""
    if not isinstance(raw, str) or not raw.strip():
        return Invalid("return_url", "return_url is required: the page Checkout returns to")
    url = raw.strip()
    if len(url) > MAX_RETURN_URL:
        return Invalid("return_url", f"return_url is longer than {MAX_RETURN_URL} characters")
    origin = origin_of(url)
    if origin is None:
        return Invalid("return_url", "return_url must be an absolute http(s) URL")
    if "@" in urlsplit(url).netloc:
        return Invalid("return_url", "return_url must not carry a user name or password")
    allowed = {o for o in (origin_of(a) for a in allowed_origins) if o}
    if origin not in allowed:
        return Invalid("return_url", "return_url is not on an origin this site allows")
    return url


def success_url(return_url: str) -> str:
    """return_url with checkout_session_id={CHECKOUT_SESSION_ID} (any earlier one replaced)."""
    parts = urlsplit(return_url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SESSION_ID_PARAM
    ]
    kept = urlencode(query)
    added = f"{SESSION_ID_PARAM}={SESSION_ID_TEMPLATE}"
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, f"{kept}&{added}" if kept else added, "")
    )


def cancel_url(return_url: str) -> str:
    """Back to the page as it was, without a stale checkout_session_id."""
    parts = urlsplit(return_url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SESSION_ID_PARAM
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def session_answer(session: dict[str, Any]) -> dict[str, str] | None:
    """What the page needs to redirect; None when Stripe's answer lacks it."""
    session_id, url = session.get("id"), session.get("url")
    if not isinstance(session_id, str) or not session_id.startswith("cs_"):
        return None
    if not isinstance(url, str) or not url.startswith("https://"):
        return None
    return {"url": url, "checkout_session_id": session_id}
