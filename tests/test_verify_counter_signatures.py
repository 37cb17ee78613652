"""CAdES counter-signatures (RFC 5652 11.4) are verified and listed as signatures of their own.

Real ones from EU DSS's test suite (``fixtures/interop/cades``: parallel, nested, over a
B-LTA, RSASSA-PSS, with timestamps) must all be found, intact, under the signature they
counter-sign. Made ones (`fuzz.material.counter_signature`, the seeded test PKI) pass in
every format; each way of breaking one fails that counter-signature only, never the
signature it counter-signs, and the document (library and ``eid verify``) does not pass.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.services import TestServices
from eid.pki.testpki import Holder
from eid.sign import Indication, SignatureOptions, SubIndication, ValidationReport, sign_cades
from eid.sign.report_html import report_html
from eid.sign.report_text import report_lines
from eid.sign.verify_counter import MAX_COUNTER_DEPTH, MAX_COUNTER_SIGNATURES
from eid.sign.verify_document import verify
from fuzz import material
from fuzz.material import (
    counter_signature,
    counter_signature_attribute,
    countersigned,
    tlv,
    with_unsigned,
    witness,
)
from tests.cli_support import as_json, eid
from tests.sign_support import pem
from tests.verify_support import replace_entry, software_signer, trust_of

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "interop"
_INTEGRITY = {"HASH_FAILURE", "SIG_CRYPTO_FAILURE", "FORMAT_FAILURE", "SIGNED_DATA_NOT_FOUND"}
_OFF = RevocationSettings(policy=RevocationPolicy.OFF)
_MASTER = "signer 1"
_FIRST = "signer 1 counter-signature 1"


def _check(path: Path, **options: Any) -> ValidationReport:
    return verify(path, trust=material.trust(), at=material.AT, revocation=material.OFF, **options)


def _p7m() -> bytes:
    return material.documents().p7m.read_bytes()


def _master(data: bytes) -> cms.SignerInfo:
    return cms.ContentInfo.load(data)["content"]["signer_infos"][0]


def _with(data: bytes, *counters: cms.SignerInfo, certificates: bool = True) -> bytes:
    return with_unsigned(
        data,
        counter_signature_attribute(*counters),
        [witness().cert_der()] if certificates else [],
    )


def _written(tmp_path: Path, data: bytes, name: str = "doc.p7m") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _verdicts(report: ValidationReport) -> list[tuple[str, str | None, str, str | None]]:
    return [
        (
            s.id,
            s.counter_signature_of,
            s.indication.value,
            s.sub_indication.value if s.sub_indication else None,
        )
        for s in report.signatures
    ]


# --- the interop corpus ------------------------------------------------------------------

CORPUS_CASES = {
    "detached_with_counter_sig.p7m": (
        {"detached": CORPUS / "cades/signed_content.bin"},
        [(_MASTER, None), (_FIRST, _MASTER)],
    ),
    "signedFile.pdf.p7s": (
        {},
        [
            ("signer 1", None),
            ("signer 2", None),
            ("signer 2 counter-signature 1", "signer 2"),
            ("signer 3", None),
            ("signer 3 counter-signature 1", "signer 3"),
            ("signer 3 counter-signature 1.1", "signer 3 counter-signature 1"),
        ],
    ),
    "counterSignedLTA.p7s": (
        {"trust": TrustStore.from_paths([CORPUS / "trust/counterSignedLTA.trust.pem"])},
        [(_MASTER, None), (_FIRST, _MASTER)],
    ),
    "wrongContentHints.p7m": ({}, [(_MASTER, None), (_FIRST, _MASTER)]),
}


@pytest.mark.parametrize("name", sorted(CORPUS_CASES))
def test_every_counter_signature_of_the_corpus_is_found_and_intact(name: str) -> None:
    options, expected = CORPUS_CASES[name]
    options = {"trust": TrustStore([]), **options}
    report = verify(CORPUS / "cades" / name, revocation=_OFF, **options)
    assert [(s.id, s.counter_signature_of) for s in report.signatures] == expected
    for signature in report.signatures:
        assert signature.sub_indication not in _INTEGRITY, signature.to_dict()
        passed = signature.to_dict()["checks"]["passed"]
        assert {"content digest", "signature value"} <= set(passed), (signature.id, passed)
        assert signature.signer is not None
        assert signature.claimed_signing_time is not None
    counters = [s for s in report.signatures if s.counter_signature_of is not None]
    assert all(s.covers is not None and s.covers.kind == "signature" for s in counters)


def test_the_corpus_counter_signatures_say_who_and_when() -> None:
    report = verify(CORPUS / "cades/signedFile.pdf.p7s", trust=TrustStore([]), revocation=_OFF)
    by_id = {s.id: s for s in report.signatures}
    nested = by_id["signer 3 counter-signature 1.1"]
    assert nested.signer is not None
    assert nested.signer.common_name == "Vladut-George Dumitru"
    assert nested.claimed_signing_time == dt.datetime(2019, 11, 6, 14, 28, 20, tzinfo=dt.UTC)
    assert by_id["signer 3 counter-signature 1"].signer.common_name == "Alexandru-Stefan Oprea"  # type: ignore[union-attr]


def test_a_counter_signature_has_its_own_timestamp() -> None:
    report = verify(
        CORPUS / "cades/detached_with_counter_sig.p7m",
        detached=CORPUS / "cades/signed_content.bin",
        trust=TrustStore([]),
        revocation=_OFF,
    )
    counter = report.signatures[1]
    assert counter.level == "B-T"
    assert [t.kind for t in counter.timestamps] == ["signature"]
    stamp = counter.timestamps[0]
    assert stamp.time is not None
    assert stamp.time != report.signatures[0].timestamps[0].time  # not the master's token
    assert not any("imprint" in reason for reason in stamp.reasons), stamp.reasons


def test_a_counter_signature_without_a_signing_time(tmp_path: Path) -> None:
    """EU DSS's default policy has CounterSignatureConstraints/SignedAttributes/SigningTime at
    FAIL: a counter-signature that claims no signing time is INDETERMINATE /
    SIG_CONSTRAINTS_FAILURE (intact); the signature it counter-signs keeps its verdict."""
    made = counter_signature(_master(_p7m()), witness())
    attributes = [a for a in made["signed_attrs"] if a["type"].native != "signing_time"]
    signed = cms.CMSAttributes(attributes)
    key = witness().key
    assert isinstance(key, rsa.RSAPrivateKey)
    fields = {name: made[name] for name in ("version", "sid", "digest_algorithm")}
    fields |= {"signed_attrs": signed, "signature_algorithm": made["signature_algorithm"]}
    fields["signature"] = key.sign(signed.dump(), padding.PKCS1v15(), hashes.SHA256())
    report = _check(_written(tmp_path, _with(_p7m(), cms.SignerInfo(fields))))
    assert _verdicts(report) == [
        (_MASTER, None, "TOTAL_PASSED", None),
        (_FIRST, _MASTER, "INDETERMINATE", "SIG_CONSTRAINTS_FAILURE"),
    ]
    assert "signature value" in report.to_dict()["signatures"][1]["checks"]["passed"]


def test_a_pss_counter_signature_is_verified() -> None:
    report = verify(CORPUS / "cades/wrongContentHints.p7m", trust=TrustStore([]), revocation=_OFF)
    counter = report.signatures[1]
    assert counter.signature_algorithm == "rsassa_pss"
    assert "signature value" in counter.to_dict()["checks"]["passed"]


def test_a_changed_corpus_counter_signature_fails_alone(tmp_path: Path) -> None:
    data = bytearray((CORPUS / "cades/wrongContentHints.p7m").read_bytes())
    counter = _master(bytes(data))["unsigned_attrs"][0]["values"][0]
    value = bytes(counter["signature"].native)
    data[data.index(value) + 40] ^= 0x01
    report = verify(_written(tmp_path, bytes(data)), trust=TrustStore([]), revocation=_OFF)
    assert report.signatures[0].sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert (report.signatures[1].indication, report.signatures[1].sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )


# --- made with the test PKI: every format ------------------------------------------------


def test_a_counter_signed_document_passes_in_every_report(tmp_path: Path) -> None:
    report = _check(material.documents().countersigned)
    assert report.passed, report.to_dict()
    assert _verdicts(report) == [
        (_MASTER, None, "TOTAL_PASSED", None),
        (_FIRST, _MASTER, "TOTAL_PASSED", None),
        ("signer 1 counter-signature 1.1", _FIRST, "TOTAL_PASSED", None),
    ]
    first = report.signatures[1]
    assert first.signer is not None
    assert first.signer.surname == "Witness"
    assert first.claimed_signing_time == material.NOW
    assert len(first.chain) == 3  # the witness, the Citizen CA, the root
    assert first.revocation is not None
    assert first.algorithm_rules
    listed = report.to_dict()["signatures"]
    assert [s["counter_signature_of"] for s in listed] == [None, _MASTER, _FIRST]
    assert listed[1]["covers"]["kind"] == "signature"
    text = "\n".join(report_lines(report))
    assert f"- {_FIRST}: TOTAL_PASSED\n    counter-signature of: {_MASTER}" in text
    assert f"covers: the signature value of {_MASTER}" in text
    page = report_html(report)
    assert f'<th scope="row">Counter-signature of</th><td>{_FIRST}</td>' in page


@pytest.mark.parametrize(
    ("document", "entry"),
    [("asics", "META-INF/signature.p7s"), ("asice", "META-INF/signature001.p7s")],
)
def test_counter_signatures_in_asic_containers(document: str, entry: str, tmp_path: Path) -> None:
    source = getattr(material.documents(), document)
    signature = zipfile.ZipFile(source).read(entry)
    good = replace_entry(source, entry, countersigned(signature), tmp_path / f"good.{document}")
    report = _check(good)
    assert report.passed, report.to_dict()
    assert [(s.id, s.counter_signature_of) for s in report.signatures] == [
        (entry, None),
        (f"{entry} counter-signature 1", entry),
        (f"{entry} counter-signature 1.1", f"{entry} counter-signature 1"),
    ]
    broken = _with(
        signature, counter_signature(_master(signature), witness(), message_digest=bytes(32))
    )
    bad = replace_entry(source, entry, broken, tmp_path / f"bad.{document}")
    report = _check(bad)
    assert not report.passed
    assert _verdicts(report) == [
        (entry, None, "TOTAL_PASSED", None),
        (f"{entry} counter-signature 1", entry, "TOTAL_FAILED", "HASH_FAILURE"),
    ]


def _pdf_with_cms(source: Path, data: bytes, target: Path) -> Path:
    """The signed PDF with its /Contents replaced by ``data`` (zero-padded into the hole)."""
    pdf = source.read_bytes()
    found = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)", pdf)
    assert found is not None
    start, end = int(found[1]) + 1, int(found[2]) - 1
    text = data.hex().encode()
    assert len(text) <= end - start, "the reserved /Contents is too small"
    target.write_bytes(pdf[:start] + text.ljust(end - start, b"0") + pdf[end:])
    return target


def test_a_pdf_signature_lists_its_counter_signatures(tmp_path: Path) -> None:
    source = material.documents().pdf
    pdf = source.read_bytes()
    found = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)", pdf)
    assert found is not None
    held = cms.ContentInfo.load(bytes.fromhex(pdf[int(found[1]) + 1 : int(found[2]) - 1].decode()))
    data = held.dump()
    good = _with(data, counter_signature(_master(data), witness()))
    report = _check(_pdf_with_cms(source, good, tmp_path / "good.pdf"))
    assert report.passed, report.to_dict()
    assert [(s.counter_signature_of, s.indication.value) for s in report.signatures] == [
        (None, "TOTAL_PASSED"),
        (report.signatures[0].id, "TOTAL_PASSED"),
    ]
    changed = counter_signature(_master(data), witness())
    changed["signature"] = bytes(changed["signature"].native)[::-1]
    report = _check(_pdf_with_cms(source, _with(data, changed), tmp_path / "bad.pdf"))
    assert not report.passed
    assert [s.sub_indication for s in report.signatures] == [None, SubIndication.SIG_CRYPTO_FAILURE]


# --- broken counter-signatures -----------------------------------------------------------


def _changed_value() -> bytes:
    counter = counter_signature(_master(_p7m()), witness())
    value = bytearray(counter["signature"].native)
    value[-1] ^= 0x01
    counter["signature"] = bytes(value)
    return _with(_p7m(), counter)


def _content_type() -> bytes:
    extra = cms.CMSAttribute({"type": "content_type", "values": ["data"]})
    return _with(_p7m(), counter_signature(_master(_p7m()), witness(), attributes=[extra]))


def _no_signed_attributes() -> bytes:
    counter = counter_signature(_master(_p7m()), witness())
    counter["signed_attrs"] = None
    return _with(_p7m(), counter)


def _two_digests() -> bytes:
    extra = cms.CMSAttribute({"type": "message_digest", "values": [bytes(32)]})
    return _with(_p7m(), counter_signature(_master(_p7m()), witness(), attributes=[extra]))


def _raw_counter_attribute(*values: bytes) -> bytes:
    """A counter-signature attribute whose values are the given DER encodings, as they are."""
    oid = core.ObjectIdentifier("1.2.840.113549.1.9.6").dump()
    return tlv(0x30, oid + tlv(0x31, b"".join(values)))


def _with_raw(data: bytes, attribute: bytes) -> bytes:
    return with_unsigned(data, cms.CMSAttribute.load(attribute), [witness().cert_der()])


BROKEN = {
    "value changed": (_changed_value, "TOTAL_FAILED", "SIG_CRYPTO_FAILURE"),
    "digest over other data": (
        lambda: _with(
            _p7m(), counter_signature(_master(_p7m()), witness(), message_digest=bytes(32))
        ),
        "TOTAL_FAILED",
        "HASH_FAILURE",
    ),
    "content-type attribute": (_content_type, "TOTAL_FAILED", "FORMAT_FAILURE"),
    "two message digests": (_two_digests, "TOTAL_FAILED", "FORMAT_FAILURE"),
    "no signed attributes": (_no_signed_attributes, "TOTAL_FAILED", "FORMAT_FAILURE"),
    "signer certificate missing": (
        lambda: _with(_p7m(), counter_signature(_master(_p7m()), witness()), certificates=False),
        "INDETERMINATE",
        "NO_SIGNING_CERTIFICATE_FOUND",
    ),
    "sha1 (crypto policy)": (
        lambda: _with(_p7m(), counter_signature(_master(_p7m()), witness(), digest="sha1")),
        "INDETERMINATE",
        "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
    ),
    "an OCTET STRING, not a SignerInfo": (
        lambda: _with_raw(_p7m(), _raw_counter_attribute(core.OctetString(b"x" * 40).dump())),
        "TOTAL_FAILED",
        "FORMAT_FAILURE",
    ),
    "a SEQUENCE, not a SignerInfo": (
        lambda: _with_raw(
            _p7m(), _raw_counter_attribute(core.Sequence.load(b"\x30\x03\x02\x01\x01").dump())
        ),
        "TOTAL_FAILED",
        "FORMAT_FAILURE",
    ),
    "no value": (
        lambda: _with_raw(_p7m(), _raw_counter_attribute()),
        "TOTAL_FAILED",
        "FORMAT_FAILURE",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_counter_signature_fails_alone(case: str, tmp_path: Path) -> None:
    make, indication, sub = BROKEN[case]
    path = _written(tmp_path, make())
    report = _check(path)
    assert _verdicts(report) == [
        (_MASTER, None, "TOTAL_PASSED", None),
        (_FIRST, _MASTER, indication, sub),
    ], report.to_dict()
    assert report.signatures[1].reasons
    assert not report.passed
    assert report.indication is Indication[indication]


@pytest.mark.parametrize(
    ("case", "code"),
    [("good", 0), ("value changed", 1), ("an OCTET STRING, not a SignerInfo", 1)],
)
def test_the_command_exits_1_for_a_broken_counter_signature(
    case: str, code: int, tmp_path: Path
) -> None:
    data = countersigned(_p7m()) if case == "good" else BROKEN[case][0]()
    path = _written(tmp_path, data)
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pem(material.pki().root.certificate, material.pki().citizen_ca.certificate))
    run = eid(
        "verify",
        str(path),
        "--json",
        f"--trust={trust}",
        "--revocation=off",
        f"--at={material.AT.isoformat()}",
        home=tmp_path / "home",
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == code, (run.stdout, run.stderr)
    listed = as_json(run)["signatures"]
    assert listed[0]["indication"] == "TOTAL_PASSED"
    assert listed[1]["counter_signature_of"] == _MASTER


def test_the_reasons_name_what_is_wrong(tmp_path: Path) -> None:
    reasons = {
        case: " ".join(_check(_written(tmp_path, BROKEN[case][0](), case)).signatures[1].reasons)
        for case in (
            "digest over other data",
            "content-type attribute",
            "an OCTET STRING, not a SignerInfo",
        )
    }
    assert "not that of the signature value it counter-signs" in reasons["digest over other data"]
    assert "no content-type (RFC 5652 11.4)" in reasons["content-type attribute"]
    assert "not a SignerInfo" in reasons["an OCTET STRING, not a SignerInfo"]


def test_a_broken_nested_counter_signature_fails_alone(tmp_path: Path) -> None:
    data = _p7m()
    first = counter_signature(_master(data), witness())
    second = counter_signature(first, material.signature(), message_digest=bytes(32))
    first["unsigned_attrs"] = [counter_signature_attribute(second)]
    report = _check(_written(tmp_path, _with(data, first)))
    assert _verdicts(report) == [
        (_MASTER, None, "TOTAL_PASSED", None),
        (_FIRST, _MASTER, "TOTAL_PASSED", None),
        ("signer 1 counter-signature 1.1", _FIRST, "TOTAL_FAILED", "HASH_FAILURE"),
    ]
    assert not report.passed


def test_unreadable_unsigned_attributes_of_a_counter_signature_fail_it(tmp_path: Path) -> None:
    fields = counter_signature(_master(_p7m()), witness()).contents
    broken = tlv(0x30, fields + tlv(0xA1, b"\x02\x01\x00"))  # an INTEGER, not an attribute
    report = _check(_written(tmp_path, _with_raw(_p7m(), _raw_counter_attribute(broken))))
    assert report.problems == []
    assert _verdicts(report) == [
        (_MASTER, None, "TOTAL_PASSED", None),
        (_FIRST, _MASTER, "TOTAL_FAILED", "FORMAT_FAILURE"),
    ]


def test_an_archive_timestamp_in_a_counter_signature_is_named_not_used(tmp_path: Path) -> None:
    fields = counter_signature(_master(_p7m()), witness()).contents
    archive = core.ObjectIdentifier("0.4.0.1733.2.4").dump()
    token = tlv(0x30, archive + tlv(0x31, core.OctetString(b"no token").dump()))
    counter = tlv(0x30, fields + tlv(0xA1, token))
    report = _check(_written(tmp_path, _with_raw(_p7m(), _raw_counter_attribute(counter))))
    assert report.passed, report.to_dict()
    assert report.signatures[1].timestamps == []
    assert report.signatures[1].warnings == [
        "archive timestamps inside a counter-signature are not checked"
    ]


def test_a_revoked_counter_signer_is_revoked(tmp_path: Path) -> None:
    with TestServices() as services:
        signer = software_signer(services.pki)
        data = tmp_path / "letter.txt"
        data.write_bytes(b"I agree.\n")
        signed = sign_cades(
            data, tmp_path / "letter.p7m", signer, SignatureOptions(), detached=False
        )
        raw = signed.output.read_bytes()
        counter_signer = services.pki.issue(Holder("Late", "Witness", "85073003328"), "signature")
        services.revoke(counter_signer, at=services.clock() - dt.timedelta(hours=1))
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        counter = counter_signature(_master(raw), counter_signer, signing_time=now)
        doc = tmp_path / "countersigned.p7m"
        doc.write_bytes(
            with_unsigned(raw, counter_signature_attribute(counter), [counter_signer.cert_der()])
        )
        report = verify(doc, trust=trust_of(services.pki))
    assert _verdicts(report) == [
        (_MASTER, None, "TOTAL_PASSED", None),
        (_FIRST, _MASTER, "TOTAL_FAILED", "REVOKED"),
    ], report.to_dict()


# --- hostile structure ---------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    """A chain of ``depth`` valid counter-signatures, each of the one before."""
    data = _p7m()
    chain = [counter_signature(_master(data), witness())]
    while len(chain) < depth:
        chain.append(counter_signature(chain[-1], witness()))
    inner = chain[-1]
    for parent in reversed(chain[:-1]):
        parent["unsigned_attrs"] = [counter_signature_attribute(inner)]
        inner = cms.SignerInfo.load(parent.dump())  # as bytes: asn1crypto re-walks a live tree
    return _with(data, inner)


def test_nested_counter_signatures_stop_at_the_depth_limit(tmp_path: Path) -> None:
    report = _check(_written(tmp_path, _nested(MAX_COUNTER_DEPTH + 3)))
    verdicts = _verdicts(report)
    assert len(verdicts) == 1 + MAX_COUNTER_DEPTH + 1
    assert all(v[2] == "TOTAL_PASSED" for v in verdicts[: 1 + MAX_COUNTER_DEPTH])
    refused = report.signatures[-1]
    assert (refused.indication, refused.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert f"nested more than {MAX_COUNTER_DEPTH} deep" in refused.reasons[0]
    assert refused.counter_signature_of == report.signatures[-2].id
    assert not report.passed
    within = _check(_written(tmp_path, _nested(MAX_COUNTER_DEPTH), "within.p7m"))
    assert within.passed
    assert len(within.signatures) == 1 + MAX_COUNTER_DEPTH


def test_a_deep_counter_signature_bomb_is_bounded(tmp_path: Path) -> None:
    """Levels beyond Python's recursion limit (made as bytes, never parsed whole): refused."""
    fields = counter_signature(_master(_p7m()), witness()).contents
    layer = tlv(0x30, fields)
    for _ in range(1500):
        layer = tlv(0x30, fields + tlv(0xA1, _raw_counter_attribute(layer)))
    path = _written(tmp_path, _with_raw(_p7m(), _raw_counter_attribute(layer)))
    started = time.process_time()
    report = _check(path)
    assert time.process_time() - started < 10
    assert len(report.signatures) == 1 + MAX_COUNTER_DEPTH + 1
    assert report.signatures[0].passed
    assert not report.passed


