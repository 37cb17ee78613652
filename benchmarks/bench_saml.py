"""SAML 2.0 issuance and import vs raw RSA-2048 and the peers (signxml, pysaml2).

Issuance: `saml_response` (build the Response, sign the Assertion) vs one raw RSA-2048
PKCS#1 v1.5 signature with `cryptography`, vs signxml signing the same assertion (key
loaded once), vs pysaml2's IdP `create_authn_response` (signs through the xmlsec1 command).
Targets: eid >= 0.5x raw.
Rates are per second of this process's CPU time (pysaml2's, whose signing runs in a
child process, is scaled from wall time by raw signing's wall/CPU ratio).
Import: `import_saml_response` with every check (signature, algorithm allow-list, issuer,
audience, recipient, destination, time window, InResponseTo, status, one-time use in a
memory replay store; each response imported once) vs signxml's `XMLVerifier.verify` of the
same response (certificate loaded once, one reference expected). Target: eid >= 5x signxml.
The floor is the work in C that any verifier of the response does, with no check at all:
parse, canonicalise SignedInfo and the assertion, one SHA-256 and one RSA verification;
its ratio to signxml bounds what any import in Python can reach.
Measured 2026-12-01 (busy shared 2-core machine, 13 runs): eid 2.8-3.3x signxml, floor
5.2-6.2x; the 5x target is out of reach of Python around lxml (docs/architecture.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from signxml import XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod

from benchmarks.bench_xmlsig import certificate
from benchmarks.timing import compare
from eid.sso import EIDAS, LOA_URIS, MemoryReplayStore, Portal, ProviderKey, Statement, Subject
from eid.sso.saml import SAML_NS
from eid.sso.saml_import import SamlIdentityProvider, import_saml_response
from eid.sso.saml_response import saml_response
from eid.xmlsig import DSIG_NS
from eid.xmlsig.c14n import canonicalize

IDP = "https://idp.example.test"
SP = "https://sp.example.test/metadata"
ACS = "https://sp.example.test/acs"
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def statement() -> Statement:
    """A statement at level high with the eIDAS natural-person attributes."""
    portal = Portal(
        id=SP,
        kind="saml",
        endpoints=(ACS,),
        attributes=frozenset({"person_identifier", "given_name", "family_name", "birthdate"}),
        profile=EIDAS,
        algorithms=("RS256",),
    )
    return Statement(
        portal=portal,
        subject=Subject("b6Z1ZbYtW0cEr7hVq8kq2g3Q6S0ivH3n3oHcUqLhcOo", "pairwise"),
        authenticated_at=NOW,
        level="high",
        level_uri=LOA_URIS["high"],
        national_level="urn:be:fedict:iam:fas:Level500",
        methods=("sc", "hwk", "pin", "mfa"),
        attributes={
            "person_identifier": "BE/BE/b6Z1ZbYtW0cEr7hVq8kq2g3Q6S0ivH3n3oHcUqLhcOo",
            "given_name": "Alice Maria",
            "family_name": "Specimen",
            "birthdate": "1971-01-01",
        },
        session_index="_session",
    )


def _pysaml2(directory: Path, key: rsa.RSAPrivateKey) -> Server:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (directory / "idp.key").write_bytes(key_pem)
    (directory / "idp.crt").write_bytes(certificate(key).public_bytes(serialization.Encoding.PEM))
    (directory / "sp.xml").write_text(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{SP}"><md:SPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{ACS}" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    config = IdPConfig()
    config.load(
        {
            "entityid": IDP,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(IDP + "/sso", BINDING_HTTP_REDIRECT)]
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                }
            },
            "key_file": str(directory / "idp.key"),
            "cert_file": str(directory / "idp.crt"),
            "metadata": {"local": [str(directory / "sp.xml")]},
            "xmlsec_binary": "/usr/bin/xmlsec1",
        }
    )
    return Server(config=config)


def main() -> None:
    key = rsa.generate_private_key(65537, 2048)
    cert = certificate(key)
    provider_key = ProviderKey.from_private_key(key, cert)
    said = statement()
    sample = saml_response(said, issuer=IDP, key=provider_key, recipient=ACS, now=NOW)
    assertion_bytes = etree.tostring(etree.fromstring(sample).find(f"{{{SAML_NS}}}Assertion"))
    signxml_signer = XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )

    def eid_issue() -> bytes:
        return saml_response(said, issuer=IDP, key=provider_key, recipient=ACS, now=NOW)

    def raw_sign() -> bytes:
        return key.sign(assertion_bytes[:1500], padding.PKCS1v15(), hashes.SHA256())

    def signxml_issue() -> bytes:
        unsigned = etree.fromstring(assertion_bytes)
        unsigned.remove(unsigned[1])
        return etree.tostring(signxml_signer.sign(unsigned, key=key, cert=[cert]))

    issuing = compare(
        {"raw": raw_sign, "eid": eid_issue, "signxml": signxml_issue},
        count=100,
        clock=time.process_time,
    )
    with tempfile.TemporaryDirectory() as directory:
        server = _pysaml2(Path(directory), key)

        def pysaml2_issue() -> str:
            return str(
                server.create_authn_response(
                    identity={"givenName": ["Alice Maria"], "sn": ["Specimen"]},
                    in_response_to=None,
                    destination=ACS,
                    sp_entity_id=SP,
                    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="b6Z1ZbYtW0cEr7hV"),
                    sign_assertion=True,
                    sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
                )
            )

        # pysaml2 signs in an xmlsec1 child process: wall time, against raw in wall time too
        wall = compare({"raw": raw_sign, "pysaml2": pysaml2_issue}, count=5, rounds=2)
        issuing["pysaml2"] = wall["pysaml2"] * issuing["raw"] / wall["raw"]

    idp = SamlIdentityProvider(IDP, (cert,))
    responses = iter(
        [
            saml_response(said, issuer=IDP, key=provider_key, recipient=ACS, now=NOW)
            for _ in range(1700)
        ]
    )
    replay = MemoryReplayStore()

    def eid_import() -> object:
        return import_saml_response(
            next(responses), idp=idp, audience=SP, recipient=ACS, at=NOW, replay=replay
        )

    verifier = XMLVerifier()

    def signxml_verify() -> object:
        return verifier.verify(
            sample, x509_cert=cert, expect_references=1, ignore_ambiguous_key_info=True
        ).signed_xml

    public = key.public_key()

    def floor_import() -> bool:
        # the cheapest way to each element: by tag among children, then by position
        assertion = next(etree.fromstring(sample).iterchildren(f"{{{SAML_NS}}}Assertion"))
        signature = next(assertion.iterchildren(f"{{{DSIG_NS}}}Signature"))
        signed_info, value = signature[0], base64.b64decode(signature[1].text or "")
        public.verify(value, canonicalize(signed_info), padding.PKCS1v15(), hashes.SHA256())
        digest = base64.b64decode(signed_info[2][2].text or "")  # Reference/DigestValue
        assertion.remove(signature)
        return hashlib.sha256(canonicalize(assertion)).digest() == digest

    assert floor_import()
    importing = compare(
        {"eid": eid_import, "signxml": signxml_verify, "floor": floor_import},
        count=300,
        clock=time.process_time,
    )
    print("SAML 2.0 (RSA-2048), operations per CPU second (best of interleaved rounds)")
    print("  issue: " + ", ".join(f"{name} {rate:,.1f}/s" for name, rate in issuing.items()))
    print(
        f"    eid/raw {issuing['eid'] / issuing['raw']:.2f}x (target >= 0.5x), "
        f"signxml/raw {issuing['signxml'] / issuing['raw']:.2f}x, "
        f"pysaml2/raw {issuing['pysaml2'] / issuing['raw']:.3f}x"
    )
    print("  import: " + ", ".join(f"{name} {rate:,.0f}/s" for name, rate in importing.items()))
    print(
        f"    eid import / signxml verify {importing['eid'] / importing['signxml']:.2f}x "
        f"(target >= 5x); floor / signxml {importing['floor'] / importing['signxml']:.2f}x"
    )


if __name__ == "__main__":
    main()
