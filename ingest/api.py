"""/v1/*: what the Wix page calls. CORS for the Wix site's origins only, a per-client rate limit.

POST /v1/payment-intents  {first_name, email?, product, quantity?, bot_token?,
                           payment_intent_id? + client_secret? (the page's open attempt)}
                          -> Customer + PaymentIntent, or the open attempt's (attempts.py)
POST /v1/checkout-sessions  {first_name, email?, product, quantity?, return_url, bot_token?}
                          -> Checkout Session
POST /v1/payments/verify  {payment_intent_id, client_secret} | {checkout_session_id}
                          -> pull, check the capability, publish, answer
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, jsonify, request

from ingest import checkout_sessions
from ingest.attempts import previous_attempt, reuse
from ingest.config import IngestConfig
from ingest.creation_gate import CreationGate, Refusal
from ingest.orders import Invalid, Order, idempotency_key, namespaced, parse_order
from ingest.ports import StripeFailure, StripeGateway, publish_update
from ingest.ratelimit import ClientRateLimiter, client_address
from ingest.verification import (
    Verification,
    holds_client_secret,
    plausible_client_secret,
    verify_checkout_session,
    verify_intent,
)
from servicekit.publishing import Publisher, PublishError

log = logging.getLogger("ingest.api")

ALLOWED_HEADERS = "Content-Type, Idempotency-Key"
PREFLIGHT_MAX_AGE = "600"
_INTENT_ID = re.compile(r"pi_[A-Za-z0-9]{1,250}")
_SESSION_ID = re.compile(r"cs_(?:test_|live_)?[A-Za-z0-9]{1,250}")

Answer = tuple[Response, int]


@dataclass(frozen=True)
class _Admitted:
    """An order past the key and gate checks: its Stripe idempotency key and its log fields."""

    key: str | None
    fields: dict[str, object]


def api_blueprint(
    config: IngestConfig,
    stripe: StripeGateway,
    publisher: Publisher,
    limiter: ClientRateLimiter,
    clock: Callable[[], float],
    gate: CreationGate | None = None,
) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix="/v1")
    allowed = frozenset(config.allowed_origins)

    @bp.before_request
    def guard() -> Answer | Response | None:
        origin = request.headers.get("Origin")
        # No Origin: not a browser page (curl, a server); CORS cannot apply and the rate limit does.
        if origin is not None and origin not in allowed:
            log.warning("origin refused", extra={"origin": origin[:200], "path": request.path})
            return jsonify({"error": "origin not allowed"}), 403
        if request.method == "OPTIONS":
            return _preflight()
        decision = limiter.check(_client() or "unknown")
        if not decision.allowed:
            response = jsonify({"error": "too many requests; try again shortly"})
            response.headers["Retry-After"] = str(decision.retry_after)
            return response, 429
        return None

    @bp.after_request
    def cors_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin is not None and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        # Answers differ per Origin: caches must not hand one origin's answer to another.
        response.vary.add("Origin")
        return response

    def admit(order: Order, started: float) -> _Admitted | Answer:
        """What both creation routes check after the order: the Idempotency-Key, then the gate."""
        key = idempotency_key(request.headers.get("Idempotency-Key"))
        if isinstance(key, Invalid):
            return _invalid(key)
        fields: dict[str, object] = {
            "product": order.product.product_id,
            "quantity": order.quantity,
            "amount": order.amount,
            "currency": order.currency,
            "idempotent": key is not None,
        }
        if gate is not None:
            refusal = gate.admit(_body_field("bot_token"), _client())
            if refusal is not None:
                return _refused(refusal, fields, started)
        return _Admitted(key, fields)

    @bp.post("/payment-intents")
    def create_payment_intent() -> Answer:
        started = time.perf_counter()
        body = request.get_json(silent=True)
        order = parse_order(body, config.catalog)
        if isinstance(order, Invalid):
            return _invalid(order)
        admitted = admit(order, started)
        if not isinstance(admitted, _Admitted):
            return admitted
        key, fields = admitted.key, admitted.fields
        try:
            reused = None
            previous = previous_attempt(body)
            if previous is not None:
                fields["previous_payment_intent_id"] = previous.payment_intent_id
                try:
                    found = stripe.retrieve_payment_intent(previous.payment_intent_id)
                except StripeFailure as exc:
                    if exc.kind != "not_found":
                        raise
                else:
                    reused = reuse(found, previous.client_secret, order)
            if reused is not None and reused.intent is not None:
                intent = reused.intent
                fields["customer_id"] = reused.customer_id
                fields["reused"] = "payment_intent"
            else:
                if reused is not None:
                    customer_id = reused.customer_id
                    fields["reused"] = "customer"
                else:
                    customer_id = stripe.create_customer(
                        order.first_name, order.email, namespaced("customer", key)
                    )
                fields["customer_id"] = customer_id
                intent = stripe.create_payment_intent(
                    amount=order.amount,
                    currency=order.currency,
                    customer_id=customer_id,
                    metadata=order.metadata(),
                    description=order.description,
                    idempotency_key=namespaced("payment_intent", key),
                )
        except StripeFailure as exc:
            return _stripe_failed(exc, "payment intent not created", fields, started)
        fields["payment_intent_id"] = intent.get("id")
        client_secret = intent.get("client_secret")
        if not isinstance(client_secret, str) or not isinstance(intent.get("id"), str):
            _log(
                logging.ERROR, "payment intent answer without id or client_secret", fields, started
            )
            return jsonify({"error": "the payment service gave an unexpected answer"}), 502
        _log(
            logging.INFO,
            "payment intent reused"
            if fields.get("reused") == "payment_intent"
            else "payment intent created",
            fields,
            started,
        )
        return jsonify(
            {
                "client_secret": client_secret,
                "payment_intent_id": intent["id"],
                # What Stripe will charge, echoed from Stripe itself, not from the request.
                "amount": intent.get("amount"),
                "currency": intent.get("currency"),
            }
        ), 200

    @bp.post("/checkout-sessions")
    def create_checkout_session() -> Answer:
        started = time.perf_counter()
        body = request.get_json(silent=True)
        order = parse_order(body, config.catalog)
        if isinstance(order, Invalid):
            return _invalid(order)
        # Checked before any Stripe call: a refused return_url creates nothing at Stripe.
        return_url = checkout_sessions.parse_return_url(
            body.get("return_url") if isinstance(body, dict) else None, config.allowed_origins
        )
        if isinstance(return_url, Invalid):
            return _invalid(return_url)
        admitted = admit(order, started)
        if not isinstance(admitted, _Admitted):
            return admitted
        key, fields = admitted.key, admitted.fields
        try:
            session = stripe.create_checkout_session(
                order,
                checkout_sessions.success_url(return_url),
                checkout_sessions.cancel_url(return_url),
                namespaced("checkout_session", key),
            )
        except StripeFailure as exc:
            return _stripe_failed(exc, "checkout session not created", fields, started)
        answer = checkout_sessions.session_answer(session)
        if answer is None:
            _log(logging.ERROR, "checkout session answer without id or url", fields, started)
            return jsonify({"error": "the payment service gave an unexpected answer"}), 502
        fields["checkout_session_id"] = answer["checkout_session_id"]
        _log(logging.INFO, "checkout session created", fields, started)
        return jsonify(answer), 200

    @bp.post("/payments/verify")
    def verify_payment() -> Answer:
        started = time.perf_counter()
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            body = {}
        intent_id = body.get("payment_intent_id")
        session_id = body.get("checkout_session_id")
        fields: dict[str, object] = {"payment_intent_id": None, "checkout_session_id": None}
        try:
            if isinstance(intent_id, str) and intent_id and session_id is None:
                if not _INTENT_ID.fullmatch(intent_id):
                    return _invalid(Invalid("payment_intent_id", "not a payment intent id (pi_…)"))
                fields["payment_intent_id"] = intent_id
                client_secret = body.get("client_secret")
                # Without the intent's own client secret the answer is an unknown id's, whether
                # or not the intent exists: verify is no oracle of status and amount, and
                # nobody else makes us publish.
                if not plausible_client_secret(intent_id, client_secret):
                    return _no_such_payment(fields, started, "client secret missing or malformed")
                intent = stripe.retrieve_payment_intent(intent_id)
                if not holds_client_secret(intent, str(client_secret)):
                    return _no_such_payment(fields, started, "client secret does not match")
                verification = verify_intent(intent, int(clock()))
            elif isinstance(session_id, str) and session_id and intent_id is None:
                if not _SESSION_ID.fullmatch(session_id):
                    return _invalid(
                        Invalid("checkout_session_id", "not a Checkout Session id (cs_…)")
                    )
                fields["checkout_session_id"] = session_id
                verification = verify_checkout_session(
                    stripe.retrieve_checkout_session(session_id), int(clock())
                )
            else:
                return _invalid(
                    Invalid(
                        "body",
                        "send {payment_intent_id, client_secret} or {checkout_session_id}",
                    )
                )
        except StripeFailure as exc:
            if exc.kind == "not_found":
                return _no_such_payment(fields, started, "unknown to Stripe")
            return _stripe_failed(exc, "verify failed", fields, started)
        return _publish_verification(verification, fields, started)

    def _publish_verification(
        verification: Verification, fields: dict[str, object], started: float
    ) -> Answer:
        fields.update(payment_intent_id=verification.payment_intent_id, status=verification.status)
        answer = verification.answer()
        update = verification.update
        if update is None:
            answer["recorded"] = False
            _log(logging.INFO, "verify: no outcome yet", fields, started)
            return jsonify(answer), 200
        fields["event_id"] = update.event_id
        try:
            fields["message_id"] = publish_update(publisher, update)
        except PublishError as exc:
            # The page's question is answered all the same; the webhook or reconcile records it.
            answer["recorded"] = False
            fields["detail"] = str(exc)
            _log(logging.ERROR, "verify: publish failed", fields, started)
            return jsonify(answer), 200
        answer["recorded"] = True
        _log(logging.INFO, "verify: published", fields, started)
        return jsonify(answer), 200

    return bp


def _body_field(name: str) -> object:
    body = request.get_json(silent=True)
    return body.get(name) if isinstance(body, dict) else None


def _client() -> str | None:
    address = client_address(request.headers.get("X-Forwarded-For"), request.remote_addr)
    return None if address == "unknown" else address


def _refused(refusal: Refusal, fields: dict[str, object], started: float) -> Answer:
    """A creation the gate refused: nothing was created at Stripe."""
    _log(logging.WARNING, "creation refused", {**fields, "reason": refusal.reason}, started)
    response = jsonify(
        {"error": refusal.error, "field": "bot_token"}
        if refusal.status == 403
        else {"error": refusal.error}
    )
    if refusal.retry_after is not None:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response, refusal.status


def _no_such_payment(fields: dict[str, object], started: float, reason: str) -> Answer:
    """One answer for an unknown id and for a known one asked without its capability."""
    _log(logging.INFO, "verify: no such payment", {**fields, "reason": reason}, started)
    return jsonify({"error": "no such payment"}), 404


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def _invalid(problem: Invalid) -> Answer:
    return jsonify({"error": problem.message, "field": problem.field}), 400


def _stripe_failed(
    exc: StripeFailure, what: str, fields: dict[str, object], started: float
) -> Answer:
    fields.update(
        stripe_error=exc.kind,
        stripe_code=exc.code,
        stripe_status=exc.http_status,
        stripe_request_id=exc.request_id,
    )
    if exc.kind == "card":
        # Stripe writes card messages for the customer to read ("Your card was declined.").
        _log(logging.INFO, f"{what}: card error", fields, started)
        return jsonify({"error": exc.message, "code": exc.code, "type": "card_error"}), 402
    if exc.kind == "idempotency":
        _log(logging.WARNING, f"{what}: idempotency key reused", fields, started)
        return jsonify(
            {
                "error": "this Idempotency-Key was already used for a different payment; use a new one"
            }
        ), 409
    if exc.retryable:
        _log(logging.WARNING, f"{what}: Stripe unavailable", fields, started, exc.message)
        response = jsonify({"error": "the payment service is unavailable; try again in a moment"})
        response.headers["Retry-After"] = "5"
        return response, 503
    # Our key, its permissions or our request are wrong: nothing the customer can fix.
    _log(logging.ERROR, f"{what}: Stripe refused the request", fields, started, exc.message)
    return jsonify(
        {"error": "the payment service refused the request; please try again later"}
    ), 502


def _log(
    level: int,
    message: str,
    fields: dict[str, object],
    started: float,
    detail: str | None = None,
) -> None:
    extra = {**fields, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    if detail:
        extra["detail"] = detail
    log.log(level, message, extra=extra)
