"""Fixtures of the smart-card tier, and the token backends the shared token tests run on.

The card backends need root (pcscd, a private network namespace); elsewhere they are
skipped with the reason shown in the summary (``-ra``). Missing packages are a failure:
`make test` installs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from eid.pki.testpki import Holder, TestPKI
from eid.tokens import Module, PinProvider, Role, Token, list_slots, load_module, open_token
from eid.tokens.virtual import VirtualCard, VirtualCardSpec, create_virtual_card

from ..conftest import NOW
from .emulator import write_card
from .stack import OPENSC, READER, Stack, StackBroken, StackUnavailable, check_available

CARD_PIN = "123456"  # a PIV PIN has 6 to 8 characters
SOFTHSM_PIN = "1234"
HOLDER = Holder("Alice Geldine", "Specimen", "85073003427")


# -- the smart-card stack -----------------------------------------------------------------------


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """pcscd with vpcd's readers, in a private network namespace; stopped by PID at the end."""
    try:
        check_available()
    except StackUnavailable as reason:
        pytest.skip(f"smart-card tier: {reason}")
    except StackBroken as problem:
        pytest.fail(f"smart-card tier: {problem}")
    started = Stack(tmp_path_factory.mktemp("smartcard"))
    try:
        started.start_pcscd()
        yield started
    finally:
        started.close()
        # OpenSC keeps the slots of readers it has seen; start the rest of the session as a
        # process that never saw pcscd (tests/test_tokens.py expects NoReader without it).
        reinitialize_opensc()


def opensc() -> Module:
    """OpenSC's module (loaded once per process)."""
    return load_module(OPENSC)


def reinitialize_opensc() -> None:
    """C_Finalize + C_Initialize: OpenSC forgets the readers it has seen."""
    module = opensc()
    module._reinitialize(module.environment)  # private: tests only


def wait_for_card(present: bool, timeout: float = 15) -> float:
    """Wait until OpenSC sees a token in vpcd's reader (or none); returns the seconds waited."""
    start = time.monotonic()
    while True:
        try:
            slots = list_slots(opensc())
        except Exception:  # NoReader while pcscd starts
            slots = []
        seen = any(s.description == READER and s.token is not None for s in slots)
        if seen == present:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(
                f"OpenSC did not see the card {'arrive' if present else 'leave'} in {timeout} s"
            )
        time.sleep(0.02)


# -- backends -------------------------------------------------------------------------------------


@dataclass
class Backend:
    """A token to run the shared token tests on: SoftHSM2, or the emulated PIV card via OpenSC."""

    name: str
    pin: str
    certificates: dict[Role, x509.Certificate]
    opener: Callable[[PinProvider], Token]
    card: Path | None = None
    stack: Stack | None = None

    @property
    def is_card(self) -> bool:
        return self.card is not None

    def open(self, pin_provider: PinProvider | None = None) -> Token:
        """Open the token; the PIN comes from ``pin_provider``, else it is the right one."""
        return self.opener(pin_provider or (lambda request: self.pin))

    def insert(self, *, fresh: bool = False) -> None:
        """Make sure this card is in the reader (``fresh``: a new card, PIN counter full)."""
        if self.stack is None or self.card is None:
            return
        if not fresh and self.stack.running and self.stack.card == self.card:
            return
        if self.stack.card is not None:
            self.remove()
        self.stack.insert(self.card)
        wait_for_card(True)

    def remove(self) -> None:
        """Take the card out and wait until OpenSC sees the reader empty."""
        assert self.stack is not None
        self.stack.remove()
        wait_for_card(False)


def _piv_card(directory: Path, kind: str) -> tuple[Path, dict[Role, x509.Certificate]]:
    """A PIV card from the test PKI: RSA-2048 keys, or EC P-256 (9A) and P-384 (9C)."""
    pki = TestPKI.create(
        key_kind="rsa" if kind == "rsa" else "ec", seed=f"piv-{kind}".encode(), now=NOW
    )
    if kind == "rsa":
        credentials = pki.issue_card(HOLDER)
        authentication, signature = credentials.authentication, credentials.signature
    else:
        authentication = pki.issue(
            HOLDER, "authentication", key=ec.derive_private_key(0x9A9A9A9A, ec.SECP256R1())
        )
        signature = pki.issue(HOLDER, "signature", key_kind="ec")  # P-384
    write_card(
        directory,
        {
            0x9A: (authentication.key, authentication.certificate),
            0x9C: (signature.key, signature.certificate),
        },
        pin=CARD_PIN,
        guid=bytes.fromhex("e1d0" * 8),
    )
    return directory, {
        Role.AUTHENTICATION: authentication.certificate,
        Role.SIGNATURE: signature.certificate,
    }


BACKENDS = [
    "softhsm-rsa",
    "softhsm-ec",
    pytest.param("card-rsa", marks=pytest.mark.smartcard),
    pytest.param("card-ec", marks=pytest.mark.smartcard),
]


@pytest.fixture(scope="package", params=BACKENDS)
def any_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Backend:
    """One backend per parameter, made once for the package."""
    name: str = request.param
    source, kind = name.split("-")
    directory = tmp_path_factory.mktemp(name)
    if source == "softhsm":
        virtual: VirtualCard
        virtual, _ = create_virtual_card(
            directory, VirtualCardSpec(key_kind=kind, pin=SOFTHSM_PIN), seed=name.encode(), now=NOW
        )
        with virtual.open() as token:
            certificates = {
                role: token.certificate(role).certificate
                for role in (Role.AUTHENTICATION, Role.SIGNATURE)
            }
        return Backend(name, SOFTHSM_PIN, certificates, lambda pin: virtual.open(pin_provider=pin))
    stack: Stack = request.getfixturevalue("stack")
    card, certificates = _piv_card(directory, kind)
    return Backend(
        name,
        CARD_PIN,
        certificates,
        lambda pin: open_token(opensc(), pin_provider=pin),
        card=card,
        stack=stack,
    )


@pytest.fixture
def backend(any_backend: Backend) -> Backend:
    """The backend, its card in the reader."""
    any_backend.insert()
    return any_backend


@pytest.fixture
def card(backend: Backend) -> Backend:
    """Only the card backends (tests using it are deselected on SoftHSM2)."""
    assert backend.is_card
    return backend


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Card-only tests (those using the `card` fixture) are deselected on the SoftHSM2 backends.
    def softhsm_only(item: pytest.Item) -> bool:
        callspec = getattr(item, "callspec", None)
        return (
            "card" in getattr(item, "fixturenames", ())
            and callspec is not None
            and str(callspec.params.get("any_backend", "")).startswith("softhsm")
        )

    deselected = [item for item in items if softhsm_only(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not softhsm_only(item)]


# -- timing of the tier ---------------------------------------------------------------------------

_tier = {"tests": 0, "seconds": 0.0}
_tier_ids: set[str] = set()


def pytest_itemcollected(item: pytest.Item) -> None:
    if item.get_closest_marker("smartcard"):
        _tier_ids.add(item.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid in _tier_ids:
        _tier["seconds"] += report.duration
        if report.when == "call":
            _tier["tests"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _tier["tests"]:
        terminalreporter.write_line(
            f"smart-card tier (pcscd + vpcd + OpenSC + PIV emulator): {_tier['tests']} tests "
            f"in {_tier['seconds']:.1f} s (setup, calls and teardown)"
        )
