"""What the tests of the project configuration share: files written into a tree, a git work
tree, and `oidclint scan --format json` run on it in this process.

Loaded as a plugin (``pytest_plugins`` in conftest.py) for its fixture
`no_ambient_repository`, which a test module that scans asks for with
``pytestmark = pytest.mark.usefixtures("no_ambient_repository")``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oidclint.cli import app


runner = CliRunner()


@pytest.fixture
def no_ambient_repository(monkeypatch):
    # The repository falls back to GITHUB_REPOSITORY; CI sets it.
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def git_init(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


def scan_json(*args: str):
    """``oidclint scan --format json ARGS``: the result and the parsed report (or None)."""
    result = runner.invoke(app, ["scan", "--format", "json", *args])
    data = json.loads(result.stdout) if result.exit_code in (0, 1) else None
    return result, data


def rule_ids(data) -> list[str]:
    return [f["rule_id"] for f in data["findings"]]
