"""What a configuration file turns off is said with the results, since a pull request may
change the file: the rules it disables or re-levels, the files it excludes (counted afresh when
the report comes from the cache), and a scan left with nothing to check made incomplete. A
configuration given in code is the caller's own and is not reported."""

from __future__ import annotations

import json

import pytest

from config_scans import git_init, rule_ids, runner, scan_json, write
from conftest import OPEN_TRUST
from oidclint.cli import app
from oidclint.config import Config
from oidclint.engine import scan

pytestmark = pytest.mark.usefixtures("no_ambient_repository")


def test_the_rules_a_file_disables_or_relevels_are_said_with_the_results(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / "infra" / ".oidclint.toml",
          'disable = ["OIDC204", "wildcard-subject"]\n'
          '[severity]\nOIDC209 = "note"\nmissing-subject-condition = "error"\n')
    result, data = scan_json(str(tmp_path), "--config", str(tmp_path / "infra" / ".oidclint.toml"))
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []
    assert [(d["path"], d["level"], d["message"]) for d in data["diagnostics"]] == [
        ("", "note", "configuration infra/.oidclint.toml changes the level of 1 rule: OIDC209 "
                     "(privileged-role-broad-trust) from error to note"),
        ("", "note", "configuration infra/.oidclint.toml disables 2 rules, whose findings are "
                     "not reported: OIDC203 (wildcard-subject), OIDC204 (broad-subject)"),
    ]  # OIDC201 is an error already: no change to report
    assert "disables 2 rules" in result.stderr
    sarif = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--format", "sarif", "--config",
                                           str(tmp_path / "infra" / ".oidclint.toml")]).stdout)
    notes = [n["message"]["text"] for n in sarif["runs"][0]["invocations"][0]
             ["toolExecutionNotifications"]]
    assert any("disables 2 rules" in n and "OIDC204 (broad-subject)" in n for n in notes)


def test_a_file_that_disables_every_rule_makes_the_scan_incomplete(tmp_path):
    from oidclint.engine import all_rules

    write(tmp_path / "main.tf", OPEN_TRUST)
    every = json.dumps([rule.id for rule in all_rules()])
    write(tmp_path / ".oidclint.toml", f"disable = {every}\n")
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 0 and data["findings"] == []
    assert [(d["level"], d["message"]) for d in data["diagnostics"]] == [
        ("warning", "configuration .oidclint.toml disables every rule: nothing is checked")]
    assert scan_json(str(tmp_path), "--fail-on-incomplete")[0].exit_code == 3


def test_a_file_that_excludes_everything_makes_the_scan_incomplete(tmp_path):
    git_init(tmp_path)
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / "infra" / "iam" / "roles.tf", OPEN_TRUST)
    write(tmp_path / "infra" / "README.md", "not a file oidclint reads\n")
    write(tmp_path / ".oidclint.toml", 'exclude = ["**"]\n')
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 0 and data["findings"] == [] and data["files_scanned"] == 0
    assert [(d["level"], d["message"]) for d in data["diagnostics"]] == [
        ("warning", "configuration .oidclint.toml excludes every file of the scan (2 files): "
                    "nothing is checked")]
    assert scan_json(str(tmp_path), "--fail-on-incomplete")[0].exit_code == 3


def test_the_excluded_count_is_current_when_the_report_comes_from_the_cache(tmp_path):
    tree = tmp_path / "tree"
    write(tree / "main.tf", OPEN_TRUST)
    write(tree / "examples" / "one.tf", OPEN_TRUST)
    write(tree / ".oidclint.toml", 'exclude = ["examples/"]\n')
    cache = ["--cache-dir", str(tmp_path / "cache")]

    def excluded() -> list[str]:
        result, data = scan_json(str(tree), *cache)
        assert rule_ids(data) == ["OIDC204"]
        return [d["message"] for d in data["diagnostics"]]

    assert excluded() == ["configuration .oidclint.toml excludes 1 file from the scan (`exclude`)"]
    write(tree / "examples" / "two.tf", OPEN_TRUST)  # changes nothing the cache key covers
    assert excluded() == ["configuration .oidclint.toml excludes 2 files from the scan "
                          "(`exclude`)"]


def test_a_configuration_given_in_code_is_not_reported(tmp_path, monkeypatch):
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / "examples" / "main.tf", OPEN_TRUST)
    monkeypatch.chdir(tmp_path)
    report = scan([tmp_path], Config(disable=["OIDC203"], severity={"OIDC204": "note"},
                                     exclude=["examples/"], time_budget=600))
    assert report.files_scanned == 1 and [f.level.value for f in report.findings] == ["note"]
    assert report.diagnostics == []
