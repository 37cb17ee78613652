"""Seeded key material for the test PKI: a small DRBG, deterministic RSA and EC keys.

Nothing here is for production keys. It exists so that a test PKI built from a seed is
byte-for-byte reproducible: `cryptography` cannot seed its own key generation, so RSA primes
are searched here (small-prime sieve + Miller-Rabin) from an HMAC-SHA-256 counter-mode stream,
and EC private scalars are drawn from the same kind of stream and handed to
`ec.derive_private_key`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from functools import cache

from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = [
    "RSA_PUBLIC_EXPONENT",
    "Drbg",
    "deterministic_ec_key",
    "deterministic_rsa_key",
    "is_probable_prime",
]

RSA_PUBLIC_EXPONENT = 65537

# Group orders of the curves a test key may be derived on (SEC 2 / FIPS 186).
_CURVE_ORDERS: dict[str, int] = {
    "secp256r1": int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16),
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "secp521r1": int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}

# Miller-Rabin rounds with random bases. FIPS 186-5 (appendix B.3) asks for fewer than this for
# 1024-bit primes; extra rounds cost little, as composites almost always fail in round one and
# only the prime that is finally kept pays for every round.
_MILLER_RABIN_ROUNDS = 8
# Odd primes below this bound are sieved out before any Miller-Rabin test.
_SIEVE_BOUND = 1 << 16
# How many consecutive odd numbers one sieve window covers (the prime gap near 2^1024 is ~710).
_WINDOW = 4096


class Drbg:
    """A deterministic random bit generator: HMAC-SHA-256 in counter mode.

    The key is ``HMAC-SHA-256(seed, "eid.testpki/" + label)``, so each label gives an
    independent stream from the same seed. Block ``i`` is ``HMAC-SHA-256(key, i)``.
    """

    def __init__(self, seed: bytes, label: str) -> None:
        self._key = hmac.new(seed, b"eid.testpki/" + label.encode(), hashlib.sha256).digest()
        self._counter = 0
        self._buffer = b""

    def read(self, size: int) -> bytes:
        """Return the next ``size`` bytes of the stream."""
        while len(self._buffer) < size:
            block = self._counter.to_bytes(8, "big")
            self._buffer += hmac.new(self._key, block, hashlib.sha256).digest()
            self._counter += 1
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def randbits(self, bits: int) -> int:
        """Return a uniform integer of at most ``bits`` bits."""
        value = int.from_bytes(self.read((bits + 7) // 8), "big")
        return value >> (-bits % 8)

    def randbelow(self, bound: int) -> int:
        """Return a uniform integer in ``[0, bound)`` (by rejection)."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        bits = bound.bit_length()
        while True:
            value = self.randbits(bits)
            if value < bound:
                return value


@cache
def _odd_primes() -> tuple[int, ...]:
    sieve = bytearray([1]) * _SIEVE_BOUND
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(_SIEVE_BOUND) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, _SIEVE_BOUND, i)))
    return tuple(i for i in range(3, _SIEVE_BOUND, 2) if sieve[i])


def is_probable_prime(n: int, drbg: Drbg, rounds: int = _MILLER_RABIN_ROUNDS) -> bool:
    """Miller-Rabin with ``rounds`` bases drawn from ``drbg`` (after trial division)."""
    if n < 2:
        return False
    for p in (2, *_odd_primes()[:64]):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        a = 2 + drbg.randbelow(n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, drbg: Drbg, witnesses: Drbg, e: int) -> int:
    """Find a ``bits``-bit prime with its two top bits set and ``gcd(p - 1, e) == 1``."""
    primes = _odd_primes()
    while True:
        start = drbg.randbits(bits) | (3 << (bits - 2)) | 1
        # alive[k] says whether start + 2k has no odd prime factor below the sieve bound.
        alive = bytearray([1]) * _WINDOW
        for p in primes:
            # start + 2k == 0 (mod p)  <=>  k == -start * 2^-1 (mod p), and 2^-1 = (p + 1) / 2.
            k = (-start * ((p + 1) >> 1)) % p
            if k < _WINDOW:
                alive[k::p] = bytes(len(range(k, _WINDOW, p)))
        for k in (i for i, flag in enumerate(alive) if flag):
            candidate = start + 2 * k
            if candidate.bit_length() != bits:
                break
            if (candidate - 1) % e == 0:
                continue
            if is_probable_prime(candidate, witnesses):
                return candidate


def deterministic_rsa_key(drbg: Drbg, bits: int = 2048) -> rsa.RSAPrivateKey:
    """Make an RSA key of exactly ``bits`` bits, e = 65537, from the stream of ``drbg``.

    p and q have ``bits / 2`` bits each and differ by more than ``2^(bits/2 - 100)``
    (FIPS 186-5 A.1.3); d is the inverse of e modulo lcm(p - 1, q - 1).
    """
    if bits < 1024 or bits % 2:
        raise ValueError("RSA key size must be even and at least 1024 bits")
    e = RSA_PUBLIC_EXPONENT
    half = bits // 2
    witnesses = Drbg(drbg.read(32), "miller-rabin")
    p = _prime(half, drbg, witnesses, e)
    while True:
        q = _prime(half, drbg, witnesses, e)
        if abs(p - q) >> (half - 100):
            break
    if p < q:
        p, q = q, p
    n = p * q
    d = pow(e, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    # The numbers are consistent by construction; OpenSSL's check would re-test p and q (~40 ms).
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)


def deterministic_ec_key(
    drbg: Drbg, curve: ec.EllipticCurve | None = None
) -> ec.EllipticCurvePrivateKey:
    """Make an EC key on ``curve`` (default P-384) with a scalar drawn from ``drbg``.

    The scalar is uniform in ``[1, n - 1]``: 64 extra bits reduced modulo ``n - 1``
    (FIPS 186-5 A.2.1), plus one.
    """
    curve = curve if curve is not None else ec.SECP384R1()
    order = _CURVE_ORDERS.get(curve.name)
    if order is None:
        raise ValueError(f"no deterministic key derivation for curve {curve.name}")
    scalar = drbg.randbits(order.bit_length() + 64) % (order - 1) + 1
    return ec.derive_private_key(scalar, curve)
