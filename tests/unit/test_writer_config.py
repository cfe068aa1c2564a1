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
