"""ASiC-E and ASiC-S containers: structure, manifests, signatures checked with openssl."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from eid.errors import MalformedInput, UsageError
from eid.sign import (
    EidSigner,
    Level,
    SignatureOptions,
    add_asice_signature,
    sign_asice,
    sign_asics,
)
from eid.sign.asice import ASIC_NS
from tests import sign_support as support
from tests.sign_support import Tsa, chain_pem, openssl_verify

signer = support.signer
tsa = support.tsa

_DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _files(tmp_path: Path) -> list[Path]:
    first = tmp_path / "letter.txt"
    first.write_text("Dear sir,\n")
    second = tmp_path / "annex.pdf"
    support.make_pdf(second)
    return [first, second]


def _check_mimetype(archive: zipfile.ZipFile, expected: bytes) -> None:
    first = archive.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b""
    assert archive.read(first) == expected


def _check_signature(
    archive: zipfile.ZipFile, manifest: str, signature: str, signer: EidSigner, tmp_path: Path
) -> None:
    (tmp_path / "manifest.xml").write_bytes(archive.read(manifest))
    (tmp_path / "signature.p7s").write_bytes(archive.read(signature))
    checked = openssl_verify(
        tmp_path / "signature.p7s", chain_pem(signer), tmp_path, content=tmp_path / "manifest.xml"
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_asice_structure_manifest_and_signature(
    signer: EidSigner, tsa: Tsa, tmp_path: Path, level: Level
) -> None:
    files = _files(tmp_path)
    options = SignatureOptions(level=level, tsa_url=tsa.url if level.timestamped else None)
    result = sign_asice(files, tmp_path / "bundle.asice", signer, options)
    with zipfile.ZipFile(result.output) as archive:
        _check_mimetype(archive, b"application/vnd.etsi.asic-e+zip")
        assert set(archive.namelist()) == {
            "mimetype",
            "letter.txt",
            "annex.pdf",
            "META-INF/ASiCManifest001.xml",
            "META-INF/signature001.p7s",
        }
        manifest = ElementTree.fromstring(archive.read("META-INF/ASiCManifest001.xml"))
        assert manifest.tag == f"{{{ASIC_NS}}}ASiCManifest"
        assert manifest.find(f"{{{ASIC_NS}}}SigReference").get("URI") == "META-INF/signature001.p7s"  # type: ignore[union-attr]
        references = manifest.findall(f"{{{ASIC_NS}}}DataObjectReference")
        assert {r.get("URI") for r in references} == {"letter.txt", "annex.pdf"}
        for reference in references:
            name = reference.get("URI")
            assert name is not None
            method = reference.find(f"{_DS}DigestMethod").get("Algorithm")  # type: ignore[union-attr]
            value = base64.b64decode(reference.findtext(f"{_DS}DigestValue") or "")
            hasher = hashlib.new(result.digest, archive.read(name))
            assert method is not None
            assert method.endswith(result.digest)
            assert value == hasher.digest()
        _check_signature(
            archive, "META-INF/ASiCManifest001.xml", "META-INF/signature001.p7s", signer, tmp_path
        )
        # A changed byte of the manifest (as a changed data file would need) breaks the signature.
        tampered = bytearray(archive.read("META-INF/ASiCManifest001.xml"))
        tampered[tampered.find(b"DigestValue>") + 12] ^= 1
        (tmp_path / "manifest.xml").write_bytes(bytes(tampered))
        refused = openssl_verify(
            tmp_path / "signature.p7s", chain_pem(signer), tmp_path, tmp_path / "manifest.xml"
        )
        assert refused.returncode != 0


def test_second_asice_signature_keeps_the_first(signer: EidSigner, tmp_path: Path) -> None:
    files = _files(tmp_path)
    first = sign_asice(files, tmp_path / "one.asice", signer)
    second = add_asice_signature(first.output, tmp_path / "two.asice", signer)
    assert second.signatures == 2
    assert second.details["signature"] == "META-INF/signature002.p7s"
    with zipfile.ZipFile(first.output) as before, zipfile.ZipFile(second.output) as after:
        _check_mimetype(after, b"application/vnd.etsi.asic-e+zip")
        for info in before.infolist():
            assert after.read(info.filename) == before.read(info.filename)
        assert second.output.read_bytes().startswith(
            first.output.read_bytes()[: before.infolist()[-1].header_offset]
        )
        for number in ("001", "002"):
            _check_signature(
                after,
                f"META-INF/ASiCManifest{number}.xml",
                f"META-INF/signature{number}.p7s",
                signer,
                tmp_path,
            )


def test_asice_refuses_clashing_names_and_non_containers(signer: EidSigner, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text("1")
    (tmp_path / "b" / "same.txt").write_text("2")
    with pytest.raises(UsageError, match="same name"):
        sign_asice(
            [tmp_path / "a" / "same.txt", tmp_path / "b" / "same.txt"],
            tmp_path / "x.asice",
            signer,
        )
    not_zip = tmp_path / "plain.asice"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(MalformedInput):
        add_asice_signature(not_zip, tmp_path / "y.asice", signer)
    assert not (tmp_path / "x.asice").exists()
    assert not (tmp_path / "y.asice").exists()


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_asics(signer: EidSigner, tsa: Tsa, tmp_path: Path, level: Level) -> None:
    data = _files(tmp_path)[0]
    options = SignatureOptions(level=level, tsa_url=tsa.url if level.timestamped else None)
    result = sign_asics(data, tmp_path / "letter.asics", signer, options)
    with zipfile.ZipFile(result.output) as archive:
        _check_mimetype(archive, b"application/vnd.etsi.asic-s+zip")
        assert archive.namelist() == ["mimetype", "letter.txt", "META-INF/signature.p7s"]
        (tmp_path / "sig.p7s").write_bytes(archive.read("META-INF/signature.p7s"))
        (tmp_path / "content").write_bytes(archive.read("letter.txt"))
    checked = openssl_verify(
        tmp_path / "sig.p7s", chain_pem(signer), tmp_path, content=tmp_path / "content"
    )
    assert checked.returncode == 0, checked.stderr
