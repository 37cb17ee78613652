"""The provider's token endpoint under load on loopback, with one and two worker processes.

`eid serve --config FILE --workers N` runs on a real Redis; codes are put in Redis
beforehand exactly as the authorization step stores them, then wrk (a C load generator;
a Lua script hands each request its own code) redeems them with client_secret_basic and
the PKCE verifier for a few seconds. It reports requests per second, p50/p99 latency and
the server's CPU time per request (its processes' user + system time over the run).

The reference is the same work in-process: `eid.web.oidc.exchange` (client authentication,
the code taken from the same Redis, PKCE, the statement, the ID token, the audit line),
called by as many concurrent callers as wrk has connections, on one event loop. Statement
and ID token alone (the login rebuilt once beforehand, as a worker does), which skip the
store and the checks, are printed too, with the budget the narrow reading of the target
leaves a worker per request (half that rate) and what of it is left past the HTTP layer:
a bare ASGI endpoint under uvicorn with `eid serve`'s settings, the same form, the same
wrk run, no work. Target: the endpoint reaches >= 50 % of the in-process rate per worker.
The per-worker ratio is given by the clock (rate / workers) and by CPU per request: on two
shared cores wrk, Redis and two workers cannot each have a core, so the second says what
a worker does with one.

Measured on 2 cores shared with other test runs (load 3 to 5; ``python -m benchmarks
web``, 6 runs): statement and ID token alone ~31 000/s, 32 us CPU; in-process exchange
130-180 us CPU; bare ASGI endpoint ~21 us CPU a request (so half the statement-and-ID-token
rate, ~65 us a request, leaves ~43 us past HTTP: less than one Redis command through
redis-py); endpoint with 1 worker 2 100-4 100/s, p50 4-7 ms, 227-374 us server CPU a
request (best 227; the code before, run alternately under the same load: 263-315, best
263, and 257 on a quiet machine), 0.5-0.65x the exchange by CPU; 2 workers 240-335 us.
CPU time moved by a fifth with the load, so the worker was also counted in instructions
(callgrind on the uvicorn worker under wrk, ~1 800 requests): 1.33 M user-space
instructions a request, 1.62 M before (the bare endpoint: 0.12 M). Before the token
endpoint's first rework: ~1 900/s and ~500 us CPU a request with 1 worker.
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
from typing import Any
from urllib.parse import urlencode, urlsplit

import uvloop

from benchmarks.timing import compare
from eid.auth import respond
from eid.pki.services import TestServices
from eid.sso import AssuranceTable
from eid.tokens.virtual import VirtualCardSpec, create_virtual_card
from eid.web.audit import AuditLog
from eid.web.config import WebConfig
from eid.web.dev import development_config, write_toml
from eid.web.oidc import exchange, hashed_key, s256
from eid.web.persons import auth_result_of, person_from_result
from eid.web.service import build_service
from eid.web.store import RedisStore
from tests.redis_server import free_port, redis_server

SECONDS = 8
THREADS = 1
CONNECTIONS = 16
CODES = 80_000
IN_PROCESS_CODES = 8_000
SECRET = "bench-client-secret-0123456789"
REDIRECT = "http://127.0.0.1:9/cb"


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The HTTP layer's own cost: an ASGI endpoint that reads the form and answers, doing no work."""
    assert scope["type"] == "http"
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": _BARE_HEADERS})
    await send({"type": "http.response.body", "body": _BARE_BODY})


_BARE_BODY = b'{"token_type":"Bearer"}'
_BARE_HEADERS = [(b"content-type", b"application/json"),
                 (b"content-length", str(len(_BARE_BODY)).encode())]  # fmt: skip


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
    """Run wrk against the token endpoint: rate, requests, p50 and p99 (ms), non-2xx count."""
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
    requests = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    assert rate, output
    assert requests, output
    return {"rate": float(rate.group(1)), "requests": float(requests.group(1)),
            "p50": milliseconds("50%"), "p99": milliseconds("99%"),
            "failed": float(failed.group(1)) if failed else 0.0}  # fmt: skip


async def _fill(redis_url: str, codes: list[str], record: dict[str, object]) -> None:
    """Store ``codes`` as the authorization step does (a store of this event loop)."""
    store = RedisStore.from_url(redis_url)
    for start in range(0, len(codes), 500):
        await asyncio.gather(
            *(store.put(hashed_key("code", c), record, 600) for c in codes[start : start + 500])
        )


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its descendants so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    family, born = {pid}, {pid}
    while born:
        born = {child for child, parent in parents.items() if parent in born}
        family |= born
    return sum(used.get(process, 0.0) for process in family)


def _in_process(
    config: WebConfig, codes: list[str], verifier: str, authorization: str
) -> tuple[float, float]:
    """`exchange` of every code by CONNECTIONS concurrent callers on one event loop, as a
    worker runs it minus HTTP: requests per second, and CPU seconds per request."""
    service = build_service(config)
    pending = iter(codes)

    async def caller() -> None:
        for code in pending:
            form = {"grant_type": "authorization_code", "code": code,
                    "redirect_uri": REDIRECT, "code_verifier": verifier}  # fmt: skip
            await exchange(service, form, authorization, "127.0.0.1")

    async def run() -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(caller() for _ in range(CONNECTIONS)))
        return time.perf_counter() - start, time.process_time() - cpu

    with open(os.devnull, "w") as sink:  # where the server's audit lines go too
        service.audit = AuditLog(config.secret, stream=sink)
        wall, cpu = uvloop.run(run())
    return len(codes) / wall, cpu / len(codes)


