"""The security and wiring properties the Terraform must keep, as checks returning problems.

Each check returns a list of human-readable problems (empty = the property holds), so the same
check runs on the real configuration (must be empty) and on deliberately broken copies (must not
be), proving that each test can fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.infra.terraform_model import Terraform, container, env_of, one

Check = Callable[[Terraform], list[str]]

RUN = "google_cloud_run_v2_service"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")

# Every grant the stack makes: (who, role, on what). Anything else is a privilege too many.
EXPECTED_GRANTS = {
    ("sa:ingest", "roles/pubsub.publisher", "topic:payments"),
    ("sa:ingest", "roles/secretmanager.secretAccessor", "secret:stripe_secret_key"),
    ("sa:ingest", "roles/secretmanager.secretAccessor", "secret:stripe_webhook_secret"),
    ("sa:ingest", "roles/secretmanager.viewer", "secret:stripe_webhook_secret"),
    ("sa:writer", "roles/pubsub.publisher", "topic:dead_letter"),
    ("sa:writer", "roles/secretmanager.secretAccessor", "secret:wix_api_key"),
    ("sa:push", "roles/run.invoker", "run:writer"),
    ("pubsub-agent", "roles/iam.serviceAccountTokenCreator", "sa:push"),
    ("pubsub-agent", "roles/pubsub.publisher", "topic:dead_letter"),
    ("pubsub-agent", "roles/pubsub.subscriber", "subscription:writer_push"),
    ("sa:build", "roles/artifactregistry.writer", "repository:images"),
    ("sa:build", "roles/run.developer", "run:ingest"),
    ("sa:build", "roles/run.developer", "run:writer"),
    ("sa:build", "roles/iam.serviceAccountUser", "sa:ingest"),
    ("sa:build", "roles/iam.serviceAccountUser", "sa:writer"),
    ("sa:build", "roles/logging.logWriter", "project"),
    ("sa:build", "roles/storage.objectViewer", "bucket:build_source"),
}

# Which service may read which secret, and under which environment variable: a secret_key_ref
# (Cloud Run resolves a pinned version at start) or, for the webhook signing secret, the secret's
# id (ingest reads every enabled version itself, so rotation needs no redeploy).
SECRET_OWNERS = {
    "stripe_secret_key": ("ingest", "STRIPE_SECRET_KEY"),
    "stripe_webhook_secret": ("ingest", "STRIPE_WEBHOOK_SECRET_ID"),
    "wix_api_key": ("writer", "WIX_API_KEY"),
}
READ_BY_ID = {"stripe_webhook_secret"}
ACCESSOR = "roles/secretmanager.secretAccessor"

_TARGET_ATTRIBUTES = {
    "secret_id": ("google_secret_manager_secret", "secret"),
    "topic": ("google_pubsub_topic", "topic"),
    "subscription": ("google_pubsub_subscription", "subscription"),
    "service_account_id": ("google_service_account", "sa"),
    "repository": ("google_artifact_registry_repository", "repository"),
    "bucket": ("google_storage_bucket", "bucket"),
}


def who(member: str) -> str:
    match = re.fullmatch(r"\$\{google_service_account\.(\w+)\.member\}", member)
    if match:
        return f"sa:{match.group(1)}"
    if member == "${local.pubsub_service_agent}":
        return "pubsub-agent"
    return member


def target(type_: str, body: dict[str, Any]) -> str:
    if type_ == "google_project_iam_member":
        return "project"
    if type_.startswith(RUN):
        match = re.fullmatch(rf"\$\{{{RUN}\.(\w+)\.name\}}", body.get("name", ""))
        return f"run:{match.group(1)}" if match else f"run:?{body.get('name')}"
    for attribute, (resource_type, kind) in _TARGET_ATTRIBUTES.items():
        if attribute in body:
            match = re.fullmatch(rf"\$\{{{resource_type}\.(\w+)\.\w+\}}", str(body[attribute]))
            return f"{kind}:{match.group(1)}" if match else f"{kind}:?{body[attribute]}"
    return f"?{type_}"


def grants(tf: Terraform) -> set[tuple[str, str, str]]:
    return {
        (who(str(body.get("member", ""))), str(body.get("role")), target(type_, body))
        for (type_, _), body in tf.resources.items()
        if type_.endswith("_iam_member")
    }


def iam_resources(tf: Terraform) -> list[str]:
    return [f"{t}.{n}" for (t, n) in tf.resources if re.search(r"_iam_(member|binding|policy)$", t)]


def _service(tf: Terraform, name: str) -> dict[str, Any]:
    return tf.resource(RUN, name)


def _seconds(duration: str) -> float:
    assert duration.endswith("s"), duration
    return float(duration[:-1])


# --- properties ---------------------------------------------------------------------------------


def writer_is_private(tf: Terraform) -> list[str]:
    problems = []
    writer = _service(tf, "writer")
    if writer.get("ingress") != "INGRESS_TRAFFIC_INTERNAL_ONLY":
        problems.append(f"writer ingress is {writer.get('ingress')!r}, not internal only")
    if writer.get("invoker_iam_disabled") not in (None, False):
        problems.append("writer disables Cloud Run's invoker IAM check")
    invokers = {
        w for (w, role, on) in grants(tf) if on == "run:writer" and role == "roles/run.invoker"
    }
    if invokers != {"sa:push"}:
        problems.append(f"writer invokers are {sorted(invokers)}, not only the push account")
    for (type_, name), body in tf.resources.items():
        if type_.startswith(RUN) and "_iam_" in type_ and target(type_, body) == "run:writer":
            if type_.endswith(("_iam_binding", "_iam_policy")):
                problems.append(f"{type_}.{name}: authoritative IAM on writer")
            members = [body.get("member", ""), *body.get("members", [])]
            if any(m in PUBLIC_MEMBERS for m in members):
                problems.append(f"{type_}.{name} makes writer public")
    return problems


def ingest_is_public(tf: Terraform) -> list[str]:
    ingest = _service(tf, "ingest")
    problems = []
    if ingest.get("ingress") != "INGRESS_TRAFFIC_ALL":
        problems.append("ingest must accept traffic from the internet (Stripe, the Wix page)")
    if ingest.get("invoker_iam_disabled") is not True:
        problems.append("ingest must not require Google credentials (invoker_iam_disabled)")
    return problems


def push_is_authenticated(tf: Terraform) -> list[str]:
    problems = []
    sub = tf.resource("google_pubsub_subscription", "writer_push")
    push = one(sub.get("push_config", [{}]))
    if push.get("push_endpoint") != "${google_cloud_run_v2_service.writer.uri}/pubsub/push":
        problems.append(f"push endpoint is {push.get('push_endpoint')!r}")
    tokens = push.get("oidc_token", [])
    if len(tokens) != 1:
        return [*problems, "push subscription sends no OIDC token"]
    token = tokens[0]
    if token.get("service_account_email") != "${google_service_account.push.email}":
        problems.append("push OIDC token is not signed as the push account")
    audience = token.get("audience")
    writer = _service(tf, "writer")
    if not audience or audience not in writer.get("custom_audiences", []):
        problems.append("push token audience is not one of writer's custom_audiences")
    env = env_of(writer)
    if env.get("PUSH_AUDIENCE", {}).get("value") != audience:
        problems.append("writer's PUSH_AUDIENCE differs from the push token's audience")
    if env.get("PUSH_SERVICE_ACCOUNT", {}).get("value") != "${google_service_account.push.email}":
        problems.append("writer's PUSH_SERVICE_ACCOUNT is not the push account")
    if "PUSH_AUTH" in env:
        problems.append("writer sets PUSH_AUTH (only the local stack may disable push auth)")
    return problems


def push_delivery_is_ordered_and_retried(tf: Terraform) -> list[str]:
    problems = []
    sub = tf.resource("google_pubsub_subscription", "writer_push")
    if sub.get("enable_message_ordering") is not True:
        problems.append("push subscription does not keep the ordering key's order")
    retry = sub.get("retry_policy", [])
    if len(retry) != 1 or not {"minimum_backoff", "maximum_backoff"} <= set(retry[0]):
        problems.append("push subscription has no exponential retry policy")
    writer_timeout = _seconds(one(_service(tf, "writer")["template"])["timeout"])
    if int(sub.get("ack_deadline_seconds", 10)) < writer_timeout:
        problems.append("ack deadline is shorter than the writer's request timeout")
    return problems


def dead_letters_are_wired(tf: Terraform) -> list[str]:
    problems = []
    sub = tf.resource("google_pubsub_subscription", "writer_push")
    policies = sub.get("dead_letter_policy", [])
    if len(policies) != 1:
        return ["push subscription has no dead-letter policy"]
    policy = policies[0]
    if policy.get("dead_letter_topic") != "${google_pubsub_topic.dead_letter.id}":
        problems.append("dead-letter policy does not point at the dead-letter topic")
    if policy.get("max_delivery_attempts") != "${var.max_delivery_attempts}":
        problems.append("max_delivery_attempts is not the validated variable")
    dl_sub = tf.of_type("google_pubsub_subscription").get("dead_letter")
    if not dl_sub or dl_sub.get("topic") != "${google_pubsub_topic.dead_letter.id}":
        problems.append("no subscription on the dead-letter topic: dead letters would be lost")
    elif "push_config" in dl_sub:
        problems.append("the dead-letter subscription must be a pull subscription (redrive)")
    have = grants(tf)
    for needed in (
        ("pubsub-agent", "roles/pubsub.publisher", "topic:dead_letter"),
        ("pubsub-agent", "roles/pubsub.subscriber", "subscription:writer_push"),
        ("sa:writer", "roles/pubsub.publisher", "topic:dead_letter"),
    ):
        if needed not in have:
            problems.append(f"missing grant for dead-lettering: {needed}")
    agent = tf.locals.get("pubsub_service_agent", "")
    if not re.fullmatch(
        r"serviceAccount:service-\$\{data\.google_project\.this\.number\}"
        r"@gcp-sa-pubsub\.iam\.gserviceaccount\.com",
        agent,
    ):
        problems.append(f"pubsub_service_agent is not the Pub/Sub service agent: {agent!r}")
    env = env_of(_service(tf, "writer"))
    if env.get("PUBSUB_DEAD_LETTER_TOPIC", {}).get("value") != (
        "${google_pubsub_topic.dead_letter.name}"
    ):
        problems.append("writer's PUBSUB_DEAD_LETTER_TOPIC is not the dead-letter topic")
    if env.get("PUBSUB_DEAD_LETTER_SUBSCRIPTION", {}).get("value") != (
        "${google_pubsub_subscription.dead_letter.name}"
    ):
        problems.append("writer's PUBSUB_DEAD_LETTER_SUBSCRIPTION is not the dead-letter sub")
    return problems


SECRET_NAME = re.compile(r"secret|api_?key|password|passwd|token|whsec|credential", re.I)
SECRET_LITERAL = re.compile(
    r"(sk|rk)_(live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY"
)


def no_secret_values(tf: Terraform) -> list[str]:
    problems = [
        f"{t}.{n} would put a secret value in code and state"
        for (t, n), body in tf.resources.items()
        if t == "google_secret_manager_secret_version" or "secret_data" in body
    ]
    problems += [
        f"variable {name} looks like a secret: its value would land in the state"
        for name in tf.variables
        if SECRET_NAME.search(name)
    ]
    for service in ("ingest", "writer"):
        for name, entry in env_of(_service(tf, service)).items():
            names_a_secret = re.fullmatch(
                r"\$\{google_secret_manager_secret\.\w+\.id\}", str(entry.get("value"))
            )
            if SECRET_NAME.search(name) and "value" in entry and not names_a_secret:
                problems.append(f"{service} env {name} is a literal, not a secret_key_ref")
    return problems


def secret_literals_in_files(paths: list[Path]) -> list[str]:
    return [
        f"{path.name}: {match.group(0)[:12]}…"
        for path in paths
        for match in SECRET_LITERAL.finditer(path.read_text(encoding="utf-8"))
    ]


def secrets_readable_only_by_their_service(tf: Terraform) -> list[str]:
    problems = []
    secrets = set(tf.of_type("google_secret_manager_secret"))
    if secrets != set(SECRET_OWNERS):
        problems.append(f"secrets are {sorted(secrets)}, expected {sorted(SECRET_OWNERS)}")
    for type_, name in tf.resources:
        if type_.startswith("google_secret_manager_secret_iam_") and not type_.endswith("member"):
            problems.append(f"{type_}.{name}: authoritative IAM on a secret")
    readers: dict[str, set[str]] = {}
    for who_, role, on in grants(tf):
        if on.startswith("secret:") or role.startswith("roles/secretmanager."):
            readers.setdefault(on.removeprefix("secret:"), set()).add(f"{who_} {role}")
    for secret, (service, variable) in SECRET_OWNERS.items():
        expected = {f"sa:{service} {ACCESSOR}"}
        if secret in READ_BY_ID:
            # Listing its versions needs the viewer role (metadata, no payloads).
            expected.add(f"sa:{service} roles/secretmanager.viewer")
        if readers.get(secret, set()) != expected:
            problems.append(f"{secret} is readable by {sorted(readers.get(secret, []))}")
        entry = env_of(_service(tf, service)).get(variable, {})
        if secret in READ_BY_ID:
            reads = entry.get("value") == f"${{google_secret_manager_secret.{secret}.id}}"
        else:
            key_ref: dict[str, Any] = {}
            if "value_source" in entry:
                key_ref = one(one(entry["value_source"])["secret_key_ref"])
            reads = key_ref.get("secret") == f"${{google_secret_manager_secret.{secret}.secret_id}}"
        if not reads:
            problems.append(f"{service} does not read {variable} from the {secret} secret")
        service_account = one(_service(tf, service)["template"]).get("service_account")
        if service_account != f"${{google_service_account.{service}.email}}":
            problems.append(f"{service} does not run as its own service account")
    extra = set(readers) - set(SECRET_OWNERS)
    if extra:
        problems.append(f"secret roles granted elsewhere: {sorted(extra)}")
    return problems


def least_privilege(tf: Terraform) -> list[str]:
    problems = []
    have = grants(tf)
    for grant in sorted(have - EXPECTED_GRANTS):
        problems.append(f"unexpected grant {grant}")
    for grant in sorted(EXPECTED_GRANTS - have):
        problems.append(f"missing grant {grant}")
    for address in iam_resources(tf):
        if not address.split(".")[0].endswith("_iam_member"):
            problems.append(f"{address}: authoritative IAM would remove others' grants")
    for _, role, _on in have:
        if role in ("roles/owner", "roles/editor", "roles/viewer") or role.endswith(".admin"):
            problems.append(f"broad role {role}")
    return problems


def scheduler_calls_reconcile_with_oidc(tf: Terraform) -> list[str]:
    problems = []
    job = tf.resource("google_cloud_scheduler_job", "reconcile")
    target_ = one(job.get("http_target", [{}]))
    if target_.get("http_method") != "POST":
        problems.append("reconcile job does not POST")
    if target_.get("uri") != "${google_cloud_run_v2_service.ingest.uri}/tasks/reconcile":
        problems.append(f"reconcile job calls {target_.get('uri')!r}")
    tokens = target_.get("oidc_token", [])
    if len(tokens) != 1:
        return [*problems, "reconcile job sends no OIDC token"]
    token = tokens[0]
    if token.get("service_account_email") != "${google_service_account.scheduler.email}":
        problems.append("reconcile token is not signed as the scheduler account")
    env = env_of(_service(tf, "ingest"))
    if not token.get("audience") or env.get("RECONCILE_AUDIENCE", {}).get("value") != token.get(
        "audience"
    ):
        problems.append("ingest's RECONCILE_AUDIENCE differs from the job's token audience")
    if env.get("RECONCILE_SERVICE_ACCOUNT", {}).get("value") != (
        "${google_service_account.scheduler.email}"
    ):
        problems.append("ingest's RECONCILE_SERVICE_ACCOUNT is not the scheduler account")
    return problems


def services_are_probed_and_bounded(tf: Terraform) -> list[str]:
    problems = []
    for name in ("ingest", "writer"):
        service = _service(tf, name)
        template = one(service["template"])
        box = container(service)
        for probe in ("startup_probe", "liveness_probe"):
            blocks = box.get(probe, [])
            paths = [one(b.get("http_get", [{}])).get("path") for b in blocks]
            if paths != ["/healthz"]:
                problems.append(f"{name} {probe} does not GET /healthz")
        scaling = one(template.get("scaling", [{}]))
        if "max_instance_count" not in scaling:
            problems.append(f"{name} has no max instance count")
        if "max_instance_request_concurrency" not in template:
            problems.append(f"{name} has no request concurrency limit")
        ignored = one(service.get("lifecycle", [{}])).get("ignore_changes", [])
        if "${template[0].containers[0].image}" not in ignored:
            problems.append(f"{name}: terraform apply would roll back Cloud Build's image")
        if service.get("deletion_protection") != "${var.deletion_protection}":
            problems.append(f"{name} has no deletion protection")
    return problems


def alerts_cover_dead_letters_backlog_and_webhooks(tf: Terraform) -> list[str]:
    problems = []
    policies = tf.of_type("google_monitoring_alert_policy")

    def filters(policy: str) -> list[str]:
        body = policies.get(policy, {})
        out = []
        for condition in body.get("conditions", []):
            for threshold in condition.get("condition_threshold", []):
                out += [threshold.get("filter", ""), threshold.get("denominator_filter", "")]
        return out

    def mentions(policy: str, *needles: str) -> bool:
        return any(all(n in f for n in needles) for f in filters(policy))

    if not mentions(
        "dead_letters",
        "pubsub.googleapis.com/subscription/num_undelivered_messages",
        "${google_pubsub_subscription.dead_letter.name}",
    ):
        problems.append("no alert on messages in the dead-letter subscription")
    if not mentions(
        "oldest_unacked",
        "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
        "${google_pubsub_subscription.writer_push.name}",
    ):
        problems.append("no alert on the age of the oldest unacknowledged push message")
    errors = tf.of_type("google_logging_metric").get("webhook_errors", {})
    requests_ = tf.of_type("google_logging_metric").get("webhook_requests", {})
    if not (
        mentions("webhook_errors", "${google_logging_metric.webhook_errors.name}")
        and mentions("webhook_errors", "${google_logging_metric.webhook_requests.name}")
    ):
        problems.append("no webhook error-rate alert (errors over requests)")
    for metric in (errors, requests_):
        if 'jsonPayload.logger="ingest.webhook"' not in metric.get("filter", ""):
            problems.append("a webhook log metric does not select ingest.webhook's lines")
    if "jsonPayload.http_status>=400" not in errors.get("filter", ""):
        problems.append("the webhook error metric does not count 4xx and 5xx answers")
    return problems


def alert_on_a_spike_of_failed_payments(tf: Terraform) -> list[str]:
    problems = []
    metric = tf.of_type("google_logging_metric").get("failed_payments", {})
    wanted = (
        'service_name="writer"',
        'jsonPayload.logger="writer.push"',
        'jsonPayload.status="failed"',
    )
    if not all(part in metric.get("filter", "") for part in wanted):
        problems.append("no log metric of the writer's failed payment outcomes")
    policy = tf.of_type("google_monitoring_alert_policy").get("failed_payments", {})
    thresholds = [
        threshold
        for condition in policy.get("conditions", [])
        for threshold in condition.get("condition_threshold", [])
    ]
    if not any(
        "${google_logging_metric.failed_payments.name}" in t.get("filter", "")
        and t.get("comparison") == "COMPARISON_GT"
        for t in thresholds
    ):
        problems.append("no alert on a spike of failed payments")
    return problems


def outputs_give_the_urls(tf: Terraform) -> list[str]:
    problems = []
    if tf.outputs.get("webhook_url", {}).get("value") != (
        "${google_cloud_run_v2_service.ingest.uri}/webhooks/stripe"
    ):
        problems.append("no webhook_url output")
    if tf.outputs.get("ingest_url", {}).get("value") != "${google_cloud_run_v2_service.ingest.uri}":
        problems.append("no ingest_url output")
    return problems


PROPERTIES: dict[str, Check] = {
    "writer is private": writer_is_private,
    "ingest is public": ingest_is_public,
    "push requests carry an OIDC token the writer checks": push_is_authenticated,
    "push delivery is ordered and retried with backoff": push_delivery_is_ordered_and_retried,
    "dead-letter wiring is complete": dead_letters_are_wired,
    "no secret values": no_secret_values,
    "each secret is readable only by its service": secrets_readable_only_by_their_service,
    "every grant is one the design needs": least_privilege,
    "the scheduler calls reconcile with an OIDC token": scheduler_calls_reconcile_with_oidc,
    "services are probed and bounded": services_are_probed_and_bounded,
    "alerts cover dead letters, backlog and webhook errors": (
        alerts_cover_dead_letters_backlog_and_webhooks
    ),
    "an alert on a spike of failed payments": alert_on_a_spike_of_failed_payments,
    "outputs give the webhook and ingest URLs": outputs_give_the_urls,
}
