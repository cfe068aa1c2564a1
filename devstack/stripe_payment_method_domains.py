"""The Stripe stand-in's payment method domains: create, list, retrieve.

As Stripe's API reference has them (https://docs.stripe.com/api/payment_method_domains):
`POST /v1/payment_method_domains` (`domain_name`, `enabled`), `GET /v1/payment_method_domains`
(filters `domain_name`, `enabled`; paged) and `GET /v1/payment_method_domains/{id}`. Each
wallet's `status` is `active`: in test mode Stripe does not ask for Apple's association file.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from devstack.stripe_fixtures import new_id
from devstack.stripe_standin import StandinApi, StripeStandinError, list_page

READ = "rak_payment_method_domains_read"
WRITE = "rak_payment_method_domains_write"
_CREATE_PARAMS = {"domain_name", "enabled", "expand"}
_LIST_PARAMS = {"domain_name", "enabled", "limit", "starting_after", "ending_before", "expand"}
WALLETS = ("amazon_pay", "apple_pay", "google_pay", "klarna", "link", "paypal")


def _boolean(raw: Any, param: str) -> bool:
    if raw not in ("true", "false"):
        raise StripeStandinError(400, "invalid_request_error", "Invalid boolean", param=param)
    return bool(raw == "true")


def register(app: Flask, api: StandinApi) -> None:
    state = api.state

    @app.post("/v1/payment_method_domains")
    def create_payment_method_domain() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, WRITE)
            name = p.get("domain_name")
            if not name:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    "Missing required param: domain_name.",
                    code="parameter_missing",
                    param="domain_name",
                )
            enabled = _boolean(p["enabled"], "enabled") if "enabled" in p else True
            domain_id = new_id("pmd")
            domain: dict[str, Any] = {
                "id": domain_id,
                "object": "payment_method_domain",
                **{wallet: {"status": "active"} for wallet in WALLETS},
                "created": api.now(),
                "domain_name": str(name).lower(),
                "enabled": enabled,
                "livemode": False,
            }
            state.payment_method_domains[domain_id] = domain
            return dict(domain)

        return api.handle(run, _CREATE_PARAMS)

    @app.get("/v1/payment_method_domains")
    def list_payment_method_domains() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, READ)
            found = sorted(
                state.payment_method_domains.values(), key=lambda d: d["created"], reverse=True
            )
            if "domain_name" in p:
                found = [d for d in found if d["domain_name"] == str(p["domain_name"]).lower()]
            if "enabled" in p:
                wanted = _boolean(p["enabled"], "enabled")
                found = [d for d in found if d["enabled"] == wanted]
            return list_page(found, p, "/v1/payment_method_domains", "payment_method_domain")

        return api.handle(run, _LIST_PARAMS)

    @app.get("/v1/payment_method_domains/<domain_id>")
    def retrieve_payment_method_domain(domain_id: str) -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            api.require(key, READ)
            domain = state.payment_method_domains.get(domain_id)
            if domain is None:
                raise api.not_found("payment_method_domain", domain_id, "payment_method_domain")
            return dict(domain)

        return api.handle(run, {"expand"})
