"""ingest's app factory. `create_app` takes its collaborators; `create_app_from_env` builds them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from ingest.api import api_blueprint
from ingest.config import IngestConfig
from ingest.hosted_checkout import hosted_checkout_blueprint
from ingest.ports import StripeGateway
from ingest.ratelimit import ClientRateLimiter
from ingest.tasks import tasks_blueprint
from ingest.webhook import webhook_blueprint
from ingest.webhook_secrets import WebhookSecrets
from servicekit import logs
from servicekit.oidc import Authenticator
from servicekit.publishing import Publisher
from servicekit.web import install_body_limit, install_common

log = logging.getLogger("ingest")


def create_app(
    config: IngestConfig,
    publisher: Publisher,
    clock: Callable[[], float] = time.time,
    webhook_secrets: Callable[[], Sequence[str]] | None = None,
    stripe: StripeGateway | None = None,
    reconcile_authenticator: Authenticator | None = None,
    rate_limiter: ClientRateLimiter | None = None,
) -> Flask:
    """Without `stripe`, only the webhook is served (/v1/* and /tasks/* need Stripe calls).
    Without `reconcile_authenticator`, /tasks/reconcile refuses every request."""
    app = Flask("ingest")
    install_body_limit(app, config.max_body_bytes)
    install_common(app, "ingest", config.project)
    app.register_blueprint(
        webhook_blueprint(publisher, webhook_secrets or (lambda: config.webhook_secrets), clock)
    )
    app.register_blueprint(hosted_checkout_blueprint(config))
    if stripe is not None:
        limiter = rate_limiter or ClientRateLimiter(
            config.rate_limit_per_minute, config.rate_limit_burst, time.monotonic
        )
        app.register_blueprint(api_blueprint(config, stripe, publisher, limiter, clock))
        app.register_blueprint(tasks_blueprint(stripe, publisher, reconcile_authenticator, clock))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        return jsonify({"error": exc.description or exc.name}), code

    return app


def create_app_from_env() -> Flask:
    """The one place real clients are built (gunicorn calls this once per worker)."""
    from ingest.secret_manager import SecretManagerSecrets
    from ingest.stripe_client import StripeApiGateway
    from servicekit.oidc import GoogleOidcAuthenticator
    from servicekit.pubsub import PubSubPublisher

    logs.configure()
    config = IngestConfig.from_env()
    publisher = PubSubPublisher(config.project, config.topic, timeout=config.publish_timeout)
    secrets = WebhookSecrets(
        config.webhook_secrets,
        SecretManagerSecrets(config.project) if config.webhook_secret_id else None,
        config.webhook_secret_id,
    )
    stripe = StripeApiGateway(config.stripe_secret_key, api_base=config.stripe_api_base)
    authenticator: Authenticator | None = None
    if config.reconcile_audience and config.reconcile_service_account:
        authenticator = GoogleOidcAuthenticator(
            config.reconcile_audience, config.reconcile_service_account
        )
    else:
        log.warning(
            "RECONCILE_AUDIENCE / RECONCILE_SERVICE_ACCOUNT not set: /tasks/reconcile refuses "
            "every request (the reconcile command still works)"
        )
    log.info(
        "ingest started",
        extra={
            "topic": publisher.topic_path,
            "stripe_api_base": config.stripe_api_base or "https://api.stripe.com",
            "products": len(config.catalog),
            "allowed_origins": list(config.allowed_origins),
        },
    )
    return create_app(
        config,
        publisher,
        webhook_secrets=secrets,
        stripe=stripe,
        reconcile_authenticator=authenticator,
    )
