"""A session's person rebuilt into a login to issue for: validated once, off the event loop."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from typing import Any

import pytest

from eid.auth import AuthResult
from eid.errors import CertificateUntrusted, MalformedInput
from eid.pki import TrustStore
from eid.pki.testpki import TestPKI
from eid.sso import AssuranceTable
from eid.web.persons import Logins, auth_result_of, person_from_result

from .sso_support import ALICE, BOB, login, sso_pki


def _trust() -> TrustStore:
    pki = sso_pki()
    return TrustStore(
        [pki.root.cert_der()], [pki.citizen_ca.cert_der(), pki.foreigner_ca.cert_der()]
    )


def _person(holder: Any = ALICE) -> dict[str, Any]:
    return person_from_result(login(holder), AssuranceTable())


async def _with_ticks(call: Awaitable[AuthResult]) -> tuple[AuthResult, int]:
    """The call's result, and how often another task ran on the event loop meanwhile."""
    ticks = 0
    running = True

    async def ticker() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    try:
        result = await call
    finally:
        running = False
        await task
    return result, ticks - start


def test_a_login_is_rebuilt_in_a_thread_once_then_looked_up() -> None:
    logins, person = Logins(_trust()), _person()

    async def scenario() -> tuple[AuthResult, int, AuthResult, int]:
        cold, cold_ticks = await _with_ticks(logins.of(person))
        warm, warm_ticks = await _with_ticks(logins.of(dict(person)))
        return cold, cold_ticks, warm, warm_ticks

    cold, cold_ticks, warm, warm_ticks = asyncio.run(scenario())
    # The validation ran in a worker thread: the event loop served another task meanwhile.
    assert cold_ticks > 0
    # Known: no thread, no wait, the same login.
    assert warm_ticks == 0
    assert warm is cold
    expected = auth_result_of(person, _trust())
    assert cold.validated.certificate.der == expected.validated.certificate.der
    assert cold.validated.identity == expected.validated.identity
    assert (cold.method, cold.authenticated_at, cold.origin) == (
        expected.method,
        expected.authenticated_at,
        expected.origin,
    )


def test_each_login_is_its_own() -> None:
    logins, alice, bob = Logins(_trust()), _person(ALICE), _person(BOB)
    later = {**alice, "auth_time": alice["auth_time"] + 60}
    other_method = {**alice, "method": "tls_client_certificate"}

    async def scenario() -> list[AuthResult]:
        return [await logins.of(p) for p in (alice, bob, later, other_method, alice)]

    first, second, third, fourth, again = asyncio.run(scenario())
    assert first.validated.identity.serial_number == ALICE.national_number
    assert second.validated.identity.serial_number == BOB.national_number
    assert (third.authenticated_at - first.authenticated_at).total_seconds() == 60
    assert fourth.method == "tls_client_certificate"
    assert first.method != fourth.method
    assert again is first


def test_only_so_many_logins_are_kept() -> None:
    logins, alice, bob = Logins(_trust(), size=1), _person(ALICE), _person(BOB)

    async def scenario() -> int:
        await logins.of(alice)
        await logins.of(bob)  # alice is dropped
        _, ticks = await _with_ticks(logins.of(alice))
        return ticks

    assert asyncio.run(scenario()) > 0


def test_a_login_that_does_not_validate_is_refused_each_time() -> None:
    stranger = TestPKI.create(key_kind="ec", seed=b"another issuer").issue_card(ALICE)
    untrusted = {
        **_person(),
        "certificate": base64.b64encode(stranger.authentication.cert_der()).decode(),
    }
    mangled = {**_person(), "certificate": base64.b64encode(b"\x30\x03\x02\x01\x00").decode()}
    logins = Logins(_trust())

    async def scenario(person: dict[str, Any]) -> AuthResult:
        return await logins.of(person)

    for _ in range(2):  # a refusal is not remembered as a login
        with pytest.raises(CertificateUntrusted):
            asyncio.run(scenario(untrusted))
        with pytest.raises(MalformedInput):
            asyncio.run(scenario(mangled))
