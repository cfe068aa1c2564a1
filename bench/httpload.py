"""A small HTTP/1.1 keep-alive load client on asyncio streams, cheap enough not to be the
bottleneck on a 2-core machine (no per-request object churn beyond one bytes buffer).

Requests are pre-built raw bytes (headers + pre-signed body), so the client does no signing or
JSON work while it measures. Two drivers:

- `closed_loop`: `concurrency` connections, each sending its next request as soon as the last
  one answered (throughput at a concurrency level);
- `open_loop`: requests start on a fixed schedule whatever the server does, and latency is
  measured from the scheduled start, so a slow server cannot hide its queueing (no coordinated
  omission).

The client's own CPU time is returned with every run, so its overhead is a measured figure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> Target:
        rest = url.split("://", 1)[-1].rstrip("/")
        host, _, port = rest.partition(":")
        return cls(host, int(port or 80))


def raw_request(
    target: Target, path: str, body: bytes, headers: dict[str, str] | None = None
) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, target: Target) -> None:
        self.target = target
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.target.host, self.target.port
        )

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """(status, body); raises OSError / asyncio.IncompleteReadError when the peer is gone."""
        if self._writer is None:
            await self._open()
        assert self._reader is not None and self._writer is not None
        try:
            self._writer.write(raw)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            at = lower.find(b"content-length:")
            length = int(lower[at + 15 : lower.index(b"\r\n", at)]) if at >= 0 else 0
            body = await self._reader.readexactly(length) if length else b""
            if b"connection: close" in lower:
                self.close()
            return status, body
        except BaseException:
            self.close()
            raise


@dataclass
class Sample:
    started: float  # wall clock (time.time()) of the scheduled or actual start
    latency: float  # seconds
    status: int  # 0 = connection error / timeout


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if 200 <= s.status < 300]

    def throughput(self) -> float:
        return len(self.ok) / self.wall if self.wall else 0.0

    def percentiles(self) -> dict[str, float]:
        return latency_summary([s.latency for s in self.samples])

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for s in self.samples:
            counts[s.status] = counts.get(s.status, 0) + 1
        return counts

    def client_cpu_per_request_us(self) -> float:
        return self.client_cpu / len(self.samples) * 1e6 if self.samples else 0.0


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def latency_summary(latencies: Sequence[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": percentile(ordered, 50) * 1000,
        "p95_ms": percentile(ordered, 95) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": (ordered[-1] if ordered else float("nan")) * 1000,
    }


async def _closed(
    target: Target, requests: Sequence[bytes], concurrency: int, duration: float, timeout: float
) -> Run:
    run = Run()
    next_index = 0
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + duration

    async def worker() -> None:
        nonlocal next_index
        conn = Connection(target)
        try:
            while next_index < len(requests) and loop.time() < stop_at:
                raw = requests[next_index]
                next_index += 1
                wall, start = time.time(), loop.time()
                try:
                    status, _ = await asyncio.wait_for(conn.send(raw), timeout)
                except (OSError, asyncio.IncompleteReadError, TimeoutError):
                    status = 0
                run.samples.append(Sample(wall, loop.time() - start, status))
        finally:
            conn.close()

    cpu0, t0 = time.process_time(), loop.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.wall, run.client_cpu = loop.time() - t0, time.process_time() - cpu0
    return run


def closed_loop(
    target: Target,
    requests: Sequence[bytes],
    concurrency: int,
    duration: float,
    timeout: float = 30.0,
) -> Run:
    """Send `requests` in order over `concurrency` keep-alive connections, for at most
    `duration` seconds or until they run out."""
    return asyncio.run(_closed(target, requests, concurrency, duration, timeout))


async def _open(
    target: Target,
    batches: Sequence[Sequence[bytes]],
    rate: float,
    timeout: float,
    on_start: Callable[[int, float], None] | None,
) -> Run:
    """Batch i (e.g. one payment's events) starts at t0 + i / rate; its requests go at once."""
    run = Run()
    loop = asyncio.get_running_loop()
    idle: list[Connection] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(raw: bytes, scheduled: float, wall: float) -> None:
        conn = idle.pop() if idle else Connection(target)
        try:
            status, _ = await asyncio.wait_for(conn.send(raw), timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            status = 0
            conn.close()
        run.samples.append(Sample(wall, loop.time() - scheduled, status))
        idle.append(conn)

    cpu0 = time.process_time()
    t0 = loop.time() + 0.05
    wall0 = time.time() + 0.05
    for i, batch in enumerate(batches):
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        wall = wall0 + i / rate
        if on_start:
            on_start(i, wall)
        for raw in batch:
            task = loop.create_task(one(raw, scheduled, wall))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*list(tasks))
    run.wall = loop.time() - t0
    run.client_cpu = time.process_time() - cpu0
    for conn in idle:
        conn.close()
    return run


def open_loop(
    target: Target,
    batches: Sequence[Sequence[bytes]],
    rate: float,
    timeout: float = 30.0,
    on_start: Callable[[int, float], None] | None = None,
) -> Run:
    """Start batch i at i / rate seconds (open loop); `on_start(i, wall_clock)` is told when."""
    return asyncio.run(_open(target, batches, rate, timeout, on_start))
