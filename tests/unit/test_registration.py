"""register-webhook's core with a fake Stripe and secret store."""

import pytest

from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.registration import InvalidWebhookUrl, SecretNotStored, check_url, register_webhook
from tests.fakes import FakeSecretStore, FakeStripe

URL = "https://ingest-abc-uc.a.run.app/webhooks/stripe"


@pytest.mark.parametrize(
    "url",
    [URL, "http://localhost:8080/webhooks/stripe", "http://127.0.0.1:8080/webhooks/stripe/"],
)
def test_urls_stripe_can_deliver_to(url):
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://ingest.example.com/webhooks/stripe",
        "https://ingest.example.com/",
        "https:///webhooks/stripe",
        "ftp://x/webhooks/stripe",
    ],
)
def test_urls_refused(url):
    with pytest.raises(InvalidWebhookUrl):
        check_url(url)


def test_the_endpoint_gets_exactly_the_handled_types_and_its_secret_goes_to_the_store():
    stripe, store = FakeStripe(), FakeSecretStore()
    registration = register_webhook(stripe, store, URL, "stripe-webhook-secret")
    assert registration.enabled_events == HANDLED_EVENT_TYPES
    assert store.versions == {"stripe-webhook-secret": [b"whsec_new"]}
    assert registration.secret_version.endswith("/versions/1")


def test_a_secret_that_cannot_be_stored_names_the_endpoint_to_delete():
    store = FakeSecretStore(fail_with=PermissionError("denied"))
    with pytest.raises(SecretNotStored) as caught:
        register_webhook(FakeStripe(), store, URL, "s")
    assert "we_1" in str(caught.value)
    assert "whsec_" not in str(caught.value)
