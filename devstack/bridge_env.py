"""The local stack as `python -m bridge doctor` / `smoke` see it: `python -m devstack env bridge`.

Also registers ingest's webhook endpoint with the Stripe stand-in at start, through ingest's own
Stripe client, with exactly the event types ingest handles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.registration import DESCRIPTION, WEBHOOK_PATH
from ingest.stripe_client import StripeApiGateway

if TYPE_CHECKING:
    from devstack.stack import Stack, StackConfig


def register_webhook_endpoint(config: StackConfig) -> str:
    """Create the endpoint for ingest's URL on the Stripe stand-in; return its signing secret."""
    gateway = StripeApiGateway(config.stripe_secret_key, api_base=config.stripe_standin_url)
    endpoint = gateway.create_webhook_endpoint(
        config.ingest_url + WEBHOOK_PATH, HANDLED_EVENT_TYPES, DESCRIPTION
    )
    return str(endpoint["secret"])


def bridge_env(stack: Stack) -> dict[str, str]:
    """Everything doctor and smoke need: ingest's and the writer's settings, plus the URLs."""
    config = stack.config
    env = {**stack.writer_env(), **stack.ingest_env()}
    env.update(
        INGEST_URL=config.ingest_url,
        WRITER_URL=config.writer_url,
        STRIPE_MODE="test",
        SMOKE_ORIGIN=config.page_origins.split(",")[0],
        PUBSUB_PUSH_SUBSCRIPTION=stack.topology.push_subscription,
    )
    if config.stripe_publishable_key:
        env["STRIPE_PUBLISHABLE_KEY"] = config.stripe_publishable_key
    return env
