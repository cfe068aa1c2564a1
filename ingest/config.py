"""ingest's settings, read once at start; a missing required one names itself."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.botcheck import BotCheckConfig, bot_check_from_env
from servicekit.settings import Env, InvalidSetting


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    amount: int
    currency: str


@dataclass(frozen=True)
class IngestConfig:
    project: str
    topic: str
    webhook_secrets: tuple[str, ...] = field(repr=False)
    stripe_secret_key: str = field(repr=False)
    stripe_api_base: str | None = None
    # Secret Manager secret whose enabled versions are also accepted (rotation, no redeploy).
    webhook_secret_id: str | None = None
    allowed_origins: tuple[str, ...] = ()
    catalog: Mapping[str, Product] = field(default_factory=dict)
    publish_timeout: float = 10.0
    max_body_bytes: int = 1024 * 1024
    reconcile_audience: str | None = None
    reconcile_service_account: str | None = None
    rate_limit_per_minute: float = 60.0
    rate_limit_burst: int = 20
    # Creations (Customer + PaymentIntent) per minute in one process, whoever asks: bots rotate
    # addresses, so the per-client limit alone does not bound what they make us create.
    creations_per_minute: float = 30.0
    creations_burst: int = 10
    bot_check: BotCheckConfig | None = None
    # Apple Pay on a domain ingest serves (checkout_domain): the file Stripe's Dashboard gives.
    apple_pay_domain_association: bytes | None = field(default=None, repr=False)
    # GET /checkout (ingest's own payment page) is served only with a publishable key.
    stripe_publishable_key: str | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, need_webhook_secret: bool = True
    ) -> IngestConfig:
        """`need_webhook_secret=False` for the commands (reconcile, register-webhook): they
        verify no signature, and register-webhook runs before the secret exists."""
        env = Env(environ, collect=True)
        secrets = env.csv("STRIPE_WEBHOOK_SECRET")
        secret_id = env.optional("STRIPE_WEBHOOK_SECRET_ID") or None
        if not secrets and not secret_id and need_webhook_secret:
            env.missing("STRIPE_WEBHOOK_SECRET", "Stripe webhook signing secret(s), whsec_…")
        config = cls(
            project=env.required("GOOGLE_CLOUD_PROJECT", "project of the Pub/Sub topic"),
            topic=env.optional("PUBSUB_TOPIC", "stripe-payments"),
            webhook_secrets=secrets,
            webhook_secret_id=secret_id,
            stripe_secret_key=env.required("STRIPE_SECRET_KEY", "Stripe secret or restricted key"),
            stripe_api_base=env.optional("STRIPE_API_BASE") or None,
            allowed_origins=env.csv("ALLOWED_ORIGINS"),
            catalog=env.parsed("CATALOG", parse_catalog, {}),
            publish_timeout=env.number("PUBLISH_TIMEOUT_SECONDS", 10.0),
            reconcile_audience=env.optional("RECONCILE_AUDIENCE") or None,
            reconcile_service_account=env.optional("RECONCILE_SERVICE_ACCOUNT") or None,
            rate_limit_per_minute=env.number("RATE_LIMIT_PER_MINUTE", 60.0),
            rate_limit_burst=max(1, int(env.number("RATE_LIMIT_BURST", 20))),
            creations_per_minute=env.number("CREATIONS_PER_MINUTE", 30.0),
            creations_burst=max(1, int(env.number("CREATIONS_BURST", 10))),
            bot_check=bot_check_from_env(env),
            # Unstripped: served byte for byte, a trailing newline included.
            apple_pay_domain_association=parse_domain_association(
                (os.environ if environ is None else environ).get("APPLE_PAY_DOMAIN_ASSOCIATION", "")
            ),
            stripe_publishable_key=parse_publishable_key(env.optional("STRIPE_PUBLISHABLE_KEY")),
        )
        env.check()  # every problem at once
        return config


def parse_catalog(raw: str) -> dict[str, Product]:
    """CATALOG is JSON or the path of a JSON file: {"id": {"name", "amount", "currency"}}."""
    if not raw:
        return {}
    text = raw
    if not raw.lstrip().startswith("{"):
        try:
            text = Path(raw).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidSetting("CATALOG", f"cannot read file {raw!r}: {exc.strerror}") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSetting("CATALOG", f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InvalidSetting("CATALOG", "must be a JSON object of products")
    catalog: dict[str, Product] = {}
    for product_id, spec in data.items():
        if not isinstance(spec, dict):
            raise InvalidSetting("CATALOG", f"product {product_id!r} must be an object")
        amount, currency, name = spec.get("amount"), spec.get("currency"), spec.get("name")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidSetting(
                "CATALOG",
                f"product {product_id!r}: amount must be a positive integer in minor units",
            )
        if not isinstance(currency, str) or len(currency) != 3:
            raise InvalidSetting(
                "CATALOG", f"product {product_id!r}: currency must be a 3-letter code"
            )
        if not isinstance(name, str) or not name.strip():
            raise InvalidSetting("CATALOG", f"product {product_id!r}: name is missing")
        catalog[product_id] = Product(product_id, name.strip(), amount, currency.lower())
    return catalog


def parse_domain_association(raw: str) -> bytes | None:
    """APPLE_PAY_DOMAIN_ASSOCIATION: the file's content, or the absolute path of the file.

    The content Stripe's Dashboard hands out never starts with "/", so a leading "/" means a
    path. Either is served byte for byte: Apple compares the file as it was issued.
    """
    if not raw.strip():
        return None
    if not raw.startswith("/"):
        return raw.encode()
    try:
        content = Path(raw.strip()).read_bytes()
    except OSError as exc:
        raise InvalidSetting(
            "APPLE_PAY_DOMAIN_ASSOCIATION", f"cannot read file {raw!r}: {exc.strerror}"
        ) from None
    if not content:
        raise InvalidSetting("APPLE_PAY_DOMAIN_ASSOCIATION", f"file {raw!r} is empty")
    return content


def parse_publishable_key(raw: str) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("pk_live_", "pk_test_")):
        # A secret key here would be published on a web page: refuse to start instead.
        raise InvalidSetting(
            "STRIPE_PUBLISHABLE_KEY", "must be a publishable key (pk_live_… or pk_test_…)"
        )
    return raw
