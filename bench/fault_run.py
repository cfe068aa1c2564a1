"""`make fault-run`: thousands of payments through the local stack while everything goes wrong,
and the Wix collection must come out exactly as expected.

- payments of every kind (devstack/scenarios.py: wallets, Link, declines then success, ACH
  processing then success, partial and full refunds, JPY), their events shuffled, 20 % sent
  twice;
- the Wix stand-in fails 10 % of requests with 500 and 5 % with 429 (Retry-After: 1);
- the writer is SIGKILLed and restarted (same port) twice during the run, ingest once;
- the sender behaves like Stripe: each delivery is retried, freshly signed, with backoff, until
  it is answered 2xx (so while ingest is down, webhooks wait; none is dropped).

Then every payment's record must equal the scenario's expected record (status, amounts,
currency, first name, customer, paid on, paid with, card, last event…): zero lost, zero
duplicated, zero wrong. Exit status 0 only then.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.benchstack import BenchStack, Tuning
from devstack import scenarios
from devstack.samples import send_event
from devstack.stack import StackConfig

ROOT = Path(__file__).resolve().parent.parent
WIX_FAULTS = {"error_rate": 0.10, "rate_limit_rate": 0.05, "retry_after": 1}


@dataclass
class FaultPlan:
    payments: int = 2000
    duplicate_rate: float = 0.20
    seed: int = 20261125
    send_rate: float = 100.0  # webhook deliveries per second (first attempts)
    senders: int = 16
    # (fraction of deliveries sent, service) at which a service is SIGKILLed
    kills: tuple[tuple[float, str], ...] = ((0.2, "writer"), (0.4, "ingest"), (0.65, "writer"))
    downtime: float = 3.0  # seconds a killed service stays down before it is restarted
    # Delivered as Cloud does (devstack/push_deliverer.py: many at once, one per ordering key),
    # so that the writer's group commit batches; --emulator-push uses the emulator's own push
    # (one message at a time).
    emulator_push: bool = False
    converge_timeout: float = 1200.0


@dataclass
class Sender:
    """Stripe's side: retry each delivery until 2xx, with backoff, signing every attempt."""

    ingest_url: str
    secret: str
    attempts: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    local: threading.local = field(default_factory=threading.local)

    def deliver(self, event: dict[str, Any]) -> None:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        session: requests.Session = self.local.session
        pause = 0.25
        while True:
            try:
                status = send_event(
                    self.ingest_url, self.secret, event, timeout=30, session=session
                ).status_code
                outcome = str(status)
            except requests.RequestException as exc:
                status, outcome = 0, type(exc).__name__
                session.close()
            with self.lock:
                self.attempts[outcome] += 1
            if 200 <= status < 300:
                with self.lock:
                    self.sent += 1
                return
            time.sleep(pause)
            pause = min(pause * 2, 8.0)


