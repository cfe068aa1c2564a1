"""`StripeAdmin`: ingest's Stripe client plus the calls doctor and smoke make.

ingest's StripeApiGateway (pinned API version, timeouts, retries, STRIPE_API_BASE, failures as
StripeFailure), extended rather than copied; objects come back as plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe

from ingest.ports import StripeFailure
from ingest.stripe_client import StripeApiGateway, _failure

# A read of an object that does not exist answers 404 when the key may read that resource and
# 403 when it may not; a create missing its required parameter answers 400 or 403 alike. So each
# call the product makes is probed without creating anything.
PROBE_ID = "bridge_doctor_probe"


class StripeAdmin(StripeApiGateway):
    def recent_events(
        self, types: list[str], created_gte: int, undelivered: bool
    ) -> list[dict[str, Any]]:
        params: Any = {"types": types, "created": {"gte": created_gte}, "limit": 100}
        if undelivered:
            params["delivery_success"] = False
        page = self._call(lambda: self._client.v1.events.list(params=params))
        data: list[dict[str, Any]] = page.get("data") or []
        return data

    def webhook_endpoints(self) -> list[dict[str, Any]]:
        return self._all(lambda p: self._client.v1.webhook_endpoints.list(params=p))

    def payment_method_domains(self) -> list[dict[str, Any]]:
        return self._all(lambda p: self._client.v1.payment_method_domains.list(params=p))

    def probe_permissions(self) -> dict[str, str]:
        """Each call ingest makes -> why Stripe refused it (absent: allowed)."""
        invalid_metadata: Any = {"metadata": "not-a-hash"}
        no_amount: Any = {}  # a create missing its required parameters
        probes: dict[str, Callable[[], Any]] = {
            "create customers": lambda: self._client.v1.customers.create(params=invalid_metadata),
            "create payment intents": lambda: self._client.v1.payment_intents.create(
                params=no_amount
            ),
            "read payment intents and charges": lambda: self._client.v1.payment_intents.retrieve(
                f"pi_{PROBE_ID}", params={"expand": ["latest_charge"]}
            ),
            "create checkout sessions": lambda: self._client.v1.checkout.sessions.create(
                params=no_amount
            ),
            "read checkout sessions": lambda: self._client.v1.checkout.sessions.retrieve(
                f"cs_{PROBE_ID}"
            ),
            "list events": lambda: self._client.v1.events.list(params={"limit": 1}),
        }
        denied: dict[str, str] = {}
        for call, probe in probes.items():
            try:
                probe()
            except stripe.PermissionError as exc:
                denied[call] = exc.user_message or str(exc)
            except stripe.InvalidRequestError:
                pass  # 400/404: past the permission check
            except stripe.StripeError as exc:
                raise _failure(exc) from exc
        return denied

    def create_payment_method_domain(self, domain: str) -> dict[str, Any]:
        return self._call(
            lambda: self._client.v1.payment_method_domains.create(params={"domain_name": domain})
        )

    def confirm(
        self, payment_intent_id: str, payment_method: str, return_url: str
    ) -> dict[str, Any]:
        return self._call(
            lambda: self._client.v1.payment_intents.confirm(
                payment_intent_id,
                params={"payment_method": payment_method, "return_url": return_url},
            )
        )

    def _all(self, lister: Callable[[Any], Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self._call(lambda query=params: lister(query))
            data = page.get("data") or []
            found.extend(data)
            if not page.get("has_more") or not data:
                return found
            params = {**params, "starting_after": data[-1]["id"]}


__all__ = ["StripeAdmin", "StripeFailure"]
