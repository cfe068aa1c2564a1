"""writer's app factory: POST /pubsub/push reads the item, merges, saves only what changed."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request

from payments.message import PaymentUpdate
from servicekit import logs
from servicekit.oidc import Authenticator, OidcAuthError
from servicekit.publishing import Publisher, PublishError
from servicekit.web import install_common
from writer.apply import NO_RETRY, Applied, RetryPolicy, Timer, apply_update
from writer.config import WriterConfig
from writer.deadletter import dead_letter
from writer.envelope import Poison, PushMessage, parse_envelope
from writer.groupcommit import GroupCommit, Result
from writer.ports import Collection
from writer.record import UnreadableItem
from writer.wix import WixConfigError, WixError, WixPermanentError

log = logging.getLogger("writer.push")

ACK = 204
RETRY = 503


def create_app(
    config: WriterConfig,
    collection: Collection,
    dead_letters: Publisher,
    authenticator: Authenticator,
    retry: RetryPolicy = NO_RETRY,
    group_commit: GroupCommit | None = None,
) -> Flask:
    """With `group_commit`, concurrent pushes share one Wix read and one bulk save
    (writer/groupcommit.py); without, each message is read and saved alone."""
    app = Flask("writer")

    def apply(update: PaymentUpdate, timer: Timer, fields: dict[str, object]) -> Result:
        if group_commit is not None:
            committed = group_commit.submit(update)
            timer.ms += committed.wix_ms
            fields["batch_size"] = committed.batch_size
            return committed.result
        try:
            return apply_update(collection, update, retry, timer=timer)
        except (WixError, UnreadableItem) as exc:
            return exc

    install_common(app, "writer", config.project)

    @app.post("/pubsub/push")
    def push() -> tuple[Response | str, int]:
        started = time.perf_counter()
        fields: dict[str, object] = {}
        timer = Timer(time.perf_counter)  # time spent waiting on Wix, all attempts together

        def answer(
            status: int, action: str, detail: str | None = None, level: int = logging.INFO
        ) -> tuple[str, int]:
            fields.update(
                action=action,
                http_status=status,
                wix_latency_ms=round(timer.ms, 2),
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            if detail:
                fields["detail"] = detail
            log.log(level, "push %s", action, extra=fields)
            return "", status

        def to_dead_letter(push: PushMessage | None, raw: bytes, reason: str) -> tuple[str, int]:
            try:
                dead_letter(dead_letters, push, raw, reason)
            except PublishError as exc:
                # Not acknowledged: Pub/Sub redelivers, and nothing is lost.
                return answer(RETRY, "dead_letter_failed", f"{reason}; {exc}", logging.ERROR)
            return answer(ACK, "dead-letter", reason, logging.WARNING)

        try:
            authenticator.verify(request.headers.get("Authorization"))
        except OidcAuthError as exc:
            return answer(exc.status, "unauthorized", exc.reason, logging.WARNING)

        raw = request.get_data(cache=False)
        parsed = parse_envelope(raw)
        if isinstance(parsed, Poison):
            if parsed.push:
                fields.update(
                    message_id=parsed.push.message_id,
                    delivery_attempt=parsed.push.delivery_attempt,
                    payment_intent_id=parsed.push.attributes.get("payment_intent_id"),
                )
            return to_dead_letter(parsed.push, raw, parsed.reason)

        update = parsed.update
        fields.update(
            message_id=parsed.push.message_id,
            delivery_attempt=parsed.push.delivery_attempt,
            payment_intent_id=update.payment_intent_id,
            event_id=update.event_id,
            event_type=update.event_type,
        )
        applied = apply(update, timer, fields)
        if isinstance(applied, Applied):
            fields.update(status=applied.status, wix_attempts=applied.attempts)
            return answer(ACK, applied.action, applied.wix_action)
        if isinstance(applied, WixConfigError):
            # Wrong key, site, permission or collection: every message fails until fixed, so keep
            # them all in Pub/Sub (retried, then dead-lettered) and shout.
            return answer(RETRY, "retry", f"Wix configuration error: {applied}", logging.ERROR)
        if isinstance(applied, WixPermanentError):
            return to_dead_letter(
                parsed.push,
                raw,
                f"Wix refused the item ({applied.code or applied.status}): {applied}",
            )
        if isinstance(applied, UnreadableItem):
            return to_dead_letter(parsed.push, raw, str(applied))
        # WixTransientError, or any other Wix error: Pub/Sub redelivers.
        return answer(RETRY, "retry", str(applied), logging.WARNING)

    return app


def create_app_from_env() -> Flask:
    """The one place real clients are built (gunicorn calls this once per worker)."""
    import os

    from servicekit.oidc import GoogleOidcAuthenticator, NoAuthentication
    from servicekit.pubsub import PubSubPublisher
    from writer.budget import QuotaBudget, per_process
    from writer.groupcommit import run_batch
    from writer.wix import WixCollection

    logs.configure()
    config = WriterConfig.from_env()
    # Each gunicorn worker is a process with its own buckets: they share the instance's budget.
    workers = int(os.environ.get("WEB_CONCURRENCY", "2") or 2)  # servicekit.gunicorn_conf default
    budget = QuotaBudget(
        per_process(config.wix_reads_per_minute, workers),
        per_process(config.wix_writes_per_minute, workers),
    )
    collection = WixCollection.from_config(config, budget)
    retry = RetryPolicy()
    group_commit = None
    if config.batch_window_ms > 0:
        group_commit = GroupCommit(
            lambda updates, timer: run_batch(collection, updates, retry, timer=timer),
            window=config.batch_window_ms / 1000,
            max_items=config.batch_max_items,
            ready=lambda: budget.wait_ready(collection.budget_wait),
        )
    dead_letters = PubSubPublisher(config.project, config.dead_letter_topic)
    authenticator: Authenticator
    if config.push_auth_enabled:
        assert config.push_audience and config.push_service_account
        authenticator = GoogleOidcAuthenticator(config.push_audience, config.push_service_account)
    else:
        log.warning("PUSH_AUTH=disabled: push requests are NOT authenticated (local stack only)")
        authenticator = NoAuthentication()
    return create_app(config, collection, dead_letters, authenticator, retry, group_commit)
