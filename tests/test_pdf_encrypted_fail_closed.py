"""Fail closed on an encrypted PDF: an exception at any step never leaves a signature valid.

`tests/test_verify_fail_closed.py` for a B-LTA signature over a qpdf-encrypted (AES-256,
empty user password) PDF: every step of verification, `eid.sign.pdf_encryption` included,
raises on its first and its last call, and verification must not pass.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eid.errors import EidError
from eid.pki import ValidationCache
from eid.pki.services import TestServices
from eid.sign import Level, ValidationReport, sign_pdf, verify
from tests.pdf_encryption_support import qpdf_encrypt
from tests.sign_support import make_pdf
from tests.test_verify_fail_closed import INJECTED, STEPS, Step, _Counter, _replaced
from tests.verify_support import options, software_signer, trust_of


def _steps() -> list[Step]:
    module = importlib.import_module("eid.sign.pdf_encryption")
    own = [
        Step(module, name)
        for name, value in vars(module).items()
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__
    ]
    return [*STEPS, *own]


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    with TestServices() as running:
        yield running


@pytest.fixture(scope="module")
def encrypted(services: TestServices, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("encrypted")
    source = qpdf_encrypt(make_pdf(folder / "plain.pdf"), folder / "in.pdf", "aes-256")
    signer = software_signer(services.pki)
    return sign_pdf(source, folder / "signed.pdf", signer, options(Level.B_LTA, services)).output


def _verify(path: Path, services: TestServices) -> ValidationReport:
    return verify(path, trust=trust_of(services.pki), cache=ValidationCache())


def test_an_exception_in_any_step_never_passes(encrypted: Path, services: TestServices) -> None:
    steps = _steps()
    with _replaced(steps, lambda step, original: _Counter(original)) as counters:
        report = _verify(encrypted, services)
    assert report.passed, report.to_dict()
    called = sorted(((s, c.calls) for s, c in counters.items() if c.calls), key=lambda p: str(p[0]))
    names = {str(step) for step, _ in called}
    assert {"eid.sign.verify_pdf.unlock", "eid.sign.verify_pdf.encryption_changed"} <= names
    assert "eid.sign.pdf_encryption._cipher" in names
    assert len(called) >= 40, names
    for number, (step, calls) in enumerate(called):
        for at in sorted({1, calls}):
            error = INJECTED[(number + at) % len(INJECTED)]

            def make(
                _: Step, original: Any, at: int = at, error: type[Exception] = error
            ) -> _Counter:
                return _Counter(original, at, error)

            with _replaced([step], make) as injected:
                try:
                    passed = _verify(encrypted, services).passed
                except (error, EidError):
                    passed = False
            assert injected[step].raised, f"{step} call {at} was not reached"
            assert not passed, f"{error.__name__} in {step} (call {at}) left it passed"
