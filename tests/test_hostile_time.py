"""Times at the edges of the calendar: usage errors or answers, never OverflowError."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.cli.trust import parse_time
from eid.errors import EidError, UsageError
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore, validate_certificate
from eid.pki.revocation import RevInfoError, check_freshness, usable_until
from eid.pki.testpki import Holder, TestPKI
from eid.times import EARLIEST, LATEST, shifted, to_utc

from .cli_support import as_json, eid

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PKI = TestPKI.create(key_kind="ec", seed=b"hostile time", now=NOW)
CARD = PKI.issue_card(Holder("Jan", "Peeters", "85073003328"))
TRUST = TrustStore([PKI.root.certificate], [PKI.citizen_ca.certificate])
EDGES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
ZONES = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
MOMENTS = st.datetimes(timezones=ZONES) | st.sampled_from([EARLIEST, LATEST])


@pytest.mark.parametrize("text", EDGES)
def test_edge_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="outside the years 1 to 9999"):
        parse_time(text)
    with pytest.raises(UsageError, match="outside the years 1 to 9999"):
        validate_certificate(
            CARD.authentication.certificate, trust=TRUST, at=dt.datetime.fromisoformat(text)
        )


def test_the_ends_of_the_range_in_utc_work() -> None:
    assert parse_time("9999-12-31T23:59:59+00:00") == LATEST.replace(microsecond=0)
    assert parse_time("0001-01-01T00:00:00") == EARLIEST
    for moment in (LATEST, EARLIEST):
        for policy in RevocationPolicy:
            with pytest.raises(EidError) as caught:
                validate_certificate(
                    CARD.authentication.certificate,
                    trust=TRUST,
                    at=moment,
                    revocation=RevocationSettings(policy=policy),
                )
            assert caught.value.code in ("certificate_expired", "certificate_not_yet_valid")


@pytest.mark.parametrize("text", EDGES)
def test_edge_times_on_the_command_line(tmp_path: Path, text: str) -> None:
    token = tmp_path / "token.json"
    token.write_text("{}")
    result = eid(
        "webeid", "verify", str(token), "--origin", "https://a.example", "--challenge", "A" * 44,
        "--at", text, "--json", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert as_json(result)["error"]["code"] == "usage"


def test_freshness_at_the_ends_of_the_range() -> None:
    """A skew added to the last moment, or taken from the first, overflowed before."""
    settings_ = RevocationSettings(max_age=dt.timedelta(days=1))
    check_freshness("answer", LATEST, LATEST, LATEST, settings_)
    assert usable_until(LATEST, LATEST, settings_) == LATEST
    with pytest.raises(RevInfoError, match="stale"):
        check_freshness("answer", EARLIEST, EARLIEST, LATEST, RevocationSettings())
    with pytest.raises(RevInfoError, match="future"):
        check_freshness("answer", LATEST, None, EARLIEST, RevocationSettings())


@settings(max_examples=300, deadline=1000)
@given(moment=MOMENTS, delta=st.timedeltas())
def test_shifted_never_overflows(moment: dt.datetime, delta: dt.timedelta) -> None:
    result = shifted(moment, delta)
    assert EARLIEST <= result <= LATEST


@settings(max_examples=300, deadline=1000)
@given(moment=MOMENTS)
def test_only_usage_errors_escape_from_time_parsing(moment: dt.datetime) -> None:
    for text in (moment.isoformat(), moment.isoformat(timespec="seconds"), moment.isoformat()[:-6]):
        try:
            parsed = parse_time(text)
        except UsageError:
            continue
        assert parsed is not None
        assert parsed.utcoffset() == dt.timedelta(0)
    with contextlib.suppress(UsageError):
        assert to_utc(moment) == moment


@settings(max_examples=200, deadline=1000)
@given(
    this_update=MOMENTS,
    next_update=st.none() | MOMENTS,
    now=MOMENTS,
    skew=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3650)),
)
def test_freshness_checks_never_overflow(
    this_update: dt.datetime,
    next_update: dt.datetime | None,
    now: dt.datetime,
    skew: dt.timedelta,
) -> None:
    settings_ = RevocationSettings(clock_skew=skew)
    usable_until(this_update, next_update, settings_)
    with contextlib.suppress(RevInfoError):
        check_freshness("answer", this_update, next_update, now, settings_)
