"""Automatic fixes: ``scan --fix`` edits the scanned tree in place, ``--diff`` shows the edits.

The workflow fix adds ``id-token: write`` to a GitHub job's own block-style permissions
(OIDC112). Each shape it applies to has its text before and after; the shapes it must leave to
a person get no fix at all. The trust policy fixes are tested in ``test_trust_fixes.py``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from oidclint import fixing
from oidclint.cli import app
from oidclint.engine import scan
from oidclint.model import Finding, Fix, Level, Report, TextEdit
from oidclint.reporters import FORMATS
from oidclint.source import Span

runner = CliRunner()
WORKFLOW = ".github/workflows/deploy.yml"
STEPS = """\
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/api-deploy
          aws-region: eu-west-1
"""


def workflow(job_permissions: str, top: str = "") -> str:
    return ("name: deploy\non:\n  push:\n    branches: [main]\n" + top
            + "jobs:\n  deploy:\n    runs-on: ubuntu-latest\n" + job_permissions + STEPS)


def tree(tmp_path: Path, text: str, name: str = WORKFLOW, newline: str | None = None) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline=newline) as out:
        out.write(text)
    return path


def findings(root: Path, rule: str = "OIDC112") -> list[Finding]:
    report = scan([root], None, repository="acme/api")
    return [f for f in report.findings if f.rule_id == rule]


def fix_cli(root: Path, *more: str):
    return runner.invoke(app, ["scan", str(root), "--repository", "acme/api", "--no-cache",
                               "--fail-on", "never", *more])


FIXED = [
    pytest.param(
        "    permissions:\n      contents: read\n      packages: read\n",
        "    permissions:\n      id-token: write\n      contents: read\n      packages: read\n",
        id="adds-to-other-keys"),
    pytest.param(
        "    permissions:\n      contents: read\n      id-token: read\n",
        "    permissions:\n      contents: read\n      id-token: write\n",
        id="read-becomes-write"),
    pytest.param(
        "    permissions:\n      id-token: 'none'  # no token yet\n",
        "    permissions:\n      id-token: write  # no token yet\n",
        id="quoted-none-becomes-write"),
    pytest.param(
        "    permissions:   # what the token may do\n"
        "        # read the code\n\n"
        "        contents:    read   # spacing kept\n",
        "    permissions:   # what the token may do\n"
        "        # read the code\n\n"
        "        id-token: write\n"
        "        contents:    read   # spacing kept\n",
        id="comments-and-formatting-kept"),
]


@pytest.mark.parametrize("before, after", FIXED)
def test_fix_edits_the_job_permissions_and_the_finding_is_gone(tmp_path, before, after):
    path = tree(tmp_path, workflow(before))
    assert [f.autofix is not None for f in findings(tmp_path)] == [True]
    result = fix_cli(tmp_path, "--fix")
    assert result.exit_code == 0, result.output
    assert path.read_text() == workflow(after)
    # The report printed is the scan after fixing, and scanning again finds nothing to fix.
    assert "OIDC112" not in result.stdout
    assert findings(tmp_path) == []


def test_crlf_file_stays_crlf(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"), newline="\r\n")
    assert fix_cli(tmp_path, "--fix").exit_code == 0
    data = path.read_bytes()
    assert b"    permissions:\r\n      id-token: write\r\n      contents: read\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")
    assert findings(tmp_path) == []


def test_utf8_bom_is_kept(tmp_path):
    path = tree(tmp_path, "\ufeff" + workflow("    permissions:\n      contents: read\n"))
    assert fix_cli(tmp_path, "--fix").exit_code == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbfname: deploy\n")
    assert findings(tmp_path) == []


UNFIXED = [
    pytest.param(workflow("", top="permissions:\n  contents: read\n"), id="workflow-level-only"),
    pytest.param(workflow("    permissions: {contents: read}\n"), id="flow-style"),
    pytest.param(workflow("    permissions: read-all\n"), id="read-all"),
    pytest.param(workflow("    permissions:\n      id-token: ${{ inputs.level }}\n"),
                 id="expression"),
    pytest.param(workflow("    permissions: &perms\n      contents: read\n"), id="anchor"),
    pytest.param(workflow("    permissions: !!map\n      contents: read\n"), id="tag"),
]


@pytest.mark.parametrize("text", UNFIXED)
def test_shapes_left_to_a_person_get_no_fix(tmp_path, text):
    path = tree(tmp_path, text)
    found = findings(tmp_path)
    assert len(found) == 1 and found[0].autofix is None
    assert found[0].fix  # the help in words is still there
    result = fix_cli(tmp_path, "--fix")
    assert result.exit_code == 0, result.output
    assert path.read_text() == text
    assert "OIDC112" in result.stdout


def test_alias_shared_with_another_job_is_not_edited(tmp_path):
    text = ("name: deploy\non: push\njobs:\n"
            "  build:\n    runs-on: ubuntu-latest\n    permissions: &perms\n"
            "      contents: read\n    steps:\n      - run: make\n"
            "  deploy:\n    runs-on: ubuntu-latest\n    permissions: *perms\n" + STEPS)
    tree(tmp_path, text)
    found = findings(tmp_path)
    assert len(found) == 1 and found[0].autofix is None


def test_job_of_a_reusable_workflow_is_not_edited(tmp_path):
    tree(tmp_path, "name: caller\non: push\njobs:\n  call:\n"
         "    permissions:\n      contents: read\n"
         "    uses: ./.github/workflows/called.yml\n")
    called = ("name: called\non: workflow_call\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
              "    permissions:\n      contents: read\n" + STEPS)
    tree(tmp_path, called, ".github/workflows/called.yml")
    found = findings(tmp_path)
    assert found and all(f.autofix is None for f in found)


def test_diff_writes_nothing(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    before = path.stat()
    result = fix_cli(tmp_path, "--diff")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"--- a/{WORKFLOW}\n+++ b/{WORKFLOW}\n@@ -6,6 +6,7 @@\n"
        "   deploy:\n     runs-on: ubuntu-latest\n     permissions:\n"
        "+      id-token: write\n       contents: read\n     steps:\n"
        "       - uses: aws-actions/configure-aws-credentials@v4\n")
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert path.read_text() == workflow("    permissions:\n      contents: read\n")


def test_diff_applies_with_git(tmp_path):
    """The diff is one ``git apply`` takes, and gives what ``--fix`` writes."""
    tree(tmp_path / "a", workflow("    permissions:\n      contents: read\n      id-token: none\n"))
    tree(tmp_path / "b", workflow("    permissions:\n      contents: read\n      id-token: none\n"))
    patch = fix_cli(tmp_path / "a", "--diff").stdout
    subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=tmp_path / "a",
                   check=True)
    assert fix_cli(tmp_path / "b", "--fix").exit_code == 0
    assert (tmp_path / "a" / WORKFLOW).read_text() == (tmp_path / "b" / WORKFLOW).read_text()


def test_nothing_is_written_without_fix(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    text = path.read_text()
    for flags in ([], ["-f", "sarif"], ["-f", "json"]):
        assert fix_cli(tmp_path, *flags).exit_code == 0
    assert path.read_text() == text


def test_second_fix_changes_nothing(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    first = fix_cli(tmp_path, "--fix")
    assert "applied 1 fix in 1 file" in first.stderr
    fixed = path.read_bytes()
    again = fix_cli(tmp_path, "--fix")
    assert again.exit_code == 0 and "applied" not in again.stderr
    assert path.read_bytes() == fixed
    assert fix_cli(tmp_path, "--diff").stdout == ""


def test_fix_keeps_the_file_mode(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    path.chmod(0o640)
    assert fix_cli(tmp_path, "--fix").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert "id-token: write" in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["deploy.yml"]  # no temporary left


def test_suppressed_finding_is_not_fixed(tmp_path):
    text = workflow("    # oidclint: ignore[OIDC112] this job gets its token elsewhere\n"
                    "    permissions:\n      contents: read\n")
    path = tree(tmp_path, text)
    assert fix_cli(tmp_path, "--diff").stdout == ""
    assert fix_cli(tmp_path, "--fix").exit_code == 0
    assert path.read_text() == text


def test_file_changed_after_the_scan_is_not_written(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    report = scan([tmp_path], None, repository="acme/api")
    changed = workflow("    # edited meanwhile\n    permissions:\n      contents: read\n")
    path.write_text(changed)
    fixes = fixing.plan(report)
    assert fixes.files == [] and fixes.refused == [f"{WORKFLOW}: changed since it was read; "
                                                   "not fixed"]
    assert path.read_text() == changed


def test_file_changed_between_plan_and_write_is_not_written(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    fixes = fixing.plan(scan([tmp_path], None, repository="acme/api"))
    assert len(fixes.changed) == 1
    path.write_text(path.read_text() + "# edited meanwhile\n")
    assert fixing.write(fixes) == []
    assert fixes.refused == [f"{WORKFLOW}: changed since it was read; not fixed"]
    assert "id-token" not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["deploy.yml"]


def test_cli_says_which_file_was_not_fixed_and_exits_2(tmp_path, monkeypatch):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    real_plan = fixing.plan

    def plan_then_edit(report):
        path.write_text(workflow("    permissions:\n      packages: read\n"))
        return real_plan(report)

    monkeypatch.setattr(fixing, "plan", plan_then_edit)
    result = fix_cli(tmp_path, "--fix")
    assert result.exit_code == 2
    assert f"oidclint: {WORKFLOW}: changed since it was read; not fixed" in result.stderr
    assert "id-token" not in path.read_text()


def _report(root: Path, *edits: TextEdit) -> Report:
    found = [Finding("OIDC112", Level.ERROR, "m", edit.span,
                     autofix=Fix("d", (edit,))) for edit in edits]
    return Report(str(root), found, [], 1, [], "0")


def test_overlapping_edits_keep_the_first(tmp_path):
    (tmp_path / "f.yml").write_text("abcdef\n")
    first = TextEdit(Span("f.yml", 1, 2, 1, 5), "bcd", "X")
    later = TextEdit(Span("f.yml", 1, 4, 1, 6), "de", "Y")
    same_place = TextEdit(Span("f.yml", 1, 2, 1, 2), "", "Z")
    fixes = fixing.plan(_report(tmp_path, first, later, same_place, first))
    assert fixes.files[0].after == "aXef\n"
    assert fixes.files[0].skipped == 2


def test_never_writes_outside_the_tree_or_through_a_link(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.yml"
    outside.write_text("abc\n")
    (root / "link.yml").symlink_to(outside)
    (root / "linked").symlink_to(tmp_path)
    edits = [TextEdit(Span(path, 1, 1, 1, 2), "a", "Z")
             for path in ("../outside.yml", str(outside), "link.yml", "linked/outside.yml")]
    fixes = fixing.plan(_report(root, *edits))
    assert fixes.files == []
    assert sorted(fixes.refused) == sorted([
        "../outside.yml: is outside the scanned tree; not fixed",
        f"{outside}: is outside the scanned tree; not fixed",
        "link.yml: is reached through a symbolic link; not fixed",
        "linked/outside.yml: is reached through a symbolic link; not fixed"])
    assert outside.read_text() == "abc\n"


def _apply_sarif(root: Path, log: dict) -> None:
    """Apply a SARIF log's fixes as a SARIF consumer would, from regions and content."""
    for result in log["runs"][0]["results"]:
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                path = root / change["artifactLocation"]["uri"]
                lines = path.read_text().split("\n")
                for replacement in reversed(change["replacements"]):
                    region = replacement["deletedRegion"]
                    start = sum(len(l) + 1 for l in lines[:region["startLine"] - 1]) \
                        + region["startColumn"] - 1
                    end = sum(len(l) + 1 for l in lines[:region["endLine"] - 1]) \
                        + region["endColumn"] - 1
                    text = "\n".join(lines)
                    text = text[:start] + replacement.get("insertedContent", {}).get("text", "") \
                        + text[end:]
                    lines = text.split("\n")
                path.write_text("\n".join(lines))


