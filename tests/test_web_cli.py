"""`eid serve` as a real process: usage errors, and a configured provider that answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eid.tokens.virtual import VirtualCard
from eid.web.dev import development_config, write_toml

from .cli_support import eid
from .web_support import new_port

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)


def test_usage_errors(home: Path, tmp_path: Path, virtual_card: VirtualCard) -> None:
    assert eid("serve", home=home).returncode == 2
    config = tmp_path / "config.toml"
    config.write_text("[server\n")
    bad = eid("serve", "--config", str(config), home=home)
    assert bad.returncode == 2
    assert "malformed_input" in bad.stderr
    write_toml(development_config(virtual_card, directory=tmp_path), config)
    assert eid("serve", "--config", str(config), "--with-examples", home=home).returncode == 2
    workers = eid("serve", "--config", str(config), "--workers", "2", home=home)
    assert workers.returncode == 2
    assert "Redis" in workers.stderr


def test_a_configured_provider_serves(
    home: Path, tmp_path: Path, virtual_card: VirtualCard
) -> None:
    port = new_port()
    config = tmp_path / "config.toml"
    data = development_config(virtual_card, directory=tmp_path, port=port)
    data["server"]["audit_log"] = str(tmp_path / "audit.jsonl")
    write_toml(data, config)
    environment = {**os.environ, "EID_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "eid", "serve", "--config", str(config)],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"provider http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                metadata = httpx.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert metadata.json()["issuer"] == f"http://127.0.0.1:{port}"
        assert "server" not in metadata.headers  # the software is not named
        # No proxy is trusted: a forwarded address is not believed, by uvicorn either.
        refused = httpx.post(
            f"http://127.0.0.1:{port}/token",
            data={"grant_type": "authorization_code"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert refused.status_code == 401
        audited = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
        assert audited["address"] == "127.0.0.1"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0
