"""Property tests of a PDF signature dictionary's fields: /ByteRange, /SubFilter, /M, /Contents."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from fuzz import checks, material
from tests.fuzz.strategies import examples

names = st.one_of(
    st.sampled_from(
        [b"/adbe.pkcs7.detached", b"/ETSI.CAdES.detached", b"/adbe.pkcs7.sha1", b"/ETSI.RFC3161"]
    ),
    st.from_regex(rb"\A/[A-Za-z0-9.#]{0,24}\Z"),
)
byte_ranges = st.lists(st.integers(-(1 << 40), 1 << 40), min_size=0, max_size=6).map(
    lambda numbers: b"[" + b" ".join(str(n).encode() for n in numbers) + b"]"
)
dates = st.one_of(
    st.from_regex(rb"\AD:[0-9]{4,14}([+\-Z][0-9]{2}'[0-9]{2}'?)?\Z"),
    st.sampled_from([b"D:99991231235959-14'00'", b"D:00010101000000+14'00'", b"D:0000"]),
).map(lambda text: b"(" + text + b")")
contents = st.binary(max_size=64).map(lambda data: b"<" + data.hex().encode() + b">")


def _replace(pdf: bytes, pattern: bytes, value: bytes) -> bytes:
    match = re.search(pattern, pdf)
    assert match is not None
    old = match.group(1)
    new = value.ljust(len(old)) if len(value) <= len(old) else value
    return pdf[: match.start(1)] + new + pdf[match.end(1) :]


@examples(0.5)
@given(
    st.one_of(st.none(), byte_ranges),
    st.one_of(st.none(), names),
    st.one_of(st.none(), dates),
    st.one_of(st.none(), contents),
)
def test_signature_dictionary_fields_never_crash_or_forge(
    byte_range: bytes | None, sub_filter: bytes | None, date: bytes | None, content: bytes | None
) -> None:
    pdf = material.documents().pdf.read_bytes()
    changed = pdf
    if byte_range is not None:
        changed = _replace(changed, rb"/ByteRange\s*(\[[^\]]*\]\s*)", byte_range)
    if sub_filter is not None:
        changed = _replace(changed, rb"/SubFilter\s*(/[A-Za-z0-9.]+)", sub_filter)
    if date is not None:
        changed = _replace(changed, rb"/M\s*(\([^)]*\))", date)
    if content is not None:
        changed = _replace(changed, rb"/Contents\s*(<[0-9A-Fa-f]+>)", content)
    report = checks.verify_bytes("doc.pdf", changed)
    covered = (byte_range, sub_filter, content)  # /M is inside /ByteRange too, but may be equal
    if any(value is not None for value in covered) and changed != pdf:
        assert not report.passed
