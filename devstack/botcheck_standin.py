"""A local stand-in of the bot checks' siteverify endpoints (Cloudflare Turnstile, Google
reCAPTCHA), as documented:
- https://developers.cloudflare.com/turnstile/get-started/server-side-validation/
- https://developers.google.com/recaptcha/docs/verify

POST /turnstile/v0/siteverify and POST /recaptcha/api/siteverify take `secret`, `response`,
`remoteip` (form-encoded; Turnstile also JSON) and answer JSON: `success`, `error-codes`
(missing-input-secret, invalid-input-secret, missing-input-response, invalid-input-response,
timeout-or-duplicate, bad-request), and on success `challenge_ts`, `hostname` (reCAPTCHA v3: a
`score`). A token is good once, for 300 s (Turnstile) or 120 s (reCAPTCHA).

Control (not the providers'): POST /_standin/tokens {"hostname"?, "score"?} issues a token, as the
widget on a page would after a visitor passed; GET /_standin/verifications counts the calls.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request

LIFETIME = {"turnstile": 300, "recaptcha": 120}


@dataclass
class _Token:
    provider: str
    issued: float
    hostname: str
    score: float | None
    spent: bool = False


def create_botcheck_standin(
    secret: str, clock: Callable[[], float] = time.time, hostname: str = "localhost"
) -> Flask:
    app = Flask("botcheck-standin")
    tokens: dict[str, _Token] = {}
    verifications: list[dict[str, Any]] = []
    lock = threading.Lock()

    def siteverify(provider: str) -> tuple[Response, int]:
        form: dict[str, Any] = dict(request.form)
        if not form and provider == "turnstile" and request.is_json:
            body = request.get_json(silent=True)
            form = body if isinstance(body, dict) else {}
        given_secret, token = form.get("secret"), form.get("response")
        with lock:
            verifications.append({"provider": provider, "remoteip": form.get("remoteip")})
            if not given_secret:
                return _failure("missing-input-secret")
            if given_secret != secret:
                return _failure("invalid-input-secret")
            if not token:
                return _failure("missing-input-response")
            issued = tokens.get(str(token))
            if issued is None or issued.provider != provider:
                return _failure("invalid-input-response")
            if issued.spent or clock() - issued.issued > LIFETIME[provider]:
                return _failure("timeout-or-duplicate")
            issued.spent = True
        answer: dict[str, Any] = {
            "success": True,
            "challenge_ts": datetime.fromtimestamp(issued.issued, UTC).isoformat(),
            "hostname": issued.hostname,
            "error-codes": [],
        }
        if provider == "recaptcha" and issued.score is not None:
            answer["score"] = issued.score
            answer["action"] = "payment"
        return jsonify(answer), 200

    @app.post("/turnstile/v0/siteverify")
    def turnstile() -> tuple[Response, int]:
        return siteverify("turnstile")

    @app.post("/recaptcha/api/siteverify")
    def recaptcha() -> tuple[Response, int]:
        return siteverify("recaptcha")

    @app.post("/_standin/tokens")
    def issue() -> Response:
        body = request.get_json(silent=True) or {}
        provider = str(body.get("provider", "turnstile"))
        token = f"{provider}-token-{secrets.token_urlsafe(24)}"
        score = body.get("score")
        with lock:
            tokens[token] = _Token(
                provider,
                clock(),
                str(body.get("hostname", hostname)),
                float(score) if isinstance(score, int | float) else None,
            )
        return jsonify({"token": token})

    @app.get("/_standin/verifications")
    def counted() -> Response:
        with lock:
            return jsonify({"verifications": list(verifications)})

    return app


def _failure(code: str) -> tuple[Response, int]:
    # Both providers answer 200 with success false; the error code says why.
    return jsonify({"success": False, "error-codes": [code]}), 200
