"""A good stack with hostile files beside it, scanned in this process, and what the scan said
about each file: what the tests of hostile input share."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from oidclint.engine import scan
from test_bad_input import GOOD_BUT_FLAWED


WORKFLOW = ".github/workflows/deploy.yml"
GITLAB = ".gitlab-ci.yml"
W, N, E = "WARNING", "NOTE", "ERROR"


# YAML and JSON are read with libyaml where PyYAML has it (its wheels do), else with PyYAML's
# own scanner: the two word some errors differently.
LIBYAML = yaml.__with_libyaml__


def too_deep(what: str, line: int, column: int) -> list[tuple[str, str, tuple[int, int] | None]]:
    """libyaml stops at 1,000 levels and says where; PyYAML's own composer runs out of
    Python stack."""
    if LIBYAML:
        return [(f"{what} syntax error: line {line}, column {column}: exceeded maximum "
                 "nesting depth", W, (line, column))]
    return [(f"{what} syntax error: nested too deeply to read", W, None)]


def scan_tree(tmp_path: Path, monkeypatch, files: dict[str, Path | bytes | str], **kwargs):
    """The good stack plus ``files`` (tree path -> content), scanned from inside the tree."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.tf").write_text(GOOD_BUT_FLAWED)
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    # Every file parsed: the corpus tests the parsers; most of it would not pass the prefilter.
    return scan([tmp_path], root=tmp_path, prefilter=False, **kwargs)


def outcome(report, path: str):
    return [(d.message, d.level.name, (d.span.line, d.span.column) if d.span else None)
            for d in report.diagnostics if d.path == path]


def findings(report):
    return [(f.rule_id, f.span.path) for f in report.findings]
