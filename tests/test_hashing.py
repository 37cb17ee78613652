"""The one table of hash algorithms, and who may use which."""

import pytest

from eid.errors import UsageError
from eid.hashing import SIGNING_DIGESTS, hash_algorithm
from eid.sign import SignatureOptions
from eid.tokens.mechanisms import hash_algorithm as pkcs11_hash


def test_names_and_restrictions() -> None:
    assert hash_algorithm("sha3_256").digest_size == 32
    assert pkcs11_hash("sha1").name == "sha1"
    with pytest.raises(UsageError, match="sha3_256"):
        pkcs11_hash("sha3_256")  # PKCS#11 mechanisms name no SHA-3 here
    with pytest.raises(UsageError):
        hash_algorithm("sha1", SIGNING_DIGESTS)  # documents are not signed with SHA-1
    with pytest.raises(UsageError):
        hash_algorithm("md5")
    with pytest.raises(UsageError):
        SignatureOptions(digest="sha1")
