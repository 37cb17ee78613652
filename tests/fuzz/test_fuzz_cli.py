"""Property tests of the command line: no input makes a command print a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from eid.cli.app import cli
from eid.tokens.belpic import ADDRESS_FILE, PHOTO_FILE
from fuzz import material
from fuzz.mutation import Mutation, Op, signed_cases
from tests.fuzz.strategies import examples, inputs

mutations = st.builds(
    Mutation,
    st.sampled_from(list(Op)),
    st.integers(0, 16),
    st.integers(0, 1 << 24),
    st.binary(min_size=1, max_size=32),
)
texts = st.text(max_size=40)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output, output
    assert result.exit_code in (0, 1, 2), (result.exit_code, output, result.exception)
    return result.exit_code, output


def _trust_file(directory: Path) -> Path:
    path = directory / "trust.pem"
    if not path.exists():
        path.write_bytes(material.pem_bundle())
    return path


@examples(0.3)
@given(st.integers(0, 4), mutations, st.booleans(), st.one_of(st.none(), texts))
def test_eid_verify_any_document(
    case: int, mutation: Mutation, as_json: bool, at: str | None
) -> None:
    chosen = signed_cases()[case]
    directory = material.documents().directory / "cli"
    main_file, detached = chosen.write(chosen.apply(mutation), directory)
    args = [
        "verify",
        str(main_file),
        "--trust",
        str(_trust_file(material.documents().directory)),
        "--no-revocation",
    ]
    args += ["--detached", str(detached)] if detached else []
    args += ["--at", at] if at is not None else ["--at", material.AT.isoformat()]
    args += ["--json"] if as_json else []
    code, output = _run(*args)
    if as_json and code != 2:
        json.loads(output)


@examples(0.3)
@given(
    st.sampled_from(sorted(material.card_files())),
    st.one_of(st.none(), inputs("identity", max_size=512)),
    st.booleans(),
)
def test_eid_identity_files_any_content(label: str, data: bytes | None, as_json: bool) -> None:
    """A changed or missing card file never gives exit 0 (photo and address may be left out)."""
    directory = material.documents().directory / "card"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir()
    original = material.card_files()
    for name, content in original.items():
        if name != label:
            (directory / name).write_bytes(content)
        elif data is not None:
            (directory / name).write_bytes(data)
    trust = _trust_file(material.documents().directory)
    code, _ = _run(
        "identity",
        "--files",
        str(directory),
        "--trust",
        str(trust),
        *(["--json"] if as_json else []),
    )
    strip = b"\x00" if label == ADDRESS_FILE else b""
    same = data is not None and data.rstrip(strip) == original[label].rstrip(strip)
    optional = label in (PHOTO_FILE, ADDRESS_FILE) and data is None  # shown as absent
    if not same and not optional:
        assert code != 0


@examples(0.3)
@given(
    inputs("webeid_parse", max_size=512), st.one_of(texts, st.just(material.ORIGIN)), st.booleans()
)
def test_eid_webeid_verify_any_token(data: bytes, origin: str, as_json: bool) -> None:
    path = material.documents().directory / "token.json"
    path.write_bytes(data)
    _run(
        "webeid",
        "verify",
        str(path),
        "--origin",
        origin,
        "--challenge",
        material.CHALLENGE,
        "--trust",
        str(_trust_file(material.documents().directory)),
        "--no-revocation",
        "--at",
        material.AT.isoformat(),
        *(["--json"] if as_json else []),
    )
