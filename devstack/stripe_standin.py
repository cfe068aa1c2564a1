"""A local stand-in for the parts of Stripe's API ingest calls, in Stripe's documented wire format.

Form-encoded bodies and queries in Stripe's bracket notation (`metadata[first_name]=Ada`,
`expand[]=x` or `expand[0]=x`), `Authorization: Bearer sk_…|rk_…` (or Basic with the key as
user), JSON answers, errors as `{"error": {"type", "code", "message", "param"}}` with Stripe's
status codes (400, 401, 402, 403, 404, 429, 5xx), unknown parameters refused, lists as
`{"object": "list", "data", "has_more", "url"}` paged with `limit` / `starting_after`, newest
first. `Idempotency-Key` on POST: the same key with the same parameters replays the saved answer
(`Idempotent-Replayed: true`); with other parameters or another endpoint it is refused with
400 `idempotency_error`, as Stripe does. Like Stripe, answers to requests that never began
executing (injected 5xx, 429, authentication and validation errors) are not saved.

Endpoints: POST /v1/customers, POST /v1/payment_intents, GET /v1/payment_intents/{id},
GET /v1/checkout/sessions/{id}, GET /v1/events, POST /v1/webhook_endpoints; POST
/v1/checkout/sessions and its payment controls live in devstack/stripe_checkout_sessions.py; in
modules of their own too: the rest of webhook endpoints, payment method domains, confirming a
PaymentIntent with a test payment method, the signed delivery of events to webhook endpoints, and
listing PaymentIntents (and seeding past payments: devstack/stripe_payment_intents_list.py).

Controls (not Stripe), under /_standin/: settle a PaymentIntent (`payment_intents/{id}/outcome`:
succeeded, failed, processing, canceled, with the events Stripe would emit), create a paid
Checkout Session (`checkout_sessions`), seed events (`events`), inject failures (`faults`),
restrict `rk_` keys (`restricted_keys`), and read what happened (`state`, `requests`).
State is in memory: run it with one worker (threads are fine).
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, jsonify, request

from devstack.request_log import install_request_log
from devstack.stripe_fixtures import new_id
from servicekit.settings import Env

ACCOUNT = "acct_standin"
_KEY = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9_]+")
_PART = re.compile(r"\[([^\]]*)\]")
_NAME = re.compile(r"([^\[]+)((?:\[[^\]]*\])*)")

# Top-level parameters each endpoint accepts; anything else is `parameter_unknown`, as Stripe says.
_CUSTOMER_PARAMS = {"name", "email", "description", "metadata", "phone", "expand"}
_INTENT_PARAMS = {
    "amount",
    "currency",
    "customer",
    "automatic_payment_methods",
    "payment_method_types",
    "metadata",
    "description",
    "receipt_email",
    "statement_descriptor_suffix",
    "expand",
}
_RETRIEVE_PARAMS = {"expand"}
_EVENT_LIST_PARAMS = {
    "types",
    "type",
    "created",
    "limit",
    "starting_after",
    "ending_before",
    "delivery_success",
    "expand",
}
_WEBHOOK_PARAMS = {
    "url",
    "enabled_events",
    "api_version",
    "description",
    "metadata",
    "connect",
    "expand",
}

# What each call needs from a restricted key (Dashboard: resource -> Read / Write).
PERMISSIONS = {
    "customers": "rak_customer_write",
    "payment_intents_write": "rak_payment_intent_write",
    "payment_intents_read": "rak_payment_intent_read",
    "charges_read": "rak_charge_read",
    "checkout_sessions_read": "rak_checkout_session_read",
    "events_read": "rak_event_read",
    "webhook_endpoints_write": "rak_webhook_write",
}
# A write permission includes the read of the same resource, as in the Dashboard.
_IMPLIED = {
    "rak_payment_intent_write": {"rak_payment_intent_read"},
    "rak_customer_write": {"rak_customer_read"},
    "rak_charge_write": {"rak_charge_read"},
    "rak_checkout_session_write": {"rak_checkout_session_read"},
    "rak_webhook_write": {"rak_webhook_read"},
}


@dataclass(frozen=True)
class StandinApi:
    """What a resource in a module of its own needs from the stand-in (see register())."""

    state: _State
    handle: Callable[[Callable[[str, dict[str, Any]], dict[str, Any]], set[str]], Response]
    require: Callable[..., None]
    not_found: Callable[[str, str, str], StripeStandinError]
    now: Callable[[], int]


class StripeStandinError(Exception):
    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        code: str | None = None,
        param: str | None = None,
        extra: Mapping[str, Any] | None = None,
        saved: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": error_type, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.body.update(extra or {})
        # Whether Stripe would have saved this answer for the idempotency key.
        self.saved = saved


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation -> nested dicts and lists.

    `a[b][c]=1` -> {"a": {"b": {"c": "1"}}}; `a[]=x&a[]=y` and `a[0]=x&a[1]=y` -> {"a": ["x", "y"]}.
    """
    result: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _NAME.fullmatch(raw_key)
        if not match:
            raise StripeStandinError(
                400, "invalid_request_error", f"Invalid parameter name: {raw_key}"
            )
        parts = [match.group(1), *_PART.findall(match.group(2))]
        container: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = "" if last else parts[index + 1]
            child: Any = value if last else ([] if following == "" or following.isdigit() else {})
            if isinstance(container, list):
                if part == "":
                    container.append(child)
                    container = child
                    continue
                position = int(part)
                while len(container) <= position:
                    container.append(None)
                if container[position] is None or last:
                    container[position] = child
                container = container[position]
                continue
            if last:
                container[part] = value
            else:
                existing = container.get(part)
                if not isinstance(existing, dict | list):
                    container[part] = child
                container = container[part]
    return result


