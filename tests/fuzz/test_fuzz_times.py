"""Property tests of validation times given from outside (``--at``), to their edges."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from fuzz import checks
from tests.fuzz.strategies import examples, inputs

offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: dt.timedelta(minutes=minutes))
seconds = st.integers(0, 3 * 86400).map(lambda n: dt.timedelta(seconds=n))
edge_times = st.one_of(
    st.datetimes(),
    seconds.map(lambda delta: dt.datetime.min + delta),
    seconds.map(lambda delta: dt.datetime.max - delta),
)


@examples(0.5)
@given(inputs("time", max_size=64))
def test_any_at_text_is_a_usage_error_or_a_usable_time(data: bytes) -> None:
    checks.check_time(data)


@examples(0.5)
@given(edge_times, st.one_of(st.none(), offsets), st.sampled_from(["T", " "]))
def test_iso_times_to_the_edges_of_the_calendar(
    moment: dt.datetime, offset: dt.timedelta | None, separator: str
) -> None:
    zone = dt.timezone(offset) if offset is not None else None
    checks.check_time(moment.replace(tzinfo=zone).isoformat(separator).encode())
