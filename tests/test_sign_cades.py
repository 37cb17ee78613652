"""CAdES detached and enveloping signatures, checked with openssl."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from asn1crypto import cms

from eid.errors import UsageError
from eid.sign import EidSigner, Level, SignatureOptions, sign_cades
from tests import sign_support as support
from tests.sign_support import (
    Tsa,
    chain_pem,
    openssl_verify,
    pem,
)

signer = support.signer
tsa = support.tsa


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "contract.txt"
    data.write_bytes(b"I agree.\n" + os.urandom(70_000))
    return data


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_detached_verifies_with_openssl(
    signer: EidSigner, tsa: Tsa, tmp_path: Path, level: Level
) -> None:
    data = _data(tmp_path)
    before = data.read_bytes()
    options = SignatureOptions(level=level, tsa_url=tsa.url if level.timestamped else None)
    result = sign_cades(data, tmp_path / "contract.txt.p7s", signer, options)
    assert result.output.exists()
    assert result.format == "cades-detached"
    checked = openssl_verify(result.output, chain_pem(signer), tmp_path, content=data)
    assert checked.returncode == 0, checked.stderr
    assert data.read_bytes() == before
    signer_info = cms.ContentInfo.load(result.output.read_bytes())["content"]["signer_infos"][0]
    signed = {attr["type"].native for attr in signer_info["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_time", "signing_certificate_v2"} <= signed
    unsigned = signer_info["unsigned_attrs"].native or []
    has_timestamp = any(attr["type"] == "signature_time_stamp_token" for attr in unsigned)
    assert has_timestamp == level.timestamped

    changed = tmp_path / "changed.txt"
    tampered = bytearray(before)
    tampered[5] ^= 1
    changed.write_bytes(bytes(tampered))
    refused = openssl_verify(result.output, chain_pem(signer), tmp_path, content=changed)
    assert refused.returncode != 0


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_enveloping_verifies_and_holds_the_content(
    signer: EidSigner, tsa: Tsa, tmp_path: Path, level: Level
) -> None:
    data = _data(tmp_path)
    options = SignatureOptions(level=level, tsa_url=tsa.url if level.timestamped else None)
    result = sign_cades(data, tmp_path / "contract.txt.p7m", signer, options, detached=False)
    checked = openssl_verify(result.output, chain_pem(signer), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert (tmp_path / "openssl-out.bin").read_bytes() == data.read_bytes()
    # asn1crypto reads back what was streamed out, and it re-encodes to the same bytes.
    loaded = cms.ContentInfo.load(result.output.read_bytes())
    assert loaded["content"]["encap_content_info"]["content"].native == data.read_bytes()
    assert loaded.dump(force=True) == result.output.read_bytes()

    tampered = bytearray(result.output.read_bytes())
    tampered[tampered.find(b"I agree.")] ^= 1
    (tmp_path / "tampered.p7m").write_bytes(bytes(tampered))
    refused = openssl_verify(tmp_path / "tampered.p7m", chain_pem(signer), tmp_path)
    assert refused.returncode != 0


def test_empty_file_signs(signer: EidSigner, tmp_path: Path) -> None:
    data = tmp_path / "empty"
    data.write_bytes(b"")
    for detached in (True, False):
        out = tmp_path / f"empty-{detached}.p7"
        sign_cades(data, out, signer, detached=detached)
        content = data if detached else None
        assert openssl_verify(out, chain_pem(signer), tmp_path, content).returncode == 0


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="timestamp authority"):
        SignatureOptions(level=Level.B_T)
    with pytest.raises(UsageError, match="validation data"):
        SignatureOptions(level=Level.B_LT, tsa_url="http://127.0.0.1:1/")
    with pytest.raises(UsageError, match="digest"):
        SignatureOptions(digest="md5")
    with pytest.raises(UsageError, match="level"):
        SignatureOptions(level="B-X")  # type: ignore[arg-type]
    assert pem() == b""
