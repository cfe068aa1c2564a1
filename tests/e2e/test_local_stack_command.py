"""`python -m devstack run` (what `make run` calls): comes up, takes sample payments, and
Ctrl-C stops every process it started, java included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.processes import descendants, free_ports
from devstack.stack import PORT_NAMES

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def test_run_then_send_then_ctrl_c_leaves_no_process(tmp_path):
    env = {
        **os.environ,
        "DEVSTACK_DIR": str(tmp_path),
        **{
            f"DEVSTACK_{name.upper()}": str(port)
            for name, port in zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True)
        },
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        output = []
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            assert line, "devstack run exited early:\n" + "".join(output)
            output.append(line)
            if "Ctrl-C stops everything" in line:
                break
        state = json.loads((tmp_path / "stack.json").read_text())
        started = set(state["pids"].values()) | descendants(run.pid)
        assert any("java" in Path(f"/proc/{p}/cmdline").read_text() for p in started if alive(p))

        sent = subprocess.run(
            [sys.executable, "-m", "devstack", "send"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "Apple Pay" in sent.stdout and "succeeded" in sent.stdout

        # The operator commands, pointed at the running stack the way the README shows.
        exports = subprocess.run(
            [sys.executable, "-m", "devstack", "env", "writer"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        assert "export WIX_API_BASE=" in exports and "export PUBSUB_EMULATOR_HOST=" in exports
        setup = subprocess.run(
            ["bash", "-c", f"{exports}\n{sys.executable} -m writer setup-collection"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith(("WIX_", "PUBSUB_"))},
        )
        assert setup.returncode == 0, setup.stdout + setup.stderr
        assert "matches the schema" in setup.stdout

        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0
        assert "no process of the stack is left running" in run.stdout.read()
    finally:
        if run.poll() is None:
            run.kill()
    # `run` has reaped its own children; a process it signalled but could not reap (a grandchild)
    # may take a moment to go.
    deadline = time.monotonic() + 10
    while (left := [pid for pid in started if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"still running after Ctrl-C: {left}"
