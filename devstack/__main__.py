"""`python -m devstack run` starts the local stack; `python -m devstack send` pays through it."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from pathlib import Path

from devstack import processes, samples
from devstack.bridge_env import bridge_env
from devstack.stack import PORT_NAMES, Stack, StackConfig, load_state
from payments.methods import label

STATE_DIR = Path(os.environ.get("DEVSTACK_DIR", ".devstack"))


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
            print(
                f"error: port {port} for the {name} is already in use (is a stack running?)",
                file=sys.stderr,
            )
        return 1
    stack = Stack(config)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("starting the local stack (Pub/Sub emulator, Wix stand-in, writer, ingest)…", flush=True)
    stack.start()
    print(
        f"""
local stack is up (logs in {stack.log_dir}/):
  ingest            {config.ingest_url}      POST /webhooks/stripe, /v1/payment-intents, /v1/payments/verify
  writer            {config.writer_url}      POST /pubsub/push (push subscription stripe-payments-writer)
  Wix stand-in      {config.standin_url}      the Payments collection: open it in a browser
  Pub/Sub emulator  {config.emulator_host}      project {config.project}, topic stripe-payments
  Stripe            {config.stripe_standin_url if config.uses_stripe_standin else (config.stripe_api_base or "https://api.stripe.com")}      {"the local stand-in (no STRIPE_SECRET_KEY given)" if config.uses_stripe_standin else "STRIPE_SECRET_KEY's account"}
  checkout page     {config.checkout_url}      the Wix page's payment form (needs STRIPE_PUBLISHABLE_KEY=pk_test_…)

send signed sample payments:   make send      (or: .venv/bin/python -m devstack send)
real Stripe test payments:     stripe listen --forward-to {config.ingest_url}/webhooks/stripe
Ctrl-C stops everything.""",
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            dead = [s.name for s in stack.services.values() if not s.running()]
            if dead:
                print(
                    f"error: {', '.join(dead)} stopped unexpectedly; see {stack.log_dir}",
                    file=sys.stderr,
                )
                return 1
    finally:
        print("\nstopping…", flush=True)
        stack.stop()
        print("stopped: no process of the stack is left running.", flush=True)
    return 0


def send() -> int:
    try:
        config = load_state(STATE_DIR)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    expected: dict[str, samples.Expectation] = {}
    for payment, events in samples.sample_payments():
        # The method comes with the charge's event; waiting for it too prints whole records.
        expected[payment.intent_id] = {"status": "succeeded", "paidWith": label(payment.method)}
        for event in events:
            response = samples.send_event(config.ingest_url, config.webhook_secret, event)
            print(
                f"  {event['type']:<26} {event['id']}  -> {response.status_code} {response.json().get('outcome')}"
            )
            if response.status_code != 200:
                return 1
    print("\nwaiting for the records in the Wix stand-in…")
    records = samples.wait_for_records(config.standin_url, config.collection_id, expected)
    print()
    for payment_intent_id in expected:
        print(samples.format_record(records[payment_intent_id]))
    print(f"\nsee them all at {config.standin_url}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="The local stack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start emulator, Wix stand-in, writer and ingest; Ctrl-C stops all")
    sub.add_parser("send", help="send signed sample payments through the running stack")
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
    return run() if args.command == "run" else send()


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
