"""`python -m fuzz.seed`: write the starting corpus (real shapes: signed Stripe events, push
envelopes, page bodies) to fuzz/corpus/<target>/seed-*. The fuzzer adds what it finds there."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from pathlib import Path

from devstack.stripe_fixtures import Payment, event
from fuzz.targets import NOW, SECRET
from ingest.normalize import normalize_event
from ingest.signature import sign

CORPUS = Path(__file__).resolve().parent / "corpus"


def seeds() -> dict[str, list[bytes]]:
    payment = Payment(intent_id="pi_seed", method="apple_pay", customer_id="cus_seed")
    refunded = Payment(intent_id="pi_refund", amount_refunded=500, customer_id="cus_seed")
    pairs = [
        ("charge.succeeded", payment.charge()),
        ("payment_intent.succeeded", payment.intent("succeeded")),
        ("charge.failed", payment.charge(status="failed", failure_message="declined")),
        ("charge.refunded", refunded.charge()),
        ("payment_intent.canceled", payment.intent("canceled")),
        ("customer.created", {"id": "cus_1", "object": "customer"}),
    ]
    events = [
        event(kind, obj, created=NOW, event_id=f"evt_seed{n}")
        for n, (kind, obj) in enumerate(pairs)
    ]
    bodies = [json.dumps(e).encode() for e in events]
    updates = [normalize_event(e) for e in events[:2]]
    envelopes = [
        json.dumps(
            {
                "message": {
                    "data": base64.b64encode(u.to_json()).decode(),  # type: ignore[union-attr]
                    "attributes": u.attributes(),  # type: ignore[union-attr]
                    "messageId": "m-1",
                    "publishTime": "2026-11-22T10:00:00Z",
                },
                "subscription": "projects/p/subscriptions/s",
                "deliveryAttempt": 1,
            }
        ).encode()
        for u in updates
    ]
    page = [
        b'{"first_name": "Ada", "product": "tee", "quantity": 2, "email": "ada@example.com"}',
        b'{"payment_intent_id": "pi_1", "client_secret": "pi_1_secret_x"}',
        b'{"checkout_session_id": "cs_test_1"}',
    ]
    return {
        "signature": [sign(b, SECRET, NOW).encode() + b"\n" + b for b in bodies[:3]],
        "normalizer": bodies,
        "envelope": envelopes,
        "page_api": [bytes([0]) + page[0], bytes([1]) + page[1], bytes([1]) + page[2]]
        + [bytes([2]) + b for b in bodies[:2]],
    }


def main() -> None:
    argparse.ArgumentParser(
        prog="python -m fuzz.seed",
        description="Write the starting corpus of each fuzz target to fuzz/corpus/<target>/.",
    ).parse_args()
    for target, items in seeds().items():
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for item in items:
            (directory / f"seed-{hashlib.sha256(item).hexdigest()[:12]}").write_bytes(item)


if __name__ == "__main__":
    main()
