"""Development mode: a configuration generated around the virtual eID and its test PKI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eid.tokens.virtual import VirtualCard

from .config import WebConfig, config_from_mapping, new_secret

__all__ = [
    "EXAMPLE_ENTERPRISES",
    "development_config",
    "example_portals",
    "provider_key_files",
    "write_toml",
]


def provider_key_files(directory: Path, host: str) -> tuple[Path, Path]:
    """A development signing key (EC P-256) and its self-signed certificate, made once in ``directory``."""
    key_path, cert_path = directory / "provider-key.pem", directory / "provider-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"eid development provider {host}")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def development_config(
    card: VirtualCard,
    *,
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    portals: list[dict[str, Any]] | None = None,
    redis: str | None = None,
    tables: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The TOML data of a development configuration: loopback, the card's test PKI, the virtual eID.

    The provider's key and certificate are made in ``directory`` (once).
    """
    pki = card.directory / "pki"
    key, certificate = provider_key_files(directory, host)
    server: dict[str, Any] = {
        "issuer": f"http://{host}:{port}",
        "host": host,
        "port": port,
        "secret": new_secret(),
    }
    if redis:
        server["redis"] = redis
    return {
        **(tables or {}),
        "server": server,
        "trust": {
            "anchors": [str(pki / "root.pem")],
            "intermediates": [str(pki / "citizen-ca.pem")],
            "revocation": "require",
        },
        "keys": {"active": str(key), "certificate": str(certificate)},
        "development": {"enabled": True, "virtual_card": str(card.directory)},
        "portals": portals or [],
    }


EXAMPLE_ENTERPRISES = (
    {"enterprise": "0202.020.118", "name": "Specimen Bakery BV", "role": "director"},
    {"enterprise": "0876.543.270", "name": "Example Consulting NV", "role": "accountant"},
)
"""The enterprises the virtual card's holder may act for in development (fictitious)."""


def example_portals(
    card: VirtualCard, directory: Path, *, oidc_url: str, saml_url: str
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, str]]:
    """The example portals' registrations, the ``[oidc]`` table, and how each portal is built.

    The OIDC portal may receive mandates; the virtual card's holder holds two (a mandate
    file is written in ``directory``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    mandates = directory / "mandates.json"
    mandates.write_text(json.dumps({card.national_number: list(EXAMPLE_ENTERPRISES)}))
    secret = new_secret()
    portals: list[dict[str, Any]] = [
        {
            "id": "my-enterprise",
            "kind": "oidc",
            "name": "My Enterprise",
            "redirect_uris": [f"{oidc_url}/callback"],
            "post_logout_redirect_uris": [f"{oidc_url}/"],
            "backchannel_logout_uri": f"{oidc_url}/backchannel-logout",
            "attributes": [
                "given_name",
                "family_name",
                "legal_person_identifier",
                "legal_name",
                "mandate_role",
            ],
            "mandates": True,
            "client_secret": secret,
        },
        {
            "id": f"{saml_url}/sp",
            "kind": "saml",
            "name": "Tax-on-web",
            "acs_urls": [f"{saml_url}/acs"],
            "slo_url": f"{saml_url}/slo",
            "attributes": ["given_name", "family_name"],
            "profile": "belgian",
        },
    ]
    builds = {"client_id": "my-enterprise", "client_secret": secret, "entity_id": f"{saml_url}/sp"}
    return portals, {"mandates": str(mandates)}, builds


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def write_toml(data: dict[str, Any], path: Path) -> WebConfig:
    """Write ``data`` as TOML (tables, then arrays of tables) and read it back as a `WebConfig`."""
    lines: list[str] = []
    for name, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{name}]")
            lines.extend(f"{key} = {_value(value)}" for key, value in table.items())
            lines.append("")
    for name, tables in data.items():
        if isinstance(tables, list):
            for table in tables:
                lines.append(f"[[{name}]]")
                lines.extend(f"{key} = {_value(value)}" for key, value in table.items())
                lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)
    return config_from_mapping(data, base=path.parent)
