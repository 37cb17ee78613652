"""Login: challenge–response on a card, Web eID tokens, and TLS client certificates.

Each way ends in an `AuthResult` (who, with which validated certificate, at which
level of assurance) or an `eid.errors` error with its own code.
"""

from eid.auth.challenge import Authenticator, Challenge, respond
from eid.auth.nonces import MemoryNonceStore, NonceRecord, NonceStore, RedisNonceStore
from eid.auth.result import AuthMethod, AuthResult
from eid.auth.tls import authenticate_client_certificate
from eid.auth.tls_client import certificate_chain_from_asgi_scope, certificate_from_header

__all__ = [
    "AuthMethod",
    "AuthResult",
    "Authenticator",
    "Challenge",
    "MemoryNonceStore",
    "NonceRecord",
    "NonceStore",
    "RedisNonceStore",
    "authenticate_client_certificate",
    "certificate_chain_from_asgi_scope",
    "certificate_from_header",
    "respond",
]
