"""The verdict is built up: a signature passes only when every required check confirmed."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from eid.sign.report import (
    BASIC_CHECKS,
    Check,
    Indication,
    SignatureReport,
    SubIndication,
    ValidationReport,
    brief,
)

_NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_a_new_signature_report_is_not_passed() -> None:
    report = SignatureReport(id="s")
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.GENERIC
    assert not report.passed
    assert report.explained() == [
        "not every check ran: content digest, signature value, signer certificate"
    ]


def test_passed_only_with_every_required_check() -> None:
    report = SignatureReport(id="s", required=BASIC_CHECKS | {Check.SIGNED_FILES})
    for check in BASIC_CHECKS:
        report.confirm(check)
    assert not report.passed
    assert report.missing == [Check.SIGNED_FILES]
    report.confirm(Check.SIGNED_FILES)
    assert report.passed
    assert report.to_dict()["checks"]["passed"] == [
        "content digest",
        "signature value",
        "signer certificate",
        "signed files",
    ]


def test_a_finding_outweighs_every_confirmation() -> None:
    report = SignatureReport(id="s")
    for check in Check:
        report.confirm(check)
    report.fail(Indication.INDETERMINATE, None, "first")
    report.fail(Indication.INDETERMINATE, SubIndication.TRY_LATER, "second")
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    report.fail(Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE, "third")
    report.fail(Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE, "fourth")
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication is SubIndication.HASH_FAILURE
    assert report.reasons[:3] == ["first", "second", "third"]


def test_could_not_judge_is_indeterminate_and_bounded() -> None:
    report = SignatureReport(id="s")
    for check in BASIC_CHECKS:
        report.confirm(check)
    report.could_not_judge(OverflowError("x" * 100_000))
    assert report.indication is Indication.INDETERMINATE
    assert "OverflowError" in report.reasons[0]
    assert len(report.reasons[0]) < 300


def test_a_file_with_problems_never_passes() -> None:
    signature = SignatureReport(id="s")
    for check in BASIC_CHECKS:
        signature.confirm(check)
    report = ValidationReport("f", "cades", _NOW, "off", signatures=[signature])
    assert report.passed
    assert report.indication is Indication.TOTAL_PASSED
    report.problems.append("something about the file")
    assert not report.passed
    assert report.indication is Indication.INDETERMINATE
    assert report.to_dict()["passed"] is False


@given(
    confirmed=st.sets(st.sampled_from(list(Check))),
    required=st.sets(st.sampled_from(list(Check)), min_size=1),
    findings=st.lists(
        st.tuples(
            st.sampled_from([Indication.INDETERMINATE, Indication.TOTAL_FAILED]),
            st.one_of(st.none(), st.sampled_from(list(SubIndication))),
        ),
        max_size=4,
    ),
)
def test_verdict_property(
    confirmed: set[Check],
    required: set[Check],
    findings: list[tuple[Indication, SubIndication | None]],
) -> None:
    report = SignatureReport(id="s", required=frozenset(required))
    for check in confirmed:
        report.confirm(check)
    for indication, sub in findings:
        report.fail(indication, sub, "finding")
    assert report.passed == (not findings and required <= confirmed)
    if any(i is Indication.TOTAL_FAILED for i, _ in findings):
        assert report.indication is Indication.TOTAL_FAILED


@given(st.text(max_size=2000), st.integers(2, 500))
def test_brief_bounds_quoted_input(text: str, limit: int) -> None:
    short = brief(text, limit)
    assert len(short) <= limit
    assert short == text or short.endswith("\u2026")
