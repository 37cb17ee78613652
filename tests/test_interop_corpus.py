"""Real-world signed documents made by other implementations get the verdict EU DSS gives.

Every case of ``fixtures/interop/expected.json`` (origins and licences in
``fixtures/interop/ORIGINS.md``) is verified twice, through the library (`eid.sign.verify`)
and through the command (``eid verify --json`` as a real process), and both verdicts are
compared with the one the source project's own test asserts:

- ``intact``: every signature's integrity holds: no signature ends in HASH_FAILURE,
  SIG_CRYPTO_FAILURE, FORMAT_FAILURE or SIGNED_DATA_NOT_FOUND, and none in
  CRYPTO_CONSTRAINTS_FAILURE either (that means the value was never checked). Trust
  outcomes are ignored, except that a case which names its trust anchors may not end in
  NO_CERTIFICATE_CHAIN_FOUND (the anchors given must be used);
- ``failed``: some signature ends in HASH_FAILURE, SIG_CRYPTO_FAILURE or FORMAT_FAILURE;
- ``indeterminate``: some signature ends in SIGNED_DATA_NOT_FOUND (and none failed).

Each file is a signed document, so neither way may end without a signature, in exit 2, an
internal error (exit 70) or a traceback. Revocation is off (the corpus's responders are not
reachable from tests); a case without trust anchors is verified with an empty trust store.

Cases that later work items still have to fix are in `KNOWN_GAPS`, the only table of
expected failures: strict, so a case that starts passing fails until it leaves the table.
The XAdES cases belong to the XAdES issue and are listed, by name, in `XADES_CASES`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.sign.verify_document import verify
from tests.cli_support import eid

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "interop"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))

XADES_CASES = frozenset(
    {
        "asic-xades/DSS-2123.asice",
        "asic-xades/container-with-counter-signature.asice",
        "asic-xades/test+test.edoc",
        "asic-xades/sig-6_2.odt",
        "asic-xades/multifiles-wrong-file.asice",
        "asic-xades/asic-xades-revoc-for-expired-trust-anchor.asics",
        "asic-xades/no-root-signed-file.asics",
        "asic-xades/onefile-wrong-file.asics",
        "xades/Signature-X-BE_ECON-3.xml",
        "xades/xsw-original.xml",
        "xades/XSW-enveloped-fake-content.xml",
        "xades/dss-signed-altered-refRemoved.xml",
        "xades/xades-detached.xml",
        "xades/dss1688.xml",
        "xades/xades-enveloping-arcTst132.xml",
        "xades/xades-tampered-reference.xml",
        "xades/xades-ecc-brainpool.xml",
        "xades/Signature-X-ES-100.xml",
    }
)
"""Out of scope here: XAdES and ASiC with XAdES belong to the XAdES issue (files not copied)."""

KNOWN_GAPS: dict[str, str] = {}
"""Cases that still get another verdict than their source's, and the work item that fixes each."""

_INTEGRITY = {"HASH_FAILURE", "SIG_CRYPTO_FAILURE", "FORMAT_FAILURE"}
_OFF = RevocationSettings(policy=RevocationPolicy.OFF)


def _in_scope() -> list[Any]:
    params = []
    for case in CASES:
        if case["file"] in XADES_CASES:
            continue
        gap = KNOWN_GAPS.get(case["file"])
        marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
        params.append(pytest.param(case, marks=marks, id=case["file"]))
    return params


def verdict(report: dict[str, Any], trusted: bool) -> str:
    """intact, failed, indeterminate, or what else the JSON report says (see the module text)."""
    subs = {s["sub_indication"] for s in report["signatures"]}
    if not subs:
        return "no signature: " + "; ".join(report["problems"])
    if subs & _INTEGRITY:
        return "failed"
    if "SIGNED_DATA_NOT_FOUND" in subs:
        return "indeterminate"
    if "CRYPTO_CONSTRAINTS_FAILURE" in subs:
        return "not checked (CRYPTO_CONSTRAINTS_FAILURE)"
    if trusted and "NO_CERTIFICATE_CHAIN_FOUND" in subs:
        return "intact, but the anchors given were not used"
    return "intact"


def test_every_case_is_in_scope_or_named_out_of_scope() -> None:
    files = {case["file"] for case in CASES}
    assert XADES_CASES.issubset(files)
    assert set(KNOWN_GAPS) <= files - XADES_CASES
    for case in CASES:
        assert (case["file"] in XADES_CASES) == ("XAdES" in case["format"]), case["file"]
        if case["file"] not in XADES_CASES:
            for name in [case["file"], *(case["detached"] or []), *(case["trust"] or [])]:
                assert (CORPUS / name).is_file(), name


@pytest.mark.parametrize("case", _in_scope())
def test_verdict_as_dss_gives_it(case: dict[str, Any], tmp_path: Path) -> None:
    source = CORPUS / case["file"]
    detached = CORPUS / case["detached"][0] if case["detached"] else None
    trust_files = [CORPUS / name for name in case["trust"] or []]
    trusted = bool(trust_files)
    at = dt.datetime.fromisoformat(case["at"].replace("Z", "+00:00")) if case["at"] else None

    library = verify(
        source,
        detached=detached,
        trust=TrustStore.from_paths(trust_files),
        at=at,
        revocation=_OFF,
    ).to_dict()

    no_anchors = tmp_path / "no-anchors"
    no_anchors.mkdir()
    args = [str(source), "--json", "--revocation", "off"]
    args += ["--detached", str(detached)] if detached else []
    args += [f"--trust={path}" for path in trust_files or [no_anchors]]
    args += ["--at", case["at"]] if case["at"] else []
    run = eid("verify", *args, home=tmp_path / "home")
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode in (0, 1), (run.returncode, run.stdout, run.stderr)
    command = json.loads(run.stdout)

    assert [(s["id"], s["indication"], s["sub_indication"]) for s in command["signatures"]] == [
        (s["id"], s["indication"], s["sub_indication"]) for s in library["signatures"]
    ]
    assert run.returncode == (0 if command["indication"] == "TOTAL_PASSED" else 1)
    assert verdict(library, trusted) == case["expected"], library
