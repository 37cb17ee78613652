"""ASiC containers as an attacker or another implementation makes them.

Entry names that land on the signed file once unpacked, metadata that inflates to
gigabytes, and packaging that bends EN 319 162-1 (generated here from signed containers).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.pki.testpki import TestPKI
from eid.sign import Indication, SubIndication, sign_asice, verify
from eid.sign.entry_names import colliding_names, file_system_key
from eid.sign.report import Check
from tests.cms_support import timestamp_token
from tests.verify_support import OFF, software_signer, trust_of

FIXTURES = Path(__file__).parent.parent / "fixtures/interop"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-asic")


@pytest.fixture(scope="module")
def signed(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ASiC-E over ``café.txt`` (NFC) and ``doc.txt``."""
    folder = tmp_path_factory.mktemp("asic")
    cafe = folder / unicodedata.normalize("NFC", "café.txt")
    cafe.write_bytes(b"one coffee\n")
    doc = folder / "doc.txt"
    doc.write_bytes(b"I agree.\n")
    return sign_asice([cafe, doc], folder / "signed.asice", software_signer(pki)).output


def _copy(source: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        for name, content in (extra or {}).items():
            new.writestr(name, content)
    return target


def test_the_signed_container_passes(pki: TestPKI, signed: Path) -> None:
    report = verify(signed, trust=trust_of(pki), revocation=OFF)
    assert report.passed, report.to_dict()


SHADOWS = [
    "./doc.txt",
    "DOC.TXT",
    "Doc.txt",
    "doc.txt ",
    "doc.txt.",
    "doc.txt/",
    "doc.txt/inside.txt",
    unicodedata.normalize("NFD", "café.txt"),
    "CAFÉ.TXT",
]


@pytest.mark.parametrize("name", SHADOWS)
def test_a_name_that_shadows_a_signed_file_fails(
    pki: TestPKI, signed: Path, tmp_path: Path, name: str
) -> None:
    shadowed = _copy(signed, tmp_path / "shadowed.asice", {name: b"I refuse.\n"})
    report = verify(shadowed, trust=trust_of(pki), revocation=OFF)
    assert not report.passed
    assert any("same file once unpacked" in p for p in report.problems), report.problems
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE


@pytest.mark.parametrize("name", ["/etc/doc.txt", "../doc.txt", "a/../../doc.txt", "C:/doc.txt"])
def test_a_name_that_escapes_fails(pki: TestPKI, signed: Path, tmp_path: Path, name: str) -> None:
    escaping = _copy(signed, tmp_path / "escaping.asice", {name: b"x"})
    report = verify(escaping, trust=trust_of(pki), revocation=OFF)
    assert any("path traversal" in p for p in report.problems), report.problems
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE


def test_ordinary_names_do_not_collide() -> None:
    names = ["mimetype", "META-INF/", "META-INF/manifest.xml", "META-INF/signature001.p7s"]
    names += ["doc.txt", "doc.txt.p7s", "docs/doc.txt", "a b.txt", "a/b.txt", "Ä.txt", "B.txt"]
    assert colliding_names(names) == []


_SPELLINGS = [
    str.upper,
    str.lower,
    str.swapcase,
    lambda n: "./" + n,
    lambda n: n + ".",
    lambda n: n + " ",
    lambda n: n + "/",
    lambda n: unicodedata.normalize("NFD", n),
    lambda n: unicodedata.normalize("NFC", n),
]


@given(
    name=st.text(
        st.characters(codec="utf-8", exclude_characters="/\\\x00"), min_size=1, max_size=30
    ).filter(lambda n: file_system_key(n) != ""),
    spelling=st.sampled_from(_SPELLINGS),
)
def test_every_other_spelling_of_a_name_collides(name: str, spelling: object) -> None:
    other = spelling(name)  # type: ignore[operator]
    assert file_system_key(file_system_key(name)) == file_system_key(name)
    assert file_system_key(other) == file_system_key(name), (name, other)
    if other != name:
        assert colliding_names([name, other]), (name, other)


@given(st.lists(st.text(max_size=40), max_size=30))
def test_colliding_names_never_raises(names: list[str]) -> None:
    for group in colliding_names(names):
        assert len(group) >= 2
        assert set(group) <= set(names)


def _bomb(target: Path, inflated: int) -> Path:
    """A container whose first entry, ``mimetype``, inflates to ``inflated`` bytes of zeros."""
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(target, "w") as archive:
        info = zipfile.ZipInfo("mimetype")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as entry:
            for _ in range(inflated // len(chunk)):
                entry.write(chunk)
        archive.writestr("META-INF/signature.p7s", b"\x30\x00")
        archive.writestr("doc.txt", b"x")
    return target


def test_a_mimetype_that_inflates_huge_is_not_read(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.asics", 256 << 20)
    assert bomb.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        report = verify(bomb, revocation=OFF)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak
    assert not report.passed
    assert any("mimetype entry is unreadable" in p for p in report.problems), report.problems
    text = str(report.to_dict())
    assert len(text) < 20_000
    assert "\\x00\\x00\\x00\\x00" not in text


# -- packaging deviations (issue 11): warnings; the verdict comes from signatures and manifests --


def _repack(
    source: Path,
    target: Path,
    *,
    mimetype: bytes | None = b"application/vnd.etsi.asic-e+zip",
    last: bool = False,
    compressed: bool = False,
    replace: dict[str, bytes | None] | None = None,
) -> Path:
    """``source`` rewritten: its mimetype changed, moved last, deflated or left out; entries
    replaced (None: removed)."""
    changes = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        entries = [(i.filename, old.read(i)) for i in old.infolist() if i.filename != "mimetype"]
        entries = [(n, changes.get(n, c)) for n, c in entries if changes.get(n, c) is not None]
        first = [("mimetype", mimetype)] if mimetype is not None else []
        for name, content in [*entries, *first] if last else [*first, *entries]:
            method = (
                zipfile.ZIP_DEFLATED if name != "mimetype" or compressed else zipfile.ZIP_STORED
            )
            new.writestr(zipfile.ZipInfo(name), content or b"", compress_type=method)
    return target


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"last": True}, "not the first entry"),
        ({"compressed": True}, "compressed"),
        ({"mimetype": None}, "no mimetype entry"),
        ({"mimetype": b"application/vnd.etsi.asic-e+zip\r\n"}, "white space"),
        ({"mimetype": b"application/zip"}, "not an ASiC type"),
    ],
)
def test_packaging_deviations_are_warnings(
    pki: TestPKI, signed: Path, tmp_path: Path, change: dict[str, object], warning: str
) -> None:
    bent = _repack(signed, tmp_path / "bent.asice", **change)  # type: ignore[arg-type]
    report = verify(bent, trust=trust_of(pki), revocation=OFF)
    assert report.format == "asic-e"
    assert report.passed, report.to_dict()
    assert any(warning in w for w in report.warnings), report.warnings
    assert report.problems == []


