"""The command-line contract: formats, output file, exit codes, the rules command."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import OPEN_TRUST, REPO
from oidclint.cli import app
from oidclint.engine import all_rules


runner = CliRunner()


@pytest.fixture
def stack(tmp_path):
    (tmp_path / "main.tf").write_text(OPEN_TRUST)
    return tmp_path


@pytest.mark.parametrize("fail_on, code", [("warning", 1), ("error", 0), ("note", 1), ("never", 0)])
def test_exit_code_follows_fail_on(stack, fail_on, code):
    # repo:acme/* is OIDC204, a warning
    result = runner.invoke(app, ["scan", str(stack), "--fail-on", fail_on])
    assert result.exit_code == code, result.output
    assert "OIDC204" in result.output


def test_clean_tree_exits_zero(tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 0
    assert "No problems found" in result.output


def test_sarif_to_an_output_file(stack, tmp_path):
    out = tmp_path / "out" / "oidclint.sarif"
    result = runner.invoke(app, ["scan", str(stack), "--format", "sarif", "--output", str(out)])
    assert result.exit_code == 1
    log = json.loads(out.read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["OIDC204"]
    assert not list(out.parent.glob(".*.tmp"))


def test_json_and_github_formats(stack):
    data = json.loads(runner.invoke(app, ["scan", str(stack), "--format", "json"]).stdout)
    assert [f["rule_id"] for f in data["findings"]] == ["OIDC204"]
    github = runner.invoke(app, ["scan", str(stack), "--format", "github"]).stdout
    assert re.search(r"^::warning file=main\.tf,line=\d+", github, re.M)


def test_usage_errors_exit_two(stack):
    assert runner.invoke(app, ["scan", str(stack), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["rules", "OIDC999"]).exit_code == 2


def test_unreadable_files_go_to_stderr_and_the_scan_goes_on(stack):
    (stack / "broken.tf").write_text('resource "x" {\n')
    result = runner.invoke(app, ["scan", str(stack)])
    assert result.exit_code == 1
    assert "broken.tf" in result.stderr
    assert "OIDC204" in result.stdout


def test_rules_lists_the_catalog_and_shows_one_rule():
    listing = runner.invoke(app, ["rules"]).stdout
    for rule in all_rules():
        assert rule.id in listing
    one = runner.invoke(app, ["rules", "OIDC203"]).stdout
    assert "wildcard-subject" in one and "Why it matters" in one


def test_the_rules_listing_piped_keeps_one_line_a_rule():
    """Into a file or a pager (not a terminal) the table is not wrapped at 80 columns: each
    rule's summary stays whole on its own line, after aligned columns."""
    lines = runner.invoke(app, ["rules"]).stdout.splitlines()
    assert lines[0].split() == ["ID", "Name", "Level", "Fires", "when"]
    rules = all_rules()
    assert len(lines) == 1 + len(rules)
    start = lines[0].index("Fires when")
    for line, rule in zip(lines[1:], rules):
        info = rule.info()
        assert line.startswith(info.id) and line[start:] == info.summary
        assert line.split()[1:3] == [info.name, info.level.value]


def test_every_rule_documents_every_section():
    for rule in all_rules():
        info = rule.info()
        for section in ("What it does", "Why it matters", "Example", "Fix", "References"):
            assert info.section(section), f"{rule.id} lacks '{section}'"
        assert re.fullmatch(r"OIDC[123]\d\d", info.id) and re.fullmatch(r"[a-z0-9-]+", info.name)


def test_readme_rule_table_matches_the_catalog():
    readme = (REPO / "README.md").read_text()
    table = readme.split("<!-- rules-table:start -->")[1].split("<!-- rules-table:end -->")[0]
    rows = re.findall(r"^\| (OIDC\d+) \| `([a-z0-9-]+)` \| (\w+) \| (.+) \|$", table, re.M)
    expected = [(r.id, r.name, r.level.value, r.summary) for r in (x.info() for x in all_rules())]
    assert rows == expected


def test_readme_commands_that_ci_runs_are_the_ones_shown():
    readme = (REPO / "README.md").read_text()
    for marker in ("ci:scan-command", "ci:test-command"):
        match = re.search(rf"^<!-- {marker}: (.+) -->\n```sh\n(.+)\n```$", readme, re.M)
        assert match, marker
        assert match.group(1) == match.group(2)


# --- start-up ---------------------------------------------------------------------------------


def _imported(*arguments: str, cwd=None) -> tuple[set[str], str]:
    """The modules ``python -m oidclint ARGUMENTS`` imported (``-X importtime``), and what
    it printed."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "oidclint", *arguments],
                          capture_output=True, text=True, cwd=cwd)
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    return names, done.stdout


def test_help_imports_neither_the_engine_nor_the_parsers_nor_the_graph():
    imported, printed = _imported("--help")
    assert "scan" in printed and "oidclint.cli" in imported
    assert not imported & {"oidclint.engine", "oidclint.parsing", "lark", "hcl2", "yaml",
                           "networkx", "rich", "sarif_om"}


def test_a_small_scan_imports_only_the_parsers_its_files_need(tmp_path):
    (tmp_path / "main.tf").write_text(OPEN_TRUST)
    imported, printed = _imported("scan", str(tmp_path), "--format", "json", cwd=tmp_path)
    assert json.loads(printed)["findings"]
    assert {"oidclint.readers.terraform.reader", "networkx"} <= imported
    assert not imported & {"oidclint.readers.cloudformation.reader", "oidclint.readers.workloads.github_actions",
                           "oidclint.readers.workloads.gitlab_ci", "oidclint.readers.terraform.plan",
                           "rich", "sarif_om"}


# --- paths that are not there ---------------------------------------------------------------


@pytest.mark.parametrize("arguments", [
    ["scan", "{missing}"],
    ["scan", "{stack}", "{missing}"],
    ["graph", "{missing}"],
    ["explain", "some-role", "--claim", "sub=x", "--path", "{missing}"],
])
def test_a_path_that_is_not_there_is_a_usage_error(stack, arguments):
    """A mistyped path must not pass as a clean scan of nothing (exit 0) in CI."""
    missing = stack / "no-such-folder"
    result = runner.invoke(app, [a.format(stack=stack, missing=missing) for a in arguments])
    assert result.exit_code == 2
    assert "no-such-folder" in result.output and "does not exist" in result.output


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_report_and_baseline_files_follow_the_umask(stack, tmp_path, umask):
    """Files written with --output and --write-baseline get the permissions a plain write
    gives (the umask's), not those of a temporary file; an existing file keeps its own."""
    previous = os.umask(umask)
    try:
        report, baseline = tmp_path / "report.sarif", tmp_path / "baseline.json"
        result = runner.invoke(app, ["scan", str(stack), "--format", "sarif", "--output",
                                     str(report), "--write-baseline", str(baseline)])
        assert result.exit_code == 0, result.output
        for written in (report, baseline):
            assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~umask
        report.chmod(0o640)
        runner.invoke(app, ["scan", str(stack), "--format", "sarif", "--output", str(report)])
        assert stat.S_IMODE(report.stat().st_mode) == 0o640
    finally:
        os.umask(previous)
