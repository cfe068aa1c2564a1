"""What a request must pass before ingest creates anything at Stripe (a Customer, a
PaymentIntent, a Checkout Session): the bot check, when on, then this process's cap on creations.

Stripe's card-testing guidance: a CAPTCHA, rate limits, and Radar rules (docs/security.md). The
per-client limit (ratelimit.py) stops one address; testers rotate addresses, so the cap bounds
what all of them together can make us create, per process per minute. The bot check goes first
so that refused bots do not use up the cap that real customers need.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.botcheck import BotCheck
from ingest.ratelimit import ClientRateLimiter

_ALL = "all-clients"


@dataclass(frozen=True)
class Refusal:
    status: int  # 403 bot check failed, 429 cap reached, 503 bot check unavailable
    error: str  # for the page
    reason: str  # for the log
    retry_after: int | None = None


class CreationGate:
    def __init__(self, cap: ClientRateLimiter, bot_check: BotCheck | None = None) -> None:
        self._cap = cap
        self._bot_check = bot_check

    @property
    def bot_check_on(self) -> bool:
        return self._bot_check is not None

    def admit(self, bot_token: object, remote_ip: str | None) -> Refusal | None:
        if self._bot_check is not None:
            token = bot_token if isinstance(bot_token, str) else ""
            verdict = self._bot_check.verify(token, remote_ip)
            if verdict.unavailable:
                return Refusal(
                    503, "the bot check is unavailable; try again in a moment", verdict.reason, 5
                )
            if not verdict.passed:
                return Refusal(403, "the bot check failed; please try again", verdict.reason)
        decision = self._cap.check(_ALL)
        if not decision.allowed:
            return Refusal(
                429,
                "too many payments are being started right now; try again shortly",
                "creation cap reached",
                decision.retry_after,
            )
        return None
