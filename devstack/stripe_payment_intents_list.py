"""The Stripe stand-in's PaymentIntent list, and a control that seeds years of past payments.

`GET /v1/payment_intents` as Stripe's API reference has it ("List all PaymentIntents",
https://docs.stripe.com/api/payment_intents/list): `created` (an integer, or `gt`/`gte`/`lt`/
`lte`), `customer`, `limit` 1-100 (default 10), `starting_after` / `ending_before` cursors,
newest first, answered as `{"object": "list", "data", "has_more", "url"}`. `expand[]` on a list
starts with `data.` and goes at most four levels deep ("Expanding Responses",
https://docs.stripe.com/api/expanding_objects).

`POST /_standin/payment_intents/seed` (not Stripe) makes past payments directly in the state,
spread over a time range, across methods and outcomes, and answers what each record in Wix
should then show: the oracle the backfill's tests and benchmark check against, written from
the seed's own choices rather than through the code under test.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from devstack.stripe_fixtures import new_id
from devstack.stripe_standin import (
    PERMISSIONS,
    StripeStandinError,
    _created_matches,
    _intent,
    _limit,
    _settle,
)
from payments.currency import to_major
from payments.methods import label

_LIST_PARAMS = {"created", "customer", "ending_before", "expand", "limit", "starting_after"}
# What the list can expand, below `data.` (the retrieve endpoint's, and the charge's customer).
_EXPANDABLE = {"latest_charge", "customer", "payment_method", "latest_charge.customer"}
MAX_EXPAND_DEPTH = 4

# Outcomes of a seeded payment and their share (incomplete: never paid, not an outcome).
OUTCOMES = {
    "succeeded": 0.55,
    "refunded": 0.08,
    "partially_refunded": 0.05,
    "failed": 0.15,
    "canceled": 0.12,
    "incomplete": 0.05,
}
METHODS = ("card", "card", "card", "apple_pay", "google_pay", "link", "us_bank_account")
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Tony", "Radia")


def register_payment_intent_list(
    app: Flask,
    state: Any,
    handle: Callable[[Callable[[str, dict[str, Any]], dict[str, Any]], set[str]], Response],
    require: Callable[..., None],
    expand: Callable[[dict[str, Any], Iterable[str], set[str]], None],
    expand_list: Callable[[Any], list[str]],
) -> None:
    """Adds the list and the seeding control to the stand-in, on its state and plumbing."""

    @app.get("/v1/payment_intents")
    def list_payment_intents() -> Response:
        def run(key: str, p: dict[str, Any]) -> dict[str, Any]:
            require(key, PERMISSIONS["payment_intents_read"])
            paths = [_below_data(path) for path in expand_list(p.get("expand"))]
            if any(path.startswith("latest_charge") for path in paths):
                require(key, PERMISSIONS["charges_read"])
            limit = _limit(p.get("limit"))
            customer = p.get("customer")
            # Newest first; among the same second, the later made first (as Stripe lists).
            ordered = [
                intent
                for _, intent in sorted(
                    enumerate(state.intents.values()),
                    key=lambda pair: (pair[1]["created"], pair[0]),
                    reverse=True,
                )
            ]
            after, before = p.get("starting_after"), p.get("ending_before")
            if after is not None and before is not None:
                raise StripeStandinError(
                    400,
                    "invalid_request_error",
                    "You may only specify one of these parameters: ending_before, starting_after.",
                )
            # The cursor is a place in the whole list; the filters then apply to what follows.
            if isinstance(after, str):
                ordered = ordered[_position(ordered, after, "starting_after") + 1 :]
            elif isinstance(before, str):
                ordered = ordered[: _position(ordered, before, "ending_before")]
            ordered = [
                intent
                for intent in ordered
                if _created_matches(intent["created"], p)
                and (customer is None or intent["customer"] == customer)
            ]
            has_more = len(ordered) > limit
            page = ordered[-limit:] if isinstance(before, str) else ordered[:limit]
            data = []
            for intent in page:
                obj = copy.deepcopy(intent)
                expand(obj, paths, _EXPANDABLE)
                data.append(obj)
            return {"object": "list", "data": data, "has_more": has_more, "url": request.path}

        return handle(run, _LIST_PARAMS)

    @app.post("/_standin/payment_intents/seed")
    def seed_payment_intents() -> Response | tuple[Response, int]:
        """{"count", "since", "until" (unix seconds), "seed"?, "events"? (also record the events
        Stripe would have sent; default false: past payments' events have expired)}."""
        spec = request.get_json(silent=True) or {}
        try:
            count, since, until = (int(spec[name]) for name in ("count", "since", "until"))
        except (KeyError, TypeError, ValueError):
            return jsonify({"error": "count, since and until (unix seconds) are required"}), 400
        if count < 0 or until <= since:
            return jsonify({"error": "count must be >= 0 and until after since"}), 400
        with state.lock:
            expected = seed_past_payments(
                state,
                count=count,
                since=since,
                until=until,
                rng=random.Random(spec.get("seed", 0)),
                with_events=bool(spec.get("events", False)),
            )
            return jsonify({"payment_intents": expected})


def seed_past_payments(
    state: Any, count: int, since: int, until: int, rng: random.Random, with_events: bool
) -> dict[str, dict[str, Any] | None]:
    """Make `count` payments created in [since, until); answer, per PaymentIntent id, the Wix
    record's fields it should end with (None: no outcome, so no record)."""
    # Past payments' events were delivered back then: recorded (listable) when asked for, but
    # never pushed to webhook endpoints now; a test delivers them itself when it wants them.
    listeners, state.listeners = state.listeners, []
    try:
        return _seed(state, count, since, until, rng, with_events)
    finally:
        state.listeners = listeners


def _seed(
    state: Any, count: int, since: int, until: int, rng: random.Random, with_events: bool
) -> dict[str, dict[str, Any] | None]:
    expected: dict[str, dict[str, Any] | None] = {}
    outcomes, weights = zip(*OUTCOMES.items(), strict=True)
    for _ in range(count):
        created = rng.randrange(since, until)
        outcome = rng.choices(outcomes, weights)[0]
        method = rng.choice(METHODS)
        first_name = rng.choice(FIRST_NAMES)
        amount = rng.randrange(500, 50_000)
        customer_id = new_id("cus")
        customer: dict[str, Any] = {
            "id": customer_id,
            "object": "customer",
            "created": created,
            "email": None,
            "livemode": False,
            "metadata": {},
            "name": f"{first_name} Tester",
        }
        state.customers[customer_id] = customer
        intent = _intent(
            amount, "usd", customer_id, {"first_name": first_name}, None, True, created
        )
        state.intents[intent["id"]] = intent
        events_before = len(state.events)
        settled_at = created + rng.randrange(1, 120)
        refunded = 0
        if outcome in ("succeeded", "refunded", "partially_refunded"):
            _settle(state, intent, {"status": "succeeded", "method": method}, settled_at)
            if outcome != "succeeded":
                refunded = amount if outcome == "refunded" else rng.randrange(1, amount)
                _refund(state, intent, refunded, settled_at + rng.randrange(60, 30 * 86400))
        elif outcome == "failed":
            _settle(state, intent, {"status": "failed", "method": method}, settled_at)
        elif outcome == "canceled":
            _settle(
                state,
                intent,
                {"status": "canceled", "cancellation_reason": "abandoned"},
                settled_at,
            )
        if not with_events:
            del state.events[events_before:]
        expected[intent["id"]] = _expected_record(
            outcome, amount, refunded, first_name, customer_id, method, settled_at
        )
    return expected


def _refund(state: Any, intent: dict[str, Any], amount: int, at: int) -> None:
    charge = state.charges[intent["latest_charge"]]
    charge.update(amount_refunded=amount, refunded=amount >= charge["amount"])
    state.emit("charge.refunded", charge, at)


def _expected_record(
    outcome: str,
    amount: int,
    refunded: int,
    first_name: str,
    customer: str,
    method: str,
    settled_at: int,
) -> dict[str, Any] | None:
    if outcome == "incomplete":
        return None
    paid = outcome in ("succeeded", "refunded", "partially_refunded")
    record: dict[str, Any] = {
        "status": outcome,
        "amount": to_major(amount, "usd"),
        "amountRefunded": to_major(refunded, "usd"),
        "currency": "usd",
        "firstName": first_name,
        "stripeCustomerId": customer,
        # A cancellation before any attempt says nothing of a method.
        "paidWith": label(method) if outcome != "canceled" else None,
    }
    paid_on = datetime.fromtimestamp(settled_at, tz=UTC).isoformat(timespec="milliseconds")
    record["paidOn"] = {"$date": paid_on.replace("+00:00", "Z")} if paid else None
    return record


def _below_data(path: str) -> str:
    if not path.startswith("data."):
        raise StripeStandinError(
            400,
            "invalid_request_error",
            f"This property cannot be expanded ({path}). Expansions on list requests start "
            "with the data property.",
            param="expand",
        )
    if path.count(".") + 1 > MAX_EXPAND_DEPTH:
        raise StripeStandinError(
            400,
            "invalid_request_error",
            f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property ({path}).",
            param="expand",
        )
    return path.removeprefix("data.")


def _position(ordered: list[dict[str, Any]], cursor: str, param: str) -> int:
    for index, intent in enumerate(ordered):
        if intent["id"] == cursor:
            return index
    raise StripeStandinError(
        404,
        "invalid_request_error",
        f"No such payment_intent: '{cursor}'",
        code="resource_missing",
        param=param,
    )
