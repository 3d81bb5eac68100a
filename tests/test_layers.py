"""The layers of pyproject.toml's import-linter contract hold, and a wrong-way import breaks
them: the check runs the real `lint-imports` over the source, and over a copy of it with one
import added against the layers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) \
    or shutil.which("lint-imports")


def lint_imports(cwd: Path, python_path: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(python_path)} if python_path else dict(os.environ)
    # The contracts are read from pyproject.toml in `cwd`; grimp's own cache stays out of
    # the tree.
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_layers_hold():
    assert LINT_IMPORTS, "import-linter is a test dependency (pip install -e '.[test]')"
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, wrong_way, broken", [
    # IAM semantics importing a reporter.
    ("oidclint/iam/catalog.py", "import oidclint.reporters.sarif", "Layers"),
    # A rule importing a reader.
    ("oidclint_rules/oidc204_broad_subject.py", "import oidclint.readers.terraform.reader",
     "Rules read the graph"),
    # A reader importing the scan's scheduling.
    ("oidclint/readers/workloads/kubernetes.py", "import oidclint.prefilter", "Layers"),
    # A reporter reading files for itself.
    ("oidclint/reporters/markdown.py", "import oidclint.discovery", "Reporters show"),
    # A cycle: the module the evaluator's modules build on importing one of them.
    ("oidclint/hcl/values.py", "import oidclint.hcl.module", "No import cycle"),
])
def test_a_wrong_way_import_breaks_them(tmp_path, module, wrong_way, broken):
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "analyzer" / "oidclint", copy / "oidclint")
    shutil.copytree(ROOT / "rules" / "oidclint_rules", copy / "oidclint_rules")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = copy / module
    assert target.exists(), module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{wrong_way}\n", encoding="utf-8")
    result = lint_imports(tmp_path, python_path=copy)
    assert result.returncode != 0, result.stdout
    broken_lines = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    # The contract the import is against is broken (a wrong-way import often makes a cycle
    # too).
    assert any(line.startswith(broken) for line in broken_lines), result.stdout
    imported = wrong_way.split()[-1]
    assert imported in result.stdout or f".{imported.rsplit('.', 1)[-1]}" in result.stdout
