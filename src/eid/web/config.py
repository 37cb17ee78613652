"""The service's configuration, read from a TOML file.

```toml
[server]
issuer = "https://idp.example.be"      # the public URL (OIDC issuer, SAML entity base)
host = "127.0.0.1"
port = 8443
secret = "..."                         # or secret_file: sessions and pseudonyms derive from it
redis = "redis://127.0.0.1:6379/0"     # optional: state shared by several instances
hsts = true
trusted_proxies = ["127.0.0.1"]        # who may hand over a TLS client certificate
client_certificate_header = "X-SSL-Client-Cert"
audit_log = "/var/log/eid/audit.jsonl" # optional (default: standard error)

[trust]
anchors = ["belgium"]                  # "belgium" or PEM/DER files and folders
intermediates = []
revocation = "require"                 # require | prefer | off

[limits]
pin_attempts = 5                       # per window, per session and per address
login_attempts = 30
window = 900

[keys]                                 # the provider's signing keys (PEM; or pkcs12 = FILE)
active = "provider-key.pem"
certificate = "provider-cert.pem"      # optional for OIDC, needed in SAML metadata
next = "next-key.pem"                  # optional: published before it signs (rollover)

[oidc]
registration_token = "..."             # initial access token for RFC 7591 registration
mandates = "mandates.toml"             # optional: who may act for which enterprise

[saml]
want_authn_requests_signed = false     # true: every SP must sign (and metadata says so)

[development]                          # only honoured with enabled = true
enabled = false
virtual_card = "/path/to/virtual-card"
```
Portals (OIDC clients and SAML service providers) are ``[[portals]]`` tables
(`eid.web.clients`); a SAML portal's ``sp_metadata`` file is relative to the configuration's folder.
"""

from __future__ import annotations

import ipaddress
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eid.errors import MalformedInput, UsageError
from eid.sso.portals import config_flag

__all__ = [
    "DevelopmentConfig",
    "KeyConfig",
    "Limits",
    "TrustConfig",
    "WebConfig",
    "config_from_mapping",
    "load_config",
    "new_secret",
]


@dataclass(frozen=True)
class TrustConfig:
    """Which certificates a login may chain to, and how revocation is checked."""

    anchors: tuple[str, ...] = ("belgium",)
    intermediates: tuple[str, ...] = ()
    revocation: str = "require"


@dataclass(frozen=True)
class Limits:
    """Rate limits: attempts allowed per ``window`` seconds, per session and per address."""

    pin_attempts: int = 5
    login_attempts: int = 30
    window: int = 900


@dataclass(frozen=True)
class KeyConfig:
    """Where the provider's signing keys are: PEM files or a PKCS#12 file."""

    active: Path | None = None
    certificate: Path | None = None
    next: Path | None = None
    pkcs12: Path | None = None


@dataclass(frozen=True)
class DevelopmentConfig:
    """Development mode: the virtual eID as a login method (never in production)."""

    enabled: bool = False
    virtual_card: Path | None = None


