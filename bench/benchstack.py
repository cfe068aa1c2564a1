"""The local stack as the benchmarks drive it, plus what they read from it.

`BenchStack` is devstack's Stack with the thread counts set per service and the bench-only
inline-Wix handler served under the same gunicorn settings as ingest.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import processes
from devstack.stack import Stack, StackConfig


@dataclass(frozen=True)
class Tuning:
    ingest_workers: int = 2
    ingest_threads: int = 8
    # One process, so that concurrent pushes meet in one group commit. A push mostly waits on
    # Wix (two calls of up to 500 ms when Wix is degraded), so the writer needs more threads
    # than ingest for the same message rate.
    writer_workers: int = 1
    writer_threads: int = 80  # as the writer on Cloud Run (terraform: local.writer_threads)
    # The stand-in plays Wix, which is not thread-limited: enough threads that an injected
    # 500 ms latency is latency, not a queue in front of the stand-in.
    standin_threads: int = 96


class BenchStack(Stack):
    def __init__(self, config: StackConfig, tuning: Tuning) -> None:
        super().__init__(config)
        self.tuning = tuning
        self.inline_port = processes.free_port()
        self.writer_overrides: dict[str, str] = {}

    def ingest_env(self) -> dict[str, str]:
        env = super().ingest_env()
        env.update(
            WEB_CONCURRENCY=str(self.tuning.ingest_workers),
            GUNICORN_THREADS=str(self.tuning.ingest_threads),
        )
        return env

    def writer_env(self) -> dict[str, str]:
        env = super().writer_env()
        env.update(
            WEB_CONCURRENCY=str(self.tuning.writer_workers),
            GUNICORN_THREADS=str(self.tuning.writer_threads),
        )
        env.update(self.writer_overrides)
        return env

    def restart_writer(self, **overrides: str) -> None:
        """The writer again, on its port, with these settings over the tuning's."""
        self.writer_overrides = dict(overrides)
        old = self.services.pop("writer", None)
        if old:
            old.stop()
        self.start_writer()

    def set_wix_quota(self, reads_per_minute: int | None, writes_per_minute: int | None) -> None:
        """The Wix stand-in's per-minute quota (None: none); its minute starts now."""
        import requests

        requests.post(
            f"{self.config.standin_url}/_standin/quota",
            json={"reads_per_minute": reads_per_minute, "writes_per_minute": writes_per_minute},
            timeout=10,
        ).raise_for_status()

    def standin_env(self) -> dict[str, str]:
        env = super().standin_env()
        env["GUNICORN_THREADS"] = str(self.tuning.standin_threads)
        return env

    @property
    def inline_url(self) -> str:
        return f"http://127.0.0.1:{self.inline_port}"

    def start_inline(self) -> processes.Service:
        """The naive handler (bench/inline_app.py): same workers and threads as ingest."""
        env = self.writer_env()
        env.update(
            PORT=str(self.inline_port),
            STRIPE_WEBHOOK_SECRET=self.config.webhook_secret,
            WEB_CONCURRENCY=str(self.tuning.ingest_workers),
            GUNICORN_THREADS=str(self.tuning.ingest_threads),
            PYTHONPATH=str(Path(__file__).resolve().parent.parent),
        )
        return self.gunicorn(
            "inline-wix", "bench.inline_app:create_inline_app_from_env()", env, self.inline_url
        )

    # Pub/Sub -----------------------------------------------------------------------------
    def remove_subscription(self) -> None:
        """Only ingest runs (phase 1): with no subscription on the topic, Pub/Sub acknowledges
        and keeps nothing, so no backlog builds up in the emulator (which slows it down)."""
        sub, path = self._subscriber()
        sub.delete_subscription(request={"subscription": path})
        sub.close()

    def restore_subscription(self) -> None:
        """The writer's push subscription again, as Stack made it."""
        self.create_topology()

    def _subscriber(self) -> tuple[Any, str]:
        os.environ["PUBSUB_EMULATOR_HOST"] = self.config.emulator_host
        from google.cloud import pubsub_v1

        sub = pubsub_v1.SubscriberClient()
        return sub, sub.subscription_path(self.config.project, self.topology.push_subscription)


def wait_until(
    predicate: Any, timeout: float, interval: float = 1.0, what: str = "condition"
) -> float:
    """Poll until predicate() is true; returns the seconds it took, raises on the deadline."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not reached after {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started


# peak memory -----------------------------------------------------------------------------
def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


@dataclass(frozen=True)
class PeakMemory:
    service: str
    processes: int
    sum_mib: float  # every process's own peak RSS added up (shared pages counted in each)
    max_mib: float  # the largest single process (a worker, or the emulator's JVM)


def peak_memory(service: str, pid: int) -> PeakMemory:
    """VmHWM (peak resident set) of a service's process and all its descendants."""
    peaks = [
        kb for p in [pid, *processes.descendants(pid)] if (kb := _status_kb(p, "VmHWM")) is not None
    ]
    return PeakMemory(
        service, len(peaks), round(sum(peaks) / 1024, 1), round(max(peaks, default=0) / 1024, 1)
    )


def python_version() -> str:
    return sys.version.split()[0]


# CPU -------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU of a service's process and its live descendants, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *processes.descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks
