"""CAdES and ASiC B-LTA: the archive-time-stamp-v3, recomputed here from the file's bytes.

The check follows ETSI EN 319 122-1 5.5.2/5.5.3 on its own (it does not call
`eid.sign.archive`): the hash index is rebuilt from the signature's certificates,
revocation data and unsigned attributes, the message imprint input from the
content type, the content's hash, the signer info fields and the index; openssl
then hashes that input itself and checks the timestamp token against it.
"""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core, tsp

from eid.tokens.virtual import VirtualCard

from .cli_support import as_json, eid
from .sign_support import card_ca_file, openssl_ts_verify

ATS_V3 = "0.4.0.1733.2.4"
HASH_INDEX_V3 = "0.4.0.19122.1.5"
SIGNER_FIELDS = (
    "version",
    "sid",
    "digest_algorithm",
    "signed_attrs",
    "signature_algorithm",
    "signature",
)


class _OctetStrings(core.SequenceOf):
    _child_spec = core.OctetString


class _HashIndex(core.Sequence):
    """ATSHashIndexV3 (EN 319 122-1, 5.5.2)."""

    _fields = [  # noqa: RUF012
        ("algorithm", algos.DigestAlgorithm),
        ("certificates", _OctetStrings),
        ("crls", _OctetStrings),
        ("attribute_values", _OctetStrings),
    ]


def _check_archive_timestamp(signature: Path, content: bytes, ca_file: Path, tmp: Path) -> None:
    signed_data = cms.ContentInfo.load(signature.read_bytes())["content"]
    (signer,) = signed_data["signer_infos"]
    unsigned = list(signer["unsigned_attrs"])
    assert [a["type"].dotted for a in unsigned][-1] == ATS_V3
    before = unsigned[:-1]  # what the archive timestamp covers
    assert [a["type"].native for a in before] == ["signature_time_stamp_token"]
    (token_value,) = unsigned[-1]["values"]
    token = cms.ContentInfo.load(token_value.dump())
    info = token["content"]["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"].native
    imprint = info["message_imprint"]["hashed_message"].native

    def digest(*parts: bytes) -> bytes:
        return hashlib.new(algorithm, b"".join(parts)).digest()

    (token_signer,) = token["content"]["signer_infos"]
    (index_attribute,) = [
        a for a in token_signer["unsigned_attrs"] if a["type"].dotted == HASH_INDEX_V3
    ]
    (index_value,) = index_attribute["values"]
    index_der = index_value.dump()
    index = _HashIndex.load(index_der)
    assert index["algorithm"]["algorithm"].native == algorithm
    listed = [index[name].native for name in ("certificates", "crls", "attribute_values")]
    certificates = [digest(c.dump()) for c in signed_data["certificates"]]
    revocation = [digest(c.dump()) for c in signed_data["crls"]]
    attribute_values = [
        digest(a["type"].dump(), value.dump()) for a in before for value in a["values"]
    ]
    assert listed == [certificates, revocation, attribute_values]
    assert len(certificates) >= 3
    assert revocation  # B-LT data is under the archive timestamp

    imprint_input = b"".join(
        [
            signed_data["encap_content_info"]["content_type"].dump(),
            digest(content),
            *(signer[name].dump() for name in SIGNER_FIELDS),
            index_der,
        ]
    )
    assert digest(imprint_input) == imprint
    data_file, token_file = tmp / "ats-input.bin", tmp / "ats-token.der"
    data_file.write_bytes(imprint_input)
    token_file.write_bytes(token.dump())
    openssl_ts_verify(data_file, token_file, ca_file)


def _openssl_cms(signature: Path, content: Path, ca_file: Path) -> None:
    checked = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-content",
            str(content),
            "-inform",
            "DER",
            "-in",
            str(signature),
            "-CAfile",
            str(ca_file),
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("format_", ["cades", "asics", "asice"])
def test_b_lta_archive_timestamp_recomputed(
    home: Path, virtual_card: VirtualCard, tmp_path: Path, format_: str
) -> None:
    data = tmp_path / "record.txt"
    data.write_bytes(b"to be kept for a long time\n" * 300)
    result = eid("sign", str(data), "--format", format_, "--level", "B-LTA", "--json", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    (output,) = as_json(result)["outputs"]
    assert output["level"] == "B-LTA"
    ca_file = card_ca_file(virtual_card, tmp_path)
    if format_ == "cades":
        signature, content = tmp_path / "record.txt.p7s", data
    else:
        extracted = tmp_path / "extracted"
        with zipfile.ZipFile(output["output"]) as archive:
            archive.extractall(extracted)
        if format_ == "asics":
            signature, content = extracted / "META-INF" / "signature.p7s", extracted / "record.txt"
        else:
            signature = extracted / "META-INF" / "signature001.p7s"
            content = extracted / "META-INF" / "ASiCManifest001.xml"
    _openssl_cms(signature, content, ca_file)
    _check_archive_timestamp(signature, content.read_bytes(), ca_file, tmp_path)
