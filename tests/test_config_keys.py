"""What each key of the project configuration does to a scan: disable, severity, exclude,
repository and default-branch (and the flags that win over them), trusted-owners,
immutable-subjects, known-roles, var-files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config_scans import git_init, rule_ids, runner, scan_json, write
from conftest import FIXTURES, OPEN_TRUST
from oidclint.cli import app
from oidclint.config import Config
from oidclint.engine import scan

# `repo:acme/*`: OIDC204 (broad-subject), a warning, and nothing else.

pytestmark = pytest.mark.usefixtures("no_ambient_repository")


@pytest.mark.parametrize("which", ["OIDC204", "broad-subject"])
def test_disable_by_id_or_name(tmp_path, which):
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / ".oidclint.toml", f'disable = ["{which}"]\n')
    result, data = scan_json(str(tmp_path), "--fail-on", "note")
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []
    sarif = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--format", "sarif"]).stdout)
    assert "OIDC204" not in [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]


@pytest.mark.parametrize("key, level, code",
                         [("OIDC204", "error", 1), ("broad-subject", "note", 0)])
def test_severity_sets_the_finding_level_and_the_sarif_default_level(tmp_path, key, level, code):
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / ".oidclint.toml", f'[severity]\n{key} = "{level}"\n')
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == code, result.output
    assert [(f["rule_id"], f["level"]) for f in data["findings"]] == [("OIDC204", level)]
    log = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--format", "sarif"]).stdout)
    run = log["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "OIDC204")
    assert rule["defaultConfiguration"]["level"] == level
    assert [r["level"] for r in run["results"]] == [level]
    others = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "OIDC203"]
    assert others[0]["defaultConfiguration"]["level"] == "error"  # untouched


def test_exclude_takes_gitignore_patterns_relative_to_the_config_file(tmp_path, monkeypatch):
    write(tmp_path / "main.tf", OPEN_TRUST)
    for n, where in enumerate(["examples/demo/main.tf", "modules/net/testdata/role.tf",
                               "generated/role.generated.tf"]):
        write(tmp_path / where, OPEN_TRUST.replace('"github"', f'"github{n}"')
              .replace('"deploy"', f'"deploy{n}"').replace(".github.", f".github{n}."))
    write(tmp_path / "examples" / "broken.tf", 'resource "x" {\n')  # never read
    kept = write(tmp_path / "modules" / "net" / "main.tf", "# nothing\n")
    write(tmp_path / ".oidclint.toml",
          'exclude = ["examples/", "**/testdata/**", "*.generated.tf"]\n')
    monkeypatch.chdir(kept.parent)  # patterns are relative to the file, not the working folder
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 1, result.output
    assert {(f["rule_id"], f["path"]) for f in data["findings"]} == {("OIDC204", "main.tf")}
    assert data["files_scanned"] == 2  # main.tf and modules/net/main.tf
    # The four files left out are counted, not read: what a pull request excludes shows.
    assert data["diagnostics"] == [{
        "path": "", "level": "note",
        "message": "configuration .oidclint.toml excludes 4 files from the scan (`exclude`)"}]


def test_exclude_with_a_relative_scan_path_that_goes_up(tmp_path, monkeypatch):
    write(tmp_path / "infra" / "main.tf", "# nothing\n")
    write(tmp_path / "infra" / "legacy" / "main.tf", OPEN_TRUST)
    write(tmp_path / ".oidclint.toml", 'exclude = ["/infra/legacy/"]\n')
    monkeypatch.chdir(write(tmp_path / "docs" / "README.md", "").parent)
    result, data = scan_json("../infra")
    assert result.exit_code == 0, result.output
    assert data["findings"] == [] and data["files_scanned"] == 1


def test_exclude_of_a_config_object_without_a_file(tmp_path, monkeypatch):
    write(tmp_path / "main.tf", "# nothing\n")
    write(tmp_path / "examples" / "main.tf", OPEN_TRUST)
    monkeypatch.chdir(tmp_path)
    report = scan([tmp_path], Config(exclude=["examples/"]))
    assert report.findings == [] and report.files_scanned == 1


PUSH_TO_MAIN = FIXTURES / "OIDC108" / "negative-push-to-main"  # trust: acme/api, branch main


def _ci_tree(tmp_path: Path, *, scheduled: bool = False) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(PUSH_TO_MAIN, tree, ignore=shutil.ignore_patterns("expected.yaml"))
    if scheduled:
        workflow = tree / ".github" / "workflows" / "deploy.yml"
        text = workflow.read_text().replace("  push:\n    branches: [main]\n",
                                            "  schedule:\n    - cron: '0 3 * * *'\n")
        assert "schedule" in text
        workflow.write_text(text)
    return tree


def test_repository_from_the_file(tmp_path):
    tree = _ci_tree(tmp_path)
    result, data = scan_json(str(tree))
    assert result.exit_code == 0 and "repository is unknown" in result.stderr
    write(tree / ".oidclint.toml", 'repository = "acme/api"\n')
    result, data = scan_json(str(tree))
    assert result.exit_code == 0, result.output
    assert data["findings"] == [] and "repository is unknown" not in result.stderr
    write(tree / ".oidclint.toml", 'repository = "acme/web"\n')
    result, data = scan_json(str(tree))
    assert result.exit_code == 1
    assert rule_ids(data) == ["OIDC108"]
    assert "repo:acme/web:ref:refs/heads/main" in data["findings"][0]["message"]


def test_the_repository_flag_wins_over_the_file(tmp_path):
    tree = _ci_tree(tmp_path)
    write(tree / ".oidclint.toml", 'repository = "acme/web"\n')
    result, data = scan_json(str(tree), "--repository", "acme/api")
    assert result.exit_code == 0, result.output
    assert data["findings"] == []


def test_default_branch_from_the_file_and_the_flag_winning(tmp_path):
    tree = _ci_tree(tmp_path, scheduled=True)
    write(tree / ".oidclint.toml", 'repository = "acme/api"\ndefault-branch = "develop"\n')
    result, data = scan_json(str(tree))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC108"]
    assert "repo:acme/api:ref:refs/heads/develop" in data["findings"][0]["message"]
    write(tree / ".oidclint.toml", 'repository = "acme/api"\ndefault-branch = "main"\n')
    assert scan_json(str(tree))[1]["findings"] == []
    write(tree / ".oidclint.toml", 'repository = "acme/api"\ndefault-branch = "develop"\n')
    result, data = scan_json(str(tree), "--default-branch", "main")
    assert result.exit_code == 0, result.output
    assert data["findings"] == []


def test_trusted_owners_turn_broad_subject_into_a_note(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / ".oidclint.toml", 'trusted-owners = ["acme"]\n')
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 0, result.output
    [finding] = data["findings"]
    assert (finding["rule_id"], finding["level"]) == ("OIDC204", "note")
    assert "trusted owner" in finding["message"]
    write(tmp_path / ".oidclint.toml", 'trusted-owners = ["ACME"]\n')  # names ignore case
    result, data = scan_json(str(tmp_path))
    assert [(f["rule_id"], f["level"]) for f in data["findings"]] == [("OIDC204", "note")]
    write(tmp_path / ".oidclint.toml", 'trusted-owners = ["other", "acme-labs"]\n')
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 1
    assert [(f["rule_id"], f["level"]) for f in data["findings"]] == [("OIDC204", "warning")]


def test_immutable_subjects_enable_the_legacy_subject_rule(tmp_path):
    source = FIXTURES / "OIDC114" / "positive-old-form-for-immutable-repository" / "main.tf"
    write(tmp_path / "main.tf", source.read_text())
    result, data = scan_json(str(tmp_path))
    assert rule_ids(data) == []
    write(tmp_path / ".oidclint.toml", 'immutable-subjects = ["acme/api"]\n')
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC114"]
    assert {f["address"] for f in data["findings"]} == {"aws_iam_role.deploy"}
    write(tmp_path / ".oidclint.toml", 'immutable-subjects = ["acme/web"]\n')
    assert rule_ids(scan_json(str(tmp_path))[1]) == []


@pytest.mark.parametrize("known, noted", [
    ([], True),
    (["arn:aws:iam::123456789012:role/api-deploy-prod"], False),
    (["arn:aws:iam::*:role/api-deploy-*"], False),
    (["api-deploy-prod"], False),
    (["api-deploy-*"], False),
    (["arn:aws:iam::*:role/web-*", "api-deploy"], True),
])
def test_known_roles_silence_the_role_not_found_note(tmp_path, known, noted):
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "OIDC305" / "positive-role-defined-nowhere", tree,
                    ignore=shutil.ignore_patterns("expected.yaml"))
    write(tree / ".oidclint.toml",
          f'repository = "acme/api"\nknown-roles = {json.dumps(known)}\n')
    result, data = scan_json(str(tree), "--fail-on", "note")
    assert rule_ids(data) == (["OIDC305"] if noted else [])
    assert result.exit_code == (1 if noted else 0)


SUBJECT_FROM_A_VARIABLE = OPEN_TRUST.replace('"repo:acme/*"', "var.subject") + '''
variable "subject" {
  type    = string
  default = "repo:acme/api:ref:refs/heads/main"
}
'''


def test_var_files_are_relative_to_the_config_file(tmp_path, monkeypatch):
    repo = git_init(tmp_path / "repo")
    write(repo / "infra" / "main.tf", SUBJECT_FROM_A_VARIABLE)
    write(repo / "envs" / "prod.tfvars", 'subject = "repo:acme/*"\n')
    monkeypatch.chdir(write(tmp_path / "elsewhere" / "x.txt", "").parent)
    result, data = scan_json(str(repo / "infra"))
    assert result.exit_code == 0, result.output  # the default names one repository and branch
    write(repo / ".oidclint.toml", 'var-files = ["envs/prod.tfvars"]\n')
    result, data = scan_json(str(repo / "infra"))
    assert result.exit_code == 1, result.output
    assert [(f["rule_id"], f["path"]) for f in data["findings"]] == [
        ("OIDC204", "envs/prod.tfvars")]
    assert data["diagnostics"] == []


def test_a_missing_var_file_is_reported(tmp_path):
    write(tmp_path / "main.tf", SUBJECT_FROM_A_VARIABLE)
    write(tmp_path / ".oidclint.toml", 'var-files = ["envs/nope.tfvars"]\n')
    result, data = scan_json(str(tmp_path))
    assert "nope.tfvars" in result.stderr
    assert any("nope.tfvars" in d["path"] for d in data["diagnostics"])


def test_flags_and_config_do_not_change_the_config_object_given(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    config = Config(immutable_subjects=["acme/api"], repository="acme/web")
    scan([tmp_path], config, repository="acme/api", immutable_repositories=["acme/other"])
    assert config == Config(immutable_subjects=["acme/api"], repository="acme/web")
