"""The GitHub Action as the runner sees it, shared by the tests of action.yml: its definition,
the environment the runner gives a step, a checkout holding an open trust to scan, and an
`oidclint` that only records its arguments.

Loaded as a plugin (``pytest_plugins`` in conftest.py), so that its fixtures `workspace` and
`fake_oidclint` serve every test module."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SAMPLES


ACTION_TEXT = (REPO / "action.yml").read_text()
ACTION = yaml.safe_load(ACTION_TEXT)
STEPS = ACTION["runs"]["steps"]
SCRIPT = REPO / "action" / "scan.sh"


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def step_by_id(step_id: str) -> dict:
    return next(step for step in STEPS if step.get("id") == step_id)


BROKEN = ('resource "aws_iam_role" "broken" {\n'
          '  assume_role_policy = "sts:AssumeRoleWithWebIdentity"\n')  # never closed


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A checkout with the open trust of the github-actions-any-repo sample (OIDC201)."""
    root = tmp_path / "workspace"
    (root / "infra").mkdir(parents=True)
    for source in (SAMPLES / "github-actions-any-repo").glob("*.tf"):
        shutil.copy(source, root / "infra" / source.name)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "infra"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                       env={**os.environ, **GIT_IDENTITY})
    return root


def runner_env(workspace: Path, path_first: Path = Path(sys.executable).parent) -> dict:
    """What the runner sets for a step of this action, less what the host's CI may have set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    files = workspace.parent / "runner"
    files.mkdir(exist_ok=True)
    (files / "summary.md").touch()
    env.update(PATH=f"{path_first}{os.pathsep}{os.environ['PATH']}",
               GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(REPO),
               GITHUB_STEP_SUMMARY=str(files / "summary.md"))
    return env


def read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


FAKE_OIDCLINT = """#!{python}
import json, os, sys
args = sys.argv[1:]
if args[:2] == ["-m", "oidclint"]:  # called as the Python that has oidclint
    args = args[2:]
with open(os.environ["FAKE_OIDCLINT_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if "--output" in args:
    with open(args[args.index("--output") + 1], "w") as out:
        out.write("{{}}")
else:
    print("# oidclint")
sys.exit(int(os.environ.get("FAKE_OIDCLINT_EXIT", "0")) if "sarif" in args else 0)
"""


@pytest.fixture
def fake_oidclint(tmp_path):
    """An `oidclint` that records its arguments, to see exactly what the script passes."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    program = bin_dir / "oidclint"
    program.write_text(FAKE_OIDCLINT.format(python=sys.executable))
    program.chmod(0o755)
    log = tmp_path / "fake-oidclint.log"

    def env_for(workspace: Path, exit_code: int = 0, as_python: bool = False) -> dict:
        env = {**runner_env(workspace, path_first=bin_dir), "FAKE_OIDCLINT_LOG": str(log),
               "FAKE_OIDCLINT_EXIT": str(exit_code)}
        if as_python:
            env["OIDCLINT_PYTHON"] = str(program)
        return env

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return env_for, calls
