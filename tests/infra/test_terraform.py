"""The Terraform keeps its security and wiring properties, checked offline over the parsed HCL.

Each property is checked on the real configuration (no problems) and on copies with that
property removed (problems reported), so no check here can pass by accident.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.infra import properties
from tests.infra.terraform_model import (
    EXAMPLE_TFVARS,
    ROOT,
    TERRAFORM_DIR,
    Terraform,
    load,
    load_tfvars,
)


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return load()


@pytest.mark.parametrize("name", sorted(properties.PROPERTIES))
def test_the_configuration_has_the_property(tf: Terraform, name: str) -> None:
    assert properties.PROPERTIES[name](tf) == []


# (property, file, text to replace (first occurrence), replacement): the property removed.
MUTATIONS = [
    (
        "writer is private",
        "run.tf",
        '"INGRESS_TRAFFIC_INTERNAL_ONLY"',
        '"INGRESS_TRAFFIC_ALL"',
    ),
    (
        "writer is private",
        "run.tf",
        '  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"',
        '  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"\n  invoker_iam_disabled = true',
    ),
    (
        "writer is private",
        "service_accounts.tf",
        "  member   = google_service_account.push.member\n}",
        "  member   = google_service_account.push.member\n}\n"
        'resource "google_cloud_run_v2_service_iam_member" "anyone" {\n'
        "  name     = google_cloud_run_v2_service.writer.name\n"
        "  location = google_cloud_run_v2_service.writer.location\n"
        '  role     = "roles/run.invoker"\n'
        '  member   = "allUsers"\n}',
    ),
    ("ingest is public", "run.tf", "invoker_iam_disabled = true", "invoker_iam_disabled = false"),
    (
        "push requests carry an OIDC token the writer checks",
        "pubsub.tf",
        "    oidc_token {",
        "    no_oidc_token {",
    ),
    (
        "push requests carry an OIDC token the writer checks",
        "pubsub.tf",
        "service_account_email = google_service_account.push.email",
        "service_account_email = google_service_account.writer.email",
    ),
    (
        "push requests carry an OIDC token the writer checks",
        "run.tf",
        "custom_audiences = [local.push_audience]",
        "custom_audiences = []",
    ),
    (
        "push requests carry an OIDC token the writer checks",
        "run.tf",
        '        name  = "PUSH_AUDIENCE"',
        '        name  = "PUSH_AUTH"\n        value = "disabled"\n      }\n      env {\n'
        '        name  = "PUSH_AUDIENCE"',
    ),
    (
        "push delivery is ordered and retried with backoff",
        "pubsub.tf",
        "enable_message_ordering = true",
        "enable_message_ordering = false",
    ),
    (
        "push delivery is ordered and retried with backoff",
        "pubsub.tf",
        "  retry_policy {",
        "  no_retry_policy {",
    ),
    (
        "dead-letter wiring is complete",
        "pubsub.tf",
        "  dead_letter_policy {",
        "  no_dead_letter_policy {",
    ),
    (
        "dead-letter wiring is complete",
        "pubsub.tf",
        "dead_letter_topic     = google_pubsub_topic.dead_letter.id",
        "dead_letter_topic     = google_pubsub_topic.payments.id",
    ),
    (
        "dead-letter wiring is complete",
        "pubsub.tf",
        "  topic = google_pubsub_topic.dead_letter.id",
        "  topic = google_pubsub_topic.payments.id",
    ),
    (
        "dead-letter wiring is complete",
        "service_accounts.tf",
        '  role   = "roles/pubsub.publisher"\n  member = local.pubsub_service_agent',
        '  role   = "roles/pubsub.viewer"\n  member = local.pubsub_service_agent',
    ),
    (
        "dead-letter wiring is complete",
        "service_accounts.tf",
        '  role         = "roles/pubsub.subscriber"',
        '  role         = "roles/pubsub.viewer"',
    ),
    (
        "no secret values",
        "secrets.tf",
        'resource "google_secret_manager_secret_iam_member" "writer_reads_wix_api_key" {',
        'resource "google_secret_manager_secret_version" "wix" {\n'
        "  secret      = google_secret_manager_secret.wix_api_key.id\n"
        '  secret_data = "not-really"\n}\n'
        'resource "google_secret_manager_secret_iam_member" "writer_reads_wix_api_key" {',
    ),
    (
        "no secret values",
        "variables.tf",
        'variable "wix_site_id" {',
        'variable "wix_api_key" {\n  type = string\n}\n\nvariable "wix_site_id" {',
    ),
    (
        "no secret values",
        "run.tf",
        '        name = "WIX_API_KEY"\n        value_source {',
        '        name = "WIX_API_KEY"\n        value = "k"\n        value_source {',
    ),
    (
        "each secret is readable only by its service",
        "secrets.tf",
        "  secret_id = google_secret_manager_secret.stripe_secret_key.id\n"
        '  role      = "roles/secretmanager.secretAccessor"\n'
        "  member    = google_service_account.ingest.member",
        "  secret_id = google_secret_manager_secret.stripe_secret_key.id\n"
        '  role      = "roles/secretmanager.secretAccessor"\n'
        "  member    = google_service_account.writer.member",
    ),
    (
        "each secret is readable only by its service",
        "service_accounts.tf",
        '  role    = "roles/logging.logWriter"',
        '  role    = "roles/secretmanager.secretAccessor"',
    ),
    (
        "each secret is readable only by its service",
        "run.tf",
        "secret  = google_secret_manager_secret.stripe_secret_key.secret_id",
        "secret  = google_secret_manager_secret.wix_api_key.secret_id",
    ),
    (
        "each secret is readable only by its service",
        "run.tf",
        "value = google_secret_manager_secret.stripe_webhook_secret.id",
        "value = google_secret_manager_secret.stripe_secret_key.id",
    ),
    (
        "each secret is readable only by its service",
        "secrets.tf",
        "  secret_id = google_secret_manager_secret.stripe_webhook_secret.id\n"
        '  role      = "roles/secretmanager.viewer"',
        "  secret_id = google_secret_manager_secret.wix_api_key.id\n"
        '  role      = "roles/secretmanager.viewer"',
    ),
    (
        "every grant is one the design needs",
        "service_accounts.tf",
        '  role     = "roles/run.developer"',
        '  role     = "roles/run.admin"',
    ),
    (
        "every grant is one the design needs",
        "service_accounts.tf",
        'resource "google_project_iam_member" "build_writes_logs" {',
        'resource "google_project_iam_member" "scheduler_editor" {\n'
        "  project = var.project_id\n"
        '  role    = "roles/editor"\n'
        "  member  = google_service_account.scheduler.member\n}\n\n"
        'resource "google_project_iam_member" "build_writes_logs" {',
    ),
    (
        "every grant is one the design needs",
        "service_accounts.tf",
        'resource "google_pubsub_topic_iam_member" "ingest_publishes_payments" {',
        'resource "google_pubsub_topic_iam_binding" "ingest_publishes_payments" {',
    ),
    (
        "the scheduler calls reconcile with an OIDC token",
        "scheduler.tf",
        "    oidc_token {",
        "    no_oidc_token {",
    ),
    (
        "the scheduler calls reconcile with an OIDC token",
        "scheduler.tf",
        "audience              = local.reconcile_audience",
        "audience              = local.push_audience",
    ),
    (
        "the scheduler calls reconcile with an OIDC token",
        "scheduler.tf",
        '/tasks/reconcile"',
        '/tasks/other"',
    ),
    (
        "services are probed and bounded",
        "run.tf",
        "      startup_probe {",
        "      no_startup_probe {",
    ),
    (
        "services are probed and bounded",
        "run.tf",
        "      template[0].containers[0].image,\n",
        "",
    ),
    (
        "services are probed and bounded",
        "run.tf",
        "      max_instance_count = var.writer_max_instances\n",
        "",
    ),
    (
        "alerts cover dead letters, backlog and webhook errors",
        "monitoring.tf",
        "subscription/num_undelivered_messages",
        "subscription/ack_message_count",
    ),
    (
        "alerts cover dead letters, backlog and webhook errors",
        "monitoring.tf",
        "subscription/oldest_unacked_message_age",
        "subscription/num_undelivered_messages",
    ),
    (
        "alerts cover dead letters, backlog and webhook errors",
        "monitoring.tf",
        "      denominator_filter",
        "      # denominator_filter",
    ),
    (
        "alerts cover dead letters, backlog and webhook errors",
        "monitoring.tf",
        "jsonPayload.http_status>=400",
        "jsonPayload.http_status>=500",
    ),
    (
        "an alert on a spike of failed payments",
        "monitoring.tf",
        'jsonPayload.status=\\"failed\\"',
        'jsonPayload.status=\\"succeeded\\"',
    ),
    (
        "an alert on a spike of failed payments",
        "monitoring.tf",
        "logging.googleapis.com/user/${google_logging_metric.failed_payments.name}",
        "logging.googleapis.com/user/${google_logging_metric.webhook_errors.name}",
    ),
    (
        "outputs give the webhook and ingest URLs",
        "outputs.tf",
        '"${google_cloud_run_v2_service.ingest.uri}/webhooks/stripe"',
        "google_cloud_run_v2_service.ingest.uri",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "old", "new"),
    MUTATIONS,
    ids=[f"{m[0]}: {m[1]} {i}" for i, m in enumerate(MUTATIONS)],
)
def test_the_check_catches_the_property_removed(
    tmp_path: Path, name: str, file: str, old: str, new: str
) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform*"))
    text = (copy / file).read_text(encoding="utf-8")
    assert old in text, f"mutation no longer applies: {old!r} not in {file}"
    (copy / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    assert properties.PROPERTIES[name](load(copy)) != []


def test_every_property_has_a_mutation_that_breaks_it() -> None:
    assert {m[0] for m in MUTATIONS} == set(properties.PROPERTIES)


# --- secrets in files, variables, tfvars, APIs, state -------------------------------------------


def deploy_files() -> list[Path]:
    return [
        *sorted(TERRAFORM_DIR.glob("*.tf")),
        EXAMPLE_TFVARS,
        TERRAFORM_DIR / "backend.hcl.example",
        ROOT / "cloudbuild.yaml",
        ROOT / "Dockerfile",
    ]


def test_no_deploy_file_contains_a_secret_value() -> None:
    assert properties.secret_literals_in_files(deploy_files()) == []


def test_the_secret_scan_finds_a_planted_webhook_secret(tmp_path: Path) -> None:
    planted = tmp_path / "leak.tf"
    planted.write_text('locals { s = "whsec_0123456789abcdefABCDEF" }\n', encoding="utf-8")
    assert properties.secret_literals_in_files([planted]) != []


def test_every_variable_is_described_and_every_non_boolean_one_validated(tf: Terraform) -> None:
    for name, body in tf.variables.items():
        assert len(str(body.get("description", ""))) > 20, f"{name} has no description"
        if body.get("type") != "bool":
            assert body.get("validation"), f"{name} has no validation"


def test_the_example_tfvars_sets_every_required_variable_and_only_real_ones(
    tf: Terraform,
) -> None:
    example = load_tfvars()
    required = {name for name, body in tf.variables.items() if "default" not in body}
    assert required <= set(example), f"example lacks {required - set(example)}"
    assert set(example) <= set(tf.variables), f"unknown: {set(example) - set(tf.variables)}"


def test_the_example_values_pass_the_variables_regex_validations(tf: Terraform) -> None:
    """The validations that are a single regex, evaluated as Terraform would (RE2 ~ Python re)."""
    example = load_tfvars()
    for name, value in example.items():
        for validation in tf.variables[name].get("validation", []):
            match = re.fullmatch(
                r'\$\{can\(regex\("(.+)", var\.' + name + r"\)\)\}", validation["condition"]
            )
            if match:
                pattern = match.group(1).encode().decode("unicode_escape")
                assert re.search(pattern, value), f"{name}={value!r} fails {pattern}"


def test_every_service_the_resources_use_is_enabled(tf: Terraform) -> None:
    apis = set(re.findall(r"[a-z]+\.googleapis\.com", tf.locals["apis"]))
    needs = {
        "google_cloud_run_": "run.googleapis.com",
        "google_pubsub_": "pubsub.googleapis.com",
        "google_secret_manager_": "secretmanager.googleapis.com",
        "google_cloud_scheduler_": "cloudscheduler.googleapis.com",
        "google_monitoring_": "monitoring.googleapis.com",
        "google_logging_": "logging.googleapis.com",
        "google_artifact_registry_": "artifactregistry.googleapis.com",
        "google_service_account": "iam.googleapis.com",
        "google_storage_": "storage.googleapis.com",
    }
    for type_, _ in tf.resources:
        for prefix, api in needs.items():
            if type_.startswith(prefix):
                assert api in apis, f"{type_} needs {api}"
    assert "cloudbuild.googleapis.com" in apis


def test_state_is_remote_and_the_provider_is_pinned(tf: Terraform) -> None:
    block = tf.terraform[0]
    assert "gcs" in block["backend"][0], "state must live in a GCS bucket, not on a laptop"
    google = block["required_providers"][0]["google"]
    assert google["source"] == "hashicorp/google"
    capped = "<" in google["version"] or google["version"].startswith("~> ")
    assert capped, "the provider's major version must be capped"


def test_every_checkov_skip_says_why() -> None:
    for path in TERRAFORM_DIR.glob("*.tf"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov:skip=" in line:
                reason = line.split("checkov:skip=", 1)[1].partition(":")[2]
                assert len(reason.strip()) >= 40, f"{path.name}: skip without a reason: {line}"


def service_sources(service: str) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for package in (service, "servicekit")
        for path in sorted((ROOT / package).glob("*.py"))
    )


@pytest.mark.parametrize("service", ["ingest", "writer"])
def test_every_env_var_terraform_sets_is_one_the_service_reads(tf: Terraform, service: str) -> None:
    source = service_sources(service)
    env = properties.env_of(tf.resource("google_cloud_run_v2_service", service))
    unread = [name for name in env if f'"{name}"' not in source]
    assert unread == [], f"{service} never reads {unread} (a typo, or a renamed setting)"


@pytest.mark.parametrize("service", ["ingest", "writer"])
def test_every_setting_the_service_requires_is_set_by_terraform(
    tf: Terraform, service: str
) -> None:
    config = (ROOT / service / "config.py").read_text(encoding="utf-8")
    required = set(re.findall(r'env\.required\(\s*"([A-Z_]+)"', config))
    assert required, "no required settings found: has config.py changed shape?"
    env = properties.env_of(tf.resource("google_cloud_run_v2_service", service))
    assert required <= set(env), f"{service} would stop at start: {required - set(env)} unset"
