"""`make run` comes up, takes sample payments, serves the operator commands; closing its
terminal stops every process it started, java included; a run killed outright leaves a stack
that `make stop` stops. (Ctrl-C, SIGINT: the local-flow browser test stops its stack so.)"""

from __future__ import annotations

import contextlib
import json
import os
import select
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


REPO = Path(__file__).resolve().parents[2]


def make(target: str, env: dict[str, str], **popen: object) -> subprocess.Popen[bytes]:
    """`make <target>` as a person types it, with this interpreter (its venv is installed)."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        ["make", "-s", "-o", ".venv/.installed", target, f"PY={sys.executable}"],
        cwd=REPO,
        env=env,
        **popen,
    )


def read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    """Read `fd` (a terminal's master side) until `marker` shows, within `timeout` s."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} after {timeout} s:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: every writer of the terminal is gone
                chunk = b""
            assert chunk, "make run exited early:\n" + seen.decode(errors="replace")
            seen += chunk
    return seen


def stack_processes(state_dir: Path) -> set[int]:
    """Every process of the stack recorded in `state_dir`, workers and java included."""
    state = json.loads((state_dir / "stack.json").read_text())
    leaders = {entry["pid"] for entry in state["processes"].values()}
    return leaders | {pid for leader in leaders for pid in descendants(leader)}


def wait_gone(pids: set[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := sorted(p for p in pids if alive(p))) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def send_and_operate(env: dict[str, str]) -> None:
    """`make send`, then an operator command pointed at the running stack as the README shows."""
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


def test_closing_the_terminal_stops_the_stack_and_make_stop_cleans_up_after_a_killed_run(
    tmp_path,
):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DEVSTACK_"))},
        "DEVSTACK_DIR": str(tmp_path),
        **{
            f"DEVSTACK_{name.upper()}": str(port)
            for name, port in zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True)
        },
    }
    # 1. `make run` in a terminal (a pty), in a process group of its own as a shell runs it;
    #    then the terminal closes: SIGHUP to the group, and its output goes nowhere (EIO).
    master, slave = os.openpty()
    first = make("run", env, stdout=slave, stderr=slave, stdin=slave, start_new_session=True)
    os.close(slave)
    started: set[int] = set()
    try:
        read_until(master, b"Ctrl-C stops everything", 90)
        started = stack_processes(tmp_path)
        assert any("java" in Path(f"/proc/{p}/cmdline").read_text() for p in started)
        os.killpg(first.pid, signal.SIGHUP)
        os.close(master)
        first.wait(timeout=60)
        assert wait_gone(started, 30) == [], "still running after SIGHUP"
        assert not (tmp_path / "stack.json").exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)

    # 2. The next `make run` starts on the same ports and takes payments; then its `devstack
    #    run` is killed outright (SIGKILL: no cleanup at all): the stack keeps running without it.
    second = make("run", env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output = b""
        while b"Ctrl-C stops everything" not in output:
            line = second.stdout.readline()
            assert line, "second make run exited early:\n" + output.decode()
            output += line
        state = json.loads((tmp_path / "stack.json").read_text())
        started = stack_processes(tmp_path)
        send_and_operate(env)
        os.kill(state["owner"]["pid"], signal.SIGKILL)
        second.wait(timeout=30)
        assert all(alive(pid) for pid in started), "SIGKILL of run alone stopped the stack"

        # 3. `make stop` finds the stack from its state file and stops every process of it.
        stopped = make("stop", env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = stopped.communicate(timeout=60)
        assert stopped.returncode == 0, out.decode()
        assert b"no process of the stack is left running" in out
        assert wait_gone(started, 10) == []
        assert not (tmp_path / "stack.json").exists()
    finally:
        if second.poll() is None:
            second.kill()
        for pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def test_make_stop_never_signals_a_pid_that_now_names_another_process(tmp_path):
    # A stack recorded long ago: its pids now belong to other processes (here: this test's
    # own process and a sleeping child), with other start times.
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        (tmp_path / "stack.json").write_text(
            json.dumps(
                {
                    "owner": {"pid": os.getpid(), "started": 1},
                    "processes": {"ingest": {"pid": bystander.pid, "started": 1}},
                }
            )
        )
        env = {**os.environ, "DEVSTACK_DIR": str(tmp_path)}
        result = subprocess.run(
            [sys.executable, "-m", "devstack", "stop"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "was running; record removed" in result.stdout
        assert bystander.poll() is None, "stop signalled a process that was not the stack's"
        assert not (tmp_path / "stack.json").exists()
    finally:
        bystander.kill()
        bystander.wait()
