"""The optional bot check on payment creation (Cloudflare Turnstile or Google reCAPTCHA).

Stripe's card-testing guidance puts a CAPTCHA in front of whatever creates payments: the page's
widget gets a token, and ingest asks the provider's siteverify endpoint whether it is real
before anything is created at Stripe. Off unless BOT_CHECK is set.

Both providers document the same siteverify call: POST `secret`, `response` (the token) and
optionally `remoteip`, form-encoded; the answer is JSON with `success`, `error-codes`,
`hostname`, `challenge_ts` (and reCAPTCHA v3 a `score`, Turnstile an `action`).
- https://developers.cloudflare.com/turnstile/get-started/server-side-validation/
- https://developers.google.com/recaptcha/docs/verify
A token is good once and for minutes only (Turnstile 300 s, reCAPTCHA 2 min); so the page asks
for a fresh one per creation. Anything but a clear yes is a no: an answer that cannot be read or
a provider that cannot be reached refuses (503, try again), never lets through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from servicekit.settings import Env

PROVIDERS = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "recaptcha": "https://www.google.com/recaptcha/api/siteverify",
}
# Turnstile's documented ceiling is 2048 characters; reCAPTCHA's are shorter.
MAX_TOKEN = 4096
TIMEOUT = (3.05, 5.0)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str  # for the log: the provider's error codes, or what we found wrong
    unavailable: bool = False  # the provider could not be asked: a 503, not a 403


class BotCheck(Protocol):
    def verify(self, token: str, remote_ip: str | None) -> Verdict: ...


@dataclass(frozen=True)
class BotCheckConfig:
    provider: str
    secret: str = field(repr=False)
    verify_url: str
    hostnames: tuple[str, ...] = ()  # the site's hostnames; empty: not checked
    min_score: float = 0.5  # reCAPTCHA v3 only (its answers carry a score)


def judge(answer: Any, hostnames: Sequence[str], min_score: float) -> Verdict:
    """A siteverify answer -> pass or refuse. Pure."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("success"), bool):
        return Verdict(False, "unreadable siteverify answer", unavailable=True)
    if answer["success"] is not True:
        codes = answer.get("error-codes")
        text = ",".join(str(c) for c in codes) if isinstance(codes, list) and codes else "none"
        # Not the visitor's fault: the provider's own error, or our secret is wrong (an
        # operator must fix that; the page says "try again", not "you look like a bot").
        ours = {"internal-error", "missing-input-secret", "invalid-input-secret", "bad-request"}
        return Verdict(False, f"error-codes {text}", unavailable=bool(set(text.split(",")) & ours))
    hostname = answer.get("hostname")
    if hostnames and hostname not in hostnames:
        return Verdict(False, "token solved on another hostname")
    score = answer.get("score")
    if isinstance(score, int | float) and not isinstance(score, bool) and score < min_score:
        return Verdict(False, f"score {score} below {min_score}")
    return Verdict(True, "passed")


class SiteverifyBotCheck:
    """The BotCheck port over Turnstile's or reCAPTCHA's siteverify endpoint."""

    def __init__(self, config: BotCheckConfig, session: requests.Session | None = None) -> None:
        self._config = config
        self._session = session or requests.Session()

    def verify(self, token: str, remote_ip: str | None) -> Verdict:
        if not token or len(token) > MAX_TOKEN:
            return Verdict(False, "no token" if not token else "token too long")
        form = {"secret": self._config.secret, "response": token}
        if remote_ip:
            form["remoteip"] = remote_ip
        try:
            reply = self._session.post(self._config.verify_url, data=form, timeout=TIMEOUT)
            answer = reply.json() if reply.status_code == 200 else None
        except (requests.RequestException, ValueError) as exc:
            return Verdict(False, f"siteverify unreachable: {type(exc).__name__}", True)
        if answer is None:
            return Verdict(False, f"siteverify answered {reply.status_code}", unavailable=True)
        return judge(answer, self._config.hostnames, self._config.min_score)


def bot_check_from_env(env: Env) -> BotCheckConfig | None:
    """BOT_CHECK=turnstile|recaptcha turns the check on; its secret is then required."""
    provider = env.optional("BOT_CHECK").lower()
    if not provider or provider == "off":
        return None
    if provider not in PROVIDERS:
        env.invalid("BOT_CHECK", f"{provider!r}: use turnstile, recaptcha or off")
        return None
    return BotCheckConfig(
        provider=provider,
        secret=env.required("BOT_CHECK_SECRET", f"the {provider} secret key (siteverify)"),
        verify_url=env.optional("BOT_CHECK_VERIFY_URL", PROVIDERS[provider]),
        hostnames=env.csv("BOT_CHECK_HOSTNAMES"),
        min_score=env.number("BOT_CHECK_MIN_SCORE", 0.5),
    )
