"""Hypothesis profiles for the property tests of outside input.

``fuzz-ci`` (the default) is what ``make test`` runs: derandomised examples, so the suite
stays reproducible; about 30 s of CPU for tests/fuzz. ``HYPOTHESIS_PROFILE=fuzz-long`` runs
25 times as many random examples per property (``make test`` or pytest tests/fuzz).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from fuzz import checks

settings.register_profile(
    "fuzz-ci",
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "fuzz-long",
    max_examples=10000,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci"))


@pytest.fixture(scope="session", autouse=True)
def _signed_material() -> None:
    """Make the signed material once, before any example's deadline clock runs."""
    checks.prepare()
