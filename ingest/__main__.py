"""`python -m ingest` serves on $PORT; subcommands: reconcile, backfill, register-webhook."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ingest.config import IngestConfig
from ingest.reconcile import DEFAULT_SINCE
from servicekit import logs
from servicekit.credentials import MissingCredentials, check_google_credentials
from servicekit.serve import serve_checked
from servicekit.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Stripe webhooks and payment intents in, PaymentUpdates to Pub/Sub out. "
        "With no command, serves HTTP on $PORT under gunicorn.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve HTTP on $PORT (the default)")
    reconcile_cmd = sub.add_parser(
        "reconcile",
        help="publish Stripe's events of the handled types since a time, as the webhook would "
        "(safe to run any time)",
        description="List Stripe events of the handled types (all pages) created in the last "
        "--since and publish each once to PUBSUB_TOPIC, as the webhook would. Needs "
        "STRIPE_SECRET_KEY and GOOGLE_CLOUD_PROJECT. Exit 1 if any publish failed.",
    )
    reconcile_cmd.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        help=f"how far back: 90m, 24h, 7d (at most 30d); default {DEFAULT_SINCE}",
    )
    _add_backfill_parser(sub)
    register_cmd = sub.add_parser(
        "register-webhook",
        help="create the Stripe webhook endpoint and store its signing secret in Secret Manager",
        description="Create a Stripe webhook endpoint for exactly the handled event types, pinned "
        "to ingest's API version, and add its signing secret as a new version of a Secret "
        "Manager secret (never printed). Needs STRIPE_SECRET_KEY (webhook endpoints: write) and "
        "GOOGLE_CLOUD_PROJECT.",
    )
    register_cmd.add_argument(
        "--url", required=True, help="public URL of ingest's webhook: https://…/webhooks/stripe"
    )
    register_cmd.add_argument(
        "--secret-id",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET_ID") or "stripe-webhook-secret",
        help="Secret Manager secret (id or projects/…/secrets/…) the webhook's signing secret "
        "is read from; default $STRIPE_WEBHOOK_SECRET_ID, else stripe-webhook-secret",
    )
    args = parser.parse_args(argv)
    if args.command in (None, "serve"):
        return serve_checked(IngestConfig.from_env, "ingest.app:create_app_from_env()")
    logs.configure()
    try:
        if args.command == "reconcile":
            return _reconcile(args.since)
        if args.command == "backfill":
            from ingest.backfill_command import run_backfill

            return run_backfill(args)
        return _register_webhook(args.url, args.secret_id)
    except (SettingsError, MissingCredentials) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _add_backfill_parser(sub: Any) -> None:
    from ingest.backfill import DEFAULT_PUBLISH_PER_SECOND

    cmd = sub.add_parser(
        "backfill",
        help="publish every PaymentIntent created in a date range, as verify's snapshot "
        "(for payments older than reconcile's 30 days)",
        description="List Stripe's PaymentIntents created in [--since, --until) (pages of 100, "
        "latest charge expanded) and publish each one with an outcome as verify's snapshot "
        "(source backfill) to PUBSUB_TOPIC. Safe beside live traffic and to run again. Needs "
        "STRIPE_SECRET_KEY (PaymentIntents and Charges: read) and GOOGLE_CLOUD_PROJECT. "
        "Exit 1 if any publish failed (retried by --resume), 130 when interrupted.",
    )
    cmd.add_argument("--since", required=True, help="first day (UTC), e.g. 2024-01-01")
    cmd.add_argument("--until", help="day after the last (UTC, exclusive); default now")
    cmd.add_argument(
        "--dry-run",
        action="store_true",
        help="list and count by status and method; publish nothing",
    )
    cmd.add_argument(
        "--resume", action="store_true", help="continue the checkpointed run where it stopped"
    )
    cmd.add_argument(
        "--checkpoint",
        default="backfill-checkpoint.json",
        help="checkpoint file; default backfill-checkpoint.json",
    )
    cmd.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_PUBLISH_PER_SECOND,
        help=f"payments published per second (the writer's Wix traffic follows); default "
        f"{DEFAULT_PUBLISH_PER_SECOND:g}",
    )


def _reconcile(since_text: str) -> int:
    import time

    from ingest.ports import StripeFailure
    from ingest.reconcile import InvalidSince, parse_since, reconcile
    from ingest.stripe_client import StripeApiGateway
    from servicekit.pubsub import PubSubPublisher

    try:
        since = parse_since(since_text)
    except InvalidSince as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config = IngestConfig.from_env(need_webhook_secret=False)
    check_google_credentials()
    stripe = StripeApiGateway(config.stripe_secret_key, api_base=config.stripe_api_base)
    publisher = PubSubPublisher(config.project, config.topic, timeout=config.publish_timeout)
    print(
        f"listing Stripe's events of the handled types since {since_text} ago and publishing "
        f"each to {config.topic}…",
        flush=True,
    )
    try:
        report = reconcile(stripe, publisher, int(time.time()) - since)
    except StripeFailure as exc:
        print(
            f"error: Stripe events could not be listed ({exc.kind}): {exc.message}", file=sys.stderr
        )
        return 1
    finally:
        publisher.close()
    print(
        f"listed {report.listed} event(s) since {since_text} ago: published {report.published}, "
        f"ignored {report.ignored}, duplicates {report.duplicates}, malformed {report.malformed}, "
        f"failed {report.failed}"
    )
    for event_id in report.failed_event_ids:
        print(f"  not published: {event_id}", file=sys.stderr)
    return 0 if report.ok else 1


def _register_webhook(url: str, secret_id: str) -> int:
    from ingest.ports import StripeFailure
    from ingest.registration import (
        InvalidWebhookUrl,
        SecretNotStored,
        check_url,
        register_webhook,
    )
    from ingest.secret_manager import SecretManagerSecrets
    from ingest.stripe_client import StripeApiGateway

    try:
        check_url(url)  # before anything is created or any client is built
    except InvalidWebhookUrl as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config = IngestConfig.from_env(need_webhook_secret=False)
    check_google_credentials(emulator_will_do=False)  # Secret Manager has no emulator here
    stripe = StripeApiGateway(config.stripe_secret_key, api_base=config.stripe_api_base)
    try:
        registration = register_webhook(
            stripe, SecretManagerSecrets(config.project), url, secret_id
        )
    except StripeFailure as exc:
        print(f"error: Stripe refused ({exc.kind}): {exc.message}", file=sys.stderr)
        return 1
    except SecretNotStored as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created webhook endpoint {registration.endpoint_id} for {registration.url}")
    print(f"  events: {', '.join(registration.enabled_events)}")
    print(f"  signing secret stored as {registration.secret_version}")
    print("  redeploy ingest (or let it pick up the latest version) to start verifying with it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
