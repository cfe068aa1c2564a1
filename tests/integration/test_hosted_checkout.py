"""Apple Pay's association file and ingest's own checkout page, through Flask's test client."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.app import create_app
from ingest.config import IngestConfig, Product
from ingest.hosted_checkout import APPLE_PAY_PATH
from servicekit.settings import InvalidSetting
from tests.fakes import FakePublisher, FakeStripe

# Shaped like the file Stripe's Dashboard hands out (hex, then a trailing newline).
ASSOCIATION = "7B227073704964223A2239373943394538343346343131343044463144313834343232393232313734313034353044314339464446394437384337313531303944334643463542433731222C2276657273696F6E223A317D\n"
BASE = {
    "GOOGLE_CLOUD_PROJECT": "p",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STRIPE_SECRET_KEY": "sk_test_x",
}


def app_with(**changes):
    config = IngestConfig(
        project="p",
        topic="t",
        webhook_secrets=("whsec_x",),
        stripe_secret_key="sk_test_x",
        allowed_origins=("https://pay.example.com",),
        catalog={"tee": Product("tee", "T-shirt <b>red</b>", 1999, "usd")},
        **changes,
    )
    return create_app(config, FakePublisher(), stripe=FakeStripe()).test_client()


# --- the Apple Pay domain association file ---------------------------------------------------
def test_the_association_file_is_served_exactly_as_configured_from_its_content():
    config = IngestConfig.from_env({**BASE, "APPLE_PAY_DOMAIN_ASSOCIATION": ASSOCIATION})
    response = create_app(config, FakePublisher()).test_client().get(APPLE_PAY_PATH)
    assert response.status_code == 200
    assert response.data == ASSOCIATION.encode()
    assert response.mimetype == "text/plain"


def test_the_association_file_is_served_exactly_as_configured_from_a_path(tmp_path: Path):
    issued = b"\xef\xbb\xbf" + ASSOCIATION.encode() + b"\r\n"  # whatever bytes Stripe issued
    path = tmp_path / "apple-developer-merchantid-domain-association"
    path.write_bytes(issued)
    config = IngestConfig.from_env({**BASE, "APPLE_PAY_DOMAIN_ASSOCIATION": str(path)})
    response = create_app(config, FakePublisher()).test_client().get(APPLE_PAY_PATH)
    assert (response.status_code, response.data) == (200, issued)
    assert response.mimetype == "text/plain"
    # Apple does not follow redirects: the file is answered at this very path.
    assert "Location" not in response.headers


def test_the_association_file_is_404_when_not_set():
    config = IngestConfig.from_env(BASE)
    response = create_app(config, FakePublisher()).test_client().get(APPLE_PAY_PATH)
    assert response.status_code == 404
    assert response.json == {"error": "APPLE_PAY_DOMAIN_ASSOCIATION is not set"}


@pytest.mark.parametrize("problem", ["missing", "empty"])
def test_an_unreadable_association_path_stops_the_start_naming_the_setting(tmp_path, problem):
    path = tmp_path / "association"
    if problem == "empty":
        path.write_bytes(b"")
    with pytest.raises(InvalidSetting, match="APPLE_PAY_DOMAIN_ASSOCIATION"):
        IngestConfig.from_env({**BASE, "APPLE_PAY_DOMAIN_ASSOCIATION": str(path)})


# --- GET /checkout ----------------------------------------------------------------------------
def test_the_checkout_page_carries_the_element_and_a_strict_csp_that_allows_stripe_js():
    client = app_with(stripe_publishable_key="pk_test_abc")
    response = client.get("/checkout?product=tee")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<stripe-payment-form id="paymentForm" data-product="tee"' in page
    assert 'data-publishable-key="pk_test_abc"' in page
    assert "T-shirt &lt;b&gt;red&lt;/b&gt;" in page  # the catalog's name, escaped
    assert "<script>" not in page  # no inline script: the CSP would refuse it
    csp = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert "https://js.stripe.com" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "https://hooks.stripe.com" in csp["frame-src"]
    assert "https://api.stripe.com" in csp["connect-src"]
    assert csp["frame-ancestors"] == "'none'"
    for asset in ("stripe-payment-form.js", "checkout.js"):
        served = client.get(f"/checkout/assets/{asset}")
        assert (served.status_code, served.mimetype) == (200, "text/javascript")
    assert client.get("/checkout/assets/page-code.js").status_code == 404


@pytest.mark.parametrize("query", ["", "?product=unknown", "?product=../../etc/passwd"])
def test_an_unknown_product_is_404(query):
    assert (
        app_with(stripe_publishable_key="pk_test_abc").get(f"/checkout{query}").status_code == 404
    )


def test_without_a_publishable_key_there_is_no_checkout_page():
    client = app_with()
    assert client.get("/checkout?product=tee").status_code == 404
    assert client.get("/checkout/assets/checkout.js").status_code == 404


def test_a_secret_key_given_as_the_publishable_key_stops_the_start():
    with pytest.raises(InvalidSetting, match="STRIPE_PUBLISHABLE_KEY"):
        IngestConfig.from_env({**BASE, "STRIPE_PUBLISHABLE_KEY": "sk_live_oops"})
