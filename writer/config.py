"""writer's settings, read once at start; a missing required one names itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from servicekit.settings import Env

DEFAULT_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "wix" / "collection-schema.json"


@dataclass(frozen=True)
class WriterConfig:
    project: str
    topic: str
    dead_letter_topic: str
    dead_letter_subscription: str
    wix_api_key: str = field(repr=False)
    wix_site_id: str
    wix_api_base: str = "https://www.wixapis.com"
    collection_id: str = "Payments"
    push_auth_enabled: bool = True
    push_audience: str | None = None
    push_service_account: str | None = None
    wix_requests_per_second: float = 50.0
    schema_file: Path = DEFAULT_SCHEMA_FILE

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        need_push: bool = True,
        need_wix: bool = True,
        need_pubsub: bool = True,
    ) -> WriterConfig:
        """The commands ask only for what they use: setup-collection talks to Wix alone,
        redrive to Pub/Sub alone; the service needs everything."""
        env = Env(environ, collect=True)

        def setting(name: str, meaning: str, needed: bool) -> str:
            return env.required(name, meaning) if needed else env.optional(name)

        push_auth = env.optional("PUSH_AUTH", "enabled").lower()
        if push_auth not in ("enabled", "disabled"):
            env.invalid("PUSH_AUTH", "must be 'disabled' (local stack only) or unset")
        enabled = push_auth != "disabled"
        config = cls(
            project=setting("GOOGLE_CLOUD_PROJECT", "project of the Pub/Sub topics", need_pubsub),
            topic=env.optional("PUBSUB_TOPIC", "stripe-payments"),
            dead_letter_topic=env.optional(
                "PUBSUB_DEAD_LETTER_TOPIC", "stripe-payments-dead-letter"
            ),
            dead_letter_subscription=env.optional(
                "PUBSUB_DEAD_LETTER_SUBSCRIPTION", "stripe-payments-dead-letter-sub"
            ),
            wix_api_key=setting("WIX_API_KEY", "Wix API key", need_wix),
            wix_site_id=setting("WIX_SITE_ID", "Wix site id", need_wix),
            wix_api_base=env.optional("WIX_API_BASE", "https://www.wixapis.com"),
            collection_id=env.optional("WIX_COLLECTION_ID", "Payments"),
            push_auth_enabled=enabled,
            push_audience=(
                env.required("PUSH_AUDIENCE", "expected OIDC audience of push requests")
                if enabled and need_push
                else env.optional("PUSH_AUDIENCE") or None
            ),
            push_service_account=(
                env.required("PUSH_SERVICE_ACCOUNT", "service account that signs push requests")
                if enabled and need_push
                else env.optional("PUSH_SERVICE_ACCOUNT") or None
            ),
            wix_requests_per_second=env.number("WIX_REQUESTS_PER_SECOND", 50.0),
            schema_file=Path(env.optional("WIX_SCHEMA_FILE", str(DEFAULT_SCHEMA_FILE))),
        )
        env.check()  # every problem at once
        return config
