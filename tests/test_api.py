"""The Python API: `oidclint.scan(paths, config=None) -> Report`."""

from __future__ import annotations

from pathlib import Path

import pytest

import oidclint
from oidclint.config import Config, ConfigError
from oidclint.model import Finding, Level, Report, RuleInfo
from oidclint.source import Span
from conftest import OPEN_TRUST

# `repo:acme/*` on line 15: OIDC204 (broad-subject), a warning, and nothing else.


@pytest.fixture
def stack(tmp_path) -> Path:
    (tmp_path / "main.tf").write_text(OPEN_TRUST)
    return tmp_path


def test_scan_is_the_public_api():
    assert "scan" in oidclint.__all__
    assert callable(oidclint.scan)


def test_scan_returns_a_report_of_typed_findings(stack, capsys):
    report = oidclint.scan([stack])
    assert isinstance(report, Report)
    [finding] = report.findings
    assert isinstance(finding, Finding)
    assert finding.rule_id == "OIDC204"
    assert finding.level is Level.WARNING
    assert isinstance(finding.span, Span)
    assert (finding.span.path, finding.span.line, finding.span.column) == ("main.tf", 15, 70)
    assert finding.address == "aws_iam_role.deploy"
    assert "repo:acme/*" in finding.message and finding.fix
    assert [r.label for r in finding.related] == [
        "OIDC provider aws_iam_openid_connect_provider.github"]
    assert report.active == [finding] and report.suppressed == []
    assert report.files_scanned == 1 and report.diagnostics == [] and report.baselined == 0
    assert all(isinstance(r, RuleInfo) for r in report.rules)
    assert report.rule("OIDC204").name == "broad-subject"
    assert report.version == oidclint.__version__
    assert Path(report.root) == stack.resolve()
    assert capsys.readouterr() == ("", "")  # a library prints nothing


def test_paths_may_be_strings_and_files(stack):
    by_folder = oidclint.scan([str(stack)])
    by_file = oidclint.scan([str(stack / "main.tf")])
    assert [(f.rule_id, f.span.path) for f in by_file.findings] == [
        (f.rule_id, f.span.path) for f in by_folder.findings]


def test_scan_finds_the_oidclint_toml_by_itself(stack):
    (stack / ".oidclint.toml").write_text('[severity]\nbroad-subject = "error"\n')
    [finding] = oidclint.scan([stack]).findings
    assert finding.level is Level.ERROR
    assert oidclint.scan([stack]).rule("OIDC204").level is Level.ERROR


def test_scan_finds_the_pyproject_table_above_the_path(stack):
    (stack / "pyproject.toml").write_text('[tool.oidclint]\ndisable = ["OIDC204"]\n')
    (stack / "infra").mkdir()
    (stack / "main.tf").rename(stack / "infra" / "main.tf")
    report = oidclint.scan([stack / "infra"])
    assert report.findings == []
    assert "OIDC204" not in {r.id for r in report.rules}


def test_scan_accepts_a_config_object(stack):
    (stack / ".oidclint.toml").write_text('disable = ["OIDC204"]\n')  # not read: a Config is given
    report = oidclint.scan([stack], Config(trusted_owners=["acme"]))
    [finding] = report.findings
    assert finding.level is Level.NOTE
    assert oidclint.scan([stack], Config()).findings[0].level is Level.WARNING


@pytest.mark.parametrize("as_type", [str, Path])
def test_scan_accepts_a_config_path(stack, tmp_path_factory, as_type):
    elsewhere = tmp_path_factory.mktemp("conf") / "strict.toml"
    elsewhere.write_text('[severity]\nOIDC204 = "error"\n')
    [finding] = oidclint.scan([stack], as_type(elsewhere)).findings
    assert finding.level is Level.ERROR


def test_a_config_path_to_a_pyproject_reads_its_table(stack, tmp_path_factory):
    pyproject = tmp_path_factory.mktemp("conf") / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n[tool.oidclint]\ndisable = ["broad-subject"]\n')
    assert oidclint.scan([stack], pyproject).findings == []


@pytest.mark.parametrize("text, says", [
    ('disabel = ["OIDC204"]\n', "unknown key `disabel`"),
    ('disable = "OIDC204"\n', "must be a list of strings"),
    ('[severity]\nOIDC204 = "fatal"\n', "severity"),
    ('disable = ["OIDC999"]\n', "no rule `OIDC999`"),
    ("disable = [\n", "not valid TOML"),
])
def test_scan_raises_config_error_for_a_bad_file(stack, text, says):
    config = stack / ".oidclint.toml"
    config.write_text(text)
    for given in (None, config, str(config)):
        with pytest.raises(ConfigError, match=says) as caught:
            oidclint.scan([stack], given)
        assert str(config) in str(caught.value)


def test_scan_raises_config_error_for_a_missing_file(stack):
    with pytest.raises(ConfigError, match="nope.toml"):
        oidclint.scan([stack], stack / "nope.toml")


def test_a_config_object_naming_no_rule_is_an_error(stack):
    with pytest.raises(ConfigError, match="OIDC999"):
        oidclint.scan([stack], Config(disable=["OIDC999"]))


def test_suppressed_findings_are_in_the_report(stack):
    (stack / "main.tf").write_text(OPEN_TRUST.replace(
        '"repo:acme/*" }', '"repo:acme/*" } # oidclint: ignore[OIDC204] org-wide docs role'))
    report = oidclint.scan([stack])
    assert report.active == []
    [finding] = report.suppressed
    assert finding.suppression.justification == "org-wide docs role"
    assert finding.suppression.span.line == 15


def test_exclude_of_a_config_object_is_relative_to_the_working_folder(stack, monkeypatch):
    (stack / "examples").mkdir()
    (stack / "main.tf").rename(stack / "examples" / "main.tf")
    (stack / "main.tf").write_text("# nothing here\n")
    monkeypatch.chdir(stack)
    report = oidclint.scan(["."], Config(exclude=["examples/"]))
    assert report.findings == [] and report.files_scanned == 1
    assert len(oidclint.scan(["."], Config()).findings) == 1


def test_a_configured_baseline_that_cannot_be_read_is_a_config_error(stack):
    (stack / ".oidclint.toml").write_text('baseline = "ci/nope.json"\n')
    with pytest.raises(ConfigError, match="nope.json"):
        oidclint.scan([stack])


def test_a_finding_on_a_value_written_elsewhere_names_the_trust_it_is_in(tmp_path):
    """The subject is a local of another file: the finding points where the fix goes and
    names the trust statement, which a reader would otherwise have to look for."""
    (tmp_path / "main.tf").write_text(OPEN_TRUST.replace('"repo:acme/*"', "local.subject"))
    (tmp_path / "locals.tf").write_text('locals {\n  subject = "repo:acme/*"\n}\n')
    [finding] = oidclint.scan([tmp_path]).findings
    assert finding.span.path == "locals.tf"
    trust = [(r.span.path, r.span.line) for r in finding.related
             if r.label == "trust of aws_iam_role.deploy"]
    assert trust == [("main.tf", 9)]  # the statement `{`
    # In the trust's own file it adds nothing.
    [same] = oidclint.scan([_write(tmp_path / "one", OPEN_TRUST)]).findings
    assert [r.label for r in same.related] == [
        "OIDC provider aws_iam_openid_connect_provider.github"]


def _write(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "main.tf").write_text(text)
    return folder
