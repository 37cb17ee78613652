"""The command line with hostile data: card fields, file names and errors are printed as data,
and a bug exits 70 in one line. Run as real processes through the `eid` entry point."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eid.errors import MalformedInput, UsageError
from eid.identity import Address
from eid.pki.testpki import TestPKI
from eid.tokens.belpic import encode_address, encode_identity, sign_card_files

from .cli_support import as_json, eid
from .test_identity import make_identity

PKI = TestPKI.create(key_kind="ec", seed=b"hostile cli", now=dt.datetime(2019, 6, 1, tzinfo=dt.UTC))
MARKUP = "[/bold]"
ESCAPE = "\x1b[2J\x1b]0;owned\x07"


def card_directory(tmp_path: Path, **fields: object) -> tuple[Path, Path]:
    """Card files signed by the test RRN, with ``fields`` in the identity; and the root to trust."""
    directory = tmp_path / "files"
    directory.mkdir()
    identity_file = encode_identity(make_identity(**fields))
    address_file = encode_address(Address("Meir 1 [/]", "2000", "x[/].p7m"))
    sign_identity, sign_address = sign_card_files(identity_file, address_file, PKI.rrn.key)
    for name, data in {
        "DATA_FILE": identity_file,
        "ADDRESS_FILE": address_file,
        "SIGN_DATA_FILE": sign_identity,
        "SIGN_ADDRESS_FILE": sign_address,
        "CERT_RN_FILE": PKI.rrn.cert_der(),
    }.items():
        (directory / name).write_bytes(data)
    root = tmp_path / "root.pem"
    root.write_bytes(PKI.root.cert_pem())
    return directory, root


def test_card_fields_with_markup_and_escapes_print_as_data(tmp_path: Path) -> None:
    directory, root = card_directory(
        tmp_path, surname=f"Peeters{MARKUP}", given_names=f"Jan{ESCAPE}", birth_place="[/]"
    )
    result = eid("identity", "--files", str(directory), "--trust", str(root), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Peeters[/bold]" in result.stdout
    assert "x[/].p7m" in result.stdout
    assert "in [/]" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    as_data = eid(
        "identity", "--files", str(directory), "--trust", str(root), "--json", home=tmp_path
    )
    assert as_json(as_data)["identity"]["given_names"] == f"Jan{ESCAPE}"


def test_error_text_with_markup_prints_as_data(tmp_path: Path) -> None:
    missing = tmp_path / "x[/].p7m[bold]\x1b[31m"
    result = eid("identity", "--files", str(missing), home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("eid: usage: ")
    assert "x[/].p7m[bold]" in result.stderr
    assert "\x1b" not in result.stderr
    assert "Traceback" not in result.stderr


def run_with_bug(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real entry point (`eid.cli.main`) with a bug injected into reading card files."""
    script = (
        "import sys, eid.cli.tokens as tokens\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('injected\\nbug')\n"
        "tokens.read_files_dir = broken\n"
        "from eid.cli import main\n"
        "sys.argv = ['eid', *sys.argv[1:]]\n"
        "main()\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "EID_DEBUG"} | (env or {})
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


@pytest.mark.parametrize("as_json_flag", [False, True])
def test_a_bug_exits_70_in_one_line(tmp_path: Path, as_json_flag: bool) -> None:
    args = ["identity", "--files", str(tmp_path)] + (["--json"] if as_json_flag else [])
    result = run_with_bug(*args)
    assert result.returncode == 70
    assert "Traceback" not in result.stderr
    if as_json_flag:
        error = as_json(result)["error"]
        assert error == {"code": "internal_error", "message": "RuntimeError: injected bug"}
    else:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("eid: internal error: RuntimeError: injected bug")
        assert "--debug" in lines[0]


@pytest.mark.parametrize(
    ("args", "env"), [(["--debug"], {}), ([], {"EID_DEBUG": "1"})], ids=["option", "environment"]
)
def test_the_traceback_when_asked(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    result = run_with_bug(*args, "identity", "--files", str(tmp_path), env=env)
    assert result.returncode == 70
    assert "Traceback" in result.stderr
    assert "in broken" in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("eid: internal error: RuntimeError: injected bug")
    )


def test_every_error_message_is_one_line() -> None:
    assert UsageError("first\nsecond\r\n third").message == "first second third"
    error = MalformedInput("a\u2028b", source="x\ny")
    assert "\n" not in str(error)
    assert "\u2028" not in str(error)


def test_a_data_line_is_printed_as_one_line_of_data(capsys: pytest.CaptureFixture[str]) -> None:
    from eid.cli.output import Output

    Output(as_json=False).data_line(f"signer: Jan{ESCAPE}[/bold]\nnext", style="green")
    printed = capsys.readouterr().out
    assert printed == "signer: Jan[2J]0;owned[/bold] next\n"
