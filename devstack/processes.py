"""Starting and stopping the stack's processes, each in its own process group.

Stopping signals the whole group (gunicorn's workers, the emulator's java) and escalates to
SIGKILL after a grace period, so nothing is left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from servicekit.serve import gunicorn_argv


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def started(self) -> int | None:
        """The kernel's start time of the process: with the pid, it names this process alone."""
        return start_time(self.process.pid)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if self.running():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (a worker mid-shutdown): make sure it is gone.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=5)
        if self._log:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL the whole group at once, as a crash would (fault tests)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        if self._log:
            self._log.close()


def start(
    name: str,
    argv: Sequence[str],
    url: str,
    env: Mapping[str, str],
    log_dir: Path | None = None,
    cwd: Path | None = None,
) -> Service:
    log_file: IO[bytes] | None = None
    log_path = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{name}.log"
        log_file = open(log_path, "ab")  # noqa: SIM115 - closed by Service.stop
    process = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdout=log_file or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log_file else subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Service(name, process, url, log_path, log_file)


def wait_http(service: Service, path: str = "/healthz", timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: str = "no answer"
    while time.monotonic() < deadline:
        if not service.running():
            raise RuntimeError(
                f"{service.name} exited with {service.process.returncode}; see {service.log_path}"
            )
        try:
            response = requests.get(service.url + path, timeout=1)
            if response.status_code < 500:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise TimeoutError(
        f"{service.name} not ready at {service.url}{path} after {timeout} s ({last})"
    )


def start_gunicorn(
    name: str, app: str, url: str, env: Mapping[str, str], log_dir: Path | None = None
) -> Service:
    """A WSGI app (`module:factory()`) under gunicorn as in production, once it answers
    /healthz; stopped again if it never does."""
    service = start(name, gunicorn_argv(app), url, env, log_dir)
    try:
        wait_http(service)
    except BaseException:
        service.stop()
        raise
    return service


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children's children too), from /proc."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def start_time(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat); None when no
    such process. A pid the kernel hands out again comes with another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def group_members(pgid: int) -> set[int]:
    """Live processes whose process group is `pgid` (zombies excluded)."""
    members: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.add(int(entry.name))
    return members


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different ports free now: each socket stays bound until all are chosen, so the
    OS cannot hand the same port out twice."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_children(grace: float = 5.0) -> None:
    """Stop the process group of every child of this process still running (each was started
    in a group of its own), SIGKILL after `grace` seconds."""
    groups: set[int] = set()
    for pid in _children(os.getpid()):
        with contextlib.suppress(ProcessLookupError):
            if _alive(pid):
                groups.add(os.getpgid(pid))
    groups.discard(os.getpgrp())
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(group_members(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    # Reap them: they are our children.
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(map(int, (task / "children").read_text().split()))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
