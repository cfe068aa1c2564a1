"""Pulling from the emulator in tests without mistaking an empty subscription for an error."""

from __future__ import annotations

from typing import Any

# The emulator holds a pull on an empty subscription open until about a second before the
# client's deadline, so a slow moment of the JVM turns "empty" into DeadlineExceeded. Short, so
# that a caller waiting for quiet does not wait long for each empty answer.
PULL_TIMEOUT_S = 5


def pull(client: Any, subscription: str, max_messages: int) -> list[Any]:
    """The received messages, or none when the subscription stayed empty until the deadline."""
    from google.api_core import exceptions

    try:
        response = client.pull(
            request={"subscription": subscription, "max_messages": max_messages},
            timeout=PULL_TIMEOUT_S,
        )
    except exceptions.DeadlineExceeded:
        return []
    return list(response.received_messages)
