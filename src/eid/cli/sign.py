"""`eid sign`: sign files with the card (or any token) as PAdES, CAdES, ASiC-E or ASiC-S."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from eid.cli.options import open_cli_token, token_options
from eid.cli.output import Output, json_option, shown
from eid.cli.testpki import card_trust, test_pki_services, virtual_card_of
from eid.cli.trust import trust_option, trust_store
from eid.errors import UsageError
from eid.sign import (
    EidSigner,
    Level,
    SignatureOptions,
    SignedFile,
    TokenSigner,
    VisibleSignature,
    sign_asice,
    sign_asics,
    sign_cades,
    sign_pdf,
)
from eid.sign.pdf_encryption import environment_password
from eid.sign.validation_data import fetching_context
from eid.tokens import Role, Token
from eid.tokens.token import readable_name

__all__ = ["FORMATS", "Job", "default_output", "plan", "sign", "sign_job", "signing_options"]

FORMATS = ("pades", "cades", "asice", "asics")
"""The formats `eid sign` writes."""


@dataclass(frozen=True)
class Job:
    """One output to write: its format, its inputs (several only for ASiC-E) and where it goes."""

    format: str
    inputs: tuple[Path, ...]
    output: Path
    detached: bool = True


def _format_of(path: Path, chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    return "pades" if path.suffix.lower() == ".pdf" else "cades"


def default_output(path: Path, format: str, *, detached: bool = True) -> Path:
    """Where a signed copy of ``path`` goes by default (beside it)."""
    if format == "pades":
        return path.with_name(f"{path.stem}.signed.pdf")
    if format == "cades":
        return path.with_name(f"{path.name}.p7s" if detached else f"{path.name}.p7m")
    return path.with_name(f"{path.stem}.{format}")


def plan(
    files: Sequence[Path],
    format: str | None,
    output: Path | None,
    *,
    detached: bool | None = None,
    visible: bool = False,
    force: bool = False,
) -> list[Job]:
    """The outputs to write for ``files``, checked before anything is signed.

    Several files make one ASiC-E container with ``--format asice``, else one signed
    copy each (``output``, when given, is then a folder). Raises `UsageError` for a
    missing input, an option that does not fit the format, or an output that
    exists (unless ``force``).
    """
    if not files:
        raise UsageError("name at least one file to sign")
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if detached is not None and any(_format_of(p, format) != "cades" for p in files):
        raise UsageError("--detached/--enveloping are for CAdES only")
    if visible and any(_format_of(p, format) != "pades" for p in files):
        raise UsageError("--visible is for PDF signatures (PAdES) only")
    cades_detached = True if detached is None else detached
    jobs: list[Job]
    if format == "asice":
        target = output or default_output(files[0], "asice")
        jobs = [Job("asice", tuple(files), target)]
    elif len(files) == 1:
        kind = _format_of(files[0], format)
        target = output or default_output(files[0], kind, detached=cades_detached)
        jobs = [Job(kind, (files[0],), target, cades_detached)]
    else:
        if output is not None and not output.is_dir():
            raise UsageError(
                "with several files, -o names an existing folder (or use --format asice "
                "for one container)"
            )
        jobs = []
        for path in files:
            kind = _format_of(path, format)
            target = default_output(path, kind, detached=cades_detached)
            if output is not None:
                target = output / target.name
            jobs.append(Job(kind, (path,), target, cades_detached))
    targets = [job.output.resolve() for job in jobs]
    if len(set(targets)) != len(targets):
        raise UsageError("two outputs would have the same name; sign them one at a time")
    for job in jobs:
        if job.output.exists() and not force:
            raise UsageError(f"{job.output} exists; use --force to overwrite it")
    return jobs


def sign_job(
    job: Job, signer: EidSigner, options: SignatureOptions, *, visible: bool = False
) -> SignedFile:
    """Write one job's output."""
    if job.format == "pades":
        if visible:
            options = replace(options, visible=VisibleSignature())
        return sign_pdf(job.inputs[0], job.output, signer, options, password=environment_password())
    if job.format == "cades":
        return sign_cades(job.inputs[0], job.output, signer, options, detached=job.detached)
    if job.format == "asice":
        return sign_asice(job.inputs, job.output, signer, options)
    return sign_asics(job.inputs[0], job.output, signer, options)


