"""Development mode: a configuration generated around the virtual eID and its test PKI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eid.tokens.virtual import VirtualCard

from .config import WebConfig, config_from_mapping, new_secret

__all__ = ["development_config", "write_toml"]


def development_config(
    card: VirtualCard,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    portals: list[dict[str, Any]] | None = None,
    redis: str | None = None,
) -> dict[str, Any]:
    """The TOML data of a development configuration: loopback, the card's test PKI, the virtual eID."""
    pki = card.directory / "pki"
    server: dict[str, Any] = {
        "issuer": f"http://{host}:{port}",
        "host": host,
        "port": port,
        "secret": new_secret(),
    }
    if redis:
        server["redis"] = redis
    return {
        "server": server,
        "trust": {
            "anchors": [str(pki / "root.pem")],
            "intermediates": [str(pki / "citizen-ca.pem")],
            "revocation": "require",
        },
        "development": {"enabled": True, "virtual_card": str(card.directory)},
        "portals": portals or [],
    }


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
