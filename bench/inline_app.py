"""Bench only, not the product: the webhook as simple integrations write it, for comparison.

It verifies the signature and normalizes exactly as ingest does, then reads the Wix item,
merges and saves it inside the webhook request, and answers Stripe only when Wix has answered
(500 if Wix failed, so Stripe retries later). Served under the same gunicorn settings as ingest,
against the same Wix stand-in, so the only difference measured is where the Wix call happens.
"""

from __future__ import annotations

import json
import time

from flask import Flask, Response, jsonify, request

from ingest.normalize import Ignored, MalformedEvent, normalize_event
from ingest.signature import SignatureError, verify
from servicekit.settings import Env
from writer.apply import apply_update
from writer.config import WriterConfig
from writer.ports import Collection
from writer.wix import WixCollection, WixError


def create_inline_app(secret: str, collection: Collection) -> Flask:
    app = Flask("inline_wix")

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": "inline-wix"})

    @app.post("/webhooks/stripe")
    def webhook() -> tuple[Response, int]:
        body = request.get_data(cache=False)
        try:
            verify(body, request.headers.get("Stripe-Signature"), [secret], time.time())
            result = normalize_event(json.loads(body))
        except (SignatureError, MalformedEvent, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400
        if isinstance(result, Ignored):
            return jsonify({"outcome": "ignored"}), 200
        try:
            applied = apply_update(collection, result)
        except WixError as exc:
            return jsonify({"error": f"Wix: {exc}"}), 500
        return jsonify({"outcome": applied.action}), 200

    return app


def create_inline_app_from_env() -> Flask:
    config = WriterConfig.from_env(need_push=False, need_pubsub=False)
    collection = WixCollection.from_config(config)
    return create_inline_app(Env().required("STRIPE_WEBHOOK_SECRET", "signing secret"), collection)
