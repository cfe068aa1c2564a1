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
