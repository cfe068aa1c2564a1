"""`python -m ingest` serves on $PORT; subcommands: reconcile, register-webhook."""

from __future__ import annotations

import argparse
import sys

from ingest.config import IngestConfig
from servicekit.serve import serve
from servicekit.settings import InvalidSetting, MissingSetting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Stripe webhooks and payment intents in, PaymentUpdates to Pub/Sub out. "
        "With no command, serves HTTP on $PORT under gunicorn.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve HTTP on $PORT (the default)")
    args = parser.parse_args(argv)
    if args.command in (None, "serve"):
        try:
            IngestConfig.from_env()  # fail here, naming the setting, rather than in every worker
        except (MissingSetting, InvalidSetting) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        serve("ingest.app:create_app_from_env()")
    return 0


if __name__ == "__main__":
    sys.exit(main())
