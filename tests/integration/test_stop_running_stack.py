"""`make stop` while `devstack run` is still alive in another terminal: it asks the run to stop
its services, as Ctrl-C would, and says that the stack stopped (it once said nothing had been
running, because it counted only the processes it signalled itself)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from devstack import processes
from devstack.stack import STATE_FILE
from devstack.stopping import stop_stack

# Stands in for `devstack run`: it exits on SIGTERM, as the run does once its services stopped.
OWNER = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_make_stop_asks_a_live_run_to_stop_and_says_the_stack_stopped(tmp_path):
    run = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None and run.stdout.readline() == "ready\n"  # handler set
        (tmp_path / STATE_FILE).write_text(
            json.dumps(
                {
                    "owner": {"pid": run.pid, "started": processes.start_time(run.pid)},
                    "processes": {},
                }
            )
        )
        # The real run's parent is a shell, which reaps it; here this test is the parent.
        reaper = threading.Thread(target=run.wait)
        reaper.start()
        said: list[str] = []
        assert stop_stack(tmp_path, said.append, grace=5, owner_grace=10)
        reaper.join(timeout=10)
        assert run.returncode == 0
        assert said[0].startswith(f"asking devstack run (pid {run.pid})")
        assert said[-1] == "stopped: no process of the stack is left running."
        assert not (tmp_path / STATE_FILE).exists()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
