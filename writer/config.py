"""writer's settings, read once at start; a missing required one names itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from servicekit.settings import Env

DEFAULT_READS_PER_MINUTE = 200.0
DEFAULT_WRITES_PER_MINUTE = 100.0
MAX_BATCH_WINDOW_MS = 50.0
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
    # This instance's share of the site's Wix Data quota (writer/budget.py): by default a fifth
    # of a site's 3,000 reads and 1,500 writes a minute, across writer_max_instances = 3.
    wix_reads_per_minute: float = DEFAULT_READS_PER_MINUTE
    wix_writes_per_minute: float = DEFAULT_WRITES_PER_MINUTE
    # Group commit (writer/batch.py): pushes handled at once join a batch closed after this
    # window or at this size; a window of 0 applies each message alone (one read, one save).
    batch_window_ms: float = 20.0
    batch_max_items: int = 100
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
        if env.optional("WIX_REQUESTS_PER_SECOND"):
            # Refused rather than translated: a per-second pace says nothing of reads versus
            # writes, and silently ignoring it would hide that the budget changed.
            env.invalid(
                "WIX_REQUESTS_PER_SECOND",
                "was replaced by WIX_READS_PER_MINUTE and WIX_WRITES_PER_MINUTE "
                "(this instance's share of the site's Wix quota); remove it",
            )
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
            # env.number refuses zero and below, so a budget is always above 0.
            wix_reads_per_minute=env.number("WIX_READS_PER_MINUTE", DEFAULT_READS_PER_MINUTE),
            wix_writes_per_minute=env.number("WIX_WRITES_PER_MINUTE", DEFAULT_WRITES_PER_MINUTE),
            batch_window_ms=_window(env),
            batch_max_items=_batch_max(env),
            schema_file=Path(env.optional("WIX_SCHEMA_FILE", str(DEFAULT_SCHEMA_FILE))),
        )
        env.check()  # every problem at once
        return config


def _window(env: Env) -> float:
    raw = env.optional("WRITER_BATCH_WINDOW_MS", "20")
    try:
        value = float(raw)
    except ValueError:
        env.invalid("WRITER_BATCH_WINDOW_MS", f"{raw!r} is not a number")
        return 20.0
    if not 0 <= value <= MAX_BATCH_WINDOW_MS:
        env.invalid("WRITER_BATCH_WINDOW_MS", f"must be between 0 and {MAX_BATCH_WINDOW_MS:g} ms")
    return value


def _batch_max(env: Env) -> int:
    value = env.number("WRITER_BATCH_MAX_ITEMS", 100)
    if not 1 <= value <= 1000 or value != int(value):
        env.invalid("WRITER_BATCH_MAX_ITEMS", "must be a whole number from 1 to 1000")
        return 100
    return int(value)
