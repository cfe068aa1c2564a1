"""The local checkout page's server (devstack.checkout_page) through Flask's test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from devstack.checkout_page import WIX_DIR, CheckoutSettings, create_checkout_page


def client(publishable_key: str = "pk_test_abc") -> FlaskClient:
    settings = CheckoutSettings(
        ingest_url="http://127.0.0.1:8080", publishable_key=publishable_key, product="tee"
    )
    return create_checkout_page(settings).test_client()


def test_the_page_hosts_the_element_and_runs_the_page_code_with_velo_stand_ins() -> None:
    page = client().get("/").get_data(as_text=True)
    assert '<stripe-payment-form id="paymentForm">' in page
    assert 'src="/wix/custom-elements/stripe-payment-form.js"' in page
    assert "import '/wix/page-code.js';" in page
    assert '"public/payment-config.js": "/velo/payment-config.js"' in page
    assert "No Stripe test key" not in page


@pytest.mark.parametrize("key", ["", "pk_live_abc"])
def test_without_a_test_key_the_page_says_how_to_start_the_stack(key: str) -> None:
    page = client(key).get("/").get_data(as_text=True)
    assert "STRIPE_PUBLISHABLE_KEY=pk_test_… STRIPE_SECRET_KEY=sk_test_… make run" in page


def test_the_payment_config_points_the_page_code_at_the_local_ingest() -> None:
    response = client().get("/velo/payment-config.js")
    assert response.mimetype == "text/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith("export const PAYMENT_CONFIG = {")
    assert '"ingestUrl": "http://127.0.0.1:8080"' in text
    assert '"publishableKey": "pk_test_abc"' in text


def test_wix_files_are_served_as_the_site_owner_pastes_them() -> None:
    response = client().get("/wix/custom-elements/stripe-payment-form.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    expected = (WIX_DIR / "custom-elements" / "stripe-payment-form.js").read_bytes()
    assert response.get_data() == expected


@pytest.mark.parametrize(
    "path",
    [
        "/wix/collection-schema.json",
        "/wix/../pyproject.toml",
        "/wix/%2e%2e/devstack/checkout_page.py",
        "/velo/checkout.html",
    ],
)
def test_nothing_but_the_page_scripts_is_served(path: str) -> None:
    assert client().get(path).status_code == 404


def test_every_velo_stand_in_exists() -> None:
    templates = Path(__file__).resolve().parents[2] / "devstack" / "templates"
    for name in ("velo-standin.js", "wix-location-frontend.js", "wix-fetch.js"):
        assert client().get(f"/velo/{name}").status_code == 200, name
        assert (templates / name).exists()


def local_client(publishable_key: str = "") -> FlaskClient:
    settings = CheckoutSettings(
        ingest_url="http://127.0.0.1:8080",
        publishable_key=publishable_key,
        product="tee",
        stripe_standin_url="http://127.0.0.1:8088",
        collection_url="http://127.0.0.1:8086/",
    )
    return create_checkout_page(settings).test_client()


def test_with_no_stripe_key_the_page_is_a_clearly_marked_local_test_on_the_stand_ins() -> None:
    client = local_client()
    page = client.get("/").get_data(as_text=True)
    assert "Local test — no real payment" in page
    assert '<a href="http://127.0.0.1:8086/">the collection view</a>' in page
    assert '"apiBase": "http://127.0.0.1:8088"' in page
    # The stand-in comes before the element, which then uses it instead of js.stripe.com.
    assert page.index("/local/stripe-standin.js") < page.index("stripe-payment-form.js")
    script = client.get("/local/stripe-standin.js")
    assert script.status_code == 200 and "LOCAL TEST ONLY" in script.get_data(as_text=True)
    config = client.get("/velo/payment-config.js").get_data(as_text=True)
    assert '"publishableKey": "pk_test_local_devstack_only"' in config


def test_with_a_test_key_the_page_uses_real_stripe_and_offers_no_stand_in() -> None:
    client = local_client("pk_test_abc")
    page = client.get("/").get_data(as_text=True)
    assert "Local test — no real payment" not in page
    assert "stripe-standin.js" not in page
    assert client.get("/local/stripe-standin.js").status_code == 404
    assert '"publishableKey": "pk_test_abc"' in client.get("/velo/payment-config.js").get_data(
        as_text=True
    )
