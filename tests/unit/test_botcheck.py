"""siteverify answers -> pass or refuse; BOT_CHECK settings."""

import pytest

from ingest.botcheck import PROVIDERS, bot_check_from_env, judge
from servicekit.settings import Env, InvalidSetting, MissingSetting

OK = {"success": True, "hostname": "shop.example.com", "error-codes": []}


@pytest.mark.parametrize(
    ("answer", "passed", "unavailable"),
    [
        (OK, True, False),
        ({**OK, "score": 0.9}, True, False),
        ({**OK, "score": 0.2}, False, False),
        ({**OK, "hostname": "evil.example"}, False, False),
        ({"success": False, "error-codes": ["invalid-input-response"]}, False, False),
        ({"success": False, "error-codes": ["timeout-or-duplicate"]}, False, False),
        ({"success": False, "error-codes": ["internal-error"]}, False, True),
        ({"success": False, "error-codes": ["invalid-input-secret"]}, False, True),
        ({"success": "true"}, False, True),
        ([], False, True),
        (None, False, True),
    ],
)
def test_only_a_clear_yes_passes(answer, passed, unavailable):
    verdict = judge(answer, ("shop.example.com",), 0.5)
    assert (verdict.passed, verdict.unavailable) == (passed, unavailable)


def test_the_bot_check_is_off_unless_asked_for():
    assert bot_check_from_env(Env({})) is None
    assert bot_check_from_env(Env({"BOT_CHECK": "off"})) is None


def test_turned_on_it_needs_its_secret_and_uses_the_providers_endpoint():
    with pytest.raises(MissingSetting, match="BOT_CHECK_SECRET"):
        bot_check_from_env(Env({"BOT_CHECK": "turnstile"}))
    config = bot_check_from_env(Env({"BOT_CHECK": "recaptcha", "BOT_CHECK_SECRET": "6Lc-secret"}))
    assert config is not None
    assert (
        config.verify_url
        == PROVIDERS["recaptcha"]
        == "https://www.google.com/recaptcha/api/siteverify"
    )
    assert "6Lc-secret" not in repr(config)


def test_an_unknown_provider_is_named():
    with pytest.raises(InvalidSetting, match="BOT_CHECK"):
        bot_check_from_env(Env({"BOT_CHECK": "hcaptcha", "BOT_CHECK_SECRET": "s"}))
