"""Property tests of signature verification: CMS, PDF and ASiC from outside, and mutations
of real signed documents of every format (none may pass)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import checks
from fuzz.mutation import Mutation, Op
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
