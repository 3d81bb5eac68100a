"""Project configuration: where it is found, what a bad file says, the schema, each key's effect."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from dataclasses import fields
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, OPEN_TRUST, REPO
from oidclint.cli import app
from oidclint.config import Config, ConfigError, find_config, load_config
from oidclint.engine import chosen_rules, scan

SCHEMA_PATH = REPO / "analyzer" / "oidclint" / "oidclint.schema.json"

# `repo:acme/*`: OIDC204 (broad-subject), a warning, and nothing else.

runner = CliRunner()


@pytest.fixture(autouse=True)
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


# --- discovery ------------------------------------------------------------------------------


def test_oidclint_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    toml = write(tmp_path / ".oidclint.toml", 'disable = ["OIDC204"]\n')
    write(tmp_path / "pyproject.toml", '[tool.oidclint]\nseverity = { OIDC204 = "error" }\n')
    assert find_config(tmp_path) == toml.resolve()
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []


def test_tool_oidclint_table_in_pyproject(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    pyproject = write(tmp_path / "pyproject.toml",
                      '[project]\nname = "infra"\n\n[tool.oidclint]\ndisable = ["broad-subject"]\n')
    assert find_config(tmp_path / "main.tf") == pyproject.resolve()
    assert load_config(pyproject).disable == ["broad-subject"]
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []


def test_a_pyproject_without_the_table_is_skipped(tmp_path):
    above = write(tmp_path / ".oidclint.toml", 'disable = ["OIDC204"]\n')
    project = tmp_path / "project"
    write(project / "pyproject.toml", '[project]\nname = "infra"\n\n[tool.ruff]\nline-length = 99\n')
    write(project / "main.tf", OPEN_TRUST)
    assert find_config(project) == above.resolve()
    result, data = scan_json(str(project))
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []


def test_the_nearest_configuration_walking_up_is_used(tmp_path):
    write(tmp_path / ".oidclint.toml", 'disable = ["OIDC204"]\n')
    nearer = write(tmp_path / "infra" / ".oidclint.toml", '[severity]\nOIDC204 = "error"\n')
    write(tmp_path / "infra" / "prod" / "main.tf", OPEN_TRUST)
    assert find_config(tmp_path / "infra" / "prod") == nearer.resolve()
    result, data = scan_json(str(tmp_path / "infra" / "prod"), "--fail-on", "error")
    assert result.exit_code == 1
    assert [(f["rule_id"], f["level"]) for f in data["findings"]] == [("OIDC204", "error")]


def test_walking_up_stops_at_the_git_work_tree_root(tmp_path):
    write(tmp_path / ".oidclint.toml", 'disable = ["OIDC204"]\n')
    write(tmp_path / "pyproject.toml", '[tool.oidclint]\ndisable = ["OIDC204"]\n')
    repo = git_init(tmp_path / "repo")
    write(repo / "infra" / "main.tf", OPEN_TRUST)
    assert find_config(repo / "infra") is None
    result, data = scan_json(str(repo / "infra"))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC204"]


def test_a_configuration_at_the_work_tree_root_is_found_from_a_subfolder(tmp_path):
    repo = git_init(tmp_path / "repo")
    at_root = write(repo / ".oidclint.toml", 'disable = ["OIDC204"]\n')
    write(repo / "infra" / "prod" / "main.tf", OPEN_TRUST)
    assert find_config(repo / "infra" / "prod" / "main.tf") == at_root.resolve()
    result, data = scan_json(str(repo / "infra" / "prod"))
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []


def test_the_config_flag_overrides_the_file_found(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    write(tmp_path / ".oidclint.toml", 'disable = ["OIDC204"]\n')
    other = write(tmp_path / "elsewhere" / "strict.toml", '[severity]\nOIDC204 = "error"\n')
    result, data = scan_json(str(tmp_path), "--config", str(other))
    assert result.exit_code == 1, result.output
    assert [(f["rule_id"], f["level"]) for f in data["findings"]] == [("OIDC204", "error")]


def test_the_config_flag_reads_the_table_of_a_named_pyproject(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    named = write(tmp_path / "conf" / "pyproject.toml", '[tool.oidclint]\ndisable = ["OIDC204"]\n')
    result, data = scan_json(str(tmp_path), "--config", str(named))
    assert result.exit_code == 0, result.output
    assert rule_ids(data) == []


def test_a_missing_config_file_is_exit_two_naming_it(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    missing = tmp_path / "nope.toml"
    result = runner.invoke(app, ["scan", str(tmp_path), "--config", str(missing)])
    assert result.exit_code == 2
    assert str(missing) in result.stderr
    assert result.stdout == ""


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, says",
    [
        pytest.param(".oidclint.toml", 'disabel = ["OIDC204"]\n', ["`disabel`", "known keys"],
                     id="unknown-key"),
        pytest.param("pyproject.toml", '[tool.oidclint]\nexclued = ["x/"]\n', ["exclued"],
                     id="unknown-key-in-pyproject"),
        pytest.param(".oidclint.toml", 'disable = "OIDC204"\n', ["`disable`", "list of strings"],
                     id="string-for-a-list"),
        pytest.param(".oidclint.toml", 'exclude = ["ok/", 3]\n', ["`exclude`", "list of strings"],
                     id="number-in-a-list"),
        pytest.param(".oidclint.toml", "repository = 3\n", ["`repository`", "string"],
                     id="number-for-a-string"),
        pytest.param(".oidclint.toml", 'default-branch = ["main"]\n', ["`default-branch`"],
                     id="list-for-a-string"),
        pytest.param(".oidclint.toml", '[severity]\nOIDC204 = "critical"\n',
                     ["`severity`", "error, warning, note"], id="severity-not-a-level"),
        pytest.param(".oidclint.toml", 'severity = "error"\n', ["`severity`"],
                     id="severity-not-a-table"),
        pytest.param(".oidclint.toml", 'disable = ["OIDC999"]\n', ["OIDC999", "oidclint rules"],
                     id="no-such-rule-disabled"),
        pytest.param(".oidclint.toml", 'disable = ["broad-subjects"]\n', ["broad-subjects"],
                     id="no-such-rule-name-disabled"),
        pytest.param(".oidclint.toml", '[severity]\nOIDC998 = "note"\n', ["OIDC998"],
                     id="no-such-rule-relevelled"),
        pytest.param(".oidclint.toml", 'disable = [\n', ["not valid TOML"], id="not-toml"),
        pytest.param("pyproject.toml", '[tool]\noidclint = "on"\n', ["[tool.oidclint]"],
                     id="tool-oidclint-not-a-table"),
    ],
)
def test_a_bad_configuration_is_exit_two_naming_the_file_and_the_key(tmp_path, name, text, says):
    write(tmp_path / "main.tf", OPEN_TRUST)
    config = write(tmp_path / name, text)
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert str(config.resolve()) in result.stderr
    assert "internal error" not in result.stderr
    for words in says:
        assert words in result.stderr


def test_errors_come_from_load_config_and_chosen_rules_as_config_error(tmp_path):
    with pytest.raises(ConfigError, match="`trusted-owners` must be a list of strings"):
        load_config(write(tmp_path / ".oidclint.toml", 'trusted-owners = "acme"\n'))
    unknown_rule = load_config(write(tmp_path / "b.toml", 'disable = ["OIDC999"]\n'))
    with pytest.raises(ConfigError, match="no rule `OIDC999`"):
        chosen_rules(unknown_rule)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_an_empty_file_is_the_defaults(tmp_path):
    config = load_config(write(tmp_path / ".oidclint.toml", ""))
    assert config == Config(path=tmp_path / ".oidclint.toml")
    assert config.folder == tmp_path


# --- the schema -----------------------------------------------------------------------------


def _schema() -> dict:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return schema


def _valid(data: dict) -> bool:
    schema = _schema()
    return jsonschema.validators.validator_for(schema)(schema).is_valid(data)


def test_the_schema_properties_are_exactly_the_config_fields():
    names = {f.name.replace("_", "-") for f in fields(Config)} - {"path", "capped"}
    schema = _schema()
    assert set(schema["properties"]) == names
    assert schema["additionalProperties"] is False
    for name, spec in schema["properties"].items():
        assert spec.get("description"), f"{name} has no description"


VALID = [
    'disable = ["OIDC304", "stringlike-without-wildcard"]\n',
    '[severity]\nOIDC209 = "error"\nbroad-subject = "note"\n',
    'exclude = ["examples/", "**/testdata/**"]\nrepository = "acme/api"\ndefault-branch = "main"\n',
    'trusted-owners = ["acme"]\nimmutable-subjects = ["acme/api"]\n',
    'known-roles = ["arn:aws:iam::*:role/org-*", "deploy"]\nvar-files = ["envs/prod.tfvars"]\n',
    "",
]

INVALID = [
    'disabel = ["OIDC204"]\n',
    'disable = "OIDC204"\n',
    "repository = 3\n",
    '[severity]\nOIDC204 = "critical"\n',
    'severity = ["OIDC204"]\n',
    "trusted-owners = [1]\n",
    'var-files = "envs/prod.tfvars"\n',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_samples_pass_the_schema_and_the_loader(tmp_path, text):
    assert _valid(tomllib.loads(text))
    load_config(write(tmp_path / ".oidclint.toml", text))


@pytest.mark.parametrize("text", INVALID)
def test_invalid_samples_fail_the_schema_and_the_loader(tmp_path, text):
    assert not _valid(tomllib.loads(text))
    with pytest.raises(ConfigError):
        load_config(write(tmp_path / ".oidclint.toml", text))


def test_the_schema_rejects_what_the_loader_leaves_to_the_rule_check():
    # The loader takes any string; the schema already knows an id or name shape.
    assert not _valid({"disable": ["Not A Rule"]})
    assert not _valid({"immutable-subjects": ["acme"]})


def _readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- config:example -->\n```toml\n(.*?)```", readme, re.S)
    assert match, "README has no <!-- config:example --> TOML block"
    return match.group(1)


def test_the_readme_configuration_example_is_valid_and_shows_every_key(tmp_path):
    text = _readme_example()
    data = tomllib.loads(text)
    errors = list(jsonschema.validators.validator_for(_schema())(_schema()).iter_errors(data))
    assert not errors, [e.message for e in errors]
    assert set(data) == set(_schema()["properties"])
    config = load_config(write(tmp_path / ".oidclint.toml", text))
    chosen_rules(config)  # every rule it disables or re-levels exists


# --- each key's effect ----------------------------------------------------------------------


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


def test_a_broken_pyproject_with_the_table_is_reported_not_skipped(tmp_path):
    write(tmp_path / ".oidclint.toml", "")  # above: must not be used instead
    project = tmp_path / "project"
    write(project / "main.tf", OPEN_TRUST)
    broken = write(project / "pyproject.toml", '[tool.oidclint]\ndisable = ["OIDC204"\n')
    result = runner.invoke(app, ["scan", str(project)])
    assert result.exit_code == 2, result.output
    assert str(broken.resolve()) in result.stderr and "not valid TOML" in result.stderr
    # A broken pyproject that is not about oidclint is someone else's problem.
    write(project / "pyproject.toml", '[tool.ruff]\nline-length = \n')
    assert find_config(project) == (tmp_path / ".oidclint.toml").resolve()


# --- a configuration file in the scanned tree: a pull request may change it -----------------

LARGE = 16 * 1024 * 1024 + 4096  # just over the cap on max-file-size


def large_comment_file(path: Path) -> Path:
    """A Terraform file of comments, just over 16 MiB: nothing in it matters, it only has to
    be read."""
    line = "# " + "x" * 97 + "\n"
    return write(path, line * (LARGE // len(line) + 1))


@pytest.mark.parametrize("text, field, cap, says", [
    ("time-budget = 100000\n", "time_budget", 30, "`time-budget` = 100,000 seconds"),
    ("time-budget = inf\n", "time_budget", 30, "`time-budget` = inf seconds"),
    ("time-budget = 30.5\n", "time_budget", 30, "`time-budget` = 30.5 seconds"),
    ("max-file-size = 100000000000\n", "max_file_size", 16 * 1024 * 1024,
     "`max-file-size` = 100,000,000,000 bytes"),
    ("[tool.oidclint]\nmax-file-size = 16777217\n", "max_file_size", 16 * 1024 * 1024,
     "`[tool.oidclint].max-file-size` = 16,777,217 bytes"),
])
def test_a_configuration_file_cannot_lift_the_limits(tmp_path, text, field, cap, says):
    name = "pyproject.toml" if text.startswith("[tool") else ".oidclint.toml"
    config = load_config(write(tmp_path / name, text))
    assert getattr(config, field) == cap
    [note] = config.capped.values()
    assert note.startswith(says) and f"is above {cap:,}" in note and "command line" in note


@pytest.mark.parametrize("text, field, value", [
    ("time-budget = 30\n", "time_budget", 30),
    ("time-budget = 0.5\n", "time_budget", 0.5),
    ("max-file-size = 16777216\n", "max_file_size", 16 * 1024 * 1024),
    ("max-file-size = 1000\n", "max_file_size", 1000),
])
def test_limits_within_the_caps_are_taken_as_written(tmp_path, text, field, value):
    config = load_config(write(tmp_path / ".oidclint.toml", text))
    assert getattr(config, field) == value and config.capped == {}


@pytest.mark.parametrize("text", ["time-budget = nan\n", "time-budget = -inf\n",
                                  "time-budget = 0\n", "max-file-size = 1.5e9\n",
                                  "max-file-size = true\n"])
def test_a_limit_that_is_not_a_positive_number_is_an_error(tmp_path, text):
    with pytest.raises(ConfigError, match="must be a positive"):
        load_config(write(tmp_path / ".oidclint.toml", text))


def test_the_schema_flags_a_limit_above_its_cap_which_the_loader_lowers():
    assert _valid({"time-budget": 30, "max-file-size": 16 * 1024 * 1024})
    assert not _valid({"time-budget": 100000})
    assert not _valid({"max-file-size": 100000000000})


def test_max_file_size_from_a_file_is_capped_and_the_scan_says_so(tmp_path):
    # 100 GB once made every read allocate 100 GB up front (MemoryError for every file).
    write(tmp_path / "main.tf", OPEN_TRUST)
    large_comment_file(tmp_path / "generated.tf")
    write(tmp_path / ".oidclint.toml", "max-file-size = 100000000000\n")
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC204"]  # the planted finding is still found
    messages = {(d["path"], d["level"], d["message"]) for d in data["diagnostics"]}
    assert any(path == "generated.tf" and message.startswith(
        "larger than the 16,777,216-byte limit") for path, _, message in messages)
    [note] = [m for path, level, m in messages if path == "" and level == "note"]
    assert note.startswith("configuration .oidclint.toml: `max-file-size` = 100,000,000,000")
    assert "--max-file-size" in note and note in result.stderr


def test_the_command_line_goes_past_the_caps(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    large_comment_file(tmp_path / "generated.tf")
    write(tmp_path / ".oidclint.toml", "max-file-size = 100000000000\ntime-budget = 600\n")
    result, data = scan_json(str(tmp_path), "--max-file-size", str(32 * 1024 * 1024))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC204"]
    # generated.tf was read; the time budget, not given, is still the file's, capped.
    [note] = data["diagnostics"]
    assert note["level"] == "note"
    assert note["message"].startswith("configuration .oidclint.toml: `time-budget` = 600 ")


def test_the_limit_flags_reach_the_scan_over_the_file(tmp_path, monkeypatch):
    import oidclint.engine

    given = []
    monkeypatch.setattr(oidclint.engine, "scan",
                        lambda paths, config, **kwargs: given.append(config) or 1 / 0)
    write(tmp_path / ".oidclint.toml", "time-budget = 100000\nmax-file-size = 1000\n")
    runner.invoke(app, ["scan", str(tmp_path)])
    runner.invoke(app, ["scan", str(tmp_path), "--time-budget", "90"])
    runner.invoke(app, ["scan", str(tmp_path), "--time-budget", "0.5",
                        "--max-file-size", "100000000"])
    assert [(c.time_budget, c.max_file_size, sorted(c.capped)) for c in given] == [
        (30, 1000, ["time_budget"]), (90, 1000, []), (0.5, 100000000, [])]


@pytest.mark.parametrize("flag, value", [("--time-budget", "0"), ("--time-budget", "nan"),
                                         ("--time-budget", "1e12"), ("--max-file-size", "0"),
                                         ("--max-file-size", "-5")])
def test_a_limit_flag_out_of_range_is_a_usage_error(tmp_path, flag, value):
    write(tmp_path / "main.tf", OPEN_TRUST)
    result = runner.invoke(app, ["scan", str(tmp_path), flag, value])
    assert result.exit_code == 2
    assert flag in result.output and "must be above 0" in result.output


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
