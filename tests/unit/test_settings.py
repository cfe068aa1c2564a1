"""Env in collect mode: every problem noted, all raised at once by check()."""

from __future__ import annotations

import pytest

from ingest.config import IngestConfig
from servicekit.settings import Env, InvalidSetting, MissingSetting, SettingsErrors


def test_without_collect_the_first_problem_raises_at_once():
    with pytest.raises(MissingSetting):
        Env({}).required("A", "a")


def test_collect_mode_raises_every_problem_from_check():
    env = Env({"N": "x", "Z": "-1"}, collect=True)
    assert env.required("A", "the a") == ""
    assert env.number("N", 5.0) == 5.0
    assert env.number("Z", 5.0) == 5.0
    with pytest.raises(SettingsErrors) as errors:
        env.check()
    assert errors.value.names == ("A", "N", "Z")
    assert str(errors.value).splitlines() == [
        "3 settings are missing or invalid:",
        "  - missing required environment variable A (the a)",
        "  - environment variable N is invalid: 'x' is not a number",
        "  - environment variable Z is invalid: must be greater than zero",
    ]
    # Callers that catch either kind still catch the lot.
    assert isinstance(errors.value, MissingSetting) and isinstance(errors.value, InvalidSetting)


def test_one_problem_raises_as_itself():
    env = Env({}, collect=True)
    env.required("A", "a")
    with pytest.raises(MissingSetting) as missing:
        env.check()
    assert not isinstance(missing.value, SettingsErrors) and missing.value.name == "A"


def test_a_bad_catalog_is_reported_with_the_missing_variables():
    with pytest.raises(SettingsErrors) as errors:
        IngestConfig.from_env({"CATALOG": "{not json", "STRIPE_WEBHOOK_SECRET": "whsec_x"})
    assert set(errors.value.names) == {"GOOGLE_CLOUD_PROJECT", "STRIPE_SECRET_KEY", "CATALOG"}
