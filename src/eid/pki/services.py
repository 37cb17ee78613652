"""Loopback HTTP services of the test PKI: CRLs, CA certificates, OCSP responder, RFC 3161 TSA.

``TestServices`` binds 127.0.0.1 on a free port first and then builds the test PKI with that
``base_url``, so the AIA and CRL distribution points of every certificate point at it::

    with TestServices(key_kind="ec", seed=b"demo") as services:
        pki = services.pki
        ...  # validate certificates; OCSP and CRL are fetched over real HTTP

Paths: ``/crl/<ca>.crl`` (and ``/crl/<ca>-delta.crl`` once `enable_delta_crls` is called),
``/ca/<ca>.crt``, ``/ocsp`` (POST, or GET with the base64 request in the path), ``/tsa``
(POST a TimeStampReq; pyHanko's DummyTimeStamper signs with `TestPKI.tsa`).
For negative tests the responder can be told to answer ``unknown`` (`mark_unknown`) or to
break its answers (`ocsp_fault`, see `OcspFault`); `ocsp_enabled`/`crl_enabled` switch a
service off (HTTP 503).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import enum
import os
import socket
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from asn1crypto import keys, ocsp, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from eid.errors import UsageError
from eid.pki.testpki import (
    OCSP_PATH,
    AuthorityName,
    Issued,
    KeyKind,
    TestPKI,
    ca_cert_path,
    crl_path,
)

__all__ = ["OcspFault", "TestServices"]

_AUTHORITIES: tuple[AuthorityName, ...] = ("root", "citizen", "foreigner")


class OcspFault(enum.Enum):
    """A defect the OCSP responder puts in its answers, for negative tests."""

    NONE = "none"
    BAD_SIGNATURE = "bad_signature"
    WRONG_CERT_ID = "wrong_cert_id"
    TWO_RESPONSES = "two_responses"
    STALE = "stale"
    NO_NONCE = "no_nonce"
    WRONG_NONCE = "wrong_nonce"
    UNAUTHORIZED_SIGNER = "unauthorized_signer"
    TRY_LATER = "try_later"


class TestServices:
    """CRL, CA certificate, OCSP and TSA services of a test PKI on 127.0.0.1.

    ``pki``: an existing PKI (its URLs point here only when ``port`` is the port of its base
    URL); by default one is built with ``key_kind``, ``seed``, ``now`` and this `base_url`.
    ``responder``: ``"delegated"`` (each CA's OCSP responder certificate signs) or ``"ca"``.
    ``validity``: the interval between thisUpdate and nextUpdate of answers and CRLs.
    ``clock`` gives the time the answers are made at (default: the system clock).
    """

    __test__ = False

    def __init__(
        self,
        pki: TestPKI | None = None,
        *,
        key_kind: KeyKind = "rsa",
        seed: bytes | None = None,
        now: dt.datetime | None = None,
        responder: Literal["delegated", "ca"] = "delegated",
        validity: dt.timedelta = dt.timedelta(hours=1),
        clock: Callable[[], dt.datetime] | None = None,
        port: int = 0,
    ) -> None:
        """Bind the server on 127.0.0.1:``port`` (0: a free one; not yet serving), get the PKI."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self.pki = pki or TestPKI.create(
            key_kind=key_kind, seed=seed, now=now, base_url=self.base_url
        )
        self.responder = responder
        self.validity = validity
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.ocsp_fault = OcspFault.NONE
        self.ocsp_enabled = True
        self.crl_enabled = True
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._requests: list[tuple[str, str]] = []
        self._revoked: dict[tuple[str, int], tuple[dt.datetime, str]] = {}
        self._unknown: set[tuple[str, int]] = set()
        self._crl_number = 1
        self._delta_base: tuple[int, dict[tuple[str, int], tuple[dt.datetime, str]]] | None = None
        self._key_hashes = {
            _key_hash(self.pki.authorities[name].certificate): name for name in _AUTHORITIES
        }

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> TestServices:
        """Serve in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, join the thread, close every open connection and the socket.

        Keep-alive connections are closed too: otherwise a client's pooled connection would
        go on getting this server's answers after another one took the port.
        """
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()

    def __enter__(self) -> TestServices:
        """Start serving."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()

    # -- controls ----------------------------------------------------------------------------

    @property
    def ocsp_url(self) -> str:
        """The responder URL."""
        return self.base_url + OCSP_PATH

    @property
    def tsa_url(self) -> str:
        """The time-stamping URL."""
        return self.base_url + "/tsa"

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request served so far: (method, path)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many requests were served."""
        with self._lock:
            return len(self._requests)

    def revoke(
        self,
        cert: x509.Certificate | Issued,
        *,
        at: dt.datetime | None = None,
        reason: str = "key_compromise",
    ) -> None:
        """Mark ``cert`` revoked from ``at`` (default now) for ``reason`` (asn1crypto CRLReason name)."""
        key = self._key(cert)
        when = (at or self.clock()).astimezone(dt.UTC).replace(microsecond=0)
        with self._lock:
            self._revoked[key] = (when, reason)
            self._crl_number += 1

    def mark_unknown(self, cert: x509.Certificate | Issued) -> None:
        """Have the responder answer ``unknown`` for ``cert``."""
        with self._lock:
            self._unknown.add(self._key(cert))

    def enable_delta_crls(self) -> None:
        """Freeze the base CRLs now; later revocations appear only in the delta CRLs."""
        with self._lock:
            self._crl_number += 1
            self._delta_base = (self._crl_number, dict(self._revoked))

    # -- OCSP ----------------------------------------------------------------------------------

    def ocsp_response(self, request_der: bytes) -> bytes:
        """Answer an OCSPRequest (DER) as configured."""
        try:
            request = ocsp.OCSPRequest.load(request_der, strict=True)
            tbs = request["tbs_request"]
            cert_ids = [item["req_cert"] for item in tbs["request_list"]]
            nonce = None
            for extension in tbs["request_extensions"] or []:
                if extension["extn_id"].native == "nonce":
                    nonce = extension["extn_value"].parsed.native
        except (ValueError, TypeError, KeyError):
            return _status_only("malformed_request")
        if self.ocsp_fault is OcspFault.TRY_LATER:
            return _status_only("try_later")
        if len(cert_ids) != 1 or cert_ids[0]["hash_algorithm"]["algorithm"].native != "sha1":
            return _status_only("malformed_request")
        cert_id = cert_ids[0]
        authority = self._key_hashes.get(cert_id["issuer_key_hash"].native)
        if authority is None:
            return _status_only("unauthorized")
        return self._basic_response(authority, cert_id, nonce)

    def _basic_response(self, authority: AuthorityName, cert_id: Any, nonce: bytes | None) -> bytes:
        now = self.clock().astimezone(dt.UTC).replace(microsecond=0)
        fault = self.ocsp_fault
        this_update, next_update = now, now + self.validity
        if fault is OcspFault.STALE:
            this_update, next_update = now - 3 * self.validity, now - 2 * self.validity
        serial = int(cert_id["serial_number"].native)
        key = (authority, serial)
        with self._lock:
            revoked = self._revoked.get(key)
            unknown = key in self._unknown
        status: Any
        if unknown:
            status = ocsp.CertStatus(name="unknown", value=None)
        elif revoked is not None:
            status = ocsp.CertStatus(
                name="revoked",
                value={"revocation_time": revoked[0], "revocation_reason": revoked[1]},
            )
        else:
            status = ocsp.CertStatus(name="good", value=None)
        answered_id = cert_id.copy()
        if fault is OcspFault.WRONG_CERT_ID:
            answered_id = ocsp.CertId(
                {
                    "hash_algorithm": {"algorithm": "sha1"},
                    "issuer_name_hash": cert_id["issuer_name_hash"].native,
                    "issuer_key_hash": cert_id["issuer_key_hash"].native,
                    "serial_number": serial + 1,
                }
            )
        single = {
            "cert_id": answered_id,
            "cert_status": status,
            "this_update": this_update,
            "next_update": next_update,
        }
        singles = [single, dict(single)] if fault is OcspFault.TWO_RESPONSES else [single]
        signer = self._signer(authority)
        response_data: dict[str, Any] = {
            "responder_id": ocsp.ResponderId(name="by_key", value=_key_hash(signer.certificate)),
            "produced_at": now,
            "responses": singles,
        }
        if fault is OcspFault.WRONG_NONCE:
            nonce = os.urandom(32)
        if nonce is not None and fault is not OcspFault.NO_NONCE:
            response_data["response_extensions"] = [
                {"extn_id": "nonce", "critical": False, "extn_value": nonce}
            ]
        tbs = ocsp.ResponseData(response_data)
        algorithm, signature = _sign(signer, tbs.dump())
        if fault is OcspFault.BAD_SIGNATURE:
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        certs = []
        if signer.certificate != self.pki.authorities[authority].certificate:
            certs = [asn1_x509.Certificate.load(signer.cert_der())]
        basic = ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": tbs,
                "signature_algorithm": {"algorithm": algorithm},
                "signature": signature,
                "certs": certs,
            }
        )
        return bytes(
            ocsp.OCSPResponse(
                {
                    "response_status": "successful",
                    "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
                }
            ).dump()
        )

    def _signer(self, authority: AuthorityName) -> Issued:
        if self.ocsp_fault is OcspFault.UNAUTHORIZED_SIGNER:
            other: AuthorityName = "foreigner" if authority != "foreigner" else "citizen"
            return self.pki.ocsp_responder(other)
        if self.responder == "ca":
            return self.pki.authorities[authority]
        return self.pki.ocsp_responder(authority)

    # -- CRL -----------------------------------------------------------------------------------

    def crl(self, authority: AuthorityName, *, delta: bool = False) -> bytes:
        """The current CRL of ``authority`` (DER); the delta CRL with ``delta``."""
        ca = self.pki.authorities[authority]
        now = self.clock().astimezone(dt.UTC).replace(microsecond=0)
        with self._lock:
            base = self._delta_base
            current = dict(self._revoked)
            number = self._crl_number
        if delta and base is None:
            raise UsageError("delta CRLs are not enabled")
        entries = current if (delta or base is None) else base[1]
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.certificate.subject)
            .last_update(now)
            .next_update(now + self.validity)
            .add_extension(x509.AuthorityKeyIdentifier(ca.key_id(), None, None), critical=False)
        )
        if delta and base is not None:
            builder = builder.add_extension(x509.CRLNumber(number), critical=False)
            builder = builder.add_extension(x509.DeltaCRLIndicator(base[0]), critical=True)
        elif base is not None:
            builder = builder.add_extension(x509.CRLNumber(base[0]), critical=False)
            delta_url = x509.UniformResourceIdentifier(self._delta_url(authority))
            builder = builder.add_extension(
                x509.FreshestCRL([x509.DistributionPoint([delta_url], None, None, None)]),
                critical=False,
            )
        else:
            builder = builder.add_extension(x509.CRLNumber(number), critical=False)
        for (name, serial), (when, reason) in sorted(entries.items()):
            if name != authority:
                continue
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(_REASONS[reason]), critical=False)
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        digest = (
            hashes.SHA384() if isinstance(ca.key, ec.EllipticCurvePrivateKey) else hashes.SHA256()
        )
        return builder.sign(ca.key, digest).public_bytes(serialization.Encoding.DER)

    def _delta_url(self, authority: str) -> str:
        return self.base_url + crl_path(authority).replace(".crl", "-delta.crl")

    # -- TSA -----------------------------------------------------------------------------------

    def timestamp(self, request_der: bytes) -> bytes:
        """Answer a TimeStampReq (DER) with pyHanko's DummyTimeStamper and `TestPKI.tsa`."""
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        tsa = self.pki.tsa()
        key_der = tsa.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(tsa.cert_der()),
            tsa_key=keys.PrivateKeyInfo.load(key_der),
            certs_to_embed=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [asn1_x509.Certificate.load(self.pki.root.cert_der())]
            ),
            fixed_dt=self.clock().astimezone(dt.UTC),
        )
        request = tsp.TimeStampReq.load(request_der, strict=True)
        return bytes(stamper.request_tsa_response(request).dump())

    # -- HTTP ----------------------------------------------------------------------------------

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self._requests.append((method, path))

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        self._record(method, path)
        if path == OCSP_PATH or path.startswith(OCSP_PATH + "/"):
            if not self.ocsp_enabled:
                return 503, "text/plain", b"OCSP responder switched off"
            if method == "GET":
                encoded = urllib.parse.unquote(path[len(OCSP_PATH) + 1 :])
                try:
                    body = base64.b64decode(encoded, validate=True)
                except (binascii.Error, ValueError):
                    return 400, "text/plain", b"bad base64"
            return 200, "application/ocsp-response", self.ocsp_response(body)
        if path == "/tsa" and method == "POST":
            try:
                return 200, "application/timestamp-reply", self.timestamp(body)
            except ValueError:
                return 400, "text/plain", b"bad TimeStampReq"
        for authority in _AUTHORITIES:
            if path == ca_cert_path(authority):
                return 200, "application/pkix-cert", self.pki.authorities[authority].cert_der()
            if path in (crl_path(authority), crl_path(authority).replace(".crl", "-delta.crl")):
                if not self.crl_enabled:
                    return 503, "text/plain", b"CRLs switched off"
                is_delta = path.endswith("-delta.crl")
                if is_delta and self._delta_base is None:
                    return 404, "text/plain", b"no delta CRL"
                return 200, "application/pkix-crl", self.crl(authority, delta=is_delta)
        return 404, "text/plain", b"not found"

    def _key(self, cert: x509.Certificate | Issued) -> tuple[str, int]:
        certificate = cert.certificate if isinstance(cert, Issued) else cert
        for name in _AUTHORITIES:
            ca = self.pki.authorities[name].certificate
            if certificate.issuer == ca.subject:
                return name, certificate.serial_number
        raise UsageError("the certificate is not issued by a CA of this test PKI")


_REASONS = {flag.name: flag for flag in x509.ReasonFlags}


def _key_hash(cert: x509.Certificate) -> bytes:
    spki = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)).public_key
    return bytes(spki.sha1)


def _status_only(status: str) -> bytes:
    return bytes(ocsp.OCSPResponse({"response_status": status}).dump())


def _sign(signer: Issued, data: bytes) -> tuple[str, bytes]:
    key = signer.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "sha384_ecdsa", key.sign(data, ec.ECDSA(hashes.SHA384()))
    return "sha256_rsa", key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _handler(services: TestServices) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            with services._lock:
                services._connections.add(self.connection)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                with services._lock:
                    services._connections.discard(self.connection)

        def do_GET(self) -> None:
            self._answer("GET", b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer("POST", self.rfile.read(length))

        def _answer(self, method: str, body: bytes) -> None:
            path = urllib.parse.urlsplit(self.path).path
            status, content_type, payload = services._route(method, path, body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
