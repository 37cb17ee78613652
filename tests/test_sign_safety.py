"""Failures leave no output and never touch the input; large inputs stream in constant memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from eid.errors import PinIncorrect, UsageError
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.sign import (
    EidSigner,
    Level,
    SignatureOptions,
    SoftwareSigner,
    TimestampFailed,
    TokenSigner,
    add_asice_signature,
    sign_asice,
    sign_asics,
    sign_cades,
    sign_pdf,
    verify,
)
from eid.tokens import PinRequest, Role
from eid.tokens.virtual import DEFAULT_PIN, VirtualCard
from tests import sign_support as support
from tests.sign_support import chain_pem, dead_url, make_pdf, openssl_verify

signer = support.signer

Sign = Callable[[Path, Path, EidSigner, SignatureOptions], object]

_FORMATS: dict[str, Sign] = {
    "pades": sign_pdf,
    "cades": sign_cades,
    "cades-enveloping": lambda i, o, s, opt: sign_cades(i, o, s, opt, detached=False),
    "asice": lambda i, o, s, opt: sign_asice([i], o, s, opt),
    "asics": sign_asics,
}


def _assert_untouched(directory: Path, source: Path, before: bytes, output: Path) -> None:
    assert source.read_bytes() == before
    assert not output.exists()
    assert not [p for p in directory.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("fmt", sorted(_FORMATS))
def test_tsa_down_leaves_nothing(signer: EidSigner, tmp_path: Path, fmt: str) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    before = source.read_bytes()
    output = tmp_path / "out.signed"
    options = SignatureOptions(level=Level.B_T, tsa_url=dead_url(), tsa_timeout=2)
    with pytest.raises(TimestampFailed):
        _FORMATS[fmt](source, output, signer, options)
    _assert_untouched(tmp_path, source, before, output)


def test_tsa_down_keeps_an_existing_output(signer: EidSigner, tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    output = tmp_path / "out.p7s"
    output.write_bytes(b"earlier output")
    options = SignatureOptions(level=Level.B_T, tsa_url=dead_url(), tsa_timeout=2)
    with pytest.raises(TimestampFailed):
        sign_cades(source, output, signer, options)
    assert output.read_bytes() == b"earlier output"


def _wrong_signature_pin(request: PinRequest, /) -> str:
    # The login PIN is right; the PIN asked before the signature itself is wrong.
    # (The tests log in first: a PIN typed for a login made by the signature allows it.)
    return DEFAULT_PIN if request.purpose == "login" else "999999"


@pytest.mark.parametrize("fmt", ["pades", "cades", "asice"])
def test_wrong_pin_leaves_nothing(virtual_card: VirtualCard, tmp_path: Path, fmt: str) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    before = source.read_bytes()
    output = tmp_path / "out.signed"
    with virtual_card.open(pin_provider=_wrong_signature_pin) as token:
        token.login()
        with pytest.raises(PinIncorrect):
            _FORMATS[fmt](source, output, TokenSigner(token), SignatureOptions())
    _assert_untouched(tmp_path, source, before, output)


def test_wrong_pin_on_an_existing_container(virtual_card: VirtualCard, tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    with virtual_card.open() as token:
        container = sign_asice([source], tmp_path / "one.asice", TokenSigner(token)).output
    before = container.read_bytes()
    with virtual_card.open(pin_provider=_wrong_signature_pin) as token:
        token.login()
        with pytest.raises(PinIncorrect):
            add_asice_signature(container, tmp_path / "two.asice", TokenSigner(token))
    _assert_untouched(tmp_path, container, before, tmp_path / "two.asice")


def test_authentication_key_and_pss(virtual_card: VirtualCard, tmp_path: Path) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"auth")
    with virtual_card.open() as token:
        for prefer_pss in (False, True):
            signer = TokenSigner(token, Role.AUTHENTICATION, prefer_pss=prefer_pss)
            out = tmp_path / f"auth-{prefer_pss}.p7s"
            sign_cades(data, out, signer, SignatureOptions(digest="sha512"))
            assert openssl_verify(out, chain_pem(signer), tmp_path, data).returncode == 0
        with pytest.raises(UsageError):
            TokenSigner(token, Role.ROOT)


def test_software_signer_checks_its_key(tmp_path: Path) -> None:
    rsa_material = support.software_material("rsa", tmp_path / "rsa")
    ec_material = support.software_material("ec", tmp_path / "ec")
    with pytest.raises(UsageError, match="does not belong"):
        SoftwareSigner.from_pem(ec_material.key_pem, rsa_material.cert_pem)
    from eid.errors import MalformedInput

    with pytest.raises(MalformedInput):
        SoftwareSigner.from_pkcs12(rsa_material.p12, "wrong")
    pss = SoftwareSigner.from_pem(
        rsa_material.key_pem, rsa_material.cert_pem, [rsa_material.chain_pem], prefer_pss=True
    )
    data = tmp_path / "d"
    data.write_bytes(b"pss")
    sign_cades(data, tmp_path / "d.p7s", pss)
    assert openssl_verify(tmp_path / "d.p7s", chain_pem(pss), tmp_path, data).returncode == 0


_LARGE = """
import json, sys, time
from pathlib import Path
from eid.sign import SoftwareSigner, sign_cades
key, cert, chain, data, out = sys.argv[1:6]
signer = SoftwareSigner.from_pem(key, cert, [chain])
size = Path(data).stat().st_size
started = time.perf_counter()
sign_cades(data, out + ".p7s", signer)
detached = time.perf_counter() - started
started = time.perf_counter()
sign_cades(data, out + ".p7m", signer, detached=False)
enveloping = time.perf_counter() - started
# VmHWM is this address space's peak; ru_maxrss would include the parent's size at fork
# (Linux carries it across execve).
status = Path("/proc/self/status").read_text()
peak = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) * 1024
print(json.dumps({"size": size, "detached_s": detached, "enveloping_s": enveloping, "peak": peak}))
"""


def test_large_input_streams_in_constant_memory(tmp_path: Path) -> None:
    material = support.software_material("ec", tmp_path / "keys")
    data = tmp_path / "large.bin"
    block = os.urandom(1 << 20)
    with data.open("wb") as handle:
        for _ in range(200):
            handle.write(block)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _LARGE,
            str(material.key_pem),
            str(material.cert_pem),
            str(material.chain_pem),
            str(data),
            str(tmp_path / "large"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(result.stdout)
    print(measured)  # seen with pytest -s: throughput and peak RSS
    assert measured["peak"] < 100 * 2**20
    assert (tmp_path / "large.p7m").stat().st_size > 200 * 2**20
    signer = SoftwareSigner.from_pem(material.key_pem, material.cert_pem, [material.chain_pem])
    checked = openssl_verify(tmp_path / "large.p7s", chain_pem(signer), tmp_path, data)
    assert checked.returncode == 0, checked.stderr


_LARGE_PDF = """
import json, sys
from pathlib import Path
from eid.sign import SoftwareSigner, sign_pdf
key, cert, chain, source, target = sys.argv[1:6]
signer = SoftwareSigner.from_pem(key, cert, [chain])
def peak():
    status = Path("/proc/self/status").read_text()
    return int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:"))) * 1024
