"""Provider keys (software, PKCS#12, PEM, the virtual card), the key set and replay stores."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from eid.errors import AssertionReplayed, SsoKeyError
from eid.sso import (
    ALGORITHMS,
    KeySet,
    MemoryReplayStore,
    ProviderKey,
    RedisReplayStore,
    ReplayStore,
    signature_algorithm,
)
from eid.sso.algorithms import verify
from eid.tokens import Token
from tests.self_signed import self_signed
from tests.sso_support import ec_key, rsa_key

from .redis_server import redis_server

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("key", "names"),
    [
        (lambda: rsa_key(), ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")),
        (lambda: ec_key(), ("ES256",)),
        (lambda: ec_key("a", "P-384"), ("ES384",)),
        (lambda: ec_key("a", "P-521"), ("ES512",)),
    ],
)
def test_software_keys_sign_what_they_can(key: object, names: tuple[str, ...]) -> None:
    provider: ProviderKey = key()  # type: ignore[operator]
    assert provider.algorithms == names
    for name in names:
        signature = provider.sign(b"data", name)
        assert verify(provider.public_key, ALGORITHMS[name], signature, b"data")
        assert not verify(provider.public_key, ALGORITHMS[name], signature, b"other")
    for other in set(ALGORITHMS) - set(names):
        with pytest.raises(SsoKeyError):
            provider.sign(b"data", other)


def test_ecdsa_signature_is_fixed_length_and_strict() -> None:
    key = ec_key("a", "P-521")
    es512 = ALGORITHMS["ES512"]
    signature = key.sign(b"d", "ES512")
    assert len(signature) == 132
    assert not verify(key.public_key, es512, b"\x00" + signature, b"d")
    assert not verify(key.public_key, es512, signature[:-1], b"d")
    assert not verify(rsa_key().public_key, es512, signature, b"d")


def test_small_rsa_and_other_curves_refused() -> None:
    with pytest.raises(SsoKeyError):
        ProviderKey.from_private_key(rsa.generate_private_key(65537, 1024))
    with pytest.raises(SsoKeyError):
        ProviderKey.from_private_key(ec.generate_private_key(ec.SECP256K1()))
    with pytest.raises(SsoKeyError):
        signature_algorithm("HS256")
    with pytest.raises(SsoKeyError, match="none of"):
        ec_key().choose_algorithm(["RS256", "PS256"])
    assert rsa_key().choose_algorithm(["ES256", "PS256", "RS256"]) == "PS256"


def test_kid_is_rfc7638_thumbprint() -> None:
    from joserfc.jwk import ECKey, RSAKey

    assert rsa_key().kid == RSAKey.import_key(rsa_key().jwk()).thumbprint()
    assert ec_key().kid == ECKey.import_key(ec_key().jwk()).thumbprint()


def test_keys_from_files(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = self_signed(key, "idp", not_before=NOW, days=1)
    p12 = tmp_path / "idp.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"idp", key, cert, None, serialization.BestAvailableEncryption(b"pw")
        )
    )
    loaded = ProviderKey.from_pkcs12(p12, password=b"pw")
    assert loaded.certificate == cert
    assert "x5c" in loaded.jwk()
    pem = tmp_path / "idp.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path = tmp_path / "idp.crt"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert ProviderKey.from_pem(pem, certificate=cert_path).kid == loaded.kid
    with pytest.raises(SsoKeyError):
        ProviderKey.from_pkcs12(p12, password=b"wrong")
    with pytest.raises(SsoKeyError):
        ProviderKey.from_pem(tmp_path / "missing.pem")
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SsoKeyError, match="does not belong"):
        ProviderKey.from_private_key(other, cert)


def test_rotation() -> None:
    old, new, newer = ec_key("old"), ec_key("new"), rsa_key("newer")
    keys = KeySet(old)
    with pytest.raises(SsoKeyError, match="no next key"):
        keys.rotate(None, now=NOW)
    keys = KeySet(old, next=new)
    assert [k["kid"] for k in keys.jwks()["keys"]] == [old.kid, new.kid]  # type: ignore[index]
    rotated = keys.rotate(newer, now=NOW)
    assert rotated.active is new
    assert rotated.next is newer
    assert rotated.by_kid()[old.kid] is old  # still verifies
    assert rotated.prune(now=NOW + dt.timedelta(hours=1), retention=dt.timedelta(hours=1)).by_kid()[
        old.kid
    ]
    pruned = rotated.prune(now=NOW + dt.timedelta(hours=2), retention=dt.timedelta(hours=1))
    assert old.kid not in pruned.by_kid()
    with pytest.raises(SsoKeyError, match="same key id"):
        KeySet(old, next=old)


@pytest.mark.token
def test_virtual_card_key_signs(token: Token) -> None:
    key = ProviderKey.from_token(token)
    assert key.certificate is not None
    for name in (
        key.algorithms[:2] if isinstance(key.public_key, rsa.RSAPublicKey) else key.algorithms
    ):
        signature = key.sign(b"statement", name)
        assert verify(key.public_key, ALGORITHMS[name], signature, b"statement")


# -- replay stores -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> ReplayStore:
    if request.param == "memory":
        return MemoryReplayStore()
    return RedisReplayStore.from_url(
        request.getfixturevalue("redis_url"), prefix=f"t:{request.node.name}:"
    )


def test_identifier_used_once(store: ReplayStore) -> None:
    now = dt.datetime.now(dt.UTC)
    store.use("id-1", expires_at=now + dt.timedelta(minutes=5), now=now)
    store.use("id-2", expires_at=now + dt.timedelta(minutes=5), now=now)
    with pytest.raises(AssertionReplayed) as caught:
        store.use("id-1", expires_at=now + dt.timedelta(minutes=5), now=now)
    assert caught.value.code == "assertion_replayed"


def test_concurrent_use_accepts_one(store: ReplayStore) -> None:
    now = dt.datetime.now(dt.UTC)
    accepted: list[int] = []

    def attempt(i: int) -> None:
        try:
            store.use("shared", expires_at=now + dt.timedelta(minutes=5), now=now)
            accepted.append(i)
        except AssertionReplayed:
            pass

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 1


def test_memory_store_forgets_expired() -> None:
    store = MemoryReplayStore()
    store.use("old", expires_at=NOW + dt.timedelta(seconds=5), now=NOW)
    later = NOW + dt.timedelta(minutes=5)
    store.use("new", expires_at=later + dt.timedelta(minutes=5), now=later)
    assert "old" not in store._seen


# -- the key store -------------------------------------------------------------------------


def test_key_store_makes_rotates_and_prunes(tmp_path: Path) -> None:
    from eid.errors import MalformedInput
    from eid.sso.keystore import KeyStore

    store = KeyStore(tmp_path / "sso")
    first = store.load(now=NOW)
    assert first.next is not None
    assert store.load().active.kid == first.active.kid  # kept, not made anew
    assert (tmp_path / "sso" / "keys" / f"{first.active.kid}.key.pem").stat().st_mode & 0o077 == 0
    secret = store.subjects()
    assert store.subjects().pairwise("p", "s") == secret.pairwise("p", "s")
    rotated = store.rotate(now=NOW, retention=dt.timedelta(minutes=10))
    assert rotated.active.kid == first.next.kid
    assert [r.key.kid for r in rotated.passive] == [first.active.kid]
    assert store.load().by_kid().keys() == rotated.by_kid().keys()
    again = store.rotate(
        kind="rsa", now=NOW + dt.timedelta(minutes=11), retention=dt.timedelta(minutes=10)
    )
    assert first.active.kid not in again.by_kid()
    assert not (tmp_path / "sso" / "keys" / f"{first.active.kid}.key.pem").exists()
    assert isinstance(again.next.public_key if again.next else None, rsa.RSAPublicKey)
    (tmp_path / "sso" / "keys" / "keyset.json").write_text('{"active": "../x"}')
    with pytest.raises(MalformedInput):
        store.load()