class _State:
    def __init__(self, restricted_keys: Mapping[str, Iterable[str]]) -> None:
        self.lock = threading.RLock()
        # Called with each new event, under the lock (webhook delivery).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.reset(restricted_keys)

    def reset(self, restricted_keys: Mapping[str, Iterable[str]]) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.webhook_endpoints: dict[str, dict[str, Any]] = {}
        self.payment_method_domains: dict[str, dict[str, Any]] = {}
        self.undelivered: set[str] = set()  # events a webhook delivery of failed at least once
        self.idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.restricted: dict[str, set[str]] = {k: set(v) for k, v in restricted_keys.items()}

    def lookup(self, object_id: str) -> dict[str, Any] | None:
        for prefix, table in (
            ("pi_", self.intents),
            ("ch_", self.charges),
            ("cus_", self.customers),
            ("cs_", self.sessions),
        ):
            if object_id.startswith(prefix):
                return table.get(object_id)
        return None

    def emit(self, event_type: str, obj: dict[str, Any], created: int | None = None) -> None:
        self.events.append(
            {
                "id": new_id("evt"),
                "object": "event",
                "api_version": request.headers.get("Stripe-Version") or "2025-09-30.clover",
                "created": created if created is not None else int(time.time()),
                "data": {"object": copy.deepcopy(obj)},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )
        for listener in self.listeners:
            listener(self.events[-1])


def create_stripe_standin(
    api_keys: Iterable[str] = (),
    restricted_keys: Mapping[str, Iterable[str]] | None = None,
    clock: Callable[[], float] = time.time,
) -> Flask:
    """`api_keys`: when given, only these keys are accepted (else any well-formed key).
    `restricted_keys`: rk_ key -> its permissions (`rak_…`); other keys may do everything."""
    app = Flask("stripe-standin")
    accepted = frozenset(api_keys)
    state = _State(restricted_keys or {})

    def now() -> int:
        return int(clock())

    # --- plumbing -------------------------------------------------------------------------
    def api_key() -> str:
        header = request.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header.removeprefix("Bearer ").strip()
        elif header.startswith("Basic "):
            try:
                key = base64.b64decode(header.removeprefix("Basic ")).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key:
            raise StripeStandinError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        if not _KEY.fullmatch(key) or (accepted and key not in accepted):
            raise StripeStandinError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {key[:8]}{'*' * 12}{key[-4:]}",
            )
        return key

    def require(key: str, *permissions: str) -> None:
        granted = state.restricted.get(key)
        if granted is None:
            return
        effective = set(granted)
        for permission in granted:
            effective |= _IMPLIED.get(permission, set())
        for permission in permissions:
            if permission not in effective:
                raise StripeStandinError(
                    403,
                    "invalid_request_error",
                    f"The provided key '{key[:8]}***{key[-4:]}' does not have the required "
                    f"permissions for this endpoint on account '{ACCOUNT}'. Having the "
                    f"'{permission}' permission would allow this request to continue.",
                )

    def params(allowed: set[str]) -> dict[str, Any]:
        if request.method == "GET":
            pairs = parse_qsl(request.query_string.decode(), keep_blank_values=True)
        else:
            content_type = request.headers.get("Content-Type", "")
            body = request.get_data(as_text=True)
            if body and "application/x-www-form-urlencoded" not in content_type:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    "Invalid request: request body must be application/x-www-form-urlencoded",
                )
            pairs = parse_qsl(body, keep_blank_values=True)
        decoded = decode_form(pairs)
        for name in decoded:
            if name not in allowed:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    f"Received unknown parameter: {name}",
                    code="parameter_unknown",
                    param=name,
                )
        return decoded

    def injected_fault() -> dict[str, Any] | None:
        for fault in state.faults:
            if fault.get("method") and fault["method"] != request.method:
                continue
            if fault.get("path") and not request.path.startswith(fault["path"]):
                continue
            fault["times"] = int(fault.get("times", 1)) - 1
            if fault["times"] <= 0:
                state.faults.remove(fault)
            return fault
        return None

    def error_response(exc: StripeStandinError) -> Response:
        response = jsonify({"error": exc.body})
        response.status_code = exc.status
        return response

    def handle(
        handler: Callable[[str, dict[str, Any]], dict[str, Any]],
        allowed: set[str],
    ) -> Response:
        """Auth, faults, idempotency and error shape around one endpoint."""
        with state.lock:
            record: dict[str, Any] = {
                "method": request.method,
                "path": request.path,
                "idempotency_key": request.headers.get("Idempotency-Key"),
                "stripe_version": request.headers.get("Stripe-Version"),
                "replayed": False,
                "request_id": new_id("req"),
                # checked against stripe-python's params (tests/unit/test_stripe_standin_types.py)
                "accepts": sorted(allowed),
            }
            state.requests.append(record)
            response = _handle_locked(handler, allowed, record)
            response.headers["Request-Id"] = record["request_id"]
            record["status"] = response.status_code
            return response

    def _handle_locked(
        handler: Callable[[str, dict[str, Any]], dict[str, Any]],
        allowed: set[str],
        record: dict[str, Any],
    ) -> Response:
        try:
            key = api_key()
            decoded = params(allowed)
        except StripeStandinError as exc:
            return error_response(exc)
        record["params"] = decoded
        idem = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        fingerprint = {"method": request.method, "path": request.path, "params": decoded}
        if idem:
            if len(idem) > 255:
                return error_response(
                    StripeStandinError(
                        400,
                        "invalid_request_error",
                        "Idempotency-Key must be at most 255 characters",
                    )
                )
            saved = state.idempotency.get((key, idem))
            if saved is not None:
                if saved["fingerprint"] != fingerprint:
                    return error_response(
                        StripeStandinError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{idem}' if you meant to execute a different request.",
                        )
                    )
                record["replayed"] = True
                response = jsonify(saved["body"])
                response.status_code = saved["status"]
                response.headers["Idempotent-Replayed"] = "true"
                response.headers["Original-Request"] = saved["request_id"]
                return response
        fault = injected_fault()
        try:
            if fault is not None:
                raise _fault_error(fault)
            body = handler(key, decoded)
            status = 200
        except StripeStandinError as exc:
            if not (idem and exc.saved):
                return error_response(exc)
            body, status = {"error": exc.body}, exc.status
        if idem:
            state.idempotency[(key, idem)] = {
                "fingerprint": fingerprint,
                "body": body,
                "status": status,
                # A replay names the request that was answered first.
                "request_id": record["request_id"],
            }
        response = jsonify(body)
        response.status_code = status
        return response

    def expand(obj: dict[str, Any], paths: Iterable[str], allowed_paths: set[str]) -> None:
        for path in paths:
            if path not in allowed_paths:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    f"This property cannot be expanded ({path}).",
                    param="expand",
                )
            target: Any = obj
            parts = path.split(".")
            for index, part in enumerate(parts):
                if not isinstance(target, dict):
                    break
                value = target.get(part)
                if isinstance(value, str):
                    found = state.lookup(value)
                    if found is not None:
                        value = copy.deepcopy(found)
                        target[part] = value
                if index < len(parts) - 1:
                    target = value

    def expand_list(raw: Any) -> list[str]:
        if raw is None:
            return []
        if isinstance(raw, str):
            return [raw]
        if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
            return list(raw)
        raise StripeStandinError(400, "invalid_request_error", "Invalid array", param="expand")

    def not_found(kind: str, object_id: str, param: str) -> StripeStandinError:
        return StripeStandinError(
            404,
            "invalid_request_error",
            f"No such {kind}: '{object_id}'",
            code="resource_missing",
            param=param,
        )

    # --- Stripe endpoints -----------------------------------------------------------------
    @app.post("/v1/customers")
    def create_customer() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["customers"])
            metadata = p.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise StripeStandinError(
                    400, "invalid_request_error", "Invalid hash", param="metadata"
                )
            customer = _customer(
                now(),
                email=p.get("email"),
                name=p.get("name"),
                description=p.get("description"),
                metadata=metadata,
                phone=p.get("phone"),
            )
            state.customers[customer["id"]] = customer
            state.emit("customer.created", customer, now())
            return customer

        return handle(run, _CUSTOMER_PARAMS)

    @app.post("/v1/payment_intents")
    def create_payment_intent() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["payment_intents_write"])
            amount = _required_int(p, "amount")
            currency = p.get("currency")
            if not currency:
                raise _missing("currency")
            if not isinstance(currency, str) or not re.fullmatch(r"[a-zA-Z]{3}", currency):
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    f"Invalid currency: {currency}. Stripe currently supports these currencies: …",
                    param="currency",
                )
            if currency.lower() == "usd" and amount < 50:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    "Amount must be at least $0.50 usd",
                    code="amount_too_small",
                    param="amount",
                )
            customer = p.get("customer")
            if customer is not None and customer not in state.customers:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    f"No such customer: '{customer}'",
                    code="resource_missing",
                    param="customer",
                )
            automatic = p.get("automatic_payment_methods") or {}
            enabled = isinstance(automatic, dict) and automatic.get("enabled") == "true"
            intent = _intent(
                amount,
                currency.lower(),
                customer,
                p.get("metadata") or {},
                p.get("description"),
                enabled,
                now(),
            )
            state.intents[intent["id"]] = intent
            state.emit("payment_intent.created", intent, now())
            return copy.deepcopy(intent)

        return handle(run, _INTENT_PARAMS)

    @app.get("/v1/payment_intents/<intent_id>")
    def retrieve_payment_intent(intent_id: str) -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["payment_intents_read"])
            paths = expand_list(p.get("expand"))
            if "latest_charge" in paths:
                require(key, PERMISSIONS["charges_read"])
            intent = state.intents.get(intent_id)
            if intent is None:
                raise not_found("payment_intent", intent_id, "intent")
            obj = copy.deepcopy(intent)
            expand(obj, paths, {"latest_charge", "customer", "payment_method"})
            return obj

        return handle(run, _RETRIEVE_PARAMS)

    @app.get("/v1/checkout/sessions/<session_id>")
    def retrieve_checkout_session(session_id: str) -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["checkout_sessions_read"])
            paths = expand_list(p.get("expand"))
            if any(path.startswith("payment_intent") for path in paths):
                require(key, PERMISSIONS["payment_intents_read"])
            if "payment_intent.latest_charge" in paths:
                require(key, PERMISSIONS["charges_read"])
            session = state.sessions.get(session_id)
            if session is None:
                raise not_found("checkout.session", session_id, "session")
            obj = copy.deepcopy(session)
            expand(obj, paths, {"payment_intent", "payment_intent.latest_charge", "customer"})
            return obj

        return handle(run, _RETRIEVE_PARAMS)

    @app.get("/v1/events")
    def list_events() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["events_read"])
            events = sorted(enumerate(state.events), key=lambda pair: (pair[1]["created"], pair[0]))
            newest_first = [e for _, e in reversed(events)]
            types = p.get("types")
            if types is not None:
                if not isinstance(types, list):
                    raise StripeStandinError(
                        400, "invalid_request_error", "Invalid array", param="types"
                    )
                if len(types) > 20:
                    raise StripeStandinError(
                        400,
                        "invalid_request_error",
                        "You may pass at most 20 event types",
                        param="types",
                    )
                newest_first = [e for e in newest_first if e["type"] in types]
            single = p.get("type")
            if isinstance(single, str):
                pattern = re.compile(re.escape(single).replace(r"\*", ".*"))
                newest_first = [e for e in newest_first if pattern.fullmatch(e["type"])]
            newest_first = [e for e in newest_first if _created_matches(e["created"], p)]
            if p.get("delivery_success") in ("true", "false"):
                failed = p["delivery_success"] == "false"
                newest_first = [e for e in newest_first if (e["id"] in state.undelivered) == failed]
            limit = _limit(p.get("limit"))
            after = p.get("starting_after")
            if isinstance(after, str):
                ids = [e["id"] for e in newest_first]
                if after not in ids:
                    raise not_found("event", after, "starting_after")
                newest_first = newest_first[ids.index(after) + 1 :]
            page = newest_first[:limit]
            return {
                "object": "list",
                "data": page,
                "has_more": len(newest_first) > limit,
                "url": "/v1/events",
            }

        return handle(run, _EVENT_LIST_PARAMS)

    @app.post("/v1/webhook_endpoints")
    def create_webhook_endpoint() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["webhook_endpoints_write"])
            url = p.get("url")
            if not url:
                raise _missing("url")
            events = p.get("enabled_events")
            if not events:
                raise _missing("enabled_events")
            if not isinstance(events, list) or not all(
                isinstance(e, str) and (e == "*" or "." in e) for e in events
            ):
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    f"Invalid enabled_events: {events}",
                    param="enabled_events",
                )
            endpoint = {
                "id": new_id("we"),
                "object": "webhook_endpoint",
                "api_version": p.get("api_version"),
                "application": None,
                "created": now(),
                "description": p.get("description"),
                "enabled_events": events,
                "livemode": False,
                "metadata": p.get("metadata") or {},
                "secret": f"whsec_{secrets.token_hex(16)}",
                "status": "enabled",
                "url": url,
            }
            state.webhook_endpoints[endpoint["id"]] = endpoint
            return endpoint

        return handle(run, _WEBHOOK_PARAMS)

    from devstack import (
        stripe_payment_intent_confirm,
        stripe_payment_method_domains,
        stripe_webhook_delivery,
        stripe_webhook_endpoints,
    )

    api = StandinApi(state, handle, require, not_found, now)
    for module in (
        stripe_webhook_endpoints,
        stripe_payment_method_domains,
        stripe_payment_intent_confirm,
        stripe_webhook_delivery,
    ):
        module.register(app, api)

    @app.route("/v1/<path:rest>", methods=["GET", "POST", "DELETE"])
    def unknown(rest: str) -> Response:
        return error_response(
            StripeStandinError(
                404,
                "invalid_request_error",
                f"Unrecognized request URL ({request.method}: /v1/{rest}).",
            )
        )

    # --- stand-in controls (not Stripe) ---------------------------------------------------
    @app.post("/_standin/payment_intents/<intent_id>/outcome")
    def settle(intent_id: str) -> Response | tuple[Response, int]:
        spec = request.get_json(silent=True) or {}
        with state.lock:
            intent = state.intents.get(intent_id)
            if intent is None:
                return jsonify({"error": f"no payment intent {intent_id}"}), 404
            _settle(state, intent, spec, now())
            return jsonify(copy.deepcopy(intent))

    @app.post("/_standin/checkout_sessions")
    def create_session() -> Response:
        """A Payment Link's session: its own PaymentIntent (no metadata), settled as asked."""
        spec = request.get_json(silent=True) or {}
        with state.lock:
            created = now()
            customer = spec.get("customer")
            intent = _intent(
                int(spec.get("amount", 1999)),
                str(spec.get("currency", "usd")),
                customer,
                {},
                None,
                True,
                created,
            )
            state.intents[intent["id"]] = intent
            outcome = spec.get("outcome", "succeeded")
            details = spec.get(
                "customer_details", {"email": "ada@example.com", "name": "Ada Lovelace"}
            )
            if outcome:
                # Checkout collects the billing name with the payment: the charge carries it.
                settle_spec = {"billing_name": details.get("name"), **spec, "status": outcome}
                _settle(state, intent, settle_spec, created)
            paid = intent["status"] == "succeeded"
            session = {
                "id": f"cs_test_{secrets.token_hex(24)}",
                "object": "checkout.session",
                "amount_subtotal": intent["amount"],
                "amount_total": intent["amount"],
                "created": created,
                "currency": intent["currency"],
                "customer": customer,
                "customer_details": details,
                "livemode": False,
                "metadata": {},
                "mode": "payment",
                "payment_intent": intent["id"] if outcome else None,
                "payment_link": spec.get("payment_link", new_id("plink")),
                "payment_status": "paid" if paid else "unpaid",
                "status": "complete" if paid else "open",
                "url": None,
            }
            state.sessions[session["id"]] = session
            return jsonify(session)

    @app.post("/_standin/events")
    def seed_events() -> Response:
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.events.extend(body.get("events") or [])
            return jsonify({"events": len(state.events)})

    @app.post("/_standin/faults")
    def add_fault() -> Response:
        """{"status": 500 | 402 | 429 …, "method"?, "path"? (prefix), "times"? (default 1),
        "error"? ({type, code, decline_code, message}: defaults per status)}."""
        fault = request.get_json(silent=True) or {}
        with state.lock:
            state.faults.append(fault)
            return jsonify({"faults": len(state.faults)})

    @app.post("/_standin/restricted_keys")
    def restrict() -> Response:
        body = request.get_json(silent=True) or {}
        with state.lock:
            for key, permissions in body.items():
                state.restricted[key] = set(permissions)
            return jsonify({k: sorted(v) for k, v in state.restricted.items()})

    @app.get("/_standin/state")
    def dump_state() -> Response:
        with state.lock:
            return jsonify(
                {
                    "customers": list(state.customers.values()),
                    "payment_intents": list(state.intents.values()),
                    "checkout_sessions": list(state.sessions.values()),
                    "webhook_endpoints": list(state.webhook_endpoints.values()),
                    "events": len(state.events),
                }
            )

    @app.get("/_standin/requests")
    def dump_requests() -> Response:
        with state.lock:
            return jsonify(state.requests)

    @app.post("/_standin/reset")
    def reset() -> Response:
        with state.lock:
            state.reset({})
            return jsonify({"reset": True})

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": "stripe-standin"})

    from devstack.stripe_checkout_sessions import register_checkout_sessions

    register_checkout_sessions(app, state, handle, require, now)

    from devstack.stripe_payment_intents_list import register_payment_intent_list

    register_payment_intent_list(app, state, handle, require, expand, expand_list)
    return app


