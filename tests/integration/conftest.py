"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standin_server import running_standin
from tests.stripe_standin_server import StandinControl, running_stripe_standin


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[str]:
    """The Wix Data stand-in over real HTTP, its state in the test's tmp_path/wix.sqlite3."""
    with running_standin(tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def stripe_standin_url() -> Iterator[str]:
    """The Stripe stand-in under gunicorn, one per test module (its state is reset per test)."""
    with running_stripe_standin() as url:
        yield url


@pytest.fixture
def stripe_standin(stripe_standin_url: str) -> StandinControl:
    """The Stripe stand-in's controls, its state empty at the start of the test."""
    control = StandinControl(stripe_standin_url)
    control.reset()
    return control
