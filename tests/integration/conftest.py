"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standin_server import running_standin


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[str]:
    """The Wix Data stand-in over real HTTP, its state in the test's tmp_path/wix.sqlite3."""
    with running_standin(tmp_path) as url:
        yield url
