"""What doctor and smoke read from the environment: the services' own variables, plus
INGEST_URL (the deployed ingest's public URL), WRITER_URL (to compare the push endpoint with)
and, optionally, STRIPE_MODE (test | live: the mode the keys must be in), SMOKE_ORIGIN (the
Origin smoke sends; default the first of ALLOWED_ORIGINS) and PUBSUB_PUSH_SUBSCRIPTION.

Nothing is required here: doctor reports each missing variable as a failed check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from servicekit.settings import Env
from writer.config import DEFAULT_SCHEMA_FILE

# terraform/main.tf: push_subscription_name (the local stack's is stripe-payments-writer).
DEFAULT_PUSH_SUBSCRIPTION = "stripe-payments-writer-push"


@dataclass(frozen=True)
class BridgeSettings:
    ingest_url: str
    writer_url: str
    stripe_secret_key: str = field(repr=False)
    stripe_api_base: str | None
    stripe_publishable_key: str
    webhook_secrets: tuple[str, ...] = field(repr=False)
    expected_mode: str | None
    allowed_origins: tuple[str, ...]
    smoke_origin: str
    catalog: str
    wix_api_key: str = field(repr=False)
    wix_site_id: str
    wix_api_base: str
    collection_id: str
    schema_file: Path
    project: str
    topic: str
    dead_letter_topic: str
    dead_letter_subscription: str
    push_subscription: str
    push_audience: str | None
    push_service_account: str | None
    emulator_host: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BridgeSettings:
        env = Env(environ)
        origins = env.csv("ALLOWED_ORIGINS")
        mode = env.optional("STRIPE_MODE").lower() or None
        return cls(
            ingest_url=env.optional("INGEST_URL").rstrip("/"),
            writer_url=env.optional("WRITER_URL").rstrip("/"),
            stripe_secret_key=env.optional("STRIPE_SECRET_KEY"),
            stripe_api_base=env.optional("STRIPE_API_BASE") or None,
            stripe_publishable_key=env.optional("STRIPE_PUBLISHABLE_KEY"),
            webhook_secrets=env.csv("STRIPE_WEBHOOK_SECRET"),
            expected_mode=mode if mode in ("test", "live") else None,
            allowed_origins=origins,
            smoke_origin=env.optional("SMOKE_ORIGIN") or (origins[0] if origins else ""),
            catalog=env.optional("CATALOG"),
            wix_api_key=env.optional("WIX_API_KEY"),
            wix_site_id=env.optional("WIX_SITE_ID"),
            wix_api_base=env.optional("WIX_API_BASE", "https://www.wixapis.com"),
            collection_id=env.optional("WIX_COLLECTION_ID", "Payments"),
            schema_file=Path(env.optional("WIX_SCHEMA_FILE", str(DEFAULT_SCHEMA_FILE))),
            project=env.optional("GOOGLE_CLOUD_PROJECT"),
            topic=env.optional("PUBSUB_TOPIC", "stripe-payments"),
            dead_letter_topic=env.optional(
                "PUBSUB_DEAD_LETTER_TOPIC", "stripe-payments-dead-letter"
            ),
            dead_letter_subscription=env.optional(
                "PUBSUB_DEAD_LETTER_SUBSCRIPTION", "stripe-payments-dead-letter-sub"
            ),
            push_subscription=env.optional("PUBSUB_PUSH_SUBSCRIPTION", DEFAULT_PUSH_SUBSCRIPTION),
            push_audience=env.optional("PUSH_AUDIENCE") or None,
            push_service_account=env.optional("PUSH_SERVICE_ACCOUNT") or None,
            emulator_host=env.optional("PUBSUB_EMULATOR_HOST") or None,
        )

    def missing(self, *names: str) -> list[str]:
        """Of the environment variables `names`, those not set."""
        values = {
            "INGEST_URL": self.ingest_url,
            "STRIPE_SECRET_KEY": self.stripe_secret_key,
            "WIX_API_KEY": self.wix_api_key,
            "WIX_SITE_ID": self.wix_site_id,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "ALLOWED_ORIGINS": ",".join(self.allowed_origins),
        }
        return [name for name in names if not values[name]]
