"""Run every fuzz target for a while; report findings; exit 1 when there is one (``make fuzz``).

Environment: ``FUZZ_SECONDS`` per target (default 600), ``FUZZ_JOBS`` targets at a time
(default 2), ``FUZZ_TARGETS`` (space-separated names, default all), ``FUZZ_TIMEOUT`` seconds
one input may take (default 10), ``FUZZ_RSS_MB`` memory one target may use (default 2048),
``EID_INTEROP_DIR`` the interop corpus for the seeds (default ``../shared/data/interop``).

Each target keeps its corpus in ``fuzz/corpus/<target>`` (seeded from `fuzz.seeds`, grown by
the fuzzer, not checked in) and its log in ``fuzz/logs/<target>.log``. A finding is an input
that crashed (an exception other than `EidError`, or a broken invariant), took longer than
the timeout or more memory than the limit; libFuzzer writes it to
``fuzz/findings/<target>/<kind>-<sha1>``, and this script adds one line per finding to
``fuzz/findings/SUMMARY.txt``. Reproduce one with
``python -m fuzz.targets.<target> fuzz/findings/<target>/<file>``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_KINDS = ("crash-", "timeout-", "oom-", "leak-")


@dataclass(frozen=True)
class Outcome:
    """What one target's run left: its new findings, its exit status and the time it took."""

    target: str
    findings: tuple[Path, ...]
    returncode: int
    seconds: float
    summary: str


def _summary(log: Path) -> str:
    """The exception an input raised, or libFuzzer's own error (timeout, out of memory)."""
    lines = log.read_text(errors="replace").splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("=== Uncaught Python exception"):
            return lines[index + 1].strip() if index + 1 < len(lines) else line.strip()
        if "ERROR: libFuzzer:" in line:
            return line.split("ERROR: ", 1)[1].strip()
    return f"see fuzz/logs/{log.name}"


def run_target(target: str, seconds: int) -> Outcome:
    """Seed, then fuzz ``target`` for ``seconds``; collect what it found."""
    from fuzz.seeds import write_corpus

    corpus = HERE / "corpus" / target
    findings = HERE / "findings" / target
    logs = HERE / "logs"
    for folder in (findings, logs):
        folder.mkdir(parents=True, exist_ok=True)
    write_corpus(target, corpus)
    before = set(findings.iterdir())
    log = logs / f"{target}.log"
    command = [
        sys.executable,
        "-m",
        f"fuzz.targets.{target}",
        f"-max_total_time={seconds}",
        f"-timeout={os.environ.get('FUZZ_TIMEOUT', '10')}",
        f"-rss_limit_mb={os.environ.get('FUZZ_RSS_MB', '2048')}",
        "-print_final_stats=1",
        f"-artifact_prefix={findings}/",
        str(corpus),
    ]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    started = time.monotonic()
    with log.open("wb") as output:
        done = subprocess.run(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    new = tuple(sorted(p for p in set(findings.iterdir()) - before if p.name.startswith(_KINDS)))
    summary = _summary(log) if new else ""
    return Outcome(target, new, done.returncode, time.monotonic() - started, summary)


def main() -> int:
    """Run the targets two at a time (``FUZZ_JOBS``); print and record the findings."""
    from fuzz.checks import CHECKS

    seconds = int(os.environ.get("FUZZ_SECONDS", "600"))
    jobs = int(os.environ.get("FUZZ_JOBS", "2"))
    targets = os.environ.get("FUZZ_TARGETS", "").split() or list(CHECKS)
    unknown = sorted(set(targets) - set(CHECKS))
    if unknown:
        print(f"unknown fuzz targets: {', '.join(unknown)}; known: {', '.join(CHECKS)}")
        return 2
    print(f"fuzzing {len(targets)} targets, {seconds} s each, {jobs} at a time")
    with ThreadPoolExecutor(jobs) as pool:
        outcomes = list(pool.map(lambda t: run_target(t, seconds), targets))
    lines = []
    for outcome in outcomes:
        status = "FINDING" if outcome.findings else ("ok" if outcome.returncode == 0 else "ERROR")
        print(f"{outcome.target:16} {status:8} {outcome.seconds:6.0f} s  {outcome.summary}")
        for path in outcome.findings:
            lines.append(f"{outcome.target}\t{path.relative_to(ROOT)}\t{outcome.summary}")
        if not outcome.findings and outcome.returncode != 0:
            lines.append(
                f"{outcome.target}\t-\texit {outcome.returncode}, see fuzz/logs/{outcome.target}.log"
            )
    if lines:
        summary = HERE / "findings" / "SUMMARY.txt"
        with summary.open("a") as out:
            out.write(
                "".join(
                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\t{line}\n"
                    for line in lines
                )
            )
        print(f"{len(lines)} finding(s); see {summary.relative_to(ROOT)}")
        return 1
    print("no findings")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
