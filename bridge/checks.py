"""doctor's checks as pure functions: facts read from Stripe, Wix and Pub/Sub in, results out.

No HTTP, SDK or Google import here: the adapters gather the facts (plain dicts, as the APIs
answer them) and these decide. Each result names the section of docs/troubleshooting.md that
explains its fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

TROUBLESHOOTING = "docs/troubleshooting.md"
# Check id -> the heading of its section in docs/troubleshooting.md ("doctor: …").
SECTIONS = {
    "config": "doctor-configuration",
    "ingest": "doctor-ingest-url",
    "stripe.key": "doctor-stripe-key",
    "stripe.permissions": "doctor-stripe-key",
    "stripe.webhook": "doctor-stripe-webhook-endpoint",
    "stripe.secret": "doctor-stripe-webhook-signing-secret",
    "stripe.domains": "doctor-stripe-payment-method-domains",
    "wix.auth": "doctor-wix-key-and-site",
    "wix.collection": "doctor-wix-collection",
    "wix.permissions": "doctor-wix-permissions",
    "pubsub.resources": "doctor-pubsub-topics-and-subscriptions",
    "pubsub.push": "doctor-pubsub-push-subscription",
    "pubsub.dead_letters": "doctor-pubsub-dead-letters",
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# The roles that let someone other than the site owner act on the collection.
PUBLIC_ROLES = ("ANYONE", "SITE_MEMBER", "SITE_MEMBER_AUTHOR")


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIP = "skipped"


@dataclass(frozen=True)
class Result:
    check: str  # id: "stripe.webhook.events"
    title: str  # what is checked, as a person says it
    status: Status
    detail: str = ""  # what was found (for a skip: why)
    fix: str = ""  # for a failure: what to do

    @property
    def section(self) -> str:
        for prefix in sorted(SECTIONS, key=len, reverse=True):
            if self.check == prefix or self.check.startswith(prefix + "."):
                return f"{TROUBLESHOOTING}#{SECTIONS[prefix]}"
        return TROUBLESHOOTING

    def as_dict(self) -> dict[str, str]:
        shown = {
            "check": self.check,
            "title": self.title,
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.status is Status.FAIL:
            shown |= {"fix": self.fix, "docs": self.section}
        return shown


def ok(check: str, title: str, detail: str = "") -> Result:
    return Result(check, title, Status.OK, detail)


def fail(check: str, title: str, detail: str, fix: str) -> Result:
    return Result(check, title, Status.FAIL, detail, fix)


def skip(check: str, title: str, why: str) -> Result:
    return Result(check, title, Status.SKIP, why)


# --- configuration ---------------------------------------------------------------------------
def key_mode(key: str) -> str | None:
    """'test' or 'live' from a Stripe key's prefix (sk_, rk_, pk_), else None."""
    for kind in ("sk", "rk", "pk"):
        for mode in ("test", "live"):
            if key.startswith(f"{kind}_{mode}_"):
                return mode
    return None


def check_origins(origins: Sequence[str]) -> Result:
    title = "ALLOWED_ORIGINS parses"
    if not origins:
        return fail(
            "config.origins",
            title,
            "ALLOWED_ORIGINS is empty: the Wix page cannot call ingest",
            "set ALLOWED_ORIGINS to the site's origins, e.g. https://www.example.com",
        )
    bad = []
    for origin in origins:
        parts = urlsplit(origin)
        malformed = parts.scheme not in ("http", "https") or not parts.hostname
        plain_http = parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS
        if malformed or plain_http or parts.path or parts.query:
            bad.append(origin)
    if bad:
        return fail(
            "config.origins",
            title,
            f"not an https origin (scheme://host[:port], no path): {', '.join(bad)}",
            "write each origin as the browser sends it: https://www.example.com (no slash)",
        )
    return ok("config.origins", title, f"{len(origins)} origin(s)")


def check_catalog(problem: str | None, products: int) -> Result:
    title = "CATALOG parses"
    if problem:
        return fail(
            "config.catalog",
            title,
            problem,
            'CATALOG is JSON or a file: {"<id>": {"name", "amount" (minor units), "currency"}}',
        )
    if products == 0:
        return fail(
            "config.catalog",
            title,
            "CATALOG is empty: the page has nothing to sell",
            "list the products the page may sell in CATALOG",
        )
    return ok("config.catalog", title, f"{products} product(s)")


