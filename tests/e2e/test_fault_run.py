"""The fault run's mechanism, small enough for CI: 50 payments, shuffled and duplicated, Wix
failing 15 % of requests, the writer SIGKILLed mid-run and restarted on its port; delivered
concurrently as Cloud does (devstack/push_deliverer.py), so the writer's group commit batches,
and the deliverer retries what the dead writer could not answer. The full run (2,000 payments,
three kills) is `make fault-run`."""

from __future__ import annotations

import pytest

from bench.fault_run import FaultPlan, run_faults

pytestmark = pytest.mark.e2e


def test_a_writer_killed_mid_run_loses_duplicates_and_corrupts_nothing(tmp_path):
    plan = FaultPlan(
        payments=50,
        send_rate=40,
        senders=8,
        kills=((0.3, "writer"),),
        downtime=2.0,
        converge_timeout=80,
    )
    report = run_faults(plan, tmp_path)
    assert report["timeline"][0].split()[2:4] == ["SIGKILL", "writer"]
    assert (report["lost"], report["extra"], report["wrong"]) == (0, 0, 0), report["examples"]
    # Redelivery and duplicates cost no extra write: at most one per distinct event.
    assert all(k["writes_max"] <= k["events"] for k in report["writes_by_kind"].values())
