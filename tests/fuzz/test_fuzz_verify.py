"""Property tests of signature verification: CMS, PDF and ASiC from outside, and mutations
of real signed documents of every format (none may pass)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import checks
from fuzz.mutation import Mutation, Op
from tests.fuzz.bounds import within
from tests.fuzz.strategies import examples, inputs

CASES = ["pdf", "cades-detached", "cades-enveloping", "asice", "asics"]
"""`fuzz.mutation.signed_cases`, in order."""

mutations = st.builds(
    Mutation,
    st.sampled_from([op for op in Op if op is not Op.SHADOW]),
    st.integers(0, 16),
    st.integers(0, 1 << 24),
    st.binary(min_size=1, max_size=32),
)


@examples(0.5)
@given(inputs("cms"))
def test_cms_files_give_a_report_and_pass_only_for_the_signed_content(data: bytes) -> None:
    checks.check_cms(data)


@examples(0.3)
@given(inputs("pdf"))
def test_pdfs_give_a_report(data: bytes) -> None:
    checks.check_pdf(data)


@examples(0.5)
@given(inputs("asic"))
def test_asic_containers_give_a_report(data: bytes) -> None:
    checks.check_asic(data)


@pytest.mark.parametrize("case", range(len(CASES)), ids=CASES)
@examples(0.4)
@given(mutations)
def test_no_mutated_signed_document_passes(case: int, mutation: Mutation) -> None:
    checks.check_mutated(case, mutation)


@pytest.mark.parametrize("case", [3, 4], ids=["asice", "asics"])
@examples(0.3)
@given(st.integers(0, 8), st.integers(0, 16), st.binary(min_size=1, max_size=16))
def test_no_entry_shadowing_a_signed_one_passes(
    case: int, variant: int, region: int, data: bytes
) -> None:
    """./doc, DOC, Doc, "doc ", "doc.", "doc/", NFD, /doc, x/../doc beside a signed doc: never passes."""
    checks.check_mutated(case, Mutation(Op.SHADOW, region, variant, data))


@examples(0.1)
@given(
    st.sampled_from(["mimetype", "META-INF/ASiCManifest001.xml", "META-INF/signature001.p7s"]),
    st.integers(20, 25),
)
def test_container_metadata_reads_are_bounded(name: str, bits: int) -> None:
    """An entry inflating to 1-32 MiB costs neither that memory nor that much report text."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if name != "mimetype":
            archive.writestr("mimetype", b"application/vnd.etsi.asic-e+zip", zipfile.ZIP_STORED)
        archive.writestr(name, b"A" * (1 << bits))
    with within(seconds=10, mebibytes=40):  # metadata entries are read up to 16 MiB
        report = checks.verify_bytes("doc.asice", buffer.getvalue())
    assert len(json.dumps(report.to_dict())) < 64 << 10