def check_publishable_key(secret_key: str, publishable_key: str) -> Result:
    title = "publishable key's mode matches the secret key's"
    if not publishable_key:
        return skip("config.publishable_key", title, "STRIPE_PUBLISHABLE_KEY not given")
    if not secret_key:
        return skip("config.publishable_key", title, "no STRIPE_SECRET_KEY to compare with")
    secret_mode, public_mode = key_mode(secret_key), key_mode(publishable_key)
    if not publishable_key.startswith("pk_") or public_mode is None:
        return fail(
            "config.publishable_key",
            title,
            "STRIPE_PUBLISHABLE_KEY is not a pk_test_… or pk_live_… key",
            "copy the publishable key from Stripe's Dashboard, API keys",
        )
    if secret_mode != public_mode:
        return fail(
            "config.publishable_key",
            title,
            f"publishable key is {public_mode} mode, secret key is {secret_mode} mode",
            "use both keys of the same mode (test with test, live with live)",
        )
    return ok("config.publishable_key", title, f"both {public_mode} mode")


# --- Stripe ----------------------------------------------------------------------------------
def check_key_mode(key: str, expected: str | None, livemode_seen: bool | None) -> Result:
    title = "Stripe key accepted, in the expected mode"
    mode = key_mode(key)
    if mode is None or not key.startswith(("sk_", "rk_")):
        return fail(
            "stripe.key",
            title,
            "STRIPE_SECRET_KEY is not a secret (sk_) or restricted (rk_) key",
            "use a secret or restricted key from Stripe's Dashboard, API keys",
        )
    if livemode_seen is not None and livemode_seen != (mode == "live"):
        return fail(
            "stripe.key",
            title,
            f"the key says {mode} mode but Stripe answered in the other mode",
            "check STRIPE_SECRET_KEY and STRIPE_API_BASE",
        )
    if expected and mode != expected:
        return fail(
            "stripe.key",
            title,
            f"the key is a {mode}-mode key; {expected} mode was expected",
            f"use the {expected}-mode key (Dashboard, API keys, with the mode switch on {expected})",
        )
    kind = "restricted" if key.startswith("rk_") else "secret"
    return ok("stripe.key", title, f"{kind} key, {mode} mode")


def check_permissions(key: str, denied: Mapping[str, str]) -> Result:
    """`denied`: call -> the permission Stripe said it lacks (empty: every probe passed)."""
    title = "restricted key may make every call the product makes"
    if not key.startswith("rk_"):
        return ok("stripe.permissions", title, "a secret key: every call is allowed")
    if denied:
        lacking = "; ".join(f"{call}: {why}" for call, why in sorted(denied.items()))
        return fail(
            "stripe.permissions",
            title,
            f"refused: {lacking}",
            "edit the restricted key in Stripe's Dashboard and grant the permissions listed in "
            "the Stripe key permissions table (docs/stripe.md#stripe-key-permissions)",
        )
    return ok("stripe.permissions", title, "every probe was allowed")


def webhook_url(ingest_url: str) -> str:
    return ingest_url.rstrip("/") + "/webhooks/stripe"


def find_endpoint(endpoints: Iterable[Mapping[str, Any]], url: str) -> Mapping[str, Any] | None:
    matches = [e for e in endpoints if str(e.get("url", "")).rstrip("/") == url]
    enabled = [e for e in matches if e.get("status") == "enabled"]
    chosen = enabled or matches
    return chosen[0] if chosen else None


