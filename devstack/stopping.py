"""`python -m devstack stop`: stop a local stack from its state file, whatever ended its `run`.

`run` records every process it starts (pid and kernel start time) in DEVSTACK_DIR/stack.json as
soon as it starts it. A stack whose `run` was killed (SIGKILL, a crash, a closed terminal on an
older version) keeps running without it; this finds its processes from that file and stops each
process group, by pid, and only when the pid still names the process that was recorded.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import processes
from devstack.stack import STATE_FILE


@dataclass(frozen=True)
class Recorded:
    name: str
    pid: int
    started: int | None

    def is_same_process(self) -> bool:
        return self.started is not None and processes.start_time(self.pid) == self.started

    def live_group(self) -> set[int]:
        """The processes of its group still running. A group outlives its leader (gunicorn's
        workers, a child of java) and the kernel does not hand its id out again while any member
        lives; so members without the leader are still this stack's."""
        if processes.start_time(self.pid) is not None and not self.is_same_process():
            return set()  # the pid now names another process: not ours
        return processes.group_members(self.pid)


def read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((state_dir / STATE_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data


def recorded_processes(state: dict[str, Any]) -> list[Recorded]:
    entries = state.get("processes") or {}
    return [
        Recorded(name, int(entry["pid"]), entry.get("started")) for name, entry in entries.items()
    ]


def owner(state: dict[str, Any]) -> Recorded | None:
    entry = state.get("owner")
    if not entry:
        return None
    return Recorded("devstack run", int(entry["pid"]), entry.get("started"))


def running(state_dir: Path) -> list[Recorded]:
    """The recorded processes of a stack in `state_dir` that are still running."""
    state = read_state(state_dir)
    if not state:
        return []
    return [r for r in recorded_processes(state) if r.live_group()]


def stop_stack(
    state_dir: Path,
    say: Callable[[str], None] = print,
    grace: float = 10.0,
    owner_grace: float = 60.0,
) -> bool:
    """Stop the stack recorded in `state_dir`; False if a process of it is still running."""
    state_path = state_dir / STATE_FILE
    state = read_state(state_dir)
    if state is None:
        say(f"no stack recorded in {state_path}: nothing to stop")
        return True
    run = owner(state)
    signalled = 0
    if run and run.is_same_process():
        # The run itself is alive (another terminal): let it stop its services as Ctrl-C would.
        say(f"asking devstack run (pid {run.pid}) to stop its services…")
        os.kill(run.pid, signal.SIGTERM)
        signalled += 1
        _wait(lambda: not run.is_same_process(), owner_grace)
    groups: dict[str, tuple[Recorded, set[int]]] = {}
    # In reverse order of start: the page and ingest before what they call.
    for recorded in reversed(recorded_processes(state)):
        members = recorded.live_group()
        if not members:
            continue
        say(f"stopping {recorded.name} (pid {recorded.pid}, {len(members)} process(es))")
        _signal_group(recorded.pid, signal.SIGTERM)
        groups[recorded.name] = (recorded, members)
        signalled += 1
    _wait(lambda: not any(r.live_group() for r, _ in groups.values()), grace)
    for recorded, _ in groups.values():
        if recorded.live_group():
            say(f"{recorded.name} ignored SIGTERM for {grace:.0f} s: SIGKILL")
            _signal_group(recorded.pid, signal.SIGKILL)
    _wait(lambda: not any(r.live_group() for r, _ in groups.values()), 5.0)
    left = sorted(pid for r, _ in groups.values() for pid in r.live_group())
    if left:
        say(f"error: still running after SIGKILL: {left}")
        return False
    state_path.unlink(missing_ok=True)
    say(
        "stopped: no process of the stack is left running."
        if signalled
        else f"no process of the stack recorded in {state_path} was running; record removed"
    )
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