def send_all(sender: Sender, deliveries: list[dict[str, Any]], rate: float, workers: int) -> float:
    started = time.monotonic()
    next_index = iter(range(len(deliveries)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sender.deliver(deliveries[i])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()
    return time.monotonic() - started


def chaos(
    stack: BenchStack,
    sender: Sender,
    total: int,
    plan: FaultPlan,
    timeline: list[str],
    started: float,
) -> None:
    """Kill services as the sending passes each mark; restart them on the same port."""
    for fraction, name in plan.kills:
        while sender.sent < fraction * total:
            time.sleep(0.05)
        service = stack.services[name]
        service.kill()
        timeline.append(
            f"{time.monotonic() - started:6.1f} s  SIGKILL {name} (pid {service.pid}) "
            f"after {sender.sent} deliveries"
        )
        time.sleep(plan.downtime)
        restarted = stack.start_writer() if name == "writer" else stack.start_ingest()
        timeline.append(
            f"{time.monotonic() - started:6.1f} s  {name} back on port "
            f"{restarted.url.rsplit(':', 1)[1]} (pid {restarted.pid})"
        )


def compare(
    made: list[scenarios.Scenario], items: dict[str, dict[str, Any]], run_prefix: str
) -> dict[str, Any]:
    expected = {s.intent_id: s.expected for s in made}
    lost = [pi for pi in expected if pi not in items]
    wrong = {
        pi: {
            k: (scenarios.record_fields(items[pi]).get(k), want.get(k))
            for k in set(want) | set(scenarios.record_fields(items[pi]))
            if scenarios.record_fields(items[pi]).get(k) != want.get(k)
        }
        for pi, want in expected.items()
        if pi in items and scenarios.record_fields(items[pi]) != want
    }
    extra = [pi for pi in items if pi.startswith(run_prefix) and pi not in expected]
    return {"lost": lost, "wrong": wrong, "extra": extra}


def run_faults(plan: FaultPlan, state_dir: Path, out: Path | None = None) -> dict[str, Any]:
    made = scenarios.generate(plan.payments, seed=plan.seed)
    deliveries = scenarios.deliveries(made, duplicate_rate=plan.duplicate_rate, seed=plan.seed)
    run_prefix = made[0].intent_id.rsplit("_", 1)[0]
    events = sum(len(s.events) for s in made)
    print(
        f"{plan.payments} payments, {events} events + {len(deliveries) - events} duplicates = "
        f"{len(deliveries)} webhook deliveries, shuffled; Wix stand-in failing "
        f"{WIX_FAULTS['error_rate']:.0%} with 500 and {WIX_FAULTS['rate_limit_rate']:.0%} with 429; "
        f"push: {'the emulator' if plan.emulator_push else 'concurrent (devstack/push_deliverer.py)'}",
        flush=True,
    )
    config = StackConfig.on_free_ports(
        state_dir, push_delivery="emulator" if plan.emulator_push else "concurrent"
    )
    stack = BenchStack(config, Tuning())
    stack.start()
    timeline: list[str] = []
    try:
        stack.set_wix_faults(**WIX_FAULTS)
        sender = Sender(stack.config.ingest_url, stack.config.webhook_secret)
        started = time.monotonic()
        killer = threading.Thread(
            target=chaos, args=(stack, sender, len(deliveries), plan, timeline, started)
        )
        killer.start()
        sent_in = send_all(sender, deliveries, plan.send_rate, plan.senders)
        killer.join()
        for line in timeline:
            print("  " + line, flush=True)
        print(
            f"  all {len(deliveries)} deliveries answered 2xx after {sent_in:.1f} s; attempts by "
            f"answer: {dict(sender.attempts.most_common())}",
            flush=True,
        )

        deadline = time.monotonic() + plan.converge_timeout
        result = compare(made, stack.records(), run_prefix)
        while (result["lost"] or result["wrong"]) and time.monotonic() < deadline:
            time.sleep(2)
            result = compare(made, stack.records(), run_prefix)
        converged = time.monotonic() - started

        # Late redeliveries must not change a settled record: look again once no write has
        # happened for 5 s (redelivered no-ops still read, so reads are not the signal).
        def writes_now() -> int:
            return sum(c.get("write", 0) for c in stack.wix_stats()["items"].values())

        before, quiet_until = writes_now(), time.monotonic() + 60
        time.sleep(5)
        while writes_now() != before and time.monotonic() < quiet_until:
            before = writes_now()
            time.sleep(5)
        result = compare(made, stack.records(), run_prefix)
        stats = stack.wix_stats()
        counts = stats["items"]
        served = stats.get("requests", {})
    finally:
        stack.stop()

    writes = {s.intent_id: counts.get(s.intent_id, {}).get("write", 0) for s in made}
    by_kind: dict[str, list[int]] = {}
    for s in made:
        by_kind.setdefault(s.kind, []).append(writes[s.intent_id])
    ok = not (result["lost"] or result["wrong"] or result["extra"])
    report = {
        "payments": plan.payments,
        "events": events,
        "deliveries": len(deliveries),
        "duplicates": len(deliveries) - events,
        "emulator_push": plan.emulator_push,
        "timeline": timeline,
        "attempts": dict(sender.attempts),
        "sent_seconds": round(sent_in, 1),
        "converged_seconds": round(converged, 1),
        "lost": len(result["lost"]),
        "wrong": len(result["wrong"]),
        "extra": len(result["extra"]),
        "examples": {
            "lost": result["lost"][:3],
            "wrong": dict(list(result["wrong"].items())[:3]),
        },
        "wix_writes_per_payment": {
            "mean": round(statistics.mean(writes.values()), 2),
            "max": max(writes.values()),
            "distribution": dict(sorted(Counter(writes.values()).items())),
        },
        # Every Wix request served (reads and writes; a bulk call once), over the payments.
        "wix_requests_per_payment": round(
            (served.get("read", 0) + served.get("write", 0)) / plan.payments, 2
        ),
        "events_per_payment_mean": round(events / plan.payments, 2),
        "deliveries_per_payment_mean": round(len(deliveries) / plan.payments, 2),
        "writes_by_kind": {
            kind: {
                "payments": len(values),
                "events": next(len(s.events) for s in made if s.kind == kind),
                "writes_mean": round(statistics.mean(values), 2),
                "writes_max": max(values),
            }
            for kind, values in sorted(by_kind.items())
        },
        "exact": ok,
    }
    print(summary_text(report), flush=True)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
    return report


def summary_text(r: dict[str, Any]) -> str:
    w = r["wix_writes_per_payment"]
    lines = [
        f"  records exact after {r['converged_seconds']} s: "
        f"{r['payments'] - r['lost'] - r['wrong']}/{r['payments']} exact; "
        f"lost {r['lost']}, duplicated (extra items) {r['extra']}, wrong {r['wrong']}",
        f"  item writes per payment: mean {w['mean']}, max {w['max']}, distribution "
        f"{w['distribution']}; Wix requests per payment {r['wix_requests_per_payment']} "
        f"(served ones, a bulk call once; {r['events_per_payment_mean']} events and "
        f"{r['deliveries_per_payment_mean']} deliveries per payment)",
    ]
    for kind, k in r["writes_by_kind"].items():
        lines.append(
            f"    {kind:<26} {k['payments']:>4} payments, {k['events']} events each: "
            f"writes mean {k['writes_mean']:.2f}, max {k['writes_max']}"
        )
    lines.append("FAULT RUN PASSED" if r["exact"] else f"FAULT RUN FAILED: {r['examples']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fault_run", description=__doc__)
    parser.add_argument("--payments", type=int, default=FaultPlan.payments)
    parser.add_argument("--rate", type=float, default=FaultPlan.send_rate)
    parser.add_argument(
        "--emulator-push",
        action="store_true",
        help="deliver with the emulator's own push (one message at a time) instead of "
        "concurrently as Cloud does (devstack/push_deliverer.py)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fault-run.json")
    args = parser.parse_args(argv)
    plan = FaultPlan(payments=args.payments, send_rate=args.rate, emulator_push=args.emulator_push)
    with tempfile.TemporaryDirectory(prefix="fault-run-") as tmp:
        report = run_faults(plan, Path(tmp), args.out)
    return 0 if report["exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
