"""The Stripe stand-in's webhook endpoints beyond create: list, retrieve, update, delete.

As Stripe's API reference has them (https://docs.stripe.com/api/webhook_endpoints):
`GET /v1/webhook_endpoints` (a list, newest first, paged with `limit` / `starting_after` /
`ending_before`), `GET /v1/webhook_endpoints/{id}`, `POST /v1/webhook_endpoints/{id}` (`url`,
`enabled_events`, `disabled`, `description`, `metadata`) and `DELETE /v1/webhook_endpoints/{id}`.
`secret` is returned only at creation: never by these.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask, Response

from devstack.stripe_standin import (
    PERMISSIONS,
    StandinApi,
    StripeStandinError,
    list_page,
)

READ = "rak_webhook_read"
_LIST_PARAMS = {"limit", "starting_after", "ending_before", "expand"}
_RETRIEVE_PARAMS = {"expand"}
_UPDATE_PARAMS = {"url", "enabled_events", "disabled", "description", "metadata", "expand"}


def public(endpoint: dict[str, Any]) -> dict[str, Any]:
    """The endpoint as Stripe shows it after creation: without its signing secret."""
    shown = copy.deepcopy(endpoint)
    shown.pop("secret", None)
    return shown


def check_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events:
        raise StripeStandinError(
            400, "invalid_request_error", "Invalid array", param="enabled_events"
        )
    if not all(isinstance(e, str) and (e == "*" or "." in e) for e in events):
        raise StripeStandinError(
            400,
            "invalid_request_error",
            f"Invalid enabled_events: {events}",
            param="enabled_events",
        )
    return list(events)


def register(app: Flask, api: StandinApi) -> None:
    state = api.state

    def endpoint_of(endpoint_id: str) -> dict[str, Any]:
        endpoint = state.webhook_endpoints.get(endpoint_id)
        if endpoint is None:
            raise api.not_found("webhook_endpoint", endpoint_id, "webhook_endpoint")
        return endpoint

    @app.get("/v1/webhook_endpoints")
    def list_webhook_endpoints() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, READ)
            newest_first = sorted(
                state.webhook_endpoints.values(), key=lambda e: e["created"], reverse=True
            )
            return list_page(
                [public(e) for e in newest_first], p, "/v1/webhook_endpoints", "webhook_endpoint"
            )

        return api.handle(run, _LIST_PARAMS)

    @app.get("/v1/webhook_endpoints/<endpoint_id>")
    def retrieve_webhook_endpoint(endpoint_id: str) -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, READ)
            return public(endpoint_of(endpoint_id))

        return api.handle(run, _RETRIEVE_PARAMS)

    @app.post("/v1/webhook_endpoints/<endpoint_id>")
    def update_webhook_endpoint(endpoint_id: str) -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, PERMISSIONS["webhook_endpoints_write"])
            endpoint = endpoint_of(endpoint_id)
            if "url" in p:
                if not isinstance(p["url"], str) or not p["url"]:
                    raise StripeStandinError(
                        400, "invalid_request_error", "Invalid URL", param="url"
                    )
                endpoint["url"] = p["url"]
            if "enabled_events" in p:
                endpoint["enabled_events"] = check_events(p["enabled_events"])
            if "disabled" in p:
                if p["disabled"] not in ("true", "false"):
                    raise StripeStandinError(
                        400, "invalid_request_error", "Invalid boolean", param="disabled"
                    )
                endpoint["status"] = "disabled" if p["disabled"] == "true" else "enabled"
            if "description" in p:
                endpoint["description"] = p["description"] or None
            if "metadata" in p:
                metadata = p["metadata"]
                if metadata == "":
                    endpoint["metadata"] = {}
                elif isinstance(metadata, dict):
                    merged = {**endpoint["metadata"], **metadata}
                    endpoint["metadata"] = {k: v for k, v in merged.items() if v != ""}
                else:
                    raise StripeStandinError(
                        400, "invalid_request_error", "Invalid hash", param="metadata"
                    )
            return public(endpoint)

        return api.handle(run, _UPDATE_PARAMS)

    @app.delete("/v1/webhook_endpoints/<endpoint_id>")
    def delete_webhook_endpoint(endpoint_id: str) -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, PERMISSIONS["webhook_endpoints_write"])
            endpoint_of(endpoint_id)
            del state.webhook_endpoints[endpoint_id]
            return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

        return api.handle(run, set())
