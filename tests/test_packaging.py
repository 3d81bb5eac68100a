"""The distribution: one wheel holding exactly the engine and the rule pack."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_top_level_packages_are_exactly_oidclint_and_oidclint_rules(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("oidclint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"oidclint", "oidclint_rules"}
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "oidclint = oidclint.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
