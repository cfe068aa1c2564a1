"""`python -m devstack run` starts the local stack; `send` pays through it; `stop` stops one left running."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import requests

from devstack import processes, samples, stopping
from devstack.bridge_env import bridge_env
from devstack.stack import PORT_NAMES, Stack, StackConfig, load_state
from payments.methods import label

STATE_DIR = Path(os.environ.get("DEVSTACK_DIR", ".devstack"))


class StopRequested(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived: unwind (starting or running) and stop everything."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def say(text: str, error: bool = False) -> None:
    """Print, and carry on when the terminal is gone (SIGHUP: writes fail with EIO)."""
    try:
        print(text, file=sys.stderr if error else sys.stdout, flush=True)
    except OSError:
        # Later writes (and the flush at exit) would fail too: send them nowhere.
        devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        sys.stdout = sys.stderr = devnull


def _request_stop(signum: int, _frame: object) -> None:
    # Once: a second Ctrl-C must not interrupt the stopping itself.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise StopRequested(signal.Signals(signum).name)


def run() -> int:
    config = StackConfig(state_dir=STATE_DIR)
    for name in PORT_NAMES:
        override = os.environ.get(f"DEVSTACK_{name.upper()}")
        if override:
            setattr(config, name, int(override))
    # A real Stripe test account: `stripe listen` prints the whsec_ to use.
    config.webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET", config.webhook_secret)
    config.stripe_secret_key = os.environ.get("STRIPE_SECRET_KEY", config.stripe_secret_key)
    config.stripe_api_base = os.environ.get("STRIPE_API_BASE") or None
    config.stripe_publishable_key = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    left = stopping.running(STATE_DIR)
    if left:
        names = ", ".join(f"{r.name} (pid {r.pid})" for r in left)
        say(
            f"error: a stack started earlier is still running: {names}. Stop it with `make stop` "
            f"(python -m devstack stop).",
            error=True,
        )
        return 1
    busy = [
        (name, port)
        for name, port in (
            ("Pub/Sub emulator", config.emulator_port),
            ("Wix stand-in", config.standin_port),
            ("ingest", config.ingest_port),
            ("writer", config.writer_port),
            ("checkout page", config.checkout_port),
            ("Stripe stand-in", config.stripe_standin_port if config.uses_stripe_standin else 0),
        )
        if port and processes.port_in_use(port)
    ]
    if busy:
        for name, port in busy:
            say(
                f"error: port {port} for the {name} is already in use: another program, or a "
                f"stack started from another directory (`make stop` there); or choose ports with "
                f"DEVSTACK_{_port_setting(name)}",
                error=True,
            )
        return 1
    stack = Stack(config)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _request_stop)
    code = 0
    try:
        say(f"starting the local stack (logs in {stack.log_dir}/)…")
        stack.start(progress=say)
        say(
            f"""
local stack is up (logs in {stack.log_dir}/):
  ingest            {config.ingest_url}      POST /webhooks/stripe, /v1/payment-intents, /v1/payments/verify
  writer            {config.writer_url}      POST /pubsub/push (subscription stripe-payments-writer, pushed by the deliverer as Cloud does)
  Wix stand-in      {config.standin_url}      the Payments collection: open it in a browser
  Pub/Sub emulator  {config.emulator_host}      project {config.project}, topic stripe-payments
  Stripe            {config.stripe_standin_url if config.uses_stripe_standin else (config.stripe_api_base or "https://api.stripe.com")}      {"the local stand-in (no STRIPE_SECRET_KEY given)" if config.uses_stripe_standin else "STRIPE_SECRET_KEY's account"}
  checkout page     {config.checkout_url}      {"pay with the test card 4242 4242 4242 4242 (local test, no real payment)" if config.uses_stripe_standin else "the Wix page's payment form (needs STRIPE_PUBLISHABLE_KEY=pk_test_…)"}

