"""`eid auth` and `eid webeid`, run as real processes on the virtual card."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from eid.tokens.virtual import VirtualCard

from .cli_support import as_json, eid

ORIGIN = "https://portal.example"
NONCE = base64.b64encode(bytes(range(100, 132))).decode()


def test_eid_auth_logs_in_with_ocsp_on_loopback(home: Path, virtual_card: VirtualCard) -> None:
    result = eid("auth", "--json", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    login = as_json(result)
    assert login["national_number"] == virtual_card.national_number
    assert login["revocation"] == {"status": "good", "source": "ocsp"}
    assert login["assurance_level"] == "high"
    assert login["method"] == "challenge_response"
    text = eid("auth", "--signing-certificate", home=home)
    assert "authenticated Alice Geldig Specimen" in text.stdout


def test_webeid_create_and_verify(home: Path, tmp_path: Path, virtual_card: VirtualCard) -> None:
    made = eid("webeid", "create", "--origin", ORIGIN, "--challenge", NONCE, home=home)
    assert made.returncode == 0, made.stderr
    token_file = tmp_path / "token.json"
    token_file.write_text(made.stdout)
    pki = virtual_card.directory / "pki"
    trust = ["--trust", str(pki / "root.pem"), "--trust", str(pki / "citizen-ca.pem")]
    common = [
        "webeid",
        "verify",
        str(token_file),
        "--origin",
        ORIGIN,
        "--challenge",
        NONCE,
        "--json",
    ]

    valid = eid(*common, *trust, "--no-revocation", home=home)
    assert valid.returncode == 0, valid.stdout
    assert as_json(valid)["national_number"] == virtual_card.national_number

    untrusted = eid(*common, "--no-revocation", home=home)  # the bundled Belgian roots
    assert (untrusted.returncode, as_json(untrusted)["error"]["code"]) == (
        1,
        "certificate_untrusted",
    )

    expired = eid(*common, *trust, "--no-revocation", "--at", "2060-01-01T00:00:00", home=home)
    assert (expired.returncode, as_json(expired)["error"]["code"]) == (1, "certificate_expired")

    other = eid(
        *common[:4], "https://evil.example", *common[5:], *trust, "--no-revocation", home=home
    )
    assert (other.returncode, as_json(other)["error"]["code"]) == (1, "signature_invalid")

    # Revocation required, and nothing serves this card's OCSP or CRL outside `eid auth`.
    offline = eid(*common, *trust, home=home)
    assert (offline.returncode, as_json(offline)["error"]["code"]) == (1, "revocation_unknown")

    data = json.loads(made.stdout)
    data["signature"] = base64.b64encode(bytes(len(base64.b64decode(data["signature"])))).decode()
    token_file.write_text(json.dumps(data))
    tampered = eid(*common, *trust, "--no-revocation", home=home)
    assert (tampered.returncode, as_json(tampered)["error"]["code"]) == (1, "signature_invalid")

    token_file.write_text("not a token")
    malformed = eid(*common, *trust, home=home)
    assert (malformed.returncode, as_json(malformed)["error"]["code"]) == (
        2,
        "auth_token_malformed",
    )
