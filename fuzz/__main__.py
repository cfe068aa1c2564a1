"""`python -m fuzz TARGET [libFuzzer flags]`: atheris over one target of fuzz/targets.py.

    python -m fuzz signature -max_total_time=60 fuzz/corpus/signature
    make fuzz FUZZ_SECONDS=120        # every target in turn, corpus and crashes kept

New interesting inputs go to the corpus directory given first; a crash is written to
fuzz/crashes/<target>-crash-<sha1> (libFuzzer's -artifact_prefix), to be kept as a regression
case (tests/property/test_fuzz_corpus.py replays both).
"""

from __future__ import annotations

import sys

import atheris

from fuzz.targets import TARGETS

# Coverage feedback from everything loaded (our parsers, json, Flask, werkzeug): instrumenting
# only our packages leaves the fuzzer blind to how far into the stdlib parsers an input got.
atheris.instrument_all()


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        print(f"usage: python -m fuzz {{{'|'.join(TARGETS)}}} [libFuzzer flags] [corpus]")
        raise SystemExit(2)
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
