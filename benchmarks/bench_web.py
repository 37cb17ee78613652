"""The provider's token endpoint under load on loopback, with one and two worker processes.

`eid serve --config FILE --workers N` runs on a real Redis; codes are put in Redis
beforehand exactly as the authorization step stores them, then wrk (a C load generator;
a Lua script hands each request its own code) redeems them with client_secret_basic and
the PKCE verifier for a few seconds. It reports requests per second and p50/p99 latency,
next to the in-process rate of the same issuance (rebuild the login, make the statement,
sign the ID token). Target: the endpoint reaches >= 50 % of the in-process rate per worker.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from benchmarks.timing import compare
from eid.auth import respond
from eid.pki.services import TestServices
from eid.sso import AssuranceTable
from eid.tokens.virtual import VirtualCardSpec, create_virtual_card
from eid.web.dev import development_config, write_toml
from eid.web.oidc import hashed_key, s256
from eid.web.persons import auth_result_of, person_from_result
from eid.web.service import build_service
from eid.web.store import RedisStore
from tests.redis_server import free_port, redis_server

SECONDS = 8
THREADS = 2
CONNECTIONS = 16
CODES = 40_000
SECRET = "bench-client-secret-0123456789"
REDIRECT = "http://127.0.0.1:9/cb"


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("eid serve did not start") from None
            time.sleep(0.05)


_SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  codes = {}
  for line in io.lines(args[1]) do table.insert(codes, line) end
  step, index, body = tonumber(args[2]), id + 1, args[3]
end
function request()
  local code = codes[index] or "exhausted"
  index = index + step
  return wrk.format("POST", "/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic %s",
  }, "code=" .. code .. "&" .. body)
end
"""


def _wrk(url: str, codes: Path, verifier: str, seconds: int) -> dict[str, float]:
    """Run wrk against the token endpoint; its rate, p50 and p99 (ms) and non-2xx count."""
    basic = base64.b64encode(f"bench:{SECRET}".encode()).decode()
    script = codes.with_suffix(".lua")
    script.write_text(_SCRIPT % basic)
    body = urlencode({"grant_type": "authorization_code", "redirect_uri": REDIRECT,
                      "code_verifier": verifier})  # fmt: skip
    output = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
         "-s", str(script), url, "--", str(codes), str(THREADS), body],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def milliseconds(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        assert match, output
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return float(match.group(1)) * scale

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    assert rate, output
    return {"rate": float(rate.group(1)), "p50": milliseconds("50%"),
            "p99": milliseconds("99%"), "failed": float(failed.group(1)) if failed else 0.0}  # fmt: skip


async def _fill(redis_url: str, codes: list[str], record: dict[str, object]) -> None:
    """Store ``codes`` as the authorization step does (a store of this event loop)."""
    store = RedisStore.from_url(redis_url)
    for start in range(0, len(codes), 500):
        await asyncio.gather(
            *(store.put(hashed_key("code", c), record, 600) for c in codes[start : start + 500])
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as redis_url:
        tmp = Path(folder)
        card, _ = create_virtual_card(tmp / "card", VirtualCardSpec(key_kind="ec"), seed=b"bench")
        pki = card.pki()
        portal = {"id": "bench", "kind": "oidc", "redirect_uris": [REDIRECT],
                  "attributes": ["given_name", "family_name"], "client_secret": SECRET}  # fmt: skip
        with TestServices(pki, port=urlsplit(pki.base_url).port or 0):
            data = development_config(card, directory=tmp, portals=[portal], redis=redis_url)
            service = build_service(write_toml(data, tmp / "config.toml"))
            with card.open() as token:
                challenge = service.authenticator.new_challenge()
                login = service.authenticator.verify(
                    respond(token, challenge), challenge=challenge.nonce
                )
        person = person_from_result(login, AssuranceTable())
        verifier = secrets.token_urlsafe(48)
        record = {"client_id": "bench", "redirect_uri": REDIRECT, "code_challenge": s256(verifier),
                  "nonce": "n", "language": "en", "person": person, "acting_for": None,
                  "sid": "bench-session", "attributes": portal["attributes"]}  # fmt: skip

        def issue() -> None:
            auth = auth_result_of(person, service.trust)
            statement = service.provider.statement(auth, "bench", session_index="bench-session")
            access = secrets.token_urlsafe(32)
            service.provider.id_token(statement, nonce="n", access_token=access)

        in_process = compare({"issue": issue}, count=300, rounds=3)["issue"]
        print(f"in-process issuance (login rebuilt, statement, ID token): {in_process:8.0f}/s")
        for workers in (1, 2):
            port = free_port()
            data = development_config(
                card, directory=tmp, port=port, portals=[portal], redis=redis_url
            )
            config = tmp / f"config-{workers}.toml"
            write_toml(data, config)
            codes = [secrets.token_urlsafe(32) for _ in range(CODES)]
            asyncio.run(_fill(redis_url, codes, record))
            code_file = tmp / f"codes-{workers}.txt"
            code_file.write_text("\n".join(codes) + "\n")
            environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
            process = subprocess.Popen(
                [sys.executable, "-m", "eid", "serve", "--config", str(config),
                 "--workers", str(workers)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
            )  # fmt: skip
            try:
                _wait(port, process)
                result = _wrk(f"http://127.0.0.1:{port}", code_file, verifier, SECONDS)
            finally:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)
            ratio = result["rate"] / workers / in_process
            print(
                f"token endpoint, {workers} worker(s): {result['rate']:8.0f}/s  "
                f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  "
                f"per worker {ratio:5.2f}x in-process (target >= 0.5)"
                + (f"  [{result['failed']:.0f} refused]" if result["failed"] else "")
            )


if __name__ == "__main__":
    main()
