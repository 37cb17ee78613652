"""Which algorithms are accepted, and until when: one table, judged at the proven time.

An algorithm is not simply good or bad: SHA-1 and 1024-bit RSA were acceptable once,
so a signature or certificate proven to exist before they were retired still stands.
As ETSI TS 119 312 and the EU DSS default validation policy do, each algorithm (and
key size) has a date after which it is no longer accepted; it is applied to the time
the signature or certificate is proven to have existed (a timestamp, the validation
time without one, or a card's issuance for its identity files).

`DEFAULT_RULES` (dates are "no longer accepted after"; no date: none set yet) are those of
the EU DSS default validation policy (``constraint.xml`` of DSS 6, from ETSI TS 119 312
v1.5.1), so that both give one verdict on one document. DSS also lists dates after its
policy's last update (2024-10-13: SHA-224, RSA and DSA below 3000 bits until 2029-01-01),
which it only warns about once passed; they are not set here. Beyond DSS, which does not
list them, Ed25519, Ed448 and SHAKE256 are accepted without a date.

=========================  ===========
digest / key               until
=========================  ===========
md5                        2004-08-01
sha1                       2012-08-01
sha224, sha256, sha384,    --
sha512, sha3-256/384/512,
shake256 (512 bits)
rsa < 786 bits             never
rsa >= 786 bits            2010-08-01
rsa >= 1024 bits           2019-10-01
rsa >= 1900 bits           --
dsa < 1024 bits            never
dsa >= 1024 bits           2015-12-01
dsa >= 1900 bits           --
ecdsa < 160 bits           never
ecdsa >= 160 bits          2012-08-01
ecdsa >= 224 bits          2021-10-01
ecdsa >= 256 bits          --
ed25519, ed448             --
=========================  ===========

A caller overrides rules with `CryptoPolicy.replacing` (or builds a policy of its own);
what is not in the table is not accepted. `AlgorithmNotAccepted` names the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pyhanko_certvalidator.policy_decl import AlgorithmUsageConstraint, AlgorithmUsagePolicy

from eid.errors import AlgorithmNotAccepted

__all__ = ["DEFAULT_RULES", "AlgorithmRule", "CryptoPolicy", "PathAlgorithms"]

_EDDSA = ("ed25519", "ed448")  # one size per curve: the rule needs no key size


@dataclass(frozen=True)
class AlgorithmRule:
    """``algorithm`` (with keys of at least ``min_bits``) is accepted until ``until``.

    ``until`` None: no end date is set. The rule with the largest ``min_bits`` not above a
    key's size applies to it.
    """

    algorithm: str
    min_bits: int = 0
    until: dt.date | None = None

    def __str__(self) -> str:
        """``sha1: not accepted after 2012-08-01`` or ``rsa >= 1900 bits: no end date``."""
        size = f" >= {self.min_bits} bits" if self.min_bits else ""
        end = f"not accepted after {self.until.isoformat()}" if self.until else "no end date"
        return f"{self.algorithm}{size}: {end}"

    def accepts(self, moment: dt.datetime) -> bool:
        """Whether the rule accepts use at ``moment``."""
        return self.until is None or moment.astimezone(dt.UTC).date() <= self.until


DEFAULT_RULES: tuple[AlgorithmRule, ...] = (
    AlgorithmRule("md5", until=dt.date(2004, 8, 1)),
    AlgorithmRule("sha1", until=dt.date(2012, 8, 1)),
    *(
        AlgorithmRule(name)
        for name in (
            "sha224",
            "sha256",
            "sha384",
            "sha512",
            "sha3_256",
            "sha3_384",
            "sha3_512",
            "shake256",
        )
    ),
    AlgorithmRule("rsa", 786, dt.date(2010, 8, 1)),
    AlgorithmRule("rsa", 1024, dt.date(2019, 10, 1)),
    AlgorithmRule("rsa", 1900),
    AlgorithmRule("dsa", 1024, dt.date(2015, 12, 1)),
    AlgorithmRule("dsa", 1900),
    AlgorithmRule("ecdsa", 160, dt.date(2012, 8, 1)),
    AlgorithmRule("ecdsa", 224, dt.date(2021, 10, 1)),
    AlgorithmRule("ecdsa", 256),
    AlgorithmRule("ed25519"),
    AlgorithmRule("ed448"),
)
"""The default table (see the module docstring)."""


@dataclass(frozen=True)
class CryptoPolicy:
    """A table of `AlgorithmRule`; ``name`` is shown with every refusal."""

    rules: tuple[AlgorithmRule, ...] = DEFAULT_RULES
    name: str = "eid default policy (ETSI TS 119 312, DSS)"

    def replacing(self, *rules: AlgorithmRule) -> CryptoPolicy:
        """A copy with the rules of the same algorithm and size replaced by ``rules``."""
        replaced = {(r.algorithm, r.min_bits) for r in rules}
        kept = tuple(r for r in self.rules if (r.algorithm, r.min_bits) not in replaced)
        return CryptoPolicy((*kept, *rules), f"{self.name}, overridden")

    def rule_for(self, algorithm: str, bits: int = 0) -> AlgorithmRule | None:
        """The rule that applies to ``algorithm`` with a key of ``bits`` (None: none does)."""
        matching = [r for r in self.rules if r.algorithm == algorithm and r.min_bits <= bits]
        return max(matching, key=lambda r: r.min_bits, default=None)

    def check(self, algorithm: str, moment: dt.datetime, what: str, bits: int = 0) -> AlgorithmRule:
        """The rule that accepts ``algorithm`` at ``moment``; else raise `AlgorithmNotAccepted`.

        ``what`` names the use (``"the RRN certificate's signature"``) in the message.
        """
        rule = self.rule_for(algorithm, bits)
        size = f" with a {bits}-bit key" if bits else ""
        if rule is None:
            raise AlgorithmNotAccepted(
                f"{what}: {algorithm}{size} is not accepted by the {self.name}"
            )
        if not rule.accepts(moment):
            raise AlgorithmNotAccepted(
                f"{what}: {algorithm}{size} is refused at {moment.isoformat()} by the rule "
                f"'{rule}' of the {self.name}"
            )
        return rule


@dataclass
class PathAlgorithms(AlgorithmUsagePolicy):
    """A `CryptoPolicy` as pyhanko-certvalidator's algorithm policy, noting the rules applied."""

    policy: CryptoPolicy
    applied: list[AlgorithmRule] = field(default_factory=list)

    def digest_algorithm_allowed(self, algo: Any, moment: dt.datetime | None) -> Any:
        """Judge a digest algorithm at ``moment``."""
        return self._judge([(str(algo["algorithm"].native), 0)], moment)

    def signature_algorithm_allowed(
        self, algo: Any, moment: dt.datetime | None, public_key: Any
    ) -> Any:
        """Judge a signature's digest and key (kind and size) at ``moment``."""
        try:
            digest = str(algo.hash_algo)
            kind = str(algo.signature_algo)
        except ValueError:
            return AlgorithmUsageConstraint(False, failure_reason="unknown signature algorithm")
        kind = {"rsassa_pkcs1v15": "rsa", "rsassa_pss": "rsa"}.get(kind, kind)
        bits = int(public_key.bit_size) if public_key is not None and kind not in _EDDSA else 0
        return self._judge([(digest, 0), (kind, bits)], moment)

    def _judge(self, uses: list[tuple[str, int]], moment: dt.datetime | None) -> Any:
        when = moment or dt.datetime.now(dt.UTC)
        for algorithm, bits in uses:
            try:
                self.applied.append(self.policy.check(algorithm, when, "signature", bits))
            except AlgorithmNotAccepted as error:
                rule = self.policy.rule_for(algorithm, bits)
                until = rule.until if rule is not None else None
                return AlgorithmUsageConstraint(
                    False,
                    not_allowed_after=(
                        dt.datetime.combine(until, dt.time.max, tzinfo=dt.UTC) if until else None
                    ),
                    failure_reason=error.message,
                )
        return AlgorithmUsageConstraint(True)
