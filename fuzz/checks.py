"""The fuzzed entry points, each a function of bytes that enforces the invariants.

Shared by the coverage-guided fuzzers (`fuzz.driver`) and the Hypothesis property tests
(``tests/fuzz``). A check returns normally when the entry point behaved, and raises
`InvariantBroken` (or lets any non-`EidError` exception through) when it did not:

* only `EidError` subclasses escape a parser or verifier of outside input (OCSP and CRL
  checks signal refusal with their internal `RevInfoError`; `verify` raises nothing on content);
* what is accepted means what the signed original means (no mutated signed input passes);
* a report of any input can be written as JSON, text and HTML.

Bounded time and memory are the callers' part: Hypothesis deadlines and tracemalloc in the
tests, libFuzzer's ``-timeout`` and ``-rss_limit_mb`` in the fuzzers.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from asn1crypto import cms, crl, ocsp, x509
from lxml import etree

from eid.auth.result import AuthResult
from eid.auth.tls import authenticate_client_certificate
from eid.auth.webeid import validate
from eid.auth.webeid_format import parse_token
from eid.cli.trust import parse_time
from eid.errors import EidError
from eid.identity import CardNumber, EnterpriseNumber, NationalNumber, parse_birth_date
from eid.pki import TrustStore, load_certificates, validate_certificate
from eid.pki.crl import _verify as verify_crl
from eid.pki.ocsp import verify_response
from eid.pki.revocation import RevInfoError
from eid.sign import ValidationReport, verify
from eid.sign.report_html import report_html
from eid.sign.report_text import report_lines
from eid.sso import AssuranceTable, Portal, VerificationKeys
from eid.sso.algorithms import ALGORITHMS
from eid.sso.imported import Imported
from eid.sso.jws import b64url_encode, parse_compact
from eid.sso.levels import LEVELS
from eid.sso.remote import cache_lifetime, discovered_jwks_uri
from eid.sso.saml import SAML_NS, SAMLP_NS
from eid.sso.saml_metadata import idp_from_metadata, portal_from_sp_metadata
from eid.tokens.belpic import (
    ADDRESS_FILE,
    CERT_RN_FILE,
    DATA_FILE,
    PHOTO_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
    decode_tlv,
    encode_tlv,
    load_rrn_certificate,
    parse_address,
    parse_identity,
    read_card_files,
    verify_identity_signature,
)
from eid.web.oidc import _ASSERTION_LEEWAY, _ASSERTION_MAX_LIFE, _assertion_problem
from eid.web.saml import _check_time, _checked_id, _requested_level, _transient, _Unmet
from eid.web.saml_bindings import (
    ReceivedRequest,
    decode_post,
    decode_redirect,
    response_endpoint,
    verify_request,
)
from fuzz import material, sso_material
from fuzz.mutation import Mutation, Op, SignedCase, signed_cases

__all__ = [
    "CHECKS",
    "InvariantBroken",
    "check_signed_assertion",
    "check_signed_claims",
    "mutation_from_bytes",
    "prepare",
    "verify_bytes",
]


_T = TypeVar("_T")
_P, _A = f"{{{SAMLP_NS}}}", f"{{{SAML_NS}}}"


class InvariantBroken(AssertionError):
    """An entry point accepted what it must refuse, or gave an inconsistent answer."""


def _eid_errors_only(call: Callable[[], _T]) -> _T | None:
    """Run ``call``; an `EidError` is a refusal (None), any other exception escapes."""
    try:
        return call()
    except EidError:
        return None


@functools.cache
def _workdir() -> Path:
    return material.scratch_directory("eid-fuzz-run-")


def _render(report: ValidationReport) -> None:
    """Every output form of a report must be writable, whatever the input was."""
    json.dumps(report.to_dict())
    report_lines(report)
    report_html(report)


def check_tlv(data: bytes) -> None:
    """`decode_tlv`: refuses or splits ``data`` exactly (re-encoding gives it back)."""
    elements = _eid_errors_only(lambda: decode_tlv(data))
    if elements is None:
        return
    assert isinstance(elements, list)
    encoded = encode_tlv((e.tag, e.value) for e in elements)
    if data[: len(encoded)] != encoded or any(data[len(encoded) :]):
        raise InvariantBroken("decode_tlv lost or invented bytes")


def check_identity(data: bytes) -> None:
    """`parse_identity` and `parse_address` on any bytes."""
    _eid_errors_only(lambda: parse_identity(data))
    _eid_errors_only(lambda: parse_address(data))


def check_card(data: bytes) -> None:
    """`read_card_files` with one file replaced by ``data[1:]``.

    ``data[0]`` picks the file (low bits) and the RRN key (bit 7: EC P-384, else RSA). With
    signatures required, a result must carry the signed files as they were (the address up
    to its padding): a changed signed file never reads as valid.
    """
    head = data[0] if data else 0
    ec_key = bool(head & 0x80)
    original = material.card_files("ec" if ec_key else "rsa")
    files = dict(original)
    labels = sorted(files)
    files[labels[(head & 0x7F) % len(labels)]] = data[1:]
    _eid_errors_only(lambda: read_card_files(files))
    if _eid_errors_only(lambda: read_card_files(files, require_signatures=True)) is None:
        return
    for signed in (DATA_FILE, ADDRESS_FILE, PHOTO_FILE):
        # The address signature covers the file without its 0x00 padding (rrn.py).
        strip = b"\x00" if signed == ADDRESS_FILE else b""
        if files[signed].rstrip(strip) != original[signed].rstrip(strip):
            raise InvariantBroken(f"a changed {signed} was read with signatures required")
    for signature in (SIGN_DATA_FILE, SIGN_ADDRESS_FILE):
        # ECDSA signatures differ from one signing to the next: any valid one will do, but
        # only as one DER signature padded with zeros.
        value = files[signature]
        canonical = value[: 2 + value[1]] + b"\x00" * (len(value) - 2 - value[1])
        if (value != original[signature]) if not ec_key else (value != canonical):
            raise InvariantBroken(f"a changed {signature} was read with signatures required")


def check_rrn_certificate(data: bytes) -> None:
    """`load_rrn_certificate` and a signature check with whatever key it holds.

    The signature verifies only with the RRN's key (the rest of the certificate is judged by
    `validate_rrn_certificate`, not here).
    """
    files = material.card_files()
    certificate = _eid_errors_only(lambda: load_rrn_certificate(data))
    if certificate is None:
        return
    verified = _eid_errors_only(
        lambda: verify_identity_signature(files[DATA_FILE], files[SIGN_DATA_FILE], certificate)
    )
    rrn_key = x509.Certificate.load(files[CERT_RN_FILE]).public_key.dump()
    if verified is not None and x509.Certificate.load(data).public_key.dump() != rrn_key:
        raise InvariantBroken("the identity signature verified with another key than the RRN's")


def check_webeid_parse(data: bytes) -> None:
    """`parse_token` on any text."""
    _eid_errors_only(lambda: parse_token(data))


def check_webeid_validate(data: bytes) -> None:
    """`validate` a token text; an accepted one says what the original token says."""
    result = _eid_errors_only(
        lambda: validate(
            data,
            origin=material.ORIGIN,
            challenge=material.CHALLENGE,
            trust=material.trust(),
            at=material.AT,
            revocation=material.OFF,
        )
    )
    if result is None:
        return
    original = parse_token(material.webeid_token())
    accepted = parse_token(data)
    meaning = [(t.certificate_der, t.algorithm, t.signature) for t in (original, accepted)]
    if meaning[0] != meaning[1]:
        raise InvariantBroken("a token other than the signed one was accepted")


def check_client_certificate(data: bytes) -> None:
    """A TLS client certificate from a proxy: accepted only as the one the CA signed."""
    result = _eid_errors_only(
        lambda: authenticate_client_certificate(
            data, trust=material.trust(), at=material.AT, revocation=material.OFF
        )
    )
    if not isinstance(result, AuthResult):
        return
    signed = x509.Certificate.load(material.authentication().cert_der())["tbs_certificate"]
    if result.validated.certificate.asn1["tbs_certificate"].dump() != signed.dump():
        raise InvariantBroken("a client certificate other than the issued one was accepted")


def check_identity_numbers(data: bytes) -> None:
    """National, enterprise and card numbers and birth dates parsed from any text."""
    text = data.decode("utf-8", "replace")
    for parse in (
        NationalNumber.parse,
        EnterpriseNumber.parse,
        CardNumber.parse,
        parse_birth_date,
    ):
        _eid_errors_only(lambda parse=parse: parse(text))  # type: ignore[misc]


def check_certificates(data: bytes) -> None:
    """Lenient loading (DER or PEM), then those certificates as trust anchors for a path."""
    loaded = _eid_errors_only(lambda: load_certificates(data, source="fuzz"))
    if not loaded:
        return
    assert isinstance(loaded, list)
    store = _eid_errors_only(lambda: TrustStore(loaded))
    if not isinstance(store, TrustStore):
        return
    leaf = material.certificates()["signature"]
    _eid_errors_only(
        lambda: validate_certificate(leaf, trust=store, at=material.AT, revocation=material.OFF)
    )


def check_trust_file(data: bytes) -> None:
    """`TrustStore.from_paths` on a file holding ``data``."""
    path = _workdir() / "trust.pem"
    path.write_bytes(data)
    _eid_errors_only(lambda: TrustStore.from_paths([path]))


def check_ocsp(data: bytes) -> None:
    """`verify_response`: refuses with RevInfoError, or accepts the signed answer only."""
    cert, issuer = material.revocation_subject()

    def no_crl(_cert: object, _issuer: object) -> None:
        return None

    try:
        verify_response(data, cert, issuer, material.OFF, material.AT, None, no_crl)
    except RevInfoError:
        return
    signed = ocsp.OCSPResponse.load(material.ocsp_response())
    accepted = ocsp.OCSPResponse.load(data)
    tbs = [
        r["response_bytes"]["response"].parsed["tbs_response_data"].dump()
        for r in (signed, accepted)
    ]
    if tbs[0] != tbs[1]:
        raise InvariantBroken("an OCSP response other than the signed one was accepted")


def check_crl(data: bytes) -> None:
    """The CRL check: refuses with RevInfoError, or accepts the signed list only."""
    _, issuer = material.revocation_subject()
    try:
        verify_crl("http://crl.invalid/fuzz.crl", data, issuer, delta=False)
    except RevInfoError:
        return
    signed = crl.CertificateList.load(material.crl())["tbs_cert_list"].dump()
    if crl.CertificateList.load(data)["tbs_cert_list"].dump() != signed:
        raise InvariantBroken("a CRL other than the signed one was accepted")


def verify_bytes(name: str, data: bytes, detached: bytes | None = None) -> ValidationReport:
    """`verify` ``data`` written as ``name`` (detached content beside it), at `material.AT`."""
    directory = _workdir()
    path = directory / name
    path.write_bytes(data)
    target = None
    if detached is not None:
        target = directory / "detached.bin"
        target.write_bytes(detached)
    report = verify(
        path, detached=target, trust=material.trust(), at=material.AT, revocation=material.OFF
    )
    _render(report)
    return report


def check_cms(data: bytes) -> None:
    """`verify` a .p7s (the signed content given as detached data); a pass is for that content.

    Only `material.CONTENT` was ever signed with the trusted keys, so a CMS that passes
    must hold it, or no content (detached).
    """
    report = verify_bytes("doc.p7s", data, material.CONTENT)
    if report.passed:
        content = cms.ContentInfo.load(data)["content"]["encap_content_info"]["content"]
        if content.native is not None and bytes(content.contents) != material.CONTENT:
            raise InvariantBroken("a CMS signature over other content passed")


def check_pdf(data: bytes) -> None:
    """`verify` a PDF."""
    verify_bytes("doc.pdf", data)


def check_asic(data: bytes) -> None:
    """`verify` an ASiC container (as .asice; the format comes from the content)."""
    verify_bytes("doc.asice", data)


def check_time(data: bytes) -> None:
    """``--at`` text: a usage error, or a time every verifier and report can use."""
    moment = _eid_errors_only(lambda: parse_time(data.decode("utf-8", "replace")))
    if moment is None:
        return
    assert isinstance(moment, dt.datetime)
    report = verify(
        material.documents().p7m,
        trust=material.trust(),
        at=moment,
        revocation=material.OFF,
    )
    _render(report)
    _eid_errors_only(
        lambda: validate(
            material.webeid_token(),
            origin=material.ORIGIN,
            challenge=material.CHALLENGE,
            trust=material.trust(),
            at=moment,
            revocation=material.OFF,
        )
    )


def _meaning(imported: Imported) -> dict[str, object]:
    """What an import says, but for its one-time identifier (a jti or assertion ID)."""
    said = imported.to_dict()
    del said["identifier"]
    return said


@functools.cache
def _id_token_meaning() -> dict[str, object]:
    return _meaning(sso_material.import_token(sso_material.id_token()))


@functools.cache
def _saml_meaning() -> dict[str, object]:
    return _meaning(sso_material.import_response(sso_material.saml_responses()["plain"]))


def check_id_token(data: bytes) -> None:
    """`parse_compact`, then `import_id_token` with the provider's keys: only as signed.

    Any token imported says what the issued one says (subject, audience, claims, times).
    """
    _eid_errors_only(lambda: parse_compact(data))
    imported = _eid_errors_only(lambda: sso_material.import_token(data))
    if isinstance(imported, Imported) and _meaning(imported) != _id_token_meaning():
        raise InvariantBroken("an ID token other than the signed one was imported")


def check_signed_claims(payload: bytes) -> None:
    """Any ``payload`` signed by the provider's key: the claim readers raise only `EidError`.

    The coverage-guided fuzzer cannot get past the signature; this reaches what lies behind
    it. A token imported is for the portal, from the issuer, about the ``sub`` it names.
    """
    header = sso_material.id_token().split(".", 1)[0]
    signing_input = f"{header}.{b64url_encode(payload)}"
    signature = sso_material.provider_key().sign(signing_input.encode("ascii"), "RS256")
    imported = _eid_errors_only(
        lambda: sso_material.import_token(f"{signing_input}.{b64url_encode(signature)}")
    )
    if imported is None:
        return
    claims = json.loads(payload)
    said = (imported.subject, imported.issuer, sso_material.CLIENT in imported.audience)
    if said != (claims["sub"], sso_material.ISSUER, True):
        raise InvariantBroken("a signed ID token was imported with other claims than it holds")


def check_jwks(data: bytes) -> None:
    """A JWKS, a discovery document and a Cache-Control value, all from ``data``.

    Every key of an accepted JWKS gives a verifier (or an `EidError`) for every algorithm
    and kid, and a verifier answers yes or no to any signature; a discovery document
    gives its ``jwks_uri`` only when it names the issuer; a cache lifetime stays in bounds.
    """
    keys = _eid_errors_only(lambda: VerificationKeys.from_jwks(data))
    if isinstance(keys, VerificationKeys):
        jws = parse_compact(sso_material.id_token())
        for kid in {None, jws.kid, *_kids(data)}:
            for algorithm in ALGORITHMS:
                check = _eid_errors_only(lambda kid=kid, a=algorithm: keys.select(kid, a))  # type: ignore[misc]
                if check is not None and not isinstance(
                    check(jws.signature, jws.signing_input),
                    bool,
                ):
                    raise InvariantBroken("a verifier answered neither yes nor no")
    uri = _eid_errors_only(
        lambda: discovered_jwks_uri(data, issuer=sso_material.ISSUER, source="fuzz")
    )
    if uri is not None and json.loads(data).get("issuer") != sso_material.ISSUER:
        raise InvariantBroken("a discovery document of another issuer was used")
    bounds = {
        "least": dt.timedelta(seconds=60),
        "default": dt.timedelta(hours=1),
        "most": dt.timedelta(hours=24),
    }
    lifetime = cache_lifetime(data.decode("utf-8", "replace"), **bounds)
    if not bounds["least"] <= lifetime <= bounds["most"]:
        raise InvariantBroken(f"a cache lifetime out of bounds: {lifetime}")


def _kids(data: bytes) -> list[str]:
    """The kid values a JWKS text names (for `check_jwks` to ask for each)."""
    try:
        document = json.loads(data)
        return [k["kid"] for k in document["keys"] if isinstance(k["kid"], str)]
    except (ValueError, RecursionError, TypeError, KeyError):
        return []


def check_saml_response(data: bytes) -> None:
    """`import_saml_response` (XML or POST form, plain or encrypted): only as signed.

    Any response imported says what the issued one says (subject, audience, attributes).
    """
    imported = _eid_errors_only(lambda: sso_material.import_response(data))
    if isinstance(imported, Imported) and _meaning(imported) != _saml_meaning():
        raise InvariantBroken("a SAML response other than the signed one was imported")


def check_signed_assertion(assertion: bytes) -> None:
    """Any ``assertion`` XML, signed by the provider's key in a response: import or EidError.

    As `check_signed_claims` for ID tokens, this reaches what lies behind the signature; an
    import is about the NameID the assertion holds.
    """
    response = _eid_errors_only(lambda: sso_material.response_with(assertion))
    if response is None:
        return
    imported = _eid_errors_only(lambda: sso_material.import_response(response))
    if imported is None:
        return
    name_id = etree.fromstring(assertion).findtext(f"{_A}Subject/{_A}NameID")
    if imported.subject != name_id:
        raise InvariantBroken("a signed assertion was imported about another subject")


def check_saml_metadata(data: bytes) -> None:
    """IdP metadata (unsigned, and signed by the provider's certificate) and SP metadata.

    Signed metadata is accepted only with the entity ID and certificates that were signed.
    """
    _eid_errors_only(lambda: idp_from_metadata(data))
    _eid_errors_only(lambda: portal_from_sp_metadata(data))
    certificate = sso_material.provider_key().certificate
    idp = _eid_errors_only(lambda: idp_from_metadata(data, signer=certificate))
    if idp is not None and (idp.entity_id, idp.certificates) != (
        sso_material.ISSUER,
        (certificate,),
    ):
        raise InvariantBroken("signed metadata was read with another entity or keys")


_READ_ATTRIBUTES = (
    "ID",
    "Version",
    "IssueInstant",
    "Destination",
    "AssertionConsumerServiceURL",
    "ProtocolBinding",
    "ForceAuthn",
    "IsPassive",
)


def _request_meaning(received: ReceivedRequest) -> tuple[object, ...]:
    """What the service reads of a request (`eid.web.saml`): attributes, issuer, policies.

    The RelayState is covered by the signature in the Redirect binding only.
    """
    root = received.root
    policy = root.find(_P + "NameIDPolicy")
    context = root.find(_P + "RequestedAuthnContext")
    return (
        root.tag,
        *(root.get(name) for name in _READ_ATTRIBUTES),
        root.findtext(_A + "Issuer"),
        policy.get("Format") if policy is not None else None,
        context.get("Comparison") if context is not None else None,
        [r.text for r in context.findall(_A + "AuthnContextClassRef")]
        if context is not None
        else [],
        root.findtext(_A + "NameID"),
        root.findtext(_P + "SessionIndex"),
        received.relay_state if received.binding == "redirect" else None,
    )


@functools.cache
def _signed_requests() -> list[tuple[object, ...]]:
    return [
        _request_meaning(received)
        for tag in ("AuthnRequest", "LogoutRequest")
        for received in (
            decode_redirect(sso_material.redirect_query(tag)),
            decode_post({"SAMLRequest": sso_material.post_value(tag)}),
        )
    ]


def check_saml_request(data: bytes) -> None:
    """A SAML request from the service provider, signature required: only as signed.

    ``data[0]`` picks the binding (even: the Redirect query ``data[1:]``, odd: the POST
    value); a request whose signature verifies means what a signed one means.
    """
    text = data[1:].decode("utf-8", "replace")
    if data[:1] and data[0] & 1:
        form = {"SAMLRequest": text, "RelayState": sso_material.RELAY}
        received = _eid_errors_only(lambda: decode_post(form))
    else:
        received = _eid_errors_only(lambda: decode_redirect(text))
    if not isinstance(received, ReceivedRequest):
        return
    _eid_errors_only(lambda: _checked_id(received.root))
    _eid_errors_only(lambda: _check_time(received.root))
    _read_authn_request(received.root)
    certificate = sso_material.sp_key().certificate
    assert certificate is not None
    if not _eid_errors_only(lambda: verify_request(received, (certificate,), required=True)):
        return
    if _request_meaning(received) not in _signed_requests():
        raise InvariantBroken("a SAML request other than a signed one verified")


_INDEXED_SP = Portal(
    id=sso_material.SP,
    kind="saml",
    endpoints=(sso_material.ACS, sso_material.ACS + "/2"),
    acs_indexes=((1, sso_material.ACS), (2, sso_material.ACS + "/2")),
)
"""A SAML portal with indexed ACS, for the endpoint a request names."""


def _read_authn_request(root: etree._Element) -> None:
    """What the SSO endpoint reads of a request: a registered ACS, a level, a NameID choice."""
    endpoint = _eid_errors_only(lambda: response_endpoint(root, _INDEXED_SP))
    if endpoint is not None and endpoint not in _INDEXED_SP.endpoints:
        raise InvariantBroken(f"the request is answered at {endpoint!r}, not a registered ACS")
    for names in ({}, AssuranceTable().national_names):
        try:
            level = _requested_level(root, names)
        except _Unmet:
            continue
        if level is not None and level not in LEVELS:
            raise InvariantBroken(f"RequestedAuthnContext gave {level!r}, not a level")
    for kind in ("pairwise", "national_number"):
        try:
            _transient(root, kind)
        except _Unmet:
            continue


def check_client_assertion(data: bytes) -> None:
    """A ``private_key_jwt`` client assertion, read as the token endpoint does: only as signed.

    The claims are read before the signature is checked (to find the client), so any text
    must give claims or an `EidError`; one that verifies with the client's JWKS holds the
    signed claims.
    """
    jws = _eid_errors_only(lambda: parse_compact(data))
    if jws is None:
        return
    _eid_errors_only(jws.claims)
    keys = VerificationKeys.from_jwks(sso_material.client_jwks())
    check = _eid_errors_only(lambda: keys.select(jws.kid, jws.algorithm))
    if check is None or not check(jws.signature, jws.signing_input):
        return
    signed = parse_compact(sso_material.client_assertion()).claims()
    if jws.claims() != signed:
        raise InvariantBroken("a client assertion other than the signed one verified")


def check_signed_client_claims(payload: bytes) -> None:
    """Any ``payload`` signed by the client's key: the token endpoint's claim checks answer.

    As `check_signed_claims` for ID tokens, this reaches what lies behind the signature of a
    client assertion; claims found right are for the client, this endpoint, and unexpired.
    """
    header = sso_material.client_assertion().split(".", 1)[0]
    signing_input = f"{header}.{b64url_encode(payload)}"
    signature = sso_material.sp_key().sign(signing_input.encode("ascii"), "RS256")
    jws = _eid_errors_only(
        lambda: parse_compact(f"{signing_input}.{b64url_encode(signature)}".encode())
    )
    claims = _eid_errors_only(jws.claims) if jws is not None else None
    if claims is None:
        return
    now = material.NOW.timestamp()
    endpoint = sso_material.ISSUER + "/token"
    if _assertion_problem(claims, sso_material.CLIENT, {endpoint}, now) is not None:
        return
    audience = claims["aud"]
    if claims["sub"] != sso_material.CLIENT or endpoint not in (
        audience if isinstance(audience, list) else [audience]
    ):
        raise InvariantBroken("a client assertion for another client or audience was accepted")
    if not now - _ASSERTION_LEEWAY <= claims["exp"] <= now + _ASSERTION_MAX_LIFE:
        raise InvariantBroken("a client assertion out of its time window was accepted")


def mutation_from_bytes(data: bytes) -> tuple[int, Mutation]:
    """``(case index, mutation)`` read from fuzzer bytes: case, op, region, position, payload."""
    head = data[:7].ljust(7, b"\x00")
    ops = list(Op)
    return head[0], Mutation(
        ops[head[1] % len(ops)], head[2], int.from_bytes(head[3:7], "big"), data[7:] or b"\x01"
    )


def check_mutated(case: int, mutation: Mutation) -> None:
    """A real signed document with ``mutation`` in its signed bytes never passes."""
    cases = _cases()
    chosen = cases[case % len(cases)]
    parts = chosen.apply(mutation)
    if parts == chosen.parts:
        return
    main, detached = chosen.write(parts, _workdir() / "mutated")
    report = verify(
        main, detached=detached, trust=material.trust(), at=material.AT, revocation=material.OFF
    )
    _render(report)
    if report.passed:
        raise InvariantBroken(f"a mutated {chosen.name} passed: {mutation}")


def check_mutated_bytes(data: bytes) -> None:
    """`check_mutated` driven by fuzzer bytes."""
    check_mutated(*mutation_from_bytes(data))


@functools.cache
def _cases() -> list[SignedCase]:
    return signed_cases()


def prepare() -> None:
    """Make all the signed material now, so that no input is timed while it is made."""
    material.card_files("rsa")
    material.card_files("ec")
    material.webeid_token()
    material.authentication()
    material.ocsp_response()
    material.crl()
    material.certificates()
    _id_token_meaning()
    _saml_meaning()
    _signed_requests()
    sso_material.idp_metadata()
    sso_material.sp_metadata()
    sso_material.client_assertion()
    for case in _cases():  # and the verifier's first-use costs (imports, caches)
        path, detached = case.write(case.parts, _workdir() / "warm")
        verify(
            path, detached=detached, trust=material.trust(), at=material.AT, revocation=material.OFF
        )


CHECKS: dict[str, Callable[[bytes], None]] = {
    "tlv": check_tlv,
    "identity": check_identity,
    "card": check_card,
    "rrn_certificate": check_rrn_certificate,
    "webeid_parse": check_webeid_parse,
    "webeid_validate": check_webeid_validate,
    "identity_numbers": check_identity_numbers,
    "client_certificate": check_client_certificate,
    "certificates": check_certificates,
    "trust_file": check_trust_file,
    "ocsp": check_ocsp,
    "crl": check_crl,
    "cms": check_cms,
    "pdf": check_pdf,
    "asic": check_asic,
    "time": check_time,
    "mutated": check_mutated_bytes,
    "id_token": check_id_token,
    "jwks": check_jwks,
    "saml_response": check_saml_response,
    "saml_metadata": check_saml_metadata,
    "saml_request": check_saml_request,
    "client_assertion": check_client_assertion,
}
"""Every fuzz target by name."""
