"""Inputs shaped like what faces the internet: JSON of any shape, and Stripe-like events whose
fields are sometimes right and sometimes anything at all."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ingest.normalize import HANDLED_EVENT_TYPES

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The right kind of value most of the time, anything at all otherwise."""
    return st.one_of(strategy, strategy, json_values)


methods = st.sampled_from(["card", "us_bank_account", "link", "cashapp", ""])
wallets = st.sampled_from([None, "apple_pay", "google_pay", "link", 7])
statuses = st.sampled_from(
    ["succeeded", "processing", "requires_payment_method", "canceled", "failed", "pending"]
)

charges = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.from_regex(r"ch_[A-Za-z0-9]{1,12}", fullmatch=True)),
        "object": st.just("charge"),
        "payment_intent": maybe(st.from_regex(r"pi_[A-Za-z0-9]{1,12}", fullmatch=True)),
        "amount": maybe(st.integers(min_value=0, max_value=10**9)),
        "amount_refunded": maybe(st.integers(min_value=0, max_value=10**9)),
        "currency": maybe(st.sampled_from(["usd", "jpy", "eur", "USD", "x", "us%", "é€$"])),
        "status": maybe(statuses),
        "paid": maybe(st.booleans()),
        "refunded": maybe(st.booleans()),
        "created": maybe(st.integers(min_value=0, max_value=2**40)),
        "customer": maybe(st.from_regex(r"cus_[A-Za-z0-9]{1,12}", fullmatch=True)),
        "metadata": maybe(st.dictionaries(st.text(max_size=12), st.text(max_size=20))),
        "billing_details": maybe(st.fixed_dictionaries({"name": maybe(st.text(max_size=30))})),
        "failure_message": maybe(st.text(max_size=30)),
        "payment_method_details": maybe(
            st.fixed_dictionaries(
                {"type": maybe(methods)},
                optional={
                    "card": maybe(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "brand": maybe(st.text(max_size=8)),
                                "last4": maybe(st.text(max_size=4)),
                                "wallet": maybe(st.fixed_dictionaries({"type": wallets})),
                            },
                        )
                    )
                },
            )
        ),
    },
)
intents = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.from_regex(r"pi_[A-Za-z0-9]{1,12}", fullmatch=True)),
        "object": st.just("payment_intent"),
        "amount": maybe(st.integers(min_value=0, max_value=10**9)),
        "amount_received": maybe(st.integers(min_value=0, max_value=10**9)),
        "currency": maybe(st.sampled_from(["usd", "jpy", "eur"])),
        "status": maybe(statuses),
        "customer": maybe(st.one_of(st.text(max_size=10), st.fixed_dictionaries({"id": scalars}))),
        "metadata": maybe(st.dictionaries(st.text(max_size=12), st.text(max_size=20))),
        "latest_charge": maybe(st.one_of(st.none(), st.text(max_size=10), charges)),
        "last_payment_error": maybe(st.fixed_dictionaries({"message": maybe(st.text())})),
        "charges": maybe(st.fixed_dictionaries({"data": st.lists(charges, max_size=2)})),
        "created": maybe(st.integers(min_value=0, max_value=2**40)),
    },
)
event_types = st.one_of(st.sampled_from(sorted(HANDLED_EVENT_TYPES)), st.text(max_size=30))
events = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.from_regex(r"evt_[A-Za-z0-9]{1,12}", fullmatch=True)),
        "object": st.just("event"),
        "type": maybe(event_types),
        # Any int (also past datetime's year 9999) and any float (NaN, infinities).
        "created": maybe(
            st.one_of(st.integers(min_value=-(2**40), max_value=2**40), st.integers(), st.floats())
        ),
        "livemode": maybe(st.booleans()),
        "data": maybe(st.fixed_dictionaries({"object": st.one_of(intents, charges, json_values)})),
    },
)