send signed sample payments:   make send      (or: .venv/bin/python -m devstack send)
real Stripe test payments:     stripe listen --forward-to {config.ingest_url}/webhooks/stripe
Ctrl-C stops everything (so does `make stop` from another terminal)."""
        )
        while True:
            time.sleep(1.0)
            dead = [s.name for s in stack.services.values() if not s.running()]
            if dead:
                say(
                    f"error: {', '.join(dead)} stopped unexpectedly; see {stack.log_dir}",
                    error=True,
                )
                code = 1
                break
    except StopRequested as stop:
        say(f"\n{stop} received.")
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        say("stopping…")
        stack.stop()
        # Anything started but not yet recorded when the signal came (a narrow window in start).
        processes.stop_children()
        say("stopped: no process of the stack is left running.")
    return code


def _port_setting(name: str) -> str:
    return {
        "Pub/Sub emulator": "EMULATOR_PORT",
        "Wix stand-in": "STANDIN_PORT",
        "ingest": "INGEST_PORT",
        "writer": "WRITER_PORT",
        "checkout page": "CHECKOUT_PORT",
        "Stripe stand-in": "STRIPE_STANDIN_PORT",
    }[name]


def stop() -> int:
    return 0 if stopping.stop_stack(STATE_DIR) else 1


def send() -> int:
    try:
        config = load_state(STATE_DIR)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    logs = config.state_dir / "logs"
    expected: dict[str, samples.Expectation] = {}
    print(f"sending signed sample payments to ingest's webhook ({config.ingest_url})…")
    for payment, events in samples.sample_payments():
        # The method comes with the charge's event; waiting for it too prints whole records.
        expected[payment.intent_id] = {"status": "succeeded", "paidWith": label(payment.method)}
        for event in events:
            try:
                response = samples.send_event(config.ingest_url, config.webhook_secret, event)
            except requests.RequestException as exc:
                print(
                    f"error: ingest at {config.ingest_url} did not answer ({type(exc).__name__}); "
                    f"is the stack running? see {logs / 'ingest.log'}",
                    file=sys.stderr,
                )
                return 1
            print(
                f"  {event['type']:<26} {event['id']}  -> {response.status_code} {_outcome(response)}"
            )
            if response.status_code != 200:
                print(
                    f"error: ingest refused the event; see {logs / 'ingest.log'}", file=sys.stderr
                )
                return 1
    print(
        f"\nwaiting for the {len(expected)} records in the Wix stand-in (up to {SEND_WAIT:.0f} s)…"
    )
    try:
        records = _wait_for_records(config, expected)
    except TimeoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(
            f'  the writer\'s log says why: {logs / "writer.log"} (lines with action "retry" or '
            f'"dead-letter"); the Wix stand-in\'s requests are in {logs / "wix-standin.log"}',
            file=sys.stderr,
        )
        return 1
    print()
    for payment_intent_id in expected:
        print(samples.format_record(records[payment_intent_id]))
    print(f"\nsee them all at {config.standin_url}/")
    return 0


SEND_WAIT = float(os.environ.get("DEVSTACK_SEND_TIMEOUT") or 30)


def _outcome(response: requests.Response) -> str:
    try:
        return str(response.json().get("outcome"))
    except ValueError:
        return response.text[:80]


def _wait_for_records(
    config: StackConfig, expected: dict[str, samples.Expectation]
) -> dict[str, dict[str, object]]:
    """Poll the stand-in, saying every few seconds how many records are still missing; on
    timeout, name them."""
    deadline = time.monotonic() + SEND_WAIT
    next_note = time.monotonic() + 5
    while True:
        try:
            return samples.wait_for_records(
                config.standin_url, config.collection_id, expected, timeout=1.0
            )
        except TimeoutError:
            records = samples.fetch_records(config.standin_url, config.collection_id)
            missing = samples.unmet(records, expected)
            if time.monotonic() >= deadline:
                names = "\n".join(
                    f"  {pi}: " + ("no record" if state == {"record": None} else f"has {state}")
                    for pi, state in missing.items()
                )
                raise TimeoutError(
                    f"{len(missing)} of {len(expected)} records not as expected after "
                    f"{SEND_WAIT:.0f} s:\n{names}"
                ) from None
            if time.monotonic() >= next_note:
                print(f"  still waiting for {len(missing)} of {len(expected)} records…", flush=True)
                next_note = time.monotonic() + 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="The local stack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start emulator, Wix stand-in, writer and ingest; Ctrl-C stops all")
    sub.add_parser("send", help="send signed sample payments through the running stack")
    sub.add_parser(
        "stop",
        help="stop a stack left running (its `run` killed or in another terminal), from "
        "DEVSTACK_DIR/stack.json",
    )
    env_cmd = sub.add_parser(
        "env",
        help="print `export` lines so that ingest's, writer's or bridge's commands talk to the "
        "running stack",
        description="Prints the environment a service of the running stack has, as shell export "
        'lines: eval "$(python -m devstack env writer)" && python -m writer redrive',
    )
    env_cmd.add_argument("service", choices=["ingest", "writer", "bridge"])
    args = parser.parse_args(argv)
    if args.command == "env":
        return print_env(args.service)
    return {"run": run, "send": send, "stop": stop}[args.command]()


def print_env(service: str) -> int:
    try:
        config = load_state(STATE_DIR)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stack = Stack(config)
    if service == "bridge":
        env = bridge_env(stack)
    else:
        env = stack.ingest_env() if service == "ingest" else stack.writer_env()
    for name in sorted(env):
        if name.startswith(
            ("GOOGLE_", "PUBSUB_", "STRIPE_", "WIX_", "PUSH_", "CATALOG", "ALLOWED_")
        ) or name in ("INGEST_URL", "WRITER_URL", "SMOKE_ORIGIN"):
            print(f"export {name}={shlex.quote(env[name])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
