"""Property tests of certificates, trust files, OCSP responses and CRLs from outside."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fuzz import checks, material
from tests.fuzz.bounds import within
from tests.fuzz.strategies import edited, examples, inputs


@given(inputs("certificates"))
def test_certificates_load_and_anchor_paths_or_raise_eid_errors(data: bytes) -> None:
    checks.check_certificates(data)


@given(inputs("trust_file"))
def test_trust_files_load_or_raise_eid_errors(data: bytes) -> None:
    checks.check_trust_file(data)


@examples(0.1)
@given(
    st.integers(1, 50_000),
    st.sampled_from([b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n"]),
)
def test_pem_scanning_is_bounded(repeats: int, line: bytes) -> None:
    with within(seconds=5, mebibytes=64):
        checks.check_trust_file(line * repeats)


@given(st.one_of(inputs("ocsp"), st.deferred(lambda: edited(material.ocsp_response()))))
def test_ocsp_responses_are_refused_or_the_signed_one(data: bytes) -> None:
    checks.check_ocsp(data)


@given(st.one_of(inputs("crl"), st.deferred(lambda: edited(material.crl()))))
def test_crls_are_refused_or_the_signed_one(data: bytes) -> None:
    checks.check_crl(data)
