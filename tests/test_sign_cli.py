"""`eid sign`, run as real processes on the virtual card; outputs checked with openssl and pyHanko."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from eid.tokens.virtual import VirtualCard

from .cli_support import as_json, eid
from .sign_support import card_ca_file, make_pdf, openssl_ts_verify

LEVELS = ["B-B", "B-T"]


def _openssl_verify(
    signature: Path, ca_file: Path, content: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature)]
    command += ["-CAfile", str(ca_file), "-out", str(signature.with_suffix(".out"))]
    if content is not None:
        command += ["-content", str(content)]
    return subprocess.run(command, capture_output=True, check=False)


def _signer_info(signature: bytes) -> cms.SignerInfo:
    signed_data = cms.ContentInfo.load(signature)["content"]
    (info,) = signed_data["signer_infos"]
    return info


def _check_timestamp(signature: Path, ca_file: Path, timestamped: bool) -> None:
    """B-T: the signature-time-stamp is over the signature value, as openssl ts recomputes it."""
    info = _signer_info(signature.read_bytes())
    unsigned = info["unsigned_attrs"]
    tokens = (
        [a for a in unsigned if a["type"].native == "signature_time_stamp_token"]
        if (unsigned.native)
        else []
    )
    assert len(tokens) == (1 if timestamped else 0)
    if not timestamped:
        return
    token = tokens[0]["values"][0]
    token_file = signature.with_suffix(".tst")
    token_file.write_bytes(token.dump())
    value = signature.with_suffix(".sigvalue")
    value.write_bytes(info["signature"].native)
    openssl_ts_verify(value, token_file, ca_file)


def _pdf_status(path: Path, card: VirtualCard) -> object:
    pki = card.pki()
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.cert_der())],
        other_certs=[asn1_x509.Certificate.load(pki.citizen_ca.cert_der())],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    with path.open("rb") as handle:
        (signature,) = PdfFileReader(handle).embedded_regular_signatures
        return validate_pdf_signature(signature, signer_validation_context=context)


@pytest.mark.parametrize("level", LEVELS)
def test_pdf_and_another_file_each_get_a_signed_copy(
    home: Path, virtual_card: VirtualCard, tmp_path: Path, level: str
) -> None:
    pdf = make_pdf(tmp_path / "letter.pdf")
    data = tmp_path / "data.bin"
    data.write_bytes(bytes(range(256)) * 400)
    result = eid("sign", str(pdf), str(data), "--level", level, "--json", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""  # no progress bar in JSON mode
    outputs = as_json(result)["outputs"]
    assert [(o["format"], o["level"]) for o in outputs] == [
        ("pades", level),
        ("cades-detached", level),
    ]
    signed_pdf, p7s = tmp_path / "letter.signed.pdf", tmp_path / "data.bin.p7s"
    assert [o["output"] for o in outputs] == [str(signed_pdf), str(p7s)]
    assert outputs[1]["size"] == p7s.stat().st_size
    assert "serialNumber=85073003427" in outputs[0]["subject"]

    status = _pdf_status(signed_pdf, virtual_card)
    assert (status.intact, status.valid, status.trusted) == (True, True, True), (  # type: ignore[attr-defined]
        status.pretty_print_details()  # type: ignore[attr-defined]
    )
    assert (status.timestamp_validity is not None) == (level == "B-T")  # type: ignore[attr-defined]
    if level == "B-T":
        assert status.timestamp_validity.valid  # type: ignore[attr-defined]
        assert status.timestamp_validity.trusted  # type: ignore[attr-defined]

    ca_file = card_ca_file(virtual_card, tmp_path)
    checked = _openssl_verify(p7s, ca_file, content=data)
    assert checked.returncode == 0, checked.stderr
    _check_timestamp(p7s, ca_file, level == "B-T")

    data.write_bytes(b"changed")
    assert _openssl_verify(p7s, ca_file, content=data).returncode != 0


@pytest.mark.parametrize("level", LEVELS)
def test_cades_enveloping(
    home: Path, virtual_card: VirtualCard, tmp_path: Path, level: str
) -> None:
    data = tmp_path / "notes.txt"
    data.write_bytes(b"enveloped\n" * 1000)
    result = eid("sign", str(data), "--enveloping", "--level", level, "--json", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    p7m = tmp_path / "notes.txt.p7m"
    (output,) = as_json(result)["outputs"]
    assert (output["output"], output["format"]) == (str(p7m), "cades-enveloping")
    ca_file = card_ca_file(virtual_card, tmp_path)
    checked = _openssl_verify(p7m, ca_file)
    assert checked.returncode == 0, checked.stderr
    assert p7m.with_suffix(".out").read_bytes() == data.read_bytes()
    _check_timestamp(p7m, ca_file, level == "B-T")


@pytest.mark.parametrize("level", LEVELS)
def test_asics(home: Path, virtual_card: VirtualCard, tmp_path: Path, level: str) -> None:
    data = tmp_path / "report.csv"
    data.write_bytes(b"a,b\n1,2\n")
    result = eid("sign", str(data), "--format", "asics", "--level", level, home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "report.asics" in result.stdout
    container = tmp_path / "report.asics"
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(container) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/vnd.etsi.asic-s+zip"
        archive.extractall(extracted)
    ca_file = card_ca_file(virtual_card, tmp_path)
    signature = extracted / "META-INF" / "signature.p7s"
    checked = _openssl_verify(signature, ca_file, content=extracted / "report.csv")
    assert checked.returncode == 0, checked.stderr
    _check_timestamp(signature, ca_file, level == "B-T")


@pytest.mark.parametrize("level", LEVELS)
def test_several_files_into_one_asice(
    home: Path, virtual_card: VirtualCard, tmp_path: Path, level: str
) -> None:
    files = [tmp_path / "one.txt", tmp_path / "two.pdf"]
    files[0].write_bytes(b"first\n")
    make_pdf(files[1])
    target = tmp_path / "bundle.asice"
    result = eid(
        "sign", *map(str, files), "--format", "asice", "-o", str(target), "--level", level,
        "--json", home=home,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (output,) = as_json(result)["outputs"]
    assert (output["format"], output["files"]) == ("asice", ["one.txt", "two.pdf"])
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist()[0] == "mimetype"
        archive.extractall(extracted)
    manifest = extracted / "META-INF" / "ASiCManifest001.xml"
    root = ElementTree.parse(manifest).getroot()
    listed = {}
    for reference in root.iter("{http://uri.etsi.org/02918/v1.2.1#}DataObjectReference"):
        value = reference.find("{http://www.w3.org/2000/09/xmldsig#}DigestValue")
        assert value is not None
        assert value.text is not None
        listed[reference.get("URI")] = base64.b64decode(value.text)
    digest = hashlib.sha384 if virtual_card.key_kind == "ec" else hashlib.sha256
    assert listed == {f.name: digest(f.read_bytes()).digest() for f in files}
    ca_file = card_ca_file(virtual_card, tmp_path)
    signature = extracted / "META-INF" / "signature001.p7s"
    checked = _openssl_verify(signature, ca_file, content=manifest)
    assert checked.returncode == 0, checked.stderr
    _check_timestamp(signature, ca_file, level == "B-T")


def test_b_lt_cades_embeds_revocation_data(
    home: Path, virtual_card: VirtualCard, tmp_path: Path
) -> None:
    data = tmp_path / "archive.bin"
    data.write_bytes(b"\x00" * 5000)
    result = eid("sign", str(data), "--level", "B-LT", "--key", "authentication", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    p7s = tmp_path / "archive.bin.p7s"
    signed_data = cms.ContentInfo.load(p7s.read_bytes())["content"]
    responses = [c.chosen for c in signed_data["crls"] if c.name == "other"]
    assert responses
    assert all(r["other_rev_info_format"].native == "ocsp_response" for r in responses)
    checked = _openssl_verify(p7s, card_ca_file(virtual_card, tmp_path), content=data)
    assert checked.returncode == 0, checked.stderr
    subjects = [c.chosen.subject.human_friendly for c in signed_data["certificates"]]
    assert any("(Authentication)" in subject for subject in subjects)


def test_several_copies_show_progress_on_stderr(home: Path, tmp_path: Path) -> None:
    files = [tmp_path / f"f{n}.txt" for n in range(3)]
    for path in files:
        path.write_bytes(path.name.encode())
    out = tmp_path / "signed"
    out.mkdir()
    result = eid("sign", *map(str, files), "-o", str(out), home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["f0.txt.p7s", "f1.txt.p7s", "f2.txt.p7s"]
    assert "3/3" in result.stderr
    assert result.stdout.count("signed ") == 3


def test_wrong_pin_is_exit_3_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"data")
    result = eid("sign", str(data), "--json", home=home, env={"EID_PIN": "9999"})
    assert result.returncode == 3, result.stdout + result.stderr
    assert as_json(result)["error"]["code"] == "pin_incorrect"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt", "virtual-card"]


def test_existing_output_needs_force(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"data")
    existing = tmp_path / "data.txt.p7s"
    existing.write_bytes(b"keep me")
    refused = eid("sign", str(data), "--json", home=home)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert as_json(refused)["error"]["code"] == "usage"
    assert existing.read_bytes() == b"keep me"
    forced = eid("sign", str(data), "--force", home=home)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert existing.read_bytes() != b"keep me"


def test_usage_errors_are_exit_2(home: Path, tmp_path: Path) -> None:
    missing = eid("sign", str(tmp_path / "absent.pdf"), "--json", home=home)
    assert missing.returncode == 2
    assert "absent.pdf" in as_json(missing)["error"]["message"]
    data = tmp_path / "data.txt"
    data.write_bytes(b"data")
    wrong_option = eid("sign", str(data), "--visible", home=home)
    assert wrong_option.returncode == 2
    # A TSA that does not answer (nothing listens on port 9 of loopback).
    no_tsa = eid(
        "sign", str(data), "--level", "B-T", "--tsa", "http://127.0.0.1:9/tsa", "--json",
        home=home,
    )  # fmt: skip
    assert no_tsa.returncode == 2, no_tsa.stdout + no_tsa.stderr
    assert as_json(no_tsa)["error"]["code"] == "timestamp_failed"
    assert not (tmp_path / "data.txt.p7s").exists()
    not_a_pdf = tmp_path / "fake.pdf"
    not_a_pdf.write_bytes(b"no pdf here")
    malformed = eid("sign", str(not_a_pdf), "--json", home=home)
    assert (malformed.returncode, as_json(malformed)["error"]["code"]) == (2, "malformed_input")


def test_demo_runs_the_whole_path(tmp_path: Path) -> None:
    """Card, identity, login with OCSP, a signed PDF, and its verification."""
    result = eid("demo", "--json", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    demo = as_json(result)
    signed = Path(demo["signed"])
    assert signed == tmp_path / "demo" / "letter.signed.pdf"
    assert demo["signing"]["level"] == "B-T"
    assert demo["identity"]["checks"]["identity_signature"]["status"] == "valid"
    assert demo["login"]["revocation"]["status"] == "good"
    (verified,) = demo["verification"]["signatures"]
    assert verified["indication"] == "TOTAL_PASSED"
    assert verified["signer"]["national_number"] == "85073003427"
    assert verified["level"] == "B-T"
    pki = tmp_path / "virtual-card" / "pki"
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(_der(pki / "root.pem"))],
        other_certs=[asn1_x509.Certificate.load(_der(pki / "citizen-ca.pem"))],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    with signed.open("rb") as handle:
        (signature,) = PdfFileReader(handle).embedded_regular_signatures
        status = validate_pdf_signature(signature, signer_validation_context=context)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.valid


def _der(path: Path) -> bytes:
    body = path.read_text().split("-----")[2]
    return base64.b64decode("".join(body.split()))


def test_sign_then_verify_with_the_commands(
    home: Path, virtual_card: VirtualCard, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("to the municipality\n")
    assert eid("sign", str(letter), home=home).returncode == 0
    signature = tmp_path / "letter.txt.p7s"
    pki = virtual_card.directory / "pki"
    trust = ["--trust", str(pki / "root.pem"), "--trust", str(pki / "citizen-ca.pem")]
    command = ["verify", str(signature), "--detached", str(letter), *trust, "--json"]

    passed = eid(*command, "--revocation", "off", home=home)
    assert passed.returncode == 0, passed.stdout
    (report,) = as_json(passed)["signatures"]
    assert (report["indication"], report["signer"]["national_number"]) == (
        "TOTAL_PASSED",
        virtual_card.national_number,
    )
    # Revocation required, and no OCSP or CRL answers outside `eid sign`: not yet decidable.
    unknown = eid(*command, home=home)
    (report,) = as_json(unknown)["signatures"]
    assert (unknown.returncode, report["indication"], report["sub_indication"]) == (
        1,
        "INDETERMINATE",
        "TRY_LATER",
    )
    letter.write_text("to the municipality, changed\n")
    failed = eid(*command, "--revocation", "off", home=home)
    (report,) = as_json(failed)["signatures"]
    assert (failed.returncode, report["indication"]) == (1, "TOTAL_FAILED")
    assert eid("verify", str(letter), home=home).returncode == 2  # not a signed document