@dataclass(frozen=True)
class WebConfig:
    """Everything `eid serve` needs to run the identity provider."""

    issuer: str
    secret: bytes
    host: str = "127.0.0.1"
    port: int = 8443
    redis: str | None = None
    hsts: bool = False
    trusted_proxies: tuple[str, ...] = ()
    client_certificate_header: str = "X-SSL-Client-Cert"
    audit_log: Path | None = None
    session_ttl: int = 8 * 3600
    trust: TrustConfig = field(default_factory=TrustConfig)
    limits: Limits = field(default_factory=Limits)
    development: DevelopmentConfig = field(default_factory=DevelopmentConfig)
    keys: KeyConfig = field(default_factory=KeyConfig)
    registration_token: str | None = None
    mandates: Path | None = None
    saml_requests_signed: bool = False
    portals: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query:
            raise UsageError(f"the issuer must be an http(s) URL without a query: {self.issuer}")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise UsageError("the issuer must use https unless it is on loopback")
        if len(self.secret) < 32:
            raise UsageError("the service secret must hold at least 32 bytes")
        if self.trust.revocation not in ("require", "prefer", "off"):
            raise UsageError("trust.revocation must be require, prefer or off")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise UsageError(f"trusted_proxies: {proxy!r} is not an address") from None

    @property
    def base_url(self) -> str:
        """The issuer without a trailing slash, to append paths to."""
        return self.issuer.rstrip("/")

    @property
    def origin(self) -> str:
        """The scheme, host and port the browser sees (what Web eID tokens are bound to)."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def webeid_origin(self) -> str:
        """The origin Web eID tokens are bound to: `origin`, in its https form on loopback http.

        Web eID runs on https only; a development server on plain loopback http binds its
        tokens to ``https://`` and the same host and port.
        """
        return "https://" + self.origin.removeprefix("http://").removeprefix("https://")

    def is_trusted_proxy(self, address: str | None) -> bool:
        """Whether ``address`` is one of the configured TLS-terminating proxies."""
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise MalformedInput(f"[{name}] must be a table", field=name)
    return value


def _strings(table: dict[str, Any], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = table.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedInput(f"{name} must be a list of strings", field=name)
    return tuple(value)


def _secret(server: dict[str, Any], base: Path) -> bytes:
    if "secret" in server:
        return str(server["secret"]).encode()
    if "secret_file" in server:
        return (base / str(server["secret_file"])).read_bytes().strip()
    raise UsageError("[server] needs a secret or a secret_file (32 bytes or more)")


def _path(value: Any, base: Path) -> Path | None:
    return None if value is None else base / str(value)


def load_config(path: Path) -> WebConfig:
    """Read a TOML configuration; relative paths in it are relative to its folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise MalformedInput(str(error), source=str(path)) from None
    return config_from_mapping(data, base=path.parent)


def config_from_mapping(data: dict[str, Any], *, base: Path) -> WebConfig:
    """Build the configuration from parsed TOML (``base``: the folder relative paths start from)."""
    server = _table(data, "server")
    trust = _table(data, "trust")
    limits = _table(data, "limits")
    development = _table(data, "development")
    keys = _table(data, "keys")
    oidc = _table(data, "oidc")
    saml = _table(data, "saml")
    signed = config_flag(saml, "want_authn_requests_signed", "[saml]")
    portals = data.get("portals", [])
    if not isinstance(portals, list) or not all(isinstance(p, dict) for p in portals):
        raise MalformedInput("portals must be an array of tables", field="portals")
    portals = [
        {**p, "sp_metadata": str(base / str(p["sp_metadata"]))} if "sp_metadata" in p else p
        for p in portals
    ]
    anchors = tuple(
        a if a == "belgium" else str(base / a) for a in _strings(trust, "anchors", ("belgium",))
    )
    try:
        return WebConfig(
            issuer=str(server["issuer"]),
            secret=_secret(server, base),
            host=str(server.get("host", "127.0.0.1")),
            port=int(server.get("port", 8443)),
            redis=server.get("redis"),
            hsts=bool(server.get("hsts", False)),
            trusted_proxies=_strings(server, "trusted_proxies", ()),
            client_certificate_header=str(
                server.get("client_certificate_header", "X-SSL-Client-Cert")
            ),
            audit_log=_path(server.get("audit_log"), base),
            session_ttl=int(server.get("session_ttl", 8 * 3600)),
            trust=TrustConfig(
                anchors=anchors,
                intermediates=tuple(str(base / p) for p in _strings(trust, "intermediates", ())),
                revocation=str(trust.get("revocation", "require")),
            ),
            limits=Limits(
                pin_attempts=int(limits.get("pin_attempts", 5)),
                login_attempts=int(limits.get("login_attempts", 30)),
                window=int(limits.get("window", 900)),
            ),
            development=DevelopmentConfig(
                enabled=bool(development.get("enabled", False)),
                virtual_card=_path(development.get("virtual_card"), base),
            ),
            keys=KeyConfig(
                active=_path(keys.get("active"), base),
                certificate=_path(keys.get("certificate"), base),
                next=_path(keys.get("next"), base),
                pkcs12=_path(keys.get("pkcs12"), base),
            ),
            registration_token=oidc.get("registration_token"),
            mandates=_path(oidc.get("mandates"), base),
            saml_requests_signed=signed,
            portals=tuple(portals),
        )
    except KeyError as error:
        raise MalformedInput(f"missing setting {error.args[0]}", field=str(error.args[0])) from None
    except (TypeError, ValueError) as error:
        raise MalformedInput(f"a setting has the wrong type: {error}") from None


def new_secret() -> str:
    """A fresh random service secret, as text for a configuration file."""
    return secrets.token_urlsafe(48)
