"""Fail closed: an exception at any step of verification never leaves a signature valid.

Every function the verification modules call (their own and those they import), and the
third-party steps that read the files, is replaced in turn by one that raises an arbitrary
exception type on its n-th call, for every format, through the library and the command
line. The files are good B-T signatures (and a B-LTA PDF, and a CMS with a counter-signature
and a counter-signature of that) that pass untouched, verified with revocation required
against loopback services, so every step of a real verification runs. `EidError`
subclasses are not injected: they are the outcomes the code handles on purpose (an expired
certificate later found valid at its proof of existence may pass), each with tests of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import inspect
import types
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from eid.cli.verify import verify as verify_command
from eid.errors import EidError
from eid.pki import TrustStore, ValidationCache
from eid.pki.services import TestServices
from eid.pki.testpki import Holder
from eid.sign import Level, ValidationReport, verify
from fuzz.material import counter_signature, counter_signature_attribute, with_unsigned
from tests.sign_support import pem
from tests.verify_support import options, sign_as, software_signer, trust_of

MODULES = (
    "eid.sign.verify_document",
    "eid.sign.verify_pdf",
    "eid.sign.verify_asic",
    "eid.sign.verify_cms",
    "eid.sign.verify_counter",
    "eid.sign.verify_chain",
    "eid.sign.verify_crypto",
    "eid.sign.container",
)
"""The modules of verification: each function they hold or import is a step."""

THIRD_PARTY = (
    (zipfile.ZipFile, "open"),
    (EmbeddedPdfSignature, "compute_digest"),
    (EmbeddedPdfSignature, "compute_integrity_info"),
)
"""Methods of the libraries that read the files, called by verification."""

INJECTED: tuple[type[Exception], ...] = (
    OverflowError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    UnboundLocalError,
    RecursionError,
    ZeroDivisionError,
    RuntimeError,
    AssertionError,
    MemoryError,
    OSError,
    NotImplementedError,
    LookupError,
    ArithmeticError,
    Exception,
)

KINDS = ("pdf", "pdf-lta", "cades-detached", "cades-enveloping", "cades-counter", "asice", "asics")


@dataclass(frozen=True)
class Step:
    """A replaceable function: ``owner.name``."""

    owner: Any
    name: str

    def __str__(self) -> str:
        owner = getattr(self.owner, "__name__", repr(self.owner))
        return f"{owner}.{self.name}"


@dataclass
class Signed:
    """One signed file and how to verify it."""

    path: Path
    detached: Path | None
    trust: TrustStore
    trust_file: Path


def _steps() -> list[Step]:
    found = [Step(owner, name) for owner, name in THIRD_PARTY]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, types.FunctionType) and not name.startswith("__"):
                found.append(Step(module, name))
    return found


STEPS = _steps()


class _Counter:
    """Wraps a step: counts its calls and raises ``error`` on call number ``at`` (1-based)."""

    def __init__(
        self, original: Callable[..., Any], at: int = 0, error: type[Exception] = Exception
    ):
        self.original, self.at, self.error, self.calls, self.raised = original, at, error, 0, False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.at:
            self.raised = True
            raise self.error("injected")
        return self.original(*args, **kwargs)


@contextlib.contextmanager
def _replaced(
    steps: list[Step], make: Callable[[Step, Any], _Counter]
) -> Iterator[dict[Step, _Counter]]:
    counters: dict[Step, _Counter] = {}
    originals: dict[Step, Any] = {}
    try:
        for step in steps:
            original = inspect.getattr_static(step.owner, step.name)
            originals[step] = original
            counter = make(step, getattr(step.owner, step.name))
            counters[step] = counter
            if isinstance(step.owner, type):
                # a method: bind ``self`` through a plain function wrapper
                def method(self: Any, *args: Any, _c: _Counter = counter, **kwargs: Any) -> Any:
                    return _c(self, *args, **kwargs)

                counter.original = original
                setattr(step.owner, step.name, method)
            else:
                setattr(step.owner, step.name, counter)
        yield counters
    finally:
        for step, original in originals.items():
            setattr(step.owner, step.name, original)


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    with TestServices() as running:
        yield running


@pytest.fixture(scope="module")
def signed(services: TestServices, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Signed]:
    signer = software_signer(services.pki)
    trust = trust_of(services.pki)
    made: dict[str, Signed] = {}
    for kind in KINDS:
        folder = tmp_path_factory.mktemp(kind)
        level = Level.B_LTA if kind == "pdf-lta" else Level.B_T
        made_as = {"pdf-lta": "pdf", "cades-counter": "cades-enveloping"}.get(kind, kind)
        path, detached, _ = sign_as(made_as, signer, options(level, services), folder)
        if kind == "cades-counter":
            _counter_sign(path, services)
        trust_file = folder / "root.pem"
        trust_file.write_bytes(
            pem(services.pki.root.certificate) + pem(services.pki.citizen_ca.certificate)
        )
        made[kind] = Signed(path, detached, trust, trust_file)
    return made


def _counter_sign(path: Path, services: TestServices) -> None:
    """Add a counter-signature by another holder, itself counter-signed by the first."""
    data = path.read_bytes()
    master = cms.ContentInfo.load(data)["content"]["signer_infos"][0]
    witness = services.pki.issue(Holder("Fail", "Witness", "85073003328"), "signature")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = counter_signature(master, witness, signing_time=now)
    first["unsigned_attrs"] = [
        counter_signature_attribute(counter_signature(first, witness, signing_time=now))
    ]
    attribute = counter_signature_attribute(first)
    path.write_bytes(with_unsigned(data, attribute, [witness.cert_der()]))


def _verify(case: Signed) -> ValidationReport:
    return verify(case.path, detached=case.detached, trust=case.trust, cache=ValidationCache())


def _verify_cli(case: Signed) -> int:
    arguments = [str(case.path), "--trust", str(case.trust_file), "--json"]
    if case.detached is not None:
        arguments += ["--detached", str(case.detached)]
    return CliRunner().invoke(verify_command, arguments).exit_code


@pytest.fixture(scope="module")
def called(signed: dict[str, Signed]) -> dict[str, dict[Step, int]]:
    """For each kind: the steps a clean verification calls, and how often."""
    seen: dict[str, dict[Step, int]] = {}
    for kind, case in signed.items():
        with _replaced(STEPS, lambda step, original: _Counter(original)) as counters:
            report = _verify(case)
        assert report.passed, report.to_dict()
        seen[kind] = {step: c.calls for step, c in counters.items() if c.calls}
    return seen


def _inject(case: Signed, step: Step, at: int, error: type[Exception], cli: bool) -> None:
    with _replaced([step], lambda s, original: _Counter(original, at, error)) as counters:
        try:
            if cli:
                code = _verify_cli(case)
                passed = code == 0
            else:
                passed = _verify(case).passed
        except (error, EidError):
            passed = False
    assert counters[step].raised, f"{step} call {at} was not reached"
    assert not passed, f"{error.__name__} in {step} (call {at}) left the verification passed"


def test_every_format_calls_steps_of_every_module(called: dict[str, dict[Step, int]]) -> None:
    for kind, steps in called.items():
        modules = {getattr(s.owner, "__name__", "") for s in steps}
        assert "eid.sign.verify_cms" in modules, kind
        assert "eid.sign.verify_chain" in modules, kind
        assert "eid.sign.verify_crypto" in modules, kind
        assert len(steps) >= 10, (kind, sorted(map(str, steps)))
    counter_steps = {
        s.name for s in called["cades-counter"] if s.owner.__name__.endswith("counter")
    }
    assert {"_check_one", "_entry", "check_signed_data"} <= counter_steps, counter_steps


@pytest.mark.parametrize("kind", KINDS)
def test_an_exception_in_any_step_never_passes(
    signed: dict[str, Signed], called: dict[str, dict[Step, int]], kind: str
) -> None:
    """Every step called, on its first and its last call, with a rotating exception type."""
    for number, (step, calls) in enumerate(sorted(called[kind].items(), key=lambda p: str(p[0]))):
        for at in sorted({1, calls}):
            _inject(signed[kind], step, at, INJECTED[(number + at) % len(INJECTED)], cli=False)


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_injected_exceptions_never_pass_library_or_command_line(
    signed: dict[str, Signed], called: dict[str, dict[Step, int]], kind: str, data: st.DataObject
) -> None:
    steps = sorted(called[kind].items(), key=lambda p: str(p[0]))
    step, calls = data.draw(st.sampled_from(steps), label="step")
    at = data.draw(st.integers(1, calls), label="call")
    error = data.draw(st.sampled_from(INJECTED), label="exception")
    _inject(signed[kind], step, at, error, cli=data.draw(st.booleans(), label="cli"))
