"""`python -m writer` serves on $PORT; subcommands: setup-collection, redrive."""

from __future__ import annotations

import argparse
import sys

from servicekit import logs
from servicekit.credentials import MissingCredentials, check_google_credentials
from servicekit.serve import serve_checked
from servicekit.settings import SettingsError
from writer.config import WriterConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m writer",
        description="PaymentUpdates from Pub/Sub into the Wix collection. "
        "With no command, serves HTTP on $PORT under gunicorn.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve HTTP on $PORT (the default)")
    sub.add_parser(
        "setup-collection",
        help="create the Wix collection from wix/collection-schema.json; report differences if it exists",
        description="Creates WIX_COLLECTION_ID (default Payments) from the schema file "
        "(WIX_SCHEMA_FILE, default wix/collection-schema.json) with admin-only permissions. If it "
        "exists, changes nothing and lists how it differs (exit 1 when it does). "
        "Needs WIX_API_KEY and WIX_SITE_ID (WIX_API_BASE for a stand-in).",
    )
    redrive_cmd = sub.add_parser(
        "redrive",
        help="republish dead letters (PUBSUB_DEAD_LETTER_SUBSCRIPTION) to the main topic",
        description="Pulls what was dead-lettered before the run started from "
        "PUBSUB_DEAD_LETTER_SUBSCRIPTION, republishes each message to PUBSUB_TOPIC with its "
        "ordering key and original attributes, and acknowledges it only after Pub/Sub "
        "acknowledged the republish. Needs GOOGLE_CLOUD_PROJECT (PUBSUB_EMULATOR_HOST locally). "
        "Exit 1 if any republish failed.",
    )
    redrive_cmd.add_argument(
        "--max", type=int, default=None, metavar="N", help="at most N messages"
    )
    args = parser.parse_args(argv)
    if args.command in (None, "serve"):
        return serve_checked(WriterConfig.from_env, "writer.app:create_app_from_env()")
    logs.configure()
    try:
        if args.command == "setup-collection":
            return _setup_collection()
        return _redrive(args.max)
    except (SettingsError, MissingCredentials) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _setup_collection() -> int:
    from writer.collection_setup import load_schema, setup_collection
    from writer.wix import WixCollection, WixError

    config = WriterConfig.from_env(need_push=False, need_pubsub=False)
    collection = WixCollection.from_config(config)
    schema = load_schema(config.schema_file, config.collection_id)
    try:
        outcome, diffs = setup_collection(collection, schema)
    except WixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if outcome == "created":
        print(f"created collection {config.collection_id} ({len(schema['fields'])} fields)")
        return 0
    if not diffs:
        print(f"collection {config.collection_id} exists and matches the schema; nothing changed")
        return 0
    print(f"collection {config.collection_id} exists; nothing changed; it differs from the schema:")
    for line in diffs:
        print(f"  - {line}")
    return 1


def _redrive(max_messages: int | None) -> int:
    from servicekit.pubsub import PubSubPublisher
    from writer.redrive import PubSubDeadLetterSource, redrive

    config = WriterConfig.from_env(need_push=False, need_wix=False)
    check_google_credentials()
    source = PubSubDeadLetterSource(config.project, config.dead_letter_subscription)
    publisher = PubSubPublisher(config.project, config.topic)
    # Pub/Sub holds a pull on an empty subscription open until its deadline: say so first.
    print(
        f"pulling dead letters from {config.dead_letter_subscription} and republishing them to "
        f"{config.topic} (an empty subscription answers after about "
        f"{source.pull_timeout:.0f} s)…",
        flush=True,
    )
    report = redrive(source, publisher, max_messages)
    publisher.close()
    source.close()
    if not (report.republished or report.failed or report.left_for_later):
        print(f"no dead letters in {config.dead_letter_subscription}: nothing to republish")
        return 0
    print(
        f"republished {report.republished} message(s); {report.failed} failed and stay dead-lettered"
        + (
            f"; {report.left_for_later} dead-lettered during this run left for the next one"
            if report.left_for_later
            else ""
        )
    )
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
