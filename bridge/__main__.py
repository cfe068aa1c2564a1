"""`python -m bridge doctor` checks a setup link by link; `python -m bridge smoke` pays through it.

Both read the services' environment plus INGEST_URL (see bridge/settings.py); with the local
stack running, `eval "$(python -m devstack env bridge)"` sets all of it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

import requests

from bridge.doctor import DELIVERY_GRACE_SECONDS, Links, Reporter, run_doctor
from bridge.pubsub_admin import PubSubAdmin
from bridge.settings import BridgeSettings
from bridge.smoke import SmokeLinks, refusal, run_smoke
from bridge.stripe_admin import StripeAdmin
from bridge.wix_admin import WixAdmin

HTTP_TIMEOUT = 30.0


class IngestHttp:
    """ingest's public API as the Wix page calls it."""

    def __init__(self, ingest_url: str) -> None:
        self._url = ingest_url.rstrip("/")

    def create_payment(self, origin: str, body: Mapping[str, Any], key: str) -> tuple[int, Any]:
        response = requests.post(
            f"{self._url}/v1/payment-intents",
            json=dict(body),
            headers={"Origin": origin, "Idempotency-Key": key},
            timeout=HTTP_TIMEOUT,
        )
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:200]
        return response.status_code, answer


def ingest_health(ingest_url: str) -> int:
    return requests.get(f"{ingest_url.rstrip('/')}/healthz", timeout=HTTP_TIMEOUT).status_code


def wix_admin(settings: BridgeSettings) -> WixAdmin:
    return WixAdmin(
        settings.wix_api_key,
        settings.wix_site_id,
        settings.collection_id,
        base_url=settings.wix_api_base,
    )


def real_links() -> Links:
    return Links(
        stripe=lambda s: StripeAdmin(s.stripe_secret_key, s.stripe_api_base),
        wix=wix_admin,
        pubsub=lambda s: PubSubAdmin(s.project),
        ingest_health=ingest_health,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bridge",
        description="Check a setup (doctor) or prove it end to end (smoke).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    doctor = sub.add_parser("doctor", help="check Stripe, Wix, Pub/Sub and the configuration")
    doctor.add_argument("--json", action="store_true", help="results as JSON on stdout")
    doctor.add_argument(
        "--delivery-grace",
        type=float,
        default=DELIVERY_GRACE_SECONDS,
        help="seconds an event may still be on its way to the webhook endpoint (default 60)",
    )
    smoke = sub.add_parser("smoke", help="one test-mode payment through the deployment")
    smoke.add_argument("--keep", action="store_true", help="keep the test record in Wix")
    smoke.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the Wix record"
    )
    args = parser.parse_args(argv)
    settings = BridgeSettings.from_env()
    if args.command == "doctor":
        return run_doctor(
            settings,
            real_links(),
            Reporter(sys.stdout, args.json),
            delivery_grace=args.delivery_grace,
        )
    why = refusal(settings)
    if why:
        print(f"smoke: {why}", file=sys.stderr)
        return 1
    links = SmokeLinks(
        ingest=IngestHttp(settings.ingest_url),
        stripe=StripeAdmin(settings.stripe_secret_key, settings.stripe_api_base),
        wix=wix_admin(settings),
    )
    return run_smoke(settings, links, sys.stdout, keep=args.keep, timeout=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