before = peak()
sign_pdf(source, target, signer)
print(json.dumps({"before": before, "after": peak()}))
"""


def _write_large_pdf(path: Path, size: int) -> None:
    """A one-page PDF whose content stream holds ``size`` bytes, written a MiB at a time."""
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    offsets = []
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for number, body in enumerate(head, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        offsets.append(out.tell())
        out.write(b"4 0 obj\n<< /Length %d >>\nstream\n" % size)
        block = b"%" * (1 << 20)
        for _ in range(size // len(block)):
            out.write(block)
        out.write(b"\nendstream\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 5\n0000000000 65535 f \n")
        out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
        out.write(b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)


def test_a_100_mb_pdf_is_signed_without_holding_it_in_memory(tmp_path: Path) -> None:
    material = support.software_material("ec", tmp_path / "keys")
    source, target = tmp_path / "large.pdf", tmp_path / "large.signed.pdf"
    _write_large_pdf(source, 100 << 20)
    result = subprocess.run(
        [sys.executable, "-c", _LARGE_PDF, str(material.key_pem), str(material.cert_pem),
         str(material.chain_pem), str(source), str(target)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    measured = json.loads(result.stdout)
    assert measured["after"] - measured["before"] < 32 << 20, measured  # measured: about 4 MiB
    report = verify(
        target,
        trust=TrustStore.from_paths([material.chain_pem]),
        revocation=RevocationSettings(policy=RevocationPolicy.OFF),
    )
    assert report.passed, report.to_dict()
