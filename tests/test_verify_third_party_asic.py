"""ASiC containers packed the ways other tools pack them get the verdict EU DSS gives.

The containers are built here with Python's zipfile, the signatures inside by ``openssl
cms -sign -cades`` (a detached CAdES over the data file of an ASiC-S, over the
ASiCManifest of an ASiC-E), as a tool that does not know ASiC itself would: ``mimetype``
stored first, compressed, last or absent; file names with spaces and non-ASCII letters,
written as they are or percent-encoded in the manifest; files the manifest does not
cover, a manifest naming a file that is not there, no manifest at all. The expected
verdicts follow EU DSS 6 and its default policy (ContainerConstraints of
``constraint.xml``, format checking and the basic building blocks of EN 319 102-1) for
ETSI EN 319 162-1 containers; each test names the constraint that decides it.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.pki import RevocationPolicy, RevocationSettings
from eid.pki.testpki import TestPKI
from eid.sign import Indication, SubIndication, ValidationReport, verify
from eid.sign.report import SignatureReport
from eid.sign.verify_asic import _entry
from tests.cli_support import as_json, eid
from tests.third_party_support import SECOND, Material, material, openssl_sign, pem_file
from tests.verify_support import trust_of

OFF = RevocationSettings(policy=RevocationPolicy.OFF)
ASIC_S = "application/vnd.etsi.asic-s+zip"
ASIC_E = "application/vnd.etsi.asic-e+zip"
SIGNATURE = "META-INF/signature001.p7s"
DOC = b"The contract, signed.\n" * 30
ANNEX = b"An annex.\n" * 10
PKI = TestPKI.create(key_kind="ec", seed=b"third-party-asic")


@pytest.fixture
def signer(tmp_path: Path) -> Material:
    return material(PKI, tmp_path / "keys")


def _cades(signer: Material, content: bytes, work: Path) -> bytes:
    """A detached CAdES-B-B of ``content`` by ``openssl cms -sign -cades``."""
    data = work / "to-sign.bin"
    data.write_bytes(content)
    return openssl_sign(signer, data, work / "signature.p7s", "-cades").read_bytes()


def _manifest(files: dict[str, bytes], *, encode: bool = False) -> bytes:
    """An ASiCManifest for :data:`SIGNATURE` over ``files`` (URIs percent-encoded or not)."""
    references = "".join(
        f'<asic:DataObjectReference URI="{quote(name) if encode else name}">'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f"<ds:DigestValue>{base64.b64encode(hashlib.sha256(content).digest()).decode()}"
        "</ds:DigestValue></asic:DataObjectReference>"
        for name, content in files.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#"'
        ' xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f'<asic:SigReference URI="{SIGNATURE}" MimeType="application/pkcs7-signature"/>'
        f"{references}</asic:ASiCManifest>"
    ).encode()


def _zip(path: Path, entries: dict[str, bytes], mimetype: str | None, how: str = "first") -> Path:
    """A ZIP of ``entries`` with ``mimetype`` stored first, deflated first, or stored last."""
    with zipfile.ZipFile(path, "w") as archive:
        if mimetype is not None and how != "last":
            kind = zipfile.ZIP_DEFLATED if how == "deflated" else zipfile.ZIP_STORED
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=kind)
        for name, content in entries.items():
            archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
        if mimetype is not None and how == "last":
            archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
    return path


def _asice(
    signer: Material, tmp: Path, files: dict[str, bytes], signed: dict[str, bytes], **options: bool
) -> Path:
    """An ASiC-E holding ``files``, whose manifest (and so signature) covers ``signed``."""
    manifest = _manifest(signed, **options)
    entries = {
        **files,
        "META-INF/ASiCManifest001.xml": manifest,
        SIGNATURE: _cades(signer, manifest, tmp),
    }
    return _zip(tmp / "container.asice", entries, ASIC_E)


def _check(path: Path) -> tuple[ValidationReport, SignatureReport]:
    report = verify(path, trust=trust_of(PKI), revocation=OFF)
    (signature,) = report.signatures
    return report, signature


@pytest.mark.parametrize("how", ["first", "deflated", "last", "absent"])
def test_asics_mimetype_as_tools_write_it(signer: Material, tmp_path: Path, how: str) -> None:
    """DSS 6: MimeTypeFilePresent is INFORM, and compression and order are not checked:
    the signature decides (TOTAL_PASSED); eid says what deviates in a warning."""
    entries = {"doc.txt": DOC, "META-INF/signature.p7s": _cades(signer, DOC, tmp_path)}
    path = _zip(tmp_path / "c.asics", entries, None if how == "absent" else ASIC_S, how)
    report, signature = _check(path)
    assert report.format == "asic-s"
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert report.passed
    assert bool(report.warnings) is (how != "first")


def test_asics_with_a_name_of_spaces_and_accents(signer: Material, tmp_path: Path) -> None:
    name = "contrat signé été 2026.txt"
    entries = {name: DOC, "META-INF/signature.p7s": _cades(signer, DOC, tmp_path)}
    _, signature = _check(_zip(tmp_path / "c.asics", entries, ASIC_S))
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.covers is not None
    assert signature.covers.files == (name,)


@pytest.mark.parametrize(
    ("files", "indication", "sub"),
    [
        ({"doc.txt": DOC + b"!"}, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE),
        (
            {"doc.txt": DOC, "other.txt": ANNEX},
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
        ),
        ({}, Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE),
    ],
    ids=["changed", "two-files", "no-file"],
)
def test_asics_that_does_not_hold(
    signer: Material,
    tmp_path: Path,
    files: dict[str, bytes],
    indication: Indication,
    sub: SubIndication,
) -> None:
    """A changed file: ReferenceDataIntact (HASH_FAILURE). Two root files or none:
    ContainerConstraints/SignedFilesPresent (FAIL: one file in an ASiC-S), FORMAT_FAILURE."""
    entries = {**files, "META-INF/signature.p7s": _cades(signer, DOC, tmp_path)}
    _, signature = _check(_zip(tmp_path / "c.asics", entries, ASIC_S))
    assert signature.indication is indication
    assert signature.sub_indication is sub, signature.reasons


@pytest.mark.parametrize("how", ["first", "deflated", "absent"])
def test_asice_mimetype_as_tools_write_it(signer: Material, tmp_path: Path, how: str) -> None:
    files = {"doc.txt": DOC, "annex.txt": ANNEX}
    manifest = _manifest(files)
    entries = {
        **files,
        "META-INF/ASiCManifest001.xml": manifest,
        SIGNATURE: _cades(signer, manifest, tmp_path),
    }
    path = _zip(tmp_path / "c.asice", entries, None if how == "absent" else ASIC_E, how)
    report, signature = _check(path)
    assert report.format == "asic-e"
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons


@pytest.mark.parametrize("encode", [False, True], ids=["as-is", "percent-encoded"])
def test_asice_names_with_spaces_and_utf8(signer: Material, tmp_path: Path, encode: bool) -> None:
    """Manifest URIs of names with spaces and accents, as they are or percent-encoded.

    EU DSS decodes a manifest URI (``DSSUtils.decodeURI``) before it looks the entry up by
    name, so ``my%20doc%20%C3%A9.txt`` names ``my doc é.txt``: both TOTAL_PASSED.
    """
    files = {"my doc é.txt": DOC, "annexes/annex 2 ü.txt": ANNEX}
    path = _asice(signer, tmp_path, files, files, encode=encode)
    report, signature = _check(path)
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.covers is not None
    assert set(signature.covers.files) == set(files)
    assert signature.covers.whole_file
    assert report.passed


def test_eid_verify_json_on_utf8_names(signer: Material, tmp_path: Path) -> None:
    """``eid verify --json`` on a container whose names are not ASCII: well-formed JSON
    naming the files as they are, exit 0 when it holds and 1 when a file changed."""
    files = {"my doc é.txt": DOC, "annexes/annex 2 ü.txt": ANNEX}
    good = _asice(signer, tmp_path, files, files, encode=True)
    anchors = tmp_path / "trust"
    anchors.mkdir()
    pem_file(anchors / "root.pem", PKI.root.certificate)
    pem_file(anchors / "citizen.pem", PKI.citizen_ca.certificate)
    options = ["--trust", str(anchors), "--no-revocation", "--json"]
    result = eid("verify", str(good), *options, home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    (signature,) = as_json(result)["signatures"]
    assert set(signature["covers"]["files"]) == set(files)
    bad = _asice(signer, tmp_path, {**files, "my doc é.txt": DOC + b"!"}, files, encode=True)
    result = eid("verify", str(bad), *options, home=tmp_path / "home")
    assert result.returncode == 1, result.stderr
    assert as_json(result)["signatures"][0]["sub_indication"] == "HASH_FAILURE"


def test_asice_percent_encoded_names_still_detect_a_change(
    signer: Material, tmp_path: Path
) -> None:
    files = {"my doc é.txt": DOC}
    path = _asice(signer, tmp_path, {"my doc é.txt": DOC + b"!"}, files, encode=True)
    _, signature = _check(path)
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE


def test_asice_extra_file_not_covered(signer: Material, tmp_path: Path) -> None:
    """ContainerConstraints/AllFilesSigned is WARN: TOTAL_PASSED, with a warning."""
    path = _asice(signer, tmp_path, {"doc.txt": DOC, "extra.txt": ANNEX}, {"doc.txt": DOC})
    _, signature = _check(path)
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert any("extra.txt" in warning for warning in signature.warnings)
    assert signature.covers is not None
    assert not signature.covers.whole_file


def test_asice_signed_file_missing(signer: Material, tmp_path: Path) -> None:
    """BasicSignatureConstraints/ReferenceDataExistence (FAIL): INDETERMINATE /
    SIGNED_DATA_NOT_FOUND for a manifest entry that is not in the container."""
    path = _asice(signer, tmp_path, {"doc.txt": DOC}, {"doc.txt": DOC, "gone.txt": ANNEX})
    _, signature = _check(path)
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND


def test_asice_without_a_manifest(signer: Material, tmp_path: Path) -> None:
    """An ASiC-E whose CAdES signature has no ASiCManifest (a tool that signed the file).

    DSS: ContainerConstraints/ManifestFilePresent (FAIL) in format checking, for an ASiC-E
    that holds no manifest at all: TOTAL_FAILED / FORMAT_FAILURE.
    """
    entries = {"doc.txt": DOC, "annex.txt": ANNEX, SIGNATURE: _cades(signer, DOC, tmp_path)}
    report, signature = _check(_zip(tmp_path / "c.asice", entries, ASIC_E))
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    assert not report.passed


def test_asice_manifest_for_another_signature(signer: Material, tmp_path: Path) -> None:
    """A manifest is there but names another signature: the signed data is not found."""
    manifest = _manifest({"doc.txt": DOC}).replace(SIGNATURE.encode(), b"META-INF/other.p7s")
    entries = {
        "doc.txt": DOC,
        "META-INF/ASiCManifest001.xml": manifest,
        SIGNATURE: _cades(signer, manifest, tmp_path),
    }
    _, signature = _check(_zip(tmp_path / "c.asice", entries, ASIC_E))
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND


def _info_zip(folder: Path, target: Path, *entries: str) -> Path:
    """``folder`` packed by Info-ZIP as its users pack an ASiC: ``mimetype`` stored first
    (``zip -X -0``), then the rest recursively (``zip -X -r``, which adds directory
    entries such as ``META-INF/``)."""
    subprocess.run(["zip", "-q", "-X", "-0", str(target), "mimetype"], cwd=folder, check=True)
    subprocess.run(["zip", "-q", "-X", "-r", str(target), *entries], cwd=folder, check=True)
    return target


def test_asics_and_asice_packed_by_info_zip(signer: Material, tmp_path: Path) -> None:
    """Directory entries (``META-INF/``, ``annexes/``) are no data files: both pass, the
    ASiC-E covering every file; DSS lists only files as container content too."""
    single = tmp_path / "single"
    (single / "META-INF").mkdir(parents=True)
    (single / "mimetype").write_text(ASIC_S)
    (single / "doc.txt").write_bytes(DOC)
    (single / "META-INF" / "signature.p7s").write_bytes(_cades(signer, DOC, tmp_path))
    asics = _info_zip(single, tmp_path / "c.asics", "doc.txt", "META-INF")
    assert "META-INF/" in zipfile.ZipFile(asics).namelist()
    report, signature = _check(asics)
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert not report.warnings
    extended = tmp_path / "extended"
    (extended / "META-INF").mkdir(parents=True)
    (extended / "annexes").mkdir()
    (extended / "mimetype").write_text(ASIC_E)
    files = {"doc.txt": DOC, "annexes/annex.txt": ANNEX}
    for name, content in files.items():
        (extended / name).write_bytes(content)
    manifest = _manifest(files)
    (extended / "META-INF" / "ASiCManifest001.xml").write_bytes(manifest)
    (extended / SIGNATURE).write_bytes(_cades(signer, manifest, tmp_path))
    asice = _info_zip(extended, tmp_path / "c.asice", "doc.txt", "annexes", "META-INF")
    assert "annexes/" in zipfile.ZipFile(asice).namelist()
    report, signature = _check(asice)
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.covers is not None
    assert signature.covers.whole_file
    assert not signature.warnings


def _two_signers(signer: Material, content: bytes, work: Path) -> bytes:
    """A detached CAdES of ``content`` with two SignerInfos (``openssl cms -sign`` twice)."""
    other = material(PKI, work / "keys", "second", holder=SECOND)
    data = work / "to-sign.bin"
    data.write_bytes(content)
    extra = ["-signer", str(other.cert), "-inkey", str(other.key)]
    return openssl_sign(signer, data, work / "two.p7s", "-cades", *extra).read_bytes()


@pytest.mark.parametrize("changed", [False, True])
def test_asics_with_two_signer_infos(signer: Material, tmp_path: Path, changed: bool) -> None:
    """An ASiC-S has one signature entry; a second, parallel signature goes into the same
    ``signature.p7s`` as another SignerInfo (what DSS's own ASiC-S signing does, its
    ASiCSCAdESLevelBSignFourTimeTest validating four TOTAL_PASSED signatures).

    Each SignerInfo is a signature with a verdict of its own.
    """
    entries = {
        "doc.txt": DOC + (b"!" if changed else b""),
        "META-INF/signature.p7s": _two_signers(signer, DOC, tmp_path),
    }
    report = verify(
        _zip(tmp_path / "c.asics", entries, ASIC_S), trust=trust_of(PKI), revocation=OFF
    )
    ids = [s.id for s in report.signatures]
    assert ids == ["META-INF/signature.p7s signer 1", "META-INF/signature.p7s signer 2"]
    for signature in report.signatures:
        if changed:
            assert signature.indication is Indication.TOTAL_FAILED
            assert signature.sub_indication is SubIndication.HASH_FAILURE
        else:
            assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert report.passed is not changed


def test_asice_with_two_signer_infos(signer: Material, tmp_path: Path) -> None:
    files = {"doc.txt": DOC, "annex.txt": ANNEX}
    manifest = _manifest(files)
    entries = {
        **files,
        "META-INF/ASiCManifest001.xml": manifest,
        SIGNATURE: _two_signers(signer, manifest, tmp_path),
    }
    report = verify(
        _zip(tmp_path / "c.asice", entries, ASIC_E), trust=trust_of(PKI), revocation=OFF
    )
    assert len(report.signatures) == 2
    assert report.passed, [s.reasons for s in report.signatures]


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40))
def test_a_manifest_uri_names_its_entry_encoded_or_not(name: str) -> None:
    """Written as is or percent-encoded, a URI names the entry; an entry's own name is kept."""
    names = {name}
    assert _entry(name, names) == name
    assert _entry(quote(name, safe="/"), names) == name
    assert _entry(quote(name, safe=""), names) == name
