"""Where the project configuration is found (.oidclint.toml, the [tool.oidclint] table of
pyproject.toml, the nearest one walking up to the git work tree root, --config) and what a bad
or missing file says: exit 2, naming the file and the key."""

from __future__ import annotations

import pytest

from config_scans import git_init, rule_ids, runner, scan_json, write
from conftest import OPEN_TRUST
from oidclint.cli import app
from oidclint.config import Config, ConfigError, find_config, load_config
from oidclint.engine import chosen_rules

pytestmark = pytest.mark.usefixtures("no_ambient_repository")


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