def _customer(
    created: int,
    email: Any,
    name: Any,
    description: Any = None,
    metadata: dict[str, Any] | None = None,
    phone: Any = None,
) -> dict[str, Any]:
    """A Customer object as Stripe answers it (https://docs.stripe.com/api/customers/object)."""
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "description": description,
        "email": email,
        "livemode": False,
        "metadata": {} if metadata is None else metadata,
        "name": name,
        "phone": phone,
    }


def _intent(
    amount: int,
    currency: str,
    customer: str | None,
    metadata: dict[str, Any],
    description: str | None,
    automatic: bool,
    created: int,
) -> dict[str, Any]:
    intent_id = new_id("pi")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True}
        if automatic
        else None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "payment_method": None,
        "payment_method_types": ["card", "link"] if automatic else ["card"],
        "status": "requires_payment_method",
    }


def _method_details(spec: Mapping[str, Any]) -> dict[str, Any]:
    method = spec.get("method", "card")
    if method in ("card", "apple_pay", "google_pay"):
        wallet = None if method == "card" else {"type": method, method: {}}
        return {
            "type": "card",
            "card": {
                "brand": spec.get("brand", "visa"),
                "country": "US",
                "exp_month": 12,
                "exp_year": 2030,
                "funding": "credit",
                "last4": spec.get("last4", "4242"),
                "network": spec.get("brand", "visa"),
                "wallet": wallet,
            },
        }
    return {"type": method, method: {}}


