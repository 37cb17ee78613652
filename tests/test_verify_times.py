"""Times at the edges of `datetime` (issue 8): validation and the JSON report never overflow.

A GeneralizedTime or PDF date of year 1 or 9999 with a ±14 h offset has no UTC instant
that `datetime` can hold; an ``at`` at datetime's edges must still validate.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from asn1crypto import cms, core
from hypothesis import given
from hypothesis import strategies as st

from eid.errors import UsageError
from eid.pki.testpki import TestPKI
from eid.sign import Indication, SignatureOptions, verify
from eid.sign.times import as_utc, iso_utc
from tests.cms_support import timestamp_token
from tests.verify_support import OFF, sign_as, software_signer, trust_of

PLUS_14 = dt.timezone(dt.timedelta(hours=14))
MINUS_14 = dt.timezone(dt.timedelta(hours=-14))
EDGES = [b"99991231235959-1400", b"00010101000000+1400", b"99991231235959+1400"]


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="rsa", seed=b"verify-times")


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime.max.replace(tzinfo=dt.UTC),
        dt.datetime.min.replace(tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 9, 59, 59, tzinfo=PLUS_14),
        dt.datetime(1, 1, 1, 14, 0, tzinfo=PLUS_14),
    ],
)
def test_at_the_edges_of_datetime(pki: TestPKI, tmp_path: Path, at: dt.datetime) -> None:
    signed, _, _ = sign_as("cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path)
    for revocation in (OFF, None):
        report = verify(signed, trust=trust_of(pki), at=at, revocation=revocation)
        assert not report.passed  # the certificates are not valid then
        assert report.signatures[0].indication is Indication.INDETERMINATE
        json.dumps(report.to_dict())


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_14),
        dt.datetime(1, 1, 1, tzinfo=PLUS_14),
    ],
)
def test_an_at_without_utc_time_is_bad_usage(pki: TestPKI, tmp_path: Path, at: dt.datetime) -> None:
    signed, _, _ = sign_as("cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path)
    with pytest.raises(UsageError, match="no UTC time"):
        verify(signed, trust=trust_of(pki), at=at, revocation=OFF)


def _stamped(pki: TestPKI, signed: Path, gen_time: bytes, target: Path) -> Path:
    """``signed`` with a signature timestamp by the PKI's TSA whose genTime is ``gen_time``."""
    info = cms.ContentInfo.load(signed.read_bytes())
    signer = info["content"]["signer_infos"][0]
    value = bytes(signer["signature"].native)
    tsa = pki.tsa()
    token = timestamp_token(
        value,
        core.GeneralizedTime.load(bytes([0x18, len(gen_time)]) + gen_time),
        tsa.cert_der(),
        key=tsa.key,  # type: ignore[arg-type]
        serial_number=7,
    )
    signer["unsigned_attrs"] = [{"type": "signature_time_stamp_token", "values": [token]}]
    target.write_bytes(info.dump())
    return target


def test_timestamp_in_range_is_valid(pki: TestPKI, tmp_path: Path) -> None:
    """The hand-made token is a good one: only its time makes the difference below."""
    signed, _, _ = sign_as("cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path)
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%SZ").encode()
    report = verify(
        _stamped(pki, signed, now, tmp_path / "now.p7m"), trust=trust_of(pki), revocation=OFF
    )
    (signature,) = report.signatures
    assert signature.passed, signature.to_dict()
    assert signature.timestamps[0].valid
    assert signature.proven_signing_time is not None


@pytest.mark.parametrize("gen_time", EDGES)
def test_timestamp_times_at_the_edges(pki: TestPKI, tmp_path: Path, gen_time: bytes) -> None:
    signed, _, _ = sign_as("cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path)
    stamped = _stamped(pki, signed, gen_time, tmp_path / "edge.p7m")
    report = verify(stamped, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    text = json.dumps(report.to_dict())
    assert "OverflowError" not in text
    (stamp,) = signature.timestamps
    assert not stamp.valid
    assert signature.proven_signing_time is None
    assert signature.passed  # the signer is valid now; the timestamp only proves nothing
    assert any("timestamp is not valid" in w for w in signature.warnings), signature.warnings


@pytest.mark.parametrize("date", [b"D:99991231235959-14'", b"D:00010101000000+14'"])
def test_pdf_claimed_time_at_the_edges(pki: TestPKI, tmp_path: Path, date: bytes) -> None:
    signed, _, _ = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    data = signed.read_bytes()
    start = data.index(b"/M (") + 4
    end = data.index(b")", start)
    assert end - start == len(date)
    edge = tmp_path / "edge.pdf"
    edge.write_bytes(data[:start] + date + data[end:])
    report = verify(edge, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert "OverflowError" not in json.dumps(report.to_dict())
    assert signature.claimed_signing_time is None
    assert any("claimed signing time" in w for w in signature.warnings), signature.to_dict()
    assert signature.indication is Indication.TOTAL_FAILED  # /M is signed: the bytes changed


@given(
    st.datetimes(
        timezones=st.sampled_from([dt.UTC, PLUS_14, MINUS_14, dt.timezone(dt.timedelta(hours=5))])
    )
)
def test_as_utc_never_overflows(moment: dt.datetime) -> None:
    converted = as_utc(moment)
    assert converted is None or (converted == moment and converted.tzinfo is dt.UTC)
    assert iso_utc(moment) is not None
    assert as_utc(moment.replace(tzinfo=None)) is None
