"""`eid verify --extract OUT` (issue 11): the signed content of a .p7m or ASiC-S, written out.

Written atomically after verification whatever the verdict; the report (JSON, text) says
whether it may be trusted. A container with colliding entry names is never extracted.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from eid.cli.verify import verify as verify_command
from eid.errors import UsageError
from eid.pki.testpki import TestPKI
from eid.sign import SignatureOptions, verify
from tests.sign_support import pem
from tests.verify_support import OFF, sign_as, software_signer, trust_of

CONTENT = b"I agree to the terms.\n" * 50  # what verify_support.sign_as signs


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-extract")


def _cli(pki: TestPKI, tmp_path: Path, signed: Path, out: Path) -> tuple[int, str]:
    root = tmp_path / "root.pem"
    root.write_bytes(pem(pki.root.certificate, pki.citizen_ca.certificate))
    result = CliRunner().invoke(
        verify_command,
        [str(signed), "--trust", str(root), "--no-revocation", "--extract", str(out), "--json"],
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["cades-enveloping", "asics"])
def test_valid_content_is_extracted_and_trusted(pki: TestPKI, tmp_path: Path, kind: str) -> None:
    signed, _, _ = sign_as(kind, software_signer(pki), SignatureOptions(), tmp_path)
    out = tmp_path / "content.txt"
    report = verify(signed, trust=trust_of(pki), revocation=OFF, extract=out)
    assert report.passed
    assert report.extracted is not None
    assert (report.extracted.written, report.extracted.trusted) == (True, True)
    assert out.read_bytes() == CONTENT
    out.unlink()
    code, output = _cli(pki, tmp_path, signed, out)
    assert code == 0, output
    assert json.loads(output)["extracted"] == {
        "path": str(out),
        "written": True,
        "trusted": True,
        "reason": None,
    }
    assert out.read_bytes() == CONTENT
    assert sorted(p.name for p in tmp_path.glob(".*.part")) == []


@pytest.mark.parametrize("kind", ["cades-enveloping", "asics"])
def test_tampered_content_is_extracted_but_not_trusted(
    pki: TestPKI, tmp_path: Path, kind: str
) -> None:
    _signed, _, tamper = sign_as(kind, software_signer(pki), SignatureOptions(), tmp_path)
    bad = tamper()
    out = tmp_path / "content.txt"
    out.write_bytes(b"an older file, replaced whole")
    report = verify(bad, trust=trust_of(pki), revocation=OFF, extract=out)
    assert not report.passed
    assert report.extracted is not None
    assert report.extracted.written
    assert not report.extracted.trusted
    assert "not valid" in (report.extracted.reason or "")
    assert out.read_bytes() != CONTENT
    assert out.read_bytes() != b"an older file, replaced whole"
    code, output = _cli(pki, tmp_path, bad, out)
    assert code == 1
    assert json.loads(output)["extracted"]["trusted"] is False
    text = CliRunner().invoke(verify_command, [str(bad), "--no-revocation", "--extract", str(out)])
    assert "NOT TRUSTED" in text.output


def test_a_container_with_colliding_names_is_never_extracted(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, _ = sign_as("asics", software_signer(pki), SignatureOptions(), tmp_path)
    with zipfile.ZipFile(signed, "a") as archive:
        archive.writestr("LETTER.TXT", b"I refuse.\n")
    out = tmp_path / "content.txt"
    report = verify(signed, trust=trust_of(pki), revocation=OFF, extract=out)
    assert report.extracted is not None
    assert not report.extracted.written
    assert "same file once unpacked" in (report.extracted.reason or "")
    assert not out.exists()


@pytest.mark.parametrize("kind", ["pdf", "cades-detached", "asice"])
def test_nothing_to_extract(pki: TestPKI, tmp_path: Path, kind: str) -> None:
    signed, detached, _ = sign_as(kind, software_signer(pki), SignatureOptions(), tmp_path)
    out = tmp_path / "content.bin"
    report = verify(signed, detached=detached, trust=trust_of(pki), revocation=OFF, extract=out)
    assert report.passed
    assert report.extracted is not None
    assert not report.extracted.written
    assert "nothing to extract" in (report.extracted.reason or "")
    assert not out.exists()
    if detached is None:
        code, _ = _cli(pki, tmp_path, signed, out)
        assert code == 2


def test_the_output_may_not_be_the_input(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, _ = sign_as("cades-enveloping", software_signer(pki), SignatureOptions(), tmp_path)
    before = signed.read_bytes()
    with pytest.raises(UsageError, match="is an input"):
        verify(signed, trust=trust_of(pki), revocation=OFF, extract=signed)
    assert signed.read_bytes() == before
