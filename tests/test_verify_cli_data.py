"""`eid verify` prints what the document says as data: a signer's name or a signature's ID
cannot send escape sequences to the terminal, restyle the report or colour a failure green.
Run as real processes through the `eid` entry point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from eid.pki.testpki import Holder, TestPKI
from eid.sign import Level, SignatureOptions, SoftwareSigner, sign_cades, sign_pdf
from tests.cli_support import as_json, eid
from tests.sign_support import make_pdf

PKI = TestPKI.create(
    key_kind="ec", seed=b"verify cli data", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
)
ESCAPE = "\x1b[2J\x1b]0;owned\x07"
MARKUP = "[bold green]TOTAL_PASSED[/]"
GREEN, YELLOW = "\x1b[32m", "\x1b[33m"


def _signer(holder: Holder) -> SoftwareSigner:
    issued = PKI.issue(holder, "signature")
    return SoftwareSigner(
        issued.key, issued.certificate, [PKI.citizen_ca.certificate, PKI.root.certificate]
    )


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "root.pem"
    root.write_bytes(PKI.root.cert_pem())
    return root


def test_a_signer_name_with_escapes_and_markup_prints_as_data(tmp_path: Path) -> None:
    signer = _signer(Holder(f"Eve{ESCAPE}", f"Mallory{MARKUP}", "90010100123"))
    data = tmp_path / "letter.txt"
    data.write_bytes(b"I agree.\n")
    signed = sign_cades(data, tmp_path / "letter.p7s", signer, SignatureOptions(Level.B_B))
    args = ("verify", str(signed.output), "--detached", str(data), "--trust", str(_root(tmp_path)))
    for env in ({}, {"FORCE_COLOR": "1"}):
        result = eid(*args, "--no-revocation", home=tmp_path, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        # The escapes' ESC and BEL are gone; their printable rest stays, as plain text.
        assert f"signer: Eve[2J]0;owned Mallory{MARKUP} (" in result.stdout
        for sequence in ("\x1b[2J", "\x1b]0;owned", "\x07"):
            assert sequence not in result.stdout
        if not env:
            assert "\x1b" not in result.stdout
    as_data = eid(*args, "--no-revocation", "--json", home=tmp_path)
    (signature,) = as_json(as_data)["signatures"]
    assert signature["signer"]["given_names"] == f"Eve{ESCAPE}"


def test_a_signature_id_cannot_colour_a_failure_green(tmp_path: Path) -> None:
    signer = _signer(Holder("Eve", "Mallory", "90010100123"))
    options = SignatureOptions(Level.B_B, field_name="TOTAL_PASSED")
    signed = sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer, options)
    # No trust anchor given: the signature is not TOTAL_PASSED, whatever its field says.
    result = eid(
        "verify", str(signed.output), "--no-revocation", home=tmp_path, env={"FORCE_COLOR": "1"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    (status,) = [line for line in result.stdout.splitlines() if "- TOTAL_PASSED: " in line]
    assert "INDETERMINATE" in status
    assert YELLOW in status
    assert GREEN not in status