def check_webhook_endpoint(
    endpoints: Sequence[Mapping[str, Any]], ingest_url: str, handled: Sequence[str]
) -> list[Result]:
    url = webhook_url(ingest_url)
    exists, enabled, events = (
        "a webhook endpoint exists for ingest's URL",
        "the webhook endpoint is enabled",
        "the webhook endpoint subscribes to exactly the handled event types",
    )
    endpoint = find_endpoint(endpoints, url)
    if endpoint is None:
        others = ", ".join(str(e.get("url")) for e in endpoints) or "none"
        return [
            fail(
                "stripe.webhook.exists",
                exists,
                f"no endpoint for {url} (endpoints: {others})",
                f"python -m ingest register-webhook --url {url}",
            ),
            skip("stripe.webhook.enabled", enabled, "no endpoint"),
            skip("stripe.webhook.events", events, "no endpoint"),
        ]
    results = [ok("stripe.webhook.exists", exists, f"{endpoint.get('id')} → {url}")]
    if endpoint.get("status") != "enabled":
        results.append(
            fail(
                "stripe.webhook.enabled",
                enabled,
                f"{endpoint.get('id')} is {endpoint.get('status')}: Stripe sends it nothing",
                "fix what made it fail (ingest's logs), then enable it in Stripe's Dashboard "
                "(Developers, Webhooks) and run `python -m ingest reconcile --since 72h`",
            )
        )
    else:
        results.append(ok("stripe.webhook.enabled", enabled))
    subscribed = set(endpoint.get("enabled_events") or [])
    missing = sorted(set(handled) - subscribed)
    extra = sorted(subscribed - set(handled))
    if "*" in subscribed:
        missing = []
    if missing or extra:
        found = []
        if missing:
            found.append(f"missing {', '.join(missing)} (those payments are never recorded)")
        if extra:
            found.append(f"also {', '.join(extra)} (requests ingest only ignores)")
        results.append(
            fail(
                "stripe.webhook.events",
                events,
                "; ".join(found),
                f"set the endpoint's events to exactly: {', '.join(handled)} (Dashboard, "
                "Developers, Webhooks, the endpoint, Update details), then "
                "`python -m ingest reconcile --since 72h` for what was missed",
            )
        )
    else:
        results.append(ok("stripe.webhook.events", events, f"{len(handled)} event types"))
    return results


def check_signing_secret(
    secrets: Sequence[str],
    endpoint_found: bool,
    recent: Sequence[Mapping[str, Any]],
    undelivered: Sequence[Mapping[str, Any]],
    now: float,
    grace: float,
) -> Result:
    """Stripe offers no API to send a test event, and never shows a secret after creation: the
    evidence is whether recent handled events reached every endpoint (`pending_webhooks`,
    `delivery_success=false`). Events younger than `grace` may still be on their way."""
    title = "the webhook signing secret we hold matches the endpoint's"
    if not secrets:
        return fail(
            "stripe.secret",
            title,
            "STRIPE_WEBHOOK_SECRET is not set",
            "put the endpoint's signing secret (whsec_…) in STRIPE_WEBHOOK_SECRET",
        )
    if not all(s.startswith("whsec_") for s in secrets):
        return fail(
            "stripe.secret",
            title,
            "STRIPE_WEBHOOK_SECRET holds a value that is not a whsec_… secret",
            "copy the endpoint's signing secret from Stripe's Dashboard (Reveal)",
        )
    if not endpoint_found:
        return skip("stripe.secret", title, "no webhook endpoint to compare with")
    settled = [e for e in undelivered if now - float(e.get("created") or 0) >= grace]
    failing = [e for e in settled if int(e.get("pending_webhooks") or 0) > 0]
    if failing:
        newest = failing[0]
        return fail(
            "stripe.secret",
            title,
            f"{len(failing)} recent payment event(s) not accepted by the endpoint (newest "
            f"{newest.get('id')}, {newest.get('type')}): ingest refuses Stripe's signature or "
            "cannot be reached",
            "copy the endpoint's signing secret (Dashboard, Webhooks, Reveal) into "
            "STRIPE_WEBHOOK_SECRET and redeploy ingest; Stripe retries the undelivered events",
        )
    judged = [e for e in recent if now - float(e.get("created") or 0) >= grace]
    if not judged and recent:
        return skip(
            "stripe.secret",
            title,
            f"cannot be checked yet: the {len(recent)} recent payment event(s) are younger than "
            f"{grace:.0f} s and may still be on their way; run doctor again in a minute",
        )
    if not judged:
        return skip(
            "stripe.secret",
            title,
            "cannot be checked: Stripe has no API to send a test event, and no payment event "
            "was sent recently; `python -m bridge smoke` proves it",
        )
    return ok(
        "stripe.secret",
        title,
        f"the {len(judged)} recent payment event(s) reached ingest, which verified them",
    )


def public_hosts(origins: Sequence[str]) -> list[str]:
    """The hosts of `origins` other than this machine's."""
    return sorted(
        {h for h in (urlsplit(o).hostname for o in origins) if h and h not in LOCAL_HOSTS}
    )


