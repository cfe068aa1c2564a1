"""A time written into a message reads back as the same text (the writer compares them)."""

from hypothesis import example, given
from hypothesis import strategies as st

from payments.message import format_time, from_unix, parse_time


@given(seconds=st.one_of(st.integers(0, 253_402_300_799), st.floats(0, 4_102_444_800)))
@example(seconds=1.0005)  # atheris: fuzz/crashes/normalizer-crash-04b77d…
def test_a_unix_time_written_reads_back_unchanged(seconds):
    written = from_unix(seconds)
    assert format_time(parse_time(written)) == written
