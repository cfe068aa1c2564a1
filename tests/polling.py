"""Waiting in tests: a poll with a deadline, never a sleep standing in for synchronisation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def poll(condition: Callable[[], Any], timeout: float = 20, what: str = "") -> Any:
    """The first truthy value of `condition()`, asked every 0.1 s until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not in {timeout} s: {what or condition}")