def check_domains(origins: Sequence[str], domains: Sequence[Mapping[str, Any]]) -> Result:
    title = "payment method domains registered for the allowed origins"
    hosts = public_hosts(origins)
    if not hosts:
        return skip(
            "stripe.domains",
            title,
            "only local origins: wallets need no registered domain there",
        )
    registered = {str(d.get("domain_name", "")).lower(): d for d in domains}
    missing = [h for h in hosts if h not in registered]
    disabled = [h for h in hosts if h in registered and not registered[h].get("enabled")]
    if missing or disabled:
        found = []
        if missing:
            found.append(f"not registered: {', '.join(missing)}")
        if disabled:
            found.append(f"disabled: {', '.join(disabled)}")
        return fail(
            "stripe.domains",
            title,
            "; ".join(found) + " (Apple Pay, Google Pay and Link are not offered there)",
            "register each domain in Stripe's Dashboard, Settings, Payment method domains "
            "(wix/README.md, domain registration)",
        )
    return ok("stripe.domains", title, ", ".join(hosts))


# --- Wix -------------------------------------------------------------------------------------
def check_collection(
    collection_id: str,
    collection: Mapping[str, Any] | None,
    schema: Mapping[str, Any],
) -> list[Result]:
    matches, private = (
        f"collection {collection_id} exists and matches wix/collection-schema.json",
        f"collection {collection_id}'s permissions are not public",
    )
    if collection is None:
        return [
            fail(
                "wix.collection",
                matches,
                f"the site has no collection {collection_id} (WDE0025)",
                "python -m writer setup-collection (or set WIX_COLLECTION_ID to its id)",
            ),
            skip("wix.permissions", private, "no collection"),
        ]
    live_fields = {f.get("key"): f.get("type") for f in collection.get("fields") or []}
    problems = []
    for wanted in schema.get("fields") or []:
        actual = live_fields.get(wanted["key"])
        if actual is None:
            problems.append(f"field {wanted['key']} is missing")
        elif actual != wanted["type"]:
            problems.append(f"field {wanted['key']} is {actual}, schema says {wanted['type']}")
    results = [
        fail(
            "wix.collection",
            matches,
            "; ".join(problems),
            "add or retype the fields in the CMS as wix/collection-schema.json lists them "
            "(python -m writer setup-collection reports the same differences)",
        )
        if problems
        else ok("wix.collection", matches, f"{len(live_fields)} fields")
    ]
    permissions = collection.get("permissions") or {}
    open_ = {
        action: role
        for action in ("read", "insert", "update", "remove")
        if (role := permissions.get(action)) in PUBLIC_ROLES
    }
    if open_:
        results.append(
            fail(
                "wix.permissions",
                private,
                ", ".join(f"{a} is {r}" for a, r in open_.items())
                + ": people other than the site owner can see or change payments",
                "in the CMS, the collection's Permissions & privacy: set every action to "
                "Admin (the writer's API key needs no public permission)",
            )
        )
    else:
        results.append(ok("wix.permissions", private, "every action: ADMIN"))
    return results


# --- Pub/Sub ---------------------------------------------------------------------------------
def check_resources(
    missing_topics: Sequence[str], missing_subscriptions: Sequence[str]
) -> list[Result]:
    topics, subscriptions = (
        "Pub/Sub topics exist",
        "Pub/Sub subscriptions exist",
    )
    return [
        fail(
            "pubsub.resources.topics",
            topics,
            f"missing: {', '.join(missing_topics)}",
            "terraform apply (terraform/pubsub.tf creates them)",
        )
        if missing_topics
        else ok("pubsub.resources.topics", topics),
        fail(
            "pubsub.resources.subscriptions",
            subscriptions,
            f"missing: {', '.join(missing_subscriptions)}",
            "terraform apply (terraform/pubsub.tf creates them); messages published while "
            "the push subscription was missing are lost: run `python -m ingest reconcile`",
        )
        if missing_subscriptions
        else ok("pubsub.resources.subscriptions", subscriptions),
    ]