def test_sarif_fixes_do_what_fix_does(tmp_path):
    for side in ("sarif", "fixed"):
        tree(tmp_path / side, workflow("    permissions:\n      contents: read\n"))
        tree(tmp_path / side, workflow("    permissions:\n      id-token: read\n"),
             ".github/workflows/other.yml")
    log = json.loads(fix_cli(tmp_path / "sarif", "-f", "sarif").stdout)
    fixes = [r["fixes"] for r in log["runs"][0]["results"] if r["ruleId"] == "OIDC112"]
    assert len(fixes) == 2
    assert {f[0]["description"]["text"] for f in fixes} == {
        "Add `id-token: write` to the job's permissions.",
        "Grant `id-token: write` instead of `read` in the job's permissions."}
    _apply_sarif(tmp_path / "sarif", log)
    assert fix_cli(tmp_path / "fixed", "--fix").exit_code == 0
    for name in (WORKFLOW, ".github/workflows/other.yml"):
        assert (tmp_path / "sarif" / name).read_text() == (tmp_path / "fixed" / name).read_text()


@pytest.mark.skipif(
    not os.environ.get("SARIF_MULTITOOL"),
    reason="set SARIF_MULTITOOL to the Sarif.Multitool binary to run Microsoft's validator",
)
def test_sarif_with_fixes_passes_the_multitool(tmp_path):
    scanned = tmp_path / "tree"
    tree(scanned, workflow("    permissions:\n      contents: read\n"))
    tree(scanned, workflow("    permissions:\n      id-token: none\n"),
         ".github/workflows/other.yml")
    report = scan([scanned], None, repository="acme/api")
    assert sum(1 for f in report.findings if f.autofix) == 2
    path = tmp_path / "oidclint.sarif"
    path.write_text(FORMATS["sarif"](report), encoding="utf-8")
    out = subprocess.run(["bash", str(REPO / ".ci" / "validate-sarif.sh"), str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_two_steps_of_one_job_make_one_edit(tmp_path):
    path = tree(tmp_path, workflow("    permissions:\n      contents: read\n")
                + "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
                "          role-to-assume: arn:aws:iam::123456789012:role/api-other\n"
                "          aws-region: eu-west-1\n")
    assert len([f for f in findings(tmp_path) if f.autofix]) == 2
    assert fix_cli(tmp_path, "--fix").exit_code == 0
    assert path.read_text().count("id-token: write") == 1
    assert findings(tmp_path) == []


def test_fix_with_write_baseline_is_a_usage_error(tmp_path):
    tree(tmp_path, workflow("    permissions:\n      contents: read\n"))
    result = fix_cli(tmp_path, "--fix", "--write-baseline", str(tmp_path / "base.json"))
    assert result.exit_code == 2
    assert "--fix and --diff do not go with --write-baseline" in result.stderr
    assert not (tmp_path / "base.json").exists()
