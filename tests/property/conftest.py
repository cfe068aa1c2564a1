"""Hypothesis profiles: `default` keeps `make test` fast; HYPOTHESIS_PROFILE=long digs deeper.

No example database is written: a failure prints its example, which belongs as an `@example`
regression case in the test (fuzz/corpus holds atheris's)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,  # a loaded 2-core machine makes per-example deadlines flaky
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("long", parent=settings.get_profile("default"), max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