def _bare_command(port: int) -> list[str]:
    """`bare_app` under uvicorn as `eid serve` runs the provider (one worker, its settings)."""
    code = (
        "import uvicorn; from eid.cli.serve import UVICORN_SETTINGS as settings; "
        f"uvicorn.run('benchmarks.bench_web:bare_app', host='127.0.0.1', port={port}, "
        "lifespan='off', **settings)"
    )
    return [sys.executable, "-c", code]


def _load(
    command: list[str], port: int, code_file: Path, verifier: str
) -> tuple[dict[str, float], float]:
    """Start ``command``, run wrk once it listens: wrk's figures, and server CPU seconds a request."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
    )
    try:
        _wait(port, process)
        time.sleep(1)  # every worker up
        before = _cpu_seconds(process.pid)
        result = _wrk(f"http://127.0.0.1:{port}", code_file, verifier, SECONDS)
        cpu = (_cpu_seconds(process.pid) - before) / result["requests"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return result, cpu


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as redis_url:
        tmp = Path(folder)
        card, _ = create_virtual_card(tmp / "card", VirtualCardSpec(key_kind="ec"), seed=b"bench")
        pki = card.pki()
        portal = {"id": "bench", "kind": "oidc", "redirect_uris": [REDIRECT],
                  "attributes": ["given_name", "family_name"], "client_secret": SECRET}  # fmt: skip
        with TestServices(pki, port=urlsplit(pki.base_url).port or 0):
            data = development_config(card, directory=tmp, portals=[portal], redis=redis_url)
            config = write_toml(data, tmp / "config.toml")
            service = build_service(config)
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
        basic = "Basic " + base64.b64encode(f"bench:{SECRET}".encode()).decode()

        auth = auth_result_of(person, service.trust)  # a worker rebuilds a login once

        def issue() -> None:
            statement = service.provider.statement(auth, "bench", session_index="bench-session")
            access = secrets.token_urlsafe(32)
            service.provider.id_token(statement, nonce="n", access_token=access)

        core = compare({"issue": issue}, count=300, rounds=3, clock=time.process_time)["issue"]
        print(f"in-process, statement and ID token only:   {core:8.0f}/s  "
              f"{1e6 / core:5.0f} us CPU")  # fmt: skip
        codes = [secrets.token_urlsafe(32) for _ in range(IN_PROCESS_CODES)]
        asyncio.run(_fill(redis_url, codes, record))
        in_process, in_process_cpu = _in_process(config, codes, verifier, basic)
        print(f"in-process token exchange ({CONNECTIONS} callers):   {in_process:8.0f}/s  "
              f"{in_process_cpu * 1e6:5.0f} us CPU")  # fmt: skip

        def load(command: list[str], port: int) -> tuple[dict[str, float], float]:
            """wrk against ``command`` serving on ``port``, each request with a fresh code."""
            codes = [secrets.token_urlsafe(32) for _ in range(CODES)]
            asyncio.run(_fill(redis_url, codes, record))
            code_file = tmp / "codes.txt"
            code_file.write_text("\n".join(codes) + "\n")
            return _load(command, port, code_file, verifier)

        port = free_port()
        bare, bare_cpu = load(_bare_command(port), port)
        budget = 2 / core  # seconds of a worker per request at half the statement-and-ID-token rate
        print(f"bare ASGI endpoint, 1 worker:  {bare['rate']:8.0f}/s  p50 {bare['p50']:5.1f} ms  "
              f"p99 {bare['p99']:6.1f} ms  server {bare_cpu * 1e6:4.0f} us CPU/request")  # fmt: skip
        print(f"  budget at 0.5x statement and ID token only: {budget * 1e6:4.0f} us a request, "
              f"{(budget - bare_cpu) * 1e6:4.0f} us of it left past the HTTP layer")  # fmt: skip
        for workers in (1, 2):
            port = free_port()
            data = development_config(
                card, directory=tmp, port=port, portals=[portal], redis=redis_url
            )
            config_file = tmp / f"config-{workers}.toml"
            write_toml(data, config_file)
            command = [sys.executable, "-m", "eid", "serve", "--config", str(config_file),
                       "--workers", str(workers)]  # fmt: skip
            result, cpu = load(command, port)
            print(
                f"token endpoint, {workers} worker(s): {result['rate']:8.0f}/s  "
                f"p50 {result['p50']:5.1f} ms  p99 {result['p99']:6.1f} ms  "
                f"server {cpu * 1e6:4.0f} us CPU/request"
                + (f"  [{result['failed']:.0f} refused]" if result["failed"] else "")
            )
            print(
                f"  per worker: {result['rate'] / workers / in_process:4.2f}x the in-process "
                f"exchange by the clock, {in_process_cpu / cpu:4.2f}x by CPU per request "
                f"(target >= 0.5); {result['rate'] / workers / core:4.2f}x statement and "
                f"ID token only by the clock, {1 / core / cpu:4.2f}x by CPU"
            )


if __name__ == "__main__":
    main()
