"""register-webhook: create Stripe's webhook endpoint and keep its signing secret safe.

Stripe returns the endpoint's secret only in the answer to its creation, so it goes straight
into Secret Manager as a new version and is never printed or logged. The endpoint receives
exactly the event types ingest handles: fewer would lose payments, more would cost requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.ports import SecretStore, StripeGateway

WEBHOOK_PATH = "/webhooks/stripe"
DESCRIPTION = "Stripe -> Wix payment sync (ingest)"


class InvalidWebhookUrl(ValueError):
    pass


@dataclass(frozen=True)
class Registration:
    endpoint_id: str
    url: str
    enabled_events: tuple[str, ...]
    secret_version: str


def check_url(url: str) -> str:
    parts = urlsplit(url)
    local = parts.hostname in ("localhost", "127.0.0.1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise InvalidWebhookUrl(f"{url!r}: Stripe delivers live events to https URLs only")
    if not parts.hostname:
        raise InvalidWebhookUrl(f"{url!r} has no host")
    if parts.path.rstrip("/") != WEBHOOK_PATH:
        raise InvalidWebhookUrl(f"{url!r}: ingest receives webhooks at {WEBHOOK_PATH}")
    return url


def register_webhook(
    stripe: StripeGateway, secrets: SecretStore, url: str, secret_id: str
) -> Registration:
    """Raises StripeFailure (nothing was created) or the store's error (an endpoint was created
    whose secret is lost: the caller says so, naming the endpoint to delete)."""
    endpoint = stripe.create_webhook_endpoint(check_url(url), HANDLED_EVENT_TYPES, DESCRIPTION)
    endpoint_id = str(endpoint.get("id"))
    secret = endpoint.get("secret")
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise RuntimeError(f"Stripe's answer for endpoint {endpoint_id} carries no signing secret")
    try:
        version = secrets.add_version(secret_id, secret.encode())
    except Exception as exc:
        raise SecretNotStored(endpoint_id, exc) from exc
    return Registration(
        endpoint_id=endpoint_id,
        url=url,
        enabled_events=tuple(endpoint.get("enabled_events") or HANDLED_EVENT_TYPES),
        secret_version=version,
    )


class SecretNotStored(RuntimeError):
    def __init__(self, endpoint_id: str, cause: Exception) -> None:
        super().__init__(
            f"webhook endpoint {endpoint_id} was created but its signing secret could not be "
            f"stored ({type(cause).__name__}: {cause}); delete the endpoint in Stripe and run again"
        )
        self.endpoint_id = endpoint_id
