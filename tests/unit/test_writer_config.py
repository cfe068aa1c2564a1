"""writer settings: push auth is on unless PUSH_AUTH=disabled is set explicitly."""

from __future__ import annotations

import pytest

from servicekit.settings import InvalidSetting, MissingSetting
from writer.config import WriterConfig

BASE = {"GOOGLE_CLOUD_PROJECT": "p", "WIX_API_KEY": "k", "WIX_SITE_ID": "s"}
PUSH = {"PUSH_AUDIENCE": "https://writer/pubsub/push", "PUSH_SERVICE_ACCOUNT": "sa@p.iam"}


def test_by_default_push_auth_is_on_and_needs_audience_and_signer():
    with pytest.raises(MissingSetting) as missing:
        WriterConfig.from_env(BASE)
    assert missing.value.name == "PUSH_AUDIENCE"
    with pytest.raises(MissingSetting) as missing:
        WriterConfig.from_env({**BASE, "PUSH_AUDIENCE": "a"})
    assert missing.value.name == "PUSH_SERVICE_ACCOUNT"
    config = WriterConfig.from_env({**BASE, **PUSH})
    assert config.push_auth_enabled
    assert (config.push_audience, config.push_service_account) == (
        PUSH["PUSH_AUDIENCE"],
        PUSH["PUSH_SERVICE_ACCOUNT"],
    )


def test_only_the_exact_word_disabled_turns_it_off():
    assert not WriterConfig.from_env({**BASE, "PUSH_AUTH": "disabled"}).push_auth_enabled
    for wrong in ("off", "false", "0", "no"):
        with pytest.raises(InvalidSetting, match="PUSH_AUTH"):
            WriterConfig.from_env({**BASE, "PUSH_AUTH": wrong})


@pytest.mark.parametrize("name", ["GOOGLE_CLOUD_PROJECT", "WIX_API_KEY", "WIX_SITE_ID"])
def test_a_missing_required_setting_names_itself(name):
    with pytest.raises(MissingSetting) as missing:
        WriterConfig.from_env({k: v for k, v in {**BASE, **PUSH}.items() if k != name})
    assert missing.value.name == name


def test_the_api_key_never_shows_in_the_configs_repr():
    config = WriterConfig.from_env({**BASE, **PUSH, "WIX_API_KEY": "wix-secret-key"})
    assert "wix-secret-key" not in repr(config)


def test_redrive_needs_no_wix_settings_and_setup_collection_no_pubsub_project():
    redrive = WriterConfig.from_env({"GOOGLE_CLOUD_PROJECT": "p"}, need_push=False, need_wix=False)
    assert redrive.project == "p"
    setup = WriterConfig.from_env(
        {"WIX_API_KEY": "k", "WIX_SITE_ID": "s"}, need_push=False, need_pubsub=False
    )
    assert (setup.wix_api_key, setup.wix_site_id) == ("k", "s")
    with pytest.raises(MissingSetting) as missing:
        WriterConfig.from_env({}, need_push=False, need_wix=False)
    assert missing.value.name == "GOOGLE_CLOUD_PROJECT"


def test_the_wix_budget_is_per_minute_reads_and_writes_apart_with_defaults_under_the_quota():
    config = WriterConfig.from_env({**BASE, **PUSH})
    # A fifth of a site's 3,000 reads and 1,500 writes a minute, over 3 instances.
    assert (config.wix_reads_per_minute, config.wix_writes_per_minute) == (200, 100)
    config = WriterConfig.from_env(
        {**BASE, **PUSH, "WIX_READS_PER_MINUTE": "90", "WIX_WRITES_PER_MINUTE": "45"}
    )
    assert (config.wix_reads_per_minute, config.wix_writes_per_minute) == (90, 45)


def test_the_removed_per_second_limit_is_refused_naming_its_replacements():
    with pytest.raises(InvalidSetting, match="WIX_READS_PER_MINUTE and WIX_WRITES_PER_MINUTE"):
        WriterConfig.from_env({**BASE, **PUSH, "WIX_REQUESTS_PER_SECOND": "50"})


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"WRITER_BATCH_WINDOW_MS": "51"}, "WRITER_BATCH_WINDOW_MS"),
        ({"WRITER_BATCH_WINDOW_MS": "-1"}, "WRITER_BATCH_WINDOW_MS"),
        ({"WRITER_BATCH_WINDOW_MS": "soon"}, "WRITER_BATCH_WINDOW_MS"),
        ({"WRITER_BATCH_MAX_ITEMS": "1001"}, "WRITER_BATCH_MAX_ITEMS"),
        ({"WRITER_BATCH_MAX_ITEMS": "2.5"}, "WRITER_BATCH_MAX_ITEMS"),
        ({"WIX_WRITES_PER_MINUTE": "0"}, "WIX_WRITES_PER_MINUTE"),
    ],
)
def test_batch_and_budget_settings_out_of_range_are_refused(env, name):
    with pytest.raises(InvalidSetting) as invalid:
        WriterConfig.from_env({**BASE, **PUSH, **env})
    assert invalid.value.name == name


def test_a_zero_window_turns_group_commit_off():
    config = WriterConfig.from_env({**BASE, **PUSH, "WRITER_BATCH_WINDOW_MS": "0"})
    assert config.batch_window_ms == 0
