"""Shared fixtures: real virtual cards on SoftHSM2, made once per test session."""

from __future__ import annotations

import os
import shutil
import sysconfig
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eid.tokens import Token
from eid.tokens.virtual import VirtualCard, VirtualCardSpec, create_virtual_card, softhsm_module

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# OpenSC's module: with no pcscd running it loads and sees no reader.
OPENSC = Path(f"/usr/lib/{sysconfig.get_config_var('MULTIARCH')}/opensc-pkcs11.so")
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def softhsm() -> Path:
    """SoftHSM2 must be installed (`make test` installs it); a missing one is a failure, not a skip."""
    assert shutil.which("softhsm2-util"), (
        "softhsm2 is not installed: run `make test`, which installs it"
    )
    return softhsm_module()


@pytest.fixture(scope="session", params=["rsa", "ec"])
def virtual_card(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, softhsm: Path
) -> VirtualCard:
    """A virtual card per key kind (RSA-2048 like applet 1.7, EC P-384 like applet 1.8)."""
    directory = tmp_path_factory.mktemp(f"card-{request.param}")
    spec = VirtualCardSpec(key_kind=request.param)
    card, made = create_virtual_card(
        directory, spec, seed=f"tests-{request.param}".encode(), now=NOW
    )
    assert made
    return card


@pytest.fixture
def token(virtual_card: VirtualCard) -> Iterator[Token]:
    """The virtual card opened as a token (PIN: the test PIN)."""
    with virtual_card.open() as opened:
        yield opened


@pytest.fixture
def eid_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty EID_HOME and no module or PIN from the environment."""
    monkeypatch.setenv("EID_HOME", str(tmp_path / "home"))
    for name in ("EID_PKCS11_MODULE", "EID_PIN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def pytest_configure(config: pytest.Config) -> None:
    # Tests must never pick up a PIN or a module from the developer's environment.
    for name in ("EID_PIN", "EID_PKCS11_MODULE"):
        os.environ.pop(name, None)


@pytest.fixture
def home(tmp_path: Path, virtual_card: VirtualCard) -> Path:
    """An EID_HOME whose virtual card is the session's card (RSA or EC)."""
    (tmp_path / "virtual-card").symlink_to(virtual_card.directory)
    return tmp_path
