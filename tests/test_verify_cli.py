"""`eid verify`: exit codes, JSON with the ETSI names, and the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eid.cli.verify import verify as verify_command
from eid.pki.testpki import TestPKI
from eid.sign import SignatureOptions
from eid.sign.report_html import report_html
from eid.sign.verify_document import verify
from tests.sign_support import pem
from tests.verify_support import OFF, sign_as, software_signer, trust_of


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-cli")


def _trust_file(pki: TestPKI, tmp_path: Path) -> Path:
    path = tmp_path / "root.pem"
    path.write_bytes(pem(pki.root.certificate))
    return path


def test_exit_codes_and_json(pki: TestPKI, tmp_path: Path) -> None:
    signed, detached, tamper = sign_as(
        "cades-detached", software_signer(pki), SignatureOptions(), tmp_path
    )
    runner = CliRunner()
    assert detached is not None
    trust = ["--trust", str(_trust_file(pki, tmp_path)), "--revocation", "off"]
    base = [str(signed), "--detached", str(detached), *trust]
    good = runner.invoke(verify_command, [*base, "--json"])
    assert good.exit_code == 0, good.output
    data = json.loads(good.output)
    assert data["schema"] == "eid.validation-report/1"
    assert data["signatures"][0]["indication"] == "TOTAL_PASSED"
    assert data["signatures"][0]["signer"]["national_number"] == "90010100123"

    beside = tmp_path / "letter.txt.p7s"
    beside.write_bytes(signed.read_bytes())
    text = runner.invoke(verify_command, [str(beside), *trust])  # finds letter.txt beside it
    assert text.exit_code == 0, text.output
    assert "TOTAL_PASSED" in text.output
    assert "90010100123" in text.output

    tamper()
    bad = runner.invoke(verify_command, [*base, "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["signatures"][0]["sub_indication"] == "HASH_FAILURE"

    plain = tmp_path / "plain.txt"
    plain.write_text("not signed")
    assert runner.invoke(verify_command, [str(plain)]).exit_code == 2
    assert runner.invoke(verify_command, [str(tmp_path / "missing.pdf")]).exit_code == 2
    assert runner.invoke(verify_command, [*base, "--at", "yesterday"]).exit_code == 2


def test_html_report(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, _ = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    hostile = tmp_path / "<b onclick=x>&.pdf"
    hostile.write_bytes(signed.read_bytes())
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        verify_command,
        [
            str(hostile),
            "--trust",
            str(_trust_file(pki, tmp_path)),
            "--no-revocation",
            "--report",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "<b onclick" not in page
    assert "&lt;b onclick=x&gt;&amp;.pdf" in page
    assert "<h1>" in page
    assert "<h2>" in page
    assert '<th scope="row">' in page
    assert "Valid" in page
    assert "TOTAL_PASSED" in page
    assert "Bob Software Signer (90010100123)" in page

    unsigned = verify(tmp_path / "in.pdf", trust=trust_of(pki), revocation=OFF)
    assert "Not a signed document" in report_html(unsigned)