def test_too_many_counter_signatures_are_refused(tmp_path: Path) -> None:
    counters = [
        counter_signature(
            _master(_p7m()), witness(), signing_time=material.NOW - dt.timedelta(seconds=n)
        )
        for n in range(MAX_COUNTER_SIGNATURES + 5)
    ]
    report = _check(_written(tmp_path, _with(_p7m(), *counters)))
    assert len(report.signatures) == 1 + MAX_COUNTER_SIGNATURES + 1
    assert all(s.passed for s in report.signatures[:-1])
    assert (
        f"more than {MAX_COUNTER_SIGNATURES} counter-signatures" in report.signatures[-1].reasons[0]
    )
    assert not report.passed


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_mutated_counter_signature_passes_only_unchanged(data: st.DataObject) -> None:
    """Any bytes, or a valid counter-signature (with one of its own) edited, as the attribute's
    value: a report, the master untouched, and a pass only when every byte before the
    counter-signature's unsigned attributes is the original's. Those are unsigned: an edit
    there may pass (the nested counter-signature's attribute type changed: an unknown
    attribute, ignored, as by any CMS verifier)."""
    original = material.documents().countersigned.read_bytes()
    parsed = _master(original)["unsigned_attrs"][0]["values"][0]
    counter = parsed.dump()
    signed_part = counter.index(parsed["unsigned_attrs"].dump())
    value = data.draw(
        st.one_of(
            st.binary(max_size=200),
            st.lists(
                st.tuples(st.integers(0, len(counter) - 1), st.integers(1, 255)),
                min_size=1,
                max_size=4,
            ).map(lambda flips: _flipped(counter, flips)),
            st.just(counter),
        ),
        label="value",
    )
    document = _with_raw(_p7m(), _raw_counter_attribute(_der_wrap(value)))
    folder = material.scratch_directory("eid-counter-")
    report = _check(_written(folder, document))
    assert report.signatures[0].id == _MASTER
    assert report.signatures[0].passed, report.to_dict()
    assert any(s.counter_signature_of == _MASTER for s in report.signatures[1:])
    if value == counter:
        assert report.passed, report.to_dict()
    if report.passed:
        assert value[:signed_part] == counter[:signed_part]


def _flipped(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for where, mask in flips:
        out[where] ^= mask
    return bytes(out)


def _der_wrap(value: bytes) -> bytes:
    """``value`` as it is when its outer length is right, else as an OCTET STRING."""
    try:
        core.Asn1Value.load(value, strict=True)
    except ValueError:
        return core.OctetString(value).dump()
    return value
