"""The signature-value primitive of `eid.sign.verify` against the Wycheproof vectors.

Data-driven: every vector of every file in ``fixtures/wycheproof/`` is one test case.
"acceptable" vectors (legacy encodings such as a PKCS#1 DigestInfo without its NULL
parameters) are refused: verification is strict, as `eid.sign.verify_crypto` documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos

from eid.sign.verify_crypto import verify_signature_value

WYCHEPROOF = Path(__file__).resolve().parent.parent / "fixtures" / "wycheproof"
_PLAIN = {"SHA-256": "0.4.0.127.0.7.1.1.4.1.3", "SHA-384": "0.4.0.127.0.7.1.1.4.1.4"}
_DER = {"SHA-256": "1.2.840.10045.4.3.2", "SHA-384": "1.2.840.10045.4.3.3"}
_RSA = {"SHA-256": "1.2.840.113549.1.1.11"}


def _digest(name: str) -> str:
    return name.lower().replace("-", "")


def _algorithm(group: dict[str, Any]) -> algos.SignedDigestAlgorithm | str:
    kind = group["type"]
    if kind == "EcdsaP1363Verify":
        return _PLAIN[group["sha"]]
    if kind == "EcdsaVerify":
        return _DER[group["sha"]]
    if kind == "RsassaPkcs1Verify":
        return _RSA[group["sha"]]
    assert kind == "RsassaPssVerify", kind
    assert group["mgf"] == "MGF1"
    params = algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": _digest(group["sha"])},
            "mask_gen_algorithm": {
                "algorithm": "mgf1",
                "parameters": {"algorithm": _digest(group["mgfSha"])},
            },
            "salt_length": group["sLen"],
        }
    )
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})


def _vectors() -> Iterator[Any]:
    for path in sorted(WYCHEPROOF.glob("*_test.json")):
        data = json.loads(path.read_text())
        for group in data["testGroups"]:
            key = bytes.fromhex(group["publicKeyDer"])
            algorithm = _algorithm(group)
            for test in group["tests"]:
                yield pytest.param(
                    key,
                    algorithm,
                    test,
                    id=f"{path.stem}-{test['tcId']}",
                )


@pytest.mark.parametrize(("key", "algorithm", "test"), list(_vectors()))
def test_vector(key: bytes, algorithm: Any, test: dict[str, Any]) -> None:
    result = verify_signature_value(
        key, algorithm, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"])
    )
    assert result is (test["result"] == "valid"), test["comment"]


def test_every_file_is_used() -> None:
    files = sorted(p.name for p in WYCHEPROOF.glob("*_test.json"))
    assert len(files) == 7
    assert sum(1 for _ in _vectors()) == 252 + 471 + 459 + 270 + 491 + 108 + 259
