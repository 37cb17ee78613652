"""Hostile trust files and certificates: refused with a clear error, in time linear in the input.

Anchors whose keys cannot verify (an unknown key algorithm or curve, unreadable key bytes)
raised UnsupportedAlgorithm or UnboundLocalError inside path building; a file of repeated
BEGIN lines took 16 s. The reproducers are made here from a test PKI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko_certvalidator import CertificateValidator

from eid.errors import CertificateInvalid, EidError, MalformedInput
from eid.pki import (
    RevocationPolicy,
    RevocationSettings,
    TrustStore,
    load_certificates,
    validate_certificate,
)
from eid.pki.testpki import Holder, TestPKI

from .cli_support import as_json, eid

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PKI = {
    kind: TestPKI.create(key_kind=kind, seed=b"hostile trust", now=NOW) for kind in ("ec", "rsa")
}
CARD = {kind: pki.issue_card(Holder("Jan", "Peeters", "85073003328")) for kind, pki in PKI.items()}
OFF = RevocationSettings(policy=RevocationPolicy.OFF)
KEY_OIDS = {
    "ec": bytes.fromhex("06072a8648ce3d0201"),
    "rsa": bytes.fromhex("06092a864886f70d010101"),
}
P384 = bytes.fromhex("06052b81040022")


def unknown_algorithm(der: bytes, kind: str) -> bytes:
    oid = KEY_OIDS[kind]
    return der.replace(oid, oid[:-1] + b"\x09")


def unreadable_key(der: bytes, kind: str) -> bytes:
    key = asn1_x509.Certificate.load(der).public_key["public_key"].contents
    return der.replace(key, key[:5] + b"\x07" * (len(key) - 5))


def unknown_curve(der: bytes, kind: str) -> bytes:
    assert kind == "ec"
    return der.replace(P384, P384[:-1] + b"\x99")


BREAKERS = [unknown_algorithm, unreadable_key]


@pytest.mark.parametrize(
    ("kind", "broken"),
    [(kind, broken) for kind in ("ec", "rsa") for broken in BREAKERS] + [("ec", unknown_curve)],
)
def test_an_anchor_whose_key_cannot_verify_is_refused(
    kind: str, broken: Callable[[bytes, str], bytes]
) -> None:
    # The issuing CA's name with a broken key: path building would pick it for the card.
    hostile = broken(PKI[kind].citizen_ca.cert_der(), kind)
    with pytest.raises(MalformedInput, match=r"public key|not an X\.509"):
        TrustStore([PKI[kind].root.certificate, hostile])
    with pytest.raises(MalformedInput, match=r"public key|not an X\.509"):
        TrustStore([PKI[kind].root.certificate], [hostile])


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_an_extra_certificate_whose_key_cannot_verify_is_skipped(kind: str) -> None:
    hostile = unknown_algorithm(PKI[kind].citizen_ca.cert_der(), kind)
    with pytest.raises(EidError) as caught:
        validate_certificate(
            CARD[kind].authentication.certificate,
            trust=TrustStore([PKI[kind].root.certificate]),
            at=NOW,
            revocation=OFF,
            extra_certificates=[hostile],
        )
    assert caught.value.code == "certificate_untrusted"
    validated = validate_certificate(
        CARD[kind].authentication.certificate,
        trust=TrustStore([PKI[kind].root.certificate]),
        at=NOW,
        revocation=OFF,
        extra_certificates=[hostile, PKI[kind].citizen_ca.certificate],
    )
    assert any("extra certificate ignored" in p for p in validated.problems)


def test_whatever_path_building_raises_is_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: object) -> None:
        raise UnboundLocalError("cannot access local variable 'prime'")

    monkeypatch.setattr(CertificateValidator, "async_validate_path", broken)
    with pytest.raises(CertificateInvalid, match="UnboundLocalError"):
        validate_certificate(
            CARD["ec"].authentication.certificate,
            trust=TrustStore([PKI["ec"].root.certificate], [PKI["ec"].citizen_ca.certificate]),
            at=NOW,
            revocation=OFF,
        )


def test_a_hostile_trust_file_on_the_command_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(unknown_algorithm(PKI["rsa"].citizen_ca.cert_der(), "rsa"))
    token = tmp_path / "token.json"
    token.write_text("{}")
    nonce = "A" * 44
    result = eid(
        "webeid", "verify", str(token), "--origin", "https://a.example", "--challenge", nonce,
        "--trust", str(bad), "--json", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    error = as_json(result)["error"]
    assert error["code"] == "malformed_input"
    assert str(bad) in error["message"]


def test_repeated_begin_lines_are_scanned_once() -> None:
    """16 s before: every BEGIN searched the rest of the file for its END."""
    data = b"-----BEGIN CERTIFICATE-----\n" * 200_000
    with pytest.raises(MalformedInput, match="no complete PEM"):
        load_certificates(data)


def test_pem_bundles_still_load() -> None:
    ec, rsa = PKI["ec"].root.cert_pem(), PKI["rsa"].root.cert_pem()
    bundle = b"text before\n" + ec + b"between\n" + rsa.replace(b"CERTIFICATE", b"X509 CERTIFICATE")
    assert [c.der for c in load_certificates(bundle)] == [
        PKI["ec"].root.cert_der(),
        PKI["rsa"].root.cert_der(),
    ]


PEM_PIECES = st.sampled_from(
    [
        b"-----BEGIN CERTIFICATE-----",
        b"-----BEGIN TRUSTED CERTIFICATE-----",
        b"-----END CERTIFICATE-----",
        b"-----END",
        b"\n",
        b"MIIB",
        b"====",
        b"\x00",
        b"\x30\x82",
    ]
)


@settings(max_examples=300, deadline=1000)
@given(
    pieces=st.lists(PEM_PIECES | st.binary(max_size=16), max_size=60),
    repeat=st.integers(1, 2000),
)
def test_only_eid_errors_escape_from_trust_files(pieces: list[bytes], repeat: int) -> None:
    data = b"".join(pieces) * repeat
    try:
        for loaded in load_certificates(data):
            TrustStore([loaded])
    except EidError:
        pass


@settings(max_examples=100, deadline=2000)
@given(data=st.data(), kind=st.sampled_from(["ec", "rsa"]))
def test_only_eid_errors_escape_from_mutated_anchors(data: st.DataObject, kind: str) -> None:
    der = bytearray(PKI[kind].citizen_ca.cert_der())
    for _ in range(data.draw(st.integers(1, 3))):
        der[data.draw(st.integers(0, len(der) - 1))] = data.draw(st.integers(0, 255))
    try:
        store = TrustStore([PKI[kind].root.certificate, bytes(der)])
        validate_certificate(
            CARD[kind].authentication.certificate, trust=store, at=NOW, revocation=OFF
        )
    except EidError:
        pass
