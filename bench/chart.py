"""The chart of docs/performance.md: webhook latency against load (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

P99_TARGET_MS = 50


def draw(report: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(17, 5))
    rows = report.open
    if rows:
        rates = [r["offered_per_s"] for r in rows]
        for key, style in (("p50_ms", "o-"), ("p95_ms", "s-"), ("p99_ms", "^-")):
            left.plot(rates, [r[key] for r in rows], style, label=key.replace("_ms", ""))
        left.axhline(P99_TARGET_MS, color="red", linestyle="--", linewidth=1, label="p99 target")
        left.set_xlabel("offered webhooks/s (open loop)")
        left.set_ylabel("webhook latency, ms (publish acknowledged)")
        left.set_title("ingest: latency against offered load")
        left.set_yscale("log")
        left.grid(True, which="both", alpha=0.3)
        left.legend()
    rows = report.closed
    if rows:
        throughput = [r["throughput_per_s"] for r in rows]
        for key, style in (("p50_ms", "o-"), ("p99_ms", "^-")):
            middle.plot(throughput, [r[key] for r in rows], style, label=key.replace("_ms", ""))
        for r in rows:
            middle.annotate(
                str(r["concurrency"]),
                (r["throughput_per_s"], r["p99_ms"]),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
        middle.set_xlabel("webhooks/s answered (closed loop; labels: connections)")
        middle.set_ylabel("latency, ms")
        middle.set_title("ingest: throughput against concurrency")
        middle.set_yscale("log")
        middle.grid(True, which="both", alpha=0.3)
        middle.legend()
    bars = []
    if report.e2e:
        bars.append(("ours\nhealthy Wix\n50 pay/s", report.e2e["webhook"]))
    if report.degraded:
        bars.append(("ours\ndegraded\n50 pay/s", report.degraded["webhook"]))
    for name, row in (report.compare.get("rows") or {}).items() if report.compare else ():
        rate = report.compare["rate_payments_per_s"]
        bars.append((f"{name}\ndegraded\n{rate:g} pay/s", row))
    if bars:
        width = 0.38
        xs = range(len(bars))
        for offset, key in ((-width / 2, "p50_ms"), (width / 2, "p99_ms")):
            values = [row[key] for _, row in bars]
            drawn = right.bar([x + offset for x in xs], values, width, label=key.replace("_ms", ""))
            right.bar_label(drawn, fmt="%.0f", fontsize=8)
        right.set_xticks(list(xs), [name for name, _ in bars], fontsize=8)
        right.set_yscale("log")
        right.set_ylabel("webhook latency, ms")
        right.set_title("Stripe's wait when Wix is slow (+500 ms, 10 % errors)")
        right.legend()
    for axis in (left, middle, right):
        axis.yaxis.set_major_formatter(ScalarFormatter())
        axis.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
