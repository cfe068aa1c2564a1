"""`make bench`: ingest throughput and latency, end-to-end latency, the same under a degraded
Wix, the inline-Wix comparison and peak memory, on the local stack. Prints the figures, writes
them to bench/results/bench.json and draws docs/performance-latency.png.

Every request is a realistic Stripe event, signed just before its phase (so timestamps are
fresh), over keep-alive connections on loopback; see bench/httpload.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bench import httpload
from bench.benchstack import BenchStack, Tuning, cpu_seconds, peak_memory, wait_until
from devstack.stack import StackConfig
from devstack.stripe_fixtures import Payment, card_success_events, event, signed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHART = ROOT / "docs" / "performance-latency.png"
WEBHOOK = "/webhooks/stripe"


@dataclass
class Plan:
    concurrency: Sequence[int] = (1, 2, 4, 8, 16, 32, 64)
    level_seconds: float = 5.0
    rates: Sequence[int] = (100, 250, 500, 750, 1000, 1250, 1500)
    rate_seconds: float = 6.0
    e2e_rate: float = 50.0  # payments/s, two webhooks each
    e2e_seconds: float = 30.0
    degraded_seconds: float = 20.0
    compare_rate: float = 5.0  # payments/s, a rate the inline handler can sustain
    compare_seconds: float = 30.0
    drain_timeout: float = 600.0
    relay_concurrency: int = 80  # pushes in flight: the writer's Cloud Run concurrency
    # The burst (group commit against Wix's quota scaled 10x down): 1,000 payments at once.
    burst_payments: int = 1000
    quota_reads_per_minute: int = 300
    quota_writes_per_minute: int = 150
    burst_timeout: float = 1800.0
    single_payments: int = 20  # one payment at a time, for the latency before/after

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            concurrency=(1, 8, 32),
            level_seconds=2,
            rates=(100, 300),
            rate_seconds=3,
            e2e_seconds=4,
            degraded_seconds=4,
            compare_seconds=4,
            drain_timeout=180,
            burst_payments=100,
            single_payments=5,
        )


@dataclass
class Report:
    machine: dict[str, Any] = field(default_factory=dict)
    tuning: dict[str, Any] = field(default_factory=dict)
    closed: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)
    e2e_emulator_push: dict[str, Any] = field(default_factory=dict)
    e2e: dict[str, Any] = field(default_factory=dict)
    degraded: dict[str, Any] = field(default_factory=dict)
    compare: dict[str, Any] = field(default_factory=dict)
    burst: dict[str, Any] = field(default_factory=dict)
    memory: list[dict[str, Any]] = field(default_factory=list)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


# requests ------------------------------------------------------------------------------------
def charge_requests(target: httpload.Target, secret: str, count: int, tag: str) -> list[bytes]:
    """`count` charge.succeeded webhooks of distinct payments (each published: none ignored)."""
    out = []
    for i in range(count):
        payment = Payment(intent_id=f"pi_{tag}_{i:06d}")
        body, header = signed(event("charge.succeeded", payment.charge()), secret)
        out.append(httpload.raw_request(target, WEBHOOK, body, {"Stripe-Signature": header}))
    return out


def payment_batches(
    target: httpload.Target, secret: str, count: int, tag: str
) -> tuple[list[str], list[list[bytes]]]:
    """Per payment, its two webhooks (charge.succeeded, payment_intent.succeeded), sent together
    as Stripe does."""
    ids, batches = [], []
    for i in range(count):
        payment = Payment(intent_id=f"pi_{tag}_{i:06d}")
        ids.append(payment.intent_id)
        batch = []
        for evt in card_success_events(payment):
            body, header = signed(evt, secret)
            batch.append(httpload.raw_request(target, WEBHOOK, body, {"Stripe-Signature": header}))
        batches.append(batch)
    return ids, batches


def summary(run: httpload.Run) -> dict[str, Any]:
    return {
        "requests": len(run.samples),
        "ok": len(run.ok),
        "statuses": {str(k): v for k, v in sorted(run.statuses().items())},
        "throughput_per_s": round(run.throughput(), 1),
        **{k: round(v, 1) for k, v in run.percentiles().items()},
        "client_cpu_us_per_request": round(run.client_cpu_per_request_us(), 1),
    }


def cpu_snapshot(stack: BenchStack) -> dict[str, float]:
    return {name: cpu_seconds(s.pid) for name, s in stack.services.items()}


def cpu_per_request(
    before: dict[str, float], after: dict[str, float], requests: int
) -> dict[str, float]:
    return {
        name: round((after[name] - before[name]) / requests * 1000, 3)
        for name in ("ingest", "pubsub-emulator", "writer", "wix-standin", "push-deliverer")
        if name in before and name in after and requests
    }


# phases --------------------------------------------------------------------------------------
def phase_ingest(stack: BenchStack, plan: Plan, report: Report) -> None:
    target = httpload.Target.from_url(stack.config.ingest_url)
    secret = stack.config.webhook_secret
    # Ingest alone: in production the writer runs on other machines.
    stack.remove_subscription()
    httpload.closed_loop(target, charge_requests(target, secret, 3000, "warm"), 16, 10)
    for c in plan.concurrency:
        reqs = charge_requests(target, secret, int(plan.level_seconds * 1200), f"c{c}")
        before = cpu_snapshot(stack)
        run = httpload.closed_loop(target, reqs, c, plan.level_seconds)
        row = {"concurrency": c, **summary(run)}
        row["cpu_ms_per_webhook"] = cpu_per_request(before, cpu_snapshot(stack), len(run.samples))
        report.closed.append(row)
        print(_closed_line(row), flush=True)
    for rate in plan.rates:
        n = int(rate * plan.rate_seconds)
        reqs = charge_requests(target, secret, n, f"r{rate}")
        before = cpu_snapshot(stack)
        run = httpload.open_loop(target, [[r] for r in reqs], rate)
        row = {"offered_per_s": rate, **summary(run)}
        row["achieved_per_s"] = round(len(run.ok) / (n / rate), 1)
        row["cpu_ms_per_webhook"] = cpu_per_request(before, cpu_snapshot(stack), len(run.samples))
        report.open.append(row)
        print(_open_line(row), flush=True)
    stack.restore_subscription()


def drain(
    stack: BenchStack, ids: list[str], timeout: float
) -> tuple[float, dict[str, dict[str, Any]]]:
    """Wait until every payment's record is succeeded and paid-with, and Wix traffic has been
    quiet for 3 s (later deliveries would only be no-ops); returns (seconds, items)."""
    started = time.monotonic()
    wanted = set(ids)

    def complete() -> bool:
        items = stack.records()
        return all(
            items.get(i, {}).get("status") == "succeeded" and items[i].get("paidWith")
            for i in wanted
        )

    wait_until(complete, timeout, 1.0, "every record")
    done = time.monotonic() - started
    last: list[int] = []

    def quiet() -> bool:
        last.append(sum(served_by_kind(stack).values()))
        return len(last) >= 4 and last[-1] == last[-4]

    wait_until(quiet, timeout, 1.0, "quiet Wix traffic")
    return done, stack.records()


def served_by_kind(stack: BenchStack) -> dict[str, int]:
    """Wix requests the stand-in served, reads and writes (a bulk call once)."""
    served = stack.wix_stats().get("requests", {})
    return {"read": int(served.get("read", 0)), "write": int(served.get("write", 0))}


def e2e_figures(
    stack: BenchStack,
    ids: list[str],
    sent_at: dict[int, float],
    items: dict[str, dict[str, Any]],
    served_before: dict[str, int],
) -> dict[str, Any]:
    first, final = [], []
    for n, item_id in enumerate(ids):
        item = items[item_id]
        first.append(_epoch(item["_createdDate"]["$date"]) - sent_at[n])
        final.append(_epoch(item["_updatedDate"]["$date"]) - sent_at[n])
    counts = stack.wix_stats()["items"]
    served = served_by_kind(stack)
    writes = sum(counts.get(i, {}).get("write", 0) for i in ids)
    wrong = [i for i in ids if items[i].get("status") != "succeeded"]
    return {
        "payments": len(ids),
        "records": sum(1 for i in ids if i in items),
        "wrong": len(wrong),
        "first_record": {k: round(v, 1) for k, v in httpload.latency_summary(first).items()},
        "final_record": {k: round(v, 1) for k, v in httpload.latency_summary(final).items()},
        # Requests over the phase (the stand-in serves nothing else meanwhile); item writes are
        # the times an item was written, in a bulk save or alone.
        "wix_reads_per_payment": round((served["read"] - served_before["read"]) / len(ids), 2),
        "wix_writes_per_payment": round((served["write"] - served_before["write"]) / len(ids), 2),
        "item_writes_per_payment": round(writes / len(ids), 2),
    }


def phase_e2e(
    stack: BenchStack, rate: float, seconds: float, tag: str, timeout: float
) -> dict[str, Any]:
    target = httpload.Target.from_url(stack.config.ingest_url)
    ids, batches = payment_batches(target, stack.config.webhook_secret, int(rate * seconds), tag)
    sent_at: dict[int, float] = {}
    before = cpu_snapshot(stack)
    served_before = served_by_kind(stack)
    run = httpload.open_loop(target, batches, rate, on_start=sent_at.__setitem__)
    # open_loop returns once the last webhook is answered: from there, how long until the
    # last record is complete (and Wix traffic quiet).
    done, items = drain(stack, ids, timeout)
    result = {
        "rate_payments_per_s": rate,
        "webhooks_per_s": rate * 2,
        "seconds": seconds,
        "webhook": summary(run),
        "all_records_after_last_send_s": round(done, 1),
        **e2e_figures(stack, ids, sent_at, items, served_before),
    }
    result["cpu_ms_per_payment"] = cpu_per_request(before, cpu_snapshot(stack), len(ids))
    return result


def phase_compare(stack: BenchStack, plan: Plan, report: Report) -> None:
    secret = stack.config.webhook_secret
    rows: dict[str, dict[str, Any]] = {}
    for name, url in (("queued (ours)", stack.config.ingest_url), ("inline Wix", stack.inline_url)):
        target = httpload.Target.from_url(url)
        n = int(plan.compare_rate * plan.compare_seconds)
        _, batches = payment_batches(target, secret, n, f"cmp{len(rows)}")
        run = httpload.open_loop(target, batches, plan.compare_rate, timeout=60)
        rows[name] = summary(run)
        print(f"  {name:<14} {_lat(rows[name])}  statuses {rows[name]['statuses']}", flush=True)
    target = httpload.Target.from_url(stack.inline_url)
    cap = httpload.closed_loop(
        target,
        charge_requests(target, secret, 2000, "cap"),
        stack.tuning.ingest_workers * stack.tuning.ingest_threads,
        10,
        timeout=60,
    )
    report.compare = {
        "rate_payments_per_s": plan.compare_rate,
        "seconds": plan.compare_seconds,
        "rows": rows,
        "p99_ratio_inline_over_ours": round(
            rows["inline Wix"]["p99_ms"] / rows["queued (ours)"]["p99_ms"], 1
        ),
        "inline_capacity": summary(cap),
    }


# burst: group commit against the quota --------------------------------------------------------
# Writer settings of each path. The baseline is the per-message path as it was before group
# commit: a window of 0, two workers, and a pace of 50 requests/s per worker (the removed
# WIX_REQUESTS_PER_SECOND default), which never waits for the quota.
PER_MESSAGE = {
    "WRITER_BATCH_WINDOW_MS": "0",
    "WEB_CONCURRENCY": "2",
    "GUNICORN_THREADS": "32",
    "WIX_READS_PER_MINUTE": "6000",
    "WIX_WRITES_PER_MINUTE": "6000",
}
# Group commit with the default window, one process; for the latency run an unbinding budget.
BATCHED = {
    "WRITER_BATCH_WINDOW_MS": "20",
    "WIX_READS_PER_MINUTE": "6000",
    "WIX_WRITES_PER_MINUTE": "6000",
}


def batched_under_quota(plan: Plan) -> dict[str, str]:
    """The writer's default share of a site's quota, a fifth, scaled like the quota."""
    return {
        **BATCHED,
        "WIX_READS_PER_MINUTE": str(plan.quota_reads_per_minute // 5),
        "WIX_WRITES_PER_MINUTE": str(plan.quota_writes_per_minute // 5),
    }


def wix_requests(stack: BenchStack) -> tuple[int, int]:
    stats = stack.wix_stats()
    served = stats.get("requests", {})
    refused = stats.get("quota_refused", {})
    return (
        int(served.get("read", 0)) + int(served.get("write", 0)),
        int(refused.get("read", 0)) + int(refused.get("write", 0)),
    )


def all_correct(stack: BenchStack, ids: list[str]) -> bool:
    items = stack.records()
    return all(
        items.get(i, {}).get("status") == "succeeded" and items[i].get("paidWith") == "Card"
        for i in ids
    )


def one_at_a_time(stack: BenchStack, count: int, tag: str) -> dict[str, Any]:
    """Payments sent one after the other, each once the previous one's record is final: the
    latency of one payment alone, from its first webhook to its final record."""
    target = httpload.Target.from_url(stack.config.ingest_url)
    ids, batches = payment_batches(target, stack.config.webhook_secret, count, tag)
    latencies = []
    c = stack.config
    session = requests.Session()
    session.headers.update({"Authorization": c.wix_api_key, "wix-site-id": c.wix_site_id})

    def final(item_id: str) -> dict[str, Any] | None:
        # One item through the stand-in's Wix API: cheap, unlike listing the whole collection.
        answer = session.get(
            f"{c.standin_url}/wix-data/v2/items/{item_id}",
            params={"dataCollectionId": c.collection_id},
            timeout=10,
        )
        data = answer.json().get("dataItem", {}).get("data") if answer.ok else None
        done = data and data.get("status") == "succeeded" and data.get("paidWith") == "Card"
        return data if done else None

    for item_id, batch in zip(ids, batches, strict=True):
        sent = time.time()
        httpload.open_loop(target, [batch], 1000)
        wait_until(lambda i=item_id: final(i) is not None, 60, 0.02, "the payment's record")
        item = final(item_id)
        assert item is not None
        latencies.append(_epoch(item["_updatedDate"]["$date"]) - sent)
    return {k: round(v, 1) for k, v in httpload.latency_summary(latencies).items()}


def one_burst(stack: BenchStack, plan: Plan, tag: str) -> dict[str, Any]:
    target = httpload.Target.from_url(stack.config.ingest_url)
    ids, batches = payment_batches(target, stack.config.webhook_secret, plan.burst_payments, tag)
    webhooks = [r for batch in batches for r in batch]
    stack.set_wix_quota(plan.quota_reads_per_minute, plan.quota_writes_per_minute)
    served_before, refused_before = wix_requests(stack)
    started = time.monotonic()
    run = httpload.closed_loop(target, webhooks, 32, plan.burst_timeout, timeout=60)
    sent_in = time.monotonic() - started
    wait_until(lambda: all_correct(stack, ids), plan.burst_timeout, 1.0, "every burst record")
    correct_after = time.monotonic() - started
    served, refused = wix_requests(stack)
    stack.set_wix_quota(None, None)
    return {
        "payments": len(ids),
        "webhooks": summary(run),
        "sent_in_s": round(sent_in, 1),
        "all_correct_after_s": round(correct_after, 1),
        "wix_requests": served - served_before,
        "wix_requests_per_payment": round((served - served_before) / len(ids), 3),
        "refused_for_quota": refused - refused_before,
    }


def phase_burst(stack: BenchStack, plan: Plan) -> dict[str, Any]:
    result: dict[str, Any] = {
        "quota": {
            "reads_per_minute": plan.quota_reads_per_minute,
            "writes_per_minute": plan.quota_writes_per_minute,
        },
        "writer": {"per_message": PER_MESSAGE, "batched": batched_under_quota(plan)},
    }
    # One payment at a time first, both paths, on a quiet stack: after a burst, its late
    # redeliveries would still be in the writer's way.
    stack.restart_writer(**PER_MESSAGE)
    result["single_per_message_ms"] = one_at_a_time(stack, plan.single_payments, "one0")
    print(
        f"  one payment at a time, per-message path: {_ms(result['single_per_message_ms'])}",
        flush=True,
    )
    stack.restart_writer(**BATCHED)
    result["single_batched_ms"] = one_at_a_time(stack, plan.single_payments, "one1")
    print(
        f"  one payment at a time, group commit:     {_ms(result['single_batched_ms'])}", flush=True
    )
    stack.restart_writer(**PER_MESSAGE)
    result["baseline"] = one_burst(stack, plan, "burst0")
    print("  " + _burst_line("per-message (baseline)", result["baseline"]), flush=True)
    stack.restart_writer(**batched_under_quota(plan))
    result["batched"] = one_burst(stack, plan, "burst1")
    print("  " + _burst_line("group commit", result["batched"]), flush=True)
    stack.restart_writer()
    return result


def _ms(row: dict[str, Any]) -> str:
    return f"p50 {row['p50_ms']:.0f} ms  p95 {row['p95_ms']:.0f} ms  max {row['max_ms']:.0f} ms"


def _burst_line(name: str, b: dict[str, Any]) -> str:
    return (
        f"{name:<24} all {b['payments']} records correct after {b['all_correct_after_s']} s "
        f"(sent in {b['sent_in_s']} s); Wix requests {b['wix_requests']} = "
        f"{b['wix_requests_per_payment']} per payment; refused for quota {b['refused_for_quota']}"
    )


# main ----------------------------------------------------------------------------------------
def run_burst_only(plan: Plan, tuning: Tuning, state_dir: Path) -> Report:
    report = Report(machine=machine(), tuning=asdict(tuning))
    stack = BenchStack(StackConfig.on_free_ports(state_dir), tuning)
    print(_machine_line(report.machine, tuning), flush=True)
    stack.start()
    try:
        report.burst = phase_burst(stack, plan)
        print("\ntargets\n" + _targets(report), flush=True)
    finally:
        stack.stop()
    report.machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\nload average at end: {report.machine['load_average_at_end']}")
    return report


def run_bench(plan: Plan, tuning: Tuning, state_dir: Path) -> Report:
    report = Report(machine=machine(), tuning=asdict(tuning))
    # The emulator's own push first (phase 2a), then the deliverer (one way: see Stack).
    stack = BenchStack(StackConfig.on_free_ports(state_dir, push_delivery="emulator"), tuning)
    print(_machine_line(report.machine, tuning), flush=True)
    stack.start()
    try:
        stack.start_inline()
        print(
            "\n1. ingest alone: signed charge.succeeded webhooks, publish acknowledged", flush=True
        )
        phase_ingest(stack, plan, report)

        print(
            f"\n2a. end to end, {plan.e2e_rate:g} payments/s (2 webhooks each), healthy Wix, "
            "the emulator's own push (one message at a time)",
            flush=True,
        )
        report.e2e_emulator_push = phase_e2e(
            stack, plan.e2e_rate, plan.e2e_seconds, "e2ea", plan.drain_timeout
        )
        print(_e2e_lines(report.e2e_emulator_push), flush=True)

        stack.use_push_deliverer(plan.relay_concurrency)
        phase_e2e(stack, 5, 1, "relaywarm", plan.drain_timeout)  # the deliverer is pulling
        print(
            f"\n2b. end to end, {plan.e2e_rate:g} payments/s, healthy Wix, push delivered "
            f"concurrently as Cloud Pub/Sub does (devstack/push_deliverer.py, up to "
            f"{plan.relay_concurrency} at once), group commit",
            flush=True,
        )
        report.e2e = phase_e2e(stack, plan.e2e_rate, plan.e2e_seconds, "e2eb", plan.drain_timeout)
        print(_e2e_lines(report.e2e), flush=True)

        stack.set_wix_faults(latency_ms=500, error_rate=0.1)
        print(
            f"\n3. end to end, {plan.e2e_rate:g} payments/s, Wix degraded: +500 ms on every call, 10 % answered 500",
            flush=True,
        )
        report.degraded = phase_e2e(
            stack, plan.e2e_rate, plan.degraded_seconds, "deg", plan.drain_timeout
        )
        print(_e2e_lines(report.degraded), flush=True)

        print(
            f"\n4. same degraded Wix, {plan.compare_rate:g} payments/s for {plan.compare_seconds:g} s: ours vs a handler that writes to Wix inline",
            flush=True,
        )
        phase_compare(stack, plan, report)
        print(_compare_lines(report.compare), flush=True)
        stack.set_wix_faults()

        print(
            f"\n6. burst: {plan.burst_payments} payments (2 webhooks each) as fast as ingest "
            f"takes them, Wix quota scaled 10x down ({plan.quota_reads_per_minute} reads, "
            f"{plan.quota_writes_per_minute} writes a minute); baseline = one message at a "
            "time, as before group commit",
            flush=True,
        )
        report.burst = phase_burst(stack, plan)

        report.memory = [
            asdict(peak_memory(name, s.pid))
            for name, s in stack.services.items()
            if name
            in (
                "ingest",
                "writer",
                "wix-standin",
                "pubsub-emulator",
                "inline-wix",
                "push-deliverer",
            )
        ]
        print("\n5. peak memory (VmHWM) after all phases", flush=True)
        print(_memory_lines(report.memory), flush=True)
        print("\ntargets", flush=True)
        print(_targets(report), flush=True)
    finally:
        stack.stop()
    report.machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\nload average at end: {report.machine['load_average_at_end']}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run to check the harness")
    parser.add_argument(
        "--only-burst",
        action="store_true",
        help="only phase 6 (the burst against the scaled Wix quota, ~15 min)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bench.json")
    parser.add_argument("--chart", type=Path, default=CHART)
    parser.add_argument("--ingest-workers", type=int, default=Tuning.ingest_workers)
    parser.add_argument("--ingest-threads", type=int, default=Tuning.ingest_threads)
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    tuning = Tuning(ingest_workers=args.ingest_workers, ingest_threads=args.ingest_threads)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if args.only_burst:
            report = run_burst_only(plan, tuning, Path(tmp))
            out = (
                args.out.with_name("burst.json") if args.out == RESULTS / "bench.json" else args.out
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(asdict(report), indent=2))
            print(f"\nwrote {out}")
            return 0
        report = run_bench(plan, tuning, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asdict(report), indent=2))
    from bench.chart import draw

    draw(report, args.chart)
    print(
        f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
        f" and {args.chart.relative_to(ROOT) if args.chart.is_relative_to(ROOT) else args.chart}"
    )
    return 0


# printing ------------------------------------------------------------------------------------
def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _lat(row: dict[str, Any]) -> str:
    return (
        f"p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f}  p99 {row['p99_ms']:7.1f}  "
        f"max {row['max_ms']:7.1f} ms"
    )


def _cpu(cpu: dict[str, float]) -> str:
    return " ".join(f"{k.replace('pubsub-', '')}={v:.2f}" for k, v in cpu.items() if v)


def _machine_line(m: dict[str, Any], tuning: Tuning) -> str:
    return (
        f"machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, load average at start {m['load_average_at_start']}\n"
        f"ingest: gunicorn gthread {tuning.ingest_workers} workers x {tuning.ingest_threads} threads; "
        f"writer {tuning.writer_workers} x {tuning.writer_threads}; Wix stand-in 1 x {tuning.standin_threads}"
    )


def _closed_line(row: dict[str, Any]) -> str:
    return (
        f"  closed loop, {row['concurrency']:3d} connections: {row['throughput_per_s']:6.0f} webhooks/s  "
        f"{_lat(row)}  non-2xx {row['requests'] - row['ok']}  client {row['client_cpu_us_per_request']:.0f} us/req  "
        f"CPU ms/webhook {_cpu(row['cpu_ms_per_webhook'])}"
    )


def _open_line(row: dict[str, Any]) -> str:
    return (
        f"  open loop, {row['offered_per_s']:4d}/s offered: {row['achieved_per_s']:6.0f}/s answered 2xx  "
        f"{_lat(row)}  non-2xx {row['requests'] - row['ok']}  CPU ms/webhook {_cpu(row['cpu_ms_per_webhook'])}"
    )


def _e2e_lines(e: dict[str, Any]) -> str:
    w = e["webhook"]
    return "\n".join(
        [
            f"  webhooks: {w['requests']} sent, {w['ok']} answered 2xx   {_lat(w)}",
            f"  records: {e['records']}/{e['payments']} payments recorded, {e['wrong']} wrong; "
            f"all there {e['all_records_after_last_send_s']} s after the last webhook",
            f"  webhook -> first Wix record: {_lat(e['first_record'])}",
            f"  webhook -> final Wix record: {_lat(e['final_record'])}",
            f"  Wix requests per payment: {e['wix_reads_per_payment']} reads, {e['wix_writes_per_payment']} writes, "
            f"{e.get('item_writes_per_payment', '?')} item writes "
            f"(2 webhooks per payment)   CPU ms/payment {_cpu(e['cpu_ms_per_payment'])}",
        ]
    )


def _compare_lines(c: dict[str, Any]) -> str:
    cap = c["inline_capacity"]
    return (
        f"  p99 ratio, inline / ours: {c['p99_ratio_inline_over_ours']}x\n"
        f"  inline handler's capacity under this Wix ({cap['requests']} requests, "
        f"closed loop at its thread count): {cap['throughput_per_s']:.1f} webhooks/s answered 2xx, "
        f"{cap['requests'] - cap['ok']} non-2xx"
    )


def _memory_lines(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {r['service']:<16} {r['processes']} processes: largest {r['max_mib']:6.1f} MiB, "
        f"sum {r['sum_mib']:6.1f} MiB"
        for r in rows
    )


def _targets(r: Report) -> str:
    at_500 = next((row for row in r.open if row["offered_per_s"] == 500), None)
    within = [row for row in r.open if row["p99_ms"] <= 50 and row["ok"] == row["requests"]]
    best = max(within, key=lambda row: row["achieved_per_s"], default=None)
    lines = []
    if at_500:
        met = at_500["achieved_per_s"] >= 500 and at_500["p99_ms"] <= 50
        lines.append(
            f"  ingest >= 500 verified webhooks/s with p99 <= 50 ms: {'MET' if met else 'NOT MET'} "
            f"(500/s offered: {at_500['achieved_per_s']:.0f}/s answered, p99 {at_500['p99_ms']:.1f} ms"
            + (f"; highest rate within p99 50 ms: {best['achieved_per_s']:.0f}/s)" if best else ")")
        )
    for label, e in (("emulator push", r.e2e_emulator_push), ("concurrent push", r.e2e)):
        if e:
            p99 = e["final_record"]["p99_ms"]
            lines.append(
                f"  end-to-end p99 <= 2 s at {e['rate_payments_per_s']:g} payments/s ({label}): "
                f"{'MET' if p99 <= 2000 else 'NOT MET'} (p99 {p99:.0f} ms to the final record)"
            )
    if r.burst:
        base, batched = r.burst["baseline"], r.burst["batched"]
        ratio = batched["all_correct_after_s"] / max(base["all_correct_after_s"], 1e-9)
        single = r.burst["single_batched_ms"]["p50_ms"] - r.burst["single_per_message_ms"]["p50_ms"]
        met = (
            batched["wix_requests_per_payment"] <= 0.3
            and batched["refused_for_quota"] == 0
            and ratio <= 0.2
        )
        lines.append(
            f"  burst at the scaled quota: <= 0.3 Wix requests/payment, none refused, <= 1/5 of "
            f"the baseline's time: {'MET' if met else 'NOT MET'} "
            f"({batched['wix_requests_per_payment']}/payment, {batched['refused_for_quota']} "
            f"refused, {ratio:.2f} of the baseline's {base['all_correct_after_s']} s)"
        )
        lines.append(
            f"  one payment at a time within 60 ms of the per-message path: "
            f"{'MET' if single <= 60 else 'NOT MET'} (p50 {single:+.0f} ms)"
        )
    if r.degraded and r.e2e:
        lines.append(
            f"  degraded Wix: webhook p99 {r.degraded['webhook']['p99_ms']:.1f} ms "
            f"(healthy, same push: {r.e2e['webhook']['p99_ms']:.1f} ms); records "
            f"{r.degraded['records']}/{r.degraded['payments']}, {r.degraded['wrong']} wrong"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