@pytest.mark.parametrize("last", [False, True])
def test_missing_and_altered_files_are_judged_despite_the_packaging(
    pki: TestPKI, signed: Path, tmp_path: Path, last: bool
) -> None:
    missing = _repack(signed, tmp_path / "missing.asice", last=last, replace={"doc.txt": None})
    report = verify(missing, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert (signature.indication, signature.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )
    altered = _repack(signed, tmp_path / "altered.asice", last=last, replace={"doc.txt": b"No.\n"})
    report = verify(altered, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert (signature.indication, signature.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


def test_a_zip_without_mimetype_or_signature_is_not_a_signed_document(tmp_path: Path) -> None:
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("doc.txt", b"x")
    report = verify(plain, revocation=OFF)
    assert not report.signed
    assert any("not an ASiC container" in p for p in report.problems)


def test_dss_container_with_mimetype_fourth_and_crlf(pki: TestPKI) -> None:
    """EU DSS ``asice-cades-new-line-mimetype`` (``fixtures/interop/asic-cades/``).

    Origin (shared corpus README): DSS : ``dss-asic-cades/src/test/resources/validation/
    asice-cades-new-line-mimetype`` at d9473b8efea72fd5754623fa92bb9311f2b005c5 (LGPL-2.1),
    renamed with ``.asice``; mimetype ``application/vnd.etsi.asic-e+zip\\r\\n``, 4th entry.
    Expected by ``ASiCEWithNewLineMimeTypeTest``: intact. Its signer is DSS's test PKI
    (not trusted here), so the chain is INDETERMINATE while every integrity check passes.
    """
    sample = (
        Path(__file__).parent.parent
        / "fixtures/interop/asic-cades/asice-cades-new-line-mimetype.asice"
    )
    report = verify(sample, revocation=OFF)
    assert report.format == "asic-e"
    assert report.problems == []
    assert {"not the first entry", "white space"} <= {
        key for key in ("not the first entry", "white space") for w in report.warnings if key in w
    }
    (signature,) = report.signatures
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert signature.missing == [Check.SIGNER_CERTIFICATE]
    assert signature.covers is not None
    assert set(signature.covers.files) == {"test.text", "test2.text", "emptyByteArray"}


def test_dss_manifest_that_covers_another_signature(tmp_path: Path) -> None:
    """EU DSS ``dss1792.asice`` (``fixtures/interop/asic-cades/``): a second signature whose
    manifest covers META-INF entries (the first signature and its manifest).

    Origin (shared corpus README): DSS : ``dss-asic-cades/src/test/resources/validation/
    dss1792.asice`` at d9473b8efea72fd5754623fa92bb9311f2b005c5 (LGPL-2.1). Expected by
    ``DSS1792Test``: both signatures intact. Its signer is DSS's test PKI (not trusted here).
    """
    sample = Path(__file__).parent.parent / "fixtures/interop/asic-cades/dss1792.asice"
    report = verify(sample, revocation=OFF)
    assert [s.missing for s in report.signatures] == [[Check.SIGNER_CERTIFICATE]] * 2
    assert all(s.indication is Indication.INDETERMINATE for s in report.signatures)
    altered = tmp_path / "altered.asice"
    with zipfile.ZipFile(sample) as old, zipfile.ZipFile(altered, "w") as new:
        for info in old.infolist():
            content = old.read(info)
            if info.filename == "META-INF/signature001.p7s":
                content = content[:-1] + bytes([content[-1] ^ 1])
            new.writestr(info, content)
    second = verify(altered, revocation=OFF).signatures[1]
    assert second.id == "META-INF/signature002.p7s"
    assert (second.indication, second.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


# -- container timestamps over an ASiCArchiveManifest ---------------------------------------------


def _archive_manifest(entries: dict[str, bytes]) -> bytes:
    references = "".join(
        f'<asic:DataObjectReference URI="{name}"><ds:DigestMethod Algorithm='
        '"http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>'
        f"{base64.b64encode(hashlib.sha256(content).digest()).decode()}</ds:DigestValue>"
        "</asic:DataObjectReference>"
        for name, content in entries.items()
    )
    return (
        '<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><asic:SigReference '
        'URI="META-INF/timestamp001.tst" MimeType="application/vnd.etsi.timestamp-token"/>'
        f"{references}</asic:ASiCManifest>"
    ).encode()


def _container_token(pki: TestPKI, manifest: bytes) -> bytes:
    tsa = pki.tsa()
    return timestamp_token(
        manifest,
        dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5),
        tsa.cert_der(),
        key=tsa.key,  # type: ignore[arg-type]
        serial_number=9,
    ).dump()


@pytest.mark.parametrize("change", ["none", "covered file", "imprint"])
def test_container_timestamp(tmp_path: Path, change: str) -> None:
    rsa_pki = TestPKI.create(key_kind="rsa", seed=b"verify-asic-container-timestamp")
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"I agree.\n")
    signed = sign_asice([doc], tmp_path / "signed.asice", software_signer(rsa_pki)).output
    with zipfile.ZipFile(signed) as archive:
        covered = {name: archive.read(name) for name in ("META-INF/signature001.p7s", "doc.txt")}
    manifest = _archive_manifest(covered)
    token = _container_token(rsa_pki, manifest)
    if change == "covered file":  # the manifest's digest of the signature, as in DSS's sample
        manifest = _archive_manifest({**covered, "META-INF/signature001.p7s": b"other"})
        token = _container_token(rsa_pki, manifest)
    elif change == "imprint":
        manifest = manifest.replace(b"MimeType=", b"mimeType=")
    stamped = _copy(
        signed,
        tmp_path / "stamped.asice",
        {"META-INF/ASiCArchiveManifest.xml": manifest, "META-INF/timestamp001.tst": token},
    )
    report = verify(stamped, trust=trust_of(rsa_pki), revocation=OFF)
    (signature,) = report.signatures
    (stamp,) = [t for t in signature.timestamps if t.kind == "container"]
    if change == "none":
        assert stamp.valid, stamp
        assert signature.passed, signature.to_dict()
    elif change == "covered file":
        assert (signature.indication, signature.sub_indication) == (
            Indication.TOTAL_FAILED,
            SubIndication.HASH_FAILURE,
        )
    else:
        assert not stamp.valid
        assert any("message imprint" in r for r in stamp.reasons), stamp.reasons
        assert signature.indication is Indication.INDETERMINATE


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("dss1421.asice", Indication.INDETERMINATE),
        ("dss1421-broken.asice", Indication.TOTAL_FAILED),
    ],
)
def test_dss_container_timestamp_samples(sample: str, expected: Indication) -> None:
    """EU DSS ``dss1421.asice`` and ``dss1421-broken.asice`` (``fixtures/interop/asic-cades/``).

    Origin (shared corpus README): DSS : ``dss-asic-cades/src/test/resources/validation/``
    at d9473b8efea72fd5754623fa92bb9311f2b005c5 (LGPL-2.1). ``DSS1421Test``: intact (its
    signer is not trusted here: INDETERMINATE); ``DSS1421BrokenTstTest``: the container
    timestamp's manifest no longer matches (a timestamp hash failure).
    """
    report = verify(FIXTURES / "asic-cades" / sample, revocation=OFF)
    (signature,) = report.signatures
    assert signature.indication is expected
    assert [t.kind for t in signature.timestamps] == ["signature", "container"]
    if expected is Indication.TOTAL_FAILED:
        assert signature.sub_indication is SubIndication.HASH_FAILURE
    else:
        assert signature.missing == [Check.SIGNER_CERTIFICATE]
