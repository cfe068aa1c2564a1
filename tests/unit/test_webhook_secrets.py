"""Webhook secrets from the environment plus Secret Manager's enabled versions, refreshed."""

from ingest.webhook_secrets import WebhookSecrets
from tests.fakes import FakeClock, FakeVersions


def test_without_a_secret_id_only_the_environment_secrets_are_used():
    versions = FakeVersions(["whsec_managed"])
    secrets = WebhookSecrets(["whsec_env"], versions, secret_id=None)
    assert list(secrets()) == ["whsec_env"]
    assert versions.calls == 0


def test_every_enabled_version_is_accepted_beside_the_environment_ones():
    secrets = WebhookSecrets(
        ["whsec_env"], FakeVersions(["whsec_old", "whsec_new"]), "stripe-webhook-secret"
    )
    assert list(secrets()) == ["whsec_env", "whsec_old", "whsec_new"]


def test_versions_are_reread_only_after_the_refresh_interval():
    clock, versions = FakeClock(1000.0), FakeVersions(["whsec_old"])
    secrets = WebhookSecrets(
        [], versions, "stripe-webhook-secret", refresh_seconds=300, clock=clock
    )
    assert list(secrets()) == ["whsec_old"]
    versions.values = ["whsec_old", "whsec_rotated"]
    clock.now += 299
    assert list(secrets()) == ["whsec_old"]
    clock.now += 1
    assert list(secrets()) == ["whsec_old", "whsec_rotated"]
    assert versions.calls == 2


def test_a_disabled_version_stops_verifying_after_the_next_refresh():
    clock, versions = FakeClock(1000.0), FakeVersions(["whsec_old", "whsec_new"])
    secrets = WebhookSecrets(
        [], versions, "stripe-webhook-secret", refresh_seconds=300, clock=clock
    )
    secrets()
    versions.values = ["whsec_new"]
    clock.now += 300
    assert list(secrets()) == ["whsec_new"]


def test_a_secret_manager_outage_keeps_the_last_secrets_and_retries_soon():
    clock, versions = FakeClock(1000.0), FakeVersions(["whsec_old"])
    secrets = WebhookSecrets(
        [], versions, "stripe-webhook-secret", refresh_seconds=300, clock=clock
    )
    secrets()
    versions.fail = True
    clock.now += 300
    assert list(secrets()) == ["whsec_old"]
    versions.fail = False
    versions.values = ["whsec_back"]
    clock.now += 30
    assert list(secrets()) == ["whsec_back"]


def test_a_secret_manager_secret_alone_is_enough_configuration():
    from ingest.config import IngestConfig

    config = IngestConfig.from_env(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "STRIPE_SECRET_KEY": "sk",
            "STRIPE_WEBHOOK_SECRET_ID": "stripe-webhook-secret",
        }
    )
    assert (config.webhook_secrets, config.webhook_secret_id) == ((), "stripe-webhook-secret")


def test_without_any_signing_secret_ingest_refuses_to_start_naming_the_variable():
    import pytest

    from ingest.config import IngestConfig
    from servicekit.settings import MissingSetting

    with pytest.raises(MissingSetting, match="STRIPE_WEBHOOK_SECRET"):
        IngestConfig.from_env({"GOOGLE_CLOUD_PROJECT": "p", "STRIPE_SECRET_KEY": "sk"})
