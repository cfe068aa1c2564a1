"""`python -m bridge doctor`: check each link of a setup with the real APIs, one line per check.

The facts come from thin adapters (Stripe, Wix, Pub/Sub, ingest's /healthz); bridge/checks.py
judges them. A link that cannot be reached fails its first check and skips the ones after it,
saying why, so one wrong key never reads as ten problems.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from bridge import checks
from bridge.checks import Result, Status, fail, ok, skip
from bridge.settings import BridgeSettings
from ingest.config import parse_catalog
from ingest.normalize import HANDLED_EVENT_TYPES
from ingest.ports import StripeFailure
from servicekit.settings import InvalidSetting
from writer.collection_setup import load_schema
from writer.wix import WixError

MARKS = {Status.OK: "✓", Status.FAIL: "✗", Status.SKIP: "-"}
RECENT_EVENTS_SECONDS = 24 * 3600
# An event younger than this may still be on its way to the endpoint (Stripe's first attempt
# usually comes within seconds).
DELIVERY_GRACE_SECONDS = 60.0


class StripePort(Protocol):
    def recent_events(
        self, types: list[str], created_gte: int, undelivered: bool
    ) -> list[dict[str, Any]]: ...
    def webhook_endpoints(self) -> list[dict[str, Any]]: ...
    def payment_method_domains(self) -> list[dict[str, Any]]: ...
    def probe_permissions(self) -> dict[str, str]: ...


class WixPort(Protocol):
    def get_collection(self) -> dict[str, Any] | None: ...


class PubSubPort(Protocol):
    emulator: bool

    def topic_exists(self, topic: str) -> bool: ...
    def subscription(self, subscription: str) -> dict[str, Any] | None: ...
    def backlog(self, subscription: str) -> tuple[int, bool]: ...


@dataclass
class Links:
    """Builds each adapter when its group starts (a missing library or setting fails there)."""

    stripe: Callable[[BridgeSettings], StripePort]
    wix: Callable[[BridgeSettings], WixPort]
    pubsub: Callable[[BridgeSettings], PubSubPort]
    ingest_health: Callable[[str], int]


class Reporter:
    """Prints each result as it comes (to stderr when stdout carries --json)."""

    def __init__(self, out: TextIO, as_json: bool) -> None:
        self.results: list[Result] = []
        self._out = sys.stderr if as_json else out
        self._json_out = out if as_json else None

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        print(f"{name}", file=self._out, flush=True)
        yield

    def add(self, *results: Result) -> None:
        for result in results:
            self.results.append(result)
            line = f"  {MARKS[result.status]} {result.title}"
            if result.status is Status.SKIP:
                line += f": skipped: {result.detail}"
            elif result.detail:
                line += f": {result.detail}"
            print(line, file=self._out, flush=True)
            if result.status is Status.FAIL:
                print(f"      fix: {result.fix}", file=self._out)
                print(f"      see: {result.section}", file=self._out, flush=True)

    def finish(self) -> int:
        failed = [r for r in self.results if r.status is Status.FAIL]
        counts = {s: sum(1 for r in self.results if r.status is s) for s in Status}
        print(
            f"\n{counts[Status.OK]} ok, {counts[Status.FAIL]} failed, "
            f"{counts[Status.SKIP]} skipped",
            file=self._out,
            flush=True,
        )
        if self._json_out is not None:
            json.dump(
                {"ok": not failed, "checks": [r.as_dict() for r in self.results]},
                self._json_out,
                indent=2,
                ensure_ascii=False,
            )
            print(file=self._json_out)
        return 1 if failed else 0


def run_doctor(
    settings: BridgeSettings,
    links: Links,
    report: Reporter,
    now: Callable[[], float] = time.time,
    delivery_grace: float = DELIVERY_GRACE_SECONDS,
) -> int:
    with report.group("Configuration"):
        check_configuration(settings, report)
    with report.group("ingest"):
        check_ingest(settings, links, report)
    with report.group("Stripe"):
        check_stripe(settings, links, report, now(), delivery_grace)
    with report.group("Wix"):
        check_wix(settings, links, report)
    with report.group("Pub/Sub"):
        check_pubsub(settings, links, report)
    return report.finish()


def check_configuration(settings: BridgeSettings, report: Reporter) -> None:
    report.add(checks.check_origins(settings.allowed_origins))
    try:
        problem, products = None, len(parse_catalog(settings.catalog))
    except InvalidSetting as exc:
        problem, products = str(exc), 0
    report.add(checks.check_catalog(problem, products))
    report.add(
        checks.check_publishable_key(settings.stripe_secret_key, settings.stripe_publishable_key)
    )


def check_stripe(
    settings: BridgeSettings, links: Links, report: Reporter, now: float, grace: float
) -> None:
    title = "Stripe key accepted, in the expected mode"
    if not settings.stripe_secret_key:
        report.add(
            fail("stripe.key", title, "STRIPE_SECRET_KEY is not set", "set STRIPE_SECRET_KEY"),
            *_skipped_stripe("no Stripe key"),
        )
        return
    key = settings.stripe_secret_key
    handled = list(HANDLED_EVENT_TYPES)
    stripe = links.stripe(settings)
    try:
        recent = stripe.recent_events(handled, int(now - RECENT_EVENTS_SECONDS), undelivered=False)
    except StripeFailure as exc:
        if exc.kind != "permission":
            refused = exc.kind == "authentication"
            report.add(
                fail(
                    "stripe.key",
                    title,
                    f"Stripe {'refused the key' if refused else 'cannot be reached'} "
                    f"({exc.kind}: {exc.message})",
                    "copy the key again from Stripe's Dashboard, API keys (and check "
                    "STRIPE_API_BASE is unset outside the local stack)"
                    if refused
                    else "check the network to api.stripe.com and Stripe's status page",
                ),
                *_skipped_stripe("Stripe did not answer" if not refused else "the key was refused"),
            )
            return
        recent = []  # a restricted key without event read: the permission check names it
    livemode = bool(recent[0].get("livemode")) if recent else None
    report.add(checks.check_key_mode(key, settings.expected_mode, livemode))
    report.add(
        _guard(
            "stripe.permissions",
            "restricted key may make every call the product makes",
            lambda: checks.check_permissions(
                key, stripe.probe_permissions() if key.startswith("rk_") else {}
            ),
        )
    )

    endpoints: list[dict[str, Any]] | None = None
    try:
        endpoints = stripe.webhook_endpoints()
    except StripeFailure as exc:
        why = f"cannot list webhook endpoints ({exc.kind}: {exc.message})"
        report.add(
            skip("stripe.webhook.exists", "a webhook endpoint exists for ingest's URL", why),
        )
    if endpoints is not None:
        if not settings.ingest_url:
            report.add(
                fail(
                    "stripe.webhook.exists",
                    "a webhook endpoint exists for ingest's URL",
                    "INGEST_URL is not set",
                    "set INGEST_URL to the ingest service's public URL",
                )
            )
        else:
            report.add(*checks.check_webhook_endpoint(endpoints, settings.ingest_url, handled))
    found = bool(
        endpoints
        and settings.ingest_url
        and checks.find_endpoint(endpoints, checks.webhook_url(settings.ingest_url))
    )

    def secret() -> Result:
        undelivered = stripe.recent_events(
            handled, int(now - RECENT_EVENTS_SECONDS), undelivered=True
        )
        return checks.check_signing_secret(
            settings.webhook_secrets, found, recent, undelivered, now, grace
        )

    report.add(
        _guard("stripe.secret", "the webhook signing secret we hold matches the endpoint's", secret)
    )
    public = checks.public_hosts(settings.allowed_origins)
    report.add(
        _guard(
            "stripe.domains",
            "payment method domains registered for the allowed origins",
            lambda: checks.check_domains(
                settings.allowed_origins, stripe.payment_method_domains() if public else []
            ),
        )
    )


def check_wix(settings: BridgeSettings, links: Links, report: Reporter) -> None:
    title = "Wix API key and site id accepted"
    missing = settings.missing("WIX_API_KEY", "WIX_SITE_ID")
    collection_title = (
        f"collection {settings.collection_id} exists and matches wix/collection-schema.json"
    )
    if missing:
        report.add(
            fail("wix.auth", title, f"{', '.join(missing)} not set", f"set {', '.join(missing)}"),
            skip("wix.collection", collection_title, "no Wix credentials"),
        )
        return
    try:
        collection = links.wix(settings).get_collection()
    except WixError as exc:
        refused = exc.status in (401, 403) or exc.code == "WDE0027"
        report.add(
            fail(
                "wix.auth",
                title,
                f"Wix refused them ({exc})" if refused else f"Wix cannot be reached ({exc})",
                "create an API key with the Wix Data permissions (wix/README.md) and check "
                "WIX_SITE_ID is the site's id from its dashboard URL"
                if refused
                else "check this machine reaches WIX_API_BASE (default https://www.wixapis.com) "
                "and try again; Wix's status page says whether it is down",
            ),
            skip(
                "wix.collection",
                collection_title,
                "Wix refused the credentials" if refused else "Wix cannot be reached",
            ),
        )
        return
    except ValueError as exc:  # WIX_API_BASE not https
        report.add(fail("wix.auth", title, str(exc), "unset WIX_API_BASE outside the local stack"))
        return
    report.add(ok("wix.auth", title, f"site {settings.wix_site_id}"))
    schema = load_schema(settings.schema_file, settings.collection_id)
    report.add(*checks.check_collection(settings.collection_id, collection, schema))


def check_pubsub(settings: BridgeSettings, links: Links, report: Reporter) -> None:
    if not settings.project:
        report.add(
            fail(
                "pubsub.resources.topics",
                "Pub/Sub topics exist",
                "GOOGLE_CLOUD_PROJECT is not set",
                "set GOOGLE_CLOUD_PROJECT to the project of the topics",
            )
        )
        return
    try:
        pubsub = links.pubsub(settings)
        missing_topics = [
            t for t in (settings.topic, settings.dead_letter_topic) if not pubsub.topic_exists(t)
        ]
        push = pubsub.subscription(settings.push_subscription)
        dead = pubsub.subscription(settings.dead_letter_subscription)
    except Exception as exc:  # any Google API error: say what it was, check nothing further
        report.add(
            fail(
                "pubsub.resources.topics",
                "Pub/Sub topics exist",
                f"cannot read project {settings.project} ({type(exc).__name__}: {exc})",
                "run with credentials that may view Pub/Sub (roles/pubsub.viewer), or check "
                "PUBSUB_EMULATOR_HOST locally",
            )
        )
        return
    missing_subscriptions = [
        name
        for name, found in (
            (settings.push_subscription, push),
            (settings.dead_letter_subscription, dead),
        )
        if found is None
    ]
    report.add(*checks.check_resources(missing_topics, missing_subscriptions))
    if push is not None:
        report.add(
            *checks.check_push(
                push,
                settings.writer_url or None,
                settings.push_audience,
                settings.push_service_account,
                settings.dead_letter_topic,
                pubsub.emulator,
            )
        )
    else:
        report.add(
            skip(
                "pubsub.push.endpoint",
                "push endpoint is the writer's /pubsub/push",
                "no push subscription",
            )
        )
    if dead is not None:
        report.add(
            _guard(
                "pubsub.dead_letters",
                "dead-letter backlog is empty",
                lambda: checks.check_dead_letters(
                    settings.dead_letter_subscription,
                    *pubsub.backlog(settings.dead_letter_subscription),
                ),
            )
        )


def check_ingest(settings: BridgeSettings, links: Links, report: Reporter) -> None:
    title = "ingest answers at INGEST_URL"
    if not settings.ingest_url:
        report.add(
            fail(
                "ingest.health",
                title,
                "INGEST_URL is not set",
                "set INGEST_URL to ingest's public URL",
            )
        )
        return
    try:
        status = links.ingest_health(settings.ingest_url)
    except Exception as exc:  # connection refused, DNS, TLS: all say "not reachable"
        status, error = 0, f"{type(exc).__name__}"
    else:
        error = ""
    if status != 200:
        report.add(
            fail(
                "ingest.health",
                title,
                f"GET {settings.ingest_url}/healthz: {error or status}",
                "check INGEST_URL (gcloud run services describe ingest --format 'value(status.url)')",
            )
        )
    else:
        report.add(ok("ingest.health", title, settings.ingest_url))


def _guard(check: str, title: str, run: Callable[[], Result]) -> Result:
    """A network failure while checking becomes this check's failure, not a crash."""
    try:
        return run()
    except StripeFailure as exc:
        if exc.kind == "permission":
            return skip(check, title, f"the key may not read this ({exc.message})")
        return fail(check, title, f"Stripe answered {exc.kind}: {exc.message}", "run doctor again")
    except Exception as exc:  # a Google or HTTP error: named, and the other checks still run
        return fail(check, title, f"{type(exc).__name__}: {exc}", "run doctor again")


def _skipped_stripe(why: str) -> list[Result]:
    return [
        skip("stripe.webhook.exists", "a webhook endpoint exists for ingest's URL", why),
        skip("stripe.secret", "the webhook signing secret we hold matches the endpoint's", why),
    ]