def check_push(
    subscription: Mapping[str, Any],
    writer_url: str | None,
    audience: str | None,
    service_account: str | None,
    dead_letter_topic: str,
    emulator: bool,
) -> list[Result]:
    """`subscription` as the admin API answers it: push_config.push_endpoint,
    push_config.oidc_token {service_account_email, audience}, dead_letter_policy
    {dead_letter_topic, max_delivery_attempts}."""
    endpoint_title, oidc_title, policy_title = (
        "push endpoint is the writer's /pubsub/push",
        "push requests carry an OIDC token for the writer",
        "push subscription has the dead-letter policy",
    )
    push = subscription.get("push_config") or {}
    endpoint = str(push.get("push_endpoint") or "")
    results: list[Result] = []
    if not endpoint and emulator:
        results.append(
            skip(
                "pubsub.push.endpoint",
                endpoint_title,
                "the stand-in cannot tell: on the local stack the subscription is a pull one, "
                "delivered to the writer as Cloud pushes by devstack's push deliverer",
            )
        )
    elif not endpoint:
        results.append(
            fail(
                "pubsub.push.endpoint",
                endpoint_title,
                "the subscription is a pull subscription: nothing reaches the writer",
                "terraform apply (terraform/pubsub.tf: writer_push)",
            )
        )
    elif not writer_url:
        results.append(
            skip("pubsub.push.endpoint", endpoint_title, f"set WRITER_URL to compare ({endpoint})")
        )
    elif endpoint != writer_url.rstrip("/") + "/pubsub/push":
        results.append(
            fail(
                "pubsub.push.endpoint",
                endpoint_title,
                f"pushes to {endpoint}, not {writer_url.rstrip('/')}/pubsub/push",
                "terraform apply (the push endpoint follows the writer service's URL)",
            )
        )
    else:
        results.append(ok("pubsub.push.endpoint", endpoint_title, endpoint))

    token = push.get("oidc_token") or {}
    if emulator:
        results.append(
            skip(
                "pubsub.push.oidc",
                oidc_title,
                "the stand-in cannot tell: the Pub/Sub emulator sends no OIDC token "
                "(the local writer runs with PUSH_AUTH=disabled)",
            )
        )
    elif not token.get("service_account_email"):
        results.append(
            fail(
                "pubsub.push.oidc",
                oidc_title,
                "no OIDC token: the private writer answers every push 401/403",
                "terraform apply (terraform/pubsub.tf: oidc_token)",
            )
        )
    else:
        wrong = []
        if service_account and token.get("service_account_email") != service_account:
            wrong.append(
                f"signed by {token.get('service_account_email')}, writer expects {service_account}"
            )
        if audience and token.get("audience") != audience:
            wrong.append(f"audience {token.get('audience')}, writer expects {audience}")
        results.append(
            fail(
                "pubsub.push.oidc",
                oidc_title,
                "; ".join(wrong),
                "make PUSH_AUDIENCE / PUSH_SERVICE_ACCOUNT and the subscription agree "
                "(terraform apply sets both)",
            )
            if wrong
            else ok("pubsub.push.oidc", oidc_title, str(token.get("service_account_email")))
        )

    policy = subscription.get("dead_letter_policy") or {}
    if emulator:
        results.append(
            skip(
                "pubsub.push.dead_letter_policy",
                policy_title,
                "the stand-in cannot tell: the local stack's emulator subscription has none on "
                "purpose (the emulator does not forward dead letters; the writer does)",
            )
        )
    elif not str(policy.get("dead_letter_topic") or "").endswith(f"/topics/{dead_letter_topic}"):
        results.append(
            fail(
                "pubsub.push.dead_letter_policy",
                policy_title,
                f"dead-letter topic is {policy.get('dead_letter_topic') or 'not set'}, not "
                f"{dead_letter_topic}: a message that always fails is retried forever",
                "terraform apply (terraform/pubsub.tf: dead_letter_policy)",
            )
        )
    else:
        results.append(
            ok(
                "pubsub.push.dead_letter_policy",
                policy_title,
                f"after {policy.get('max_delivery_attempts')} attempts → {dead_letter_topic}",
            )
        )
    return results


def check_dead_letters(subscription: str, backlog: int, capped: bool) -> Result:
    title = "dead-letter backlog is empty"
    if backlog:
        count = f"at least {backlog}" if capped else str(backlog)
        return fail(
            "pubsub.dead_letters",
            title,
            f"{count} message(s) in {subscription}: payments not recorded in Wix",
            "find why in the writer's logs (docs/runbook.md), fix it, then "
            "`python -m writer redrive`",
        )
    return ok("pubsub.dead_letters", title, f"{subscription}: 0")