@contextmanager
def signing_options(
    token: Token, level: Level, tsa: str | None, trust: tuple[str, ...]
) -> Iterator[SignatureOptions]:
    """The options for ``level``: the TSA and, from B-LT up, validation data.

    On the virtual card with no ``--tsa``, its test PKI's TSA, OCSP and CRL are
    served on loopback while the block runs, and its test root is trusted.
    """
    card = virtual_card_of(token)
    needs_services = card is not None and ((level.timestamped and tsa is None) or level.long_term)
    if not needs_services:
        if level.timestamped and tsa is None:
            raise UsageError(f"a {level.value} signature needs a timestamp authority: --tsa URL")
        context = fetching_context(trust_store(trust)) if level.long_term else None
        yield SignatureOptions(level=level, tsa_url=tsa, validation_context=context)
        return
    assert card is not None
    pki = card.pki()
    with test_pki_services(pki) as services:
        context = (
            fetching_context(trust_store(trust, default=lambda: card_trust(card)))
            if level.long_term
            else None
        )
        yield SignatureOptions(
            level=level, tsa_url=tsa or services.tsa_url, validation_context=context
        )


def _result(signed: SignedFile, signer: EidSigner, inputs: Sequence[Path]) -> dict[str, object]:
    return {
        **signed.to_dict(),
        "inputs": [str(p) for p in inputs],
        "subject": readable_name(signer.certificate.subject),
    }


def _print_all(out: Output, results: list[dict[str, object]]) -> None:
    for result in results:
        _print(out, result)


def _print(out: Output, result: dict[str, object]) -> None:
    inputs = ", ".join(str(p) for p in result["inputs"])  # type: ignore[attr-defined]
    out.say(
        f"signed {shown(inputs)} -> [bold]{shown(result['output'])}[/bold] "
        f"({shown(result['format'])} {shown(result['level'])}, {shown(result['size'])} bytes) "
        f"by {shown(result['signer'])}"
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    help="pades (default for .pdf), cades (default otherwise), asice (one container), asics.",
)
@click.option(
    "--level",
    type=click.Choice([level.value for level in Level]),
    default=Level.B_B.value,
    show_default=True,
    help="AdES baseline level: B-T adds a timestamp, B-LT validation data, B-LTA an archive timestamp.",
)
@click.option(
    "--key",
    type=click.Choice([Role.SIGNATURE.value, Role.AUTHENTICATION.value]),
    default=Role.SIGNATURE.value,
    show_default=True,
    help="Which of the card's keys signs.",
)
@click.option(
    "--tsa",
    metavar="URL",
    help="RFC 3161 timestamp authority (virtual card: its own, on loopback).",
)
@click.option(
    "--detached/--enveloping",
    default=None,
    help="CAdES: a separate .p7s (default) or a .p7m holding the file.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file (with several files: a folder, or the container with --format asice).",
)
@click.option("--force", is_flag=True, help="Overwrite outputs that exist.")
@click.option("--visible", is_flag=True, help="PAdES: show the signature on the first page.")
@trust_option
@token_options
@json_option
def sign(
    files: tuple[Path, ...],
    format_: str | None,
    level: str,
    key: str,
    tsa: str | None,
    detached: bool | None,
    output: Path | None,
    force: bool,
    visible: bool,
    trust: tuple[str, ...],
    module: Path | None,
    label: str | None,
    as_json: bool,
) -> None:
    """Sign FILE... with the card: PAdES for PDF, CAdES for anything else, or ASiC containers.

    Outputs go beside the inputs (FILE.signed.pdf, FILE.p7s, FILE.p7m, FILE.asice,
    FILE.asics) unless -o says otherwise; they appear only when signing succeeded,
    and an existing one is kept unless --force. --trust matters from B-LT up
    (default: the Belgian roots; the virtual card: its test PKI). An encrypted PDF is
    opened with the password in $EID_PDF_PASSWORD, else the empty user password.
    """
    out = Output(as_json)
    with out.errors_to_exit_codes():
        jobs = plan(list(files), format_, output, detached=detached, visible=visible, force=force)
        chosen = Level(level)
        with (
            open_cli_token(module, label) as token,
            signing_options(token, chosen, tsa, trust) as options,
        ):
            signer = TokenSigner(token, Role(key))
            results = _run(out, jobs, signer, options, visible)
        out.emit({"outputs": results}, lambda: _print_all(out, results))


def _run(
    out: Output, jobs: list[Job], signer: EidSigner, options: SignatureOptions, visible: bool
) -> list[dict[str, object]]:
    if len(jobs) == 1 or out.as_json:
        return [
            _result(sign_job(job, signer, options, visible=visible), signer, job.inputs)
            for job in jobs
        ]
    results = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=out.errors,
    ) as progress:
        task = progress.add_task("signing", total=len(jobs))
        for job in jobs:
            progress.update(task, description=f"signing {shown(job.inputs[0].name)}")
            results.append(
                _result(sign_job(job, signer, options, visible=visible), signer, job.inputs)
            )
            progress.advance(task)
    return results
