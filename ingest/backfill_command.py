"""`python -m ingest backfill`: the command around ingest/backfill.py (clients, signals, terminal)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from ingest.backfill import (
    Backfill,
    BackfillRange,
    BackfillReport,
    CheckpointFile,
    CheckpointMismatch,
    InvalidRange,
    Options,
    Progress,
    parse_date,
    start_state,
    stripe_pace,
)
from ingest.config import IngestConfig
from ingest.ports import StripeFailure


def run_backfill(args: argparse.Namespace) -> int:
    file = CheckpointFile(Path(args.checkpoint))
    try:
        since = parse_date(args.since, "--since")
        if args.until:
            until = parse_date(args.until, "--until")
        else:
            saved = file.load() if args.resume else None
            until = saved.until if saved is not None else int(time.time())
        span = BackfillRange(since, until)
        if args.rate <= 0:
            raise InvalidRange("--rate must be more than zero")
        resume = start_state(file, span, args.resume, args.dry_run)
    except (InvalidRange, CheckpointMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config = IngestConfig.from_env(need_webhook_secret=False)

    from ingest.stripe_client import StripeApiGateway

    stripe = StripeApiGateway(config.stripe_secret_key, api_base=config.stripe_api_base)
    publisher = None
    if not args.dry_run:
        from servicekit.credentials import check_google_credentials
        from servicekit.pubsub import PubSubPublisher

        check_google_credentials()  # one line, exit 2, rather than a traceback
        publisher = PubSubPublisher(config.project, config.topic, timeout=config.publish_timeout)
    stop = _StopOnSignal()
    job = Backfill(
        stripe,
        publisher,
        span,
        Options(
            dry_run=args.dry_run,
            publish_per_second=args.rate,
            stripe_per_second=stripe_pace(config.stripe_secret_key),
        ),
        checkpoint=file,
        resume=resume,
        progress=_print_progress,
        stop_requested=stop,
        sleep=stop.sleep,
    )
    what = "dry run" if args.dry_run else ("resuming" if resume else "backfilling")
    print(f"{what}: payment intents created {args.since} to {_day(until)}", file=sys.stderr)
    try:
        report = job.run()
    except StripeFailure as exc:
        print(
            f"error: Stripe's payment intents could not be listed ({exc.kind}): {exc.message}",
            file=sys.stderr,
        )
        if not args.dry_run:
            print(f"  what was done is checkpointed in {file.path}: run again with --resume")
        return 1
    finally:
        stop.restore()
        if publisher is not None:
            publisher.close()
    return _summary(report, args.dry_run, file)


def _summary(report: BackfillReport, dry_run: bool, file: CheckpointFile) -> int:
    print(
        f"read {report.read} payment intent(s) in {report.pages} page(s): "
        + (
            f"{report.read - report.skipped} with an outcome, {report.skipped} without"
            if dry_run
            else f"published {report.published}, skipped {report.skipped} (no outcome), "
            f"failed {report.failed}"
        )
        + f"; Stripe calls {report.stripe_calls}, rate limited {report.rate_limited}"
    )
    if dry_run:
        print("by status:")
        for status, count in report.by_status.most_common():
            print(f"  {status:<40} {count}")
        print("by payment method:")
        for method, count in report.by_method.most_common():
            print(f"  {method:<40} {count}")
        return 0
    if report.interrupted:
        print(f"interrupted: resume with --resume (checkpoint {file.path})", file=sys.stderr)
        return 130
    if report.pending:
        print(
            f"error: {report.pending} publish(es) failed; they are kept in {file.path}: "
            "run again with --resume to publish them",
            file=sys.stderr,
        )
        for intent_id in report.failed_ids:
            print(f"  not published: {intent_id}", file=sys.stderr)
        return 1
    return 0


def _print_progress(progress: Progress) -> None:
    print(progress.line(), file=sys.stderr, flush=True)


def _day(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class _StopOnSignal:
    """Ctrl-C (SIGINT) or SIGTERM: finish the publish in flight, checkpoint, stop. Its sleep
    ends at the signal, so that a back-off from Stripe does not hold the stop."""

    def __init__(self) -> None:
        self.requested = False
        self._event = threading.Event()
        self._previous = {
            sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)
        }

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        self._event.set()

    def sleep(self, seconds: float) -> None:
        self._event.wait(seconds)

    def __call__(self) -> bool:
        return self.requested

    def restore(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