def _payment_method_fields(details: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod's card says `networks` ({available, preferred}) where the charge's
    payment_method_details.card says `network`."""
    fields = copy.deepcopy(details)
    card = fields.get("card")
    if isinstance(card, dict) and "network" in card:
        card["networks"] = {"available": [card.pop("network")], "preferred": None}
    return fields


def _settle(state: _State, intent: dict[str, Any], spec: Mapping[str, Any], at: int) -> None:
    """Move a PaymentIntent to an outcome and record the events Stripe would send for it."""
    outcome = spec.get("status", "succeeded")
    details = _method_details(spec)
    customer = state.customers.get(intent["customer"] or "")
    billing_name = spec.get("billing_name", (customer or {}).get("name") or "Ada Lovelace")
    charge_status = {"succeeded": "succeeded", "failed": "failed", "processing": "pending"}.get(
        outcome
    )
    charge: dict[str, Any] | None = None
    if charge_status:
        failed = charge_status == "failed"
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if charge_status == "succeeded" else 0,
            "amount_refunded": 0,
            "billing_details": {"email": None, "name": billing_name, "phone": None},
            "captured": charge_status == "succeeded",
            "created": at,
            "currency": intent["currency"],
            "customer": intent["customer"],
            "failure_code": "card_declined" if failed else None,
            "failure_message": spec.get("failure_message", "Your card was declined.")
            if failed
            else None,
            "livemode": False,
            # A PaymentIntent's charges carry its metadata (as the fixtures' charges do).
            "metadata": copy.deepcopy(intent["metadata"]),
            "paid": charge_status == "succeeded",
            "payment_intent": intent["id"],
            "payment_method": new_id("pm"),
            "payment_method_details": details,
            "refunded": False,
            "status": charge_status,
        }
        state.charges[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        intent["payment_method"] = charge["payment_method"]
    if outcome == "succeeded":
        intent.update(status="succeeded", amount_received=intent["amount"])
        assert charge is not None
        state.emit("charge.succeeded", charge, at)
        state.emit("payment_intent.succeeded", intent, at)
    elif outcome == "failed":
        assert charge is not None
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": spec.get("decline_code", "generic_decline"),
                "message": charge["failure_message"],
                "charge": charge["id"],
                "payment_method": {
                    "id": charge["payment_method"],
                    "object": "payment_method",
                    **_payment_method_fields(details),
                },
            },
        )
        state.emit("charge.failed", charge, at)
        state.emit("payment_intent.payment_failed", intent, at)
    elif outcome == "processing":
        intent.update(status="processing")
        state.emit("payment_intent.processing", intent, at)
    elif outcome == "canceled":
        intent.update(
            status="canceled",
            canceled_at=at,
            cancellation_reason=spec.get("cancellation_reason", "requested_by_customer"),
        )
        state.emit("payment_intent.canceled", intent, at)
    else:
        raise ValueError(f"unknown outcome {outcome!r}")


def _fault_error(fault: Mapping[str, Any]) -> StripeStandinError:
    status = int(fault.get("status", 500))
    given = dict(fault.get("error") or {})
    if status == 402:
        defaults = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }
    elif status == 429:
        defaults = {
            "type": "invalid_request_error",
            "code": "rate_limit",
            "message": "Request rate limit exceeded. Learn more about rate limits here "
            "https://docs.stripe.com/rate-limits.",
        }
    elif status >= 500:
        defaults = {"type": "api_error", "message": "An unknown error occurred"}
    else:
        defaults = {"type": "invalid_request_error", "message": "Injected failure"}
    error = {**defaults, **given}
    extra = {k: v for k, v in error.items() if k not in ("type", "message", "code", "param")}
    # Card declines are outcomes of an executed request: Stripe saves them for the key.
    return StripeStandinError(
        status,
        str(error["type"]),
        str(error["message"]),
        code=error.get("code"),
        param=error.get("param"),
        extra=extra,
        saved=status == 402,
    )


def _missing(param: str) -> StripeStandinError:
    return StripeStandinError(
        400,
        "invalid_request_error",
        f"Missing required param: {param}.",
        code="parameter_missing",
        param=param,
    )


def _required_int(p: Mapping[str, Any], name: str) -> int:
    raw = p.get(name)
    if raw is None or raw == "":
        raise _missing(name)
    if not isinstance(raw, str) or not raw.isdigit():
        raise StripeStandinError(
            400,
            "invalid_request_error",
            f"Invalid integer: {raw}",
            code="parameter_invalid_integer",
            param=name,
        )
    return int(raw)


def _limit(raw: Any) -> int:
    if raw is None:
        return 10
    if not isinstance(raw, str) or not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise StripeStandinError(
            400,
            "invalid_request_error",
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            param="limit",
        )
    return int(raw)


def list_page(
    newest_first: list[dict[str, Any]], p: Mapping[str, Any], url: str, kind: str
) -> dict[str, Any]:
    """One page of a Stripe list: `limit`, `starting_after`, `ending_before`."""
    limit = _limit(p.get("limit"))
    ids = [o["id"] for o in newest_first]
    for cursor in ("starting_after", "ending_before"):
        value = p.get(cursor)
        if isinstance(value, str) and value not in ids:
            raise StripeStandinError(
                404,
                "invalid_request_error",
                f"No such {kind}: '{value}'",
                code="resource_missing",
                param=cursor,
            )
    rest = newest_first
    if isinstance(p.get("starting_after"), str):
        rest = newest_first[ids.index(p["starting_after"]) + 1 :]
    elif isinstance(p.get("ending_before"), str):
        rest = newest_first[: ids.index(p["ending_before"])][-limit:]
    return {"object": "list", "data": rest[:limit], "has_more": len(rest) > limit, "url": url}


def _created_matches(created: int, p: Mapping[str, Any]) -> bool:
    raw = p.get("created")
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.isdigit() and created == int(raw)
    if not isinstance(raw, dict):
        return False
    checks = {
        "gt": lambda v: created > v,
        "gte": lambda v: created >= v,
        "lt": lambda v: created < v,
        "lte": lambda v: created <= v,
    }
    for op, value in raw.items():
        if op not in checks or not str(value).isdigit():
            raise StripeStandinError(
                400, "invalid_request_error", f"Invalid created[{op}]", param="created"
            )
        if not checks[op](int(value)):
            return False
    return True


def create_stripe_standin_from_env() -> Flask:
    """For gunicorn: STRIPE_STANDIN_API_KEYS (optional, comma separated) limits accepted keys."""
    app = create_stripe_standin(api_keys=Env().csv("STRIPE_STANDIN_API_KEYS"))
    install_request_log(app, "stripe-standin")
    return app
