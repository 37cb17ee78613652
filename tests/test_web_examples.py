"""The example portals are part of the package, so an installed `eid` can run them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_example_portals(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("eid-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("__init__", "my_enterprise", "tax_on_web"):
        assert f"eid/examples/{module}.py" in names
    # Installed without the source tree, the examples import from the wheel alone.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import eid.examples.my_enterprise as m, eid.examples.tax_on_web as t, eid.cli.serve; "
        "print(m.__file__); print(callable(m.create_portal) and callable(t.create_portal))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {probe}"],
        check=True, capture_output=True, text=True, cwd=tmp_path, timeout=120,
    ).stdout.split()  # fmt: skip
    assert out[0].startswith(str(site))
    assert out[1] == "True"
