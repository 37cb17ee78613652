"""B-LT validation data is judged at the time it is gathered, not when the context was made.

Signing makes its validation context first, then waits for a PIN, a card and a TSA. Here the
gap is a clock jump instead of a wait: the services' answers (OCSP, CRLs, timestamps) are made
an hour after the context, as they would be after a slow PIN or a long batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import cms, ocsp
from pyhanko.pdf_utils.reader import PdfFileReader

from eid.errors import RevocationUnknown
from eid.pki.services import TestServices
from eid.sign import Level, SignatureOptions, sign_cades, sign_pdf
from eid.sign.live_context import CLOCK_SKEW, LiveValidationContext
from eid.sign.validation_data import fetching_context
from tests.sign_support import make_pdf
from tests.verify_support import software_signer, trust_of

HOUR = dt.timedelta(hours=1)


class Clock:
    """The system clock, ``ahead`` of it by a settable amount."""

    def __init__(self) -> None:
        self.ahead = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.ahead


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(clock: Clock) -> Iterator[TestServices]:
    """A test PKI's OCSP, CRL and TSA on loopback, answering at ``clock``'s time."""
    with TestServices(key_kind="ec", seed=b"live-time", clock=clock) as running:
        yield running


def _sign(kind: str, services: TestServices, options: SignatureOptions, tmp: Path) -> Path:
    signer = software_signer(services.pki)
    if kind == "pdf":
        return sign_pdf(make_pdf(tmp / "in.pdf"), tmp / "out.pdf", signer, options).output
    data = tmp / "letter.txt"
    data.write_bytes(b"signed an hour after the context was made\n")
    return sign_cades(data, tmp / "letter.p7s", signer, options).output


def _ocsp_this_updates(signed: Path) -> list[dt.datetime]:
    if signed.suffix == ".pdf":
        with signed.open("rb") as handle:
            dss = PdfFileReader(handle).root["/DSS"]
            answers = [ocsp.OCSPResponse.load(s.get_object().data) for s in dss["/OCSPs"]]
    else:
        signed_data = cms.ContentInfo.load(signed.read_bytes())["content"]
        answers = [c.chosen["other_rev_info"] for c in signed_data["crls"] if c.name == "other"]
    return [
        single["this_update"].native
        for answer in answers
        for single in answer.basic_ocsp_response["tbs_response_data"]["responses"]
    ]


def _b_lt(services: TestServices, clock: Clock) -> SignatureOptions:
    return SignatureOptions(
        level=Level.B_LT,
        tsa_url=services.tsa_url,
        validation_context=fetching_context(trust_of(services.pki), clock=clock),
    )


@pytest.mark.parametrize("kind", ["pdf", "cades"])
def test_answers_made_after_the_context_are_judged_when_they_come(
    kind: str, services: TestServices, clock: Clock, tmp_path: Path
) -> None:
    made = clock()
    options = _b_lt(services, clock)
    clock.ahead = HOUR  # the PIN took an hour: everything below happens then
    signed = _sign(kind, services, options, tmp_path)
    this_updates = _ocsp_this_updates(signed)
    assert this_updates
    assert all(moment >= made + HOUR - dt.timedelta(seconds=1) for moment in this_updates)


@pytest.mark.parametrize("kind", ["pdf", "cades"])
def test_a_responder_clock_a_little_ahead_is_allowed(
    kind: str, services: TestServices, tmp_path: Path
) -> None:
    services.clock = lambda: dt.datetime.now(dt.UTC) + CLOCK_SKEW / 2
    options = _b_lt(services, Clock())
    assert _ocsp_this_updates(_sign(kind, services, options, tmp_path))


def test_answers_from_beyond_the_skew_are_still_too_recent(
    services: TestServices, tmp_path: Path
) -> None:
    services.clock = lambda: dt.datetime.now(dt.UTC) + CLOCK_SKEW + HOUR
    options = _b_lt(services, Clock())
    with pytest.raises(RevocationUnknown, match="too recent"):
        _sign("cades", services, options, tmp_path)
    assert not (tmp_path / "letter.p7s").exists()


def test_a_live_context_takes_no_fixed_moment() -> None:
    with pytest.raises(TypeError, match="no fixed moment"):
        LiveValidationContext(moment=dt.datetime.now(dt.UTC), allow_fetching=True)
