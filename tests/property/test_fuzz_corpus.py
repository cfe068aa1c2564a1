"""Every input atheris kept (fuzz/corpus/<target>/) and every crash it found
(fuzz/crashes/<target>-crash-*) replayed through its target: a fixed bug stays fixed."""

from pathlib import Path

import pytest

from fuzz.targets import TARGETS

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
CASES = sorted(
    [(d.name, f) for d in (FUZZ / "corpus").iterdir() if d.is_dir() for f in d.iterdir()]
    + [(f.name.split("-")[0], f) for f in (FUZZ / "crashes").glob("*-*")]
)


def test_every_target_has_a_corpus():
    assert {target for target, _ in CASES} >= set(TARGETS)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_kept_inputs_pass_their_target(target):
    files = [f for name, f in CASES if name == target]
    for case in files:
        TARGETS[target](case.read_bytes())
